/*
 * sts_cache.c - the RFC 8461 policy cache: its rules (lookups, applying
 * fetch results) over the table of sts_cache_table.c and the job queues
 * of sts_cache_queue.c, all under one mutex.  See sts_cache.h for the
 * rules and the locking protocol.
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

#include "sts_cache_int.h"

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
	if (c->conf.queue_max == 0)
		c->conf.queue_max = 1024;
	c->mask = 1023;
	c->tab = calloc(c->mask + 1, sizeof(*c->tab));
	if (c->tab == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->idle, &ca);
	pthread_cond_init(&c->work, &ca);
	pthread_cond_init(&c->work_hi, &ca);
	pthread_condattr_destroy(&ca);
	sts_lru_stripes_init(&c->done_for);
	return c;
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
			sts_cache_entry_free(e);
		}
	free(c->tab);
	sts_lru_stripes_destroy(&c->done_for);
	pthread_cond_destroy(&c->idle);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->work_hi);
	pthread_mutex_destroy(&c->lock);
	free(c);
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
bool
sts_cache_set_policy(struct entry *e, const char *id, enum sts_mode mode,
		     uint32_t max_age, const char *const *mx, size_t n_mx)
{
	size_t i, len = 0, l;
	char *buf = NULL, *p;

	for (i = 0; i < n_mx; i++)
		len += strnlen(mx[i], STS_MAX_DOMAIN) + 1;
	/* never truncated (a dropped pattern would defer mail to the MX
	 * it names); beyond what a 64 KiB body can hold: refused */
	if (n_mx > UINT16_MAX || len > UINT16_MAX)
		return false;
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
	e->n_mx = (uint16_t)n_mx;
	e->mode = (uint8_t)mode;
	e->max_age = max_age;
	snprintf(e->id, sizeof(e->id), "%s", id != NULL ? id : "");
	e->flags |= F_POLICY;
	return true;
}

/* E5: refresh before expiry, at most refresh_max after the fetch, half
 * the max_age for short ones, minus up to 10 % per-domain jitter so that
 * domains fetched together do not all refresh together. */
void
sts_cache_set_times(struct sts_cache *c, struct entry *e, time_t fetched)
{
	uint64_t iv = e->max_age / 2, jit;

	if (iv > c->conf.refresh_max)
		iv = c->conf.refresh_max;
	jit = iv * ((e->hash >> 7) % 1000) / 10000;
	e->fetched_at = fetched;
	e->expires_at = fetched + (time_t)e->max_age;
	e->refresh_at = fetched + (time_t)(iv - jit);
}

bool
sts_cache_policy_valid(struct entry *e, time_t now)
{
	if ((e->flags & F_POLICY) == 0)
		return false;
	if (now >= e->expires_at) {
		/* E: expired means no policy.  A max_age 0 policy is kept
		 * (unusable) until the next job, for the lookups that
		 * waited for its fetch (apply() drops it). */
		if (e->max_age != 0)
			drop_policy(e);
		return false;
	}
	return true;
}

/* A just-fetched max_age 0 policy, usable by the lookups that waited
 * for that fetch only (sts_cache.h: max_age 0). */
static bool
zero_age(const struct entry *e)
{
	return (e->flags & F_POLICY) != 0 && e->max_age == 0;
}

uint32_t
sts_cache_id_hash(const char *id)
{
	return sts_lru_hash(id) | 1u;
}

/* The rate limit of TXT checks on use (E5) and of max_age 0 fetches. */
static time_t
recheck_iv(const struct sts_cache *c)
{
	return c->conf.recheck > 0 ? (time_t)c->conf.recheck : 1;
}

/* A TXT check of e is allowed: the last attempt is `recheck` seconds
 * old, or its backoff is over. */
static bool
check_due(const struct sts_cache *c, const struct entry *e, time_t now)
{
	return now >= e->last_attempt + recheck_iv(c) || now >= e->next_try;
}

/* Queue a background recheck/refresh of a usable policy when due.  The
 * backoff (next_try) holds back fetches only: a TXT check on use is
 * rate-limited by last_attempt instead (C8: a new id is fetched at
 * once). */
bool
sts_cache_maybe_refresh(struct sts_cache *c, struct entry *e, time_t now,
			bool recheck)
{
	time_t iv = recheck_iv(c);

	if ((e->flags & F_BUSY) != 0 || c->stop)
		return false;
	if (now >= e->refresh_at && now >= e->next_try)
		return sts_cache_enqueue(c, e, STS_JOB_REFRESH);
	if (recheck && now >= e->checked_at + iv && check_due(c, e, now))
		return sts_cache_enqueue(c, e, STS_JOB_RECHECK);
	return false;
}

void
sts_cache_fill_view(const struct entry *e, enum sts_cache_state state,
		    struct sts_cache_view *out)
{
	size_t i;
	const char *p;

	sts_cache_view_clear(out); /* a re-filled view (recheck) */
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
	out->refresh_at = e->refresh_at;
	/* heap copies sized to the entry (no mx count cap): released by
	 * sts_cache_view_clear(); on allocation failure the view says
	 * FAILED/NOMEM rather than hand out a truncated list */
	out->mx = malloc((e->n_mx ? e->n_mx : 1) * sizeof(*out->mx));
	out->mxbuf = malloc(e->mx_len ? e->mx_len : 1);
	if (out->mx == NULL || out->mxbuf == NULL) {
		sts_cache_view_clear(out);
		out->state = STS_CS_FAILED;
		out->status = STS_NOMEM;
		snprintf(out->why, sizeof(out->why), "out of memory");
		return;
	}
	out->n_mx = e->n_mx;
	if (e->mx_len > 0)
		memcpy(out->mxbuf, e->mx, e->mx_len);
	for (p = out->mxbuf, i = 0; i < e->n_mx; i++) {
		out->mx[i] = p;
		p += strlen(p) + 1;
	}
}

/* The answer for a lookup that waited for the job that just completed
 * (lock held): a max_age 0 policy counts for it (sts_cache.h). */
static void
fill_completed(const struct entry *e, time_t now, struct sts_cache_view *out)
{
	if (zero_age(e)) {
		sts_cache_fill_view(e, STS_CS_POLICY, out);
		/* usable for this lookup only: the callers treat
		 * now >= expires_at as expired */
		out->expires_at = now + 1;
		return;
	}
	if (e->np == NP_FAILED)
		sts_cache_fill_view(e, STS_CS_FAILED, out);
	else /* NP_NONE, or NP_EMPTY: nothing usable */
		sts_cache_fill_view(e, STS_CS_NONE, out);
}

/* C8: a domain in backoff after a failed fetch, with nothing cached,
 * whose TXT id is due for a check on use. */
static bool
failed_recheck_due(const struct sts_cache *c, const struct entry *e, time_t now)
{
	return e->np == NP_FAILED && e->bad_id != 0 && now < e->until &&
	       check_due(c, e, now) && !c->stop;
}

void
sts_cache_view_clear(struct sts_cache_view *v)
{
	if (v == NULL)
		return;
	free((void *)v->mx);
	free(v->mxbuf);
	v->mx = NULL;
	v->mxbuf = NULL;
	v->n_mx = 0;
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

	memset(out, 0, sizeof(*out));
	if (deadline_ms > 0)
		dl = sts_lru_deadline(deadline_ms);
	pthread_mutex_lock(&c->lock);
	c->st.lookups++;
	e = sts_cache_find(c, domain, h);
	if (e == NULL) {
		e = sts_cache_create(c, domain, h);
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
		if (sts_cache_policy_valid(e, now)) {
			sts_cache_fill_view(e, STS_CS_POLICY, out);
			sts_cache_maybe_refresh(c, e, now, true);
			break;
		}
		if (completed) {
			fill_completed(e, now, out);
			break;
		}
		if (e->np != NP_EMPTY && now < e->until) {
			/* C8: in backoff, a new TXT id is fetched at once:
			 * check it (rate-limited) and wait as for a miss */
			if ((e->flags & F_BUSY) == 0 &&
			    (!failed_recheck_due(c, e, now) ||
			     !sts_cache_enqueue(c, e, STS_JOB_RECHECK))) {
				sts_cache_fill_view(e,
						    e->np == NP_NONE
							    ? STS_CS_NONE
							    : STS_CS_FAILED,
						    out);
				break;
			}
		} else if ((e->flags & F_BUSY) == 0) {
			if (c->stop) {
				sts_cache_fill_view(e, STS_CS_PENDING, out);
				break;
			}
			if (!sts_cache_enqueue(c, e, STS_JOB_FULL)) {
				sts_cache_fill_view(e, STS_CS_PENDING, out);
				snprintf(out->why, sizeof(out->why),
					 "lookup queue full (%zu jobs): not "
					 "looked up",
					 c->lo_len);
				break;
			}
		}
		if (deadline_ms == 0 || rc == ETIMEDOUT) {
			/* not waited for: what is known, else pending */
			if (e->np != NP_EMPTY && now < e->until)
				sts_cache_fill_view(e,
						    e->np == NP_NONE
							    ? STS_CS_NONE
							    : STS_CS_FAILED,
						    out);
			else
				sts_cache_fill_view(e, STS_CS_PENDING, out);
			break;
		}
		e->waiters++;
		rc = pthread_cond_timedwait(
			sts_lru_stripe(&c->done_for, e->hash), &c->lock, &dl);
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

/* The entry's state as a lookup would see it now (lock held). */
static void
fill_now(struct sts_cache *c, struct entry *e, time_t now, bool completed,
	 struct sts_cache_view *out)
{
	memset(out, 0, offsetof(struct sts_cache_view, mx));
	out->why[0] = '\0';
	if (sts_cache_policy_valid(e, now))
		sts_cache_fill_view(e, STS_CS_POLICY, out);
	else if (completed)
		fill_completed(e, now, out);
	else if (e->np != NP_EMPTY && now < e->until)
		sts_cache_fill_view(
			e, e->np == NP_NONE ? STS_CS_NONE : STS_CS_FAILED, out);
	else
		sts_cache_fill_view(e, STS_CS_PENDING, out);
}

enum sts_cache_recheck
sts_cache_recheck(struct sts_cache *c, const char *domain, unsigned deadline_ms,
		  struct sts_cache_view *out)
{
	struct entry *e;
	struct timespec dl;
	time_t now, iv = recheck_iv(c);
	uint16_t gen0;
	enum sts_mode mode0 = out->mode;
	char id0[STS_MAX_ID + 1];
	bool completed = false, had = out->state == STS_CS_POLICY;
	enum sts_cache_recheck r = STS_RC_UNCONFIRMED;
	int rc = 0;

	if (deadline_ms > 0)
		dl = sts_lru_deadline(deadline_ms);
	pthread_mutex_lock(&c->lock);
	e = sts_cache_find(c, domain, sts_lru_hash(domain));
	if (e == NULL) { /* evicted meanwhile: nothing to re-check */
		pthread_mutex_unlock(&c->lock);
		return STS_RC_UNCONFIRMED;
	}
	gen0 = e->gen;
	/* the baseline is what the caller decided on (a job may have
	 * completed since its lookup) */
	memcpy(id0, out->id, sizeof(id0));
	e->waiters++; /* pinned: not evicted while we look at it */
	for (;;) {
		now = sts_cache_now(c);
		if ((e->flags & F_BUSY) == 0) {
			if (e->gen != gen0) {
				completed = true;
				break;
			}
			if (now < e->checked_at + iv)
				break; /* checked recently */
			/* a failed check less than iv ago: rate limit */
			if (!check_due(c, e, now) || c->stop ||
			    !sts_cache_enqueue(c, e, STS_JOB_RECHECK))
				break;
		}
		if (deadline_ms == 0 || rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(
			sts_lru_stripe(&c->done_for, e->hash), &c->lock, &dl);
	}
	e->waiters--;
	fill_now(c, e, now, completed, out);
	if (!had || out->state != STS_CS_POLICY || out->mode != mode0 ||
	    strcmp(out->id, id0) != 0)
		r = STS_RC_CHANGED; /* not what the caller decided on */
	else if (now < e->checked_at + iv)
		r = STS_RC_CONFIRMED;
	pthread_mutex_unlock(&c->lock);
	return r;
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
	bool have = sts_cache_policy_valid(e, now);
	const struct sts_policy *p = res->policy;
	unsigned neg = c->conf.negative_ttl;
	bool changed;

	if (!have && (e->flags & F_POLICY) != 0)
		drop_policy(e); /* a max_age 0 policy: its lookups are done */
	e->last_attempt = now;
	if (!res->shared) {
		c->st.txt_queries++;
		if (res->fetched)
			c->st.fetches++;
	}
	e->status = (uint8_t)(res->fetched ? res->fetch : res->disc);
	e->rpt = STS_RPT_NONE;
	switch (res->disc) {
	case STS_OK:
		if (!res->fetched && have && strcmp(e->id, res->id) == 0) {
			/* RECHECK: same id (E2) */
			e->checked_at = now;
			set_err(e, NULL);
			return evf(ev, evlen, 0, "TXT id %s unchanged",
				   res->id);
		}
		if (!res->fetched) /* C8: the id whose fetch failed */
			return evf(ev, evlen, 0,
				   "TXT id %s: its policy fetch failed, next "
				   "attempt in %lds",
				   res->id, (long)(e->next_try - now));
		if (res->fetch == STS_OK && p != NULL) {
			changed = !have || strcmp(e->id, res->id) != 0 ||
				  e->mode != p->mode;
			if (!sts_cache_set_policy(
				    e, res->id, p->mode, p->max_age,
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
			sts_cache_set_times(
				c, e,
				res->fetched_at > 0 && res->fetched_at < now
					? res->fetched_at
					: now);
			e->checked_at = now;
			e->next_try = 0;
			e->bad_id = 0;
			e->np = NP_EMPTY;
			set_err(e, NULL);
			if (p->max_age == 0) {
				/* applies to the lookups that waited for this
				 * fetch only; then "no policy", and the next
				 * fetch not before until (RFC 8461 3.3) */
				e->np = NP_NONE;
				e->until = now + recheck_iv(c);
				e->next_try = e->until;
				set_err(e, "policy max_age 0: not cached "
					   "(RFC 8461 3.2)");
			}
			return evf(ev, evlen, changed ? 1 : 0,
				   "policy %s: id=%s mode=%s max_age=%u mx=%zu",
				   have ? (changed ? "replaced" : "refreshed")
					: "fetched",
				   e->id, sts_mode_str(p->mode), p->max_age,
				   p->n_mx);
		}
		/* a failed or invalid fetch: C8 backoff, E3 */
		c->st.fetch_failures++;
		e->bad_id = sts_cache_id_hash(res->id);
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
	e = sts_cache_find(c, job->domain, sts_lru_hash(job->domain));
	if (e != NULL && (e->flags & F_INFLIGHT) != 0) {
		lvl = apply(c, e, res, sts_cache_now(c), ev, evlen);
		e->gen++;
		e->flags &= ~F_INFLIGHT;
		c->busy--;
		pthread_cond_broadcast(sts_lru_stripe(&c->done_for, e->hash));
	}
	if (c->busy == 0)
		pthread_cond_broadcast(&c->idle);
	pthread_mutex_unlock(&c->lock);
	return lvl;
}
