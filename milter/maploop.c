/*
 * milter/maploop.c - the map server's epoll loops (see mapd.c and
 * mapd_int.h): accept with the connection limit, read, write without
 * waiting, deadlines, connections handed between threads.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "mapd_int.h"

/* A distinct address that tags the listener (in loops[0]). */
static char tag_listen;

int
maploop_ctl(int efd, int op, int fd, void *ptr, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = ptr;
	return epoll_ctl(efd, op, fd, &ev);
}

/* Under m->mu: true if this occurrence should be logged (the first in
 * MAPD_NOTE_NS); *count gets how many were not logged before it. */
static bool
note(struct note *n, uint64_t now, unsigned *count)
{
	n->count++;
	if (n->last != 0 && now - n->last < MAPD_NOTE_NS)
		return false;
	*count = n->count;
	n->count = 0;
	n->last = now;
	return true;
}

/* The loop's runner: drop c for good. */
static void
conn_close(struct loop *l, struct conn *c)
{
	struct mapd *m = l->m;

	epoll_ctl(l->efd, EPOLL_CTL_DEL, c->fd, NULL);
	conntab_remove(&l->tab, c);
	mapconn_free(c);
	pthread_mutex_lock(&m->mu);
	m->nconns--;
	pthread_mutex_unlock(&m->mu);
}

/* The loop's runner: watch c for what it needs now. */
static int
conn_arm(struct loop *l, struct conn *c)
{
	uint32_t want = mapconn_want(c);

	if (want == c->events)
		return 0;
	if (maploop_ctl(l->efd, EPOLL_CTL_MOD, c->fd, c, want) != 0)
		return -1;
	c->events = want;
	return 0;
}

/* Queue c on l (new or given back) and wake its runner. */
void
maploop_post(struct loop *l, struct conn *c, bool back)
{
	uint64_t one = 1;

	pthread_mutex_lock(&l->mu);
	if (back) {
		c->qnext = l->backq;
		l->backq = c;
	} else {
		c->qnext = NULL;
		if (l->newq_tail != NULL)
			l->newq_tail->qnext = c;
		else
			l->newq = c;
		l->newq_tail = c;
	}
	pthread_mutex_unlock(&l->mu);
	if (write(l->evfd, &one, sizeof(one)) < 0)
		log_msg(LOG_DEBUG, "map: wake: %s", strerror(errno));
}

/*
 * After mapconn_reply() gave r for c: 1 keep c, 0 close it.  A one-shot
 * connection whose reply is all sent lingers (mapconn_linger); one with
 * a rest unsent lingers once conn_write has sent it.  last: a
 * persistent connection closes after this reply (a bad request).
 */
int
maploop_replied(struct conn *c, int r, bool last)
{
	if (r < 0)
		return 0;
	if (!c->fr->one_shot)
		return last ? 0 : 1;
	return r == 1 || mapconn_linger(c, mapconn_now()) == 0;
}

/*
 * Answer the complete requests in c->buf, in order, while nothing is
 * unsent and c is not parked.  Returns 1 to keep c, 0 to close it.
 */
static int
conn_drain(struct worker *w, struct conn *c)
{
	const char *data;
	size_t dlen, used, n;
	char why[STS_WHY_MAX];
	enum sts_status st;
	bool fatal = false, queued;
	int r;

	/* w->loop == NULL: lost while blocked; the next runner goes on.
	 * A draining one-shot connection has had its one reply. */
	while (!c->busy && c->outlen == 0 && !c->draining && w->loop != NULL) {
		st = c->fr->next(c->buf, c->len, c->eof, &data, &dlen, &used,
				 why, sizeof(why));
		if (st == STS_TEMPFAIL)
			break;
		if (st != STS_OK) {
			n = c->fr->error(why, w->reply, sizeof(w->reply));
			c->fr->count(w->reply, n);
			r = mapconn_reply(c, w->reply, n, w->wire,
					  sizeof(w->wire), mapconn_now());
			log_msg(LOG_NOTICE, "%s: bad request: %s", c->fr->name,
				why);
			c->len = 0;
			c->in_since = 0;
			return maploop_replied(c, r, true);
		}
		queued = false;
		n = mapanswer_request(w, c, data, dlen, &fatal, &queued);
		/* mapanswer_request() copied what it needs out of c->buf */
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		c->in_since = 0;
		atomic_fetch_add(&w->m->nreq, 1);
		if (queued)
			break;
		c->fr->count(w->reply, n); /* issue 17 */
		r = mapconn_reply(c, w->reply, n, w->wire, sizeof(w->wire),
				  mapconn_now());
		if (maploop_replied(c, r, fatal) == 0)
			return 0;
	}
	if (c->len > 0 && c->in_since == 0)
		c->in_since = mapconn_now(); /* a request has begun */
	/* A valid prefix is never longer than the cap plus its header;
	 * the parser has refused anything longer, so this is defence. */
	return c->len < sizeof(c->buf);
}

/* If c completed a request since it had sent before replies, it moves
 * to the head of the activity order (conntab_victim, the idle clock).
 * Bytes of a request still incomplete are not activity: a client
 * trickling one byte at a time must not look like an active one.  Not
 * if the loop was lost meanwhile or c went to a lookup thread: the
 * runner touches c when it is given back. */
static void
conn_answered(struct worker *w, struct conn *c, uint64_t before)
{
	/* busy: handed to a lookup thread, which now owns its fields;
	 * it is touched when given back (loop_inbox) */
	if (w->loop != NULL && !c->busy && c->answered != before)
		conntab_touch(&c->loop->tab, c, mapconn_now());
}

/* After serving c: keep watching it, close it, or give it back if the
 * loop was lost while we were blocked on it. */
static void
conn_done(struct worker *w, struct conn *c, bool keep)
{
	if (w->loop == NULL) {
		c->closing = !keep;
		maploop_post(c->loop, c, true);
	} else if (!keep || conn_arm(c->loop, c) != 0) {
		conn_close(c->loop, c);
	}
}

/* The loop's runner: c is readable. */
static void
conn_serve(struct worker *w, struct conn *c)
{
	uint64_t before = c->answered;
	ssize_t r;
	bool keep;

	if (c->draining) {
		if (mapconn_drain(c) != 0)
			conn_close(c->loop, c);
		return;
	}
	do
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (r > 0) {
		c->len += (size_t)r;
		keep = conn_drain(w, c) != 0;
		if (keep)
			conn_answered(w, c, before);
	} else if (r == 0 && c->fr->one_shot && c->len > 0) {
		/* Exim's ${readsocket} shuts down its side after the
		 * request: its EOF ends the request. */
		c->eof = true;
		keep = conn_drain(w, c) != 0;
	} else {
		keep = false; /* EOF (maybe mid-request) or an error */
	}
	conn_done(w, c, keep);
}

/* The loop's runner: c is writable and has an unsent reply. */
static void
conn_write(struct worker *w, struct conn *c)
{
	uint64_t before = c->answered;
	int r = mapconn_flush(c, mapconn_now());
	bool keep;

	if (r == 1)
		return;
	if (r == 0 && !c->fr->one_shot) {
		keep = conn_drain(w, c) != 0;
		if (keep)
			conn_answered(w, c, before);
		conn_done(w, c, keep);
	} else if (r == 0 && mapconn_linger(c, mapconn_now()) == 0)
		conn_done(w, c, true);
	else
		conn_close(c->loop, c);
}

/* The loop's runner: start watching a new connection; if it came while
 * the server was full, drop another one (conntab_victim) for it, or this
 * one if all others are busy.  New connections are adopted in the order
 * they were accepted (newq is FIFO): a burst accepted in one pass is
 * queued before any of it is adopted, and adopting the newest first once
 * left the table holding only the older, established connections, so an
 * honest persistent client was closed while the flood that pushed the
 * count over the limit sat in the queue (seen in a Debian 13 package
 * build; t_hostile's burst case reproduces it). */
static void
conn_adopt(struct loop *l, struct conn *c)
{
	struct mapd *m = l->m;
	struct conn *victim;
	unsigned count;
	bool say;

	conntab_add(&l->tab, c);
	c->events = EPOLLIN;
	if (maploop_ctl(l->efd, EPOLL_CTL_ADD, c->fd, c, EPOLLIN) != 0) {
		conn_close(l, c);
		return;
	}
	if (!c->evict)
		return;
	c->evict = false;
	victim = conntab_victim(&l->tab, c);
	pthread_mutex_lock(&m->mu);
	say = note(victim != NULL ? &m->n_evict : &m->n_refuse, mapconn_now(),
		   &count);
	pthread_mutex_unlock(&m->mu);
	if (say)
		log_msg(LOG_WARNING,
			"%s: %u connections (the maximum): %s "
			"(%u times since the last such line)",
			m->fr->name, m->max_conns,
			victim != NULL ? "closed one for a new one (clients "
					 "answered before go last)"
				       : "all busy: refused a new one",
			count);
	conn_close(l, victim != NULL ? victim : c);
}

/* The loop's runner: take what was queued for it.  Stops early (and
 * leaves the rest queued for the next runner) if it loses the loop. */
static void
loop_inbox(struct worker *w, struct loop *l)
{
	struct conn *c;
	uint64_t cnt;

	if (read(l->evfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_msg(LOG_DEBUG, "map: eventfd: %s", strerror(errno));
	for (;;) {
		bool back = true;

		pthread_mutex_lock(&l->mu);
		c = l->backq;
		if (c != NULL) {
			l->backq = c->qnext;
		} else {
			c = l->newq;
			back = false;
			if (c != NULL)
				l->newq = c->qnext;
			if (l->newq == NULL)
				l->newq_tail = NULL;
		}
		pthread_mutex_unlock(&l->mu);
		if (c == NULL)
			return;
		if (!back) {
			conn_adopt(l, c);
			continue;
		}
		c->busy = false;
		if (c->linger_due) {
			c->linger_due = false;
			c->closing = mapconn_linger(c, mapconn_now()) != 0;
		}
		if (c->closing) {
			conn_close(l, c);
			continue;
		}
		/* It was held for a request (now answered, or being
		 * answered); more may have piled up meanwhile. */
		conntab_touch(&l->tab, c, mapconn_now());
		conn_done(w, c, conn_drain(w, c) != 0);
		if (w->loop == NULL) {
			/* the rest is for the new runner: wake it */
			cnt = 1;
			if (write(l->evfd, &cnt, sizeof(cnt)) < 0)
				log_msg(LOG_DEBUG, "map: wake: %s",
					strerror(errno));
			return;
		}
	}
}

/* accept() failed (EMFILE and friends): stop listening for a moment
 * instead of spinning, and say so once per MAPD_NOTE_NS with a count. */
static void
accept_trouble(struct mapd *m, struct loop *l0, int err)
{
	uint64_t now = mapconn_now();
	unsigned count;
	bool say;

	if (maploop_ctl(l0->efd, EPOLL_CTL_MOD, m->lfd, &tag_listen, 0) == 0) {
		m->listen_armed = false;
		m->accept_resume = now + MAPD_ACCEPT_PAUSE_MS * MS;
	}
	pthread_mutex_lock(&m->mu);
	say = note(&m->n_accept, now, &count);
	pthread_mutex_unlock(&m->mu);
	if (say)
		log_msg(LOG_WARNING,
			"map: accept: %s: new connections wait %d ms (%u "
			"errors since the last such line)",
			strerror(err), MAPD_ACCEPT_PAUSE_MS, count);
}

static void
accept_some(struct worker *w, struct loop *l0)
{
	struct mapd *m = w->m;
	struct loop *l;
	struct conn *c;
	bool full;
	int fd;

	for (;;) {
		fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				accept_trouble(m, l0, errno);
			return;
		}
		c = mapconn_new(fd, m->fr);
		if (c == NULL) {
			close(fd);
			accept_trouble(m, l0, ENOMEM);
			return;
		}
		pthread_mutex_lock(&m->mu);
		full = m->nconns >= m->max_conns;
		m->nconns++;
		l = &m->loops[m->rr++ % m->nloops];
		pthread_mutex_unlock(&m->mu);
		c->loop = l;
		c->evict = full;
		/* Even for our own loop: adopting may close another
		 * connection (c->evict), which must not happen while this
		 * batch of events may still name it. */
		maploop_post(l, c, false);
	}
}

/* The loop's runner: close what is past its deadline; take new
 * connections again after an accept pause. */
static void
loop_tick(struct loop *l, uint64_t now)
{
	struct mapd *m = l->m;
	const char *why = "";
	struct conn *c;

	if (l == &m->loops[0] && !m->listen_armed && now >= m->accept_resume &&
	    maploop_ctl(l->efd, EPOLL_CTL_MOD, m->lfd, &tag_listen, EPOLLIN) ==
		    0)
		m->listen_armed = true;
	if (now - l->last_sweep < m->sweep_ns)
		return;
	l->last_sweep = now;
	while ((c = conntab_expired(&l->tab, now, &m->lim, &why)) != NULL) {
		log_msg(LOG_INFO, "%s: closed a connection: %s", m->fr->name,
			why);
		conn_close(l, c);
	}
}

/* Run l until the stop, or until a spare took it while we blocked. */
void
maploop_run(struct worker *w, struct loop *l)
{
	struct mapd *m = w->m;
	struct epoll_event ev[MAPD_EVENTS];
	bool inbox;
	int i, n, tmo;

	w->loop = l;
	while (!atomic_load(&m->stop)) {
		tmo = (int)(m->sweep_ns / MS);
		if (l == &m->loops[0] && !m->listen_armed)
			tmo = MAPD_ACCEPT_PAUSE_MS;
		n = epoll_wait(l->efd, ev, MAPD_EVENTS, tmo);
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
				if (c->events != 0 &&
				    maploop_ctl(l->efd, EPOLL_CTL_MOD, c->fd, c,
						0) == 0)
					c->events = 0;
			} else if (c->outlen > 0) {
				conn_write(w, c);
			} else {
				conn_serve(w, c);
			}
		}
		if (w->loop == NULL)
			return; /* the rest is reported to the new runner */
		if (inbox)
			loop_inbox(w, l);
		if (w->loop == NULL)
			return;
		loop_tick(l, mapconn_now());
	}
	w->loop = NULL;
}

int
maploop_listen(struct mapd *m)
{
	if (maploop_ctl(m->loops[0].efd, EPOLL_CTL_ADD, m->lfd, &tag_listen,
			EPOLLIN) != 0)
		return -1;
	m->listen_armed = true;
	return 0;
}
