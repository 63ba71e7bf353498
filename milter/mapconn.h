/*
 * milter/mapconn.h - one client connection of the policy map server and
 * a loop's table of them (issue [harden] 1 and 3): input and output
 * buffers, replies written without ever waiting for the peer, the
 * idle, request and reply deadlines, the choice of the connection to
 * drop when the server is full, and the framing hook that splits the
 * byte stream into requests.
 *
 * The bounds (milter/mapd.c sets them from mta-sts-milter.conf(5)):
 *   - idle:    a connection with nothing to read or write for idle_ms
 *              is closed (MapIdleTimeout);
 *   - request: a request must arrive complete within request_ms of its
 *              first byte, and a reply must be taken by the peer within
 *              request_ms (MapRequestTimeout); else the connection is
 *              closed, so a slow or non-reading client costs one
 *              struct conn and one descriptor, never a thread;
 *   - full:    conntab_victim() picks the connection a new one replaces;
 *   - output:  at most one reply is ever buffered per connection (the
 *              server reads no further request while one is unsent).
 *
 * Framing: a listener serves one struct mapconn_framing.  The socketmap
 * one (mapconn_netstring) reads netstrings and answers in netstrings on
 * a persistent connection; the Exim one (milter/mapline.c) reads one
 * line and answers one line, then closes (one_shot), with its own
 * answer hook; both keep every limit and timeout above.
 *
 * Ownership and threads: a struct conn belongs to one loop of
 * milter/mapd.c.  Only the thread running that loop touches it, except
 * while c->busy, when exactly one other thread (a lookup thread, or a
 * thread that lost its loop while blocked) holds it and gives it back
 * through the loop's queue.  A struct conntab is touched by its loop's
 * runner only.  Nothing here locks.
 */
#ifndef MILTER_MAPCONN_H
#define MILTER_MAPCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sts_limits.h"
#include "sts_status.h"

/* Room for the longest request of any framing, plus its framing. */
#define MAPCONN_INBUF                                                          \
	((STS_MAX_MAP_REQUEST > STS_MAX_LINE_REQUEST ? STS_MAX_MAP_REQUEST     \
						     : STS_MAX_LINE_REQUEST) + \
	 16)
/* What a one-shot connection reads and drops after its reply, at most. */
#define MAPCONN_DRAIN_MAX (1024 * 1024)

struct sts_engine;

/* What waiting could change about an answer given with deadline 0. */
enum mapconn_wait {
	MAPCONN_FINAL = 0, /* nothing: send it */
	MAPCONN_PENDING,   /* nothing is known yet (a fetch is pending): ask
			      again on a lookup thread, within the deadline */
	MAPCONN_BLOCK,	   /* known, but its next-hop state may need a
			      lookup: ask again with the deadline, the loop
			      handed on if that lasts (milter/mapd.c) */
};

struct mapconn_framing {
	const char *name; /* for log lines ("map", "exim") */
	/*
	 * The next request in buf[len]: STS_OK with *data and *dlen (inside
	 * buf) and *used (bytes it took); STS_TEMPFAIL: incomplete, read
	 * more; anything else: malformed (why), close after one error.
	 * eof: the peer has shut down its side, nothing more will come.
	 */
	enum sts_status (*next)(const char *buf, size_t len, bool eof,
				const char **data, size_t *dlen, size_t *used,
				char *why, size_t whylen);
	/* Frame reply[len] into out[outsz]; returns the length needed
	 * (nothing is written unless it fits). */
	size_t (*wrap)(const char *reply, size_t len, char *out, size_t outsz);
	/* The reply payload to a malformed request (why), snprintf-like. */
	size_t (*error)(const char *why, char *out, size_t outsz);
	/* Count reply[len] in the metrics (milter/metrics.h). */
	void (*count)(const char *reply, size_t len);
	/*
	 * Answer request data[len] from engine e into reply[replysz]
	 * (snprintf-like), waiting at most deadline_ms (0: from what is
	 * known, never waiting).  wait NULL: this answer is the one sent;
	 * otherwise *wait says whether waiting could change it (then it is
	 * asked again).  NULL hook: the socketmap's own answer
	 * (milter/mapanswer.c).
	 */
	size_t (*answer)(struct sts_engine *e, const char *data, size_t len,
			 unsigned deadline_ms, char *reply, size_t replysz,
			 enum mapconn_wait *wait);
	/* One request, one reply, then the server shuts down its side and
	 * drops what the peer still sends (mapconn_linger) until its EOF. */
	bool one_shot;
};

/* Postfix/sendmail socketmap: netstrings both ways, persistent. */
extern const struct mapconn_framing mapconn_netstring;

struct loop;

struct conn {
	int fd;
	struct loop *loop; /* its loop, for its whole life */
	const struct mapconn_framing *fr;
	/*
	 * busy: held by another thread (see above); the runner mutes its
	 * events until it is given back.  closing: given back to be
	 * closed.  evict: accepted while the server was full: its runner
	 * drops another one for it first (conntab_victim).
	 */
	bool busy, closing, evict;
	/* eof: the peer shut down its side.  draining: one-shot, replied:
	 * what still comes is dropped (drained bytes so far), until EOF,
	 * MAPCONN_DRAIN_MAX or the request deadline (in_since). */
	bool eof, draining;
	/* linger_due: a lookup thread sent a one-shot reply; the runner
	 * starts the linger (mapconn_linger) when it gets c back, as only
	 * it may touch buf and len. */
	bool linger_due;
	size_t drained;
	uint32_t events;   /* the epoll interest set now */
	uint64_t last_ns;  /* accepted, or last request completed (monotonic) */
	uint64_t in_since; /* first byte of an incomplete request, or 0 */
	uint64_t out_since; /* unsent reply waiting since, or 0 */
	uint64_t answered;  /* replies sent (or started) */
	size_t len;	    /* bytes in buf */
	char *out;	    /* the unsent rest of one reply, or NULL */
	size_t outlen, outoff;
	/* conntab: most recently answered (else accepted) first */
	struct conn *prev, *next;
	struct conn *qnext; /* a loop's queue or the lookup queue */
	char buf[MAPCONN_INBUF];
};

struct conntab {
	struct conn *head, *tail;
	unsigned n;
};

struct mapconn_limits {
	unsigned idle_ms, request_ms;
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mapconn_now(void);

/* A new connection on fd (non-blocking), not in any table; NULL if out
 * of memory (fd is left open). */
struct conn *mapconn_new(int fd, const struct mapconn_framing *fr);
/* Close fd and free c (c must be out of its table). */
void mapconn_free(struct conn *c);

void conntab_add(struct conntab *t, struct conn *c);
void conntab_remove(struct conntab *t, struct conn *c);
/* c completed a request now: it moves to the head.  Not for bytes of
 * an incomplete request (a trickling client is not active). */
void conntab_touch(struct conntab *t, struct conn *c, uint64_t now);

/* The connection to close for a new one when the server is full, other
 * than except and the busy ones: the one whose reply has waited longest
 * for the peer to read it, else the one accepted first of those that
 * never completed a request (idle or sending one slowly), else the one
 * whose incomplete request began first, else the least recently
 * answered idle one; NULL if every other one is busy.  An established
 * client that has been answered goes last (mta-sts-milter.conf(5),
 * MapMaxConnections). */
struct conn *conntab_victim(struct conntab *t, const struct conn *except);

/*
 * The first connection past one of its deadlines at now, with the
 * reason in *why ("idle", "request", "reply"), or NULL.  Busy
 * connections are skipped (their holder is bounded by the lookup
 * deadline).  Call repeatedly, dropping each one returned.
 */
struct conn *conntab_expired(struct conntab *t, uint64_t now,
			     const struct mapconn_limits *lim,
			     const char **why);

/*
 * Frame reply[len] with c->fr and send what the socket takes now,
 * keeping the rest in c->out (c must have no unsent reply).  0: all
 * sent; 1: some is left (wait for EPOLLOUT, then mapconn_flush); -1:
 * the peer is gone or the reply does not fit (close c).
 */
int mapconn_reply(struct conn *c, const char *reply, size_t len, char *wire,
		  size_t wiresz, uint64_t now);
/* Send more of c->out: 0 all sent, 1 some left, -1 close c. */
int mapconn_flush(struct conn *c, uint64_t now);

/*
 * A one-shot connection whose reply is all sent: shut down our side and
 * drop what the peer still sends until its EOF, so that a reset (unread
 * input at close) never destroys the reply.  0: keep c (draining), -1:
 * close it now (the peer's EOF came already, or shutdown failed).
 */
int mapconn_linger(struct conn *c, uint64_t now);
/* Read and drop for a draining c: 0 keep, -1 close (EOF, error, cap). */
int mapconn_drain(struct conn *c);

/* The epoll interest c needs now: 0 while busy, EPOLLOUT while a reply
 * is unsent, else EPOLLIN. */
uint32_t mapconn_want(const struct conn *c);

#endif /* MILTER_MAPCONN_H */
