/*
 * sts_cache_table.c - the cache's hash table (chained, power-of-two
 * size, grown by doubling while no walk is running) and its LRU list
 * (sts_lru.h); eviction takes the least recently used entry that no
 * lookup waits on and no job holds.  Lock held by the caller throughout.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_cache_int.h"

void
sts_cache_entry_free(struct entry *e)
{
	free(e->mx);
	free(e->err);
	free(e);
}

struct entry *
sts_cache_find(struct sts_cache *c, const char *domain, uint32_t h)
{
	struct entry *e;

	for (e = c->tab[h & c->mask]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->domain, domain) == 0)
			return e;
	return NULL;
}

void
sts_cache_grow(struct sts_cache *c)
{
	size_t n = (c->mask + 1) * 2, i;
	struct entry **t, *e, *next;

	t = calloc(n, sizeof(*t));
	if (t == NULL)
		return; /* keep the old table: longer chains, still correct */
	for (i = 0; i <= c->mask; i++)
		for (e = c->tab[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = t[e->hash & (n - 1)];
			t[e->hash & (n - 1)] = e;
		}
	free(c->tab);
	c->tab = t;
	c->mask = n - 1;
}

void
sts_cache_remove(struct sts_cache *c, struct entry *e)
{
	struct entry **pp = &c->tab[e->hash & c->mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	sts_lru_unlink(&c->lru, &e->lru);
	c->count--;
	sts_cache_entry_free(e);
}

bool
sts_cache_evictable(const struct entry *e)
{
	return (e->flags & F_BUSY) == 0 && e->waiters == 0;
}

/* Evict least recently used entries beyond the bound; entries in use
 * are skipped (a short bounded walk: the bound may be exceeded briefly
 * when everything at the tail is busy). */
void
sts_cache_evict(struct sts_cache *c, const struct entry *keep)
{
	struct sts_lru_node *n, *prev;
	struct entry *e;
	int steps = 64;

	for (n = c->lru.tail;
	     n != NULL && c->count > c->conf.max && steps-- > 0; n = prev) {
		prev = n->prev;
		e = STS_LRU_ENTRY(n, struct entry, lru);
		if (!sts_cache_evictable(e) || e == keep)
			continue;
		sts_cache_remove(c, e);
		c->st.evictions++;
	}
}

struct entry *
sts_cache_create(struct sts_cache *c, const char *domain, uint32_t h)
{
	size_t len = strlen(domain);
	struct entry *e;

	e = calloc(1, sizeof(*e) + len + 1);
	if (e == NULL)
		return NULL;
	memcpy(e->domain, domain, len + 1);
	e->hash = h;
	if (c->count >= c->mask + 1 && c->iterating == 0)
		sts_cache_grow(c);
	e->hnext = c->tab[h & c->mask];
	c->tab[h & c->mask] = e;
	sts_lru_front(&c->lru, &e->lru);
	c->count++;
	if (c->count > c->conf.max)
		sts_cache_evict(c, e); /* never the entry being created */
	return e;
}
