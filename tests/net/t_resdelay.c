/*
 * tests/net/t_resdelay.c - RFC 8305 section 3 (Resolution Delay) in
 * sts_resolver_addrs_for_connect(): a name server that never answers AAAA
 * (or A) queries costs 50 ms, not the query timeout, when the addresses
 * are for a connection; sts_resolver_addrs_until() (the DANE judgement of
 * an address set) still waits for both families.  Hermetic: the name
 * server is a UDP socket in this process on 127.0.0.1, used as the
 * resolver's forwarder (nothing signed, so every answer is insecure):
 *   drop6-*  A 127.0.0.1, AAAA queries dropped
 *   drop4-*  AAAA ::1, A queries dropped
 *   both-*   both answered
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tap.h"
#include "sts_resolver.h"
#include "sts_sock.h"

#define TIMEOUT_MS 2000

static int dns_fd;
static atomic_bool dns_stop;

/* Answer q[0..n) (one question) with one record of its own type. */
static void
answer(unsigned char *q, size_t n, const struct sockaddr *to, socklen_t tl)
{
	static const unsigned char v4[4] = {127, 0, 0, 1};
	static const unsigned char v6[16] = {[15] = 1};
	unsigned char out[512];
	size_t off = 12, len;
	unsigned type;

	while (off < n && q[off] != 0)
		off += (size_t)q[off] + 1;
	if (off + 5 > n)
		return;
	type = (unsigned)q[off + 1] << 8 | q[off + 2];
	off += 5; /* end of the question */
	len = type == 1 ? 4 : 16;
	memcpy(out, q, off);
	out[2] = 0x81 | (q[2] & 0x78); /* QR, opcode kept, RD */
	out[3] = 0x80;		       /* RA, NOERROR */
	memset(out + 6, 0, 6);
	out[7] = 1; /* one answer, no authority or additional (EDNS cut) */
	memcpy(out + off,
	       (unsigned char[]){0xc0, 12, 0, (unsigned char)type, 0, 1, 0, 0,
				 0, 60, 0, (unsigned char)len},
	       12);
	memcpy(out + off + 12, type == 1 ? v4 : v6, len);
	sendto(dns_fd, out, off + 12 + len, 0, to, tl);
}

static void *
dns_main(void *arg)
{
	unsigned char q[512];
	struct sockaddr_storage from;

	(void)arg;
	while (!atomic_load(&dns_stop)) {
		struct pollfd p = {.fd = dns_fd, .events = POLLIN};
		socklen_t fl = sizeof(from);
		size_t off = 12;
		unsigned type;
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(dns_fd, q, sizeof(q), 0, (struct sockaddr *)&from,
			     &fl);
		if (n < 17 || q[12] < 5)
			continue;
		while (off < (size_t)n && q[off] != 0)
			off += (size_t)q[off] + 1;
		if (off + 3 > (size_t)n)
			continue;
		type = (unsigned)q[off + 1] << 8 | q[off + 2];
		if ((type == 28 && memcmp(q + 13, "drop6", 5) == 0) ||
		    (type == 1 && memcmp(q + 13, "drop4", 5) == 0) ||
		    (type != 1 && type != 28))
			continue;
		answer(q, (size_t)n, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

/* Look name up; *ms = how long it took, *fam = the families found. */
static enum sts_status
lookup(struct sts_resolver *r, const char *name, bool connect, int64_t *ms,
       int *v4, int *v6)
{
	struct sts_resolver_addrs a;
	int64_t t0 = sts_now_ms();
	enum sts_status st;

	st = connect ? sts_resolver_addrs_for_connect(r, name, 443, 0, &a)
		     : sts_resolver_addrs_until(r, name, 443, 0, &a);
	*ms = sts_now_ms() - t0;
	*v4 = *v6 = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (a.addr[i].ss.ss_family == AF_INET)
			++*v4;
		else
			++*v6;
	}
	sts_resolver_addrs_clear(&a);
	return st;
}

int
main(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sts_resolver_conf rc;
	struct sts_resolver *r = NULL;
	pthread_t dt;
	char why[STS_WHY_MAX], fwd[64], conf[] = "/tmp/t_resdelay.XXXXXX";
	socklen_t sl = sizeof(sin);
	enum sts_status st;
	int64_t ms;
	int v4, v6, fd;
	FILE *cf;

	dns_fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!ok(dns_fd >= 0 &&
			bind(dns_fd, (struct sockaddr *)&sin, sizeof(sin)) ==
				0 &&
			getsockname(dns_fd, (struct sockaddr *)&sin, &sl) == 0,
		"fake name server on 127.0.0.1"))
		return tap_done();
	pthread_create(&dt, NULL, dns_main, NULL);
	fd = mkstemp(conf);
	cf = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (cf != NULL) {
		fputs("server:\n\tdo-not-query-localhost: no\n", cf);
		fclose(cf);
	}
	snprintf(fwd, sizeof(fwd), "127.0.0.1@%u", ntohs(sin.sin_port));
	memset(&rc, 0, sizeof(rc));
	rc.trust_anchor_file = ""; /* the fake signs nothing */
	rc.unbound_conf = conf;
	rc.forwarders = fwd;
	rc.timeout_ms = TIMEOUT_MS;
	st = sts_resolver_new(&rc, &r, why, sizeof(why));
	if (!ok(st == STS_OK, "resolver with Forwarders %s%s%s", fwd,
		st == STS_OK ? "" : ": ", st == STS_OK ? "" : why))
		goto out;

	st = lookup(r, "both-1.resdelay.example", true, &ms, &v4, &v6);
	ok(st == STS_OK && v4 == 1 && v6 == 1,
	   "both answered: one A and one AAAA (%d, %d)", v4, v6);

	st = lookup(r, "drop6-1.resdelay.example", true, &ms, &v4, &v6);
	ok(st == STS_OK && v4 == 1 && v6 == 0,
	   "AAAA never answered, for a connection: the A alone");
	ok(ms >= STS_RESOLVER_RESOLUTION_DELAY_MS - 10 && ms < TIMEOUT_MS / 2,
	   "... after the 50 ms Resolution Delay, not the %d ms timeout "
	   "(%lld ms)",
	   TIMEOUT_MS, (long long)ms);

	st = lookup(r, "drop4-1.resdelay.example", true, &ms, &v4, &v6);
	ok(st == STS_OK && v4 == 0 && v6 == 1 && ms < TIMEOUT_MS / 2,
	   "A never answered, for a connection: the AAAA alone, in %lld ms",
	   (long long)ms);

	/* the DANE judgement of a set must see both families: it waits
	 * until the AAAA query times out or libunbound gives up on it
	 * (Debian 12's libunbound: our 2 s; Debian 13's: its own retries end
	 * after ~1.5 s), far beyond the 50 ms */
	st = lookup(r, "drop6-2.resdelay.example", false, &ms, &v4, &v6);
	ok(st == STS_OK && v4 == 1 && v6 == 0 && ms >= 500,
	   "sts_resolver_addrs_until() waits for the AAAA to time out "
	   "(%lld ms)",
	   (long long)ms);
out:
	sts_resolver_free(r);
	atomic_store(&dns_stop, true);
	pthread_join(dt, NULL);
	close(dns_fd);
	unlink(conf);
	return tap_done();
}
