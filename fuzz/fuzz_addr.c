/*
 * fuzz_addr.c - libFuzzer target for sts_addr_domain(): any byte string
 * as a recipient address must give OK/NOTFOUND/INVALID, never a crash,
 * and on OK a domain without controls, spaces or upper-case ASCII.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[STS_MAX_ADDR_INPUT + 2], out[STS_ADDR_DOMAIN_BUFSZ];
	char why[STS_WHY_MAX];
	enum sts_status st;
	size_t i;

	if (size > sizeof(in) - 1)
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	st = sts_addr_domain(in, out, sizeof(out), why, sizeof(why));
	if (st != STS_OK && st != STS_NOTFOUND && st != STS_INVALID)
		abort();
	if (st != STS_OK) {
		/* nothing, or an address literal for the engine */
		if (out[0] != '\0' && (st != STS_NOTFOUND || out[0] != '[' ||
				       out[strlen(out) - 1] != ']'))
			abort();
		return 0;
	}
	if (out[0] == '\0')
		abort();
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] <= 0x20 ||
		    (out[i] >= 'A' && out[i] <= 'Z'))
			abort();
	return 0;
}
