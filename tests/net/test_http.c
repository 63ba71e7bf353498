/*
 * tests/net/test_http.c - the strict HTTP/1.1 response parser
 * (lib/proto/sts_http.h; RFC 8461 section 3.3, checklist C5-C7).  Every case
 * is parsed twice: in one piece and one byte at a time; both runs must
 * agree with the table.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_http.h"
#include "sts_limits.h"
#include "../tap.h"

struct hcase {
	const char *name;
	const char *resp;
	size_t body_max;
	int eof;	    /* the peer closes after resp: EOF_* */
	enum sts_status st; /* of feed (or of eof when eof) */
	bool done;
	int status;
	const char *ctype;
	const char *body;
};

/* eof: 0 no close; 1 (true) close with TLS close_notify; 2 a bare TCP close */
enum { EOF_NONE, EOF_NOTIFY, EOF_TCP };

#define OK200 "HTTP/1.1 200 OK\r\n"
#define TP "Content-Type: text/plain\r\n"

static const struct hcase cases[] = {
	{"content-length body", OK200 TP "Content-Length: 5\r\n\r\nhello", 64,
	 false, STS_OK, true, 200, "text/plain", "hello"},
	{"bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", 64,
	 false, STS_OK, true, 200, "", "hi"},
	{"HTTP/1.0 status line", "HTTP/1.0 200 OK\r\n\r\nabc", 64, true, STS_OK,
	 true, 200, "", "abc"},
	{"empty reason phrase", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 64,
	 false, STS_OK, true, 200, "", ""},
	{"chunked body",
	 OK200 "Transfer-Encoding: chunked\r\n\r\n"
	       "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
	 64, false, STS_OK, true, 200, "", "hello world"},
	{"chunked with trailer",
	 OK200
	 "Transfer-Encoding: Chunked\r\n\r\n2\r\nab\r\n0\r\nX-T: 1\r\n\r\n",
	 64, false, STS_OK, true, 200, "", "ab"},
	{"read to close", OK200 TP "\r\nversion: STSv1\r\n", 64, true, STS_OK,
	 true, 200, "text/plain", "version: STSv1\r\n"},
	/* RFC 9112 section 9.8: without close_notify a read-until-close
	 * body may have been cut ("max_age: 3" of "max_age: 31557600") */
	{"read to close, TCP close without close_notify",
	 OK200 TP "\r\nversion: STSv1\r\nmax_age: 3", 64, EOF_TCP, STS_INVALID,
	 false, 0, NULL, NULL},
	{"content-length body, TCP close without close_notify",
	 OK200 TP "Content-Length: 5\r\n\r\nhello", 64, EOF_TCP, STS_OK, true,
	 200, "text/plain", "hello"},
	{"chunked body, TCP close without close_notify",
	 OK200 TP "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 64,
	 EOF_TCP, STS_OK, true, 200, "text/plain", "hi"},
	{"truncated content-length body, TCP close",
	 OK200 "Content-Length: 9\r\n\r\nab", 64, EOF_TCP, STS_INVALID, false,
	 0, NULL, NULL},
	{"extra bytes after message not consumed",
	 OK200 "Content-Length: 1\r\n\r\nxEXTRA", 64, false, STS_OK, true, 200,
	 "", "x"},
	{"404 parsed", "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!",
	 64, false, STS_OK, true, 404, "", "no!"},
	{"301 with Location",
	 "HTTP/1.1 301 Moved\r\nLocation: https://x.test/\r\nContent-Length: 0"
	 "\r\n\r\n",
	 64, false, STS_OK, true, 301, "", ""},
	{"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", 64, false,
	 STS_OK, true, 204, "", ""},
	{"header name case-insensitive",
	 OK200 "content-type:TEXT/PLAIN; charset=utf-8\r\ncontent-length:  1 "
	       "\r\n\r\nz",
	 64, false, STS_OK, true, 200, "TEXT/PLAIN; charset=utf-8", "z"},
	/* caps and framing */
	{"content-length over cap", OK200 "Content-Length: 65\r\n\r\n", 64,
	 false, STS_NOMEM, false, 200, "", NULL},
	{"chunk over cap", OK200 "Transfer-Encoding: chunked\r\n\r\n41\r\n", 64,
	 false, STS_NOMEM, false, 200, "", NULL},
	{"read-to-close over cap",
	 OK200 "\r\n0123456789012345678901234567890123456789012345678901234567"
	       "89012345",
	 64, true, STS_NOMEM, false, 200, "", NULL},
	{"truncated content-length body", OK200 "Content-Length: 9\r\n\r\nab",
	 64, true, STS_INVALID, false, 200, "", NULL},
	{"truncated headers", OK200 "Content-Le", 64, true, STS_INVALID, false,
	 200, "", NULL},
	{"truncated chunked", OK200 "Transfer-Encoding: chunked\r\n\r\n5\r\nab",
	 64, true, STS_INVALID, false, 200, "", NULL},
	/* malformed */
	{"not HTTP", "SSH-2.0-OpenSSH\r\n", 64, false, STS_INVALID, false, 0,
	 "", NULL},
	{"HTTP/2 status line", "HTTP/2 200\r\n\r\n", 64, false, STS_INVALID,
	 false, 0, "", NULL},
	{"status code letters", "HTTP/1.1 2x0 OK\r\n", 64, false, STS_INVALID,
	 false, 0, "", NULL},
	{"1xx interim rejected", "HTTP/1.1 100 Continue\r\n\r\n", 64, false,
	 STS_INVALID, false, 0, "", NULL},
	{"space before colon", OK200 "Content-Length : 1\r\n\r\nx", 64, false,
	 STS_INVALID, false, 200, "", NULL},
	{"obs-fold", OK200 "X-A: 1\r\n  continued\r\n\r\n", 64, false,
	 STS_INVALID, false, 200, "", NULL},
	{"no colon", OK200 "Garbage\r\n\r\n", 64, false, STS_INVALID, false,
	 200, "", NULL},
	{"NUL in header", OK200 "X-A: a\0b\r\n\r\n", 64, false, STS_INVALID,
	 false, 200, "", NULL},
	{"bare CR in header", OK200 "X-A: a\rb\r\n\r\n", 64, false, STS_INVALID,
	 false, 200, "", NULL},
	{"bad content-length", OK200 "Content-Length: 1x\r\n\r\n", 64, false,
	 STS_INVALID, false, 200, "", NULL},
	{"negative content-length", OK200 "Content-Length: -1\r\n\r\n", 64,
	 false, STS_INVALID, false, 200, "", NULL},
	{"conflicting content-length",
	 OK200 "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 64, false,
	 STS_INVALID, false, 200, "", NULL},
	{"same content-length twice",
	 OK200 "Content-Length: 1\r\nContent-Length: 1\r\n\r\nq", 64, false,
	 STS_OK, true, 200, "", "q"},
	{"CL and TE together",
	 OK200 "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 64,
	 false, STS_INVALID, false, 200, "", NULL},
	{"TE gzip", OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n", 64, false,
	 STS_INVALID, false, 200, "", NULL},
	{"bad chunk size", OK200 "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 64,
	 false, STS_INVALID, false, 200, "", NULL},
	{"chunk size overflow",
	 OK200 "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 64,
	 false, STS_INVALID, false, 200, "", NULL},
	{"missing CRLF after chunk",
	 OK200 "Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 64, false,
	 STS_INVALID, false, 200, "", NULL},
};

/* Build "HTTP/1.1 200 OK\r\n" + n headers "X-N: v\r\n" + "\r\n". */
static char *
many_headers(size_t n)
{
	size_t len = 32 + n * 16;
	char *s = malloc(len), *p = s;

	p += snprintf(p, len, "HTTP/1.1 200 OK\r\n");
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, len - (size_t)(p - s), "X-%zu: v\r\n", i);
	snprintf(p, len - (size_t)(p - s), "Content-Length: 0\r\n\r\n");
	return s;
}

struct run {
	enum sts_status st;
	bool done;
	int status;
	char ctype[128];
	char *body;
	size_t body_len;
};

static void
run(const char *resp, size_t len, size_t body_max, int eof, size_t step,
    struct run *r)
{
	struct sts_http *h = sts_http_new(body_max);
	char why[STS_WHY_MAX];
	size_t off = 0, used;
	const char *b;

	memset(r, 0, sizeof(*r));
	r->st = STS_OK;
	while (off < len && r->st == STS_OK && !sts_http_done(h)) {
		size_t n = len - off < step ? len - off : step;

		r->st = sts_http_feed(h, resp + off, n, &used, why,
				      sizeof(why));
		off += used;
		if (r->st == STS_OK && used < n)
			break; /* message ended */
	}
	if (r->st == STS_OK && eof && !sts_http_done(h))
		r->st = sts_http_eof(h, eof == EOF_NOTIFY, why, sizeof(why));
	r->done = sts_http_done(h);
	r->status = sts_http_status(h);
	snprintf(r->ctype, sizeof(r->ctype), "%s", sts_http_content_type(h));
	b = sts_http_body(h, &r->body_len);
	r->body = malloc(r->body_len + 1);
	memcpy(r->body, b, r->body_len);
	r->body[r->body_len] = '\0';
	sts_http_free(h);
}

static bool
matches(const struct hcase *c, const struct run *r)
{
	if (r->st != c->st || r->done != c->done)
		return false;
	if (c->st != STS_OK)
		return true;
	return r->status == c->status && strcmp(r->ctype, c->ctype) == 0 &&
	       (c->body == NULL || strcmp(r->body, c->body) == 0);
}

int
main(void)
{
	struct run whole, bytes;
	size_t hlen;
	char *s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hcase *c = &cases[i];
		/* the NUL case needs its real length */
		size_t len = strcmp(c->name, "NUL in header") == 0
				     ? strlen(OK200) + 12
				     : strlen(c->resp);

		run(c->resp, len, c->body_max, c->eof, len, &whole);
		run(c->resp, len, c->body_max, c->eof, 1, &bytes);
		if (!ok(matches(c, &whole) && matches(c, &bytes), "%s",
			c->name))
			tap_diag("whole: st=%s done=%d status=%d body='%s'; "
				 "bytewise: st=%s done=%d",
				 sts_status_str(whole.st), whole.done,
				 whole.status, whole.body,
				 sts_status_str(bytes.st), bytes.done);
		free(whole.body);
		free(bytes.body);
	}

	s = many_headers(STS_MAX_HTTP_HEADERS - 1);
	run(s, strlen(s), 64, false, 7, &whole);
	ok(whole.st == STS_OK && whole.done, "%d headers accepted",
	   STS_MAX_HTTP_HEADERS);
	free(whole.body);
	free(s);
	s = many_headers(STS_MAX_HTTP_HEADERS);
	run(s, strlen(s), 64, false, 7, &whole);
	ok(whole.st == STS_INVALID, "%d headers rejected",
	   STS_MAX_HTTP_HEADERS + 1);
	free(whole.body);
	free(s);

	s = malloc(STS_MAX_HTTP_LINE + 64);
	snprintf(s, 64, "HTTP/1.1 200 OK\r\nX-Long: ");
	memset(s + strlen(s), 'a', STS_MAX_HTTP_LINE);
	s[STS_MAX_HTTP_LINE + 25] = '\0';
	run(s, strlen(s), 64, false, 4096, &whole);
	ok(whole.st == STS_INVALID, "line longer than %d bytes rejected",
	   STS_MAX_HTTP_LINE);
	free(whole.body);
	free(s);

	s = malloc(STS_MAX_POLICY_BODY + 128);
	snprintf(s, 128, OK200 "Content-Length: %d\r\n\r\n",
		 STS_MAX_POLICY_BODY);
	hlen = strlen(s);
	memset(s + hlen, 'p', STS_MAX_POLICY_BODY);
	run(s, hlen + STS_MAX_POLICY_BODY, STS_MAX_POLICY_BODY, false, 1000,
	    &whole);
	ok(whole.st == STS_OK && whole.done &&
		   whole.body_len == STS_MAX_POLICY_BODY,
	   "body of exactly STS_MAX_POLICY_BODY accepted");
	free(whole.body);
	free(s);

	ok(sts_http_ctype_is_text_plain("text/plain"), "ctype text/plain");
	ok(sts_http_ctype_is_text_plain("Text/Plain; charset=utf-8"),
	   "ctype with case and parameters");
	ok(sts_http_ctype_is_text_plain("text/plain ;charset=x"),
	   "ctype with OWS before ;");
	ok(!sts_http_ctype_is_text_plain("text/html"), "ctype text/html");
	ok(!sts_http_ctype_is_text_plain("text/plainx"), "ctype text/plainx");
	ok(!sts_http_ctype_is_text_plain(""), "ctype empty");
	return tap_done();
}
