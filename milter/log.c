/*
 * milter/log.c - syslog or stderr, errno kept (after OpenSMTPD's log.c),
 * with repeats folded (issue [harden] 7): a line identical to the
 * previous one (same priority, same text) within LOG_REPEAT_S seconds is
 * not written; the next different line, or the first identical one
 * after the interval, is preceded by "last message repeated N times".
 * One flood of identical warnings thus costs one line per interval.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static atomic_int log_level = LOG_INFO;
static atomic_bool log_stderr = true;

/* The previous line and its repeats, under rep_mu. */
static pthread_mutex_t rep_mu = PTHREAD_MUTEX_INITIALIZER;
static char rep_line[LOG_MAX_LINE];
static int rep_prio = -1;
static time_t rep_since;
static unsigned long rep_count;

void
log_init(const char *ident, bool to_stderr, int level)
{
	atomic_store(&log_stderr, to_stderr);
	atomic_store(&log_level, level);
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(int level)
{
	atomic_store(&log_level, level);
}

int
log_get_level(void)
{
	return atomic_load(&log_level);
}

int
log_level_parse(const char *s)
{
	static const struct {
		const char *name;
		int prio;
	} names[] = {
		{"debug", LOG_DEBUG},	{"info", LOG_INFO},
		{"notice", LOG_NOTICE}, {"warning", LOG_WARNING},
		{"error", LOG_ERR},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].prio;
	return -1;
}

static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_NOTICE:
		return "notice";
	case LOG_WARNING:
		return "warning";
	default:
		return "error";
	}
}

static void
emit(int prio, const char *line)
{
	if (atomic_load(&log_stderr)) {
		char ts[32];
		struct timespec now;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		/* One fprintf per line so that threads do not interleave. */
		fprintf(stderr, "%s.%03ldZ %s: %s\n", ts, now.tv_nsec / 1000000,
			prio_name(prio), line);
	} else {
		syslog(prio, "%s", line);
	}
}

/* Under rep_mu: say how often the previous line was folded. */
static void
flush_repeats(void)
{
	char msg[64];

	if (rep_count == 0)
		return;
	snprintf(msg, sizeof(msg), "last message repeated %lu times",
		 rep_count);
	emit(rep_prio, msg);
	rep_count = 0;
}

void
log_msg(int prio, const char *fmt, ...)
{
	int saved = errno;
	char line[LOG_MAX_LINE];
	struct timespec now;
	va_list ap;

	if (prio > atomic_load(&log_level)) {
		errno = saved;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&rep_mu);
	if (prio == rep_prio && strcmp(line, rep_line) == 0 &&
	    now.tv_sec - rep_since < LOG_REPEAT_S) {
		rep_count++;
	} else {
		flush_repeats();
		emit(prio, line);
		rep_prio = prio;
		snprintf(rep_line, sizeof(rep_line), "%s", line);
		rep_since = now.tv_sec;
	}
	pthread_mutex_unlock(&rep_mu);
	errno = saved;
}

void
log_flush(void)
{
	pthread_mutex_lock(&rep_mu);
	flush_repeats();
	rep_prio = -1;
	pthread_mutex_unlock(&rep_mu);
}
