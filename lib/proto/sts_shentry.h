/*
 * sts_shentry.h - the value the shared cache tier stores per policy
 * domain (doc/fleet.md): encode and decode, pure functions.
 *
 * Layout (text, LF line ends, every line exactly as shown):
 *
 *     STS-SHARED/1
 *     kind: policy            or  kind: none
 *     id: 20260101T000000     (policy only: the TXT id, RFC 8461 3.1)
 *     fetched: 1764633600     (Unix time of the HTTPS fetch; none: of
 *                              the TXT answer that said "no policy")
 *     checked: 1764633600     (Unix time the TXT id was last seen)
 *     <empty line>
 *     version: STSv1 ...      (policy only: the canonical policy text)
 *
 * The policy text is sts_policy_format()'s canonical form of the policy
 * as fetched, not the bytes the web server sent: the engine keeps only
 * the parsed policy (struct sts_policy), and the canonical text carries
 * every field the cache and the verdict use (mode, max_age, the mx
 * patterns in file order); extension fields are not kept by the parser
 * and so are not shared either.
 *
 * A decoded entry is untrusted input (it came from a network store that
 * any node, or anyone with the store's password, can write): the decoder
 * caps the size (STS_MAX_SHARED_ENTRY), accepts nothing but the exact
 * layout above, parses the policy text with the same strict parser as a
 * fetched body (sts_policy_parse), and refuses times in the future
 * (beyond STS_SHENTRY_SKEW seconds of clock skew) and a checked time
 * before the fetch.
 *
 * Ownership: a decoded entry's policy belongs to the caller:
 * sts_shentry_clear() frees it.  Thread-safety: pure, thread-safe.
 */
#ifndef STS_SHENTRY_H
#define STS_SHENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sts_limits.h"
#include "sts_policy.h"
#include "sts_status.h"

/* Clock skew tolerated between fleet nodes, in seconds. */
#define STS_SHENTRY_SKEW 300

struct sts_shentry {
	bool none;		 /* "no policy" (a negative answer) */
	char id[STS_MAX_ID + 1]; /* policy: the TXT id */
	int64_t fetched, checked;
	struct sts_policy *policy; /* policy: owned (decode) or borrowed
				      (encode) */
};

/*
 * Encode e into buf[buflen] (NUL-terminated); *len is the length.
 * STS_OK, or STS_NOMEM when it does not fit, STS_INVALID for an entry
 * that decode would refuse (bad id, no policy).
 */
enum sts_status sts_shentry_encode(const struct sts_shentry *e, char *buf,
				   size_t buflen, size_t *len, char *why,
				   size_t whylen);

/*
 * Decode buf[len] (need not be NUL-terminated) at time now.  STS_OK: *out
 * filled (its policy is new); STS_NOTFOUND: well-formed but the policy
 * has expired (fetched + max_age <= now); STS_INVALID: anything else,
 * with the reason; STS_NOMEM.  On any status but OK *out holds no
 * policy.
 */
enum sts_status sts_shentry_decode(const char *buf, size_t len, time_t now,
				   struct sts_shentry *out, char *why,
				   size_t whylen);

/* Free a decoded entry's policy; NULL accepted. */
void sts_shentry_clear(struct sts_shentry *e);

#endif /* STS_SHENTRY_H */
