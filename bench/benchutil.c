/*
 * bench/benchutil.c - see benchutil.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

static int
parse_inet(const char *host, const char *port, struct bu_addr *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
	unsigned long p;
	char *end;

	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno != 0 || *end != '\0' || p == 0 || p > 65535) {
		fprintf(stderr, "bad port '%s'\n", port);
		return -1;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		/* 127.0.0.0/8 only: benchmarks stay on this machine */
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) {
			fprintf(stderr, "%s is not a loopback address\n", host);
			return -1;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		a->len = sizeof(*s4);
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) {
			fprintf(stderr, "%s is not a loopback address\n", host);
			return -1;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		a->len = sizeof(*s6);
		a->family = AF_INET6;
		return 0;
	}
	fprintf(stderr, "'%s' is not a numeric address\n", host);
	return -1;
}

int
bu_parse_addr(const char *spec, struct bu_addr *a)
{
	char buf[256];
	const char *rest;
	char *at, *colon;

	memset(a, 0, sizeof(*a));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		struct sockaddr_un *su = (struct sockaddr_un *)&a->ss;
		rest = strchr(spec, ':') + 1;
		if (strlen(rest) == 0 || strlen(rest) >= sizeof(su->sun_path)) {
			fprintf(stderr, "bad unix socket path '%s'\n", rest);
			return -1;
		}
		su->sun_family = AF_UNIX;
		memcpy(su->sun_path, rest, strlen(rest) + 1);
		a->len = sizeof(*su);
		a->family = AF_UNIX;
		return 0;
	}
	if (strlen(spec) >= sizeof(buf)) {
		fprintf(stderr, "socket spec too long\n");
		return -1;
	}
	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		/* milter style: PORT@HOST */
		memcpy(buf, strchr(spec, ':') + 1, strlen(spec));
		at = strchr(buf, '@');
		if (at == NULL) {
			fprintf(stderr, "'%s': want inet:PORT@HOST\n", spec);
			return -1;
		}
		*at = '\0';
		return parse_inet(at + 1, buf, a);
	}
	/* HOST:PORT, [v6]:PORT */
	memcpy(buf, spec, strlen(spec) + 1);
	colon = strrchr(buf, ':');
	if (colon == NULL) {
		fprintf(stderr, "'%s': want HOST:PORT\n", spec);
		return -1;
	}
	*colon = '\0';
	if (buf[0] == '[' && colon > buf + 1 && colon[-1] == ']') {
		colon[-1] = '\0';
		return parse_inet(buf + 1, colon + 1, a);
	}
	return parse_inet(buf, colon + 1, a);
}

static void
set_timeouts(int fd, unsigned timeout_ms)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000,
			     .tv_usec = (timeout_ms % 1000) * 1000};

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int
bu_connect(const struct bu_addr *a, unsigned timeout_ms, int nodelay)
{
	int fd, one = 1, e;

	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	set_timeouts(fd, timeout_ms);
	if (nodelay && a->family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
bu_listen(const struct bu_addr *a, int nodelay)
{
	int fd, one = 1;

	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (a->family == AF_UNIX) {
		(void)unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
	} else {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one));
		if (nodelay)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
					 sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

uint64_t
bu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bu_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
bu_writen(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
bu_readn(int fd, void *buf, size_t n)
{
	char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
bu_lat_init(struct bu_lat *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap;
	l->v = calloc(cap > 0 ? cap : 1, sizeof(*l->v));
	return l->v == NULL ? -1 : 0;
}

void
bu_lat_add(struct bu_lat *l, uint64_t ns)
{
	if (l->n < l->cap)
		l->v[l->n++] = ns;
	if (ns > l->max)
		l->max = ns;
	l->count++;
}

int
bu_lat_merge(struct bu_lat *dst, const struct bu_lat *src)
{
	uint64_t *nv;

	if (dst->n + src->n > dst->cap) {
		nv = realloc(dst->v, (dst->n + src->n) * sizeof(*nv));
		if (nv == NULL)
			return -1;
		dst->v = nv;
		dst->cap = dst->n + src->n;
	}
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	return 0;
}

void
bu_lat_free(struct bu_lat *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const struct bu_lat *l, double p)
{
	size_t i;

	if (l->n == 0)
		return 0;
	i = (size_t)(p * (double)(l->n - 1) + 0.5);
	return (double)l->v[i] / 1e6;
}

void
bu_report(const char *what, uint64_t ok, uint64_t err, double secs,
	  struct bu_lat *l, const char *extra)
{
	qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
	printf("RESULT name=%s ok=%llu err=%llu secs=%.3f rate=%.1f "
	       "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f%s%s\n",
	       what, (unsigned long long)ok, (unsigned long long)err, secs,
	       secs > 0 ? (double)ok / secs : 0.0, pct(l, 0.50), pct(l, 0.99),
	       (double)l->max / 1e6, extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

unsigned long
bu_num(const char *s, unsigned long lo, unsigned long hi, const char *opt)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "option %s: want a number in %lu..%lu\n", opt,
			lo, hi);
		exit(2);
	}
	return v;
}

void
bu_run_init(struct bu_run *r, const char *label)
{
	memset(r, 0, sizeof(*r));
	r->label = label;
	r->secs = 10;
	r->max = 2000000;
	r->timeout_ms = 5000;
}

int
bu_run_opt(struct bu_run *r, int c, const char *arg)
{
	switch (c) {
	case 's':
		r->spec = arg;
		return 1;
	case 'd':
		r->secs = bu_num(arg, 1, 600, "-d");
		return 1;
	case 'q':
		r->max = bu_num(arg, 1, 50000000, "-q");
		return 1;
	case 't':
		r->timeout_ms = (unsigned)bu_num(arg, 1, 60000, "-t");
		return 1;
	case 'l':
		r->label = arg;
		return 1;
	}
	return 0;
}

static const char *alarm_prog = "bench";

static void
on_alarm(int sig)
{
	static const char msg[] = ": hard time limit reached\n";

	(void)sig;
	(void)!write(2, alarm_prog, strlen(alarm_prog));
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

int
bu_run_ready(struct bu_run *r, const char *prog, unsigned extra_s)
{
	if (r->spec == NULL || bu_parse_addr(r->spec, &r->addr) < 0)
		return -1;
	alarm_prog = prog;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)r->secs + r->timeout_ms / 1000 + extra_s + 10);
	return 0;
}

bool
bu_run_more(struct bu_run *r)
{
	return bu_now_ns() < r->t_end &&
	       atomic_fetch_add(&r->tickets, 1) < r->max;
}

struct tramp {
	struct bu_run *r;
	void *(*fn)(void *);
	void *arg;
};

static void *
trampoline(void *arg)
{
	struct tramp *t = arg;

	pthread_barrier_wait(&t->r->go);
	return t->fn(t->arg);
}

double
bu_run_workers(struct bu_run *r, void *base, size_t stride, unsigned n,
	       size_t latcap, void *(*fn)(void *), struct bu_lat *all,
	       uint64_t *ok, uint64_t *err)
{
	struct tramp *ts = calloc(n, sizeof(*ts));
	pthread_attr_t at;
	uint64_t t0;
	unsigned i;

	*ok = *err = 0;
	if (ts == NULL || bu_lat_init(all, 0) < 0)
		return -1;
	pthread_barrier_init(&r->go, NULL, n + 1);
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 256 * 1024);
	for (i = 0; i < n; i++) {
		struct bu_worker *w = (void *)((char *)base + i * stride);
		ts[i] = (struct tramp){r, fn, w};
		if (bu_lat_init(&w->lat, latcap) < 0 ||
		    pthread_create(&w->tid, &at, trampoline, &ts[i]) != 0) {
			fprintf(stderr, "%s: out of threads or memory\n",
				alarm_prog);
			exit(1);
		}
	}
	pthread_attr_destroy(&at);
	t0 = bu_now_ns();
	r->t_end = t0 + (uint64_t)r->secs * 1000000000u;
	pthread_barrier_wait(&r->go);
	for (i = 0; i < n; i++) {
		struct bu_worker *w = (void *)((char *)base + i * stride);
		pthread_join(w->tid, NULL);
		*ok += w->ok;
		*err += w->err;
		if (bu_lat_merge(all, &w->lat) < 0)
			return -1;
		bu_lat_free(&w->lat);
	}
	free(ts);
	return (double)(bu_now_ns() - t0) / 1e9;
}
