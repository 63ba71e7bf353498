/*
 * sts_persist_fast.c - the state-file loader's fast path: one line of
 * the exact shape the saver writes, parsed in place (sts_persist_fast.h).
 */
#include "config.h"

#include <string.h>

#include "sts_limits.h"
#include "sts_persist_fast.h"

/* --- the fast path: our own line format ------------------------------------
 *
 * The saver writes every entry as exactly
 *   {"d":"NAME","id":"ID","mode":"MODE","max_age":N,"fetched":N,"mx":[...]}
 * with lower-case LDH names and no escapes.  sts_persist_fast_parse() accepts
 * only that shape, checking each value as strictly as the cJSON path does (same
 * LDH rules, id alphabet and length, ranges); a line it does not accept goes to
 * the cJSON path (load_line), which then decides and says why.  So a
 * hand-edited or foreign line is judged exactly as before, and the common case
 * costs no allocation.  Parsing is in place: the closing quotes become NULs.
 */

/* Character classes for fast_name_ok(): 1 digit, 2 lower-case letter,
 * 3 hyphen, 4 dot; 0 anything else (refused). */
static const unsigned char name_class[256] = {
	['0' ... '9'] = 1,
	['a' ... 'z'] = 2,
	['-'] = 3,
	['.'] = 4,
};

/* ldh_check()'s rules (sts_domain.c), lower case only; with star, an
 * optional leading "*." as sts_mx_pattern_check() allows.  One table
 * look-up per byte: this runs three times per line of a state file of
 * a million lines. */
static bool
fast_name_ok(const char *s, size_t len, bool star)
{
	size_t i, start = 0;
	unsigned char k;
	bool digits = true;

	if (star && len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > STS_MAX_DOMAIN)
		return false;
	for (i = 0; i < len; i++) {
		k = name_class[(unsigned char)s[i]];
		if (k == 4) {
			if (i == start || i - start > STS_MAX_LABEL ||
			    s[start] == '-' || s[i - 1] == '-')
				return false;
			start = i + 1;
			digits = true;
		} else if (k == 0)
			return false;
		else if (k != 1)
			digits = false;
	}
	return i != start && i - start <= STS_MAX_LABEL && s[start] != '-' &&
	       s[i - 1] != '-' && !digits;
}

/* Match the literal lit at *p; advance past it. */
static bool
lit(char **p, const char *end, const char *l, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, l, n) != 0)
		return false;
	*p += n;
	return true;
}
#define LIT(p, end, s) lit(p, end, s, sizeof(s) - 1)

/* A string with no quote or backslash inside; not terminated yet (the
 * line must stay intact for the cJSON path until parse_fast succeeds). */
static char *
fast_str(char **p, const char *end, size_t *len)
{
	char *s, *q;

	if (*p >= end || **p != '"')
		return NULL;
	s = *p + 1;
	q = memchr(s, '"', (size_t)(end - s));
	if (q == NULL || memchr(s, '\\', (size_t)(q - s)) != NULL)
		return NULL;
	*len = (size_t)(q - s);
	*p = q + 1;
	return s;
}

/* id_ok() for a string of known length */
static bool
fast_id_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > STS_MAX_ID)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static bool
is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* A non-negative integer without sign or leading zeros, <= hi. */
static bool
fast_uint(char **p, const char *end, unsigned long long hi,
	  unsigned long long *out)
{
	unsigned long long v = 0;
	char *s = *p;

	if (s >= end || *s < '0' || *s > '9' ||
	    (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > hi)
			return false;
	}
	*p = s;
	*out = v;
	return true;
}

/* Parse line s[0..n) into *r and pat[]; false: not our exact format,
 * or a value the cJSON path would refuse (s is then unchanged).  On
 * success the strings are NUL-terminated in place. */
bool
sts_persist_fast_parse(char *s, size_t n, time_t now,
		       struct sts_cache_record *r, const char **pat)
{
	char *p = s, *end = s + n, *d, *id, *m;
	size_t len, dlen, idlen, plen[STS_PERSIST_FAST_MX], k = 0, i;
	unsigned long long max_age, fetched;

	if (n > 0 && end[-1] == '\n')
		end--;
	if (!LIT(&p, end, "{\"d\":") ||
	    (d = fast_str(&p, end, &dlen)) == NULL ||
	    !fast_name_ok(d, dlen, false) || !LIT(&p, end, ",\"id\":") ||
	    (id = fast_str(&p, end, &idlen)) == NULL ||
	    !fast_id_ok(id, idlen) || !LIT(&p, end, ",\"mode\":") ||
	    (m = fast_str(&p, end, &len)) == NULL)
		return false;
	if (is(m, len, "enforce"))
		r->mode = STS_MODE_ENFORCE;
	else if (is(m, len, "testing"))
		r->mode = STS_MODE_TESTING;
	else if (is(m, len, "none"))
		r->mode = STS_MODE_NONE;
	else
		return false;
	if (!LIT(&p, end, ",\"max_age\":") ||
	    !fast_uint(&p, end, STS_MAX_MAX_AGE, &max_age) ||
	    !LIT(&p, end, ",\"fetched\":") ||
	    !fast_uint(&p, end, (unsigned long long)now + 86400, &fetched) ||
	    !LIT(&p, end, ",\"mx\":["))
		return false;
	if (!LIT(&p, end, "]")) {
		for (;;) {
			if (k == STS_PERSIST_FAST_MX ||
			    (pat[k] = fast_str(&p, end, &plen[k])) == NULL ||
			    !fast_name_ok(pat[k], plen[k], true))
				return false;
			k++;
			if (LIT(&p, end, "]"))
				break;
			if (!LIT(&p, end, ","))
				return false;
		}
	}
	if (!LIT(&p, end, "}") || p != end)
		return false;
	if (k == 0 && r->mode != STS_MODE_NONE)
		return false;
	d[dlen] = '\0';
	id[idlen] = '\0';
	for (i = 0; i < k; i++)
		((char *)pat[i])[plen[i]] = '\0';
	r->domain = d;
	r->id = id;
	r->max_age = (uint32_t)max_age;
	r->fetched_at = (time_t)fetched;
	r->expires_at = r->fetched_at + (time_t)r->max_age;
	r->n_mx = k;
	r->mx = pat;
	return true;
}
