/*
 * sts_rcptreply.c - SMTP reply and header entry of an RCPT-time answer
 * (see sts_rcptreply.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sts_rcptreply.h"

void
sts_rcptreply_clean(char *dst, size_t dlen, const char *src)
{
	size_t i = 0;

	if (dlen == 0)
		return;
	for (; src != NULL && *src != '\0' && i + 1 < dlen; src++) {
		unsigned char c = (unsigned char)*src;

		dst[i++] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
				   ? '?'
				   : (char)c;
	}
	dst[i] = '\0';
}

const char *
sts_rcptreply_result(enum sts_reason r)
{
	switch (r) {
	case STS_REASON_SATISFIED:
		return "pass";
	case STS_REASON_MX_MISMATCH:
	case STS_REASON_NULL_MX:
	case STS_REASON_TLS_FAILED:
	case STS_REASON_DNSSEC_BOGUS:
	case STS_REASON_FORCED:
		return "fail";
	case STS_REASON_PENDING:
	case STS_REASON_TEMPFAIL:
	case STS_REASON_INTERNAL:
		return "temperror";
	default:
		return "none";
	}
}

const char *
sts_rcptreply_mode(const struct sts_answer *a)
{
	return a->have_policy ? sts_mode_str(a->mode) : "none";
}

bool
sts_rcptreply_exempt_guard(struct sts_answer *a)
{
	if (a->reason == STS_REASON_EXEMPT &&
	    (a->verdict == STS_VERDICT_DEFER ||
	     a->verdict == STS_VERDICT_REJECT)) {
		a->verdict = STS_VERDICT_TAG;
		return true;
	}
	return false;
}

bool
sts_rcptreply_tagged(const struct sts_answer *a)
{
	return a->have_policy || a->verdict == STS_VERDICT_TAG;
}

/* The enhanced code's subject.detail part (see the header). */
static const char *
enhanced(const struct sts_answer *a)
{
	switch (a->reason) {
	case STS_REASON_TLS_FAILED:
		return a->rpt == STS_RPT_STARTTLS_NOT_SUPPORTED ? "7.4" : "7.5";
	case STS_REASON_DNSSEC_BOGUS:
		return "7.5";
	case STS_REASON_MX_MISMATCH:
		return "4.4";
	case STS_REASON_NULL_MX:
		return "1.10";
	case STS_REASON_PENDING:
	case STS_REASON_TEMPFAIL:
		return "4.3";
	case STS_REASON_INTERNAL:
		return "3.0";
	default:
		return "7.0";
	}
}

void
sts_rcptreply_smtp(const struct sts_answer *a, char *rcode, size_t rlen,
		   char *xcode, size_t xlen, char *text, size_t tlen)
{
	bool perm = a->verdict == STS_VERDICT_REJECT;
	char why[STS_WHY_MAX], dom[STS_DOMAIN_BUFSZ], raw[1024];

	if (perm && a->reason == STS_REASON_NULL_MX)
		snprintf(rcode, rlen, "556"); /* RFC 7505 section 4.2 */
	else
		snprintf(rcode, rlen, "%s", perm ? "550" : "451");
	snprintf(xcode, xlen, "%c.%s", perm ? '5' : '4', enhanced(a));
	sts_rcptreply_clean(dom, sizeof(dom), a->domain);
	sts_rcptreply_clean(why, sizeof(why), a->why);
	if (a->have_policy)
		snprintf(raw, sizeof(raw),
			 "MTA-STS policy of %s (mode %s) cannot be met: %s "
			 "(%s)",
			 dom, sts_rcptreply_mode(a), sts_reason_str(a->reason),
			 why);
	else
		snprintf(raw, sizeof(raw),
			 "MTA-STS policy of %s cannot be checked: %s (%s)", dom,
			 sts_reason_str(a->reason), why);
	/* at most STS_RCPT_MAX_TEXT bytes: cut, never overflow */
	if (tlen > STS_RCPT_MAX_TEXT + 1)
		tlen = STS_RCPT_MAX_TEXT + 1;
	if (tlen > 0) {
		size_t n = strlen(raw);

		if (n >= tlen)
			n = tlen - 1;
		memcpy(text, raw, n);
		text[n] = '\0';
	}
}

int
sts_rcptreply_entry(const struct sts_answer *a, char *buf, size_t len)
{
	char dom[STS_DOMAIN_BUFSZ];

	sts_rcptreply_clean(dom, sizeof(dom), a->domain);
	return snprintf(buf, len,
			"domain=%s mode=%s result=%s reason=%s type=%s", dom,
			sts_rcptreply_mode(a), sts_rcptreply_result(a->reason),
			sts_reason_str(a->reason), sts_rpt_str(a->rpt));
}
