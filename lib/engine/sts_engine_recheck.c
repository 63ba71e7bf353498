/*
 * sts_engine_recheck.c - policy changes seen at once (RFC 8461 section
 * 5.1 step 3, section 8.3): before either door answers a failure from a
 * cached policy, the _mta-sts TXT id is re-checked within the caller's
 * deadline and a new id's policy fetched, and the answer is decided again
 * on the result.
 *
 * Decisions:
 *   - The milter re-checks before any enforce-failure verdict (DEFER or
 *     REJECT for mx-mismatch or tls-failed) from a published (cached)
 *     policy; the policy map before answering a published policy none of
 *     whose patterns matches the current MX set (a domain that moved its
 *     MX publishes a new id, section 8.3 step 2).  Pinned (override)
 *     policies are never re-checked: there is nothing to re-check.
 *   - The check is the cache's RECHECK job (sts_cache_recheck): single-
 *     flight with the background jobs, on the queue of cached policies
 *     (never behind first-time lookups), and at most one TXT query per
 *     domain per `recheck` seconds (an id checked less than that long ago
 *     counts as current).
 *   - A check that could not be completed (deadline, DNS failure, a new
 *     id whose policy fetch failed) leaves the verdict as it was, except
 *     that REJECT becomes DEFER: section 5.1 step 3 forbids a permanent
 *     failure before the check (section 5: "MUST NOT" treat it as final).
 *     A temporary failure is still right: the RFC asks to retry.
 * Thread-safety: as sts_engine_check/_lookup.
 */
#include "config.h"

#include <string.h>

#include "sts_engine_int.h"
#include "sts_mx.h"

enum sts_cache_recheck
sts_engine_recheck(struct sts_engine *e, const char *dom,
		   const struct timespec *t0, unsigned deadline_ms,
		   struct sts_cache_view *v)
{
	return sts_cache_recheck(e->cache, dom,
				 sts_engine_left(t0, deadline_ms), v);
}

bool
sts_engine_mx_stale(const struct sts_source_mx *m, const char *const *mx,
		    size_t n_mx)
{
	size_t i, k;

	/* only a known, non-null MX set can show a mismatch */
	if (m->status != STS_OK || m->null_mx || m->n == 0)
		return false;
	for (i = 0; i < m->n; i++)
		for (k = 0; k < n_mx; k++)
			if (sts_mx_match(mx[k], m->host[i].name))
				return false;
	return true;
}
