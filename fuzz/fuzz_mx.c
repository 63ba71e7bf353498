/*
 * fuzz/fuzz_mx.c - libFuzzer target for mx patterns (lib/proto/sts_mx.h).
 * The input is "PATTERN\0HOST" (no NUL: the input is both).  Invariants:
 * only a valid pattern matches; a pattern without "*." matches only the
 * host itself (case and one trailing dot aside); a "*." pattern matches
 * only a host with exactly one more label.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts_mx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *pat, *host, why[STS_WHY_MAX];
	const char *z;
	enum sts_status st;
	size_t hlen;

	if (size > 1024)
		return 0;
	buf = malloc(size + 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	pat = buf;
	z = memchr(buf, '\0', size);
	host = z != NULL && z < buf + size ? (char *)z + 1 : buf;

	st = sts_mx_pattern_check(pat, why, sizeof(why));
	if (st != STS_OK && st != STS_INVALID)
		abort();
	if (sts_mx_match(pat, host)) {
		if (st != STS_OK)
			abort();
		hlen = strlen(host);
		if (hlen > 0 && host[hlen - 1] == '.')
			hlen--;
		if (pat[0] != '*') {
			if (strlen(pat) != hlen ||
			    strncasecmp(pat, host, hlen) != 0)
				abort();
		} else {
			const char *dot = memchr(host, '.', hlen);

			if (dot == NULL ||
			    (size_t)(host + hlen - dot) != strlen(pat) - 1 ||
			    strncasecmp(dot, pat + 1, strlen(pat) - 1) != 0)
				abort();
		}
	}
	free(buf);
	return 0;
}
