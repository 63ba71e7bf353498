/*
 * fuzz_netstring.c - libFuzzer target for the socketmap request path
 * (issue [socketmap]): any byte stream, fed to sts_netstring_parse() the
 * way mapd feeds it (in pieces, pipelined), must give OK / TEMPFAIL /
 * INVALID / NOMEM, never a crash; an OK netstring lies inside the input
 * and is then split by sts_netstring_request() and its key classified
 * by sts_mapreply_key().  The first input byte picks the split point.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_mapreply.h"
#include "sts_netstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[STS_MAX_MAP_NAME + 1], key[STS_MAX_DOMAIN_INPUT + 1];
	char why[STS_WHY_MAX];
	const char *buf, *d;
	size_t off = 0, have, dlen, used, cut;
	enum sts_status st;

	if (size == 0)
		return 0;
	cut = data[0];
	buf = (const char *)data + 1;
	size--;
	/* First only the prefix up to cut, then everything. */
	have = cut < size ? cut : size;
	for (;;) {
		st = sts_netstring_parse(buf + off, have - off,
					 STS_MAX_MAP_REQUEST, &d, &dlen, &used,
					 why, sizeof(why));
		if (st == STS_TEMPFAIL) {
			if (have == size)
				break;
			have = size;
			continue;
		}
		if (st == STS_INVALID || st == STS_NOMEM)
			break;
		if (st != STS_OK || used > have - off || dlen > used ||
		    d < buf + off || d + dlen > buf + have ||
		    dlen > STS_MAX_MAP_REQUEST)
			abort();
		st = sts_netstring_request(d, dlen, name, sizeof(name), key,
					   sizeof(key), why, sizeof(why));
		if (st == STS_OK) {
			if (strlen(name) == 0 || strchr(name, ' ') != NULL)
				abort();
			st = sts_mapreply_key(key, why, sizeof(why));
			if (st != STS_OK && st != STS_NOTFOUND)
				abort();
		} else if (st != STS_INVALID && st != STS_NOMEM) {
			abort();
		}
		off += used;
	}
	return 0;
}
