/*
 * tests/exim/t_line.c - the Exim line protocol (lib/engine/sts_line.h):
 * framing, the strict request parser and both reply formatters,
 * table-driven.  The replies are also checked against the milter's own
 * texts (lib/engine/sts_rcptreply.h) so that the two doors cannot drift.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sts_line.h"
#include "sts_rcptreply.h"

#define LONGDOM_N (STS_MAX_DOMAIN_INPUT + 1)

static const struct {
	const char *name;
	const char *in; /* NULL: built in main() */
	size_t len;	/* 0: strlen(in) */
	enum sts_status want;
	enum sts_line_verb verb;
	const char *domain, *sender, *why;
} parse_cases[] = {
	{"sts, no newline (readsocket EOF)", "sts example.com", 0, STS_OK,
	 STS_LINE_STS, "example.com", "", NULL},
	{"sts, LF", "sts example.com\n", 0, STS_OK, STS_LINE_STS, "example.com",
	 "", NULL},
	{"sts, CRLF", "sts example.com\r\n", 0, STS_OK, STS_LINE_STS,
	 "example.com", "", NULL},
	{"sts, UTF-8 domain kept raw",
	 "sts b\xc3\xbc"
	 "cher.example",
	 0, STS_OK, STS_LINE_STS,
	 "b\xc3\xbc"
	 "cher.example",
	 "", NULL},
	{"rcpt without sender", "rcpt example.com", 0, STS_OK, STS_LINE_RCPT,
	 "example.com", "", NULL},
	{"rcpt, sender", "rcpt example.com <a@b.example>\n", 0, STS_OK,
	 STS_LINE_RCPT, "example.com", "a@b.example", NULL},
	{"rcpt, null sender", "rcpt example.com <>", 0, STS_OK, STS_LINE_RCPT,
	 "example.com", "", NULL},
	{"rcpt, quoted local part with spaces",
	 "rcpt example.com <\"a b\"@c.example>", 0, STS_OK, STS_LINE_RCPT,
	 "example.com", "\"a b\"@c.example", NULL},
	{"rcpt, address literal", "rcpt [192.0.2.1]", 0, STS_OK, STS_LINE_RCPT,
	 "[192.0.2.1]", "", NULL},
	{"empty", "", 0, STS_INVALID, 0, NULL, NULL, "empty request"},
	{"only LF", "\n", 0, STS_INVALID, 0, NULL, NULL, "empty request"},
	{"bare domain", "example.com", 0, STS_INVALID, 0, NULL, NULL,
	 "expected: rcpt DOMAIN <SENDER> | sts DOMAIN | tlsrpt TYPE DOMAIN MX "
	 "RESULT [IP]"},
	{"unknown verb", "mx example.com", 0, STS_INVALID, 0, NULL, NULL,
	 "unknown verb"},
	{"upper-case verb", "STS example.com", 0, STS_INVALID, 0, NULL, NULL,
	 "unknown verb"},
	{"two spaces", "sts  example.com", 0, STS_INVALID, 0, NULL, NULL,
	 "empty domain"},
	{"trailing space", "sts example.com ", 0, STS_INVALID, 0, NULL, NULL,
	 "\"sts\" takes only a domain"},
	{"sts with a sender", "sts example.com <a@b>", 0, STS_INVALID, 0, NULL,
	 NULL, "\"sts\" takes only a domain"},
	{"rcpt, unbracketed sender", "rcpt example.com a@b", 0, STS_INVALID, 0,
	 NULL, NULL, "sender must be in angle brackets"},
	{"rcpt, trailing space", "rcpt example.com ", 0, STS_INVALID, 0, NULL,
	 NULL, "sender must be in angle brackets"},
	{"rcpt, lone bracket", "rcpt example.com <", 0, STS_INVALID, 0, NULL,
	 NULL, "sender must be in angle brackets"},
	{"NUL inside", "sts exa\0mple.com", 16, STS_INVALID, 0, NULL, NULL,
	 "NUL byte in request"},
	{"NUL at the end", "sts example.com\0", 16, STS_INVALID, 0, NULL, NULL,
	 "NUL byte in request"},
	{"two lines", "sts a.example\nsts b.example\n", 0, STS_INVALID, 0, NULL,
	 NULL, "more than one line"},
	{"LF then garbage", "sts a.example\nx", 0, STS_INVALID, 0, NULL, NULL,
	 "more than one line"},
	{"bare CR", "sts a.ex\rample", 0, STS_INVALID, 0, NULL, NULL,
	 "control character in request"},
	{"CR CR LF", "sts a.example\r\r\n", 0, STS_INVALID, 0, NULL, NULL,
	 "control character in request"},
	{"tab", "sts\ta.example", 0, STS_INVALID, 0, NULL, NULL,
	 "control character in request"},
	{"DEL", "sts a.example\x7f", 0, STS_INVALID, 0, NULL, NULL,
	 "control character in request"},
	{"domain over the cap", NULL, 0, STS_INVALID, 0, NULL, NULL,
	 "domain too long"},
	{"request over the cap", NULL, 1, STS_INVALID, 0, NULL, NULL,
	 "request longer than 2057 bytes"},
};

static void
test_parse(void)
{
	static char longdom[4 + LONGDOM_N + 1];
	static char longreq[STS_MAX_LINE_REQUEST + 10];
	struct sts_line_req req;
	char why[STS_WHY_MAX];
	size_t i;

	memcpy(longdom, "sts ", 4);
	memset(longdom + 4, 'a', LONGDOM_N);
	longdom[4 + LONGDOM_N] = '\0';
	memcpy(longreq, "rcpt a.example <", 16);
	memset(longreq + 16, 'b', sizeof(longreq) - 18);
	longreq[sizeof(longreq) - 2] = '>';
	longreq[sizeof(longreq) - 1] = '\0';
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const char *in = parse_cases[i].in;
		size_t len = parse_cases[i].len;
		enum sts_status st;

		if (in == NULL)
			in = len == 1 ? longreq : longdom;
		if (in == longreq || len == 0)
			len = strlen(in);
		why[0] = '\0';
		st = sts_line_parse(in, len, &req, why, sizeof(why));
		is_int(st, parse_cases[i].want, "parse %s: status",
		       parse_cases[i].name);
		if (parse_cases[i].want == STS_OK) {
			is_int(req.verb, parse_cases[i].verb, "parse %s: verb",
			       parse_cases[i].name);
			is_str(req.domain, parse_cases[i].domain,
			       "parse %s: domain", parse_cases[i].name);
			is_str(req.sender, parse_cases[i].sender,
			       "parse %s: sender", parse_cases[i].name);
		} else {
			is_str(why, parse_cases[i].why, "parse %s: why",
			       parse_cases[i].name);
		}
	}
}

/* "tlsrpt TYPE DOMAIN MX RESULT [IP]" (RFC 8460 sessions from Exim). */
static const struct {
	const char *in;
	enum sts_status want;
	enum sts_rpt_ptype ptype;
	const char *domain, *mx;
	bool success;
	enum sts_rpt result;
	const char *ip, *why;
} tlsrpt_cases[] = {
	{"tlsrpt sts example.com mx.example.com success\n", STS_OK,
	 STS_RPT_PT_STS, "example.com", "mx.example.com", true, STS_RPT_NONE,
	 "", NULL},
	{"tlsrpt sts example.com mx.example.com certificate-expired 192.0.2.1",
	 STS_OK, STS_RPT_PT_STS, "example.com", "mx.example.com", false,
	 STS_RPT_CERTIFICATE_EXPIRED, "192.0.2.1", NULL},
	{"tlsrpt tlsa example.com mx.example.com tlsa-invalid 2001:db8::1\r\n",
	 STS_OK, STS_RPT_PT_TLSA, "example.com", "mx.example.com", false,
	 STS_RPT_TLSA_INVALID, "2001:db8::1", NULL},
	{"tlsrpt no-policy-found example.com - success", STS_OK,
	 STS_RPT_PT_NOPOLICY, "example.com", "", true, STS_RPT_NONE, "", NULL},
	{"tlsrpt sts example.com mx.example.com starttls-not-supported", STS_OK,
	 STS_RPT_PT_STS, "example.com", "mx.example.com", false,
	 STS_RPT_STARTTLS_NOT_SUPPORTED, "", NULL},
	{"tlsrpt", STS_INVALID, 0, NULL, NULL, false, 0, NULL,
	 "expected: rcpt DOMAIN <SENDER> | sts DOMAIN | tlsrpt TYPE DOMAIN MX "
	 "RESULT [IP]"},
	{"tlsrpt dane example.com mx.example.com success", STS_INVALID, 0, NULL,
	 NULL, false, 0, NULL,
	 "policy type must be sts, tlsa or no-policy-found"},
	{"tlsrpt sts example.com mx.example.com", STS_INVALID, 0, NULL, NULL,
	 false, 0, NULL, "expected: tlsrpt TYPE DOMAIN MX RESULT [IP]"},
	{"tlsrpt sts example.com mx.example.com ", STS_INVALID, 0, NULL, NULL,
	 false, 0, NULL, "result must be success or an RFC 8460 result type"},
	{"tlsrpt sts example.com mx.example.com ok", STS_INVALID, 0, NULL, NULL,
	 false, 0, NULL, "result must be success or an RFC 8460 result type"},
	{"tlsrpt sts example.com mx.example.com Success", STS_INVALID, 0, NULL,
	 NULL, false, 0, NULL,
	 "result must be success or an RFC 8460 result type"},
	{"tlsrpt sts  example.com mx success", STS_INVALID, 0, NULL, NULL,
	 false, 0, NULL, "empty domain"},
	{"tlsrpt sts example.com  success", STS_INVALID, 0, NULL, NULL, false,
	 0, NULL, "empty MX host"},
	{"tlsrpt sts example.com mx\xc3\xa9.example success", STS_INVALID, 0,
	 NULL, NULL, false, 0, NULL, "MX host: not a host name"},
	{"tlsrpt sts example.com mx/x success", STS_INVALID, 0, NULL, NULL,
	 false, 0, NULL, "MX host: not a host name"},
	{"tlsrpt sts example.com mx success 192.0.2.1 x", STS_INVALID, 0, NULL,
	 NULL, false, 0, NULL, "expected: tlsrpt TYPE DOMAIN MX RESULT [IP]"},
	{"tlsrpt sts example.com mx success 192.0.2.1 ", STS_INVALID, 0, NULL,
	 NULL, false, 0, NULL, "expected: tlsrpt TYPE DOMAIN MX RESULT [IP]"},
	{"tlsrpt sts example.com mx success [192.0.2.1]", STS_INVALID, 0, NULL,
	 NULL, false, 0, NULL, "IP: not an address"},
	{"tlsrpt sts example.com mx success "
	 "0000:0000:0000:0000:0000:ffff:192.168.100.228x",
	 STS_INVALID, 0, NULL, NULL, false, 0, NULL, "IP too long"},
	{"tlsrpt sts example.com mx success "
	 "0000:0000:0000:0000:0000:ffff:192.168.100.228",
	 STS_OK, STS_RPT_PT_STS, "example.com", "mx", true, STS_RPT_NONE,
	 "0000:0000:0000:0000:0000:ffff:192.168.100.228", NULL},
};

static void
test_tlsrpt(void)
{
	static char longmx[64 + STS_MAX_DOMAIN + 2];
	struct sts_line_req req;
	char why[STS_WHY_MAX], out[128];
	size_t i;

	for (i = 0; i < sizeof(tlsrpt_cases) / sizeof(tlsrpt_cases[0]); i++) {
		const char *in = tlsrpt_cases[i].in;
		char name[160];
		enum sts_status st;

		/* the name without its line end (one TAP line) */
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(in, "\r\n"),
			 in);

		why[0] = '\0';
		st = sts_line_parse(in, strlen(in), &req, why, sizeof(why));
		is_int(st, tlsrpt_cases[i].want, "tlsrpt %s: status", name);
		if (tlsrpt_cases[i].want != STS_OK) {
			is_str(why, tlsrpt_cases[i].why, "tlsrpt %s: why",
			       name);
			continue;
		}
		ok(req.verb == STS_LINE_TLSRPT &&
			   req.ptype == tlsrpt_cases[i].ptype &&
			   strcmp(req.domain, tlsrpt_cases[i].domain) == 0 &&
			   strcmp(req.mx, tlsrpt_cases[i].mx) == 0 &&
			   req.success == tlsrpt_cases[i].success &&
			   req.result == tlsrpt_cases[i].result &&
			   strcmp(req.ip, tlsrpt_cases[i].ip) == 0,
		   "tlsrpt %s: fields", name);
	}
	/* the MX name cap: STS_MAX_DOMAIN bytes, not one more */
	memcpy(longmx, "tlsrpt sts a.example ", 21);
	memset(longmx + 21, 'm', STS_MAX_DOMAIN);
	memcpy(longmx + 21 + STS_MAX_DOMAIN, " success", 9);
	is_int(sts_line_parse(longmx, strlen(longmx), &req, why, sizeof(why)),
	       STS_OK, "tlsrpt: MX of %d bytes accepted", STS_MAX_DOMAIN);
	memcpy(longmx + 21, "mm", 2);
	memset(longmx + 21, 'm', STS_MAX_DOMAIN + 1);
	memcpy(longmx + 22 + STS_MAX_DOMAIN, " success", 9);
	is_int(sts_line_parse(longmx, strlen(longmx), &req, why, sizeof(why)),
	       STS_INVALID, "tlsrpt: MX of %d bytes refused",
	       STS_MAX_DOMAIN + 1);
	is_str(why, "MX host too long", "tlsrpt: ... as too long");
	sts_line_format_tlsrpt("ok", NULL, out, sizeof(out));
	is_str(out, "action=ok\n", "tlsrpt reply: ok");
	sts_line_format_tlsrpt("ignored", "TLS reporting \"off\"", out,
			       sizeof(out));
	is_str(out, "action=ignored why=\"TLS reporting ?off?\"\n",
	       "tlsrpt reply: ignored, quoted why cleaned");
}

static void
test_frame(void)
{
	static char big[STS_MAX_LINE_REQUEST + 3];

	is_int(sts_line_frame("sts a", 5), 0, "frame: no LF yet -> more");
	is_int(sts_line_frame("sts a\n", 6), 6, "frame: LF ends it");
	is_int(sts_line_frame("sts a\nxyz", 9), 6,
	       "frame: LF ends it, the rest is extra");
	is_int(sts_line_frame("", 0), 0, "frame: nothing yet");
	memset(big, 'a', sizeof(big));
	is_int(sts_line_frame(big, sizeof(big) - 1), 0,
	       "frame: cap + CRLF without LF -> still more");
	is_int(sts_line_frame(big, sizeof(big)), -1,
	       "frame: past the cap without LF -> never");
}

static const struct {
	const char *name;
	enum sts_verdict verdict;
	enum sts_reason reason;
	enum sts_rpt rpt;
	enum sts_mode mode;
	bool have_policy;
	const char *domain, *why, *want;
} rcpt_cases[] = {
	{"no policy", STS_VERDICT_PASS, STS_REASON_NO_POLICY, STS_RPT_NONE,
	 STS_MODE_NONE, false, "example.com", "",
	 "action=accept verdict=pass domain=example.com mode=none result=none "
	 "reason=no-policy type=none\n"},
	{"enforce satisfied", STS_VERDICT_PASS, STS_REASON_SATISFIED,
	 STS_RPT_NONE, STS_MODE_ENFORCE, true, "example.com", "",
	 "action=accept verdict=pass domain=example.com mode=enforce "
	 "result=pass reason=satisfied type=none header=\"domain=example.com "
	 "mode=enforce result=pass reason=satisfied type=none\"\n"},
	{"testing failure tagged", STS_VERDICT_TAG, STS_REASON_TLS_FAILED,
	 STS_RPT_CERTIFICATE_HOST_MISMATCH, STS_MODE_TESTING, true, "t.example",
	 "x",
	 "action=accept verdict=tag domain=t.example mode=testing result=fail "
	 "reason=tls-failed type=certificate-host-mismatch "
	 "header=\"domain=t.example mode=testing result=fail reason=tls-failed "
	 "type=certificate-host-mismatch\"\n"},
	{"fetch failure, nothing cached: tagged", STS_VERDICT_TAG,
	 STS_REASON_TEMPFAIL, STS_RPT_STS_POLICY_FETCH_ERROR, STS_MODE_NONE,
	 false, "f.example", "HTTP 404",
	 "action=accept verdict=tag domain=f.example mode=none "
	 "result=temperror reason=tempfail type=sts-policy-fetch-error "
	 "header=\"domain=f.example mode=none result=temperror "
	 "reason=tempfail type=sts-policy-fetch-error\"\n"},
	{"enforce mismatch deferred", STS_VERDICT_DEFER, STS_REASON_MX_MISMATCH,
	 STS_RPT_VALIDATION_FAILURE, STS_MODE_ENFORCE, true, "m.example",
	 "mx.m.example not in policy",
	 "action=defer verdict=defer domain=m.example mode=enforce result=fail "
	 "reason=mx-mismatch type=validation-failure code=451 dsn=4.4.4 "
	 "text=\"MTA-STS policy of m.example (mode enforce) cannot be met: "
	 "mx-mismatch (mx.m.example not in policy)\"\n"},
	{"bogus deferred, hostile why cleaned", STS_VERDICT_DEFER,
	 STS_REASON_DNSSEC_BOGUS, STS_RPT_DNSSEC_INVALID, STS_MODE_NONE, false,
	 "b.example", "bad \"sig\"\\\r\n",
	 "action=defer verdict=defer domain=b.example mode=none result=fail "
	 "reason=dnssec-bogus type=dnssec-invalid code=451 dsn=4.7.5 "
	 "text=\"MTA-STS policy of b.example cannot be checked: dnssec-bogus "
	 "(bad ?sig???\?)\"\n"},
	{"override reject", STS_VERDICT_REJECT, STS_REASON_FORCED, STS_RPT_NONE,
	 STS_MODE_ENFORCE, true, "r.example", "override",
	 "action=reject verdict=reject domain=r.example mode=enforce "
	 "result=fail reason=forced type=none code=550 dsn=5.7.0 "
	 "text=\"MTA-STS policy of r.example (mode enforce) cannot be met: "
	 "forced (override)\"\n"},
	{"not a domain", STS_VERDICT_PASS, STS_REASON_NOT_A_DOMAIN,
	 STS_RPT_NONE, STS_MODE_NONE, false, "", "",
	 "action=accept verdict=pass domain=- mode=none result=none "
	 "reason=not-a-domain type=none\n"},
};

static void
test_rcpt(void)
{
	char buf[2048], rc[8], xc[16], text[STS_RCPT_MAX_TEXT + 1];
	struct sts_answer a;
	size_t i, n;

	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.verdict = rcpt_cases[i].verdict;
		a.reason = rcpt_cases[i].reason;
		a.rpt = rcpt_cases[i].rpt;
		a.mode = rcpt_cases[i].mode;
		a.have_policy = rcpt_cases[i].have_policy;
		snprintf(a.domain, sizeof(a.domain), "%s",
			 rcpt_cases[i].domain);
		snprintf(a.why, sizeof(a.why), "%s", rcpt_cases[i].why);
		n = sts_line_format_rcpt(&a, buf, sizeof(buf));
		is_str(buf, rcpt_cases[i].want, "rcpt %s", rcpt_cases[i].name);
		is_int((long)n, (long)strlen(rcpt_cases[i].want),
		       "rcpt %s: length", rcpt_cases[i].name);
		if (a.verdict == STS_VERDICT_DEFER ||
		    a.verdict == STS_VERDICT_REJECT) {
			/* the milter's reply text, verbatim */
			sts_rcptreply_smtp(&a, rc, sizeof(rc), xc, sizeof(xc),
					   text, sizeof(text));
			ok(strstr(buf, text) != NULL,
			   "rcpt %s: the milter's text", rcpt_cases[i].name);
		}
	}
	/* A long hostile why stays one line within the cap. */
	memset(&a, 0, sizeof(a));
	a.verdict = STS_VERDICT_DEFER;
	a.reason = STS_REASON_TLS_FAILED;
	a.have_policy = true;
	a.mode = STS_MODE_ENFORCE;
	memset(a.domain, 'd', sizeof(a.domain) - 1);
	memset(a.why, '\n', sizeof(a.why) - 1);
	n = sts_line_format_rcpt(&a, buf, sizeof(buf));
	ok(n < sizeof(buf) && strchr(buf, '\n') == buf + n - 1,
	   "rcpt: hostile why, one line (%zu bytes)", n);
	/* Truncation: snprintf semantics. */
	n = sts_line_format_rcpt(&a, buf, 10);
	ok(n > 10 && strlen(buf) == 9, "rcpt: truncated at the buffer");
}

static char *mx_two[] = {"mx1.example.com", "*.example.net"};
static char *mx_bad[] = {"mx.example.com:25"};
static struct sts_policy pol_enf = {STS_MODE_ENFORCE, 86400, 2,
				    mx_two,	      0,     NULL};
static struct sts_policy pol_test = {STS_MODE_TESTING, 86400, 2,
				     mx_two,	       0,     NULL};
static struct sts_policy pol_bad = {STS_MODE_ENFORCE, 86400, 1,
				    mx_bad,	      0,     NULL};

static const struct {
	const char *name;
	enum sts_status status;
	struct sts_policy *policy;
	bool enforce, dane, defer;
	const char *want;
} sts_cases[] = {
	{"enforce", STS_OK, &pol_enf, true, false, false,
	 "action=secure mode=enforce domain=example.com "
	 "match=mx1.example.com:*.example.net "
	 "mx_regex=^(?i:mx1\\.example\\.com|[^.]+\\.example\\.net)$\n"},
	{"testing", STS_OK, &pol_test, false, false, false, "action=none\n"},
	{"testing enforced by override", STS_OK, &pol_test, true, false, false,
	 "action=secure mode=enforce domain=example.com "
	 "match=mx1.example.com:*.example.net "
	 "mx_regex=^(?i:mx1\\.example\\.com|[^.]+\\.example\\.net)$\n"},
	{"no policy", STS_NOTFOUND, NULL, false, false, false, "action=none\n"},
	{"pending", STS_TEMPFAIL, NULL, false, false, false, "action=none\n"},
	{"DANE", STS_OK, &pol_enf, true, true, false,
	 "action=dane mode=enforce domain=example.com\n"},
	{"bogus", STS_BOGUS, NULL, false, false, false,
	 "action=defer why=\"DNSSEC validation failed\"\n"},
	{"override defer", STS_TEMPFAIL, NULL, false, false, true,
	 "action=defer why=\"override says ?no?\"\n"},
	{"broken pattern", STS_OK, &pol_bad, true, false, false,
	 "action=defer why=\"bad mx pattern\"\n"},
};

static void
test_sts(void)
{
	char buf[1024];
	struct sts_lookup lk;
	size_t i, n;

	for (i = 0; i < sizeof(sts_cases) / sizeof(sts_cases[0]); i++) {
		memset(&lk, 0, sizeof(lk));
		lk.status = sts_cases[i].status;
		lk.policy = sts_cases[i].policy;
		lk.enforce = sts_cases[i].enforce;
		lk.dane = sts_cases[i].dane;
		lk.defer = sts_cases[i].defer;
		snprintf(lk.domain, sizeof(lk.domain), "example.com");
		snprintf(lk.why, sizeof(lk.why), "%s",
			 lk.defer ? "override says \"no\"" : "");
		n = sts_line_format_sts(&lk, NULL, buf, sizeof(buf));
		is_str(buf, sts_cases[i].want, "sts %s", sts_cases[i].name);
		is_int((long)n, (long)strlen(sts_cases[i].want),
		       "sts %s: length", sts_cases[i].name);
	}
	n = sts_line_format_error("bad \"x\"\n", buf, sizeof(buf));
	is_str(buf, "action=error why=\"bad ?x??\"\n", "error line");
	is_int((long)n, 28, "error line: length");
}

int
main(void)
{
	test_parse();
	test_tlsrpt();
	test_frame();
	test_rcpt();
	test_sts();
	return tap_done();
}
