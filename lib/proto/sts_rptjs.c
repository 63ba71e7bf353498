/*
 * sts_rptjs.c - strict cJSON field readers (see sts_rptjs.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_rptjs.h"

int
sts_rptjs_bad_keys(const cJSON *obj, const char *const *allowed)
{
	const cJSON *c, *d;

	if (!cJSON_IsObject(obj))
		return 1;
	for (c = obj->child; c != NULL; c = c->next) {
		size_t i;
		if (c->string == NULL)
			return 1;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(c->string, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return 1;
		for (d = obj->child; d != c; d = d->next)
			if (strcmp(d->string, c->string) == 0)
				return 1;
	}
	return 0;
}

static enum sts_status
copy_str(const cJSON *v, size_t cap, char **out)
{
	size_t len;

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return STS_INVALID;
	len = strlen(v->valuestring);
	if (len > cap)
		return STS_INVALID;
	/* Control characters are kept: every consumer re-escapes (cJSON
	 * output), and libtlsrpt escapes whatever the MTA saw (a HELO
	 * with a TAB is still a real session). */
	*out = strdup(v->valuestring);
	return *out ? STS_OK : STS_NOMEM;
}

enum sts_status
sts_rptjs_str(const cJSON *obj, const char *name, size_t cap, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = NULL;
	if (v == NULL)
		return STS_NOTFOUND;
	return copy_str(v, cap, out);
}

enum sts_status
sts_rptjs_uint(const cJSON *obj, const char *name, uint64_t max, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	double d;

	if (v == NULL)
		return STS_NOTFOUND;
	if (!cJSON_IsNumber(v))
		return STS_INVALID;
	d = v->valuedouble;
	/* 2^53: beyond it a double no longer counts in ones. */
	if (!(d >= 0) || d > (double)max || d > 9007199254740992.0 ||
	    (double)(uint64_t)d != d)
		return STS_INVALID;
	*out = (uint64_t)d;
	return STS_OK;
}

enum sts_status
sts_rptjs_strlist(const cJSON *obj, const char *name, size_t cap,
		  size_t fieldcap, char ***out, size_t *n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	const cJSON *c;
	size_t cnt = 0, i = 0;
	char **l;
	enum sts_status st;

	*out = NULL;
	*n = 0;
	if (v == NULL)
		return STS_NOTFOUND;
	if (!cJSON_IsArray(v))
		return STS_INVALID;
	for (c = v->child; c != NULL; c = c->next)
		if (++cnt > cap)
			return STS_INVALID;
	if (cnt == 0)
		return STS_OK;
	l = calloc(cnt, sizeof(*l));
	if (l == NULL)
		return STS_NOMEM;
	for (c = v->child; c != NULL; c = c->next, i++) {
		st = copy_str(c, fieldcap, &l[i]);
		if (st != STS_OK) {
			while (i > 0)
				free(l[--i]);
			free(l);
			return st;
		}
	}
	*out = l;
	*n = cnt;
	return STS_OK;
}
