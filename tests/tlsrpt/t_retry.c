/*
 * tests/tlsrpt/t_retry.c - the TLS-report sender's pending retries on
 * disk (milter/tlsrpt_retry.h, issue 19 item 2): a round trip keeps
 * every field; a missing file is no retry; retries 24 hours old or more,
 * dated in the future, or on damaged lines (bad numbers, invalid
 * domain, NUL byte, overlong line, trailing junk) are dropped and the
 * rest kept; a file of another format loads nothing; the count cap
 * holds; the file is replaced whole (no temp file left behind).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "tlsrpt_retry.h"

static char path[256];

static void
put(const char *s, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(s, 1, len, f) != len)
		abort();
	fclose(f);
}

static void
clear(struct retry *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].domain);
}

int
main(void)
{
	static struct retry r[TLSRPT_MAX_RETRIES + 8], in[2];
	char why[256], tmp[300], buf[4096], *big;
	time_t now = 1796200000; /* 2026-12-02 */
	size_t n = 99, len;
	int rc;

	snprintf(path, sizeof(path), "/tmp/t_retry.%ld", (long)getpid());
	unlink(path);
	rc = tlsrpt_retry_load(path, now, r, 8, &n, why, sizeof(why));
	ok(rc == 0 && n == 0, "no file: no retry, no error");

	in[0] = (struct retry){20789, "example.com", now - 600, now + 300, 2,
			       5};
	in[1] = (struct retry){
		20788, "xn--bcher-kva.example", now - 60, now + 240, 1, 0};
	ok(tlsrpt_retry_save(path, in, 2, why, sizeof(why)) == 0, "save 2");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ok(access(tmp, F_OK) != 0, "no temp file left");
	rc = tlsrpt_retry_load(path, now, r, 8, &n, why, sizeof(why));
	ok(rc == 0 && n == 2, "load: 2 retries");
	ok(n == 2 && r[0].day == 20789 &&
		   strcmp(r[0].domain, "example.com") == 0 &&
		   r[0].first == now - 600 && r[0].next == now + 300 &&
		   r[0].attempts == 2 && r[0].done == 5,
	   "round trip: every field of the first");
	ok(n == 2 && strcmp(r[1].domain, "xn--bcher-kva.example") == 0 &&
		   r[1].done == 0,
	   "round trip: the second");
	clear(r, n);

	len = (size_t)snprintf(
		buf, sizeof(buf),
		"mta-sts-milter tlsrpt retries 1\n"
		"20789 %lld %lld 1 1 good.example\n"
		"20789 %lld %lld 1 1 old.example\n"    /* 24 h old: dropped */
		"20789 %lld %lld 1 1 future.example\n" /* clock jumped */
		"20789 x %lld 1 1 badnum.example\n"
		"20789 %lld %lld 1 1 bad_domain!\n"
		"20789 %lld %lld 1 1 junk.example extra\n"
		"-1 %lld %lld 1 1 negday.example\n"
		"20789 %lld %lld 1 1 last.example",
		(long long)now - 10, (long long)now + 5,
		(long long)now - TLSRPT_RETRY_WINDOW, (long long)now,
		(long long)now + 2 * 86400, (long long)now + 5,
		(long long)now + 5, (long long)now - 1, (long long)now + 5,
		(long long)now - 1, (long long)now + 5, (long long)now - 1,
		(long long)now + 5, (long long)now - 1, (long long)now + 5);
	/* then a line that would be good but for its NUL byte, and an
	 * overlong one */
	{
		char nul[128];
		size_t nl = (size_t)snprintf(
			nul, sizeof(nul), "\n20789 %lld %lld 1 1 nXl.example\n",
			(long long)now - 1, (long long)now + 5);
		size_t total = len + nl + TLSRPT_RETRY_LINE + 11;

		*strchr(nul, 'X') = '\0';
		big = malloc(total);
		if (big == NULL)
			abort();
		memcpy(big, buf, len);
		memcpy(big + len, nul, nl);
		memset(big + len + nl, 'a', TLSRPT_RETRY_LINE + 10);
		big[total - 1] = '\n';
		put(big, total);
		free(big);
	}
	rc = tlsrpt_retry_load(path, now, r, 8, &n, why, sizeof(why));
	ok(rc == 0 && n == 2, "damaged file: the 2 good retries kept (%zu)", n);
	ok(n == 2 && strcmp(r[0].domain, "good.example") == 0 &&
		   strcmp(r[1].domain, "last.example") == 0,
	   "... good.example and last.example (no final newline)");
	clear(r, n);

	put("something else\n20789 1 2 1 1 a.example\n", 39);
	rc = tlsrpt_retry_load(path, now, r, 8, &n, why, sizeof(why));
	ok(rc == 0 && n == 0, "another format: nothing loaded");

	for (size_t i = 0; i < TLSRPT_MAX_RETRIES + 8; i++) {
		char d[32];
		snprintf(d, sizeof(d), "d%zu.example", i);
		r[i] = (struct retry){20789, strdup(d), now, now + 1, 1, 0};
	}
	ok(tlsrpt_retry_save(path, r, TLSRPT_MAX_RETRIES + 8, why,
			     sizeof(why)) == 0,
	   "save %d", TLSRPT_MAX_RETRIES + 8);
	clear(r, TLSRPT_MAX_RETRIES + 8);
	rc = tlsrpt_retry_load(path, now, r, TLSRPT_MAX_RETRIES, &n, why,
			       sizeof(why));
	ok(rc == 0 && n == TLSRPT_MAX_RETRIES, "load stops at the cap (%zu)",
	   n);
	clear(r, n);
	ok(tlsrpt_retry_save(path, r, 0, why, sizeof(why)) == 0, "save none");
	rc = tlsrpt_retry_load(path, now, r, 8, &n, why, sizeof(why));
	ok(rc == 0 && n == 0, "... loads none");
	unlink(path);
	return tap_done();
}
