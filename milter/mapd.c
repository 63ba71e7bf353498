/*
 * milter/mapd.c - the socketmap policy server (issue [socketmap]).
 *
 * Shape: min(MAPD_MAX_LOOPS, usable cpus) epoll loops, each a
 * level-triggered epoll set with the connections assigned to it
 * round-robin at accept and run by one thread at a time, which alone
 * touches them: a request costs one epoll_wait, one read and one send,
 * with no re-arm and no thread hand-off.  Each Postfix smtp(8) process
 * keeps one persistent connection that is idle most of the time, so an
 * idle connection costs one struct conn (about 1.2 KiB) and no thread.
 * Requests on one connection are answered in order (lock-step,
 * pipelined input included).  A lookup may block up to deadline_ms
 * inside the engine: if its thread stays blocked MAPD_STALL_NS, a
 * monitor gives the loop to one of the spare threads (MAPD_THREADS in
 * all), and the blocked thread keeps only that connection until it is
 * done with it, so a slow lookup holds one thread, never the others'
 * connections.
 *
 * Requests are netstrings `NAME KEY` (lib/proto/sts_netstring.h), at most
 * STS_MAX_MAP_REQUEST bytes; anything malformed or oversize gets one
 * "PERM reason" reply and the connection is closed.  Answers come from
 * lib/engine/sts_mapreply.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mapd.h"
#include "sockspec.h"
#include "sts_engine.h"
#include "sts_limits.h"
#include "metrics.h"
#include "sts_mapreply.h"
#include "sts_netstring.h"
#include "sts_status.h"

#define MAPD_THREADS 8	 /* loop runners + spares: blocking sections */
#define MAPD_MAX_LOOPS 4 /* epoll loops: min(this, usable cpus) */
#define MAPD_DEFAULT_CONNS 1024
#define MAPD_SEND_TIMEOUT 10000 /* ms for a peer to take a reply */
#define MAPD_EVENTS 64		/* epoll events per wait */
#define MAPD_POLL_MS 1000	/* stop check, should a wake-up be lost */
#define MAPD_TICK_MS 10		/* how often the monitor looks for stalls */
#define MAPD_IDLE_TICKS 100	/* ticks with no busy loop before it sleeps */
#define MAPD_STALL_NS (10ULL * 1000 * 1000) /* a loop blocked this long */
#define MAPD_INBUF (STS_MAX_MAP_REQUEST + 16)
#define BUSY_STOLEN 1 /* loop->busy_since: given to a spare thread */

struct loop;

struct conn {
	int fd;
	struct loop *loop; /* the loop it belongs to, for its lifetime */
	/*
	 * busy: held by a thread that lost its loop while blocked in a
	 * lookup or a send on it; the loop's runner leaves it alone (and
	 * mutes its events) until that thread gives it back via backq.
	 * closing: given back to be closed.  muted: events are off.
	 */
	bool busy, closing, muted;
	size_t len;		  /* bytes in buf */
	struct conn *prev, *next; /* the loop's list: its runner only */
	struct conn *qnext;	  /* newq/backq link, under loop->mu */
	char buf[MAPD_INBUF];
};

/*
 * One epoll set, level-triggered, with the connections assigned to it
 * at accept time and its eventfd.  Exactly one thread at a time runs a
 * loop (its runner) and only the runner touches its connections, so a
 * request costs one epoll_wait, one read and one send, without a
 * re-arm or a thread hand-off.  A runner that blocks (a cold lookup
 * waits up to deadline_ms; a slow peer up to MAPD_SEND_TIMEOUT) marks
 * the loop busy_since; if that lasts MAPD_STALL_NS the monitor gives
 * the loop to a spare thread, and the blocked thread keeps only the
 * one connection it was serving and hands it back when done.
 */
struct loop {
	struct mapd *m;
	int efd, evfd;
	/* 0, the CLOCK_MONOTONIC ns its runner blocked at, or BUSY_STOLEN */
	atomic_uint_fast64_t busy_since;
	pthread_mutex_t mu;	   /* guards newq and backq */
	struct conn *newq, *backq; /* accepted elsewhere / given back */
	struct conn *conns;	   /* its runner only */
};

/* Per-thread state and scratch: one reply payload and its netstring. */
struct worker {
	struct mapd *m;
	pthread_t tid;
	bool started;
	struct loop *first; /* the loop to run at start, or NULL: a spare */
	struct loop *loop;  /* the loop being run; NULL once lost */
	uint64_t since;	    /* our busy_since value while blocked */
	char name[STS_MAX_MAP_NAME + 1];
	char key[STS_MAX_DOMAIN_INPUT + 1];
	char reply[STS_MAX_MAP_REPLY + 1];
	char wire[STS_MAX_MAP_REPLY + 16];
};

struct mapd {
	int lfd;
	char *names;	 /* " name1 name2 " or NULL = any */
	char *unix_path; /* unlinked at free */
	struct sts_mapreply_opts opts;
	unsigned deadline_ms, max_conns;
	struct sts_engine *engine;
	atomic_bool stop;
	unsigned nloops;
	struct loop loops[MAPD_MAX_LOOPS];
	struct worker *workers[MAPD_THREADS];
	pthread_t mon;
	bool mon_started;
	/* mu guards the count, listener arming, round-robin and the
	 * orphaned loops; cv wakes spares for an orphan or the stop. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct loop *orphans[MAPD_MAX_LOOPS];
	unsigned norphans, nconns, rr;
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
	bool listen_armed;
	atomic_uint_fast64_t nreq;
};

/* A distinct address that tags the listener (in loops[0]). */
static char tag_listen;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
ctl(int efd, int op, int fd, void *ptr, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = ptr;
	return epoll_ctl(efd, op, fd, &ev);
}

/* About to block on c: let the monitor hand our loop on if it lasts. */
static void
block_enter(struct worker *w, struct conn *c)
{
	if (w->loop == NULL)
		return; /* already on our own */
	c->busy = true;
	w->since = now_ns();
	if (atomic_fetch_add(&w->m->nbusy, 1) == 0 &&
	    atomic_load(&w->m->mon_idle)) {
		pthread_mutex_lock(&w->m->mon_mu);
		pthread_cond_signal(&w->m->mon_cv);
		pthread_mutex_unlock(&w->m->mon_mu);
	}
	atomic_store(&w->loop->busy_since, w->since);
}

/* Back from blocking: still the runner, or did a spare take over? */
static void
block_leave(struct worker *w, struct conn *c)
{
	uint_fast64_t exp = w->since;

	if (w->loop == NULL)
		return;
	if (atomic_compare_exchange_strong(&w->loop->busy_since, &exp, 0)) {
		c->busy = false;
		atomic_fetch_sub(&w->m->nbusy, 1);
	} else
		w->loop = NULL; /* lost: c stays busy until given back */
}

struct mapd *
mapd_new(const struct mapd_conf *c, char *why, size_t whylen)
{
	struct mapd *m;
	size_t n;
	int fl;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return NULL;
	}
	m->lfd = -1;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	pthread_mutex_init(&m->mon_mu, NULL);
	pthread_cond_init(&m->mon_cv, NULL);
	for (unsigned i = 0; i < MAPD_MAX_LOOPS; i++) {
		m->loops[i].m = m;
		m->loops[i].efd = m->loops[i].evfd = -1;
		pthread_mutex_init(&m->loops[i].mu, NULL);
	}
	/* LookupDeadline 0 means what it means for the milter: wait for
	 * nothing, answer from what is known (issue 15) */
	m->deadline_ms = c->deadline_ms;
	m->max_conns = c->max_conns ? c->max_conns : MAPD_DEFAULT_CONNS;
	m->opts.postfix_sts = c->postfix_sts;
	if (c->names != NULL && c->names[strspn(c->names, " \t,")] != '\0') {
		/* Kept as " a b " so that a lookup is one strstr(). */
		n = strlen(c->names);
		m->names = malloc(n + 3);
		if (m->names == NULL) {
			sts_why(why, whylen, STS_NOMEM, "out of memory");
			goto bad;
		}
		m->names[0] = ' ';
		memcpy(m->names + 1, c->names, n);
		m->names[n + 1] = ' ';
		m->names[n + 2] = '\0';
		for (char *p = m->names; *p != '\0'; p++)
			if (*p == '\t' || *p == ',')
				*p = ' ';
	}
	if (c->socket != NULL && (strncmp(c->socket, "unix:", 5) == 0 ||
				  strncmp(c->socket, "local:", 6) == 0)) {
		m->unix_path = strdup(strchr(c->socket, ':') + 1);
		if (m->unix_path == NULL) {
			sts_why(why, whylen, STS_NOMEM, "out of memory");
			goto bad;
		}
	}
	m->lfd = sockspec_listen(c->socket, c->unix_mode, why, whylen);
	if (m->lfd < 0) {
		free(m->unix_path);
		m->unix_path = NULL; /* not ours: never unlink it */
		goto bad;
	}
	/* accept_some() drains the backlog until EAGAIN. */
	fl = fcntl(m->lfd, F_GETFL);
	if (fl < 0 || fcntl(m->lfd, F_SETFL, fl | O_NONBLOCK) < 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "fcntl: %s",
			strerror(errno));
		goto bad;
	}
	return m;
bad:
	mapd_free(m);
	return NULL;
}

/* Write all of buf, waiting (bounded) for a slow reader. */
static int
send_all(struct worker *w, struct conn *c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			int r;

			block_enter(w, c);
			r = poll(&p, 1, MAPD_SEND_TIMEOUT);
			block_leave(w, c);
			if (r <= 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

static int
send_reply(struct worker *w, struct conn *c, size_t len)
{
	size_t n =
		sts_netstring_format(w->reply, len, w->wire, sizeof(w->wire));

	metrics_map_reply(w->reply, len); /* issue 17 */
	if (n > sizeof(w->wire))
		return -1;
	return send_all(w, c, w->wire, n);
}

static bool
name_served(const struct mapd *m, const char *name)
{
	char pat[STS_MAX_MAP_NAME + 3];
	size_t n = strlen(name);

	if (m->names == NULL)
		return true; /* like the peer: any map name */
	pat[0] = ' ';
	memcpy(pat + 1, name, n);
	pat[n + 1] = ' ';
	pat[n + 2] = '\0';
	return strstr(m->names, pat) != NULL;
}

/* Answer one request; returns the reply length. */
static size_t
answer(struct worker *w, struct conn *c, const char *data, size_t len,
       bool *fatal)
{
	struct mapd *m = w->m;
	struct sts_lookup lk;
	struct sts_mapreply_opts opts;
	char why[STS_WHY_MAX], host[STS_MAX_DOMAIN_INPUT + 1];
	bool literal;
	size_t n;

	if (sts_netstring_request(data, len, w->name, sizeof(w->name), w->key,
				  sizeof(w->key), why, sizeof(why)) != STS_OK) {
		*fatal = true;
		return sts_mapreply_error("PERM", why, w->reply,
					  sizeof(w->reply));
	}
	if (!name_served(m, w->name))
		return sts_mapreply_error("PERM", "unknown map name", w->reply,
					  sizeof(w->reply));
	if (sts_mapreply_hop(w->key, host, sizeof(host), &literal, why,
			     sizeof(why)) != STS_OK) {
		log_msg(LOG_DEBUG, "map=%s key=%s reply=NOTFOUND why=\"%s\"",
			w->name, w->key, why);
		return sts_mapreply_error("NOTFOUND", "", w->reply,
					  sizeof(w->reply));
	}
	memset(&lk, 0, sizeof(lk));
	/* A cold domain may wait up to the deadline here. */
	block_enter(w, c);
	sts_engine_lookup_hop(m->engine, host, literal, m->deadline_ms, &lk);
	block_leave(w, c);
	sts_mapreply_opts_for(w->name, &m->opts, &opts);
	n = sts_mapreply_format(&lk, &opts, w->reply, sizeof(w->reply));
	if (n >= sizeof(w->reply))
		n = sts_mapreply_error("TEMP", "reply too large", w->reply,
				       sizeof(w->reply));
	log_msg(LOG_DEBUG, "map=%s key=%s status=%s reply=\"%.80s\" why=\"%s\"",
		w->name, w->key, sts_status_str(lk.status), w->reply, lk.why);
	sts_policy_free(lk.policy);
	return n;
}

/* The loop's runner: drop c (and the listener's pause, if full). */
static void
conn_close(struct loop *l, struct conn *c)
{
	struct mapd *m = l->m;

	epoll_ctl(l->efd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
	pthread_mutex_lock(&m->mu);
	m->nconns--;
	if (!m->listen_armed && !atomic_load(&m->stop)) {
		/* We were full: take new connections again. */
		if (ctl(m->loops[0].efd, EPOLL_CTL_MOD, m->lfd, &tag_listen,
			EPOLLIN) == 0)
			m->listen_armed = true;
	}
	pthread_mutex_unlock(&m->mu);
}

/* The loop's runner: c is now its own; start watching it. */
static void
conn_adopt(struct loop *l, struct conn *c)
{
	c->prev = NULL;
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
	if (ctl(l->efd, EPOLL_CTL_ADD, c->fd, c, EPOLLIN) != 0)
		conn_close(l, c);
}

/* Queue c on l (new or given back) and wake its runner. */
static void
conn_post(struct loop *l, struct conn *c, bool back)
{
	uint64_t one = 1;

	pthread_mutex_lock(&l->mu);
	if (back) {
		c->qnext = l->backq;
		l->backq = c;
	} else {
		c->qnext = l->newq;
		l->newq = c;
	}
	pthread_mutex_unlock(&l->mu);
	if (write(l->evfd, &one, sizeof(one)) < 0)
		log_msg(LOG_DEBUG, "map: wake: %s", strerror(errno));
}

/* The loop's runner: take what was queued for it. */
static void
loop_inbox(struct loop *l)
{
	struct conn *nq, *bq, *c;
	uint64_t cnt;

	if (read(l->evfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_msg(LOG_DEBUG, "map: eventfd: %s", strerror(errno));
	pthread_mutex_lock(&l->mu);
	nq = l->newq;
	bq = l->backq;
	l->newq = l->backq = NULL;
	pthread_mutex_unlock(&l->mu);
	while (bq != NULL) {
		c = bq;
		bq = c->qnext;
		c->busy = false;
		if (c->closing) {
			conn_close(l, c);
		} else if (c->muted) {
			c->muted = false;
			if (ctl(l->efd, EPOLL_CTL_MOD, c->fd, c, EPOLLIN) != 0)
				conn_close(l, c);
		}
	}
	while (nq != NULL) {
		c = nq;
		nq = c->qnext;
		conn_adopt(l, c);
	}
}

/*
 * Answer every complete request in c->buf.  Returns 1 to keep the
 * connection, 0 to close it.
 */
static int
conn_drain(struct worker *w, struct conn *c)
{
	const char *data;
	size_t dlen, used, off = 0, n;
	char why[STS_WHY_MAX];
	enum sts_status st;
	bool fatal = false;

	for (;;) {
		st = sts_netstring_parse(c->buf + off, c->len - off,
					 STS_MAX_MAP_REQUEST, &data, &dlen,
					 &used, why, sizeof(why));
		if (st == STS_TEMPFAIL)
			break;
		if (st != STS_OK) {
			n = sts_mapreply_error("PERM", why, w->reply,
					       sizeof(w->reply));
			send_reply(w, c, n);
			log_msg(LOG_NOTICE, "map: bad request: %s", why);
			return 0;
		}
		n = answer(w, c, data, dlen, &fatal);
		atomic_fetch_add(&w->m->nreq, 1);
		if (send_reply(w, c, n) != 0 || fatal)
			return 0;
		off += used;
	}
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	/* A valid prefix is never longer than the cap plus its header;
	 * the parser has refused anything longer, so this is defence. */
	return c->len < sizeof(c->buf);
}

/*
 * One read (the set is level-triggered: what is left is reported
 * again) and the requests it completes.  If the loop was lost while
 * blocked, c goes back to its loop's runner when done.
 */
static void
conn_serve(struct worker *w, struct conn *c)
{
	ssize_t r;
	bool keep;

	do
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	/* EOF (maybe mid-request) or an error: just close. */
	keep = r > 0;
	if (keep) {
		c->len += (size_t)r;
		keep = conn_drain(w, c) != 0;
	}
	if (w->loop == NULL) {
		c->closing = !keep;
		conn_post(c->loop, c, true);
	} else if (!keep) {
		conn_close(c->loop, c);
	}
}

static void
accept_some(struct worker *w, struct loop *l0)
{
	struct mapd *m = w->m;
	struct loop *l;
	struct conn *c;
	int fd;

	for (;;) {
		pthread_mutex_lock(&m->mu);
		if (m->nconns >= m->max_conns) {
			/* Pause the listener; conn_close resumes it.
			 * Pending clients wait in the backlog. */
			if (ctl(l0->efd, EPOLL_CTL_MOD, m->lfd, &tag_listen,
				0) == 0)
				m->listen_armed = false;
			pthread_mutex_unlock(&m->mu);
			log_msg(LOG_WARNING, "map: %u connections, the maximum",
				m->max_conns);
			return;
		}
		pthread_mutex_unlock(&m->mu);
		fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_msg(LOG_WARNING, "map: accept: %s",
					strerror(errno));
				/* EMFILE and friends: back off a little
				 * instead of spinning. */
				struct timespec ts = {0, 100 * 1000 * 1000};

				nanosleep(&ts, NULL);
			}
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			return;
		}
		c->fd = fd;
		pthread_mutex_lock(&m->mu);
		m->nconns++;
		l = &m->loops[m->rr++ % m->nloops];
		pthread_mutex_unlock(&m->mu);
		c->loop = l;
		if (l == l0)
			conn_adopt(l, c);
		else
			conn_post(l, c, false);
	}
}

/* Run l until the stop, or until a spare took it while we blocked. */
static void
loop_run(struct worker *w, struct loop *l)
{
	struct mapd *m = w->m;
	struct epoll_event ev[MAPD_EVENTS];
	bool inbox;
	int i, n;

	w->loop = l;
	while (!atomic_load(&m->stop)) {
		n = epoll_wait(l->efd, ev, MAPD_EVENTS, MAPD_POLL_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "map: epoll_wait: %s",
				strerror(errno));
			break;
		}
		inbox = false;
		for (i = 0; i < n && w->loop != NULL; i++) {
			void *p = ev[i].data.ptr;
			struct conn *c = p;

			if (p == l) {
				/* last: it may close a conn of this batch */
				inbox = true;
			} else if (p == &tag_listen) {
				accept_some(w, l);
			} else if (c->busy) {
				/* another thread holds it: quiet until
				 * it is given back */
				if (ctl(l->efd, EPOLL_CTL_MOD, c->fd, c, 0) ==
				    0)
					c->muted = true;
			} else {
				conn_serve(w, c);
			}
		}
		if (w->loop == NULL)
			return; /* the rest is reported to the new runner */
		if (inbox)
			loop_inbox(l);
	}
	w->loop = NULL;
}

/* A spare: wait for a loop whose runner blocked, or the stop. */
static struct loop *
orphan_take(struct mapd *m)
{
	struct loop *l = NULL;

	pthread_mutex_lock(&m->mu);
	while (!atomic_load(&m->stop) && m->norphans == 0)
		pthread_cond_wait(&m->cv, &m->mu);
	if (!atomic_load(&m->stop))
		l = m->orphans[--m->norphans];
	pthread_mutex_unlock(&m->mu);
	if (l != NULL)
		atomic_store(&l->busy_since, 0);
	return l;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct loop *l = w->first;

	while (!atomic_load(&w->m->stop)) {
		if (l == NULL)
			l = orphan_take(w->m);
		if (l == NULL)
			break;
		loop_run(w, l);
		l = NULL;
	}
	return NULL;
}

/* Hands a loop whose runner has blocked too long to a spare. */
static void *
monitor_main(void *arg)
{
	struct mapd *m = arg;
	struct timespec tick = {0, MAPD_TICK_MS * 1000 * 1000};
	uint_fast64_t s;
	uint64_t now;
	unsigned i, idle = 0;

	while (!atomic_load(&m->stop)) {
		if (atomic_load(&m->nbusy) != 0) {
			idle = 0;
		} else if (++idle >= MAPD_IDLE_TICKS) {
			pthread_mutex_lock(&m->mon_mu);
			atomic_store(&m->mon_idle, true);
			while (atomic_load(&m->nbusy) == 0 &&
			       !atomic_load(&m->stop))
				pthread_cond_wait(&m->mon_cv, &m->mon_mu);
			atomic_store(&m->mon_idle, false);
			pthread_mutex_unlock(&m->mon_mu);
			idle = 0;
		}
		nanosleep(&tick, NULL);
		now = now_ns();
		for (i = 0; i < m->nloops; i++) {
			struct loop *l = &m->loops[i];

			s = atomic_load(&l->busy_since);
			if (s <= BUSY_STOLEN || now - s < MAPD_STALL_NS ||
			    !atomic_compare_exchange_strong(&l->busy_since, &s,
							    BUSY_STOLEN))
				continue;
			atomic_fetch_sub(&m->nbusy, 1);
			pthread_mutex_lock(&m->mu);
			m->orphans[m->norphans++] = l;
			pthread_cond_signal(&m->cv);
			pthread_mutex_unlock(&m->mu);
		}
	}
	return NULL;
}

/* Loops to run: one per usable cpu, at most MAPD_MAX_LOOPS. */
static unsigned
loop_count(void)
{
	cpu_set_t set;
	int n = 1;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return n > MAPD_MAX_LOOPS ? MAPD_MAX_LOOPS : (unsigned)n;
}

int
mapd_start(struct mapd *m, struct sts_engine *e, char *why, size_t whylen)
{
	unsigned i;
	int rc;

	m->engine = e;
	m->nloops = loop_count();
	for (i = 0; i < m->nloops; i++) {
		struct loop *l = &m->loops[i];

		l->efd = epoll_create1(EPOLL_CLOEXEC);
		l->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (l->efd < 0 || l->evfd < 0) {
			sts_why(why, whylen, STS_TEMPFAIL, "epoll: %s",
				strerror(errno));
			return -1;
		}
		/* Level-triggered: once written at stop, it stays set. */
		if (ctl(l->efd, EPOLL_CTL_ADD, l->evfd, l, EPOLLIN) != 0) {
			sts_why(why, whylen, STS_TEMPFAIL, "epoll_ctl: %s",
				strerror(errno));
			return -1;
		}
	}
	if (ctl(m->loops[0].efd, EPOLL_CTL_ADD, m->lfd, &tag_listen, EPOLLIN) !=
	    0) {
		sts_why(why, whylen, STS_TEMPFAIL, "epoll_ctl: %s",
			strerror(errno));
		return -1;
	}
	m->listen_armed = true;
	for (i = 0; i < MAPD_THREADS; i++) {
		m->workers[i] = calloc(1, sizeof(struct worker));
		if (m->workers[i] == NULL) {
			sts_why(why, whylen, STS_NOMEM, "out of memory");
			return -1;
		}
		m->workers[i]->m = m;
		m->workers[i]->first = i < m->nloops ? &m->loops[i] : NULL;
		rc = pthread_create(&m->workers[i]->tid, NULL, worker_main,
				    m->workers[i]);
		if (rc != 0) {
			sts_why(why, whylen, STS_TEMPFAIL, "pthread_create: %s",
				strerror(rc));
			return -1;
		}
		m->workers[i]->started = true;
	}
	rc = pthread_create(&m->mon, NULL, monitor_main, m);
	if (rc != 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "pthread_create: %s",
			strerror(rc));
		return -1;
	}
	m->mon_started = true;
	return 0;
}

void
mapd_free(struct mapd *m)
{
	struct conn *c, *next;
	uint64_t one = 1;
	unsigned i;

	if (m == NULL)
		return;
	atomic_store(&m->stop, true);
	pthread_mutex_lock(&m->mu);
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_lock(&m->mon_mu);
	pthread_cond_broadcast(&m->mon_cv);
	pthread_mutex_unlock(&m->mon_mu);
	for (i = 0; i < MAPD_MAX_LOOPS; i++)
		if (m->loops[i].evfd >= 0 &&
		    write(m->loops[i].evfd, &one, sizeof(one)) < 0)
			log_msg(LOG_WARNING, "map: wake: %s", strerror(errno));
	for (i = 0; i < MAPD_THREADS; i++) {
		if (m->workers[i] != NULL && m->workers[i]->started)
			pthread_join(m->workers[i]->tid, NULL);
		free(m->workers[i]);
	}
	if (m->mon_started)
		pthread_join(m->mon, NULL);
	/* No thread runs now: close what is left.  Given-back conns are
	 * still on their loop's list; new ones are only on newq. */
	for (i = 0; i < MAPD_MAX_LOOPS; i++) {
		struct loop *l = &m->loops[i];

		for (c = l->conns; c != NULL; c = next) {
			next = c->next;
			close(c->fd);
			free(c);
		}
		for (c = l->newq; c != NULL; c = next) {
			next = c->qnext;
			close(c->fd);
			free(c);
		}
		if (l->efd >= 0)
			close(l->efd);
		if (l->evfd >= 0)
			close(l->evfd);
		pthread_mutex_destroy(&l->mu);
	}
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->unix_path != NULL)
		unlink(m->unix_path);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->mon_cv);
	pthread_mutex_destroy(&m->mon_mu);
	if (m->nreq > 0)
		log_msg(LOG_INFO, "map: stopped after %llu requests",
			(unsigned long long)m->nreq);
	free(m->names);
	free(m->unix_path);
	free(m);
}
