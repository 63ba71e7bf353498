/*
 * sts_verdict.h - the verdict: a PURE function of what the engine knows
 * about one recipient domain.
 *
 * Inputs: the policy state (a fetched policy, none, failed, pending,
 * plus an optional pinned override policy), the MX set with its DNSSEC
 * state, the DANE (TLSA) state and probe result of every MX host, the
 * override action, whether the sender is exempt, the reactions and now.
 * Output: PASS / TAG / DEFER / REJECT with a reason code, a human reason
 * and the RFC 8460 result type.  No I/O, no clock, no globals, no
 * allocation: tests/engine/verdict.tsv drives it row by row.
 *
 * The order of the decision (first match wins):
 *   1. exempt sender (RFC 8460 5.3)              PASS exempt
 *   2. override skip / defer / reject            PASS skipped / forced
 *   3. policy state: expired (now >= expires_at) counts as none;
 *      none/failed/pending use the pinned override policy when there is
 *      one; else none -> PASS no-policy; DNSSEC-bogus TXT ->
 *      react.dnssec_bogus; failed -> react.temp_error (tempfail);
 *      pending -> react.temp_error (pending).
 *      Override testing/enforce then adjusts the mode; mode none ->
 *      PASS mode-none.
 *   4. MX set: bogus -> react.dnssec_bogus (whatever the STS mode: this
 *      is DNSSEC's verdict, checklist G1); temporary failure or
 *      NXDOMAIN -> react.temp_error; null MX (RFC 7505) ->
 *      react.null_mx (default PASS, reason null-mx: the domain accepts
 *      no mail, the MTA bounces it itself; deferring would only retry
 *      for days).
 *   5. DANE first (RFC 8461 section 2, checklist G): if the MX RRset is
 *      DNSSEC-secure, a bogus TLSA answer for any MX -> react.dnssec_bogus;
 *      a usable secure TLSA RRset for any MX -> PASS reason dane (DANE
 *      decides; MTA-STS must not override it).  A failed TLSA lookup
 *      makes that MX unusable (RFC 7672 2.2.1); if that leaves no
 *      matching MX -> react.temp_error.
 *   6. MTA-STS (section 4, 5): candidates are the MX hosts that match the
 *      policy (implicit MX: the domain itself must match); with probe
 *      results, candidates whose probe FAILED are removed (a TEMPFAIL
 *      probe proves nothing and keeps the host).  None left -> failure:
 *      enforce -> react.enforce_failure, testing -> react.testing_failure
 *      (capped at TAG: testing never defers, section 5).  Else PASS
 *      satisfied.
 * Never a 5xx unless a reaction says REJECT.
 *
 * Thread-safety: pure, re-entrant.
 */
#ifndef STS_VERDICT_H
#define STS_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sts_cache.h"
#include "sts_engine.h"
#include "sts_override.h"
#include "sts_source.h"

struct sts_verdict_host {
	const char *name;
	enum sts_dane_state dane;
	enum sts_probe_state probe;
	enum sts_rpt probe_rpt; /* when probe == FAILED */
};

struct sts_verdict_in {
	/* sender side */
	bool exempt;
	enum sts_override_action action;
	const struct sts_policy *pin; /* pinned policy, or NULL */
	/* policy */
	enum sts_cache_state state;
	enum sts_status status; /* cause of NONE/FAILED */
	enum sts_rpt rpt;	/* RFC 8460 type of the failure */
	enum sts_mode mode;	/* STS_CS_POLICY */
	size_t n_mx;
	const char *const *mx; /* patterns */
	time_t expires_at;
	const char *why; /* detail of a failure, may be NULL */
	/* MX set, DANE and probe results (only looked at when a policy
	 * in testing/enforce mode applies) */
	bool have_mx; /* false: not looked up (treated as tempfail) */
	const struct sts_source_mx *mxset;
	const struct sts_verdict_host *host; /* mxset->n entries */
	/* reactions and clock */
	const struct sts_reactions *react;
	time_t now;
};

/* Fill every field of *out except out->domain. */
void sts_verdict(const struct sts_verdict_in *in, struct sts_answer *out);

/* Parse "pass"/"tag"/"defer"/"reject"; false if unknown. */
bool sts_verdict_parse(const char *s, enum sts_verdict *out);

#endif /* STS_VERDICT_H */
