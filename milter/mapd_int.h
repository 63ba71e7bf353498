/*
 * milter/mapd_int.h - what the three parts of the policy map server
 * share (private to milter/mapd.c, milter/maploop.c and
 * milter/mapanswer.c; see mapd.c for the design):
 *   mapd.c       life cycle, threads, the stall monitor and spares;
 *   maploop.c    the epoll loops: accept, read, write, deadlines, the
 *                connection limit, connections handed between threads;
 *   mapanswer.c  a request to its reply: the engine lookups, the
 *                lookup threads for never-seen domains.
 * Connections themselves: milter/mapconn.h.
 *
 * Threads: the fields of struct mapd say what guards them; a loop's
 * connections belong to its runner (mapconn.h).
 */
#ifndef MILTER_MAPD_INT_H
#define MILTER_MAPD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mapconn.h"
#include "mapd.h"
#include "sts_engine.h"
#include "sts_limits.h"
#include "sts_mapreply.h"

#define MAPD_THREADS 8	       /* loop runners + spares: blocking sections */
#define MAPD_MAX_LOOPS 4       /* epoll loops: min(this, usable cpus) */
#define MAPD_LOOKUP_THREADS 16 /* first-time lookups waiting at once */
#define MAPD_DEFAULT_CONNS 1024
#define MAPD_DEFAULT_IDLE 60000	   /* ms */
#define MAPD_DEFAULT_REQUEST 10000 /* ms */
#define MAPD_EVENTS 64		   /* epoll events per wait */
#define MAPD_TICK_MS 10		   /* how often the monitor looks for stalls */
#define MAPD_IDLE_TICKS 100 /* ticks with no busy loop before it sleeps */
#define MAPD_STALL_NS (10ULL * 1000 * 1000)	  /* a loop blocked this long */
#define MAPD_ACCEPT_PAUSE_MS 100		  /* after EMFILE and friends */
#define MAPD_NOTE_NS (10ULL * 1000 * 1000 * 1000) /* log a count so often */
#define BUSY_STOLEN 1 /* loop->busy_since: given to a spare thread */
#define MS (1000ULL * 1000)

/*
 * One epoll set, level-triggered, with the connections assigned to it
 * at accept time and its eventfd.  Exactly one thread at a time runs a
 * loop (its runner) and only the runner touches its connections.  A
 * runner that blocks (a known policy whose next-hop state must be
 * looked up) marks the loop busy_since; if that lasts MAPD_STALL_NS the
 * monitor gives the loop to a spare thread, and the blocked thread keeps
 * only the one connection it was serving and hands it back when done.
 */
struct loop {
	struct mapd *m;
	int efd, evfd;
	/* 0, the CLOCK_MONOTONIC ns its runner blocked at, or BUSY_STOLEN */
	atomic_uint_fast64_t busy_since;
	pthread_mutex_t mu; /* guards newq, newq_tail and backq */
	/* newq: accepted, not yet adopted, oldest first (a burst must be
	 * adopted in order: see conn_adopt); backq: given back. */
	struct conn *newq, *newq_tail, *backq;
	struct conntab tab;  /* its runner only */
	uint64_t last_sweep; /* its runner only */
};

/* Per-thread state and scratch: one reply payload and its framing. */
struct worker {
	struct mapd *m;
	pthread_t tid;
	bool started;
	struct loop *first; /* the loop to run at start, or NULL: a spare */
	struct loop *loop;  /* the loop being run; NULL once lost */
	uint64_t since;	    /* our busy_since value while blocked */
	char name[STS_MAX_MAP_NAME + 1];
	char key[STS_MAX_DOMAIN_INPUT + 1];
	char host[STS_MAX_DOMAIN_INPUT + 1]; /* the key's policy domain */
	bool literal;
	char reply[STS_MAX_MAP_REPLY + 1];
	char wire[STS_MAX_MAP_REPLY + 16];
};

/* A first-time lookup for the lookup threads; holds c (c->busy). */
struct job {
	struct conn *c;
	uint64_t t0; /* when the request was read */
	struct job *next;
	bool literal; /* "[host]": no MX lookup (sts_mapreply_hop) */
	char name[STS_MAX_MAP_NAME + 1];
	char key[STS_MAX_DOMAIN_INPUT + 1];
	char host[STS_MAX_DOMAIN_INPUT + 1];
	/* a framing with its own answer hook: the request itself */
	size_t dlen;
	char data[MAPCONN_INBUF];
};

/* A rate-limited log line: the first at once, then a count. */
struct note {
	uint64_t last;
	unsigned count;
};

struct mapd {
	int lfd;
	const struct mapconn_framing *fr;
	char *names;	 /* " name1 name2 " or NULL = any */
	char *unix_path; /* unlinked at free */
	struct sts_mapreply_opts opts;
	atomic_uint deadline_ms;
	unsigned max_conns;
	struct mapconn_limits lim;
	uint64_t sweep_ns;
	struct sts_engine *engine;
	atomic_bool stop;
	unsigned nloops;
	struct loop loops[MAPD_MAX_LOOPS];
	struct worker *workers[MAPD_THREADS];
	struct worker *lookers[MAPD_LOOKUP_THREADS];
	pthread_t mon;
	bool mon_started;
	/* mu guards the count, round-robin, the orphaned loops and the
	 * notes; cv wakes spares for an orphan or the stop. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct loop *orphans[MAPD_MAX_LOOPS];
	unsigned norphans, nconns, rr;
	struct note n_accept, n_evict, n_refuse;
	/* jmu guards the lookup queue; jcv wakes lookup threads. */
	pthread_mutex_t jmu;
	pthread_cond_t jcv;
	struct job *jhead, *jtail;
	/* nbusy counts loops whose runner is blocked (busy_since set, not
	 * stolen).  After MAPD_IDLE_TICKS ticks with none, the monitor sets
	 * mon_idle and sleeps on mon_cv instead of ticking, so an idle
	 * server does not wake 100 times a second; block_enter() wakes it
	 * on the 0 -> 1 step while mon_idle is set (at most about once a
	 * second under load, since it then ticks again for a while). */
	atomic_uint nbusy;
	atomic_bool mon_idle;
	pthread_mutex_t mon_mu;
	pthread_cond_t mon_cv;
	/* the listener (in loops[0]): its runner only, after the start */
	bool listen_armed;
	uint64_t accept_resume;
	atomic_uint_fast64_t nreq;
};

/* maploop.c */
int maploop_ctl(int efd, int op, int fd, void *ptr, uint32_t events);
/* Add the listener to loops[0] (mapd_start). 0 or -1 (errno). */
int maploop_listen(struct mapd *m);
/* Run l until the stop, or until a spare took it while we blocked. */
void maploop_run(struct worker *w, struct loop *l);
/* Queue c on l (new, or given back by another thread), wake its runner. */
void maploop_post(struct loop *l, struct conn *c, bool back);
/* After mapconn_reply() gave r for c (its runner, or a thread that lost
 * the loop while it held c): 1 keep c, 0 close it.  last: a persistent
 * connection closes after it.  Not for the lookup threads (linger_due). */
int maploop_replied(struct conn *c, int r, bool last);

/* mapanswer.c */
/* Answer one request (data[len]) into w->reply and return its length,
 * or set *queued: c went to the lookup threads, which answer it and
 * give it back.  *fatal: reply, then close. */
size_t mapanswer_request(struct worker *w, struct conn *c, const char *data,
			 size_t len, bool *fatal, bool *queued);
/* A lookup thread (arg: its struct worker). */
void *mapanswer_lookup_main(void *arg);

#endif /* MILTER_MAPD_INT_H */
