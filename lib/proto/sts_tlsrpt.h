/*
 * sts_tlsrpt.h - the _smtp._tls TXT record (RFC 8460 section 3).
 *
 * Pure and thread-safe.  Ownership: *out belongs to the caller, freed
 * with sts_tlsrpt_free() (NULL accepted).
 */
#ifndef STS_TLSRPT_H
#define STS_TLSRPT_H

#include <stddef.h>

#include "sts_record.h"
#include "sts_status.h"

struct sts_tlsrpt {
	size_t n_rua;
	char **rua; /* "mailto:..." / "https://..." URIs, in order */
};

/* One RR: "v=TLSRPTv1" first, rua= required.  STS_OK or STS_INVALID. */
enum sts_status sts_tlsrpt_parse(const char *txt, size_t len,
				 struct sts_tlsrpt **out, char *why,
				 size_t whylen);

/* The RR set: discard RRs not starting with v=TLSRPTv1; exactly one
 * must remain (STS_NOTFOUND if none, STS_INVALID if several/invalid). */
enum sts_status sts_tlsrpt_discover(const struct sts_txt *rrs, size_t n,
				    struct sts_tlsrpt **out, char *why,
				    size_t whylen);

void sts_tlsrpt_free(struct sts_tlsrpt *r);

#endif /* STS_TLSRPT_H */
