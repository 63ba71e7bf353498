/*
 * tests/socketmap/t_mapreply.c - the socketmap answer formatter and the
 * key classifier, table-driven.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sts_mapreply.h"

static char *mx_one[] = {"mx.example.com"};
static char *mx_two[] = {"mx1.example.com", "*.example.net"};
static char *mx_bad[] = {"mx.example.com:25"};

static struct sts_policy pol_enforce = {STS_MODE_ENFORCE, 86400, 2,
					mx_two,		  0,	 NULL};
static struct sts_policy pol_one = {STS_MODE_ENFORCE, 604800, 1,
				    mx_one,	      0,      NULL};
static struct sts_policy pol_testing = {STS_MODE_TESTING, 86400, 1,
					mx_one,		  0,	 NULL};
static struct sts_policy pol_none = {STS_MODE_NONE, 86400, 1, mx_one, 0, NULL};
static struct sts_policy pol_nomx = {STS_MODE_ENFORCE, 86400, 0, NULL, 0, NULL};
static struct sts_policy pol_bad = {STS_MODE_ENFORCE, 86400, 1,
				    mx_bad,	      0,     NULL};

static const struct {
	const char *name;
	enum sts_status status;
	struct sts_policy *policy;
	bool enforce, dane, postfix_sts, dane_notfound;
	const char *want;
} cases[] = {
	{"enforce, two patterns", STS_OK, &pol_enforce, true, false, false,
	 false,
	 "OK secure match=mx1.example.com:.example.net servername=hostname"},
	{"enforce, one pattern", STS_OK, &pol_one, true, false, false, false,
	 "OK secure match=mx.example.com servername=hostname"},
	{"testing", STS_OK, &pol_testing, false, false, false, false,
	 "NOTFOUND "},
	{"testing, override enforces", STS_OK, &pol_testing, true, false, false,
	 false, "OK secure match=mx.example.com servername=hostname"},
	{"mode none", STS_OK, &pol_none, false, false, false, false,
	 "NOTFOUND "},
	{"mode none, enforce flag set anyway", STS_OK, &pol_none, true, false,
	 false, false, "NOTFOUND "},
	{"OK without policy", STS_OK, NULL, true, false, false, false,
	 "NOTFOUND "},
	{"no policy", STS_NOTFOUND, NULL, false, false, false, false,
	 "NOTFOUND "},
	{"pending (nothing known yet)", STS_TEMPFAIL, NULL, false, false, false,
	 false, "NOTFOUND "},
	{"not a domain", STS_INVALID, NULL, false, false, false, false,
	 "NOTFOUND "},
	{"DNSSEC bogus", STS_BOGUS, NULL, false, false, false, false,
	 "TEMP DNSSEC validation failed"},
	{"out of memory", STS_NOMEM, NULL, false, false, false, false,
	 "TEMP internal error"},
	{"enforce + DANE", STS_OK, &pol_enforce, true, true, false, false,
	 "OK dane-only"},
	{"enforce + DANE, dane_notfound", STS_OK, &pol_enforce, true, true,
	 false, true, "NOTFOUND "},
	{"testing + DANE", STS_OK, &pol_testing, false, true, false, false,
	 "NOTFOUND "},
	{"no policy + DANE", STS_NOTFOUND, NULL, false, true, false, false,
	 "NOTFOUND "},
	{"enforce without mx", STS_OK, &pol_nomx, true, false, false, false,
	 "TEMP enforced policy without mx"},
	{"enforce with a broken pattern", STS_OK, &pol_bad, true, false, false,
	 false, "TEMP bad mx pattern"},
	{"Postfix 3.10 attributes", STS_OK, &pol_enforce, true, false, true,
	 false,
	 "OK secure match=mx1.example.com:.example.net servername=hostname"
	 " policy_type=sts policy_domain=example.com policy_ttl=86400"
	 " mx_host_pattern=mx1.example.com mx_host_pattern=*.example.net"
	 " { policy_string = version: STSv1 }"
	 " { policy_string = mode: enforce }"
	 " { policy_string = mx: mx1.example.com }"
	 " { policy_string = mx: *.example.net }"
	 " { policy_string = max_age: 86400 }"},
	{"Postfix 3.10 attributes, testing policy enforced by override", STS_OK,
	 &pol_testing, true, false, true, false,
	 "OK secure match=mx.example.com servername=hostname"
	 " policy_type=sts policy_domain=example.com policy_ttl=86400"
	 " mx_host_pattern=mx.example.com"
	 " { policy_string = version: STSv1 }"
	 " { policy_string = mode: testing }"
	 " { policy_string = mx: mx.example.com }"
	 " { policy_string = max_age: 86400 }"},
	{"Postfix 3.10 attributes, DANE wins", STS_OK, &pol_enforce, true, true,
	 true, false, "OK dane-only"},
};

static void
test_format(void)
{
	struct sts_mapreply_opts o;
	struct sts_lookup lk;
	char buf[2048];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&lk, 0, sizeof(lk));
		lk.status = cases[i].status;
		lk.policy = cases[i].policy;
		lk.enforce = cases[i].enforce;
		lk.dane = cases[i].dane;
		snprintf(lk.domain, sizeof(lk.domain), "example.com");
		o.postfix_sts = cases[i].postfix_sts;
		o.dane_notfound = cases[i].dane_notfound;
		n = sts_mapreply_format(&lk, &o, buf, sizeof(buf));
		is_str(buf, cases[i].want, "format: %s", cases[i].name);
		ok(n == strlen(buf), "format: %s: length", cases[i].name);
	}
}

/* The three kinds of "not OK" stay apart: override defer -> TEMP with
 * the reason, bogus -> TEMP, pending -> NOTFOUND (a new domain is not
 * deferred). */
static void
test_defer(void)
{
	struct sts_lookup lk;
	char buf[256];

	memset(&lk, 0, sizeof(lk));
	lk.status = STS_TEMPFAIL;
	lk.defer = true;
	snprintf(lk.why, sizeof(lk.why), "override: reject");
	sts_mapreply_format(&lk, NULL, buf, sizeof(buf));
	is_str(buf, "TEMP override: reject", "format: override defer/reject");
	lk.why[0] = '\0';
	sts_mapreply_format(&lk, NULL, buf, sizeof(buf));
	is_str(buf, "TEMP override: defer", "format: override, no reason");
	lk.defer = false;
	sts_mapreply_format(&lk, NULL, buf, sizeof(buf));
	is_str(buf, "NOTFOUND ", "format: pending without defer flag");
}

/* snprintf semantics: the size is right and the buffer is terminated. */
static void
test_truncation(void)
{
	struct sts_lookup lk;
	char small[10];
	size_t n;

	memset(&lk, 0, sizeof(lk));
	lk.status = STS_OK;
	lk.policy = &pol_one;
	lk.enforce = true;
	memset(small, 'Z', sizeof(small));
	n = sts_mapreply_format(&lk, NULL, small, sizeof(small));
	is_int((long long)n,
	       (long long)strlen("OK secure match=mx.example.com "
				 "servername=hostname"),
	       "truncated format reports the full length");
	is_str(small, "OK secure", "truncated output is NUL-terminated");
}

/* No mx count cap (issue 13 item 7): a policy with 1000 long patterns
 * (about 64 KiB of match= list) still fits Postfix's reply cap; the
 * Postfix >= 3.10 attributes, which would triple it, are left out. */
#define NPAT 1000
static void
test_largest(void)
{
	static char pats[NPAT][64];
	char *mx[NPAT];
	struct sts_policy p = {
		STS_MODE_ENFORCE, STS_MAX_MAX_AGE, NPAT, mx, 0, NULL};
	struct sts_mapreply_opts o = {true, false};
	struct sts_lookup lk;
	char *buf = malloc(STS_MAX_MAP_REPLY + 1);
	size_t i, n;

	for (i = 0; i < NPAT; i++) {
		snprintf(pats[i], sizeof(pats[i]),
			 "mx%04zu.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
			 "example",
			 i);
		mx[i] = pats[i];
	}
	memset(&lk, 0, sizeof(lk));
	lk.status = STS_OK;
	lk.policy = &p;
	lk.enforce = true;
	snprintf(lk.domain, sizeof(lk.domain), "example.com");
	n = sts_mapreply_format(&lk, &o, buf, STS_MAX_MAP_REPLY + 1);
	ok(n <= STS_MAX_MAP_REPLY &&
		   strncmp(buf, "OK secure match=", 16) == 0 &&
		   strstr(buf, pats[NPAT - 1]) != NULL &&
		   strstr(buf, "policy_type=") == NULL,
	   "%d mx patterns: every one in match=, %zu bytes <= %d, the "
	   "3.10 attributes left out",
	   NPAT, n, STS_MAX_MAP_REPLY);
	o.postfix_sts = false;
	n = sts_mapreply_format(&lk, &o, buf, STS_MAX_MAP_REPLY + 1);
	ok(n <= STS_MAX_MAP_REPLY && strstr(buf, pats[NPAT - 1]) != NULL,
	   "%d mx patterns without attributes: %zu bytes", NPAT, n);
	free(buf);
}

static const struct {
	const char *key;
	enum sts_status want;
} keys[] = {
	{"example.com", STS_OK},
	{"Example.COM.", STS_OK},
	{"b\xc3\xbc"
	 "cher.example",
	 STS_OK},
	{"xn--bcher-kva.example", STS_OK},
	{"", STS_NOTFOUND},
	/* issue 14 item 1: explicit next hops are looked up (their host
	 * is the policy domain); address literals parse, the engine finds
	 * no policy for them */
	{"[mx.example.com]:587", STS_OK},
	{"[mx.example.com]", STS_OK},
	{"[192.0.2.1]", STS_OK},
	{"[IPv6:2001:db8::1]", STS_OK},
	{"example.com:25", STS_OK},
	{"example.com:smtp", STS_OK},
	{"[mx.example.com", STS_NOTFOUND},
	{"[]:25", STS_NOTFOUND},
	{"example.com:", STS_NOTFOUND},
	{"example.com:25:26", STS_NOTFOUND},
	{"[mx.example.com]x", STS_NOTFOUND},
	{":25", STS_NOTFOUND},
	{".example.com", STS_NOTFOUND},
	{"a b", STS_NOTFOUND},
};

static void
test_keys(void)
{
	char why[STS_WHY_MAX];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		why[0] = '\0';
		is_str(sts_status_str(
			       sts_mapreply_key(keys[i].key, why, sizeof(why))),
		       sts_status_str(keys[i].want), "key \"%s\" (%s)",
		       keys[i].key, why);
	}
}

/* The host and the literal flag (sts_nexthop_parse underneath). */
static void
test_hop(void)
{
	static const struct {
		const char *key, *host;
		bool literal;
	} t[] = {
		{"example.com", "example.com", false},
		{"Example.COM.", "Example.COM.", false},
		{"smarthost.example.net:587", "smarthost.example.net", false},
		{"[smarthost.example.net]:587", "smarthost.example.net", true},
		{"[smarthost.example.net]", "smarthost.example.net", true},
		{"[IPv6:2001:db8::1]:25", "IPv6:2001:db8::1", true},
	};
	char host[STS_MAX_DOMAIN_INPUT + 1], why[STS_WHY_MAX], small[8];
	bool lit;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		lit = !t[i].literal;
		sts_mapreply_hop(t[i].key, host, sizeof(host), &lit, why,
				 sizeof(why));
		is_str(host, t[i].host, "hop \"%s\": host", t[i].key);
		ok(lit == t[i].literal, "hop \"%s\": literal %d", t[i].key,
		   (int)lit);
	}
	is_str(sts_status_str(sts_mapreply_hop("[toolong.example]", small,
					       sizeof(small), &lit, why,
					       sizeof(why))),
	       sts_status_str(STS_NOTFOUND),
	       "hop: a host over the buffer is refused (%s)", why);
}

/* The map name picks the format (issue 14 item 4). */
static void
test_names(void)
{
	struct sts_mapreply_opts base = {false, true}, o;

	sts_mapreply_opts_for("postfix-sts", &base, &o);
	ok(o.postfix_sts && o.dane_notfound,
	   "map postfix-sts: attribute form, other options kept");
	sts_mapreply_opts_for("postfix", &base, &o);
	ok(!o.postfix_sts, "map postfix: classic form");
	sts_mapreply_opts_for("sts", NULL, &o);
	ok(!o.postfix_sts && !o.dane_notfound, "map sts: defaults");
	base.postfix_sts = true;
	sts_mapreply_opts_for("postfix", &base, &o);
	ok(o.postfix_sts, "MapPostfixSTS yes still applies to every name");
}

static void
test_error(void)
{
	char buf[STS_WHY_MAX + 16];

	sts_mapreply_error("PERM", "bad\r\nthing", buf, sizeof(buf));
	is_str(buf, "PERM bad??thing", "error reasons lose control characters");
	sts_mapreply_error("NOTFOUND", "", buf, sizeof(buf));
	is_str(buf, "NOTFOUND ", "NOTFOUND keeps its trailing space");
}

int
main(void)
{
	test_format();
	test_defer();
	test_truncation();
	test_largest();
	test_keys();
	test_hop();
	test_names();
	test_error();
	return tap_done();
}
