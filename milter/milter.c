/*
 * milter/milter.c - per-transaction logic behind the libmilter
 * callbacks (see milter.h).  No libmilter here: every smfi_* call goes
 * through env->io, every policy question through env->check.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "milter.h"
#include "sts_addr.h"
#include "sts_domain.h"
#include "sts_rcptreply.h"

/* What the header needs to know of one recipient domain. */
struct dom {
	char name[STS_DOMAIN_BUFSZ];
	enum sts_verdict verdict;
	enum sts_reason reason;
	enum sts_rpt rpt;
	enum sts_mode mode;
	bool have_policy;
};

struct msess {
	const struct milter_env *env;
	struct conf *conf; /* snapshot for this message, or NULL */
	char qid[64];	   /* {i}, or "NOQUEUE" until known */
	char from[STS_MAX_ADDR_INPUT + 1];
	int spoofed;   /* incoming headers named HeaderName */
	bool overflow; /* more than MILTER_MAX_DOMAINS domains */
	size_t n_dom, cap_dom;
	struct dom *dom;
	unsigned long proto; /* negotiated SMFIP_* bits (smfi.c) */
};

struct msess *
msess_new(const struct milter_env *env)
{
	struct msess *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->env = env;
	snprintf(s->qid, sizeof(s->qid), "NOQUEUE");
	return s;
}

static void
message_reset(struct msess *s)
{
	conf_unref(s->conf);
	s->conf = NULL;
	s->from[0] = '\0';
	s->spoofed = 0;
	s->overflow = false;
	s->n_dom = 0;
	snprintf(s->qid, sizeof(s->qid), "NOQUEUE");
}

void
msess_free(struct msess *s)
{
	if (s == NULL)
		return;
	message_reset(s);
	free(s->dom);
	free(s);
}

void
msess_abort(struct msess *s)
{
	if (s != NULL)
		message_reset(s);
}

void
msess_set_proto(struct msess *s, unsigned long pflags)
{
	s->proto = pflags;
}

unsigned long
msess_proto(const struct msess *s)
{
	return s != NULL ? s->proto : MILTER_PROTO_UNKNOWN;
}

/* Postfix assigns the queue id at the first accepted RCPT, sendmail at
 * MAIL: look at {i} in every callback and keep the latest. */
static void
update_qid(struct msess *s, void *ctx)
{
	const char *q = s->env->io->getsymval(ctx, "i");

	if (q != NULL && *q != '\0')
		sts_rcptreply_clean(s->qid, sizeof(s->qid), q);
}

static struct conf *
get_conf(const struct msess *s)
{
	return s->env->conf_get != NULL ? s->env->conf_get() : conf_current();
}

/* The snapshot of this message (taken lazily if MAIL was not seen). */
static struct conf *
msg_conf(struct msess *s)
{
	if (s->conf == NULL)
		s->conf = get_conf(s);
	return s->conf;
}

enum milter_rc
msess_envfrom(struct msess *s, void *ctx, const char *from)
{
	message_reset(s);
	s->conf = get_conf(s);
	update_qid(s, ctx);
	snprintf(s->from, sizeof(s->from), "%s", from != NULL ? from : "");
	return MILTER_CONTINUE;
}

const char *
milter_result_str(const struct sts_answer *a)
{
	return sts_rcptreply_result(a->reason);
}

static const char *
mode_str(const struct sts_answer *a)
{
	return sts_rcptreply_mode(a);
}

void
milter_reply(const struct sts_answer *a, char *rcode, size_t rlen, char *xcode,
	     size_t xlen, char *text, size_t tlen)
{
	char raw[STS_RCPT_MAX_TEXT + 1];
	size_t i, j;

	sts_rcptreply_smtp(a, rcode, rlen, xcode, xlen, raw, sizeof(raw));
	if (tlen > MILTER_MAX_REPLY_TEXT + 1)
		tlen = MILTER_MAX_REPLY_TEXT + 1;
	/* smfi_setreply(3): a single '%' makes the MTA drop the text. */
	for (i = j = 0; raw[i] != '\0' && j + 2 < tlen; i++) {
		if (raw[i] == '%')
			text[j++] = '%';
		text[j++] = raw[i];
	}
	if (tlen > 0)
		text[j] = '\0';
}

/* Remember one accepted recipient's answer for the header. */
static void
remember(struct msess *s, const struct sts_answer *a)
{
	struct dom *d;
	size_t i;

	if (a->domain[0] == '\0')
		return;
	for (i = 0; i < s->n_dom; i++)
		if (strcmp(s->dom[i].name, a->domain) == 0)
			break;
	if (i == s->n_dom) {
		if (s->n_dom == MILTER_MAX_DOMAINS) {
			s->overflow = true;
			return;
		}
		if (s->n_dom == s->cap_dom) {
			size_t ncap = s->cap_dom ? s->cap_dom * 2 : 4;
			struct dom *nd = realloc(s->dom, ncap * sizeof(*nd));

			if (nd == NULL) {
				s->overflow = true;
				return;
			}
			s->dom = nd;
			s->cap_dom = ncap;
		}
		s->n_dom++;
	}
	d = &s->dom[i];
	snprintf(d->name, sizeof(d->name), "%s", a->domain);
	d->verdict = a->verdict;
	d->reason = a->reason;
	d->rpt = a->rpt;
	d->mode = a->mode;
	d->have_policy = a->have_policy;
}

static int
log_prio(const struct sts_answer *a)
{
	switch (a->verdict) {
	case STS_VERDICT_DEFER:
	case STS_VERDICT_REJECT:
		return LOG_WARNING;
	case STS_VERDICT_TAG:
		return strcmp(milter_result_str(a), "pass") == 0 ? LOG_INFO
								 : LOG_NOTICE;
	default:
		return LOG_INFO;
	}
}

/* Is w one of the words of list (space/comma separated, any case)?  A
 * list word ".example.com" (dot_suffix) also takes every name under it. */
static bool
listed(const char *list, const char *w, bool dot_suffix)
{
	size_t wl = strlen(w), n;
	const char *p = list;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n > 0 && n == wl && strncasecmp(p, w, n) == 0)
			return true;
		if (dot_suffix && n > 1 && p[0] == '.' && wl > n &&
		    strncasecmp(w + wl - n, p, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* Issue 14 item 2: only recipients that leave by SMTP have an MTA-STS
 * question (RFC 8461 section 1: it protects SMTP delivery to the
 * recipient domain's MX).  Mail for the site's own domains (Postfix
 * local/virtual/lmtp, sendmail local) is not checked: the MTA names the
 * transport in {rcpt_mailer} at RCPT (Postfix milter_rcpt_macros and
 * sendmail's Milter.macros.envrcpt send it by default); LocalDomains
 * covers MTAs that do not.  Returns the reason to skip, or NULL. */
static const char *
not_smtp(struct msess *s, void *ctx, const struct conf *c, const char *dom,
	 char *buf, size_t buflen)
{
	const char *m = s->env->io->getsymval(ctx, "{rcpt_mailer}");

	if (c->local_domains != NULL && listed(c->local_domains, dom, true))
		return "LocalDomains";
	if (m == NULL || m[0] == '\0' || c->check_mailers == NULL ||
	    c->check_mailers[0] == '\0' || listed(c->check_mailers, m, false))
		return NULL;
	snprintf(buf, buflen, "rcpt_mailer=%.40s is not in CheckMailers", m);
	return buf;
}

/* Escape every byte outside printable ASCII, '"' and '\\' as \xHH. */
static void
escape(char *dst, size_t dlen, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	if (dlen == 0)
		return;
	for (; src != NULL && *src != '\0'; src++) {
		unsigned char c = (unsigned char)*src;

		if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
			if (i + 1 >= dlen)
				break;
			dst[i++] = (char)c;
			continue;
		}
		if (i + 4 >= dlen)
			break;
		dst[i++] = '\\';
		dst[i++] = 'x';
		dst[i++] = hex[c >> 4];
		dst[i++] = hex[c & 15];
	}
	dst[i] = '\0';
}

void
milter_log_rcpt(const char *rcpt, char *out, size_t outlen, char *raw,
		size_t rawlen)
{
	char dom[STS_ADDR_DOMAIN_BUFSZ], al[STS_DOMAIN_BUFSZ], why[8];
	char head[320];
	const char *p, *at;
	bool plain = true;
	size_t hl;

	if (rawlen > 0)
		raw[0] = '\0';
	for (p = rcpt; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			plain = false;
	if (plain) {
		sts_rcptreply_clean(out, outlen, rcpt);
		return;
	}
	escape(raw, rawlen, rcpt);
	at = strrchr(rcpt, '@');
	if (at == NULL ||
	    sts_addr_domain(rcpt, dom, sizeof(dom), why, sizeof(why)) !=
		    STS_OK ||
	    sts_domain_normalize(dom, al, why, sizeof(why)) != STS_OK) {
		sts_rcptreply_clean(out, outlen, rcpt);
		return;
	}
	/* the local part as is ('?' for unsafe bytes), the domain in
	 * A-labels, the closing '>' kept */
	hl = (size_t)(at - rcpt) + 1;
	if (hl >= sizeof(head))
		hl = sizeof(head) - 1;
	memcpy(head, rcpt, hl);
	head[hl] = '\0';
	sts_rcptreply_clean(out, outlen, head);
	hl = strlen(out);
	snprintf(out + hl, outlen - hl, "%s%s", al,
		 rcpt[strlen(rcpt) - 1] == '>' ? ">" : "");
}

enum milter_rc
msess_envrcpt(struct msess *s, void *ctx, const char *rcpt)
{
	char dom[STS_ADDR_DOMAIN_BUFSZ], why[STS_WHY_MAX];
	char lrcpt[320], lfrom[320], lwhy[STS_WHY_MAX], ldom[STS_DOMAIN_BUFSZ];
	char rcode[8], xcode[16], text[600], mbuf[96];
	char lraw[4 * 320];
	struct sts_answer a;
	struct conf *c = msg_conf(s);
	enum sts_status st;
	bool exempt_hit = false;
	const char *skip;

	update_qid(s, ctx);
	memset(&a, 0, sizeof(a));
	st = sts_addr_domain(rcpt, dom, sizeof(dom), why, sizeof(why));
	/* An address literal has no policy of its own, but the engine
	 * still sees it: with a Relayhost the smart host's policy applies
	 * (RFC 8461 section 3.4). */
	if (st != STS_OK && dom[0] == '[')
		st = STS_OK;
	if (st != STS_OK) {
		/* Odd input never rejects: at worst "no policy". */
		a.verdict = STS_VERDICT_PASS;
		a.reason = STS_REASON_NOT_A_DOMAIN;
		snprintf(a.why, sizeof(a.why), "%s", why);
	} else if (c == NULL) {
		a.verdict = STS_VERDICT_PASS;
		a.reason = STS_REASON_INTERNAL;
		snprintf(a.why, sizeof(a.why), "no configuration");
	} else if ((skip = not_smtp(s, ctx, c, dom, mbuf, sizeof(mbuf))) !=
		   NULL) {
		a.verdict = STS_VERDICT_PASS;
		a.reason = STS_REASON_SKIPPED;
		snprintf(a.why, sizeof(a.why), "not delivered by SMTP: %s",
			 skip);
	} else {
		s->env->check(s->env->check_arg, dom, s->from,
			      c->lookup_deadline_ms, &a);
	}
	/* RFC 8460 5.3: mail from exempt senders (TLS reports) is never
	 * held back by MTA-STS.  The engine answers EXEMPT for them (the
	 * override file's exempt-sender lines); this guard also keeps any
	 * future path from deferring them. */
	exempt_hit = sts_rcptreply_exempt_guard(&a);
	milter_log_rcpt(rcpt, lrcpt, sizeof(lrcpt), lraw, sizeof(lraw));
	sts_rcptreply_clean(lfrom, sizeof(lfrom), s->from);
	sts_rcptreply_clean(lwhy, sizeof(lwhy), a.why);
	sts_rcptreply_clean(ldom, sizeof(ldom), a.domain);
	log_msg(log_prio(&a),
		"qid=%s from=%s rcpt=%s%s%s%s domain=%s mode=%s verdict=%s "
		"reason=%s type=%s%s why=\"%s\"",
		s->qid, lfrom[0] ? lfrom : "<>", lrcpt,
		lraw[0] ? " rcpt_raw=\"" : "", lraw, lraw[0] ? "\"" : "",
		ldom[0] ? ldom : "-", mode_str(&a), sts_verdict_str(a.verdict),
		sts_reason_str(a.reason), sts_rpt_str(a.rpt),
		exempt_hit ? " exempt=yes" : "", lwhy);
	if (a.verdict == STS_VERDICT_DEFER || a.verdict == STS_VERDICT_REJECT) {
		milter_reply(&a, rcode, sizeof(rcode), xcode, sizeof(xcode),
			     text, sizeof(text));
		if (s->env->io->setreply(ctx, rcode, xcode, text) != 0)
			log_msg(LOG_ERR, "qid=%s setreply failed", s->qid);
		return a.verdict == STS_VERDICT_REJECT ? MILTER_REJECT
						       : MILTER_TEMPFAIL;
	}
	remember(s, &a);
	return MILTER_CONTINUE;
}

enum milter_rc
msess_header(struct msess *s, void *ctx, const char *name, const char *value)
{
	struct conf *c = msg_conf(s);

	(void)ctx;
	(void)value;
	if (c != NULL && name != NULL && strcasecmp(name, c->header_name) == 0)
		s->spoofed++;
	return MILTER_CONTINUE;
}

/* The header value: one folded line per recipient domain. */
static char *
header_value(const struct msess *s)
{
	size_t i, len = 0, cap = s->n_dom * (STS_DOMAIN_BUFSZ + 128) + 64;
	char *v = malloc(cap), e[STS_DOMAIN_BUFSZ + 128];

	if (v == NULL)
		return NULL;
	v[0] = '\0';
	for (i = 0; i < s->n_dom; i++) {
		const struct dom *d = &s->dom[i];
		struct sts_answer a;
		int n;

		memset(&a, 0, sizeof(a));
		a.verdict = d->verdict;
		a.reason = d->reason;
		a.rpt = d->rpt;
		a.mode = d->mode;
		a.have_policy = d->have_policy;
		snprintf(a.domain, sizeof(a.domain), "%s", d->name);
		if (!sts_rcptreply_tagged(&a))
			continue;
		n = sts_rcptreply_entry(&a, e, sizeof(e));
		if (n < 0 || (size_t)n >= sizeof(e) ||
		    len + 3 + (size_t)n >= cap)
			break;
		if (len > 0) {
			memcpy(v + len, ";\n\t", 3);
			len += 3;
		}
		memcpy(v + len, e, (size_t)n + 1);
		len += (size_t)n;
	}
	return v;
}

enum milter_rc
msess_eom(struct msess *s, void *ctx)
{
	struct conf *c = msg_conf(s);
	bool tag = false;
	size_t i;
	int idx;

	update_qid(s, ctx);
	if (c == NULL) {
		message_reset(s);
		return MILTER_CONTINUE;
	}
	/* Delete every incoming copy so that ours cannot be spoofed; from
	 * the last one down, so the indices of the others stay valid. */
	for (idx = s->spoofed; idx >= 1; idx--)
		if (s->env->io->chgheader(ctx, c->header_name, idx, NULL) != 0)
			log_msg(LOG_ERR, "qid=%s cannot delete %s header #%d",
				s->qid, c->header_name, idx);
	if (s->spoofed > 0)
		log_msg(LOG_NOTICE, "qid=%s removed=%d header=%s", s->qid,
			s->spoofed, c->header_name);
	for (i = 0; i < s->n_dom; i++)
		if (s->dom[i].have_policy ||
		    s->dom[i].verdict == STS_VERDICT_TAG)
			tag = true;
	if (s->overflow)
		log_msg(LOG_NOTICE,
			"qid=%s more than %d recipient domains; header lists "
			"the first",
			s->qid, MILTER_MAX_DOMAINS);
	if (tag) {
		char *v = header_value(s);

		if (v == NULL ||
		    s->env->io->addheader(ctx, c->header_name, v) != 0)
			log_msg(LOG_ERR, "qid=%s cannot add %s header", s->qid,
				c->header_name);
		free(v);
	}
	message_reset(s);
	return MILTER_CONTINUE;
}
