/*
 * sts_mx.c - policy mx patterns: syntax (RFC 8461 section 3.2) and
 * matching (section 4.1).
 *
 * A pattern is ["*."] Domain in A-labels (section 3.2: "the mx value
 * MUST specify the Punycode-encoded A-label").  Patterns are host names
 * and so case-insensitive; the comparison folds ASCII case only, which
 * is all an A-label needs.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "sts_domain.h"
#include "sts_mx.h"

/* Lower-case copy of s[0..len) into buf[STS_DOMAIN_BUFSZ]; 0 if too long. */
static int
lower_copy(const char *s, size_t len, char *buf)
{
	size_t i;

	if (len > STS_MAX_DOMAIN)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[len] = '\0';
	return 1;
}

enum sts_status
sts_mx_pattern_check(const char *pattern, char *why, size_t whylen)
{
	char buf[STS_DOMAIN_BUFSZ];
	const char *name;
	size_t len, i;

	if (pattern == NULL || pattern[0] == '\0')
		return sts_why(why, whylen, STS_INVALID, "empty mx pattern");
	len = strnlen(pattern, STS_MAX_DOMAIN + 3);
	name = pattern;
	if (pattern[0] == '*') {
		if (pattern[1] != '.')
			return sts_why(why, whylen, STS_INVALID,
				       "mx pattern: '*' must be a whole "
				       "left-most label (\"*.\")");
		name += 2;
		len -= 2;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '*')
			return sts_why(why, whylen, STS_INVALID,
				       "mx pattern: '*' only as the whole "
				       "left-most label");
		if (c >= 0x80)
			return sts_why(why, whylen, STS_INVALID,
				       "mx pattern must be in A-labels "
				       "(punycode), not UTF-8");
	}
	if (len > 0 && name[len - 1] == '.')
		return sts_why(why, whylen, STS_INVALID,
			       "mx pattern has a trailing dot");
	if (name[0] == '[')
		return sts_why(why, whylen, STS_INVALID,
			       "mx pattern is an address literal");
	if (!lower_copy(name, len, buf))
		return sts_why(why, whylen, STS_INVALID,
			       "mx pattern longer than 253 octets");
	if (!sts_domain_valid(buf))
		return sts_why(why, whylen, STS_INVALID,
			       "mx pattern \"%.64s\" is not a valid host name",
			       pattern);
	return STS_OK;
}

bool
sts_mx_match(const char *pattern, const char *host)
{
	char h[STS_DOMAIN_BUFSZ];
	size_t plen, hlen;
	const char *dot;

	if (pattern == NULL || host == NULL ||
	    sts_mx_pattern_check(pattern, NULL, 0) != STS_OK)
		return false;
	hlen = strnlen(host, STS_MAX_DOMAIN + 2);
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	/* The host must itself be a host name: a literal "*" label or an
	 * empty one never matches anything. */
	if (!lower_copy(host, hlen, h) || !sts_domain_valid(h))
		return false;
	plen = strlen(pattern);
	if (pattern[0] != '*')
		return plen == hlen && strcasecmp(pattern, h) == 0;
	/* "*.rest": host is exactly one label, ".", rest (section 4.1). */
	dot = strchr(h, '.');
	if (dot == NULL)
		return false;
	return strcasecmp(dot, pattern + 1) == 0;
}
