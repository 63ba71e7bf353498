/*
 * tests/unit/test_mx.c - mx pattern syntax (RFC 8461 section 3.2,
 * checklist D4) and matching (section 4.1, checklist F1).
 */
#include "config.h"

#include <string.h>

#include "sts_limits.h"
#include "sts_mx.h"
#include "../tap.h"

struct pcase {
	const char *pattern;
	enum sts_status st;
};

static const struct pcase patterns[] = {
	{"mail.example.com", STS_OK},
	{"*.example.net", STS_OK},
	{"MAIL.Example.COM", STS_OK},
	{"xn--bcher-kva.example", STS_OK},
	{"*.xn--bcher-kva.example", STS_OK},
	{"localhost", STS_OK},
	{"mx-1.example.com", STS_OK},
	{"1mx.example.com", STS_OK},
	{"", STS_INVALID},
	{"*", STS_INVALID},
	{"*.", STS_INVALID},
	{"*.*.example.com", STS_INVALID},
	{"foo*.example.com", STS_INVALID},
	{"*foo.example.com", STS_INVALID},
	{"mail.*.example.com", STS_INVALID},
	{"mail.example.com.", STS_INVALID},
	{"*.example.com.", STS_INVALID},
	{".example.com", STS_INVALID},
	{"192.0.2.1", STS_INVALID},
	{"[192.0.2.1]", STS_INVALID},
	{"[IPv6:2001:db8::1]", STS_INVALID},
	{"2001:db8::1", STS_INVALID},
	{"b\xc3\xbc\x63her.example", STS_INVALID},
	{"mail_1.example.com", STS_INVALID},
	{"-mail.example.com", STS_INVALID},
	{"mail-.example.com", STS_INVALID},
	{"mail..example.com", STS_INVALID},
	{"mail example.com", STS_INVALID},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	 STS_INVALID}, /* 64-octet label */
};

struct mcase {
	const char *pattern;
	const char *host;
	int match;
};

static const struct mcase matches[] = {
	{"mail.example.com", "mail.example.com", 1},
	{"mail.example.com", "MAIL.EXAMPLE.COM", 1},
	{"MAIL.example.com", "mail.Example.com", 1},
	{"mail.example.com", "mail.example.com.", 1},
	{"mail.example.com", "mail.example.com..", 0},
	{"mail.example.com", "mail.example.co", 0},
	{"mail.example.com", "mail.example.com.evil", 0},
	{"mail.example.com", "xmail.example.com", 0},
	{"mail.example.com", "a.mail.example.com", 0},
	{"*.example.com", "mail.example.com", 1},
	{"*.example.com", "MAIL.EXAMPLE.COM.", 1},
	{"*.example.com", "example.com", 0},
	{"*.example.com", "foo.bar.example.com", 0},
	{"*.example.com", ".example.com", 0},
	{"*.example.com", "mailexample.com", 0},
	{"*.example.com", "mail.example.org", 0},
	{"*.example.com", "*.example.com", 0},
	{"*.example.com", "", 0},
	{"*.example.com", ".", 0},
	{"*.xn--bcher-kva.example", "mx.xn--bcher-kva.example", 1},
	{"*.*.example.com", "a.b.example.com", 0},
	{"foo*.example.com", "foox.example.com", 0},
	{"mail.example.com.", "mail.example.com", 0},
	{"", "", 0},
	{"example.com", "example.com", 1},
	{"*.com", "example.com", 1},
};

int
main(void)
{
	size_t i;
	char why[STS_WHY_MAX];

	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		enum sts_status st = sts_mx_pattern_check(patterns[i].pattern,
							  why, sizeof(why));

		is_int(st, patterns[i].st, "mx pattern \"%s\" is %s",
		       patterns[i].pattern, sts_status_str(patterns[i].st));
	}
	for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++)
		is_int(sts_mx_match(matches[i].pattern, matches[i].host),
		       matches[i].match, "mx match \"%s\" vs \"%s\": %s",
		       matches[i].pattern, matches[i].host,
		       matches[i].match ? "match" : "no match");
	ok(!sts_mx_match(NULL, "a.example") && !sts_mx_match("a.example", NULL),
	   "mx match: NULL never matches");
	ok(sts_mx_pattern_check(NULL, why, sizeof(why)) == STS_INVALID,
	   "mx pattern NULL is invalid");
	return tap_done();
}
