/*
 * milter/lined.c - the Exim listener (see lined.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "eximq.h"
#include "lined.h"
#include "log.h"
#include "sockspec.h"
#include "sts_limits.h"
#include "sts_line.h"
#include "sts_status.h"

#define LINED_STACK (256 * 1024)
#define LINED_INBUF (STS_MAX_LINE_REQUEST + 3)
#define LINED_DRAIN_MAX (1024 * 1024) /* dropped after a reply, at most */

struct lined {
	int lfd;
	int stop_pipe[2]; /* written once at stop: wakes every poll() */
	char *unix_path;
	unsigned max_conns, timeout_ms;
	struct sts_engine *engine;
	pthread_t acceptor;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* nconns reached 0 */
	unsigned nconns;
	atomic_uint_fast64_t nreq, nbusy;
};

struct lconn {
	struct lined *l;
	int fd;
	size_t len;
	char in[LINED_INBUF];
	char out[STS_MAX_LINE_REPLY + 1];
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline, or the stop.  1 ready,
 * 0 timed out or stopping, -1 error. */
static int
await(struct lined *l, int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {
			{.fd = fd, .events = events},
			{.fd = l->stop_pipe[0], .events = POLLIN}};
		uint64_t now = now_ms();
		int r;

		if (now >= deadline)
			return 0;
		r = poll(p, 2,
			 deadline == UINT64_MAX ? -1 : (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (p[1].revents != 0)
			return 0;
		if (r > 0)
			return 1;
	}
}

static void
send_all(struct lined *l, int fd, const char *buf, size_t len,
	 uint64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (await(l, fd, POLLOUT, deadline) != 1)
				return;
		} else {
			return;
		}
	}
}

/*
 * Read one request: until its "\n", EOF (readsocket shuts down its
 * write side after the request), the cap, or the deadline.  Returns the
 * request length, -1 for "too long", -2 for "timed out or stopping",
 * -3 for an error or nothing at all.
 */
static long
read_request(struct lconn *c, uint64_t deadline)
{
	for (;;) {
		long end = sts_line_frame(c->in, c->len);
		ssize_t r;

		/* What came with the line is part of the request: a second
		 * line there is refused by the parser, not ignored. */
		if (end > 0)
			return (long)c->len;
		if (end < 0)
			return end;
		r = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, 0);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r == 0)
			return c->len > 0 ? (long)c->len : -3;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -3;
		if (await(c->l, c->fd, POLLIN, deadline) != 1)
			return -2;
	}
}

/*
 * Close without losing the reply: closing a socket with unread input
 * makes the kernel send a RST, which can destroy the reply before the
 * client reads it (a request over the cap, a second line).  So: FIN
 * first, then read and drop until the client's EOF, the deadline or
 * LINED_DRAIN_MAX bytes.  A client that shut its side down already (as
 * readsocket does) is at EOF at once.
 */
static void
linger_close(struct lconn *c, uint64_t deadline)
{
	size_t total = 0;

	shutdown(c->fd, SHUT_WR);
	while (total < LINED_DRAIN_MAX) {
		ssize_t r = recv(c->fd, c->in, sizeof(c->in), 0);

		if (r > 0) {
			total += (size_t)r;
			continue;
		}
		if (r == 0 ||
		    (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
			break;
		if (errno != EINTR && await(c->l, c->fd, POLLIN, deadline) != 1)
			break;
	}
	close(c->fd);
}

static void
conn_done(struct lined *l)
{
	pthread_mutex_lock(&l->mu);
	if (--l->nconns == 0)
		pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static void *
conn_main(void *arg)
{
	struct lconn *c = arg;
	struct lined *l = c->l;
	uint64_t deadline = now_ms() + l->timeout_ms;
	long n = read_request(c, deadline);
	size_t out = 0;

	if (n >= 0) {
		out = eximq_answer(l->engine, c->in, (size_t)n, c->out,
				   sizeof(c->out));
		atomic_fetch_add(&l->nreq, 1);
	} else if (n == -1) {
		out = sts_line_format_error("request too long", c->out,
					    sizeof(c->out));
		log_msg(LOG_NOTICE, "exim: request longer than %d bytes",
			STS_MAX_LINE_REQUEST);
	} else if (n == -2) {
		log_msg(LOG_NOTICE, "exim: no complete request within %u ms",
			l->timeout_ms);
	}
	if (out > 0 && out < sizeof(c->out))
		send_all(l, c->fd, c->out, out, now_ms() + l->timeout_ms);
	linger_close(c, now_ms() + l->timeout_ms);
	free(c);
	conn_done(l);
	return NULL;
}

/* Full: say so at once (never blocks: one small send on a fresh
 * socket) and close. */
static void
refuse(int fd)
{
	static const char busy[] = "action=error why=\"busy\"\n";
	ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);

	(void)n;
	close(fd);
}

static void *
acceptor_main(void *arg)
{
	struct lined *l = arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, LINED_STACK);
	for (;;) {
		struct lconn *c;
		pthread_t t;
		int fd, r;

		r = await(l, l->lfd, POLLIN, UINT64_MAX);
		if (r == 0)
			break; /* stop */
		fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED) {
				struct timespec ts = {0, 100 * 1000 * 1000};

				log_msg(LOG_WARNING, "exim: accept: %s",
					strerror(errno));
				nanosleep(&ts, NULL); /* EMFILE: no spin */
			}
			continue;
		}
		pthread_mutex_lock(&l->mu);
		if (l->nconns >= l->max_conns) {
			pthread_mutex_unlock(&l->mu);
			if (atomic_fetch_add(&l->nbusy, 1) % 1000 == 0)
				log_msg(LOG_WARNING,
					"exim: %u connections, the maximum: "
					"answering busy",
					l->max_conns);
			refuse(fd);
			continue;
		}
		l->nconns++;
		pthread_mutex_unlock(&l->mu);
		c = malloc(sizeof(*c));
		if (c != NULL) {
			c->l = l;
			c->fd = fd;
			c->len = 0;
		}
		if (c == NULL || pthread_create(&t, &attr, conn_main, c) != 0) {
			free(c);
			refuse(fd);
			conn_done(l);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

struct lined *
lined_new(const struct lined_conf *c, char *why, size_t whylen)
{
	struct lined *l = calloc(1, sizeof(*l));
	int fl;

	if (l == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return NULL;
	}
	l->lfd = l->stop_pipe[0] = l->stop_pipe[1] = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->max_conns = c->max_conns ? c->max_conns : LINED_DEFAULT_CONNS;
	l->timeout_ms =
		c->read_timeout_ms ? c->read_timeout_ms : LINED_DEFAULT_TIMEOUT;
	if (pipe2(l->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "pipe: %s", strerror(errno));
		goto bad;
	}
	if (strncmp(c->socket, "unix:", 5) == 0 ||
	    strncmp(c->socket, "local:", 6) == 0) {
		l->unix_path = strdup(strchr(c->socket, ':') + 1);
		if (l->unix_path == NULL) {
			sts_why(why, whylen, STS_NOMEM, "out of memory");
			goto bad;
		}
	}
	l->lfd = sockspec_listen(c->socket, c->unix_mode, why, whylen);
	if (l->lfd < 0) {
		free(l->unix_path);
		l->unix_path = NULL; /* not ours: never unlink it */
		goto bad;
	}
	fl = fcntl(l->lfd, F_GETFL);
	if (fl < 0 || fcntl(l->lfd, F_SETFL, fl | O_NONBLOCK) < 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "fcntl: %s",
			strerror(errno));
		goto bad;
	}
	return l;
bad:
	lined_free(l);
	return NULL;
}

int
lined_start(struct lined *l, struct sts_engine *e, char *why, size_t whylen)
{
	int rc;

	l->engine = e;
	rc = pthread_create(&l->acceptor, NULL, acceptor_main, l);
	if (rc != 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "pthread_create: %s",
			strerror(rc));
		return -1;
	}
	l->started = true;
	return 0;
}

void
lined_free(struct lined *l)
{
	if (l == NULL)
		return;
	if (l->stop_pipe[1] >= 0 && write(l->stop_pipe[1], "x", 1) < 0)
		log_msg(LOG_WARNING, "exim: stop: %s", strerror(errno));
	if (l->started)
		pthread_join(l->acceptor, NULL);
	/* Connection threads see the stop in their next poll(); one in a
	 * lookup returns within the lookup deadline. */
	pthread_mutex_lock(&l->mu);
	while (l->nconns > 0)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
	if (l->lfd >= 0)
		close(l->lfd);
	if (l->unix_path != NULL)
		unlink(l->unix_path);
	if (l->stop_pipe[0] >= 0)
		close(l->stop_pipe[0]);
	if (l->stop_pipe[1] >= 0)
		close(l->stop_pipe[1]);
	if (l->nreq > 0)
		log_msg(LOG_INFO, "exim: stopped after %llu requests",
			(unsigned long long)l->nreq);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l->unix_path);
	free(l);
}
