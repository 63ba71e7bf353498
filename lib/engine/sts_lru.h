/*
 * sts_lru.h - small helpers shared by the engine's two caches
 * (sts_cache.c: policies; sts_hopcache.c: next-hop state and probes):
 * an intrusive doubly linked LRU list (head = most recently used), the
 * FNV-1a hash of a name, an absolute CLOCK_MONOTONIC deadline, and the
 * striped condition variables their waiters sleep on.
 *
 * Not thread-safe by itself: each cache holds its own lock around
 * every list operation.  Nothing is allocated or freed here.
 */
#ifndef STS_LRU_H
#define STS_LRU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sts_sock.h"

struct sts_lru_node {
	struct sts_lru_node *prev, *next;
};

struct sts_lru {
	struct sts_lru_node *head, *tail;
};

/* The struct of type `type` whose member `member` is node n. */
#define STS_LRU_ENTRY(n, type, member)                                         \
	((type *)(void *)((char *)(n)-offsetof(type, member)))

static inline void
sts_lru_unlink(struct sts_lru *l, struct sts_lru_node *n)
{
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
}

static inline void
sts_lru_front(struct sts_lru *l, struct sts_lru_node *n)
{
	n->prev = NULL;
	n->next = l->head;
	if (l->head != NULL)
		l->head->prev = n;
	l->head = n;
	if (l->tail == NULL)
		l->tail = n;
}

/* Mark n most recently used. */
static inline void
sts_lru_touch(struct sts_lru *l, struct sts_lru_node *n)
{
	if (l->head == n)
		return;
	sts_lru_unlink(l, n);
	sts_lru_front(l, n);
}

/* FNV-1a of a NUL-terminated name. */
static inline uint32_t
sts_lru_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* CLOCK_MONOTONIC now + ms, for pthread_cond_timedwait on a condition
 * variable created with that clock. */
static inline struct timespec
sts_lru_deadline(unsigned ms)
{
	return sts_abstime_ms(CLOCK_MONOTONIC, ms);
}

/* Condition variables (CLOCK_MONOTONIC) chosen by an entry's hash: a
 * finished entry broadcasts its stripe, which wakes the threads waiting
 * on it and on the few entries that share the stripe, not every waiter
 * of the cache (a burst of cold lookups has one waiting per domain). */
#define STS_LRU_STRIPES 64

struct sts_lru_stripes {
	pthread_cond_t cv[STS_LRU_STRIPES];
};

static inline void
sts_lru_stripes_init(struct sts_lru_stripes *s)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (size_t i = 0; i < STS_LRU_STRIPES; i++)
		pthread_cond_init(&s->cv[i], &ca);
	pthread_condattr_destroy(&ca);
}

static inline void
sts_lru_stripes_destroy(struct sts_lru_stripes *s)
{
	for (size_t i = 0; i < STS_LRU_STRIPES; i++)
		pthread_cond_destroy(&s->cv[i]);
}

static inline pthread_cond_t *
sts_lru_stripe(struct sts_lru_stripes *s, uint32_t hash)
{
	return &s->cv[hash % STS_LRU_STRIPES];
}

#endif /* STS_LRU_H */
