/*
 * sts_engine_admin.c - the administrator's door (sts_engine_admin.h:
 * show, dump, refresh, forget) and the metrics snapshot
 * (sts_engine_metrics.h).  Nothing here waits for the network.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_engine_admin.h"
#include "sts_domain.h"
#include "sts_engine_int.h"

const unsigned sts_met_bucket_ms[STS_MET_NBUCKETS] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
};

void
sts_met_observe(struct sts_met_hist *h, uint64_t us)
{
	size_t i;

	for (i = 0; i < STS_MET_NBUCKETS; i++)
		if (us <= (uint64_t)sts_met_bucket_ms[i] * 1000)
			break;
	sts_met_inc(&h->bucket[i]);
	sts_met_inc(&h->count);
	__atomic_add_fetch(&h->sum_us, us, __ATOMIC_RELAXED);
}

void
sts_engine_metrics(struct sts_engine *e, bool walk,
		   struct sts_engine_metrics *out)
{
	const uint64_t *src = (const uint64_t *)(const void *)&e->met;
	uint64_t *dst = (uint64_t *)(void *)&out->c;
	struct sts_engine_stats st;
	struct sts_cache_census cs;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(out->c) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	sts_engine_stats(e, &st);
	out->lookups = st.lookups;
	out->hits = st.hits;
	out->misses = st.misses;
	out->negative_hits = st.negative_hits;
	out->evictions = st.evictions;
	out->mx_queries = st.mx_queries;
	out->entries = st.entries;
	out->shared_on = e->shared != NULL;
	out->shared_up = st.shared_up;
	out->shared_gets = st.shared_gets;
	out->shared_hits = st.shared_hits;
	out->shared_writes = st.shared_writes;
	out->shared_errors = st.shared_errors;
	out->shared_invalid = st.shared_invalid;
	out->shared_announcements = st.shared_announcements;
	if (e->src.tls_stats != NULL)
		e->src.tls_stats(e->src.arg, &out->tls_chains_verified,
				 &out->tls_chains_remembered);
	if (!walk)
		return;
	sts_cache_census(e->cache, &cs);
	out->census = true;
	for (i = 0; i < 3; i++)
		out->policies[i] = cs.policy[i];
	out->negative = cs.negative;
	out->failed = cs.failed;
	out->busy = cs.busy;
}

/* The policy domain of a raw name, as the doors pick it, but never the
 * relay host's: the administrator names the domain meant. */
static enum sts_status
admin_domain(const char *raw, char *dom, char *why, size_t whylen)
{
	enum sts_status st;

	if (raw == NULL || raw[0] == '\0')
		return sts_why(why, whylen, STS_INVALID, "no domain");
	if (strlen(raw) > STS_MAX_DOMAIN_INPUT)
		return sts_why(why, whylen, STS_INVALID, "domain too long");
	st = sts_domain_normalize(raw, dom, why, whylen);
	if (st != STS_OK)
		return sts_why(why, whylen, STS_INVALID, "not a domain: %s",
			       raw);
	return STS_OK;
}

enum sts_status
sts_engine_show(struct sts_engine *e, const char *domain,
		struct sts_engine_info *out, char *why, size_t whylen)
{
	enum sts_status st;
	size_t i;

	sts_cache_view_clear(&out->v); /* what a previous call held */
	memset(out, 0, offsetof(struct sts_engine_info, v));
	st = admin_domain(domain, out->domain, why, whylen);
	if (st != STS_OK)
		return st;
	out->cached =
		sts_cache_peek(e->cache, out->domain, &out->v, &out->busy);
	out->have_nexthop =
		sts_engine_nexthop_peek(e, out->domain, &out->mx, out->dane);
	for (i = 0; out->have_nexthop && i < out->mx.n; i++) {
		out->probe_rpt[i] = STS_RPT_NONE;
		out->have_probe[i] = sts_engine_probe_peek(
			e, out->mx.host[i].name, &out->probe[i],
			&out->probe_rpt[i]);
	}
	return STS_OK;
}

void
sts_engine_info_clear(struct sts_engine_info *in)
{
	if (in != NULL)
		sts_cache_view_clear(&in->v);
}

size_t
sts_engine_dump(struct sts_engine *e,
		void (*fn)(void *arg, const struct sts_cache_record *r),
		bool (*between)(void *arg), void *arg)
{
	return sts_cache_foreach(e->cache, fn, between, arg);
}

enum sts_status
sts_engine_refresh(struct sts_engine *e, const char *domain, char *why,
		   size_t whylen)
{
	char dom[STS_DOMAIN_BUFSZ];
	enum sts_status st;

	st = admin_domain(domain, dom, why, whylen);
	if (st != STS_OK)
		return st;
	st = sts_cache_kick(e->cache, dom);
	if (st == STS_OK)
		sts_met_inc(&e->met.admin_refresh);
	if (st == STS_TEMPFAIL)
		return sts_why(why, whylen, st,
			       "%s: a fetch is already queued or running", dom);
	if (st == STS_NOMEM)
		return sts_why(why, whylen, st,
			       "%s: no room (the lookup queue is full)", dom);
	return sts_why(why, whylen, STS_OK,
		       "%s: fetch queued; a cached policy stays until a "
		       "valid new one replaces it",
		       dom);
}

enum sts_status
sts_engine_forget(struct sts_engine *e, const char *domain, char *why,
		  size_t whylen)
{
	char dom[STS_DOMAIN_BUFSZ];
	enum sts_status st;
	bool had;

	st = admin_domain(domain, dom, why, whylen);
	if (st != STS_OK)
		return st;
	sts_engine_nexthop_forget(e, dom);
	had = sts_cache_forget(e->cache, dom);
	sts_met_inc(&e->met.admin_forget);
	if (!had)
		return sts_why(why, whylen, STS_NOTFOUND, "%s: nothing cached",
			       dom);
	return sts_why(why, whylen, STS_OK, "%s: forgotten", dom);
}
