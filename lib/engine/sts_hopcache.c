/*
 * sts_hopcache.c - bounded TTL cache with single-flight for next-hop
 * facts (see sts_hopcache.h): hash table + LRU list under one mutex.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_hopcache.h"
#include "sts_lru.h"

struct hc_entry {
	struct sts_lru_node lru;
	struct hc_entry *hnext;
	void *val;
	size_t len;
	time_t expires;
	uint32_t hash, waiters;
	bool busy;  /* a caller is computing the value */
	bool valid; /* val holds a value (maybe expired) */
	char key[];
};

struct sts_hopcache {
	pthread_mutex_t lock;
	/* CLOCK_MONOTONIC; the waiters of a key sleep on the stripe of its
	 * hash, so a value put wakes them (and the few sharing the stripe),
	 * not every thread waiting on any key */
	struct sts_lru_stripes done;
	struct hc_entry **tab;
	struct sts_lru lru;
	size_t mask, count, max;
};

struct sts_hopcache *
sts_hopcache_new(size_t max)
{
	struct sts_hopcache *h;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->max = max > 0 ? max : 100000;
	h->mask = 1023;
	while (h->mask + 1 < h->max && h->mask < (1u << 20) - 1)
		h->mask = h->mask * 2 + 1;
	h->tab = calloc(h->mask + 1, sizeof(*h->tab));
	if (h->tab == NULL) {
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	sts_lru_stripes_init(&h->done);
	return h;
}

void
sts_hopcache_free(struct sts_hopcache *h)
{
	struct sts_lru_node *n, *next;
	struct hc_entry *e;

	if (h == NULL)
		return;
	for (n = h->lru.head; n != NULL; n = next) {
		next = n->next;
		e = STS_LRU_ENTRY(n, struct hc_entry, lru);
		free(e->val);
		free(e);
	}
	free(h->tab);
	sts_lru_stripes_destroy(&h->done);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* --- table and LRU (lock held) ------------------------------------------ */

static struct hc_entry *
find(struct sts_hopcache *h, const char *key, uint32_t hv)
{
	struct hc_entry *e;

	for (e = h->tab[hv & h->mask]; e != NULL; e = e->hnext)
		if (e->hash == hv && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void
remove_entry(struct sts_hopcache *h, struct hc_entry *e)
{
	struct hc_entry **pp = &h->tab[e->hash & h->mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	sts_lru_unlink(&h->lru, &e->lru);
	h->count--;
	free(e->val);
	free(e);
}

/* Evict from the LRU tail (a short bounded walk past busy entries). */
static void
evict(struct sts_hopcache *h, const struct hc_entry *keep)
{
	struct sts_lru_node *n, *prev;
	struct hc_entry *e;
	int steps = 64;

	for (n = h->lru.tail; n != NULL && h->count > h->max && steps-- > 0;
	     n = prev) {
		prev = n->prev;
		e = STS_LRU_ENTRY(n, struct hc_entry, lru);
		if (e != keep && !e->busy && e->waiters == 0)
			remove_entry(h, e);
	}
}

static struct hc_entry *
create(struct sts_hopcache *h, const char *key, uint32_t hv)
{
	size_t len = strlen(key);
	struct hc_entry *e = calloc(1, sizeof(*e) + len + 1);

	if (e == NULL)
		return NULL;
	memcpy(e->key, key, len + 1);
	e->hash = hv;
	e->hnext = h->tab[hv & h->mask];
	h->tab[hv & h->mask] = e;
	sts_lru_front(&h->lru, &e->lru);
	h->count++;
	if (h->count > h->max)
		evict(h, e);
	return e;
}

enum sts_hc_result
sts_hopcache_get(struct sts_hopcache *h, const char *key, time_t now,
		 unsigned deadline_ms, void *buf, size_t *len)
{
	uint32_t hv = sts_lru_hash(key);
	struct hc_entry *e;
	struct timespec dl = sts_lru_deadline(deadline_ms);
	enum sts_hc_result r;
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	e = find(h, key, hv);
	if (e == NULL)
		e = create(h, key, hv);
	if (e == NULL) {
		pthread_mutex_unlock(&h->lock);
		return STS_HC_NOMEM;
	}
	sts_lru_touch(&h->lru, &e->lru);
	for (;;) {
		if (e->valid && now < e->expires && e->len <= *len) {
			memcpy(buf, e->val, e->len);
			*len = e->len;
			r = STS_HC_HIT;
			break;
		}
		if (!e->busy) {
			e->busy = true;
			r = STS_HC_MINE;
			break;
		}
		if (rc == ETIMEDOUT || deadline_ms == 0) {
			r = STS_HC_TIMEOUT;
			break;
		}
		e->waiters++;
		rc = pthread_cond_timedwait(sts_lru_stripe(&h->done, hv),
					    &h->lock, &dl);
		e->waiters--;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

void
sts_hopcache_put(struct sts_hopcache *h, const char *key, const void *val,
		 size_t len, time_t expires)
{
	uint32_t hv = sts_lru_hash(key);
	struct hc_entry *e;
	void *copy = malloc(len > 0 ? len : 1);

	pthread_mutex_lock(&h->lock);
	e = find(h, key, hv);
	if (e == NULL && copy != NULL)
		e = create(h, key, hv);
	if (e != NULL) {
		e->busy = false;
		if (copy != NULL) {
			memcpy(copy, val, len);
			free(e->val);
			e->val = copy;
			copy = NULL;
			e->len = len;
			e->expires = expires;
			e->valid = true;
		}
	}
	pthread_cond_broadcast(sts_lru_stripe(&h->done, hv));
	pthread_mutex_unlock(&h->lock);
	free(copy);
}

void
sts_hopcache_abandon(struct sts_hopcache *h, const char *key)
{
	uint32_t hv = sts_lru_hash(key);
	struct hc_entry *e;

	pthread_mutex_lock(&h->lock);
	e = find(h, key, hv);
	if (e != NULL)
		e->busy = false;
	pthread_cond_broadcast(sts_lru_stripe(&h->done, hv));
	pthread_mutex_unlock(&h->lock);
}

size_t
sts_hopcache_count(struct sts_hopcache *h)
{
	size_t n;

	pthread_mutex_lock(&h->lock);
	n = h->count;
	pthread_mutex_unlock(&h->lock);
	return n;
}
