/*
 * sts_engine.c - the policy engine: wires the cache (sts_cache), the
 * background workers, the source (sts_source), the override table
 * (sts_override), the state file (sts_persist) and the verdict
 * (sts_verdict) together.  See sts_engine.h for the contract.
 *
 * Threads: `workers` background threads take jobs from the cache's
 * queue, do the network work through the source with no lock held, and
 * hand the result back; one maintenance thread saves the state file
 * every save_interval and sweeps for due refreshes every
 * sweep_interval.  Next-hop state (MX set, DNSSEC, TLSA per MX) and
 * probe results come from the hop cache (sts_hopcache); when missing or
 * expired, the caller of _check/_lookup looks them up itself, bounded by
 * its deadline (single-flight: others wait for it), or a short-lived
 * helper thread does so while a worker fetches that domain's policy
 * (at most `workers` helpers at once; _free waits for them).
 *
 * Locks: cache->lock (see sts_cache.h), hops->lock (sts_hopcache.h),
 * ov_lock (the override table pointer only: held to take a reference or
 * swap), maint_lock (the maintenance thread's sleep), save_lock (one
 * save at a time), hlp_lock (the helper count).  None is held while
 * another is taken, except save_lock, which is held while
 * sts_cache_foreach takes cache->lock chunk by chunk.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_cache.h"
#include "sts_domain.h"
#include "sts_engine.h"
#include "sts_hopcache.h"
#include "sts_mx.h"
#include "sts_override.h"
#include "sts_persist.h"
#include "sts_source.h"
#include "sts_verdict.h"

struct sts_engine {
	struct sts_engine_conf conf; /* strings below are our copies */
	char *state_file, *override_file;
	char relay[STS_DOMAIN_BUFSZ]; /* relayhost's policy domain, or "" */
	bool relay_literal;	      /* "[host]": no MX lookup */
	struct sts_source src;
	struct sts_cache *cache;
	pthread_t *worker;
	unsigned nworkers;
	pthread_mutex_t ov_lock;
	struct sts_override *ov;
	pthread_mutex_t save_lock;
	pthread_mutex_t maint_lock;
	pthread_cond_t maint_cond;
	bool maint_stop, maint_started;
	pthread_t maint;
	struct sts_hopcache *hops; /* next-hop state and probe results */
	pthread_mutex_t hlp_lock;  /* background next-hop gatherers */
	pthread_cond_t hlp_cond;
	unsigned helpers;
	uint64_t n_mx, n_probe; /* statistics (atomic) */
};

/* Lifetimes of next-hop state (seconds): the MX answer's TTL within
 * [NH_TTL_MIN, NH_TTL_MAX]; NH_TTL_UNKNOWN when the source gives no TTL;
 * NH_TTL_FAIL for bogus or temporary failures (retried soon, but not
 * per message). */
enum {
	NH_TTL_MIN = 60,
	NH_TTL_MAX = 3600,
	NH_TTL_UNKNOWN = 300,
	NH_TTL_FAIL = 30,
};

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
	c->recheck = 900;
	c->refresh_max = 86400;
	c->save_interval = 300;
	c->sweep_interval = 60;
	c->react.enforce_failure = STS_VERDICT_DEFER;
	c->react.testing_failure = STS_VERDICT_TAG;
	c->react.temp_error = STS_VERDICT_TAG;
	c->react.dnssec_bogus = STS_VERDICT_DEFER;
	c->react.null_mx = STS_VERDICT_PASS;
}

static void
emit(struct sts_engine *e, enum sts_event_level lvl, const char *domain,
     const char *msg)
{
	if (e->conf.event != NULL && msg[0] != '\0')
		e->conf.event(e->conf.event_arg, lvl, domain, msg);
}

static unsigned
ms_since(const struct timespec *t0)
{
	struct timespec t;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long long)(t.tv_sec - t0->tv_sec) * 1000 +
	     (t.tv_nsec - t0->tv_nsec) / 1000000;
	return ms < 0 ? 0 : (unsigned)ms;
}

/* Has `secs` seconds passed since t0 (CLOCK_MONOTONIC)? */
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

/* --- background workers ---------------------------------------------- */

static bool next_hop(struct sts_engine *e, const char *dom,
		     const struct timespec *t0, unsigned deadline_ms,
		     struct sts_source_mx *m, enum sts_dane_state *dane);

struct prefetch {
	struct sts_engine *e;
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

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (m != NULL)
		(void)next_hop(e, p->domain, &t0,
			       2 * e->conf.dns_timeout_ms +
				       e->conf.fetch_timeout_ms,
			       m, dane);
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
 * for the policy then finds the state cached or in flight).  At most
 * `workers` such helpers at once; beyond that the caller looks it up
 * itself, as without this. */
static void
prefetch_start(struct sts_engine *e, const char *domain)
{
	struct prefetch *p;
	pthread_attr_t at;
	pthread_t t;
	bool go;

	if (e->relay_literal)
		return;
	pthread_mutex_lock(&e->hlp_lock);
	go = e->helpers < e->conf.workers;
	if (go)
		e->helpers++;
	pthread_mutex_unlock(&e->hlp_lock);
	if (!go)
		return;
	p = malloc(sizeof(*p));
	if (p != NULL) {
		p->e = e;
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

static void *
worker_main(void *arg)
{
	struct sts_engine *e = arg;
	struct sts_cache_job job;
	struct sts_cache_result res;
	struct sts_record rec;
	struct sts_policy *pol;
	char ev[STS_WHY_MAX * 2];
	int lvl;

	while (sts_cache_take_job(e->cache, &job)) {
		memset(&res, 0, sizeof(res));
		memset(&rec, 0, sizeof(rec));
		pol = NULL;
		res.disc = e->src.discover(e->src.arg, job.domain,
					   e->conf.dns_timeout_ms, &rec,
					   res.why, sizeof(res.why));
		if (res.disc == STS_OK) {
			memcpy(res.id, rec.id, sizeof(res.id));
			/* E2: a recheck with the same id needs no fetch */
			if (job.kind != STS_JOB_RECHECK || !job.have_policy ||
			    strcmp(job.id, rec.id) != 0) {
				res.fetched = true;
				res.rpt = STS_RPT_NONE;
				prefetch_start(e, job.domain);
				res.fetch = e->src.fetch(
					e->src.arg, job.domain,
					e->conf.fetch_timeout_ms, &pol,
					&res.rpt, res.why, sizeof(res.why));
				if (res.fetch == STS_OK && pol == NULL)
					res.fetch = sts_why(
						res.why, sizeof(res.why),
						STS_NOMEM,
						"no policy returned");
				res.policy = pol;
			}
		}
		lvl = sts_cache_complete(e->cache, &job, &res, ev, sizeof(ev));
		sts_policy_free(pol);
		emit(e, (enum sts_event_level)lvl, job.domain, ev);
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

/* --- set-up and tear-down ---------------------------------------------- */

/* RFC 8461 section 3.4: with a smart host the policy domain is the smart
 * host's.  Accepts Postfix forms "host", "host:port", "[host]",
 * "[host]:port"; brackets mean "this host, no MX lookup". */
static enum sts_status
parse_relay(struct sts_engine *e, const char *rh, char *why, size_t whylen)
{
	char buf[STS_MAX_DOMAIN_INPUT + 1];
	const char *p = rh;
	size_t n;
	enum sts_status st;

	if (*p == '[') {
		e->relay_literal = true;
		p++;
		n = strcspn(p, "]");
		if (p[n] != ']')
			return sts_why(why, whylen, STS_INVALID,
				       "relayhost %s: missing ]", rh);
	} else {
		n = strcspn(p, ":");
	}
	if (n == 0 || n >= sizeof(buf))
		return sts_why(why, whylen, STS_INVALID,
			       "relayhost %s: bad host", rh);
	memcpy(buf, p, n);
	buf[n] = '\0';
	st = sts_domain_normalize(buf, e->relay, why, whylen);
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID,
			       "relayhost %s: not a host name", rh);
	return STS_OK;
}

static void
persist_warn(void *arg, const char *msg)
{
	emit(arg, STS_EV_WARNING, NULL, msg);
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
sts_engine_new_source(const struct sts_engine_conf *c,
		      const struct sts_source *src, char *why, size_t whylen)
{
	struct sts_engine *e;
	struct sts_cache_conf cc;
	struct sts_persist_report rep;
	pthread_condattr_t ca;
	bool fail = false;
	enum sts_status st;
	char msg[STS_WHY_MAX];
	unsigned i;

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
			emit(e,
			     st == STS_OK && rep.dropped == 0 ? STS_EV_INFO
							      : STS_EV_WARNING,
			     NULL, msg);
	}
	e->worker = calloc(e->conf.workers, sizeof(*e->worker));
	if (e->worker == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		goto bad;
	}
	for (i = 0; i < e->conf.workers; i++) {
		if (pthread_create(&e->worker[i], NULL, worker_main, e) != 0)
			break;
		e->nworkers++;
	}
	if (e->nworkers == 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "cannot start workers: %s",
			strerror(errno));
		goto bad;
	}
	if (pthread_create(&e->maint, NULL, maint_main, e) == 0)
		e->maint_started = true;
	return e;
bad:
	sts_engine_free(e);
	return NULL;
}

/* sts_engine_new() is in sts_source_net.c: it is the wiring of the real
 * source, and keeping it there lets programs that only use
 * sts_engine_new_source() (the unit tests) link without the network
 * modules. */

void
sts_engine_free(struct sts_engine *e)
{
	unsigned i;
	char why[STS_WHY_MAX];

	if (e == NULL)
		return;
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
	/* next-hop helpers end by their own DNS deadlines */
	pthread_mutex_lock(&e->hlp_lock);
	while (e->helpers > 0)
		pthread_cond_wait(&e->hlp_cond, &e->hlp_lock);
	pthread_mutex_unlock(&e->hlp_lock);
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

/* --- the two front doors ------------------------------------------------ */

static struct sts_override *
ov_get(struct sts_engine *e)
{
	struct sts_override *t;

	pthread_mutex_lock(&e->ov_lock);
	t = sts_override_ref(e->ov);
	pthread_mutex_unlock(&e->ov_lock);
	return t;
}

/* Normalise the recipient domain and pick the policy domain.  false:
 * out says why (no policy applies). */
static bool
policy_domain(struct sts_engine *e, const char *raw, char *dom, char *why,
	      size_t whylen)
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

/* The time left of a deadline that started at t0. */
static unsigned
left(const struct timespec *t0, unsigned deadline_ms)
{
	unsigned used = ms_since(t0);

	return used >= deadline_ms ? 0 : deadline_ms - used;
}

/* --- next-hop state: MX set, DNSSEC, TLSA per MX, probes (cached) ---------
 */

/* The packed form of one domain's next-hop state in the hop cache:
 * this header, then n host names and the reason, each NUL-terminated. */
struct nh_hdr {
	uint8_t status, dnssec, null_mx, implicit, n;
	uint8_t dane[STS_MAX_MX];
	uint16_t pref[STS_MAX_MX];
};
#define NH_BUFSZ                                                               \
	(sizeof(struct nh_hdr) + STS_MAX_MX * STS_DOMAIN_BUFSZ + STS_WHY_MAX)

static size_t
nh_pack(const struct sts_source_mx *m, const enum sts_dane_state *dane,
	char *buf)
{
	struct nh_hdr h;
	size_t i, len = sizeof(h), l;

	memset(&h, 0, sizeof(h));
	h.status = (uint8_t)m->status;
	h.dnssec = (uint8_t)m->dnssec;
	h.null_mx = m->null_mx;
	h.implicit = m->implicit;
	h.n = (uint8_t)m->n;
	for (i = 0; i < m->n; i++) {
		h.dane[i] = (uint8_t)dane[i];
		h.pref[i] = m->host[i].pref;
		l = strnlen(m->host[i].name, STS_MAX_DOMAIN);
		memcpy(buf + len, m->host[i].name, l);
		buf[len + l] = '\0';
		len += l + 1;
	}
	l = strnlen(m->why, STS_WHY_MAX - 1);
	memcpy(buf + len, m->why, l);
	buf[len + l] = '\0';
	len += l + 1;
	memcpy(buf, &h, sizeof(h));
	return len;
}

/* false if buf is not a value nh_pack made (never expected) */
static bool
nh_unpack(const char *buf, size_t len, struct sts_source_mx *m,
	  enum sts_dane_state *dane)
{
	struct nh_hdr h;
	size_t i, off = sizeof(h), l;

	if (len < sizeof(h))
		return false;
	memcpy(&h, buf, sizeof(h));
	if (h.n > STS_MAX_MX)
		return false;
	memset(m, 0, offsetof(struct sts_source_mx, host));
	m->status = (enum sts_status)h.status;
	m->dnssec = (enum sts_source_dnssec)h.dnssec;
	m->null_mx = h.null_mx;
	m->implicit = h.implicit;
	m->n = h.n;
	for (i = 0; i <= h.n; i++) {
		l = strnlen(buf + off, len - off);
		if (off + l >= len ||
		    l >= (i < h.n ? STS_DOMAIN_BUFSZ : STS_WHY_MAX))
			return false;
		memcpy(i < h.n ? m->host[i].name : m->why, buf + off, l + 1);
		off += l + 1;
		if (i < h.n) {
			m->host[i].pref = h.pref[i];
			dane[i] = (enum sts_dane_state)h.dane[i];
		}
	}
	return true;
}

/* Did a lookup that started within the deadline run (nearly) into it?
 * Then a temporary failure is our impatience, not the network's, and is
 * not worth remembering. */
static bool
ran_out(const struct timespec *t0, unsigned deadline_ms)
{
	return left(t0, deadline_ms) < 50;
}

/* How long next-hop state may be reused (seconds). */
static unsigned
nh_lifetime(const struct sts_source_mx *m, const enum sts_dane_state *dane)
{
	size_t i;
	unsigned ttl = m->ttl;

	if ((m->status != STS_OK && m->status != STS_NOTFOUND) ||
	    m->dnssec == STS_SRC_BOGUS)
		return NH_TTL_FAIL;
	for (i = 0; i < m->n; i++)
		if (dane[i] == STS_DANE_BOGUS || dane[i] == STS_DANE_TEMPFAIL)
			return NH_TTL_FAIL;
	if (ttl == 0)
		return NH_TTL_UNKNOWN;
	return ttl < NH_TTL_MIN	  ? NH_TTL_MIN
	       : ttl > NH_TTL_MAX ? NH_TTL_MAX
				  : ttl;
}

/* Look the next-hop state up (MX set, then TLSA per host where it can
 * count: the MX RRset is secure).  false: nothing complete (deadline).
 * `cut` is set when the deadline, not the DNS, ended a lookup early. */
static bool
nh_lookup(struct sts_engine *e, const char *dom, const struct timespec *t0,
	  unsigned deadline_ms, struct sts_source_mx *m,
	  enum sts_dane_state *dane, bool *cut)
{
	size_t i;
	unsigned l;
	char w[STS_WHY_MAX];

	*cut = false;
	l = left(t0, deadline_ms);
	if (l == 0)
		return false;
	__atomic_add_fetch(&e->n_mx, 1, __ATOMIC_RELAXED);
	e->src.mx(e->src.arg, dom, l, m);
	if (m->n > STS_MAX_MX)
		m->n = STS_MAX_MX;
	if (m->status == STS_TEMPFAIL && ran_out(t0, deadline_ms))
		*cut = true;
	for (i = 0; i < m->n; i++)
		dane[i] = STS_DANE_NONE;
	if (m->status != STS_OK || m->dnssec != STS_SRC_SECURE ||
	    e->src.tlsa == NULL)
		return true;
	for (i = 0; i < m->n; i++) {
		l = left(t0, deadline_ms);
		if (l == 0) {
			*cut = true;
			return false;
		}
		dane[i] = e->src.tlsa(e->src.arg, m->host[i].name, l, w,
				      sizeof(w));
		if (dane[i] == STS_DANE_TEMPFAIL && ran_out(t0, deadline_ms))
			*cut = true;
	}
	return true;
}

/* The next-hop state of dom, from the hop cache or looked up (single-
 * flight).  false: not known within the deadline. */
static bool
next_hop(struct sts_engine *e, const char *dom, const struct timespec *t0,
	 unsigned deadline_ms, struct sts_source_mx *m,
	 enum sts_dane_state *dane)
{
	char key[STS_DOMAIN_BUFSZ + 2], *buf;
	size_t len = NH_BUFSZ;
	enum sts_hc_result r;
	bool ok, cut;
	time_t now;

	if (e->relay_literal) {
		/* "[host]": the host itself is the next hop, no DNS */
		memset(m, 0, offsetof(struct sts_source_mx, host));
		m->why[0] = '\0';
		m->status = STS_OK;
		m->implicit = true;
		m->n = 1;
		memcpy(m->host[0].name, dom, strlen(dom) + 1);
		dane[0] = STS_DANE_NONE;
		return true;
	}
	buf = malloc(NH_BUFSZ);
	if (buf == NULL)
		return false;
	snprintf(key, sizeof(key), "m:%s", dom);
	now = sts_cache_now(e->cache);
	r = sts_hopcache_get(e->hops, key, now, left(t0, deadline_ms), buf,
			     &len);
	if (r == STS_HC_HIT && nh_unpack(buf, len, m, dane)) {
		free(buf);
		return true;
	}
	if (r == STS_HC_TIMEOUT) {
		free(buf);
		return false;
	}
	memset(m, 0, offsetof(struct sts_source_mx, host));
	m->why[0] = '\0';
	ok = nh_lookup(e, dom, t0, deadline_ms, m, dane, &cut);
	if (r != STS_HC_NOMEM) {
		if (ok && !cut)
			sts_hopcache_put(e->hops, key, buf,
					 nh_pack(m, dane, buf),
					 sts_cache_now(e->cache) +
						 (time_t)nh_lifetime(m, dane));
		else
			sts_hopcache_abandon(e->hops, key);
	}
	free(buf);
	return ok;
}

/* The STARTTLS probe of one MX host, cached per host for
 * probe_cache_ttl (NH_TTL_FAIL when it could not connect). */
static enum sts_probe_state
probe_host(struct sts_engine *e, const char *host, const struct timespec *t0,
	   unsigned deadline_ms, enum sts_rpt *rpt)
{
	char key[STS_DOMAIN_BUFSZ + 2], w[STS_WHY_MAX];
	uint8_t v[2];
	size_t len = sizeof(v);
	enum sts_hc_result r;
	enum sts_probe_state p;
	unsigned l, ttl = e->conf.probe_cache_ttl;

	snprintf(key, sizeof(key), "p:%s", host);
	r = sts_hopcache_get(e->hops, key, sts_cache_now(e->cache),
			     left(t0, deadline_ms), v, &len);
	if (r == STS_HC_HIT && len == sizeof(v)) {
		*rpt = (enum sts_rpt)v[1];
		return (enum sts_probe_state)v[0];
	}
	if (r == STS_HC_TIMEOUT)
		return STS_PROBE_NOT_DONE;
	l = left(t0, deadline_ms);
	if (l > 0)
		__atomic_add_fetch(&e->n_probe, 1, __ATOMIC_RELAXED);
	p = l == 0 ? STS_PROBE_NOT_DONE
		   : e->src.probe(e->src.arg, host, l, rpt, w, sizeof(w));
	if (r == STS_HC_NOMEM)
		return p;
	if (p == STS_PROBE_TEMPFAIL && ttl > NH_TTL_FAIL)
		ttl = NH_TTL_FAIL;
	if (p == STS_PROBE_NOT_DONE ||
	    (p == STS_PROBE_TEMPFAIL && ran_out(t0, deadline_ms))) {
		sts_hopcache_abandon(e->hops, key); /* cut short: no result */
		return p;
	}
	v[0] = (uint8_t)p;
	v[1] = (uint8_t)*rpt;
	sts_hopcache_put(e->hops, key, v, sizeof(v),
			 sts_cache_now(e->cache) + (time_t)ttl);
	return p;
}

/* Next-hop state, then probes of matching hosts if enabled. */
static bool
gather_mx(struct sts_engine *e, const char *dom, const char *const *mx,
	  size_t n_mx, const struct timespec *t0, unsigned deadline_ms,
	  struct sts_source_mx *m, struct sts_verdict_host *host)
{
	enum sts_dane_state dane[STS_MAX_MX];
	size_t i, k;
	bool match;

	if (!next_hop(e, dom, t0, deadline_ms, m, dane))
		return false;
	for (i = 0; i < m->n; i++) {
		host[i].name = m->host[i].name;
		host[i].dane = dane[i];
		host[i].probe = STS_PROBE_NOT_DONE;
		host[i].probe_rpt = STS_RPT_NONE;
	}
	if (m->status != STS_OK || !e->conf.probe || e->src.probe == NULL)
		return true;
	for (i = 0; i < m->n && left(t0, deadline_ms) > 0; i++) {
		for (match = false, k = 0; k < n_mx && !match; k++)
			match = sts_mx_match(mx[k], host[i].name);
		if (!match || host[i].dane == STS_DANE_USABLE)
			continue;
		host[i].probe = probe_host(e, host[i].name, t0, deadline_ms,
					   &host[i].probe_rpt);
		if (host[i].probe == STS_PROBE_OK)
			break; /* one good candidate is enough */
	}
	return true;
}

void
sts_engine_check(struct sts_engine *e, const char *domain, const char *from,
		 unsigned deadline_ms, struct sts_answer *out)
{
	struct timespec t0;
	struct sts_override *ov;
	const struct sts_override_rule *rule = NULL;
	struct sts_cache_view *v = NULL;
	struct sts_verdict_in in;
	struct sts_source_mx *m = NULL;
	struct sts_verdict_host host[STS_MAX_MX];
	enum sts_mode mode = STS_MODE_NONE;
	const char *const *mx = NULL;
	size_t n_mx = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	if (!policy_domain(e, domain, out->domain, out->why,
			   sizeof(out->why))) {
		out->domain[0] = '\0';
		out->verdict = STS_VERDICT_PASS;
		out->reason = STS_REASON_NOT_A_DOMAIN;
		return;
	}
	memset(&in, 0, sizeof(in));
	in.react = &e->conf.react;
	ov = ov_get(e);
	if (ov != NULL) {
		in.exempt = from != NULL && sts_override_exempt(ov, from);
		rule = sts_override_find(ov, out->domain);
	}
	if (rule != NULL) {
		in.action = rule->action;
		in.pin = rule->pin;
	}
	v = malloc(sizeof(*v));
	m = malloc(sizeof(*m));
	if (v == NULL || m == NULL) {
		in.state = STS_CS_FAILED;
		in.status = STS_NOMEM;
		in.why = "out of memory";
		goto decide;
	}
	in.state = STS_CS_NONE;
	if (in.exempt || in.action == STS_OV_SKIP ||
	    in.action == STS_OV_DEFER || in.action == STS_OV_REJECT)
		goto decide; /* decided without looking anything up */
	sts_cache_get(e->cache, out->domain, deadline_ms, v);
	in.now = sts_cache_now(e->cache);
	in.state = v->state;
	in.status = v->status;
	in.rpt = v->rpt;
	in.why = v->why;
	in.mode = v->mode;
	in.n_mx = v->n_mx;
	in.mx = v->mx;
	in.expires_at = v->expires_at;
	if (v->state == STS_CS_POLICY && in.now < v->expires_at) {
		mode = v->mode;
		mx = v->mx;
		n_mx = v->n_mx;
	} else if (in.pin != NULL) {
		mode = in.pin->mode;
		mx = (const char *const *)in.pin->mx;
		n_mx = in.pin->n_mx;
	}
	if (mode != STS_MODE_NONE) {
		in.have_mx = gather_mx(e, out->domain, mx, n_mx, &t0,
				       deadline_ms, m, host);
		in.mxset = m;
		in.host = host;
	}
decide:
	sts_verdict(&in, out);
	sts_override_unref(ov);
	free(v);
	free(m);
}

void
sts_engine_lookup(struct sts_engine *e, const char *domain,
		  unsigned deadline_ms, struct sts_lookup *out)
{
	struct timespec t0;
	struct sts_override *ov;
	const struct sts_override_rule *rule = NULL;
	struct sts_cache_view *v = NULL;
	struct sts_source_mx *m = NULL;
	struct sts_verdict_host host[STS_MAX_MX];
	enum sts_override_action act = STS_OV_NONE;
	const struct sts_policy *pin = NULL;
	enum sts_mode mode;
	const char *const *mx;
	size_t n_mx, i;
	uint32_t max_age;
	const char *src = "published";

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	out->status = STS_NOTFOUND;
	if (!policy_domain(e, domain, out->domain, out->why,
			   sizeof(out->why))) {
		out->domain[0] = '\0';
		return;
	}
	ov = ov_get(e);
	if (ov != NULL)
		rule = sts_override_find(ov, out->domain);
	if (rule != NULL) {
		act = rule->action;
		pin = rule->pin;
	}
	switch (act) {
	case STS_OV_SKIP:
		sts_why(out->why, sizeof(out->why), STS_OK, "override: skip");
		goto done;
	case STS_OV_DEFER:
	case STS_OV_REJECT:
		/* delivery time never bounces: both mean "not now" */
		out->defer = true;
		out->status =
			sts_why(out->why, sizeof(out->why), STS_TEMPFAIL,
				"override: %s", sts_override_action_str(act));
		goto done;
	default:
		break;
	}
	v = malloc(sizeof(*v));
	m = malloc(sizeof(*m));
	if (v == NULL || m == NULL) {
		out->status = sts_why(out->why, sizeof(out->why), STS_TEMPFAIL,
				      "out of memory");
		goto done;
	}
	sts_cache_get(e->cache, out->domain, deadline_ms, v);
	if (v->state == STS_CS_POLICY &&
	    sts_cache_now(e->cache) < v->expires_at) {
		mode = v->mode;
		mx = v->mx;
		n_mx = v->n_mx;
		max_age = v->max_age;
	} else if (pin != NULL) {
		mode = pin->mode;
		mx = (const char *const *)pin->mx;
		n_mx = pin->n_mx;
		max_age = pin->max_age;
		src = "pinned";
	} else if (v->state == STS_CS_FAILED && v->status == STS_BOGUS) {
		/* checklist G1: DNSSEC-bogus data is never "no policy" */
		out->status = sts_why(out->why, sizeof(out->why), STS_BOGUS,
				      "DNSSEC validation failed%s%s",
				      v->why[0] ? ": " : "", v->why);
		goto done;
	} else if (v->state != STS_CS_PENDING) {
		/* RFC 8461 5.1 / checklist B7: a policy that cannot be
		 * fetched (and none cached) means "deliver as without one" */
		sts_why(out->why, sizeof(out->why), STS_OK, "no policy%s%s",
			v->why[0] ? ": " : "", v->why);
		goto done;
	} else {
		/* still unknown: TEMPFAIL, which the map answers as "no
		 * policy yet" (a new domain is not deferred) */
		out->status = sts_why(out->why, sizeof(out->why), STS_TEMPFAIL,
				      "fetch pending%s%s",
				      v->why[0] ? ": " : "", v->why);
		goto done;
	}
	if (mode != STS_MODE_NONE && act == STS_OV_TESTING)
		mode = STS_MODE_TESTING;
	if (mode == STS_MODE_TESTING && act == STS_OV_ENFORCE)
		mode = STS_MODE_ENFORCE;
	if (mode == STS_MODE_NONE) {
		sts_why(out->why, sizeof(out->why), STS_OK, "policy mode none");
		goto done;
	}
	out->status = sts_policy_new(mode, max_age, mx, n_mx, &out->policy,
				     out->why, sizeof(out->why));
	if (out->status != STS_OK) {
		out->status = STS_TEMPFAIL;
		goto done;
	}
	out->enforce = mode == STS_MODE_ENFORCE;
	sts_why(out->why, sizeof(out->why), STS_OK, "%s policy, mode %s", src,
		sts_mode_str(mode));
	/* DANE first (checklist G1): tell the map server to leave it */
	if (gather_mx(e, out->domain, mx, 0, &t0, deadline_ms, m, host) &&
	    m->status == STS_OK && m->dnssec == STS_SRC_SECURE)
		for (i = 0; i < m->n; i++)
			if (host[i].dane == STS_DANE_USABLE)
				out->dane = true;
done:
	sts_override_unref(ov);
	free(v);
	free(m);
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
	size_t n = 0;

	if (e->state_file == NULL)
		return sts_why(why, whylen, STS_OK, "no state file");
	pthread_mutex_lock(&e->save_lock);
	st = sts_persist_save(e->cache, e->state_file, &n, why, whylen);
	pthread_mutex_unlock(&e->save_lock);
	if (st != STS_OK)
		emit(e, STS_EV_ERROR, NULL, why);
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
	out->mx_queries = __atomic_load_n(&e->n_mx, __ATOMIC_RELAXED);
	out->probes = __atomic_load_n(&e->n_probe, __ATOMIC_RELAXED);
	out->entries = cs.entries;
}

size_t
sts_engine_maintain(struct sts_engine *e)
{
	return sts_cache_sweep(e->cache);
}

bool
sts_engine_idle_wait(struct sts_engine *e, unsigned timeout_ms)
{
	return sts_cache_idle_wait(e->cache, timeout_ms);
}
