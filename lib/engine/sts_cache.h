/*
 * sts_cache.h - the RFC 8461 policy cache, with single-flight fetches
 * and the background job queue.
 *
 * One entry per policy domain (checklist E1) keeps: the TXT id, the
 * policy (mode, max_age, mx patterns), fetched-at, expires-at =
 * fetched-at + max_age, when the TXT id was last checked, when the
 * proactive refresh is due, the last attempt and its error, and the
 * "no policy" (negative) or "failed" state with its lifetime.
 *
 * The rules (RFC 8461 sections 3.1, 3.3, 5.1, 8.3, 10.2; checklist E):
 *   E2  same id and not expired: the cached policy is used; an id change
 *       seen on a (background) TXT check causes a fetch.
 *   E3  a failed or invalid fetch, an invalid record, a DNS failure or a
 *       vanished TXT record never replaces a valid cached policy.
 *   E4  a successfully fetched "mode: none" replaces it at once.
 *       Expired: the policy is dropped (no policy) and fetched again.
 *   E5  refresh proactively before expiry (at most daily, earlier for a
 *       short max_age) with per-domain jitter; the TXT id of a cached
 *       policy is re-checked on use when `recheck` seconds have passed
 *       since the last check (in the background for a lookup that is
 *       answered anyway; sts_cache_recheck() for one that is about to
 *       fail, RFC 8461 5.1 step 3).  TXT checks of one domain are
 *       rate-limited to one per `recheck` seconds, successful or not.
 *   C8  after a failed fetch, no new fetch of THAT POLICY ID for
 *       `failure_backoff` seconds (>= 300, RFC 8461 3.3 rate-limits per
 *       version id); the TXT id is still checked on use (at most every
 *       `recheck` seconds) and a newly published id is fetched at once.
 *       After a DNS failure, nothing for `negative_ttl` seconds.
 *   max_age 0: the fetched policy is applied to the lookups that waited
 *       for that fetch (RFC 8461 5.1: the triggering delivery), never
 *       to later ones; the domain then counts as "no policy" and is
 *       fetched again at most once per max(recheck, 1) seconds (RFC 8461
 *       3.3 asks senders to rate-limit fetches).  A fetched "mode: none"
 *       with max_age 0 (how a domain retires MTA-STS, section 8.3) thus
 *       replaces a cached policy at once.
 *   Negative entries ("publishes no policy", or an invalid record) live
 *   `negative_ttl` seconds, so a domain without MTA-STS costs one TXT
 *   query per negative_ttl, not one per message.
 *
 * Single-flight: an entry is "in flight" while one worker discovers and
 * fetches it; every lookup of that domain meanwhile waits for that one
 * job (up to its own deadline) instead of starting another.
 *
 * The job queues: jobs of entries that hold a policy (refresh, TXT id
 * recheck) go to the "hi" queue, which needs no cap (an entry is queued
 * at most once, so it never holds more than the cache's entries); all
 * others (first-time lookups, rechecks of failed domains) go to the
 * "lo" queue, capped at conf.queue_max jobs.  A lookup that would queue
 * beyond the cap is answered PENDING ("lookup queue full") without
 * queuing; its next lookup tries again (drop-newest: the jobs already
 * queued keep their place, so a flood of new domains cannot push out
 * the lookups that came before it).  Workers take hi jobs first, and a
 * worker started with cached_only takes hi jobs only, so refreshes and
 * rechecks of cached policies are never starved by first-time lookups.
 *
 * LOCKING PROTOCOL (after unbound's util/storage/lruhash.h):
 *   - One mutex (cache->lock) protects the hash table, the LRU list,
 *     the job queue, the statistics and EVERY field of EVERY entry.
 *     Entries have no locks of their own.
 *   - The lock is held only for O(1) work per call (hash probe, LRU
 *     move, copying one entry out, applying one job result), for one
 *     bounded chunk in sts_cache_foreach() and for a table resize.  It
 *     is never held across DNS/HTTP/TLS work, a callback into the
 *     engine, a file write or a sleep: workers take a job (copying the
 *     domain out), drop the lock, do the network work, and re-take the
 *     lock only to apply the result (sts_cache_complete()).
 *   - Lookups that must wait sleep on their entry's stripe of
 *     cache->done_for (sts_lru.h: condition variables on
 *     CLOCK_MONOTONIC chosen by the hash; a completed job
 *     broadcasts its entry's, so it wakes the lookups of its domain and
 *     of the few that share the stripe, not every waiting lookup),
 *     holding a pin (entry->waiters) so the entry cannot be evicted
 *     under them.  Workers sleep on cache->work (or work_hi, those that
 *     take cached policies' jobs only); a queued job wakes one of them.
 *     An entry that is in flight, queued or pinned is never evicted.
 *   - No other lock is ever taken while cache->lock is held, so it
 *     cannot take part in a lock-order cycle.
 *   - Nothing returned points into the cache: sts_cache_get() copies the
 *     entry into a caller-provided struct sts_cache_view.
 *
 * Clock: cache times come from conf.now (injectable for tests);
 * deadlines of waiting lookups are real time (CLOCK_MONOTONIC).
 *
 * Thread-safety: every function except _new and _free may be called
 * from any number of threads at once.
 */
#ifndef STS_CACHE_H
#define STS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sts_limits.h"
#include "sts_policy.h"
#include "sts_status.h"

struct sts_cache_conf {
	size_t max;		  /* entries; LRU eviction beyond (0: 100000) */
	unsigned negative_ttl;	  /* seconds for "no policy" and DNS failures */
	unsigned failure_backoff; /* seconds after a failed fetch (>= 300) */
	unsigned recheck;	  /* seconds between TXT id checks on use */
	size_t queue_max;	  /* lo-queue jobs at most (0: 1024) */
	unsigned refresh_max;	  /* refresh at most this long after a fetch */
	time_t (*now)(void *arg); /* NULL: time(NULL) */
	void *now_arg;
};

/* What a lookup found. */
enum sts_cache_state {
	STS_CS_POLICY = 0, /* a policy (any mode, possibly mode none) */
	STS_CS_NONE,	   /* the domain publishes no (valid) policy */
	STS_CS_FAILED,	   /* discovery/fetch failed, nothing cached */
	STS_CS_PENDING,	   /* unknown: a fetch is in flight */
};
const char *sts_cache_state_str(enum sts_cache_state s);

/* A copy of one entry, taken under the lock. */
struct sts_cache_view {
	enum sts_cache_state state;
	/* NONE: NOTFOUND or INVALID (bad record); FAILED: TEMPFAIL, BOGUS,
	 * INVALID (bad policy), NOMEM; POLICY: the last attempt's status
	 * (OK, or the error that did not replace the policy). */
	enum sts_status status;
	enum sts_rpt rpt; /* RFC 8460 type of the last failure, or NONE */
	bool hit;	  /* answered from the cache without waiting */
	char id[STS_MAX_ID + 1];
	enum sts_mode mode;
	uint32_t max_age;
	time_t fetched_at, expires_at, last_attempt;
	time_t refresh_at; /* POLICY: proactive refresh due (E5) */
	size_t n_mx;
	/* heap copies (no mx count cap, issue 13 item 7), owned by the
	 * view: release with sts_cache_view_clear() */
	const char **mx; /* point into mxbuf */
	char *mxbuf;
	char why[STS_WHY_MAX]; /* last error, "" if none */
};

/* Free a view's heap parts (safe on a zeroed or cleared view). */
void sts_cache_view_clear(struct sts_cache_view *v);

/* One job for a worker. */
enum sts_job_kind {
	STS_JOB_FULL = 0, /* nothing usable cached: discover + fetch */
	STS_JOB_RECHECK,  /* policy cached: check the TXT id, fetch if new */
	STS_JOB_REFRESH,  /* policy cached, refresh due: discover + fetch */
};

struct sts_cache_job {
	enum sts_job_kind kind;
	char domain[STS_DOMAIN_BUFSZ];
	bool have_policy;
	char id[STS_MAX_ID + 1]; /* cached id when have_policy */
	uint32_t bad_id;	 /* sts_cache_id_hash() of the id whose fetch
				    failed (C8), 0 if none: a RECHECK that finds
				    it again does not fetch */
};

/* The outcome of one job, handed back by the worker. */
struct sts_cache_result {
	enum sts_status disc;		 /* discovery status */
	char id[STS_MAX_ID + 1];	 /* when disc == OK */
	bool fetched;			 /* a fetch was attempted */
	enum sts_status fetch;		 /* its status */
	enum sts_rpt rpt;		 /* its RFC 8460 type on failure */
	const struct sts_policy *policy; /* on fetch OK; copied, not kept */
	char why[STS_WHY_MAX];
	/* from the shared tier (sts_shared.h): not counted as this node's
	 * TXT query or fetch; fetched_at (when > 0) is the fleet's fetch
	 * time, so expiry and refresh follow the original fetch */
	bool shared;
	time_t fetched_at;
};

struct sts_cache_stats {
	uint64_t lookups, hits, misses, negative_hits, txt_queries, fetches,
		fetch_failures, evictions;
	uint64_t queue_full; /* lookups not queued: lo queue full */
	size_t entries;
	size_t queued; /* jobs waiting now (both queues) */
};

struct sts_cache;

struct sts_cache *sts_cache_new(const struct sts_cache_conf *conf);
void sts_cache_free(struct sts_cache *c);

/* The cache's clock (conf.now or time(NULL)). */
time_t sts_cache_now(const struct sts_cache *c);

/*
 * Look up domain (normalised A-label name).  Answers at once from a
 * usable entry (and queues a background recheck/refresh when due);
 * otherwise queues a job (unless one is in flight, the domain is in
 * backoff or the lo queue is full) and waits up to deadline_ms for it;
 * PENDING when the deadline passes first or nothing could be queued.
 * A domain in backoff after a failed fetch has its TXT id checked (at
 * most every `recheck` seconds) and waited for like a miss, so a new id
 * is fetched for the lookup that noticed it (C8).  Always fills *out,
 * which it overwrites whole (pass a zeroed or cleared view); release it
 * with sts_cache_view_clear().  sts_cache_recheck() re-fills a view
 * sts_cache_get() filled, freeing what it held.
 */
void sts_cache_get(struct sts_cache *c, const char *domain,
		   unsigned deadline_ms, struct sts_cache_view *out);

/* What sts_cache_recheck() found. */
enum sts_cache_recheck {
	STS_RC_CONFIRMED = 0, /* the TXT id was checked within `recheck`
				 seconds and matches: *out is current */
	STS_RC_CHANGED,	      /* a job changed the entry (new id fetched,
				 policy replaced): *out is the new state */
	STS_RC_UNCONFIRMED,   /* not checked in time: deadline passed, DNS
				 failed, the new id's fetch failed, or a
				 failed check is less than `recheck` old */
};

/*
 * RFC 8461 5.1 step 3: before a failure verdict from a cached policy,
 * check the _mta-sts TXT id (and fetch a new id's policy).  Unless the
 * id was checked within `recheck` seconds, queues a RECHECK job on the hi
 * queue (single-flight: joins a job already queued or in flight) and
 * waits for it up to deadline_ms (0: queue only).  Always refills *out
 * with the entry's state afterwards (as sts_cache_get would answer it;
 * a max_age 0 policy fetched by the awaited job included).
 */
enum sts_cache_recheck sts_cache_recheck(struct sts_cache *c,
					 const char *domain,
					 unsigned deadline_ms,
					 struct sts_cache_view *out);

/* The value kept for a failed id (never 0). */
uint32_t sts_cache_id_hash(const char *id);

/*
 * Worker side.  _take_job blocks until a job is queued (true, *job
 * filled) or sts_cache_stop() was called (false); with cached_only it
 * takes jobs from the hi queue only (see "the job queues").  The domain is then
 * "in flight" until _complete() for it is called, exactly once.
 * _complete applies the RFC rules above and writes a one-line event for
 * the daemon's log into ev (empty when nothing is worth saying); the
 * return value is the event level (0 debug .. 3 error).
 */
bool sts_cache_take_job(struct sts_cache *c, bool cached_only,
			struct sts_cache_job *job);
int sts_cache_complete(struct sts_cache *c, const struct sts_cache_job *job,
		       const struct sts_cache_result *res, char *ev,
		       size_t evlen);
void sts_cache_stop(struct sts_cache *c);

/*
 * Wait until no job is queued or in flight, up to timeout_ms; true if
 * the cache became idle.  For tests and orderly shutdown.
 */
bool sts_cache_idle_wait(struct sts_cache *c, unsigned timeout_ms);

/*
 * Proactive maintenance: walk every entry and queue a refresh for those
 * whose refresh is due (E5) and that are not in backoff; drop expired
 * policies and stale negative entries.  Works in bounded chunks, taking
 * the lock once per chunk.  Returns the number of jobs queued.
 */
size_t sts_cache_sweep(struct sts_cache *c);

/* Persistence support (sts_persist.c). */
struct sts_cache_record {
	const char *domain;
	const char *id;
	enum sts_mode mode;
	uint32_t max_age;
	time_t fetched_at, expires_at;
	size_t n_mx;
	const char *const *mx;
};
/* Call fn for every entry with an unexpired policy, in chunks; fn runs
 * with the lock held and must only copy (no I/O, no cache calls).
 * After each chunk, between(arg) (if not NULL) runs with the lock
 * released: that is where I/O goes; if it returns false the walk stops.
 * Returns the number of records passed to fn. */
size_t sts_cache_foreach(struct sts_cache *c,
			 void (*fn)(void *arg,
				    const struct sts_cache_record *r),
			 bool (*between)(void *arg), void *arg);
/* Insert a loaded policy (does not replace a newer one already present).
 * STS_OK, STS_NOMEM, or STS_INVALID when already expired. */
enum sts_status sts_cache_insert(struct sts_cache *c,
				 const struct sts_cache_record *r);
/* The same for n records under one lock hold (st[i]: each one's
 * status).  For loading a state file: keep n small (hundreds), since
 * lookups wait meanwhile. */
void sts_cache_insert_many(struct sts_cache *c,
			   const struct sts_cache_record *r, size_t n,
			   enum sts_status *st);
/* Size the hash table for about n entries (at most conf.max) at once,
 * instead of doubling it step by step while loading. */
void sts_cache_reserve(struct sts_cache *c, size_t n);

void sts_cache_stats(struct sts_cache *c, struct sts_cache_stats *out);

/* --- administration (sts_cache_admin.c) --- */

/* A copy of the entry for domain as it is, without queuing anything and
 * without touching its LRU position.  false: no entry.  *busy: a job
 * for it is queued or running.  out must be zeroed or cleared (its mx
 * list is put on the heap: sts_cache_view_clear()). */
bool sts_cache_peek(struct sts_cache *c, const char *domain,
		    struct sts_cache_view *out, bool *busy);

/* Queue a fetch of domain now, ignoring the failure backoff (an
 * administrator asked; RFC 8461 3.3's "at most once per 5 minutes" is
 * for automatic retries).  A cached policy stays until the job's result
 * replaces it, under the usual rules (E3: a failed or invalid fetch
 * never does).  STS_OK queued; STS_TEMPFAIL already queued or running,
 * or stopping; STS_NOMEM no entry could be made or the lookup queue is
 * full. */
enum sts_status sts_cache_kick(struct sts_cache *c, const char *domain);

/* Drop everything cached for domain (an administrator's explicit act).
 * An entry a job or a waiter still uses is emptied, not freed.  true:
 * there was something to forget. */
bool sts_cache_forget(struct sts_cache *c, const char *domain);

/* Entries by kind, counted chunk by chunk like the sweep. */
struct sts_cache_census {
	size_t policy[3]; /* unexpired policies by enum sts_mode */
	size_t negative;  /* "publishes no policy" entries */
	size_t failed;	  /* failed discovery/fetch, nothing cached */
	size_t busy;	  /* queued or in flight */
};
void sts_cache_census(struct sts_cache *c, struct sts_cache_census *out);

#endif /* STS_CACHE_H */
