/*
 * sts_limits.h - every hard cap on outside data, in one place.
 *
 * Each buffer that holds network or file data has a maximum size; the
 * numbers below are the only place those maxima are set.
 */
#ifndef STS_LIMITS_H
#define STS_LIMITS_H

/* RFC 1035 section 2.3.4 / RFC 1123: a name is at most 253 octets in
 * text form without the trailing dot; a label at most 63. */
#define STS_MAX_DOMAIN 253
#define STS_DOMAIN_BUFSZ (STS_MAX_DOMAIN + 1)
#define STS_MAX_LABEL 63

/* Raw (possibly UTF-8) input accepted before normalisation. */
#define STS_MAX_DOMAIN_INPUT 1024

/* RFC 8461 section 3.1: id is 1*32(ALPHA / DIGIT). */
#define STS_MAX_ID 32

/* One TXT RR after its character-strings are joined (RFC 1035 caps an
 * RR at 65535 octets of RDATA). */
#define STS_MAX_TXT 65535
/* TXT RRs considered at one name. */
#define STS_MAX_TXT_RRS 64

/* RFC 8461 section 3.3 suggests 64 KiB for the policy body. */
#define STS_MAX_POLICY_BODY 65536
/* No cap on the mx lines of one policy: STS_MAX_POLICY_BODY bounds them
 * (RFC 8461 section 3.2: a syntactically valid policy is accepted; a
 * count cap made 65 mx lines "no policy", issue 13 item 7). */
/* RFC 8461 section 3.2: max_age is at most 31557600 (one year). */
#define STS_MAX_MAX_AGE 31557600u

/* HTTP response limits (RFC 8461 section 3.3 and our budget). */
#define STS_MAX_HTTP_LINE 8192
#define STS_MAX_HTTP_HEADERS 100

/* SMTP reply limits for the STARTTLS prober (RFC 5321 4.5.3.1.5 says
 * 512 octets per reply line). */
#define STS_MAX_SMTP_LINE 1024
#define STS_MAX_SMTP_LINES 64
/* Text kept from one SMTP reply (all lines). */
#define STS_MAX_SMTP_REPLY 4096

/* MX records and TLSA records considered per name. */
#define STS_MAX_MX 32
#define STS_MAX_TLSA 32
/* A or AAAA records tried per host (each family). */
#define STS_MAX_ADDRS 16
/* Certificates kept from a peer's chain (DANE-TA matching). */
#define STS_MAX_CHAIN 16

/* TLS-RPT rua URIs kept (RFC 8460 section 3). */
#define STS_MAX_RUA 16

/* A recipient address as an MTA hands it over (RFC 5321 section
 * 4.5.3.1.3 caps a path at 256 octets; UTF-8 addresses, RFC 6531, and
 * the angle brackets need more room, so we accept 4 times that). */
#define STS_MAX_ADDR_INPUT 1024
#define STS_ADDR_DOMAIN_BUFSZ (STS_MAX_ADDR_INPUT + 1)

/* Socketmap requests (Postfix socketmap_table(5), sendmail's socket
 * map): one netstring "NAME KEY".  A map name is a short word; the key
 * is a raw domain.  A reply is capped like Postfix's own client, whose
 * socketmap_max_reply_size defaults to 100000 octets. */
#define STS_MAX_MAP_NAME 64
#define STS_MAX_MAP_REQUEST (STS_MAX_MAP_NAME + 1 + STS_MAX_DOMAIN_INPUT)
#define STS_MAX_MAP_REPLY 100000

/* TLS reports (RFC 8460).  A libtlsrpt datagram (one delivery request)
 * is at most one unix datagram; we accept 64 KiB.  Per datagram: policy
 * blocks, policy-string / mx-host lines per policy, failure rows per
 * policy; each string field is capped.  The daily aggregate keeps at
 * most STS_MAX_RPT_DOMAINS policy domains per UTC day and
 * STS_MAX_RPT_DETAILS failure-detail rows per policy entry (RFC 8460
 * section 4.4: failure details are per distinct result; the totals stay
 * exact, rows beyond the cap fold into the totals only).  A report is
 * refused above 10 MiB uncompressed (RFC 8460 section 5.2 names ten
 * megabytes as a common receiver limit). */
#define STS_MAX_RPT_DGRAM 65536
#define STS_MAX_RPT_POLICIES 8
#define STS_MAX_RPT_STRINGS 128
#define STS_MAX_RPT_FIELD 1024
#define STS_MAX_RPT_FAILURES 64
#define STS_MAX_RPT_DOMAINS 10000
#define STS_MAX_RPT_DETAILS 100
#define STS_MAX_RPT_JOURNAL_LINE 262144
#define STS_MAX_RPT_REPORT (10 * 1024 * 1024)
/* Every count (session totals, failed-session-count, dropped counters)
 * saturates at 10^15 - 1: the journal and the report carry counts as
 * JSON numbers, and cJSON prints 15 significant digits, keeping that form
 * whenever it reads back within a relative 2^-52; from about 4.5e15 on a
 * count can so be written off by a few ("9.00719925474099e+15" for
 * 2^53 - 1), and above 2^53 the journal reader refuses the line at the
 * next start - the entry lost (found by fuzz_rptline).  Counts of at
 * most 15 digits are always printed exactly. */
#define STS_MAX_RPT_COUNT 999999999999999ULL

/* The Exim line protocol (sts_line.h): one line "rcpt DOMAIN <SENDER>"
 * or "sts DOMAIN".  A request is at most the verb, a raw domain and a
 * raw sender with its brackets; the reply is capped like a map reply
 * (the match list and the regex, each as long as the patterns; there is
 * no mx count cap, so a policy whose reply would exceed it is deferred,
 * "policy too large": sts_line.c). */
#define STS_MAX_LINE_REQUEST (8 + STS_MAX_DOMAIN_INPUT + 1 + STS_MAX_ADDR_INPUT)
#define STS_MAX_LINE_REPLY STS_MAX_MAP_REPLY

/* Reason strings ("why" buffers). */
#define STS_WHY_MAX 256

/* The shared cache tier (sts_shentry.h, sts_redis.h): one stored entry
 * is a short header plus a canonical policy text (at most 64 mx lines of
 * at most 253 octets each: about 17 KB), so 32 KiB bounds every value a
 * Redis reply may hand us; anything longer is refused unread. */
#define STS_MAX_SHARED_ENTRY 32768
/* A Redis reply as a whole (the entry plus RESP framing), and the
 * elements of an array reply (pub/sub messages have 3). */
#define STS_MAX_REDIS_REPLY (STS_MAX_SHARED_ENTRY + 1024)
#define STS_MAX_REDIS_ELEMENTS 8
/* A Redis password (AUTH argument) and user name. */
#define STS_MAX_REDIS_SECRET 512

#endif /* STS_LIMITS_H */
