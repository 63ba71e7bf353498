/*
 * milter/log.h - the daemon's logging (lib/ never logs; only milter/).
 *
 * To syslog (facility mail) when running as a daemon, or to stderr with
 * a timestamp when in the foreground (-f) or before log_init().  Lines
 * are key=value where they describe a decision (OpenSMTPD style).
 * errno is preserved across every call.  A line identical to the
 * previous one within LOG_REPEAT_S seconds is folded into a later "last
 * message repeated N times" line (issue [harden] 7).
 *
 * Thread-safety: log_msg() may be called from any thread; log_init()
 * and log_set_level() from the main thread before threads start (or at
 * reload, with the level read atomically).
 */
#ifndef MILTER_LOG_H
#define MILTER_LOG_H

#include <stdbool.h>
#include <syslog.h>

#define LOG_REPEAT_S 10	  /* seconds an identical line is folded */
#define LOG_MAX_LINE 2048 /* longer lines are cut */

/* ident: syslog ident; to_stderr: foreground mode; level: the most
 * verbose syslog priority to emit (LOG_DEBUG .. LOG_ERR). */
void log_init(const char *ident, bool to_stderr, int level);
void log_set_level(int level);
int log_get_level(void);

/* Parse "debug", "info", "notice", "warning", "error"; -1 if unknown. */
int log_level_parse(const char *s);

void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write a pending "last message repeated N times" now (at stop). */
void log_flush(void);

#endif /* MILTER_LOG_H */
