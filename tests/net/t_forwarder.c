/*
 * tests/net/t_forwarder.c - issue [harden] 7: with Forwarders, a flood of
 * names the forwarder never answers must not make libunbound mark the
 * forwarder down for long (it used to: every lookup then failed for about
 * 90 s).  Hermetic: the forwarder is a UDP socket in this process on
 * 127.0.0.1 that answers NXDOMAIN for names starting with "ok" and drops
 * every other query.  After the flood, names it answers must resolve
 * again within 20 s (measured: 9 s; with libunbound's own settings,
 * T_FORWARDER_DEFAULTS=1, the forwarder stays down for minutes:
 * T_FORWARDER_WAIT=SECS waits longer).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../tap.h"
#include "fake_ns.h"
#include "sts_resolver.h"

#define FLOOD_THREADS 24
#define FLOOD_EACH 3

static atomic_uint dropped;

/* The forwarder: NXDOMAIN for "ok*", silence for the rest. */
static void
on_query(struct fake_ns *ns, unsigned char *q, size_t n, size_t qend,
	 unsigned qtype, const struct sockaddr *from, socklen_t fl)
{
	(void)n;
	(void)qtype;
	/* question name starts at 12: first label length, then text */
	if (q[12] < 2 || memcmp(q + 13, "ok", 2) != 0) {
		atomic_fetch_add(&dropped, 1);
		return;
	}
	q[2] = 0x81 | (q[2] & 0x78); /* QR, opcode kept, RD */
	q[3] = 0x83;		     /* RA, NXDOMAIN */
	memset(q + 6, 0, 6);	     /* no answer/authority/additional */
	/* cut after the question: name, type, class */
	sendto(ns->fd, q, qend, 0, from, fl);
}

struct flood {
	struct sts_resolver *r;
	int id;
};

static void *
flood_main(void *arg)
{
	struct flood *f = arg;
	struct sts_resolver_txt a;
	char name[64];

	for (int i = 0; i < FLOOD_EACH; i++) {
		snprintf(name, sizeof(name), "drop-%d-%d.harden.example", f->id,
			 i);
		sts_resolver_txt(f->r, name, &a);
		sts_resolver_txt_clear(&a);
	}
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Ask "okN.test" until it comes back NOTFOUND or secs pass. */
static int
answered_within(struct sts_resolver *r, int n, double secs, double *took)
{
	struct sts_resolver_txt a;
	double t0 = now_s();
	char name[64];
	enum sts_status st;

	do {
		snprintf(name, sizeof(name), "ok%d-%.0f.harden.example", n,
			 now_s() * 10);
		st = sts_resolver_txt(r, name, &a);
		sts_resolver_txt_clear(&a);
		*took = now_s() - t0;
		if (st == STS_NOTFOUND)
			return 1;
	} while (*took < secs);
	return 0;
}

int
main(void)
{
	struct fake_ns ns;
	struct sts_resolver_conf rc;
	struct sts_resolver *r = NULL;
	struct flood f[FLOOD_THREADS];
	pthread_t ft[FLOOD_THREADS];
	char why[STS_WHY_MAX];
	double took = 0, recover_s = getenv("T_FORWARDER_WAIT")
					     ? atof(getenv("T_FORWARDER_WAIT"))
					     : 20;
	int i;

	/* T_FORWARDER_DEFAULTS=1: libunbound's own infra settings, to see
	 * the outage the daemon's settings avoid */
	if (!ok(fake_ns_start(&ns, on_query,
			      getenv("T_FORWARDER_DEFAULTS") != NULL
				      ? "\tinfra-keep-probing: no\n"
					"\tinfra-host-ttl: 900\n"
					"\tinfra-cache-max-rtt: 120000\n"
				      : NULL),
		"fake forwarder on 127.0.0.1"))
		return tap_done();
	fake_ns_resolver_conf(&ns, &rc, 1000);
	if (!ok(sts_resolver_new(&rc, &r, why, sizeof(why)) == STS_OK,
		"resolver with Forwarders %s (%s)", ns.fwd,
		r == NULL ? why : "ok"))
		goto out;
	i = answered_within(r, 1, 3, &took);
	ok(i, "before: ok1 answered (%.2f s)", took);
	for (i = 0; i < FLOOD_THREADS; i++) {
		f[i].r = r;
		f[i].id = i;
		pthread_create(&ft[i], NULL, flood_main, &f[i]);
	}
	for (i = 0; i < FLOOD_THREADS; i++)
		pthread_join(ft[i], NULL);
	ok(atomic_load(&dropped) > 0, "flood: %u queries never answered",
	   atomic_load(&dropped));
	i = answered_within(r, 2, recover_s, &took);
	ok(i, "after the flood: the forwarder is used again (%.2f s)", took);
out:
	sts_resolver_free(r);
	fake_ns_stop(&ns);
	return tap_done();
}
