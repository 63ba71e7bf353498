/*
 * test_recheck.c - policy changes seen at once (issue 13 items 1, 5, 6,
 * 8), with the scripted source and the scripted clock:
 *   - a domain that moves its MX and publishes a new id + policy is
 *     delivered at the next message after the next-hop TTL, at RCPT
 *     (milter) and at delivery (map): the TXT id is re-checked before the
 *     enforce failure / the stale answer (RFC 8461 5.1 step 3, 8.3);
 *   - On-EnforceFailure reject answers 5xx only after the TXT id was
 *     checked; when the check cannot be made, 4xx;
 *   - max_age 0: applied to the lookups that waited for the fetch, then
 *     "no policy", at most one fetch per `recheck` seconds; mode none +
 *     max_age 0 retires a cached policy at once;
 *   - failure backoff per id: after a failed fetch, a new id is fetched
 *     at once, the same id not before the backoff ends.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "scripted.h"
#include "sts_engine.h"
#include "sts_source.h"

#define POL(mode, mx, age)                                                     \
	"version: STSv1\r\nmode: " mode "\r\nmx: " mx "\r\nmax_age: " age "\r" \
	"\n"

/* Next-hop state of the scripted source has no TTL: NH_TTL_UNKNOWN. */
#define HOP_TTL 301

static struct sts_engine *
mk(struct scripted *s, enum sts_verdict enforce_failure)
{
	struct sts_engine_conf c;
	struct sts_source src = scripted_source(s);
	char why[STS_WHY_MAX];
	struct sts_engine *e;

	sts_engine_conf_defaults(&c);
	c.workers = 2;
	c.probe = false;
	c.save_interval = 0;
	c.sweep_interval = 0;
	c.react.enforce_failure = enforce_failure;
	c.now = scripted_clock;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	if (e == NULL)
		printf("# engine: %s\n", why);
	return e;
}

static struct sts_answer
chk(struct sts_engine *e, const char *d, unsigned dl)
{
	struct sts_answer a;

	sts_engine_check(e, d, "someone@sender.test", dl, &a);
	sts_engine_idle_wait(e, 5000);
	return a;
}

/* Item 1: new MX + new id + new policy, at RCPT and at delivery. */
static void
moved_mx(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine *e = mk(s, STS_VERDICT_DEFER);
	struct sts_answer a;
	struct sts_lookup lk;

	scripted_set(s, "m.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx1.m.test", "86400"));
	scripted_mx(s, "m.test", STS_OK, STS_SRC_INSECURE, "mx1.m.test", false,
		    false);
	scripted_set(s, "d.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx1.d.test", "86400"));
	scripted_mx(s, "d.test", STS_OK, STS_SRC_INSECURE, "mx1.d.test", false,
		    false);
	a = chk(e, "m.test", 3000);
	is_str(sts_reason_str(a.reason), "satisfied", "m.test: old MX ok");
	sts_engine_lookup(e, "d.test", 3000, &lk);
	ok(lk.status == STS_OK && lk.policy != NULL &&
		   strcmp(lk.policy->mx[0], "mx1.d.test") == 0,
	   "d.test: map answers the old policy");
	sts_policy_free(lk.policy);
	sts_engine_idle_wait(e, 5000);

	/* RFC 8461 8.3: new MX, new policy, new TXT id */
	scripted_mx(s, "m.test", STS_OK, STS_SRC_INSECURE, "mx2.m.test", false,
		    false);
	scripted_set(s, "m.test", STS_OK, "2", STS_OK,
		     POL("enforce", "mx2.m.test", "86400"));
	scripted_mx(s, "d.test", STS_OK, STS_SRC_INSECURE, "mx2.d.test", false,
		    false);
	scripted_set(s, "d.test", STS_OK, "2", STS_OK,
		     POL("enforce", "mx2.d.test", "86400"));
	scripted_advance(HOP_TTL); /* the MX answer's TTL has passed */

	a = chk(e, "m.test", 3000);
	is_str(sts_verdict_str(a.verdict), "pass",
	       "milter: next message after the TTL passes, not deferred");
	is_str(sts_reason_str(a.reason), "satisfied",
	       "milter: the new policy is satisfied (%s)", a.why);
	is_int(scripted_fetches(s, "m.test"), 2, "milter: new id fetched");

	sts_engine_lookup(e, "d.test", 3000, &lk);
	ok(lk.status == STS_OK && lk.policy != NULL && lk.policy->n_mx == 1 &&
		   strcmp(lk.policy->mx[0], "mx2.d.test") == 0,
	   "map: answers the new policy at once (%s)", lk.why);
	sts_policy_free(lk.policy);
	is_int(scripted_fetches(s, "d.test"), 2, "map: new id fetched");
	sts_engine_idle_wait(e, 5000);

	sts_engine_free(e);
	scripted_free(s);
}

/* Item 6: reject only after the TXT id was checked. */
static void
reject_after_check(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine *e = mk(s, STS_VERDICT_REJECT);
	struct sts_answer a;
	unsigned d0;

	scripted_set(s, "r.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx1.r.test", "86400"));
	scripted_mx(s, "r.test", STS_OK, STS_SRC_INSECURE, "mx1.r.test", false,
		    false);
	a = chk(e, "r.test", 3000);
	is_str(sts_reason_str(a.reason), "satisfied", "r.test: ok");

	/* the MX moves, the policy does not: a genuine enforce failure */
	scripted_mx(s, "r.test", STS_OK, STS_SRC_INSECURE, "evil.r.test", false,
		    false);
	scripted_advance(HOP_TTL);
	d0 = scripted_discovers(s, "r.test");
	a = chk(e, "r.test", 3000);
	is_str(sts_verdict_str(a.verdict), "reject",
	       "id checked and unchanged: reject (%s)", a.why);
	is_int(scripted_discovers(s, "r.test"), d0 + 1,
	       "the TXT id was checked before the reject");
	is_int(scripted_fetches(s, "r.test"), 1, "same id: no fetch");

	/* within `recheck` seconds of that check: no new TXT query */
	a = chk(e, "r.test", 3000);
	is_str(sts_verdict_str(a.verdict), "reject",
	       "checked 0 s ago: reject without a new query");
	is_int(scripted_discovers(s, "r.test"), d0 + 1,
	       "one TXT query per recheck interval");

	/* the TXT check cannot be made: never a 5xx (RFC 8461 5.1) */
	scripted_set(s, "r.test", STS_TEMPFAIL, "1", STS_OK,
		     POL("enforce", "mx1.r.test", "86400"));
	scripted_advance(61);
	a = chk(e, "r.test", 3000);
	is_str(sts_verdict_str(a.verdict), "defer",
	       "TXT lookup failed: defer, not reject (%s)", a.why);
	is_int(scripted_discovers(s, "r.test"), d0 + 2, "TXT id was tried");

	/* deadline 0 and a slow TXT answer: not checked in time: defer */
	scripted_set(s, "r.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx1.r.test", "86400"));
	scripted_advance(61);
	scripted_delay(s, 300);
	a = chk(e, "r.test", 0);
	scripted_delay(s, 0);
	is_str(sts_verdict_str(a.verdict), "defer",
	       "deadline 0: the id is not checked in time: no reject");
	/* ... and the check ran in the background: the next one rejects */
	a = chk(e, "r.test", 0);
	is_str(sts_verdict_str(a.verdict), "reject",
	       "checked in the background meanwhile: reject");
	sts_engine_free(e);
	scripted_free(s);
}

struct waiter {
	struct sts_engine *e;
	struct sts_answer a;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;

	sts_engine_check(w->e, "z.test", "someone@sender.test", 5000, &w->a);
	return NULL;
}

/* Item 5: max_age 0. */
static void
zero_max_age(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine *e = mk(s, STS_VERDICT_DEFER);
	struct sts_answer a;
	struct sts_lookup lk;
	struct waiter w[3];
	pthread_t t[3];
	int i, applied = 0;

	scripted_set(s, "z.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.z.test", "0"));
	scripted_set(s, "zm.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx.zm.test", "0"));

	/* the fetch's own lookup, and every lookup waiting on it */
	scripted_delay(s, 300);
	for (i = 0; i < 3; i++) {
		w[i].e = e;
		pthread_create(&t[i], NULL, waiter_main, &w[i]);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		applied += w[i].a.have_policy &&
			   w[i].a.mode == STS_MODE_ENFORCE &&
			   w[i].a.reason == STS_REASON_SATISFIED;
	}
	scripted_delay(s, 0);
	sts_engine_idle_wait(e, 5000);
	is_int(applied, 3, "max_age 0: applied to the lookups of its fetch");
	is_int(scripted_fetches(s, "z.test"), 1, "one fetch for all three");

	/* later lookups: not cached (no policy), and no fetch per message */
	for (i = 0; i < 5; i++)
		a = chk(e, "z.test", 3000);
	is_str(sts_reason_str(a.reason), "no-policy",
	       "max_age 0: not applied to a later message");
	is_int(scripted_fetches(s, "z.test"), 1,
	       "max_age 0: no fetch per message (rate limit)");
	scripted_advance(60);
	a = chk(e, "z.test", 3000);
	ok(a.have_policy, "after 60 s: fetched again and applied");
	is_int(scripted_fetches(s, "z.test"), 2,
	       "at most one fetch per domain per 60 s");

	/* the map: the triggering lookup gets the policy */
	sts_engine_lookup(e, "zm.test", 3000, &lk);
	ok(lk.status == STS_OK && lk.policy != NULL && lk.enforce,
	   "map: max_age 0 policy applied to its lookup (%s)", lk.why);
	sts_policy_free(lk.policy);

	/* retiring MTA-STS (RFC 8461 8.3): mode none + max_age 0 */
	scripted_set(s, "x.test", STS_OK, "1", STS_OK,
		     POL("enforce", "mx1.x.test", "86400"));
	scripted_mx(s, "x.test", STS_OK, STS_SRC_INSECURE, "mx1.x.test", false,
		    false);
	a = chk(e, "x.test", 3000);
	is_str(sts_reason_str(a.reason), "satisfied", "x.test enforced");
	scripted_set(s, "x.test", STS_OK, "2", STS_OK,
		     "version: STSv1\r\nmode: none\r\nmax_age: 0\r\n");
	scripted_mx(s, "x.test", STS_OK, STS_SRC_INSECURE, "new.x.test", false,
		    false);
	scripted_advance(HOP_TTL);
	a = chk(e, "x.test", 3000);
	is_str(sts_verdict_str(a.verdict), "pass",
	       "retired: the old enforce policy no longer defers (%s)", a.why);
	/* mode-none when this lookup waited for the fetch, no-policy when
	 * the background check (queued by the same lookup) got there first */
	ok(a.reason == STS_REASON_MODE_NONE || a.reason == STS_REASON_NO_POLICY,
	   "retired: mode none applied at once (%s)", sts_reason_str(a.reason));
	for (i = 0; i < 5; i++)
		a = chk(e, "x.test", 3000);
	is_str(sts_reason_str(a.reason), "no-policy", "retired: no policy");
	is_int(scripted_fetches(s, "x.test"), 2, "retired: fetched once");
	sts_engine_free(e);
	scripted_free(s);
}

/* Item 8: failure backoff per id. */
static void
backoff_per_id(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine *e = mk(s, STS_VERDICT_DEFER);
	struct sts_answer a;

	scripted_set(s, "f.test", STS_OK, "1", STS_TEMPFAIL, NULL);
	a = chk(e, "f.test", 3000);
	is_str(sts_reason_str(a.reason), "tempfail", "fetch of id 1 failed");
	is_int(scripted_fetches(s, "f.test"), 1, "one fetch");

	/* same id: TXT checked on use, no fetch within the backoff */
	scripted_advance(61);
	a = chk(e, "f.test", 3000);
	is_int(scripted_discovers(s, "f.test"), 2, "TXT id checked on use");
	is_int(scripted_fetches(s, "f.test"), 1, "same id: still backing off");
	a = chk(e, "f.test", 3000);
	is_int(scripted_discovers(s, "f.test"), 2,
	       "TXT checks rate-limited too");

	/* a new id: fetched at once, for this very message */
	scripted_set(s, "f.test", STS_OK, "2", STS_OK,
		     POL("enforce", "mx.f.test", "86400"));
	scripted_advance(61);
	a = chk(e, "f.test", 3000);
	is_int(scripted_fetches(s, "f.test"), 2,
	       "new id: fetched at once, 122 s into the 300 s backoff");
	ok(a.have_policy && a.reason == STS_REASON_SATISFIED,
	   "new id: its policy applies to the message (%s)", a.why);

	/* with a cached policy: a new id whose fetch fails, then another */
	scripted_set(s, "f.test", STS_OK, "3", STS_TEMPFAIL, NULL);
	scripted_advance(61);
	chk(e, "f.test", 3000);
	is_int(scripted_fetches(s, "f.test"), 3, "id 3: fetch failed");
	scripted_advance(61);
	chk(e, "f.test", 3000);
	is_int(scripted_fetches(s, "f.test"), 3, "id 3 again: backing off");
	scripted_set(s, "f.test", STS_OK, "4", STS_OK,
		     POL("testing", "mx.f.test", "86400"));
	scripted_advance(61);
	chk(e, "f.test", 3000);
	a = chk(e, "f.test", 3000);
	is_int(scripted_fetches(s, "f.test"), 4, "id 4: fetched at once");
	ok(a.mode == STS_MODE_TESTING, "id 4 in use");
	sts_engine_free(e);
	scripted_free(s);
}

int
main(void)
{
	moved_mx();
	reject_after_check();
	zero_max_age();
	backoff_per_id();
	return tap_done();
}
