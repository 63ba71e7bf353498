/*
 * sts_engine_nexthop.c - next-hop state for the engine's two doors: the
 * MX set of a policy domain with its DNSSEC state, the TLSA/DANE state of
 * every MX host (looked up only where the MX RRset is DNSSEC-secure,
 * RFC 7672 section 2.2), and STARTTLS probe results per MX host.  All of
 * it is kept in the hop cache (sts_hopcache.h): next-hop state for the MX
 * answer's TTL (NH_TTL_MIN..NH_TTL_MAX; NH_TTL_FAIL for bogus or
 * temporary failures), probes for probe_cache_ttl.  A refresh is
 * single-flight: one caller looks up, others wait within their deadline.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_engine_int.h"
#include "sts_mx.h"

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
	return sts_engine_left(t0, deadline_ms) < 50;
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
	l = sts_engine_left(t0, deadline_ms);
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
		l = sts_engine_left(t0, deadline_ms);
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

bool
sts_engine_nexthop_get(struct sts_engine *e, const char *dom,
		       const struct timespec *t0, unsigned deadline_ms,
		       struct sts_source_mx *m, enum sts_dane_state *dane)
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
	r = sts_hopcache_get(e->hops, key, now,
			     sts_engine_left(t0, deadline_ms), buf, &len);
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
	struct timespec pt0;

	snprintf(key, sizeof(key), "p:%s", host);
	r = sts_hopcache_get(e->hops, key, sts_cache_now(e->cache),
			     sts_engine_left(t0, deadline_ms), v, &len);
	if (r == STS_HC_HIT && len == sizeof(v)) {
		*rpt = (enum sts_rpt)v[1];
		return (enum sts_probe_state)v[0];
	}
	if (r == STS_HC_TIMEOUT)
		return STS_PROBE_NOT_DONE;
	l = sts_engine_left(t0, deadline_ms);
	if (l > 0)
		__atomic_add_fetch(&e->n_probe, 1, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_MONOTONIC, &pt0);
	p = l == 0 ? STS_PROBE_NOT_DONE
		   : e->src.probe(e->src.arg, host, l, rpt, w, sizeof(w));
	if (l > 0) {
		sts_met_observe(&e->met.probe_lat,
				(uint64_t)sts_engine_ms_since(&pt0) * 1000);
		if ((unsigned)p < 4)
			sts_met_inc(&e->met.probe[p]);
	}
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

bool
sts_engine_nexthop_gather(struct sts_engine *e, const char *dom,
			  const char *const *mx, size_t n_mx,
			  const struct timespec *t0, unsigned deadline_ms,
			  struct sts_source_mx *m,
			  struct sts_verdict_host *host)
{
	enum sts_dane_state dane[STS_MAX_MX];
	size_t i, k;
	bool match;

	if (!sts_engine_nexthop_get(e, dom, t0, deadline_ms, m, dane))
		return false;
	for (i = 0; i < m->n; i++) {
		host[i].name = m->host[i].name;
		host[i].dane = dane[i];
		host[i].probe = STS_PROBE_NOT_DONE;
		host[i].probe_rpt = STS_RPT_NONE;
	}
	if (m->status != STS_OK || !e->conf.probe || e->src.probe == NULL)
		return true;
	for (i = 0; i < m->n && sts_engine_left(t0, deadline_ms) > 0; i++) {
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

/*
 * While a domain's policy is being fetched its mx patterns are unknown,
 * but the most preferred MX host without usable DANE is the one a
 * delivery tries first and nearly always one the policy names.  Probing
 * it now, beside the fetch, instead of after it takes the probe off the
 * first recipient's wait: that recipient's probe_host() then finds the
 * result in the hop cache, or waits for this one in flight.  One host
 * only, so a policy that names other hosts costs one probe at most.
 */
void
sts_engine_nexthop_probe_ahead(struct sts_engine *e,
			       const struct sts_source_mx *m,
			       const enum sts_dane_state *dane,
			       const struct timespec *t0, unsigned deadline_ms)
{
	enum sts_rpt rpt;
	size_t i;

	if (m->status != STS_OK || !e->conf.probe || e->src.probe == NULL)
		return;
	for (i = 0; i < m->n; i++)
		if (dane[i] != STS_DANE_USABLE) {
			(void)probe_host(e, m->host[i].name, t0, deadline_ms,
					 &rpt);
			return;
		}
}

/* --- what the administrator sees (sts_engine_admin.c) ---------------------
 * Peeks never look anything up: a missing key handed to us (MINE) is
 * given straight back. */

static enum sts_hc_result
peek(struct sts_engine *e, const char *key, void *buf, size_t *len)
{
	enum sts_hc_result r;

	r = sts_hopcache_get(e->hops, key, sts_cache_now(e->cache), 0, buf,
			     len);
	if (r == STS_HC_MINE)
		sts_hopcache_abandon(e->hops, key);
	return r;
}

bool
sts_engine_nexthop_peek(struct sts_engine *e, const char *dom,
			struct sts_source_mx *m, enum sts_dane_state *dane)
{
	char key[STS_DOMAIN_BUFSZ + 2], *buf = malloc(NH_BUFSZ);
	size_t len = NH_BUFSZ;
	bool ok;

	if (buf == NULL)
		return false;
	snprintf(key, sizeof(key), "m:%s", dom);
	ok = peek(e, key, buf, &len) == STS_HC_HIT &&
	     nh_unpack(buf, len, m, dane);
	free(buf);
	return ok;
}

bool
sts_engine_probe_peek(struct sts_engine *e, const char *host,
		      enum sts_probe_state *p, enum sts_rpt *rpt)
{
	char key[STS_DOMAIN_BUFSZ + 2];
	uint8_t v[2];
	size_t len = sizeof(v);

	snprintf(key, sizeof(key), "p:%s", host);
	if (peek(e, key, v, &len) != STS_HC_HIT || len != sizeof(v))
		return false;
	*p = (enum sts_probe_state)v[0];
	*rpt = (enum sts_rpt)v[1];
	return true;
}

void
sts_engine_nexthop_forget(struct sts_engine *e, const char *dom)
{
	char key[STS_DOMAIN_BUFSZ + 2];
	struct sts_source_mx *m = malloc(sizeof(*m));
	enum sts_dane_state dane[STS_MAX_MX];
	size_t i;

	/* an already expired value: the next lookup starts afresh */
	if (m != NULL && sts_engine_nexthop_peek(e, dom, m, dane))
		for (i = 0; i < m->n; i++) {
			snprintf(key, sizeof(key), "p:%s", m->host[i].name);
			sts_hopcache_put(e->hops, key, "", 0, 1);
		}
	free(m);
	snprintf(key, sizeof(key), "m:%s", dom);
	sts_hopcache_put(e->hops, key, "", 0, 1);
}
