/*
 * sts_resolver_int.h - private to lib/net/sts_resolver*.c: the resolver
 * object and the query machinery that the address lookups
 * (sts_resolver_addrs.c) share with the other lookups (sts_resolver.c).
 * Not for other modules; the contract is sts_resolver.h.
 *
 * Ownership and thread-safety as in sts_resolver.h: a struct query is
 * reference-counted under the resolver's mutex (one reference for the
 * waiting caller, one for libunbound's callback); callers release the
 * queries they started with sts_resolver_release_queries().
 */
#ifndef STS_RESOLVER_INT_H
#define STS_RESOLVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unbound.h>

#include "sts_resolver.h"

#define POLL_SLICE_MS 10
#define RR_TYPE_A 1
#define RR_TYPE_MX 15
#define RR_TYPE_TXT 16
#define RR_TYPE_AAAA 28
#define RR_TYPE_TLSA 52

/* A thread waiting in sts_resolver_run_queries() (on its stack).  It
 * sleeps on its own condition variable, so that an answer wakes the one
 * thread it is for, not every waiter (a burst of cold lookups has a
 * worker and a next-hop helper waiting per domain). */
struct sts_resolver_waiter {
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	struct sts_resolver_waiter *prev, *next;
};

struct sts_resolver {
	struct ub_ctx *ctx;
	unsigned timeout_ms;
	pthread_mutex_t mu; /* protects every struct query's fields, pumping,
			     * waiters */
	/* One waiting thread at a time polls ub_fd() and runs ub_process()
	 * (pumping); the others sleep, each on its own condition variable,
	 * which the callback of one of its queries signals, or the pump
	 * (or a waiter leaving while nobody pumps) when it leaves. */
	bool pumping;
	struct sts_resolver_waiter *waiters; /* oldest first */
	struct sts_resolver_waiter *waiters_tail;
	enum sts_af af; /* as configured */
	/* STS_AF_AUTO: the families last detected and when (sts_now_ms());
	 * read and written with __atomic builtins, no lock */
	int af_now;
	int64_t af_checked;
};

struct query {
	struct sts_resolver *r;
	int refs;
	bool done;
	int err;
	struct ub_result *res;
	int id;
	struct sts_resolver_waiter *w; /* its waiting owner, or NULL */
};

/* Start n queries at once and wait for them until deadline (absolute,
 * sts_now_ms()); q[i] is NULL when query i could not be started.  With
 * settle_ms > 0 the wait also ends settle_ms after the first answer with
 * usable (not bogus) data; the queries still open are cancelled. */
void sts_resolver_run_queries(struct sts_resolver *r, const char *const *names,
			      const int *types, struct query **q, size_t n,
			      int64_t deadline, unsigned settle_ms);
/* Drop the caller's references to q[0..n). */
void sts_resolver_release_queries(struct sts_resolver *r, struct query **q,
				  size_t n);
/* Fill m from a finished (or not) query; name is what the reasons name.
 * Returns the ub_result to read data from (only when m->status is
 * STS_OK), else NULL. */
struct ub_result *sts_resolver_classify(struct sts_resolver *r, struct query *q,
					const char *name,
					struct sts_dns_meta *m);
/* Lower-case copy of in without one trailing dot, truncated to outlen. */
void sts_resolver_strip_dot(const char *in, char *out, size_t outlen);

#endif /* STS_RESOLVER_INT_H */
