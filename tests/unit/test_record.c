/*
 * tests/unit/test_record.c - table-driven tests of the _mta-sts TXT
 * record (RFC 8461 section 3.1, checklist B2-B5, erratum 6285).
 *
 * Decisions documented at the top of lib/proto/sts_record.c and tested here
 * under "decision:" names: WSP before ";" is allowed (erratum 6285,
 * following the ABNF), a trailing ";" and trailing WSP are allowed, an
 * RR is an STS record when it starts with "v=STSv1" followed by ";",
 * WSP or the end, an empty field is invalid, every id field must be
 * well formed and the first wins.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_record.h"
#include "../tap.h"

struct rcase {
	const char *name;
	const char *txt;
	enum sts_status st;
	const char *id; /* expected id when valid */
};

static const struct rcase cases[] = {
	{"RFC example", "v=STSv1; id=20160831085700Z;", STS_OK,
	 "20160831085700Z"},
	{"no trailing ;", "v=STSv1; id=20160831085700Z", STS_OK,
	 "20160831085700Z"},
	{"no spaces", "v=STSv1;id=abc", STS_OK, "abc"},
	{"erratum 6285: space before ;", "v=STSv1 ; id=abc", STS_OK, "abc"},
	{"erratum 6285: TABs around ;", "v=STSv1\t;\tid=abc\t;", STS_OK, "abc"},
	{"decision: trailing ; then WSP", "v=STSv1; id=abc;  ", STS_OK, "abc"},
	{"decision: trailing WSP without ;", "v=STSv1; id=abc  ", STS_OK,
	 "abc"},
	{"id of 1 char", "v=STSv1; id=1", STS_OK, "1"},
	{"id of 32 chars", "v=STSv1; id=abcdefghijklmnopqrstuvwxyzABCDEF",
	 STS_OK, "abcdefghijklmnopqrstuvwxyzABCDEF"},
	{"id case is kept", "v=STSv1; id=AbC", STS_OK, "AbC"},
	{"extension before id", "v=STSv1; foo=bar; id=x1", STS_OK, "x1"},
	{"extension after id", "v=STSv1; id=x1; foo=bar", STS_OK, "x1"},
	{"extension value with punctuation", "v=STSv1; id=1; ext=a:b/c,d!",
	 STS_OK, "1"},
	{"extension name with _ - .", "v=STSv1; id=1; a_b-c.d=1", STS_OK, "1"},
	{"extension name of 32 chars",
	 "v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz012345=1", STS_OK, "1"},
	{"repeated id: first wins", "v=STSv1; id=first; id=second", STS_OK,
	 "first"},
	{"a later v= is an extension", "v=STSv1; id=1; v=STSv2", STS_OK, "1"},
	{"ID (upper case) is an extension, id still found",
	 "v=STSv1; ID=zz; id=1", STS_OK, "1"},

	{"empty", "", STS_INVALID, NULL},
	{"v=STSv1 alone (no id)", "v=STSv1", STS_INVALID, NULL},
	{"decision: v=STSv1 ; alone", "v=STSv1 ;", STS_INVALID, NULL},
	{"v=STSv1; only", "v=STSv1;", STS_INVALID, NULL},
	{"lower-case version", "v=stsv1; id=1", STS_INVALID, NULL},
	{"version not first", "id=1; v=STSv1", STS_INVALID, NULL},
	{"leading space", " v=STSv1; id=1", STS_INVALID, NULL},
	{"v=STSv2", "v=STSv2; id=1", STS_INVALID, NULL},
	{"v=STSv10", "v=STSv10; id=1", STS_INVALID, NULL},
	{"no ; between fields", "v=STSv1 id=1", STS_INVALID, NULL},
	{"id with dashes (2016-08-31)", "v=STSv1; id=2016-08-31", STS_INVALID,
	 NULL},
	{"id with a dot (1.2)", "v=STSv1; id=1.2", STS_INVALID, NULL},
	{"empty id", "v=STSv1; id=", STS_INVALID, NULL},
	{"id of 33 chars", "v=STSv1; id=abcdefghijklmnopqrstuvwxyzABCDEFG",
	 STS_INVALID, NULL},
	{"id with inner space", "v=STSv1; id=ab cd", STS_INVALID, NULL},
	{"id with underscore", "v=STSv1; id=a_b", STS_INVALID, NULL},
	{"id missing (only extensions)", "v=STSv1; foo=bar", STS_INVALID, NULL},
	{"Id is not id", "v=STSv1; Id=1", STS_INVALID, NULL},
	{"decision: repeated id must be well formed",
	 "v=STSv1; id=1; id=2016-08-31", STS_INVALID, NULL},
	{"decision: empty field", "v=STSv1;; id=1", STS_INVALID, NULL},
	{"field without =", "v=STSv1; id=1; foo", STS_INVALID, NULL},
	{"empty extension value", "v=STSv1; id=1; foo=", STS_INVALID, NULL},
	{"extension value with space", "v=STSv1; id=1; foo=a b", STS_INVALID,
	 NULL},
	{"extension value with =", "v=STSv1; id=1; foo=a=b", STS_INVALID, NULL},
	{"extension name of 33 chars",
	 "v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz0123456=1", STS_INVALID,
	 NULL},
	{"extension name starting with _", "v=STSv1; id=1; _x=1", STS_INVALID,
	 NULL},
	{"space around =", "v=STSv1; id = 1", STS_INVALID, NULL},
	{"non-ASCII", "v=STSv1; id=1; x=\xc3\xa9", STS_INVALID, NULL},
	{"control character", "v=STSv1; id=1\x01", STS_INVALID, NULL},
	{"comma separator", "v=STSv1, id=1", STS_INVALID, NULL},
};

static void
run_case(const struct rcase *c)
{
	struct sts_record r = {{0}};
	char why[STS_WHY_MAX] = "";
	enum sts_status st =
		sts_record_parse(c->txt, strlen(c->txt), &r, why, sizeof(why));
	int pass = st == c->st && (st != STS_OK || strcmp(r.id, c->id) == 0) &&
		   (st == STS_OK || why[0] != '\0');

	ok(pass, "record: %s", c->name);
	if (!pass)
		tap_diag("status %s why '%s' id '%s'", sts_status_str(st), why,
			 r.id);
}

struct dcase {
	const char *name;
	const char *rrs[4];
	enum sts_status st;
	const char *id;
};

static const struct dcase dcases[] = {
	{"one record", {"v=STSv1; id=a1"}, STS_OK, "a1"},
	{"unrelated RRs are discarded",
	 {"v=spf1 -all", "google-site-verification=x", "v=STSv1; id=a1"},
	 STS_OK,
	 "a1"},
	{"RR not starting with v=STSv1 is discarded",
	 {"id=2; v=STSv1", "v=STSv1; id=a1"},
	 STS_OK,
	 "a1"},
	{"v=STSv10 is not an STSv1 record",
	 {"v=STSv10; id=2", "v=STSv1; id=a1"},
	 STS_OK,
	 "a1"},
	{"no RR at all", {NULL}, STS_NOTFOUND, NULL},
	{"no STS RR", {"v=spf1 -all", "hello"}, STS_NOTFOUND, NULL},
	{"lower-case v=stsv1 only: not found",
	 {"v=stsv1; id=1"},
	 STS_NOTFOUND,
	 NULL},
	{"two STS RRs",
	 {"v=STSv1; id=a1", "v=STSv1; id=a2"},
	 STS_INVALID,
	 NULL},
	{"two identical STS RRs",
	 {"v=STSv1; id=a1", "v=STSv1; id=a1"},
	 STS_INVALID,
	 NULL},
	{"one STS RR, invalid",
	 {"v=spf1", "v=STSv1; id=2016-08-31"},
	 STS_INVALID,
	 NULL},
	{"valid plus invalid STS RR",
	 {"v=STSv1; id=a1", "v=STSv1"},
	 STS_INVALID,
	 NULL},
	{"checklist B2: strings joined without a separator",
	 {"v=STSv1; id=20160831"
	  "085700Z"},
	 STS_OK,
	 "20160831085700Z"},
};

static void
run_dcase(const struct dcase *c)
{
	struct sts_txt rrs[4];
	struct sts_record r = {{0}};
	char why[STS_WHY_MAX] = "";
	size_t n;
	enum sts_status st;
	int pass;

	for (n = 0; n < 4 && c->rrs[n] != NULL; n++) {
		rrs[n].data = c->rrs[n];
		rrs[n].len = strlen(c->rrs[n]);
	}
	st = sts_record_discover(rrs, n, &r, why, sizeof(why));
	pass = st == c->st && (st != STS_OK || strcmp(r.id, c->id) == 0);
	ok(pass, "discover: %s", c->name);
	if (!pass)
		tap_diag("status %s why '%s'", sts_status_str(st), why);
}

static void
test_edges(void)
{
	struct sts_record r = {"keep"};
	char why[STS_WHY_MAX];
	/* A record that is not NUL-terminated: the parser must use len. */
	const char unterminated[] = {'v', '=', 'S', 'T', 'S', 'v', '1',
				     ';', 'i', 'd', '=', '7', 'X'};
	size_t big = STS_MAX_TXT + 1;
	char *b;

	ok(sts_record_parse(unterminated, sizeof(unterminated) - 1, &r, why,
			    sizeof(why)) == STS_OK &&
		   strcmp(r.id, "7") == 0,
	   "record: length respected (no NUL needed)");
	memcpy(r.id, "keep", 5);
	ok(sts_record_parse("v=STSv1; id=", 12, &r, why, sizeof(why)) ==
			   STS_INVALID &&
		   strcmp(r.id, "keep") == 0,
	   "record: output untouched on failure");
	b = malloc(big);
	if (b == NULL)
		exit(99);
	memset(b, ' ', big);
	memcpy(b, "v=STSv1; id=1", 13);
	ok(sts_record_parse(b, big, &r, why, sizeof(why)) == STS_INVALID,
	   "record: longer than STS_MAX_TXT is invalid");
	ok(sts_record_parse(b, big - 1, &r, why, sizeof(why)) == STS_OK,
	   "record: STS_MAX_TXT octets accepted");
	free(b);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++)
		run_dcase(&dcases[i]);
	test_edges();
	return tap_done();
}
