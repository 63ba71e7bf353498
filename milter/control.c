/*
 * milter/control.c - the control socket's server (control.h).  The
 * commands themselves are control_cmd.c; this file is the plumbing:
 * accept thread, connection threads, bounded line reads with timeouts.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "control_int.h"
#include "log.h"
#include "metrics.h"
#include "sockspec.h"

struct control {
	int fd;
	char *path;
	struct sts_engine *e;
	pthread_t acc;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned active;
	volatile int stop;
};

struct control *
control_new(const char *spec, int drop, uid_t uid, gid_t gid, char *why,
	    size_t whylen)
{
	struct control *c;

	if (strncmp(spec, "unix:", 5) != 0 || spec[5] != '/') {
		snprintf(why, whylen, "only unix:/path is allowed");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(spec + 5)) == NULL) {
		free(c);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	c->fd = sockspec_listen(spec, 0660, why, whylen);
	if (c->fd < 0) {
		free(c->path);
		free(c);
		return NULL;
	}
	/* 0660 whatever the umask: root and the daemon's group only */
	if (chmod(c->path, 0660) != 0)
		log_msg(LOG_WARNING, "chmod %s: %s", c->path, strerror(errno));
	if (drop && chown(c->path, uid, gid) != 0)
		log_msg(LOG_WARNING, "chown %s: %s", c->path, strerror(errno));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->idle, NULL);
	return c;
}

/* --- I/O for the command code (control_int.h) ------------------------ */

int
ctl_write(struct ctl_conn *k, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0 && !k->dead) {
		w = send(k->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			k->dead = true; /* gone, or SO_SNDTIMEO passed */
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return k->dead ? -1 : 0;
}

int
ctl_printf(struct ctl_conn *k, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	return ctl_write(k, buf, (size_t)n);
}

static int
ms_left(const struct timespec *dl)
{
	struct timespec t;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long long)(dl->tv_sec - t.tv_sec) * 1000 +
	     (dl->tv_nsec - t.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* Before closing: say we are done (SHUT_WR) and read away what the
 * client still sends, for at most max_ms and 1 MiB, so that our last
 * line reaches it (closing with unread input makes the kernel reset the
 * connection, and the client may never see the reply). */
static void
drain(int fd, int max_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct timespec dl;
	char junk[4096];
	size_t got = 0;
	ssize_t r;
	int left;

	(void)shutdown(fd, SHUT_WR);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += (long)max_ms * 1000000L;
	dl.tv_sec += dl.tv_nsec / 1000000000L;
	dl.tv_nsec %= 1000000000L;
	while (got < (1u << 20)) {
		left = ms_left(&dl);
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		r = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
}

/* One line into k->line (no line end); 1 a line, 0 end of input, -1 a
 * timeout, an error or an overlong line (*why says). */
int
ctl_read_line(struct ctl_conn *k, size_t *len, const char **why)
{
	struct pollfd p = {.fd = k->fd, .events = POLLIN};
	struct timespec dl;
	char *nl;
	ssize_t r;
	size_t n, used;
	int left;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += CONTROL_TIMEOUT_S;

	for (;;) {
		nl = memchr(k->buf, '\n', k->have);
		if (nl != NULL) {
			n = (size_t)(nl - k->buf);
			memcpy(k->line, k->buf, n);
			k->line[n] = '\0';
			if (n > 0 && k->line[n - 1] == '\r')
				k->line[--n] = '\0';
			used = (size_t)(nl + 1 - k->buf);
			memmove(k->buf, nl + 1, k->have - used);
			k->have -= used;
			*len = n;
			return 1;
		}
		if (k->have == sizeof(k->buf)) {
			*why = "line longer than the cap of " CTL_LINE_S
			       " bytes";
			return -1;
		}
		if (k->stop != NULL && *k->stop) {
			*why = "the daemon is stopping";
			return -1;
		}
		/* the whole line within CONTROL_TIMEOUT_S, not each byte:
		 * a client trickling one byte at a time is dropped too */
		left = ms_left(&dl);
		if (left <= 0 || poll(&p, 1, left) == 0) {
			*why = "timeout: the client was too slow";
			return -1;
		}
		r = recv(k->fd, k->buf + k->have, sizeof(k->buf) - k->have,
			 MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = errno == EAGAIN || errno == EWOULDBLOCK
				       ? "timeout: the client was too slow"
				       : "read error";
			return -1;
		}
		if (r == 0) {
			if (k->have == 0)
				return 0;
			*why = "no line end before the end of input";
			return -1;
		}
		k->have += (size_t)r;
	}
}

/* --- threads ------------------------------------------------------------ */

struct job {
	struct control *c;
	int fd;
};

static void *
conn_main(void *arg)
{
	struct job *j = arg;
	struct control *c = j->c;
	struct ctl_conn *k = calloc(1, sizeof(*k));
	struct timeval tv = {CONTROL_TIMEOUT_S, 0};

	(void)setsockopt(j->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (k != NULL) {
		k->fd = j->fd;
		k->e = c->e;
		k->stop = &c->stop;
		ctl_serve(k);
	}
	free(k);
	drain(j->fd, 1000);
	close(j->fd);
	free(j);
	pthread_mutex_lock(&c->lock);
	c->active--;
	pthread_cond_broadcast(&c->idle);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void *
accept_main(void *arg)
{
	struct control *c = arg;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	pthread_attr_t at;
	struct job *j;
	pthread_t t;
	bool go;
	int fd;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	while (!c->stop) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&c->lock);
		go = c->active < CONTROL_MAX_CONNS;
		if (go)
			c->active++;
		pthread_mutex_unlock(&c->lock);
		if (!go) {
			static const char busy[] =
				"ERR busy: too many control connections\n";

			metrics_admin("error");
			(void)send(fd, busy, sizeof(busy) - 1,
				   MSG_NOSIGNAL | MSG_DONTWAIT);
			drain(fd, 100); /* bounded: 100 ms */
			close(fd);
			continue;
		}
		j = malloc(sizeof(*j));
		if (j != NULL) {
			j->c = c;
			j->fd = fd;
			if (pthread_create(&t, &at, conn_main, j) == 0)
				continue;
			free(j);
		}
		close(fd);
		pthread_mutex_lock(&c->lock);
		c->active--;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_attr_destroy(&at);
	return NULL;
}

int
control_start(struct control *c, struct sts_engine *e, char *why, size_t whylen)
{
	c->e = e;
	if (pthread_create(&c->acc, NULL, accept_main, c) != 0) {
		snprintf(why, whylen, "cannot start the control thread");
		return -1;
	}
	c->started = true;
	return 0;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	c->stop = 1;
	if (c->started)
		pthread_join(c->acc, NULL);
	/* connections end by their timeouts or at the stop flag */
	pthread_mutex_lock(&c->lock);
	while (c->active > 0)
		pthread_cond_wait(&c->idle, &c->lock);
	pthread_mutex_unlock(&c->lock);
	close(c->fd);
	(void)unlink(c->path);
	pthread_cond_destroy(&c->idle);
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c);
}
