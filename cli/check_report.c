/*
 * cli/check_report.c - `mta-sts-check report` (see check_report.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "check_report.h"
#include "conf.h"
#include "sts_domain.h"
#include "sts_rptmail.h"
#include "sts_rptstore.h"

const char check_report_usage[] =
	"  mta-sts-check report DOMAIN [--day YYYY-MM-DD] [-c FILE] "
	"[--journal FILE]\n";

int
check_report_main(int argc, char **argv)
{
	const char *cfile = CONF_DEFAULT_FILE, *jfile = NULL;
	const char *dayarg = NULL, *dom = NULL;
	char domain[STS_DOMAIN_BUFSZ], why[STS_WHY_MAX], rid[600];
	char host[256] = "localhost";
	struct conf *c = NULL;
	const char *org, *contact, *submitter;
	struct sts_rptstore *s = NULL;
	struct sts_rptmeta m;
	char *json = NULL;
	int64_t day = (int64_t)time(NULL) / 86400 - 1;
	const char *at;
	enum sts_status st;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--day") == 0 && i + 1 < argc)
			dayarg = argv[++i];
		else if ((strcmp(argv[i], "-c") == 0 ||
			  strcmp(argv[i], "--config") == 0) &&
			 i + 1 < argc)
			cfile = argv[++i];
		else if (strcmp(argv[i], "--journal") == 0 && i + 1 < argc)
			jfile = argv[++i];
		else if (argv[i][0] != '-' && dom == NULL)
			dom = argv[i];
		else {
			fprintf(stderr, "usage:\n%s", check_report_usage);
			return 64;
		}
	}
	if (dom == NULL) {
		fprintf(stderr, "usage:\n%s", check_report_usage);
		return 64;
	}
	if (sts_domain_normalize(dom, domain, why, sizeof(why)) != STS_OK) {
		fprintf(stderr, "%s: %s\n", dom, why);
		return 64;
	}
	if (dayarg != NULL && sts_rpt_day_parse(dayarg, &day) != STS_OK) {
		fprintf(stderr, "--day %s: not YYYY-MM-DD\n", dayarg);
		return 64;
	}
	/* The daemon's own parser: the same file, the same errors. */
	if (jfile == NULL || access(cfile, R_OK) == 0) {
		c = conf_load(cfile, stderr, why, sizeof(why));
		if (c == NULL)
			return 66;
	}
	if (jfile == NULL)
		jfile = c->tlsrpt_journal;
	if (jfile == NULL) {
		fprintf(stderr,
			"%s: no TLSRPTJournal (TLS reporting is off); "
			"use --journal FILE\n",
			cfile);
		conf_unref(c);
		return 66;
	}
	st = sts_rptstore_open(jfile, true, 0, 0, &s, why, sizeof(why));
	if (st != STS_OK) {
		fprintf(stderr, "%s\n", why);
		conf_unref(c);
		return 66;
	}
	(void)gethostname(host, sizeof(host) - 1);
	org = c && c->tlsrpt_org ? c->tlsrpt_org : host;
	contact = c && c->tlsrpt_contact ? c->tlsrpt_contact : "";
	at = strrchr(contact, '@');
	submitter = c && c->tlsrpt_submitter ? c->tlsrpt_submitter
		    : at		     ? at + 1
					     : host;
	/* The same defaults as the daemon (milter/tlsrpt_send.c). */
	sts_rptmail_report_id(day, domain, submitter, rid, sizeof(rid));
	m.organization = org;
	m.contact = contact;
	m.report_id = rid;
	st = sts_rptstore_report(s, day, domain, &m, true, &json);
	sts_rptstore_free(s);
	conf_unref(c);
	if (st != STS_OK) {
		char d[16] = "?";
		sts_rpt_day_str(day, d, sizeof(d));
		fprintf(stderr, "%s: nothing recorded for %s\n", domain, d);
		return 1;
	}
	printf("%s\n", json);
	free(json);
	return 0;
}
