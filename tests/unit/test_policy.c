/*
 * tests/unit/test_policy.c - table-driven tests of sts_policy_*
 * (RFC 8461 section 3.2, checklist D, errata 6253 and 7282).
 *
 * Each row is one TAP case: the status, the error line, and for a valid
 * body the normalised print (sts_policy_format) must all be as listed.
 * The decisions documented at the top of lib/proto/sts_policy.c are tested
 * here under "decision:" names: blank lines are skipped, trailing WSP
 * after a value is allowed, field order is free, first occurrence wins,
 * well-formed UTF-8 only in extension values.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_policy.h"
#include "../tap.h"

#define VER "version: STSv1\n"
#define ENF "mode: enforce\n"
#define AGE "max_age: 86400\n"
#define MX1 "mx: mail.example.com\n"
/* The normalised print of VER ENF AGE MX1 (in any input order). */
#define OUT1                                                                   \
	"version: STSv1\nmode: enforce\nmax_age: 86400\nmx: "                  \
	"mail.example.com\n"
#define HDR VER ENF AGE

struct pcase {
	const char *name;
	const char *body;
	size_t len; /* 0: strlen(body) */
	enum sts_status st;
	size_t line;	  /* expected errline when invalid */
	const char *want; /* expected print when valid */
};

static const struct pcase cases[] = {
	/* --- valid ----------------------------------------------------- */
	{"RFC 8461 example, LF",
	 "version: STSv1\nmode: enforce\nmx: mail.example.com\n"
	 "mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n",
	 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 604800\nmx: "
	 "mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\n"},
	{"erratum 6253: CRLF line ends",
	 "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n"
	 "mx: mail.example.com\r\n",
	 0, STS_OK, 0, OUT1},
	{"erratum 6253: mixed CRLF and LF",
	 "version: STSv1\r\nmode: enforce\n"
	 "max_age: 86400\r\nmx: mail.example.com\n",
	 0, STS_OK, 0, OUT1},
	{"last line without LF", VER ENF AGE "mx: mail.example.com", 0, STS_OK,
	 0, OUT1},
	{"last line without CRLF",
	 "version: STSv1\r\nmode: enforce\r\n"
	 "max_age: 86400\r\nmx: mail.example.com",
	 0, STS_OK, 0, OUT1},
	{"mode testing", VER "mode: testing\n" AGE MX1, 0, STS_OK, 0,
	 "version: STSv1\nmode: testing\nmax_age: 86400\nmx: "
	 "mail.example.com\n"},
	{"mode none without mx", VER "mode: none\n" AGE, 0, STS_OK, 0,
	 "version: STSv1\nmode: none\nmax_age: 86400\n"},
	{"mode none keeps its mx lines", VER "mode: none\n" AGE MX1, 0, STS_OK,
	 0,
	 "version: STSv1\nmode: none\nmax_age: 86400\nmx: mail.example.com\n"},
	{"decision: field order is free", MX1 AGE ENF VER, 0, STS_OK, 0, OUT1},
	{"max_age 0", VER ENF "max_age: 0\n" MX1, 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 0\nmx: mail.example.com\n"},
	{"erratum 7282: max_age 31557600 is the maximum",
	 VER ENF "max_age: 31557600\n" MX1, 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 31557600\nmx: "
	 "mail.example.com\n"},
	{"max_age leading zeros", VER ENF "max_age: 0000086400\n" MX1, 0,
	 STS_OK, 0, OUT1},
	{"max_age 10 digits with zeros at the bound",
	 VER ENF "max_age: 0031557600\n" MX1, 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 31557600\nmx: "
	 "mail.example.com\n"},
	{"repeated mode: first wins", VER ENF "mode: testing\n" AGE MX1, 0,
	 STS_OK, 0, OUT1},
	{"repeated max_age: first wins", VER ENF AGE "max_age: 5\n" MX1, 0,
	 STS_OK, 0, OUT1},
	{"repeated version: first wins", VER "version: STSv2\n" ENF AGE MX1, 0,
	 STS_OK, 0, OUT1},
	{"repeated mode with a bad later value is ignored",
	 VER ENF "mode: bogus\n" AGE MX1, 0, STS_OK, 0, OUT1},
	{"repeated max_age with a bad later value is ignored",
	 VER ENF AGE "max_age: 99999999999\n" MX1, 0, STS_OK, 0, OUT1},
	{"unknown key ignored", HDR "foo: bar\n" MX1, 0, STS_OK, 0, OUT1},
	{"extension value with colons", HDR "ext: a:b:c\n" MX1, 0, STS_OK, 0,
	 OUT1},
	{"extension value is a URL",
	 HDR "report: https://x.example/a?b=c\n" MX1, 0, STS_OK, 0, OUT1},
	{"extension value in UTF-8",
	 HDR "note: b\xc3\xbc\x63her \xe2\x82\xac\n" MX1, 0, STS_OK, 0, OUT1},
	{"extension value with inner spaces", HDR "note: a b  c\n" MX1, 0,
	 STS_OK, 0, OUT1},
	{"extension key with _ - .", HDR "x_a-b.c: 1\n" MX1, 0, STS_OK, 0,
	 OUT1},
	{"extension key of 32 chars",
	 HDR "abcdefghijklmnopqrstuvwxyz012345: 1\n" MX1, 0, STS_OK, 0, OUT1},
	{"extension key starting with a digit", HDR "1x: y\n" MX1, 0, STS_OK, 0,
	 OUT1},
	{"decision: WSP after the value is allowed",
	 "version: STSv1  \nmode: enforce\t\nmax_age: 86400 \n"
	 "mx: mail.example.com \t\n",
	 0, STS_OK, 0, OUT1},
	{"TAB after the colon", "version:\tSTSv1\nmode:\tenforce\n" AGE MX1, 0,
	 STS_OK, 0, OUT1},
	{"no WSP after the colon",
	 "version:STSv1\nmode:enforce\n"
	 "max_age:86400\nmx:mail.example.com\n",
	 0, STS_OK, 0, OUT1},
	{"several WSP after the colon", "version:   STSv1\n" ENF AGE MX1, 0,
	 STS_OK, 0, OUT1},
	{"decision: blank line in the middle is skipped", VER ENF "\n" AGE MX1,
	 0, STS_OK, 0, OUT1},
	{"decision: trailing blank lines are skipped", HDR MX1 "\n\n", 0,
	 STS_OK, 0, OUT1},
	{"decision: whitespace-only line is skipped", VER " \t \n" ENF AGE MX1,
	 0, STS_OK, 0, OUT1},
	{"decision: CRLF blank line is skipped",
	 "version: STSv1\r\n\r\n"
	 "mode: enforce\r\nmax_age: 86400\r\nmx: mail.example.com\r\n",
	 0, STS_OK, 0, OUT1},
	{"mx lower-cased", HDR "mx: MAIL.Example.COM\n", 0, STS_OK, 0, OUT1},
	{"mx wildcard", HDR "mx: *.example.net\n", 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: *.example.net\n"},
	{"mx A-label", HDR "mx: mx.xn--bcher-kva.example\n", 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: "
	 "mx.xn--bcher-kva.example\n"},
	{"mx single label", HDR "mx: localhost\n", 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: localhost\n"},
	{"mx lines kept in order, duplicates too",
	 HDR "mx: b.example\nmx: a.example\nmx: b.example\n", 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: b.example\n"
	 "mx: a.example\nmx: b.example\n"},
	{"mx between other fields",
	 VER "mx: a.example\n" ENF "mx: b.example\n" AGE, 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: a.example\n"
	 "mx: b.example\n"},

	/* --- invalid: structure ---------------------------------------- */
	{"empty body", "", 0, STS_INVALID, 0, NULL},
	{"only blank lines", "\n\r\n  \n", 0, STS_INVALID, 0, NULL},
	{"version missing", ENF AGE MX1, 0, STS_INVALID, 0, NULL},
	{"mode missing", VER AGE MX1, 0, STS_INVALID, 0, NULL},
	{"max_age missing", VER ENF MX1, 0, STS_INVALID, 0, NULL},
	{"mx missing with enforce", HDR, 0, STS_INVALID, 0, NULL},
	{"mx missing with testing", VER "mode: testing\n" AGE, 0, STS_INVALID,
	 0, NULL},
	{"version STSv2", "version: STSv2\n" ENF AGE MX1, 0, STS_INVALID, 1,
	 NULL},
	{"version is case-sensitive", "version: stsv1\n" ENF AGE MX1, 0,
	 STS_INVALID, 1, NULL},
	{"version with trailing garbage", "version: STSv1 x\n" ENF AGE MX1, 0,
	 STS_INVALID, 1, NULL},
	{"mode ENFORCE is case-sensitive", VER "mode: ENFORCE\n" AGE MX1, 0,
	 STS_INVALID, 2, NULL},
	{"mode Testing", VER "mode: Testing\n" AGE MX1, 0, STS_INVALID, 2,
	 NULL},
	{"mode unknown", VER "mode: strict\n" AGE MX1, 0, STS_INVALID, 2, NULL},
	{"key Mode is not mode (then mode is missing)",
	 VER "Mode: enforce\n" AGE MX1, 0, STS_INVALID, 0, NULL},
	{"key VERSION is not version", "VERSION: STSv1\n" ENF AGE MX1, 0,
	 STS_INVALID, 0, NULL},
	{"first mode invalid, later valid: no last-wins",
	 VER "mode: bogus\n" ENF AGE MX1, 0, STS_INVALID, 2, NULL},
	{"space before the colon", VER "mode : enforce\n" AGE MX1, 0,
	 STS_INVALID, 2, NULL},
	{"TAB before the colon", VER "mode\t: enforce\n" AGE MX1, 0,
	 STS_INVALID, 2, NULL},
	{"leading space (no folding)", VER " mode: enforce\n" AGE MX1, 0,
	 STS_INVALID, 2, NULL},
	{"line without a colon", VER "mode enforce\n" AGE MX1, 0, STS_INVALID,
	 2, NULL},
	{"comment line", "# policy\n" HDR MX1, 0, STS_INVALID, 1, NULL},
	{"comment after max_age", VER ENF "max_age: 86400   # 1 day\n" MX1, 0,
	 STS_INVALID, 3, NULL},
	{"empty key", HDR ": value\n" MX1, 0, STS_INVALID, 4, NULL},
	{"key starting with _", HDR "_x: 1\n" MX1, 0, STS_INVALID, 4, NULL},
	{"key of 33 chars", HDR "abcdefghijklmnopqrstuvwxyz0123456: 1\n" MX1, 0,
	 STS_INVALID, 4, NULL},
	{"key with a space", HDR "my key: 1\n" MX1, 0, STS_INVALID, 4, NULL},
	{"empty extension value", HDR "foo:\n" MX1, 0, STS_INVALID, 4, NULL},
	{"extension value only WSP", HDR "foo:   \n" MX1, 0, STS_INVALID, 4,
	 NULL},
	{"TAB inside a value", HDR "foo: a\tb\n" MX1, 0, STS_INVALID, 4, NULL},
	{"HTML page", "<html><body>policy</body></html>\n", 0, STS_INVALID, 1,
	 NULL},
	{"error line counted with CRLF",
	 "version: STSv1\r\nmode: enforce\r\n"
	 "max_age: x\r\nmx: mail.example.com\r\n",
	 0, STS_INVALID, 3, NULL},
	{"error line counts blank lines",
	 VER "\n\n"
	     "mode: nope\n" AGE MX1,
	 0, STS_INVALID, 4, NULL},

	/* --- invalid: max_age (erratum 7282) --------------------------- */
	{"erratum 7282: max_age 31557601", VER ENF "max_age: 31557601\n" MX1, 0,
	 STS_INVALID, 3, NULL},
	{"max_age 11 digits", VER ENF "max_age: 00031557600\n" MX1, 0,
	 STS_INVALID, 3, NULL},
	{"max_age 10 digits above the bound",
	 VER ENF "max_age: 9999999999\n" MX1, 0, STS_INVALID, 3, NULL},
	{"max_age 2^32", VER ENF "max_age: 4294967296\n" MX1, 0, STS_INVALID, 3,
	 NULL},
	{"max_age negative", VER ENF "max_age: -1\n" MX1, 0, STS_INVALID, 3,
	 NULL},
	{"max_age with +", VER ENF "max_age: +1\n" MX1, 0, STS_INVALID, 3,
	 NULL},
	{"max_age in exponent form", VER ENF "max_age: 1e5\n" MX1, 0,
	 STS_INVALID, 3, NULL},
	{"max_age with a unit", VER ENF "max_age: 86400s\n" MX1, 0, STS_INVALID,
	 3, NULL},
	{"max_age empty", VER ENF "max_age:\n" MX1, 0, STS_INVALID, 3, NULL},
	{"max_age hex", VER ENF "max_age: 0x10\n" MX1, 0, STS_INVALID, 3, NULL},
	{"max_age decimal point", VER ENF "max_age: 86400.0\n" MX1, 0,
	 STS_INVALID, 3, NULL},

	/* --- invalid: mx patterns (checklist D4) ----------------------- */
	{"mx *.*.x", HDR "mx: *.*.example.com\n", 0, STS_INVALID, 4, NULL},
	{"mx foo*.x", HDR "mx: foo*.example.com\n", 0, STS_INVALID, 4, NULL},
	{"mx *x.y", HDR "mx: *example.com\n", 0, STS_INVALID, 4, NULL},
	{"mx with trailing dot", HDR "mx: mail.example.com.\n", 0, STS_INVALID,
	 4, NULL},
	/* valid section 3.2 syntax, never a host name: accepted, the
	 * value ignored (issue 13 item 7; test_ignored() below) */
	{"mx IPv4 address (ignored)", HDR "mx: 192.0.2.1\n", 0, STS_OK, 0,
	 "version: STSv1\nmode: enforce\nmax_age: 86400\n"},
	{"mx address literal", HDR "mx: [192.0.2.1]\n", 0, STS_INVALID, 4,
	 NULL},
	{"mx U-label", HDR "mx: b\xc3\xbc\x63her.example\n", 0, STS_INVALID, 4,
	 NULL},
	{"mx *. alone", HDR "mx: *.\n", 0, STS_INVALID, 4, NULL},
	{"mx * alone", HDR "mx: *\n", 0, STS_INVALID, 4, NULL},
	{"mx label starting with -", HDR "mx: -mx.example.com\n", 0,
	 STS_INVALID, 4, NULL},
	{"mx with underscore", HDR "mx: mail_1.example.com\n", 0, STS_INVALID,
	 4, NULL},
	{"mx empty", HDR "mx:\n", 0, STS_INVALID, 4, NULL},
	{"mx with two names", HDR "mx: a.example b.example\n", 0, STS_INVALID,
	 4, NULL},
	{"mx empty label", HDR "mx: a..example\n", 0, STS_INVALID, 4, NULL},
	{"mx invalid even with mode none", VER "mode: none\n" AGE "mx: *.*.x\n",
	 0, STS_INVALID, 4, NULL},

	/* --- invalid: bytes (checklist D6) ----------------------------- */
	{"BOM", "\xef\xbb\xbf" HDR MX1, 0, STS_INVALID, 1, NULL},
	{"NUL byte", VER "mode: enf\0orce\n" AGE MX1,
	 sizeof(VER "mode: enf\0orce\n" AGE MX1) - 1, STS_INVALID, 2, NULL},
	{"NUL at the end", HDR MX1 "\0", sizeof(HDR MX1), STS_INVALID, 5, NULL},
	{"bare CR as a line end", "version: STSv1\rmode: enforce\r" AGE MX1, 0,
	 STS_INVALID, 1, NULL},
	{"CR at the very end", HDR "mx: mail.example.com\r", 0, STS_INVALID, 4,
	 NULL},
	{"control character", HDR "foo: a\x01\n" MX1, 0, STS_INVALID, 4, NULL},
	{"DEL", HDR "foo: a\x7f\n" MX1, 0, STS_INVALID, 4, NULL},
	{"ESC sequence", HDR "foo: \x1b[31mred\n" MX1, 0, STS_INVALID, 4, NULL},
	{"form feed", HDR "\f\n" MX1, 0, STS_INVALID, 4, NULL},
	{"malformed UTF-8", HDR "foo: \xff\n" MX1, 0, STS_INVALID, 4, NULL},
	{"overlong UTF-8", HDR "foo: \xc0\xaf\n" MX1, 0, STS_INVALID, 4, NULL},
	{"UTF-8 surrogate", HDR "foo: \xed\xa0\x80\n" MX1, 0, STS_INVALID, 4,
	 NULL},
	{"truncated UTF-8", HDR "foo: \xe2\x82\n" MX1, 0, STS_INVALID, 4, NULL},
	{"UTF-8 above U+10FFFF", HDR "foo: \xf4\x90\x80\x80\n" MX1, 0,
	 STS_INVALID, 4, NULL},
	{"non-ASCII in a key", HDR "f\xc3\xbc: 1\n" MX1, 0, STS_INVALID, 4,
	 NULL},
	{"non-ASCII in mode", VER "mode: enf\xc3\xb6rce\n" AGE MX1, 0,
	 STS_INVALID, 2, NULL},
	{"Latin-1 body", VER "mode: enforce\n" AGE MX1 "note: caf\xe9\n", 0,
	 STS_INVALID, 5, NULL},
};

/* n mx lines after the header, as a malloc'd body. */
static char *
many_mx(size_t n, size_t *len)
{
	size_t cap = sizeof(HDR) + n * 32, off = 0, i;
	char *b = malloc(cap);

	if (b == NULL)
		exit(99);
	off = (size_t)snprintf(b, cap, "%s", HDR);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(b + off, cap - off,
					"mx: mx%zu.example\n", i);
	*len = off;
	return b;
}

static void
run_case(const struct pcase *c)
{
	struct sts_policy *p = (struct sts_policy *)1;
	char why[STS_WHY_MAX] = "", got[4096] = "";
	size_t line = 999, len = c->len ? c->len : strlen(c->body);
	enum sts_status st =
		sts_policy_parse(c->body, len, &p, &line, why, sizeof(why));
	int pass = st == c->st;

	if (st == STS_OK) {
		sts_policy_format(p, got, sizeof(got));
		pass = pass && c->want != NULL && strcmp(got, c->want) == 0;
	} else {
		pass = pass && p == NULL && line == c->line && why[0] != '\0';
	}
	ok(pass, "policy: %s", c->name);
	if (!pass)
		tap_diag("status %s line %zu why '%s' print '%s'",
			 sts_status_str(st), line, why, got);
	sts_policy_free(st == STS_OK ? p : NULL);
}

/* Section 3.2 syntax that can never be a host name (issue 13 item 7). */
static void
test_ignored(void)
{
	struct sts_policy *p = NULL, *c;
	char why[STS_WHY_MAX], warn[512];
	size_t line;
	const char *b = HDR MX1 "mx: 10.0.0.1\nmx: mail.123\n";
	enum sts_status st;

	st = sts_policy_parse(b, strlen(b), &p, &line, why, sizeof(why));
	ok(st == STS_OK && p != NULL && p->n_mx == 1 && p->n_ignored == 2,
	   "ignored: IPv4 address and numeric TLD accepted and ignored (%s)",
	   why);
	if (p == NULL)
		return;
	ok(strcmp(p->mx[0], "mail.example.com") == 0 &&
		   !sts_policy_match(p, "10.0.0.1") &&
		   sts_policy_match(p, "mail.example.com"),
	   "ignored: never a match pattern, the good one matches");
	ok(sts_policy_usable(p, NULL, 0) == STS_OK,
	   "ignored: a usable pattern left: usable");
	sts_policy_warnings(p, warn, sizeof(warn));
	ok(strstr(warn, "mx \"10.0.0.1\" ignored: an IPv4 address") &&
		   strstr(warn, "mx \"mail.123\" ignored: an all-numeric"),
	   "ignored: one warning per value: %s", warn);
	c = sts_policy_dup(p);
	ok(c != NULL && c->n_ignored == 2, "ignored: dup keeps the list");
	sts_policy_free(c);
	sts_policy_free(p);

	b = HDR "mx: 10.0.0.1\nmx: 192.0.2.1\n";
	st = sts_policy_parse(b, strlen(b), &p, &line, why, sizeof(why));
	ok(st == STS_OK && p != NULL && p->n_mx == 0 && p->n_ignored == 2,
	   "ignored: only unusable mx: still syntactically valid");
	st = p != NULL ? sts_policy_usable(p, why, sizeof(why)) : STS_OK;
	ok(st == STS_INVALID && strstr(why, "no usable mx pattern") &&
		   strstr(why, "10.0.0.1"),
	   "ignored: enforce with no usable mx is not usable: %s", why);
	sts_policy_free(p);

	b = VER "mode: none\n" AGE "mx: 10.0.0.1\n";
	st = sts_policy_parse(b, strlen(b), &p, &line, why, sizeof(why));
	ok(st == STS_OK && p != NULL && sts_policy_usable(p, NULL, 0) == STS_OK,
	   "ignored: mode none stays usable");
	sts_policy_free(p);
}

static void
test_caps(void)
{
	struct sts_policy *p = NULL;
	char why[STS_WHY_MAX], *b;
	size_t len, line;
	enum sts_status st;

	/* no mx count cap (issue 13 item 7): 65 lines were "invalid" */
	b = many_mx(65, &len);
	st = sts_policy_parse(b, len, &p, &line, why, sizeof(why));
	ok(st == STS_OK && p != NULL && p->n_mx == 65 &&
		   strcmp(p->mx[64], "mx64.example") == 0,
	   "policy: 65 mx lines are all kept (%s)", why);
	sts_policy_free(p);
	free(b);

	b = many_mx(3000, &len);
	st = sts_policy_parse(b, len, &p, &line, why, sizeof(why));
	ok(st == STS_OK && p != NULL && p->n_mx == 3000 &&
		   sts_policy_match(p, "mx2999.example") &&
		   sts_policy_usable(p, NULL, 0) == STS_OK,
	   "policy: 3000 mx lines (%zu bytes) kept, the last one matches", len);
	if (p != NULL) {
		struct sts_policy *c = sts_policy_dup(p);

		ok(c != NULL && sts_policy_equal(p, c),
		   "policy: dup of 3000 mx");
		sts_policy_free(c);
	}
	sts_policy_free(p);
	free(b);

	len = STS_MAX_POLICY_BODY + 1;
	b = malloc(len);
	if (b == NULL)
		exit(99);
	memset(b, '\n', len);
	memcpy(b, HDR MX1, sizeof(HDR MX1) - 1);
	st = sts_policy_parse(b, len, &p, &line, why, sizeof(why));
	ok(st == STS_INVALID && line == 0, "policy: body above 64 KiB invalid");
	st = sts_policy_parse(b, len - 1, &p, &line, why, sizeof(why));
	ok(st == STS_OK, "policy: body of exactly 64 KiB accepted");
	sts_policy_free(p);
	free(b);
}

static void
test_api(void)
{
	const char *mx[] = {"Mail.Example.com", "*.example.net"};
	const char *bad[] = {"*.*.x"};
	struct sts_policy *a = NULL, *b = NULL, *c;
	char why[STS_WHY_MAX], buf[16];
	size_t line;

	is_str(sts_mode_str(STS_MODE_ENFORCE), "enforce", "mode_str enforce");
	is_str(sts_mode_str(STS_MODE_TESTING), "testing", "mode_str testing");
	is_str(sts_mode_str(STS_MODE_NONE), "none", "mode_str none");
	ok(sts_policy_new(STS_MODE_ENFORCE, 86400, mx, 2, &a, why,
			  sizeof(why)) == STS_OK,
	   "policy_new valid");
	ok(a != NULL && strcmp(a->mx[0], "mail.example.com") == 0,
	   "policy_new lower-cases patterns");
	ok(sts_policy_new(STS_MODE_ENFORCE, 1, bad, 1, &b, why, sizeof(why)) ==
			   STS_INVALID &&
		   b == NULL,
	   "policy_new rejects a bad pattern");
	ok(sts_policy_new(STS_MODE_ENFORCE, 1, NULL, 0, &b, why, sizeof(why)) ==
		   STS_INVALID,
	   "policy_new enforce needs mx");
	ok(sts_policy_new(STS_MODE_NONE, STS_MAX_MAX_AGE + 1, NULL, 0, &b, why,
			  sizeof(why)) == STS_INVALID,
	   "policy_new rejects max_age above the bound");
	c = sts_policy_dup(a);
	ok(c != NULL && c != a && sts_policy_equal(a, c), "dup is equal");
	ok(sts_policy_parse(VER ENF AGE "mx: mail.example.com\nmx: "
					"*.example.net\n",
			    strlen(VER ENF AGE "mx: mail.example.com\nmx: "
					       "*.example.net\n"),
			    &b, &line, why, sizeof(why)) == STS_OK &&
		   sts_policy_equal(a, b),
	   "parsed equals built");
	c->max_age = 1;
	ok(!sts_policy_equal(a, c), "different max_age is not equal");
	ok(sts_policy_match(a, "MAIL.example.com."), "policy_match exact");
	ok(sts_policy_match(a, "mx1.example.net"), "policy_match wildcard");
	ok(!sts_policy_match(a, "example.net"), "policy_match no bare parent");
	ok(!sts_policy_match(a, "evil.example.com"), "policy_match other host");
	ok(!sts_policy_match(NULL, "mail.example.com"), "policy_match NULL");
	is_int((long long)sts_policy_format(a, buf, sizeof(buf)),
	       (long long)strlen("version: STSv1\nmode: enforce\nmax_age: "
				 "86400\nmx: mail.example.com\nmx: "
				 "*.example.net\n"),
	       "format returns the length needed");
	ok(strlen(buf) == sizeof(buf) - 1, "format truncates safely");
	sts_policy_free(a);
	sts_policy_free(b);
	sts_policy_free(c);
	sts_policy_free(NULL);
	ok(sts_policy_dup(NULL) == NULL, "dup(NULL) is NULL");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_caps();
	test_ignored();
	test_api();
	return tap_done();
}
