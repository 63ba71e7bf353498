/*
 * sts_hopcache.h - a small bounded TTL cache with single-flight, for the
 * engine's per-message next-hop facts: the MX set of a policy domain
 * with its DNSSEC and per-MX TLSA (DANE) state, and STARTTLS probe
 * results per MX host.  Without it every RCPT / map lookup paid an MX
 * query, a TLSA query per MX host and (Probe on) a full STARTTLS
 * handshake, although the policy itself was cached (bench/analysis.md).
 *
 * Values are opaque byte strings (the engine packs them); the cache
 * copies them in and out, so nothing returned points into it.
 *
 * Single-flight: a key that is missing or expired is handed to ONE
 * caller (STS_HC_MINE), who does the lookups with no lock held and
 * then calls _put (or _abandon when it has nothing worth keeping);
 * every other caller of that key waits for it up to its own deadline.
 *
 * Clock: expiry times are the caller's clock (the engine's injectable
 * one); waiting deadlines are CLOCK_MONOTONIC.
 *
 * Bounded: at most `max` entries, least recently used evicted first
 * (entries being computed are never evicted).
 *
 * Locking: one mutex, held only for O(1) work and copies; never across
 * a lookup.  Thread-safety: every call except _new/_free may be made
 * from any number of threads at once.
 */
#ifndef STS_HOPCACHE_H
#define STS_HOPCACHE_H

#include <stddef.h>
#include <time.h>

struct sts_hopcache;

struct sts_hopcache *sts_hopcache_new(size_t max);
void sts_hopcache_free(struct sts_hopcache *h);

enum sts_hc_result {
	STS_HC_HIT = 0, /* fresh value copied out */
	STS_HC_MINE,	/* caller computes it: _put or _abandon next */
	STS_HC_TIMEOUT, /* another caller is computing it; deadline over */
	STS_HC_NOMEM,	/* no entry could be made: compute, do not _put */
};

/*
 * Look up key at time now.  HIT: up to *len bytes copied to buf, *len
 * set to the value's length (a value longer than the buffer is a miss).
 * Waits up to deadline_ms for another caller's computation.
 */
enum sts_hc_result sts_hopcache_get(struct sts_hopcache *h, const char *key,
				    time_t now, unsigned deadline_ms, void *buf,
				    size_t *len);

/* Store the value for key (after MINE) until `expires`; wakes waiters.
 * Also fine without a preceding MINE (it then just stores). */
void sts_hopcache_put(struct sts_hopcache *h, const char *key, const void *val,
		      size_t len, time_t expires);

/* Give up a MINE without a value (waiters then try themselves). */
void sts_hopcache_abandon(struct sts_hopcache *h, const char *key);

/* Entries held (for tests). */
size_t sts_hopcache_count(struct sts_hopcache *h);

#endif /* STS_HOPCACHE_H */
