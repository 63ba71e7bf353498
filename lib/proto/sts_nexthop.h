/*
 * sts_nexthop.h - an MTA next-hop string as Postfix writes it (relayhost,
 * transport nexthop, and the smtp_tls_policy_maps key for them):
 * "host", "host:port", "[host]", "[host]:port".
 *
 * RFC 8461 section 3.4: with a smart host, the smart host's domain is the
 * policy domain.  Brackets mean "this host, no MX lookup" (Postfix
 * smtp(8)): the host itself is the one MX.
 *
 * Pure: no I/O, no globals.  Thread-safe.
 */
#ifndef STS_NEXTHOP_H
#define STS_NEXTHOP_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

/*
 * Split s into the host part (copied raw, not normalised, into
 * host[hostlen]) and *literal (true for "[host]" forms).  The port, if
 * any, must be 1..5 digits or a service name (letters, digits, '-').
 *   STS_OK       host holds the host part
 *   STS_INVALID  empty host, missing "]", a bad port, text after the
 *                port, or a host longer than hostlen - 1; why says why
 */
enum sts_status sts_nexthop_parse(const char *s, char *host, size_t hostlen,
				  bool *literal, char *why, size_t whylen);

#endif /* STS_NEXTHOP_H */
