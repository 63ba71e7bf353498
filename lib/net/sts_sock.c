/*
 * sts_sock.c - TCP sockets bounded by absolute deadlines.  See sts_sock.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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

enum sts_status
sts_sock_connect(const struct sts_sockaddr *a, int64_t deadline, int *fdp,
		 char *why, size_t whylen)
{
	int fd, one = 1, err = 0, r;
	socklen_t elen = sizeof(err);

	*fdp = -1;
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return sts_why(why, whylen, STS_TEMPFAIL, "socket: %s",
			       strerror(errno));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
		goto done;
	if (errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return sts_why(why, whylen, STS_TEMPFAIL, "connect: %s",
			       strerror(err));
	}
	r = wait_fd(fd, POLLOUT, deadline);
	if (r <= 0) {
		err = errno;
		close(fd);
		return sts_why(why, whylen, STS_TEMPFAIL, "connect: %s",
			       r == 0 ? "timed out" : strerror(err));
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		err = errno;
	if (err != 0) {
		close(fd);
		return sts_why(why, whylen, STS_TEMPFAIL, "connect: %s",
			       strerror(err));
	}
done:
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
