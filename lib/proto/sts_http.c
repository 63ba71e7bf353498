/*
 * sts_http.c - strict, incremental, bounded HTTP/1.1 response parser.
 * See sts_http.h for the rules and why this is not libhttp-parser.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts_http.h"

enum http_state {
	H_STATUS = 0,
	H_HEADERS,
	H_BODY_LEN,
	H_CHUNK_SIZE,
	H_CHUNK_DATA,
	H_CHUNK_END,
	H_TRAILERS,
	H_BODY_EOF,
	H_DONE,
	H_ERROR,
};

#define HTTP_VALUE_KEEP 128

struct sts_http {
	enum http_state st;
	enum sts_status err;
	char errwhy[STS_WHY_MAX];
	size_t body_max;
	/* current line */
	char line[STS_MAX_HTTP_LINE + 1];
	size_t line_len;
	size_t n_lines; /* lines seen so far, for reasons */
	size_t n_headers;
	/* what we learnt */
	int status;
	bool chunked;
	bool have_len;
	uint64_t content_len;
	uint64_t remain; /* of Content-Length or of the current chunk */
	char ctype[HTTP_VALUE_KEEP];
	char location[HTTP_VALUE_KEEP];
	/* body */
	char *body;
	size_t body_len;
	size_t body_cap;
};

struct sts_http *
sts_http_new(size_t body_max)
{
	struct sts_http *h = calloc(1, sizeof(*h));

	if (h != NULL)
		h->body_max = body_max;
	return h;
}

void
sts_http_free(struct sts_http *h)
{
	if (h == NULL)
		return;
	free(h->body);
	free(h);
}

static enum sts_status
fail(struct sts_http *h, enum sts_status st, const char *msg)
{
	h->st = H_ERROR;
	h->err = st;
	sts_why(h->errwhy, sizeof(h->errwhy), st, "line %zu: %s",
		h->n_lines + 1, msg);
	return st;
}

/* RFC 9110 section 5.6.2 tchar. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static enum sts_status
body_append(struct sts_http *h, const char *data, size_t len)
{
	size_t ncap;
	char *nb;

	if (len > h->body_max - h->body_len) {
		h->st = H_ERROR;
		h->err = STS_NOMEM;
		sts_why(h->errwhy, sizeof(h->errwhy), STS_NOMEM,
			"body exceeds %zu bytes", h->body_max);
		return STS_NOMEM;
	}
	if (h->body_len + len > h->body_cap) {
		ncap = h->body_cap ? h->body_cap : 4096;
		while (ncap < h->body_len + len)
			ncap *= 2;
		if (ncap > h->body_max)
			ncap = h->body_max;
		nb = realloc(h->body, ncap);
		if (nb == NULL)
			return fail(h, STS_NOMEM, "out of memory");
		h->body = nb;
		h->body_cap = ncap;
	}
	memcpy(h->body + h->body_len, data, len);
	h->body_len += len;
	return STS_OK;
}

static enum sts_status
parse_status(struct sts_http *h, const char *l, size_t n)
{
	size_t i;

	/* "HTTP/1.x SP 3DIGIT SP reason" (RFC 9112 section 4) */
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 ||
	    (l[7] != '0' && l[7] != '1') || l[8] != ' ')
		return fail(h, STS_INVALID, "malformed status line");
	for (i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return fail(h, STS_INVALID, "malformed status code");
	if (n > 12 && l[12] != ' ')
		return fail(h, STS_INVALID, "malformed status line");
	h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (h->status < 200 || h->status > 599)
		return fail(h, STS_INVALID,
			    "unexpected status class (1xx or out of range)");
	for (i = 13; i < n; i++)
		if ((unsigned char)l[i] < 0x20 && l[i] != '\t')
			return fail(h, STS_INVALID,
				    "control character in status line");
	h->st = H_HEADERS;
	return STS_OK;
}

static void
keep_value(char *dst, const char *v, size_t n)
{
	if (n >= HTTP_VALUE_KEEP)
		n = HTTP_VALUE_KEEP - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static enum sts_status
headers_end(struct sts_http *h)
{
	if (h->status == 204 || h->status == 304) {
		h->st = H_DONE;
		return STS_OK;
	}
	if (h->chunked) {
		h->st = H_CHUNK_SIZE;
	} else if (h->have_len) {
		if (h->content_len > h->body_max) {
			h->st = H_ERROR;
			h->err = STS_NOMEM;
			sts_why(h->errwhy, sizeof(h->errwhy), STS_NOMEM,
				"body exceeds %zu bytes (Content-Length %llu)",
				h->body_max,
				(unsigned long long)h->content_len);
			return STS_NOMEM;
		}
		h->remain = h->content_len;
		h->st = h->remain ? H_BODY_LEN : H_DONE;
	} else {
		h->st = H_BODY_EOF;
	}
	return STS_OK;
}

static enum sts_status
parse_header(struct sts_http *h, const char *l, size_t n, bool trailer)
{
	size_t i, vs, ve;
	uint64_t v;

	if (n == 0 && !trailer)
		return headers_end(h);
	if (n == 0) {
		h->st = H_DONE; /* end of the trailer section */
		return STS_OK;
	}
	if (++h->n_headers > STS_MAX_HTTP_HEADERS)
		return fail(h, STS_INVALID, "too many header fields");
	if (l[0] == ' ' || l[0] == '\t')
		return fail(h, STS_INVALID, "obsolete line folding");
	for (i = 0; i < n && l[i] != ':'; i++)
		if (!is_tchar((unsigned char)l[i]))
			return fail(h, STS_INVALID,
				    "bad character in header name");
	if (i == 0 || i == n)
		return fail(h, STS_INVALID, "malformed header line");
	vs = i + 1;
	while (vs < n && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;
	for (size_t k = vs; k < ve; k++)
		if ((unsigned char)l[k] < 0x20 && l[k] != '\t')
			return fail(h, STS_INVALID,
				    "control character in header value");
	if (trailer)
		return STS_OK; /* trailer fields are ignored */
	if (i == 14 && strncasecmp(l, "Content-Length", 14) == 0) {
		if (ve == vs || ve - vs > 19)
			return fail(h, STS_INVALID, "bad Content-Length");
		v = 0;
		for (size_t k = vs; k < ve; k++) {
			if (l[k] < '0' || l[k] > '9')
				return fail(h, STS_INVALID,
					    "bad Content-Length");
			v = v * 10 + (uint64_t)(l[k] - '0');
		}
		if (h->have_len && v != h->content_len)
			return fail(h, STS_INVALID,
				    "conflicting Content-Length");
		h->have_len = true;
		h->content_len = v;
	} else if (i == 17 && strncasecmp(l, "Transfer-Encoding", 17) == 0) {
		if (h->chunked || ve - vs != 7 ||
		    strncasecmp(l + vs, "chunked", 7) != 0)
			return fail(h, STS_INVALID,
				    "unsupported Transfer-Encoding");
		h->chunked = true;
	} else if (i == 12 && strncasecmp(l, "Content-Type", 12) == 0) {
		if (h->ctype[0] == '\0')
			keep_value(h->ctype, l + vs, ve - vs);
	} else if (i == 8 && strncasecmp(l, "Location", 8) == 0) {
		keep_value(h->location, l + vs, ve - vs);
	}
	if (h->chunked && h->have_len)
		return fail(h, STS_INVALID,
			    "both Content-Length and Transfer-Encoding");
	return STS_OK;
}

static enum sts_status
parse_chunk_size(struct sts_http *h, const char *l, size_t n)
{
	size_t i;
	uint64_t v = 0;
	int d;

	for (i = 0; i < n; i++) {
		char c = l[i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX >> 4))
			return fail(h, STS_INVALID, "chunk size overflow");
		v = (v << 4) | (uint64_t)d;
	}
	if (i == 0)
		return fail(h, STS_INVALID, "malformed chunk size");
	/* chunk-ext is ignored, but must start with ";" (after BWS) */
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i < n && l[i] != ';')
		return fail(h, STS_INVALID, "malformed chunk size");
	if (v > h->body_max - h->body_len) {
		h->st = H_ERROR;
		h->err = STS_NOMEM;
		sts_why(h->errwhy, sizeof(h->errwhy), STS_NOMEM,
			"body exceeds %zu bytes (chunked)", h->body_max);
		return STS_NOMEM;
	}
	h->remain = v;
	h->st = v ? H_CHUNK_DATA : H_TRAILERS;
	return STS_OK;
}

static enum sts_status
line_done(struct sts_http *h)
{
	size_t n = h->line_len;
	const char *l = h->line;

	h->n_lines++;
	h->line_len = 0;
	if (n > 0 && l[n - 1] == '\r')
		n--;
	if (memchr(l, '\r', n) != NULL)
		return fail(h, STS_INVALID, "bare CR in line");
	switch (h->st) {
	case H_STATUS:
		return parse_status(h, l, n);
	case H_HEADERS:
		return parse_header(h, l, n, false);
	case H_TRAILERS:
		return parse_header(h, l, n, true);
	case H_CHUNK_SIZE:
		return parse_chunk_size(h, l, n);
	case H_CHUNK_END:
		if (n != 0)
			return fail(h, STS_INVALID,
				    "missing CRLF after chunk data");
		h->st = H_CHUNK_SIZE;
		return STS_OK;
	default:
		return fail(h, STS_INVALID, "internal state error");
	}
}

enum sts_status
sts_http_feed(struct sts_http *h, const char *data, size_t len, size_t *used,
	      char *why, size_t whylen)
{
	size_t i = 0, take;
	enum sts_status st = STS_OK;

	while (i < len && h->st != H_ERROR && h->st != H_DONE) {
		switch (h->st) {
		case H_BODY_LEN:
		case H_CHUNK_DATA:
			take = len - i;
			if (take > h->remain)
				take = (size_t)h->remain;
			st = body_append(h, data + i, take);
			if (st != STS_OK)
				break;
			i += take;
			h->remain -= take;
			if (h->remain == 0)
				h->st = h->st == H_BODY_LEN ? H_DONE
							    : H_CHUNK_END;
			break;
		case H_BODY_EOF:
			st = body_append(h, data + i, len - i);
			if (st == STS_OK)
				i = len;
			break;
		default:
			if (data[i] == '\0') {
				st = fail(h, STS_INVALID, "NUL byte in line");
				break;
			}
			if (h->line_len >= STS_MAX_HTTP_LINE) {
				st = fail(h, STS_INVALID, "line too long");
				break;
			}
			h->line[h->line_len++] = data[i++];
			if (data[i - 1] == '\n') {
				h->line_len--;
				st = line_done(h);
			}
			break;
		}
		if (st != STS_OK)
			break;
	}
	if (used != NULL)
		*used = i;
	if (h->st == H_ERROR) {
		sts_why(why, whylen, h->err, "%s", h->errwhy);
		return h->err;
	}
	return STS_OK;
}

enum sts_status
sts_http_eof(struct sts_http *h, bool close_notify, char *why, size_t whylen)
{
	if (h->st == H_BODY_EOF && !close_notify)
		fail(h, STS_INVALID,
		     "read-until-close body ended without TLS close_notify "
		     "(possibly truncated, RFC 9112 section 9.8)");
	if (h->st == H_BODY_EOF)
		h->st = H_DONE;
	if (h->st == H_DONE)
		return STS_OK;
	if (h->st != H_ERROR)
		fail(h, STS_INVALID,
		     "connection closed before the response was complete");
	return sts_why(why, whylen, h->err, "%s", h->errwhy);
}

bool
sts_http_headers_done(const struct sts_http *h)
{
	return h->st != H_STATUS && h->st != H_HEADERS && h->st != H_ERROR;
}

bool
sts_http_done(const struct sts_http *h)
{
	return h->st == H_DONE;
}

int
sts_http_status(const struct sts_http *h)
{
	return h->status;
}

const char *
sts_http_content_type(const struct sts_http *h)
{
	return h->ctype;
}

const char *
sts_http_location(const struct sts_http *h)
{
	return h->location;
}

const char *
sts_http_body(const struct sts_http *h, size_t *len)
{
	*len = h->body_len;
	return h->body ? h->body : "";
}

bool
sts_http_ctype_is_text_plain(const char *ct)
{
	size_t n;

	if (strncasecmp(ct, "text/plain", 10) != 0)
		return false;
	ct += 10;
	n = strspn(ct, " \t");
	return ct[n] == '\0' || ct[n] == ';';
}
