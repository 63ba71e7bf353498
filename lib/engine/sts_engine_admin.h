/*
 * sts_engine_admin.h - the engine's answers to an administrator (the
 * daemon's control socket, issue 17): what is cached for a domain, every
 * cached policy, fetch a domain now, forget a domain.
 *
 * None of these waits for the network: refresh and warm queue a job for
 * the background workers and return at once; show reports only what is
 * cached (it never triggers a lookup).  So a control client can never
 * hold up mail lookups beyond the cache lock's usual O(1) holds.
 *
 * Thread-safety: every call may be made from any thread at any time
 * between sts_engine_new() and sts_engine_free().
 */
#ifndef STS_ENGINE_ADMIN_H
#define STS_ENGINE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sts_cache.h"
#include "sts_engine.h"
#include "sts_source.h"

/* Everything cached about one policy domain; plain data. */
struct sts_engine_info {
	char domain[STS_DOMAIN_BUFSZ]; /* normalised policy domain */
	bool cached;		       /* the policy cache has an entry */
	bool busy;		       /* a fetch is queued or running */
	struct sts_cache_view v;       /* when cached */
	bool have_nexthop;	       /* next-hop state is cached */
	struct sts_source_mx mx;       /* when have_nexthop */
	enum sts_dane_state dane[STS_MAX_MX];
	bool have_probe[STS_MAX_MX];
	enum sts_probe_state probe[STS_MAX_MX];
	enum sts_rpt probe_rpt[STS_MAX_MX];
};

/* Fill *out for the raw domain (normalised here).  STS_INVALID with why
 * for a name that is not a domain; otherwise STS_OK (also when nothing
 * is cached: out->cached false).  out must be zeroed (calloc) or filled
 * by an earlier call: out->v's mx list lives on the heap (no mx count
 * cap, issue 13 item 7); release it with sts_engine_info_clear(). */
enum sts_status sts_engine_show(struct sts_engine *e, const char *domain,
				struct sts_engine_info *out, char *why,
				size_t whylen);
/* Free what sts_engine_show() put on the heap (NULL is accepted). */
void sts_engine_info_clear(struct sts_engine_info *in);

/* Call fn for every cached, unexpired policy, in chunks (fn runs with
 * the cache lock held: it must only copy; between(arg) runs without it
 * and may write; false from it stops the walk).  Returns the count. */
size_t sts_engine_dump(struct sts_engine *e,
		       void (*fn)(void *arg, const struct sts_cache_record *r),
		       bool (*between)(void *arg), void *arg);

/* Queue a fetch of domain now (sts_cache_kick).  STS_OK queued;
 * STS_TEMPFAIL one is already queued or running; STS_INVALID not a
 * domain; STS_NOMEM.  why says which.  Logged by the caller. */
enum sts_status sts_engine_refresh(struct sts_engine *e, const char *domain,
				   char *why, size_t whylen);

/* Forget everything cached for domain: its policy and its next-hop and
 * probe state.  STS_OK forgotten, STS_NOTFOUND nothing was cached,
 * STS_INVALID not a domain. */
enum sts_status sts_engine_forget(struct sts_engine *e, const char *domain,
				  char *why, size_t whylen);

#endif /* STS_ENGINE_ADMIN_H */
