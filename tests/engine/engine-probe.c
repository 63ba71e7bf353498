/*
 * engine-probe.c - drive the engine with the REAL source from the lab
 * test (tests/engine/lab-engine.sh).  Run inside the lab (tests/lab/inlab):
 * the resolver uses $LAB_UNBOUND_CONF, the fetcher trusts $LAB_CA.
 *
 *   engine-probe [--state FILE] [--offset SECS] [--probe] [--threads N]
 *                [--parallel] [--deadline MS] CMD...
 * --parallel runs consecutive check: commands at once (one thread each),
 * printing their lines in command order.
 *   CMD: check:DOMAIN   one line "check DOMAIN VERDICT REASON RPT MODE"
 *                       (with --threads N: N threads at once; one line
 *                       "threads N agree=K" follows)
 *        lookup:DOMAIN  "lookup DOMAIN STATUS enforce=0|1 dane=0|1"
 *        wait           wait until no background job runs
 *        stats          "stats lookups=... hits=... txt=... fetches=...
 *                       failures=... mx=... probes=..." (mx: next-hop
 *                       MX+TLSA lookups, probes: STARTTLS probes made)
 * Each check also writes "time DOMAIN N us" (its latency) to stderr.
 * --offset shifts the engine's clock (to reach refresh/expiry times of
 * entries loaded from --state without waiting).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sts_engine.h"
#include "sts_source.h"

static long offset;
static struct sts_engine *eng;
static unsigned deadline = 15000;

static time_t
clock_fn(void *arg)
{
	(void)arg;
	return time(NULL) + offset;
}

static void
event(void *arg, enum sts_event_level lvl, const char *domain, const char *msg)
{
	(void)arg;
	fprintf(stderr, "event %d %s: %s\n", (int)lvl, domain ? domain : "-",
		msg);
}

struct job {
	const char *domain;
	struct sts_answer a;
	long us; /* time the check took */
};

static void *
run(void *arg)
{
	struct job *j = arg;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	sts_engine_check(eng, j->domain, NULL, deadline, &j->a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->us = (t1.tv_sec - t0.tv_sec) * 1000000L +
		(t1.tv_nsec - t0.tv_nsec) / 1000L;
	return NULL;
}

static void
print(const struct job *j)
{
	printf("check %s %s %s %s %s\n", j->domain,
	       sts_verdict_str(j->a.verdict), sts_reason_str(j->a.reason),
	       sts_rpt_str(j->a.rpt), sts_mode_str(j->a.mode));
	fprintf(stderr, "why %s: %s\n", j->domain, j->a.why);
	fprintf(stderr, "time %s %ld us\n", j->domain, j->us);
}

static void
check(const char *d, int threads)
{
	struct job *j = calloc((size_t)threads, sizeof(*j));
	pthread_t *t = calloc((size_t)threads, sizeof(*t));
	int i, agree = 0;

	if (j == NULL || t == NULL)
		exit(2);
	for (i = 0; i < threads; i++) {
		j[i].domain = d;
		pthread_create(&t[i], NULL, run, &j[i]);
	}
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < threads; i++)
		agree += j[i].a.verdict == j[0].a.verdict &&
			 j[i].a.reason == j[0].a.reason;
	print(&j[0]);
	if (threads > 1)
		printf("threads %d agree=%d\n", threads, agree);
	free(j);
	free(t);
}

int
main(int argc, char **argv)
{
	struct sts_engine_conf c;
	struct sts_source src;
	struct sts_engine_stats st;
	struct sts_lookup l;
	char why[STS_WHY_MAX];
	int i, threads = 1, parallel = 0;

	sts_engine_conf_defaults(&c);
	c.unbound_conf = getenv("LAB_UNBOUND_CONF");
	c.ca_file = getenv("LAB_CA");
	c.trust_anchor_file = "";
	c.save_interval = 0;
	c.sweep_interval = 0;
	c.now = clock_fn;
	c.event = event;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			c.state_file = argv[++i];
		else if (strcmp(argv[i], "--offset") == 0 && i + 1 < argc)
			offset = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--parallel") == 0)
			parallel = 1;
		else if (strcmp(argv[i], "--probe") == 0)
			c.probe = true;
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--deadline") == 0 && i + 1 < argc)
			deadline = (unsigned)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "engine-probe: bad option %s\n",
				argv[i]);
			return 2;
		}
	}
	if (threads < 1 || threads > 1000)
		threads = 1;
	eng = sts_source_net_new(&c, &src, why, sizeof(why)) == STS_OK
		      ? sts_engine_new(&c, &src, why, sizeof(why))
		      : NULL;
	if (eng == NULL) {
		fprintf(stderr, "engine-probe: %s\n", why);
		return 1;
	}
	for (; i < argc; i++) {
		if (strncmp(argv[i], "check:", 6) == 0 && parallel) {
			int k, n = 0;
			pthread_t *t;
			struct job *j;

			while (i + n < argc &&
			       strncmp(argv[i + n], "check:", 6) == 0)
				n++;
			t = calloc((size_t)n, sizeof(*t));
			j = calloc((size_t)n, sizeof(*j));
			if (t == NULL || j == NULL)
				return 2;
			for (k = 0; k < n; k++) {
				j[k].domain = argv[i + k] + 6;
				pthread_create(&t[k], NULL, run, &j[k]);
			}
			for (k = 0; k < n; k++) {
				pthread_join(t[k], NULL);
				print(&j[k]);
			}
			free(t);
			free(j);
			i += n - 1;
		} else if (strncmp(argv[i], "check:", 6) == 0) {
			check(argv[i] + 6, threads);
		} else if (strncmp(argv[i], "lookup:", 7) == 0) {
			sts_engine_lookup(eng, argv[i] + 7, deadline, &l);
			printf("lookup %s %s enforce=%d dane=%d\n", argv[i] + 7,
			       sts_status_str(l.status), l.enforce, l.dane);
			sts_policy_free(l.policy);
		} else if (strcmp(argv[i], "wait") == 0) {
			sts_engine_idle_wait(eng, 30000);
		} else if (strcmp(argv[i], "stats") == 0) {
			sts_engine_stats(eng, &st);
			printf("stats lookups=%llu hits=%llu txt=%llu "
			       "fetches=%llu failures=%llu mx=%llu "
			       "probes=%llu\n",
			       (unsigned long long)st.lookups,
			       (unsigned long long)st.hits,
			       (unsigned long long)st.txt_queries,
			       (unsigned long long)st.fetches,
			       (unsigned long long)st.fetch_failures,
			       (unsigned long long)st.mx_queries,
			       (unsigned long long)st.probes);
		} else {
			fprintf(stderr, "engine-probe: bad command %s\n",
				argv[i]);
		}
		fflush(stdout);
	}
	sts_engine_free(eng);
	return 0;
}
