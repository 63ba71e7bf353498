/*
 * sts_engine_lookup.c - the policy map's door: the delivery-time policy
 * for one next-hop domain (sts_engine.h: sts_engine_lookup), which
 * sts_mapreply.c turns into a socketmap answer.  Delivery time never
 * bounces: override defer/reject and DNSSEC-bogus data answer "not now";
 * a policy that cannot be fetched with none cached is "no policy" (RFC
 * 8461 section 5.1); DANE where usable TLSA exists (checklist G1).  A
 * cached policy that no longer matches the MX set is answered only after
 * the TXT id re-check of sts_engine_recheck.c (RFC 8461 5.1, 8.3).  A
 * bogus TLSA RRset at an MX of a secure MX RRset is BOGUS and a failed
 * TLSA lookup there TEMPFAIL + defer, both "not now" (TEMP) at the map,
 * as the milter defers them: never "secure match=", which would let
 * MTA-STS override a failing DANE (RFC 8461 section 2, RFC 7672 2.2;
 * issue 13 item 4).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_engine_int.h"

void
sts_engine_lookup(struct sts_engine *e, const char *domain,
		  unsigned deadline_ms, struct sts_lookup *out)
{
	sts_engine_lookup_hop(e, domain, false, deadline_ms, out);
}

/* DANE first (checklist G1): tell the map server to leave it.  A
 * "[host]" next hop is its own one MX: its own TLSA records decide. */
/* A bogus or failed TLSA lookup at an MX host of a secure MX RRset is a
 * failing DANE validation that MTA-STS must not override (RFC 8461
 * section 2, RFC 7672 2.2, 2.2.1): not "secure match=" (Postfix's secure
 * level never looks at TLSA) but what the milter decides, "not now" (the
 * map answers TEMP; issue 13 item 4). */
static void
dane_failed(struct sts_lookup *out, const char *host, enum sts_dane_state d)
{
	if (d != STS_DANE_BOGUS && d != STS_DANE_TEMPFAIL)
		return;
	/* as on the other BOGUS / defer paths: no policy handed out */
	sts_policy_free(out->policy);
	out->policy = NULL;
	out->enforce = false;
	if (d == STS_DANE_BOGUS) {
		out->status = sts_why(out->why, sizeof(out->why), STS_BOGUS,
				      "TLSA for %s is DNSSEC-bogus", host);
	} else if (d == STS_DANE_TEMPFAIL) {
		out->defer = true;
		out->status = sts_why(out->why, sizeof(out->why), STS_TEMPFAIL,
				      "TLSA lookup for %s failed (RFC 7672 "
				      "2.2.1)",
				      host);
	}
}

static void
lookup_dane(struct sts_engine *e, bool literal, const char *const *mx,
	    const struct timespec *t0, unsigned deadline_ms,
	    struct sts_source_mx *m, struct sts_verdict_host *host,
	    struct sts_lookup *out)
{
	char w[STS_WHY_MAX];
	unsigned l = sts_engine_left(t0, deadline_ms);
	size_t i, usable = 0;

	enum sts_dane_state d;

	if (literal) {
		d = e->src.tlsa != NULL && l > 0
			    ? e->src.tlsa(e->src.arg, out->domain, l, w,
					  sizeof(w))
			    : STS_DANE_NONE;
		out->dane = d == STS_DANE_USABLE;
		dane_failed(out, out->domain, d);
		return;
	}
	if (!sts_engine_nexthop_gather(e, out->domain, mx, 0, t0, deadline_ms,
				       m, host) ||
	    m->status != STS_OK || m->dnssec != STS_SRC_SECURE)
		return;
	for (i = 0; i < m->n; i++)
		if (host[i].dane == STS_DANE_USABLE)
			usable++;
	out->dane = usable > 0;
	out->dane_mixed = usable > 0 && usable < m->n;
	for (i = 0; i < m->n && out->status == STS_OK; i++)
		dane_failed(out, host[i].name, host[i].dane);
}

void
sts_engine_lookup_hop(struct sts_engine *e, const char *domain, bool literal,
		      unsigned deadline_ms, struct sts_lookup *out)
{
	struct timespec t0;
	struct sts_override *ov;
	const struct sts_override_rule *rule = NULL;
	struct sts_cache_view *v = NULL;
	struct sts_source_mx *m = NULL;
	struct sts_verdict_host host[STS_MAX_MX];
	enum sts_override_action act = STS_OV_NONE;
	const struct sts_policy *pin = NULL;
	enum sts_mode mode;
	const char *const *mx;
	size_t n_mx;
	uint32_t max_age;
	const char *src = "published";
	bool rechecked = false;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	out->status = STS_NOTFOUND;
	if (!sts_engine_policy_domain(e, domain, out->domain, out->why,
				      sizeof(out->why))) {
		out->domain[0] = '\0';
		return;
	}
	ov = sts_engine_overrides(e);
	if (ov != NULL)
		rule = sts_override_find(ov, out->domain);
	if (rule != NULL) {
		act = rule->action;
		pin = rule->pin;
	}
	switch (act) {
	case STS_OV_SKIP:
		sts_why(out->why, sizeof(out->why), STS_OK, "override: skip");
		goto done;
	case STS_OV_DEFER:
	case STS_OV_REJECT:
		/* delivery time never bounces: both mean "not now" */
		out->defer = true;
		out->status =
			sts_why(out->why, sizeof(out->why), STS_TEMPFAIL,
				"override: %s", sts_override_action_str(act));
		goto done;
	default:
		break;
	}
	v = calloc(1, sizeof(*v));
	m = malloc(sizeof(*m));
	if (v == NULL || m == NULL) {
		out->status = sts_why(out->why, sizeof(out->why), STS_TEMPFAIL,
				      "out of memory");
		goto done;
	}
	sts_cache_get(e->cache, out->domain, deadline_ms, v);
again:
	if (v->state == STS_CS_POLICY &&
	    sts_cache_now(e->cache) < v->expires_at) {
		mode = v->mode;
		mx = v->mx;
		n_mx = v->n_mx;
		max_age = v->max_age;
	} else if (pin != NULL) {
		mode = pin->mode;
		mx = (const char *const *)pin->mx;
		n_mx = pin->n_mx;
		max_age = pin->max_age;
		src = "pinned";
	} else if (v->state == STS_CS_FAILED && v->status == STS_BOGUS) {
		/* checklist G1: DNSSEC-bogus data is never "no policy" */
		out->status = sts_why(out->why, sizeof(out->why), STS_BOGUS,
				      "DNSSEC validation failed%s%s",
				      v->why[0] ? ": " : "", v->why);
		goto done;
	} else if (v->state != STS_CS_PENDING) {
		/* RFC 8461 5.1 / checklist B7: a policy that cannot be
		 * fetched (and none cached) means "deliver as without one" */
		sts_why(out->why, sizeof(out->why), STS_OK, "no policy%s%s",
			v->why[0] ? ": " : "", v->why);
		goto done;
	} else {
		/* still unknown: TEMPFAIL, which the map answers as "no
		 * policy yet" (a new domain is not deferred) */
		sts_met_inc(&e->met.deadline_missed[STS_MET_DOOR_LOOKUP]);
		out->status = sts_why(out->why, sizeof(out->why), STS_TEMPFAIL,
				      "fetch pending%s%s",
				      v->why[0] ? ": " : "", v->why);
		goto done;
	}
	/* RFC 8461 8.3: a domain that moved its MX publishes a new id */
	if (mode != STS_MODE_NONE && !rechecked &&
	    strcmp(src, "published") == 0 &&
	    sts_engine_nexthop_gather(e, out->domain, mx, 0, &t0, deadline_ms,
				      m, host) &&
	    sts_engine_mx_stale(m, mx, n_mx)) {
		rechecked = true;
		if (sts_engine_recheck(e, out->domain, &t0, deadline_ms, v) ==
		    STS_RC_CHANGED)
			goto again;
		/* same policy, but the view was re-filled: its mx arrays
		 * are new (no mx count cap, they live on the heap) */
		mx = v->mx;
		n_mx = v->n_mx;
	}
	if (mode != STS_MODE_NONE && act == STS_OV_TESTING)
		mode = STS_MODE_TESTING;
	if (mode == STS_MODE_TESTING && act == STS_OV_ENFORCE)
		mode = STS_MODE_ENFORCE;
	if (mode == STS_MODE_NONE) {
		sts_why(out->why, sizeof(out->why), STS_OK, "policy mode none");
		goto done;
	}
	out->status = sts_policy_new(mode, max_age, mx, n_mx, &out->policy,
				     out->why, sizeof(out->why));
	if (out->status != STS_OK) {
		out->status = STS_TEMPFAIL;
		goto done;
	}
	out->enforce = mode == STS_MODE_ENFORCE;
	sts_why(out->why, sizeof(out->why), STS_OK, "%s policy, mode %s", src,
		sts_mode_str(mode));
	lookup_dane(e, literal, mx, &t0, deadline_ms, m, host, out);
	if (out->dane_mixed) { /* say so in the map server's log */
		size_t l = strlen(out->why);

		snprintf(out->why + l, sizeof(out->why) - l,
			 "; mixed DANE: an MX without TLSA is not used");
	}
done:
	sts_override_unref(ov);
	sts_cache_view_clear(v);
	free(v);
	free(m);
}
