/*
 * sts_engine.h - the policy engine: the one object that both front doors
 * (the milter at RCPT time and the socketmap policy server at delivery
 * time) ask about a recipient domain.
 *
 * CONTRACT DRAFT: this header is the interface between lib/ (owner: the
 * engine module) and milter/ (the daemon).  Functions and fields named
 * here are relied upon by milter/; extend freely, rename only together
 * with every caller.
 *
 * The engine owns: the RFC 8461 cache (sts_cache), the background
 * workers that discover and fetch policies, the state file
 * (sts_persist), the override table (sts_override) and the verdict
 * (sts_verdict).  It never logs: every answer carries a reason, and
 * events that happen in the background (refresh failures, state-file
 * problems) are handed to the optional event callback, which the daemon
 * turns into log lines.
 *
 * Thread-safety: every sts_engine_* function except _new and _free may
 * be called from any number of threads at once.  _free must be called
 * once, after every other call has returned.
 */
#ifndef STS_ENGINE_H
#define STS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sts_af.h"
#include "sts_limits.h"
#include "sts_policy.h"
#include "sts_status.h"

/* What to do with a message for one recipient domain. */
enum sts_verdict {
	STS_VERDICT_PASS = 0, /* accept, nothing to say */
	STS_VERDICT_TAG,      /* accept, add the header line */
	STS_VERDICT_DEFER,    /* 4xx for this recipient */
	STS_VERDICT_REJECT,   /* 5xx for this recipient (only if configured) */
};
const char *sts_verdict_str(enum sts_verdict v);

/* Why: one code per distinct situation, each with a fixed token. */
enum sts_reason {
	STS_REASON_NO_POLICY = 0, /* domain publishes no policy */
	STS_REASON_MODE_NONE,	  /* policy says mode: none */
	STS_REASON_SATISFIED,	  /* an MX matches (and probed fine) */
	STS_REASON_NOT_A_DOMAIN,  /* address literal, empty, invalid */
	STS_REASON_SKIPPED,	  /* override: skip */
	STS_REASON_EXEMPT,	  /* exempt sender (RFC 8460 5.3) */
	STS_REASON_PENDING,	  /* unknown yet, fetch in background */
	STS_REASON_TEMPFAIL,	/* DNS/HTTP temporary failure, nothing cached */
	STS_REASON_MX_MISMATCH, /* no MX matches the policy */
	STS_REASON_NULL_MX,	/* RFC 7505 null MX: domain takes no mail */
	STS_REASON_TLS_FAILED, /* probed: no matching MX passed STARTTLS/PKIX */
	STS_REASON_DANE,       /* DNSSEC-secure TLSA: DANE decides, not STS */
	STS_REASON_DNSSEC_BOGUS, /* a DNSSEC-bogus answer on the path */
	STS_REASON_FORCED,	 /* override: defer / reject */
	STS_REASON_INTERNAL,	 /* out of memory or similar */
	STS_REASON_COUNT
};
const char *sts_reason_str(enum sts_reason r);

/* One answer for one recipient domain; plain data, caller-owned. */
struct sts_answer {
	enum sts_verdict verdict;
	enum sts_reason reason;
	enum sts_rpt rpt;   /* RFC 8460 result type, or NONE */
	enum sts_mode mode; /* effective mode (after overrides) */
	bool have_policy;   /* a policy (fetched or pinned) applied */
	char domain[STS_DOMAIN_BUFSZ]; /* the policy domain, normalised */
	char why[STS_WHY_MAX];	       /* human reason */
};

/* The delivery-time view: what the socketmap server needs. */
struct sts_lookup {
	/*
	 * OK: policy set; NOTFOUND: none applies (also: policy unfetchable
	 * and nothing cached, RFC 8461 5.1); TEMPFAIL: nothing known yet
	 * (fetch pending) or an internal error -- the map must not defer a
	 * new domain for that (checklist B7); BOGUS: DNSSEC validation
	 * failed for the TXT record (checklist G1: defer, never "no
	 * policy").  Three kinds of "not OK" stay apart: bogus (status
	 * BOGUS), pending (status TEMPFAIL) and an override (defer below).
	 */
	enum sts_status status;
	bool defer;		   /* override defer/reject: delivery must
				      wait (status is TEMPFAIL; delivery
				      time never bounces) */
	struct sts_policy *policy; /* owned by the caller: sts_policy_free() */
	bool enforce;		   /* policy (after overrides) is enforced */
	bool dane;	 /* next hop has DNSSEC-secure TLSA: leave it to DANE.
			    Set when ANY MX host of the set has usable TLSA, also
			    when others have none ("mixed"): Postfix has one
			    level per next hop, and only dane-only neither lets
			    MTA-STS override a failing DANE check (RFC 8461
			    section 2) nor lets a non-DANE MX go without
			    authentication (doc/postfix.md, "Mixed DANE") */
	bool dane_mixed; /* dane, but some MX host has no usable TLSA */
	char domain[STS_DOMAIN_BUFSZ];
	char why[STS_WHY_MAX];
};

/* Reactions, OpenDKIM-style On-<event>: what each event becomes. */
struct sts_reactions {
	enum sts_verdict enforce_failure; /* default DEFER */
	enum sts_verdict testing_failure; /* default TAG */
	enum sts_verdict temp_error;	  /* default TAG */
	enum sts_verdict dnssec_bogus;	  /* default DEFER */
	enum sts_verdict null_mx;	  /* default PASS (RFC 7505: the
					     domain takes no mail; the MTA
					     bounces it, we do not defer) */
};

/* Background events the daemon may log (never called with a lock held;
 * called from worker and maintenance threads, concurrently: the
 * callback must be thread-safe).  domain may be NULL. */
enum sts_event_level {
	STS_EV_DEBUG,
	STS_EV_INFO,
	STS_EV_WARNING,
	STS_EV_ERROR
};
typedef void sts_event_fn(void *arg, enum sts_event_level lvl,
			  const char *domain, const char *msg);

struct sts_engine_conf {
	/* resolver */
	const char *trust_anchor_file; /* default /usr/share/dns/root.key */
	const char *unbound_conf;      /* optional ub_ctx_config() file */
	const char *resolv_conf;       /* optional ub_ctx_resolvconf() file */
	const char *forwarders;	       /* optional, comma/space separated */
	unsigned dns_timeout_ms;       /* per query */
	enum sts_af families; /* A/AAAA asked for (sts_af.h); 0: both */
	/* fetcher */
	const char *ca_file; /* default /etc/ssl/certs/ca-certificates.crt */
	unsigned fetch_timeout_ms; /* overall */
	/* prober */
	bool probe; /* STARTTLS-probe matching MX hosts */
	unsigned probe_timeout_ms;
	unsigned probe_cache_ttl; /* seconds a probe result per MX host
				     is reused (0: 600; a probe that
				     could not connect: 30 at most) */
	/* cache */
	size_t cache_max;	   /* entries, LRU beyond */
	unsigned negative_ttl;	   /* seconds a "no policy" answer is kept */
	unsigned failure_backoff;  /* seconds, >= 300 (RFC 8461 3.3 / C8) */
	unsigned workers;	   /* background fetch threads */
	unsigned recheck;	   /* seconds between TXT id checks of a
				      cached policy on use (E2, E5; RFC
				      8461 5.1), and the least time between
				      fetches of a max_age 0 policy */
	size_t queue_max;	   /* first-time lookups queued at most;
				      beyond, answered pending (0: 1024) */
	unsigned refresh_max;	   /* refresh a policy at most this long
				      after its fetch (E5; daily) */
	const char *state_file;	   /* optional persistence */
	unsigned save_interval;	   /* seconds between state-file saves
				      (0: only at _free / _save) */
	unsigned sweep_interval;   /* seconds between refresh sweeps
				      (0: none; see sts_engine_maintain) */
	const char *override_file; /* optional */
	const char *relayhost;	   /* optional smart host (RFC 8461 3.4) */
	/* optional shared cache tier (sts_shared.h, doc/fleet.md): NULL or
	 * "" -- none, and no Redis code runs */
	const char *shared_cache;    /* redis://... or unix:/... */
	const char *shared_password; /* replaces the URL's (NULL: none) */
	unsigned shared_timeout_ms;  /* per Redis command (0: 500) */
	struct sts_reactions react;
	sts_event_fn *event; /* optional */
	void *event_arg;
	/* clock, injectable for tests; NULL = time(NULL) */
	time_t (*now)(void *arg);
	void *now_arg;
};

/* Fill *c with the defaults: timeouts dns 5 s, fetch 5 s, probe 10 s
 * (probe off), probe_cache_ttl 600; cache_max 100000, negative_ttl 300,
 * failure_backoff 300, workers 4, recheck 60, refresh_max 86400, save_interval
 * 300, sweep_interval 60; reactions enforce_failure DEFER, testing_failure TAG,
 * temp_error TAG, dnssec_bogus DEFER, null_mx PASS; every string NULL (library
 * defaults), no event callback, clock time(NULL). */
void sts_engine_conf_defaults(struct sts_engine_conf *c);

struct sts_engine;

struct sts_source;

/* Create the engine with its source of DNS/HTTPS/SMTP answers (the real
 * one from sts_source_net_new(), or a scripted one in tests), load the
 * state file and override file, start the workers.  The engine takes
 * over *src (calls src->free(src->arg) at _free, also when _new fails).
 * NULL with a reason on failure. */
struct sts_engine *sts_engine_new(const struct sts_engine_conf *c,
				  const struct sts_source *src, char *why,
				  size_t whylen);

/* Stop workers, save the state file, free everything.  NULL accepted. */
void sts_engine_free(struct sts_engine *e);

/*
 * Next-hop state (the MX set with its DNSSEC state and the TLSA/DANE
 * state of every MX host) is kept per policy domain for the MX answer's
 * TTL, at least 60 s and at most 1 h, and only 30 s when it holds a
 * DNSSEC-bogus or temporary failure; probe results are kept per MX host
 * for probe_cache_ttl.  So a warm _check/_lookup does no DNS and no
 * network at all; a refresh is single-flight (one caller looks up,
 * others wait for it within their deadline).  When a policy is being
 * fetched, its next-hop state is gathered at the same time in the
 * background.
 *
 * RCPT-time verdict for a recipient domain (raw, as in the address: any
 * case, trailing dot, UTF-8, address literal), for sender `from` (raw
 * envelope sender, may be "" or NULL; used for exemptions).  Never
 * blocks longer than deadline_ms (plus scheduling jitter): the deadline
 * covers waiting for an in-flight policy fetch AND the MX/TLSA (and
 * probe) lookups that a testing/enforce policy needs; with deadline_ms
 * 0 nothing is waited for, so such a policy yields react.temp_error
 * unless its next-hop state (and probe results) are cached.
 * Always fills *out.  Decision order: lib/engine/sts_verdict.h.  An
 * enforce failure (DEFER/REJECT) from a cached policy is answered only
 * after the TXT id re-check of sts_engine_recheck.c (RFC 8461 5.1 step
 * 3; a REJECT whose check cannot be made in time becomes DEFER).
 */
void sts_engine_check(struct sts_engine *e, const char *domain,
		      const char *from, unsigned deadline_ms,
		      struct sts_answer *out);

/* Delivery-time lookup for the socketmap server; never blocks longer
 * than deadline_ms.  A cached policy that matches none of the current MX
 * hosts is re-checked first (sts_engine_recheck.c).  Always fills *out;
 * caller frees out->policy. */
void sts_engine_lookup(struct sts_engine *e, const char *domain,
		       unsigned deadline_ms, struct sts_lookup *out);

/* The same for a next hop the MTA names itself (relayhost, transport
 * nexthop; sts_nexthop.h): host is the policy domain (RFC 8461 section
 * 3.4).  literal ("[host]"): no MX lookup, the host itself is the one
 * MX, and DANE is decided by its own TLSA records (Postfix does the
 * same); otherwise as sts_engine_lookup(). */
void sts_engine_lookup_hop(struct sts_engine *e, const char *host, bool literal,
			   unsigned deadline_ms, struct sts_lookup *out);

/* Re-read the override file; on error keep the old table, return
 * non-OK with the reason (file:line). */
enum sts_status sts_engine_reload_overrides(struct sts_engine *e, char *why,
					    size_t whylen);

/* Save the state file now (also done periodically and at _free). */
enum sts_status sts_engine_save(struct sts_engine *e, char *why, size_t whylen);

/* Counters for logs, tests and benchmarks. */
struct sts_engine_stats {
	uint64_t lookups, hits, misses, negative_hits, txt_queries, fetches,
		fetch_failures, evictions;
	uint64_t queue_full; /* first-time lookups not queued (cap) */
	size_t queued;	     /* background jobs waiting now */
	uint64_t mx_queries; /* next-hop (MX + TLSA) lookups made */
	uint64_t probes;     /* STARTTLS probes made */
	/* shared tier (all 0 without SharedCache): entries read, found
	 * usable, written; errors (timeouts, refusals, unreachable);
	 * invalid entries refused; announcements heard; up now */
	uint64_t shared_gets, shared_hits, shared_writes, shared_errors,
		shared_invalid, shared_announcements;
	bool shared_up;
	size_t entries;
};
void sts_engine_stats(struct sts_engine *e, struct sts_engine_stats *out);

/* Queue proactive refreshes that are due and drop stale entries (the
 * maintenance thread does this every sweep_interval; exposed for tests
 * and for daemons that prefer their own timer).  Returns jobs queued. */
size_t sts_engine_maintain(struct sts_engine *e);

/* Wait up to timeout_ms until no background job is queued or running
 * and no next-hop/probe helper thread is left; true if idle.  For tests. */
bool sts_engine_idle_wait(struct sts_engine *e, unsigned timeout_ms);

#endif /* STS_ENGINE_H */
