/*
 * fuzz/fuzz_policy.c - libFuzzer target for the policy body parser
 * (lib/proto/sts_policy.h).  Invariants on an accepted policy: mode and
 * max_age in range, mx count within the cap and >= 1 unless mode none,
 * every pattern valid; the normalised print parses back to an equal
 * policy; a copy is equal.  On rejection: *out is NULL and why is set.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_mx.h"
#include "sts_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_policy *p = NULL, *q = NULL, *c;
	char why[STS_WHY_MAX] = "";
	enum sts_status st;
	size_t line = 0, need, i;
	char *text;

	st = sts_policy_parse((const char *)data, size, &p, &line, why,
			      sizeof(why));
	if (st != STS_OK) {
		if (st != STS_INVALID || p != NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (p->max_age > STS_MAX_MAX_AGE || p->n_mx > STS_MAX_POLICY_BODY / 4 ||
	    (p->mode != STS_MODE_NONE && p->n_mx == 0 && p->n_ignored == 0) ||
	    (sts_policy_usable(p, NULL, 0) == STS_OK) !=
		    (p->mode == STS_MODE_NONE || p->n_mx > 0) ||
	    (p->mode != STS_MODE_NONE && p->mode != STS_MODE_TESTING &&
	     p->mode != STS_MODE_ENFORCE))
		abort();
	for (i = 0; i < p->n_mx; i++)
		if (sts_mx_pattern_check(p->mx[i], NULL, 0) != STS_OK)
			abort();
	for (i = 0; i < p->n_ignored; i++)
		if (sts_mx_pattern_check(p->ignored[i], NULL, 0) == STS_OK)
			abort(); /* a usable pattern was ignored */
	(void)sts_policy_warnings(p, why, sizeof(why));
	if (sts_policy_usable(p, NULL, 0) != STS_OK) {
		sts_policy_free(p);
		return 0; /* prints without its (ignored) mx: no round trip */
	}
	need = sts_policy_format(p, NULL, 0);
	text = malloc(need + 1);
	if (text == NULL)
		abort();
	if (sts_policy_format(p, text, need + 1) != need ||
	    strlen(text) != need)
		abort();
	if (sts_policy_parse(text, need, &q, &line, why, sizeof(why)) !=
		    STS_OK ||
	    !sts_policy_equal(p, q))
		abort();
	c = sts_policy_dup(p);
	if (c == NULL || !sts_policy_equal(p, c))
		abort();
	free(text);
	sts_policy_free(c);
	sts_policy_free(q);
	sts_policy_free(p);
	return 0;
}
