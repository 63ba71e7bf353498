/*
 * sts_shentry.c - encode and decode a shared cache entry (sts_shentry.h).
 *
 * Decisions: the decoder is stricter than it needs to be for our own
 * encoder's output, on purpose: anything but the exact layout is
 * refused, so a store written by another program (or tampered with)
 * cannot be half-understood.  Numbers are 1 to 19 decimal digits with no
 * sign and no leading zero.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sts_shentry.h"

#define MAGIC "STS-SHARED/1\n"

static bool
id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > STS_MAX_ID)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

enum sts_status
sts_shentry_encode(const struct sts_shentry *e, char *buf, size_t buflen,
		   size_t *len, char *why, size_t whylen)
{
	int n;
	size_t off, need;

	*len = 0;
	if (buflen > 0)
		buf[0] = '\0';
	if (!e->none && (e->policy == NULL ||
			 !id_ok(e->id, strnlen(e->id, STS_MAX_ID + 1))))
		return sts_why(why, whylen, STS_INVALID,
			       "shared entry without a policy or a valid id");
	if (e->fetched < 0 || e->checked < e->fetched)
		return sts_why(why, whylen, STS_INVALID,
			       "shared entry with bad times");
	if (e->none)
		n = snprintf(buf, buflen,
			     MAGIC "kind: none\nfetched: %" PRId64
				   "\nchecked: %" PRId64 "\n\n",
			     e->fetched, e->checked);
	else
		n = snprintf(buf, buflen,
			     MAGIC "kind: policy\nid: %s\nfetched: %" PRId64
				   "\nchecked: %" PRId64 "\n\n",
			     e->id, e->fetched, e->checked);
	if (n < 0 || (size_t)n >= buflen)
		return sts_why(why, whylen, STS_NOMEM,
			       "shared entry too large");
	off = (size_t)n;
	if (!e->none) {
		need = sts_policy_format(e->policy, buf + off, buflen - off);
		if (need >= buflen - off || off + need > STS_MAX_SHARED_ENTRY) {
			buf[0] = '\0';
			return sts_why(why, whylen, STS_NOMEM,
				       "shared entry too large");
		}
		off += need;
	}
	*len = off;
	return STS_OK;
}

/* Take the line "<key>: <value>\n" at *p; value bounds into *v, *vl. */
static bool
take(const char **p, const char *end, const char *key, const char **v,
     size_t *vl)
{
	size_t kl = strlen(key);
	const char *nl;

	if ((size_t)(end - *p) < kl + 3 || memcmp(*p, key, kl) != 0 ||
	    (*p)[kl] != ':' || (*p)[kl + 1] != ' ')
		return false;
	*v = *p + kl + 2;
	nl = memchr(*v, '\n', (size_t)(end - *v));
	if (nl == NULL)
		return false;
	*vl = (size_t)(nl - *v);
	*p = nl + 1;
	return true;
}

static bool
num(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

enum sts_status
sts_shentry_decode(const char *buf, size_t len, time_t now,
		   struct sts_shentry *out, char *why, size_t whylen)
{
	const char *p = buf, *end = buf + len, *v;
	size_t vl, errline = 0;
	enum sts_status st;
	char pwhy[STS_WHY_MAX];

	memset(out, 0, sizeof(*out));
	if (len > STS_MAX_SHARED_ENTRY)
		return sts_why(why, whylen, STS_INVALID,
			       "shared entry of %zu bytes (cap %d)", len,
			       STS_MAX_SHARED_ENTRY);
	if (len < sizeof(MAGIC) - 1 || memcmp(p, MAGIC, sizeof(MAGIC) - 1) != 0)
		return sts_why(why, whylen, STS_INVALID,
			       "not a shared entry (bad first line)");
	p += sizeof(MAGIC) - 1;
	if (!take(&p, end, "kind", &v, &vl))
		return sts_why(why, whylen, STS_INVALID, "no kind line");
	if (vl == 4 && memcmp(v, "none", 4) == 0)
		out->none = true;
	else if (!(vl == 6 && memcmp(v, "policy", 6) == 0))
		return sts_why(why, whylen, STS_INVALID, "unknown kind");
	if (!out->none) {
		if (!take(&p, end, "id", &v, &vl) || !id_ok(v, vl))
			return sts_why(why, whylen, STS_INVALID,
				       "missing or bad id");
		memcpy(out->id, v, vl);
		out->id[vl] = '\0';
	}
	if (!take(&p, end, "fetched", &v, &vl) || !num(v, vl, &out->fetched))
		return sts_why(why, whylen, STS_INVALID,
			       "missing or bad fetched time");
	if (!take(&p, end, "checked", &v, &vl) || !num(v, vl, &out->checked))
		return sts_why(why, whylen, STS_INVALID,
			       "missing or bad checked time");
	if (out->checked < out->fetched ||
	    out->checked > (int64_t)now + STS_SHENTRY_SKEW)
		return sts_why(why, whylen, STS_INVALID,
			       "times out of order or in the future");
	if (p >= end || *p != '\n')
		return sts_why(why, whylen, STS_INVALID,
			       "no empty line after the header");
	p++;
	if (out->none) {
		if (p != end)
			return sts_why(why, whylen, STS_INVALID,
				       "a negative entry with a body");
		return STS_OK;
	}
	st = sts_policy_parse(p, (size_t)(end - p), &out->policy, &errline,
			      pwhy, sizeof(pwhy));
	if (st != STS_OK) {
		out->policy = NULL;
		return sts_why(why, whylen, st == STS_NOMEM ? st : STS_INVALID,
			       "policy text line %zu: %s", errline, pwhy);
	}
	/* the same rule as a fetched policy (sts_policy_usable(), RFC 8461
	 * 3.2): an enforce/testing policy whose every mx value can never
	 * match a host name is invalid, never an empty match list */
	if (sts_policy_usable(out->policy, pwhy, sizeof(pwhy)) != STS_OK) {
		sts_shentry_clear(out);
		return sts_why(why, whylen, STS_INVALID, "policy text: %s",
			       pwhy);
	}
	if (out->fetched + (int64_t)out->policy->max_age <= (int64_t)now) {
		sts_shentry_clear(out);
		return sts_why(why, whylen, STS_NOTFOUND,
			       "shared policy expired");
	}
	return STS_OK;
}

void
sts_shentry_clear(struct sts_shentry *e)
{
	if (e == NULL)
		return;
	sts_policy_free(e->policy);
	e->policy = NULL;
}
