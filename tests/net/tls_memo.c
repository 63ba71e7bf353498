/*
 * tests/net/tls_memo.c - a lab helper for lab-net.sh (not a test on its
 * own): TLS sessions, one after the other, to ADDR:PORT on ONE struct
 * sts_tls, each with its SNI and judged by sts_tls_verify_pkix() against
 * NAME.  Prints the library ("# mbed TLS 3.6.6"), one line per session
 *   STATUS RPT WHY...
 * and at the end the verified-chain memo's counters
 *   verified=N remembered=M
 *
 *   tls_memo CA_FILE ADDR PORT SNI NAME [SNI NAME ...]
 * Exit 0 when every session completed its handshake, 1 otherwise, 64 on
 * bad usage.
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_sock.h"
#include "sts_tls.h"

int
main(int argc, char **argv)
{
	struct sts_sockaddr a;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;
	struct sts_tls *t;
	char why[STS_WHY_MAX];
	uint64_t verified, remembered;
	int rc = 0;

	if (argc < 6 || (argc - 4) % 2 != 0)
		return 64;
	memset(&a, 0, sizeof(a));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)strtoul(argv[3], NULL, 10));
	if (inet_pton(AF_INET, argv[2], &sin->sin_addr) != 1)
		return 64;
	a.len = sizeof(*sin);
	if (sts_tls_new(argv[1], &t, why, sizeof(why)) != STS_OK) {
		fprintf(stderr, "tls_memo: %s\n", why);
		return 1;
	}
	printf("# %s\n", sts_tls_library());
	for (int i = 4; i + 1 < argc; i += 2) {
		int64_t deadline = sts_now_ms() + 5000;
		struct sts_tls_conn *c = NULL;
		enum sts_rpt rpt = STS_RPT_NONE;
		enum sts_status st;
		int fd = -1;

		bool retried = false;

	again:
		st = sts_sock_connect(&a, deadline, &fd, why, sizeof(why));
		if (st == STS_OK)
			st = sts_tls_conn_new(t, fd, argv[i],
					      retried ? STS_TLS_TLS12_ONLY : 0,
					      deadline, &c, why, sizeof(why));
		if (st == STS_OK)
			st = sts_tls_handshake(c, why, sizeof(why));
		if (st != STS_OK && c != NULL && !retried &&
		    sts_tls_retry_tls12(c)) {
			/* as sts_fetch.c and sts_probe.c do */
			retried = true;
			sts_tls_conn_free(c);
			c = NULL;
			sts_sock_close(fd);
			fd = -1;
			goto again;
		}
		if (st == STS_OK) {
			st = sts_tls_verify_pkix(c, argv[i + 1], &rpt, why,
						 sizeof(why));
			if (st == STS_OK)
				snprintf(why, sizeof(why), "-");
			sts_tls_close_notify(c);
		} else {
			rc = 1;
		}
		printf("%s %s %s%s\n", sts_status_str(st), sts_rpt_str(rpt),
		       why, retried ? " (TLS 1.2 retry)" : "");
		sts_tls_conn_free(c);
		if (fd >= 0)
			sts_sock_close(fd);
	}
	sts_tls_memo_stats(t, &verified, &remembered);
	printf("verified=%" PRIu64 " remembered=%" PRIu64 "\n", verified,
	       remembered);
	sts_tls_free(t);
	return rc;
}
