/*
 * sts_gzip.c - in-memory gzip with zlib (see sts_gzip.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "sts_gzip.h"

enum sts_status
sts_gzip(const void *in, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream z;
	unsigned char *buf;
	uLong cap;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (len > 0x7fffffffu)
		return STS_INVALID;
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip header and trailer, not zlib's. */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return STS_NOMEM;
	cap = deflateBound(&z, (uLong)len) + 32;
	buf = malloc(cap);
	if (buf == NULL) {
		deflateEnd(&z);
		return STS_NOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return STS_NOMEM;
	}
	*out = buf;
	return STS_OK;
}

enum sts_status
sts_gunzip(const void *in, size_t len, size_t max, unsigned char **out,
	   size_t *outlen)
{
	z_stream z;
	unsigned char *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (len > 0x7fffffffu || max > 0x7fffffffu)
		return STS_INVALID;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return STS_NOMEM;
	buf = malloc(max + 1);
	if (buf == NULL) {
		inflateEnd(&z);
		return STS_NOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)max + 1;
	rc = inflate(&z, Z_FINISH);
	*outlen = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END || *outlen > max) {
		free(buf);
		*outlen = 0;
		return STS_INVALID;
	}
	buf[*outlen] = '\0';
	*out = buf;
	return STS_OK;
}
