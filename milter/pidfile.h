/*
 * milter/pidfile.h - an exclusive PID file (after unbound's writepid()
 * and BSD pidfile(3)): opened with O_NOFOLLOW, must be a regular file,
 * and write-locked (fcntl) for the life of the process, so a second
 * daemon is refused while a stale file from a crash is simply reused.
 *
 * Main thread only.  The lock is per process: call after fork().
 */
#ifndef MILTER_PIDFILE_H
#define MILTER_PIDFILE_H

#include <stddef.h>

/* Create/lock/write path.  The fd (keep it open), or -1 with a reason
 * ("already running as pid N", ...). */
int pidfile_open(const char *path, char *why, size_t whylen);

/* Remove the file (may fail silently after dropping root: the lock,
 * not the file, says whether we run) and close fd.  fd < 0 is fine. */
void pidfile_close(int fd, const char *path);

#endif /* MILTER_PIDFILE_H */
