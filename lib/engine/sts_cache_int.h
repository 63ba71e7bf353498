/*
 * sts_cache_int.h - the cache's private parts, shared by its files
 * (nothing else includes it):
 *   sts_cache.c        the RFC 8461 rules: lookups, applying job results
 *   sts_cache_queue.c  the job queues: queuing, taking, stopping, idle
 *   sts_cache_table.c  the hash table and the LRU list
 *   sts_cache_bulk.c   whole-table walks: the refresh sweep, the state
 *                      file's foreach/insert, reserve, statistics
 *   sts_cache_admin.c  what an administrator asks for: peek, refresh now,
 *                      forget, and the census for the metrics
 * Every function here expects c->lock held (sts_cache.h: locking).
 */
#ifndef STS_CACHE_INT_H
#define STS_CACHE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sts_cache.h"
#include "sts_lru.h"

enum {
	F_POLICY = 1,	/* the policy fields are valid */
	F_INFLIGHT = 2, /* a worker is running this entry's job */
	F_QUEUED = 4,	/* on the job queue */
};
#define F_BUSY (F_INFLIGHT | F_QUEUED)

/* The non-policy part of an entry. */
enum { NP_EMPTY = 0, NP_NONE, NP_FAILED };

struct entry {
	struct entry *hnext;
	struct sts_lru_node lru; /* head is most recently used */
	struct entry *qnext;	 /* job queue */
	char *mx;		 /* packed patterns, n_mx of them */
	char *err;		 /* last error text, or NULL */
	time_t fetched_at, expires_at, checked_at, refresh_at;
	time_t next_try; /* no new attempt before this (backoff) */
	time_t until;	 /* NP_NONE / NP_FAILED valid until */
	time_t last_attempt;
	uint32_t hash, max_age, waiters;
	uint32_t bad_id;       /* hash of the id whose fetch failed, 0: none */
	uint16_t mx_len, n_mx; /* no mx count cap: the 64 KiB policy body
				  bounds both (issue 13 item 7) */
	uint16_t gen; /* bumped by every completed job (sts_cache_recheck) */
	uint8_t mode, np, status, rpt, flags, kind;
	char id[STS_MAX_ID + 1];
	char domain[];
};

struct sts_cache {
	pthread_mutex_t lock;
	/* a job completed, for the waiters of entries in that stripe
	 * (sts_lru_stripe(&done_for, hash)); or stop */
	struct sts_lru_stripes done_for;
	pthread_cond_t idle; /* busy fell to 0, or stop */
	/* A job was queued, or stop: work for the workers that take any
	 * job, work_hi for those that take cached policies' jobs only
	 * (idle_hi of them waiting).  Each job wakes one worker that can
	 * take it, and a worker that leaves jobs queued wakes the next. */
	pthread_cond_t work, work_hi;
	unsigned idle_hi;
	struct sts_cache_conf conf;
	struct entry **tab;
	size_t mask, count;
	unsigned iterating; /* no resize while > 0 */
	struct sts_lru lru;
	/* Two job queues (sts_cache.h: the job queues): hi for entries
	 * holding a policy (refresh, recheck), lo for everything else,
	 * capped at conf.queue_max. */
	struct entry *hi_head, *hi_tail, *lo_head, *lo_tail;
	size_t hi_len, lo_len;
	size_t busy; /* entries queued or in flight */
	bool stop;
	struct sts_cache_stats st;
};

/* sts_cache_table.c */
void sts_cache_entry_free(struct entry *e);
struct entry *sts_cache_find(struct sts_cache *c, const char *domain,
			     uint32_t h);
void sts_cache_grow(struct sts_cache *c);
void sts_cache_remove(struct sts_cache *c, struct entry *e);
bool sts_cache_evictable(const struct entry *e);
void sts_cache_evict(struct sts_cache *c, const struct entry *keep);
struct entry *sts_cache_create(struct sts_cache *c, const char *domain,
			       uint32_t h);

/* sts_cache.c */
bool sts_cache_set_policy(struct entry *e, const char *id, enum sts_mode mode,
			  uint32_t max_age, const char *const *mx, size_t n_mx);
void sts_cache_set_times(struct sts_cache *c, struct entry *e, time_t fetched);
bool sts_cache_policy_valid(struct entry *e, time_t now);
/* Queue e's job: false when it belongs on the lo queue and that is full. */
void sts_cache_fill_view(const struct entry *e, enum sts_cache_state state,
			 struct sts_cache_view *out);
bool sts_cache_enqueue(struct sts_cache *c, struct entry *e,
		       enum sts_job_kind kind);
uint32_t sts_cache_id_hash(const char *id);
bool sts_cache_maybe_refresh(struct sts_cache *c, struct entry *e, time_t now,
			     bool recheck);

#endif /* STS_CACHE_INT_H */
