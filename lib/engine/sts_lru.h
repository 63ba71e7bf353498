/*
 * sts_lru.h - small helpers shared by the engine's two caches
 * (sts_cache.c: policies; sts_hopcache.c: next-hop state and probes):
 * an intrusive doubly linked LRU list (head = most recently used), the
 * FNV-1a hash of a name, and an absolute CLOCK_MONOTONIC deadline.
 *
 * Not thread-safe by itself: each cache holds its own lock around
 * every list operation.  Nothing is allocated or freed here.
 */
#ifndef STS_LRU_H
#define STS_LRU_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

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
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

#endif /* STS_LRU_H */
