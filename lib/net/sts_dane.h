/*
 * sts_dane.h - DANE for SMTP (RFC 7672) on top of a TLSA answer and a
 * finished TLS handshake.
 *
 * Only a DNSSEC-secure TLSA RRset may be used (RFC 7672 section 2.2).
 * Usable records are DANE-TA(2) and DANE-EE(3) with selector 0/1 and
 * matching type 0/1/2 (section 3.1.3: PKIX-TA(0)/PKIX-EE(1) are
 * unusable for SMTP).
 *   DANE-EE 3 x x: the leaf certificate (selector 0) or its SPKI
 *                  (selector 1) must match; name and dates are NOT
 *                  checked (section 3.1.1).
 *   DANE-TA 2 x x: a certificate of the presented chain must match and
 *                  the chain must verify up to it, with the MX host
 *                  name checked against the SAN (section 3.2.2/3.2.3).
 * MTA-STS never overrides DANE (RFC 8461 section 2, checklist G1).
 *
 * Thread-safety: pure functions of their inputs.
 */
#ifndef STS_DANE_H
#define STS_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sts_resolver.h"
#include "sts_status.h"
#include "sts_tls.h"

enum sts_dane_state {
	STS_DANE_NONE = 0, /* no TLSA, or insecure: DANE does not apply */
	STS_DANE_USABLE, /* secure TLSA with >= 1 usable record: DANE decides */
	STS_DANE_UNUSABLE, /* secure TLSA, none usable: TLS required,
			      unauthenticated (RFC 7672 section 2.2) */
	STS_DANE_BOGUS,	   /* bogus answer: defer, "dnssec-invalid" */
	STS_DANE_TEMPFAIL, /* lookup failed: defer (section 2.2.1) */
};

/* "none", "usable", "unusable", "bogus", "tempfail". */
const char *sts_dane_state_str(enum sts_dane_state s);

/*
 * The TLSA RRset that counts for MX host `host` (RFC 7672 sections
 * 2.2.2 and 2.2.3), into *out (release with sts_resolver_tlsa_clear()):
 *   - the host's A/AAAA are looked up first: TLSA counts only where they
 *     are DNSSEC-secure.  Insecure addresses (also reached through an
 *     insecure CNAME): out->meta is NOTFOUND "address records insecure"
 *     (state NONE: DANE does not apply, MTA-STS may); no address at
 *     all: NOTFOUND; a bogus address RRset (either family asked, even
 *     next to a good one: an attacker must not switch DANE off by
 *     spoiling one family): BOGUS, why naming the record; a failed
 *     lookup: TEMPFAIL (section 2.2.1: the host is unusable for now).
 *     Only the families of sts_resolver_families() are asked (sts_af.h:
 *     a family the host cannot use is not judged);
 *   - secure addresses: TLSA at _port._tcp of the CNAME-expanded name
 *     first; when that has no secure TLSA RRset (NXDOMAIN, NODATA,
 *     insecure), at the original name (section 2.2.2).  A bogus or failed
 *     lookup at the expanded name is final (never fall back past it).
 * deadline_ms as in sts_resolver.h's *_until() forms.  Returns
 * sts_dane_state(out); why gets out->meta.why.
 */
enum sts_dane_state sts_dane_lookup(struct sts_resolver *r, const char *host,
				    uint16_t port, int64_t deadline_ms,
				    struct sts_resolver_tlsa *out, char *why,
				    size_t whylen);

/* Classify a TLSA lookup result. */
enum sts_dane_state sts_dane_state(const struct sts_resolver_tlsa *t);

/* Is this one record usable for SMTP (see above)? */
bool sts_dane_usable(const struct sts_tlsa *rr);

/*
 * Match the peer of c (handshake done) against t (state USABLE).
 *   STS_OK       a usable record matched (*rpt = none)
 *   STS_INVALID  none did: *rpt = tlsa-invalid (why lists what was
 *                tried), or the DANE-TA chain failed: validation
 *                type from sts_tls_verify_ta()
 *   STS_BOGUS    t is bogus: *rpt = dnssec-invalid
 */
enum sts_status sts_dane_verify(const struct sts_resolver_tlsa *t,
				const struct sts_tls_conn *c,
				const char *mxhost, enum sts_rpt *rpt,
				char *why, size_t whylen);

#endif /* STS_DANE_H */
