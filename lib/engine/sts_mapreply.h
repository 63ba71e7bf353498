/*
 * sts_mapreply.h - the socketmap answer for one TLS policy lookup
 * (issue [socketmap]): what Postfix's smtp_tls_policy_maps and
 * sendmail's `sts` map (FEATURE(`sts'), _FFR_MTA_STS) are told.
 *
 * Replies (the netstring payload; mapd wraps it):
 *   OK secure match=mx1.example.com:.example.net servername=hostname
 *        an enforced policy, in postfix-mta-sts-resolver's format so
 *        that switching servers changes one line of main.cf.  Each
 *        policy pattern "*.example.net" is written ".example.net": that
 *        is the only wildcard Postfix's match= knows, and it matches
 *        ANY depth (a.b.example.net too), while RFC 8461 section 4.1's
 *        "*." matches exactly one label.  Postfix >= 3.10 with
 *        smtp_tls_enforce_sts_mx_patterns = yes applies the exact RFC
 *        rule to the mx_host_pattern attributes below instead.
 *   ... policy_type=sts policy_domain=D policy_ttl=N
 *       mx_host_pattern=P... { policy_string = version: STSv1 } ...
 *        appended when opts->postfix_sts is set (Postfix >= 3.10: exact
 *        wildcard rule, and TLS-RPT, RFC 8460, gets the policy); left
 *        out when they would push the reply past STS_MAX_MAP_REPLY (a
 *        policy has no mx count cap: issue 13 item 7), so that a large
 *        valid policy is still enforced rather than answered TEMP.
 *   OK dane-only
 *        the policy would be enforced, but the next hop has DNSSEC-
 *        secure TLSA records (at the CNAME-expanded MX name or the MX
 *        name, and only where the MX host's addresses are secure: RFC
 *        7672 sections 2.2.2, 2.2.3): RFC 8461 section 2 says MTA-STS must not
 *        override DANE, so Postfix is told to require DANE there
 *        (fail-closed even where the global level is only "may").
 *        With opts->dane_notfound the answer is NOTFOUND instead,
 *        leaving the choice to Postfix's own smtp_tls_security_level.
 *   NOTFOUND  (status word, space, empty data: socketmap_table(5), as
 *        the peer writes it) no policy applies: none, mode testing or
 *        none (RFC 8461 section 5: testing never blocks), a policy that
 *        cannot be fetched with nothing cached (section 5.1), nothing
 *        known yet (lookup status TEMPFAIL: the engine fetches in the
 *        background and the issue says "answer within the deadline from
 *        whatever is known"; checklist B7: never defer for that), an
 *        address literal, a
 *        parent-domain probe (".example.com": section 3.4, no fallback
 *        to the parent), a bad name.
 *   TEMP reason   lookup status BOGUS: DNSSEC validation failed on the
 *        path (checklist G1: defer, never "no policy"), including a
 *        bogus TLSA RRset at an MX host of a DNSSEC-secure MX RRset;
 *        lookup flag defer: an override says defer/reject (delivery time
 *        never bounces, so both mean "not now"; the reason is the
 *        lookup's), or the TLSA lookup at such an MX host failed
 *        (SERVFAIL, timeout: RFC 7672 section 2.2.1); or an internal
 *        error.
 *        Failing DANE (issue 13 item 4): RFC 8461 section 2 forbids
 *        letting MTA-STS override a failing DANE validation, and
 *        "secure match=" would do exactly that (Postfix's secure level
 *        never looks at TLSA).  TEMP, not dane-only: the milter defers
 *        these recipients (On-DNSSECBogus), and dane-only would also
 *        fail every MX host of the domain without TLSA records, which
 *        MTA-STS alone may validate; TEMP defers the whole next hop
 *        until the TLSA answer validates again.  "Pending" (status TEMPFAIL
 * without the defer flag) stays NOTFOUND, as above. PERM reason   only for bad
 * requests (made by mapd).
 *
 * Pure: no I/O, no clock, no globals.  Thread-safe.
 */
#ifndef STS_MAPREPLY_H
#define STS_MAPREPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_engine.h"
#include "sts_status.h"

struct sts_mapreply_opts {
	bool postfix_sts;   /* add the Postfix >= 3.10 STS attributes */
	bool dane_notfound; /* DANE next hop: NOTFOUND, not dane-only */
};

/*
 * Classify a key as Postfix or sendmail sends it and take the policy
 * domain out of it:
 *   STS_OK        host[hostlen] is the name to look up (any case, one
 *                 trailing dot, maybe UTF-8: the engine normalises it):
 *                 a recipient domain, or the host of an explicit next
 *                 hop "[host]", "[host]:port", "host:port" (relayhost,
 *                 transport nexthop: RFC 8461 section 3.4, the smart
 *                 host's domain is the policy domain); *literal is true
 *                 for the bracketed forms (no MX lookup:
 *                 sts_engine_lookup_hop())
 *   STS_NOTFOUND  not a policy domain: empty, a leading dot (a parent-
 *                 domain probe), a space inside, a malformed next hop;
 *                 why says which
 * Address literals ("[192.0.2.1]") come out as OK: the engine answers
 * "no policy" for them.
 */
enum sts_status sts_mapreply_hop(const char *key, char *host, size_t hostlen,
				 bool *literal, char *why, size_t whylen);

/* sts_mapreply_hop() without the outputs (fuzzing, tests). */
enum sts_status sts_mapreply_key(const char *key, char *why, size_t whylen);

/* The map name that selects the Postfix >= 3.10 attribute form
 * (socketmap:inet:127.0.0.1:8461:postfix-sts), as postfix-tlspol and
 * other policy servers select formats by map name. */
#define STS_MAPREPLY_POSTFIX_STS "postfix-sts"

/* The options for a request to map `name`: base (NULL: defaults), with
 * postfix_sts switched on for STS_MAPREPLY_POSTFIX_STS. */
void sts_mapreply_opts_for(const char *name,
			   const struct sts_mapreply_opts *base,
			   struct sts_mapreply_opts *out);

/*
 * The class of the answer for lookup lk (the decision above, without
 * the formatting): NOTFOUND, SECURE (policy lk->policy enforced, every
 * mx pattern checked), DANE (dane-only) or TEMP with *reason set (a
 * static string or lk->why; "" otherwise).  opts NULL: defaults.  Used
 * by sts_mapreply_format() and by the Exim line protocol
 * (sts_line.h), so both doors answer alike.
 */
enum sts_mapclass {
	STS_MAP_NOTFOUND = 0,
	STS_MAP_SECURE,
	STS_MAP_DANE,
	STS_MAP_TEMP,
};
enum sts_mapclass sts_mapreply_class(const struct sts_lookup *lk,
				     const struct sts_mapreply_opts *opts,
				     const char **reason);

/*
 * Format the reply for lookup lk into buf[buflen] (NUL-terminated when
 * buflen > 0).  Returns the length needed without the NUL (snprintf
 * semantics: truncated when >= buflen).  A reply that would exceed
 * STS_MAX_MAP_REPLY becomes "TEMP policy too large".
 */
size_t sts_mapreply_format(const struct sts_lookup *lk,
			   const struct sts_mapreply_opts *opts, char *buf,
			   size_t buflen);

/*
 * "TEMP reason" or "PERM reason" (kind is "TEMP" or "PERM") with the
 * reason made safe for a single-line reply: control characters become
 * '?', length capped at STS_WHY_MAX.  Same return as above.
 */
size_t sts_mapreply_error(const char *kind, const char *reason, char *buf,
			  size_t buflen);

#endif /* STS_MAPREPLY_H */
