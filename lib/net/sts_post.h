/*
 * sts_post.h - deliver a TLS report by HTTPS POST (RFC 8460 section 5.4)
 * to an rua= "https:" URI.
 *
 * Same TLS rules as the policy fetcher (sts_fetch.h, checklist C2/C4):
 * TLS >= 1.2, the certificate must chain to the CA bundle, be in date
 * and carry a subjectAltName DNS-ID for the URI's host (no CN
 * fallback); an address literal host is refused (nothing to check a
 * certificate against).  A 2xx status is success (section 5.4: "a
 * 'successful' response ... typically a 200 or 201"); anything else,
 * redirects included (never followed), is a failure the caller may
 * retry (section 5.5).  One overall deadline covers DNS, connect,
 * handshake, upload and the response head.
 *
 * Thread-safe for distinct calls (r and t are shared read-only).
 */
#ifndef STS_POST_H
#define STS_POST_H

#include <stddef.h>
#include <stdint.h>

#include "sts_resolver.h"
#include "sts_status.h"
#include "sts_tls.h"

/* Split "https://host[:port]/path" into host (A-labels), port and path
 * (with query; "/" if empty).  STS_INVALID for another scheme, a
 * userinfo, an address literal or an invalid host. */
enum sts_status sts_post_url(const char *url, char *host, size_t hostlen,
			     uint16_t *port, char *path, size_t pathlen);

/* POST body (len bytes, content_type) to url.  *http_status is the
 * answer's status (0 if none).  STS_OK on 2xx; STS_TEMPFAIL for
 * network/TLS trouble and 5xx; STS_INVALID for a bad URL, a certificate
 * that fails verification, or another status. */
enum sts_status sts_post_report(struct sts_resolver *r, struct sts_tls *t,
				const char *url, const void *body, size_t len,
				const char *content_type, unsigned timeout_ms,
				int *http_status, char *why, size_t whylen);

#endif /* STS_POST_H */
