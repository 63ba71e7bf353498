/*
 * milter/sigwait.c - keep libmilter away from our signals (issue
 * [harden] 4).
 *
 * smfi_main() starts a thread of its own that sigwait()s for SIGHUP,
 * SIGTERM and SIGINT and stops the milter on any of them (libmilter's
 * signal.c: mi_signal_thread; its stop is final, the listening socket
 * is closed).  The daemon handles those signals itself in the main
 * thread (milter/main.c: SIGHUP reloads), but a signal blocked in every
 * thread goes to whichever thread is waiting for it: a SIGHUP that came
 * while the main thread was busy reloading went to libmilter's thread
 * and stopped the daemon, with exit 0.
 *
 * So this program defines sigwait() itself.  The daemon never calls
 * sigwait() (main.c uses sigwaitinfo()), and libmilter is its only
 * caller: the definition in the executable comes first in symbol lookup
 * and takes the place of the C library's for libmilter too (shared or
 * static), and it simply never returns.  libmilter's signal thread
 * thus sleeps for the life of the process and never consumes a signal;
 * the main thread stops libmilter with smfi_stop() when asked to.
 * tests/milter/t_signals.sh proves it on the real daemon.
 *
 * Thread-safety: any thread; it blocks the caller forever.
 */
#include "config.h"

#include <signal.h>
#include <unistd.h>

int
sigwait(const sigset_t *set, int *sig)
{
	(void)set;
	(void)sig;
	for (;;)
		pause(); /* every signal it could get is blocked: sleeps */
}
