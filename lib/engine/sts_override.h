/*
 * sts_override.h - per-domain override files (etc/overrides.sample).
 *
 * A file of lines
 *     DOMAIN ACTION [ARGS]
 *     exempt-sender ADDRESS | @DOMAIN
 * with "#" comments (a "#" at the start of a line or after whitespace
 * starts a comment) and blank lines.  DOMAIN is an exact name
 * ("example.com") or ".example.com", which matches every subdomain of
 * example.com but NOT example.com itself (as in Postfix tables).  U-label
 * names are converted to A-labels.  One rule per DOMAIN (a repeated
 * DOMAIN is an error).
 *
 * Actions:
 *   skip      never check this domain (PASS, reason "skipped")
 *   testing   treat its policy as testing: never defer, tag only
 *   enforce   treat a testing policy as enforce
 *   defer     always defer (4xx), whatever the policy says
 *   reject    always reject (5xx): an explicit admin decision
 *   policy mode=enforce|testing mx=PATTERN[,PATTERN...]
 *             a pinned local policy, used when the domain publishes no
 *             policy, when its policy cannot be fetched, or while the
 *             first fetch is still pending.  A fetched policy always
 *             wins over the pin (the domain's own word is fresher).
 * exempt-sender: mail FROM this envelope sender (exact address, case-
 * insensitive) or from any address @DOMAIN is never blocked by MTA-STS
 * (RFC 8460 section 5.3: TLS reports sent by mail must get through).
 *
 * Precedence: an exact DOMAIN rule beats a ".suffix" rule; a longer
 * (more specific) suffix beats a shorter one.
 *
 * Errors name FILE:LINE.  A table is immutable once built: readers
 * share it by reference count, a reload builds a new one and swaps it
 * only when the whole file parsed (the engine does the swap), so a
 * broken file never replaces a good table.
 *
 * Ownership: _load/_parse return a new table with one reference;
 * sts_override_unref() drops one (NULL accepted), _ref() adds one.
 * Rules returned by _find() live as long as the table reference.
 * Thread-safety: lookups and ref/unref on a table are thread-safe.
 */
#ifndef STS_OVERRIDE_H
#define STS_OVERRIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_policy.h"
#include "sts_status.h"

enum sts_override_action {
	STS_OV_NONE = 0, /* no rule */
	STS_OV_SKIP,
	STS_OV_TESTING,
	STS_OV_ENFORCE,
	STS_OV_DEFER,
	STS_OV_REJECT,
	STS_OV_POLICY,
};
/* "none", "skip", "testing", "enforce", "defer", "reject", "policy". */
const char *sts_override_action_str(enum sts_override_action a);

struct sts_override_rule {
	enum sts_override_action action;
	const struct sts_policy *pin; /* STS_OV_POLICY only, else NULL */
	const char *name; /* as written: "example.com"/".example.com" */
	unsigned line;	  /* where it was defined */
};

struct sts_override;

/* Caps on override files. */
#define STS_MAX_OVERRIDE_FILE (16u * 1024 * 1024)
#define STS_MAX_OVERRIDE_LINE 4096

/* Read and parse a file.  STS_OK; STS_INVALID "FILE:LINE: reason";
 * STS_NOTFOUND / STS_TEMPFAIL when it cannot be read; STS_NOMEM. */
enum sts_status sts_override_load(const char *path, struct sts_override **out,
				  char *why, size_t whylen);

/* Parse len bytes of file text; name is used in messages. */
enum sts_status sts_override_parse(const char *text, size_t len,
				   const char *name, struct sts_override **out,
				   char *why, size_t whylen);

/* The rule for a normalised domain, or NULL. */
const struct sts_override_rule *sts_override_find(const struct sts_override *t,
						  const char *domain);

/* True if the raw envelope sender (any case, <> brackets allowed) is
 * exempt. */
bool sts_override_exempt(const struct sts_override *t, const char *sender);

/* Number of domain rules and exempt entries (for logs and tests). */
size_t sts_override_count(const struct sts_override *t);

struct sts_override *sts_override_ref(struct sts_override *t);
void sts_override_unref(struct sts_override *t);

#endif /* STS_OVERRIDE_H */
