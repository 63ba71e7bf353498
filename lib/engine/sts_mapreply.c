/*
 * sts_mapreply.c - the socketmap answer for one TLS policy lookup.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sts_mapreply.h"
#include "sts_nexthop.h"

/* An output buffer that counts what it would need (snprintf-like). */
struct out {
	char *buf;
	size_t size; /* of buf */
	size_t len;  /* needed so far */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* NUL-terminate (truncating if needed) and return the needed length. */
static size_t
finish(struct out *o)
{
	if (o->size > 0)
		o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
	return o->len;
}

enum sts_status
sts_mapreply_hop(const char *key, char *host, size_t hostlen, bool *literal,
		 char *why, size_t whylen)
{
	*literal = false;
	if (hostlen > 0)
		host[0] = '\0';
	if (key[0] == '\0')
		return sts_why(why, whylen, STS_NOTFOUND, "empty key");
	/* Postfix's parent_domain_matches_subdomains probes ".example.com";
	 * that is not a next hop (RFC 8461 section 3.4: no fallback to
	 * the parent). */
	if (key[0] == '.')
		return sts_why(why, whylen, STS_NOTFOUND,
			       "parent-domain probe");
	if (strchr(key, ' ') != NULL)
		return sts_why(why, whylen, STS_NOTFOUND, "not a domain name");
	/* An explicit next hop ("[host]", "[host]:port", "host:port": a
	 * relayhost or transport nexthop) has the host's policy (RFC 8461
	 * section 3.4).  "[192.0.2.1]" and "[IPv6:...]" parse too; the
	 * engine finds no policy for an address literal (checklist A3). */
	if (sts_nexthop_parse(key, host, hostlen, literal, why, whylen) !=
	    STS_OK)
		return STS_NOTFOUND;
	return STS_OK;
}

enum sts_status
sts_mapreply_key(const char *key, char *why, size_t whylen)
{
	char host[STS_MAX_DOMAIN_INPUT + 1];
	bool literal;

	return sts_mapreply_hop(key, host, sizeof(host), &literal, why, whylen);
}

void
sts_mapreply_opts_for(const char *name, const struct sts_mapreply_opts *base,
		      struct sts_mapreply_opts *out)
{
	static const struct sts_mapreply_opts defaults;

	*out = base != NULL ? *base : defaults;
	if (name != NULL && strcmp(name, STS_MAPREPLY_POSTFIX_STS) == 0)
		out->postfix_sts = true;
}

/* A pattern we are willing to hand to Postfix: LDH labels and dots,
 * with an optional leading "*." (the policy parser checked this; a
 * broken one must never reach the MTA's policy parser). */
static int
pattern_ok(const char *p)
{
	size_t i = 0;

	if (p[0] == '*') {
		if (p[1] != '.')
			return 0;
		i = 2;
	}
	if (p[i] == '\0')
		return 0;
	for (; p[i] != '\0'; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return 0;
	}
	return i <= STS_MAX_DOMAIN + 2;
}

static size_t
format_secure(const struct sts_lookup *lk, const struct sts_mapreply_opts *opts,
	      struct out *o)
{
	const struct sts_policy *p = lk->policy;
	char num[32];
	size_t i;

	puts_(o, "OK secure match=");
	for (i = 0; i < p->n_mx; i++) {
		const char *m = p->mx[i];

		if (i > 0)
			puts_(o, ":");
		/* "*.example.net" -> ".example.net" (Postfix's only
		 * wildcard; it matches any depth). */
		puts_(o, m[0] == '*' ? m + 1 : m);
	}
	/* SNI = the MX host name (RFC 8461 section 4.2). */
	puts_(o, " servername=hostname");
	if (!opts->postfix_sts)
		return o->len;
	snprintf(num, sizeof(num), "%" PRIu32, p->max_age);
	puts_(o, " policy_type=sts policy_domain=");
	puts_(o, lk->domain);
	puts_(o, " policy_ttl=");
	puts_(o, num);
	for (i = 0; i < p->n_mx; i++) {
		puts_(o, " mx_host_pattern=");
		puts_(o, p->mx[i]);
	}
	/* RFC 8460 section 4.4: the report carries the policy's lines. */
	puts_(o,
	      " { policy_string = version: STSv1 } { policy_string = mode: ");
	puts_(o, p->mode == STS_MODE_ENFORCE   ? "enforce"
		 : p->mode == STS_MODE_TESTING ? "testing"
					       : "none");
	puts_(o, " }");
	for (i = 0; i < p->n_mx; i++) {
		puts_(o, " { policy_string = mx: ");
		puts_(o, p->mx[i]);
		puts_(o, " }");
	}
	puts_(o, " { policy_string = max_age: ");
	puts_(o, num);
	puts_(o, " }");
	return o->len;
}

enum sts_mapclass
sts_mapreply_class(const struct sts_lookup *lk,
		   const struct sts_mapreply_opts *opts, const char **reason)
{
	static const struct sts_mapreply_opts defaults;
	const struct sts_policy *p = lk->policy;
	size_t i;

	if (opts == NULL)
		opts = &defaults;
	*reason = "";
	if (lk->defer) { /* an override says "not now" */
		*reason = lk->why[0] != '\0' ? lk->why : "override: defer";
		return STS_MAP_TEMP;
	}
	switch (lk->status) {
	case STS_OK:
		break;
	case STS_NOTFOUND:
	case STS_TEMPFAIL: /* nothing known yet: as if no policy */
	case STS_INVALID:  /* not a domain */
		return STS_MAP_NOTFOUND;
	case STS_BOGUS:
		*reason = "DNSSEC validation failed";
		return STS_MAP_TEMP;
	default:
		*reason = "internal error";
		return STS_MAP_TEMP;
	}
	if (p == NULL || !lk->enforce || p->mode == STS_MODE_NONE)
		return STS_MAP_NOTFOUND;
	if (lk->dane)
		return opts->dane_notfound ? STS_MAP_NOTFOUND : STS_MAP_DANE;
	if (p->n_mx == 0) {
		*reason = "enforced policy without mx";
		return STS_MAP_TEMP;
	}
	for (i = 0; i < p->n_mx; i++)
		if (p->mx[i] == NULL || !pattern_ok(p->mx[i])) {
			*reason = "bad mx pattern";
			return STS_MAP_TEMP;
		}
	return STS_MAP_SECURE;
}

size_t
sts_mapreply_format(const struct sts_lookup *lk,
		    const struct sts_mapreply_opts *opts, char *buf,
		    size_t buflen)
{
	static const struct sts_mapreply_opts defaults;
	struct out o = {buf, buflen, 0};
	const char *reason;

	if (opts == NULL)
		opts = &defaults;
	switch (sts_mapreply_class(lk, opts, &reason)) {
	case STS_MAP_NOTFOUND:
		puts_(&o, "NOTFOUND ");
		return finish(&o);
	case STS_MAP_DANE:
		puts_(&o, "OK dane-only");
		return finish(&o);
	case STS_MAP_TEMP:
		return sts_mapreply_error("TEMP", reason, buf, buflen);
	case STS_MAP_SECURE:
		break;
	}
	if (!opts->postfix_sts || lk->domain[0] != '\0') {
		if (format_secure(lk, opts, &o) > STS_MAX_MAP_REPLY &&
		    opts->postfix_sts) {
			/* no mx count cap (issue 13 item 7): the Postfix
			 * >= 3.10 attributes repeat every pattern twice and
			 * may not fit; they go rather than the mail being
			 * deferred (the match= list alone fits: the 64 KiB
			 * policy body bounds it) */
			struct sts_mapreply_opts plain = *opts;

			plain.postfix_sts = false;
			o.len = 0;
			format_secure(lk, &plain, &o);
		}
		if (o.len > STS_MAX_MAP_REPLY)
			return sts_mapreply_error("TEMP", "policy too large",
						  buf, buflen);
		return finish(&o);
	}
	return sts_mapreply_error("TEMP", "policy without domain", buf, buflen);
}

size_t
sts_mapreply_error(const char *kind, const char *reason, char *buf,
		   size_t buflen)
{
	struct out o = {buf, buflen, 0};
	size_t i;

	puts_(&o, kind);
	puts_(&o, " ");
	for (i = 0; reason[i] != '\0' && i < STS_WHY_MAX; i++) {
		unsigned char c = (unsigned char)reason[i];
		char s = (c < 0x20 || c == 0x7f) ? '?' : (char)c;

		put(&o, &s, 1);
	}
	return finish(&o);
}
