/*
 * tests/unit/test_tlsrpt.c - table-driven tests of the _smtp._tls TXT
 * record (RFC 8460 section 3, checklist H1).
 *
 * Decisions (top of lib/proto/sts_tlsrpt.c): only mailto: and https: URIs,
 * any other scheme is invalid; "," "!" ";" must be percent-encoded;
 * WSP around the commas is allowed (the ABNF's *WSP "," *WSP); more
 * than STS_MAX_RUA URIs is invalid; the first rua wins.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_tlsrpt.h"
#include "../tap.h"

struct tcase {
	const char *name;
	const char *txt;
	enum sts_status st;
	const char *rua; /* expected URIs joined with "|" */
};

static const struct tcase cases[] = {
	{"RFC 8460 3.1.1 mailto", "v=TLSRPTv1;rua=mailto:reports@example.com",
	 STS_OK, "mailto:reports@example.com"},
	{"RFC 8460 3.1.2 https",
	 "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", STS_OK,
	 "https://reporting.example.com/v1/tlsrpt"},
	{"two URIs", "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example/",
	 STS_OK, "mailto:a@example.com|https://r.example/"},
	{"WSP around the comma",
	 "v=TLSRPTv1; rua=mailto:a@example.com ,\thttps://r.example/x", STS_OK,
	 "mailto:a@example.com|https://r.example/x"},
	{"trailing ;", "v=TLSRPTv1; rua=mailto:a@example.com;", STS_OK,
	 "mailto:a@example.com"},
	{"space before ;", "v=TLSRPTv1 ; rua=mailto:a@example.com ;", STS_OK,
	 "mailto:a@example.com"},
	{"scheme case-insensitive", "v=TLSRPTv1; rua=MAILTO:a@example.com",
	 STS_OK, "MAILTO:a@example.com"},
	{"percent-encoded comma", "v=TLSRPTv1; rua=mailto:a%2Cb@example.com",
	 STS_OK, "mailto:a%2Cb@example.com"},
	{"https with port and query",
	 "v=TLSRPTv1; rua=https://r.example:8443/p?x=1&y=2", STS_OK,
	 "https://r.example:8443/p?x=1&y=2"},
	{"mailto with size suffix-like chars",
	 "v=TLSRPTv1; rua=mailto:a+b@x.example", STS_OK,
	 "mailto:a+b@x.example"},
	{"extension ignored", "v=TLSRPTv1; foo=bar; rua=mailto:a@x.example",
	 STS_OK, "mailto:a@x.example"},
	{"repeated rua: first wins",
	 "v=TLSRPTv1; rua=mailto:a@x.example; rua=mailto:b@x.example", STS_OK,
	 "mailto:a@x.example"},
	{"16 URIs (the cap)",
	 "v=TLSRPTv1; "
	 "rua=mailto:a@x.example,mailto:b@x.example,mailto:c@x.example,"
	 "mailto:d@x.example,mailto:e@x.example,mailto:f@x.example,"
	 "mailto:g@x.example,mailto:h@x.example,mailto:i@x.example,"
	 "mailto:j@x.example,mailto:k@x.example,mailto:l@x.example,"
	 "mailto:m@x.example,mailto:n@x.example,mailto:o@x.example,"
	 "mailto:p@x.example",
	 STS_OK,
	 "mailto:a@x.example|mailto:b@x.example|mailto:c@x.example|"
	 "mailto:d@x.example|mailto:e@x.example|mailto:f@x.example|"
	 "mailto:g@x.example|mailto:h@x.example|mailto:i@x.example|"
	 "mailto:j@x.example|mailto:k@x.example|mailto:l@x.example|"
	 "mailto:m@x.example|mailto:n@x.example|mailto:o@x.example|"
	 "mailto:p@x.example"},

	{"17 URIs (above the cap)",
	 "v=TLSRPTv1; "
	 "rua=mailto:a@x.example,mailto:b@x.example,mailto:c@x.example,"
	 "mailto:d@x.example,mailto:e@x.example,mailto:f@x.example,"
	 "mailto:g@x.example,mailto:h@x.example,mailto:i@x.example,"
	 "mailto:j@x.example,mailto:k@x.example,mailto:l@x.example,"
	 "mailto:m@x.example,mailto:n@x.example,mailto:o@x.example,"
	 "mailto:p@x.example,mailto:q@x.example",
	 STS_INVALID, NULL},
	{"rua missing", "v=TLSRPTv1;", STS_INVALID, NULL},
	{"version alone", "v=TLSRPTv1", STS_INVALID, NULL},
	{"version not first", "rua=mailto:a@x.example; v=TLSRPTv1", STS_INVALID,
	 NULL},
	{"version lower case", "v=tlsrptv1; rua=mailto:a@x.example",
	 STS_INVALID, NULL},
	{"RUA upper case is an extension", "v=TLSRPTv1; RUA=mailto:a@x.example",
	 STS_INVALID, NULL},
	{"http scheme", "v=TLSRPTv1; rua=http://r.example/", STS_INVALID, NULL},
	{"ftp scheme", "v=TLSRPTv1; rua=ftp://r.example/", STS_INVALID, NULL},
	{"no scheme", "v=TLSRPTv1; rua=a@x.example", STS_INVALID, NULL},
	{"mailto without address", "v=TLSRPTv1; rua=mailto:", STS_INVALID,
	 NULL},
	{"mailto without @", "v=TLSRPTv1; rua=mailto:postmaster", STS_INVALID,
	 NULL},
	{"https without host", "v=TLSRPTv1; rua=https:///x", STS_INVALID, NULL},
	{"empty rua", "v=TLSRPTv1; rua=", STS_INVALID, NULL},
	{"empty URI in the list",
	 "v=TLSRPTv1; rua=mailto:a@x.example,,"
	 "mailto:b@x.example",
	 STS_INVALID, NULL},
	{"trailing comma", "v=TLSRPTv1; rua=mailto:a@x.example,", STS_INVALID,
	 NULL},
	{"unencoded ! in URI", "v=TLSRPTv1; rua=mailto:a!b@x.example",
	 STS_INVALID, NULL},
	{"space inside a URI", "v=TLSRPTv1; rua=mailto:a b@x.example",
	 STS_INVALID, NULL},
	{"bad percent escape", "v=TLSRPTv1; rua=mailto:a%zz@x.example",
	 STS_INVALID, NULL},
	{"truncated percent escape", "v=TLSRPTv1; rua=https://r.example/%4",
	 STS_INVALID, NULL},
	{"non-ASCII URI", "v=TLSRPTv1; rua=mailto:\xc3\xa9@x.example",
	 STS_INVALID, NULL},
	{"bad extension value", "v=TLSRPTv1; rua=mailto:a@x.example; x=a b",
	 STS_INVALID, NULL},
	{"empty field", "v=TLSRPTv1;; rua=mailto:a@x.example", STS_INVALID,
	 NULL},
};

static void
run_case(const struct tcase *c)
{
	struct sts_tlsrpt *r = (struct sts_tlsrpt *)1;
	char why[STS_WHY_MAX] = "", got[2048] = "";
	enum sts_status st =
		sts_tlsrpt_parse(c->txt, strlen(c->txt), &r, why, sizeof(why));
	size_t i, off = 0;
	int pass = st == c->st;

	if (st == STS_OK) {
		for (i = 0; i < r->n_rua; i++)
			off += (size_t)snprintf(got + off, sizeof(got) - off,
						"%s%s", i ? "|" : "",
						r->rua[i]);
		pass = pass && strcmp(got, c->rua) == 0;
	} else {
		pass = pass && r == NULL && why[0] != '\0';
	}
	ok(pass, "tlsrpt: %s", c->name);
	if (!pass)
		tap_diag("status %s why '%s' rua '%s'", sts_status_str(st), why,
			 got);
	sts_tlsrpt_free(st == STS_OK ? r : NULL);
}

static void
test_discover(void)
{
	struct sts_txt rrs[3] = {
		{"v=spf1 -all", 11},
		{"v=TLSRPTv1; rua=mailto:a@x.example", 34},
		{"v=TLSRPTv1; rua=mailto:b@x.example", 34},
	};
	struct sts_tlsrpt *r = NULL;
	char why[STS_WHY_MAX];

	ok(sts_tlsrpt_discover(rrs, 2, &r, why, sizeof(why)) == STS_OK &&
		   r->n_rua == 1,
	   "tlsrpt discover: unrelated RR discarded");
	sts_tlsrpt_free(r);
	ok(sts_tlsrpt_discover(rrs, 3, &r, why, sizeof(why)) == STS_INVALID &&
		   r == NULL,
	   "tlsrpt discover: two records invalid");
	ok(sts_tlsrpt_discover(rrs, 1, &r, why, sizeof(why)) == STS_NOTFOUND,
	   "tlsrpt discover: none found");
	ok(sts_tlsrpt_discover(rrs, 0, &r, why, sizeof(why)) == STS_NOTFOUND,
	   "tlsrpt discover: empty set");
	rrs[0].data = "v=TLSRPTv1; rua=ftp://x";
	rrs[0].len = strlen(rrs[0].data);
	ok(sts_tlsrpt_discover(rrs, 1, &r, why, sizeof(why)) == STS_INVALID,
	   "tlsrpt discover: single invalid record");
	sts_tlsrpt_free(NULL);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_discover();
	return tap_done();
}
