/*
 * cli/mta-sts-check.c - lint what a domain publishes for MTA-STS and
 * TLS-RPT, offline; the live `mta-sts-check DOMAIN` is check_live.c's.
 *
 *   mta-sts-check policy [--json] FILE|-
 *   mta-sts-check record [--json] TXT...
 *   mta-sts-check match PATTERN HOST
 *   mta-sts-check tlsrpt [--json] TXT...
 *   mta-sts-check --help | --version
 *
 * Exit codes (sysexits.h, documented in mta-sts-check(1)): 0 valid or
 * match, 1 no match (match only), 64 usage, 65 invalid data, 66 FILE
 * unreadable, 70 internal error (out of memory).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cjson/cJSON.h>

#include "check_ctl.h"
#include "check_live.h"
#include "check_report.h"
#include "sts_domain.h"
#include "sts_mx.h"
#include "sts_policy.h"
#include "sts_record.h"
#include "sts_tlsrpt.h"

static const char usage_text[] =
	"usage:\n"
	"  mta-sts-check policy [--json] FILE|-    validate a policy body\n"
	"  mta-sts-check record [--json] TXT...    the _mta-sts TXT RR set\n"
	"  mta-sts-check match PATTERN HOST        does HOST match the mx "
	"PATTERN?\n"
	"  mta-sts-check tlsrpt [--json] TXT...    the _smtp._tls TXT RR set\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
	fputs(check_live_usage, f);
	fputs(check_ctl_usage, f);
	fputs(check_report_usage, f);
	fputs("  mta-sts-check --help | --version\n"
	      "exit: 0 valid/match, 1 no match, 64 usage, 65 invalid, 66 "
	      "unreadable FILE\n",
	      f);
}

/* Print a cJSON object on one line and free it; EX_SOFTWARE on NOMEM. */
static int
print_json(cJSON *obj)
{
	char *s = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	if (s == NULL) {
		fputs("mta-sts-check: out of memory\n", stderr);
		return EX_SOFTWARE;
	}
	puts(s);
	cJSON_free(s);
	return EX_OK;
}

/* Strip an optional leading "--json"; returns the index of the first
 * operand. */
static int
json_opt(int argc, char **argv, int i, int *json)
{
	*json = 0;
	if (i < argc && strcmp(argv[i], "--json") == 0) {
		*json = 1;
		i++;
	}
	return i;
}

/* Read all of FILE ("-" = stdin), at most STS_MAX_POLICY_BODY + 1 bytes
 * so that an oversized body is seen as such by the parser. */
static int
read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = STS_MAX_POLICY_BODY + 1, n;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	*buf = malloc(cap);
	if (*buf == NULL) {
		if (f != stdin)
			fclose(f);
		fputs("mta-sts-check: out of memory\n", stderr);
		return EX_SOFTWARE;
	}
	n = fread(*buf, 1, cap, f);
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		if (f != stdin)
			fclose(f);
		free(*buf);
		return EX_NOINPUT;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return EX_OK;
}

static int
cmd_policy(int argc, char **argv)
{
	char why[STS_WHY_MAX], *body = NULL, *text;
	struct sts_policy *p = NULL;
	enum sts_status st;
	size_t len = 0, errline = 0, i, need;
	int json, rc;
	int a = json_opt(argc, argv, 2, &json);

	if (argc - a != 1 || (argv[a][0] == '-' && argv[a][1] != '\0')) {
		usage(stderr);
		return EX_USAGE;
	}
	rc = read_file(argv[a], &body, &len);
	if (rc != EX_OK)
		return rc;
	st = sts_policy_parse(body, len, &p, &errline, why, sizeof(why));
	free(body);
	if (st == STS_NOMEM) {
		fputs("mta-sts-check: out of memory\n", stderr);
		return EX_SOFTWARE;
	}
	if (st != STS_OK) {
		if (errline > 0)
			fprintf(stderr, "%s:%zu: %s\n", argv[a], errline, why);
		else
			fprintf(stderr, "%s: %s\n", argv[a], why);
		return EX_DATAERR;
	}
	/* mx values that can never match a host name: warnings on stderr;
	 * none usable left: the policy cannot be applied (issue 13 item 7) */
	need = sts_policy_warnings(p, NULL, 0) + 1;
	text = malloc(need);
	if (text != NULL) {
		sts_policy_warnings(p, text, need);
		for (char *l = text, *e; *l != '\0'; l = e + 1) {
			e = strchr(l, '\n');
			*e = '\0';
			fprintf(stderr, "%s: warning: %s\n", argv[a], l);
		}
		free(text);
	}
	if (sts_policy_usable(p, why, sizeof(why)) != STS_OK) {
		fprintf(stderr, "%s: %s\n", argv[a], why);
		sts_policy_free(p);
		return EX_DATAERR;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject(), *mx = cJSON_CreateArray();
		cJSON *ign = cJSON_CreateArray();

		cJSON_AddStringToObject(o, "version", "STSv1");
		cJSON_AddStringToObject(o, "mode", sts_mode_str(p->mode));
		cJSON_AddNumberToObject(o, "max_age", (double)p->max_age);
		for (i = 0; i < p->n_mx; i++)
			cJSON_AddItemToArray(mx, cJSON_CreateString(p->mx[i]));
		cJSON_AddItemToObject(o, "mx", mx);
		for (i = 0; i < p->n_ignored; i++)
			cJSON_AddItemToArray(ign,
					     cJSON_CreateString(p->ignored[i]));
		if (p->n_ignored > 0)
			cJSON_AddItemToObject(o, "mx_ignored", ign);
		else
			cJSON_Delete(ign);
		sts_policy_free(p);
		return print_json(o);
	}
	need = sts_policy_format(p, NULL, 0) + 1;
	text = malloc(need);
	if (text == NULL) {
		sts_policy_free(p);
		fputs("mta-sts-check: out of memory\n", stderr);
		return EX_SOFTWARE;
	}
	sts_policy_format(p, text, need);
	fputs(text, stdout);
	free(text);
	sts_policy_free(p);
	return EX_OK;
}

/* argv[a..argc) as TXT RRs; NULL on allocation failure. */
static struct sts_txt *
txt_args(int argc, char **argv, int a)
{
	struct sts_txt *rrs = calloc((size_t)(argc - a) + 1, sizeof(*rrs));
	int i;

	if (rrs == NULL)
		return NULL;
	for (i = a; i < argc; i++) {
		rrs[i - a].data = argv[i];
		rrs[i - a].len = strlen(argv[i]);
	}
	return rrs;
}

static int
cmd_record(int argc, char **argv, int tlsrpt)
{
	char why[STS_WHY_MAX];
	struct sts_record rec;
	struct sts_tlsrpt *r = NULL;
	struct sts_txt *rrs;
	enum sts_status st;
	int json, rc = EX_OK;
	int a = json_opt(argc, argv, 2, &json);
	size_t i;

	if (argc - a < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	rrs = txt_args(argc, argv, a);
	if (rrs == NULL)
		return EX_SOFTWARE;
	if (tlsrpt)
		st = sts_tlsrpt_discover(rrs, (size_t)(argc - a), &r, why,
					 sizeof(why));
	else
		st = sts_record_discover(rrs, (size_t)(argc - a), &rec, why,
					 sizeof(why));
	free(rrs);
	if (st != STS_OK) {
		fprintf(stderr, "%s: %s: %s\n", argv[1], sts_status_str(st),
			why);
		return st == STS_NOMEM ? EX_SOFTWARE : EX_DATAERR;
	}
	if (!tlsrpt) {
		cJSON *o;

		if (!json) {
			puts(rec.id);
			return EX_OK;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", rec.id);
		return print_json(o);
	}
	if (json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();

		for (i = 0; i < r->n_rua; i++)
			cJSON_AddItemToArray(arr,
					     cJSON_CreateString(r->rua[i]));
		cJSON_AddItemToObject(o, "rua", arr);
		rc = print_json(o);
	} else {
		for (i = 0; i < r->n_rua; i++)
			puts(r->rua[i]);
	}
	sts_tlsrpt_free(r);
	return rc;
}

static int
cmd_match(int argc, char **argv)
{
	char why[STS_WHY_MAX], host[STS_DOMAIN_BUFSZ];
	const char *h;

	if (argc != 4) {
		usage(stderr);
		return EX_USAGE;
	}
	h = argv[3];
	if (sts_mx_pattern_check(argv[2], why, sizeof(why)) != STS_OK) {
		fprintf(stderr, "match: %s\n", why);
		return EX_DATAERR;
	}
	/* A U-label host is compared in its A-label form (checklist A4). */
	if (sts_domain_normalize(argv[3], host, NULL, 0) == STS_OK)
		h = host;
	if (sts_mx_match(argv[2], h)) {
		printf("%s matches %s\n", argv[3], argv[2]);
		return EX_OK;
	}
	printf("%s does not match %s\n", argv[3], argv[2]);
	return 1;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mta-sts-check (%s) %s\n", PACKAGE_NAME,
		       PACKAGE_VERSION);
		return EX_OK;
	}
	if (strcmp(argv[1], "policy") == 0)
		return cmd_policy(argc, argv);
	if (strcmp(argv[1], "record") == 0)
		return cmd_record(argc, argv, 0);
	if (strcmp(argv[1], "tlsrpt") == 0)
		return cmd_record(argc, argv, 1);
	if (strcmp(argv[1], "match") == 0)
		return cmd_match(argc, argv);
	if (check_ctl_verb(argv[1]))
		return check_ctl_main(argc, argv);
	if (strcmp(argv[1], "report") == 0)
		return check_report_main(argc, argv);
	return check_live_main(argc, argv);
}
