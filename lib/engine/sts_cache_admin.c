/*
 * sts_cache_admin.c - what an administrator asks of the cache (through
 * the daemon's control socket) and what the metrics count: a peek at
 * one entry that changes nothing, a fetch now, forgetting a domain, and
 * a census of the entries.  Same lock rules as the rest (sts_cache.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_cache_int.h"

#define CHUNK 1024 /* buckets per lock hold, as in sts_cache_bulk.c */

bool
sts_cache_peek(struct sts_cache *c, const char *domain,
	       struct sts_cache_view *out, bool *busy)
{
	struct entry *e;
	time_t now;

	memset(out, 0, offsetof(struct sts_cache_view, mx));
	out->why[0] = '\0';
	*busy = false;
	pthread_mutex_lock(&c->lock);
	e = sts_cache_find(c, domain, sts_lru_hash(domain));
	if (e == NULL) {
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	now = sts_cache_now(c);
	*busy = (e->flags & F_BUSY) != 0;
	if ((e->flags & F_POLICY) != 0 && now < e->expires_at)
		sts_cache_fill_view(e, STS_CS_POLICY, out);
	else if (e->np == NP_NONE)
		sts_cache_fill_view(e, STS_CS_NONE, out);
	else if (e->np == NP_FAILED)
		sts_cache_fill_view(e, STS_CS_FAILED, out);
	else
		sts_cache_fill_view(e, STS_CS_PENDING, out);
	pthread_mutex_unlock(&c->lock);
	return true;
}

enum sts_status
sts_cache_kick(struct sts_cache *c, const char *domain)
{
	uint32_t h = sts_lru_hash(domain);
	enum sts_status st = STS_OK;
	struct entry *e;
	time_t now;

	pthread_mutex_lock(&c->lock);
	e = sts_cache_find(c, domain, h);
	if (e == NULL)
		e = sts_cache_create(c, domain, h);
	if (e == NULL) {
		st = STS_NOMEM;
	} else if ((e->flags & F_BUSY) != 0 || c->stop) {
		st = STS_TEMPFAIL;
	} else {
		now = sts_cache_now(c);
		e->next_try = 0;
		if (!sts_cache_enqueue(c, e,
				       sts_cache_policy_valid(e, now)
					       ? STS_JOB_REFRESH
					       : STS_JOB_FULL))
			st = STS_NOMEM; /* the lookup queue is full */
	}
	pthread_mutex_unlock(&c->lock);
	return st;
}

bool
sts_cache_forget(struct sts_cache *c, const char *domain)
{
	struct entry *e;
	bool had;

	pthread_mutex_lock(&c->lock);
	e = sts_cache_find(c, domain, sts_lru_hash(domain));
	had = e != NULL;
	if (e != NULL && sts_cache_evictable(e)) {
		sts_cache_remove(c, e);
	} else if (e != NULL) {
		/* a job or a waiting lookup holds it: empty it; the job's
		 * result, when it comes, is a fresh fetch */
		free(e->mx);
		e->mx = NULL;
		e->n_mx = 0;
		e->mx_len = 0;
		e->id[0] = '\0';
		e->flags &= (uint8_t)~F_POLICY;
		e->np = NP_EMPTY;
		e->next_try = 0;
		e->bad_id = 0;
		free(e->err);
		e->err = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	return had;
}

void
sts_cache_census(struct sts_cache *c, struct sts_cache_census *out)
{
	size_t i = 0;
	struct entry *e;
	time_t now;

	memset(out, 0, sizeof(*out));
	for (;;) {
		pthread_mutex_lock(&c->lock);
		if (i > c->mask) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		now = sts_cache_now(c);
		for (size_t end = i + CHUNK; i <= c->mask && i < end; i++)
			for (e = c->tab[i]; e != NULL; e = e->hnext) {
				if ((e->flags & F_BUSY) != 0)
					out->busy++;
				if ((e->flags & F_POLICY) != 0 &&
				    now < e->expires_at && e->mode < 3)
					out->policy[e->mode]++;
				else if (e->np == NP_NONE && now < e->until)
					out->negative++;
				else if (e->np == NP_FAILED && now < e->until)
					out->failed++;
			}
		pthread_mutex_unlock(&c->lock);
	}
}
