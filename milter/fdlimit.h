/*
 * milter/fdlimit.h - the descriptor budget (issue [harden] 2).
 *
 * libmilter takes every milter connection it is offered and keeps an
 * idle one for MilterTimeout; the map server takes at most
 * MapMaxConnections.  So that neither can starve the other (nor the
 * engine's DNS, HTTPS and probe sockets and the state file), the soft
 * RLIMIT_NOFILE is raised to the hard one at start-up, and the map gets
 * at most half of what is left after FDLIMIT_RESERVE descriptors.
 *
 * Threads: call from the main thread before other threads start.
 */
#ifndef MILTER_FDLIMIT_H
#define MILTER_FDLIMIT_H

#include <stddef.h>

#define FDLIMIT_RESERVE 128 /* engine, resolver, fetches, files, logs */

/*
 * Raise the soft RLIMIT_NOFILE to the hard limit.  Returns the soft
 * limit in force afterwards; *raised says whether it changed; why gets
 * the reason if it could not be raised (e.g. a systemd unit that
 * forbids setrlimit: then LimitNOFILE= sets it).
 */
unsigned long fdlimit_raise(int *raised, char *why, size_t whylen);

/* The most map connections that nofile descriptors allow (at least 16). */
unsigned fdlimit_map_budget(unsigned long nofile);

#endif /* MILTER_FDLIMIT_H */
