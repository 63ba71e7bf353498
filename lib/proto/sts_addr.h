/*
 * sts_addr.h - recipient address -> policy domain (RFC 8461 section 3.4:
 * the policy domain of a message is the recipient's domain, or the
 * smart host's, which the caller decides).
 *
 * A pure function of its input: no I/O, no allocation, no globals, no
 * libidn2.  It takes an address the way an MTA hands it to a milter
 * (RFC 5321 section 4.1.2 Forward-path, with or without the angle
 * brackets) and returns the domain part lower-cased in ASCII, with one
 * trailing dot removed.  Non-ASCII (UTF-8, RFC 6531) bytes are passed
 * through unchanged: the conversion to A-labels is sts_domain_normalize()'s
 * job (checklist A4), done by the engine.
 *
 * Forms understood: "<user@Example.COM.>", "user@example.com",
 * quoted local parts ("\"a@b\"@example.com", with backslash escapes),
 * source routes ("<@relay,@relay2:user@example.com>": the route is
 * ignored, RFC 5321 section 4.1.2/C), address literals
 * ("user@[192.0.2.1]", "user@[IPv6:2001:db8::1]": no policy, checklist
 * A3), a bare local part ("postmaster": no domain) and the null path
 * "<>".
 *
 * Thread-safety: re-entrant.
 */
#ifndef STS_ADDR_H
#define STS_ADDR_H

#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

/*
 * Extract the domain of addr (NUL-terminated, at most
 * STS_MAX_ADDR_INPUT bytes) into out[outlen] (STS_ADDR_DOMAIN_BUFSZ is
 * always large enough).
 *   STS_OK        out holds the domain (ASCII lower case, no trailing
 *                 dot; may still contain UTF-8 bytes)
 *   STS_NOTFOUND  no domain to look up: "<>", no "@", an address
 *                 literal; why says which.  No policy applies to the
 *                 recipient's own domain; for an address literal out
 *                 holds it ("[192.0.2.1]"), because with a smart host
 *                 (RFC 8461 section 3.4) the smart host's policy still
 *                 applies and the engine wants to see it.
 *   STS_INVALID   malformed or overlong; why says why.  No policy can
 *                 be looked up either; callers must never reject mail
 *                 for this (the MTA has already accepted the syntax).
 * out is "" in every other case.
 */
enum sts_status sts_addr_domain(const char *addr, char *out, size_t outlen,
				char *why, size_t whylen);

#endif /* STS_ADDR_H */
