/*
 * sts_shared.h - the optional shared cache tier on Redis/Valkey
 * (SharedCache; doc/fleet.md).  The in-process cache (sts_cache) stays
 * the first tier: this one is asked only by cache workers, on a local
 * miss, a recheck that saw a new id, or a refresh -- never by a lookup
 * that the first tier can answer.
 *
 * What is stored (keys expire; TTL never longer than the policy's
 * max_age): per policy domain one sts_shentry value under
 * "<prefix>p:<domain>" -- a fetched policy, or a negative answer ("the
 * domain publishes no policy", kept negative_ttl); single-flight across
 * the fleet through "<prefix>l:<domain>", a lock set with SET NX PX by
 * the node about to fetch and deleted (only by its holder) when done; and
 * announcements on the channel "<prefix>announce": "<domain> <node>" for
 * every entry written (node: a random id of the writing process, so that
 * a node ignores its own), which every other node's subscriber thread
 * turns into get + decode + the announce() callback.  Next-hop (MX/TLSA) and
 * probe state are not shared: each node has its own view of the network.
 *
 * Failure: Redis down, slow or refusing makes every call here return
 * TEMPFAIL within timeout_ms (or at once while reconnecting is backed
 * off: 1 s doubling to 30 s), so the caller falls back to its own
 * network fetches; the event() callback hears of it once per state
 * change and at most once a minute meanwhile.  Entries that a node
 * fetched while Redis was unreachable are kept (the last
 * STS_SHARED_PENDING of them) and written when it is back, unless the
 * store holds a newer one by then.
 *
 * Ownership and threads: _new starts the subscriber thread, _free stops
 * and joins it (within about a second) and frees everything.  Every
 * other call may be made from any number of threads at once (a pool of
 * connections; at most `conns` commands in flight).  Callbacks are
 * called with no lock of ours held.
 */
#ifndef STS_SHARED_H
#define STS_SHARED_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sts_shentry.h"
#include "sts_status.h"

#define STS_SHARED_PENDING 256
#define STS_SHARED_TOKEN 33

struct sts_shared_conf {
	const char *url;      /* redis://... or unix:/... (sts_redis.h) */
	const char *password; /* replaces the URL's password (NULL: none) */
	unsigned timeout_ms;  /* per command and per connect (0: 500) */
	unsigned conns;	      /* pooled connections (0: 4) */
	const char *prefix;   /* key prefix (NULL: "mta-sts:") */
	/* an announced entry (policy or negative) another node wrote */
	void (*announce)(void *arg, const char *domain,
			 const struct sts_shentry *e);
	/* lvl: 1 info, 2 warning */
	void (*event)(void *arg, int lvl, const char *msg);
	void *arg;
	time_t (*now)(void *arg); /* NULL: time(NULL) */
	void *now_arg;
};

struct sts_shared_stats {
	uint64_t gets, hits, writes, errors, invalid, announcements;
	bool up;
};

struct sts_shared;

/* Parse the URL and start the subscriber.  Redis need not be up (that is
 * logged, not fatal); a bad URL is INVALID with the reason. */
struct sts_shared *sts_shared_new(const struct sts_shared_conf *conf, char *why,
				  size_t whylen);
void sts_shared_free(struct sts_shared *sh);

/* The entry of domain: OK (*out decoded, caller clears it), NOTFOUND
 * (none, or expired), TEMPFAIL (unreachable), INVALID (garbage in the
 * store: counted, and the caller treats it as absent). */
enum sts_status sts_shared_get(struct sts_shared *sh, const char *domain,
			       struct sts_shentry *out, char *why,
			       size_t whylen);

/* Take the fleet-wide fetch lock of domain for ttl_ms: OK (token filled,
 * pass it to _unlock), NOTFOUND (another node holds it), TEMPFAIL. */
enum sts_status sts_shared_lock(struct sts_shared *sh, const char *domain,
				unsigned ttl_ms, char token[STS_SHARED_TOKEN]);
void sts_shared_unlock(struct sts_shared *sh, const char *domain,
		       const char token[STS_SHARED_TOKEN]);

/* Write e for domain with a TTL of ttl_s seconds and announce it.  On
 * TEMPFAIL the entry is kept for writing when Redis is back. */
enum sts_status sts_shared_put(struct sts_shared *sh, const char *domain,
			       const struct sts_shentry *e, unsigned ttl_s);

void sts_shared_stats(struct sts_shared *sh, struct sts_shared_stats *out);

#endif /* STS_SHARED_H */
