/*
 * bench/slowconn.c - the slow-connection half of an attack mix: open
 * many connections to a socketmap server and keep them open, each
 * sending a netstring one byte at a time, far apart (a "slowloris"
 * client), while bench/smload measures honest cached queries beside it.
 *
 *   slowconn -s ADDR [-c CONNS] [-d SECS] [-i MS]
 *
 * -c connections (default 2000, at most 20000), held for -d seconds
 * (default 10, at most 600), one byte sent on each every -i ms (default
 * 1000).  A connection the server closes is opened again (the attacker
 * keeps the pressure on).  Loopback addresses and unix sockets only
 * (benchutil.h).  Prints when all connections are up, then at the end:
 *   RESULT name=slowconn conns=.. open=.. reopened=.. refused=..
 * open: connections open at the end; refused: connect attempts that
 * failed.  Single-threaded (poll); the descriptor limit is raised to the
 * hard limit and -c is cut to what it allows.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "benchutil.h"

#define MAX_CONNS 20000

/* The bytes a slow client trickles: a plausible query that is never
 * finished within the run (a length far larger than what is sent). */
static const char trickle[] = "9999:postfix example-enforce.test";

struct slow {
	int fd;
	size_t sent;
};

static int
open_one(const struct bu_addr *a, struct slow *s, unsigned long *refused)
{
	s->sent = 0;
	s->fd = bu_connect(a, 2000, 1);
	if (s->fd < 0) {
		(*refused)++;
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bu_addr a;
	struct rlimit rl;
	struct slow *s;
	struct pollfd *p;
	const char *spec = NULL;
	unsigned long conns = 2000, secs = 10, ivl = 1000, i, open_n;
	unsigned long reopened = 0, refused = 0;
	uint64_t end, next;
	char buf[256];
	int c;

	while ((c = getopt(argc, argv, "s:c:d:i:")) != -1) {
		switch (c) {
		case 's':
			spec = optarg;
			break;
		case 'c':
			conns = bu_num(optarg, 1, MAX_CONNS, "-c");
			break;
		case 'd':
			secs = bu_num(optarg, 1, 600, "-d");
			break;
		case 'i':
			ivl = bu_num(optarg, 10, 60000, "-i");
			break;
		default:
			fprintf(stderr, "usage: slowconn -s ADDR [-c CONNS] "
					"[-d SECS] [-i MS]\n");
			return 2;
		}
	}
	if (spec == NULL || bu_parse_addr(spec, &a) != 0)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < conns + 16)
			conns = rl.rlim_cur > 64 ? rl.rlim_cur - 16 : 1;
	}
	s = calloc(conns, sizeof(*s));
	p = calloc(conns, sizeof(*p));
	if (s == NULL || p == NULL) {
		fprintf(stderr, "slowconn: out of memory\n");
		return 1;
	}
	end = bu_now_ns() + (uint64_t)secs * 1000000000u;
	for (i = 0; i < conns; i++)
		if (bu_now_ns() >= end || open_one(&a, &s[i], &refused) != 0)
			s[i].fd = -1;
	fprintf(stderr, "slowconn: %lu connections opened (%lu refused)\n",
		conns - refused, refused);
	next = bu_now_ns();
	while (bu_now_ns() < end) {
		/* one byte on each, then wait for the next tick, reading
		 * (and discarding) whatever the server says meanwhile */
		if (bu_now_ns() >= next) {
			for (i = 0; i < conns; i++) {
				if (s[i].fd < 0) {
					if (open_one(&a, &s[i], &refused) == 0)
						reopened++;
					continue;
				}
				if (send(s[i].fd,
					 trickle +
						 s[i].sent %
							 (sizeof(trickle) - 1),
					 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
				    errno != EAGAIN) {
					close(s[i].fd);
					s[i].fd = -1;
					continue;
				}
				s[i].sent++;
			}
			next += (uint64_t)ivl * 1000000u;
		}
		for (i = 0; i < conns; i++) {
			p[i].fd = s[i].fd;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		(void)poll(p, conns, 100);
		for (i = 0; i < conns; i++) {
			if (s[i].fd < 0 || p[i].revents == 0)
				continue;
			if (recv(s[i].fd, buf, sizeof(buf), MSG_DONTWAIT) <=
			    0) {
				close(s[i].fd); /* closed by the server */
				s[i].fd = -1;
			}
		}
	}
	for (open_n = 0, i = 0; i < conns; i++)
		if (s[i].fd >= 0) {
			open_n++;
			close(s[i].fd);
		}
	printf("RESULT name=slowconn conns=%lu open=%lu reopened=%lu "
	       "refused=%lu\n",
	       conns, open_n, reopened, refused);
	free(s);
	free(p);
	return 0;
}
