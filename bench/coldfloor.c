/*
 * bench/coldfloor.c - the floor under a cold policy lookup: what the
 * library's own calls cost when nothing else runs (issue 20 item 1).
 *
 *   coldfloor -u UNBOUND_CONF -T TRUST_ANCHOR -C CA_FILE [-t MS]
 *             [-f auto|all|ipv4|ipv6] DOMAIN...
 *
 * One process, one thread, one resolver and one TLS context, as in the
 * daemon.  For each DOMAIN in turn (the first with every cache empty, the
 * next ones in a running process: the same order as bench/run's cold
 * path):
 *   txt    sts_resolver_txt() of _mta-sts.DOMAIN (DNSSEC-validated by
 *          libunbound in this process, as the daemon does)
 *   fetch  sts_fetch_policy(): the policy host's addresses (-f: the
 *          families asked, default auto as the daemon's AddressFamilies),
 *          connect, TLS handshake, PKIX (with the verified-chain memo),
 *          HTTPS GET, parse
 *   hs     one more sts_tls_open() (connect, handshake, PKIX) to the
 *          policy host, its addresses now in libunbound's cache, timed
 *          alone (not part of the floor): mbedTLS's share
 * and prints
 *   FLOOR n=I domain=D ms=TXT+FETCH txt_ms=.. fetch_ms=.. hs_ms=.. hs_cpu_ms=..
 * (n=1 is "first", the others "next").  The daemon's engine (queues,
 * worker threads, the MX/TLSA state a map answer needs, single flight)
 * is not here: ours / floor in bench/run is the engine's cost, floor /
 * peer the bound that mbedTLS and in-process validation set.
 * Exit status 1 when a domain's TXT or fetch failed.
 *
 * Not part of the product.  It connects only where the lab's DNS points;
 * bench/run runs it inside the lab's network namespace.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "sts_fetch.h"
#include "sts_resolver.h"
#include "sts_sock.h"
#include "sts_tls.h"
#include "sts_tls_open.h"

static double
ms_since(uint64_t t0)
{
	return (double)(bu_now_ns() - t0) / 1e6;
}

/* One sts_tls_open() to host (its addresses cached by the fetch just
 * before); ms, or -1. */
static double
handshake_alone(struct sts_resolver *r, struct sts_tls *t, const char *host,
		unsigned timeout_ms, double *cpu)
{
	struct sts_resolver_addrs a;
	struct sts_tls_opened o;
	char why[STS_WHY_MAX];
	double ms = -1;
	uint64_t t0, c0;

	/* the addresses are cached now: this costs a cache hit, not DNS */
	if (sts_resolver_addrs(r, host, 443, &a) != STS_OK) {
		sts_resolver_addrs_clear(&a);
		return -1;
	}
	c0 = bu_cpu_ns();
	t0 = bu_now_ns();
	if (sts_tls_open(t, &a, host, timeout_ms, sts_now_ms() + timeout_ms, &o,
			 why, sizeof(why)) == STS_OK) {
		ms = ms_since(t0);
		*cpu = (double)(bu_cpu_ns() - c0) / 1e6;
		sts_tls_open_close(&o, true);
	} else {
		fprintf(stderr, "coldfloor: %s: handshake: %s\n", host, why);
	}
	sts_resolver_addrs_clear(&a);
	return ms;
}

int
main(int argc, char **argv)
{
	struct sts_resolver_conf rc = {0};
	struct sts_resolver *r = NULL;
	struct sts_tls *t = NULL;
	struct sts_fetch_conf fc = {0};
	const char *ca = NULL;
	char why[STS_WHY_MAX];
	unsigned timeout_ms = 5000;
	int c, i, rc_exit = 0;

	rc.families = STS_AF_AUTO; /* the daemon's default */
	while ((c = getopt(argc, argv, "u:T:C:t:f:")) != -1) {
		switch (c) {
		case 'u':
			rc.unbound_conf = optarg;
			break;
		case 'T':
			rc.trust_anchor_file = optarg;
			break;
		case 'C':
			ca = optarg;
			break;
		case 't':
			timeout_ms = (unsigned)bu_num(optarg, 100, 60000, "-t");
			break;
		case 'f':
			if (sts_af_parse(optarg, &rc.families) != STS_OK)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc || ca == NULL)
		goto usage;
	rc.timeout_ms = timeout_ms;
	fc.timeout_ms = timeout_ms;
	if (sts_resolver_new(&rc, &r, why, sizeof(why)) != STS_OK ||
	    sts_tls_new(ca, &t, why, sizeof(why)) != STS_OK) {
		fprintf(stderr, "coldfloor: %s\n", why);
		return 2;
	}
	for (i = optind; i < argc; i++) {
		struct sts_resolver_txt txt;
		struct sts_fetch_result res;
		char name[STS_DOMAIN_BUFSZ + 16];
		double txt_ms, fetch_ms, hs_ms, hs_cpu = 0;
		uint64_t t0;

		snprintf(name, sizeof(name), "_mta-sts.%s", argv[i]);
		t0 = bu_now_ns();
		sts_resolver_txt(r, name, &txt);
		txt_ms = ms_since(t0);
		if (txt.meta.status != STS_OK) {
			fprintf(stderr, "coldfloor: %s: TXT: %s\n", name,
				txt.meta.why);
			sts_resolver_txt_clear(&txt);
			rc_exit = 1;
			continue;
		}
		sts_resolver_txt_clear(&txt);
		t0 = bu_now_ns();
		sts_fetch_policy(r, t, argv[i], &fc, &res);
		fetch_ms = ms_since(t0);
		if (res.status != STS_OK) {
			fprintf(stderr, "coldfloor: %s: fetch: %s\n", argv[i],
				res.why);
			sts_fetch_result_clear(&res);
			rc_exit = 1;
			continue;
		}
		hs_ms = handshake_alone(r, t, res.host, timeout_ms, &hs_cpu);
		printf("FLOOR n=%d domain=%s ms=%.3f txt_ms=%.3f fetch_ms=%.3f "
		       "hs_ms=%.3f hs_cpu_ms=%.3f tls=%s\n",
		       i - optind + 1, argv[i], txt_ms + fetch_ms, txt_ms,
		       fetch_ms, hs_ms, hs_cpu, res.tls_version);
		fflush(stdout);
		sts_fetch_result_clear(&res);
	}
	sts_tls_free(t);
	sts_resolver_free(r);
	return rc_exit;
usage:
	fprintf(stderr, "usage: coldfloor -u UNBOUND_CONF -T TRUST_ANCHOR -C "
			"CA_FILE [-t MS] [-f auto|all|ipv4|ipv6] DOMAIN...\n");
	return 2;
}
