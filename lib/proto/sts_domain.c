/*
 * sts_domain.c - policy-domain normalisation and host-name syntax.
 *
 * Checklist A3/A4: names are compared and queried in A-labels, lower
 * case, without the trailing dot; address literals have no policy.
 *
 * Decisions where the RFCs leave room:
 *  - A name whose last label is all digits ("192.0.2.1") is not a host
 *    name (RFC 3696 section 2: no all-numeric TLD); it is INVALID, so an
 *    IP address can never pose as a policy domain or an mx pattern.
 *  - Pure-ASCII names are checked by our own LDH rules and are not sent
 *    through libidn2, so that ASCII names IDNA2008 reserves but DNS
 *    allows ("r3---sn-ab.example") keep working.  Names with a non-ASCII
 *    byte or an "xn--" label go through idn2_lookup_u8() (UTS #46
 *    non-transitional mapping, NFC), which also rejects bad A-labels
 *    ("xn--zz"), and the result is checked by the same LDH rules.
 *  - Only "[...]" is an address literal (RFC 5321 section 4.1.3); the
 *    bracket content is not checked because no policy applies either way.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "sts_domain.h"

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/*
 * Check s[0..len) against the LDH host-name rules; lower case only.
 * Returns NULL when valid, else a static reason.
 */
static const char *
ldh_check(const char *s, size_t len)
{
	size_t i, start = 0;
	int all_digits = 1;

	if (len == 0)
		return "empty name";
	if (len > STS_MAX_DOMAIN)
		return "name longer than 253 octets";
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			size_t ll = i - start;

			if (ll == 0)
				return "empty label";
			if (ll > STS_MAX_LABEL)
				return "label longer than 63 octets";
			if (s[start] == '-' || s[i - 1] == '-')
				return "label starts or ends with a hyphen";
			if (i == len && all_digits)
				return "last label is all digits (an IP "
				       "address is not a host name)";
			start = i + 1;
			all_digits = 1;
			continue;
		}
		if (!is_ldh((unsigned char)s[i]))
			return "character not allowed in a host name";
		if (s[i] < '0' || s[i] > '9')
			all_digits = 0;
	}
	return NULL;
}

bool
sts_domain_valid(const char *s)
{
	if (s == NULL)
		return false;
	return ldh_check(s, strnlen(s, STS_MAX_DOMAIN + 1)) == NULL;
}

/* True if some label of s starts with "xn--" (any case: s is lowered). */
static int
has_alabel(const char *s)
{
	const char *p = s;

	for (;;) {
		if (strncmp(p, "xn--", 4) == 0)
			return 1;
		p = strchr(p, '.');
		if (p == NULL)
			return 0;
		p++;
	}
}

enum sts_status
sts_domain_normalize(const char *in, char *out, char *why, size_t whylen)
{
	char buf[STS_MAX_DOMAIN_INPUT + 1];
	size_t len, i;
	int ascii = 1;
	const char *bad;

	out[0] = '\0';
	if (in == NULL)
		return sts_why(why, whylen, STS_INVALID, "no domain");
	len = strnlen(in, STS_MAX_DOMAIN_INPUT + 1);
	if (len > STS_MAX_DOMAIN_INPUT)
		return sts_why(why, whylen, STS_INVALID, "domain too long");
	if (len == 0)
		return sts_why(why, whylen, STS_INVALID, "empty domain");
	if (in[0] == '[') {
		if (len >= 2 && in[len - 1] == ']')
			return sts_why(why, whylen, STS_NOTFOUND,
				       "address literal: no policy applies");
		return sts_why(why, whylen, STS_INVALID,
			       "unterminated address literal");
	}
	/* One trailing dot (the root) is removed; "a.." stays invalid. */
	if (in[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x80)
			ascii = 0;
		else if (c < 0x20 || c == 0x7f)
			return sts_why(why, whylen, STS_INVALID,
				       "control character in domain");
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		buf[i] = (char)c;
	}
	buf[len] = '\0';
	if (len == 0)
		return sts_why(why, whylen, STS_INVALID, "empty domain");

	if (!ascii || has_alabel(buf)) {
		uint8_t *alabel = NULL;
		int rc = idn2_lookup_u8((const uint8_t *)buf, &alabel,
					IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		size_t alen;

		if (rc == IDN2_MALLOC)
			return sts_why(why, whylen, STS_NOMEM, "out of memory");
		if (rc != IDN2_OK) {
			free(alabel);
			return sts_why(why, whylen, STS_INVALID,
				       "not a valid IDN: %s",
				       idn2_strerror(rc));
		}
		alen = strlen((const char *)alabel);
		if (alen > STS_MAX_DOMAIN) {
			free(alabel);
			return sts_why(why, whylen, STS_INVALID,
				       "name longer than 253 octets");
		}
		memcpy(buf, alabel, alen + 1);
		free(alabel);
		len = alen;
	}
	bad = ldh_check(buf, len);
	if (bad != NULL)
		return sts_why(why, whylen, STS_INVALID, "%s", bad);
	memcpy(out, buf, len + 1);
	return STS_OK;
}
