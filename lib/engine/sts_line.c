/*
 * sts_line.c - the Exim line protocol (see sts_line.h).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sts_line.h"
#include "sts_rcptreply.h"

long
sts_line_frame(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);

	if (nl != NULL)
		return (long)(nl - buf) + 1;
	/* room for the request and its "\r\n" */
	return len <= STS_MAX_LINE_REQUEST + 2 ? 0 : -1;
}

/* Copy src[n] into dst[size] (n < size checked by the caller). */
static void
take(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The next space-separated word of [*p, end): its length (0 for an
 * empty word, i.e. two spaces or a trailing one); *p moves past it and
 * its space.  *more says whether a space followed. */
static size_t
word(const char **p, const char *end, const char **w, bool *more)
{
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));
	size_t n = (size_t)((sp != NULL ? sp : end) - *p);

	*w = *p;
	*more = sp != NULL;
	*p = sp != NULL ? sp + 1 : end;
	return n;
}

/* "tlsrpt TYPE DOMAIN MX RESULT [IP]" after the verb (sts_line.h).
 * Every field is a token from a closed alphabet, so nothing a client
 * sends reaches the report but names and addresses. */
static enum sts_status
parse_tlsrpt(const char *p, const char *end, struct sts_line_req *req,
	     char *why, size_t whylen)
{
	char tok[32];
	const char *w;
	bool more;
	size_t n, i;

	req->verb = STS_LINE_TLSRPT;
	n = word(&p, end, &w, &more);
	if (n == 0 || n >= sizeof(tok) || !more)
		return sts_why(why, whylen, STS_INVALID,
			       "expected: tlsrpt TYPE DOMAIN MX RESULT [IP]");
	take(tok, w, n);
	/* RFC 8460 section 4.4 policy-type */
	req->ptype = sts_rpt_ptype_parse(tok);
	if (req->ptype == 0)
		return sts_why(why, whylen, STS_INVALID,
			       "policy type must be sts, tlsa or "
			       "no-policy-found");
	n = word(&p, end, &w, &more);
	if (n == 0 || !more)
		return sts_why(why, whylen, STS_INVALID,
			       n == 0 ? "empty domain"
				      : "expected: tlsrpt TYPE DOMAIN MX "
					"RESULT [IP]");
	if (n > STS_MAX_DOMAIN_INPUT)
		return sts_why(why, whylen, STS_INVALID, "domain too long");
	take(req->domain, w, n);
	n = word(&p, end, &w, &more);
	if (n == 0 || !more)
		return sts_why(why, whylen, STS_INVALID,
			       n == 0 ? "empty MX host"
				      : "expected: tlsrpt TYPE DOMAIN MX "
					"RESULT [IP]");
	if (n > STS_MAX_DOMAIN)
		return sts_why(why, whylen, STS_INVALID, "MX host too long");
	if (!(n == 1 && w[0] == '-')) {
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)w[i];
			if (!((c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			      c == '_'))
				return sts_why(why, whylen, STS_INVALID,
					       "MX host: not a host name");
		}
		take(req->mx, w, n);
	}
	n = word(&p, end, &w, &more);
	if (n == 0 || n >= sizeof(tok))
		return sts_why(why, whylen, STS_INVALID,
			       "result must be success or an RFC 8460 "
			       "result type");
	take(tok, w, n);
	req->success = strcmp(tok, "success") == 0;
	/* section 4.3: the result types (sts_status.h) */
	req->result = req->success ? STS_RPT_NONE : sts_rpt_parse(tok);
	if (!req->success && req->result == STS_RPT_NONE)
		return sts_why(why, whylen, STS_INVALID,
			       "result must be success or an RFC 8460 "
			       "result type");
	if (!more)
		return STS_OK;
	n = word(&p, end, &w, &more);
	if (n == 0 || more)
		return sts_why(why, whylen, STS_INVALID,
			       "expected: tlsrpt TYPE DOMAIN MX RESULT [IP]");
	if (n > STS_MAX_LINE_IP)
		return sts_why(why, whylen, STS_INVALID, "IP too long");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F') || c == '.' || c == ':'))
			return sts_why(why, whylen, STS_INVALID,
				       "IP: not an address");
	}
	take(req->ip, w, n);
	return STS_OK;
}

enum sts_status
sts_line_parse(const char *buf, size_t len, struct sts_line_req *req, char *why,
	       size_t whylen)
{
	const char *sp, *rest, *end;
	size_t i, n;

	memset(req, 0, sizeof(*req));
	/* One line: the only LF may be the last byte, the only CR the one
	 * right before it. */
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	if (len == 0)
		return sts_why(why, whylen, STS_INVALID, "empty request");
	if (len > STS_MAX_LINE_REQUEST)
		return sts_why(why, whylen, STS_INVALID,
			       "request longer than %d bytes",
			       STS_MAX_LINE_REQUEST);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\0')
			return sts_why(why, whylen, STS_INVALID,
				       "NUL byte in request");
		if (c == '\n')
			return sts_why(why, whylen, STS_INVALID,
				       "more than one line");
		if (c < 0x20 || c == 0x7f)
			return sts_why(why, whylen, STS_INVALID,
				       "control character in request");
	}
	end = buf + len;
	sp = memchr(buf, ' ', len);
	if (sp == NULL)
		return sts_why(why, whylen, STS_INVALID,
			       "expected: rcpt DOMAIN <SENDER> | sts DOMAIN | "
			       "tlsrpt TYPE DOMAIN MX RESULT [IP]");
	n = (size_t)(sp - buf);
	if (n == 4 && memcmp(buf, "rcpt", 4) == 0)
		req->verb = STS_LINE_RCPT;
	else if (n == 3 && memcmp(buf, "sts", 3) == 0)
		req->verb = STS_LINE_STS;
	else if (n == 6 && memcmp(buf, "tlsrpt", 6) == 0)
		return parse_tlsrpt(sp + 1, end, req, why, whylen);
	else
		return sts_why(why, whylen, STS_INVALID, "unknown verb");
	/* the domain: up to the next space or the end */
	rest = sp + 1;
	sp = memchr(rest, ' ', (size_t)(end - rest));
	n = (size_t)((sp != NULL ? sp : end) - rest);
	if (n == 0)
		return sts_why(why, whylen, STS_INVALID, "empty domain");
	if (n > STS_MAX_DOMAIN_INPUT)
		return sts_why(why, whylen, STS_INVALID, "domain too long");
	take(req->domain, rest, n);
	if (sp == NULL)
		return STS_OK;
	if (req->verb == STS_LINE_STS)
		return sts_why(why, whylen, STS_INVALID,
			       "\"sts\" takes only a domain");
	/* rcpt: the rest is "<sender>", which may contain spaces (a
	 * quoted local part) but must be bracketed. */
	rest = sp + 1;
	n = (size_t)(end - rest);
	if (n < 2 || rest[0] != '<' || rest[n - 1] != '>')
		return sts_why(why, whylen, STS_INVALID,
			       "sender must be in angle brackets");
	if (n - 2 > STS_MAX_ADDR_INPUT)
		return sts_why(why, whylen, STS_INVALID, "sender too long");
	take(req->sender, rest + 1, n - 2);
	return STS_OK;
}

/* An output buffer that counts what it would need (snprintf-like). */
struct lout {
	char *buf;
	size_t size, len;
};

static void
lput(struct lout *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
lputs(struct lout *o, const char *s)
{
	lput(o, s, strlen(s));
}

/* " key=value" with the value as is (a token without spaces). */
static void
kv(struct lout *o, const char *key, const char *val)
{
	if (o->len > 0)
		lput(o, " ", 1);
	lputs(o, key);
	lput(o, "=", 1);
	lputs(o, val);
}

/* " key=\"value\"": printable ASCII, '"' and '\\' made '?' so that
 * Exim's string_dequote() has nothing to unescape. */
static void
kvq(struct lout *o, const char *key, const char *val, size_t max)
{
	size_t i;

	if (o->len > 0)
		lput(o, " ", 1);
	lputs(o, key);
	lput(o, "=\"", 2);
	for (i = 0; val[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)val[i];
		char s = (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
				 ? '?'
				 : (char)c;

		lput(o, &s, 1);
	}
	lput(o, "\"", 1);
}

/* Terminate with "\n" and NUL (truncating if needed). */
static size_t
lfinish(struct lout *o)
{
	lput(o, "\n", 1);
	if (o->size > 0)
		o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
	return o->len;
}

size_t
sts_line_format_tlsrpt(const char *action, const char *why, char *buf,
		       size_t buflen)
{
	struct lout o = {buf, buflen, 0};

	kv(&o, "action", action);
	if (why != NULL)
		kvq(&o, "why", why, STS_WHY_MAX);
	return lfinish(&o);
}

size_t
sts_line_format_error(const char *reason, char *buf, size_t buflen)
{
	struct lout o = {buf, buflen, 0};

	kv(&o, "action", "error");
	kvq(&o, "why", reason, STS_WHY_MAX);
	return lfinish(&o);
}

size_t
sts_line_format_rcpt(const struct sts_answer *a, char *buf, size_t buflen)
{
	struct lout o = {buf, buflen, 0};
	char dom[STS_DOMAIN_BUFSZ], entry[STS_DOMAIN_BUFSZ + 128];
	char rcode[8], xcode[16], text[STS_RCPT_MAX_TEXT + 1];
	bool hold = a->verdict == STS_VERDICT_DEFER ||
		    a->verdict == STS_VERDICT_REJECT;

	sts_rcptreply_clean(dom, sizeof(dom), a->domain);
	kv(&o, "action",
	   !hold			      ? "accept"
	   : a->verdict == STS_VERDICT_REJECT ? "reject"
					      : "defer");
	kv(&o, "verdict", sts_verdict_str(a->verdict));
	kv(&o, "domain", dom[0] != '\0' ? dom : "-");
	kv(&o, "mode", sts_rcptreply_mode(a));
	kv(&o, "result", sts_rcptreply_result(a->reason));
	kv(&o, "reason", sts_reason_str(a->reason));
	kv(&o, "type", sts_rpt_str(a->rpt));
	if (hold) {
		sts_rcptreply_smtp(a, rcode, sizeof(rcode), xcode,
				   sizeof(xcode), text, sizeof(text));
		kv(&o, "code", rcode);
		kv(&o, "dsn", xcode);
		kvq(&o, "text", text, sizeof(text));
	} else if (a->domain[0] != '\0' && sts_rcptreply_tagged(a)) {
		sts_rcptreply_entry(a, entry, sizeof(entry));
		kvq(&o, "header", entry, sizeof(entry));
	}
	return lfinish(&o);
}

/* RFC 8461 section 4.1 as one PCRE: "mx.example.com" literally,
 * "*.example.net" as exactly one label in front; case-insensitive
 * (RFC 1035 names compare so).  Patterns were checked by
 * sts_mapreply_class(): LDH labels and dots, so only '.' needs an
 * escape. */
static void
put_regex(struct lout *o, const struct sts_policy *p)
{
	size_t i, j;

	lputs(o, "^(?i:");
	for (i = 0; i < p->n_mx; i++) {
		const char *m = p->mx[i];

		if (i > 0)
			lput(o, "|", 1);
		if (m[0] == '*') {
			lputs(o, "[^.]+");
			m++;
		}
		for (j = 0; m[j] != '\0'; j++) {
			if (m[j] == '.')
				lput(o, "\\", 1);
			lput(o, &m[j], 1);
		}
	}
	lputs(o, ")$");
}

size_t
sts_line_format_sts(const struct sts_lookup *lk,
		    const struct sts_mapreply_opts *opts, char *buf,
		    size_t buflen)
{
	struct lout o = {buf, buflen, 0};
	const char *reason;
	char dom[STS_DOMAIN_BUFSZ];
	size_t i;

	sts_rcptreply_clean(dom, sizeof(dom), lk->domain);
	switch (sts_mapreply_class(lk, opts, &reason)) {
	case STS_MAP_NOTFOUND:
		kv(&o, "action", "none");
		return lfinish(&o);
	case STS_MAP_TEMP:
		kv(&o, "action", "defer");
		kvq(&o, "why", reason, STS_WHY_MAX);
		return lfinish(&o);
	case STS_MAP_DANE:
		kv(&o, "action", "dane");
		kv(&o, "mode", "enforce");
		kv(&o, "domain", dom[0] != '\0' ? dom : "-");
		return lfinish(&o);
	case STS_MAP_SECURE:
		break;
	}
	kv(&o, "action", "secure");
	kv(&o, "mode", "enforce");
	kv(&o, "domain", dom[0] != '\0' ? dom : "-");
	lputs(&o, " match=");
	for (i = 0; i < lk->policy->n_mx; i++) {
		if (i > 0)
			lput(&o, ":", 1);
		lputs(&o, lk->policy->mx[i]);
	}
	lputs(&o, " mx_regex=");
	put_regex(&o, lk->policy);
	if (o.len + 1 > STS_MAX_LINE_REPLY) {
		o.len = 0;
		kv(&o, "action", "defer");
		kvq(&o, "why", "policy too large", STS_WHY_MAX);
	}
	return lfinish(&o);
}
