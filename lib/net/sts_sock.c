/*
 * sts_sock.c - TCP sockets bounded by absolute deadlines.  See sts_sock.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sts_sock.h"

int64_t
sts_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
sts_deadline_min(int64_t limit, unsigned ms)
{
	int64_t d = sts_now_ms() + (int64_t)ms;

	return (limit != 0 && limit < d) ? limit : d;
}

/* Wait for events on fd until deadline: 1 ready, 0 timeout, -1 error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	for (;;) {
		left = deadline - sts_now_ms();
		if (left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* wait_fd() for a read or write: STS_OK when fd is ready, else TEMPFAIL
 * with "OP: timed out" or the poll error. */
static enum sts_status
await_io(int fd, short events, int64_t deadline, const char *op, char *why,
	 size_t whylen)
{
	int r = wait_fd(fd, events, deadline);

	if (r == 0)
		return sts_why(why, whylen, STS_TEMPFAIL, "%s: timed out", op);
	if (r < 0)
		return sts_why(why, whylen, STS_TEMPFAIL, "poll: %s",
			       strerror(errno));
	return STS_OK;
}

/* Start a non-blocking connect: 1 connected, 0 in progress (*fdp set),
 * -1 failed (*err). */
static int
connect_start(const struct sts_sockaddr *a, int *fdp, int *err)
{
	int fd, one = 1;

	*fdp = -1;
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fdp = fd;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
		return 1;
	if (errno == EINPROGRESS)
		return 0;
	*err = errno;
	close(fd);
	*fdp = -1;
	return -1;
}

/* The outcome of a connect that poll() reported: 0 or the error. */
static int
connect_error(int fd)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		err = errno;
	return err;
}

enum sts_status
sts_sock_connect(const struct sts_sockaddr *a, int64_t deadline, int *fdp,
		 char *why, size_t whylen)
{
	int fd, err = 0, r;

	r = connect_start(a, &fd, &err);
	if (r < 0)
		return sts_why(why, whylen, STS_TEMPFAIL, "connect: %s",
			       strerror(err));
	if (r == 0) {
		r = wait_fd(fd, POLLOUT, deadline);
		err = r < 0 ? errno : r == 0 ? ETIMEDOUT : connect_error(fd);
		if (err != 0) {
			close(fd);
			return sts_why(why, whylen, STS_TEMPFAIL, "connect: %s",
				       r == 0 ? "timed out" : strerror(err));
		}
	}
	*fdp = fd;
	return STS_OK;
}

/* Append "ADDR: connect: WHAT" to the list of failures in why. */
static void
he_failed(const struct sts_sockaddr *a, const char *what, char *why,
	  size_t whylen)
{
	char addr[64];
	size_t used = strnlen(why, whylen);

	if (used + 1 >= whylen)
		return;
	sts_resolver_addr_str(a, addr, sizeof(addr));
	snprintf(why + used, whylen - used, "%s%s: connect: %s",
		 used ? "; " : "", addr, what);
}

/* RFC 8305 section 4: the given order, the families interleaved. */
size_t
sts_sock_he_order(const struct sts_sockaddr *a, size_t n, size_t *order)
{
	size_t k = 0, i, j, fam0 = 0;
	int first = n ? a[0].ss.ss_family : 0;

	/* i walks the first address's family, j the others */
	for (i = 0, j = 0; k < n;) {
		while (i < n && a[i].ss.ss_family != first)
			i++;
		while (j < n && a[j].ss.ss_family == first)
			j++;
		if (i < n && (fam0 <= k - fam0 || j >= n)) {
			order[k++] = i++;
			fam0++;
		} else if (j < n) {
			order[k++] = j++;
		} else {
			break;
		}
	}
	return k;
}

enum sts_status
sts_sock_connect_any(const struct sts_sockaddr *a, size_t n,
		     unsigned attempt_ms, int64_t deadline, int *fdp,
		     size_t *idxp, char *why, size_t whylen)
{
	struct pollfd pfd[STS_SOCK_HE_MAX];
	size_t which[STS_SOCK_HE_MAX], order[2 * STS_MAX_ADDRS];
	int64_t until[STS_SOCK_HE_MAX], now, next_at, wake;
	size_t live = 0, started = 0, total, k;
	int r, fd, err;

	*fdp = -1;
	*idxp = n;
	if (whylen > 0)
		why[0] = '\0';
	if (n > 2 * STS_MAX_ADDRS)
		n = 2 * STS_MAX_ADDRS;
	total = sts_sock_he_order(a, n, order);
	if (deadline == 0)
		deadline = INT64_MAX;
	next_at = sts_now_ms();
	for (;;) {
		now = sts_now_ms();
		/* start the next attempt when it is due and a slot is free */
		if (started < total && live < STS_SOCK_HE_MAX &&
		    (live == 0 || now >= next_at) && now < deadline) {
			k = order[started++];
			*idxp = k;
			r = connect_start(&a[k], &fd, &err);
			if (r > 0)
				goto won;
			if (r < 0) {
				/* next_at has passed (or nothing is live):
				 * the next one starts at once */
				he_failed(&a[k], strerror(err), why, whylen);
				continue;
			}
			pfd[live] =
				(struct pollfd){.fd = fd, .events = POLLOUT};
			which[live] = k;
			until[live] = sts_deadline_min(deadline, attempt_ms);
			live++;
			next_at = now + STS_SOCK_HE_DELAY_MS;
			continue;
		}
		if (live == 0) {
			if (started == total && whylen > 0 && why[0] == '\0')
				sts_why(why, whylen, STS_TEMPFAIL,
					"no address to connect to");
			else if (started < total)
				he_failed(&a[order[started]],
					  "not tried before the deadline", why,
					  whylen); /* never started */
			return STS_TEMPFAIL;
		}
		/* wait for an outcome, the next start or the first limit */
		wake = started < total && live < STS_SOCK_HE_MAX ? next_at
								 : deadline;
		for (k = 0; k < live; k++)
			if (until[k] < wake)
				wake = until[k];
		for (k = 0; k < live; k++)
			pfd[k].revents = 0;
		wake -= now;
		r = poll(pfd, live,
			 wake <= 0	? 0
			 : wake > 60000 ? 60000
					: (int)wake);
		if (r < 0 && errno != EINTR) {
			err = errno;
			for (k = 0; k < live; k++)
				close(pfd[k].fd);
			return sts_why(why, whylen, STS_TEMPFAIL, "poll: %s",
				       strerror(err));
		}
		now = sts_now_ms();
		for (k = 0; k < live;) {
			const char *what = NULL;

			if (r > 0 && pfd[k].revents != 0) {
				err = connect_error(pfd[k].fd);
				if (err == 0) {
					fd = pfd[k].fd;
					*idxp = which[k];
					goto won;
				}
				what = strerror(err);
			} else if (now >= until[k]) {
				what = "timed out";
			}
			if (what == NULL) {
				k++;
				continue;
			}
			/* this attempt is over: the next may start now
			 * (RFC 8305 section 5) */
			he_failed(&a[which[k]], what, why, whylen);
			close(pfd[k].fd);
			live--;
			pfd[k] = pfd[live];
			which[k] = which[live];
			until[k] = until[live];
			next_at = now;
		}
	}
won:
	for (k = 0; k < live; k++)
		if (pfd[k].fd != fd)
			close(pfd[k].fd);
	if (whylen > 0)
		why[0] = '\0';
	*fdp = fd;
	return STS_OK;
}

enum sts_status
sts_sock_read(int fd, void *buf, size_t len, int64_t deadline, size_t *got,
	      char *why, size_t whylen)
{
	ssize_t n;
	enum sts_status st;

	*got = 0;
	for (;;) {
		n = recv(fd, buf, len, 0);
		if (n >= 0) {
			*got = (size_t)n;
			return STS_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return sts_why(why, whylen, STS_TEMPFAIL, "read: %s",
				       strerror(errno));
		st = await_io(fd, POLLIN, deadline, "read", why, whylen);
		if (st != STS_OK)
			return st;
	}
}

enum sts_status
sts_sock_write(int fd, const void *buf, size_t len, int64_t deadline, char *why,
	       size_t whylen)
{
	const char *p = buf;
	ssize_t n;
	enum sts_status st;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return sts_why(why, whylen, STS_TEMPFAIL, "write: %s",
				       strerror(errno));
		st = await_io(fd, POLLOUT, deadline, "write", why, whylen);
		if (st != STS_OK)
			return st;
	}
	return STS_OK;
}

size_t
sts_sock_pending(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) != 0 || n < 0)
		return 0;
	return (size_t)n;
}

void
sts_sock_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
