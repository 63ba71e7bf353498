/*
 * sts_rptline.c - one aggregate entry <-> one JSON line (sts_rptline.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sts_domain.h"
#include "sts_limits.h"
#include "sts_rptjs.h"
#include "sts_rptline.h"

static int
add_str(cJSON *o, const char *k, const char *v)
{
	return v == NULL || cJSON_AddStringToObject(o, k, v) != NULL;
}

static int
add_list(cJSON *o, const char *k, size_t n, char **l)
{
	cJSON *a;

	if (n == 0)
		return 1;
	a = cJSON_AddArrayToObject(o, k);
	if (a == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		cJSON *s = cJSON_CreateString(l[i]);
		if (s == NULL || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			return 0;
		}
	}
	return 1;
}

static int
add_failures(cJSON *o, const struct sts_rpt_policy *p)
{
	cJSON *a;

	if (p->n_fail == 0)
		return 1;
	a = cJSON_AddArrayToObject(o, "fd");
	if (a == NULL)
		return 0;
	for (size_t i = 0; i < p->n_fail; i++) {
		const struct sts_rpt_failure *f = &p->fail[i];
		cJSON *r = cJSON_CreateObject();
		if (r == NULL || !cJSON_AddItemToArray(a, r)) {
			cJSON_Delete(r);
			return 0;
		}
		if (!add_str(r, "rt", sts_rpt_str(f->type)) ||
		    !add_str(r, "s", f->sending_ip) ||
		    !add_str(r, "n", f->mx_host) ||
		    !add_str(r, "h", f->mx_helo) ||
		    !add_str(r, "r", f->receiving_ip) ||
		    !add_str(r, "a", f->add_info) ||
		    !add_str(r, "fr", f->reason) ||
		    cJSON_AddNumberToObject(r, "c", (double)f->count) == NULL)
			return 0;
	}
	return 1;
}

enum sts_status
sts_rptline_format(const struct sts_rpt_entry *e, char **out)
{
	char day[16];
	cJSON *o;
	int ok;

	*out = NULL;
	if (!sts_rpt_day_str(e->day, day, sizeof(day)))
		return STS_INVALID;
	o = cJSON_CreateObject();
	if (o == NULL)
		return STS_NOMEM;
	ok = add_str(o, "day", day) && add_str(o, "d", e->domain) &&
	     add_str(o, "pt", sts_rpt_ptype_str(e->pol.type)) &&
	     add_str(o, "pd", e->pol.policy_domain) &&
	     add_list(o, "ps", e->pol.n_strings, e->pol.strings) &&
	     add_list(o, "mx", e->pol.n_mx, e->pol.mx) &&
	     cJSON_AddNumberToObject(o, "s", (double)e->pol.success) &&
	     cJSON_AddNumberToObject(o, "f", (double)e->pol.failure) &&
	     add_failures(o, &e->pol);
	if (ok)
		*out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return *out != NULL ? STS_OK : STS_NOMEM;
}

static enum sts_status
opt_str(const cJSON *o, const char *k, char **out)
{
	enum sts_status st = sts_rptjs_str(o, k, STS_MAX_RPT_FIELD, out);

	return st == STS_NOTFOUND ? STS_OK : st;
}

static enum sts_status
opt_list(const cJSON *o, const char *k, char ***l, size_t *n)
{
	enum sts_status st = sts_rptjs_strlist(o, k, STS_MAX_RPT_STRINGS,
					       STS_MAX_RPT_FIELD, l, n);

	return st == STS_NOTFOUND ? STS_OK : st;
}

static enum sts_status
parse_failures(const cJSON *o, struct sts_rpt_policy *p)
{
	static const char *const keys[] = {"rt", "s",  "n", "h", "r",
					   "a",	 "fr", "c", NULL};
	const cJSON *fd = cJSON_GetObjectItemCaseSensitive(o, "fd"), *c;
	size_t n = 0;
	enum sts_status st = STS_OK;

	if (fd == NULL)
		return STS_OK;
	if (!cJSON_IsArray(fd))
		return STS_INVALID;
	for (c = fd->child; c != NULL; c = c->next)
		if (++n > STS_MAX_RPT_DETAILS * 100)
			return STS_INVALID;
	if (n == 0)
		return STS_OK;
	p->fail = calloc(n, sizeof(*p->fail));
	if (p->fail == NULL)
		return STS_NOMEM;
	for (c = fd->child; c != NULL && st == STS_OK; c = c->next) {
		struct sts_rpt_failure *f = &p->fail[p->n_fail++];
		char *rt = NULL;
		if (sts_rptjs_bad_keys(c, keys) ||
		    sts_rptjs_str(c, "rt", 64, &rt) != STS_OK ||
		    sts_rptjs_uint(c, "c", UINT64_MAX, &f->count) != STS_OK) {
			free(rt);
			return STS_INVALID;
		}
		f->type = sts_rpt_parse(rt);
		free(rt);
		if (f->type == STS_RPT_NONE)
			return STS_INVALID;
		st = opt_str(c, "s", &f->sending_ip);
		if (st == STS_OK)
			st = opt_str(c, "n", &f->mx_host);
		if (st == STS_OK)
			st = opt_str(c, "h", &f->mx_helo);
		if (st == STS_OK)
			st = opt_str(c, "r", &f->receiving_ip);
		if (st == STS_OK)
			st = opt_str(c, "a", &f->add_info);
		if (st == STS_OK)
			st = opt_str(c, "fr", &f->reason);
	}
	return st;
}

static enum sts_status
parse(const cJSON *o, int64_t *day, char *domain, struct sts_rpt_policy *p)
{
	static const char *const keys[] = {"day", "d", "pt", "pd", "ps",
					   "mx",  "s", "f",  "fd", NULL};
	char *s = NULL;
	enum sts_status st;

	if (sts_rptjs_bad_keys(o, keys))
		return STS_INVALID;
	if (sts_rptjs_str(o, "day", 10, &s) != STS_OK ||
	    sts_rpt_day_parse(s, day) != STS_OK) {
		free(s);
		return STS_INVALID;
	}
	free(s);
	if (sts_rptjs_str(o, "d", STS_MAX_DOMAIN, &s) != STS_OK ||
	    !sts_domain_valid(s)) {
		free(s);
		return STS_INVALID;
	}
	memcpy(domain, s, strlen(s) + 1);
	free(s);
	if (sts_rptjs_str(o, "pt", 32, &s) != STS_OK) {
		free(s);
		return STS_INVALID;
	}
	p->type = sts_rpt_ptype_parse(s);
	free(s);
	if (p->type == 0 ||
	    sts_rptjs_uint(o, "s", UINT64_MAX, &p->success) != STS_OK ||
	    sts_rptjs_uint(o, "f", UINT64_MAX, &p->failure) != STS_OK)
		return STS_INVALID;
	st = opt_str(o, "pd", &p->policy_domain);
	if (st == STS_OK)
		st = opt_list(o, "ps", &p->strings, &p->n_strings);
	if (st == STS_OK)
		st = opt_list(o, "mx", &p->mx, &p->n_mx);
	if (st == STS_OK)
		st = parse_failures(o, p);
	return st;
}

enum sts_status
sts_rptline_add(struct sts_rptagg *a, const char *line, size_t len, char *why,
		size_t whylen)
{
	struct sts_rpt_policy p;
	char domain[STS_DOMAIN_BUFSZ];
	int64_t day = 0;
	char *copy;
	cJSON *o;
	enum sts_status st;

	if (len > STS_MAX_RPT_JOURNAL_LINE || memchr(line, '\0', len) != NULL)
		return sts_why(why, whylen, STS_INVALID,
			       "line too long or NUL");
	copy = malloc(len + 1);
	if (copy == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	memcpy(copy, line, len);
	copy[len] = '\0';
	o = cJSON_ParseWithOpts(copy, NULL, 1);
	free(copy);
	if (o == NULL)
		return sts_why(why, whylen, STS_INVALID, "not a JSON line");
	memset(&p, 0, sizeof(p));
	st = parse(o, &day, domain, &p);
	cJSON_Delete(o);
	if (st == STS_OK) {
		st = sts_rptagg_add(a, day, domain, &p, why, whylen);
		if (st == STS_INVALID)
			st = STS_NOTFOUND; /* a cap, not a bad line */
	} else
		sts_why(why, whylen, st, "not a journal entry");
	sts_rpt_policy_clear(&p);
	return st;
}
