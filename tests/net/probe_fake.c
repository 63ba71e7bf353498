/*
 * tests/net/probe_fake.c - a lab helper for lab-net.sh (not a test on
 * its own): run the STARTTLS prober against host:port (a scripted fake
 * SMTP server started by lab-net.sh) and print the outcome as one line
 *   STATUS RPT STEP ELAPSED_MS ADDR WHY...
 *
 *   probe_fake UNBOUND_CONF CA_FILE HOST PORT TIMEOUT_MS STEP_MS
 *              [USAGE SELECTOR MTYPE HEX | bogus]
 * With a TLSA record (taken as a DNSSEC-secure answer) the probe runs in
 * DANE mode; "bogus" hands it a bogus TLSA answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_probe.h"

int
main(int argc, char **argv)
{
	struct sts_resolver_conf rc = {.trust_anchor_file = ""};
	struct sts_probe_conf pc = {0};
	struct sts_probe_result res;
	struct sts_resolver_tlsa tlsa;
	struct sts_tlsa rr;
	unsigned char data[64];
	struct sts_resolver *r;
	struct sts_tls *t;
	char why[STS_WHY_MAX];

	memset(&tlsa, 0, sizeof(tlsa));
	if (argc == 8 && strcmp(argv[7], "bogus") == 0) {
		tlsa.meta.status = STS_BOGUS;
		tlsa.meta.dnssec = STS_DNSSEC_BOGUS;
		snprintf(tlsa.meta.why, sizeof(tlsa.meta.why), "test: bogus");
		pc.tlsa = &tlsa;
	} else if (argc == 11) {
		const char *hex = argv[10];
		size_t n = strlen(hex) / 2;

		if (n == 0 || n > sizeof(data))
			return 64;
		for (size_t i = 0; i < n; i++) {
			unsigned v;

			if (sscanf(hex + 2 * i, "%2x", &v) != 1)
				return 64;
			data[i] = (unsigned char)v;
		}
		rr.usage = (uint8_t)strtoul(argv[7], NULL, 10);
		rr.selector = (uint8_t)strtoul(argv[8], NULL, 10);
		rr.mtype = (uint8_t)strtoul(argv[9], NULL, 10);
		rr.len = n;
		rr.data = data;
		tlsa.meta.status = STS_OK;
		tlsa.meta.dnssec = STS_DNSSEC_SECURE;
		tlsa.n = 1;
		tlsa.rr = &rr;
		pc.tlsa = &tlsa;
	} else if (argc != 7) {
		fprintf(stderr,
			"usage: %s UNBOUND_CONF CA HOST PORT TIMEOUT STEP\n",
			argv[0]);
		return 64;
	}
	rc.unbound_conf = argv[1];
	pc.port = (uint16_t)strtoul(argv[4], NULL, 10);
	pc.timeout_ms = (unsigned)strtoul(argv[5], NULL, 10);
	pc.step_ms = (unsigned)strtoul(argv[6], NULL, 10);
	if (sts_resolver_new(&rc, &r, why, sizeof(why)) != STS_OK ||
	    sts_tls_new(argv[2], &t, why, sizeof(why)) != STS_OK) {
		printf("setup-failed none none 0 - %s\n", why);
		return 1;
	}
	sts_probe_mx(r, t, argv[3], &pc, &res);
	printf("%s %s %s %u %s %s%s\n", sts_status_str(res.status),
	       sts_rpt_str(res.rpt), sts_probe_step_str(res.step),
	       res.elapsed_ms, res.addr[0] ? res.addr : "-",
	       res.dane ? "[dane] " : "", res.why);
	sts_tls_free(t);
	sts_resolver_free(r);
	return 0;
}
