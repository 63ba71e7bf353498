/*
 * sts_probe.h - the STARTTLS prober: does this MX offer STARTTLS with a
 * certificate an MTA-STS (or DANE) sender would accept?
 *
 * An explicit state machine, after OpenSMTPD's mta_session.c:
 *   CONNECT -> BANNER -> EHLO -> STARTTLS -> HANDSHAKE -> VERIFY -> QUIT
 * Each step has its own deadline (step_ms) and the whole probe one
 * overall deadline (timeout_ms); the earlier one wins.  The MX's
 * addresses come from our validating resolver and are raced (RFC 8305
 * happy eyeballs, sts_sock_connect_any(): IPv6 first, the next 250 ms
 * later or as soon as one fails, each bounded by step_ms); the first that
 * connects is probed.  Replies are parsed by sts_smtp.h
 * (multi-line, bounded).  Bytes pipelined after the 220 reply to STARTTLS
 * are refused (command injection): validation-failure.
 *
 * Verification: SNI = the MX host name.  If conf->tlsa is given and its
 * state is USABLE (secure, sts_dane.h), DANE decides (RFC 7672; MTA-STS
 * never overrides DANE); a bogus TLSA answer yields dnssec-invalid
 * without connecting; otherwise PKIX against the CA bundle with the MX
 * name (RFC 8461 section 4.2).
 *
 * Results (RFC 8460 section 4.3.2):
 *   STS_OK        STARTTLS done and verified (PKIX or DANE)
 *   STS_NOTFOUND  starttls-not-supported (EHLO lacks STARTTLS or the
 *                 STARTTLS command was refused)
 *   STS_INVALID   certificate-host-mismatch / certificate-expired /
 *                 certificate-not-trusted / validation-failure /
 *                 tlsa-invalid / dane-required (DANE usable but TLS
 *                 impossible) / dnssec-invalid (STS_BOGUS)
 *   STS_TEMPFAIL  no address reachable, timeout, protocol error
 *                 (rpt: validation-failure when TLS failed in the
 *                 handshake, else none)
 *
 * Thread-safety: sts_probe_mx() may run in many threads at once with the
 * same resolver and struct sts_tls.  Never logs.
 */
#ifndef STS_PROBE_H
#define STS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sts_dane.h"
#include "sts_limits.h"
#include "sts_resolver.h"
#include "sts_status.h"
#include "sts_tls.h"

#define STS_PROBE_DEFAULT_TIMEOUT_MS 10000u
#define STS_PROBE_DEFAULT_STEP_MS 5000u

enum sts_probe_step {
	STS_PROBE_CONNECT = 0,
	STS_PROBE_BANNER,
	STS_PROBE_EHLO,
	STS_PROBE_STARTTLS,
	STS_PROBE_HANDSHAKE,
	STS_PROBE_VERIFY,
	STS_PROBE_QUIT,
	STS_PROBE_DONE,
};

/* "connect", "banner", ..., "done". */
const char *sts_probe_step_str(enum sts_probe_step s);

struct sts_probe_conf {
	unsigned timeout_ms; /* overall; 0: STS_PROBE_DEFAULT_TIMEOUT_MS */
	unsigned step_ms;    /* per step; 0: STS_PROBE_DEFAULT_STEP_MS */
	uint16_t port;	     /* 0: 25 */
	const char *helo;    /* EHLO name; NULL: "localhost" */
	/* optional TLSA answer for the MX (not copied); NULL: PKIX only */
	const struct sts_resolver_tlsa *tlsa;
};

struct sts_probe_result {
	enum sts_status status;
	enum sts_rpt rpt;
	enum sts_probe_step step; /* where it ended (DONE on success) */
	bool starttls;		  /* EHLO advertised STARTTLS */
	bool dane;		  /* verified by DANE rather than PKIX */
	char addr[64];		  /* address of the last attempt */
	char banner[128];	  /* first line of the 220 greeting */
	char tls_version[16];
	char cipher[64];
	unsigned elapsed_ms;
	char why[STS_WHY_MAX];
};

/*
 * Probe mxhost (A-labels).  conf may be NULL.  out is always filled;
 * returns out->status.
 */
enum sts_status sts_probe_mx(struct sts_resolver *r, struct sts_tls *t,
			     const char *mxhost,
			     const struct sts_probe_conf *conf,
			     struct sts_probe_result *out);

#endif /* STS_PROBE_H */
