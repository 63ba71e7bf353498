/*
 * milter/fdlimit.c - the descriptor budget (see fdlimit.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "fdlimit.h"

unsigned long
fdlimit_raise(int *raised, char *why, size_t whylen)
{
	struct rlimit rl;

	*raised = 0;
	if (whylen > 0)
		why[0] = '\0';
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(why, whylen, "getrlimit: %s", strerror(errno));
		return 1024;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t old = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			*raised = 1;
		else {
			snprintf(why, whylen, "setrlimit: %s", strerror(errno));
			rl.rlim_cur = old;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY ? (unsigned long)1 << 20
					    : (unsigned long)rl.rlim_cur;
}

unsigned
fdlimit_map_budget(unsigned long nofile)
{
	unsigned long n = nofile > 2 * FDLIMIT_RESERVE
				  ? (nofile - FDLIMIT_RESERVE) / 2
				  : 16;

	if (n < 16)
		n = 16;
	return n > 1000000 ? 1000000 : (unsigned)n;
}
