/*
 * sts_cache.c - the RFC 8461 policy cache: hash table + LRU list + job
 * queue under one mutex.  See sts_cache.h for the rules and the locking
 * protocol.
 *
 * Memory: one allocation per entry (the struct with the domain name as
 * a flexible array member) plus one for the packed mx patterns of a
 * policy ("a\0b\0..."), and one for an error text only while an error
 * is remembered.  No fixed per-mx arrays.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_cache.h"
#include "sts_lru.h"

enum {
	F_POLICY = 1,	/* the policy fields are valid */
	F_INFLIGHT = 2, /* a worker is running this entry's job */
	F_QUEUED = 4,	/* on the job queue */
};
#define F_BUSY (F_INFLIGHT | F_QUEUED)

/* The non-policy part of an entry. */
enum { NP_EMPTY = 0, NP_NONE, NP_FAILED };

struct entry {
	struct entry *hnext;
	struct sts_lru_node lru; /* head is most recently used */
	struct entry *qnext;	 /* job queue */
	char *mx;		 /* packed patterns, n_mx of them */
	char *err;		 /* last error text, or NULL */
	time_t fetched_at, expires_at, checked_at, refresh_at;
	time_t next_try; /* no new attempt before this (backoff) */
	time_t until;	 /* NP_NONE / NP_FAILED valid until */
	time_t last_attempt;
	uint32_t hash, max_age, waiters;
	uint16_t mx_len;
	uint8_t n_mx, mode, np, status, rpt, flags, kind;
	char id[STS_MAX_ID + 1];
	char domain[];
};

struct sts_cache {
	pthread_mutex_t lock;
	pthread_cond_t done; /* a job completed (CLOCK_MONOTONIC) */
	pthread_cond_t work; /* a job was queued, or stop */
	struct sts_cache_conf conf;
	struct entry **tab;
	size_t mask, count;
	unsigned iterating; /* no resize while > 0 */
	struct sts_lru lru;
	struct entry *q_head, *q_tail;
	size_t busy; /* entries queued or in flight */
	bool stop;
	struct sts_cache_stats st;
};

static const char *const state_names[] = {
	[STS_CS_POLICY] = "policy",
	[STS_CS_NONE] = "none",
	[STS_CS_FAILED] = "failed",
	[STS_CS_PENDING] = "pending",
};

const char *
sts_cache_state_str(enum sts_cache_state s)
{
	if ((unsigned)s > STS_CS_PENDING)
		return "unknown";
	return state_names[s];
}

time_t
sts_cache_now(const struct sts_cache *c)
{
	if (c->conf.now != NULL)
		return c->conf.now(c->conf.now_arg);
	return time(NULL);
}

struct sts_cache *
sts_cache_new(const struct sts_cache_conf *conf)
{
	struct sts_cache *c;
	pthread_condattr_t ca;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->conf = *conf;
	if (c->conf.max == 0)
		c->conf.max = 100000;
	if (c->conf.failure_backoff < 300)
		c->conf.failure_backoff = 300; /* RFC 8461 3.3, C8 */
	if (c->conf.refresh_max == 0)
		c->conf.refresh_max = 86400; /* daily, RFC 8461 10.2 */
	c->mask = 1023;
	c->tab = calloc(c->mask + 1, sizeof(*c->tab));
	if (c->tab == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done, &ca);
	pthread_cond_init(&c->work, &ca);
	pthread_condattr_destroy(&ca);
	return c;
}

static void
entry_free(struct entry *e)
{
	free(e->mx);
	free(e->err);
	free(e);
}

void
sts_cache_free(struct sts_cache *c)
{
	size_t i;
	struct entry *e, *next;

	if (c == NULL)
		return;
	for (i = 0; i <= c->mask; i++)
		for (e = c->tab[i]; e != NULL; e = next) {
			next = e->hnext;
			entry_free(e);
		}
	free(c->tab);
	pthread_cond_destroy(&c->done);
	pthread_cond_destroy(&c->work);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* --- hash table and LRU list (lock held) ------------------------------- */

static struct entry *
find(struct sts_cache *c, const char *domain, uint32_t h)
{
	struct entry *e;

	for (e = c->tab[h & c->mask]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->domain, domain) == 0)
			return e;
	return NULL;
}

static void
grow(struct sts_cache *c)
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

static void
remove_entry(struct sts_cache *c, struct entry *e)
{
	struct entry **pp = &c->tab[e->hash & c->mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	sts_lru_unlink(&c->lru, &e->lru);
	c->count--;
	entry_free(e);
}

static bool
evictable(const struct entry *e)
{
	return (e->flags & F_BUSY) == 0 && e->waiters == 0;
}

/* Evict least recently used entries beyond the bound; entries in use
 * are skipped (a short bounded walk: the bound may be exceeded briefly
 * when everything at the tail is busy). */
static void
evict(struct sts_cache *c, const struct entry *keep)
{
	struct sts_lru_node *n, *prev;
	struct entry *e;
	int steps = 64;

	for (n = c->lru.tail;
	     n != NULL && c->count > c->conf.max && steps-- > 0; n = prev) {
		prev = n->prev;
		e = STS_LRU_ENTRY(n, struct entry, lru);
		if (!evictable(e) || e == keep)
			continue;
		remove_entry(c, e);
		c->st.evictions++;
	}
}

static struct entry *
create(struct sts_cache *c, const char *domain, uint32_t h)
{
	size_t len = strlen(domain);
	struct entry *e;

	e = calloc(1, sizeof(*e) + len + 1);
	if (e == NULL)
		return NULL;
	memcpy(e->domain, domain, len + 1);
	e->hash = h;
	if (c->count >= c->mask + 1 && c->iterating == 0)
		grow(c);
	e->hnext = c->tab[h & c->mask];
	c->tab[h & c->mask] = e;
	sts_lru_front(&c->lru, &e->lru);
	c->count++;
	if (c->count > c->conf.max)
		evict(c, e); /* never the entry being created */
	return e;
}

/* --- entry state (lock held) ------------------------------------------- */

static void
set_err(struct entry *e, const char *why)
{
	free(e->err);
	e->err = NULL;
	if (why != NULL && why[0] != '\0')
		e->err = strdup(why); /* NULL on failure: just no text */
}

static void
drop_policy(struct entry *e)
{
	free(e->mx);
	e->mx = NULL;
	e->n_mx = 0;
	e->mx_len = 0;
	e->id[0] = '\0';
	e->flags &= ~F_POLICY;
}

/* Pack mx patterns into one allocation; false on allocation failure. */
static bool
set_policy(struct entry *e, const char *id, enum sts_mode mode,
	   uint32_t max_age, const char *const *mx, size_t n_mx)
{
	size_t i, len = 0, l;
	char *buf = NULL, *p;

	if (n_mx > STS_MAX_POLICY_MX)
		n_mx = STS_MAX_POLICY_MX;
	for (i = 0; i < n_mx; i++)
		len += strnlen(mx[i], STS_MAX_DOMAIN) + 1;
	if (len > 0) {
		buf = malloc(len);
		if (buf == NULL)
			return false;
		for (p = buf, i = 0; i < n_mx; i++) {
			l = strnlen(mx[i], STS_MAX_DOMAIN);
			memcpy(p, mx[i], l);
			p[l] = '\0';
			p += l + 1;
		}
	}
	free(e->mx);
	e->mx = buf;
	e->mx_len = (uint16_t)len;
	e->n_mx = (uint8_t)n_mx;
	e->mode = (uint8_t)mode;
	e->max_age = max_age;
	snprintf(e->id, sizeof(e->id), "%s", id != NULL ? id : "");
	e->flags |= F_POLICY;
	return true;
}

/* E5: refresh before expiry, at most refresh_max after the fetch, half
 * the max_age for short ones, minus up to 10 % per-domain jitter so that
 * domains fetched together do not all refresh together. */
static void
set_times(struct sts_cache *c, struct entry *e, time_t fetched)
{
	uint64_t iv = e->max_age / 2, jit;

	if (iv > c->conf.refresh_max)
		iv = c->conf.refresh_max;
	jit = iv * ((e->hash >> 7) % 1000) / 10000;
	e->fetched_at = fetched;
	e->expires_at = fetched + (time_t)e->max_age;
	e->refresh_at = fetched + (time_t)(iv - jit);
}

static bool
policy_valid(struct entry *e, time_t now)
{
	if ((e->flags & F_POLICY) == 0)
		return false;
	if (now >= e->expires_at) {
		drop_policy(e); /* E: expired means no policy */
		return false;
	}
	return true;
}

static void
enqueue(struct sts_cache *c, struct entry *e, enum sts_job_kind kind)
{
	e->kind = (uint8_t)kind;
	e->flags |= F_QUEUED;
	e->qnext = NULL;
	if (c->q_tail != NULL)
		c->q_tail->qnext = e;
	else
		c->q_head = e;
	c->q_tail = e;
	c->busy++;
	pthread_cond_signal(&c->work);
}

/* Queue a background recheck/refresh of a usable policy when due. */
static bool
maybe_refresh(struct sts_cache *c, struct entry *e, time_t now, bool recheck)
{
	if ((e->flags & F_BUSY) != 0 || now < e->next_try || c->stop)
		return false;
	if (now >= e->refresh_at) {
		enqueue(c, e, STS_JOB_REFRESH);
		return true;
	}
	if (recheck && now >= e->checked_at + (time_t)c->conf.recheck) {
		enqueue(c, e, STS_JOB_RECHECK);
		return true;
	}
	return false;
}

static void
fill_view(const struct entry *e, enum sts_cache_state state,
	  struct sts_cache_view *out)
{
	size_t i;
	const char *p;

	out->state = state;
	out->status = (enum sts_status)e->status;
	out->rpt = (enum sts_rpt)e->rpt;
	out->last_attempt = e->last_attempt;
	snprintf(out->why, sizeof(out->why), "%s", e->err ? e->err : "");
	if (state != STS_CS_POLICY)
		return;
	memcpy(out->id, e->id, sizeof(out->id));
	out->mode = (enum sts_mode)e->mode;
	out->max_age = e->max_age;
	out->fetched_at = e->fetched_at;
	out->expires_at = e->expires_at;
	out->n_mx = e->n_mx;
	if (e->mx_len > 0)
		memcpy(out->mxbuf, e->mx, e->mx_len);
	for (p = out->mxbuf, i = 0; i < e->n_mx; i++) {
		out->mx[i] = p;
		p += strlen(p) + 1;
	}
}

void
sts_cache_get(struct sts_cache *c, const char *domain, unsigned deadline_ms,
	      struct sts_cache_view *out)
{
	uint32_t h = sts_lru_hash(domain);
	struct entry *e;
	struct timespec dl;
	bool waited = false, completed = false;
	time_t now;
	int rc = 0;

	memset(out, 0, offsetof(struct sts_cache_view, mx));
	out->why[0] = '\0';
	if (deadline_ms > 0)
		dl = sts_lru_deadline(deadline_ms);
	pthread_mutex_lock(&c->lock);
	c->st.lookups++;
	e = find(c, domain, h);
	if (e == NULL) {
		e = create(c, domain, h);
		if (e == NULL) {
			pthread_mutex_unlock(&c->lock);
			out->state = STS_CS_FAILED;
			out->status = STS_NOMEM;
			snprintf(out->why, sizeof(out->why),
				 "out of memory creating a cache entry");
			return;
		}
	}
	sts_lru_touch(&c->lru, &e->lru);
	for (;;) {
		now = sts_cache_now(c);
		if (policy_valid(e, now)) {
			fill_view(e, STS_CS_POLICY, out);
			maybe_refresh(c, e, now, true);
			break;
		}
		if (e->np != NP_EMPTY && (now < e->until || completed)) {
			fill_view(e,
				  e->np == NP_NONE ? STS_CS_NONE
						   : STS_CS_FAILED,
				  out);
			break;
		}
		if (completed) { /* e.g. max_age 0: usable for no time */
			fill_view(e, STS_CS_NONE, out);
			break;
		}
		if ((e->flags & F_BUSY) == 0) {
			if (c->stop) {
				fill_view(e, STS_CS_PENDING, out);
				break;
			}
			enqueue(c, e, STS_JOB_FULL);
		}
		if (deadline_ms == 0 || rc == ETIMEDOUT) {
			fill_view(e, STS_CS_PENDING, out);
			break;
		}
		e->waiters++;
		rc = pthread_cond_timedwait(&c->done, &c->lock, &dl);
		e->waiters--;
		waited = true;
		if ((e->flags & F_BUSY) == 0)
			completed = true;
	}
	out->hit = !waited && out->state != STS_CS_PENDING;
	if (out->hit && out->state == STS_CS_POLICY)
		c->st.hits++;
	else if (out->hit && out->state == STS_CS_NONE)
		c->st.negative_hits++;
	else
		c->st.misses++;
	pthread_mutex_unlock(&c->lock);
}

/* --- workers ------------------------------------------------------------ */

bool
sts_cache_take_job(struct sts_cache *c, struct sts_cache_job *job)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	while (c->q_head == NULL && !c->stop)
		pthread_cond_wait(&c->work, &c->lock);
	if (c->stop) {
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	e = c->q_head;
	c->q_head = e->qnext;
	if (c->q_head == NULL)
		c->q_tail = NULL;
	e->qnext = NULL;
	e->flags = (uint8_t)((e->flags & ~F_QUEUED) | F_INFLIGHT);
	job->kind = (enum sts_job_kind)e->kind;
	memcpy(job->domain, e->domain, strlen(e->domain) + 1);
	job->have_policy = policy_valid(e, sts_cache_now(c));
	memcpy(job->id, e->id, sizeof(job->id));
	pthread_mutex_unlock(&c->lock);
	return true;
}

static int evf(char *ev, size_t evlen, int lvl, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
evf(char *ev, size_t evlen, int lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev, evlen, fmt, ap);
	va_end(ap);
	return lvl;
}

/* A failure that must not touch a usable cached policy (E3). */
static int
keep_policy(struct sts_cache *c, struct entry *e, time_t now, unsigned retry,
	    const struct sts_cache_result *res, char *ev, size_t evlen,
	    const char *what)
{
	int lvl = e->mode == STS_MODE_NONE ? 0 : 2; /* E5: no alert for none */

	e->next_try = now + (time_t)retry;
	return evf(ev, evlen, lvl,
		   "%s (%s); keeping the cached policy id=%s mode=%s until "
		   "it expires in %lds",
		   what, res->why, e->id, sts_mode_str((enum sts_mode)e->mode),
		   (long)(e->expires_at - now));
}

static int
apply(struct sts_cache *c, struct entry *e, const struct sts_cache_result *res,
      time_t now, char *ev, size_t evlen)
{
	bool have = policy_valid(e, now);
	const struct sts_policy *p = res->policy;
	unsigned neg = c->conf.negative_ttl;
	bool changed;

	e->last_attempt = now;
	c->st.txt_queries++;
	if (res->fetched)
		c->st.fetches++;
	e->status = (uint8_t)(res->fetched ? res->fetch : res->disc);
	e->rpt = STS_RPT_NONE;
	switch (res->disc) {
	case STS_OK:
		if (!res->fetched) { /* RECHECK: same id (E2) */
			e->checked_at = now;
			set_err(e, NULL);
			return evf(ev, evlen, 0, "TXT id %s unchanged",
				   res->id);
		}
		if (res->fetch == STS_OK && p != NULL) {
			changed = !have || strcmp(e->id, res->id) != 0 ||
				  e->mode != p->mode;
			if (!set_policy(e, res->id, p->mode, p->max_age,
					(const char *const *)p->mx, p->n_mx)) {
				e->status = STS_NOMEM;
				if (have)
					return keep_policy(c, e, now, neg, res,
							   ev, evlen,
							   "out of memory");
				e->np = NP_FAILED;
				e->until = now + (time_t)neg;
				return evf(ev, evlen, 3, "out of memory");
			}
			set_times(c, e, now);
			e->checked_at = now;
			e->next_try = 0;
			e->np = NP_EMPTY;
			set_err(e, NULL);
			return evf(ev, evlen, changed ? 1 : 0,
				   "policy %s: id=%s mode=%s max_age=%u mx=%zu",
				   have ? (changed ? "replaced" : "refreshed")
					: "fetched",
				   e->id, sts_mode_str(p->mode), p->max_age,
				   p->n_mx);
		}
		/* a failed or invalid fetch: C8 backoff, E3 */
		c->st.fetch_failures++;
		e->rpt = (uint8_t)(res->rpt != STS_RPT_NONE
					   ? res->rpt
					   : STS_RPT_STS_POLICY_FETCH_ERROR);
		set_err(e, res->why);
		if (have)
			return keep_policy(c, e, now, c->conf.failure_backoff,
					   res, ev, evlen,
					   "policy fetch failed");
		e->next_try = now + (time_t)c->conf.failure_backoff;
		e->np = NP_FAILED;
		e->until = e->next_try;
		return evf(ev, evlen, 2,
			   "policy fetch failed (%s); no policy cached, next "
			   "attempt in %us",
			   res->why, c->conf.failure_backoff);
	case STS_NOTFOUND:
	case STS_INVALID:
		set_err(e, res->why);
		if (have) {
			e->checked_at = now;
			return keep_policy(c, e, now, neg, res, ev, evlen,
					   res->disc == STS_NOTFOUND
						   ? "TXT record vanished"
						   : "TXT record invalid");
		}
		e->np = NP_NONE;
		e->until = now + (time_t)neg;
		return evf(ev, evlen, res->disc == STS_NOTFOUND ? 0 : 1,
			   "no policy (%s)", res->why);
	default: /* TEMPFAIL, BOGUS, NOMEM: never "no policy" */
		set_err(e, res->why);
		if (res->disc == STS_BOGUS)
			e->rpt = STS_RPT_DNSSEC_INVALID;
		if (have)
			return keep_policy(c, e, now, neg, res, ev, evlen,
					   "TXT lookup failed");
		e->np = NP_FAILED;
		e->until = now + (time_t)neg;
		e->next_try = e->until;
		return evf(ev, evlen, 2, "TXT lookup failed: %s (%s)",
			   sts_status_str(res->disc), res->why);
	}
}

int
sts_cache_complete(struct sts_cache *c, const struct sts_cache_job *job,
		   const struct sts_cache_result *res, char *ev, size_t evlen)
{
	struct entry *e;
	int lvl = 0;

	ev[0] = '\0';
	pthread_mutex_lock(&c->lock);
	e = find(c, job->domain, sts_lru_hash(job->domain));
	if (e != NULL && (e->flags & F_INFLIGHT) != 0) {
		lvl = apply(c, e, res, sts_cache_now(c), ev, evlen);
		e->flags &= ~F_INFLIGHT;
		c->busy--;
	}
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
	return lvl;
}

void
sts_cache_stop(struct sts_cache *c)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	c->stop = true;
	/* queued jobs will never run: release them */
	while (c->q_head != NULL) {
		e = c->q_head;
		c->q_head = e->qnext;
		e->qnext = NULL;
		e->flags &= ~F_QUEUED;
		c->busy--;
	}
	c->q_tail = NULL;
	pthread_cond_broadcast(&c->work);
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
}

bool
sts_cache_idle_wait(struct sts_cache *c, unsigned timeout_ms)
{
	struct timespec dl = sts_lru_deadline(timeout_ms);
	bool idle;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	while (c->busy > 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->done, &c->lock, &dl);
	idle = c->busy == 0;
	pthread_mutex_unlock(&c->lock);
	return idle;
}

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
				if (policy_valid(e, now)) {
					queued +=
						maybe_refresh(c, e, now, false);
					continue;
				}
				/* stale "none"/"failed" entry, nothing
				 * worth keeping: free it */
				if (evictable(e) && now >= e->until)
					remove_entry(c, e);
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
	const char *mx[STS_MAX_POLICY_MX], *p;
	time_t now;

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
	return n;
}

/* Insert one loaded policy (lock held). */
static enum sts_status
insert_locked(struct sts_cache *c, const struct sts_cache_record *r, time_t now)
{
	uint32_t h = sts_lru_hash(r->domain);
	struct entry *e;

	if (now >= r->fetched_at + (time_t)r->max_age)
		return STS_INVALID;
	e = find(c, r->domain, h);
	if (e != NULL && policy_valid(e, now) && e->fetched_at >= r->fetched_at)
		return STS_OK; /* a newer one is already here */
	if (e == NULL)
		e = create(c, r->domain, h);
	if (e == NULL)
		return STS_NOMEM;
	if (!set_policy(e, r->id, r->mode, r->max_age, r->mx, r->n_mx))
		return STS_NOMEM;
	set_times(c, e, r->fetched_at);
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
	st = insert_locked(c, r, sts_cache_now(c));
	pthread_mutex_unlock(&c->lock);
	return st;
}

void
sts_cache_insert_many(struct sts_cache *c, const struct sts_cache_record *r,
		      size_t n, enum sts_status *st)
{
	size_t i;
	time_t now;

	pthread_mutex_lock(&c->lock);
	now = sts_cache_now(c);
	for (i = 0; i < n; i++)
		st[i] = insert_locked(c, &r[i], now);
	pthread_mutex_unlock(&c->lock);
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

		grow(c);
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
	pthread_mutex_unlock(&c->lock);
}
