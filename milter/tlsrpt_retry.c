/*
 * milter/tlsrpt_retry.c - pending report retries on disk (see
 * tlsrpt_retry.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_domain.h"
#include "sts_file.h"
#include "sts_limits.h"
#include "tlsrpt_retry.h"

#define HEADER "mta-sts-milter tlsrpt retries 1\n"

/* One line "DAY FIRST NEXT ATTEMPTS DONE DOMAIN": true and *out filled
 * (domain malloc'd) when it parses and is within the window. */
static bool
parse_line(const char *line, time_t now, struct retry *out)
{
	long long day, first, next;
	unsigned attempts, done;
	char dom[STS_DOMAIN_BUFSZ + 1];
	int used = 0;

	if (sscanf(line, "%lld %lld %lld %u %u %254s%n", &day, &first, &next,
		   &attempts, &done, dom, &used) != 6 ||
	    (line[used] != '\n' && line[used] != '\0'))
		return false;
	if (strlen(dom) > STS_MAX_DOMAIN || !sts_domain_valid(dom) || day < 0 ||
	    first <= 0 || next <= 0 ||
	    (long long)now - first >= TLSRPT_RETRY_WINDOW ||
	    first > (long long)now + 86400)
		return false;
	out->domain = strdup(dom);
	if (out->domain == NULL)
		return false;
	out->day = day;
	out->first = (time_t)first;
	out->next = (time_t)next;
	out->attempts = attempts;
	out->done = done;
	return true;
}

int
tlsrpt_retry_load(const char *path, time_t now, struct retry *r, size_t max,
		  size_t *n, char *why, size_t whylen)
{
	struct sts_file_lines lr;
	char line[TLSRPT_RETRY_LINE + 2];
	FILE *f = NULL;
	bool toolong = false, first = true;
	size_t len;

	*n = 0;
	switch (sts_file_open(
		path, (uint64_t)(TLSRPT_MAX_RETRIES + 1) * TLSRPT_RETRY_LINE,
		"retry file", &f, why, whylen)) {
	case STS_OK:
		break;
	case STS_NOTFOUND:
		return 0;
	default:
		return -1;
	}
	setvbuf(f, NULL, _IONBF, 0);
	if (sts_file_lines_init(&lr, f) != STS_OK) {
		fclose(f);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while (*n < max &&
	       (len = sts_file_lines_next(&lr, line, TLSRPT_RETRY_LINE,
					  &toolong)) > 0) {
		if (first) {
			first = false;
			if (strcmp(line, HEADER) != 0)
				break; /* not ours, or another version */
			continue;
		}
		if (!toolong && memchr(line, '\0', len) == NULL &&
		    parse_line(line, now, &r[*n]))
			(*n)++;
		toolong = false;
	}
	sts_file_lines_free(&lr);
	fclose(f);
	return 0;
}

int
tlsrpt_retry_save(const char *path, const struct retry *r, size_t n, char *why,
		  size_t whylen)
{
	size_t cap = sizeof(HEADER) + n * TLSRPT_RETRY_LINE, len;
	char *buf = malloc(cap);
	int rc;

	if (buf == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	len = (size_t)snprintf(buf, cap, "%s", HEADER);
	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(
			buf + len, cap - len, "%lld %lld %lld %u %u %s\n",
			(long long)r[i].day, (long long)r[i].first,
			(long long)r[i].next, r[i].attempts,
			(unsigned)r[i].done, r[i].domain);
	if (len >= cap) {
		free(buf);
		snprintf(why, whylen, "retry list too long");
		return -1;
	}
	rc = sts_file_replace(path, buf, len, why, whylen) == STS_OK ? 0 : -1;
	free(buf);
	return rc;
}
