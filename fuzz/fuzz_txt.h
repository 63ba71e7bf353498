/*
 * fuzz/fuzz_txt.h - split a fuzz input at NUL bytes into a TXT RR set
 * (at most max RRs), for the record and TLS-RPT targets.
 */
#ifndef FUZZ_TXT_H
#define FUZZ_TXT_H

#include <string.h>

#include "sts_record.h"

static size_t
fuzz_txt_split(const char *p, size_t size, struct sts_txt *rrs, size_t max)
{
	const char *end = p + size;
	size_t n = 0;

	while (n < max) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *e = z != NULL ? z : end;

		rrs[n].data = p;
		rrs[n].len = (size_t)(e - p);
		n++;
		if (z == NULL)
			break;
		p = z + 1;
	}
	return n;
}

#endif /* FUZZ_TXT_H */
