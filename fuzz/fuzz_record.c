/*
 * fuzz/fuzz_record.c - libFuzzer target for the _mta-sts TXT record
 * (lib/proto/sts_record.h).  The input is parsed as one RR, then split at NUL
 * bytes into an RR set for sts_record_discover().  Invariants: no
 * crash/UB/leak, statuses in range, an accepted id is 1..32 ALPHA/DIGIT.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_txt.h"
#include "sts_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id(const struct sts_record *r)
{
	size_t i, n = strlen(r->id);

	if (n == 0 || n > STS_MAX_ID)
		abort();
	for (i = 0; i < n; i++)
		if (!((r->id[i] >= 'a' && r->id[i] <= 'z') ||
		      (r->id[i] >= 'A' && r->id[i] <= 'Z') ||
		      (r->id[i] >= '0' && r->id[i] <= '9')))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_txt rrs[8];
	struct sts_record r;
	char why[STS_WHY_MAX];
	const char *p = (const char *)data;
	enum sts_status st;
	size_t n = 0;

	st = sts_record_parse(p, size, &r, why, sizeof(why));
	if (st == STS_OK)
		check_id(&r);
	else if (st != STS_INVALID || memchr(why, '\0', sizeof(why)) == NULL)
		abort();

	n = fuzz_txt_split((const char *)data, size, rrs, 8);
	st = sts_record_discover(rrs, n, &r, why, sizeof(why));
	if (st == STS_OK)
		check_id(&r);
	else if (st != STS_INVALID && st != STS_NOTFOUND)
		abort();
	return 0;
}
