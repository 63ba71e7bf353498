/*
 * milter/mapd.c - the socketmap policy server (issue [socketmap]).
 *
 * Shape: one epoll set holds the listening socket, every client
 * connection and a wake-up eventfd; a fixed pool of MAPD_THREADS
 * threads waits on it.  Each Postfix smtp(8) process keeps one
 * persistent connection that is idle most of the time, so an idle
 * connection costs one struct conn (about 1.2 KiB) and no thread.
 * Connections and the listener are registered EPOLLONESHOT: exactly one
 * thread owns a readable connection until it re-arms it, so a
 * connection needs no lock, and requests on one connection are answered
 * in order (lock-step, pipelined input included).  A lookup may block
 * up to deadline_ms inside the engine; it then holds one pool thread,
 * never the others.
 *
 * Requests are netstrings `NAME KEY` (lib/sts_netstring.h), at most
 * STS_MAX_MAP_REQUEST bytes; anything malformed or oversize gets one
 * "PERM reason" reply and the connection is closed.  Answers come from
 * lib/sts_mapreply.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "sts_mapreply.h"
#include "sts_netstring.h"
#include "sts_status.h"

#define MAPD_THREADS 8
#define MAPD_DEFAULT_DEADLINE 3000 /* ms; sendmail's map times out at 5 s */
#define MAPD_DEFAULT_CONNS 1024
#define MAPD_SEND_TIMEOUT 10000 /* ms for a peer to take a reply */
#define MAPD_BURST 64		/* requests before yielding a conn */
#define MAPD_POLL_MS 1000	/* stop check, should a wake-up be lost */
#define MAPD_INBUF (STS_MAX_MAP_REQUEST + 16)

struct conn {
	int fd;
	/* Ownership passes from thread to thread through EPOLLONESHOT
	 * re-arming, which the kernel orders; ThreadSanitizer does not model
	 * epoll_ctl(EPOLL_CTL_MOD), so the owner also holds this
	 * (uncontended) lock until it has re-armed, which makes the
	 * hand-off visible to it and to the compiler alike. */
	pthread_mutex_t mu;
	size_t len; /* bytes in buf */
	struct conn *prev, *next;
	char buf[MAPD_INBUF];
};

/* Per-thread scratch: one reply payload and its netstring. */
struct worker {
	struct mapd *m;
	pthread_t tid;
	bool started;
	char name[STS_MAX_MAP_NAME + 1];
	char key[STS_MAX_DOMAIN_INPUT + 1];
	char reply[STS_MAX_MAP_REPLY + 1];
	char wire[STS_MAX_MAP_REPLY + 16];
};

struct mapd {
	int lfd, efd, wakefd;
	char *names;	 /* " name1 name2 " or NULL = any */
	char *unix_path; /* unlinked at free */
	struct sts_mapreply_opts opts;
	unsigned deadline_ms, max_conns;
	struct sts_engine *engine;
	atomic_bool stop;
	struct worker *workers[MAPD_THREADS];
	/* mu guards the connection list, the count and listener arming. */
	pthread_mutex_t mu;
	struct conn *conns;
	unsigned nconns;
	bool listen_armed;
	atomic_uint_fast64_t nreq;
};

/* Distinct addresses that tag the listener and the wake-up fd. */
static char tag_listen, tag_wake;

static int
arm(struct mapd *m, int fd, void *ptr, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.ptr = ptr;
	return epoll_ctl(m->efd, op, fd, &ev);
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
	m->lfd = m->efd = m->wakefd = -1;
	pthread_mutex_init(&m->mu, NULL);
	m->deadline_ms =
		c->deadline_ms ? c->deadline_ms : MAPD_DEFAULT_DEADLINE;
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
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w > 0) {
			buf += w;
			len -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			if (poll(&p, 1, MAPD_SEND_TIMEOUT) <= 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

static int
send_reply(struct worker *w, int fd, size_t len)
{
	size_t n =
		sts_netstring_format(w->reply, len, w->wire, sizeof(w->wire));

	if (n > sizeof(w->wire))
		return -1;
	return send_all(fd, w->wire, n);
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
answer(struct worker *w, const char *data, size_t len, bool *fatal)
{
	struct mapd *m = w->m;
	struct sts_lookup lk;
	char why[STS_WHY_MAX];
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
	if (sts_mapreply_key(w->key, why, sizeof(why)) != STS_OK) {
		log_msg(LOG_DEBUG, "map=%s key=%s reply=NOTFOUND why=\"%s\"",
			w->name, w->key, why);
		return sts_mapreply_error("NOTFOUND", "", w->reply,
					  sizeof(w->reply));
	}
	memset(&lk, 0, sizeof(lk));
	sts_engine_lookup(m->engine, w->key, m->deadline_ms, &lk);
	n = sts_mapreply_format(&lk, &m->opts, w->reply, sizeof(w->reply));
	if (n >= sizeof(w->reply))
		n = sts_mapreply_error("TEMP", "reply too large", w->reply,
				       sizeof(w->reply));
	log_msg(LOG_DEBUG, "map=%s key=%s status=%s reply=\"%.80s\" why=\"%s\"",
		w->name, w->key, sts_status_str(lk.status), w->reply, lk.why);
	sts_policy_free(lk.policy);
	return n;
}

static void
conn_close(struct mapd *m, struct conn *c)
{
	epoll_ctl(m->efd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	pthread_mutex_lock(&m->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	m->nconns--;
	if (!m->listen_armed && !atomic_load(&m->stop)) {
		/* We were full: take new connections again. */
		if (arm(m, m->lfd, &tag_listen, EPOLL_CTL_MOD) == 0)
			m->listen_armed = true;
	}
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/*
 * Answer every complete request in c->buf.  Returns 1 to keep the
 * connection, 0 to close it.
 */
static int
conn_drain(struct worker *w, struct conn *c, unsigned *burst)
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
			send_reply(w, c->fd, n);
			log_msg(LOG_NOTICE, "map: bad request: %s", why);
			return 0;
		}
		n = answer(w, data, dlen, &fatal);
		atomic_fetch_add(&w->m->nreq, 1);
		if (send_reply(w, c->fd, n) != 0 || fatal)
			return 0;
		off += used;
		(*burst)++;
	}
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	/* A valid prefix is never longer than the cap plus its header;
	 * the parser has refused anything longer, so this is defence. */
	return c->len < sizeof(c->buf);
}

static void
conn_serve(struct worker *w, struct conn *c)
{
	struct mapd *m = w->m;
	unsigned burst = 0;
	ssize_t r;

	pthread_mutex_lock(&c->mu);
	while (burst < MAPD_BURST && !atomic_load(&m->stop)) {
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r > 0) {
			c->len += (size_t)r;
			if (!conn_drain(w, c, &burst)) {
				goto close;
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* EOF (maybe mid-request) or an error: just close. */
		goto close;
	}
	if (arm(m, c->fd, c, EPOLL_CTL_MOD) == 0) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
close:
	/* Not armed: no other thread can reach c now. */
	pthread_mutex_unlock(&c->mu);
	conn_close(m, c);
}

static void
accept_some(struct mapd *m)
{
	struct conn *c;
	int fd;

	for (;;) {
		pthread_mutex_lock(&m->mu);
		if (m->nconns >= m->max_conns) {
			/* Leave the listener disarmed; conn_close re-arms
			 * it.  Pending clients wait in the backlog. */
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
			break;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			break;
		}
		c->fd = fd;
		pthread_mutex_init(&c->mu, NULL);
		pthread_mutex_lock(&m->mu);
		c->next = m->conns;
		if (m->conns != NULL)
			m->conns->prev = c;
		m->conns = c;
		m->nconns++;
		pthread_mutex_unlock(&m->mu);
		if (arm(m, fd, c, EPOLL_CTL_ADD) != 0)
			conn_close(m, c);
	}
	pthread_mutex_lock(&m->mu);
	if (arm(m, m->lfd, &tag_listen, EPOLL_CTL_MOD) == 0)
		m->listen_armed = true;
	pthread_mutex_unlock(&m->mu);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct mapd *m = w->m;
	struct epoll_event ev;
	int n;

	while (!atomic_load(&m->stop)) {
		n = epoll_wait(m->efd, &ev, 1, MAPD_POLL_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "map: epoll_wait: %s",
				strerror(errno));
			break;
		}
		if (n == 0)
			continue; /* the loop test sees stop */
		if (ev.data.ptr == &tag_wake) {
			/* epoll wakes one waiter per write: pass it on so
			 * that every thread hears about the stop. */
			uint64_t one = 1;

			if (write(m->wakefd, &one, sizeof(one)) < 0)
				log_msg(LOG_DEBUG, "map: wake: %s",
					strerror(errno));
			continue;
		}
		if (ev.data.ptr == &tag_listen)
			accept_some(m);
		else
			conn_serve(w, ev.data.ptr);
	}
	return NULL;
}

int
mapd_start(struct mapd *m, struct sts_engine *e, char *why, size_t whylen)
{
	struct epoll_event ev;
	int i, rc;

	m->engine = e;
	m->efd = epoll_create1(EPOLL_CLOEXEC);
	m->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->efd < 0 || m->wakefd < 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "epoll: %s",
			strerror(errno));
		return -1;
	}
	/* Level-triggered: once written at stop, it wakes every thread. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &tag_wake;
	if (epoll_ctl(m->efd, EPOLL_CTL_ADD, m->wakefd, &ev) != 0 ||
	    arm(m, m->lfd, &tag_listen, EPOLL_CTL_ADD) != 0) {
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
		rc = pthread_create(&m->workers[i]->tid, NULL, worker_main,
				    m->workers[i]);
		if (rc != 0) {
			sts_why(why, whylen, STS_TEMPFAIL, "pthread_create: %s",
				strerror(rc));
			return -1;
		}
		m->workers[i]->started = true;
	}
	return 0;
}

void
mapd_free(struct mapd *m)
{
	struct conn *c, *next;
	uint64_t one = 1;
	int i;

	if (m == NULL)
		return;
	atomic_store(&m->stop, true);
	if (m->wakefd >= 0 && write(m->wakefd, &one, sizeof(one)) < 0)
		log_msg(LOG_WARNING, "map: wake: %s", strerror(errno));
	for (i = 0; i < MAPD_THREADS; i++) {
		if (m->workers[i] != NULL && m->workers[i]->started)
			pthread_join(m->workers[i]->tid, NULL);
		free(m->workers[i]);
	}
	/* No thread runs now: close what is left. */
	for (c = m->conns; c != NULL; c = next) {
		next = c->next;
		close(c->fd);
		pthread_mutex_destroy(&c->mu);
		free(c);
	}
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->unix_path != NULL)
		unlink(m->unix_path);
	if (m->efd >= 0)
		close(m->efd);
	if (m->wakefd >= 0)
		close(m->wakefd);
	pthread_mutex_destroy(&m->mu);
	if (m->nreq > 0)
		log_msg(LOG_INFO, "map: stopped after %llu requests",
			(unsigned long long)m->nreq);
	free(m->names);
	free(m->unix_path);
	free(m);
}
