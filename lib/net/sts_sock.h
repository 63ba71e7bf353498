/*
 * sts_sock.h - TCP sockets bounded by deadlines (helpers of the fetcher
 * and the prober).
 *
 * Every wait here is a poll() bounded by an absolute deadline on the
 * monotonic clock (sts_now_ms()), so that a silent or slow-drip peer is
 * cut off at the deadline no matter how its bytes are spread out
 * (checklist C7; mbedtls_net_connect has no connect timeout and its read
 * timeout bounds single reads only - LAB.md pitfall 7).  Sockets are
 * non-blocking, close-on-exec and have TCP_NODELAY set (the TLS
 * handshake flights otherwise stall on Nagle + delayed ACK: LAB.md 2).
 *
 * Thread-safety: all functions are re-entrant; a given fd must be used
 * by one thread at a time.  Nothing here logs.
 */
#ifndef STS_SOCK_H
#define STS_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sts_resolver.h"
#include "sts_status.h"

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t sts_now_ms(void);

/* Now + ms on clock clk, as the absolute time pthread_cond_timedwait()
 * wants (on a condition variable created with that clock); ms <= 0 is
 * now.  Inline: the engine's caches use it without linking sockets. */
static inline struct timespec
sts_abstime_ms(clockid_t clk, int64_t ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	if (ms <= 0)
		return ts;
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* The earlier of now+ms and limit (limit 0 means none). */
int64_t sts_deadline_min(int64_t limit, unsigned ms);

/*
 * Connect to a, giving up at deadline_ms (absolute, sts_now_ms()).
 *   STS_OK       *fd is a connected, non-blocking socket
 *   STS_TEMPFAIL refused, unreachable, timed out (why says which)
 */
enum sts_status sts_sock_connect(const struct sts_sockaddr *a,
				 int64_t deadline_ms, int *fd, char *why,
				 size_t whylen);

/*
 * Connect to the first of a[0..n-1] that answers: RFC 8305 "happy
 * eyeballs", so that a host whose IPv6 (or IPv4) path silently drops
 * packets costs STS_SOCK_HE_DELAY_MS, not a whole connect timeout.
 * Attempts start in an order that alternates the address families
 * (section 4: the first address as given - sts_resolver_addrs() puts
 * IPv6 first - then the first of the other family, and so on), a new one
 * every STS_SOCK_HE_DELAY_MS (section 5's recommended Connection Attempt
 * Delay) or at once when the previous one fails; earlier attempts stay
 * open.  Each attempt gives up after attempt_ms, all of them at
 * deadline_ms.  The first to complete wins, the others are closed.
 *   STS_OK       *fd connected (as sts_sock_connect()), *idx its index in a
 *   STS_TEMPFAIL none connected (n == 0, or each refused, unreachable or
 *                timed out): why lists the failures, each with its
 *                address; *idx is the last one tried (n when none was)
 * At most STS_SOCK_HE_MAX attempts are open at once.
 */
/* The order of the attempts: indexes into a[0..n-1] written to
 * order[0..n-1]; returns n.  Pure; exposed for the tests. */
size_t sts_sock_he_order(const struct sts_sockaddr *a, size_t n, size_t *order);

#define STS_SOCK_HE_DELAY_MS 250
#define STS_SOCK_HE_MAX 8
enum sts_status sts_sock_connect_any(const struct sts_sockaddr *a, size_t n,
				     unsigned attempt_ms, int64_t deadline_ms,
				     int *fd, size_t *idx, char *why,
				     size_t whylen);

/*
 * Read what is available (at least one byte) into buf[len], waiting up
 * to deadline_ms.  *got = 0 with STS_OK means orderly EOF.
 * STS_TEMPFAIL on timeout or error.
 */
enum sts_status sts_sock_read(int fd, void *buf, size_t len,
			      int64_t deadline_ms, size_t *got, char *why,
			      size_t whylen);

/* Write all of buf[len] before deadline_ms; STS_TEMPFAIL otherwise. */
enum sts_status sts_sock_write(int fd, const void *buf, size_t len,
			       int64_t deadline_ms, char *why, size_t whylen);

/* Bytes already received and not yet read (FIONREAD), 0 on error. */
size_t sts_sock_pending(int fd);

/* close(fd) if fd >= 0. */
void sts_sock_close(int fd);

#endif /* STS_SOCK_H */
