/*
 * sts_mx.h - policy mx patterns (RFC 8461 sections 3.2 and 4.1).
 *
 * Pure and thread-safe.
 */
#ifndef STS_MX_H
#define STS_MX_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

/*
 * Check one mx pattern as it appears in a policy: a host name in
 * A-labels, optionally starting with "*." (a whole left-most label);
 * no trailing dot, no IP literal, no "*" anywhere else (checklist D4).
 * Patterns are case-insensitive; the parser stores them lower-cased.
 */
enum sts_status sts_mx_pattern_check(const char *pattern, char *why,
				     size_t whylen);

/*
 * Section 4.1: does host match pattern?  Case-insensitive; one trailing
 * dot on host is ignored; "*.example.com" matches exactly one extra
 * label ("a.example.com", not "example.com", not "a.b.example.com").
 * An invalid pattern matches nothing.
 */
bool sts_mx_match(const char *pattern, const char *host);

#endif /* STS_MX_H */
