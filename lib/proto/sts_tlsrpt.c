/*
 * sts_tlsrpt.c - the _smtp._tls TXT record (RFC 8460 section 3).
 *
 *   tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field)
 *                   [field-delim]
 *   field-delim   = *WSP ";" *WSP
 *   tlsrpt-version = %s"v=TLSRPTv1"
 *   tlsrpt-rua    = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *   tlsrpt-uri    = URI   ; "," "!" ";" MUST be percent-encoded
 *
 * The field walker is sts_record.c's (same delimiters and extension
 * grammar), so the decisions documented there apply here too (WSP
 * before ";", trailing ";" and WSP, first occurrence wins, empty fields
 * invalid).  Specific to TLS-RPT:
 *  - Each URI must use one of the two schemes section 3 supports,
 *    "mailto:" (with an "@" after it) or "https://" (with a host);
 *    scheme names are case-insensitive (RFC 3986 section 3.1).  Any
 *    other scheme makes the record invalid rather than being skipped:
 *    a reporter cannot deliver to it and the publisher should know.
 *  - URI characters are RFC 3986 unreserved / reserved / pct-encoded,
 *    minus "," "!" ";" which must be encoded; "%" must start a valid
 *    %XX escape.
 *  - More than STS_MAX_RUA URIs is invalid, not truncated.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts_tlsrpt.h"

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* RFC 3986 URI characters, without "," "!" ";" (RFC 8460 section 3). */
static int
uri_char_ok(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~:/?#[]@$&'()*+=%", c) != NULL;
}

static const char *
uri_check(const char *u, size_t len)
{
	size_t i, rest;

	for (i = 0; i < len; i++) {
		if (!uri_char_ok(u[i]))
			return "character not allowed in a URI";
		if (u[i] == '%' &&
		    (i + 2 >= len || !is_hex(u[i + 1]) || !is_hex(u[i + 2])))
			return "bad percent-encoding in URI";
	}
	if (len > 7 && strncasecmp(u, "mailto:", 7) == 0) {
		if (memchr(u + 7, '@', len - 7) == NULL || u[7] == '@')
			return "mailto: URI without an address";
		return NULL;
	}
	if (len >= 8 && strncasecmp(u, "https://", 8) == 0) {
		rest = len - 8;
		if (rest == 0 || u[8] == '/' || u[8] == '?' || u[8] == '#')
			return "https: URI without a host";
		return NULL;
	}
	return "rua URI scheme must be mailto: or https:";
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

void
sts_tlsrpt_free(struct sts_tlsrpt *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_rua; i++)
		free(r->rua[i]);
	free(r->rua);
	free(r);
}

/* Split the rua value into r->rua. */
static enum sts_status
rua_parse(const char *v, size_t len, struct sts_tlsrpt *r, char *why,
	  size_t whylen)
{
	const char *p = v, *end = v + len;

	r->rua = calloc(STS_MAX_RUA, sizeof(*r->rua));
	if (r->rua == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	for (;;) {
		const char *s = p, *e, *bad;
		size_t ulen;

		while (p < end && *p != ',')
			p++;
		e = p;
		while (e > s && is_wsp(e[-1]))
			e--;
		while (s < e && is_wsp(*s))
			s++;
		ulen = (size_t)(e - s);
		if (ulen == 0)
			return sts_why(why, whylen, STS_INVALID,
				       "empty URI in rua list");
		bad = uri_check(s, ulen);
		if (bad != NULL)
			return sts_why(why, whylen, STS_INVALID, "%s: \"%.*s\"",
				       bad, (int)(ulen > 60 ? 60 : ulen), s);
		if (r->n_rua == STS_MAX_RUA)
			return sts_why(why, whylen, STS_INVALID,
				       "more than %d rua URIs", STS_MAX_RUA);
		r->rua[r->n_rua] = strndup(s, ulen);
		if (r->rua[r->n_rua] == NULL)
			return sts_why(why, whylen, STS_NOMEM, "out of memory");
		r->n_rua++;
		if (p == end)
			return STS_OK;
		p++; /* the comma */
	}
}

enum sts_status
sts_tlsrpt_parse(const char *txt, size_t len, struct sts_tlsrpt **out,
		 char *why, size_t whylen)
{
	struct sts_record_iter it;
	struct sts_record_field f;
	struct sts_tlsrpt *r;
	enum sts_status st;

	*out = NULL;
	st = sts_record_iter_begin(&it, txt, len, "v=TLSRPTv1");
	if (st == STS_INVALID)
		return sts_why(why, whylen, STS_INVALID, "record too long");
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID,
			       "record does not begin with v=TLSRPTv1");
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	for (;;) {
		st = sts_record_iter_next(&it, &f, why, whylen);
		if (st == STS_NOTFOUND)
			break;
		if (st != STS_OK)
			goto fail;
		if (sts_record_field_is(&f, "rua")) {
			if (r->rua != NULL)
				continue; /* the first rua wins */
			st = rua_parse(f.value, f.value_len, r, why, whylen);
			if (st != STS_OK)
				goto fail;
		} else if (!sts_record_ext_value_ok(f.value, f.value_len)) {
			st = sts_why(why, whylen, STS_INVALID,
				     "bad value for field \"%.*s\"",
				     (int)f.name_len, f.name);
			goto fail;
		}
	}
	if (r->rua == NULL) {
		st = sts_why(why, whylen, STS_INVALID, "rua missing");
		goto fail;
	}
	*out = r;
	return STS_OK;
fail:
	sts_tlsrpt_free(r);
	return st;
}

enum sts_status
sts_tlsrpt_discover(const struct sts_txt *rrs, size_t n,
		    struct sts_tlsrpt **out, char *why, size_t whylen)
{
	size_t which = 0;
	enum sts_status st;

	*out = NULL;
	st = sts_record_select(rrs, n, "v=TLSRPTv1", &which, why, whylen);
	if (st != STS_OK)
		return st;
	return sts_tlsrpt_parse(rrs[which].data, rrs[which].len, out, why,
				whylen);
}
