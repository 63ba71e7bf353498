/*
 * milter/mapd.h - the delivery-time policy server: the Postfix/sendmail
 * socketmap protocol (netstrings) answering TLS policy lookups from the
 * shared engine (issue [socketmap]).
 *
 * CONTRACT between milter/main.c (owner: the milter work) and
 * milter/mapd.c (owner: the socketmap work).  Order of use, which
 * follows Postfix's chroot_uid.c: mapd_new() as root (binds the
 * listening socket, may be a port < 1024 or a root-owned directory),
 * then privileges are dropped, then mapd_start(); mapd_free() at
 * shutdown.  All of them are called from the main thread only.
 *
 * Bounds (issue [harden]; mta-sts-milter.conf(5)): at most max_conns
 * connections -- when full, a new one makes the server close the least
 * recently active idle one, or a slow one, of the same loop
 * (milter/mapconn.h), or is
 * itself closed if none is idle; idle_ms and request_ms close idle and
 * slow peers; a reply the peer does not take never blocks a thread.
 */
#ifndef MILTER_MAPD_H
#define MILTER_MAPD_H

#include <stdbool.h>
#include <stddef.h>

struct sts_engine;
struct mapconn_framing;

struct mapd_conf {
	const char
		*socket; /* "inet:PORT@HOST", "inet6:PORT@HOST", "unix:/path" */
	const char
		*names; /* space-separated map names to serve; NULL/"" = any */
	bool postfix_sts; /* add Postfix >= 3.10 policy_type=sts attributes */
	unsigned deadline_ms; /* per lookup; 0: wait for nothing */
	unsigned max_conns;   /* concurrent connections; 0: 1024 */
	unsigned idle_ms;     /* close a connection idle this long; 0: 60 s */
	unsigned request_ms;  /* a request must arrive, and its reply be
				 taken, within this; 0: 10 s */
	int unix_mode;	      /* permissions of a unix socket, e.g. 0660 */
	/* How requests and replies are framed on this listener
	 * (milter/mapconn.h); NULL: socketmap netstrings.  Every limit and
	 * deadline above applies whatever the framing. */
	const struct mapconn_framing *framing;
};

struct mapd;

/* Bind and listen.  NULL with a reason (e.g. "address in use"). */
struct mapd *mapd_new(const struct mapd_conf *c, char *why, size_t whylen);

/* Start serving with engine e (which must outlive the mapd). 0 or -1. */
int mapd_start(struct mapd *m, struct sts_engine *e, char *why, size_t whylen);

/* LookupDeadline changed at reload (0: wait for nothing); any thread,
 * takes effect for the next request. */
void mapd_set_deadline(struct mapd *m, unsigned deadline_ms);

/* Stop accepting, close every connection, join threads, free. NULL ok. */
void mapd_free(struct mapd *m);

#endif /* MILTER_MAPD_H */
