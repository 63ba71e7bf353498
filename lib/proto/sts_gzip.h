/*
 * sts_gzip.h - gzip (RFC 1952) a buffer in memory, with zlib: TLS reports
 * SHOULD be gzip-compressed for both transports (RFC 8460 section 5.2).
 *
 * Pure and thread-safe.  *out is malloc'd; the caller frees it.
 */
#ifndef STS_GZIP_H
#define STS_GZIP_H

#include <stddef.h>

#include "sts_status.h"

enum sts_status sts_gzip(const void *in, size_t len, unsigned char **out,
			 size_t *outlen);

/* Inverse, for tests and the CLI; output capped at max bytes
 * (STS_INVALID beyond, or on a corrupt stream). */
enum sts_status sts_gunzip(const void *in, size_t len, size_t max,
			   unsigned char **out, size_t *outlen);

#endif /* STS_GZIP_H */
