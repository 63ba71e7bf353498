/*
 * milter/lined.h - the Exim listener (issue [exim]): one request line,
 * one reply line, close (lib/engine/sts_line.h, answers from
 * milter/eximq.h).  Exim's ${readsocket} opens one connection per
 * question, so the shape is a thread per connection, bounded:
 *   - at most max_conns connections are served at once; one more is
 *     answered "action=error why=\"busy\"" at once and closed (Exim
 *     then defers: fail closed, never a wait in the backlog);
 *   - a request must be complete (its "\n", or EOF after it) within
 *     read_timeout_ms of the accept: a slow writer holds its own thread
 *     and nothing else; a request longer than STS_MAX_LINE_REQUEST is
 *     answered with an error line as soon as the cap is passed;
 *   - input that came with the line (a second line) makes the request
 *     invalid; after the reply the server shuts down its side and reads
 *     and drops what is left (at most 1 MiB, within read_timeout_ms), so
 *     that a reset never destroys the reply;
 *   - the reply must be taken within read_timeout_ms too.
 * The accepting thread never blocks on a client.
 *
 * Order of use as for mapd.h: lined_new() as root (bind), privileges
 * dropped, lined_start(), lined_free() at shutdown; all from the main
 * thread.
 */
#ifndef MILTER_LINED_H
#define MILTER_LINED_H

#include <stddef.h>

struct sts_engine;

struct lined_conf {
	const char *socket;	  /* "inet:PORT@HOST", "unix:/path", ... */
	unsigned max_conns;	  /* 0: LINED_DEFAULT_CONNS */
	unsigned read_timeout_ms; /* 0: LINED_DEFAULT_TIMEOUT */
	int unix_mode;		  /* permissions of a unix socket */
};

#define LINED_DEFAULT_CONNS 1024
#define LINED_DEFAULT_TIMEOUT 5000

struct lined;

/* Bind and listen.  NULL with a reason. */
struct lined *lined_new(const struct lined_conf *c, char *why, size_t whylen);

/* Start serving from engine e (which must outlive the listener). */
int lined_start(struct lined *l, struct sts_engine *e, char *why,
		size_t whylen);

/* Stop accepting, wake every connection thread, wait for them, free.
 * NULL accepted. */
void lined_free(struct lined *l);

#endif /* MILTER_LINED_H */
