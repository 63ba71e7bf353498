/*
 * milter/control_cmd.c - the control socket's commands (control.h): one
 * request line (sts_ctlcmd.h), then the answer.  Every engine call here
 * is one that never waits for the network (sts_engine_admin.h).
 * Administrative acts that change the cache (refresh, forget, warm) are
 * logged with the client's uid.
 */
#include "config.h"

#define _GNU_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "control_int.h"
#include "log.h"
#include "metrics.h"
#include "sts_dane.h"
#include "sts_engine_admin.h"
#include "sts_engine_metrics.h"

_Static_assert(STS_MAX_CTL_LINE == 1040, "CTL_LINE_S is out of date");

static const char *
iso(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

static const char *
probe_str(enum sts_probe_state p)
{
	static const char *const n[] = {"not-done", "ok", "failed", "tempfail"};

	return (unsigned)p < 4 ? n[p] : "?";
}

static long
peer_uid(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) != 0)
		return -1;
	return (long)cr.uid;
}

static void
cmd_show(struct ctl_conn *k, const char *arg)
{
	struct sts_engine_info *in = calloc(1, sizeof(*in));
	const struct sts_cache_view *v;
	char why[STS_WHY_MAX], t[32];
	size_t i;

	if (in == NULL) {
		ctl_printf(k, "ERR out of memory\n");
		return;
	}
	if (sts_engine_show(k->e, arg, in, why, sizeof(why)) != STS_OK) {
		ctl_printf(k, "ERR %s\n", why);
		sts_engine_info_clear(in);
		free(in);
		return;
	}
	v = &in->v;
	ctl_printf(k, "domain: %s\n", in->domain);
	ctl_printf(k, "cache: %s%s\n",
		   in->cached ? sts_cache_state_str(v->state) : "not cached",
		   in->busy ? " (fetch queued or running)" : "");
	if (in->cached && v->state == STS_CS_POLICY) {
		ctl_printf(k, "id: %s\n", v->id);
		ctl_printf(k, "mode: %s\n", sts_mode_str(v->mode));
		ctl_printf(k, "max_age: %u\n", (unsigned)v->max_age);
		ctl_printf(k, "mx:");
		for (i = 0; i < v->n_mx; i++)
			ctl_printf(k, " %s", v->mx[i]);
		ctl_printf(k, "\n");
		ctl_printf(k, "fetched: %s\n",
			   iso(v->fetched_at, t, sizeof(t)));
		ctl_printf(k, "expires: %s\n",
			   iso(v->expires_at, t, sizeof(t)));
		ctl_printf(k, "refresh: %s\n",
			   iso(v->refresh_at, t, sizeof(t)));
	}
	if (in->cached) {
		ctl_printf(k, "last_attempt: %s\n",
			   iso(v->last_attempt, t, sizeof(t)));
		ctl_printf(k, "last_status: %s\n", sts_status_str(v->status));
		ctl_printf(k, "last_error: %s\n", v->why[0] ? v->why : "-");
		ctl_printf(k, "result_type: %s\n", sts_rpt_str(v->rpt));
	}
	if (!in->have_nexthop) {
		ctl_printf(k, "nexthop: not cached\n");
	} else {
		ctl_printf(k, "nexthop: %s dnssec=%s%s%s\n",
			   sts_status_str(in->mx.status),
			   in->mx.dnssec == STS_SRC_SECURE  ? "secure"
			   : in->mx.dnssec == STS_SRC_BOGUS ? "bogus"
							    : "insecure",
			   in->mx.null_mx ? " null-mx" : "",
			   in->mx.implicit ? " implicit-mx" : "");
		for (i = 0; i < in->mx.n; i++)
			ctl_printf(k, "host: %s pref=%u dane=%s probe=%s%s%s\n",
				   in->mx.host[i].name,
				   (unsigned)in->mx.host[i].pref,
				   sts_dane_state_str(in->dane[i]),
				   in->have_probe[i] ? probe_str(in->probe[i])
						     : "not-cached",
				   in->have_probe[i] && in->probe_rpt[i] !=
								STS_RPT_NONE
					   ? " type="
					   : "",
				   in->have_probe[i] && in->probe_rpt[i] !=
								STS_RPT_NONE
					   ? sts_rpt_str(in->probe_rpt[i])
					   : "");
	}
	ctl_printf(k, "OK\n");
	sts_engine_info_clear(in);
	free(in);
}

/* dump: records are copied under the cache lock into a batch (fn), then
 * written with the lock released (between). */
struct dump {
	struct ctl_conn *k;
	char *buf;
	size_t len, cap, skipped;
};

static void
dump_fn(void *arg, const struct sts_cache_record *r)
{
	struct dump *d = arg;
	size_t i;
	int n;

	/* domain, id and mx patterns are validated tokens (LDH, dots, a
	 * leading "*.", alphanumeric ids): nothing to escape in JSON */
	if (d->cap - d->len < 512 + r->n_mx * (STS_MAX_DOMAIN + 4)) {
		d->skipped++; /* batch full: reported in the last line */
		return;
	}
	n = snprintf(d->buf + d->len, d->cap - d->len,
		     "{\"domain\":\"%s\",\"id\":\"%s\",\"mode\":\"%s\","
		     "\"max_age\":%u,\"fetched_at\":%lld,\"expires_at\":%lld,"
		     "\"mx\":[",
		     r->domain, r->id, sts_mode_str(r->mode),
		     (unsigned)r->max_age, (long long)r->fetched_at,
		     (long long)r->expires_at);
	d->len += (size_t)n;
	for (i = 0; i < r->n_mx; i++) {
		n = snprintf(d->buf + d->len, d->cap - d->len, "%s\"%s\"",
			     i ? "," : "", r->mx[i]);
		d->len += (size_t)n;
	}
	d->len += (size_t)snprintf(d->buf + d->len, d->cap - d->len, "]}\n");
}

static bool
dump_between(void *arg)
{
	struct dump *d = arg;
	int rc = ctl_write(d->k, d->buf, d->len);

	d->len = 0;
	return rc == 0 && !*d->k->stop;
}

static void
cmd_dump(struct ctl_conn *k)
{
	/* one chunk of the walk is 1024 buckets: at most a few thousand
	 * entries of at most ~17 KiB each; 64 MiB would be the worst
	 * case, so the batch is flushed by size too (dump_fn skips none:
	 * the chunk holds ~1 entry per bucket on average) */
	struct dump d = {k, NULL, 0, 8u << 20, 0};
	size_t n;

	d.buf = malloc(d.cap);
	if (d.buf == NULL) {
		ctl_printf(k, "ERR out of memory\n");
		return;
	}
	n = sts_engine_dump(k->e, dump_fn, dump_between, &d);
	if (d.len > 0)
		(void)dump_between(&d);
	free(d.buf);
	if (d.skipped > 0)
		ctl_printf(k,
			   "ERR %zu policies written, %zu left out (batch "
			   "full)\n",
			   n - d.skipped, d.skipped);
	else
		ctl_printf(k, "OK %zu policies\n", n);
}

static void
cmd_change(struct ctl_conn *k, const struct sts_ctlcmd *c)
{
	char why[STS_WHY_MAX];
	enum sts_status st;

	if (c->verb == STS_CTL_REFRESH)
		st = sts_engine_refresh(k->e, c->arg, why, sizeof(why));
	else
		st = sts_engine_forget(k->e, c->arg, why, sizeof(why));
	log_msg(LOG_NOTICE, "control: uid=%ld %s: %s", peer_uid(k->fd),
		sts_ctl_verb_str(c->verb), why);
	if (st == STS_OK || st == STS_NOTFOUND)
		ctl_printf(k, "OK %s\n", why);
	else
		ctl_printf(k, "ERR %s\n", why);
}

static void
cmd_warm(struct ctl_conn *k)
{
	char dom[STS_MAX_DOMAIN_INPUT + 1], why[STS_WHY_MAX];
	struct sts_engine_info *in = calloc(1, sizeof(*in));
	size_t len, queued = 0, cached = 0, bad = 0, busy = 0, n = 0;
	const struct timespec gap = {0, 1000000000L / CONTROL_WARM_RATE};
	const char *rw = NULL;
	enum sts_status st;
	int r;

	if (in == NULL) {
		ctl_printf(k, "ERR out of memory\n");
		return;
	}
	for (;;) {
		r = ctl_read_line(k, &len, &rw);
		if (r <= 0) {
			ctl_printf(k, "ERR warm list: %s\n",
				   r == 0 ? "no \".\" line at the end" : rw);
			break;
		}
		st = sts_ctlcmd_domain_line(k->line, len, dom, sizeof(dom), why,
					    sizeof(why));
		if (st == STS_NOTFOUND) {
			log_msg(LOG_NOTICE,
				"control: uid=%ld warm: %zu queued, %zu "
				"cached, %zu busy, %zu invalid",
				peer_uid(k->fd), queued, cached, busy, bad);
			ctl_printf(k,
				   "OK warm: %zu queued, %zu already cached, "
				   "%zu already being fetched, %zu invalid\n",
				   queued, cached, busy, bad);
			break;
		}
		if (++n > STS_MAX_CTL_WARM) {
			ctl_printf(k,
				   "ERR warm list longer than the cap of %u "
				   "domains\n",
				   (unsigned)STS_MAX_CTL_WARM);
			break;
		}
		if (st != STS_OK || sts_engine_show(k->e, dom, in, why,
						    sizeof(why)) != STS_OK) {
			bad++;
			continue;
		}
		if (in->cached && in->v.state == STS_CS_POLICY) {
			cached++;
			continue;
		}
		st = sts_engine_refresh(k->e, dom, why, sizeof(why));
		if (st == STS_OK) {
			queued++;
			nanosleep(&gap, NULL); /* CONTROL_WARM_RATE per s */
		} else if (st == STS_TEMPFAIL) {
			busy++;
		} else {
			bad++;
		}
	}
	sts_engine_info_clear(in);
	free(in);
}

static void
cmd_stats(struct ctl_conn *k)
{
	struct sts_engine_metrics *m = malloc(sizeof(*m));
	char *buf;
	size_t len;

	if (m == NULL) {
		ctl_printf(k, "ERR out of memory\n");
		return;
	}
	sts_engine_metrics(k->e, true, m);
	ctl_printf(k,
		   "policies_enforce: %llu\npolicies_testing: %llu\n"
		   "policies_none: %llu\nnegative_entries: %llu\n"
		   "failed_entries: %llu\ncache_entries: %llu\n"
		   "lookups: %llu\nhits: %llu\nnegative_hits: %llu\n"
		   "misses: %llu\nevictions: %llu\n",
		   (unsigned long long)m->policies[STS_MODE_ENFORCE],
		   (unsigned long long)m->policies[STS_MODE_TESTING],
		   (unsigned long long)m->policies[STS_MODE_NONE],
		   (unsigned long long)m->negative,
		   (unsigned long long)m->failed,
		   (unsigned long long)m->entries,
		   (unsigned long long)m->lookups, (unsigned long long)m->hits,
		   (unsigned long long)m->negative_hits,
		   (unsigned long long)m->misses,
		   (unsigned long long)m->evictions);
	free(m);
	/* and every metric, as the Prometheus endpoint shows them */
	if (metrics_format(k->e, &buf, &len) == 0) {
		ctl_write(k, buf, len);
		free(buf);
	}
	ctl_printf(k, "OK\n");
}

void
ctl_serve(struct ctl_conn *k)
{
	struct sts_ctlcmd c;
	char why[STS_WHY_MAX];
	const char *rw = "end of input";
	size_t len;
	int r;

	r = ctl_read_line(k, &len, &rw);
	if (r <= 0) {
		metrics_admin("error");
		ctl_printf(k, "ERR %s\n", r == 0 ? "empty request" : rw);
		return;
	}
	if (sts_ctlcmd_parse(k->line, len, &c, why, sizeof(why)) != STS_OK) {
		metrics_admin("error");
		ctl_printf(k, "ERR %s\n", why);
		return;
	}
	metrics_admin(sts_ctl_verb_str(c.verb));
	switch (c.verb) {
	case STS_CTL_SHOW:
		cmd_show(k, c.arg);
		break;
	case STS_CTL_DUMP:
		cmd_dump(k);
		break;
	case STS_CTL_REFRESH:
	case STS_CTL_FORGET:
		cmd_change(k, &c);
		break;
	case STS_CTL_WARM:
		cmd_warm(k);
		break;
	default:
		cmd_stats(k);
		break;
	}
}
