/*
 * sts_dane.c - DANE for SMTP (RFC 7672).  See sts_dane.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sts_dane.h"
#include "sts_limits.h"

const char *
sts_dane_state_str(enum sts_dane_state s)
{
	switch (s) {
	case STS_DANE_USABLE:
		return "usable";
	case STS_DANE_UNUSABLE:
		return "unusable";
	case STS_DANE_BOGUS:
		return "bogus";
	case STS_DANE_TEMPFAIL:
		return "tempfail";
	default:
		return "none";
	}
}

bool
sts_dane_usable(const struct sts_tlsa *rr)
{
	/* RFC 7672 section 3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable */
	if (rr->usage != 2 && rr->usage != 3)
		return false;
	if (rr->selector > 1 || rr->mtype > 2)
		return false;
	if (rr->mtype == 1 && rr->len != 32)
		return false;
	if (rr->mtype == 2 && rr->len != 64)
		return false;
	return rr->len > 0;
}

enum sts_dane_state
sts_dane_state(const struct sts_resolver_tlsa *t)
{
	switch (t->meta.status) {
	case STS_OK:
		break;
	case STS_BOGUS:
		return STS_DANE_BOGUS;
	case STS_NOTFOUND:
		return STS_DANE_NONE;
	default:
		/* RFC 7672 section 2.2.1: a failed TLSA lookup (other than
		 * a proven absence) makes the server unusable for now */
		return STS_DANE_TEMPFAIL;
	}
	if (t->meta.dnssec != STS_DNSSEC_SECURE)
		return STS_DANE_NONE;
	for (size_t i = 0; i < t->n; i++)
		if (sts_dane_usable(&t->rr[i]))
			return STS_DANE_USABLE;
	return STS_DANE_UNUSABLE;
}

/* Does one usable record match the DER blob (cert or SPKI)? */
static bool
rr_matches(const struct sts_tlsa *rr, const unsigned char *der, size_t len)
{
	unsigned char md[64];
	size_t mdlen = 0;

	if (der == NULL || len == 0)
		return false;
	if (rr->mtype == 0)
		return rr->len == len && memcmp(rr->data, der, len) == 0;
	if (sts_tls_digest(rr->mtype, der, len, md, &mdlen) != STS_OK)
		return false;
	return mdlen == rr->len && memcmp(md, rr->data, mdlen) == 0;
}

static bool
cert_matches(const struct sts_tlsa *rr, const struct sts_cert_der *c)
{
	return rr->selector == 0 ? rr_matches(rr, c->cert, c->cert_len)
				 : rr_matches(rr, c->spki, c->spki_len);
}

enum sts_status
sts_dane_verify(const struct sts_resolver_tlsa *t, const struct sts_tls_conn *c,
		const char *mxhost, enum sts_rpt *rpt, char *why, size_t whylen)
{
	struct sts_cert_der chain[STS_MAX_CHAIN];
	size_t n, tried = 0;
	enum sts_status last = STS_INVALID;
	char tawhy[STS_WHY_MAX] = "";
	enum sts_rpt tarpt = STS_RPT_NONE;

	*rpt = STS_RPT_NONE;
	if (t->meta.status == STS_BOGUS) {
		*rpt = STS_RPT_DNSSEC_INVALID;
		return sts_why(why, whylen, STS_BOGUS, "TLSA answer bogus: %s",
			       t->meta.why);
	}
	n = sts_tls_peer_chain(c, chain, STS_MAX_CHAIN);
	if (n == 0) {
		*rpt = STS_RPT_TLSA_INVALID;
		return sts_why(why, whylen, STS_INVALID,
			       "no peer certificate to match TLSA against");
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct sts_tlsa *rr = &t->rr[i];

		if (!sts_dane_usable(rr))
			continue;
		tried++;
		if (rr->usage == 3) {
			/* DANE-EE: leaf only; name and dates not checked
			 * (RFC 7672 section 3.1.1) */
			if (cert_matches(rr, &chain[0]))
				return STS_OK;
			continue;
		}
		/* DANE-TA: a (non-leaf) certificate of the chain */
		for (size_t k = 1; k < n; k++) {
			if (!cert_matches(rr, &chain[k]))
				continue;
			last = sts_tls_verify_ta(c, k, mxhost, &tarpt, tawhy,
						 sizeof(tawhy));
			if (last == STS_OK)
				return STS_OK;
		}
	}
	if (tarpt != STS_RPT_NONE) {
		/* a trust anchor matched but the chain did not verify */
		*rpt = tarpt;
		return sts_why(why, whylen, STS_INVALID, "DANE-TA: %s", tawhy);
	}
	*rpt = STS_RPT_TLSA_INVALID;
	return sts_why(why, whylen, STS_INVALID,
		       "none of %zu usable TLSA records matches the "
		       "certificate chain (%zu certificates)",
		       tried, n);
}

enum sts_dane_state
sts_dane_lookup(struct sts_resolver *r, const char *host, uint16_t port,
		int64_t deadline_ms, struct sts_resolver_tlsa *out, char *why,
		size_t whylen)
{
	struct sts_resolver_addrs a;
	struct sts_dns_meta *m = &out->meta;
	enum sts_dane_state d;

	memset(out, 0, sizeof(*out));
	sts_resolver_addrs_until(r, host, port, deadline_ms, &a);
	if (a.meta.status == STS_BOGUS ||
	    (a.meta.status == STS_OK && a.meta.dnssec == STS_DNSSEC_BOGUS)) {
		m->dnssec = STS_DNSSEC_BOGUS;
		m->status = sts_why(m->why, sizeof(m->why), STS_BOGUS,
				    "address records: %s", a.meta.why);
	} else if (a.meta.status == STS_TEMPFAIL ||
		   a.meta.status == STS_NOMEM) {
		m->status = sts_why(m->why, sizeof(m->why), STS_TEMPFAIL,
				    "address records: %s", a.meta.why);
	} else if (a.meta.status != STS_OK) {
		m->status = sts_why(m->why, sizeof(m->why), STS_NOTFOUND,
				    "%s has no usable address: %s", host,
				    a.meta.why);
	} else if (a.meta.dnssec != STS_DNSSEC_SECURE) {
		/* RFC 7672 2.2.2: TLSA only for secure address records */
		m->status = sts_why(m->why, sizeof(m->why), STS_NOTFOUND,
				    "address records of %s%s%s are insecure: "
				    "TLSA not looked up (RFC 7672 2.2.2)",
				    host, strcmp(a.canon, host) ? " -> " : "",
				    strcmp(a.canon, host) ? a.canon : "");
	} else {
		if (a.canon[0] != '\0' && strcmp(a.canon, host) != 0) {
			sts_resolver_tlsa_until(r, a.canon, port, deadline_ms,
						out);
			d = sts_dane_state(out);
			if (d != STS_DANE_NONE)
				goto done;
			sts_resolver_tlsa_clear(out);
			memset(out, 0, sizeof(*out));
		}
		sts_resolver_tlsa_until(r, host, port, deadline_ms, out);
	}
done:
	sts_resolver_addrs_clear(&a);
	sts_why(why, whylen, m->status, "%s", m->why);
	return sts_dane_state(out);
}
