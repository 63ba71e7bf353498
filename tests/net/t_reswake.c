/*
 * tests/net/t_reswake.c - a lookup whose answer another waiting thread
 * read from libunbound is woken at once (lib/net/sts_resolver.c, the
 * pump and its condition variable), and every waiter still ends at its
 * own deadline when the thread that polled before it has left; and only
 * that lookup: the other waiters sleep on (each waiter has its own
 * condition variable).
 *
 * Before: every waiting thread poll()ed ub_fd() itself; when another
 * thread read the answer first, poll() went back to sleep for the rest
 * of its 10 ms slice (a cold lookup, whose fetch and next-hop helper wait
 * side by side, came out 10 ms late in about one case of eight).  Then
 * one condition variable was broadcast for every answer, which woke
 * every waiting thread for each (1,477-1,667 wake-ups of the 6 waiters
 * in this test; 235-266 with one condition variable per waiter).
 * Hermetic: the name server is a UDP socket in this process on 127.0.0.1
 * (tests/net/fake_ns.h): "fast-*" A and AAAA are answered at once,
 * "slow-*" never.  The process runs on one CPU, as the daemon does in
 * bench/run, where the order in which woken threads run is what it is.
 */
#define _GNU_SOURCE
#include "config.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "../tap.h"
#include "fake_ns.h"
#include "sts_resolver.h"
#include "sts_sock.h"

#define SLOW 6	      /* threads waiting on queries never answered */
#define ROUNDS 40     /* fast lookups while they wait */
#define SLOW_BASE 400 /* the first slow deadline, ms; then +150 each */

static void
on_query(struct fake_ns *ns, unsigned char *q, size_t n, size_t qend,
	 unsigned qtype, const struct sockaddr *to, socklen_t tl)
{
	(void)n;
	if (q[12] >= 4 && memcmp(q + 13, "fast", 4) == 0)
		fake_ns_answer_addr(ns, q, qend, qtype, to, tl);
}

struct slow {
	struct sts_resolver *r;
	pthread_t t;
	int i;
	int64_t deadline; /* absolute */
	int64_t late;	  /* how long after its deadline it returned */
	long wakes;	  /* voluntary context switches while it waited */
	enum sts_status st;
};

static void *
slow_main(void *arg)
{
	struct slow *s = arg;
	struct sts_resolver_addrs a;
	char name[64];

	struct rusage u0, u1;

	snprintf(name, sizeof(name), "slow-%d.reswake.example", s->i);
	getrusage(RUSAGE_THREAD, &u0);
	s->st = sts_resolver_addrs_until(s->r, name, 443, s->deadline, &a);
	s->late = sts_now_ms() - s->deadline;
	getrusage(RUSAGE_THREAD, &u1);
	s->wakes = u1.ru_nvcsw - u0.ru_nvcsw;
	sts_resolver_addrs_clear(&a);
	return NULL;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
main(void)
{
	struct fake_ns ns;
	struct sts_resolver_conf rc;
	struct sts_resolver *r = NULL;
	struct slow slow[SLOW];
	int64_t ms[ROUNDS], t0, worst_late = 0;
	long wakes = 0, wakes_max;
	char why[STS_WHY_MAX];
	cpu_set_t one;
	int bad = 0, over = 0, cpu = sched_getcpu();

	CPU_ZERO(&one);
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	ok(sched_setaffinity(0, sizeof(one), &one) == 0,
	   "the test runs on one CPU (%d)", cpu);
	if (!ok(fake_ns_start(&ns, on_query, NULL),
		"fake name server on 127.0.0.1"))
		return tap_done();
	fake_ns_resolver_conf(&ns, &rc, 5000);
	if (!ok(sts_resolver_new(&rc, &r, why, sizeof(why)) == STS_OK,
		"resolver forwarding to %s", ns.fwd))
		goto out;

	/* the waiters: one of them polls libunbound's fd, the rest sleep */
	t0 = sts_now_ms();
	for (int i = 0; i < SLOW; i++) {
		slow[i] = (struct slow){.r = r, .i = i};
		slow[i].deadline = t0 + SLOW_BASE + 150 * i;
		pthread_create(&slow[i].t, NULL, slow_main, &slow[i]);
	}
	usleep(50 * 1000);
	/* fast lookups while they wait, and on after the first of them
	 * (maybe the one polling) has left */
	for (int k = 0; k < ROUNDS; k++) {
		struct sts_resolver_addrs a;
		char name[64];
		int64_t s0;

		snprintf(name, sizeof(name), "fast-%d.reswake.example", k);
		s0 = sts_now_ms();
		if (sts_resolver_addrs_until(r, name, 443, 0, &a) != STS_OK ||
		    a.n != 2)
			bad++;
		ms[k] = sts_now_ms() - s0;
		if (ms[k] >= 8)
			over++;
		sts_resolver_addrs_clear(&a);
		usleep(20 * 1000);
	}
	for (int i = 0; i < SLOW; i++) {
		pthread_join(slow[i].t, NULL);
		if (slow[i].late > worst_late)
			worst_late = slow[i].late;
		wakes += slow[i].wakes;
	}
	qsort(ms, ROUNDS, sizeof(ms[0]), cmp64);
	ok(bad == 0, "%d fast lookups answered (A and AAAA), %d failed", ROUNDS,
	   bad);
	ok(ms[ROUNDS / 2] <= 3,
	   "beside %d waiting threads a fast lookup takes %lld ms (median; "
	   "min %lld, max %lld): woken by whichever thread read its answer",
	   SLOW, (long long)ms[ROUNDS / 2], (long long)ms[0],
	   (long long)ms[ROUNDS - 1]);
	ok(over <= ROUNDS / 10,
	   "%d of %d fast lookups took 8 ms or more (a missed wake-up costs "
	   "the 10 ms poll slice)",
	   over, ROUNDS);
	/* Only the one polling libunbound's fd (the pump) wakes for each
	 * answer and each 10 ms poll slice; the others sleep until an answer
	 * of their own or their turn at the fd.  When one condition variable
	 * was broadcast for every answer and every pump turn, each of the
	 * SLOW waiters woke for all of them: about 1,500 here. */
	wakes_max = 4 * ROUNDS + 2 * (SLOW_BASE + 150 * (SLOW - 1)) / 10;
	ok(wakes <= wakes_max,
	   "the %d waiting threads woke %ld times in all (at most %ld: an "
	   "answer wakes the thread it is for, not every waiter)",
	   SLOW, wakes, wakes_max);
	for (int i = 0; i < SLOW; i++)
		if (slow[i].st != STS_TEMPFAIL)
			bad++;
	ok(bad == 0 && worst_late < 100,
	   "the %d unanswered lookups ended in TEMPFAIL at their own "
	   "deadlines, %d-%d ms, the latest %lld ms late (the pump passed "
	   "on as they left)",
	   SLOW, SLOW_BASE, SLOW_BASE + 150 * (SLOW - 1),
	   (long long)worst_late);
out:
	sts_resolver_free(r);
	fake_ns_stop(&ns);
	return tap_done();
}
