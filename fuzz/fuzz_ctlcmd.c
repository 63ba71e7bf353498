/*
 * fuzz_ctlcmd.c - libFuzzer target for the control socket's request
 * line and warm-list line parsers (lib/proto/sts_ctlcmd.c).  Checks the
 * contract: an accepted line has a known verb, an argument exactly when
 * the verb takes one, NUL-terminated, without blanks or control bytes,
 * and parsing the same bytes twice gives the same answer.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_ctlcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_ctlcmd c, c2;
	char why[STS_WHY_MAX], dom[STS_MAX_DOMAIN_INPUT + 1];
	/* an exact-size copy so that ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	enum sts_status st, st2;
	size_t i, n;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	st = sts_ctlcmd_parse(buf, size, &c, why, sizeof(why));
	st2 = sts_ctlcmd_parse(buf, size, &c2, why, sizeof(why));
	if (st != st2)
		abort();
	if (st == STS_OK) {
		if ((unsigned)c.verb >= STS_CTL_VERBS)
			abort();
		n = strlen(c.arg);
		if (n > STS_MAX_DOMAIN_INPUT)
			abort();
		if ((n == 0) !=
		    (c.verb == STS_CTL_DUMP || c.verb == STS_CTL_WARM ||
		     c.verb == STS_CTL_STATS))
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)c.arg[i] <= 0x20 ||
			    (unsigned char)c.arg[i] == 0x7f)
				abort();
		if (strcmp(c.arg, c2.arg) != 0 || c.verb != c2.verb)
			abort();
	} else if (st != STS_INVALID || why[0] == '\0') {
		abort();
	}
	st = sts_ctlcmd_domain_line(buf, size, dom, sizeof(dom), why,
				    sizeof(why));
	if (st == STS_OK && (strlen(dom) != size || memcmp(dom, buf, size)))
		abort();
	if (st != STS_OK && st != STS_NOTFOUND && st != STS_INVALID)
		abort();
	free(buf);
	return 0;
}
