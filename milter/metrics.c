/*
 * milter/metrics.c - the daemon's counters and their Prometheus text
 * exposition (metrics.h).  Counters are relaxed atomics in static
 * arrays; each door's array sits on its own cache lines so the milter
 * and map threads do not bounce one line between cores.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "sts_engine_metrics.h"

#define CL __attribute__((aligned(64)))

static uint64_t verdicts[4][STS_REASON_COUNT] CL; /* [verdict][reason] */
static uint64_t rpts[STS_RPT_COUNT] CL;		  /* RFC 8460 types */
static uint64_t answers[METRICS_DOORS][METRICS_ANSWERS] CL;
static uint64_t sessions_total CL;
static int64_t sessions_active;
static uint64_t admin[8] CL;
static time_t started;

__attribute__((constructor)) static void
metrics_started(void)
{
	started = time(NULL);
}

static const char *const admin_cmds[8] = {
	"show", "dump", "refresh", "forget", "warm", "stats", "error", "other",
};
static const char *const answer_names[METRICS_ANSWERS] = {
	"ok_secure", "ok_dane_only", "ok_other", "notfound", "temp", "perm",
};
static const char *const door_names[METRICS_DOORS] = {"milter", "map", "line"};

static inline void
inc(uint64_t *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
}

static inline uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
metrics_verdict(const struct sts_answer *a)
{
	if ((unsigned)a->verdict < 4 && (unsigned)a->reason < STS_REASON_COUNT)
		inc(&verdicts[a->verdict][a->reason]);
	if (a->rpt != STS_RPT_NONE && (unsigned)a->rpt < STS_RPT_COUNT)
		inc(&rpts[a->rpt]);
}

void
metrics_answer(enum metrics_door door, enum metrics_answer ans)
{
	if ((unsigned)door < METRICS_DOORS && (unsigned)ans < METRICS_ANSWERS)
		inc(&answers[door][ans]);
}

void
metrics_map_reply(const char *r, size_t len)
{
	enum metrics_answer a = METRICS_PERM;

	if (len >= 2 && memcmp(r, "OK", 2) == 0) {
		a = METRICS_OK_OTHER;
		if (len >= 9 && memcmp(r, "OK secure", 9) == 0)
			a = METRICS_OK_SECURE;
		else if (len >= 12 && memcmp(r, "OK dane-only", 12) == 0)
			a = METRICS_OK_DANE;
	} else if (len >= 8 && memcmp(r, "NOTFOUND", 8) == 0) {
		a = METRICS_NOTFOUND;
	} else if (len >= 4 && memcmp(r, "TEMP", 4) == 0) {
		a = METRICS_TEMP;
	}
	inc(&answers[METRICS_MAP][a]);
}

void
metrics_session(int delta)
{
	if (delta > 0)
		inc(&sessions_total);
	__atomic_add_fetch(&sessions_active, delta, __ATOMIC_RELAXED);
}

void
metrics_admin(const char *cmd)
{
	size_t i;

	for (i = 0; i < 7; i++)
		if (strcmp(cmd, admin_cmds[i]) == 0)
			break;
	inc(&admin[i]);
}

/* --- the exposition -------------------------------------------------------
 */

#define OUT_MAX (1024 * 1024) /* far above the ~40 KiB we write */

struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static void pr(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
pr(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *nb;

	for (;;) {
		if (o->err)
			return;
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->err = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		if (o->cap * 2 > OUT_MAX) {
			o->err = 1;
			return;
		}
		nb = realloc(o->buf, o->cap * 2);
		if (nb == NULL) {
			o->err = 1;
			return;
		}
		o->buf = nb;
		o->cap *= 2;
	}
}

static void
head(struct out *o, const char *name, const char *type, const char *help)
{
	pr(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
hist(struct out *o, const char *name, const char *help,
     const struct sts_met_hist *h)
{
	uint64_t cum = 0;
	size_t i;

	head(o, name, "histogram", help);
	for (i = 0; i < STS_MET_NBUCKETS; i++) {
		cum += h->bucket[i];
		pr(o, "%s_bucket{le=\"%g\"} %llu\n", name,
		   sts_met_bucket_ms[i] / 1000.0, (unsigned long long)cum);
	}
	cum += h->bucket[STS_MET_NBUCKETS];
	/* the count is read separately from the buckets: report the
	 * buckets' sum so that +Inf always equals _count */
	pr(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	pr(o, "%s_sum %.6f\n", name, h->sum_us / 1e6);
	pr(o, "%s_count %llu\n", name, (unsigned long long)cum);
}

static void
by_status(struct out *o, const char *name, const char *help, const uint64_t *v)
{
	size_t i;

	head(o, name, "counter", help);
	for (i = 0; i < STS_STATUS_COUNT; i++)
		pr(o, "%s{outcome=\"%s\"} %llu\n", name,
		   sts_status_str((enum sts_status)i),
		   (unsigned long long)v[i]);
}

/* The shared cache tier (SharedCache, doc/fleet.md), only when it is on. */
static void
shared_metrics(struct out *o, const struct sts_engine_metrics *m)
{
	head(o, "mtasts_shared_cache_up", "gauge",
	     "1 while the shared cache tier (Redis) is reachable, else 0.");
	pr(o, "mtasts_shared_cache_up %d\n", m->shared_up ? 1 : 0);
	head(o, "mtasts_shared_cache_operations_total", "counter",
	     "Shared cache entries read (get), found usable (hit) and "
	     "written (write).");
	pr(o, "mtasts_shared_cache_operations_total{op=\"get\"} %llu\n",
	   (unsigned long long)m->shared_gets);
	pr(o, "mtasts_shared_cache_operations_total{op=\"hit\"} %llu\n",
	   (unsigned long long)m->shared_hits);
	pr(o, "mtasts_shared_cache_operations_total{op=\"write\"} %llu\n",
	   (unsigned long long)m->shared_writes);
	head(o, "mtasts_shared_cache_errors_total", "counter",
	     "Shared cache failures: unreachable, timeouts, refusals.");
	pr(o, "mtasts_shared_cache_errors_total %llu\n",
	   (unsigned long long)m->shared_errors);
	head(o, "mtasts_shared_cache_invalid_entries_total", "counter",
	     "Entries read from the shared cache and refused as malformed.");
	pr(o, "mtasts_shared_cache_invalid_entries_total %llu\n",
	   (unsigned long long)m->shared_invalid);
	head(o, "mtasts_shared_cache_announcements_total", "counter",
	     "Announcements of new entries heard from other nodes.");
	pr(o, "mtasts_shared_cache_announcements_total %llu\n",
	   (unsigned long long)m->shared_announcements);
}

static void
engine_part(struct out *o, struct sts_engine *e)
{
	static const char *const probes[4] = {"not_done", "ok", "failed",
					      "tempfail"};
	static const char *const jobs[3] = {"full", "recheck", "refresh"};
	static const char *const modes[3] = {"none", "testing", "enforce"};
	struct sts_engine_metrics *m = malloc(sizeof(*m));
	size_t i;

	if (m == NULL) {
		o->err = 1;
		return;
	}
	sts_engine_metrics(e, true, m);
	head(o, "mtasts_cache_lookups_total", "counter",
	     "Policy cache lookups.");
	pr(o, "mtasts_cache_lookups_total %llu\n",
	   (unsigned long long)m->lookups);
	head(o, "mtasts_cache_hits_total", "counter",
	     "Lookups answered from the cache without waiting, by kind.");
	pr(o, "mtasts_cache_hits_total{kind=\"policy\"} %llu\n",
	   (unsigned long long)m->hits);
	pr(o, "mtasts_cache_hits_total{kind=\"negative\"} %llu\n",
	   (unsigned long long)m->negative_hits);
	head(o, "mtasts_cache_misses_total", "counter",
	     "Lookups that waited for a fetch or found nothing usable.");
	pr(o, "mtasts_cache_misses_total %llu\n",
	   (unsigned long long)m->misses);
	head(o, "mtasts_cache_evictions_total", "counter",
	     "Cache entries evicted by the size bound (CacheSize).");
	pr(o, "mtasts_cache_evictions_total %llu\n",
	   (unsigned long long)m->evictions);
	head(o, "mtasts_cache_entries", "gauge",
	     "Entries in the policy cache, by kind.");
	for (i = 0; i < 3; i++)
		pr(o, "mtasts_cache_entries{kind=\"policy_%s\"} %llu\n",
		   modes[i], (unsigned long long)m->policies[i]);
	pr(o, "mtasts_cache_entries{kind=\"negative\"} %llu\n",
	   (unsigned long long)m->negative);
	pr(o, "mtasts_cache_entries{kind=\"failed\"} %llu\n",
	   (unsigned long long)m->failed);
	head(o, "mtasts_cache_size", "gauge",
	     "All entries in the policy cache, stale ones included.");
	pr(o, "mtasts_cache_size %llu\n", (unsigned long long)m->entries);
	head(o, "mtasts_fetch_jobs_busy", "gauge",
	     "Cache entries with a background job queued or running.");
	pr(o, "mtasts_fetch_jobs_busy %llu\n", (unsigned long long)m->busy);
	head(o, "mtasts_fetch_jobs_total", "counter",
	     "Background jobs run, by kind (refresh: proactive refresh "
	     "before expiry).");
	for (i = 0; i < 3; i++)
		pr(o, "mtasts_fetch_jobs_total{kind=\"%s\"} %llu\n", jobs[i],
		   (unsigned long long)m->c.jobs[i]);
	by_status(o, "mtasts_txt_queries_total",
		  "_mta-sts TXT discoveries, by outcome.", m->c.txt);
	hist(o, "mtasts_txt_query_duration_seconds",
	     "Time to discover the _mta-sts TXT record.", &m->c.txt_lat);
	by_status(o, "mtasts_policy_fetches_total",
		  "HTTPS policy fetches, by outcome.", m->c.fetch);
	hist(o, "mtasts_policy_fetch_duration_seconds",
	     "Time to fetch a policy over HTTPS.", &m->c.fetch_lat);
	head(o, "mtasts_nexthop_lookups_total", "counter",
	     "MX (and TLSA) lookups of a policy domain's next hops.");
	pr(o, "mtasts_nexthop_lookups_total %llu\n",
	   (unsigned long long)m->mx_queries);
	head(o, "mtasts_probes_total", "counter",
	     "STARTTLS probes of MX hosts, by outcome.");
	for (i = 0; i < 4; i++)
		pr(o, "mtasts_probes_total{outcome=\"%s\"} %llu\n", probes[i],
		   (unsigned long long)m->c.probe[i]);
	hist(o, "mtasts_probe_duration_seconds", "Time of one STARTTLS probe.",
	     &m->c.probe_lat);
	head(o, "mtasts_tls_chains_total", "counter",
	     "Certificate chains of policy hosts and MX hosts judged: "
	     "verified with their signature checks, or found in the "
	     "verified-chain memo.");
	pr(o, "mtasts_tls_chains_total{check=\"verified\"} %llu\n",
	   (unsigned long long)m->tls_chains_verified);
	pr(o, "mtasts_tls_chains_total{check=\"remembered\"} %llu\n",
	   (unsigned long long)m->tls_chains_remembered);
	head(o, "mtasts_deadline_missed_total", "counter",
	     "Lookups that ran out of LookupDeadline before the answer was "
	     "known, by door.");
	pr(o, "mtasts_deadline_missed_total{door=\"milter\"} %llu\n",
	   (unsigned long long)m->c.deadline_missed[STS_MET_DOOR_CHECK]);
	pr(o, "mtasts_deadline_missed_total{door=\"map\"} %llu\n",
	   (unsigned long long)m->c.deadline_missed[STS_MET_DOOR_LOOKUP]);
	head(o, "mtasts_state_saves_total", "counter",
	     "State-file saves attempted.");
	pr(o, "mtasts_state_saves_total %llu\n",
	   (unsigned long long)m->c.saves);
	head(o, "mtasts_state_save_failures_total", "counter",
	     "State-file saves that failed.");
	pr(o, "mtasts_state_save_failures_total %llu\n",
	   (unsigned long long)m->c.save_failures);
	hist(o, "mtasts_state_save_duration_seconds",
	     "Time to write the state file.", &m->c.save_lat);
	if (m->shared_on)
		shared_metrics(o, m);
	free(m);
}

int
metrics_format(struct sts_engine *e, char **out, size_t *len)
{
	struct out o = {malloc(16384), 0, 16384, 0};
	size_t i, j;
	const char *vn;

	if (o.buf == NULL)
		return -1;
	head(&o, "mtasts_build_info", "gauge",
	     "Version of mta-sts-milter; the value is always 1.");
	pr(&o, "mtasts_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	head(&o, "mtasts_lookups_total", "counter",
	     "Answers given, by door and answer.");
	for (i = 0; i < 4; i++) {
		uint64_t n = 0;

		for (j = 0; j < STS_REASON_COUNT; j++)
			n += get(&verdicts[i][j]);
		pr(&o,
		   "mtasts_lookups_total{door=\"milter\",answer=\"%s\"} "
		   "%llu\n",
		   sts_verdict_str((enum sts_verdict)i), (unsigned long long)n);
	}
	for (i = METRICS_MAP; i < METRICS_DOORS; i++)
		for (j = 0; j < METRICS_ANSWERS; j++)
			pr(&o,
			   "mtasts_lookups_total{door=\"%s\",answer=\"%s\"} "
			   "%llu\n",
			   door_names[i], answer_names[j],
			   (unsigned long long)get(&answers[i][j]));
	head(&o, "mtasts_milter_verdicts_total", "counter",
	     "Milter verdicts per recipient, by verdict and reason.");
	for (i = 0; i < 4; i++) {
		vn = sts_verdict_str((enum sts_verdict)i);
		for (j = 0; j < STS_REASON_COUNT; j++)
			pr(&o,
			   "mtasts_milter_verdicts_total{verdict=\"%s\","
			   "reason=\"%s\"} %llu\n",
			   vn, sts_reason_str((enum sts_reason)j),
			   (unsigned long long)get(&verdicts[i][j]));
	}
	head(&o, "mtasts_milter_failures_total", "counter",
	     "Milter answers that carried an RFC 8460 failure, by result "
	     "type.");
	for (i = 1; i < STS_RPT_COUNT; i++)
		pr(&o,
		   "mtasts_milter_failures_total{result_type=\"%s\"} %llu\n",
		   sts_rpt_str((enum sts_rpt)i),
		   (unsigned long long)get(&rpts[i]));
	head(&o, "mtasts_milter_sessions_total", "counter",
	     "libmilter sessions (SMTP connections) opened.");
	pr(&o, "mtasts_milter_sessions_total %llu\n",
	   (unsigned long long)get(&sessions_total));
	head(&o, "mtasts_milter_sessions_active", "gauge",
	     "libmilter sessions open now.");
	pr(&o, "mtasts_milter_sessions_active %lld\n",
	   (long long)__atomic_load_n(&sessions_active, __ATOMIC_RELAXED));
	head(&o, "mtasts_admin_commands_total", "counter",
	     "Control-socket commands, by command (error: refused).");
	for (i = 0; i < 7; i++)
		pr(&o, "mtasts_admin_commands_total{command=\"%s\"} %llu\n",
		   admin_cmds[i], (unsigned long long)get(&admin[i]));
	if (e != NULL)
		engine_part(&o, e);
	head(&o, "mtasts_start_time_seconds", "gauge",
	     "When the metrics began (Unix time).");
	pr(&o, "mtasts_start_time_seconds %lld\n", (long long)started);
	if (o.err) {
		free(o.buf);
		return -1;
	}
	*out = o.buf;
	*len = o.len;
	return 0;
}
