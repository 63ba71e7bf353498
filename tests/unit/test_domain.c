/*
 * tests/unit/test_domain.c - policy-domain normalisation (checklist A3,
 * A4): lower case, one trailing dot removed, U-labels to A-labels via
 * libidn2, host-name syntax, address literals have no policy.
 */
#include "config.h"

#include <string.h>

#include "sts_domain.h"
#include "../tap.h"

#define L63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"
#define L64 L63 "4"
#define L60 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"

struct dcase {
	const char *name;
	const char *in;
	enum sts_status st;
	const char *out;
};

static const struct dcase cases[] = {
	{"plain", "example.com", STS_OK, "example.com"},
	{"upper case folded", "Example.COM", STS_OK, "example.com"},
	{"one trailing dot removed", "example.com.", STS_OK, "example.com"},
	{"single label", "localhost", STS_OK, "localhost"},
	{"digits and hyphens", "mx-1.a1.example", STS_OK, "mx-1.a1.example"},
	{"IDN U-label to A-label", "b\xc3\xbc\x63her.example", STS_OK,
	 "xn--bcher-kva.example"},
	{"IDN upper-case U-label", "B\xc3\x9c\x43HER.example", STS_OK,
	 "xn--bcher-kva.example"},
	{"IDN with trailing dot", "b\xc3\xbc\x63her.example.", STS_OK,
	 "xn--bcher-kva.example"},
	{"IDN sharp s (non-transitional)", "fa\xc3\x9f.de", STS_OK,
	 "xn--fa-hia.de"},
	{"IDN in a sub-label", "mail.\xe4\xbe\x8b\xe3\x81\x88.jp", STS_OK,
	 "mail.xn--r8jz45g.jp"},
	{"A-label kept", "xn--bcher-kva.example", STS_OK,
	 "xn--bcher-kva.example"},
	{"A-label upper case folded", "XN--BCHER-KVA.example", STS_OK,
	 "xn--bcher-kva.example"},
	{"ASCII -- in positions 3-4 kept", "r3---sn-ab.example", STS_OK,
	 "r3---sn-ab.example"},
	{"63-octet label", L63 ".example", STS_OK, L63 ".example"},
	{"253-octet name", L63 "." L63 "." L63 "." L60 "1", STS_OK,
	 L63 "." L63 "." L63 "." L60 "1"},
	{"253-octet name with the root dot", L63 "." L63 "." L63 "." L60 "1.",
	 STS_OK, L63 "." L63 "." L63 "." L60 "1"},
	{"address literal IPv4", "[192.0.2.1]", STS_NOTFOUND, ""},
	{"address literal IPv6", "[IPv6:2001:db8::1]", STS_NOTFOUND, ""},
	{"unterminated literal", "[192.0.2.1", STS_INVALID, ""},
	{"empty", "", STS_INVALID, ""},
	{"only a dot", ".", STS_INVALID, ""},
	{"two trailing dots", "example.com..", STS_INVALID, ""},
	{"leading dot", ".example.com", STS_INVALID, ""},
	{"empty label", "a..example", STS_INVALID, ""},
	{"64-octet label", L64 ".example", STS_INVALID, ""},
	{"254-octet name", L63 "." L63 "." L63 "." L60 "12", STS_INVALID, ""},
	{"256-octet name", L63 "." L63 "." L63 "." L63 "a", STS_INVALID, ""},
	{"underscore", "_mta-sts.example.com", STS_INVALID, ""},
	{"label starts with hyphen", "-a.example", STS_INVALID, ""},
	{"label ends with hyphen", "a-.example", STS_INVALID, ""},
	{"space", "exa mple.com", STS_INVALID, ""},
	{"bare IPv4 address", "192.0.2.1", STS_INVALID, ""},
	{"all-numeric TLD", "example.123", STS_INVALID, ""},
	{"invalid U-label (disallowed symbol)", "\xe2\x98\x83.example",
	 STS_INVALID, ""},
	{"invalid U-label (ZWJ, CONTEXTJ)", "a\xe2\x80\x8d\x62.example",
	 STS_INVALID, ""},
	{"invalid UTF-8", "\xff.example", STS_INVALID, ""},
	{"invalid A-label (bad punycode)", "xn--zz.example", STS_INVALID, ""},
	{"A-label of a disallowed char", "xn--ls8h.example", STS_INVALID, ""},
	{"U-label too long after conversion",
	 "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	 "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	 "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	 "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	 "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	 "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	 "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	 "\xc3\xbc\xc3\xbc.example",
	 STS_INVALID, ""},
	{"control character", "exa\tmple.com", STS_INVALID, ""},
};

struct vcase {
	const char *s;
	int valid;
};

static const struct vcase valid[] = {
	{"example.com", 1},
	{"xn--bcher-kva.example", 1},
	{"a", 1},
	{"Example.com", 0},
	{"example.com.", 0},
	{"", 0},
	{"b\xc3\xbc\x63her.example", 0},
	{"192.0.2.1", 0},
	{"a..b", 0},
	{L64 ".example", 0},
};

int
main(void)
{
	char out[STS_DOMAIN_BUFSZ], why[STS_WHY_MAX];
	char big[STS_MAX_DOMAIN_INPUT + 2];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sts_status st;
		int pass;

		why[0] = '\0';
		st = sts_domain_normalize(cases[i].in, out, why, sizeof(why));
		pass = st == cases[i].st &&
		       (st != STS_OK || strcmp(out, cases[i].out) == 0) &&
		       (st == STS_OK || why[0] != '\0');
		ok(pass, "domain: %s", cases[i].name);
		if (!pass)
			tap_diag("status %s out '%s' why '%s'",
				 sts_status_str(st), out, why);
	}
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		is_int(sts_domain_valid(valid[i].s), valid[i].valid,
		       "domain_valid \"%s\"", valid[i].s);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(sts_domain_normalize(big, out, why, sizeof(why)) == STS_INVALID,
	   "domain: input above STS_MAX_DOMAIN_INPUT is invalid");
	ok(sts_domain_normalize(NULL, out, why, sizeof(why)) == STS_INVALID,
	   "domain: NULL is invalid");
	ok(!sts_domain_valid(NULL), "domain_valid NULL");
	return tap_done();
}
