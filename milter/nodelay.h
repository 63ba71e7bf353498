/*
 * milter/nodelay.h - set TCP_NODELAY on libmilter's listening socket.
 *
 * libmilter writes each reply packet separately and does not set
 * TCP_NODELAY, so a milter that adds a header before its final reply
 * waits ~40 ms per message for the MTA's delayed ACK (LAB.md appendix,
 * "Nagle trap").  libmilter does not expose its socket, so we find it:
 * the listening TCP socket in /proc/self/fd whose local port is the
 * configured one.  On Linux, accepted sockets inherit TCP_NODELAY from
 * the listener.  Call from the main thread right after
 * smfi_opensocket(), before any other inet listener exists.
 */
#ifndef MILTER_NODELAY_H
#define MILTER_NODELAY_H

#include <stddef.h>

/* spec is the milter socket ("inet:PORT@HOST", "inet6:PORT@HOST"; unix
 * specs need nothing and give 0).  Returns the number of sockets set
 * (1 when all went well), or -1 with a reason. */
int nodelay_listener(const char *spec, char *why, size_t whylen);

#endif /* MILTER_NODELAY_H */
