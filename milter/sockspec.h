/*
 * milter/sockspec.h - milter-style socket specs: "inet:PORT@HOST",
 * "inet6:PORT@HOST", "unix:/path" and "local:/path" (owner: the
 * socketmap work; used by mapd.c and main.c).
 *
 * Thread-safety: re-entrant.
 */
#ifndef MILTER_SOCKSPEC_H
#define MILTER_SOCKSPEC_H

#include <stddef.h>

/*
 * Create a listening socket for spec.  A stale unix socket (nobody
 * listening) is removed first; a live one is an error ("in use").  inet
 * sockets get SO_REUSEADDR and TCP_NODELAY (inherited by accepted
 * sockets on Linux).  unix sockets get mode `mode`.  Returns the fd, or
 * -1 with a reason.
 */
int sockspec_listen(const char *spec, int mode, char *why, size_t whylen);

/* Syntax check only: 0 if spec is well formed, -1 with a reason. */
int sockspec_check(const char *spec, char *why, size_t whylen);

#endif /* MILTER_SOCKSPEC_H */
