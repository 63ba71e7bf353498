/*
 * tests/net/test_smtp.c - the SMTP reply parser (lib/proto/sts_smtp.h; RFC
 * 5321 section 4.2) and the TLS DNS-ID matcher (lib/net/sts_tls.h; RFC 6125
 * section 6.4, checklist C2).  Pure functions, table-driven.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_smtp.h"
#include "sts_tls.h"
#include "../tap.h"

struct scase {
	const char *name;
	const char *in;
	enum sts_status st;
	bool done;
	int code;
	size_t lines;
	size_t used;	      /* bytes consumed; 0 = all of in */
	const char *starttls; /* "y"/"n": has the STARTTLS extension */
};

static const struct scase cases[] = {
	{"single line", "220 mx.test ESMTP\r\n", STS_OK, true, 220, 1, 0, NULL},
	{"code only", "250\r\n", STS_OK, true, 250, 1, 0, NULL},
	{"bare LF", "220 hi\n", STS_OK, true, 220, 1, 0, NULL},
	{"EHLO multi-line with STARTTLS",
	 "250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
	 STS_OK, true, 250, 4, 0, "y"},
	{"EHLO STARTTLS lower case last", "250-mx.test\r\n250 starttls\r\n",
	 STS_OK, true, 250, 2, 0, "y"},
	{"EHLO without STARTTLS",
	 "250-mx.test\r\n250-SIZE 100\r\n250 "
	 "STARTTLSX\r\n",
	 STS_OK, true, 250, 3, 0, "n"},
	{"STARTTLS only in greeting line", "250 STARTTLS\r\n", STS_OK, true,
	 250, 1, 0, "n"},
	{"incomplete reply", "250-mx.test\r\n250-SIZE", STS_OK, false, 250, 1,
	 0, NULL},
	{"pipelined bytes after reply not consumed",
	 "220 go ahead\r\nINJECTED\r\n", STS_OK, true, 220, 1, 14, NULL},
	{"code changes between lines", "250-a\r\n251 b\r\n", STS_INVALID, false,
	 250, 1, 0, NULL},
	{"no code", "hello\r\n", STS_INVALID, false, 0, 0, 0, NULL},
	{"first digit 1", "150 x\r\n", STS_INVALID, false, 0, 0, 0, NULL},
	{"first digit 6", "650 x\r\n", STS_INVALID, false, 0, 0, 0, NULL},
	{"bad separator", "250x hi\r\n", STS_INVALID, false, 0, 0, 0, NULL},
	{"short line", "25\r\n", STS_INVALID, false, 0, 0, 0, NULL},
	{"bare CR inside", "250 a\rb\r\n", STS_INVALID, false, 0, 0, 0, NULL},
};

struct ncase {
	const char *pattern;
	const char *host;
	bool match;
};

static const struct ncase names[] = {
	{"mta-sts.example.com", "mta-sts.example.com", true},
	{"MTA-STS.Example.COM", "mta-sts.example.com", true},
	{"mta-sts.example.com.", "mta-sts.example.com", true},
	{"mta-sts.example.com", "mta-sts.example.com.", true},
	{"*.example.com", "mta-sts.example.com", true},
	{"*.example.com", "example.com", false},
	{"*.example.com", "a.b.example.com", false},
	{"*.example.com", ".example.com", false},
	{"*.com", "example.com", false},
	{"m*.example.com", "mta-sts.example.com", false},
	{"*ta-sts.example.com", "mta-sts.example.com", false},
	{"mta-sts.*.com", "mta-sts.example.com", false},
	{"*.*.com", "a.example.com", false},
	{"*", "localhost", false},
	{"other.example.com", "mta-sts.example.com", false},
	{"mta-sts.example.com", "mta-sts.example.com.evil", false},
	{"", "mta-sts.example.com", false},
	{"mta-sts.example.co", "mta-sts.example.com", false},
};

int
main(void)
{
	struct sts_smtp_reply *r = malloc(sizeof(*r));
	char why[STS_WHY_MAX], first[64];
	size_t used, n;
	enum sts_status st;
	char *s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scase *c = &cases[i];
		size_t len = strlen(c->in), want = c->used ? c->used : len;
		bool pass;

		sts_smtp_reply_init(r);
		st = sts_smtp_reply_feed(r, c->in, len, &used, why,
					 sizeof(why));
		pass = st == c->st && r->done == c->done;
		if (st == STS_OK)
			pass = pass && r->code == c->code &&
			       r->n_lines == c->lines && used == want;
		if (c->starttls != NULL)
			pass = pass && sts_smtp_reply_has_ext(r, "STARTTLS") ==
					       (c->starttls[0] == 'y');
		if (!ok(pass, "%s", c->name))
			tap_diag("st=%s done=%d code=%d lines=%zu used=%zu "
				 "why=%s",
				 sts_status_str(st), r->done, r->code,
				 r->n_lines, used, why);
	}

	/* byte at a time gives the same reply */
	sts_smtp_reply_init(r);
	s = "250-mx\r\n250-STARTTLS\r\n250 OK\r\n";
	n = 0;
	st = STS_OK;
	for (size_t i = 0; s[i] != '\0' && st == STS_OK && !r->done; i++) {
		st = sts_smtp_reply_feed(r, s + i, 1, &used, why, sizeof(why));
		n += used;
	}
	ok(st == STS_OK && r->done && r->n_lines == 3 && n == strlen(s) &&
		   sts_smtp_reply_has_ext(r, "starttls"),
	   "byte-at-a-time feed");
	sts_smtp_reply_first(r, first, sizeof(first));
	is_str(first, "mx", "first line text");

	/* caps */
	s = malloc(STS_MAX_SMTP_LINE + 16);
	memcpy(s, "250 ", 4);
	memset(s + 4, 'a', STS_MAX_SMTP_LINE);
	memcpy(s + 4 + STS_MAX_SMTP_LINE, "\r\n", 3);
	sts_smtp_reply_init(r);
	st = sts_smtp_reply_feed(r, s, strlen(s), &used, why, sizeof(why));
	ok(st == STS_NOMEM, "line over STS_MAX_SMTP_LINE rejected");
	free(s);

	sts_smtp_reply_init(r);
	st = STS_OK;
	for (int i = 0; i <= STS_MAX_SMTP_LINES && st == STS_OK; i++)
		st = sts_smtp_reply_feed(r, "250-x\r\n", 7, &used, why,
					 sizeof(why));
	ok(st == STS_NOMEM, "more than STS_MAX_SMTP_LINES lines rejected");
	st = sts_smtp_reply_feed(r, "250 x\r\n", 7, &used, why, sizeof(why));
	ok(st == STS_NOMEM && used == 0, "errors are sticky");

	sts_smtp_reply_init(r);
	st = sts_smtp_reply_feed(r, "250 a\0b\r\n", 9, &used, why, sizeof(why));
	ok(st == STS_INVALID, "NUL byte rejected");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct ncase *c = &names[i];

		ok(sts_tls_name_match(c->pattern, strlen(c->pattern),
				      c->host) == c->match,
		   "DNS-ID '%s' %s '%s'", c->pattern,
		   c->match ? "matches" : "does not match", c->host);
	}
	/* an embedded NUL in a SAN must not match a prefix */
	ok(!sts_tls_name_match("mta-sts.example.com\0.evil", 25,
			       "mta-sts.example.com"),
	   "DNS-ID with embedded NUL does not match");
	free(r);
	return tap_done();
}
