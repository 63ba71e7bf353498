/*
 * fuzz/fuzz_rptline.c - libFuzzer target for the TLS-report journal line
 * (lib/proto/sts_rptline.h): the journal is our own file, but a damaged
 * or foreign one must never crash the daemon at start.  The input is
 * split at newlines like a journal.  Invariants: an accepted line adds
 * exactly one entry or merges into one; every entry formats back into a
 * line that parses into an aggregate with the same keys and counts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_rptline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_rptagg *a = sts_rptagg_new(8, 8), *b = sts_rptagg_new(8, 8);
	const char *p = (const char *)data, *end = p + size;
	char why[256], *line;

	if (a == NULL || b == NULL)
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t before = a->n;
		enum sts_status st =
			sts_rptline_add(a, p, len, why, sizeof(why));
		if (st == STS_OK && a->n != before && a->n != before + 1)
			abort();
		if (st != STS_OK && a->n != before)
			abort();
		p += len + 1;
	}
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
	sts_rptagg_free(a);
	sts_rptagg_free(b);
	return 0;
}
