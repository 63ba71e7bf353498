/*
 * sts_post.c - HTTPS POST of TLS reports (see sts_post.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts_domain.h"
#include "sts_http.h"
#include "sts_post.h"
#include "sts_sock.h"
#include "sts_tls_open.h"

/* The part of a URL path we send: visible ASCII only (no CR/LF/space
 * can reach the request line). */
static int
path_ok(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

enum sts_status
sts_post_url(const char *url, char *host, size_t hostlen, uint16_t *port,
	     char *path, size_t pathlen)
{
	char raw[STS_MAX_DOMAIN_INPUT + 1], why[STS_WHY_MAX];
	const char *h, *end, *colon;
	size_t hl;
	unsigned long p = 443;

	if (strncasecmp(url, "https://", 8) != 0)
		return STS_INVALID;
	h = url + 8;
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(end - h)) != NULL || *h == '[')
		return STS_INVALID;
	colon = memchr(h, ':', (size_t)(end - h));
	hl = (size_t)((colon ? colon : end) - h);
	if (hl == 0 || hl >= sizeof(raw))
		return STS_INVALID;
	memcpy(raw, h, hl);
	raw[hl] = '\0';
	if (colon != NULL) {
		char *e;
		p = strtoul(colon + 1, &e, 10);
		if (e != end || colon + 1 == end || p == 0 || p > 65535)
			return STS_INVALID;
	}
	/* A name, never an address literal: the certificate is checked
	 * against it (sts_domain_normalize refuses all-digit TLDs). */
	if (hostlen < STS_DOMAIN_BUFSZ ||
	    sts_domain_normalize(raw, host, why, sizeof(why)) != STS_OK)
		return STS_INVALID;
	*port = (uint16_t)p;
	if (*end == '#')
		end = "";
	if ((size_t)snprintf(path, pathlen, "%s%s", *end == '/' ? "" : "/",
			     end) >= pathlen)
		return STS_INVALID;
	/* drop a fragment */
	path[strcspn(path, "#")] = '\0';
	return path_ok(path) ? STS_OK : STS_INVALID;
}

static enum sts_status
exchange(struct sts_tls_conn *c, const char *host, const char *path,
	 const void *body, size_t len, const char *ctype, int *status,
	 char *why, size_t whylen)
{
	char head[2048], buf[4096], w[STS_WHY_MAX];
	struct sts_http *h;
	enum sts_status st;
	size_t got, used;
	int n;

	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.1\r\nHost: %s\r\n"
		     "User-Agent: mta-sts-milter/" PACKAGE_VERSION "\r\n"
		     "Content-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     path, host, ctype, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return sts_why(why, whylen, STS_INVALID, "request too long");
	st = sts_tls_write(c, head, (size_t)n, w, sizeof(w));
	if (st == STS_OK && len > 0)
		st = sts_tls_write(c, body, len, w, sizeof(w));
	if (st != STS_OK)
		return sts_why(why, whylen, STS_TEMPFAIL, "send: %s", w);
	/* Only the status matters; bodies are small (capped). */
	h = sts_http_new(sizeof(buf));
	if (h == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	for (;;) {
		st = sts_tls_read(c, buf, sizeof(buf), &got, w, sizeof(w));
		if (st != STS_OK)
			break;
		/* only the status line and headers matter here, so a body
		 * cut without close_notify (RFC 9112 9.8) changes nothing */
		st = got == 0 ? sts_http_eof(h, sts_tls_closed_notify(c), w,
					     sizeof(w))
			      : sts_http_feed(h, buf, got, &used, w, sizeof(w));
		if (sts_http_headers_done(h) || st != STS_OK || got == 0)
			break;
	}
	*status = sts_http_headers_done(h) ? sts_http_status(h) : 0;
	sts_http_free(h);
	if (*status == 0)
		return sts_why(why, whylen, STS_TEMPFAIL, "no HTTP answer: %s",
			       w);
	if (*status >= 200 && *status <= 299)
		return STS_OK;
	return sts_why(why, whylen, *status >= 500 ? STS_TEMPFAIL : STS_INVALID,
		       "HTTP status %d", *status);
}

enum sts_status
sts_post_report(struct sts_resolver *r, struct sts_tls *t, const char *url,
		const void *body, size_t len, const char *content_type,
		unsigned timeout_ms, int *http_status, char *why, size_t whylen)
{
	char host[STS_DOMAIN_BUFSZ], path[2048];
	struct sts_resolver_addrs addrs;
	struct sts_tls_opened o;
	int64_t deadline = sts_now_ms() + (timeout_ms ? timeout_ms : 30000);
	enum sts_status st;
	uint16_t port;

	*http_status = 0;
	if (sts_post_url(url, host, sizeof(host), &port, path, sizeof(path)) !=
	    STS_OK)
		return sts_why(why, whylen, STS_INVALID, "unusable URL %s",
			       url);
	st = sts_resolver_addrs_for_connect(r, host, port, deadline, &addrs);
	if (st != STS_OK) {
		sts_why(why, whylen, STS_TEMPFAIL, "%s", addrs.meta.why);
		sts_resolver_addrs_clear(&addrs);
		return STS_TEMPFAIL;
	}
	/* the addresses raced (RFC 8305); TLS and certificate failures
	 * are final for this attempt (the caller retries the report) */
	st = sts_tls_open(t, &addrs, host, 5000, deadline, &o, why, whylen);
	if (st == STS_OK) {
		st = exchange(o.conn, host, path, body, len, content_type,
			      http_status, why, whylen);
		sts_tls_open_close(&o, st == STS_OK);
	} else if (o.stage == STS_TLS_STAGE_HANDSHAKE && st != STS_NOMEM) {
		st = STS_TEMPFAIL;
	}
	sts_resolver_addrs_clear(&addrs);
	return st;
}
