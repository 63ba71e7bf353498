/*
 * test_concurrency.c - single-flight under load: hundreds of threads
 * look up cold and warm domains at once through the scripted source
 * (which sleeps in every call to widen the race windows).  Exactly one
 * discovery and one fetch per domain; every caller gets the policy.
 * Meant to run under ThreadSanitizer too (configure --enable-tsan).
 * Also measures warm-cache lookups per second (reported, not asserted).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "scripted.h"
#include "sts_engine.h"

#define THREADS 200
#define DOMAINS 40
#define ROUNDS 5

static struct sts_engine *eng;
static int bad_answers; /* atomic */
static pthread_barrier_t start;

static void *
run(void *arg)
{
	long id = (long)arg;
	struct sts_answer a;
	char d[64];
	int r, k;

	pthread_barrier_wait(&start);
	for (r = 0; r < ROUNDS; r++)
		for (k = 0; k < DOMAINS; k += 7) {
			snprintf(d, sizeof(d), "d%ld.test",
				 (id + (long)k + r) % DOMAINS);
			sts_engine_check(eng, d, NULL, 20000, &a);
			if (a.reason != STS_REASON_SATISFIED)
				__atomic_add_fetch(&bad_answers, 1,
						   __ATOMIC_RELAXED);
		}
	return NULL;
}

static void *
warm(void *arg)
{
	long *count = arg;
	struct sts_lookup l;
	struct sts_answer a;
	char d[64];
	long i;

	for (i = 0; i < *count; i++) {
		snprintf(d, sizeof(d), "d%ld.test", i % DOMAINS);
		if (i & 1) {
			sts_engine_check(eng, d, NULL, 1000, &a);
		} else {
			sts_engine_lookup(eng, d, 1000, &l);
			sts_policy_free(l.policy);
		}
	}
	return NULL;
}

int
main(void)
{
	struct scripted *s = scripted_new();
	struct sts_source src = scripted_source(s);
	struct sts_engine_conf c;
	struct sts_engine_stats st;
	pthread_t t[THREADS];
	char d[64], pol[256], why[STS_WHY_MAX];
	unsigned disc_bad = 0, fetch_bad = 0;
	struct timespec t0, t1;
	long i, per = 20000;
	double el;

	for (i = 0; i < DOMAINS; i++) {
		snprintf(d, sizeof(d), "d%ld.test", i);
		snprintf(pol, sizeof(pol),
			 "version: STSv1\nmode: enforce\nmx: mx.d%ld.test\n"
			 "max_age: 86400\n",
			 i);
		scripted_set(s, d, STS_OK, "1", STS_OK, pol);
	}
	scripted_delay(s, 20);
	sts_engine_conf_defaults(&c);
	c.workers = 4;
	c.save_interval = 0;
	eng = sts_engine_new(&c, &src, why, sizeof(why));
	if (!ok(eng != NULL, "engine (%s)", eng ? "ok" : why))
		return tap_done();
	/* half of the domains warm before the storm */
	for (i = 0; i < DOMAINS; i += 2) {
		snprintf(d, sizeof(d), "d%ld.test", i);
		struct sts_answer a;
		sts_engine_check(eng, d, NULL, 20000, &a);
	}
	pthread_barrier_init(&start, NULL, THREADS);
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, run, (void *)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	sts_engine_idle_wait(eng, 10000);
	for (i = 0; i < DOMAINS; i++) {
		snprintf(d, sizeof(d), "d%ld.test", i);
		disc_bad += scripted_discovers(s, d) != 1;
		fetch_bad += scripted_fetches(s, d) != 1;
	}
	is_int(bad_answers, 0, "%d threads x %d lookups: all got the policy",
	       THREADS, ROUNDS * ((DOMAINS + 6) / 7));
	is_int(disc_bad, 0, "exactly one discovery per domain");
	is_int(fetch_bad, 0, "exactly one fetch per domain");
	sts_engine_stats(eng, &st);
	is_int((long long)st.fetches, DOMAINS, "fetch counter agrees");
	is_int((long long)st.entries, DOMAINS, "one entry per domain");

	/* warm-cache throughput: 2 threads (the machine has 2 cores) */
	scripted_delay(s, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, warm, &per);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (double)(t1.tv_sec - t0.tv_sec) +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	tap_diag("BENCH warm: %ld check+lookup calls in %.3fs = %.0f/s "
		 "(2 threads, MX via scripted source)",
		 2 * per, el, 2.0 * (double)per / el);
	sts_engine_stats(eng, &st);
	is_int((long long)st.fetches, DOMAINS, "warm phase: no new fetch");
	sts_engine_free(eng);
	scripted_free(s);
	return tap_done();
}
