/*
 * sts_engine_shared.c - the shared tier's part in a cache job, and the
 * announcements it hears (sts_shared.h; doc/fleet.md).
 *
 * A worker with the shared tier on runs a job like this:
 *   local miss (nothing usable cached):
 *     1. read the shared entry; if the fleet checked the TXT id within
 *        `recheck` seconds (a negative answer: within negative_ttl) and
 *        the policy has not expired, use it: no TXT query, no fetch.  A
 *        shared entry is a cached policy like one from the state file:
 *        RFC 8461 5.1 lets a sender use a cached, unexpired policy, and
 *        the TXT check it skips is one another node made moments ago.
 *     2. otherwise take the fleet lock (SET NX PX) and read the entry
 *        once more (the holder may have finished in between); if another
 *        node holds it, poll for its result (or for the lock to come
 *        free) until the lock would expire, then go on alone;
 *     3. discover; the same id as a stale shared entry: its policy is
 *        current (E2), no fetch; a new id: fetch;
 *     4. write the result (a policy, or "no policy" on NOTFOUND) and
 *        announce it; release the lock.
 *   recheck / refresh of a cached policy: discover as always; when a
 *   fetch is needed (new id, or refresh due) steps 1-4 with "the same id
 *   as just discovered" as the test of a usable shared entry (and, for a
 *   refresh, fetched recently enough that its own refresh is not due).
 * Redis down or refusing: every shared call returns TEMPFAIL quickly and
 * the job runs exactly as without the tier.  Failed fetches, invalid
 * records and DNS failures are never written: they stay per node (C8
 * back-off per node), and never replace anything (E3).
 *
 * Announcements: a policy another node wrote goes into the first tier
 * with sts_cache_insert(), which keeps the newer of the two by fetch
 * time: a new id, or mode none, replaces the local copy at once (E4); an
 * older one changes nothing.  Negative announcements are ignored (E3: a
 * vanished TXT record never replaces a valid policy; a node without the
 * domain finds the negative entry on its own miss).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sts_engine_int.h"

static void
shared_event(void *arg, int lvl, const char *msg)
{
	sts_engine_emit(arg, lvl >= 2 ? STS_EV_WARNING : STS_EV_INFO, NULL,
			msg);
}

static void
announce(void *arg, const char *domain, const struct sts_shentry *ent)
{
	struct sts_engine *e = arg;
	struct sts_cache_record r;

	if (ent->none || ent->policy == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.domain = domain;
	r.id = ent->id;
	r.mode = ent->policy->mode;
	r.max_age = ent->policy->max_age;
	r.fetched_at = (time_t)ent->fetched;
	r.expires_at = (time_t)ent->fetched + (time_t)ent->policy->max_age;
	r.n_mx = ent->policy->n_mx;
	r.mx = (const char *const *)ent->policy->mx;
	if (sts_cache_insert(e->cache, &r) == STS_OK) {
		char msg[STS_WHY_MAX];

		snprintf(msg, sizeof(msg),
			 "shared cache announced id=%s mode=%s max_age=%u "
			 "mx=%zu (kept if newer than the cached one)",
			 ent->id, sts_mode_str(r.mode), r.max_age, r.n_mx);
		sts_engine_emit(e, STS_EV_DEBUG, domain, msg);
	}
}

enum sts_status
sts_engine_shared_start(struct sts_engine *e, const struct sts_engine_conf *c,
			char *why, size_t whylen)
{
	struct sts_shared_conf sc;

	if (c->shared_cache == NULL || c->shared_cache[0] == '\0')
		return STS_OK;
	memset(&sc, 0, sizeof(sc));
	sc.url = c->shared_cache;
	sc.password = c->shared_password;
	sc.timeout_ms = c->shared_timeout_ms;
	sc.conns = e->conf.workers + 1; /* + the subscriber's reads */
	sc.announce = announce;
	sc.event = shared_event;
	sc.arg = e;
	sc.now = c->now;
	sc.now_arg = c->now_arg;
	e->shared = sts_shared_new(&sc, why, whylen);
	return e->shared != NULL ? STS_OK : STS_INVALID;
}

void
sts_engine_shared_stop(struct sts_engine *e)
{
	sts_shared_free(e->shared);
	e->shared = NULL;
}

/* --- one job ------------------------------------------------------------- */

/* Usable without a TXT query of our own: checked recently by the fleet. */
static bool
fresh(const struct sts_engine *e, const struct sts_shentry *s, time_t now)
{
	unsigned win = s->none ? e->conf.negative_ttl : e->conf.recheck;

	return s->checked <= (int64_t)now + STS_SHENTRY_SKEW &&
	       (int64_t)now - s->checked < (int64_t)win;
}

/* For a refresh: fetched so recently that its own refresh is not due. */
static bool
recent(const struct sts_engine *e, const struct sts_shentry *s, time_t now)
{
	uint64_t iv = s->policy->max_age / 2;

	if (iv > e->conf.refresh_max)
		iv = e->conf.refresh_max;
	return (int64_t)now - s->fetched < (int64_t)(iv * 9 / 10);
}

/* Fill the job's result from a shared entry (takes over its policy). */
static void
use(struct sts_cache_result *res, struct sts_shentry *s,
    struct sts_policy **pol, time_t now)
{
	res->shared = true;
	if (s->none) {
		res->disc = STS_NOTFOUND;
		snprintf(res->why, sizeof(res->why),
			 "no policy (shared cache: checked %llds ago)",
			 (long long)(now - s->checked));
		return;
	}
	res->disc = STS_OK;
	memcpy(res->id, s->id, sizeof(res->id));
	res->fetched = true;
	res->fetch = STS_OK;
	res->rpt = STS_RPT_NONE;
	res->fetched_at = (time_t)s->fetched;
	*pol = s->policy;
	s->policy = NULL;
	res->policy = *pol;
	res->why[0] = '\0';
}

enum claim { LOCKED, ALONE, DONE, STOPPING };

/* The engine is shutting down (sts_engine_jobs_stop sets maint_stop
 * first): a worker waiting for another node's fetch stops waiting. */
static bool
stopping(struct sts_engine *e)
{
	bool s;

	pthread_mutex_lock(&e->maint_lock);
	s = e->maint_stop;
	pthread_mutex_unlock(&e->maint_lock);
	return s;
}

/* Take the fleet lock, or wait for the node that holds it. */
static enum claim
claim(struct sts_engine *e, const struct sts_cache_job *job,
      const char *want_id, struct sts_cache_result *res,
      struct sts_policy **pol, char *token)
{
	unsigned ttl =
		2 * e->conf.dns_timeout_ms + e->conf.fetch_timeout_ms + 1000;
	struct timespec t0, nap = {0, 50 * 1000000L};
	struct sts_shentry s;
	char why[STS_WHY_MAX];
	enum sts_status st;
	time_t now;

	bool locked;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		st = sts_shared_lock(e->shared, job->domain, ttl, token);
		locked = st == STS_OK;
		if (!locked &&
		    (st != STS_NOTFOUND || sts_engine_ms_since(&t0) > ttl))
			return ALONE;
		if (!locked) {
			if (stopping(e)) {
				sts_why(res->why, sizeof(res->why),
					STS_TEMPFAIL, "shutting down");
				res->disc = STS_TEMPFAIL;
				return STOPPING;
			}
			nanosleep(&nap, NULL);
		}
		/* also right after taking the lock: the node that held it
		 * may have written its result between our first read and
		 * our SET NX */
		st = sts_shared_get(e->shared, job->domain, &s, why,
				    sizeof(why));
		now = sts_cache_now(e->cache);
		if (st == STS_OK &&
		    (want_id == NULL ? fresh(e, &s, now)
				     : !s.none && strcmp(s.id, want_id) == 0)) {
			use(res, &s, pol, now);
			if (locked)
				sts_shared_unlock(e->shared, job->domain,
						  token);
			return DONE;
		}
		sts_shentry_clear(&s);
		if (locked)
			return LOCKED;
		if (st == STS_TEMPFAIL)
			return ALONE;
	}
}

/* Write what this node learnt: a fetched policy, or "no policy". */
static void
publish(struct sts_engine *e, const struct sts_cache_job *job,
	const struct sts_cache_result *res, time_t now)
{
	struct sts_shentry s;
	int64_t left;

	memset(&s, 0, sizeof(s));
	s.fetched = s.checked = now;
	if (res->disc == STS_OK && res->fetched && res->fetch == STS_OK &&
	    res->policy != NULL) {
		memcpy(s.id, res->id, sizeof(s.id));
		s.policy = (struct sts_policy *)res->policy;
		if (res->shared && res->fetched_at > 0) /* E2 above */
			s.fetched = res->fetched_at;
		left = s.fetched + (int64_t)res->policy->max_age - now;
		if (left > 0)
			(void)sts_shared_put(e->shared, job->domain, &s,
					     (unsigned)left);
	} else if (res->disc == STS_NOTFOUND && !res->shared &&
		   !job->have_policy) {
		s.none = true;
		(void)sts_shared_put(e->shared, job->domain, &s,
				     e->conf.negative_ttl);
	}
}

void
sts_engine_shared_job(struct sts_engine *e, const struct sts_cache_job *job,
		      struct sts_cache_result *res, struct sts_policy **pol)
{
	struct sts_shentry s;
	char why[STS_WHY_MAX], token[STS_SHARED_TOKEN];
	enum sts_status st = STS_TEMPFAIL;
	enum claim cl = ALONE;
	time_t now = sts_cache_now(e->cache);
	bool need;

	memset(&s, 0, sizeof(s));
	/* A FULL job whose entry got a policy after it was queued (the
	 * fleet's announcement of that same fetch, usually) is still a
	 * first lookup: the tier first, no TXT query of ours when the
	 * fleet checked it recently (seen in test_shared under load) */
	if (!job->have_policy || job->kind == STS_JOB_FULL) {
		st = sts_shared_get(e->shared, job->domain, &s, why,
				    sizeof(why));
		if (st == STS_OK && fresh(e, &s, now)) {
			use(res, &s, pol, now);
			goto out;
		}
		if (st != STS_TEMPFAIL) {
			cl = claim(e, job, NULL, res, pol, token);
			if (cl == DONE || cl == STOPPING)
				goto out;
		}
		sts_engine_jobs_discover(e, job, res);
		if (res->disc == STS_OK && st == STS_OK && !s.none &&
		    s.policy != NULL && strcmp(s.id, res->id) == 0) {
			/* E2: the stored policy still has the current id:
			 * use it (keeping the fleet's fetch time, so it
			 * expires when it would have) and store the new
			 * checked time */
			use(res, &s, pol, now);
		} else if (res->disc != STS_OK && st == STS_OK && !s.none &&
			   s.policy != NULL) {
			/* E3: a vanished, invalid or unresolvable TXT record
			 * never replaces a valid cached policy -- the
			 * fleet's either: use it, and overwrite nothing */
			use(res, &s, pol, now);
			goto out;
		} else if (sts_engine_jobs_need_fetch(job, res)) {
			sts_engine_jobs_fetch(e, job, res, pol);
		}
		publish(e, job, res, now); /* kept for later if Redis is down */
		goto out;
	}
	/* a recheck or refresh of a cached policy */
	sts_engine_jobs_discover(e, job, res);
	need = sts_engine_jobs_need_fetch(job, res);
	if (!need)
		goto out;
	st = sts_shared_get(e->shared, job->domain, &s, why, sizeof(why));
	if (st == STS_OK && !s.none && strcmp(s.id, res->id) == 0 &&
	    (job->kind == STS_JOB_RECHECK || recent(e, &s, now))) {
		use(res, &s, pol, now);
		goto out;
	}
	sts_shentry_clear(&s);
	if (st != STS_TEMPFAIL) {
		char id[STS_MAX_ID + 1];

		memcpy(id, res->id, sizeof(id));
		cl = claim(e, job, id, res, pol, token);
		if (cl == DONE || cl == STOPPING)
			goto out;
	}
	sts_engine_jobs_fetch(e, job, res, pol);
	publish(e, job, res, now);
out:
	if (cl == LOCKED)
		sts_shared_unlock(e->shared, job->domain, token);
	sts_shentry_clear(&s);
}
