/*
 * milter/tlsrpt.h - the daemon's TLS-report sender (RFC 8460): collect
 * results, aggregate them per policy domain and UTC day in the journal
 * (lib/engine/sts_rptstore.h), and once a day send each domain that
 * publishes an _smtp._tls record its report (milter/tlsrpt_send.c).
 *
 * Three sources feed the same aggregate:
 *  - the collector socket (TLSRPTSocket): libtlsrpt datagrams, protocol
 *    version "1" (lib/proto/sts_rptdgram.h), as Postfix >= 3.10 sends
 *    them with smtp_tlsrpt_enable = yes: one per TLS handshake attempt;
 *  - tlsrpt_observe(): what the milter sees at RCPT time (policy fetch
 *    failures, MX mismatch, STARTTLS probe results), for MTAs without
 *    libtlsrpt (sendmail; Postfix before 3.10).  Used only while no
 *    collector socket is configured, so that a Postfix 3.10 session is
 *    never counted twice;
 *  - tlsrpt_line_answer(): the Exim line protocol's "tlsrpt" request
 *    (lib/engine/sts_line.h), one per TLS session Exim's transport
 *    event_action reports (doc/tlsrpt.md says which);
 *  - tlsrpt_record_datagram() / tlsrpt_record(): for other front ends.
 *
 * Thread-safety: _start/_stop once, from the main thread; every other
 * function from any thread, also when reporting is off (then they do
 * nothing and return -1), between _start and _stop: a front end that
 * records (the milter, the Exim listener) must have stopped before
 * tlsrpt_stop() is called.
 */
#ifndef MILTER_TLSRPT_H
#define MILTER_TLSRPT_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "sts_engine.h"
#include "sts_line.h"
#include "sts_rptagg.h"

/* The TLSRPT* settings beyond their syntax (conf.c): errors (an unusable
 * TLSRPTSocket or TLSRPTContact) and warnings (settings without effect,
 * a missing sendmail program) as "FILE: message" lines to out.  0 when
 * there is no error (warnings allowed), -1 otherwise.  For -n and start. */
int tlsrpt_check_conf(const struct conf *c, FILE *out);

/* Open the journal, the collector socket, start the threads.  0, or -1
 * with why (the daemon refuses to start).  Does nothing (0) when
 * TLSRPTJournal is unset. */
int tlsrpt_start(const struct conf *c, struct sts_engine *e, char *why,
		 size_t whylen);

/* Stop the threads, flush and close.  Safe when never started. */
void tlsrpt_stop(void);

/* Run the report pass now instead of at the next scheduled time
 * (SIGUSR2; the tests use it).  Reports go out for every complete UTC
 * day held (days before today; with TLSRPTSendToday today's too), and
 * pending retries are tried at once. */
void tlsrpt_send_now(void);

/* Count one session's policy block p for recipient/policy domain
 * (normalised A-labels) today.  0, or -1 (off, refused by a cap). */
int tlsrpt_record(const char *domain, const struct sts_rpt_policy *p);

/* Count one libtlsrpt datagram (its JSON text, len bytes): what the
 * collector socket does with each datagram; the Exim line protocol
 * hands its TLSRPT lines here.  0, or -1 (invalid: counted as bad). */
int tlsrpt_record_datagram(const char *json, size_t len);

/* Answer one parsed "tlsrpt" request (req->verb STS_LINE_TLSRPT) into
 * out[outlen] (sts_line_format_tlsrpt(): action=ok, ignored when
 * reporting is off, error when the domain is invalid or a cap refused
 * the session).  Never blocks on the network: an sts session's policy
 * block is what the cache holds.  Returns the reply length. */
size_t tlsrpt_line_answer(const struct sts_line_req *req, char *out,
			  size_t outlen);

/* The milter's RCPT-time answer for one recipient domain (see the
 * header comment and doc/tlsrpt.md for what counts as a session). */
void tlsrpt_observe(struct sts_engine *e, const struct sts_answer *a);

struct tlsrpt_stats {
	unsigned long long datagrams, bad_datagrams, observed, refused;
	unsigned long long exim_sessions; /* "tlsrpt" line requests */
	unsigned long long reports_sent, reports_failed;
};
void tlsrpt_get_stats(struct tlsrpt_stats *o);

#endif /* MILTER_TLSRPT_H */
