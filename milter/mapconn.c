/*
 * milter/mapconn.c - map connections: buffers, unblocking replies,
 * deadlines, eviction order (see mapconn.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mapconn.h"
#include "metrics.h"
#include "sts_mapreply.h"
#include "sts_netstring.h"

static enum sts_status
ns_next(const char *buf, size_t len, bool eof, const char **data, size_t *dlen,
	size_t *used, char *why, size_t whylen)
{
	(void)eof; /* a persistent connection: EOF just ends it */
	return sts_netstring_parse(buf, len, STS_MAX_MAP_REQUEST, data, dlen,
				   used, why, whylen);
}

static size_t
ns_error(const char *why, char *out, size_t outsz)
{
	return sts_mapreply_error("PERM", why, out, outsz);
}

const struct mapconn_framing mapconn_netstring = {
	.name = "map",
	.next = ns_next,
	.wrap = sts_netstring_format,
	.error = ns_error,
	.count = metrics_map_reply, /* issue 17 */
	.answer = NULL,		    /* milter/mapanswer.c */
	.one_shot = false,
};

uint64_t
mapconn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct conn *
mapconn_new(int fd, const struct mapconn_framing *fr)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->fr = fr;
	c->last_ns = mapconn_now();
	return c;
}

void
mapconn_free(struct conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->out);
	free(c);
}

void
conntab_add(struct conntab *t, struct conn *c)
{
	c->prev = NULL;
	c->next = t->head;
	if (t->head != NULL)
		t->head->prev = c;
	else
		t->tail = c;
	t->head = c;
	t->n++;
}

void
conntab_remove(struct conntab *t, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
	t->n--;
}

void
conntab_touch(struct conntab *t, struct conn *c, uint64_t now)
{
	c->last_ns = now;
	if (t->head == c)
		return;
	conntab_remove(t, c);
	conntab_add(t, c);
}

static bool
idle(const struct conn *c)
{
	return !c->busy && c->len == 0 && c->outlen == 0;
}

struct conn *
conntab_victim(struct conntab *t, const struct conn *except)
{
	struct conn *deaf = NULL, *fresh = NULL, *stalled = NULL, *old = NULL;

	/*
	 * Honest clients read their replies, and a persistent one (Postfix's
	 * smtp_tls_policy_maps, sendmail's socket map) completes a request
	 * at once and then stays open, idle between queries.  So, in turn:
	 * the oldest reply the peer has not taken; the connection accepted
	 * first that never completed a request (idle or trickling bytes
	 * alike: a partial request is not activity); the oldest incomplete
	 * request of one that completed others; the one least recently
	 * answered.  The list is in order of the last completed request,
	 * or of acceptance for those never answered: the tail is oldest.
	 */
	for (struct conn *c = t->tail; c != NULL; c = c->prev) {
		if (c == except || c->busy)
			continue;
		if (c->out_since != 0) {
			if (deaf == NULL || c->out_since < deaf->out_since)
				deaf = c;
		} else if (c->answered == 0) {
			if (fresh == NULL)
				fresh = c;
		} else if (c->in_since != 0) {
			if (stalled == NULL || c->in_since < stalled->in_since)
				stalled = c;
		} else if (old == NULL && idle(c)) {
			old = c;
		}
	}
	if (deaf != NULL)
		return deaf;
	if (fresh != NULL)
		return fresh;
	return stalled != NULL ? stalled : old;
}

struct conn *
conntab_expired(struct conntab *t, uint64_t now,
		const struct mapconn_limits *lim, const char **why)
{
	uint64_t idle_ns = (uint64_t)lim->idle_ms * 1000000ULL;
	uint64_t req_ns = (uint64_t)lim->request_ms * 1000000ULL;

	/* A full pass: a slow sender is recent, yet may be overdue.  At
	 * most a few thousand connections, once a tick. */
	for (struct conn *c = t->tail; c != NULL; c = c->prev) {
		if (c->busy)
			continue;
		if (c->out_since != 0 && now - c->out_since >= req_ns) {
			*why = "reply not taken in time";
			return c;
		}
		if (c->in_since != 0 && now - c->in_since >= req_ns) {
			*why = "request not complete in time";
			return c;
		}
		if (idle(c) && now - c->last_ns >= idle_ns) {
			*why = "idle";
			return c;
		}
	}
	return NULL;
}

int
mapconn_flush(struct conn *c, uint64_t now)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->out_since == 0)
				c->out_since = now;
			return 1;
		}
		return -1;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	c->out_since = 0;
	c->last_ns = now;
	return 0;
}

int
mapconn_reply(struct conn *c, const char *reply, size_t len, char *wire,
	      size_t wiresz, uint64_t now)
{
	size_t n = c->fr->wrap(reply, len, wire, wiresz), off = 0;

	if (n > wiresz || c->out != NULL)
		return -1;
	while (off < n) {
		ssize_t w = send(c->fd, wire + off, n - off, MSG_NOSIGNAL);

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return -1;
	}
	c->last_ns = now;
	c->answered++;
	if (off == n)
		return 0;
	/* The peer is not reading: keep the rest (one reply at most; no
	 * further request is read until it is gone, and it expires). */
	c->out = malloc(n - off);
	if (c->out == NULL)
		return -1;
	memcpy(c->out, wire + off, n - off);
	c->outlen = n - off;
	c->outoff = 0;
	c->out_since = now;
	return 1;
}

int
mapconn_linger(struct conn *c, uint64_t now)
{
	if (c->eof || shutdown(c->fd, SHUT_WR) != 0)
		return -1;
	c->draining = true;
	c->len = 0;
	c->drained = 0;
	c->in_since = now; /* the request deadline bounds the drain */
	return 0;
}

int
mapconn_drain(struct conn *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->buf, sizeof(c->buf), 0);

		if (r > 0) {
			c->drained += (size_t)r;
			if (c->drained > MAPCONN_DRAIN_MAX)
				return -1;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1; /* EOF or an error */
	}
}

uint32_t
mapconn_want(const struct conn *c)
{
	if (c->busy)
		return 0;
	return c->outlen > 0 ? EPOLLOUT : EPOLLIN;
}
