/*
 * sts_verdict.c - the pure verdict function (see sts_verdict.h for the
 * decision order) and the verdict/reason string tables.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sts_mx.h"
#include "sts_verdict.h"

static const char *const verdict_names[] = {
	[STS_VERDICT_PASS] = "pass",
	[STS_VERDICT_TAG] = "tag",
	[STS_VERDICT_DEFER] = "defer",
	[STS_VERDICT_REJECT] = "reject",
};

static const char *const reason_names[STS_REASON_COUNT] = {
	[STS_REASON_NO_POLICY] = "no-policy",
	[STS_REASON_MODE_NONE] = "mode-none",
	[STS_REASON_SATISFIED] = "satisfied",
	[STS_REASON_NOT_A_DOMAIN] = "not-a-domain",
	[STS_REASON_SKIPPED] = "skipped",
	[STS_REASON_EXEMPT] = "exempt",
	[STS_REASON_PENDING] = "pending",
	[STS_REASON_TEMPFAIL] = "tempfail",
	[STS_REASON_MX_MISMATCH] = "mx-mismatch",
	[STS_REASON_NULL_MX] = "null-mx",
	[STS_REASON_TLS_FAILED] = "tls-failed",
	[STS_REASON_DANE] = "dane",
	[STS_REASON_DNSSEC_BOGUS] = "dnssec-bogus",
	[STS_REASON_FORCED] = "forced",
	[STS_REASON_INTERNAL] = "internal",
};

const char *
sts_verdict_str(enum sts_verdict v)
{
	if ((unsigned)v > STS_VERDICT_REJECT)
		return "unknown";
	return verdict_names[v];
}

const char *
sts_reason_str(enum sts_reason r)
{
	if ((unsigned)r >= STS_REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

bool
sts_verdict_parse(const char *s, enum sts_verdict *out)
{
	unsigned i;

	for (i = 0; i <= STS_VERDICT_REJECT; i++)
		if (strcmp(s, verdict_names[i]) == 0) {
			*out = (enum sts_verdict)i;
			return true;
		}
	return false;
}

static void say(struct sts_answer *out, enum sts_verdict v, enum sts_reason r,
		enum sts_rpt rpt, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
say(struct sts_answer *out, enum sts_verdict v, enum sts_reason r,
    enum sts_rpt rpt, const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	out->reason = r;
	out->rpt = rpt;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

static const char *
nz(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "no detail";
}

/* Does host match one of the patterns? */
static bool
matches(const char *const *mx, size_t n, const char *host)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sts_mx_match(mx[i], host))
			return true;
	return false;
}

/* Step 4-6 for a policy in testing/enforce mode. */
static void
apply_policy(const struct sts_verdict_in *in, enum sts_mode mode,
	     const char *const *mx, size_t n_mx, const char *src,
	     struct sts_answer *out)
{
	const struct sts_reactions *re = in->react;
	const struct sts_source_mx *m = in->mxset;
	enum sts_verdict fail;
	enum sts_rpt rpt = STS_RPT_NONE;
	size_t i, matched = 0, passed = 0, tempfailed = 0;
	const char *bad = NULL;

	/* a testing/enforce policy applies from here on, whatever the MX
	 * state decides (null MX, bogus TLSA, bogus MX, DANE): the answer
	 * carries the mode, so that the milter never logs mode=none for a
	 * domain whose policy is in force (issue 13 item 9) */
	out->have_policy = true;
	if (!in->have_mx || m == NULL) {
		say(out, re->temp_error, STS_REASON_TEMPFAIL, STS_RPT_NONE,
		    "%s policy, MX set unknown", src);
		return;
	}
	if (m->status == STS_BOGUS || m->dnssec == STS_SRC_BOGUS) {
		say(out, re->dnssec_bogus, STS_REASON_DNSSEC_BOGUS,
		    STS_RPT_DNSSEC_INVALID, "MX lookup DNSSEC-bogus: %s",
		    nz(m->why));
		return;
	}
	if (m->status != STS_OK) {
		say(out, re->temp_error, STS_REASON_TEMPFAIL, STS_RPT_NONE,
		    "MX lookup failed (%s): %s", sts_status_str(m->status),
		    nz(m->why));
		return;
	}
	if (m->null_mx) {
		say(out, re->null_mx, STS_REASON_NULL_MX, STS_RPT_NONE,
		    "null MX (RFC 7505): the domain accepts no mail");
		return;
	}
	/* DANE first (RFC 8461 section 2; RFC 7672 2.2: TLSA only counts
	 * when the MX RRset itself is secure). */
	if (m->dnssec == STS_SRC_SECURE) {
		for (i = 0; i < m->n; i++)
			if (in->host[i].dane == STS_DANE_BOGUS) {
				say(out, re->dnssec_bogus,
				    STS_REASON_DNSSEC_BOGUS,
				    STS_RPT_DNSSEC_INVALID,
				    "TLSA for %s is DNSSEC-bogus",
				    in->host[i].name);
				return;
			}
		for (i = 0; i < m->n; i++)
			if (in->host[i].dane == STS_DANE_USABLE) {
				say(out, STS_VERDICT_PASS, STS_REASON_DANE,
				    STS_RPT_NONE,
				    "DANE applies (secure TLSA for %s); "
				    "MTA-STS defers to it",
				    in->host[i].name);
				out->have_policy = true;
				return;
			}
	}
	for (i = 0; i < m->n; i++) {
		const struct sts_verdict_host *h = &in->host[i];

		if (!matches(mx, n_mx, h->name))
			continue;
		matched++;
		if (m->dnssec == STS_SRC_SECURE &&
		    h->dane == STS_DANE_TEMPFAIL) {
			/* RFC 7672 2.2.1: unknown TLSA state, not usable */
			tempfailed++;
			if (bad == NULL)
				bad = h->name;
			continue;
		}
		if (h->probe == STS_PROBE_FAILED) {
			if (bad == NULL) {
				bad = h->name;
				rpt = h->probe_rpt != STS_RPT_NONE
					      ? h->probe_rpt
					      : STS_RPT_VALIDATION_FAILURE;
			}
			continue;
		}
		passed++;
	}
	out->have_policy = true;
	if (passed > 0) {
		say(out, STS_VERDICT_PASS, STS_REASON_SATISFIED, STS_RPT_NONE,
		    "%s policy (%s) satisfied by %zu of %zu MX",
		    sts_mode_str(mode), src, passed, m->n);
		return;
	}
	if (tempfailed == matched && matched > 0) {
		say(out, re->temp_error, STS_REASON_TEMPFAIL, STS_RPT_NONE,
		    "TLSA lookup failed for %s (RFC 7672 2.2.1)", bad);
		return;
	}
	if (mode == STS_MODE_ENFORCE) {
		fail = re->enforce_failure;
	} else {
		fail = re->testing_failure;
		if (fail > STS_VERDICT_TAG)
			fail = STS_VERDICT_TAG; /* section 5: testing never
						   blocks delivery */
	}
	if (matched == 0)
		say(out, fail, STS_REASON_MX_MISMATCH,
		    STS_RPT_VALIDATION_FAILURE,
		    "%s policy (%s): no MX matches the policy%s (first MX %s)",
		    sts_mode_str(mode), src,
		    m->implicit ? " (implicit MX: the domain itself)" : "",
		    m->n > 0 ? m->host[0].name : "-");
	else
		say(out, fail, STS_REASON_TLS_FAILED, rpt,
		    "%s policy (%s): no matching MX passed the TLS probe "
		    "(%s: %s)",
		    sts_mode_str(mode), src, bad, sts_rpt_str(rpt));
}

void
sts_verdict(const struct sts_verdict_in *in, struct sts_answer *out)
{
	const struct sts_reactions *re = in->react;
	enum sts_cache_state state = in->state;
	enum sts_mode mode = in->mode;
	const char *const *mx = in->mx;
	size_t n_mx = in->n_mx;
	const char *src = "published";

	out->have_policy = false;
	out->mode = STS_MODE_NONE;
	out->rpt = STS_RPT_NONE;
	if (in->exempt) {
		say(out, STS_VERDICT_PASS, STS_REASON_EXEMPT, STS_RPT_NONE,
		    "exempt sender (RFC 8460 section 5.3)");
		return;
	}
	switch (in->action) {
	case STS_OV_SKIP:
		say(out, STS_VERDICT_PASS, STS_REASON_SKIPPED, STS_RPT_NONE,
		    "override: skip");
		return;
	case STS_OV_DEFER:
		say(out, STS_VERDICT_DEFER, STS_REASON_FORCED, STS_RPT_NONE,
		    "override: defer");
		return;
	case STS_OV_REJECT:
		say(out, STS_VERDICT_REJECT, STS_REASON_FORCED, STS_RPT_NONE,
		    "override: reject");
		return;
	default:
		break;
	}
	if (state == STS_CS_POLICY && in->now >= in->expires_at)
		state = STS_CS_NONE; /* expired: no policy (section 5.1) */
	if (state != STS_CS_POLICY && in->pin != NULL) {
		mode = in->pin->mode;
		mx = (const char *const *)in->pin->mx;
		n_mx = in->pin->n_mx;
		src = state == STS_CS_NONE	? "pinned, none published"
		      : state == STS_CS_PENDING ? "pinned, fetch pending"
						: "pinned, fetch failed";
		state = STS_CS_POLICY;
	}
	switch (state) {
	case STS_CS_POLICY:
		break;
	case STS_CS_NONE:
		say(out, STS_VERDICT_PASS, STS_REASON_NO_POLICY, STS_RPT_NONE,
		    "no MTA-STS policy%s%s", in->why && in->why[0] ? ": " : "",
		    in->why ? in->why : "");
		return;
	case STS_CS_PENDING:
		say(out, re->temp_error, STS_REASON_PENDING, STS_RPT_NONE,
		    "policy unknown, fetch pending");
		return;
	default:
		if (in->status == STS_BOGUS)
			say(out, re->dnssec_bogus, STS_REASON_DNSSEC_BOGUS,
			    STS_RPT_DNSSEC_INVALID,
			    "_mta-sts TXT DNSSEC-bogus: %s", nz(in->why));
		else if (in->status == STS_NOMEM)
			say(out, re->temp_error, STS_REASON_INTERNAL,
			    STS_RPT_NONE, "internal error: %s", nz(in->why));
		else
			say(out, re->temp_error, STS_REASON_TEMPFAIL, in->rpt,
			    "policy unavailable (%s): %s",
			    sts_status_str(in->status), nz(in->why));
		return;
	}
	if (mode != STS_MODE_NONE && in->action == STS_OV_TESTING)
		mode = STS_MODE_TESTING;
	if (mode == STS_MODE_TESTING && in->action == STS_OV_ENFORCE)
		mode = STS_MODE_ENFORCE;
	out->mode = mode;
	if (mode == STS_MODE_NONE) {
		say(out, STS_VERDICT_PASS, STS_REASON_MODE_NONE, STS_RPT_NONE,
		    "policy mode none (%s)", src);
		out->have_policy = true;
		return;
	}
	apply_policy(in, mode, mx, n_mx, src, out);
}
