/*
 * tests/socketmap/t_netstring.c - the netstring parser and the socketmap
 * request splitter, table-driven.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sts_netstring.h"

#define CAP STS_MAX_MAP_REQUEST

/* Test names must stay on one TAP line: show control bytes as \xNN. */
static const char *
esc(const char *in)
{
	static char out[4][256];
	static int k;
	char *o = out[k++ % 4];
	size_t n = 0;

	for (; *in != '\0' && n < 240; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(o + n, 256 - n, "\\x%02x", c);
		else
			o[n++] = (char)c;
	}
	o[n] = '\0';
	return o;
}

static const char *
st(enum sts_status s)
{
	return sts_status_str(s);
}

/* One whole buffer: status, and for OK the data and bytes used. */
static const struct {
	const char *in;
	enum sts_status want;
	const char *data;
	size_t used;
} cases[] = {
	{"0:,", STS_OK, "", 3},
	{"3:abc,", STS_OK, "abc", 6},
	{"3:abc,4:more,", STS_OK, "abc", 6},
	{"11:postfix a.b,", STS_OK, "postfix a.b", 15},
	{"3:a,c,", STS_OK, "a,c", 6},
	{"", STS_TEMPFAIL, NULL, 0},
	{"1", STS_TEMPFAIL, NULL, 0},
	{"12", STS_TEMPFAIL, NULL, 0},
	{"3:", STS_TEMPFAIL, NULL, 0},
	{"3:abc", STS_TEMPFAIL, NULL, 0},
	{"0", STS_TEMPFAIL, NULL, 0},
	{"0:", STS_TEMPFAIL, NULL, 0},
	{"03:abc,", STS_INVALID, NULL, 0},
	{"00:,", STS_INVALID, NULL, 0},
	{":abc,", STS_INVALID, NULL, 0},
	{"abc", STS_INVALID, NULL, 0},
	{"-1:a,", STS_INVALID, NULL, 0},
	{" 3:abc,", STS_INVALID, NULL, 0},
	{"3 :abc,", STS_INVALID, NULL, 0},
	{"3:abcd", STS_INVALID, NULL, 0},
	{"3:abc;", STS_INVALID, NULL, 0},
	{"3;abc,", STS_INVALID, NULL, 0},
	{"GET / HTTP/1.0\r\n", STS_INVALID, NULL, 0},
	{"1100:", STS_NOMEM, NULL, 0},
	{"99999999999999999999999999:", STS_NOMEM, NULL, 0},
	{"18446744073709551616:", STS_NOMEM, NULL, 0},
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *data = NULL;
		size_t dlen = 0, used = 0;
		char why[STS_WHY_MAX] = "";
		enum sts_status s;

		s = sts_netstring_parse(cases[i].in, strlen(cases[i].in), CAP,
					&data, &dlen, &used, why, sizeof(why));
		is_str(st(s), st(cases[i].want), "parse \"%s\" -> %s (%s)",
		       esc(cases[i].in), st(cases[i].want), why);
		if (cases[i].want == STS_OK && s == STS_OK) {
			ok(dlen == strlen(cases[i].data) &&
				   memcmp(data, cases[i].data, dlen) == 0 &&
				   used == cases[i].used,
			   "parse \"%s\": data and length", esc(cases[i].in));
		}
		if (s == STS_INVALID || s == STS_NOMEM)
			ok(why[0] != '\0', "parse \"%s\": a reason",
			   esc(cases[i].in));
	}
}

/* The cap is inclusive; one more byte is refused before the data. */
static void
test_cap(void)
{
	char *buf = malloc(CAP + 16);
	const char *data;
	size_t dlen, used, n;
	enum sts_status s;

	n = sts_netstring_format("", 0, buf, CAP + 16);
	is_int((long long)n, 3, "format empty needs 3 bytes");
	memset(buf, 'x', CAP + 16);
	n = (size_t)snprintf(buf, 16, "%d:", CAP);
	memset(buf + n, 'x', CAP);
	buf[n + CAP] = ',';
	s = sts_netstring_parse(buf, n + CAP + 1, CAP, &data, &dlen, &used,
				NULL, 0);
	ok(s == STS_OK && dlen == CAP, "exactly the cap (%d) is accepted", CAP);
	n = (size_t)snprintf(buf, 16, "%d:", CAP + 1);
	s = sts_netstring_parse(buf, n, CAP, &data, &dlen, &used, NULL, 0);
	is_str(st(s), "nomem", "cap + 1 refused at the header");
	free(buf);
}

/* Three pipelined netstrings split at every byte boundary: every
 * prefix is TEMPFAIL or complete, never an error, and the data come
 * out in order. */
static void
test_split(void)
{
	static const char in[] = "11:postfix a.b,0:,7:sts x.y,";
	const char *want[] = {"postfix a.b", "", "sts x.y"};
	size_t len = sizeof(in) - 1, cut, bad = 0;

	for (cut = 0; cut <= len; cut++) {
		/* Feed in[0..cut) then the rest, like two reads. */
		char buf[64];
		size_t have = 0, off = 0, got = 0, feed;

		for (feed = 0; feed < 2; feed++) {
			size_t add = feed == 0 ? cut : len - cut;

			memcpy(buf + have, in + (feed == 0 ? 0 : cut), add);
			have += add;
			for (;;) {
				const char *data;
				size_t dlen, used;
				enum sts_status s = sts_netstring_parse(
					buf + off, have - off, CAP, &data,
					&dlen, &used, NULL, 0);

				if (s == STS_TEMPFAIL)
					break;
				if (s != STS_OK || got >= 3 ||
				    dlen != strlen(want[got]) ||
				    memcmp(data, want[got], dlen) != 0) {
					bad++;
					break;
				}
				got++;
				off += used;
			}
		}
		if (got != 3 || off != len)
			bad++;
	}
	is_int((long long)bad, 0, "pipelined input split at each of %zu bytes",
	       len + 1);
}

static const struct {
	const char *in;
	enum sts_status want;
	const char *name, *key;
} reqs[] = {
	{"postfix example.com", STS_OK, "postfix", "example.com"},
	{"sts Example.COM.", STS_OK, "sts", "Example.COM."},
	{"postfix ", STS_OK, "postfix", ""},
	{"postfix a b", STS_OK, "postfix", "a b"},
	{"postfix b\xc3\xbc"
	 "cher.example",
	 STS_OK, "postfix",
	 "b\xc3\xbc"
	 "cher.example"},
	{"postfix [mx.example.com]:587", STS_OK, "postfix",
	 "[mx.example.com]:587"},
	{"postfix", STS_INVALID, NULL, NULL},
	{"", STS_INVALID, NULL, NULL},
	{" example.com", STS_INVALID, NULL, NULL},
	{"post\tfix example.com", STS_INVALID, NULL, NULL},
	{"postfix exa\nmple.com", STS_INVALID, NULL, NULL},
	{"postfix exa\rmple.com", STS_INVALID, NULL, NULL},
	{"postfix exa\x7fmple.com", STS_INVALID, NULL, NULL},
	{"p\xc3\xbc example.com", STS_INVALID, NULL, NULL},
};

static void
test_request(void)
{
	char name[STS_MAX_MAP_NAME + 1], key[STS_MAX_DOMAIN_INPUT + 1];
	char why[STS_WHY_MAX], big[STS_MAX_MAP_REQUEST + 8];
	enum sts_status s;
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		why[0] = '\0';
		s = sts_netstring_request(reqs[i].in, strlen(reqs[i].in), name,
					  sizeof(name), key, sizeof(key), why,
					  sizeof(why));
		is_str(st(s), st(reqs[i].want), "request \"%s\" (%s)",
		       esc(reqs[i].in), why);
		if (reqs[i].want == STS_OK && s == STS_OK)
			ok(strcmp(name, reqs[i].name) == 0 &&
				   strcmp(key, reqs[i].key) == 0,
			   "request \"%s\": name and key", esc(reqs[i].in));
	}
	/* A NUL inside is a control character too. */
	s = sts_netstring_request("postfix a\0b", 11, name, sizeof(name), key,
				  sizeof(key), why, sizeof(why));
	is_str(st(s), "invalid", "request with a NUL in the key");
	/* Oversize name and key. */
	memset(big, 'n', STS_MAX_MAP_NAME + 1);
	memcpy(big + STS_MAX_MAP_NAME + 1, " a", 2);
	s = sts_netstring_request(big, STS_MAX_MAP_NAME + 3, name, sizeof(name),
				  key, sizeof(key), why, sizeof(why));
	is_str(st(s), "nomem", "map name of %d bytes", STS_MAX_MAP_NAME + 1);
	memcpy(big, "postfix ", 8);
	memset(big + 8, 'k', STS_MAX_DOMAIN_INPUT);
	s = sts_netstring_request(big, 8 + STS_MAX_DOMAIN_INPUT, name,
				  sizeof(name), key, sizeof(key), why,
				  sizeof(why));
	is_str(st(s), "ok", "key of exactly %d bytes", STS_MAX_DOMAIN_INPUT);
	big[8 + STS_MAX_DOMAIN_INPUT] = 'k';
	s = sts_netstring_request(big, 9 + STS_MAX_DOMAIN_INPUT, name,
				  sizeof(name), key, sizeof(key), why,
				  sizeof(why));
	is_str(st(s), "nomem", "key of %d bytes", STS_MAX_DOMAIN_INPUT + 1);
}

static void
test_format(void)
{
	char out[32];
	size_t n;

	n = sts_netstring_format("NOTFOUND ", 9, out, sizeof(out));
	ok(n == 12 && memcmp(out, "9:NOTFOUND ,", 12) == 0, "format NOTFOUND");
	n = sts_netstring_format("0123456789", 10, out, 5);
	is_int((long long)n, 14, "format reports the size when too small");
}

int
main(void)
{
	test_table();
	test_cap();
	test_split();
	test_request();
	test_format();
	return tap_done();
}
