/*
 * t_addr.c - table-driven tests of sts_addr_domain(): every recipient
 * form the milter sees at RCPT time (issue [milter]).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sts_addr.h"

static const struct {
	const char *in;
	enum sts_status st;
	const char *domain; /* expected out on STS_OK */
} cases[] = {
	{"<user@example.com>", STS_OK, "example.com"},
	{"user@example.com", STS_OK, "example.com"},
	{"  <user@example.com>  ", STS_OK, "example.com"},
	{"<USER@EXAMPLE.COM>", STS_OK, "example.com"},
	{"<user@Example-Enforce.Test.>", STS_OK, "example-enforce.test"},
	{"<user@example.com..>", STS_OK, "example.com."},
	{"<user@b\xc3\xbc"
	 "cher.example>",
	 STS_OK,
	 "b\xc3\xbc"
	 "cher.example"},
	{"<user@B\xc3\x9c"
	 "CHER.EXAMPLE>",
	 STS_OK,
	 "b\xc3\x9c"
	 "cher.example"},
	{"<\"a@b\"@example.com>", STS_OK, "example.com"},
	{"<\"a\\\"@b\"@example.com>", STS_OK, "example.com"},
	{"<\"a b\"@example.com>", STS_OK, "example.com"},
	{"<@relay.example:user@example.com>", STS_OK, "example.com"},
	{"<@r1.example,@r2.example:user@example.com>", STS_OK, "example.com"},
	{"<a@b@example.com>", STS_OK, "example.com"},
	{"<user@xn--bcher-kva.example>", STS_OK, "xn--bcher-kva.example"},
	{"<user@[192.0.2.1]>", STS_NOTFOUND, "[192.0.2.1]"},
	{"<user@[IPv6:2001:db8::1]>", STS_NOTFOUND, "[IPv6:2001:db8::1]"},
	{"<user@[1.2]3]>", STS_INVALID, NULL},
	{"<user@[1.2 3]>", STS_INVALID, NULL},
	{"<>", STS_NOTFOUND, NULL},
	{"", STS_NOTFOUND, NULL},
	{"   ", STS_NOTFOUND, NULL},
	{"<postmaster>", STS_NOTFOUND, NULL},
	{"postmaster", STS_NOTFOUND, NULL},
	{"<\"a@example.com\">", STS_NOTFOUND, NULL},
	{"<user@>", STS_INVALID, NULL},
	{"<user@.>", STS_INVALID, NULL},
	{"<user@.example.com>", STS_INVALID, NULL},
	{"<user@example.com", STS_INVALID, NULL},
	{"user@example.com>", STS_INVALID, NULL},
	{"<", STS_INVALID, NULL},
	{">", STS_INVALID, NULL},
	{"<\"unterminated@example.com>", STS_INVALID, NULL},
	{"<\"a\\", STS_INVALID, NULL},
	{"<@relay.example>", STS_INVALID, NULL},
	{"<user@[192.0.2.1>", STS_INVALID, NULL},
	{"<user@exa mple.com>", STS_INVALID, NULL},
	{"<user@exa\tmple.com>", STS_INVALID, NULL},
	{"<user@example.com\x01>", STS_INVALID, NULL},
	{"<user@example.com;x>", STS_INVALID, NULL},
	{"<user@ex\"ample.com>", STS_INVALID, NULL},
};

int
main(void)
{
	char out[STS_ADDR_DOMAIN_BUFSZ], why[STS_WHY_MAX], *big;
	enum sts_status st;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = sts_addr_domain(cases[i].in, out, sizeof(out), why,
				     sizeof(why));
		is_str(sts_status_str(st), sts_status_str(cases[i].st),
		       "status of '%s' (%s)", cases[i].in, why);
		if (cases[i].domain != NULL)
			is_str(out, cases[i].domain, "domain of '%s'",
			       cases[i].in);
		else
			ok(out[0] == '\0' && why[0] != '\0',
			   "no domain and a reason for '%s'", cases[i].in);
	}

	/* Overlong: 1025 bytes is refused before anything is parsed. */
	big = malloc(STS_MAX_ADDR_INPUT + 2);
	if (big == NULL)
		return 1;
	memset(big, 'a', STS_MAX_ADDR_INPUT + 1);
	memcpy(big, "<u@", 3);
	big[STS_MAX_ADDR_INPUT] = '>';
	big[STS_MAX_ADDR_INPUT + 1] = '\0';
	st = sts_addr_domain(big, out, sizeof(out), why, sizeof(why));
	is_str(sts_status_str(st), "invalid", "1025-byte address: %s", why);
	/* Exactly at the cap it is parsed (the domain is long, not a
	 * crash; the engine's normaliser refuses > 253 bytes). */
	big[STS_MAX_ADDR_INPUT - 1] = '>';
	big[STS_MAX_ADDR_INPUT] = '\0';
	st = sts_addr_domain(big, out, sizeof(out), why, sizeof(why));
	is_int(st, STS_OK, "1024-byte address parses");
	is_int((long long)strlen(out), STS_MAX_ADDR_INPUT - 4,
	       "its domain is 1020 bytes");
	/* A too-small buffer is an error, never an overflow. */
	st = sts_addr_domain("<u@example.com>", out, 5, why, sizeof(why));
	is_int(st, STS_INVALID, "domain longer than the buffer: invalid");
	st = sts_addr_domain(NULL, out, sizeof(out), why, sizeof(why));
	is_int(st, STS_NOTFOUND, "NULL address: no domain");
	st = sts_addr_domain("<u@example.com>", out, sizeof(out), NULL, 0);
	is_int(st, STS_OK, "NULL why buffer is fine");
	free(big);
	return tap_done();
}
