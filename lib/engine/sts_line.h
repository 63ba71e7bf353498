/*
 * sts_line.h - the Exim line protocol (issue [exim]): one request line,
 * one reply line, then the server closes.  Made for Exim's
 * ${readsocket{inet:HOST:PORT}{REQUEST}{TIMEOUT}...}, which writes the
 * request as raw bytes (no framing, no NUL), shuts down its write side
 * and reads until the peer closes; and for ${extract{key}{REPLY}}, which
 * splits "key=value key2=\"value with spaces\"".
 *
 * Requests (one line; a final "\n" or "\r\n" is optional, because
 * readsocket's EOF ends the request as well; nothing may follow it):
 *   rcpt DOMAIN [<SENDER>]   the RCPT-time question (the milter's): the
 *        recipient domain as Exim has it ($domain) and the envelope
 *        sender in angle brackets (may be "<>"; used for RFC 8460
 *        section 5.3 exemptions).
 *   sts DOMAIN              the delivery-time question (the socketmap's).
 *   tlsrpt TYPE DOMAIN MX RESULT [IP]   one TLS session's outcome for a
 *        TLS report (RFC 8460; Exim's transport event_action, see
 *        doc/tlsrpt.md): TYPE the policy type of section 4.4 ("sts",
 *        "tlsa", "no-policy-found"), DOMAIN the policy domain, MX the
 *        receiving MX host name (at most STS_MAX_DOMAIN bytes, LDH and
 *        dots, or "-" when unknown), RESULT "success" or one of the
 *        result types of section 4.3 ("certificate-expired", ...), IP
 *        the receiving address (hex digits, '.' and ':' only, at most
 *        STS_MAX_LINE_IP bytes).
 * Strict: lower-case verb, single spaces, no control characters (a CR
 * only right before the final LF), no NUL, at most
 * STS_MAX_LINE_REQUEST bytes.  Bytes >= 0x80 are allowed (UTF-8
 * domains; the engine normalises them).
 *
 * Replies (one line ending in "\n"; values that may hold spaces are in
 * double quotes, with '"' and '\\' never present: cleaned to '?'):
 *   rcpt:  action=accept verdict=pass|tag domain=D mode=M result=R
 *              reason=TOKEN type=RPT [header="domain=D mode=M ..."]
 *          action=defer|reject verdict=defer|reject domain=D mode=M
 *              result=R reason=TOKEN type=RPT code=451 dsn=4.7.5
 *              text="MTA-STS policy of D (mode enforce) cannot be met: ..."
 *          (the same verdicts, SMTP texts and header entry as the
 *          milter: lib/sts_rcptreply.h; header= is present exactly when
 *          the milter would list the domain in its X-MTA-STS header)
 *   sts:   action=secure mode=enforce domain=D match=P1:P2
 *              mx_regex=^(?i:P1|P2)$
 *          action=dane mode=enforce domain=D
 *          action=none
 *          action=defer why="DNSSEC validation failed"
 *          (the socketmap's classes: secure = "OK secure match=...",
 *          dane = "OK dane-only", none = NOTFOUND, defer = TEMP;
 *          lib/sts_mapreply.h).  match= lists the policy's mx patterns
 *          as published (RFC 8461 section 4.1, "*." = exactly one
 *          label), colon-separated (an Exim list); mx_regex= is the same
 *          rule as one PCRE an Exim ${if match{$host}{...}} applies.
 *   tlsrpt: action=ok (counted); action=ignored why="..." (reporting
 *          is off); action=error why="..." (refused by a cap).
 *   bad request: action=error why="..."
 *
 * Pure: no I/O, no clock, no globals.  Thread-safe.  Formatters have
 * snprintf semantics: they return the length needed without the NUL
 * and NUL-terminate buf when buflen > 0.
 */
#ifndef STS_LINE_H
#define STS_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_engine.h"
#include "sts_limits.h"
#include "sts_mapreply.h"
#include "sts_rptagg.h"
#include "sts_status.h"

enum sts_line_verb {
	STS_LINE_RCPT = 0,
	STS_LINE_STS,
	STS_LINE_TLSRPT,
};

/* The longest receiving address a "tlsrpt" request may name (an IPv6
 * address with an embedded IPv4 one: INET6_ADDRSTRLEN - 1). */
#define STS_MAX_LINE_IP 45

struct sts_line_req {
	enum sts_line_verb verb;
	char domain[STS_MAX_DOMAIN_INPUT + 1];
	char sender[STS_MAX_ADDR_INPUT + 1]; /* without the brackets */
	/* "tlsrpt" only: */
	enum sts_rpt_ptype ptype;
	char mx[STS_MAX_DOMAIN + 1]; /* "" when the request said "-" */
	bool success;
	enum sts_rpt result;	      /* when !success */
	char ip[STS_MAX_LINE_IP + 1]; /* "" when absent */
};

/*
 * Where a request ends in buf[len] (what has arrived so far): the
 * length of the request including its "\n" when one arrived; 0 while
 * more may come (no "\n" yet and len <= STS_MAX_LINE_REQUEST + 2);
 * -1 when it can never become valid (no "\n" within the cap).
 */
long sts_line_frame(const char *buf, size_t len);

/*
 * Parse one request: buf[len] is all the client sent (up to and
 * including its "\n", or up to EOF).  STS_OK fills *req; STS_INVALID
 * with the reason otherwise.
 */
enum sts_status sts_line_parse(const char *buf, size_t len,
			       struct sts_line_req *req, char *why,
			       size_t whylen);

/* The reply to "rcpt": answer a after sts_rcptreply_exempt_guard(). */
size_t sts_line_format_rcpt(const struct sts_answer *a, char *buf,
			    size_t buflen);

/* The reply to "sts" for lookup lk (opts as the map's; NULL: defaults).
 * A reply over STS_MAX_LINE_REPLY becomes action=defer. */
size_t sts_line_format_sts(const struct sts_lookup *lk,
			   const struct sts_mapreply_opts *opts, char *buf,
			   size_t buflen);

/* The reply to "tlsrpt": "action=ACTION" with why="..." unless NULL. */
size_t sts_line_format_tlsrpt(const char *action, const char *why, char *buf,
			      size_t buflen);

/* "action=error why=\"reason\"" */
size_t sts_line_format_error(const char *reason, char *buf, size_t buflen);

#endif /* STS_LINE_H */
