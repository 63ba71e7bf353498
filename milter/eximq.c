/*
 * milter/eximq.c - one Exim line-protocol request (see eximq.h).
 */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "eximq.h"
#include "log.h"
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

static size_t
rcpt(struct sts_engine *e, const struct sts_line_req *req, unsigned deadline,
     char *out, size_t outlen)
{
	char lfrom[320], lrcpt[320], lwhy[STS_WHY_MAX], ldom[STS_DOMAIN_BUFSZ];
	struct sts_answer a;
	bool exempt;

	memset(&a, 0, sizeof(a));
	sts_engine_check(e, req->domain, req->sender, deadline, &a);
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
    char *out, size_t outlen)
{
	char why[STS_WHY_MAX], ldom[STS_DOMAIN_BUFSZ];
	struct sts_lookup lk;
	size_t n;

	sts_rcptreply_clean(ldom, sizeof(ldom), req->domain);
	/* Address literals, "[host]:port" and the like: no policy (the
	 * map's key rules, lib/engine/sts_mapreply.h). */
	if (sts_mapreply_key(req->domain, why, sizeof(why)) != STS_OK) {
		log_msg(LOG_DEBUG, "exim: sts %s: action=none (%s)", ldom, why);
		memset(&lk, 0, sizeof(lk));
		lk.status = STS_NOTFOUND;
		return sts_line_format_sts(&lk, NULL, out, outlen);
	}
	memset(&lk, 0, sizeof(lk));
	sts_engine_lookup(e, req->domain, deadline, &lk);
	n = sts_line_format_sts(&lk, NULL, out, outlen);
	sts_rcptreply_clean(why, sizeof(why), lk.why);
	log_msg(LOG_DEBUG, "exim: sts %s: status=%s reply=\"%.80s\" why=\"%s\"",
		ldom, sts_status_str(lk.status), out, why);
	sts_policy_free(lk.policy);
	return n;
}

size_t
eximq_answer(struct sts_engine *e, const char *buf, size_t len, char *out,
	     size_t outlen)
{
	struct sts_line_req req;
	struct conf *c;
	char why[STS_WHY_MAX];
	unsigned deadline;
	size_t n;

	if (sts_line_parse(buf, len, &req, why, sizeof(why)) != STS_OK) {
		log_msg(LOG_NOTICE, "exim: bad request: %s", why);
		return sts_line_format_error(why, out, outlen);
	}
	c = conf_current();
	deadline = c != NULL ? c->lookup_deadline_ms : 3000;
	conf_unref(c);
	switch (req.verb) {
	case STS_LINE_RCPT:
		n = rcpt(e, &req, deadline, out, outlen);
		break;
	case STS_LINE_TLSRPT: /* RFC 8460: one session (milter/tlsrpt.c) */
		n = tlsrpt_line_answer(&req, out, outlen);
		break;
	default:
		n = sts(e, &req, deadline, out, outlen);
		break;
	}
	if (n >= outlen)
		n = sts_line_format_error("reply too large", out, outlen);
	return n;
}
