/*
 * sts_status.h - the result taxonomy shared by every lib/ module.
 *
 * Postfix's lesson: "not found", "try again" and "broken" are different
 * answers and MTA-STS security depends on keeping them apart.  A vanished
 * TXT record (NOTFOUND) and a DNS timeout (TEMPFAIL) must never be
 * confused: the first may end a policy's life (never before expiry, RFC
 * 8461 section 5.1), the second never does.
 *
 * Every lib/ function that can fail returns an enum sts_status and, where
 * it has a `why` buffer argument, writes a one-line human reason there
 * (always NUL-terminated, truncated to the buffer's size).
 *
 * Thread-safety: all functions here are pure and thread-safe.
 */
#ifndef STS_STATUS_H
#define STS_STATUS_H

#include <stdarg.h>
#include <stddef.h>

enum sts_status {
	STS_OK = 0,   /* success */
	STS_NOTFOUND, /* authoritative absence: NXDOMAIN, NODATA, no record, no
			 policy */
	STS_TEMPFAIL, /* try again later: timeout, SERVFAIL, network error,
			 resource */
	STS_INVALID,  /* broken input: syntax error, bad HTTP status, bad
			 certificate */
	STS_BOGUS,    /* DNSSEC validation failed: the data must not be used */
	STS_NOMEM,    /* allocation failed or a hard size cap was hit */
	STS_STATUS_COUNT
};

/* "ok", "notfound", "tempfail", "invalid", "bogus", "nomem"; never NULL. */
const char *sts_status_str(enum sts_status st);

/*
 * RFC 8460 section 4.3 result types, used in reasons, headers and logs.
 * STS_RPT_NONE means "no failure to report".
 */
enum sts_rpt {
	STS_RPT_NONE = 0,
	STS_RPT_STARTTLS_NOT_SUPPORTED,
	STS_RPT_CERTIFICATE_HOST_MISMATCH,
	STS_RPT_CERTIFICATE_EXPIRED,
	STS_RPT_CERTIFICATE_NOT_TRUSTED,
	STS_RPT_VALIDATION_FAILURE,
	STS_RPT_TLSA_INVALID,
	STS_RPT_DNSSEC_INVALID,
	STS_RPT_DANE_REQUIRED,
	STS_RPT_STS_POLICY_FETCH_ERROR,
	STS_RPT_STS_POLICY_INVALID,
	STS_RPT_STS_WEBPKI_INVALID,
	STS_RPT_COUNT
};

/* The RFC 8460 token ("starttls-not-supported", ...); "none" for NONE. */
const char *sts_rpt_str(enum sts_rpt r);

/*
 * Write a formatted reason into why[whylen] (no-op when why is NULL or
 * whylen is 0) and return st, so that callers can write
 *     return sts_why(why, whylen, STS_INVALID, "line %zu: ...", n);
 */
enum sts_status sts_why(char *why, size_t whylen, enum sts_status st,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* STS_STATUS_H */
