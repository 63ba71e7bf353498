/*
 * sts_engine_jobs.c - the engine's threads.  Cache workers take jobs
 * from the cache's queue (sts_cache_take_job), discover the _mta-sts
 * record and fetch the policy through the source with no lock held, and
 * hand the result back (sts_cache_complete, which applies the RFC 8461
 * section 3-5 cache rules).  While a worker fetches a domain's policy, a
 * short-lived helper gathers that domain's next-hop state and, for a
 * domain the recipient door asked about, probes its
 * first MX host, so the first answer does not wait for TXT, HTTPS, MX,
 * TLSA and the probe in series.  The maintenance thread saves the state file
 * and sweeps for due refreshes.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sts_engine_int.h"
#include "sts_lru.h"

static bool
due(const struct timespec *t0, unsigned secs)
{
	struct timespec t;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long long)(t.tv_sec - t0->tv_sec) * 1000 +
	     (t.tv_nsec - t0->tv_nsec) / 1000000;
	return ms >= (long long)secs * 1000;
}

static uint64_t
us_since(const struct timespec *t0)
{
	struct timespec t;
	long long us;

	clock_gettime(CLOCK_MONOTONIC, &t);
	us = (long long)(t.tv_sec - t0->tv_sec) * 1000000 +
	     (t.tv_nsec - t0->tv_nsec) / 1000;
	return us < 0 ? 0 : (uint64_t)us;
}

struct prefetch {
	struct sts_engine *e;
	bool ahead; /* and probe the first MX host (a first lookup
		     * of the recipient door) */
	char domain[STS_DOMAIN_BUFSZ];
};

static void *
prefetch_main(void *arg)
{
	struct prefetch *p = arg;
	struct sts_engine *e = p->e;
	struct sts_source_mx *m = malloc(sizeof(*m));
	enum sts_dane_state dane[STS_MAX_MX];
	struct timespec t0;
	unsigned budget = 2 * e->conf.dns_timeout_ms + e->conf.fetch_timeout_ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (m != NULL &&
	    sts_engine_nexthop_get(e, p->domain, &t0, budget, m, dane) &&
	    p->ahead)
		sts_engine_nexthop_probe_ahead(
			e, m, dane, &t0, budget + e->conf.probe_timeout_ms);
	free(m);
	free(p);
	pthread_mutex_lock(&e->hlp_lock);
	e->helpers--;
	pthread_cond_broadcast(&e->hlp_cond);
	pthread_mutex_unlock(&e->hlp_lock);
	return NULL;
}

/* Gather the next-hop state of a domain whose policy is being fetched,
 * at the same time as the fetch, so that the first answer does not wait
 * for TXT, HTTPS, MX and TLSA strictly in series (the caller waiting
 * for the policy then finds the state cached or in flight), and probes
 * (first lookups) the first MX host ahead of the policy
 * (sts_engine_nexthop_probe_ahead).  At most 2 * `workers` helpers at
 * once (one per worker, and room for those whose fetch ended first);
 * beyond that the caller looks it up itself, as without this.  (Looking
 * the policy host's addresses up beside the TXT query was measured too
 * and dropped: bench/analysis.md, cold path.) */
static void
prefetch_start(struct sts_engine *e, const char *domain, bool ahead)
{
	struct prefetch *p;
	pthread_attr_t at;
	pthread_t t;
	bool go;

	if (e->relay_literal)
		return;
	pthread_mutex_lock(&e->hlp_lock);
	go = e->helpers < 2 * e->conf.workers;
	if (go)
		e->helpers++;
	pthread_mutex_unlock(&e->hlp_lock);
	if (!go)
		return;
	p = malloc(sizeof(*p));
	if (p != NULL) {
		p->e = e;
		p->ahead = ahead;
		memcpy(p->domain, domain, strlen(domain) + 1);
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, prefetch_main, p) == 0) {
			pthread_attr_destroy(&at);
			return;
		}
		pthread_attr_destroy(&at);
		free(p);
	}
	pthread_mutex_lock(&e->hlp_lock);
	e->helpers--;
	pthread_cond_broadcast(&e->hlp_cond);
	pthread_mutex_unlock(&e->hlp_lock);
}

void
sts_engine_jobs_rcpt_mark(struct sts_engine *e, const char *dom)
{
	uint32_t h = sts_lru_hash(dom);

	pthread_mutex_lock(&e->hlp_lock);
	e->rcpt_ring[e->rcpt_next++ % STS_RCPT_RING] = h;
	pthread_mutex_unlock(&e->hlp_lock);
}

/* Did the recipient door ask about dom lately?  (A hash collision costs
 * one probe nobody waits for; a domain pushed out of the ring by 64
 * newer ones is probed after its fetch instead, as with `Probe no`
 * ahead.) */
static bool
rcpt_asked(struct sts_engine *e, const char *dom)
{
	uint32_t h = sts_lru_hash(dom);
	bool found = false;

	pthread_mutex_lock(&e->hlp_lock);
	for (unsigned i = 0; i < STS_RCPT_RING && !found; i++)
		found = e->rcpt_ring[i] == h;
	pthread_mutex_unlock(&e->hlp_lock);
	return found;
}

void
sts_engine_jobs_discover(struct sts_engine *e, const struct sts_cache_job *job,
			 struct sts_cache_result *res)
{
	struct sts_record rec;
	struct timespec t0;

	memset(&rec, 0, sizeof(rec));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res->disc =
		e->src.discover(e->src.arg, job->domain, e->conf.dns_timeout_ms,
				&rec, res->why, sizeof(res->why));
	sts_met_observe(&e->met.txt_lat, us_since(&t0));
	if ((unsigned)res->disc < STS_STATUS_COUNT)
		sts_met_inc(&e->met.txt[res->disc]);
	if (res->disc == STS_OK)
		memcpy(res->id, rec.id, sizeof(res->id));
}

bool
sts_engine_jobs_need_fetch(const struct sts_cache_job *job,
			   const struct sts_cache_result *res)
{
	/* E2: a recheck with the same id needs no fetch; C8: nor one that
	 * finds the id whose fetch failed (a new id is fetched at once) */
	return res->disc == STS_OK &&
	       (job->kind != STS_JOB_RECHECK ||
		((!job->have_policy || strcmp(job->id, res->id) != 0) &&
		 sts_cache_id_hash(res->id) != job->bad_id));
}

void
sts_engine_jobs_fetch(struct sts_engine *e, const struct sts_cache_job *job,
		      struct sts_cache_result *res, struct sts_policy **pol)
{
	struct timespec t0;

	res->fetched = true;
	res->rpt = STS_RPT_NONE;
	/* only a first lookup asked by the recipient door has a recipient
	 * waiting for the probe: a map lookup never uses one, and a probe
	 * beside its fetch only competes with the fetch's handshake for the
	 * CPU (bench/analysis.md, cold path); a refresh leaves probes to
	 * their own cache lifetime */
	prefetch_start(e, job->domain,
		       job->kind == STS_JOB_FULL && rcpt_asked(e, job->domain));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res->fetch =
		e->src.fetch(e->src.arg, job->domain, e->conf.fetch_timeout_ms,
			     pol, &res->rpt, res->why, sizeof(res->why));
	sts_met_observe(&e->met.fetch_lat, us_since(&t0));
	if (res->fetch == STS_OK && *pol == NULL)
		res->fetch = sts_why(res->why, sizeof(res->why), STS_NOMEM,
				     "no policy returned");
	res->policy = *pol;
}

static void *worker_loop(struct sts_engine *e, bool cached_only);

/* The last worker (when there are several) takes jobs of cached
 * policies only: refreshes and TXT id rechecks, which a lookup about to
 * fail may be waiting for (RFC 8461 5.1 step 3), never wait behind a
 * flood of first-time lookups (sts_cache.h: the job queues). */
static void *
worker_hi_main(void *arg)
{
	return worker_loop(arg, true);
}

static void *
worker_main(void *arg)
{
	return worker_loop(arg, false);
}

static void *
worker_loop(struct sts_engine *e, bool cached_only)
{
	struct sts_cache_job job;
	struct sts_cache_result res;
	struct sts_policy *pol;
	char ev[STS_WHY_MAX * 2];
	int lvl;

	while (sts_cache_take_job(e->cache, cached_only, &job)) {
		memset(&res, 0, sizeof(res));
		pol = NULL;
		if ((unsigned)job.kind < 3)
			sts_met_inc(&e->met.jobs[job.kind]);
		if (e->shared != NULL) {
			sts_engine_shared_job(e, &job, &res, &pol);
		} else {
			sts_engine_jobs_discover(e, &job, &res);
			if (sts_engine_jobs_need_fetch(&job, &res))
				sts_engine_jobs_fetch(e, &job, &res, &pol);
		}
		/* a policy from the shared tier is not this node's fetch */
		if (res.fetched && !res.shared &&
		    (unsigned)res.fetch < STS_STATUS_COUNT)
			sts_met_inc(&e->met.fetch[res.fetch]);
		lvl = sts_cache_complete(e->cache, &job, &res, ev, sizeof(ev));
		sts_policy_free(pol);
		sts_engine_emit(e, (enum sts_event_level)lvl, job.domain, ev);
	}
	return NULL;
}

/* --- maintenance thread ------------------------------------------------- */

static void *
maint_main(void *arg)
{
	struct sts_engine *e = arg;
	struct timespec last_save, last_sweep, dl;
	char why[STS_WHY_MAX];

	/* Intervals are measured on CLOCK_MONOTONIC (maint_cond waits on
	 * that clock too), never by counting wake-ups: a spurious or early
	 * wake-up must not make a sweep or a save come sooner. */
	clock_gettime(CLOCK_MONOTONIC, &last_save);
	last_sweep = last_save;
	pthread_mutex_lock(&e->maint_lock);
	while (!e->maint_stop) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += 1;
		(void)pthread_cond_timedwait(&e->maint_cond, &e->maint_lock,
					     &dl);
		if (e->maint_stop)
			break;
		pthread_mutex_unlock(&e->maint_lock);
		if (e->conf.sweep_interval > 0 &&
		    due(&last_sweep, e->conf.sweep_interval)) {
			clock_gettime(CLOCK_MONOTONIC, &last_sweep);
			sts_cache_sweep(e->cache);
		}
		if (e->state_file != NULL && e->conf.save_interval > 0 &&
		    due(&last_save, e->conf.save_interval)) {
			clock_gettime(CLOCK_MONOTONIC, &last_save);
			(void)sts_engine_save(e, why, sizeof(why));
		}
		pthread_mutex_lock(&e->maint_lock);
	}
	pthread_mutex_unlock(&e->maint_lock);
	return NULL;
}

enum sts_status
sts_engine_jobs_start(struct sts_engine *e, char *why, size_t whylen)
{
	unsigned i;

	e->worker = calloc(e->conf.workers, sizeof(*e->worker));
	if (e->worker == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return STS_TEMPFAIL;
	}
	for (i = 0; i < e->conf.workers; i++) {
		if (pthread_create(&e->worker[i], NULL,
				   i + 1 == e->conf.workers && i > 0
					   ? worker_hi_main
					   : worker_main,
				   e) != 0)
			break;
		e->nworkers++;
	}
	if (e->nworkers == 0) {
		return sts_why(why, whylen, STS_TEMPFAIL,
			       "cannot start workers: %s", strerror(errno));
	}
	if (pthread_create(&e->maint, NULL, maint_main, e) == 0)
		e->maint_started = true;
	return STS_OK;
}

void
sts_engine_jobs_stop(struct sts_engine *e)
{
	unsigned i;

	if (e->maint_started) {
		pthread_mutex_lock(&e->maint_lock);
		e->maint_stop = true;
		pthread_cond_signal(&e->maint_cond);
		pthread_mutex_unlock(&e->maint_lock);
		pthread_join(e->maint, NULL);
	}
	if (e->cache != NULL)
		sts_cache_stop(e->cache);
	for (i = 0; i < e->nworkers; i++)
		pthread_join(e->worker[i], NULL);
	/* helpers end by their own DNS (and probe) deadlines */
	pthread_mutex_lock(&e->hlp_lock);
	while (e->helpers > 0)
		pthread_cond_wait(&e->hlp_cond, &e->hlp_lock);
	pthread_mutex_unlock(&e->hlp_lock);
}
