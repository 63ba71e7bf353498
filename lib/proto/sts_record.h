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

#include <stdbool.h>
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

/*
 * The field walker, shared with sts_tlsrpt.c: RFC 8461 section 3.1 and
 * RFC 8460 section 3 use the same shape,
 *     VERSION 1*(*WSP ";" *WSP name "=" value) [*WSP ";" *WSP]
 * sts_record_iter_begin() checks that txt begins with version (followed
 * by WSP, ";" or the end): STS_OK, STS_NOTFOUND if it does not begin
 * with it, STS_INVALID if len exceeds STS_MAX_TXT.
 * sts_record_iter_next() yields one field at a time: STS_OK with *f
 * filled (name checked against the extension-name grammar, value
 * non-empty with the surrounding WSP removed, otherwise unchecked),
 * STS_NOTFOUND at the end, STS_INVALID with a reason.  The iterator
 * points into txt, which must outlive it.
 */
struct sts_record_iter {
	const char *p;
	const char *end;
};

struct sts_record_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

enum sts_status sts_record_iter_begin(struct sts_record_iter *it,
				      const char *txt, size_t len,
				      const char *version);
enum sts_status sts_record_iter_next(struct sts_record_iter *it,
				     struct sts_record_field *f, char *why,
				     size_t whylen);

/* True if v[0..len) is a valid sts-ext-value / tlsrpt-ext-value:
 * 1*(%x21-3A / %x3C / %x3E-7E). */
bool sts_record_ext_value_ok(const char *v, size_t len);

/*
 * Section 3.1 / RFC 8460 section 3 selection: discard the RRs that do
 * not begin with version; exactly one must remain.  STS_OK with *which
 * its index, STS_NOTFOUND if none, STS_INVALID if several.
 */
enum sts_status sts_record_select(const struct sts_txt *rrs, size_t n,
				  const char *version, size_t *which, char *why,
				  size_t whylen);

/* True if f's name is exactly name. */
bool sts_record_field_is(const struct sts_record_field *f, const char *name);

#endif /* STS_RECORD_H */
