/*
 * cli/check_report.c - `mta-sts-check report` (see check_report.h).
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "check_report.h"
#include "sts_domain.h"
#include "sts_rptmail.h"
#include "sts_rptstore.h"

const char check_report_usage[] =
	"  mta-sts-check report DOMAIN [--day YYYY-MM-DD] [--config FILE] "
	"[--journal FILE]\n";

struct rconf {
	char journal[1024], org[256], contact[320], submitter[256];
};

/* The four TLSRPT keys of the daemon's "Name value" file; everything
 * else is the daemon's business (mta-sts-milter -n checks it). */
static int
read_conf(const char *file, struct rconf *rc)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
		{"TLSRPTJournal", offsetof(struct rconf, journal), 1024},
		{"TLSRPTOrganization", offsetof(struct rconf, org), 256},
		{"TLSRPTContact", offsetof(struct rconf, contact), 320},
		{"TLSRPTSubmitter", offsetof(struct rconf, submitter), 256},
	};
	char line[2048];
	FILE *f = fopen(file, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *k = line, *v, *e;
		line[strcspn(line, "#\r\n")] = '\0';
		while (isspace((unsigned char)*k))
			k++;
		v = k + strcspn(k, " \t");
		if (*v != '\0')
			*v++ = '\0';
		while (isspace((unsigned char)*v))
			v++;
		e = v + strlen(v);
		while (e > v && isspace((unsigned char)e[-1]))
			*--e = '\0';
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcasecmp(k, keys[i].key) == 0)
				snprintf((char *)rc + keys[i].off, keys[i].len,
					 "%s", v);
	}
	fclose(f);
	return 0;
}

int
check_report_main(int argc, char **argv)
{
	const char *cfile = "/etc/mta-sts-milter.conf", *jfile = NULL;
	const char *dayarg = NULL, *dom = NULL;
	char domain[STS_DOMAIN_BUFSZ], why[STS_WHY_MAX], rid[600];
	char host[256] = "localhost";
	struct rconf rc;
	struct sts_rptstore *s = NULL;
	struct sts_rptmeta m;
	char *json = NULL;
	int64_t day = (int64_t)time(NULL) / 86400 - 1;
	const char *at;
	enum sts_status st;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--day") == 0 && i + 1 < argc)
			dayarg = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
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
	memset(&rc, 0, sizeof(rc));
	if (read_conf(cfile, &rc) != 0 && jfile == NULL) {
		perror(cfile);
		return 66;
	}
	if (jfile == NULL)
		jfile = rc.journal;
	if (jfile[0] == '\0') {
		fprintf(stderr,
			"%s: no TLSRPTJournal (TLS reporting is off); "
			"use --journal FILE\n",
			cfile);
		return 66;
	}
	st = sts_rptstore_open(jfile, true, 0, 0, &s, why, sizeof(why));
	if (st != STS_OK) {
		fprintf(stderr, "%s\n", why);
		return 66;
	}
	(void)gethostname(host, sizeof(host) - 1);
	at = strrchr(rc.contact, '@');
	/* The same defaults as the daemon (milter/tlsrpt_send.c). */
	sts_rptmail_report_id(day, domain,
			      rc.submitter[0] ? rc.submitter
			      : at	      ? at + 1
					      : host,
			      rid, sizeof(rid));
	m.organization = rc.org[0] ? rc.org : host;
	m.contact = rc.contact;
	m.report_id = rid;
	st = sts_rptstore_report(s, day, domain, &m, true, &json);
	sts_rptstore_free(s);
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
