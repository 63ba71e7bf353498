/*
 * milter/eximq.c - one Exim line-protocol request (see eximq.h).
 */
#include "config.h"

#include <string.h>

#include "eximq.h"
#include "log.h"
#include "metrics.h"
#include "sts_engine.h"
#include "sts_line.h"
#include "sts_mapreply.h"
#include "sts_rcptreply.h"
#include "tlsrpt.h"

/* As the milter's: LOG_WARNING for a held recipient, NOTICE for a
 * failure that is only tagged, INFO otherwise. */
static int
prio(const struct sts_answer *a)
{
	switch (a->verdict) {
	case STS_VERDICT_DEFER:
	case STS_VERDICT_REJECT:
		return LOG_WARNING;
	case STS_VERDICT_TAG:
		return strcmp(sts_rcptreply_result(a->reason), "pass") == 0
			       ? LOG_INFO
			       : LOG_NOTICE;
	default:
		return LOG_INFO;
	}
}

/* Whether waiting could change an RCPT answer given with deadline 0: a
 * reason that needs no next-hop state stands; nothing known yet goes to
 * a lookup thread; the rest (a known policy whose next hops, probes or
 * TXT re-check may need a lookup) is asked again with the deadline.
 * "satisfied" too: an MX host whose probe is not done yet counts as
 * passed at deadline 0 (lib/engine/sts_verdict.c). */
static enum mapconn_wait
rcpt_wait(const struct sts_answer *a)
{
	switch (a->reason) {
	case STS_REASON_NO_POLICY:
	case STS_REASON_MODE_NONE:
	case STS_REASON_NOT_A_DOMAIN:
	case STS_REASON_SKIPPED:
	case STS_REASON_EXEMPT:
	case STS_REASON_DANE:
	case STS_REASON_NULL_MX:
		return MAPCONN_FINAL;
	case STS_REASON_PENDING:
		return MAPCONN_PENDING;
	case STS_REASON_TEMPFAIL:
		return a->have_policy ? MAPCONN_BLOCK : MAPCONN_PENDING;
	default:
		return MAPCONN_BLOCK;
	}
}

static size_t
rcpt(struct sts_engine *e, const struct sts_line_req *req, unsigned deadline,
     char *out, size_t outlen, enum mapconn_wait *wait)
{
	char lfrom[320], lrcpt[320], lwhy[STS_WHY_MAX], ldom[STS_DOMAIN_BUFSZ];
	struct sts_answer a;
	bool exempt;

	memset(&a, 0, sizeof(a));
	sts_engine_check(e, req->domain, req->sender, deadline, &a);
	if (wait != NULL && (*wait = rcpt_wait(&a)) != MAPCONN_FINAL)
		return sts_line_format_rcpt(&a, out, outlen); /* not logged */
	exempt = sts_rcptreply_exempt_guard(&a);
	sts_rcptreply_clean(lfrom, sizeof(lfrom), req->sender);
	sts_rcptreply_clean(lrcpt, sizeof(lrcpt), req->domain);
	sts_rcptreply_clean(lwhy, sizeof(lwhy), a.why);
	sts_rcptreply_clean(ldom, sizeof(ldom), a.domain);
	/* The milter's log line; Exim has no queue id at RCPT time. */
	log_msg(prio(&a),
		"exim: from=<%s> rcpt=@%s domain=%s mode=%s verdict=%s "
		"reason=%s type=%s%s why=\"%s\"",
		lfrom, lrcpt, ldom[0] ? ldom : "-", sts_rcptreply_mode(&a),
		sts_verdict_str(a.verdict), sts_reason_str(a.reason),
		sts_rpt_str(a.rpt), exempt ? " exempt=yes" : "", lwhy);
	return sts_line_format_rcpt(&a, out, outlen);
}

static size_t
sts(struct sts_engine *e, const struct sts_line_req *req, unsigned deadline,
    char *out, size_t outlen, enum mapconn_wait *wait)
{
	char why[STS_WHY_MAX], ldom[STS_DOMAIN_BUFSZ];
	struct sts_lookup lk;
	size_t n;

	sts_rcptreply_clean(ldom, sizeof(ldom), req->domain);
	memset(&lk, 0, sizeof(lk));
	/* Address literals, "[host]:port" and the like: no policy (the
	 * map's key rules, lib/engine/sts_mapreply.h). */
	if (sts_mapreply_key(req->domain, why, sizeof(why)) != STS_OK) {
		log_msg(LOG_DEBUG, "exim: sts %s: action=none (%s)", ldom, why);
		lk.status = STS_NOTFOUND;
		return sts_line_format_sts(&lk, NULL, out, outlen);
	}
	sts_engine_lookup(e, req->domain, deadline, &lk);
	n = sts_line_format_sts(&lk, NULL, out, outlen);
	/* As the map's (milter/mapanswer.c): nothing known yet, or a
	 * known policy whose DANE state may need the next hop's records. */
	if (wait != NULL) {
		if (lk.status == STS_TEMPFAIL && !lk.defer && lk.policy == NULL)
			*wait = MAPCONN_PENDING;
		else if (lk.status == STS_OK && lk.policy != NULL && !lk.dane)
			*wait = MAPCONN_BLOCK;
		else
			*wait = MAPCONN_FINAL;
	}
	if (wait == NULL || *wait == MAPCONN_FINAL) {
		sts_rcptreply_clean(why, sizeof(why), lk.why);
		log_msg(LOG_DEBUG,
			"exim: sts %s: status=%s reply=\"%.80s\" why=\"%s\"",
			ldom, sts_status_str(lk.status), out, why);
	}
	sts_policy_free(lk.policy);
	return n;
}

/*
 * The request dispatch: one case per verb of lib/engine/sts_line.h.  A
 * new verb gets its case here (and its handler above); the transport
 * (the map server with the line framing, milter/lined.c) stays as it
 * is.  wait: see eximq_answer().
 */
static size_t
eximq_dispatch(struct sts_engine *e, const struct sts_line_req *req,
	       unsigned deadline, char *out, size_t outlen,
	       enum mapconn_wait *wait)
{
	switch (req->verb) {
	case STS_LINE_RCPT:
		return rcpt(e, req, deadline, out, outlen, wait);
	case STS_LINE_STS:
		return sts(e, req, deadline, out, outlen, wait);
	case STS_LINE_TLSRPT: /* RFC 8460: one session (milter/tlsrpt.c) */
		return tlsrpt_line_answer(req, out, outlen);
	}
	return sts_line_format_error("unknown request", out, outlen);
}

void
eximq_count(const char *reply, size_t len)
{
	static const struct {
		const char *prefix;
		enum metrics_answer a;
	} t[] = {
		{"action=secure ", METRICS_OK_SECURE},
		{"action=dane ", METRICS_OK_DANE},
		{"action=accept ", METRICS_OK_OTHER},
		{"action=none", METRICS_NOTFOUND},
		{"action=defer ", METRICS_TEMP},
		/* the replies to a tlsrpt session record answer no lookup:
		 * the sessions are counted by the TLS reports */
		{"action=ok", METRICS_ANSWERS},
		{"action=ignored", METRICS_ANSWERS},
	};
	enum metrics_answer a = METRICS_PERM;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].prefix);
		if (len >= n && memcmp(reply, t[i].prefix, n) == 0) {
			a = t[i].a;
			break;
		}
	}
	if (a != METRICS_ANSWERS)
		metrics_answer(METRICS_LINE, a);
}

size_t
eximq_answer(struct sts_engine *e, const char *buf, size_t len,
	     unsigned deadline_ms, char *out, size_t outlen,
	     enum mapconn_wait *wait)
{
	struct sts_line_req req;
	char why[STS_WHY_MAX];
	size_t n;

	if (wait != NULL)
		*wait = MAPCONN_FINAL;
	if (sts_line_parse(buf, len, &req, why, sizeof(why)) != STS_OK) {
		log_msg(LOG_NOTICE, "exim: bad request: %s", why);
		return sts_line_format_error(why, out, outlen);
	}
	n = eximq_dispatch(e, &req, deadline_ms, out, outlen, wait);
	if (n >= outlen)
		n = sts_line_format_error("reply too large", out, outlen);
	return n;
}
