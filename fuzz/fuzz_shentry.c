/*
 * fuzz/fuzz_shentry.c - libFuzzer target for the shared cache entry
 * decoder (lib/proto/sts_shentry.h): what comes from Redis is untrusted.
 * Invariants: any status but OK leaves no policy and a reason; an
 * accepted entry has a valid id (policy) or no policy (none), times in
 * order and not in the future, an unexpired policy that the strict
 * parser accepted; it re-encodes, and the encoding decodes to an equal
 * entry.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_shentry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1764633600

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_shentry e, d;
	char why[STS_WHY_MAX] = "", *buf;
	size_t len;
	enum sts_status st;

	st = sts_shentry_decode((const char *)data, size, NOW, &e, why,
				sizeof(why));
	if (st != STS_OK) {
		if (e.policy != NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (e.checked < e.fetched || e.checked > NOW + STS_SHENTRY_SKEW)
		abort();
	if (e.none != (e.policy == NULL))
		abort();
	if (!e.none && (e.id[0] == '\0' || strlen(e.id) > STS_MAX_ID ||
			e.fetched + (int64_t)e.policy->max_age <= NOW))
		abort();
	buf = malloc(STS_MAX_SHARED_ENTRY + 1);
	if (buf == NULL)
		abort();
	if (sts_shentry_encode(&e, buf, STS_MAX_SHARED_ENTRY + 1, &len, why,
			       sizeof(why)) != STS_OK)
		abort();
	if (sts_shentry_decode(buf, len, NOW, &d, why, sizeof(why)) != STS_OK ||
	    d.none != e.none || d.fetched != e.fetched ||
	    d.checked != e.checked || strcmp(d.id, e.id) != 0 ||
	    (!e.none && !sts_policy_equal(d.policy, e.policy)))
		abort();
	free(buf);
	sts_shentry_clear(&d);
	sts_shentry_clear(&e);
	return 0;
}
