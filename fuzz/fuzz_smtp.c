/*
 * fuzz/fuzz_smtp.c - libFuzzer target for the SMTP reply parser
 * (lib/proto/sts_smtp.h): replies are parsed one after another from the input,
 * as the prober does.  Invariants: no crash/UB, consumed counts stay
 * within the input, kept text stays NUL-terminated within its cap, and
 * every finished reply has a code 200..599.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sts_smtp_reply r;
	char why[STS_WHY_MAX], first[64];
	size_t off = 0, used;
	enum sts_status st;

	while (off < size) {
		sts_smtp_reply_init(&r);
		st = sts_smtp_reply_feed(&r, (const char *)data + off,
					 size - off, &used, why, sizeof(why));
		if (used > size - off)
			abort();
		off += used;
		if (r.text_len >= sizeof(r.text) ||
		    strlen(r.text) != r.text_len)
			abort();
		if (st != STS_OK || !r.done)
			break;
		if (r.code < 200 || r.code > 599)
			abort();
		(void)sts_smtp_reply_has_ext(&r, "STARTTLS");
		sts_smtp_reply_first(&r, first, sizeof(first));
		if (used == 0)
			abort(); /* a finished reply consumed something */
	}
	return 0;
}
