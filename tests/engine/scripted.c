/*
 * scripted.c - the scripted struct sts_source (see scripted.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scripted.h"

struct sdom {
	struct sdom *next;
	char name[STS_DOMAIN_BUFSZ];
	enum sts_status disc, fetch;
	char id[STS_MAX_ID + 1];
	char *policy;
	bool have_mx;
	struct sts_source_mx mx;
	bool have_tlsa;
	enum sts_dane_state dane;
	bool have_probe;
	enum sts_probe_state probe;
	enum sts_rpt probe_rpt;
	unsigned discovers, fetches;
};

struct scripted {
	pthread_mutex_t lock;
	struct sdom *doms;
	unsigned delay_ms;
	unsigned mx_calls, tlsa_calls, probe_calls;
};

struct scripted *
scripted_new(void)
{
	struct scripted *s = calloc(1, sizeof(*s));

	if (s != NULL)
		pthread_mutex_init(&s->lock, NULL);
	return s;
}

void
scripted_free(struct scripted *s)
{
	struct sdom *d, *next;

	if (s == NULL)
		return;
	for (d = s->doms; d != NULL; d = next) {
		next = d->next;
		free(d->policy);
		free(d);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* lock held; creates an entry that answers NOTFOUND */
static struct sdom *
dom(struct scripted *s, const char *name)
{
	struct sdom *d;

	for (d = s->doms; d != NULL; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		abort();
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->disc = STS_NOTFOUND;
	d->fetch = STS_TEMPFAIL;
	d->next = s->doms;
	s->doms = d;
	return d;
}

void
scripted_set(struct scripted *s, const char *domain, enum sts_status disc,
	     const char *id, enum sts_status fetch, const char *policy)
{
	struct sdom *d;

	pthread_mutex_lock(&s->lock);
	d = dom(s, domain);
	d->disc = disc;
	snprintf(d->id, sizeof(d->id), "%s", id ? id : "");
	d->fetch = fetch;
	free(d->policy);
	d->policy = policy ? strdup(policy) : NULL;
	pthread_mutex_unlock(&s->lock);
}

void
scripted_mx(struct scripted *s, const char *domain, enum sts_status st,
	    enum sts_source_dnssec dnssec, const char *hosts, bool null_mx,
	    bool implicit)
{
	struct sdom *d;
	const char *p = hosts;
	size_t n;

	pthread_mutex_lock(&s->lock);
	d = dom(s, domain);
	d->have_mx = true;
	memset(&d->mx, 0, sizeof(d->mx));
	d->mx.status = st;
	d->mx.dnssec = dnssec;
	d->mx.null_mx = null_mx;
	d->mx.implicit = implicit;
	while (p != NULL && *p != '\0' && d->mx.n < STS_MAX_MX) {
		n = strcspn(p, ",");
		snprintf(d->mx.host[d->mx.n].name, STS_DOMAIN_BUFSZ, "%.*s",
			 (int)n, p);
		d->mx.host[d->mx.n].pref = (uint16_t)(10 * (d->mx.n + 1));
		d->mx.n++;
		p += n;
		if (*p == ',')
			p++;
	}
	snprintf(d->mx.why, sizeof(d->mx.why), "scripted %s",
		 sts_status_str(st));
	pthread_mutex_unlock(&s->lock);
}

void
scripted_tlsa(struct scripted *s, const char *host, enum sts_dane_state ds)
{
	struct sdom *d;

	pthread_mutex_lock(&s->lock);
	d = dom(s, host);
	d->have_tlsa = true;
	d->dane = ds;
	pthread_mutex_unlock(&s->lock);
}

void
scripted_probe(struct scripted *s, const char *host, enum sts_probe_state p,
	       enum sts_rpt rpt)
{
	struct sdom *d;

	pthread_mutex_lock(&s->lock);
	d = dom(s, host);
	d->have_probe = true;
	d->probe = p;
	d->probe_rpt = rpt;
	pthread_mutex_unlock(&s->lock);
}

void
scripted_delay(struct scripted *s, unsigned ms)
{
	pthread_mutex_lock(&s->lock);
	s->delay_ms = ms;
	pthread_mutex_unlock(&s->lock);
}

static void
nap(struct scripted *s)
{
	unsigned ms;
	struct timespec ts;

	pthread_mutex_lock(&s->lock);
	ms = s->delay_ms;
	pthread_mutex_unlock(&s->lock);
	if (ms == 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

unsigned
scripted_discovers(struct scripted *s, const char *domain)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = dom(s, domain)->discovers;
	pthread_mutex_unlock(&s->lock);
	return n;
}

unsigned
scripted_fetches(struct scripted *s, const char *domain)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = dom(s, domain)->fetches;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static enum sts_status
s_discover(void *arg, const char *domain, unsigned timeout_ms,
	   struct sts_record *rec, char *why, size_t whylen)
{
	struct scripted *s = arg;
	struct sdom *d;
	enum sts_status st;

	(void)timeout_ms;
	nap(s);
	pthread_mutex_lock(&s->lock);
	d = dom(s, domain);
	d->discovers++;
	st = d->disc;
	snprintf(rec->id, sizeof(rec->id), "%s", d->id);
	pthread_mutex_unlock(&s->lock);
	return sts_why(why, whylen, st, "scripted discovery: %s",
		       sts_status_str(st));
}

static enum sts_status
s_fetch(void *arg, const char *domain, unsigned timeout_ms,
	struct sts_policy **out, enum sts_rpt *rpt, char *why, size_t whylen)
{
	struct scripted *s = arg;
	struct sdom *d;
	enum sts_status st;
	char *body = NULL;
	size_t line;

	(void)timeout_ms;
	nap(s);
	pthread_mutex_lock(&s->lock);
	d = dom(s, domain);
	d->fetches++;
	st = d->fetch;
	if (d->policy != NULL)
		body = strdup(d->policy);
	pthread_mutex_unlock(&s->lock);
	*out = NULL;
	if (st == STS_OK && body != NULL) {
		st = sts_policy_parse(body, strlen(body), out, &line, why,
				      whylen);
		if (st != STS_OK)
			*rpt = STS_RPT_STS_POLICY_INVALID;
	} else if (st == STS_OK) {
		st = sts_why(why, whylen, STS_INVALID, "scripted: no body");
		*rpt = STS_RPT_STS_POLICY_INVALID;
	} else {
		*rpt = STS_RPT_STS_POLICY_FETCH_ERROR;
		sts_why(why, whylen, st, "scripted fetch: %s",
			sts_status_str(st));
	}
	free(body);
	return st;
}

static enum sts_status
s_mx(void *arg, const char *domain, unsigned timeout_ms,
     struct sts_source_mx *out)
{
	struct scripted *s = arg;
	struct sdom *d;

	(void)timeout_ms;
	nap(s);
	pthread_mutex_lock(&s->lock);
	s->mx_calls++;
	d = dom(s, domain);
	if (d->have_mx) {
		*out = d->mx;
	} else { /* default: one insecure MX "mx.DOMAIN" */
		memset(out, 0, sizeof(*out));
		out->status = STS_OK;
		out->n = 1;
		snprintf(out->host[0].name, STS_DOMAIN_BUFSZ, "mx.%s", domain);
	}
	pthread_mutex_unlock(&s->lock);
	return out->status;
}

static enum sts_dane_state
s_tlsa(void *arg, const char *host, unsigned timeout_ms, char *why,
       size_t whylen)
{
	struct scripted *s = arg;
	struct sdom *d;
	enum sts_dane_state ds;

	(void)timeout_ms;
	pthread_mutex_lock(&s->lock);
	s->tlsa_calls++;
	d = dom(s, host);
	ds = d->have_tlsa ? d->dane : STS_DANE_NONE;
	pthread_mutex_unlock(&s->lock);
	sts_why(why, whylen, STS_OK, "scripted");
	return ds;
}

static enum sts_probe_state
s_probe(void *arg, const char *host, unsigned timeout_ms, enum sts_rpt *rpt,
	char *why, size_t whylen)
{
	struct scripted *s = arg;
	struct sdom *d;
	enum sts_probe_state ps;

	(void)timeout_ms;
	pthread_mutex_lock(&s->lock);
	s->probe_calls++;
	d = dom(s, host);
	ps = d->have_probe ? d->probe : STS_PROBE_OK;
	*rpt = d->have_probe ? d->probe_rpt : STS_RPT_NONE;
	pthread_mutex_unlock(&s->lock);
	sts_why(why, whylen, STS_OK, "scripted");
	return ps;
}

void
scripted_next_hop_calls(struct scripted *s, unsigned *mx, unsigned *tlsa,
			unsigned *probe)
{
	pthread_mutex_lock(&s->lock);
	*mx = s->mx_calls;
	*tlsa = s->tlsa_calls;
	*probe = s->probe_calls;
	pthread_mutex_unlock(&s->lock);
}

static time_t fake_now = 1700000000;

time_t
scripted_clock(void *arg)
{
	(void)arg;
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

void
scripted_advance(time_t s)
{
	__atomic_add_fetch(&fake_now, s, __ATOMIC_SEQ_CST);
}

struct sts_source
scripted_source(struct scripted *s)
{
	struct sts_source src;

	memset(&src, 0, sizeof(src));
	src.arg = s;
	src.discover = s_discover;
	src.fetch = s_fetch;
	src.mx = s_mx;
	src.tlsa = s_tlsa;
	src.probe = s_probe;
	return src;
}
