/*
 * bench/benchutil.h - helpers shared by the benchmark programs: loopback-
 * only socket specs, a monotonic clock, full reads/writes with deadlines,
 * latency samples and the one-line result format that bench/run parses.
 *
 * Not part of the product.  Every program refuses any address that is not
 * loopback (127.0.0.0/8, ::1) or a unix socket: benchmarks never leave
 * the machine.
 *
 * Thread-safety: bu_connect, bu_now_ns, bu_readn, bu_writen and
 * bu_run_more are thread-safe; struct bu_lat is owned by one thread and
 * merged at the end; the other bu_run_* calls belong to the main thread.
 */
#ifndef BENCH_BENCHUTIL_H
#define BENCH_BENCHUTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A parsed socket spec: "inet:PORT@HOST", "inet6:PORT@HOST",
 * "HOST:PORT" or "unix:/path" (also "local:/path"). */
struct bu_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

/* Parse spec; refuses non-loopback addresses.  0, or -1 with a message
 * on stderr. */
int bu_parse_addr(const char *spec, struct bu_addr *a);

/* Connect (blocking) with send/receive timeouts of timeout_ms and, for
 * TCP, TCP_NODELAY when nodelay is set.  fd or -1 (errno kept). */
int bu_connect(const struct bu_addr *a, unsigned timeout_ms, int nodelay);

/* Listen on a; TCP gets SO_REUSEADDR (and TCP_NODELAY when nodelay). */
int bu_listen(const struct bu_addr *a, int nodelay);

uint64_t bu_now_ns(void);
/* CPU time of the whole process (all threads), ns. */
uint64_t bu_cpu_ns(void);

/* Whole buffer or -1 (timeouts come from SO_RCVTIMEO/SO_SNDTIMEO). */
int bu_writen(int fd, const void *buf, size_t n);
int bu_readn(int fd, void *buf, size_t n);

/* Latency samples in nanoseconds, capped at cap (later samples only
 * update max and count). */
struct bu_lat {
	uint64_t *v;
	size_t n, cap;
	uint64_t max, count;
};
int bu_lat_init(struct bu_lat *l, size_t cap);
void bu_lat_add(struct bu_lat *l, uint64_t ns);
/* Append src to dst (dst grows as needed). */
int bu_lat_merge(struct bu_lat *dst, const struct bu_lat *src);
void bu_lat_free(struct bu_lat *l);

/* Print "RESULT name=<what> ok=.. err=.. secs=.. rate=.. p50_ms=.. p99_ms=..
 * max_ms=.." plus extra (may be NULL) on stdout; sorts l. */
void bu_report(const char *what, uint64_t ok, uint64_t err, double secs,
	       struct bu_lat *l, const char *extra);

/* Parse a positive number with bounds; exits with usage text on error. */
unsigned long bu_num(const char *s, unsigned long lo, unsigned long hi,
		     const char *opt);

/* What every load client has: the server, a duration and a hard cap on
 * operations, a per-operation timeout, a label for the RESULT line. */
struct bu_run {
	struct bu_addr addr;
	const char *spec, *label;
	unsigned long secs, max;
	unsigned timeout_ms;
	uint64_t t_end;
	atomic_ulong tickets;
	pthread_barrier_t go;
};

/* Defaults: 10 s, 2,000,000 operations, 5 s timeout. */
void bu_run_init(struct bu_run *r, const char *label);

/* Handle the common options -s SPEC -d secs -q max -t timeout_ms
 * -l label; returns 1 if c was one of them. */
int bu_run_opt(struct bu_run *r, int c, const char *arg);

/* Parse r->spec and arm a hard alarm (secs + timeout + extra_s + 10):
 * a hung server ends the process with exit status 3.  -1 if the spec
 * is missing or not loopback. */
int bu_run_ready(struct bu_run *r, const char *prog, unsigned extra_s);

/* May a worker start one more operation (time left, and a ticket)? */
bool bu_run_more(struct bu_run *r);

/* Per-thread counters; the first member of each client's thread state. */
struct bu_worker {
	pthread_t tid;
	uint64_t ok, err;
	struct bu_lat lat;
};

/*
 * Run n workers: thread i runs fn on (char *)base + i * stride (which
 * starts with a struct bu_worker), all released at once; the clock
 * (r->t_end) starts then.  Waits for all, merges their latencies into
 * *all and sums ok/err.  Returns the elapsed seconds, or -1 if threads
 * or memory ran out.
 */
double bu_run_workers(struct bu_run *r, void *base, size_t stride, unsigned n,
		      size_t latcap, void *(*fn)(void *), struct bu_lat *all,
		      uint64_t *ok, uint64_t *err);

#endif /* BENCH_BENCHUTIL_H */
