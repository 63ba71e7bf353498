/*
 * sts_rptagg.h - the TLS-report aggregate (RFC 8460 section 4): counts
 * per UTC day, policy domain and applied policy, with failure-detail
 * rows, and its one-line-per-entry text form (the journal line).
 *
 * Pure: no I/O, no clock, no locks.  A struct sts_rptagg is used by one
 * thread at a time (the daemon holds its own lock around it).
 * Ownership: _new/_free pairs, _free(NULL) accepted; every string in an
 * entry is owned by the entry.  Strings handed to _add are copied.
 *
 * Bounded: at most max_domains distinct policy domains per day and
 * max_details failure-detail rows per entry (RFC 8460 section 4.4 lets a
 * report carry the detail it can; the session totals stay exact).
 * What does not fit is counted in the dropped_* counters, never stored.
 */
#ifndef STS_RPTAGG_H
#define STS_RPTAGG_H

#include <stddef.h>
#include <stdint.h>

#include "sts_status.h"

/* RFC 8460 section 4.4 "policy-type"; the numbers are libtlsrpt's
 * (tlsrpt_policy_type_t), so a datagram's value maps 1:1. */
enum sts_rpt_ptype {
	STS_RPT_PT_TLSA = 1,
	STS_RPT_PT_STS = 2,
	STS_RPT_PT_NOPOLICY = 9,
};
/* "tlsa", "sts", "no-policy-found"; NULL for another value. */
const char *sts_rpt_ptype_str(enum sts_rpt_ptype t);
/* Inverse of sts_rpt_ptype_str(); 0 if unknown. */
enum sts_rpt_ptype sts_rpt_ptype_parse(const char *s);
/* "starttls-not-supported" ... -> enum; STS_RPT_NONE if unknown. */
enum sts_rpt sts_rpt_parse(const char *s);

/* One failure-detail row (RFC 8460 section 4.4): NULL = field absent. */
struct sts_rpt_failure {
	enum sts_rpt type;
	char *sending_ip, *mx_host, *mx_helo, *receiving_ip, *add_info, *reason;
	uint64_t count;
};

/* One applied policy with its counts. */
struct sts_rpt_policy {
	enum sts_rpt_ptype type;
	char *policy_domain;
	size_t n_strings;
	char **strings; /* "policy-string" lines */
	size_t n_mx;
	char **mx; /* "mx-host" patterns */
	uint64_t success, failure;
	size_t n_fail;
	struct sts_rpt_failure *fail;
};

/* Aggregate entry: one (day, domain, policy). */
struct sts_rpt_entry {
	int64_t day; /* UTC day number: seconds since the epoch / 86400 */
	char *domain;
	struct sts_rpt_policy pol;
	uint64_t key;	     /* hash of day, domain and the policy's identity */
	int first_of_domain; /* the day's first entry of this domain */
};

struct sts_rptagg {
	size_t n, cap;
	struct sts_rpt_entry *e;
	size_t max_domains, max_details;
	uint64_t dropped_domains; /* sessions refused by the domain cap */
	uint64_t dropped_details; /* failure rows refused by the row cap */
};

/* max_domains/max_details 0: STS_MAX_RPT_DOMAINS / STS_MAX_RPT_DETAILS. */
struct sts_rptagg *sts_rptagg_new(size_t max_domains, size_t max_details);
void sts_rptagg_free(struct sts_rptagg *a);
/* Drop every entry (caps and dropped counters kept). */
void sts_rptagg_clear(struct sts_rptagg *a);

/* Add p's counts and rows to the entry (day, domain, p's identity),
 * creating it if needed; every count saturates at STS_MAX_RPT_COUNT
 * (10^15 - 1, what a journal line carries exactly).  STS_OK; STS_INVALID (why)
 * if the domain cap refuses a new domain; STS_NOMEM. */
enum sts_status sts_rptagg_add(struct sts_rptagg *a, int64_t day,
			       const char *domain,
			       const struct sts_rpt_policy *p, char *why,
			       size_t whylen);

/* Remove every entry of (day, domain). */
void sts_rptagg_drop(struct sts_rptagg *a, int64_t day, const char *domain);

/* Remove every entry of days < before (sent reports). */
void sts_rptagg_drop_before(struct sts_rptagg *a, int64_t before);

/* Free the members of p (not p itself). */
void sts_rpt_policy_clear(struct sts_rpt_policy *p);

/* "YYYY-MM-DD" of day into buf (>= 11 bytes); false if out of range. */
int sts_rpt_day_str(int64_t day, char *buf, size_t len);
/* Parse "YYYY-MM-DD" into a day number; STS_INVALID if malformed. */
enum sts_status sts_rpt_day_parse(const char *s, int64_t *day);

#endif /* STS_RPTAGG_H */
