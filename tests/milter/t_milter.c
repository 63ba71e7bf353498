/*
 * t_milter.c - the per-transaction logic (milter/milter.c) driven
 * through its two seams: a recording fake of the smfi_* calls and a
 * scripted policy answer per domain.  No libmilter, no network.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "conf.h"
#include "log.h"
#include "milter.h"

/* --- the recording smfi_* fake ------------------------------------- */

static char rec_rcode[8], rec_xcode[16], rec_text[1024];
static int n_setreply, n_addheader, n_chgheader;
static char rec_hname[64], rec_hvalue[4096];
static int chg_idx[8];
static const char *qid = "ABC123";
static const char *mailer; /* {rcpt_mailer}, NULL: not sent */

static const char *
f_getsymval(void *ctx, const char *sym)
{
	(void)ctx;
	if (strcmp(sym, "{rcpt_mailer}") == 0)
		return mailer;
	return strcmp(sym, "i") == 0 ? qid : NULL;
}

static int
f_setreply(void *ctx, const char *rcode, const char *xcode, const char *msg)
{
	(void)ctx;
	n_setreply++;
	snprintf(rec_rcode, sizeof(rec_rcode), "%s", rcode);
	snprintf(rec_xcode, sizeof(rec_xcode), "%s", xcode);
	snprintf(rec_text, sizeof(rec_text), "%s", msg);
	return 0;
}

static int
f_addheader(void *ctx, const char *name, const char *value)
{
	(void)ctx;
	n_addheader++;
	snprintf(rec_hname, sizeof(rec_hname), "%s", name);
	snprintf(rec_hvalue, sizeof(rec_hvalue), "%s", value);
	return 0;
}

static int
f_chgheader(void *ctx, const char *name, int idx, const char *value)
{
	(void)ctx;
	if (value == NULL && strcmp(name, "X-MTA-STS") == 0 && n_chgheader < 8)
		chg_idx[n_chgheader] = idx;
	n_chgheader++;
	return 0;
}

static const struct milter_io fake_io = {f_getsymval, f_setreply, f_addheader,
					 f_chgheader};

/* --- the scripted engine -------------------------------------------- */

static const struct {
	const char *domain;
	enum sts_verdict v;
	enum sts_reason r;
	enum sts_rpt rpt;
	enum sts_mode mode;
	bool have_policy;
	const char *why;
} script[] = {
	{"good.example", STS_VERDICT_TAG, STS_REASON_SATISFIED, STS_RPT_NONE,
	 STS_MODE_ENFORCE, true, "mx.good.example matches"},
	{"bad.example", STS_VERDICT_DEFER, STS_REASON_TLS_FAILED,
	 STS_RPT_CERTIFICATE_NOT_TRUSTED, STS_MODE_ENFORCE, true,
	 "mx.bad.example: certificate not trusted"},
	{"notls.example", STS_VERDICT_DEFER, STS_REASON_TLS_FAILED,
	 STS_RPT_STARTTLS_NOT_SUPPORTED, STS_MODE_ENFORCE, true,
	 "mx.notls.example: no STARTTLS"},
	{"nomx.example", STS_VERDICT_DEFER, STS_REASON_MX_MISMATCH,
	 STS_RPT_VALIDATION_FAILURE, STS_MODE_ENFORCE, true,
	 "no MX matches 100% of nothing"},
	{"test.example", STS_VERDICT_TAG, STS_REASON_MX_MISMATCH,
	 STS_RPT_VALIDATION_FAILURE, STS_MODE_TESTING, true, "no MX matches"},
	{"rej.example", STS_VERDICT_REJECT, STS_REASON_TLS_FAILED,
	 STS_RPT_CERTIFICATE_EXPIRED, STS_MODE_ENFORCE, true, "expired"},
	{"null.example", STS_VERDICT_REJECT, STS_REASON_NULL_MX, STS_RPT_NONE,
	 STS_MODE_ENFORCE, true, "null MX"},
	{"bogus.example", STS_VERDICT_DEFER, STS_REASON_DNSSEC_BOGUS,
	 STS_RPT_DNSSEC_INVALID, STS_MODE_NONE, false, "bogus TXT"},
	{"slow.example", STS_VERDICT_DEFER, STS_REASON_TEMPFAIL,
	 STS_RPT_STS_POLICY_FETCH_ERROR, STS_MODE_NONE, false, "timeout"},
	{"exempt.example", STS_VERDICT_DEFER, STS_REASON_EXEMPT,
	 STS_RPT_VALIDATION_FAILURE, STS_MODE_ENFORCE, true, "exempt sender"},
};

static int n_check;
static char last_domain[300], last_from[300];
static unsigned last_deadline;

static void
fake_check(void *arg, const char *domain, const char *from,
	   unsigned deadline_ms, struct sts_answer *out)
{
	size_t i;

	(void)arg;
	n_check++;
	snprintf(last_domain, sizeof(last_domain), "%s", domain);
	snprintf(last_from, sizeof(last_from), "%s", from ? from : "(null)");
	last_deadline = deadline_ms;
	memset(out, 0, sizeof(*out));
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	out->verdict = STS_VERDICT_PASS;
	out->reason = STS_REASON_NO_POLICY;
	if (domain[0] == '[') { /* as the engine: no policy of its own */
		out->reason = STS_REASON_NOT_A_DOMAIN;
		out->domain[0] = '\0';
	}
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++)
		if (strcmp(script[i].domain, domain) == 0) {
			out->verdict = script[i].v;
			out->reason = script[i].r;
			out->rpt = script[i].rpt;
			out->mode = script[i].mode;
			out->have_policy = script[i].have_policy;
			snprintf(out->why, sizeof(out->why), "%s",
				 script[i].why);
		}
}

static struct conf *test_conf;

static struct conf *
get_test_conf(void)
{
	return conf_ref(test_conf);
}

static const struct milter_env env = {&fake_io, fake_check, NULL,
				      get_test_conf};

static void
reset(void)
{
	n_setreply = n_addheader = n_chgheader = n_check = 0;
	rec_rcode[0] = rec_xcode[0] = rec_text[0] = '\0';
	rec_hname[0] = rec_hvalue[0] = '\0';
	last_domain[0] = '\0';
	memset(chg_idx, 0, sizeof(chg_idx));
}

/* One recipient: the return code, and for a reply its three parts. */
static void
rcpt_case(struct msess *s, const char *rcpt, enum milter_rc want_rc,
	  const char *want_code, const char *want_x, const char *want_dom)
{
	enum milter_rc rc;

	reset();
	rc = msess_envrcpt(s, NULL, rcpt);
	is_int(rc, want_rc, "RCPT %s: return code", rcpt);
	if (want_code != NULL) {
		is_str(rec_rcode, want_code, "RCPT %s: reply code", rcpt);
		is_str(rec_xcode, want_x, "RCPT %s: enhanced code", rcpt);
	} else {
		is_int(n_setreply, 0, "RCPT %s: no reply set", rcpt);
	}
	if (want_dom != NULL)
		is_str(last_domain, want_dom, "RCPT %s: engine asked about %s",
		       rcpt, want_dom);
	else
		is_int(n_check, 0, "RCPT %s: engine not asked", rcpt);
}

int
main(void)
{
	struct msess *s;
	struct sts_answer a;
	char rc[8], xc[16], text[600];

	log_init("t_milter", true, LOG_DEBUG);
	test_conf = conf_defaults();
	if (test_conf == NULL)
		return 1;
	s = msess_new(&env);
	ok(s != NULL, "session created");
	if (s == NULL)
		return tap_done();

	/* Message 1: mixed verdicts, spoofed headers, tag. */
	is_int(msess_envfrom(s, NULL, "<sender@lab.example>"), MILTER_CONTINUE,
	       "MAIL FROM continues");
	rcpt_case(s, "<u@good.example>", MILTER_CONTINUE, NULL, NULL,
		  "good.example");
	is_int(last_deadline, 3000, "engine gets LookupDeadline (3000 ms)");
	is_str(last_from, "<sender@lab.example>", "engine gets the sender");
	rcpt_case(s, "<v@bad.example>", MILTER_TEMPFAIL, "451", "4.7.5",
		  "bad.example");
	ok(strstr(rec_text, "bad.example") && strstr(rec_text, "enforce") &&
		   strstr(rec_text, "certificate not trusted"),
	   "reply text names domain, mode and reason: %s", rec_text);
	rcpt_case(s, "<w@notls.example>", MILTER_TEMPFAIL, "451", "4.7.4",
		  "notls.example");
	rcpt_case(s, "<x@nomx.example>", MILTER_TEMPFAIL, "451", "4.4.4",
		  "nomx.example");
	ok(strstr(rec_text, "100%% of") != NULL,
	   "'%%' doubled for smfi_setreply: %s", rec_text);
	rcpt_case(s, "<y@test.example>", MILTER_CONTINUE, NULL, NULL,
		  "test.example");
	rcpt_case(s, "<z@GOOD.Example.>", MILTER_CONTINUE, NULL, NULL,
		  "good.example");
	reset();
	msess_header(s, NULL, "Subject", "hi");
	msess_header(s, NULL, "X-MTA-STS", "domain=bad.example result=pass");
	msess_header(s, NULL, "x-mta-sts", "forged");
	is_int(msess_eom(s, NULL), MILTER_CONTINUE, "EOM continues");
	is_int(n_chgheader, 2, "two spoofed headers deleted");
	ok(chg_idx[0] == 2 && chg_idx[1] == 1,
	   "deleted from the last index down (%d, %d)", chg_idx[0], chg_idx[1]);
	is_int(n_addheader, 1, "exactly one header added");
	is_str(rec_hname, "X-MTA-STS", "header name");
	is_str(rec_hvalue,
	       "domain=good.example mode=enforce result=pass reason=satisfied "
	       "type=none;\n\tdomain=test.example mode=testing result=fail "
	       "reason=mx-mismatch type=validation-failure",
	       "one line per accepted domain, deferred ones left out");

	/* Message 2 on the same connection: recipient forms. */
	msess_envfrom(s, NULL, "<>");
	/* Literals reach the engine (a Relayhost may still apply). */
	rcpt_case(s, "<user@[192.0.2.1]>", MILTER_CONTINUE, NULL, NULL,
		  "[192.0.2.1]");
	rcpt_case(s, "<user@[IPv6:2001:db8::1]>", MILTER_CONTINUE, NULL, NULL,
		  "[IPv6:2001:db8::1]");
	rcpt_case(s, "<>", MILTER_CONTINUE, NULL, NULL, NULL);
	rcpt_case(s, "<postmaster>", MILTER_CONTINUE, NULL, NULL, NULL);
	rcpt_case(s, "<\"a@bad.example\"@good.example>", MILTER_CONTINUE, NULL,
		  NULL, "good.example");
	rcpt_case(s, "<@bad.example:u@good.example>", MILTER_CONTINUE, NULL,
		  NULL, "good.example");
	rcpt_case(s,
		  "<u@b\xc3\xbc"
		  "cher.example>",
		  MILTER_CONTINUE, NULL, NULL,
		  "b\xc3\xbc"
		  "cher.example");
	rcpt_case(s, "<u@bad.example", MILTER_CONTINUE, NULL, NULL, NULL);
	{
		char big[3000];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		big[0] = '<';
		big[1500] = '@';
		rcpt_case(s, big, MILTER_CONTINUE, NULL, NULL, NULL);
	}
	rcpt_case(s, "<u@bogus.example>", MILTER_TEMPFAIL, "451", "4.7.5",
		  "bogus.example");
	ok(strstr(rec_text, "cannot be checked") != NULL,
	   "no-policy failure text: %s", rec_text);
	rcpt_case(s, "<u@slow.example>", MILTER_TEMPFAIL, "451", "4.4.3",
		  "slow.example");
	rcpt_case(s, "<u@rej.example>", MILTER_REJECT, "550", "5.7.5",
		  "rej.example");
	rcpt_case(s, "<u@null.example>", MILTER_REJECT, "556", "5.1.10",
		  "null.example");
	rcpt_case(s, "<u@exempt.example>", MILTER_CONTINUE, NULL, NULL,
		  "exempt.example");
	reset();
	msess_eom(s, NULL);
	is_int(n_addheader, 1, "message 2 tagged (good + exempt)");
	ok(strstr(rec_hvalue, "domain=exempt.example mode=enforce "
			      "result=none reason=exempt") != NULL,
	   "exempt recipient listed");
	is_int(n_chgheader, 0, "nothing to delete in message 2");

	/* The recipient as logged (issue 13 item 9): A-label domain, the
	 * raw form escaped, never "b??cher". */
	{
		char lo[320], raw[1280];

		milter_log_rcpt("<u@b\xc3\xbc"
				"cher.test>",
				lo, sizeof(lo), raw, sizeof(raw));
		is_str(lo, "<u@xn--bcher-kva.test>",
		       "log: U-label recipient shown with its A-label");
		is_str(raw, "<u@b\\xc3\\xbccher.test>",
		       "log: raw U-label recipient escaped \\xHH");
		milter_log_rcpt("<u@Good.Example>", lo, sizeof(lo), raw,
				sizeof(raw));
		ok(strcmp(lo, "<u@Good.Example>") == 0 && raw[0] == '\0',
		   "log: an ASCII recipient as received, no raw form (%s)", lo);
		milter_log_rcpt("<\xff\"x@bad\x01.test>", lo, sizeof(lo), raw,
				sizeof(raw));
		ok(strcmp(raw, "<\\xff\\x22x@bad\\x01.test>") == 0 &&
			   strchr(lo, '\xff') == NULL &&
			   strchr(lo, '\x01') == NULL,
		   "log: control bytes and quotes escaped (%s | %s)", lo, raw);
	}

	/* Message 3: no policy anywhere -> no header, but spoofs go. */
	msess_envfrom(s, NULL, "<a@b.example>");
	rcpt_case(s, "<u@nopolicy.example>", MILTER_CONTINUE, NULL, NULL,
		  "nopolicy.example");
	reset();
	msess_header(s, NULL, "X-MTA-STS", "forged");
	msess_eom(s, NULL);
	is_int(n_addheader, 0, "no header without any policy");
	is_int(n_chgheader, 1, "the spoofed header is still removed");

	/* Message 4: aborted; its state does not leak into message 5. */
	msess_envfrom(s, NULL, "<a@b.example>");
	rcpt_case(s, "<u@good.example>", MILTER_CONTINUE, NULL, NULL,
		  "good.example");
	msess_header(s, NULL, "X-MTA-STS", "forged");
	msess_abort(s);
	msess_envfrom(s, NULL, "<a@b.example>");
	reset();
	msess_eom(s, NULL);
	is_int(n_addheader + n_chgheader, 0, "abort forgets the message");

	/* The negotiated protocol bits outlive messages and aborts. */
	ok(msess_proto(NULL) == MILTER_PROTO_UNKNOWN,
	   "no session: protocol unknown");
	ok(msess_proto(s) == MILTER_PROTO_UNKNOWN,
	   "new session: protocol unknown");
	msess_set_proto(s, 0x4080UL);
	msess_envfrom(s, NULL, "<a@b.example>");
	msess_abort(s);
	ok(msess_proto(s) == 0x4080UL, "protocol kept across messages");

	/* Issue 14 item 2: only recipients that leave by SMTP. */
	msess_envfrom(s, NULL, "<a@b.example>");
	mailer = "local";
	rcpt_case(s, "<u@bad.example>", MILTER_CONTINUE, NULL, NULL, NULL);
	mailer = "virtual";
	rcpt_case(s, "<u@bad.example>", MILTER_CONTINUE, NULL, NULL, NULL);
	mailer = "lmtp";
	rcpt_case(s, "<u@bad.example>", MILTER_CONTINUE, NULL, NULL, NULL);
	mailer = "smtp";
	rcpt_case(s, "<u@bad.example>", MILTER_TEMPFAIL, "451", "4.7.5",
		  "bad.example");
	mailer = "RELAY";
	rcpt_case(s, "<u@bad.example>", MILTER_TEMPFAIL, "451", "4.7.5",
		  "bad.example");
	mailer = "esmtp";
	rcpt_case(s, "<u@bad.example>", MILTER_TEMPFAIL, "451", "4.7.5",
		  "bad.example");
	mailer = "";
	rcpt_case(s, "<u@bad.example>", MILTER_TEMPFAIL, "451", "4.7.5",
		  "bad.example");
	mailer = NULL;
	free(test_conf->local_domains);
	test_conf->local_domains = strdup("own.example, .bad.example");
	rcpt_case(s, "<u@own.example>", MILTER_CONTINUE, NULL, NULL, NULL);
	rcpt_case(s, "<u@sub.bad.example>", MILTER_CONTINUE, NULL, NULL, NULL);
	rcpt_case(s, "<u@bad.example>", MILTER_TEMPFAIL, "451", "4.7.5",
		  "bad.example");
	free(test_conf->check_mailers);
	test_conf->check_mailers = strdup("");
	mailer = "local";
	rcpt_case(s, "<u@bad.example>", MILTER_TEMPFAIL, "451", "4.7.5",
		  "bad.example");
	mailer = NULL;
	reset();
	msess_eom(s, NULL);
	is_int(n_addheader, 0, "skipped recipients are not tagged");
	msess_free(s);

	/* milter_reply directly: a long, hostile reason stays one line. */
	memset(&a, 0, sizeof(a));
	a.verdict = STS_VERDICT_DEFER;
	a.reason = STS_REASON_TLS_FAILED;
	a.have_policy = true;
	a.mode = STS_MODE_ENFORCE;
	snprintf(a.domain, sizeof(a.domain), "evil.example");
	memset(a.why, '%', sizeof(a.why) - 1);
	a.why[5] = '\r';
	a.why[6] = '\n';
	milter_reply(&a, rc, sizeof(rc), xc, sizeof(xc), text, sizeof(text));
	ok(strchr(text, '\r') == NULL && strchr(text, '\n') == NULL &&
		   strlen(text) <= MILTER_MAX_REPLY_TEXT,
	   "no CR/LF in reply text, bounded (%zu bytes)", strlen(text));
	conf_unref(test_conf);
	return tap_done();
}
