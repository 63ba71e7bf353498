/*
 * fuzz/fuzz_domain.c - libFuzzer target for sts_domain_normalize()
 * (lib/proto/sts_domain.h), which runs libidn2 on U-labels.  Invariants: the
 * status is OK, NOTFOUND (address literal) or INVALID; an accepted name
 * passes sts_domain_valid() and normalising it again is the identity.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[STS_MAX_DOMAIN_INPUT + 2], out[STS_DOMAIN_BUFSZ];
	char again[STS_DOMAIN_BUFSZ], why[STS_WHY_MAX];
	enum sts_status st;

	if (size > sizeof(in) - 1)
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	st = sts_domain_normalize(in, out, why, sizeof(why));
	if (st == STS_OK) {
		if (!sts_domain_valid(out))
			abort();
		if (sts_domain_normalize(out, again, why, sizeof(why)) !=
			    STS_OK ||
		    strcmp(out, again) != 0)
			abort();
	} else if (st != STS_NOTFOUND && st != STS_INVALID && st != STS_NOMEM) {
		abort();
	}
	return 0;
}
