/*
 * milter/log.c - syslog or stderr, errno kept (after OpenSMTPD's log.c).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static atomic_int log_level = LOG_INFO;
static atomic_bool log_stderr = true;

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

void
log_msg(int prio, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (prio > atomic_load(&log_level)) {
		errno = saved;
		return;
	}
	va_start(ap, fmt);
	if (atomic_load(&log_stderr)) {
		char line[2048], ts[32];
		struct timespec now;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		vsnprintf(line, sizeof(line), fmt, ap);
		/* One fprintf per line so that threads do not interleave. */
		fprintf(stderr, "%s.%03ldZ %s: %s\n", ts, now.tv_nsec / 1000000,
			prio_name(prio), line);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
	errno = saved;
}
