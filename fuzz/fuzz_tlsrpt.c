/*
 * fuzz/fuzz_tlsrpt.c - libFuzzer target for the _smtp._tls TXT record
 * (lib/proto/sts_tlsrpt.h), as one RR and as an RR set split at NUL bytes.
 * Invariants: an accepted record has 1..STS_MAX_RUA URIs, each mailto:
 * or https:, with no byte outside printable ASCII and no ',' ';' '!'.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_txt.h"
#include "sts_tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct sts_tlsrpt *r)
{
	size_t i, j;

	if (r->n_rua == 0 || r->n_rua > STS_MAX_RUA)
		abort();
	for (i = 0; i < r->n_rua; i++) {
		const char *u = r->rua[i];

		if (strncasecmp(u, "mailto:", 7) != 0 &&
		    strncasecmp(u, "https://", 8) != 0)
			abort();
		for (j = 0; u[j] != '\0'; j++)
			if (u[j] <= ' ' || u[j] > '~' || u[j] == ',' ||
			    u[j] == ';' || u[j] == '!')
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_txt rrs[8];
	struct sts_tlsrpt *r = NULL;
	char why[STS_WHY_MAX];
	const char *p = (const char *)data;
	enum sts_status st;
	size_t n = 0;

	st = sts_tlsrpt_parse(p, size, &r, why, sizeof(why));
	if (st == STS_OK)
		check(r);
	else if (st != STS_INVALID || r != NULL)
		abort();
	sts_tlsrpt_free(r);

	n = fuzz_txt_split((const char *)data, size, rrs, 8);
	r = NULL;
	st = sts_tlsrpt_discover(rrs, n, &r, why, sizeof(why));
	if (st == STS_OK)
		check(r);
	else if ((st != STS_INVALID && st != STS_NOTFOUND) || r != NULL)
		abort();
	sts_tlsrpt_free(r);
	return 0;
}
