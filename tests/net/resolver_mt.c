/*
 * tests/net/resolver_mt.c - a lab helper for lab-net.sh (not a test on
 * its own): many threads share one struct sts_resolver (lib/net/sts_resolver.h
 * promises that this is safe) and the per-query deadline holds against a
 * DNS server that never answers.
 *
 *   resolver_mt LAB_UNBOUND_CONF SILENT_CONF
 * prints one line per check: "PASS name" or "FAIL name: detail".
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "sts_resolver.h"
#include "sts_sock.h"

#define THREADS 8
#define ROUNDS 10

struct job {
	struct sts_resolver *r;
	int bad;
	char detail[2 * STS_WHY_MAX];
};

static void *
worker(void *arg)
{
	struct job *j = arg;

	for (int i = 0; i < ROUNDS; i++) {
		struct sts_resolver_txt t;
		struct sts_resolver_mx m;
		struct sts_resolver_txt b;

		sts_resolver_txt(j->r, "_mta-sts.example-enforce.test", &t);
		if (t.meta.status != STS_OK || t.n != 1 ||
		    t.meta.dnssec != STS_DNSSEC_SECURE ||
		    strncmp(t.rr[0].data, "v=STSv1;", 8) != 0) {
			j->bad++;
			snprintf(j->detail, sizeof(j->detail), "TXT: %s %s",
				 sts_status_str(t.meta.status), t.meta.why);
		}
		sts_resolver_txt_clear(&t);
		sts_resolver_mx(j->r, "example-enforce.test", &m);
		if (m.meta.status != STS_OK || m.n != 1 ||
		    strcmp(m.mx[0].name, "mx.example-enforce.test") != 0) {
			j->bad++;
			snprintf(j->detail, sizeof(j->detail), "MX: %s %s",
				 sts_status_str(m.meta.status), m.meta.why);
		}
		sts_resolver_mx_clear(&m);
		sts_resolver_txt(j->r, "_mta-sts.example-bogus.test", &b);
		if (b.meta.status != STS_BOGUS || b.n != 0) {
			j->bad++;
			snprintf(j->detail, sizeof(j->detail),
				 "bogus TXT: %s n=%zu",
				 sts_status_str(b.meta.status), b.n);
		}
		sts_resolver_txt_clear(&b);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sts_resolver_conf rc = {.trust_anchor_file = ""};
	struct sts_resolver *r;
	struct job jobs[THREADS];
	pthread_t th[THREADS];
	char why[STS_WHY_MAX];
	int bad = 0, late = 0;
	int64_t t0, el;
	const char *detail = "";

	if (argc != 3) {
		fprintf(stderr, "usage: %s UNBOUND_CONF SILENT_CONF\n",
			argv[0]);
		return 64;
	}
	rc.unbound_conf = argv[1];
	rc.timeout_ms = 3000;
	if (sts_resolver_new(&rc, &r, why, sizeof(why)) != STS_OK) {
		printf("FAIL resolver: %s\n", why);
		return 1;
	}
	for (int i = 0; i < THREADS; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].r = r;
		pthread_create(&th[i], NULL, worker, &jobs[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		bad += jobs[i].bad;
		if (jobs[i].bad)
			detail = jobs[i].detail;
	}
	sts_resolver_free(r);
	if (bad)
		printf("FAIL %d threads x %d rounds share one resolver: %d bad"
		       " answers (%s)\n",
		       THREADS, ROUNDS, bad, detail);
	else
		printf("PASS %d threads x %d rounds share one resolver\n",
		       THREADS, ROUNDS);

	/* the deadline against a server that never answers */
	rc.unbound_conf = argv[2];
	rc.timeout_ms = 400;
	if (sts_resolver_new(&rc, &r, why, sizeof(why)) != STS_OK) {
		printf("FAIL silent resolver: %s\n", why);
		return 1;
	}
	for (int i = 0; i < THREADS; i++) {
		struct sts_resolver_txt t;

		t0 = sts_now_ms();
		sts_resolver_txt(r, "_mta-sts.example-enforce.test", &t);
		el = sts_now_ms() - t0;
		/* never past the deadline (plus scheduling slack); earlier
		 * is fine: with infra-cache-max-rtt at the DNS timeout
		 * (sts_resolver.c) libunbound may give a silent server up
		 * and answer SERVFAIL before our deadline */
		if (t.meta.status != STS_TEMPFAIL || el > 700) {
			if (late++ == 0)
				snprintf(jobs[0].detail, sizeof(jobs[0].detail),
					 "query %d: %s after %lld ms (%s)", i,
					 sts_status_str(t.meta.status),
					 (long long)el, t.meta.why);
		}
		sts_resolver_txt_clear(&t);
	}
	if (late == 0)
		printf("PASS silent server: tempfail by the 400 ms deadline, "
		       "%d times in a row\n",
		       THREADS);
	else
		printf("FAIL silent server: %d of %d queries not cut off at "
		       "the 400 ms deadline; %s\n",
		       late, THREADS, jobs[0].detail);
	sts_resolver_free(r);
	return 0;
}
