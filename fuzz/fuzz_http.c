/*
 * fuzz/fuzz_http.c - libFuzzer target for the HTTP response parser
 * (lib/proto/sts_http.h).  The input is split at its first byte's value into
 * two feeds (to exercise the incremental paths), then EOF is signalled.
 * Invariants checked: no crash/UB (sanitizers), the body never exceeds
 * the cap, the consumed count never exceeds what was fed, and an error
 * is sticky.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t cap = 4096;
	struct sts_http *h;
	char why[STS_WHY_MAX];
	enum sts_status st;
	size_t split, used = 0, blen;
	bool notify;

	if (size == 0)
		return 0;
	notify = (data[0] & 0x80) == 0; /* close_notify or a bare TCP close */
	split = data[0] % size;
	data++;
	size--;
	if (split > size)
		split = size;
	h = sts_http_new(cap);
	if (h == NULL)
		return 0;
	st = sts_http_feed(h, (const char *)data, split, &used, why,
			   sizeof(why));
	if (used > split)
		abort();
	if (st == STS_OK && !sts_http_done(h)) {
		st = sts_http_feed(h, (const char *)data + split, size - split,
				   &used, why, sizeof(why));
		if (used > size - split)
			abort();
	}
	if (st == STS_OK && !sts_http_done(h))
		st = sts_http_eof(h, notify, why, sizeof(why));
	if (st != STS_OK &&
	    sts_http_feed(h, "x", 1, &used, why, sizeof(why)) != st)
		abort(); /* errors are sticky */
	(void)sts_http_body(h, &blen);
	if (blen > cap)
		abort();
	if (sts_http_headers_done(h)) {
		(void)sts_http_ctype_is_text_plain(sts_http_content_type(h));
		if (strlen(sts_http_location(h)) >= 128)
			abort();
	}
	sts_http_free(h);
	return 0;
}
