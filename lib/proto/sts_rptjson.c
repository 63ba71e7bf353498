/*
 * sts_rptjson.c - RFC 8460 section 4.4 report JSON (see sts_rptjson.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sts_limits.h"
#include "sts_rptjson.h"

static int
put_str(cJSON *o, const char *k, const char *v)
{
	return v == NULL || cJSON_AddStringToObject(o, k, v) != NULL;
}

static int
put_list(cJSON *o, const char *k, size_t n, char **l)
{
	cJSON *a = cJSON_AddArrayToObject(o, k);

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
by_count(const void *x, const void *y)
{
	const struct sts_rpt_failure *a =
		*(const struct sts_rpt_failure *const *)x;
	const struct sts_rpt_failure *b =
		*(const struct sts_rpt_failure *const *)y;

	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return (int)a->type - (int)b->type;
}

static int
put_failures(cJSON *o, const struct sts_rpt_policy *p)
{
	const struct sts_rpt_failure **ord;
	cJSON *arr;
	int ok = 1;

	if (p->n_fail == 0)
		return 1;
	arr = cJSON_AddArrayToObject(o, "failure-details");
	ord = calloc(p->n_fail, sizeof(*ord));
	if (arr == NULL || ord == NULL) {
		free(ord);
		return 0;
	}
	for (size_t i = 0; i < p->n_fail; i++)
		ord[i] = &p->fail[i];
	qsort(ord, p->n_fail, sizeof(*ord), by_count);
	for (size_t i = 0; i < p->n_fail && ok; i++) {
		const struct sts_rpt_failure *f = ord[i];
		cJSON *r = cJSON_CreateObject();
		if (r == NULL || !cJSON_AddItemToArray(arr, r)) {
			cJSON_Delete(r);
			ok = 0;
			break;
		}
		ok = put_str(r, "result-type", sts_rpt_str(f->type)) &&
		     put_str(r, "sending-mta-ip", f->sending_ip) &&
		     put_str(r, "receiving-mx-hostname", f->mx_host) &&
		     put_str(r, "receiving-mx-helo", f->mx_helo) &&
		     put_str(r, "receiving-ip", f->receiving_ip) &&
		     cJSON_AddNumberToObject(r, "failed-session-count",
					     (double)f->count) != NULL &&
		     put_str(r, "additional-information", f->add_info) &&
		     put_str(r, "failure-reason-code", f->reason);
	}
	free(ord);
	return ok;
}

static int
put_policy(cJSON *arr, const struct sts_rpt_entry *e)
{
	cJSON *el = cJSON_CreateObject(), *pol, *sum;

	if (el == NULL || !cJSON_AddItemToArray(arr, el)) {
		cJSON_Delete(el);
		return 0;
	}
	pol = cJSON_AddObjectToObject(el, "policy");
	if (pol == NULL ||
	    !put_str(pol, "policy-type", sts_rpt_ptype_str(e->pol.type)))
		return 0;
	if (e->pol.type != STS_RPT_PT_NOPOLICY &&
	    !put_list(pol, "policy-string", e->pol.n_strings, e->pol.strings))
		return 0;
	if (!put_str(pol, "policy-domain",
		     e->pol.policy_domain ? e->pol.policy_domain : e->domain))
		return 0;
	if (e->pol.n_mx > 0 &&
	    !put_list(pol, "mx-host", e->pol.n_mx, e->pol.mx))
		return 0;
	sum = cJSON_AddObjectToObject(el, "summary");
	if (sum == NULL ||
	    cJSON_AddNumberToObject(sum, "total-successful-session-count",
				    (double)e->pol.success) == NULL ||
	    cJSON_AddNumberToObject(sum, "total-failure-session-count",
				    (double)e->pol.failure) == NULL)
		return 0;
	return put_failures(el, &e->pol);
}

enum sts_status
sts_rptjson_build(const struct sts_rptagg *a, int64_t day, const char *domain,
		  const struct sts_rptmeta *m, bool pretty, char **out)
{
	char d[16], start[32], end[32];
	cJSON *o, *dr, *pols;
	size_t n = 0;
	int ok;

	*out = NULL;
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].day == day && strcmp(a->e[i].domain, domain) == 0)
			n++;
	if (n == 0)
		return STS_NOTFOUND;
	if (!sts_rpt_day_str(day, d, sizeof(d)))
		return STS_INVALID;
	/* RFC 3339 section 5.6 date-time, a full UTC day (section 4.4). */
	snprintf(start, sizeof(start), "%sT00:00:00Z", d);
	snprintf(end, sizeof(end), "%sT23:59:59Z", d);
	o = cJSON_CreateObject();
	if (o == NULL)
		return STS_NOMEM;
	ok = put_str(o, "organization-name",
		     m->organization ? m->organization : "");
	dr = ok ? cJSON_AddObjectToObject(o, "date-range") : NULL;
	ok = dr != NULL && put_str(dr, "start-datetime", start) &&
	     put_str(dr, "end-datetime", end) &&
	     put_str(o, "contact-info", m->contact ? m->contact : "") &&
	     put_str(o, "report-id", m->report_id ? m->report_id : "");
	pols = ok ? cJSON_AddArrayToObject(o, "policies") : NULL;
	ok = pols != NULL;
	for (size_t i = 0; i < a->n && ok; i++)
		if (a->e[i].day == day && strcmp(a->e[i].domain, domain) == 0)
			ok = put_policy(pols, &a->e[i]);
	if (ok)
		*out = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (*out == NULL)
		return STS_NOMEM;
	if (strlen(*out) > STS_MAX_RPT_REPORT) {
		free(*out);
		*out = NULL;
		return STS_INVALID;
	}
	return STS_OK;
}
