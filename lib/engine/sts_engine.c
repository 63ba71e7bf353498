/*
 * sts_engine.c - the policy engine object: its configuration defaults,
 * sts_engine_new()/_free(), administration (override reload, state-file
 * save, statistics) and the helpers the other sts_engine_*.c files share
 * (sts_engine_int.h says which file does what).  The contract is
 * sts_engine.h.
 *
 * Threads: `workers` background threads take jobs from the cache's
 * queue, do the network work through the source with no lock held, and
 * hand the result back; one maintenance thread saves the state file
 * every save_interval and sweeps for due refreshes every
 * sweep_interval (sts_engine_jobs.c).  Next-hop state (MX set, DNSSEC,
 * TLSA per MX) and probe results come from the hop cache (sts_hopcache,
 * sts_engine_nexthop.c); when missing or expired, the caller of
 * _check/_lookup looks them up itself, bounded by its deadline
 * (single-flight: others wait for it), or a short-lived helper thread
 * does so while a worker fetches that domain's policy (at most
 * `workers` helpers at once; _free waits for them).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_domain.h"
#include "sts_engine_int.h"
#include "sts_nexthop.h"
#include "sts_persist.h"
#include "sts_sock.h"

void
sts_engine_conf_defaults(struct sts_engine_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->dns_timeout_ms = 5000;
	c->fetch_timeout_ms = 5000;
	c->probe_timeout_ms = 10000;
	c->probe_cache_ttl = 600;
	c->cache_max = 100000;
	c->negative_ttl = 300;
	c->failure_backoff = 300;
	c->workers = 4;
	c->recheck = 60;
	c->refresh_max = 86400;
	c->save_interval = 300;
	c->sweep_interval = 60;
	c->react.enforce_failure = STS_VERDICT_DEFER;
	c->react.testing_failure = STS_VERDICT_TAG;
	c->react.temp_error = STS_VERDICT_TAG;
	c->react.dnssec_bogus = STS_VERDICT_DEFER;
	c->react.null_mx = STS_VERDICT_PASS;
}

void
sts_engine_emit(struct sts_engine *e, enum sts_event_level lvl,
		const char *domain, const char *msg)
{
	if (e->conf.event != NULL && msg[0] != '\0')
		e->conf.event(e->conf.event_arg, lvl, domain, msg);
}

unsigned
sts_engine_ms_since(const struct timespec *t0)
{
	struct timespec t;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long long)(t.tv_sec - t0->tv_sec) * 1000 +
	     (t.tv_nsec - t0->tv_nsec) / 1000000;
	return ms < 0 ? 0 : (unsigned)ms;
}

/* --- set-up and tear-down ---------------------------------------------- */

/* RFC 8461 section 3.4: with a smart host the policy domain is the smart
 * host's.  Postfix forms (sts_nexthop.h); brackets mean "this host, no MX
 * lookup". */
static enum sts_status
parse_relay(struct sts_engine *e, const char *rh, char *why, size_t whylen)
{
	char buf[STS_MAX_DOMAIN_INPUT + 1], w[STS_WHY_MAX];
	enum sts_status st;

	st = sts_nexthop_parse(rh, buf, sizeof(buf), &e->relay_literal, w,
			       sizeof(w));
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID, "relayhost %s: %s", rh,
			       w);
	st = sts_domain_normalize(buf, e->relay, why, whylen);
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID,
			       "relayhost %s: not a host name", rh);
	return STS_OK;
}

static void
persist_warn(void *arg, const char *msg)
{
	sts_engine_emit(arg, STS_EV_WARNING, NULL, msg);
}

static char *
dup_opt(const char *s, bool *fail)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = true;
	return d;
}

struct sts_engine *
sts_engine_new(const struct sts_engine_conf *c, const struct sts_source *src,
	       char *why, size_t whylen)
{
	struct sts_engine *e;
	struct sts_cache_conf cc;
	struct sts_persist_report rep;
	pthread_condattr_t ca;
	bool fail = false;
	enum sts_status st;
	char msg[STS_WHY_MAX];

	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		if (src->free != NULL)
			src->free(src->arg);
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return NULL;
	}
	e->conf = *c;
	e->src = *src;
	pthread_mutex_init(&e->ov_lock, NULL);
	pthread_mutex_init(&e->save_lock, NULL);
	pthread_mutex_init(&e->maint_lock, NULL);
	pthread_mutex_init(&e->hlp_lock, NULL);
	pthread_cond_init(&e->hlp_cond, NULL);
	/* the maintenance thread's deadlines are CLOCK_MONOTONIC */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->maint_cond, &ca);
	pthread_condattr_destroy(&ca);
	e->state_file = dup_opt(c->state_file, &fail);
	e->override_file = dup_opt(c->override_file, &fail);
	/* the conf's other strings belong to the resolver/fetcher set-up */
	e->conf.state_file = e->state_file;
	e->conf.override_file = e->override_file;
	e->conf.relayhost = NULL;
	e->conf.trust_anchor_file = e->conf.unbound_conf = NULL;
	e->conf.resolv_conf = e->conf.forwarders = e->conf.ca_file = NULL;
	e->conf.shared_cache = e->conf.shared_password =
		NULL; /* used in _new */
	if (fail) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		goto bad;
	}
	if (e->conf.failure_backoff < 300)
		e->conf.failure_backoff = 300; /* C8 */
	if (e->conf.workers == 0)
		e->conf.workers = 1;
	if (c->relayhost != NULL && c->relayhost[0] != '\0' &&
	    parse_relay(e, c->relayhost, why, whylen) != STS_OK)
		goto bad;
	memset(&cc, 0, sizeof(cc));
	cc.max = c->cache_max;
	cc.negative_ttl = c->negative_ttl;
	cc.failure_backoff = e->conf.failure_backoff;
	cc.recheck = c->recheck;
	cc.queue_max = c->queue_max;
	cc.refresh_max = c->refresh_max;
	cc.now = c->now;
	cc.now_arg = c->now_arg;
	e->cache = sts_cache_new(&cc);
	e->hops = sts_hopcache_new(c->cache_max);
	if (e->conf.probe_cache_ttl == 0)
		e->conf.probe_cache_ttl = 600;
	if (e->cache == NULL || e->hops == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		goto bad;
	}
	if (e->override_file != NULL) {
		st = sts_override_load(e->override_file, &e->ov, why, whylen);
		if (st != STS_OK)
			goto bad;
	}
	if (e->state_file != NULL) {
		st = sts_persist_load(e->cache, e->state_file, &rep,
				      persist_warn, e, msg, sizeof(msg));
		/* never fatal: a bad state file costs fetches, not service */
		if (st != STS_NOTFOUND)
			sts_engine_emit(e,
					st == STS_OK && rep.dropped == 0
						? STS_EV_INFO
						: STS_EV_WARNING,
					NULL, msg);
	}
	/* the state file seeds the first tier; the shared tier is only
	 * asked on a miss or a refresh (doc/fleet.md) */
	if (sts_engine_shared_start(e, c, why, whylen) != STS_OK)
		goto bad;
	if (sts_engine_jobs_start(e, why, whylen) != STS_OK)
		goto bad;
	return e;
bad:
	sts_engine_free(e);
	return NULL;
}

void
sts_engine_free(struct sts_engine *e)
{
	char why[STS_WHY_MAX];

	if (e == NULL)
		return;
	sts_engine_jobs_stop(e);
	sts_engine_shared_stop(e);
	if (e->cache != NULL && e->state_file != NULL)
		(void)sts_engine_save(e, why, sizeof(why));
	free(e->worker);
	sts_cache_free(e->cache);
	sts_hopcache_free(e->hops);
	sts_override_unref(e->ov);
	if (e->src.free != NULL)
		e->src.free(e->src.arg);
	free(e->state_file);
	free(e->override_file);
	pthread_cond_destroy(&e->hlp_cond);
	pthread_mutex_destroy(&e->hlp_lock);
	pthread_cond_destroy(&e->maint_cond);
	pthread_mutex_destroy(&e->maint_lock);
	pthread_mutex_destroy(&e->save_lock);
	pthread_mutex_destroy(&e->ov_lock);
	free(e);
}

struct sts_override *
sts_engine_overrides(struct sts_engine *e)
{
	struct sts_override *t;

	pthread_mutex_lock(&e->ov_lock);
	t = sts_override_ref(e->ov);
	pthread_mutex_unlock(&e->ov_lock);
	return t;
}

bool
sts_engine_policy_domain(struct sts_engine *e, const char *raw, char *dom,
			 char *why, size_t whylen)
{
	enum sts_status st;

	if (raw == NULL || raw[0] == '\0') {
		sts_why(why, whylen, STS_NOTFOUND, "no domain");
		return false;
	}
	if (e->relay[0] != '\0') {
		/* RFC 8461 3.4: with a smart host every message goes there,
		 * so the smart host's domain is the policy domain for every
		 * recipient, address literals included */
		memcpy(dom, e->relay, strlen(e->relay) + 1);
		return true;
	}
	if (strlen(raw) > STS_MAX_DOMAIN_INPUT) {
		sts_why(why, whylen, STS_INVALID, "domain too long");
		return false;
	}
	st = sts_domain_normalize(raw, dom, why, whylen);
	if (st == STS_NOTFOUND) {
		sts_why(why, whylen, st, "address literal: no policy");
		return false;
	}
	return st == STS_OK;
}

unsigned
sts_engine_left(const struct timespec *t0, unsigned deadline_ms)
{
	unsigned used = sts_engine_ms_since(t0);

	return used >= deadline_ms ? 0 : deadline_ms - used;
}

/* --- administration --------------------------------------------------------
 */

enum sts_status
sts_engine_reload_overrides(struct sts_engine *e, char *why, size_t whylen)
{
	struct sts_override *t = NULL, *old;
	enum sts_status st;

	if (e->override_file == NULL)
		return sts_why(why, whylen, STS_OK, "no override file");
	st = sts_override_load(e->override_file, &t, why, whylen);
	if (st != STS_OK)
		return st; /* keep the old table */
	pthread_mutex_lock(&e->ov_lock);
	old = e->ov;
	e->ov = t;
	pthread_mutex_unlock(&e->ov_lock);
	sts_override_unref(old);
	return sts_why(why, whylen, STS_OK, "%s: %zu rules", e->override_file,
		       sts_override_count(t));
}

enum sts_status
sts_engine_save(struct sts_engine *e, char *why, size_t whylen)
{
	enum sts_status st;
	struct timespec t0;
	size_t n = 0;

	if (e->state_file == NULL)
		return sts_why(why, whylen, STS_OK, "no state file");
	pthread_mutex_lock(&e->save_lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = sts_persist_save(e->cache, e->state_file, &n, why, whylen);
	sts_met_observe(&e->met.save_lat,
			(uint64_t)sts_engine_ms_since(&t0) * 1000);
	pthread_mutex_unlock(&e->save_lock);
	sts_met_inc(&e->met.saves);
	if (st != STS_OK) {
		sts_met_inc(&e->met.save_failures);
		sts_engine_emit(e, STS_EV_ERROR, NULL, why);
	}
	return st;
}

void
sts_engine_stats(struct sts_engine *e, struct sts_engine_stats *out)
{
	struct sts_cache_stats cs;

	sts_cache_stats(e->cache, &cs);
	out->lookups = cs.lookups;
	out->hits = cs.hits;
	out->misses = cs.misses;
	out->negative_hits = cs.negative_hits;
	out->txt_queries = cs.txt_queries;
	out->fetches = cs.fetches;
	out->fetch_failures = cs.fetch_failures;
	out->evictions = cs.evictions;
	out->queue_full = cs.queue_full;
	out->queued = cs.queued;
	out->mx_queries = __atomic_load_n(&e->n_mx, __ATOMIC_RELAXED);
	out->probes = __atomic_load_n(&e->n_probe, __ATOMIC_RELAXED);
	out->entries = cs.entries;
	out->shared_gets = out->shared_hits = out->shared_writes = 0;
	out->shared_errors = out->shared_invalid = 0;
	out->shared_announcements = 0;
	out->shared_up = false;
	if (e->shared != NULL) {
		struct sts_shared_stats ss;

		sts_shared_stats(e->shared, &ss);
		out->shared_gets = ss.gets;
		out->shared_hits = ss.hits;
		out->shared_writes = ss.writes;
		out->shared_errors = ss.errors;
		out->shared_invalid = ss.invalid;
		out->shared_announcements = ss.announcements;
		out->shared_up = ss.up;
	}
}

size_t
sts_engine_maintain(struct sts_engine *e)
{
	return sts_cache_sweep(e->cache);
}

bool
sts_engine_idle_wait(struct sts_engine *e, unsigned timeout_ms)
{
	struct timespec t0, dl;
	bool idle;
	unsigned l;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!sts_cache_idle_wait(e->cache, timeout_ms))
		return false;
	/* the next-hop/probe helpers of sts_engine_jobs.c count too: a
	 * helper still running would change state behind the caller */
	l = sts_engine_left(&t0, timeout_ms);
	dl = sts_abstime_ms(CLOCK_REALTIME, l);
	pthread_mutex_lock(&e->hlp_lock);
	while (e->helpers > 0 && rc == 0)
		rc = pthread_cond_timedwait(&e->hlp_cond, &e->hlp_lock, &dl);
	idle = e->helpers == 0;
	pthread_mutex_unlock(&e->hlp_lock);
	return idle;
}
