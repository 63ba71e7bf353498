/*
 * test_override.c - override file parsing, errors with file:line,
 * precedence (exact > longest suffix), sender exemptions, and the
 * sample file etc/overrides.sample.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sts_override.h"

static struct sts_override *
parse(const char *text, char *why, size_t whylen)
{
	struct sts_override *t = NULL;

	why[0] = '\0';
	if (sts_override_parse(text, strlen(text), "t.conf", &t, why, whylen) !=
	    STS_OK)
		return NULL;
	return t;
}

static const char *
act(const struct sts_override *t, const char *d)
{
	const struct sts_override_rule *r = sts_override_find(t, d);

	return r ? sts_override_action_str(r->action) : "-";
}

static const struct {
	const char *text, *err;
} bad[] = {
	{"example.com\n", "t.conf:1: example.com: action missing"},
	{"# c\nexample.com frob\n", "t.conf:2: example.com: unknown action"},
	{"ex ample.com skip\n", "t.conf:1: ex: unknown action"},
	{"example.com skip extra\n", "t.conf:1: example.com skip: unexpected"},
	{"a.com skip\na.com defer\n", "t.conf:2: a.com: a second rule"},
	{"-bad-.com skip\n", "t.conf:1: -bad-.com:"},
	{"[192.0.2.1] skip\n", "t.conf:1: [192.0.2.1]:"},
	{"a.com policy mx=mx.a.com\n", "t.conf:1: policy: mode= is required"},
	{"a.com policy mode=enforce\n", "t.conf:1: policy: mx= is required"},
	{"a.com policy mode=none mx=a.com\n", "t.conf:1: policy: mode must"},
	{"a.com policy mode=enforce mx=*.*.a.com\n", "t.conf:1: policy:"},
	{"a.com policy mode=enforce mx=a.com, \n", "t.conf:1: policy: empty"},
	{"a.com policy mode=enforce mx=a.com max_age=99999999999\n",
	 "t.conf:1: policy: bad max_age"},
	{"a.com policy mode=enforce mx=a.com color=red\n",
	 "t.conf:1: policy: unknown argument"},
	{"exempt-sender\n", "t.conf:1: exempt-sender takes one"},
	{"exempt-sender nobody\n", "t.conf:1: exempt-sender nobody: need"},
	{"a.com skip\x01\n", "t.conf:1: control character"},
};

static void
errors(void)
{
	char why[STS_WHY_MAX];
	struct sts_override *t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = parse(bad[i].text, why, sizeof(why));
		ok(t == NULL &&
			   strncmp(why, bad[i].err, strlen(bad[i].err)) == 0,
		   "rejected with '%s' (%s)", bad[i].err, why);
		sts_override_unref(t);
	}
	{
		char big[STS_MAX_OVERRIDE_LINE + 20];

		memset(big, 'a', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		t = parse(big, why, sizeof(why));
		ok(t == NULL && strstr(why, "longer than") != NULL,
		   "overlong line rejected (%s)", why);
	}
	ok(sts_override_load("/nonexistent/ov", &t, why, sizeof(why)) ==
		   STS_NOTFOUND,
	   "missing file: NOTFOUND (%s)", why);
}

static void
precedence(void)
{
	char why[STS_WHY_MAX];
	const struct sts_override_rule *r;
	struct sts_override *t =
		parse("# comment line\n"
		      "   \n"
		      "example.com        skip     # trailing comment\n"
		      ".example.com       testing\n"
		      ".deep.example.com  enforce\n"
		      "x.deep.example.com defer\r\n"
		      "Bank.TEST.         reject\n"
		      "bücher.test        skip\n"
		      "pin.test policy mode=testing mx=MX1.pin.test,*.pin.test "
		      "max_age=3600\n"
		      "exempt-sender tlsrpt@Reports.example.net\n"
		      "exempt-sender @tls-reports.test\n",
		      why, sizeof(why));

	if (!ok(t != NULL, "sample parses (%s)", why))
		return;
	is_int((long long)sts_override_count(t), 9, "9 rules + exemptions");
	is_str(act(t, "example.com"), "skip", "exact rule");
	is_str(act(t, "a.example.com"), "testing", "suffix rule");
	is_str(act(t, "a.b.example.com"), "testing", "suffix, any depth");
	is_str(act(t, "deep.example.com"), "testing",
	       ".deep does not cover deep itself");
	is_str(act(t, "y.deep.example.com"), "enforce", "longer suffix wins");
	is_str(act(t, "x.deep.example.com"), "defer", "exact beats suffix");
	is_str(act(t, "notexample.com"), "-", "no partial-label match");
	is_str(act(t, "com"), "-", "parent: no match");
	is_str(act(t, "bank.test"), "reject", "case and trailing dot");
	is_str(act(t, "xn--bcher-kva.test"), "skip",
	       "U-label stored as A-label");
	r = sts_override_find(t, "pin.test");
	ok(r != NULL && r->action == STS_OV_POLICY && r->pin != NULL &&
		   r->pin->mode == STS_MODE_TESTING && r->pin->n_mx == 2 &&
		   strcmp(r->pin->mx[0], "mx1.pin.test") == 0 &&
		   r->pin->max_age == 3600,
	   "pinned policy parsed (lower-cased mx, max_age)");
	ok(r != NULL && r->line == 9, "rule remembers its line");
	ok(sts_override_exempt(t, "TLSRPT@reports.example.net"),
	   "exempt address, any case");
	ok(sts_override_exempt(t, "<tlsrpt@reports.example.net>"),
	   "exempt address in brackets");
	ok(!sts_override_exempt(t, "other@reports.example.net"),
	   "other address not exempt");
	ok(sts_override_exempt(t, "anyone@TLS-Reports.test"), "exempt @domain");
	ok(!sts_override_exempt(t, "anyone@sub.tls-reports.test"),
	   "@domain is exact");
	ok(!sts_override_exempt(t, "<>"), "null sender not exempt");
	ok(!sts_override_exempt(t, NULL), "NULL sender not exempt");
	ok(sts_override_find(NULL, "example.com") == NULL, "NULL table");
	sts_override_ref(t);
	sts_override_unref(t);
	sts_override_unref(t);
	sts_override_unref(NULL);
}

static void
sample(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096], why[STS_WHY_MAX];
	struct sts_override *t = NULL;

	snprintf(path, sizeof(path), "%s/etc/overrides.sample",
		 top ? top : ".");
	ok(sts_override_load(path, &t, why, sizeof(why)) == STS_OK,
	   "etc/overrides.sample loads (%s)", t ? "ok" : why);
	ok(t != NULL && sts_override_count(t) >= 5,
	   "sample has rules of every kind");
	sts_override_unref(t);
}

int
main(void)
{
	errors();
	precedence();
	sample();
	return tap_done();
}
