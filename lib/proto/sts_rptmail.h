/*
 * sts_rptmail.h - a TLS report as an e-mail message (RFC 8460 section
 * 5.3): multipart/report; report-type="tlsrpt", a text/plain part and
 * the gzip'd report as application/tlsrpt+gzip (base64, with the section
 * 5.1 file name), the TLS-Report-Domain and TLS-Report-Submitter header
 * fields and the section 5.3 Subject.
 *
 * Also the "mailto:" URI to addr-spec step, strict so that no header
 * can be injected through a published rua= value.
 *
 * Pure and thread-safe.  *out is malloc'd; the caller frees it.
 */
#ifndef STS_RPTMAIL_H
#define STS_RPTMAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sts_status.h"

struct sts_rptmail {
	const char *from;      /* envelope and header sender (addr-spec) */
	const char *to;	       /* addr-spec, from sts_rptmail_rcpt() */
	const char *domain;    /* the policy domain (TLS-Report-Domain) */
	const char *submitter; /* our domain (TLS-Report-Submitter) */
	const char *report_id; /* "id-left@id-right" */
	int64_t day;	       /* the report's UTC day */
	time_t now;	       /* Date: */
	const unsigned char *gz;
	size_t gzlen;
};

enum sts_status sts_rptmail_format(const struct sts_rptmail *m, char **out,
				   size_t *outlen);

/* "mailto:user%40x@example.com?subject=..." -> the addr-spec, decoded,
 * into out (outlen bytes).  STS_INVALID for anything but one plain
 * address of printable ASCII without space, comma, quotes or brackets
 * (what an rua= mailto: in practice holds). */
enum sts_status sts_rptmail_rcpt(const char *uri, char *out, size_t outlen);

/* The RFC 8460 section 5.1 file name:
 * submitter!domain!begin!end!uniqueid.json.gz, uniqueid from the day. */
void sts_rptmail_filename(const char *submitter, const char *domain,
			  int64_t day, char *out, size_t outlen);

/* "YYYYMMDD.DOMAIN@SUBMITTER": the report-id, also the Message-ID and
 * the Subject's Report-ID; the same for every retry of one report, so
 * that a receiver can drop duplicates (section 5.3). */
void sts_rptmail_report_id(int64_t day, const char *domain,
			   const char *submitter, char *out, size_t outlen);

#endif /* STS_RPTMAIL_H */
