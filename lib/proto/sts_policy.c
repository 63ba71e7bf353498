/*
 * sts_policy.c - the RFC 8461 section 3.2 policy body.
 *
 * The ABNF (section 3.2), with the errata this project follows:
 *   sts-policy-record = sts-policy-field *WSP
 *                       *(sts-policy-term sts-policy-field *WSP)
 *                       [sts-policy-term]
 *   sts-policy-term   = LF / CRLF            ; erratum 6253: LF or CRLF
 *   sts-policy-field-delim = ":" *WSP
 *   version: %s"STSv1"; mode: %s"testing" / %s"enforce" / %s"none";
 *   max_age: 1*10(DIGIT); mx: ["*."] Domain;
 *   extension: (ALPHA/DIGIT) *31(ALPHA/DIGIT/"_"/"-"/".") ":" *WSP
 *              vchar [*(%x20 / vchar) vchar]    ; vchar incl. UTF-8
 *
 * Decisions where the RFC is silent or ambiguous (all unit-tested in
 * tests/unit/test_policy.c):
 *  - Line ends: LF or CRLF, may be mixed; the last one is optional.  A
 *    CR not followed by LF is a control character: invalid.
 *  - Blank lines (empty or only WSP) are not in the ABNF, but are common
 *    (a trailing empty line from an editor).  Rejecting them would turn
 *    a harmless layout slip into "no policy" (a downgrade), so they are
 *    skipped.  Line numbers still count them.
 *  - No WSP before the ":" ("mode : enforce" is invalid), no leading WSP
 *    on a line (no header folding).  WSP after the value is allowed
 *    (the "*WSP" after each field); TAB inside a value is not (only SP).
 *  - Field order is free: the ABNF does not fix it and section 3.2 only
 *    says version, mode and max_age are "required once".  All three
 *    must be present.
 *  - A repeated version/mode/max_age: the first wins and later ones are
 *    ignored (section 3.2), provided they are well-formed key: value
 *    lines.  An invalid first value makes the policy invalid even if a
 *    later one would be valid (no "last wins", checklist D5).
 *  - max_age: 1 to 10 digits, leading zeros allowed, value at most
 *    31557600 (erratum 7282 discussion): "31557601", "+1", "-1", "1e3",
 *    "86400s" and 11 digits are invalid.
 *  - mx lines: every one is validated and kept in file order, also with
 *    mode none, however many there are (the body cap bounds them; a
 *    count cap would turn a valid policy into "no policy", issue 13
 *    item 7).  Patterns are stored lower-cased.  A value that is valid
 *    section 3.2 syntax (["*."] RFC 5321 Domain) but can never match a
 *    host name (an IPv4 address, an all-numeric top-level label, a
 *    malformed A-label: whatever sts_mx_pattern_check() refuses) is
 *    not an error (section 3.2: accept syntactically valid policies):
 *    it goes to p->ignored instead of p->mx; sts_policy_usable() then
 *    refuses a testing/enforce policy with no usable value left.  A
 *    value outside the syntax ("*.*.x", "foo*.x", "[1.2.3.4]", a
 *    trailing dot, UTF-8) still makes the policy invalid.
 *  - Bytes: NUL, other control characters and DEL are invalid anywhere.
 *    Well-formed UTF-8 is accepted only inside extension values (the
 *    ABNF allows it there); a BOM, malformed UTF-8, or non-ASCII in a
 *    key or a known value is invalid.  Known values are case-sensitive
 *    ("ENFORCE", "stsv1" are invalid); keys too ("Mode" is an unknown
 *    extension, so mode is then missing).
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_mx.h"
#include "sts_policy.h"

static void put(char *buf, size_t buflen, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

const char *
sts_mode_str(enum sts_mode m)
{
	switch (m) {
	case STS_MODE_NONE:
		return "none";
	case STS_MODE_TESTING:
		return "testing";
	case STS_MODE_ENFORCE:
		return "enforce";
	}
	return "unknown";
}

void
sts_policy_free(struct sts_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_mx; i++)
		free(p->mx[i]);
	free(p->mx);
	for (i = 0; i < p->n_ignored; i++)
		free(p->ignored[i]);
	free(p->ignored);
	free(p);
}

/* Append a lower-cased copy of s[0..len) to the array *arr of *n
 * strings, growing it by doubling (no count cap: the callers' inputs
 * are bounded, a policy body by STS_MAX_POLICY_BODY). */
static enum sts_status
add_str(char ***arr, size_t *n, const char *s, size_t len)
{
	char *c, **grown;
	size_t i;

	if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
		grown = realloc(*arr, (*n < 8 ? 8 : 2 * *n) * sizeof(**arr));
		if (grown == NULL)
			return STS_NOMEM;
		*arr = grown;
	}
	c = malloc(len + 1);
	if (c == NULL)
		return STS_NOMEM;
	for (i = 0; i < len; i++)
		c[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a')
						    : s[i];
	c[len] = '\0';
	(*arr)[(*n)++] = c;
	return STS_OK;
}

static enum sts_status
add_mx(struct sts_policy *p, const char *s, size_t len)
{
	return add_str(&p->mx, &p->n_mx, s, len);
}

static bool
is_let_dig(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* RFC 8461 section 3.2 sts-policy-mx-value: ["*."] Domain, with RFC
 * 5321 section 4.1.2's Domain = sub-domain *("." sub-domain),
 * sub-domain = Let-dig [Ldh-str]; labels of at most 63 octets. */
static bool
mx_syntax_ok(const char *s, size_t len)
{
	size_t i, lab = 0;

	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > STS_MAX_DOMAIN)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (lab == 0 || !is_let_dig(s[i - 1]))
				return false;
			lab = 0;
			continue;
		}
		if (lab == 0 && !is_let_dig(s[i]))
			return false;
		if (!is_let_dig(s[i]) && s[i] != '-')
			return false;
		if (++lab > 63)
			return false;
	}
	return lab > 0 && is_let_dig(s[len - 1]);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 section 4),
 * or 0 if malformed, overlong, a surrogate or above U+10FFFF. */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Check the bytes of one line (without its terminator). */
static const char *
line_bytes_check(const char *s, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		return "byte-order mark (BOM) is not allowed";
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c == '\0')
			return "NUL byte";
		if (c == '\r')
			return "CR not followed by LF";
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "control character";
		if (c < 0x80) {
			i++;
			continue;
		}
		n = utf8_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			return "malformed UTF-8";
		i += n;
	}
	return NULL;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
key_ok(const char *k, size_t len)
{
	size_t i;

	if (len == 0 || len > 32)
		return 0;
	for (i = 0; i < len; i++) {
		char c = k[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '-' && c != '.')))
			return 0;
	}
	return 1;
}

static int
equals(const char *v, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(v, lit, len) == 0;
}

struct pstate {
	struct sts_policy *p;
	int have_version, have_mode, have_max_age;
	char why[STS_WHY_MAX]; /* a reason that is not a literal */
};

/* max_age: 1*10DIGIT, at most STS_MAX_MAX_AGE. */
static const char *
max_age_parse(const char *v, size_t len, uint32_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (len > 10)
		return "max_age has more than 10 digits";
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return "max_age must be digits only";
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	if (n > STS_MAX_MAX_AGE)
		return "max_age is above 31557600";
	*out = (uint32_t)n;
	return NULL;
}

/* One key: value line; returns NULL or a reason. */
static const char *
field(struct pstate *ps, const char *k, size_t klen, const char *v, size_t vlen,
      enum sts_status *st)
{
	static const struct {
		const char *name;
		enum sts_mode mode;
	} modes[] = {
		{"enforce", STS_MODE_ENFORCE},
		{"testing", STS_MODE_TESTING},
		{"none", STS_MODE_NONE},
	};
	size_t i;

	if (equals(k, klen, "version")) {
		if (ps->have_version)
			return NULL;
		if (!equals(v, vlen, "STSv1"))
			return "version must be STSv1";
		ps->have_version = 1;
	} else if (equals(k, klen, "mode")) {
		if (ps->have_mode)
			return NULL;
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (equals(v, vlen, modes[i].name))
				break;
		if (i == sizeof(modes) / sizeof(modes[0]))
			return "mode must be enforce, testing or none";
		ps->p->mode = modes[i].mode;
		ps->have_mode = 1;
	} else if (equals(k, klen, "max_age")) {
		if (ps->have_max_age)
			return NULL;
		ps->have_max_age = 1;
		return max_age_parse(v, vlen, &ps->p->max_age);
	} else if (equals(k, klen, "mx")) {
		char pat[STS_MAX_DOMAIN + 3];

		if (vlen >= sizeof(pat))
			return "mx pattern too long";
		memcpy(pat, v, vlen);
		pat[vlen] = '\0';
		if (sts_mx_pattern_check(pat, ps->why, sizeof(ps->why)) !=
		    STS_OK) {
			if (!mx_syntax_ok(v, vlen))
				return ps->why;
			/* valid syntax, never a host name: ignored, with a
			 * warning (see the top) */
			if (add_str(&ps->p->ignored, &ps->p->n_ignored, v,
				    vlen) != STS_OK) {
				*st = STS_NOMEM;
				return "out of memory";
			}
			return NULL;
		}
		if (add_mx(ps->p, v, vlen) != STS_OK) {
			*st = STS_NOMEM;
			return "out of memory";
		}
	}
	/* Other keys are extensions: ignored (section 3.2). */
	return NULL;
}

/* Parse one line (terminator removed). */
static const char *
line(struct pstate *ps, const char *s, size_t len, enum sts_status *st)
{
	const char *colon, *v, *ve, *bad;
	size_t i;

	bad = line_bytes_check(s, len);
	if (bad != NULL)
		return bad;
	for (i = 0; i < len && is_wsp(s[i]); i++)
		;
	if (i == len)
		return NULL; /* blank line: skipped (see the top) */
	if (i > 0)
		return "line starts with whitespace";
	colon = memchr(s, ':', len);
	if (colon == NULL)
		return "not a \"key: value\" line";
	if (colon > s && is_wsp(colon[-1]))
		return "whitespace before ':'";
	if (!key_ok(s, (size_t)(colon - s)))
		return "invalid key";
	v = colon + 1;
	ve = s + len;
	while (v < ve && is_wsp(*v))
		v++;
	while (ve > v && is_wsp(ve[-1]))
		ve--;
	if (v == ve)
		return "empty value";
	if (memchr(v, '\t', (size_t)(ve - v)) != NULL)
		return "TAB inside a value";
	return field(ps, s, (size_t)(colon - s), v, (size_t)(ve - v), st);
}

enum sts_status
sts_policy_parse(const char *body, size_t len, struct sts_policy **out,
		 size_t *errline, char *why, size_t whylen)
{
	struct pstate ps = {0};
	const char *p = body, *end = body + len, *bad = NULL;
	enum sts_status st = STS_INVALID;
	size_t lineno = 0;

	*out = NULL;
	if (errline != NULL)
		*errline = 0;
	if (len > STS_MAX_POLICY_BODY)
		return sts_why(why, whylen, STS_INVALID,
			       "policy larger than %d bytes",
			       STS_MAX_POLICY_BODY);
	ps.p = calloc(1, sizeof(*ps.p));
	if (ps.p == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;

		lineno++;
		if (nl != NULL && le > p && le[-1] == '\r')
			le--;
		bad = line(&ps, p, (size_t)(le - p), &st);
		if (bad != NULL)
			goto fail;
		p = nl != NULL ? nl + 1 : end;
	}
	lineno = 0;
	if (!ps.have_version)
		bad = "version missing";
	else if (!ps.have_mode)
		bad = "mode missing";
	else if (!ps.have_max_age)
		bad = "max_age missing";
	else if (ps.p->mode != STS_MODE_NONE && ps.p->n_mx == 0 &&
		 ps.p->n_ignored == 0)
		bad = "no mx line (required unless mode is none)";
	if (bad != NULL)
		goto fail;
	*out = ps.p;
	return STS_OK;
fail:
	sts_policy_free(ps.p);
	if (errline != NULL)
		*errline = lineno;
	return sts_why(why, whylen, st, "%s", bad);
}

enum sts_status
sts_policy_new(enum sts_mode mode, uint32_t max_age, const char *const *mx,
	       size_t n_mx, struct sts_policy **out, char *why, size_t whylen)
{
	struct sts_policy *p;
	size_t i;

	*out = NULL;
	if (mode != STS_MODE_NONE && mode != STS_MODE_TESTING &&
	    mode != STS_MODE_ENFORCE)
		return sts_why(why, whylen, STS_INVALID, "bad mode");
	if (max_age > STS_MAX_MAX_AGE)
		return sts_why(why, whylen, STS_INVALID,
			       "max_age is above 31557600");
	if (mode != STS_MODE_NONE && n_mx == 0)
		return sts_why(why, whylen, STS_INVALID,
			       "no mx pattern (required unless mode is none)");
	for (i = 0; i < n_mx; i++)
		if (sts_mx_pattern_check(mx[i], why, whylen) != STS_OK)
			return STS_INVALID;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	p->mode = mode;
	p->max_age = max_age;
	for (i = 0; i < n_mx; i++) {
		if (add_mx(p, mx[i], strlen(mx[i])) != STS_OK) {
			sts_policy_free(p);
			return sts_why(why, whylen, STS_NOMEM, "out of memory");
		}
	}
	*out = p;
	return STS_OK;
}

struct sts_policy *
sts_policy_dup(const struct sts_policy *p)
{
	struct sts_policy *c;
	size_t i;

	if (p == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->mode = p->mode;
	c->max_age = p->max_age;
	for (i = 0; i < p->n_mx; i++)
		if (add_mx(c, p->mx[i], strlen(p->mx[i])) != STS_OK)
			goto fail;
	for (i = 0; i < p->n_ignored; i++)
		if (add_str(&c->ignored, &c->n_ignored, p->ignored[i],
			    strlen(p->ignored[i])) != STS_OK)
			goto fail;
	return c;
fail:
	sts_policy_free(c);
	return NULL;
}

/* Why an ignored value can never match a host name. */
static const char *
ignored_why(const char *v)
{
	const char *last = strrchr(v, '.');
	size_t i, dots = 0;
	bool digits = true;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '.')
			dots++;
		else if (v[i] < '0' || v[i] > '9')
			digits = false;
	}
	if (digits && dots == 3)
		return "an IPv4 address, never a host name";
	last = last != NULL ? last + 1 : v;
	for (i = 0; last[i] != '\0'; i++)
		if (last[i] < '0' || last[i] > '9')
			return "not a valid host name (e.g. a malformed "
			       "A-label)";
	return "an all-numeric top-level label, never a host name "
	       "(RFC 3696 section 2)";
}

enum sts_status
sts_policy_usable(const struct sts_policy *p, char *why, size_t whylen)
{
	if (p->mode == STS_MODE_NONE || p->n_mx > 0)
		return STS_OK;
	return sts_why(why, whylen, STS_INVALID,
		       "no usable mx pattern: all %zu ignored (the first, "
		       "\"%.64s\", is %s)",
		       p->n_ignored, p->n_ignored ? p->ignored[0] : "",
		       p->n_ignored ? ignored_why(p->ignored[0]) : "-");
}

size_t
sts_policy_warnings(const struct sts_policy *p, char *buf, size_t buflen)
{
	size_t off = 0, i;

	if (buflen > 0)
		buf[0] = '\0';
	for (i = 0; p != NULL && i < p->n_ignored; i++)
		put(buf, buflen, &off, "mx \"%s\" ignored: %s\n", p->ignored[i],
		    ignored_why(p->ignored[i]));
	return off;
}

bool
sts_policy_equal(const struct sts_policy *a, const struct sts_policy *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->mode != b->mode || a->max_age != b->max_age ||
	    a->n_mx != b->n_mx)
		return false;
	for (i = 0; i < a->n_mx; i++)
		if (strcmp(a->mx[i], b->mx[i]) != 0)
			return false;
	return true;
}

bool
sts_policy_match(const struct sts_policy *p, const char *host)
{
	size_t i;

	if (p == NULL)
		return false;
	for (i = 0; i < p->n_mx; i++)
		if (sts_mx_match(p->mx[i], host))
			return true;
	return false;
}

/* snprintf into buf at *off, tracking the length needed. */
static void
put(char *buf, size_t buflen, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*off < buflen ? buf + *off : NULL,
		      *off < buflen ? buflen - *off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

size_t
sts_policy_format(const struct sts_policy *p, char *buf, size_t buflen)
{
	size_t off = 0, i;

	if (buflen > 0)
		buf[0] = '\0';
	put(buf, buflen, &off, "version: STSv1\nmode: %s\nmax_age: %u\n",
	    sts_mode_str(p->mode), (unsigned)p->max_age);
	for (i = 0; i < p->n_mx; i++)
		put(buf, buflen, &off, "mx: %s\n", p->mx[i]);
	return off;
}
