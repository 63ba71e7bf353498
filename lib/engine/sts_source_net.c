/*
 * sts_source_net.c - the real struct sts_source: DNS through the
 * validating resolver (sts_resolver.h), the policy through the HTTPS
 * fetcher (sts_fetch.h), TLSA through sts_dane.h, STARTTLS probes
 * through sts_probe.h.  One resolver and one TLS configuration, shared
 * by every thread (both are documented as thread-safe).
 *
 * Deadlines: every call is bounded by the time the engine can still
 * afford (timeout_ms, passed on as an absolute deadline to the
 * resolver's *_until() forms) and by the configured per-query, fetch and
 * probe timeouts, whichever comes first.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_dane.h"
#include "sts_engine.h"
#include "sts_fetch.h"
#include "sts_probe.h"
#include "sts_resolver.h"
#include "sts_sock.h"
#include "sts_source.h"

struct netsrc {
	struct sts_resolver *r;
	struct sts_tls *tls;
	unsigned fetch_ms, probe_ms;
};

static unsigned
min_ms(unsigned a, unsigned b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* An absolute deadline (sts_now_ms() clock) timeout_ms from now; 0 (no
 * limit beyond the resolver's own) when timeout_ms is 0. */
static int64_t
until(unsigned timeout_ms)
{
	return timeout_ms == 0 ? 0 : sts_now_ms() + (int64_t)timeout_ms;
}

static enum sts_status
net_discover(void *arg, const char *domain, unsigned timeout_ms,
	     struct sts_record *rec, char *why, size_t whylen)
{
	struct netsrc *n = arg;
	struct sts_resolver_txt txt;
	char name[STS_DOMAIN_BUFSZ + 16];
	enum sts_status st;

	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	st = sts_resolver_txt_until(n->r, name, until(timeout_ms), &txt);
	if (st == STS_OK)
		st = sts_record_discover(txt.rr, txt.n, rec, why, whylen);
	else if (st == STS_NOTFOUND)
		sts_why(why, whylen, st, "%s: no TXT record (%s)", name,
			txt.meta.why[0] ? txt.meta.why : "NXDOMAIN/NODATA");
	else
		sts_why(why, whylen, st, "%s: %s", name, txt.meta.why);
	sts_resolver_txt_clear(&txt);
	return st;
}

static enum sts_status
net_fetch(void *arg, const char *domain, unsigned timeout_ms,
	  struct sts_policy **out, enum sts_rpt *rpt, char *why, size_t whylen)
{
	struct netsrc *n = arg;
	struct sts_fetch_conf fc;
	struct sts_fetch_result res;
	enum sts_status st;

	memset(&fc, 0, sizeof(fc));
	fc.timeout_ms = min_ms(n->fetch_ms, timeout_ms);
	st = sts_fetch_policy(n->r, n->tls, domain, &fc, &res);
	*rpt = res.rpt;
	if (st == STS_OK) {
		*out = res.policy;
		res.policy = NULL;
	} else {
		sts_why(why, whylen, st, "%s", res.why);
	}
	sts_fetch_result_clear(&res);
	return st;
}

static enum sts_status
net_mx(void *arg, const char *domain, unsigned timeout_ms,
       struct sts_source_mx *out)
{
	struct netsrc *n = arg;
	struct sts_resolver_mx mx;
	size_t i;

	sts_resolver_mx_until(n->r, domain, until(timeout_ms), &mx);
	out->status = mx.meta.status;
	out->dnssec = mx.meta.dnssec == STS_DNSSEC_SECURE  ? STS_SRC_SECURE
		      : mx.meta.dnssec == STS_DNSSEC_BOGUS ? STS_SRC_BOGUS
							   : STS_SRC_INSECURE;
	out->null_mx = mx.null_mx;
	out->implicit = mx.implicit;
	out->ttl = mx.meta.ttl;
	out->n = 0;
	for (i = 0; i < mx.n && i < STS_MAX_MX; i++) {
		out->host[i].pref = mx.mx[i].pref;
		memcpy(out->host[i].name, mx.mx[i].name,
		       sizeof(out->host[i].name));
		out->n++;
	}
	snprintf(out->why, sizeof(out->why), "%s", mx.meta.why);
	sts_resolver_mx_clear(&mx);
	return out->status;
}

static enum sts_dane_state
net_tlsa(void *arg, const char *host, unsigned timeout_ms, char *why,
	 size_t whylen)
{
	struct netsrc *n = arg;
	struct sts_resolver_tlsa t;
	enum sts_dane_state d;

	/* RFC 7672 2.2.2/2.2.3: secure addresses first, then the TLSA at
	 * the CNAME-expanded name, else at the MX name (sts_dane.h) */
	d = sts_dane_lookup(n->r, host, 25, until(timeout_ms), &t, why, whylen);
	sts_resolver_tlsa_clear(&t);
	return d;
}

static void
net_tls_stats(void *arg, uint64_t *verified, uint64_t *remembered)
{
	struct netsrc *n = arg;

	sts_tls_memo_stats(n->tls, verified, remembered);
}

static enum sts_probe_state
net_probe(void *arg, const char *host, unsigned timeout_ms, enum sts_rpt *rpt,
	  char *why, size_t whylen)
{
	struct netsrc *n = arg;
	struct sts_probe_conf pc;
	struct sts_probe_result res;

	memset(&pc, 0, sizeof(pc));
	pc.timeout_ms = min_ms(n->probe_ms, timeout_ms);
	sts_probe_mx(n->r, n->tls, host, &pc, &res);
	*rpt = res.rpt;
	sts_why(why, whylen, res.status, "%s", res.why);
	switch (res.status) {
	case STS_OK:
		return STS_PROBE_OK;
	case STS_TEMPFAIL:
	case STS_NOMEM:
		return STS_PROBE_TEMPFAIL;
	default: /* NOTFOUND: no STARTTLS; INVALID/BOGUS: certificate */
		return STS_PROBE_FAILED;
	}
}

static void
net_free(void *arg)
{
	struct netsrc *n = arg;

	if (n == NULL)
		return;
	sts_tls_free(n->tls);
	sts_resolver_free(n->r);
	free(n);
}

/*
 * libunbound starts its background worker at the first query, and that
 * worker seeds its own random generator first: about 10 M instructions
 * (callgrind), a few ms that the first lookup of a fresh daemon would
 * wait for.  So ask once now, for a name unbound answers from its
 * built-in local zone (localhost., RFC 6761 section 6.3: no packet
 * leaves), while nobody waits.  The result is not used.  The caller
 * creates the source after any fork (the worker is a thread).
 */
static void
start_worker(struct netsrc *n)
{
	struct sts_resolver_addrs a;

	(void)sts_resolver_addrs_until(n->r, "localhost", 443, until(1000), &a);
	sts_resolver_addrs_clear(&a);
}

enum sts_status
sts_source_net_new(const struct sts_engine_conf *conf, struct sts_source *out,
		   char *why, size_t whylen)
{
	struct sts_resolver_conf rc;
	struct netsrc *n;
	enum sts_status st;

	memset(out, 0, sizeof(*out));
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	memset(&rc, 0, sizeof(rc));
	rc.trust_anchor_file = conf->trust_anchor_file;
	rc.unbound_conf = conf->unbound_conf;
	rc.resolv_conf = conf->resolv_conf;
	rc.forwarders = conf->forwarders;
	rc.timeout_ms = conf->dns_timeout_ms;
	rc.families = conf->families;
	st = sts_resolver_new(&rc, &n->r, why, whylen);
	if (st == STS_OK)
		st = sts_tls_new(conf->ca_file, &n->tls, why, whylen);
	if (st != STS_OK) {
		net_free(n);
		return st;
	}
	n->fetch_ms = conf->fetch_timeout_ms;
	n->probe_ms = conf->probe_timeout_ms;
	start_worker(n);
	out->arg = n;
	out->discover = net_discover;
	out->fetch = net_fetch;
	out->mx = net_mx;
	out->tlsa = net_tlsa;
	out->probe = net_probe;
	out->tls_stats = net_tls_stats;
	out->free = net_free;
	return STS_OK;
}
