/*
 * sts_rptstore.c - the TLS-report journal (see sts_rptstore.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sts_limits.h"
#include "sts_rptline.h"
#include "sts_file.h"
#include "sts_rptstore.h"

/* Compact once this much has been appended since the last rewrite. */
#define JOURNAL_COMPACT_BYTES (4u * 1024 * 1024)

struct sts_rptstore {
	pthread_mutex_t mu;
	char *path;
	bool readonly;
	int fd; /* O_APPEND, -1 when readonly */
	struct sts_rptagg *all;
	struct sts_rptagg *pend; /* added since the last flush */
	size_t appended;
	bool dropped; /* entries left memory: the file needs a rewrite */
	uint64_t bad_lines;
};

/* Write all of buf; false with errno set on failure. */
static bool
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* The lines of every entry of a, each ending in "\n", in one buffer. */
static enum sts_status
serialize(const struct sts_rptagg *a, char **out, size_t *outlen)
{
	char *buf = NULL, *line;
	size_t len = 0, cap = 0;

	for (size_t i = 0; i < a->n; i++) {
		enum sts_status st = sts_rptline_format(&a->e[i], &line);
		size_t l;
		if (st != STS_OK) {
			free(buf);
			return st;
		}
		l = strlen(line);
		if (len + l + 2 > cap) {
			size_t nc = (len + l + 2) * 2;
			char *nb = realloc(buf, nc);
			if (nb == NULL) {
				free(line);
				free(buf);
				return STS_NOMEM;
			}
			buf = nb;
			cap = nc;
		}
		memcpy(buf + len, line, l);
		len += l;
		buf[len++] = '\n';
		free(line);
	}
	*out = buf;
	*outlen = len;
	return STS_OK;
}

static enum sts_status
compact_locked(struct sts_rptstore *s, char *why, size_t whylen)
{
	char *buf = NULL;
	size_t len = 0;
	enum sts_status st;

	if (s->readonly)
		return STS_OK;
	st = serialize(s->all, &buf, &len);
	if (st != STS_OK)
		return sts_why(why, whylen, st, "out of memory");
	st = sts_file_replace(s->path, buf ? buf : "", len, why, whylen);
	free(buf);
	if (st != STS_OK)
		return st;
	/* Everything is in the new file now: the pending deltas too. */
	sts_rptagg_clear(s->pend);
	s->appended = 0;
	s->dropped = false;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (s->fd < 0)
		return sts_why(why, whylen, STS_TEMPFAIL, "%s: %s", s->path,
			       strerror(errno));
	return STS_OK;
}

/* Replay the file; a last line without "\n" (a crash mid-write) and
 * lines that do not parse are skipped and counted. */
static enum sts_status
replay(struct sts_rptstore *s, FILE *f)
{
	char *line = NULL, why[STS_WHY_MAX];
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			s->bad_lines++; /* torn tail */
			break;
		}
		enum sts_status st = sts_rptline_add(
			s->all, line, (size_t)n - 1, why, sizeof(why));
		if (st == STS_NOMEM) {
			free(line);
			return STS_NOMEM;
		}
		/* A line that is not ours is counted and skipped;
		 * STS_NOTFOUND (the domain cap, if it was lowered) is
		 * counted by the aggregate itself. */
		if (st == STS_INVALID)
			s->bad_lines++;
	}
	free(line);
	return STS_OK;
}

enum sts_status
sts_rptstore_open(const char *path, bool readonly, size_t max_domains,
		  size_t max_details, struct sts_rptstore **out, char *why,
		  size_t whylen)
{
	struct sts_rptstore *s;
	FILE *f;
	enum sts_status st = STS_OK;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	s->fd = -1;
	s->readonly = readonly;
	s->path = strdup(path);
	s->all = sts_rptagg_new(max_domains, max_details);
	/* the caps are the totals' business: a delta holds what they let in */
	s->pend = sts_rptagg_new(SIZE_MAX, SIZE_MAX);
	if (s->path == NULL || s->all == NULL || s->pend == NULL) {
		sts_rptstore_free(s);
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	}
	f = fopen(path, "re");
	if (f == NULL && (errno != ENOENT || readonly)) {
		st = sts_why(why, whylen,
			     errno == ENOENT ? STS_NOTFOUND : STS_TEMPFAIL,
			     "%s: %s", path, strerror(errno));
		sts_rptstore_free(s);
		return st;
	}
	if (f != NULL) {
		st = replay(s, f);
		fclose(f);
	}
	if (st == STS_OK)
		st = compact_locked(s, why, whylen);
	if (st != STS_OK) {
		s->readonly = true; /* do not write a half-read store */
		sts_rptstore_free(s);
		return st;
	}
	*out = s;
	return STS_OK;
}

static enum sts_status
flush_locked(struct sts_rptstore *s, char *why, size_t whylen)
{
	char *buf = NULL;
	size_t len = 0;
	enum sts_status st;

	if (s->readonly || (s->pend->n == 0 && !s->dropped))
		return STS_OK;
	if (s->fd < 0 || s->dropped || s->appended > JOURNAL_COMPACT_BYTES)
		return compact_locked(s, why, whylen);
	st = serialize(s->pend, &buf, &len);
	if (st != STS_OK)
		return sts_why(why, whylen, st, "out of memory");
	/* One write of whole lines: a crash leaves at most one torn line
	 * at the end, which the next open ignores. */
	if (!write_all(s->fd, buf, len) || fdatasync(s->fd) != 0) {
		int e = errno;
		free(buf);
		/* The deltas stay pending; a rewrite will carry them. */
		close(s->fd);
		s->fd = -1;
		return sts_why(why, whylen, STS_TEMPFAIL, "%s: %s", s->path,
			       strerror(e));
	}
	free(buf);
	s->appended += len;
	sts_rptagg_clear(s->pend);
	return STS_OK;
}

void
sts_rptstore_free(struct sts_rptstore *s)
{
	char why[STS_WHY_MAX];

	if (s == NULL)
		return;
	if (s->all != NULL && s->pend != NULL)
		(void)flush_locked(s, why, sizeof(why));
	if (s->fd >= 0)
		close(s->fd);
	sts_rptagg_free(s->all);
	sts_rptagg_free(s->pend);
	free(s->path);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

enum sts_status
sts_rptstore_add(struct sts_rptstore *s, int64_t day, const char *domain,
		 const struct sts_rpt_policy *p, char *why, size_t whylen)
{
	enum sts_status st;

	pthread_mutex_lock(&s->mu);
	st = sts_rptagg_add(s->all, day, domain, p, why, whylen);
	if (st == STS_OK && !s->readonly)
		st = sts_rptagg_add(s->pend, day, domain, p, why, whylen);
	pthread_mutex_unlock(&s->mu);
	return st;
}

enum sts_status
sts_rptstore_flush(struct sts_rptstore *s, char *why, size_t whylen)
{
	enum sts_status st;

	pthread_mutex_lock(&s->mu);
	st = flush_locked(s, why, whylen);
	pthread_mutex_unlock(&s->mu);
	return st;
}

enum sts_status
sts_rptstore_compact(struct sts_rptstore *s, char *why, size_t whylen)
{
	enum sts_status st;

	pthread_mutex_lock(&s->mu);
	st = compact_locked(s, why, whylen);
	pthread_mutex_unlock(&s->mu);
	return st;
}

enum sts_status
sts_rptstore_report(struct sts_rptstore *s, int64_t day, const char *domain,
		    const struct sts_rptmeta *m, bool pretty, char **out)
{
	enum sts_status st;

	pthread_mutex_lock(&s->mu);
	st = sts_rptjson_build(s->all, day, domain, m, pretty, out);
	pthread_mutex_unlock(&s->mu);
	return st;
}

size_t
sts_rptstore_due(struct sts_rptstore *s, int64_t before, size_t max,
		 int64_t *days, char **domains)
{
	size_t n = 0;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->all->n && n < max; i++) {
		const struct sts_rpt_entry *e = &s->all->e[i];
		if (e->day >= before || !e->first_of_domain)
			continue;
		domains[n] = strdup(e->domain);
		if (domains[n] == NULL)
			break;
		days[n++] = e->day;
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

enum sts_status
sts_rptstore_drop(struct sts_rptstore *s, int64_t day, const char *domain,
		  char *why, size_t whylen)
{
	pthread_mutex_lock(&s->mu);
	sts_rptagg_drop(s->all, day, domain);
	sts_rptagg_drop(s->pend, day, domain);
	s->dropped = true;
	pthread_mutex_unlock(&s->mu);
	(void)why;
	(void)whylen;
	return STS_OK;
}

void
sts_rptstore_stats(struct sts_rptstore *s, struct sts_rptstore_stats *o)
{
	pthread_mutex_lock(&s->mu);
	o->entries = s->all->n;
	o->bad_lines = s->bad_lines;
	o->dropped_domains = s->all->dropped_domains;
	o->dropped_details = s->all->dropped_details;
	pthread_mutex_unlock(&s->mu);
}
