/*
 * sts_policy.h - the RFC 8461 section 3.2 policy body: parse, copy, print.
 *
 * The parser is a pure function of its input: no I/O, no clock, no
 * globals.  It is strict (checklist D): keys and values are
 * case-sensitive, lines end in LF or CRLF (erratum 6253), the first
 * occurrence of a repeated single-valued key wins, unknown keys are
 * ignored, every mx line is kept (in file order; no count cap: the
 * STS_MAX_POLICY_BODY body cap bounds them), blank lines are skipped, and a
 * BOM, NUL, any other control character or malformed UTF-8 makes the
 * body invalid; well-formed UTF-8 is allowed only inside extension
 * values, as the section 3.2 ABNF says (decisions: lib/proto/sts_policy.c).
 *
 * Ownership: a struct sts_policy returned by these functions belongs to
 * the caller, who frees it with sts_policy_free() (NULL is accepted).
 * A policy is immutable once built; reading one from several threads
 * at once is safe.
 */
#ifndef STS_POLICY_H
#define STS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sts_limits.h"
#include "sts_status.h"

enum sts_mode {
	STS_MODE_NONE = 0,
	STS_MODE_TESTING,
	STS_MODE_ENFORCE,
};

/* "none", "testing", "enforce". */
const char *sts_mode_str(enum sts_mode m);

struct sts_policy {
	enum sts_mode mode;
	uint32_t max_age; /* seconds, 0..STS_MAX_MAX_AGE */
	size_t n_mx;	  /* usable patterns; no cap (issue 13 item 7) */
	char **mx;	  /* n_mx lower-case patterns, owned */
	/*
	 * mx values that are valid RFC 8461 section 3.2 syntax (["*."]
	 * Domain of RFC 5321) but can never match a host name, so that no
	 * MX could ever satisfy them: an IPv4 address ("10.0.0.1"), an
	 * all-numeric top-level label ("mail.123", RFC 3696 section 2), a
	 * malformed A-label.  Section 3.2 says a syntactically valid
	 * policy MUST be accepted, so they do not make the policy invalid:
	 * they are left out of mx (never reach a match= list) and listed
	 * here, lower-cased, for the caller to warn about
	 * (sts_policy_warnings()).  Filled by sts_policy_parse() only.
	 */
	size_t n_ignored;
	char **ignored; /* owned */
};

/*
 * Parse a policy body of len bytes (need not be NUL-terminated).
 * On STS_OK *out is a new policy.  On STS_INVALID *out is NULL,
 * *errline (if not NULL) is the 1-based line of the error (0 when the
 * error is not tied to a line, e.g. "mx missing"), and why holds the
 * reason without the line number.  STS_NOMEM on allocation failure.
 */
enum sts_status sts_policy_parse(const char *body, size_t len,
				 struct sts_policy **out, size_t *errline,
				 char *why, size_t whylen);

/*
 * Build a policy from parts (used by override files and the state
 * file).  Every pattern is checked as by the parser; returns
 * STS_INVALID with a reason for a bad one.
 */
enum sts_status sts_policy_new(enum sts_mode mode, uint32_t max_age,
			       const char *const *mx, size_t n_mx,
			       struct sts_policy **out, char *why,
			       size_t whylen);

/*
 * Can this policy be applied?  STS_OK, or STS_INVALID when its mode is
 * testing or enforce and every mx value was ignored (see above): such a
 * policy is syntactically valid but no MX host can ever match it.
 * Decision (issue 13 item 7): callers treat it as an invalid policy
 * (RFC 8460 sts-policy-invalid: a fetch failure, which never replaces a
 * valid cached policy and means "as without a policy" otherwise), never
 * as an enforce policy with an empty match list; why names the ignored
 * values.  sts_fetch_policy() applies this check.
 */
enum sts_status sts_policy_usable(const struct sts_policy *p, char *why,
				  size_t whylen);

/*
 * One line per ignored mx value ("mx \"10.0.0.1\" ignored: an IPv4
 * address, never a host name"), each ended by "\n", into buf (snprintf
 * semantics, returns the length needed).  "" when there is none.
 */
size_t sts_policy_warnings(const struct sts_policy *p, char *buf,
			   size_t buflen);

/* A deep copy (the ignored list too), or NULL on allocation failure. */
struct sts_policy *sts_policy_dup(const struct sts_policy *p);

void sts_policy_free(struct sts_policy *p);

/* True when two policies say the same (mode, max_age, mx list in order). */
bool sts_policy_equal(const struct sts_policy *a, const struct sts_policy *b);

/*
 * True if host (an MX host name, any case, one trailing dot allowed)
 * matches one of the policy's mx patterns (RFC 8461 section 4.1).
 */
bool sts_policy_match(const struct sts_policy *p, const char *host);

/*
 * Print the normalised policy ("version: STSv1\nmode: ...\n") into
 * buf[buflen]; returns the length that was needed (snprintf
 * semantics).
 */
size_t sts_policy_format(const struct sts_policy *p, char *buf, size_t buflen);

#endif /* STS_POLICY_H */
