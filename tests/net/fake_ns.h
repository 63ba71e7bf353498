/*
 * tests/net/fake_ns.h - a name server inside a test process, for the
 * hermetic resolver tests (t_forwarder, t_resdelay, t_reswake): a UDP
 * socket on 127.0.0.1, served by a thread that hands every well-formed
 * query to the test's function, and the sts_resolver_conf that forwards
 * everything to it (nothing is signed, so no trust anchor).  Header-only,
 * like tap.h; one fake_ns per test, started and stopped from the main
 * thread.
 */
#ifndef TESTS_FAKE_NS_H
#define TESTS_FAKE_NS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sts_resolver.h"

/*
 * One query q[0..n): qend is the offset just past its question (name,
 * type, class), qtype its type.  Reply with sendto(ns->fd, ..., from,
 * fromlen), or not at all.
 */
struct fake_ns;
typedef void (*fake_ns_fn)(struct fake_ns *ns, unsigned char *q, size_t n,
			   size_t qend, unsigned qtype,
			   const struct sockaddr *from, socklen_t fromlen);

struct fake_ns {
	int fd;
	atomic_bool stop;
	pthread_t thread;
	fake_ns_fn fn;
	char fwd[64];  /* "127.0.0.1@PORT", for Forwarders */
	char conf[32]; /* the unbound.conf-style file written for it */
};

static void *
fake_ns_main(void *arg)
{
	struct fake_ns *ns = arg;
	unsigned char q[512];
	struct sockaddr_storage from;

	while (!atomic_load(&ns->stop)) {
		struct pollfd p = {.fd = ns->fd, .events = POLLIN};
		socklen_t fl = sizeof(from);
		size_t off = 12;
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(ns->fd, q, sizeof(q), 0, (struct sockaddr *)&from,
			     &fl);
		if (n < 17)
			continue;
		/* the question's name from offset 12, then type and class */
		while (off < (size_t)n && q[off] != 0)
			off += (size_t)q[off] + 1;
		if (off + 5 > (size_t)n)
			continue;
		ns->fn(ns, q, (size_t)n, off + 5,
		       (unsigned)q[off + 1] << 8 | q[off + 2],
		       (struct sockaddr *)&from, fl);
	}
	return NULL;
}

/* Bind, start serving with fn, and write the resolver's config file:
 * do-not-query-localhost: no, then extra_conf (server: options, or
 * NULL).  false when the socket or the file could not be made. */
static bool
fake_ns_start(struct fake_ns *ns, fake_ns_fn fn, const char *extra_conf)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	FILE *cf;
	int fd;

	memset(ns, 0, sizeof(*ns));
	ns->fn = fn;
	snprintf(ns->conf, sizeof(ns->conf), "/tmp/fake_ns.XXXXXX");
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ns->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ns->fd < 0 ||
	    bind(ns->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(ns->fd, (struct sockaddr *)&sin, &sl) != 0)
		return false;
	snprintf(ns->fwd, sizeof(ns->fwd), "127.0.0.1@%u", ntohs(sin.sin_port));
	fd = mkstemp(ns->conf);
	cf = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (cf == NULL)
		return false;
	fputs("server:\n\tdo-not-query-localhost: no\n", cf);
	if (extra_conf != NULL)
		fputs(extra_conf, cf);
	fclose(cf);
	return pthread_create(&ns->thread, NULL, fake_ns_main, ns) == 0;
}

/* Answer an A (127.0.0.1) or AAAA (::1) query q with one record, no
 * authority or additional section (EDNS cut); other types get nothing. */
static inline void
fake_ns_answer_addr(struct fake_ns *ns, const unsigned char *q, size_t qend,
		    unsigned qtype, const struct sockaddr *to, socklen_t tl)
{
	static const unsigned char v4[4] = {127, 0, 0, 1};
	static const unsigned char v6[16] = {[15] = 1};
	unsigned char out[512];
	size_t len = qtype == 1 ? 4 : 16;

	if ((qtype != 1 && qtype != 28) || qend + 12 + len > sizeof(out))
		return;
	memcpy(out, q, qend);
	out[2] = 0x81 | (q[2] & 0x78); /* QR, opcode kept, RD */
	out[3] = 0x80;		       /* RA, NOERROR */
	memset(out + 6, 0, 6);
	out[7] = 1; /* one answer */
	memcpy(out + qend,
	       (unsigned char[]){0xc0, 12, 0, (unsigned char)qtype, 0, 1, 0, 0,
				 0, 60, 0, (unsigned char)len},
	       12);
	memcpy(out + qend + 12, qtype == 1 ? v4 : v6, len);
	sendto(ns->fd, out, qend + 12 + len, 0, to, tl);
}

/* A resolver configuration forwarding everything to ns. */
static void
fake_ns_resolver_conf(const struct fake_ns *ns, struct sts_resolver_conf *rc,
		      unsigned timeout_ms)
{
	memset(rc, 0, sizeof(*rc));
	rc->trust_anchor_file = ""; /* the fake signs nothing */
	rc->unbound_conf = ns->conf;
	rc->forwarders = ns->fwd;
	rc->timeout_ms = timeout_ms;
}

/* Stop the thread (after a successful start), close, remove the file. */
static void
fake_ns_stop(struct fake_ns *ns)
{
	atomic_store(&ns->stop, true);
	pthread_join(ns->thread, NULL);
	close(ns->fd);
	unlink(ns->conf);
}

#endif /* TESTS_FAKE_NS_H */
