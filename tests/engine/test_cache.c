/*
 * test_cache.c - the engine's RFC 8461 cache rules (checklist E), with
 * the scripted source and an injected clock: cold fetch, hits, id
 * unchanged/changed, failed and invalid fetches, vanished TXT, mode
 * none, expiry, proactive refresh with jitter, backoff, negative TTL,
 * TEMPFAIL/NOTFOUND/BOGUS kept apart, pending with a deadline, LRU,
 * relayhost, overrides through the engine, the delivery-time lookup.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "scripted.h"
#include "sts_engine.h"
#include "sts_source.h"

static time_t fake_now = 1700000000;

static time_t
clock_fn(void *arg)
{
	(void)arg;
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

static void
advance(time_t s)
{
	__atomic_add_fetch(&fake_now, s, __ATOMIC_SEQ_CST);
}

#define POL(mode, mx, age)                                                     \
	"version: STSv1\r\nmode: " mode "\r\nmx: " mx "\r\nmax_age: " age "\r" \
	"\n"

static struct sts_engine *
mk(struct scripted *s, size_t max, const char *relay, const char *ovfile)
{
	struct sts_engine_conf c;
	struct sts_source src = scripted_source(s);
	char why[STS_WHY_MAX];
	struct sts_engine *e;

	sts_engine_conf_defaults(&c);
	c.workers = 2;
	c.negative_ttl = 60;
	c.failure_backoff = 300;
	c.recheck = 900;
	c.save_interval = 0;
	c.sweep_interval = 0;
	c.cache_max = max;
	c.relayhost = relay;
	c.override_file = ovfile;
	c.now = clock_fn;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	if (e == NULL)
		printf("# engine: %s\n", why);
	return e;
}

static struct sts_engine_stats
stats(struct sts_engine *e)
{
	struct sts_engine_stats st;

	sts_engine_stats(e, &st);
	return st;
}

/* check with a generous deadline, then let background work finish */
static struct sts_answer
chk(struct sts_engine *e, const char *d, unsigned dl)
{
	struct sts_answer a;

	sts_engine_check(e, d, "someone@sender.test", dl, &a);
	sts_engine_idle_wait(e, 5000);
	return a;
}

static void
rfc_rules(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine *e = mk(s, 1000, NULL, NULL);
	struct sts_answer a;
	struct sts_engine_stats st;

	ok(e != NULL, "engine with scripted source");
	scripted_set(s, "a.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.a.test", "86400"));

	/* cold: one discovery, one fetch, waited for */
	a = chk(e, "A.Test.", 3000);
	is_str(sts_verdict_str(a.verdict), "pass", "cold enforce: pass");
	is_str(sts_reason_str(a.reason), "satisfied", "cold: satisfied");
	is_str(a.domain, "a.test", "domain normalised");
	is_int(scripted_discovers(s, "a.test"), 1, "cold: one discovery");
	is_int(scripted_fetches(s, "a.test"), 1, "cold: one fetch");
	ok(a.have_policy && a.mode == STS_MODE_ENFORCE, "policy enforce");

	/* warm: answered from cache, nothing queried */
	st = stats(e);
	a = chk(e, "a.test", 1000);
	is_str(sts_reason_str(a.reason), "satisfied", "warm: satisfied");
	is_int(stats(e).hits, st.hits + 1, "warm: a cache hit");
	is_int(scripted_discovers(s, "a.test"), 1, "warm: no discovery");

	/* E2: recheck interval passed, same id: TXT query, no fetch */
	advance(901);
	a = chk(e, "a.test", 1000);
	is_str(sts_reason_str(a.reason), "satisfied", "recheck: cache used");
	is_int(scripted_discovers(s, "a.test"), 2, "recheck: TXT queried");
	is_int(scripted_fetches(s, "a.test"), 1, "same id: no fetch (E2)");

	/* E2: id changed: fetch, new policy replaces */
	scripted_set(s, "a.test", STS_OK, "2", STS_OK,
		     POL("testing", "mx.other.test", "86400"));
	advance(901);
	a = chk(e, "a.test", 1000);
	is_str(sts_reason_str(a.reason), "satisfied",
	       "id changed: old policy answers meanwhile");
	is_int(scripted_fetches(s, "a.test"), 2, "id changed: fetched (E2)");
	a = chk(e, "a.test", 1000);
	ok(a.mode == STS_MODE_TESTING, "id changed: new policy in use");
	is_str(sts_verdict_str(a.verdict), "tag",
	       "testing + MX mismatch: tag, never defer");
	is_str(sts_rpt_str(a.rpt), "validation-failure", "rpt type");

	/* E3: failed fetch never replaces */
	scripted_set(s, "a.test", STS_OK, "3", STS_TEMPFAIL, NULL);
	advance(901);
	chk(e, "a.test", 1000);
	is_int(scripted_fetches(s, "a.test"), 3, "id 3: fetch attempted");
	a = chk(e, "a.test", 1000);
	ok(a.mode == STS_MODE_TESTING, "failed fetch: cached policy kept (E3)");
	is_int(stats(e).fetch_failures, 1, "fetch failure counted");

	/* C8: backoff, no new attempt within failure_backoff */
	advance(100); /* recheck due, but only 100 s after the failure */
	a = chk(e, "a.test", 1000);
	is_int(scripted_discovers(s, "a.test"), 4,
	       "backoff: no new attempt 100 s after a failure");
	advance(201); /* 301 s after */
	chk(e, "a.test", 1000);
	is_int(scripted_discovers(s, "a.test"), 5,
	       "backoff over: attempt again");

	/* E3: invalid policy never replaces */
	scripted_set(s, "a.test", STS_OK, "4", STS_OK, "version: STSv2\n");
	advance(1201);
	chk(e, "a.test", 1000);
	a = chk(e, "a.test", 1000);
	ok(a.mode == STS_MODE_TESTING, "invalid policy: cached kept (E3)");

	/* E3: vanished TXT never replaces */
	scripted_set(s, "a.test", STS_NOTFOUND, NULL, STS_OK, NULL);
	advance(1201);
	chk(e, "a.test", 1000);
	a = chk(e, "a.test", 1000);
	ok(a.mode == STS_MODE_TESTING && a.have_policy,
	   "vanished TXT: cached kept until expiry (E3)");
	/* TXT lookup TEMPFAIL or BOGUS: kept as well */
	scripted_set(s, "a.test", STS_TEMPFAIL, NULL, STS_OK, NULL);
	advance(1201);
	chk(e, "a.test", 1000);
	a = chk(e, "a.test", 1000);
	ok(a.mode == STS_MODE_TESTING, "TXT tempfail: cached kept");

	/* E4: mode none replaces at once */
	scripted_set(s, "a.test", STS_OK, "5", STS_OK,
		     "version: STSv1\nmode: none\nmax_age: 86400\n");
	advance(1201);
	chk(e, "a.test", 1000);
	a = chk(e, "a.test", 1000);
	is_str(sts_reason_str(a.reason), "mode-none",
	       "fetched mode none replaces at once (E4)");
	is_str(sts_verdict_str(a.verdict), "pass", "mode none: pass");

	sts_engine_free(e);
	scripted_free(s);
}

static void
expiry_refresh(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine *e = mk(s, 1000, NULL, NULL);
	struct sts_answer a;
	struct sts_lookup l;
	size_t q;

	/* expiry: a policy past max_age is no policy */
	scripted_set(s, "b.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.b.test", "3600"));
	a = chk(e, "b.test", 3000);
	is_str(sts_reason_str(a.reason), "satisfied", "b: fetched");
	scripted_set(s, "b.test", STS_TEMPFAIL, NULL, STS_OK, NULL);
	advance(3601);
	a = chk(e, "b.test", 3000);
	ok(!a.have_policy, "expired: no policy");
	is_str(sts_reason_str(a.reason), "tempfail",
	       "expired + TXT tempfail: tempfail");
	is_str(sts_verdict_str(a.verdict), "tag", "temp error: accept + tag");

	/* E5: proactive refresh before expiry, with jitter */
	scripted_set(s, "c.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.c.test", "86400"));
	a = chk(e, "c.test", 3000);
	is_int(scripted_fetches(s, "c.test"), 1, "c: fetched");
	advance(43200 * 9 / 10 - 1); /* before the earliest jittered time */
	q = sts_engine_maintain(e);
	sts_engine_idle_wait(e, 5000);
	is_int(scripted_fetches(s, "c.test"), 1, "no refresh before due");
	advance(43200 / 10 + 2); /* past max_age/2: due whatever jitter */
	q = sts_engine_maintain(e);
	sts_engine_idle_wait(e, 5000);
	ok(q >= 1, "sweep queued the due refresh");
	is_int(scripted_fetches(s, "c.test"), 2, "proactive refresh fetched");
	advance(43200 + 10); /* past the first fetch's expiry */
	a = chk(e, "c.test", 1000);
	ok(a.have_policy && a.reason == STS_REASON_SATISFIED,
	   "refreshed policy outlives the first expiry");

	/* negative entries */
	a = chk(e, "n.test", 3000);
	is_str(sts_reason_str(a.reason), "no-policy", "NOTFOUND: no policy");
	is_str(sts_verdict_str(a.verdict), "pass", "no policy: pass");
	a = chk(e, "n.test", 1000);
	is_str(sts_reason_str(a.reason), "no-policy", "negative hit");
	is_int(scripted_discovers(s, "n.test"), 1, "negative: no new query");
	ok(stats(e).negative_hits >= 1, "negative hit counted");
	advance(61);
	a = chk(e, "n.test", 3000);
	is_int(scripted_discovers(s, "n.test"), 2,
	       "negative TTL over: queried again");

	/* TEMPFAIL, NOTFOUND, BOGUS, INVALID kept apart */
	scripted_set(s, "t.test", STS_TEMPFAIL, NULL, STS_OK, NULL);
	scripted_set(s, "g.test", STS_BOGUS, NULL, STS_OK, NULL);
	scripted_set(s, "i.test", STS_INVALID, NULL, STS_OK, NULL);
	scripted_set(s, "f.test", STS_OK, "1", STS_INVALID, NULL);
	a = chk(e, "t.test", 3000);
	ok(a.reason == STS_REASON_TEMPFAIL && a.verdict == STS_VERDICT_TAG,
	   "TXT TEMPFAIL: tag tempfail");
	a = chk(e, "g.test", 3000);
	ok(a.reason == STS_REASON_DNSSEC_BOGUS &&
		   a.verdict == STS_VERDICT_DEFER &&
		   a.rpt == STS_RPT_DNSSEC_INVALID,
	   "TXT BOGUS: defer dnssec-invalid");
	a = chk(e, "i.test", 3000);
	ok(a.reason == STS_REASON_NO_POLICY && a.verdict == STS_VERDICT_PASS,
	   "invalid TXT record: no policy");
	a = chk(e, "f.test", 3000);
	ok(a.reason == STS_REASON_TEMPFAIL &&
		   a.rpt == STS_RPT_STS_POLICY_FETCH_ERROR,
	   "fetch failed, nothing cached: tempfail sts-policy-fetch-error");
	a = chk(e, "f.test", 3000);
	is_int(scripted_fetches(s, "f.test"), 1,
	       "fetch failure: backoff holds");

	/* pending with a deadline, then the answer */
	scripted_set(s, "slow.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.slow.test", "86400"));
	scripted_delay(s, 300);
	sts_engine_check(e, "slow.test", NULL, 50, &a);
	is_str(sts_reason_str(a.reason), "pending", "deadline passes: pending");
	is_str(sts_verdict_str(a.verdict), "tag", "pending: accept + tag");
	sts_engine_check(e, "slow.test", NULL, 3000, &a);
	is_str(sts_reason_str(a.reason), "satisfied",
	       "second caller waits for the same fetch");
	scripted_delay(s, 1000);
	sts_engine_idle_wait(e, 5000);
	is_int(scripted_fetches(s, "slow.test"), 1,
	       "single flight: one fetch for both");

	/* delivery-time lookup */
	sts_engine_lookup(e, "c.test", 3000, &l);
	ok(l.status == STS_OK && l.policy != NULL && l.enforce,
	   "lookup: enforce policy returned");
	ok(l.policy != NULL && l.policy->n_mx == 1 &&
		   strcmp(l.policy->mx[0], "mx.c.test") == 0,
	   "lookup: mx copied");
	sts_policy_free(l.policy);
	sts_engine_lookup(e, "n.test", 3000, &l);
	ok(l.status == STS_NOTFOUND && l.policy == NULL, "lookup: none");
	sts_engine_lookup(e, "t.test", 3000, &l);
	ok(l.status == STS_NOTFOUND && strstr(l.why, "tempfail") != NULL,
	   "lookup: TXT tempfail, nothing cached: as without a policy (%s)",
	   l.why);
	sts_engine_lookup(e, "f.test", 3000, &l);
	ok(l.status == STS_NOTFOUND, "lookup: fetch failed: no policy");
	sts_engine_lookup(e, "g.test", 3000, &l);
	ok(l.status == STS_BOGUS && !l.defer,
	   "lookup: bogus TXT: BOGUS, not pending (%s)", l.why);
	sts_engine_lookup(e, "[192.0.2.1]", 3000, &l);
	ok(l.status == STS_NOTFOUND, "lookup: address literal, none");
	sts_engine_check(e, "[192.0.2.1]", NULL, 10, &a);
	is_str(sts_reason_str(a.reason), "not-a-domain",
	       "check: address literal");

	sts_engine_free(e);
	scripted_free(s);
}

/* C8: a configured backoff below 300 s is raised to 300 s */
static void
backoff_floor(void)
{
	struct scripted *s = scripted_new();
	struct sts_source src = scripted_source(s);
	struct sts_engine_conf c;
	struct sts_engine *e;
	char why[STS_WHY_MAX];

	sts_engine_conf_defaults(&c);
	c.failure_backoff = 5;
	c.save_interval = c.sweep_interval = 0;
	c.now = clock_fn;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	scripted_set(s, "bf.test", STS_OK, "1", STS_TEMPFAIL, NULL);
	chk(e, "bf.test", 3000);
	advance(299);
	chk(e, "bf.test", 3000);
	is_int(scripted_fetches(s, "bf.test"), 1,
	       "backoff 5 s configured: still no retry after 299 s");
	advance(2);
	chk(e, "bf.test", 3000);
	is_int(scripted_fetches(s, "bf.test"), 2, "retry after 300 s");
	sts_engine_free(e);
	scripted_free(s);
}

static void
lru(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine *e = mk(s, 3, NULL, NULL);
	struct sts_answer a;
	char d[32];
	int i;

	for (i = 1; i <= 5; i++) {
		snprintf(d, sizeof(d), "d%d.test", i);
		chk(e, d, 3000);
	}
	ok(stats(e).entries <= 3, "LRU: bounded at 3 entries (%zu)",
	   stats(e).entries);
	ok(stats(e).evictions >= 2, "LRU: evictions counted");
	chk(e, "d5.test", 3000);
	is_int(scripted_discovers(s, "d5.test"), 1, "LRU: recent one kept");
	chk(e, "d1.test", 3000);
	is_int(scripted_discovers(s, "d1.test"), 2,
	       "LRU: oldest evicted, queried again");
	sts_engine_free(e);

	/* bound 1, the only other entry busy: the new one must survive
	 * its own creation (the bound is exceeded briefly instead) */
	e = mk(s, 1, NULL, NULL);
	scripted_delay(s, 200);
	sts_engine_check(e, "busy.test", NULL, 0, &a);
	sts_engine_check(e, "other.test", NULL, 3000, &a);
	is_str(sts_reason_str(a.reason), "no-policy",
	       "bound 1, other entry in flight: new entry answered");
	scripted_delay(s, 0);
	sts_engine_idle_wait(e, 5000);
	sts_engine_free(e);
	scripted_free(s);
}

static void
relay_and_overrides(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine *e;
	struct sts_answer a;
	struct sts_lookup l;
	char path[] = "/tmp/engine-ov-XXXXXX", why[STS_WHY_MAX];
	FILE *f;
	int fd;

	/* RFC 8461 3.4: the smart host's domain is the policy domain */
	scripted_set(s, "relay.test", STS_OK, "1", STS_OK,
		     POL("enforce", "relay.test", "86400"));
	e = mk(s, 100, "[relay.test]:587", NULL);
	a = chk(e, "anything.example", 3000);
	is_str(a.domain, "relay.test", "relayhost: policy domain");
	is_str(sts_reason_str(a.reason), "satisfied",
	       "[relayhost]: the host itself matches");
	is_int(scripted_discovers(s, "anything.example"), 0,
	       "relayhost: recipient domain not queried");
	a = chk(e, "[192.0.2.1]", 3000);
	ok(strcmp(a.domain, "relay.test") == 0 &&
		   a.reason == STS_REASON_SATISFIED,
	   "relayhost + address literal: the smart host's policy applies "
	   "(RFC 8461 3.4; %s, %s)",
	   a.domain, sts_reason_str(a.reason));
	sts_engine_lookup(e, "[IPv6:2001:db8::1]", 3000, &l);
	ok(l.status == STS_OK && strcmp(l.domain, "relay.test") == 0,
	   "relayhost + address literal: lookup answers the smart host's "
	   "policy");
	sts_policy_free(l.policy);
	sts_engine_free(e);

	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs("# test overrides\n"
	      "skip.test skip\n"
	      "pin.test policy mode=enforce mx=mx.pin.test\n"
	      "pinbad.test policy mode=enforce mx=good.pinbad.test\n"
	      "forced.test defer\n"
	      ".lax.test testing\n"
	      "exempt-sender @reports.test\n",
	      f);
	fclose(f);
	e = mk(s, 100, NULL, path);
	ok(e != NULL, "engine with override file");
	a = chk(e, "skip.test", 3000);
	is_str(sts_reason_str(a.reason), "skipped", "override skip");
	is_int(scripted_discovers(s, "skip.test"), 0, "skip: no lookup");
	a = chk(e, "pin.test", 3000);
	ok(a.reason == STS_REASON_SATISFIED && a.have_policy,
	   "pinned policy used when none is published");
	a = chk(e, "pinbad.test", 3000);
	ok(a.reason == STS_REASON_MX_MISMATCH && a.verdict == STS_VERDICT_DEFER,
	   "pinned enforce, MX mismatch: defer");
	a = chk(e, "forced.test", 3000);
	ok(a.verdict == STS_VERDICT_DEFER && a.reason == STS_REASON_FORCED,
	   "override defer");
	sts_engine_lookup(e, "forced.test", 10, &l);
	ok(l.defer && l.status == STS_TEMPFAIL && l.policy == NULL,
	   "lookup: override defer sets the defer flag (%s)", l.why);
	sts_engine_lookup(e, "skip.test", 10, &l);
	ok(!l.defer && l.status == STS_NOTFOUND, "lookup: skip: no defer");
	scripted_set(s, "x.lax.test", STS_OK, "1", STS_OK,
		     POL("enforce", "nomatch.test", "86400"));
	a = chk(e, "x.lax.test", 3000);
	ok(a.verdict == STS_VERDICT_TAG && a.mode == STS_MODE_TESTING,
	   "override testing: enforce failure only tagged");
	sts_engine_check(e, "forced.test", "<TLSRPT@Reports.Test>", 10, &a);
	ok(a.verdict == STS_VERDICT_PASS && a.reason == STS_REASON_EXEMPT,
	   "exempt sender passes (RFC 8460 5.3)");

	/* reload with a broken file keeps the old table */
	f = fopen(path, "w");
	fputs("skip.test frobnicate\n", f);
	fclose(f);
	ok(sts_engine_reload_overrides(e, why, sizeof(why)) == STS_INVALID,
	   "broken reload refused");
	ok(strstr(why, ":1:") != NULL, "reason names file:line (%s)", why);
	a = chk(e, "skip.test", 3000);
	is_str(sts_reason_str(a.reason), "skipped", "old table kept");
	f = fopen(path, "w");
	fputs("forced.test reject\n", f);
	fclose(f);
	ok(sts_engine_reload_overrides(e, why, sizeof(why)) == STS_OK,
	   "good reload accepted");
	a = chk(e, "forced.test", 3000);
	is_str(sts_verdict_str(a.verdict), "reject", "new table in use");
	sts_engine_free(e);
	unlink(path);
	scripted_free(s);
}

int
main(void)
{
	rfc_rules();
	expiry_refresh();
	backoff_floor();
	lru();
	relay_and_overrides();
	return tap_done();
}
