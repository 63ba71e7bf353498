/*
 * test_queue.c - the background lookup queue under a flood (issue 15
 * item 5), with the scripted source made slow: a flood of never-seen
 * domains (deadline 0, as the map and the milter use with LookupDeadline
 * 0) leaves the queue bounded by queue_max, the lookups beyond it are
 * answered pending without queuing, and a TXT id recheck of a cached
 * policy still runs at once instead of waiting behind the flood.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "scripted.h"
#include "sts_engine.h"
#include "sts_source.h"

#define QMAX 16
#define FLOOD 2000
#define SLOW_MS 200

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int
main(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine_conf c;
	struct sts_source src = scripted_source(s);
	struct sts_engine_stats st;
	struct sts_lookup lk;
	struct sts_answer a;
	struct sts_engine *e;
	char why[STS_WHY_MAX], dom[64];
	unsigned i, pending = 0, full = 0, waited;
	size_t maxq = 0;

	sts_engine_conf_defaults(&c);
	c.workers = 3;
	c.probe = false;
	c.save_interval = 0;
	c.sweep_interval = 0;
	c.queue_max = QMAX;
	c.now = scripted_clock;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	if (!ok(e != NULL, "engine (%s)", e ? "" : why))
		return tap_done();

	/* a cached policy, before the flood */
	scripted_set(s, "cached.test", STS_OK, "1", STS_OK,
		     "version: STSv1\r\nmode: enforce\r\nmx: mx.cached.test\r\n"
		     "max_age: 86400\r\n");
	sts_engine_check(e, "cached.test", "", 3000, &a);
	is_str(sts_reason_str(a.reason), "satisfied", "cached.test cached");
	sts_engine_idle_wait(e, 5000);

	/* the flood: never-seen domains, each source call slow */
	scripted_delay(s, SLOW_MS);
	for (i = 0; i < FLOOD; i++) {
		snprintf(dom, sizeof(dom), "n%u.flood.test", i);
		if (i % 2 == 0) {
			sts_engine_lookup(e, dom, 0, &lk);
			pending += lk.status == STS_TEMPFAIL;
			full += strstr(lk.why, "queue full") != NULL;
			sts_policy_free(lk.policy);
		} else {
			sts_engine_check(e, dom, "", 0, &a);
			pending += a.reason == STS_REASON_PENDING;
			full += strstr(a.why, "queue full") != NULL;
		}
		sts_engine_stats(e, &st);
		if (st.queued > maxq)
			maxq = st.queued;
	}
	sts_engine_stats(e, &st);
	is_int(pending, FLOOD, "every flood lookup answered pending at once");
	ok(maxq <= QMAX, "queue stayed bounded: at most %zu jobs (cap %d)",
	   maxq, QMAX);
	ok(st.queue_full >= FLOOD - QMAX - 10,
	   "lookups beyond the cap not queued (%llu)",
	   (unsigned long long)st.queue_full);
	ok(full >= FLOOD / 2 - QMAX - 10,
	   "the map's reason says the queue is full (%u)", full);

	/* a cached policy's TXT id check is due: it must not wait for the
	 * flood's jobs (QMAX * 2 slow calls / 2 workers = seconds) */
	scripted_advance(61);
	sts_engine_check(e, "cached.test", "", 0, &a);
	is_str(sts_reason_str(a.reason), "satisfied",
	       "cached policy answered at once");
	for (waited = 0; waited < 5000; waited += 20) {
		if (scripted_discovers(s, "cached.test") == 2)
			break;
		sleep_ms(20);
	}
	sts_engine_stats(e, &st);
	ok(waited <= 4 * SLOW_MS,
	   "the recheck ran promptly: after %u ms, %zu flood jobs still "
	   "queued",
	   waited, st.queued);
	ok(st.queued > 0, "ahead of the flood's queued jobs");
	is_int(scripted_discovers(s, "cached.test"), 2, "recheck done");
	sts_engine_free(e);
	scripted_free(s);
	return tap_done();
}
