/*
 * sts_record.c - the _mta-sts TXT record (RFC 8461 section 3.1).
 *
 * Grammar (RFC 7405 ABNF, case-sensitive literals):
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field)
 *                     [sts-field-delim]
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * Decisions where the RFC is ambiguous (each one has a unit test):
 *  - "Begins with v=STSv1": the text says records not beginning with
 *    "v=STSv1;" are discarded, the ABNF allows WSP before the ";"
 *    (erratum 6285).  We follow the ABNF: a record is an STS record when
 *    it starts with "v=STSv1" followed by ";", WSP or the end.  So
 *    "v=STSv1 ; id=1" is valid, "v=STSv10; id=1" and " v=STSv1; id=1"
 *    are not STS records at all (discarded), "v=STSv1" alone is an STS
 *    record without id (invalid).
 *  - A trailing ";" is optional (ABNF); trailing WSP after the last
 *    field, with or without ";", is accepted ("v=STSv1; id=1 ").
 *  - An empty field (";;") or a field without "=" is invalid.
 *  - "id" is required; a repeated id must still be well formed (a field
 *    named id that is not sts-id cannot be read as an extension, since
 *    that would hide a typo), and the first one wins (section 3.2's
 *    "first wins" rule, applied to the record as checklist B5 says).
 *  - Unknown fields must be well-formed extensions and are ignored; a
 *    later "v=..." is such an extension.
 *  - Any byte outside printable US-ASCII and WSP is invalid ("MUST be
 *    US-ASCII").
 */
#include "config.h"

#include <string.h>

#include "sts_record.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int
ext_name_ok(const char *n, size_t len)
{
	size_t i;

	if (len == 0 || len > 32 || !is_alnum(n[0]))
		return 0;
	for (i = 1; i < len; i++)
		if (!is_alnum(n[i]) && n[i] != '_' && n[i] != '-' &&
		    n[i] != '.')
			return 0;
	return 1;
}

bool
sts_record_ext_value_ok(const char *v, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x21 || c > 0x7e || c == '=' || c == ';')
			return false;
	}
	return true;
}

bool
sts_record_field_is(const struct sts_record_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == n && memcmp(f->name, name, n) == 0;
}

enum sts_status
sts_record_iter_begin(struct sts_record_iter *it, const char *txt, size_t len,
		      const char *version)
{
	size_t vlen = strlen(version);

	it->p = it->end = txt;
	if (len < vlen || memcmp(txt, version, vlen) != 0)
		return STS_NOTFOUND;
	if (len > vlen && txt[vlen] != ';' && !is_wsp(txt[vlen]))
		return STS_NOTFOUND;
	if (len > STS_MAX_TXT)
		return STS_INVALID;
	it->p = txt + vlen;
	it->end = txt + len;
	return STS_OK;
}

enum sts_status
sts_record_iter_next(struct sts_record_iter *it, struct sts_record_field *f,
		     char *why, size_t whylen)
{
	const char *p = it->p, *end = it->end, *eq, *v, *ve;

	while (p < end && is_wsp(*p))
		p++;
	if (p == end) {
		it->p = p;
		return STS_NOTFOUND;
	}
	if (*p != ';')
		return sts_why(why, whylen, STS_INVALID,
			       "expected ';' before \"%.*s\"",
			       (int)(end - p > 20 ? 20 : end - p), p);
	p++;
	while (p < end && is_wsp(*p))
		p++;
	if (p == end) {
		it->p = p;
		return STS_NOTFOUND;
	}
	/* name "=" value, the value running to the next ";" */
	for (eq = p; eq < end && *eq != '=' && *eq != ';'; eq++)
		;
	if (eq == end || *eq != '=')
		return sts_why(why, whylen, STS_INVALID,
			       eq == p ? "empty field" : "field without '='");
	if (!ext_name_ok(p, (size_t)(eq - p)))
		return sts_why(why, whylen, STS_INVALID,
			       "bad field name \"%.*s\"",
			       (int)((eq - p) > 40 ? 40 : (eq - p)), p);
	v = eq + 1;
	for (ve = v; ve < end && *ve != ';'; ve++)
		;
	it->p = ve;
	while (ve > v && is_wsp(ve[-1]))
		ve--;
	if (ve == v)
		return sts_why(why, whylen, STS_INVALID,
			       "empty value for field \"%.*s\"", (int)(eq - p),
			       p);
	f->name = p;
	f->name_len = (size_t)(eq - p);
	f->value = v;
	f->value_len = (size_t)(ve - v);
	return STS_OK;
}

static int
id_ok(const char *v, size_t len)
{
	size_t i;

	if (len == 0 || len > STS_MAX_ID)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alnum(v[i]))
			return 0;
	return 1;
}

enum sts_status
sts_record_parse(const char *txt, size_t len, struct sts_record *out, char *why,
		 size_t whylen)
{
	struct sts_record_iter it;
	struct sts_record_field f;
	struct sts_record rec;
	enum sts_status st;
	int have_id = 0;

	st = sts_record_iter_begin(&it, txt, len, "v=STSv1");
	if (st == STS_INVALID)
		return sts_why(why, whylen, STS_INVALID, "record too long");
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID,
			       "record does not begin with v=STSv1");
	for (;;) {
		st = sts_record_iter_next(&it, &f, why, whylen);
		if (st == STS_NOTFOUND)
			break;
		if (st != STS_OK)
			return st;
		if (sts_record_field_is(&f, "id")) {
			if (!id_ok(f.value, f.value_len))
				return sts_why(why, whylen, STS_INVALID,
					       "id must be 1 to 32 letters or "
					       "digits: \"%.*s\"",
					       (int)(f.value_len > 40
							     ? 40
							     : f.value_len),
					       f.value);
			if (!have_id) {
				memcpy(rec.id, f.value, f.value_len);
				rec.id[f.value_len] = '\0';
				have_id = 1;
			}
		} else if (!sts_record_ext_value_ok(f.value, f.value_len)) {
			return sts_why(why, whylen, STS_INVALID,
				       "bad value for field \"%.*s\"",
				       (int)f.name_len, f.name);
		}
	}
	if (!have_id)
		return sts_why(why, whylen, STS_INVALID, "id missing");
	*out = rec;
	return STS_OK;
}

enum sts_status
sts_record_select(const struct sts_txt *rrs, size_t n, const char *version,
		  size_t *which, char *why, size_t whylen)
{
	struct sts_record_iter it;
	size_t i, found = 0;

	for (i = 0; i < n; i++) {
		if (sts_record_iter_begin(&it, rrs[i].data, rrs[i].len,
					  version) == STS_NOTFOUND)
			continue;
		found++;
		*which = i;
	}
	if (found == 0)
		return sts_why(why, whylen, STS_NOTFOUND,
			       "no TXT record begins with %s", version);
	if (found > 1)
		return sts_why(why, whylen, STS_INVALID,
			       "%zu TXT records begin with %s (exactly one "
			       "is allowed)",
			       found, version);
	return STS_OK;
}

enum sts_status
sts_record_discover(const struct sts_txt *rrs, size_t n, struct sts_record *out,
		    char *why, size_t whylen)
{
	size_t which = 0;
	enum sts_status st =
		sts_record_select(rrs, n, "v=STSv1", &which, why, whylen);

	if (st != STS_OK)
		return st;
	return sts_record_parse(rrs[which].data, rrs[which].len, out, why,
				whylen);
}
