/*
 * sts_resolver_addrs.c - A and AAAA of one host in parallel under one
 * deadline (sts_resolver.h: sts_resolver_addrs*), for the policy fetch
 * and the STARTTLS prober, and the TLSA base domain for DANE (RFC 7672
 * section 2.2.2: the CNAME-expanded name).  Decision (issue 13 item 3):
 * a DNSSEC-bogus family is dropped and the other used, never its data;
 * with no usable address left the lookup is BOGUS and the reason names
 * the bogus record ("HOST A: DNSSEC bogus: ..."); a set with a dropped
 * family is never "secure" (meta.dnssec BOGUS), so DANE does not count on
 * it.  Only the families of sts_resolver_families() are asked for
 * (sts_af.h: AddressFamilies).  Thread-safety as in sts_resolver.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_resolver.h"
#include "sts_resolver_int.h"
#include "sts_sock.h"

static void
add_addrs(struct sts_resolver_addrs *out, struct ub_result *res, int family,
	  uint16_t port)
{
	size_t want = family == AF_INET ? 4 : 16, k = 0;

	for (size_t i = 0; res->data[i] != NULL && k < STS_MAX_ADDRS; i++) {
		struct sts_sockaddr *a = &out->addr[out->n];

		if ((size_t)res->len[i] != want)
			continue;
		memset(a, 0, sizeof(*a));
		if (family == AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)&a->ss;

			s->sin_family = AF_INET;
			s->sin_port = htons(port);
			memcpy(&s->sin_addr, res->data[i], 4);
			a->len = sizeof(*s);
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a->ss;

			s->sin6_family = AF_INET6;
			s->sin6_port = htons(port);
			memcpy(&s->sin6_addr, res->data[i], 16);
			a->len = sizeof(*s);
		}
		out->n++;
		k++;
	}
}

enum sts_af
sts_resolver_families(struct sts_resolver *r)
{
	int64_t now, last;
	int af;

	if (r->af != STS_AF_AUTO)
		return r->af == STS_AF_IPV4 || r->af == STS_AF_IPV6
			       ? r->af
			       : STS_AF_ALL;
	now = sts_now_ms();
	last = __atomic_load_n(&r->af_checked, __ATOMIC_ACQUIRE);
	/* one lookup looks at the interfaces again; the others go on with
	 * what was last seen */
	if ((last == 0 || now - last >= STS_AF_RECHECK_MS) &&
	    __atomic_compare_exchange_n(&r->af_checked, &last, now, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		af = (int)sts_af_detect();
		__atomic_store_n(&r->af_now, af, __ATOMIC_RELEASE);
		return (enum sts_af)af;
	}
	return (enum sts_af)__atomic_load_n(&r->af_now, __ATOMIC_ACQUIRE);
}

enum sts_status
sts_resolver_addrs(struct sts_resolver *r, const char *host, uint16_t port,
		   struct sts_resolver_addrs *out)
{
	return sts_resolver_addrs_until(r, host, port, 0, out);
}

/* The families of sts_resolver_families(); settle_ms: see
 * sts_resolver_addrs_for_connect(). */
static enum sts_status
lookup_addrs(struct sts_resolver *r, const char *host, uint16_t port,
	     int64_t deadline_ms, unsigned settle_ms,
	     struct sts_resolver_addrs *out)
{
	int64_t deadline = sts_deadline_min(deadline_ms, r->timeout_ms);
	const char *names[2] = {host, host};
	static const char *const tname[2] = {"AAAA", "A"};
	int types[2] = {RR_TYPE_AAAA, RR_TYPE_A};
	struct query *q[2];
	struct sts_dns_meta m[2];
	struct ub_result *res[2];
	struct sts_dns_meta *mo = &out->meta;
	char qn[2][STS_DOMAIN_BUFSZ + 8];
	int bad = -1; /* a family whose answer was bogus */
	const char *cn;
	enum sts_af af = sts_resolver_families(r);
	/* asked: [lo, hi) of the AAAA, A order above */
	int lo = af == STS_AF_IPV4 ? 1 : 0, hi = af == STS_AF_IPV6 ? 1 : 2;
	static const char *const asked[3] = {"A or AAAA", "A", "AAAA"};

	memset(out, 0, sizeof(*out));
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 2; i++) {
		q[i] = NULL;
		res[i] = NULL;
		m[i].status = STS_NOTFOUND;
	}
	sts_resolver_run_queries(r, names + lo, types + lo, q + lo,
				 (size_t)(hi - lo), deadline, settle_ms);
	for (int i = lo; i < hi; i++) {
		/* "host AAAA": every reason names the record it is about */
		snprintf(qn[i], sizeof(qn[i]), "%s %s", host, tname[i]);
		res[i] = sts_resolver_classify(r, q[i], qn[i], &m[i]);
		if (m[i].status == STS_BOGUS && bad < 0)
			bad = i;
	}
	if (res[0] != NULL || res[1] != NULL) {
		/* a bogus family is dropped, the good one used (issue 13:
		 * one tampered RRset must not cost the whole host) */
		out->addr = calloc(2 * STS_MAX_ADDRS, sizeof(*out->addr));
		if (out->addr == NULL) {
			mo->status = sts_why(mo->why, sizeof(mo->why),
					     STS_NOMEM, "out of memory");
		} else {
			if (res[0] != NULL)
				add_addrs(out, res[0], AF_INET6, port);
			if (res[1] != NULL)
				add_addrs(out, res[1], AF_INET, port);
			cn = res[res[1] != NULL ? 1 : 0]->canonname;
			sts_resolver_strip_dot(cn != NULL ? cn : host,
					       out->canon, sizeof(out->canon));
			mo->status = out->n ? STS_OK : STS_INVALID;
			if (out->n == 0)
				sts_why(mo->why, sizeof(mo->why), STS_INVALID,
					"%s: malformed address records", host);
			else if (bad >= 0)
				snprintf(mo->why, sizeof(mo->why),
					 "%s (ignored)", m[bad].why);
			/* the weaker state of the families that answered;
			 * a dropped bogus family makes the set BOGUS (status
			 * still OK): connecting to the good family is fine,
			 * counting the set as secure for DANE is not */
			mo->dnssec = STS_DNSSEC_SECURE;
			mo->ttl = UINT32_MAX;
			for (int i = 0; i < 2; i++) {
				if (res[i] == NULL)
					continue;
				if (m[i].dnssec != STS_DNSSEC_SECURE)
					mo->dnssec = STS_DNSSEC_INSECURE;
				if (m[i].ttl < mo->ttl)
					mo->ttl = m[i].ttl;
			}
			if (bad >= 0)
				mo->dnssec = STS_DNSSEC_BOGUS;
		}
	} else if (bad >= 0) {
		/* no usable address and a bogus family: name that record */
		*mo = m[bad];
		if (hi - lo == 2 && m[1 - bad].status != STS_BOGUS)
			sts_why(mo->why, sizeof(mo->why), STS_BOGUS, "%s; %s",
				m[bad].why, m[1 - bad].why);
	} else if (m[0].status == STS_NOTFOUND && m[1].status == STS_NOTFOUND) {
		*mo = m[hi - 1];
		sts_why(mo->why, sizeof(mo->why), STS_NOTFOUND,
			"%s: no %s record (%s)", host, asked[af],
			m[hi - 1].rcode == 3 ? "NXDOMAIN" : "NODATA");
	} else if (hi - lo == 1) {
		*mo = m[lo];
	} else {
		*mo = m[m[1].status == STS_TEMPFAIL ? 1 : 0];
	}
	sts_resolver_release_queries(r, q + lo, (size_t)(hi - lo));
	return mo->status;
}

enum sts_status
sts_resolver_addrs_until(struct sts_resolver *r, const char *host,
			 uint16_t port, int64_t deadline_ms,
			 struct sts_resolver_addrs *out)
{
	return lookup_addrs(r, host, port, deadline_ms, 0, out);
}

enum sts_status
sts_resolver_addrs_for_connect(struct sts_resolver *r, const char *host,
			       uint16_t port, int64_t deadline_ms,
			       struct sts_resolver_addrs *out)
{
	return lookup_addrs(r, host, port, deadline_ms,
			    STS_RESOLVER_RESOLUTION_DELAY_MS, out);
}

void
sts_resolver_addrs_clear(struct sts_resolver_addrs *a)
{
	if (a == NULL)
		return;
	free(a->addr);
	a->addr = NULL;
	a->n = 0;
}

void
sts_resolver_addr_str(const struct sts_sockaddr *a, char *buf, size_t buflen)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)&a->ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, buflen, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else {
		const struct sockaddr_in *s = (const void *)&a->ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, buflen, "%s:%u", ip, ntohs(s->sin_port));
	}
}
