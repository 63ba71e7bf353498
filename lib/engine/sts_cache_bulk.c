/*
 * sts_cache_bulk.c - walks over the whole cache: the refresh sweep of
 * the maintenance thread, sts_cache_foreach() for the state-file saver,
 * inserts for its loader, sts_cache_reserve() and the statistics.  Walks
 * take the lock CHUNK buckets at a time, so lookups are never held up for
 * a whole table's worth.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_cache_int.h"

/* --- maintenance and persistence ------------------------------------------ */

#define CHUNK 1024 /* buckets per lock hold */

size_t
sts_cache_sweep(struct sts_cache *c)
{
	size_t i = 0, queued = 0;
	struct entry *e, *next;
	time_t now;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		now = sts_cache_now(c);
		if (i > c->mask) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		for (size_t end = i + CHUNK; i <= c->mask && i < end; i++)
			for (e = c->tab[i]; e != NULL; e = next) {
				next = e->hnext;
				if (sts_cache_policy_valid(e, now)) {
					queued += sts_cache_maybe_refresh(
						c, e, now, false);
					continue;
				}
				/* stale "none"/"failed" entry, nothing
				 * worth keeping: free it */
				if (sts_cache_evictable(e) && now >= e->until)
					sts_cache_remove(c, e);
			}
		pthread_mutex_unlock(&c->lock);
	}
	return queued;
}

size_t
sts_cache_foreach(struct sts_cache *c,
		  void (*fn)(void *arg, const struct sts_cache_record *r),
		  bool (*between)(void *arg), void *arg)
{
	size_t i = 0, n = 0, k;
	struct entry *e;
	struct sts_cache_record r;
	const char **mx, *p;
	time_t now;

	/* room for the most patterns an entry can hold (uint16_t n_mx; no
	 * mx count cap, issue 13 item 7) */
	mx = malloc((size_t)UINT16_MAX * sizeof(*mx));
	if (mx == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	c->iterating++;
	pthread_mutex_unlock(&c->lock);
	for (;;) {
		pthread_mutex_lock(&c->lock);
		now = sts_cache_now(c);
		if (i > c->mask) {
			c->iterating--;
			pthread_mutex_unlock(&c->lock);
			break;
		}
		for (size_t end = i + CHUNK; i <= c->mask && i < end; i++)
			for (e = c->tab[i]; e != NULL; e = e->hnext) {
				if ((e->flags & F_POLICY) == 0 ||
				    now >= e->expires_at)
					continue;
				for (p = e->mx, k = 0; k < e->n_mx; k++) {
					mx[k] = p;
					p += strlen(p) + 1;
				}
				r.domain = e->domain;
				r.id = e->id;
				r.mode = (enum sts_mode)e->mode;
				r.max_age = e->max_age;
				r.fetched_at = e->fetched_at;
				r.expires_at = e->expires_at;
				r.n_mx = e->n_mx;
				r.mx = mx;
				fn(arg, &r);
				n++;
			}
		pthread_mutex_unlock(&c->lock);
		if (between != NULL && !between(arg)) {
			pthread_mutex_lock(&c->lock);
			c->iterating--;
			pthread_mutex_unlock(&c->lock);
			break;
		}
	}
	free(mx);
	return n;
}

/* Insert one loaded policy, its domain's hash h (lock held). */
static enum sts_status
insert_locked(struct sts_cache *c, const struct sts_cache_record *r, uint32_t h,
	      time_t now)
{
	struct entry *e;

	if (now >= r->fetched_at + (time_t)r->max_age)
		return STS_INVALID;
	e = sts_cache_find(c, r->domain, h);
	if (e != NULL && sts_cache_policy_valid(e, now) &&
	    e->fetched_at >= r->fetched_at)
		return STS_OK; /* a newer one is already here */
	if (e == NULL)
		e = sts_cache_create(c, r->domain, h);
	if (e == NULL)
		return STS_NOMEM;
	if (!sts_cache_set_policy(e, r->id, r->mode, r->max_age, r->mx,
				  r->n_mx))
		return STS_NOMEM;
	sts_cache_set_times(c, e, r->fetched_at);
	e->checked_at = r->fetched_at;
	e->status = STS_OK;
	e->np = NP_EMPTY;
	return STS_OK;
}

enum sts_status
sts_cache_insert(struct sts_cache *c, const struct sts_cache_record *r)
{
	enum sts_status st;

	pthread_mutex_lock(&c->lock);
	st = insert_locked(c, r, sts_lru_hash(r->domain), sts_cache_now(c));
	pthread_mutex_unlock(&c->lock);
	return st;
}

/*
 * A loaded table of a million entries is far larger than the CPU's
 * caches, and each insert's bucket (then the first entry of its chain)
 * is a cache miss: the profile of a 1M-entry load showed the lookups
 * as its largest cost.  So hash the whole batch first and ask for the
 * buckets, then the chains' heads, AHEAD inserts before they are
 * needed; the misses then overlap instead of following one another.
 * The prefetches are hints only: a table grown meanwhile is still
 * searched correctly.
 */
#define AHEAD 8

void
sts_cache_insert_many(struct sts_cache *c, const struct sts_cache_record *r,
		      size_t n, enum sts_status *st)
{
	uint32_t h[512];
	size_t i, j, k;
	time_t now;

	for (k = 0; k < n; k += j) {
		j = n - k < 512 ? n - k : 512;
		for (i = 0; i < j; i++)
			h[i] = sts_lru_hash(r[k + i].domain);
		pthread_mutex_lock(&c->lock);
		now = sts_cache_now(c);
		for (i = 0; i < j && i < 2 * AHEAD; i++)
			__builtin_prefetch(&c->tab[h[i] & c->mask]);
		for (i = 0; i < j; i++) {
			if (i + 2 * AHEAD < j)
				__builtin_prefetch(
					&c->tab[h[i + 2 * AHEAD] & c->mask]);
			if (i + AHEAD < j && c->tab[h[i + AHEAD] & c->mask])
				__builtin_prefetch(
					c->tab[h[i + AHEAD] & c->mask]);
			st[k + i] = insert_locked(c, &r[k + i], h[i], now);
		}
		pthread_mutex_unlock(&c->lock);
	}
}

void
sts_cache_reserve(struct sts_cache *c, size_t n)
{
	if (n > c->conf.max)
		n = c->conf.max;
	pthread_mutex_lock(&c->lock);
	while (c->mask + 1 < n && c->iterating == 0 &&
	       c->mask < ((size_t)1 << 26) - 1) {
		size_t before = c->mask;

		sts_cache_grow(c);
		if (c->mask == before)
			break; /* out of memory: keep what we have */
	}
	pthread_mutex_unlock(&c->lock);
}

void
sts_cache_stats(struct sts_cache *c, struct sts_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	out->entries = c->count;
	out->queued = c->hi_len + c->lo_len;
	pthread_mutex_unlock(&c->lock);
}
