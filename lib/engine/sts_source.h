/*
 * sts_source.h - the engine's seam to the outside world.
 *
 * The policy engine never talks to DNS, HTTPS or SMTP itself: it asks a
 * struct sts_source, a table of function pointers plus an opaque arg.
 * The real implementation (sts_source_net.c) calls the resolver,
 * fetcher, prober and DANE helpers of lib/; the unit tests plug in a
 * scripted source, which is what lets them control every cache rule
 * exactly (tests/engine/).
 *
 * Every function is called WITHOUT any engine lock held, from worker
 * threads (discover, fetch) or from the caller of sts_engine_check()/
 * _lookup() (mx, tlsa, probe), so an implementation must be
 * thread-safe.  timeout_ms is the time the engine can still afford;
 * an implementation should not exceed it by much (the real one is
 * bounded by its own per-query/per-fetch deadlines as well).
 *
 * Status values keep "not found", "try again" and "broken" apart
 * (sts_status.h): NOTFOUND is an authoritative absence, TEMPFAIL a
 * timeout/SERVFAIL/network error, INVALID broken data, BOGUS a DNSSEC
 * validation failure.
 *
 * Ownership: a policy returned by fetch() belongs to the engine, which
 * frees it with sts_policy_free().  Everything else is written into
 * caller-provided structs.  free(arg) is called once by sts_engine_free()
 * (it may be NULL).
 */
#ifndef STS_SOURCE_H
#define STS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sts_dane.h"
#include "sts_limits.h"
#include "sts_policy.h"
#include "sts_record.h"
#include "sts_status.h"

/* DNSSEC state of an answer (the same three states as sts_resolver.h). */
enum sts_source_dnssec {
	STS_SRC_INSECURE = 0,
	STS_SRC_SECURE,
	STS_SRC_BOGUS,
};

/* The MX set of a domain (RFC 5321 section 5.1, RFC 7505). */
struct sts_source_mx {
	enum sts_status
		status; /* OK, NOTFOUND (NXDOMAIN), TEMPFAIL, BOGUS, ... */
	enum sts_source_dnssec dnssec;
	bool null_mx;  /* "MX 0 .": the domain takes no mail; n == 0 */
	bool implicit; /* no MX RRs: n == 1, the domain itself */
	uint32_t ttl;  /* TTL of the answer in seconds (0: unknown); bounds
			  how long the engine keeps this next-hop state */
	size_t n;      /* hosts in ascending preference */
	struct {
		uint16_t pref;
		char name[STS_DOMAIN_BUFSZ];
	} host[STS_MAX_MX];
	char why[STS_WHY_MAX];
};

/* DANE state of one MX host: enum sts_dane_state from sts_dane.h. */

/* Outcome of a STARTTLS probe of one MX host (checklist F3). */
enum sts_probe_state {
	STS_PROBE_NOT_DONE = 0, /* probing off, or not reached */
	STS_PROBE_OK,		/* STARTTLS + PKIX + name match all fine */
	STS_PROBE_FAILED,   /* no STARTTLS or certificate failure: rpt says */
	STS_PROBE_TEMPFAIL, /* could not connect: says nothing about TLS */
};

struct sts_source {
	void *arg;
	/*
	 * (a) Query the _mta-sts.DOMAIN TXT RRset and apply the section 3.1
	 * discovery rules (sts_record_discover()).  OK: *rec filled;
	 * NOTFOUND: no STS record (NXDOMAIN, NODATA, no v=STSv1 RR);
	 * INVALID: several or a broken one; TEMPFAIL; BOGUS.
	 */
	enum sts_status (*discover)(void *arg, const char *domain,
				    unsigned timeout_ms, struct sts_record *rec,
				    char *why, size_t whylen);
	/*
	 * (b) Fetch and parse https://mta-sts.DOMAIN/.well-known/mta-sts.txt.
	 * OK: *out is a new policy.  Otherwise *rpt is the RFC 8460 type
	 * (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid).
	 */
	enum sts_status (*fetch)(void *arg, const char *domain,
				 unsigned timeout_ms, struct sts_policy **out,
				 enum sts_rpt *rpt, char *why, size_t whylen);
	/* (c) The MX set with its DNSSEC state; fills *out (status too). */
	enum sts_status (*mx)(void *arg, const char *domain,
			      unsigned timeout_ms, struct sts_source_mx *out);
	/* (d) TLSA at _25._tcp.HOST, reduced to a DANE state. */
	enum sts_dane_state (*tlsa)(void *arg, const char *host,
				    unsigned timeout_ms, char *why,
				    size_t whylen);
	/* (e) Optional (NULL: no probing): STARTTLS-probe one MX host. */
	enum sts_probe_state (*probe)(void *arg, const char *host,
				      unsigned timeout_ms, enum sts_rpt *rpt,
				      char *why, size_t whylen);
	/* (f) Optional (NULL: none): certificate chains verified with
	 * their signature checks, and found in the verified-chain memo
	 * instead (sts_tls.h), by fetches and probes so far. */
	void (*tls_stats)(void *arg, uint64_t *verified, uint64_t *remembered);
	void (*free)(void *arg);
};

struct sts_engine_conf;

/*
 * The real source (sts_source_net.c): a resolver, fetcher and prober
 * configured from the engine configuration.  Fills *out; OK or a reason.
 * It starts the resolver's background thread (one local query, see
 * start_worker()), so create it after any fork(), as the engine's own
 * threads require anyway.
 */
enum sts_status sts_source_net_new(const struct sts_engine_conf *conf,
				   struct sts_source *out, char *why,
				   size_t whylen);

#endif /* STS_SOURCE_H */
