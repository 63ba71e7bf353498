/*
 * sts_rptdgram.c - strict parser of libtlsrpt datagrams (see
 * sts_rptdgram.h for the protocol and the version implemented).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sts_domain.h"
#include "sts_rptdgram.h"
#include "sts_rptjs.h"

/* tlsrpt.h tlsrpt_failure_t, RFC 8460 section 4.3 in order. */
static const struct {
	unsigned code;
	enum sts_rpt rpt;
} codes[] = {
	{201, STS_RPT_STARTTLS_NOT_SUPPORTED},
	{202, STS_RPT_CERTIFICATE_HOST_MISMATCH},
	{203, STS_RPT_CERTIFICATE_NOT_TRUSTED},
	{204, STS_RPT_CERTIFICATE_EXPIRED},
	{205, STS_RPT_VALIDATION_FAILURE},
	{301, STS_RPT_STS_POLICY_FETCH_ERROR},
	{302, STS_RPT_STS_POLICY_INVALID},
	{303, STS_RPT_STS_WEBPKI_INVALID},
	{304, STS_RPT_TLSA_INVALID},
	{305, STS_RPT_DNSSEC_INVALID},
	{306, STS_RPT_DANE_REQUIRED},
};

enum sts_rpt
sts_rptdgram_code_rpt(unsigned code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].rpt;
	return STS_RPT_NONE;
}

unsigned
sts_rptdgram_rpt_code(enum sts_rpt r)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].rpt == r)
			return codes[i].code;
	return 0;
}

void
sts_rptdgram_free(struct sts_rptdgram *d)
{
	if (d == NULL)
		return;
	free(d->record);
	for (size_t i = 0; i < d->n_pol; i++)
		sts_rpt_policy_clear(&d->pol[i]);
	free(d);
}

/* An optional string: absent is fine (NULL). */
static enum sts_status
opt_str(const cJSON *o, const char *name, char **out)
{
	enum sts_status st = sts_rptjs_str(o, name, STS_MAX_RPT_FIELD, out);

	return st == STS_NOTFOUND ? STS_OK : st;
}

static enum sts_status
parse_failure(const cJSON *o, struct sts_rpt_failure *f, char *why,
	      size_t whylen)
{
	static const char *const keys[] = {"c", "s", "n", "h",
					   "r", "a", "f", NULL};
	uint64_t code;
	enum sts_status st;

	if (sts_rptjs_bad_keys(o, keys))
		return sts_why(why, whylen, STS_INVALID,
			       "failure-details: not an object, unknown or "
			       "repeated key");
	if (sts_rptjs_uint(o, "c", 999, &code) != STS_OK ||
	    sts_rptdgram_code_rpt((unsigned)code) == STS_RPT_NONE)
		return sts_why(why, whylen, STS_INVALID,
			       "failure-details: missing or unknown code");
	f->type = sts_rptdgram_code_rpt((unsigned)code);
	f->count = 1;
	st = opt_str(o, "s", &f->sending_ip);
	if (st == STS_OK)
		st = opt_str(o, "n", &f->mx_host);
	if (st == STS_OK)
		st = opt_str(o, "h", &f->mx_helo);
	if (st == STS_OK)
		st = opt_str(o, "r", &f->receiving_ip);
	if (st == STS_OK)
		st = opt_str(o, "a", &f->add_info);
	if (st == STS_OK)
		st = opt_str(o, "f", &f->reason);
	if (st != STS_OK)
		return sts_why(why, whylen, st,
			       "failure-details: bad string field");
	return STS_OK;
}

static enum sts_status
parse_policy(const cJSON *o, struct sts_rpt_policy *p, char *why, size_t whylen)
{
	static const char *const keys[] = {"policy-type",
					   "policy-domain",
					   "policy-string",
					   "mx-host",
					   "failure-details",
					   "t",
					   "f",
					   NULL};
	uint64_t type, t, f;
	const cJSON *fd, *c;
	size_t nfd = 0;
	enum sts_status st;

	if (sts_rptjs_bad_keys(o, keys))
		return sts_why(
			why, whylen, STS_INVALID,
			"policy: not an object, unknown or repeated key");
	if (sts_rptjs_uint(o, "policy-type", 9, &type) != STS_OK ||
	    sts_rpt_ptype_str((enum sts_rpt_ptype)type) == NULL)
		return sts_why(why, whylen, STS_INVALID,
			       "policy: missing or unknown policy-type");
	p->type = (enum sts_rpt_ptype)type;
	if (sts_rptjs_uint(o, "t", STS_MAX_RPT_FAILURES, &t) != STS_OK ||
	    sts_rptjs_uint(o, "f", 1, &f) != STS_OK)
		return sts_why(why, whylen, STS_INVALID,
			       "policy: t or f missing or out of range");
	st = opt_str(o, "policy-domain", &p->policy_domain);
	if (st == STS_OK) {
		st = sts_rptjs_strlist(o, "policy-string", STS_MAX_RPT_STRINGS,
				       STS_MAX_RPT_FIELD, &p->strings,
				       &p->n_strings);
		st = st == STS_NOTFOUND ? STS_OK : st;
	}
	if (st == STS_OK) {
		st = sts_rptjs_strlist(o, "mx-host", STS_MAX_RPT_STRINGS,
				       STS_MAX_RPT_FIELD, &p->mx, &p->n_mx);
		st = st == STS_NOTFOUND ? STS_OK : st;
	}
	if (st != STS_OK)
		return sts_why(why, whylen, st,
			       "policy: bad policy-domain, policy-string or "
			       "mx-host");
	fd = cJSON_GetObjectItemCaseSensitive(o, "failure-details");
	if (fd != NULL) {
		if (!cJSON_IsArray(fd))
			return sts_why(why, whylen, STS_INVALID,
				       "failure-details: not an array");
		for (c = fd->child; c != NULL; c = c->next)
			nfd++;
	}
	/* libtlsrpt counts every tlsrpt_add_delivery_request_failure() in
	 * "t" and writes every row: they must agree. */
	if (nfd != t)
		return sts_why(why, whylen, STS_INVALID,
			       "policy: t=%llu but %zu failure rows",
			       (unsigned long long)t, nfd);
	if (nfd > 0) {
		p->fail = calloc(nfd, sizeof(*p->fail));
		if (p->fail == NULL)
			return sts_why(why, whylen, STS_NOMEM, "out of memory");
		for (c = fd->child; c != NULL; c = c->next) {
			st = parse_failure(c, &p->fail[p->n_fail], why, whylen);
			p->n_fail++;
			if (st != STS_OK)
				return st;
		}
	}
	if (f == 0)
		p->success = 1;
	else
		p->failure = 1;
	return STS_OK;
}

static enum sts_status
parse_root(const cJSON *root, struct sts_rptdgram *d, char *why, size_t whylen)
{
	static const char *const keys[] = {"dpv", "d", "pr", "policies", NULL};
	char *s = NULL;
	const cJSON *pols, *c;
	enum sts_status st;
	char dwhy[STS_WHY_MAX];

	if (sts_rptjs_bad_keys(root, keys))
		return sts_why(why, whylen, STS_INVALID,
			       "not an object, unknown or repeated key");
	/* "dpv" is absent in datagrams of libtlsrpt before 0.5.0 final
	 * (Debian 13 ships 0.5.0rc1): the same format, version 0. */
	st = sts_rptjs_str(root, "dpv", 16, &s);
	if (st == STS_NOTFOUND)
		d->version = 0;
	else if (st == STS_OK && strcmp(s, STS_RPTDGRAM_VERSION) == 0)
		d->version = 1;
	else {
		free(s);
		return sts_why(why, whylen, STS_INVALID,
			       "datagram protocol version (dpv) is not \"1\"");
	}
	free(s);
	st = sts_rptjs_str(root, "d", STS_MAX_DOMAIN_INPUT, &s);
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID, "missing or bad d");
	st = sts_domain_normalize(s, d->domain, dwhy, sizeof(dwhy));
	free(s);
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID, "d: %s", dwhy);
	st = sts_rptjs_str(root, "pr", STS_MAX_TXT, &d->record);
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID, "missing or bad pr");
	pols = cJSON_GetObjectItemCaseSensitive(root, "policies");
	if (!cJSON_IsArray(pols) || pols->child == NULL)
		return sts_why(why, whylen, STS_INVALID,
			       "policies missing or empty");
	for (c = pols->child; c != NULL; c = c->next) {
		if (d->n_pol == STS_MAX_RPT_POLICIES)
			return sts_why(why, whylen, STS_INVALID,
				       "more than %d policies",
				       STS_MAX_RPT_POLICIES);
		st = parse_policy(c, &d->pol[d->n_pol], why, whylen);
		d->n_pol++;
		if (st != STS_OK)
			return st;
	}
	return STS_OK;
}

enum sts_status
sts_rptdgram_parse(const char *buf, size_t len, struct sts_rptdgram **out,
		   char *why, size_t whylen)
{
	struct sts_rptdgram *d;
	const char *end = NULL;
	char *copy;
	cJSON *root;
	enum sts_status st;

	*out = NULL;
	if (len == 0 || len > STS_MAX_RPT_DGRAM)
		return sts_why(why, whylen, STS_INVALID,
			       "datagram size %zu outside 1..%d", len,
			       STS_MAX_RPT_DGRAM);
	if (memchr(buf, '\0', len) != NULL)
		return sts_why(why, whylen, STS_INVALID, "NUL in datagram");
	copy = malloc(len + 1);
	if (copy == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	memcpy(copy, buf, len);
	copy[len] = '\0';
	/* require_null_terminated: nothing but white space after it. */
	root = cJSON_ParseWithOpts(copy, &end, 1);
	free(copy);
	if (root == NULL)
		return sts_why(why, whylen, STS_INVALID, "not JSON");
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		cJSON_Delete(root);
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	}
	st = parse_root(root, d, why, whylen);
	cJSON_Delete(root);
	if (st != STS_OK) {
		sts_rptdgram_free(d);
		return st;
	}
	*out = d;
	return STS_OK;
}
