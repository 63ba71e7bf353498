/*
 * milter/tlsrpt_send.h - the daily report pass (RFC 8460 sections 3-5):
 * for each complete UTC day and policy domain in the journal, look up
 * _smtp._tls.DOMAIN (DNSSEC-validating resolver: a bogus answer sends
 * nothing), build the report, gzip it and deliver it to every rua= URI:
 * mailto: through the local MTA's sendmail binary (section 5.3 form;
 * envelope and From: TLSRPTContact, which must be an exempt-sender in
 * the OverrideFile so that TLS failures never hold the report back,
 * section 5.3), https: by POST (section 5.4, same certificate rules as
 * the policy fetcher).  Failed deliveries are retried with exponential
 * backoff (5 min doubling, at most 6 h apart) for 24 hours (section
 * 5.5), then given up.  Pending retries are kept in TLSRPTJournal.retry
 * (milter/tlsrpt_retry.h), reloaded by _new and rewritten after each
 * pass that changed them, so that a restart neither loses one nor sends
 * a report again to a URI that took it.
 *
 * Thread-safety: one pass at a time (the daemon's sender thread);
 * _next_retry and _counts from any thread.
 */
#ifndef MILTER_TLSRPT_SEND_H
#define MILTER_TLSRPT_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "sts_engine.h"
#include "sts_rptstore.h"

struct tlsrpt_sender;

struct tlsrpt_sender *tlsrpt_sender_new(const struct conf *c,
					struct sts_engine *e, char *why,
					size_t whylen);
void tlsrpt_sender_free(struct tlsrpt_sender *s);

/* Send every report due at now (days before now's UTC day, retries whose
 * time has come); with today (TLSRPTSendToday, for tests) also today's
 * partial report; with force (SIGUSR2) pending retries at once too.  A
 * retry goes only to the rua URIs not yet delivered. */
void tlsrpt_sender_pass(struct tlsrpt_sender *s, struct sts_rptstore *st,
			time_t now, bool today, bool force);

/* Earliest pending retry, 0 if none. */
time_t tlsrpt_sender_next_retry(struct tlsrpt_sender *s);

void tlsrpt_sender_counts(struct tlsrpt_sender *s, unsigned long long *sent,
			  unsigned long long *failed);

#endif /* MILTER_TLSRPT_SEND_H */
