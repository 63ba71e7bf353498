/*
 * sts_engine_metrics.h - the engine's counters for monitoring (issue 17):
 * what the daemon exports as Prometheus metrics.  The engine only counts;
 * formatting and serving them is the daemon's business (lib/ never does
 * HTTP and never logs).
 *
 * Cost: every counter is a relaxed atomic add on the path that does the
 * work (a TXT query, a fetch, a probe, a save: milliseconds each); the
 * warm lookup path adds one relaxed add only when a lookup runs out of
 * its deadline.  Latencies go into fixed histograms (no allocation).
 *
 * Labels stay bounded: outcomes are enum sts_status / probe states /
 * job kinds, never a domain.
 *
 * Thread-safety: sts_engine_metrics() may be called from any thread at
 * any time; it reads each counter atomically (the snapshot as a whole is
 * not one instant, which counters do not need).  With walk true it also
 * counts the cache's entries by kind, a walk of the table in chunks (a
 * few milliseconds per 100,000 entries; lookups wait at most one chunk).
 */
#ifndef STS_ENGINE_METRICS_H
#define STS_ENGINE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "sts_status.h"

/* Histogram bucket upper bounds, in milliseconds; one more bucket (+Inf)
 * after the last. */
#define STS_MET_NBUCKETS 12
extern const unsigned sts_met_bucket_ms[STS_MET_NBUCKETS];

struct sts_met_hist {
	uint64_t bucket[STS_MET_NBUCKETS + 1]; /* NOT cumulative */
	uint64_t count;
	uint64_t sum_us; /* microseconds */
};

enum sts_met_door {
	STS_MET_DOOR_CHECK = 0, /* sts_engine_check (milter) */
	STS_MET_DOOR_LOOKUP,	/* sts_engine_lookup (policy map) */
	STS_MET_DOORS
};

/* Kept by the engine (uint64_t only: read and written atomically). */
struct sts_met_counters {
	uint64_t txt[STS_STATUS_COUNT];	  /* TXT discoveries by status */
	uint64_t fetch[STS_STATUS_COUNT]; /* policy fetches by status */
	uint64_t probe[4];		  /* by enum sts_probe_state */
	uint64_t jobs[3];		  /* by enum sts_job_kind */
	uint64_t deadline_missed[STS_MET_DOORS];
	uint64_t saves, save_failures;
	uint64_t admin_refresh, admin_forget, admin_warm;
	struct sts_met_hist txt_lat, fetch_lat, probe_lat, save_lat;
};

/* A snapshot: the counters plus the cache's statistics and census. */
struct sts_engine_metrics {
	struct sts_met_counters c;
	uint64_t lookups, hits, misses, negative_hits, evictions, mx_queries;
	uint64_t entries;
	bool census;	      /* the fields below are filled (walk was true) */
	uint64_t policies[3]; /* unexpired, by enum sts_mode */
	uint64_t negative, failed, busy;
	/* the shared tier (SharedCache, sts_shared.h): on = configured */
	bool shared_on, shared_up;
	uint64_t shared_gets, shared_hits, shared_writes, shared_errors,
		shared_invalid, shared_announcements;
	/* certificate chains verified / found in the memo (sts_tls.h) */
	uint64_t tls_chains_verified, tls_chains_remembered;
};

struct sts_engine;
void sts_engine_metrics(struct sts_engine *e, bool walk,
			struct sts_engine_metrics *out);

/* Counting helpers for the engine's own files (relaxed atomics). */
static inline void
sts_met_inc(uint64_t *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
}
void sts_met_observe(struct sts_met_hist *h, uint64_t us);

#endif /* STS_ENGINE_METRICS_H */
