/*
 * tests/unit/test_rpt.c - the TLS-report pieces of lib/proto (RFC 8460):
 * the libtlsrpt datagram parser (against datagrams captured from
 * libtlsrpt 0.5.1rc2 built from source, tests/data/tlsrpt-dgram-*.json),
 * the aggregate (day boundary, caps, merging), the journal line, the
 * report JSON (RFC 8460 section 4.4 schema and Appendix B), gzip and the
 * section 5.3 mail form.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sts_gzip.h"
#include "sts_post.h"
#include "sts_limits.h"
#include "sts_rptagg.h"
#include "sts_rptdgram.h"
#include "sts_rptjson.h"
#include "sts_rptline.h"
#include "sts_rptmail.h"
#include "../tap.h"

static char *
slurp(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	char *buf = malloc(70000);

	snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	if (f == NULL || buf == NULL) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	*len = fread(buf, 1, 69999, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static struct sts_rptdgram *
parse_file(const char *name)
{
	size_t len;
	char *b = slurp(name, &len), why[256] = "";
	struct sts_rptdgram *d = NULL;
	enum sts_status st = sts_rptdgram_parse(b, len, &d, why, sizeof(why));

	ok(st == STS_OK, "libtlsrpt datagram %s parses (%s)", name, why);
	free(b);
	return d;
}

static void
test_captured(void)
{
	struct sts_rptdgram *d;

	d = parse_file("tlsrpt-dgram-1.json");
	ok(d && d->version == 1 && d->n_pol == 1 &&
		   d->pol[0].type == STS_RPT_PT_NOPOLICY &&
		   d->pol[0].success == 1 && d->pol[0].failure == 0,
	   "dgram 1: no-policy-found, one successful session");
	is_str(d ? d->domain : NULL, "example-nosts.test", "dgram 1: domain");
	sts_rptdgram_free(d);

	d = parse_file("tlsrpt-dgram-2.json");
	ok(d && d->pol[0].type == STS_RPT_PT_STS && d->pol[0].n_strings == 4 &&
		   d->pol[0].n_mx == 1 && d->pol[0].success == 1,
	   "dgram 2: sts, 4 policy strings, 1 mx-host, success");
	is_str(d ? d->pol[0].strings[1] : NULL, "mode: enforce",
	       "dgram 2: policy-string kept verbatim");
	sts_rptdgram_free(d);

	d = parse_file("tlsrpt-dgram-3.json");
	ok(d && d->pol[0].failure == 1 && d->pol[0].n_fail == 2 &&
		   d->pol[0].fail[0].type ==
			   STS_RPT_CERTIFICATE_HOST_MISMATCH &&
		   d->pol[0].fail[1].type == STS_RPT_STS_WEBPKI_INVALID,
	   "dgram 3: one failed session, rows 202 and 303 mapped");
	is_str(d ? d->pol[0].fail[0].mx_helo : NULL, "ehlo \"x\"\tname",
	       "dgram 3: escaped quote and TAB decoded");
	ok(d && d->pol[0].fail[0].add_info == NULL &&
		   d->pol[0].fail[1].mx_helo == NULL,
	   "dgram 3: absent optional fields stay NULL");
	is_str(d ? d->record : NULL,
	       "v=TLSRPTv1;rua=mailto:reports@company-y.example",
	       "dgram 3: pr");
	sts_rptdgram_free(d);

	d = parse_file("tlsrpt-dgram-rc1-3.json");
	ok(d && d->version == 0 && d->pol[0].n_fail == 2 &&
		   strcmp(d->domain, "company-y.example") == 0,
	   "libtlsrpt 0.5.0rc1 (Debian 13) datagram without dpv: version 0, "
	   "same content");
	sts_rptdgram_free(d);

	d = parse_file("tlsrpt-dgram-4.json");
	ok(d && d->pol[0].type == STS_RPT_PT_TLSA &&
		   d->pol[0].fail[0].type == STS_RPT_CERTIFICATE_EXPIRED,
	   "dgram 4: tlsa, certificate-expired");
	sts_rptdgram_free(d);
}

static const struct {
	const char *name, *dgram;
} bad[] = {
	{"dpv 2", "{\"dpv\": \"2\",\"d\": \"a.example\",\"pr\": "
		  "\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}"},
	{"dpv as number",
	 "{\"dpv\":1,\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}"},
	{"unknown top key",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"x\":1,\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}"},
	{"repeated key",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"d\": \"b.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}"},
	{"no pr",
	 "{\"dpv\": \"1\",\"d\": "
	 "\"a.example\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}"},
	{"bad domain",
	 "{\"dpv\": \"1\",\"d\": \"a..example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}"},
	{"address literal",
	 "{\"dpv\": \"1\",\"d\": \"[192.0.2.1]\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}"},
	{"no policies",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": \"\",\"policies\":[]}"},
	{"policy-type 3",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":3,\"t\":0,\"f\":0}]}"},
	{"f 2", "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
		"\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":2}]}"},
	{"f missing", "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
		      "\"\",\"policies\":[{\"policy-type\":9,\"t\":0}]}"},
	{"t 1 without rows",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":1,\"f\":1}]}"},
	{"t fractional",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":0.5,\"f\":1}]}"},
	{"unknown code", "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
			 "\"\",\"policies\":[{\"policy-type\":9,\"failure-"
			 "details\":[{\"c\":999}],\"t\":1,\"f\":1}]}"},
	{"code 901 internal", "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
			      "\"\",\"policies\":[{\"policy-type\":9,\"failure-"
			      "details\":[{\"c\":901}],\"t\":1,\"f\":1}]}"},
	{"row key unknown",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":"
	 "201,\"z\": \"x\"}],\"t\":1,\"f\":1}]}"},
	{"row field number",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":"
	 "201,\"s\":4}],\"t\":1,\"f\":1}]}"},
	{"policy-string not array",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":2,\"policy-string\": "
	 "\"x\",\"t\":0,\"f\":0}]}"},
	{"trailing bytes",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}x"},
	{"two objects",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}{}"},
	{"truncated",
	 "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
	 "\"\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]"},
	{"array root", "[1]"},
	{"empty", ""},
};

static void
test_bad(void)
{
	char why[256];
	struct sts_rptdgram *d;
	char big[STS_MAX_RPT_DGRAM + 64];
	char nul[] =
		"{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
		"\"\0\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = NULL;
		ok(sts_rptdgram_parse(bad[i].dgram, strlen(bad[i].dgram), &d,
				      why, sizeof(why)) == STS_INVALID &&
			   d == NULL,
		   "invalid datagram: %s", bad[i].name);
	}
	ok(sts_rptdgram_parse(nul, sizeof(nul) - 1, &d, why, sizeof(why)) ==
		   STS_INVALID,
	   "invalid datagram: NUL byte");
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"dpv\": \"1\"", 11);
	ok(sts_rptdgram_parse(big, sizeof(big), &d, why, sizeof(why)) ==
		   STS_INVALID,
	   "invalid datagram: over %d bytes", STS_MAX_RPT_DGRAM);
	/* Nine policies: one over the cap. */
	{
		char buf[2048] = "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": "
				 "\"\",\"policies\":[";
		for (int i = 0; i <= STS_MAX_RPT_POLICIES; i++)
			strcat(buf, i ? ",{\"policy-type\":9,\"t\":0,\"f\":0}"
				      : "{\"policy-type\":9,\"t\":0,\"f\":0}");
		strcat(buf, "]}");
		ok(sts_rptdgram_parse(buf, strlen(buf), &d, why, sizeof(why)) ==
			   STS_INVALID,
		   "invalid datagram: %d policies", STS_MAX_RPT_POLICIES + 1);
	}
	ok(sts_rptdgram_code_rpt(306) == STS_RPT_DANE_REQUIRED &&
		   sts_rptdgram_rpt_code(STS_RPT_TLSA_INVALID) == 304,
	   "libtlsrpt codes map to RFC 8460 result types");
}

static struct sts_rpt_policy
pol(enum sts_rpt_ptype t, int fail, enum sts_rpt rt, const char *mx)
{
	static char *strings[] = {"version: STSv1", "mode: enforce",
				  "mx: mx.a.example", "max_age: 86400"};
	static struct sts_rpt_failure f[1];
	struct sts_rpt_policy p;

	memset(&p, 0, sizeof(p));
	p.type = t;
	if (t == STS_RPT_PT_STS) {
		p.strings = strings;
		p.n_strings = 4;
	}
	if (fail) {
		p.failure = 1;
		memset(f, 0, sizeof(f));
		f[0].type = rt;
		f[0].mx_host = (char *)mx;
		f[0].count = 1;
		p.fail = f;
		p.n_fail = 1;
	} else
		p.success = 1;
	return p;
}

static void
test_agg(void)
{
	struct sts_rptagg *a = sts_rptagg_new(2, 2);
	struct sts_rpt_policy p;
	char why[256], day[16];
	int64_t d;

	ok(sts_rpt_day_str(20789, day, sizeof(day)) &&
		   strcmp(day, "2026-12-02") == 0,
	   "day 20789 is 2026-12-02");
	ok(sts_rpt_day_parse("2024-02-29", &d) == STS_OK && d == 19782,
	   "2024-02-29 is day 19782");
	ok(sts_rpt_day_parse("2023-02-29", &d) == STS_INVALID &&
		   sts_rpt_day_parse("2026-13-01", &d) == STS_INVALID &&
		   sts_rpt_day_parse("2026-1-01", &d) == STS_INVALID,
	   "invalid dates refused");
	ok(sts_rpt_day_str(0, day, sizeof(day)) &&
		   strcmp(day, "1970-01-01") == 0,
	   "day 0 is 1970-01-01");

	/* Day boundary: 23:59:59 belongs to day N, 00:00:00 to N+1. */
	p = pol(STS_RPT_PT_STS, 0, 0, NULL);
	sts_rptagg_add(a, (20789 * 86400 + 86399) / 86400, "a.example", &p, why,
		       sizeof(why));
	sts_rptagg_add(a, (20789 * 86400 + 86400) / 86400, "a.example", &p, why,
		       sizeof(why));
	ok(a->n == 2 && a->e[0].day == 20789 && a->e[1].day == 20790,
	   "23:59:59 and 00:00:00 UTC fall into two days");
	sts_rptagg_add(a, 20789, "a.example", &p, why, sizeof(why));
	ok(a->n == 2 && a->e[0].pol.success == 2,
	   "the same policy on the same day merges");
	p = pol(STS_RPT_PT_NOPOLICY, 0, 0, NULL);
	sts_rptagg_add(a, 20789, "a.example", &p, why, sizeof(why));
	ok(a->n == 3, "another policy of the same domain: its own entry");
	/* Domain cap 2 per day: b is the second, c is refused. */
	ok(sts_rptagg_add(a, 20789, "b.example", &p, why, sizeof(why)) ==
		   STS_OK,
	   "second domain of the day accepted");
	ok(sts_rptagg_add(a, 20789, "c.example", &p, why, sizeof(why)) ==
			   STS_INVALID &&
		   a->dropped_domains == 1,
	   "third domain refused by the cap, counted as dropped");
	ok(sts_rptagg_add(a, 20790, "c.example", &p, why, sizeof(why)) ==
		   STS_OK,
	   "the cap is per day");
	ok(sts_rptagg_add(a, 20789, "a.example", &p, why, sizeof(why)) ==
		   STS_OK,
	   "known domain still counted at the cap");
	/* Detail cap 2 rows per entry. */
	p = pol(STS_RPT_PT_STS, 1, STS_RPT_CERTIFICATE_EXPIRED,
		"mx1.a.example");
	sts_rptagg_add(a, 20789, "a.example", &p, why, sizeof(why));
	sts_rptagg_add(a, 20789, "a.example", &p, why, sizeof(why));
	p = pol(STS_RPT_PT_STS, 1, STS_RPT_CERTIFICATE_EXPIRED,
		"mx2.a.example");
	sts_rptagg_add(a, 20789, "a.example", &p, why, sizeof(why));
	p = pol(STS_RPT_PT_STS, 1, STS_RPT_STARTTLS_NOT_SUPPORTED,
		"mx2.a.example");
	sts_rptagg_add(a, 20789, "a.example", &p, why, sizeof(why));
	ok(a->e[0].pol.failure == 4 && a->e[0].pol.n_fail == 2 &&
		   a->e[0].pol.fail[0].count == 2 && a->dropped_details == 1,
	   "rows merge by identity; a third distinct row is dropped, the "
	   "failure total stays exact (4)");
	sts_rptagg_drop_before(a, 20790);
	ok(a->n == 2 && a->e[0].day == 20790 && a->e[1].day == 20790,
	   "drop_before removes the sent day only");
	sts_rptagg_free(a);
}

static void
test_line(void)
{
	struct sts_rptagg *a = sts_rptagg_new(0, 0), *b = sts_rptagg_new(0, 0);
	struct sts_rptdgram *d = parse_file("tlsrpt-dgram-3.json");
	char why[256], *line = NULL;

	sts_rptagg_add(a, 20789, d->domain, &d->pol[0], why, sizeof(why));
	ok(sts_rptline_format(&a->e[0], &line) == STS_OK && line &&
		   strchr(line, '\n') == NULL,
	   "entry formats as one line");
	ok(sts_rptline_add(b, line, strlen(line), why, sizeof(why)) == STS_OK &&
		   b->n == 1 && b->e[0].key == a->e[0].key &&
		   b->e[0].pol.n_fail == 2 && b->e[0].pol.failure == 1,
	   "line parses back to the same entry");
	ok(sts_rptline_add(b, line, strlen(line), why, sizeof(why)) == STS_OK &&
		   b->n == 1 && b->e[0].pol.failure == 2 &&
		   b->e[0].pol.fail[0].count == 2,
	   "replaying a line adds (journal lines are deltas)");
	ok(sts_rptline_add(b, line, strlen(line) - 7, why, sizeof(why)) ==
			   STS_INVALID &&
		   b->e[0].pol.failure == 2,
	   "a line cut short by a crash is refused, nothing added");
	ok(sts_rptline_add(b,
			   "{\"day\":\"2026-12-02\",\"d\":\"a.example\","
			   "\"pt\":\"sts\",\"s\":1,\"f\":0,\"zz\":1}",
			   75, why, sizeof(why)) == STS_INVALID,
	   "unknown key in a journal line refused");
	free(line);
	sts_rptdgram_free(d);
	sts_rptagg_free(a);
	sts_rptagg_free(b);
}

/* Found by fuzz_rptline (issue 15 item 8): two journal lines of one
 * entry, each within the reader's 2^53 cap, summed past it; the line
 * written for the entry was then refused at the next start (cJSON printed
 * the count as 1.8e+16) and the entry lost; and just below 2^53 cJSON's
 * 15-digit form is off by a few.  Counts saturate at 10^15 - 1, which
 * cJSON prints exactly (sts_limits.h). */
static void
test_line_count_cap(void)
{
	struct sts_rptagg *a = sts_rptagg_new(0, 0), *b = sts_rptagg_new(0, 0);
	const char *big = "{\"day\":\"2026-12-02\",\"d\":\"a.example\","
			  "\"pt\":\"sts\",\"s\":9007199254740992,"
			  "\"f\":9007199254740991,\"fd\":[{\"rt\":"
			  "\"validation-failure\",\"c\":9007199254740992}]}";
	const char *odd = "{\"day\":\"2026-12-02\",\"d\":\"a.example\","
			  "\"pt\":\"sts\",\"s\":9007199254740991,\"f\":7}";
	char why[256], *line = NULL;

	ok(sts_rptline_add(a, big, strlen(big), why, sizeof(why)) == STS_OK &&
		   sts_rptline_add(a, big, strlen(big), why, sizeof(why)) ==
			   STS_OK &&
		   a->n == 1 && a->e[0].pol.success == STS_MAX_RPT_COUNT &&
		   a->e[0].pol.failure == STS_MAX_RPT_COUNT &&
		   a->e[0].pol.n_fail == 1 &&
		   a->e[0].pol.fail[0].count == STS_MAX_RPT_COUNT,
	   "counts summed past 2^53 saturate at 10^15 - 1");
	ok(a->n == 1 && sts_rptline_format(&a->e[0], &line) == STS_OK &&
		   sts_rptline_add(b, line, strlen(line), why, sizeof(why)) ==
			   STS_OK &&
		   b->n == 1 && b->e[0].pol.success == STS_MAX_RPT_COUNT &&
		   b->e[0].pol.fail[0].count == STS_MAX_RPT_COUNT,
	   "the saturated entry's journal line reads back the same counts");
	free(line);
	line = NULL;
	sts_rptagg_clear(a);
	sts_rptagg_clear(b);
	ok(sts_rptline_add(a, odd, strlen(odd), why, sizeof(why)) == STS_OK &&
		   a->n == 1 && a->e[0].pol.success == STS_MAX_RPT_COUNT &&
		   sts_rptline_format(&a->e[0], &line) == STS_OK &&
		   sts_rptline_add(b, line, strlen(line), why, sizeof(why)) ==
			   STS_OK &&
		   b->n == 1 && b->e[0].pol.success == STS_MAX_RPT_COUNT &&
		   b->e[0].pol.failure == 7,
	   "a count of 2^53 - 1 is kept as 10^15 - 1 and reads back exactly");
	free(line);
	sts_rptagg_free(a);
	sts_rptagg_free(b);
}

/* Every key of o must be in allowed (the RFC 8460 section 4.4 schema). */
static int
keys_in(const cJSON *o, const char *const *allowed)
{
	for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (strcmp(c->string, allowed[i]) == 0)
				break;
		if (!allowed[i]) {
			printf("# unexpected key %s\n", c->string);
			return 0;
		}
	}
	return o != NULL;
}

static void
test_json(void)
{
	static const char *const top[] = {"organization-name", "date-range",
					  "contact-info",      "report-id",
					  "policies",	       NULL};
	static const char *const el[] = {"policy", "summary", "failure-details",
					 NULL};
	static const char *const pk[] = {"policy-type", "policy-string",
					 "policy-domain", "mx-host", NULL};
	static const char *const fk[] = {"result-type",
					 "sending-mta-ip",
					 "receiving-mx-hostname",
					 "receiving-mx-helo",
					 "receiving-ip",
					 "failed-session-count",
					 "additional-information",
					 "failure-reason-code",
					 NULL};
	struct sts_rptagg *a = sts_rptagg_new(0, 0);
	struct sts_rptmeta m = {"Company-X", "sts-reporting@company-x.example",
				"20261202.company-y.example@company-x.example"};
	const char *files[] = {"tlsrpt-dgram-3.json", "tlsrpt-dgram-4.json"};
	char why[256], *json = NULL;
	cJSON *o, *p0, *p1, *fd;

	for (int k = 0; k < 2; k++) {
		struct sts_rptdgram *d = parse_file(files[k]);
		for (size_t i = 0; d && i < d->n_pol; i++)
			sts_rptagg_add(a, 20789, d->domain, &d->pol[i], why,
				       sizeof(why));
		sts_rptdgram_free(d);
	}
	ok(sts_rptjson_build(a, 20789, "nobody.example", &m, false, &json) ==
		   STS_NOTFOUND,
	   "no report for a domain without counts");
	ok(sts_rptjson_build(a, 20789, "company-y.example", &m, true, &json) ==
		   STS_OK,
	   "report built");
	o = cJSON_Parse(json);
	ok(keys_in(o, top), "top-level keys are the schema's");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
		       cJSON_GetObjectItem(o, "date-range"), "start-datetime")),
	       "2026-12-02T00:00:00Z", "start-datetime: 00:00:00Z");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
		       cJSON_GetObjectItem(o, "date-range"), "end-datetime")),
	       "2026-12-02T23:59:59Z", "end-datetime: 23:59:59Z");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "contact-info")),
	       m.contact, "contact-info");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "report-id")),
	       m.report_id, "report-id");
	p0 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "policies"), 0);
	p1 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "policies"), 1);
	ok(keys_in(p0, el) && keys_in(cJSON_GetObjectItem(p0, "policy"), pk),
	   "policies[0] keys are the schema's");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
		       cJSON_GetObjectItem(p0, "policy"), "policy-type")),
	       "sts", "policy-type sts");
	is_str(cJSON_GetStringValue(cJSON_GetArrayItem(
		       cJSON_GetObjectItem(cJSON_GetObjectItem(p0, "policy"),
					   "policy-string"),
		       2)),
	       "mx: *.mail.company-y.example", "policy-string lines");
	ok(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(p0, "policy"),
					     "mx-host")),
	   "mx-host is an array (section 4.4 text)");
	ok(cJSON_GetObjectItem(cJSON_GetObjectItem(p0, "summary"),
			       "total-failure-session-count")
				   ->valuedouble == 1 &&
		   cJSON_GetObjectItem(cJSON_GetObjectItem(p0, "summary"),
				       "total-successful-session-count")
				   ->valuedouble == 0,
	   "summary counts");
	fd = cJSON_GetObjectItem(p0, "failure-details");
	ok(cJSON_GetArraySize(fd) == 2 &&
		   keys_in(cJSON_GetArrayItem(fd, 0), fk) &&
		   keys_in(cJSON_GetArrayItem(fd, 1), fk),
	   "failure-details rows use the schema's keys");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
		       cJSON_GetArrayItem(fd, 0), "result-type")),
	       "certificate-host-mismatch", "result-type token");
	ok(cJSON_GetObjectItem(cJSON_GetArrayItem(fd, 0),
			       "failed-session-count")
			   ->valuedouble == 1,
	   "failed-session-count");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
		       cJSON_GetObjectItem(p1, "policy"), "policy-type")),
	       "tlsa", "second policy: tlsa");
	free(json);
	cJSON_Delete(o);

	/* no-policy-found: no policy-string, policy-domain = the domain. */
	{
		struct sts_rpt_policy p = pol(STS_RPT_PT_NOPOLICY, 0, 0, NULL);
		sts_rptagg_add(a, 20789, "nosts.example", &p, why, sizeof(why));
		sts_rptjson_build(a, 20789, "nosts.example", &m, false, &json);
		o = cJSON_Parse(json);
		p0 = cJSON_GetObjectItem(
			cJSON_GetArrayItem(cJSON_GetObjectItem(o, "policies"),
					   0),
			"policy");
		is_str(cJSON_GetStringValue(
			       cJSON_GetObjectItem(p0, "policy-type")),
		       "no-policy-found", "policy-type no-policy-found");
		ok(cJSON_GetObjectItem(p0, "policy-string") == NULL,
		   "no-policy-found carries no policy-string");
		is_str(cJSON_GetStringValue(
			       cJSON_GetObjectItem(p0, "policy-domain")),
		       "nosts.example", "policy-domain defaults to the domain");
		free(json);
		cJSON_Delete(o);
	}
	sts_rptagg_free(a);
}

/* RFC 8460 Appendix B: the same counts give the same report (but for
 * mx-host, an array here, and key order). */
static void
test_appendix_b(void)
{
	static const char *want =
		"{\"organization-name\":\"Company-X\",\"date-range\":{"
		"\"start-datetime\":\"2016-04-01T00:00:00Z\","
		"\"end-datetime\":\"2016-04-01T23:59:59Z\"},"
		"\"contact-info\":\"sts-reporting@company-x.example\","
		"\"report-id\":\"5065427c-23d3-47ca-b6e0-946ea0e8c4be\","
		"\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
		"\"policy-string\":[\"version: STSv1\",\"mode: testing\","
		"\"mx: *.mail.company-y.example\",\"max_age: 86400\"],"
		"\"policy-domain\":\"company-y.example\","
		"\"mx-host\":[\"*.mail.company-y.example\"]},"
		"\"summary\":{\"total-successful-session-count\":5326,"
		"\"total-failure-session-count\":303},"
		"\"failure-details\":[{\"result-type\":\"starttls-not-"
		"supported\","
		"\"sending-mta-ip\":\"2001:db8:abcd:0013::1\","
		"\"receiving-mx-hostname\":\"mx2.mail.company-y.example\","
		"\"receiving-ip\":\"203.0.113.56\",\"failed-session-count\":"
		"200,"
		"\"additional-information\":\"https://"
		"reports.company-x.example/"
		"report_info?id=5065427c-23d3#StarttlsNotSupported\"},"
		"{\"result-type\":\"certificate-expired\","
		"\"sending-mta-ip\":\"2001:db8:abcd:0012::1\","
		"\"receiving-mx-hostname\":\"mx1.mail.company-y.example\","
		"\"failed-session-count\":100},"
		"{\"result-type\":\"validation-failure\","
		"\"sending-mta-ip\":\"198.51.100.62\","
		"\"receiving-mx-hostname\":\"mx-backup.mail.company-y."
		"example\","
		"\"receiving-ip\":\"203.0.113.58\",\"failed-session-count\":3,"
		"\"failure-reason-code\":"
		"\"X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED\"}]}]}";
	static char *ps[] = {"version: STSv1", "mode: testing",
			     "mx: *.mail.company-y.example", "max_age: 86400"};
	static char *mx[] = {"*.mail.company-y.example"};
	struct sts_rpt_failure f[3] = {
		{STS_RPT_CERTIFICATE_EXPIRED, "2001:db8:abcd:0012::1",
		 "mx1.mail.company-y.example", NULL, NULL, NULL, NULL, 100},
		{STS_RPT_STARTTLS_NOT_SUPPORTED, "2001:db8:abcd:0013::1",
		 "mx2.mail.company-y.example", NULL, "203.0.113.56",
		 "https://reports.company-x.example/"
		 "report_info?id=5065427c-23d3#StarttlsNotSupported",
		 NULL, 200},
		{STS_RPT_VALIDATION_FAILURE, "198.51.100.62",
		 "mx-backup.mail.company-y.example", NULL, "203.0.113.58", NULL,
		 "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED", 3},
	};
	struct sts_rpt_policy p = {STS_RPT_PT_STS,
				   "company-y.example",
				   4,
				   ps,
				   1,
				   mx,
				   5326,
				   303,
				   3,
				   f};
	struct sts_rptmeta m = {"Company-X", "sts-reporting@company-x.example",
				"5065427c-23d3-47ca-b6e0-946ea0e8c4be"};
	struct sts_rptagg *a = sts_rptagg_new(0, 0);
	char why[256], *json = NULL;
	int64_t day;
	cJSON *got, *exp;

	sts_rpt_day_parse("2016-04-01", &day);
	sts_rptagg_add(a, day, "company-y.example", &p, why, sizeof(why));
	sts_rptjson_build(a, day, "company-y.example", &m, false, &json);
	got = cJSON_Parse(json);
	exp = cJSON_Parse(want);
	ok(got && exp && cJSON_Compare(got, exp, 1),
	   "RFC 8460 Appendix B reproduced");
	if (!(got && exp && cJSON_Compare(got, exp, 1)))
		printf("# got %s\n", json);
	cJSON_Delete(got);
	cJSON_Delete(exp);
	free(json);
	sts_rptagg_free(a);
}

static void
test_gzip_mail(void)
{
	const char *text = "{\"organization-name\":\"x\"}";
	unsigned char *gz = NULL, *back = NULL;
	size_t gzlen = 0, backlen = 0, mlen = 0;
	char rcpt[256], *msg = NULL;
	struct sts_rptmail m = {"tlsrpt@sender.example",
				"tlsrpt@a.example",
				"a.example",
				"sender.example",
				"20261202.a.example@sender.example",
				20789,
				(time_t)20789 * 86400 + 3723,
				NULL,
				0};

	ok(sts_gzip(text, strlen(text), &gz, &gzlen) == STS_OK && gzlen > 10 &&
		   gz[0] == 0x1f && gz[1] == 0x8b,
	   "gzip output has the RFC 1952 magic");
	ok(sts_gunzip(gz, gzlen, 1000, &back, &backlen) == STS_OK &&
		   backlen == strlen(text) && memcmp(back, text, backlen) == 0,
	   "gunzip round trip");
	free(back);
	ok(sts_gunzip(gz, gzlen, 5, &back, &backlen) == STS_INVALID,
	   "gunzip refuses output over its cap");
	ok(sts_rptmail_rcpt("mailto:tlsrpt@a.example", rcpt, sizeof(rcpt)) ==
			   STS_OK &&
		   strcmp(rcpt, "tlsrpt@a.example") == 0,
	   "mailto: to addr-spec");
	ok(sts_rptmail_rcpt("MAILTO:t%6csrpt@a.example?subject=x", rcpt,
			    sizeof(rcpt)) == STS_OK &&
		   strcmp(rcpt, "tlsrpt@a.example") == 0,
	   "mailto: scheme case, %%-decoding, query dropped");
	ok(sts_rptmail_rcpt("mailto:a@b%0d%0aBcc:%20x@y", rcpt, sizeof(rcpt)) ==
			   STS_INVALID &&
		   sts_rptmail_rcpt("mailto:a@b%2cc@d", rcpt, sizeof(rcpt)) ==
			   STS_INVALID &&
		   sts_rptmail_rcpt("mailto:nobody", rcpt, sizeof(rcpt)) ==
			   STS_INVALID &&
		   sts_rptmail_rcpt("https://a.example/", rcpt, sizeof(rcpt)) ==
			   STS_INVALID,
	   "header injection, lists, no @, other schemes refused");
	m.gz = gz;
	m.gzlen = gzlen;
	ok(sts_rptmail_format(&m, &msg, &mlen) == STS_OK && msg != NULL,
	   "mail formatted");
	ok(msg && strstr(msg, "TLS-Report-Domain: a.example\r\n") &&
		   strstr(msg, "TLS-Report-Submitter: sender.example\r\n") &&
		   strstr(msg, "Subject: Report Domain: a.example\r\n "
			       "Submitter: sender.example\r\n Report-ID: "
			       "<20261202.a.example@sender.example>\r\n") &&
		   strstr(msg, "multipart/report; report-type=\"tlsrpt\"") &&
		   strstr(msg, "Content-Type: application/tlsrpt+gzip\r\n") &&
		   strstr(msg, "filename=\"sender.example!a.example!1796169600!"
			       "1796255999!20789.json.gz\"") &&
		   strstr(msg, "Date: Wed, 2 Dec 2026 01:02:03 +0000\r\n"),
	   "RFC 8460 section 5.3 headers, Subject, media type, file name "
	   "and Date");
	free(msg);
	free(gz);
}

static void
test_post_url(void)
{
	char host[STS_DOMAIN_BUFSZ], path[256];
	uint16_t port = 0;

	ok(sts_post_url("https://Reports.Example.NET/v1/tlsrpt?x=1#frag", host,
			sizeof(host), &port, path, sizeof(path)) == STS_OK &&
		   strcmp(host, "reports.example.net") == 0 && port == 443 &&
		   strcmp(path, "/v1/tlsrpt?x=1") == 0,
	   "https URL: host lower-cased, port 443, path with query, no "
	   "fragment");
	ok(sts_post_url("HTTPS://r.example:8443", host, sizeof(host), &port,
			path, sizeof(path)) == STS_OK &&
		   port == 8443 && strcmp(path, "/") == 0,
	   "scheme case, explicit port, empty path is /");
	ok(sts_post_url("http://r.example/", host, sizeof(host), &port, path,
			sizeof(path)) == STS_INVALID &&
		   sts_post_url("https://user@r.example/", host, sizeof(host),
				&port, path, sizeof(path)) == STS_INVALID &&
		   sts_post_url("https://192.0.2.1/", host, sizeof(host), &port,
				path, sizeof(path)) == STS_INVALID &&
		   sts_post_url("https://[2001:db8::1]/", host, sizeof(host),
				&port, path, sizeof(path)) == STS_INVALID &&
		   sts_post_url("https://r.example:0/", host, sizeof(host),
				&port, path, sizeof(path)) == STS_INVALID &&
		   sts_post_url("https://r.example:99999/", host, sizeof(host),
				&port, path, sizeof(path)) == STS_INVALID &&
		   sts_post_url("https://r.example/a b", host, sizeof(host),
				&port, path, sizeof(path)) == STS_INVALID,
	   "http:, userinfo, address literals, bad ports, a space in the "
	   "path refused");
}

int
main(void)
{
	test_post_url();
	test_captured();
	test_bad();
	test_agg();
	test_line();
	test_line_count_cap();
	test_json();
	test_appendix_b();
	test_gzip_mail();
	return tap_done();
}
