/*
 * test_admin.c - the engine's administrator door and metrics (issue 17):
 * show/refresh/forget/dump with a scripted source, the RFC 8461 cache
 * rule that a refresh never drops a policy for a failed fetch, and the
 * counters (TXT/fetch outcomes, jobs, saves and save failures, deadline
 * misses, census by mode).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "scripted.h"
#include "sts_engine.h"
#include "sts_engine_admin.h"
#include "sts_engine_metrics.h"

static const char pol_enf[] = "version: STSv1\nmode: enforce\n"
			      "mx: mx.a.test\nmax_age: 86400\n";
static const char pol_test[] = "version: STSv1\nmode: testing\n"
			       "mx: mx.b.test\nmax_age: 86400\n";

static void
count(void *arg, const struct sts_cache_record *r)
{
	(void)r;
	(*(size_t *)arg)++;
}

int
main(void)
{
	struct scripted *s = scripted_new();
	struct sts_source src = scripted_source(s);
	struct sts_engine_conf c;
	struct sts_engine *e;
	struct sts_engine_info *in = calloc(1, sizeof(*in));
	struct sts_engine_metrics m;
	struct sts_answer a;
	char why[STS_WHY_MAX], path[] = "/tmp/t_admin.XXXXXX";
	size_t n = 0;
	int fd = mkstemp(path);

	if (fd >= 0)
		close(fd);
	scripted_set(s, "a.test", STS_OK, "1", STS_OK, pol_enf);
	scripted_set(s, "b.test", STS_OK, "1", STS_OK, pol_test);
	scripted_set(s, "none.test", STS_NOTFOUND, NULL, STS_OK, NULL);
	scripted_mx(s, "a.test", STS_OK, STS_SRC_SECURE, "mx.a.test", false,
		    false);
	scripted_mx(s, "b.test", STS_OK, STS_SRC_INSECURE, "mx.b.test", false,
		    false);
	scripted_tlsa(s, "mx.a.test", STS_DANE_NONE);
	scripted_probe(s, "mx.a.test", STS_PROBE_OK, STS_RPT_NONE);
	scripted_probe(s, "mx.b.test", STS_PROBE_FAILED,
		       STS_RPT_CERTIFICATE_EXPIRED);
	sts_engine_conf_defaults(&c);
	c.workers = 2;
	c.save_interval = 0;
	c.sweep_interval = 0;
	c.probe = true;
	c.state_file = path;
	c.now = scripted_clock;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	if (e == NULL || in == NULL) {
		printf("1..0 # SKIP no engine: %s\n", why);
		return 1;
	}
	sts_engine_check(e, "a.test", NULL, 3000, &a);
	ok(a.reason == STS_REASON_SATISFIED, "a.test: enforce, satisfied");
	sts_engine_check(e, "b.test", NULL, 3000, &a);
	ok(a.verdict == STS_VERDICT_TAG, "b.test: testing, tagged");
	sts_engine_check(e, "none.test", NULL, 3000, &a);
	ok(a.reason == STS_REASON_NO_POLICY, "none.test: no policy");

	/* show */
	ok(sts_engine_show(e, "A.Test.", in, why, sizeof(why)) == STS_OK &&
		   in->cached && in->v.state == STS_CS_POLICY &&
		   in->v.mode == STS_MODE_ENFORCE &&
		   strcmp(in->domain, "a.test") == 0 &&
		   strcmp(in->v.id, "1") == 0 && in->v.refresh_at > 0,
	   "show: the cached policy, normalised name");
	ok(in->have_nexthop && in->mx.n == 1 && in->have_probe[0] &&
		   in->probe[0] == STS_PROBE_OK,
	   "show: next-hop state and the probe result");
	ok(sts_engine_show(e, "b.test", in, why, sizeof(why)) == STS_OK &&
		   in->have_probe[0] && in->probe[0] == STS_PROBE_FAILED &&
		   in->probe_rpt[0] == STS_RPT_CERTIFICATE_EXPIRED,
	   "show: a failed probe with its RFC 8460 type");
	ok(sts_engine_show(e, "none.test", in, why, sizeof(why)) == STS_OK &&
		   in->cached && in->v.state == STS_CS_NONE,
	   "show: a negative entry");
	ok(sts_engine_show(e, "never.test", in, why, sizeof(why)) == STS_OK &&
		   !in->cached && !in->have_nexthop,
	   "show: nothing cached, nothing looked up");
	ok(scripted_discovers(s, "never.test") == 0, "show never discovers");
	ok(sts_engine_show(e, "bad..name", in, why, sizeof(why)) == STS_INVALID,
	   "show: not a domain: %s", why);

	/* dump */
	ok(sts_engine_dump(e, count, NULL, &n) == 2 && n == 2,
	   "dump: the two policies");

	/* refresh: a failed fetch keeps the policy (RFC 8461 5.1, E3) */
	scripted_set(s, "a.test", STS_OK, "2", STS_TEMPFAIL, NULL);
	ok(sts_engine_refresh(e, "a.test", why, sizeof(why)) == STS_OK,
	   "refresh queued: %s", why);
	ok(sts_engine_idle_wait(e, 3000), "the refresh ran");
	ok(scripted_fetches(s, "a.test") == 2, "refresh fetched again");
	ok(sts_engine_show(e, "a.test", in, why, sizeof(why)) == STS_OK &&
		   in->v.state == STS_CS_POLICY && strcmp(in->v.id, "1") == 0,
	   "a failed refresh keeps the cached policy");
	ok(sts_engine_refresh(e, "a.test", why, sizeof(why)) == STS_OK,
	   "a second refresh ignores the failure backoff");
	sts_engine_idle_wait(e, 3000);
	scripted_set(s, "a.test", STS_OK, "3", STS_OK, pol_enf);
	sts_engine_refresh(e, "a.test", why, sizeof(why));
	sts_engine_idle_wait(e, 3000);
	ok(sts_engine_show(e, "a.test", in, why, sizeof(why)) == STS_OK &&
		   strcmp(in->v.id, "3") == 0,
	   "a valid new policy replaces it");

	/* forget */
	ok(sts_engine_forget(e, "b.test", why, sizeof(why)) == STS_OK,
	   "forget: %s", why);
	ok(sts_engine_show(e, "b.test", in, why, sizeof(why)) == STS_OK &&
		   !in->cached && !in->have_nexthop,
	   "forget: policy and next-hop state gone");
	ok(sts_engine_forget(e, "b.test", why, sizeof(why)) == STS_NOTFOUND,
	   "forget again: %s", why);

	/* metrics */
	ok(sts_engine_save(e, why, sizeof(why)) == STS_OK, "save");
	sts_engine_metrics(e, true, &m);
	ok(m.c.txt[STS_OK] >= 4 && m.c.txt[STS_NOTFOUND] == 1,
	   "TXT outcomes: ok %llu, notfound %llu",
	   (unsigned long long)m.c.txt[STS_OK],
	   (unsigned long long)m.c.txt[STS_NOTFOUND]);
	ok(m.c.fetch[STS_OK] >= 3 && m.c.fetch[STS_TEMPFAIL] == 2,
	   "fetch outcomes: ok %llu, tempfail %llu",
	   (unsigned long long)m.c.fetch[STS_OK],
	   (unsigned long long)m.c.fetch[STS_TEMPFAIL]);
	ok(m.c.fetch_lat.count == m.c.fetch[STS_OK] + m.c.fetch[STS_TEMPFAIL],
	   "fetch histogram counts every fetch");
	ok(m.c.jobs[STS_JOB_FULL] == 3 && m.c.jobs[STS_JOB_REFRESH] == 3,
	   "jobs: full %llu, refresh %llu",
	   (unsigned long long)m.c.jobs[STS_JOB_FULL],
	   (unsigned long long)m.c.jobs[STS_JOB_REFRESH]);
	ok(m.c.probe[STS_PROBE_OK] == 1 && m.c.probe[STS_PROBE_FAILED] == 1,
	   "probes by outcome: ok %llu, failed %llu",
	   (unsigned long long)m.c.probe[STS_PROBE_OK],
	   (unsigned long long)m.c.probe[STS_PROBE_FAILED]);
	ok(m.c.saves == 1 && m.c.save_failures == 0 && m.c.save_lat.count == 1,
	   "one save, no failure, timed");
	ok(m.census && m.policies[STS_MODE_ENFORCE] == 1 &&
		   m.policies[STS_MODE_TESTING] == 0 && m.negative == 1,
	   "census: 1 enforce, 0 testing, 1 negative");
	ok(m.c.admin_refresh == 3 && m.c.admin_forget == 2,
	   "admin acts counted");
	sts_engine_free(e);

	/* a failed save, and a lookup that misses its deadline */
	c.state_file = "/nonexistent/dir/state";
	scripted_delay(s, 300);
	e = sts_engine_new(&c, &src, why, sizeof(why));
	ok(e != NULL && sts_engine_save(e, why, sizeof(why)) != STS_OK,
	   "save into a missing directory fails");
	sts_engine_check(e, "slow.test", NULL, 50, &a);
	sts_engine_metrics(e, false, &m);
	ok(m.c.saves == 1 && m.c.save_failures == 1, "save failure counted");
	ok(m.c.deadline_missed[STS_MET_DOOR_CHECK] == 1 && !m.census,
	   "a check past its deadline counted");
	sts_engine_free(e);
	scripted_free(s);
	sts_engine_info_clear(in);
	free(in);
	unlink(path);
	return tap_done();
}
