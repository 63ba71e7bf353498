/*
 * test_nexthop.c - the engine's next-hop cache: a warm check or lookup
 * makes no source call at all (no MX, TLSA or probe), next-hop state
 * expires with its TTL (bogus and temporary failures after 30 s), probe
 * results are kept per MX host for probe_cache_ttl, BOGUS / TEMPFAIL /
 * NOTFOUND stay distinct when answered from the cache, and concurrent
 * callers share one MX lookup (single-flight).
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
#include "sts_mapreply.h"
#include "sts_source.h"

#define POL(mode, mx)                                                          \
	"version: STSv1\r\nmode: " mode "\r\nmx: " mx "\r\nmax_age: "          \
	"604800\r\n"

/* all source calls so far */
static unsigned
calls(struct scripted *s, const char *dom)
{
	unsigned mx, tlsa, probe;

	scripted_next_hop_calls(s, &mx, &tlsa, &probe);
	return mx + tlsa + probe + scripted_discovers(s, dom) +
	       scripted_fetches(s, dom);
}

static unsigned
mx_calls(struct scripted *s)
{
	unsigned mx, tlsa, probe;

	scripted_next_hop_calls(s, &mx, &tlsa, &probe);
	return mx;
}

static unsigned
probe_calls(struct scripted *s)
{
	unsigned mx, tlsa, probe;

	scripted_next_hop_calls(s, &mx, &tlsa, &probe);
	return probe;
}

static struct sts_answer
chk(struct sts_engine *e, const char *d)
{
	struct sts_answer a;

	sts_engine_check(e, d, NULL, 3000, &a);
	sts_engine_idle_wait(e, 5000);
	return a;
}

struct job {
	struct sts_engine *e;
	struct sts_answer a;
};

static void *
run(void *arg)
{
	struct job *j = arg;

	sts_engine_check(j->e, "sf.test", NULL, 5000, &j->a);
	return NULL;
}

int
main(void)
{
	struct scripted *s = scripted_new();
	struct sts_source src = scripted_source(s);
	struct sts_engine_conf c;
	struct sts_engine *e;
	struct sts_answer a, b;
	struct sts_lookup l;
	char why[STS_WHY_MAX];
	unsigned n, i, agree;
	pthread_t t[8];
	struct job j[8];
	struct timespec t0, t1;
	long ms;

	sts_engine_conf_defaults(&c);
	c.workers = 2;
	c.probe = true;
	c.probe_cache_ttl = 600;
	c.save_interval = 0;
	c.sweep_interval = 0;
	c.now = scripted_clock;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	ok(e != NULL, "engine, probing on (%s)", e ? "ok" : why);
	if (e == NULL)
		return tap_done();

	/* warm path: no source call at all */
	scripted_set(s, "w.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.w.test"));
	scripted_mx(s, "w.test", STS_OK, STS_SRC_SECURE, "mx.w.test", false,
		    false);
	a = chk(e, "w.test");
	is_str(sts_reason_str(a.reason), "satisfied", "cold: satisfied");
	ok(probe_calls(s) == 1, "cold: the MX host was probed once");
	n = calls(s, "w.test");
	a = chk(e, "w.test");
	is_str(sts_reason_str(a.reason), "satisfied", "warm: satisfied");
	is_int(calls(s, "w.test") - n, 0,
	       "warm check: no DNS, no fetch, no probe (zero source calls)");
	sts_engine_lookup(e, "w.test", 3000, &l);
	ok(l.status == STS_OK && l.enforce, "warm lookup: enforce policy");
	sts_policy_free(l.policy);
	is_int(calls(s, "w.test") - n, 0, "warm lookup: zero source calls");

	/* next-hop state lives for its TTL (unknown: 300 s), probes 600 s */
	scripted_advance(200);
	(void)chk(e, "w.test");
	is_int(mx_calls(s), 1, "200 s later: next-hop state still cached");
	scripted_advance(101);
	(void)chk(e, "w.test");
	is_int(mx_calls(s), 2, "after the TTL: MX looked up again");
	is_int(probe_calls(s), 1, "probe result still cached (600 s)");
	scripted_advance(300);
	(void)chk(e, "w.test");
	is_int(probe_calls(s), 2, "after probe_cache_ttl: probed again");

	/* BOGUS, TEMPFAIL, NOTFOUND kept apart, failures kept 30 s only */
	scripted_set(s, "bog.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.bog.test"));
	scripted_mx(s, "bog.test", STS_OK, STS_SRC_BOGUS, "mx.bog.test", false,
		    false);
	scripted_set(s, "tmp.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.tmp.test"));
	scripted_mx(s, "tmp.test", STS_TEMPFAIL, STS_SRC_INSECURE, "", false,
		    false);
	scripted_set(s, "nx.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.nx.test"));
	scripted_mx(s, "nx.test", STS_NOTFOUND, STS_SRC_INSECURE, "", false,
		    false);
	a = chk(e, "bog.test");
	n = mx_calls(s);
	b = chk(e, "bog.test");
	ok(a.reason == STS_REASON_DNSSEC_BOGUS && b.reason == a.reason &&
		   b.verdict == STS_VERDICT_DEFER,
	   "bogus MX: dnssec-bogus, also from the cache (%s)",
	   sts_reason_str(b.reason));
	a = chk(e, "tmp.test");
	b = chk(e, "tmp.test");
	ok(a.reason == STS_REASON_TEMPFAIL && b.reason == a.reason,
	   "tempfail MX: tempfail, also from the cache (%s)",
	   sts_reason_str(b.reason));
	a = chk(e, "nx.test");
	b = chk(e, "nx.test");
	ok(b.reason == a.reason && strstr(b.why, "notfound") != NULL,
	   "NXDOMAIN MX: kept as NOTFOUND (%s)", b.why);
	is_int(mx_calls(s) - n, 2,
	       "second checks answered from the cache (one MX query each "
	       "for tmp and nx)");
	scripted_advance(31);
	n = mx_calls(s);
	(void)chk(e, "bog.test");
	(void)chk(e, "tmp.test");
	(void)chk(e, "nx.test");
	is_int(mx_calls(s) - n, 2,
	       "31 s later: bogus and tempfail looked up again, NXDOMAIN not");

	/* single flight: 8 callers of a cold domain, one MX query */
	scripted_set(s, "sf.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.sf.test"));
	scripted_delay(s, 200);
	n = mx_calls(s);
	for (i = 0; i < 8; i++) {
		j[i].e = e;
		pthread_create(&t[i], NULL, run, &j[i]);
	}
	for (agree = 0, i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		agree += j[i].a.reason == STS_REASON_SATISFIED;
	}
	scripted_delay(s, 0);
	sts_engine_idle_wait(e, 5000);
	is_int(agree, 8, "8 concurrent cold checks: all satisfied");
	is_int(mx_calls(s) - n, 1, "8 concurrent cold checks: one MX query");
	is_int(scripted_fetches(s, "sf.test"), 1, "and one fetch");

	/* cold path: MX gathered while the policy is fetched.  With every
	 * source call taking 100 ms, TXT -> fetch -> MX in series is 300 ms;
	 * TXT -> (fetch || MX) is 200 ms. */
	scripted_set(s, "lat.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.lat.test"));
	scripted_probe(s, "mx.lat.test", STS_PROBE_OK, STS_RPT_NONE);
	scripted_delay(s, 100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sts_engine_check(e, "lat.test", NULL, 5000, &a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	scripted_delay(s, 0);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ok(a.reason == STS_REASON_SATISFIED && ms < 280,
	   "cold check, 100 ms per source call: %ld ms (MX looked up "
	   "during the fetch: ~200 ms; in series: 300 ms)",
	   ms);
	sts_engine_idle_wait(e, 5000);

	/* a first lookup through the map door probes nothing ahead: the map
	 * never uses a probe, and one beside the fetch only competes with
	 * the fetch's TLS handshake for the CPU (bench/analysis.md, cold
	 * path); the recipient door's first check then probes */
	scripted_set(s, "mapfirst.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.mapfirst.test"));
	scripted_mx(s, "mapfirst.test", STS_OK, STS_SRC_SECURE,
		    "mx.mapfirst.test", false, false);
	scripted_probe(s, "mx.mapfirst.test", STS_PROBE_OK, STS_RPT_NONE);
	n = probe_calls(s);
	sts_engine_lookup(e, "mapfirst.test", 3000, &l);
	sts_engine_idle_wait(e, 5000);
	ok(l.status == STS_OK && l.enforce, "map door, first lookup: enforce");
	sts_policy_free(l.policy);
	is_int(probe_calls(s) - n, 0, "map door, first lookup: no probe ahead");
	a = chk(e, "mapfirst.test");
	ok(a.reason == STS_REASON_SATISFIED && probe_calls(s) - n == 1,
	   "recipient door then: satisfied, the MX probed once (%u)",
	   probe_calls(s) - n);

	/* issue 14 item 6: mixed DANE (one MX with usable TLSA, one
	 * without) is still DANE for the map (dane-only), flagged */
	scripted_set(s, "mix.test", STS_OK, "1", STS_OK,
		     POL("enforce", "*.mix.test"));
	scripted_mx(s, "mix.test", STS_OK, STS_SRC_SECURE,
		    "a.mix.test,b.mix.test", false, false);
	scripted_tlsa(s, "a.mix.test", STS_DANE_USABLE);
	(void)chk(e, "mix.test");
	sts_engine_lookup(e, "mix.test", 3000, &l);
	ok(l.status == STS_OK && l.dane && l.dane_mixed,
	   "mixed DANE: dane (dane-only), dane_mixed set (%s)", l.why);
	sts_policy_free(l.policy);
	scripted_set(s, "alldane.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.alldane.test"));
	scripted_mx(s, "alldane.test", STS_OK, STS_SRC_SECURE,
		    "mx.alldane.test", false, false);
	scripted_tlsa(s, "mx.alldane.test", STS_DANE_USABLE);
	(void)chk(e, "alldane.test");
	sts_engine_lookup(e, "alldane.test", 3000, &l);
	ok(l.dane && !l.dane_mixed, "every MX with TLSA: dane, not mixed");
	sts_policy_free(l.policy);

	/* issue 14 item 1: a "[host]" next hop is its own MX: no MX query,
	 * its own TLSA decides */
	scripted_set(s, "relay.test", STS_OK, "1", STS_OK,
		     POL("enforce", "relay.test"));
	scripted_tlsa(s, "relay.test", STS_DANE_USABLE);
	(void)chk(e, "relay.test");
	n = mx_calls(s);
	sts_engine_lookup_hop(e, "relay.test", true, 3000, &l);
	ok(l.status == STS_OK && l.enforce && l.dane,
	   "[relay.test]: enforce policy, DANE from the host's own TLSA");
	is_int(mx_calls(s) - n, 0, "[relay.test]: no MX query");
	sts_policy_free(l.policy);

	/* issue 13 item 4: a bogus or failed TLSA lookup at an MX of a
	 * secure MX set is a failing DANE validation; the map must not
	 * answer "secure match=" (RFC 8461 section 2) but TEMP, as the
	 * milter defers; usable TLSA stays dane-only */
	{
		static const struct {
			const char *dom, *mx, *want;
			enum sts_dane_state d;
		} dc[] = {
			{"tb.test", "mx.tb.test", "TEMP ", STS_DANE_BOGUS},
			{"tt.test", "mx.tt.test", "TEMP ", STS_DANE_TEMPFAIL},
			{"tu.test", "mx.tu.test", "OK dane-only",
			 STS_DANE_USABLE},
			{"tn.test", "mx.tn.test", "OK secure match=mx.tn.test",
			 STS_DANE_NONE},
		};
		char rep[512];

		for (i = 0; i < sizeof(dc) / sizeof(dc[0]); i++) {
			scripted_set(s, dc[i].dom, STS_OK, "1", STS_OK,
				     dc[i].d == STS_DANE_BOGUS
					     ? POL("enforce", "mx.tb.test")
				     : dc[i].d == STS_DANE_TEMPFAIL
					     ? POL("enforce", "mx.tt.test")
				     : dc[i].d == STS_DANE_USABLE
					     ? POL("enforce", "mx.tu.test")
					     : POL("enforce", "mx.tn.test"));
			scripted_mx(s, dc[i].dom, STS_OK, STS_SRC_SECURE,
				    dc[i].mx, false, false);
			scripted_tlsa(s, dc[i].mx, dc[i].d);
			(void)chk(e, dc[i].dom); /* fetch the policy */
			sts_engine_lookup(e, dc[i].dom, 3000, &l);
			sts_mapreply_format(&l, NULL, rep, sizeof(rep));
			ok(strncmp(rep, dc[i].want, strlen(dc[i].want)) == 0,
			   "map, %s TLSA at a secure MX: %s (%s)",
			   sts_dane_state_str(dc[i].d), rep, l.why);
			a = chk(e, dc[i].dom);
			ok(a.have_policy && a.mode == STS_MODE_ENFORCE,
			   "milter, %s TLSA: %s, mode %s logged",
			   sts_dane_state_str(dc[i].d),
			   sts_verdict_str(a.verdict), sts_mode_str(a.mode));
			sts_policy_free(l.policy);
		}
	}

	sts_engine_free(e);
	scripted_free(s);
	return tap_done();
}
