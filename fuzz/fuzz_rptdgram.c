/*
 * fuzz/fuzz_rptdgram.c - libFuzzer target for the libtlsrpt datagram
 * parser (lib/proto/sts_rptdgram.h) and, for what it accepts, the
 * aggregate, journal line and report JSON built from it.
 * Invariants: an accepted datagram has 1..STS_MAX_RPT_POLICIES policies,
 * a valid normalised domain, each policy exactly one session (success
 * or failure) and rows with a known result type; every journal line of
 * the aggregate parses back into an equal aggregate; the report JSON
 * parses.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sts_domain.h"
#include "sts_rptdgram.h"
#include "sts_rptjson.h"
#include "sts_rptline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct sts_rptdgram *d)
{
	struct sts_rptagg *a = sts_rptagg_new(4, 4), *b = sts_rptagg_new(4, 4);
	struct sts_rptmeta m = {"org", "tlsrpt@example.org", "id"};
	char why[256], *line, *json = NULL;

	if (a == NULL || b == NULL)
		abort();
	for (size_t i = 0; i < d->n_pol; i++)
		if (sts_rptagg_add(a, 20000, d->domain, &d->pol[i], why,
				   sizeof(why)) != STS_OK)
			abort();
	for (size_t i = 0; i < a->n; i++) {
		if (sts_rptline_format(&a->e[i], &line) != STS_OK)
			abort();
		if (sts_rptline_add(b, line, strlen(line), why, sizeof(why)) !=
		    STS_OK)
			abort();
		free(line);
	}
	if (a->n != b->n)
		abort();
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].key != b->e[i].key ||
		    a->e[i].pol.success != b->e[i].pol.success ||
		    a->e[i].pol.failure != b->e[i].pol.failure ||
		    a->e[i].pol.n_fail != b->e[i].pol.n_fail)
			abort();
	if (sts_rptjson_build(a, 20000, d->domain, &m, false, &json) != STS_OK)
		abort();
	cJSON *o = cJSON_Parse(json);
	if (o == NULL)
		abort();
	cJSON_Delete(o);
	free(json);
	sts_rptagg_free(a);
	sts_rptagg_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_rptdgram *d = NULL;
	char why[256];

	if (sts_rptdgram_parse((const char *)data, size, &d, why,
			       sizeof(why)) != STS_OK) {
		if (d != NULL)
			abort();
		return 0;
	}
	if (d->n_pol == 0 || d->n_pol > STS_MAX_RPT_POLICIES ||
	    !sts_domain_valid(d->domain))
		abort();
	for (size_t i = 0; i < d->n_pol; i++) {
		const struct sts_rpt_policy *p = &d->pol[i];
		if (p->success + p->failure != 1)
			abort();
		for (size_t j = 0; j < p->n_fail; j++)
			if (p->fail[j].type == STS_RPT_NONE ||
			    p->fail[j].count != 1)
				abort();
	}
	roundtrip(d);
	sts_rptdgram_free(d);
	return 0;
}
