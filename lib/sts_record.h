/*
 * sts_record.h - the _mta-sts TXT record (RFC 8461 section 3.1).
 *
 * Pure and thread-safe.  Checklist B: discard every RR that does not
 * begin with "v=STSv1" (case-sensitive), exactly one must remain; the
 * grammar is strict; id is 1..32 ALPHA/DIGIT; fields are separated by
 * *WSP ";" *WSP; the first occurrence of a repeated field wins; unknown
 * extension fields are ignored (but must be well formed).
 */
#ifndef STS_RECORD_H
#define STS_RECORD_H

#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

/* One TXT RR with its character-strings already joined (checklist B2). */
struct sts_txt {
	const char *data;
	size_t len;
};

struct sts_record {
	char id[STS_MAX_ID + 1];
};

/*
 * Parse one RR that is meant to be an STS record.
 *   STS_OK       *out filled
 *   STS_INVALID  why says what is wrong
 */
enum sts_status sts_record_parse(const char *txt, size_t len,
				 struct sts_record *out, char *why,
				 size_t whylen);

/*
 * Apply the section 3.1 discovery rules to all n TXT RRs at the name.
 *   STS_OK        exactly one v=STSv1 RR and it is valid
 *   STS_NOTFOUND  no RR begins with v=STSv1
 *   STS_INVALID   more than one does, or the one that does is invalid
 */
enum sts_status sts_record_discover(const struct sts_txt *rrs, size_t n,
				    struct sts_record *out, char *why,
				    size_t whylen);

#endif /* STS_RECORD_H */
