/*
 * sts_fetch.h - the HTTPS policy fetch (RFC 8461 sections 3.2, 3.3).
 *
 * GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt with SNI and Host
 * "mta-sts.DOMAIN" (A-labels).  The host's addresses come from OUR
 * DNSSEC-validating resolver (sts_resolver.h), never getaddrinfo; A and
 * AAAA are asked together and a family that has not answered 50 ms
 * after the other is left out (sts_resolver_addrs_for_connect()); the
 * addresses are raced (RFC 8305 happy eyeballs, sts_sock_connect_any():
 * IPv6 first, the next 250 ms later or as soon as one fails), each with
 * its own connect timeout, all inside ONE overall deadline (default
 * 5 s); TLS runs on the first that connects (sts_tls_open.h).  TLS >= 1.2;
 * the certificate must chain to the CA bundle of the shared struct
 * sts_tls, be in date, and carry a SAN DNS-ID for mta-sts.DOMAIN (no CN
 * fallback; checklist C2/C3 - DOMAIN is the user's policy domain even if
 * the host is a CNAME elsewhere).  Only status 200; redirects are never
 * followed; Content-Type must be text/plain; the body is capped at
 * STS_MAX_POLICY_BODY whatever its framing; then sts_policy_parse().
 *
 * Every failure carries an RFC 8460 section 4.3.1 result type and a
 * human reason:
 *   status        rpt                     when
 *   STS_OK        none                    policy fetched and valid
 *   STS_NOTFOUND  sts-policy-fetch-error  mta-sts.DOMAIN has no address
 *   STS_TEMPFAIL  sts-policy-fetch-error  DNS failure, connect/read
 *                                         failure, timeout, TLS alert
 *   STS_INVALID   sts-webpki-invalid      certificate not trusted,
 *                                         expired, wrong name, no SAN
 *   STS_INVALID   sts-policy-fetch-error  no usable address because the
 *                                         host's A/AAAA are DNSSEC-bogus
 *                                         (a bogus family next to a good
 *                                         one is ignored: sts_resolver.h);
 *                                         why names the record.  Never
 *                                         BOGUS: that would defer mail as
 *                                         for a bogus TXT (RFC 8461 3.3:
 *                                         unfetchable "for any reason")
 *   STS_INVALID   sts-policy-fetch-error  a read-until-close body ended
 *                                         without TLS close_notify
 *                                         (RFC 9112 section 9.8)
 *   STS_INVALID   sts-policy-fetch-error  HTTP status not 200 (also
 *                                         3xx: never followed), bad HTTP,
 *                                         body over STS_MAX_POLICY_BODY
 *                                         (as the lab table expects)
 *   STS_INVALID   sts-policy-invalid      Content-Type not text/plain,
 *                                         policy syntax error, or a
 *                                         testing/enforce policy whose
 *                                         every mx value was ignored
 *                                         (sts_policy_usable())
 * On STS_OK why is "" or the warnings of sts_policy_warnings(): mx values
 * that can never match a host name, left out of the policy.
 *   STS_NOMEM     none                    allocation failure
 *
 * Thread-safety: sts_fetch_policy() may run in many threads at once with
 * the same resolver and struct sts_tls.  It never logs.
 */
#ifndef STS_FETCH_H
#define STS_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "sts_limits.h"
#include "sts_policy.h"
#include "sts_resolver.h"
#include "sts_status.h"
#include "sts_tls.h"

#define STS_FETCH_DEFAULT_TIMEOUT_MS 5000u
#define STS_FETCH_DEFAULT_CONNECT_MS 2000u

struct sts_fetch_conf {
	unsigned timeout_ms; /* overall, DNS included; 0: default 5000 */
	unsigned connect_ms; /* per address; 0: default 2000 */
	uint16_t port;	     /* 0: 443 */
};

struct sts_fetch_result {
	enum sts_status status;
	enum sts_rpt rpt;	     /* STS_RPT_NONE on success */
	struct sts_policy *policy;   /* owned; non-NULL only on STS_OK */
	int http_status;	     /* 0 if no response was parsed */
	char host[STS_DOMAIN_BUFSZ]; /* mta-sts.DOMAIN */
	char addr[64];		     /* address of the last attempt */
	char tls_version[16];
	unsigned elapsed_ms;
	size_t errline; /* policy syntax error line, or 0 */
	char why[STS_WHY_MAX];
};

/*
 * Fetch and parse the policy of domain (an A-label policy domain, as
 * from sts_domain_normalize()).  conf may be NULL.  out is always
 * initialised; release it with sts_fetch_result_clear().  Returns
 * out->status.
 */
enum sts_status sts_fetch_policy(struct sts_resolver *r, struct sts_tls *t,
				 const char *domain,
				 const struct sts_fetch_conf *conf,
				 struct sts_fetch_result *out);

void sts_fetch_result_clear(struct sts_fetch_result *res);

#endif /* STS_FETCH_H */
