/*
 * sts_rptagg.c - the TLS-report aggregate (see sts_rptagg.h).
 *
 * Identity of an entry: the UTC day, the policy domain (the recipient
 * domain the datagram names, "d"), the policy type, the policy-domain
 * field, and the exact policy-string and mx-host lists.  RFC 8460
 * section 4.4 reports one "policies" element per applied policy, so a
 * policy that changed during the day yields two elements.  A
 * failure-detail row is identified by all of its fields; equal rows
 * add their counts ("failed-session-count").
 *
 * Lookup is a linear scan comparing a 64-bit FNV-1a key first; with the
 * domain cap (10,000 by default) that is a few microseconds per add.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sts_limits.h"
#include "sts_rptagg.h"

const char *
sts_rpt_ptype_str(enum sts_rpt_ptype t)
{
	switch (t) {
	case STS_RPT_PT_TLSA:
		return "tlsa";
	case STS_RPT_PT_STS:
		return "sts";
	case STS_RPT_PT_NOPOLICY:
		return "no-policy-found";
	}
	return NULL;
}

enum sts_rpt_ptype
sts_rpt_ptype_parse(const char *s)
{
	static const enum sts_rpt_ptype all[] = {
		STS_RPT_PT_TLSA, STS_RPT_PT_STS, STS_RPT_PT_NOPOLICY};

	for (size_t i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, sts_rpt_ptype_str(all[i])) == 0)
			return all[i];
	return (enum sts_rpt_ptype)0;
}

enum sts_rpt
sts_rpt_parse(const char *s)
{
	for (int r = STS_RPT_NONE + 1; s != NULL && r < STS_RPT_COUNT; r++)
		if (strcmp(s, sts_rpt_str((enum sts_rpt)r)) == 0)
			return (enum sts_rpt)r;
	return STS_RPT_NONE;
}

/* Days since 1970-01-01 <-> civil date (H. Hinnant's algorithms), so
 * that no gmtime() is needed (banned) and any day is representable. */
int
sts_rpt_day_str(int64_t day, char *buf, size_t len)
{
	int64_t z = day + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	if (m <= 2)
		y++;
	if (y < 1970 || y > 9999 || len < 11)
		return 0;
	snprintf(buf, len, "%04" PRId64 "-%02" PRId64 "-%02" PRId64, y, m, d);
	return 1;
}

enum sts_status
sts_rpt_day_parse(const char *s, int64_t *day)
{
	int64_t y = 0, m = 0, d = 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return STS_INVALID;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return STS_INVALID;
		if (i < 4)
			y = y * 10 + (s[i] - '0');
		else if (i < 7)
			m = m * 10 + (s[i] - '0');
		else
			d = d * 10 + (s[i] - '0');
	}
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return STS_INVALID;
	if (m == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return STS_INVALID;
	y -= m <= 2;
	int64_t era = y / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*day = era * 146097 + doe - 719468;
	return STS_OK;
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	/* NULL and "" differ: a field's absence is part of the identity. */
	if (s == NULL)
		return (h ^ 0xffu) * 1099511628211ull;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0x1eu) * 1099511628211ull;
}

static uint64_t
entry_key(int64_t day, const char *domain, const struct sts_rpt_policy *p)
{
	char num[32];
	uint64_t h = 14695981039346656037ull;

	snprintf(num, sizeof(num), "%" PRId64 "/%d", day, (int)p->type);
	h = fnv(h, num);
	h = fnv(h, domain);
	h = fnv(h, p->policy_domain);
	for (size_t i = 0; i < p->n_strings; i++)
		h = fnv(h, p->strings[i]);
	h = fnv(h, "|");
	for (size_t i = 0; i < p->n_mx; i++)
		h = fnv(h, p->mx[i]);
	return h;
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
list_eq(size_t na, char **a, size_t nb, char **b)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

static int
same_entry(const struct sts_rpt_entry *e, int64_t day, const char *domain,
	   const struct sts_rpt_policy *p)
{
	return e->day == day && e->pol.type == p->type &&
	       strcmp(e->domain, domain) == 0 &&
	       streq(e->pol.policy_domain, p->policy_domain) &&
	       list_eq(e->pol.n_strings, e->pol.strings, p->n_strings,
		       p->strings) &&
	       list_eq(e->pol.n_mx, e->pol.mx, p->n_mx, p->mx);
}

static int
same_failure(const struct sts_rpt_failure *a, const struct sts_rpt_failure *b)
{
	return a->type == b->type && streq(a->sending_ip, b->sending_ip) &&
	       streq(a->mx_host, b->mx_host) && streq(a->mx_helo, b->mx_helo) &&
	       streq(a->receiving_ip, b->receiving_ip) &&
	       streq(a->add_info, b->add_info) && streq(a->reason, b->reason);
}

static char *
dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = 1;
	return d;
}

static char **
dup_list(size_t n, char **src, int *oom)
{
	char **d;

	if (n == 0)
		return NULL;
	d = calloc(n, sizeof(*d));
	if (d == NULL) {
		*oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = dup_or_null(src[i], oom);
	return d;
}

static void
failure_clear(struct sts_rpt_failure *f)
{
	free(f->sending_ip);
	free(f->mx_host);
	free(f->mx_helo);
	free(f->receiving_ip);
	free(f->add_info);
	free(f->reason);
}

void
sts_rpt_policy_clear(struct sts_rpt_policy *p)
{
	if (p == NULL)
		return;
	free(p->policy_domain);
	for (size_t i = 0; i < p->n_strings; i++)
		free(p->strings[i]);
	free(p->strings);
	for (size_t i = 0; i < p->n_mx; i++)
		free(p->mx[i]);
	free(p->mx);
	for (size_t i = 0; i < p->n_fail; i++)
		failure_clear(&p->fail[i]);
	free(p->fail);
	memset(p, 0, sizeof(*p));
}

struct sts_rptagg *
sts_rptagg_new(size_t max_domains, size_t max_details)
{
	struct sts_rptagg *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->max_domains = max_domains ? max_domains : STS_MAX_RPT_DOMAINS;
	a->max_details = max_details ? max_details : STS_MAX_RPT_DETAILS;
	return a;
}

static void
entry_clear(struct sts_rpt_entry *e)
{
	free(e->domain);
	sts_rpt_policy_clear(&e->pol);
}

void
sts_rptagg_clear(struct sts_rptagg *a)
{
	for (size_t i = 0; i < a->n; i++)
		entry_clear(&a->e[i]);
	a->n = 0;
}

void
sts_rptagg_free(struct sts_rptagg *a)
{
	if (a == NULL)
		return;
	sts_rptagg_clear(a);
	free(a->e);
	free(a);
}

void
sts_rptagg_drop(struct sts_rptagg *a, int64_t day, const char *domain)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n; i++) {
		if (a->e[i].day == day && strcmp(a->e[i].domain, domain) == 0)
			entry_clear(&a->e[i]);
		else
			a->e[j++] = a->e[i];
	}
	a->n = j;
}

void
sts_rptagg_drop_before(struct sts_rptagg *a, int64_t before)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n; i++) {
		if (a->e[i].day < before)
			entry_clear(&a->e[i]);
		else
			a->e[j++] = a->e[i];
	}
	a->n = j;
}

/* Whether domain already has an entry for day, and how many distinct
 * domains day holds (entries flagged first_of_domain): the cap counts
 * domains, not entries, as one domain may apply several policies. */
static int
domain_known(const struct sts_rptagg *a, int64_t day, const char *domain,
	     size_t *ndomains)
{
	size_t n = 0;
	int known = 0;

	for (size_t i = 0; i < a->n; i++) {
		if (a->e[i].day != day)
			continue;
		n += a->e[i].first_of_domain;
		if (!known && strcmp(a->e[i].domain, domain) == 0)
			known = 1;
	}
	*ndomains = n;
	return known;
}

static struct sts_rpt_entry *
entry_new(struct sts_rptagg *a, int64_t day, const char *domain,
	  const struct sts_rpt_policy *p, uint64_t key)
{
	struct sts_rpt_entry *e;
	int oom = 0;

	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 16;
		struct sts_rpt_entry *ne = realloc(a->e, nc * sizeof(*ne));
		if (ne == NULL)
			return NULL;
		a->e = ne;
		a->cap = nc;
	}
	e = &a->e[a->n];
	memset(e, 0, sizeof(*e));
	e->day = day;
	e->key = key;
	e->domain = dup_or_null(domain, &oom);
	e->pol.type = p->type;
	e->pol.policy_domain = dup_or_null(p->policy_domain, &oom);
	e->pol.strings = dup_list(p->n_strings, p->strings, &oom);
	e->pol.n_strings = e->pol.strings ? p->n_strings : 0;
	e->pol.mx = dup_list(p->n_mx, p->mx, &oom);
	e->pol.n_mx = e->pol.mx ? p->n_mx : 0;
	if (oom) {
		entry_clear(e);
		return NULL;
	}
	a->n++;
	return e;
}

/* a + b, saturating at STS_MAX_RPT_COUNT (see sts_limits.h). */
static uint64_t
count_add(uint64_t a, uint64_t b)
{
	if (a >= STS_MAX_RPT_COUNT || b >= STS_MAX_RPT_COUNT - a)
		return STS_MAX_RPT_COUNT;
	return a + b;
}

static enum sts_status
add_failure(struct sts_rptagg *a, struct sts_rpt_policy *to,
	    const struct sts_rpt_failure *f)
{
	struct sts_rpt_failure *n;
	int oom = 0;

	for (size_t i = 0; i < to->n_fail; i++)
		if (same_failure(&to->fail[i], f)) {
			to->fail[i].count =
				count_add(to->fail[i].count, f->count);
			return STS_OK;
		}
	if (to->n_fail >= a->max_details) {
		a->dropped_details = count_add(a->dropped_details, f->count);
		return STS_OK;
	}
	n = realloc(to->fail, (to->n_fail + 1) * sizeof(*n));
	if (n == NULL)
		return STS_NOMEM;
	to->fail = n;
	n = &to->fail[to->n_fail];
	memset(n, 0, sizeof(*n));
	n->type = f->type;
	n->count = count_add(0, f->count);
	n->sending_ip = dup_or_null(f->sending_ip, &oom);
	n->mx_host = dup_or_null(f->mx_host, &oom);
	n->mx_helo = dup_or_null(f->mx_helo, &oom);
	n->receiving_ip = dup_or_null(f->receiving_ip, &oom);
	n->add_info = dup_or_null(f->add_info, &oom);
	n->reason = dup_or_null(f->reason, &oom);
	if (oom) {
		failure_clear(n);
		return STS_NOMEM;
	}
	to->n_fail++;
	return STS_OK;
}

enum sts_status
sts_rptagg_add(struct sts_rptagg *a, int64_t day, const char *domain,
	       const struct sts_rpt_policy *p, char *why, size_t whylen)
{
	uint64_t key = entry_key(day, domain, p);
	struct sts_rpt_entry *e = NULL;
	enum sts_status st;

	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].key == key &&
		    same_entry(&a->e[i], day, domain, p)) {
			e = &a->e[i];
			break;
		}
	if (e == NULL) {
		size_t nd;
		int known = domain_known(a, day, domain, &nd);
		if (!known && nd >= a->max_domains) {
			a->dropped_domains =
				count_add(a->dropped_domains,
					  count_add(p->success, p->failure));
			return sts_why(why, whylen, STS_INVALID,
				       "domain cap (%zu) reached, %s dropped",
				       a->max_domains, domain);
		}
		e = entry_new(a, day, domain, p, key);
		if (e == NULL)
			return sts_why(why, whylen, STS_NOMEM, "out of memory");
		e->first_of_domain = !known;
	}
	e->pol.success = count_add(e->pol.success, p->success);
	e->pol.failure = count_add(e->pol.failure, p->failure);
	for (size_t i = 0; i < p->n_fail; i++) {
		st = add_failure(a, &e->pol, &p->fail[i]);
		if (st != STS_OK)
			return sts_why(why, whylen, st, "out of memory");
	}
	return STS_OK;
}
