/*
 * milter/lined.h - the Exim listener (issue [exim]): one request line,
 * one reply line, close (lib/engine/sts_line.h, answers from
 * milter/eximq.h).  Exim's ${readsocket} opens one connection per
 * question, writes its request, shuts down its write side and reads
 * until the server closes.  The listener is the policy map server
 * (milter/mapd.h) with a line framing (mapconn_line), so every bound of
 * the map's (issue 15, milter/mapconn.h) holds for it:
 *   - event loops, no thread per connection: an idle, slow or
 *     non-reading client costs one struct conn and one descriptor;
 *   - at most max_conns connections; when full, a new one makes the
 *     server close another one (conntab_victim's order: one whose reply
 *     is not taken, else the one accepted first of those never
 *     answered), or is itself closed if all are busy (Exim
 *     then gets an empty answer and defers: fail closed);
 *   - a connection that sends nothing for read_timeout_ms, a request
 *     not complete within read_timeout_ms of its first byte, and a
 *     reply not taken within read_timeout_ms are closed;
 *   - a request longer than STS_MAX_LINE_REQUEST is answered with an
 *     error line as soon as the cap is passed; input that came with the
 *     line (a second line) makes the request invalid;
 *   - a reply from the cache is never queued behind a lookup that must
 *     wait (a domain not known yet goes to the lookup threads);
 *   - after the reply the server shuts down its side and reads and
 *     drops what is left (at most MAPCONN_DRAIN_MAX, within
 *     read_timeout_ms), so that a reset never destroys the reply.
 *
 * Order of use as for mapd.h: lined_new() as root (bind), privileges
 * dropped, lined_start(), lined_free() at shutdown; all from the main
 * thread (lined_set_deadline() from any).
 */
#ifndef MILTER_LINED_H
#define MILTER_LINED_H

#include <stddef.h>

#include "mapconn.h"

struct sts_engine;

struct lined_conf {
	const char *socket;	  /* "inet:PORT@HOST", "unix:/path", ... */
	unsigned max_conns;	  /* 0: LINED_DEFAULT_CONNS */
	unsigned read_timeout_ms; /* 0: LINED_DEFAULT_TIMEOUT */
	unsigned deadline_ms;	  /* LookupDeadline; 0: wait for nothing */
	int unix_mode;		  /* permissions of a unix socket */
};

#define LINED_DEFAULT_CONNS 1024
#define LINED_DEFAULT_TIMEOUT 5000

/* The line framing (milter/lined.c). */
extern const struct mapconn_framing mapconn_line;

struct lined;

/* Bind and listen.  NULL with a reason. */
struct lined *lined_new(const struct lined_conf *c, char *why, size_t whylen);

/* Start serving from engine e (which must outlive the listener). */
int lined_start(struct lined *l, struct sts_engine *e, char *why,
		size_t whylen);

/* LookupDeadline changed at reload.  NULL accepted. */
void lined_set_deadline(struct lined *l, unsigned deadline_ms);

/* Stop accepting, close every connection, join the threads, free.
 * NULL accepted. */
void lined_free(struct lined *l);

#endif /* MILTER_LINED_H */
