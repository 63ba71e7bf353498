/*
 * sts_engine_int.h - what the engine's own files share (private: nothing
 * outside lib/engine/sts_engine*.c includes it).
 *
 * The engine is one object split along its seams, one file each:
 *   sts_engine.c          the object: configuration defaults, _new/_free,
 *                         administration (reload, save, stats), helpers
 *   sts_engine_jobs.c     its threads: cache workers (TXT + fetch),
 *                         next-hop prefetch helpers, the maintenance thread
 *   sts_engine_nexthop.c  next-hop state: MX set, DNSSEC, TLSA per MX and
 *                         STARTTLS probes, through the hop cache
 *   sts_engine_check.c    the milter's door (RCPT-time verdict)
 *   sts_engine_lookup.c   the policy map's door (delivery-time policy)
 *   sts_engine_recheck.c  both doors: the TXT id re-check before a
 *                         failure from a cached policy (RFC 8461 5.1)
 *   sts_engine_admin.c    the administrator's door (show, dump, refresh,
 *                         forget) and the metrics snapshot
 *   sts_engine_shared.c   the optional shared tier's part in a cache job
 *                         (sts_shared.h), and its announcements
 * The network is reached only through struct sts_source (sts_source.h),
 * which the caller passes to sts_engine_new(); sts_source_net.c builds the
 * real one, so the unit tests link the engine without lib/net.
 *
 * Locks: cache->lock (see sts_cache.h), hops->lock (sts_hopcache.h),
 * ov_lock (the override table pointer only: held to take a reference or
 * swap), maint_lock (the maintenance thread's sleep), save_lock (one
 * save at a time), hlp_lock (the helper count and the
 * recipient door's ring of domains).  None is held while
 * another is taken, except save_lock, which is held while
 * sts_cache_foreach takes cache->lock chunk by chunk.
 */
#ifndef STS_ENGINE_INT_H
#define STS_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sts_cache.h"
#include "sts_engine.h"
#include "sts_engine_metrics.h"
#include "sts_hopcache.h"
#include "sts_override.h"
#include "sts_shared.h"
#include "sts_source.h"
#include "sts_verdict.h"

enum { STS_RCPT_RING = 64 };

struct sts_engine {
	struct sts_engine_conf conf; /* strings below are our copies */
	char *state_file, *override_file;
	char relay[STS_DOMAIN_BUFSZ]; /* relayhost's policy domain, or "" */
	bool relay_literal;	      /* "[host]": no MX lookup */
	struct sts_source src;
	struct sts_cache *cache;
	pthread_t *worker;
	unsigned nworkers;
	pthread_mutex_t ov_lock;
	struct sts_override *ov;
	pthread_mutex_t save_lock;
	pthread_mutex_t maint_lock;
	pthread_cond_t maint_cond;
	bool maint_stop, maint_started;
	pthread_t maint;
	struct sts_hopcache *hops; /* next-hop state and probe results */
	pthread_mutex_t hlp_lock;  /* background next-hop gatherers */
	pthread_cond_t hlp_cond;
	unsigned helpers;
	/* sts_lru_hash() of the last STS_RCPT_RING policy domains the
	 * recipient door (sts_engine_check) asked about, under hlp_lock: a
	 * first fetch probes ahead only for these (sts_engine_jobs.c) */
	uint32_t rcpt_ring[STS_RCPT_RING];
	unsigned rcpt_next;
	uint64_t n_mx, n_probe;	     /* statistics (atomic) */
	struct sts_met_counters met; /* sts_engine_metrics.h (atomic) */
	struct sts_shared *shared;   /* the shared tier, or NULL */
};

/* Lifetimes of next-hop state (seconds): the MX answer's TTL within
 * [NH_TTL_MIN, NH_TTL_MAX]; NH_TTL_UNKNOWN when the source gives no TTL;
 * NH_TTL_FAIL for bogus or temporary failures (retried soon, but not
 * per message). */
enum {
	NH_TTL_MIN = 60,
	NH_TTL_MAX = 3600,
	NH_TTL_UNKNOWN = 300,
	NH_TTL_FAIL = 30,
};

/* sts_engine.c */
void sts_engine_emit(struct sts_engine *e, enum sts_event_level lvl,
		     const char *domain, const char *msg);
/* Milliseconds since t0 (CLOCK_MONOTONIC), never negative. */
unsigned sts_engine_ms_since(const struct timespec *t0);
/* The time left of a deadline that started at t0. */
unsigned sts_engine_left(const struct timespec *t0, unsigned deadline_ms);
/* A new reference to the current override table (NULL: none); the
 * caller drops it with sts_override_unref(). */
struct sts_override *sts_engine_overrides(struct sts_engine *e);
/* Normalise the recipient domain and pick the policy domain.  false:
 * why says why (no policy applies). */
bool sts_engine_policy_domain(struct sts_engine *e, const char *raw, char *dom,
			      char *why, size_t whylen);

/* sts_engine_jobs.c: start the workers and the maintenance thread
 * (STS_OK, or a reason with none started); stop and join them all. */
enum sts_status sts_engine_jobs_start(struct sts_engine *e, char *why,
				      size_t whylen);
void sts_engine_jobs_stop(struct sts_engine *e);
/* The two network steps of a cache job, through the source: discover
 * the _mta-sts record (res->disc, res->id) and fetch the policy
 * (res->fetched, res->fetch, res->rpt, res->policy = *pol). */
void sts_engine_jobs_discover(struct sts_engine *e,
			      const struct sts_cache_job *job,
			      struct sts_cache_result *res);
/* Whether a discovered record calls for a fetch (E2, C8). */
bool sts_engine_jobs_need_fetch(const struct sts_cache_job *job,
				const struct sts_cache_result *res);
void sts_engine_jobs_fetch(struct sts_engine *e,
			   const struct sts_cache_job *job,
			   struct sts_cache_result *res,
			   struct sts_policy **pol);

/* sts_engine_shared.c */
/* Start the shared tier when conf.shared_cache is set (STS_OK also when
 * it is not); stop it. */
enum sts_status sts_engine_shared_start(struct sts_engine *e,
					const struct sts_engine_conf *c,
					char *why, size_t whylen);
void sts_engine_shared_stop(struct sts_engine *e);
/* One cache job with the shared tier in front of the network: fills
 * *res (and *pol, owned by the caller) as the local steps would. */
void sts_engine_shared_job(struct sts_engine *e,
			   const struct sts_cache_job *job,
			   struct sts_cache_result *res,
			   struct sts_policy **pol);

/* sts_engine_nexthop.c */
/* The next-hop state of dom, from the hop cache or looked up (single-
 * flight).  false: not known within the deadline. */
bool sts_engine_nexthop_get(struct sts_engine *e, const char *dom,
			    const struct timespec *t0, unsigned deadline_ms,
			    struct sts_source_mx *m, enum sts_dane_state *dane);
/* The recipient door asks about dom (a policy domain): a first fetch of
 * it may probe its first MX host ahead (sts_engine_jobs.c). */
void sts_engine_jobs_rcpt_mark(struct sts_engine *e, const char *dom);
/* The STARTTLS probe of the first MX host of m without usable DANE,
 * ahead of the policy that says whether it matches (probing on only). */
void sts_engine_nexthop_probe_ahead(struct sts_engine *e,
				    const struct sts_source_mx *m,
				    const enum sts_dane_state *dane,
				    const struct timespec *t0,
				    unsigned deadline_ms);
/* Next-hop state, then STARTTLS probes of hosts matching mx[0..n_mx) if
 * probing is on (stops at the first good one).  false: next-hop state not
 * known within the deadline. */
bool sts_engine_nexthop_gather(struct sts_engine *e, const char *dom,
			       const char *const *mx, size_t n_mx,
			       const struct timespec *t0, unsigned deadline_ms,
			       struct sts_source_mx *m,
			       struct sts_verdict_host *host);

/* sts_engine_recheck.c */
/* RFC 8461 5.1 step 3: re-check dom's TXT id (and fetch a new id's
 * policy) within what is left of the deadline; *v is refilled. */
enum sts_cache_recheck sts_engine_recheck(struct sts_engine *e, const char *dom,
					  const struct timespec *t0,
					  unsigned deadline_ms,
					  struct sts_cache_view *v);
/* True when the MX set is known and no host in it matches any of the
 * policy's patterns (the policy may be out of date: re-check it). */
bool sts_engine_mx_stale(const struct sts_source_mx *m, const char *const *mx,
			 size_t n_mx);

/* sts_engine_nexthop.c, for sts_engine_admin.c */
/* Cached next-hop state / probe result, never looked up (false: none
 * cached); forget both for a domain (the control socket's forget). */
bool sts_engine_nexthop_peek(struct sts_engine *e, const char *dom,
			     struct sts_source_mx *m,
			     enum sts_dane_state *dane);
bool sts_engine_probe_peek(struct sts_engine *e, const char *host,
			   enum sts_probe_state *p, enum sts_rpt *rpt);
void sts_engine_nexthop_forget(struct sts_engine *e, const char *dom);

#endif /* STS_ENGINE_INT_H */
