/*
 * sts_rcptreply.h - what an RCPT-time answer (struct sts_answer) becomes
 * for the MTA: the SMTP reply of a deferred or rejected recipient and the
 * X-MTA-STS header entry of an accepted one.  Shared by the milter
 * (milter/milter.c) and the Exim line protocol (lib/sts_line.h), so that
 * Postfix, sendmail and Exim say exactly the same things.
 *
 * Reply codes (RFC 3463 enhanced status codes, all registered in the
 * IANA "Enumerated Status Codes" registry):
 *   X.7.4 Security features not supported   (MX lacks STARTTLS)
 *   X.7.5 Cryptographic failure              (certificate/TLS failure,
 *                                             DNSSEC-bogus answers)
 *   X.4.4 Unable to route                    (no MX matches the policy;
 *                                             Exchange Online uses the
 *                                             unregistered 4.4.8 here)
 *   X.1.10 Recipient address has null MX     (RFC 7505 section 4.2)
 *   X.4.3 Directory server failure           (DNS/HTTPS temporary error)
 *   X.7.0 Other security status              (override forced it)
 *   X.3.0 Other mail system status           (internal error)
 * DEFER is 451; REJECT is 550 (556 for a null MX, RFC 7505 section 4.2).
 *
 * Header entry: "domain=D mode=M result=R reason=X type=T", one per
 * recipient domain that had a policy or was tagged; the milter folds
 * several into one header value with ";\n\t".
 *
 * Pure: no I/O, no globals.  Thread-safe.  Every output is a caller
 * buffer, always NUL-terminated when its size is > 0.
 */
#ifndef STS_RCPTREPLY_H
#define STS_RCPTREPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_engine.h"

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its code
 * and CRLF; the text part is kept well inside that. */
#define STS_RCPT_MAX_TEXT 400

/* "pass", "fail", "temperror" or "none": the header's result= token. */
const char *sts_rcptreply_result(enum sts_reason r);

/* The effective mode token: the policy's mode, or "none" without one. */
const char *sts_rcptreply_mode(const struct sts_answer *a);

/*
 * RFC 8460 section 5.3: mail from exempt senders (TLS reports) is never
 * held back by MTA-STS.  The engine answers EXEMPT for them; this guard
 * turns any DEFER/REJECT with reason EXEMPT into TAG.  Returns true when
 * it changed the verdict.
 */
bool sts_rcptreply_exempt_guard(struct sts_answer *a);

/* Whether the answer's domain goes into the header: it had a policy,
 * or its verdict is TAG. */
bool sts_rcptreply_tagged(const struct sts_answer *a);

/*
 * The reply for a DEFER/REJECT answer: rcode ("451"/"550"/"556"), the
 * enhanced code ("4.7.5", ...) and a one-line text of printable ASCII
 * without '"' or '\\' (untrusted parts cleaned), at most
 * STS_RCPT_MAX_TEXT bytes.
 */
void sts_rcptreply_smtp(const struct sts_answer *a, char *rcode, size_t rlen,
			char *xcode, size_t xlen, char *text, size_t tlen);

/*
 * The header entry of answer a.  Returns what snprintf returns (the
 * length needed without the NUL, or -1).
 */
int sts_rcptreply_entry(const struct sts_answer *a, char *buf, size_t len);

/*
 * Copy untrusted text for a log line, a reply or a header: printable
 * ASCII only (anything else becomes '?'), '"' and '\\' replaced too so
 * that key="value" stays parseable, at most dlen-1 bytes.
 */
void sts_rcptreply_clean(char *dst, size_t dlen, const char *src);

#endif /* STS_RCPTREPLY_H */
