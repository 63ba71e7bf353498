/*
 * tests/net/test_sock.c - sts_sock_connect_any() (RFC 8305 happy
 * eyeballs) on loopback: the order of the attempts, a refused address
 * handing over at once, every failure named, the deadline.  The case of
 * an address whose connect hangs needs a black hole: tests/net/lab-net.sh
 * (example-v6dead.test in the lab).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sts_sock.h"
#include "../tap.h"

static void
v4(struct sts_sockaddr *a, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->len = sizeof(*s);
}

static void
v6(struct sts_sockaddr *a, uint16_t port)
{
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	s->sin6_addr = in6addr_loopback;
	a->len = sizeof(*s);
}

/* A bound socket on 127.0.0.1: listening (a port that answers) or not
 * (a port that refuses, kept bound so nobody else takes it). */
static int
port_on(bool listening, uint16_t *port)
{
	struct sockaddr_in s = {.sin_family = AF_INET};
	socklen_t len = sizeof(s);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&s, sizeof(s)) != 0 ||
	    (listening && listen(fd, 8) != 0) ||
	    getsockname(fd, (struct sockaddr *)&s, &len) != 0)
		return -1;
	*port = ntohs(s.sin_port);
	return fd;
}

int
main(void)
{
	struct sts_sockaddr a[6];
	size_t order[6], idx;
	char why[STS_WHY_MAX], want[128];
	uint16_t up, down1, down2;
	int lfd, d1, d2, fd;
	int64_t t0;
	enum sts_status st;

	/* RFC 8305 section 4: first as given, then the families alternate */
	v6(&a[0], 1);
	v6(&a[1], 2);
	v6(&a[2], 3);
	v4(&a[3], 4);
	v4(&a[4], 5);
	is_int((int)sts_sock_he_order(a, 5, order), 5, "order: all 5");
	ok(order[0] == 0 && order[1] == 3 && order[2] == 1 && order[3] == 4 &&
		   order[4] == 2,
	   "order: 6 4 6 4 6 (got %zu %zu %zu %zu %zu)", order[0], order[1],
	   order[2], order[3], order[4]);
	v4(&a[0], 1);
	v6(&a[1], 2);
	v6(&a[2], 3);
	sts_sock_he_order(a, 3, order);
	ok(order[0] == 0 && order[1] == 1 && order[2] == 2,
	   "order: an IPv4 first stays first, then the IPv6 ones");
	v4(&a[0], 1);
	v4(&a[1], 2);
	sts_sock_he_order(a, 2, order);
	ok(order[0] == 0 && order[1] == 1, "order: one family keeps its order");

	/* no address */
	st = sts_sock_connect_any(a, 0, 1000, sts_now_ms() + 1000, &fd, &idx,
				  why, sizeof(why));
	ok(st == STS_TEMPFAIL && fd == -1 && idx == 0 &&
		   strstr(why, "no address") != NULL,
	   "no address: tempfail (%s)", why);

	lfd = port_on(true, &up);
	d1 = port_on(false, &down1);
	d2 = port_on(false, &down2);
	if (lfd < 0 || d1 < 0 || d2 < 0) {
		ok(0, "bind three ports on 127.0.0.1");
		return tap_done();
	}

	/* a refused address hands over at once (section 5), not after
	 * the 250 ms Connection Attempt Delay */
	v4(&a[0], down1);
	v4(&a[1], up);
	t0 = sts_now_ms();
	st = sts_sock_connect_any(a, 2, 1000, sts_now_ms() + 3000, &fd, &idx,
				  why, sizeof(why));
	ok(st == STS_OK && idx == 1 && fd >= 0, "refused, then answering: ok");
	ok(sts_now_ms() - t0 < STS_SOCK_HE_DELAY_MS,
	   "refused, then answering: no Connection Attempt Delay (%lld ms)",
	   (long long)(sts_now_ms() - t0));
	is_str(why, "", "success leaves why empty");
	if (fd >= 0)
		close(fd);

	/* the first answers: the others are never started */
	v4(&a[0], up);
	v4(&a[1], down1);
	st = sts_sock_connect_any(a, 2, 1000, sts_now_ms() + 3000, &fd, &idx,
				  why, sizeof(why));
	ok(st == STS_OK && idx == 0, "answering first: index 0");
	if (fd >= 0)
		close(fd);

	/* every failure is named with its address */
	v4(&a[0], down1);
	v4(&a[1], down2);
	st = sts_sock_connect_any(a, 2, 1000, sts_now_ms() + 3000, &fd, &idx,
				  why, sizeof(why));
	ok(st == STS_TEMPFAIL && fd == -1 && idx == 1,
	   "both refused: tempfail, the last tried is index 1");
	snprintf(want, sizeof(want), "127.0.0.1:%u: connect: ", down1);
	ok(strncmp(why, want, strlen(want)) == 0, "why names the first: %s",
	   why);
	snprintf(want, sizeof(want), "; 127.0.0.1:%u: connect: ", down2);
	ok(strstr(why, want) != NULL, "why names the second");

	/* a deadline already passed: nothing is tried */
	v4(&a[0], up);
	st = sts_sock_connect_any(a, 1, 1000, sts_now_ms() - 1, &fd, &idx, why,
				  sizeof(why));
	ok(st == STS_TEMPFAIL && fd == -1, "deadline passed: tempfail");
	ok(strstr(why, "not tried before the deadline") != NULL,
	   "deadline passed: why says so (%s)", why);

	/* a short why buffer is filled, never overrun */
	{
		char small[24];

		memset(small, 'x', sizeof(small));
		v4(&a[0], down1);
		v4(&a[1], down2);
		sts_sock_connect_any(a, 2, 1000, sts_now_ms() + 3000, &fd, &idx,
				     small, 16);
		ok(strlen(small) < 16 && small[16] == 'x',
		   "why truncated within its size (%s)", small);
	}
	/* a connect that hangs (a listener whose accept queue is full
	 * drops the SYN) keeps its place; the next attempt starts after the
	 * Connection Attempt Delay, and when that one fails the third
	 * starts at once (section 5), not after another 250 ms: refused (on
	 * loopback poll() reports it) or unreachable at once (connect()
	 * itself fails, as with no IPv6 route: TCP to the limited broadcast
	 * address is ENETUNREACH before any packet is sent) */
	{
		struct sockaddr_in s = {.sin_family = AF_INET};
		socklen_t len = sizeof(s);
		int hfd = socket(AF_INET, SOCK_STREAM, 0), cfd = -1;
		uint16_t hang = 0;

		s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (hfd >= 0 &&
		    bind(hfd, (struct sockaddr *)&s, sizeof(s)) == 0 &&
		    listen(hfd, 0) == 0 &&
		    getsockname(hfd, (struct sockaddr *)&s, &len) == 0) {
			hang = ntohs(s.sin_port);
			/* backlog 0 queues one connection: that one */
			cfd = socket(AF_INET, SOCK_STREAM, 0);
			if (cfd >= 0 &&
			    connect(cfd, (struct sockaddr *)&s, sizeof(s)) != 0)
				hang = 0;
		}
		for (int k = 0; k < 2; k++) {
			const char *how = k ? "unreachable" : "refused";

			v4(&a[0], hang);
			v4(&a[1], down1);
			if (k)
				((struct sockaddr_in *)&a[1].ss)
					->sin_addr.s_addr =
					htonl(INADDR_BROADCAST);
			v4(&a[2], up);
			t0 = sts_now_ms();
			st = sts_sock_connect_any(a, 3, 2000,
						  sts_now_ms() + 3000, &fd,
						  &idx, why, sizeof(why));
			ok(hang != 0 && st == STS_OK && idx == 2,
			   "hanging, %s, answering: the third wins", how);
			ok(sts_now_ms() - t0 >= STS_SOCK_HE_DELAY_MS - 10 &&
				   sts_now_ms() - t0 <
					   2 * STS_SOCK_HE_DELAY_MS - 50,
			   "... %s: after one Connection Attempt Delay, not "
			   "two (%lld ms)",
			   how, (long long)(sts_now_ms() - t0));
			if (fd >= 0)
				close(fd);
		}
		if (cfd >= 0)
			close(cfd);
		if (hfd >= 0)
			close(hfd);
	}
	/* sts_sock_connect() still works alone */
	v4(&a[0], up);
	st = sts_sock_connect(&a[0], sts_now_ms() + 1000, &fd, why,
			      sizeof(why));
	ok(st == STS_OK && fd >= 0, "sts_sock_connect: ok");
	if (fd >= 0)
		close(fd);
	close(lfd);
	close(d1);
	close(d2);
	return tap_done();
}
