/*
 * sts_rptjson.h - the RFC 8460 section 4.4 report of one policy domain
 * for one UTC day, built with cJSON from the aggregate.
 *
 * Decisions where RFC 8460 is inconsistent or silent:
 *  - "mx-host" is a JSON array of strings (section 4.4's text: "provided
 *    as a JSON array of strings"; Appendix B's example shows one string).
 *  - date-range is 00:00:00Z .. 23:59:59Z of the day, as in Appendix B.
 *  - "policies" lists one element per distinct applied policy
 *    (sts_rptagg's identity); a no-policy-found element has no
 *    policy-string; "policy-domain" is the entry's policy-domain, or the
 *    report's domain when the datagram gave none.
 *  - failure-details are sorted by descending failed-session-count, so a
 *    size cap would keep the biggest.
 *
 * Pure and thread-safe.  *out is malloc'd; the caller frees it.
 */
#ifndef STS_RPTJSON_H
#define STS_RPTJSON_H

#include <stdbool.h>
#include <stdint.h>

#include "sts_rptagg.h"
#include "sts_status.h"

struct sts_rptmeta {
	const char *organization; /* "organization-name" */
	const char *contact;	  /* "contact-info", an addr-spec */
	const char *report_id;	  /* "report-id" */
};

/* The report for (day, domain), from every entry of a that matches.
 * STS_NOTFOUND if there is none; STS_NOMEM; STS_INVALID if it would
 * exceed STS_MAX_RPT_REPORT. */
enum sts_status sts_rptjson_build(const struct sts_rptagg *a, int64_t day,
				  const char *domain,
				  const struct sts_rptmeta *m, bool pretty,
				  char **out);

#endif /* STS_RPTJSON_H */
