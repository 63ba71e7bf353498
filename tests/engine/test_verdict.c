/*
 * test_verdict.c - drive sts_verdict() from the truth table
 * tests/engine/verdict.tsv (one TAP line per row).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sts_verdict.h"

#define NCOL 18
#define MAXPAT 64 /* patterns in one table cell */

static int
lookup(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return i;
	printf("# unknown token '%s'\n", s);
	return -1;
}

static const char *const states[] = {"policy", "none", "failed", "pending"};
static const char *const statuses[] = {"ok",	  "notfound", "tempfail",
				       "invalid", "bogus",    "nomem"};
static const char *const modes[] = {"none", "testing", "enforce"};
static const char *const actions[] = {"none",  "skip",	 "testing", "enforce",
				      "defer", "reject", "policy"};
static const char *const danes[] = {"none", "usable", "unusable", "bogus",
				    "tempfail"};
static const char *const probes[] = {"-", "ok", "failed", "tempfail"};
static const char *const secs[] = {"insecure", "secure", "bogus"};

static int
rpt_of(const char *s)
{
	int i;

	for (i = 0; i < STS_RPT_COUNT; i++)
		if (strcmp(s, sts_rpt_str((enum sts_rpt)i)) == 0)
			return i;
	printf("# unknown rpt '%s'\n", s);
	return -1;
}

static void
reactions(const char *spec, struct sts_reactions *r)
{
	char buf[256], *p, *end, *eq;
	enum sts_verdict v;

	r->enforce_failure = STS_VERDICT_DEFER;
	r->testing_failure = STS_VERDICT_TAG;
	r->temp_error = STS_VERDICT_TAG;
	r->dnssec_bogus = STS_VERDICT_DEFER;
	r->null_mx = STS_VERDICT_PASS;
	if (strcmp(spec, "default") == 0)
		return;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (p = buf; p != NULL && *p != '\0'; p = end) {
		end = strchr(p, ',');
		if (end != NULL)
			*end++ = '\0';
		eq = strchr(p, '=');
		if (eq == NULL || !sts_verdict_parse(eq + 1, &v)) {
			printf("# bad reaction '%s'\n", p);
			continue;
		}
		*eq = '\0';
		if (strcmp(p, "enforce") == 0)
			r->enforce_failure = v;
		else if (strcmp(p, "testing") == 0)
			r->testing_failure = v;
		else if (strcmp(p, "temp") == 0)
			r->temp_error = v;
		else if (strcmp(p, "bogus") == 0)
			r->dnssec_bogus = v;
		else if (strcmp(p, "nullmx") == 0)
			r->null_mx = v;
	}
}

/* split a comma list in place */
static size_t
split(char *s, char **out, size_t max)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	while (s != NULL && n < max) {
		out[n++] = s;
		s = strchr(s, ',');
		if (s != NULL)
			*s++ = '\0';
	}
	return n;
}

static void
row(char **col)
{
	struct sts_verdict_in in;
	struct sts_reactions re;
	struct sts_source_mx mx;
	struct sts_verdict_host host[STS_MAX_MX];
	struct sts_answer a;
	struct sts_policy *pin = NULL;
	char *pat[MAXPAT], *hs[STS_MAX_MX], *f[4], *c, why[256];
	const char *pinpat[MAXPAT];
	size_t n, i, k;
	char want[128], got[128];

	memset(&in, 0, sizeof(in));
	memset(&a, 0, sizeof(a));
	memset(&mx, 0, sizeof(mx));
	in.now = 1000000;
	in.exempt = strcmp(col[1], "1") == 0;
	in.action = (enum sts_override_action)lookup(col[2], actions, 7);
	if (strcmp(col[3], "-") != 0) {
		c = strchr(col[3], ':');
		*c++ = '\0';
		n = split(c, pat, MAXPAT);
		for (i = 0; i < n; i++)
			pinpat[i] = pat[i];
		if (sts_policy_new((enum sts_mode)lookup(col[3], modes, 3),
				   86400, pinpat, n, &pin, why,
				   sizeof(why)) != STS_OK)
			printf("# pin: %s\n", why);
		in.pin = pin;
	}
	in.state = (enum sts_cache_state)lookup(col[4], states, 4);
	in.status = (enum sts_status)lookup(col[5], statuses, 6);
	in.rpt = (enum sts_rpt)rpt_of(col[6]);
	in.mode = (enum sts_mode)lookup(col[7], modes, 3);
	in.n_mx = split(col[8], pat, MAXPAT);
	in.mx = (const char *const *)pat;
	in.expires_at = strcmp(col[9], "1") == 0 ? in.now - 1 : in.now + 100;
	in.why = "table";
	if (strcmp(col[10], "-") != 0) {
		in.have_mx = true;
		in.mxset = &mx;
		in.host = host;
		mx.status = strcmp(col[10], "ok") == 0	       ? STS_OK
			    : strcmp(col[10], "tempfail") == 0 ? STS_TEMPFAIL
			    : strcmp(col[10], "notfound") == 0 ? STS_NOTFOUND
							       : STS_BOGUS;
		mx.dnssec = (enum sts_source_dnssec)lookup(col[11], secs, 3);
		mx.null_mx = strcmp(col[12], "null") == 0;
		mx.implicit = strcmp(col[12], "implicit") == 0;
		n = split(col[13], hs, STS_MAX_MX);
		for (i = 0; i < n; i++) {
			for (k = 0; k < 4; k++)
				f[k] = NULL;
			f[0] = hs[i];
			for (k = 1; k < 4; k++) {
				f[k] = strchr(f[k - 1], ':');
				if (f[k] == NULL)
					break;
				*f[k]++ = '\0';
			}
			snprintf(mx.host[i].name, STS_DOMAIN_BUFSZ, "%s", f[0]);
			host[i].name = mx.host[i].name;
			host[i].dane = (enum sts_dane_state)lookup(
				f[1] ? f[1] : "none", danes, 5);
			host[i].probe = (enum sts_probe_state)lookup(
				f[2] ? f[2] : "-", probes, 4);
			host[i].probe_rpt = f[3] ? (enum sts_rpt)rpt_of(f[3])
						 : STS_RPT_NONE;
		}
		mx.n = n;
	}
	reactions(col[14], &re);
	in.react = &re;
	sts_verdict(&in, &a);
	snprintf(want, sizeof(want), "%s %s %s", col[15], col[16], col[17]);
	snprintf(got, sizeof(got), "%s %s %s", sts_verdict_str(a.verdict),
		 sts_reason_str(a.reason), sts_rpt_str(a.rpt));
	if (!is_str(got, want, "%s", col[0]))
		printf("#   why:  %s\n", a.why);
	else if (a.why[0] == '\0')
		ok(0, "%s: empty reason", col[0]);
	/* a published testing/enforce policy in force (not overridden, not
	 * expired) is reported with its mode whatever the MX state says:
	 * the milter logs mode= from it (issue 13 item 9: null MX, bogus
	 * TLSA were logged as mode=none) */
	if (!in.exempt && in.action == STS_OV_NONE &&
	    in.state == STS_CS_POLICY && in.expires_at > in.now &&
	    in.mode != STS_MODE_NONE)
		ok(a.have_policy && a.mode == in.mode,
		   "%s: answer carries the policy and mode %s", col[0], col[7]);
	sts_policy_free(pin);
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char path[4096], line[4096], *col[NCOL], *p;
	FILE *f;
	int n, rows = 0;

	snprintf(path, sizeof(path), "%s/tests/engine/verdict.tsv",
		 argc > 1 ? argv[1]
		 : top	  ? top
			  : ".");
	f = fopen(path, "r");
	if (!ok(f != NULL, "open %s", path))
		return tap_done();
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (n = 0, p = line; n < NCOL && p != NULL; n++) {
			col[n] = p;
			p = strchr(p, '\t');
			if (p != NULL)
				*p++ = '\0';
		}
		if (!ok(n == NCOL && p == NULL, "row %s has %d columns", col[0],
			NCOL))
			continue;
		row(col);
		rows++;
	}
	fclose(f);
	ok(rows >= 50, "table has %d rows", rows);
	/* string tables */
	is_str(sts_verdict_str(STS_VERDICT_DEFER), "defer", "verdict_str");
	is_str(sts_reason_str(STS_REASON_COUNT), "unknown", "reason_str bound");
	return tap_done();
}
