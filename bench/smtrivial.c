/*
 * bench/smtrivial.c - the limit for the policy map benchmark: a socketmap
 * server that answers every well-formed request with one fixed string,
 * doing nothing else.  Non-blocking sockets and epoll, one or more event
 * loops sharing the listener (EPOLLEXCLUSIVE), so it costs about as
 * little CPU per query as a socketmap server can.
 *
 *   smtrivial -s SPEC [-r reply] [-T threads]
 *
 * Runs until SIGTERM/SIGINT.  Requests are netstrings "LEN:map key,";
 * a malformed one closes the connection.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

#define TRIV_BUF 4096 /* a request is "LEN:map domain," < 300 bytes */

struct conn {
	int fd;
	size_t have;
	char buf[TRIV_BUF];
};

static int lfd;
static char reply[512];
static size_t replylen;

/* Answer every complete netstring in c->buf.  -1: close. */
static int
serve(struct conn *c)
{
	size_t off = 0, len, hdr;
	char *colon;

	while (off < c->have) {
		colon = memchr(c->buf + off, ':', c->have - off);
		if (colon == NULL)
			break;
		len = 0;
		for (char *p = c->buf + off; p < colon; p++) {
			if (*p < '0' || *p > '9' || len > TRIV_BUF)
				return -1;
			len = len * 10 + (size_t)(*p - '0');
		}
		hdr = (size_t)(colon - (c->buf + off)) + 1;
		if (len + hdr + 1 > TRIV_BUF)
			return -1;
		if (c->have - off < hdr + len + 1)
			break;
		if (c->buf[off + hdr + len] != ',')
			return -1;
		if (bu_writen(c->fd, reply, replylen) < 0)
			return -1;
		off += hdr + len + 1;
	}
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->have - off);
		c->have -= off;
	}
	if (c->have > 16 && memchr(c->buf, ':', c->have) == NULL)
		return -1;
	return 0;
}

static void
drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void *
loop(void *arg)
{
	struct epoll_event ev, evs[64];
	int ep, n, fd;
	ssize_t r;

	(void)arg;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return NULL;
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		return NULL;
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c == NULL) {
				fd = accept4(lfd, NULL, NULL,
					     SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					continue;
				c = calloc(1, sizeof(*c));
				if (c == NULL) {
					close(fd);
					continue;
				}
				c->fd = fd;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
					close(fd);
					free(c);
				}
				continue;
			}
			r = read(c->fd, c->buf + c->have,
				 sizeof(c->buf) - c->have);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				drop(ep, c);
				continue;
			}
			c->have += (size_t)r;
			if (serve(c) < 0)
				drop(ep, c);
		}
	}
}

int
main(int argc, char **argv)
{
	const char *spec = NULL,
		   *text = "OK secure match=mx.example-enforce.test "
			   "servername=hostname";
	struct bu_addr a;
	unsigned threads = 1;
	pthread_t tid;
	int c, n;

	while ((c = getopt(argc, argv, "s:r:T:")) != -1) {
		switch (c) {
		case 's':
			spec = optarg;
			break;
		case 'r':
			text = optarg;
			break;
		case 'T':
			threads = bu_num(optarg, 1, 64, "-T");
			break;
		default:
			spec = NULL;
			argc = 0;
			break;
		}
	}
	if (spec == NULL || bu_parse_addr(spec, &a) < 0) {
		fprintf(stderr,
			"usage: smtrivial -s SPEC [-r reply] [-T threads]\n");
		return 2;
	}
	n = snprintf(reply, sizeof(reply), "%zu:%s,", strlen(text), text);
	if (n < 0 || (size_t)n >= sizeof(reply)) {
		fprintf(stderr, "smtrivial: reply too long\n");
		return 2;
	}
	replylen = (size_t)n;
	signal(SIGPIPE, SIG_IGN);
	lfd = bu_listen(&a, 1);
	if (lfd < 0) {
		perror("smtrivial: listen");
		return 1;
	}
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	for (unsigned i = 1; i < threads; i++)
		pthread_create(&tid, NULL, loop, NULL);
	loop(NULL);
	return 1;
}
