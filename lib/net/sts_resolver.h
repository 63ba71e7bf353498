/*
 * sts_resolver.h - DNSSEC-validating DNS lookups through libunbound.
 *
 * One struct sts_resolver wraps ONE ub_ctx, shared by every thread of the
 * process (create it once at start-up, free it at shut-down).  Lookups
 * return typed answers for TXT (RFC 8461 section 3.1), MX (RFC 5321
 * section 5.1), A/AAAA (addresses to connect to) and TLSA (RFC 6698,
 * RFC 7672).  CNAME chains are followed by libunbound (checklist B1).
 *
 * Every answer carries a struct sts_dns_meta:
 *   status  STS_OK        data present (for MX also: null MX, implicit MX)
 *           STS_NOTFOUND  NXDOMAIN or NODATA (authoritative absence)
 *           STS_TEMPFAIL  SERVFAIL, REFUSED, timeout, network error
 *           STS_BOGUS     DNSSEC validation failed: NO DATA IS RETURNED
 *           STS_INVALID   the answer's RDATA could not be parsed
 *           STS_NOMEM     allocation failed or a cap was exceeded
 *   dnssec  secure / insecure / bogus (why holds libunbound's why_bogus)
 *   ttl     of the answer (0 when none; for NOTFOUND the negative TTL
 *           when libunbound reports one)
 *   why     a one-line reason for anything other than STS_OK
 * The data of a bogus answer is never copied out: callers cannot use it
 * by mistake (checklist G1: bogus TLSA means defer, "dnssec-invalid").
 *
 * Deadline: libunbound's ub_resolve() blocks without a time limit, so
 * every lookup here uses ub_resolve_async() and waits on ub_fd() with
 * poll(), calling ub_process(), until the answer arrives or the query's
 * deadline passes; then it is ub_cancel()ed and STS_TEMPFAIL ("timeout")
 * is returned.  The wait never exceeds conf->timeout_ms (plus scheduling
 * jitter).  libunbound runs its resolver in a thread (ub_ctx_async(1)),
 * never in a forked process.
 *
 * Thread-safety: sts_resolver_new()/_free() are not (call them once, from
 * one thread).  Every lookup function may be called from many threads at
 * once on the same resolver: ub_resolve_async/ub_process/ub_cancel are
 * internally locked, callbacks may run in whichever thread calls
 * ub_process(), and each query's state is reference-counted so that a
 * cancelled query whose answer races in is freed safely.
 *
 * Ownership: answers are caller-provided structs filled by the lookup;
 * release their heap parts with the matching *_clear() (safe on a zeroed
 * or already-cleared struct, and after any return status).  Nothing
 * returned points into libunbound's memory.
 */
#ifndef STS_RESOLVER_H
#define STS_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sts_af.h"
#include "sts_limits.h"
#include "sts_record.h"
#include "sts_status.h"

/* Debian's dns-root-data trust anchor. */
#define STS_RESOLVER_DEFAULT_TA "/usr/share/dns/root.key"
/* Default per-query deadline. */
#define STS_RESOLVER_DEFAULT_TIMEOUT_MS 5000u

struct sts_resolver_conf {
	/*
	 * Trust anchor file (ub_ctx_add_ta_autr() is NOT used: the file is
	 * read with ub_ctx_add_ta_file()).  NULL means
	 * STS_RESOLVER_DEFAULT_TA; "" means none (only sensible when
	 * unbound_conf supplies the anchor).  A missing default file is
	 * not an error (validation then yields "insecure"); a missing
	 * file that was named explicitly is.
	 */
	const char *trust_anchor_file;
	/* Optional unbound.conf-style file for ub_ctx_config(): lets the
	 * lab inject stub zones, anchors, local-zone settings. */
	const char *unbound_conf;
	/* Optional resolv.conf for ub_ctx_resolvconf() (forward to those
	 * servers, still validating ourselves). */
	const char *resolv_conf;
	/* Optional forwarders: IP addresses separated by commas and/or
	 * spaces, each given to ub_ctx_set_fwd(). */
	const char *forwarders;
	/* Per-query deadline in ms; 0 means STS_RESOLVER_DEFAULT_TIMEOUT_MS. */
	unsigned timeout_ms;
	/* The families the address lookups ask for (sts_af.h); STS_AF_ALL
	 * (0) asks A and AAAA, STS_AF_AUTO those this host can use. */
	enum sts_af families;
};

struct sts_resolver;

enum sts_dnssec {
	STS_DNSSEC_INSECURE = 0, /* not signed or not validated */
	STS_DNSSEC_SECURE,	 /* validated chain of trust */
	STS_DNSSEC_BOGUS,	 /* validation failed */
};

/* "insecure", "secure", "bogus". */
const char *sts_dnssec_str(enum sts_dnssec d);

struct sts_dns_meta {
	enum sts_status status;
	enum sts_dnssec dnssec;
	uint32_t ttl;
	int rcode;	       /* DNS RCODE as reported (0 NOERROR, 2, 3...) */
	char why[STS_WHY_MAX]; /* "" on STS_OK (addresses: see below) */
};

/* TXT: one entry per RR, character-strings joined with no separator
 * (checklist B2).  rr[] is directly usable with sts_record_discover(). */
struct sts_resolver_txt {
	struct sts_dns_meta meta;
	size_t n;	    /* 0..STS_MAX_TXT_RRS */
	struct sts_txt *rr; /* owned, each rr[i].data NUL-terminated too */
};

struct sts_mx_host {
	uint16_t pref;
	char name[STS_DOMAIN_BUFSZ]; /* lower case, no trailing dot */
};

/*
 * MX.  On STS_OK:
 *   - normal: n >= 1 hosts sorted by ascending preference (stable, so
 *     equal preferences keep the DNS order);
 *   - null_mx: the single RR "0 ." (RFC 7505): the domain takes no mail,
 *     n == 0;
 *   - implicit: the name exists but has no MX RRs (NODATA): RFC 5321
 *     section 5.1 implicit MX, n == 1 with the queried domain itself,
 *     pref 0.  meta.dnssec is then the state of the NODATA proof.
 * NXDOMAIN is STS_NOTFOUND.
 */
struct sts_resolver_mx {
	struct sts_dns_meta meta;
	bool null_mx;
	bool implicit;
	size_t n;		/* 0..STS_MAX_MX */
	struct sts_mx_host *mx; /* owned */
};

/* One address to connect to; port already set in the sockaddr. */
struct sts_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/*
 * A and AAAA together (both queried in parallel, one deadline).  STS_OK
 * when either has data; addresses come IPv6 first, then IPv4, each in
 * DNS order.  meta.dnssec is the weaker of the two answers' states;
 * meta.ttl the smaller TTL.  A bogus answer for one family is dropped
 * and the other family's addresses are used (its data is never
 * returned): STS_OK, meta.dnssec BOGUS (fine to connect to, but never
 * a secure set: sts_dane_lookup() treats it as bogus), and
 * meta.why names the dropped record ("HOST AAAA: DNSSEC bogus: ...
 * (ignored)").  With no usable address from the other family the lookup
 * is STS_BOGUS, meta.why naming the bogus record ("HOST A: DNSSEC
 * bogus: ...").  STS_NOTFOUND when both families are NXDOMAIN/NODATA;
 * STS_TEMPFAIL when neither has data and at least one failed
 * temporarily.  Every reason names the record type it is about.
 */
struct sts_resolver_addrs {
	struct sts_dns_meta meta;
	size_t n;		   /* 0..2*STS_MAX_ADDRS */
	struct sts_sockaddr *addr; /* owned */
	/* the CNAME-expanded name the addresses belong to (lower case, no
	 * trailing dot; the host itself when there was no CNAME): the TLSA
	 * base domain of RFC 7672 section 2.2.2 */
	char canon[STS_DOMAIN_BUFSZ];
};

/* One TLSA RR (RFC 6698 section 2.1). */
struct sts_tlsa {
	uint8_t usage;	  /* 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE */
	uint8_t selector; /* 0 full cert, 1 SubjectPublicKeyInfo */
	uint8_t mtype;	  /* 0 full, 1 SHA-256, 2 SHA-512 */
	size_t len;
	unsigned char *data; /* owned */
};

/* TLSA at _PORT._tcp.HOST.  Check meta.dnssec: only a SECURE answer
 * may be used for DANE (RFC 7672 section 2.2). */
struct sts_resolver_tlsa {
	struct sts_dns_meta meta;
	size_t n;	     /* 0..STS_MAX_TLSA */
	struct sts_tlsa *rr; /* owned */
};

/*
 * Create the process-wide resolver.  conf may be NULL (all defaults).
 * Strings in conf are copied.  Options are applied in this order:
 * unbound_conf, resolv_conf, forwarders, trust anchor.
 *   STS_OK       *out set
 *   STS_INVALID  a file could not be read or an option was refused
 *   STS_NOMEM
 */
enum sts_status sts_resolver_new(const struct sts_resolver_conf *conf,
				 struct sts_resolver **out, char *why,
				 size_t whylen);

/* Frees the ub_ctx.  No lookup may be running.  NULL is fine. */
void sts_resolver_free(struct sts_resolver *r);

/* The configured per-query deadline in ms. */
unsigned sts_resolver_timeout_ms(const struct sts_resolver *r);

/* The families the address lookups ask for now: STS_AF_ALL, _IPV4 or
 * _IPV6 (STS_AF_AUTO resolved, at most STS_AF_RECHECK_MS old). */
enum sts_af sts_resolver_families(struct sts_resolver *r);

/*
 * Lookups.  name is an A-label host name, with or without trailing dot.
 * The return value equals out->meta.status.  out is always initialised
 * (also on failure); release it with the matching _clear().
 */
enum sts_status sts_resolver_txt(struct sts_resolver *r, const char *name,
				 struct sts_resolver_txt *out);
enum sts_status sts_resolver_mx(struct sts_resolver *r, const char *domain,
				struct sts_resolver_mx *out);
/* port (host byte order) is stored in every returned sockaddr. */
enum sts_status sts_resolver_addrs(struct sts_resolver *r, const char *host,
				   uint16_t port,
				   struct sts_resolver_addrs *out);
/* Queries _port._tcp.host. */
enum sts_status sts_resolver_tlsa(struct sts_resolver *r, const char *host,
				  uint16_t port, struct sts_resolver_tlsa *out);

/*
 * The *_until() forms also give up at deadline_ms (absolute, sts_now_ms()
 * of sts_sock.h; 0 = none) when that comes before the resolver's own
 * per-query deadline: callers with a budget (the fetcher, the prober, the
 * engine at RCPT time) keep ONE overall deadline that includes DNS.
 */
enum sts_status sts_resolver_txt_until(struct sts_resolver *r, const char *name,
				       int64_t deadline_ms,
				       struct sts_resolver_txt *out);
enum sts_status sts_resolver_mx_until(struct sts_resolver *r,
				      const char *domain, int64_t deadline_ms,
				      struct sts_resolver_mx *out);
enum sts_status sts_resolver_addrs_until(struct sts_resolver *r,
					 const char *host, uint16_t port,
					 int64_t deadline_ms,
					 struct sts_resolver_addrs *out);
enum sts_status sts_resolver_tlsa_until(struct sts_resolver *r,
					const char *host, uint16_t port,
					int64_t deadline_ms,
					struct sts_resolver_tlsa *out);

/*
 * sts_resolver_addrs_until() for a connection (the fetcher, the prober,
 * the report POST): once one family has answered with usable data, the
 * other gets STS_RESOLVER_RESOLUTION_DELAY_MS more (RFC 8305 section 3),
 * so that a name server that drops AAAA (or A) queries costs 50 ms, not
 * the whole query timeout.  A family cut off that way is left out as if
 * it had timed out, so meta.dnssec may miss a late bogus answer: never
 * use this form to judge a set's DNSSEC state (sts_dane_lookup() waits
 * for both families).
 */
#define STS_RESOLVER_RESOLUTION_DELAY_MS 50
enum sts_status sts_resolver_addrs_for_connect(struct sts_resolver *r,
					       const char *host, uint16_t port,
					       int64_t deadline_ms,
					       struct sts_resolver_addrs *out);

void sts_resolver_txt_clear(struct sts_resolver_txt *a);
void sts_resolver_mx_clear(struct sts_resolver_mx *a);
void sts_resolver_addrs_clear(struct sts_resolver_addrs *a);
void sts_resolver_tlsa_clear(struct sts_resolver_tlsa *a);

/* Format an address as "1.2.3.4:25" / "[::1]:25" into buf (>= 64). */
void sts_resolver_addr_str(const struct sts_sockaddr *a, char *buf,
			   size_t buflen);

#endif /* STS_RESOLVER_H */
