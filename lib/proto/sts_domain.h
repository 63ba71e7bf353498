/*
 * sts_domain.h - policy-domain names: normalisation and syntax.
 *
 * RFC 8461 compares and queries names in A-labels, lower case, without a
 * trailing dot (checklist A4).  Address literals have no policy (A3).
 * Pure and thread-safe (libidn2's conversion functions are re-entrant).
 */
#ifndef STS_DOMAIN_H
#define STS_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

/*
 * Normalise in (UTF-8 or ASCII, at most STS_MAX_DOMAIN_INPUT bytes) into
 * out[STS_DOMAIN_BUFSZ]: lower case, one trailing dot removed, U-labels
 * converted to A-labels (IDNA2008 via libidn2), then checked as a host
 * name (labels 1..63 of letters, digits and hyphens, not starting or
 * ending with a hyphen; the last label not all digits, so an IPv4
 * address is not a name; whole name <= 253).  Pure-ASCII names without
 * an "xn--" label do not go through libidn2.
 *   STS_OK        out holds the name
 *   STS_NOTFOUND  an address literal ("[192.0.2.1]", "[IPv6:...]"):
 *                 no policy applies (checklist A3)
 *   STS_INVALID   not a usable host name; why says why
 */
enum sts_status sts_domain_normalize(const char *in, char *out, char *why,
				     size_t whylen);

/* True if s (NUL-terminated) is already a valid normalised A-label host
 * name as sts_domain_normalize() would output it. */
bool sts_domain_valid(const char *s);

#endif /* STS_DOMAIN_H */
