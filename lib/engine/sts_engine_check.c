/*
 * sts_engine_check.c - the milter's door: the RCPT-time verdict for one
 * recipient domain (sts_engine.h: sts_engine_check).  Overrides first,
 * then the cached (or freshly fetched, within the deadline) policy or a
 * pinned one, then the next-hop state and probes, then the pure verdict
 * table (sts_verdict.c).  An enforce failure (DEFER or REJECT) from a
 * cached policy is decided again after the TXT id re-check of
 * sts_engine_recheck.c (RFC 8461 5.1 step 3); a REJECT whose re-check
 * could not be completed becomes DEFER.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_engine_int.h"

/* An enforce failure that a newer policy could undo (RFC 8461 5.1). */
static bool
enforce_failure(const struct sts_answer *a)
{
	return (a->verdict == STS_VERDICT_DEFER ||
		a->verdict == STS_VERDICT_REJECT) &&
	       (a->reason == STS_REASON_MX_MISMATCH ||
		a->reason == STS_REASON_TLS_FAILED);
}

void
sts_engine_check(struct sts_engine *e, const char *domain, const char *from,
		 unsigned deadline_ms, struct sts_answer *out)
{
	struct timespec t0;
	struct sts_override *ov;
	const struct sts_override_rule *rule = NULL;
	struct sts_cache_view *v = NULL;
	struct sts_verdict_in in;
	struct sts_source_mx *m = NULL;
	struct sts_verdict_host host[STS_MAX_MX];
	enum sts_mode mode = STS_MODE_NONE;
	const char *const *mx = NULL;
	size_t n_mx = 0, l;
	bool published = false, rechecked = false;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	if (!sts_engine_policy_domain(e, domain, out->domain, out->why,
				      sizeof(out->why))) {
		out->domain[0] = '\0';
		out->verdict = STS_VERDICT_PASS;
		out->reason = STS_REASON_NOT_A_DOMAIN;
		return;
	}
	memset(&in, 0, sizeof(in));
	in.react = &e->conf.react;
	ov = sts_engine_overrides(e);
	if (ov != NULL) {
		in.exempt = from != NULL && sts_override_exempt(ov, from);
		rule = sts_override_find(ov, out->domain);
	}
	if (rule != NULL) {
		in.action = rule->action;
		in.pin = rule->pin;
	}
	v = calloc(1, sizeof(*v));
	m = malloc(sizeof(*m));
	if (v == NULL || m == NULL) {
		in.state = STS_CS_FAILED;
		in.status = STS_NOMEM;
		in.why = "out of memory";
		goto decide;
	}
	in.state = STS_CS_NONE;
	if (in.exempt || in.action == STS_OV_SKIP ||
	    in.action == STS_OV_DEFER || in.action == STS_OV_REJECT)
		goto decide; /* decided without looking anything up */
	if (e->conf.probe)
		sts_engine_jobs_rcpt_mark(e, out->domain);
	sts_cache_get(e->cache, out->domain, deadline_ms, v);
	if (v->state == STS_CS_PENDING)
		sts_met_inc(&e->met.deadline_missed[STS_MET_DOOR_CHECK]);
again:
	mode = STS_MODE_NONE;
	published = false;
	in.have_mx = false;
	in.mxset = NULL;
	in.host = NULL;
	in.now = sts_cache_now(e->cache);
	in.state = v->state;
	in.status = v->status;
	in.rpt = v->rpt;
	in.why = v->why;
	in.mode = v->mode;
	in.n_mx = v->n_mx;
	in.mx = v->mx;
	in.expires_at = v->expires_at;
	if (v->state == STS_CS_POLICY && in.now < v->expires_at) {
		mode = v->mode;
		mx = v->mx;
		n_mx = v->n_mx;
		published = true;
	} else if (in.pin != NULL) {
		mode = in.pin->mode;
		mx = (const char *const *)in.pin->mx;
		n_mx = in.pin->n_mx;
	}
	if (mode != STS_MODE_NONE) {
		in.have_mx = sts_engine_nexthop_gather(
			e, out->domain, mx, n_mx, &t0, deadline_ms, m, host);
		in.mxset = m;
		in.host = host;
		if (!in.have_mx)
			sts_met_inc(
				&e->met.deadline_missed[STS_MET_DOOR_CHECK]);
	}
decide:
	sts_verdict(&in, out);
	if (published && !rechecked && enforce_failure(out)) {
		rechecked = true;
		switch (sts_engine_recheck(e, out->domain, &t0, deadline_ms,
					   v)) {
		case STS_RC_CHANGED:
			goto again; /* decide on the new policy */
		case STS_RC_UNCONFIRMED:
			if (out->verdict != STS_VERDICT_REJECT)
				break;
			out->verdict = STS_VERDICT_DEFER;
			l = strlen(out->why);
			snprintf(out->why + l, sizeof(out->why) - l,
				 "; TXT id not re-checked, so not permanent "
				 "(RFC 8461 5.1)");
			break;
		default:
			break;
		}
	}
	sts_override_unref(ov);
	sts_cache_view_clear(v);
	free(v);
	free(m);
}
