/*
 * scripted.h - the one permitted fake: a struct sts_source that returns
 * scripted answers, so that the engine's cache rules can be driven
 * exactly (tests/engine/).  Policies are given as policy-file text and
 * parsed by the real parser (sts_policy_parse).
 *
 * Thread-safe: the script and the call counters are under one mutex;
 * every source call may sleep delay_ms first (to widen race windows).
 */
#ifndef TESTS_ENGINE_SCRIPTED_H
#define TESTS_ENGINE_SCRIPTED_H

#include "sts_source.h"

struct scripted;

struct scripted *scripted_new(void);
void scripted_free(struct scripted *s);

/* A source that reads s (s must outlive the engine; src.free is NULL). */
struct sts_source scripted_source(struct scripted *s);

/* What discovery and fetch of domain return from now on.  policy is a
 * policy body ("version: STSv1\nmode: ...") or NULL. */
void scripted_set(struct scripted *s, const char *domain, enum sts_status disc,
		  const char *id, enum sts_status fetch, const char *policy);
/* The MX set: hosts comma-separated ("" with null_mx for "MX 0 ."). */
void scripted_mx(struct scripted *s, const char *domain, enum sts_status st,
		 enum sts_source_dnssec dnssec, const char *hosts, bool null_mx,
		 bool implicit);
void scripted_tlsa(struct scripted *s, const char *host, enum sts_dane_state d);
void scripted_probe(struct scripted *s, const char *host,
		    enum sts_probe_state p, enum sts_rpt rpt);
void scripted_delay(struct scripted *s, unsigned ms);

/* Calls seen so far for domain. */
unsigned scripted_discovers(struct scripted *s, const char *domain);
unsigned scripted_fetches(struct scripted *s, const char *domain);

/* A fake clock for conf.now (starts at 1700000000), and moving it on. */
time_t scripted_clock(void *arg);
void scripted_advance(time_t s);

/* MX, TLSA and probe calls seen so far (all domains and hosts). */
void scripted_next_hop_calls(struct scripted *s, unsigned *mx, unsigned *tlsa,
			     unsigned *probe);

#endif
