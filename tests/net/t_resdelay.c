/*
 * tests/net/t_resdelay.c - RFC 8305 section 3 (Resolution Delay) in
 * sts_resolver_addrs_for_connect(): a name server that never answers AAAA
 * (or A) queries costs 50 ms, not the query timeout, when the addresses
 * are for a connection; sts_resolver_addrs_until() (the DANE judgement of
 * an address set) still waits for both families.  Hermetic: the name
 * server is a UDP socket in this process on 127.0.0.1, used as the
 * resolver's forwarder (nothing signed, so every answer is insecure):
 *   drop6-*  A 127.0.0.1, AAAA queries dropped
 *   drop4-*  AAAA ::1, A queries dropped
 *   both-*   both answered
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "../tap.h"
#include "fake_ns.h"
#include "sts_resolver.h"
#include "sts_sock.h"

#define TIMEOUT_MS 2000

/* Answer q (one question, of type qtype, ending at qend) with one record
 * of its own type, unless its name says to drop that type. */
static void
on_query(struct fake_ns *ns, unsigned char *q, size_t n, size_t qend,
	 unsigned qtype, const struct sockaddr *to, socklen_t tl)
{
	(void)n;
	if (q[12] < 5 || (qtype == 28 && memcmp(q + 13, "drop6", 5) == 0) ||
	    (qtype == 1 && memcmp(q + 13, "drop4", 5) == 0))
		return;
	fake_ns_answer_addr(ns, q, qend, qtype, to, tl);
}

/* Look name up; *ms = how long it took, *fam = the families found. */
static enum sts_status
lookup(struct sts_resolver *r, const char *name, bool connect, int64_t *ms,
       int *v4, int *v6)
{
	struct sts_resolver_addrs a;
	int64_t t0 = sts_now_ms();
	enum sts_status st;

	st = connect ? sts_resolver_addrs_for_connect(r, name, 443, 0, &a)
		     : sts_resolver_addrs_until(r, name, 443, 0, &a);
	*ms = sts_now_ms() - t0;
	*v4 = *v6 = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (a.addr[i].ss.ss_family == AF_INET)
			++*v4;
		else
			++*v6;
	}
	sts_resolver_addrs_clear(&a);
	return st;
}

int
main(void)
{
	struct fake_ns ns;
	struct sts_resolver_conf rc;
	struct sts_resolver *r = NULL;
	char why[STS_WHY_MAX];
	enum sts_status st;
	int64_t ms;
	int v4, v6;

	if (!ok(fake_ns_start(&ns, on_query, NULL),
		"fake name server on 127.0.0.1"))
		return tap_done();
	fake_ns_resolver_conf(&ns, &rc, TIMEOUT_MS);
	st = sts_resolver_new(&rc, &r, why, sizeof(why));
	if (!ok(st == STS_OK, "resolver with Forwarders %s%s%s", ns.fwd,
		st == STS_OK ? "" : ": ", st == STS_OK ? "" : why))
		goto out;

	st = lookup(r, "both-1.resdelay.example", true, &ms, &v4, &v6);
	ok(st == STS_OK && v4 == 1 && v6 == 1,
	   "both answered: one A and one AAAA (%d, %d)", v4, v6);

	st = lookup(r, "drop6-1.resdelay.example", true, &ms, &v4, &v6);
	ok(st == STS_OK && v4 == 1 && v6 == 0,
	   "AAAA never answered, for a connection: the A alone");
	ok(ms >= STS_RESOLVER_RESOLUTION_DELAY_MS - 10 && ms < TIMEOUT_MS / 2,
	   "... after the 50 ms Resolution Delay, not the %d ms timeout "
	   "(%lld ms)",
	   TIMEOUT_MS, (long long)ms);

	st = lookup(r, "drop4-1.resdelay.example", true, &ms, &v4, &v6);
	ok(st == STS_OK && v4 == 0 && v6 == 1 && ms < TIMEOUT_MS / 2,
	   "A never answered, for a connection: the AAAA alone, in %lld ms",
	   (long long)ms);

	/* the DANE judgement of a set must see both families: it waits
	 * until the AAAA query times out or libunbound gives up on it
	 * (Debian 12's libunbound: our 2 s; Debian 13's: its own retries end
	 * after ~1.5 s), far beyond the 50 ms */
	st = lookup(r, "drop6-2.resdelay.example", false, &ms, &v4, &v6);
	ok(st == STS_OK && v4 == 1 && v6 == 0 && ms >= 500,
	   "sts_resolver_addrs_until() waits for the AAAA to time out "
	   "(%lld ms)",
	   (long long)ms);
out:
	sts_resolver_free(r);
	fake_ns_stop(&ns);
	return tap_done();
}
