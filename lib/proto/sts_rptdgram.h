/*
 * sts_rptdgram.h - one libtlsrpt datagram (what Postfix 3.10 built with
 * libtlsrpt sends to the TLSRPT collector socket after each delivery
 * attempt's TLS negotiation).
 *
 * Protocol implemented: libtlsrpt datagram protocol version "1" ("dpv"),
 * as written by libtlsrpt 0.5.0 and later (sys4/libtlsrpt, libtlsrpt.c,
 * tlsrpt_finish_delivery_request; checked against 0.5.1rc2), and the same
 * format without "dpv" (version 0) that earlier releases send -- Debian
 * 13's Postfix 3.10 links libtlsrpt 0.5.0rc1, which omits it.  One JSON
 * object per datagram:
 *
 *   {["dpv":"1",]"d":DOMAIN,"pr":TLSRPT-RECORD,
 *    "policies":[{"policy-type":1|2|9,["policy-domain":S,]
 *                 ["policy-string":[S...],]["mx-host":[S...],]
 *                 ["failure-details":[{"c":CODE,["s":S,]["n":S,]["h":S,]
 *                                      ["r":S,]["a":S,]["f":S]}...],]
 *                 "t":FAILURES,"f":0|1}...]}
 *
 * policy-type 1 tlsa, 2 sts, 9 no-policy-found; "f" is the final result
 * of that policy (0 success, 1 failure); "t" the number of failure rows;
 * failure code 201..205, 301..306 are RFC 8460 section 4.3's result types
 * in its order (tlsrpt.h).  Row keys: s sending-mta-ip, n
 * receiving-mx-hostname, h receiving-mx-helo, r receiving-ip, a
 * additional-information, f failure-reason-code.
 *
 * Strict: any other key, a repeated key, a wrong type, a count that
 * disagrees ("t" vs the rows), an unknown code, a field over its cap
 * (sts_limits.h) or bytes after the object make the whole datagram invalid (the
 * collector counts and drops it).
 *
 * Pure and thread-safe.  *out belongs to the caller:
 * sts_rptdgram_free() (NULL accepted).
 */
#ifndef STS_RPTDGRAM_H
#define STS_RPTDGRAM_H

#include <stddef.h>

#include "sts_limits.h"
#include "sts_rptagg.h"
#include "sts_status.h"

#define STS_RPTDGRAM_VERSION "1"

struct sts_rptdgram {
	int version;		       /* 1, or 0 when "dpv" is absent */
	char domain[STS_DOMAIN_BUFSZ]; /* "d", normalised (A-labels) */
	char *record;		       /* "pr", the _smtp._tls TXT seen */
	size_t n_pol;
	/* one per policy block: success 1 or failure 1 (the session), one
	 * row per failure detail with count 1 */
	struct sts_rpt_policy pol[STS_MAX_RPT_POLICIES];
};

enum sts_status sts_rptdgram_parse(const char *buf, size_t len,
				   struct sts_rptdgram **out, char *why,
				   size_t whylen);

void sts_rptdgram_free(struct sts_rptdgram *d);

/* libtlsrpt failure code (201...) <-> RFC 8460 result type; NONE / 0
 * for an unknown value. */
enum sts_rpt sts_rptdgram_code_rpt(unsigned code);
unsigned sts_rptdgram_rpt_code(enum sts_rpt r);

#endif /* STS_RPTDGRAM_H */
