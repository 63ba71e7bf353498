/*
 * sts_resolver.c - DNSSEC-validating lookups over one shared ub_ctx with
 * a hard per-query deadline.  See sts_resolver.h for the contract.
 *
 * How the deadline works with many threads: every lookup starts its
 * queries with ub_resolve_async() and then loops until its own queries
 * are done.  Whichever thread calls ub_process() runs the callbacks of
 * every answer that is ready, so an answer may be delivered by another
 * waiting thread; the done flags are therefore protected by the
 * resolver's mutex.  Only one waiting thread at a time (the pump) polls
 * ub_fd() and calls ub_process(); the others sleep, each on its own
 * condition variable, which the callback of one of its queries signals,
 * so a thread whose answer another thread read wakes at once, and only
 * that thread.  (When every waiter polled the fd itself, an answer read
 * by one thread between another's check and its poll() left that one
 * asleep for the whole poll slice: a cold lookup, whose fetch and
 * next-hop helper wait side by side, took 10 ms more in about one case
 * of eight.  When one condition variable was broadcast for every
 * answer, each answer woke every waiter: with W lookups in flight, W
 * wake-ups per answer.  bench/analysis.md.)  The pump keeps the fd until
 * its own queries are done or its deadline passes; a waiter that leaves
 * while nobody pumps wakes the oldest waiter, which takes over or, done
 * too, passes on.  At the deadline the
 * unanswered queries are ub_cancel()ed; the callback holds a reference
 * to its query state until it has run (or until ub_cancel() succeeded,
 * which guarantees it never will: libunbound checks q->cancelled under
 * its cfglock before calling back).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>

#include "sts_resolver.h"
#include "sts_resolver_int.h"
#include "sts_sock.h"

const char *
sts_dnssec_str(enum sts_dnssec d)
{
	switch (d) {
	case STS_DNSSEC_SECURE:
		return "secure";
	case STS_DNSSEC_BOGUS:
		return "bogus";
	default:
		return "insecure";
	}
}

unsigned
sts_resolver_timeout_ms(const struct sts_resolver *r)
{
	return r->timeout_ms;
}

static enum sts_status
ub_fail(char *why, size_t whylen, const char *what, const char *arg, int err)
{
	return sts_why(why, whylen, STS_INVALID, "%s %s: %s", what, arg,
		       ub_strerror(err));
}

/* Add each address of a comma/space separated list as a forwarder. */
static enum sts_status
add_forwarders(struct ub_ctx *ctx, const char *list, char *why, size_t whylen)
{
	char buf[128];
	const char *p = list;
	size_t n;
	int err;

	while (*p != '\0') {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 0)
			break;
		if (n >= sizeof(buf))
			return sts_why(why, whylen, STS_INVALID,
				       "forwarder address too long");
		memcpy(buf, p, n);
		buf[n] = '\0';
		p += n;
		err = ub_ctx_set_fwd(ctx, buf);
		if (err != 0)
			return ub_fail(why, whylen, "forwarder", buf, err);
	}
	return STS_OK;
}

static enum sts_status
configure(struct ub_ctx *ctx, const struct sts_resolver_conf *c, char *why,
	  size_t whylen)
{
	const char *ta = c->trust_anchor_file;
	enum sts_status st;
	char max_rtt[16];
	int err;
	unsigned tmo =
		c->timeout_ms ? c->timeout_ms : STS_RESOLVER_DEFAULT_TIMEOUT_MS;
	bool forwarding = (c->forwarders != NULL && c->forwarders[0] != '\0') ||
			  (c->resolv_conf != NULL && c->resolv_conf[0] != '\0');

	snprintf(max_rtt, sizeof(max_rtt), "%u", tmo > 1000 ? tmo : 1000);
	/* why_bogus is only filled at val-log-level 2 (LAB.md section 1) */
	(void)ub_ctx_set_option(ctx, "val-log-level:", "2");
	/*
	 * The infrastructure cache (issue [harden] 7).  A server that lets
	 * queries time out -- e.g. a flood of names it never answers -- has
	 * its retransmit timeout doubled up to infra-cache-max-rtt (2 min by
	 * default) and is then marked down and not asked again until its
	 * entry expires after infra-host-ttl (900 s).  With forwarding
	 * (Forwarders, ResolvConf) the server is the forwarder: every lookup
	 * fails meanwhile (tests/net/t_forwarder: 58 s with a 60 s TTL).
	 * Ours: never back off beyond what a lookup waits anyway (DNSTimeout,
	 * at least 1 s), keep probing a down server, and when forwarding,
	 * forget a server's state after 10 s, which bounds the outage to
	 * about that.  Set before UnboundConfig, which may override them.
	 */
	if (ub_ctx_set_option(ctx, "infra-keep-probing:", "yes") != 0 ||
	    ub_ctx_set_option(ctx, "infra-cache-max-rtt:", max_rtt) != 0 ||
	    (forwarding &&
	     ub_ctx_set_option(ctx, "infra-host-ttl:", "10") != 0))
		return sts_why(why, whylen, STS_INVALID,
			       "libunbound refused an infra-cache option");
	if (c->unbound_conf != NULL && c->unbound_conf[0] != '\0') {
		err = ub_ctx_config(ctx, c->unbound_conf);
		if (err != 0)
			return ub_fail(why, whylen, "unbound config",
				       c->unbound_conf, err);
	}
	if (c->resolv_conf != NULL && c->resolv_conf[0] != '\0') {
		err = ub_ctx_resolvconf(ctx, c->resolv_conf);
		if (err != 0)
			return ub_fail(why, whylen, "resolv.conf",
				       c->resolv_conf, err);
	}
	if (c->forwarders != NULL) {
		st = add_forwarders(ctx, c->forwarders, why, whylen);
		if (st != STS_OK)
			return st;
	}
	if (ta == NULL) {
		/* the default anchor is optional: without it answers are
		 * merely "insecure" */
		FILE *f = fopen(STS_RESOLVER_DEFAULT_TA, "r");

		if (f == NULL)
			return STS_OK;
		fclose(f);
		ta = STS_RESOLVER_DEFAULT_TA;
	}
	if (ta[0] != '\0') {
		FILE *f = fopen(ta, "r");

		if (f == NULL)
			return sts_why(why, whylen, STS_INVALID,
				       "trust anchor %s: %s", ta,
				       strerror(errno));
		fclose(f);
		err = ub_ctx_add_ta_file(ctx, ta);
		if (err != 0)
			return ub_fail(why, whylen, "trust anchor", ta, err);
	}
	return STS_OK;
}

/* The wait's deadlines are sts_now_ms() values: CLOCK_MONOTONIC. */
static int
cv_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int rc;

	if (pthread_condattr_init(&a) != 0)
		return -1;
	rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return rc;
}

enum sts_status
sts_resolver_new(const struct sts_resolver_conf *conf,
		 struct sts_resolver **out, char *why, size_t whylen)
{
	static const struct sts_resolver_conf defaults;
	struct sts_resolver *r;
	enum sts_status st;
	int err;

	*out = NULL;
	if (conf == NULL)
		conf = &defaults;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	r->timeout_ms = conf->timeout_ms ? conf->timeout_ms
					 : STS_RESOLVER_DEFAULT_TIMEOUT_MS;
	r->af = conf->families;
	if (pthread_mutex_init(&r->mu, NULL) != 0) {
		free(r);
		return sts_why(why, whylen, STS_NOMEM, "mutex init failed");
	}
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		sts_resolver_free(r);
		return sts_why(why, whylen, STS_NOMEM, "ub_ctx_create failed");
	}
	/* resolve in a thread, never fork a threaded process */
	err = ub_ctx_async(r->ctx, 1);
	if (err != 0) {
		sts_resolver_free(r);
		return ub_fail(why, whylen, "ub_ctx_async", "", err);
	}
	st = configure(r->ctx, conf, why, whylen);
	if (st != STS_OK) {
		sts_resolver_free(r);
		return st;
	}
	*out = r;
	return STS_OK;
}

void
sts_resolver_free(struct sts_resolver *r)
{
	if (r == NULL)
		return;
	if (r->ctx != NULL)
		ub_ctx_delete(r->ctx);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Drop one reference; the caller holds r->mu. */
static void
query_unref_locked(struct query *q)
{
	if (--q->refs > 0)
		return;
	ub_resolve_free(q->res);
	free(q);
}

static void
query_cb(void *arg, int err, struct ub_result *res)
{
	struct query *q = arg;
	struct sts_resolver *r = q->r;

	pthread_mutex_lock(&r->mu);
	q->err = err;
	q->res = res;
	q->done = true;
	/* its owner may be asleep in the wait below, not at the fd */
	if (q->w != NULL)
		pthread_cond_signal(&q->w->cv);
	query_unref_locked(q);
	pthread_mutex_unlock(&r->mu);
}

/* Sleep on w->cv (r->mu held) until woken or the deadline (absolute,
 * sts_now_ms()) has passed. */
static void
cv_wait_until(struct sts_resolver *r, struct sts_resolver_waiter *w,
	      int64_t deadline)
{
	struct timespec ts;
	int64_t ms = deadline - sts_now_ms();

	if (ms <= 0)
		return;
	ts = sts_abstime_ms(CLOCK_MONOTONIC, ms);
	(void)pthread_cond_timedwait(&w->cv, &r->mu, &ts);
}

/* Link w as the newest waiter (r->mu held). */
static void
waiter_link(struct sts_resolver *r, struct sts_resolver_waiter *w)
{
	w->next = NULL;
	w->prev = r->waiters_tail;
	if (r->waiters_tail != NULL)
		r->waiters_tail->next = w;
	else
		r->waiters = w;
	r->waiters_tail = w;
}

/* Unlink w (r->mu held); if nobody pumps now, wake the oldest waiter
 * left, which takes the fd over or, done too, passes on. */
static void
waiter_leave(struct sts_resolver *r, struct sts_resolver_waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		r->waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		r->waiters_tail = w->prev;
	if (!r->pumping && r->waiters != NULL)
		pthread_cond_signal(&r->waiters->cv);
}

/*
 * Run n queries in parallel until all are answered or the deadline
 * passes.  On return q[i] is NULL when it could not be started; a query
 * that timed out has done == false.  The caller drops the references.
 */
void
sts_resolver_run_queries(struct sts_resolver *r, const char *const *names,
			 const int *types, struct query **q, size_t n,
			 int64_t deadline, unsigned settle_ms)
{
	struct sts_resolver_waiter me;
	int64_t left, settled = 0;
	struct pollfd pfd;
	bool all, some;
	size_t i;

	if (cv_init_monotonic(&me.cv) != 0) {
		/* no way to wait: no query is started (the callers report
		 * them as not started, a temporary failure) */
		for (i = 0; i < n; i++)
			q[i] = NULL;
		return;
	}
	/* drain answers of earlier cancelled queries (keeps the pipe from
	 * filling up when nobody else is waiting) */
	(void)ub_process(r->ctx);
	for (i = 0; i < n; i++) {
		q[i] = calloc(1, sizeof(*q[i]));
		if (q[i] == NULL)
			continue;
		q[i]->r = r;
		q[i]->refs = 2; /* ours + the callback's */
		if (ub_resolve_async(r->ctx, names[i], types[i], 1, q[i],
				     query_cb, &q[i]->id) != 0) {
			free(q[i]);
			q[i] = NULL;
		}
	}
	pthread_mutex_lock(&r->mu);
	/* a callback that ran before this sees w == NULL; the done flags
	 * are checked below under the same lock before any sleep */
	for (i = 0; i < n; i++)
		if (q[i] != NULL)
			q[i]->w = &me;
	waiter_link(r, &me);
	for (;;) {
		all = true;
		some = false;
		for (i = 0; i < n; i++) {
			if (q[i] != NULL && !q[i]->done)
				all = false;
			else if (q[i] != NULL && q[i]->res != NULL &&
				 q[i]->res->havedata && !q[i]->res->bogus)
				some = true;
		}
		/* settle_ms after the first usable answer, the rest are
		 * given up (RFC 8305 section 3's Resolution Delay) */
		if (some && settle_ms > 0 && settled == 0) {
			settled = sts_now_ms() + settle_ms;
			if (settled < deadline)
				deadline = settled;
		}
		left = deadline - sts_now_ms();
		if (all || left <= 0)
			break;
		if (r->pumping) {
			/* the pump runs our callbacks, which wake us; so does
			 * the pump, or a waiter, leaving while nobody pumps */
			cv_wait_until(r, &me, deadline);
			continue;
		}
		/* our turn at the fd, until we are done: every callback
		 * signals its own waiter */
		if (left > POLL_SLICE_MS)
			left = POLL_SLICE_MS;
		r->pumping = true;
		pthread_mutex_unlock(&r->mu);
		pfd.fd = ub_fd(r->ctx);
		pfd.events = POLLIN;
		pfd.revents = 0;
		(void)poll(&pfd, 1, (int)left);
		(void)ub_process(r->ctx);
		pthread_mutex_lock(&r->mu);
		r->pumping = false;
	}
	for (i = 0; i < n; i++)
		if (q[i] != NULL)
			q[i]->w = NULL;
	waiter_leave(r, &me);
	pthread_mutex_unlock(&r->mu);
	pthread_cond_destroy(&me.cv);
	for (i = 0; i < n; i++) {
		bool pending;

		if (q[i] == NULL)
			continue;
		pthread_mutex_lock(&r->mu);
		pending = !q[i]->done;
		pthread_mutex_unlock(&r->mu);
		if (pending && ub_cancel(r->ctx, q[i]->id) == 0) {
			/* the callback will never run: drop its reference */
			pthread_mutex_lock(&r->mu);
			query_unref_locked(q[i]);
			pthread_mutex_unlock(&r->mu);
		}
	}
}

void
sts_resolver_release_queries(struct sts_resolver *r, struct query **q, size_t n)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < n; i++)
		if (q[i] != NULL)
			query_unref_locked(q[i]);
	pthread_mutex_unlock(&r->mu);
}

/*
 * Fill meta from a finished (or not) query.  Returns the ub_result to
 * read data from (only when meta->status is STS_OK), else NULL.
 */
struct ub_result *
sts_resolver_classify(struct sts_resolver *r, struct query *q, const char *name,
		      struct sts_dns_meta *m)
{
	struct ub_result *res;
	bool done;
	int err;

	memset(m, 0, sizeof(*m));
	if (q == NULL) {
		m->status = sts_why(m->why, sizeof(m->why), STS_TEMPFAIL,
				    "%s: query could not be started", name);
		return NULL;
	}
	pthread_mutex_lock(&r->mu);
	done = q->done;
	err = q->err;
	res = q->res;
	pthread_mutex_unlock(&r->mu);
	if (!done) {
		m->status = sts_why(m->why, sizeof(m->why), STS_TEMPFAIL,
				    "%s: DNS timed out", name);
		return NULL;
	}
	if (err != 0 || res == NULL) {
		m->status = sts_why(m->why, sizeof(m->why), STS_TEMPFAIL,
				    "%s: resolver error: %s", name,
				    ub_strerror(err));
		return NULL;
	}
	m->rcode = res->rcode;
	m->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	if (res->bogus) {
		m->dnssec = STS_DNSSEC_BOGUS;
		m->status = sts_why(m->why, sizeof(m->why), STS_BOGUS,
				    "%s: DNSSEC bogus: %s", name,
				    res->why_bogus ? res->why_bogus
						   : "validation failed");
		return NULL;
	}
	m->dnssec = res->secure ? STS_DNSSEC_SECURE : STS_DNSSEC_INSECURE;
	if (res->rcode == 3) {
		m->status = sts_why(m->why, sizeof(m->why), STS_NOTFOUND,
				    "%s: NXDOMAIN", name);
		return NULL;
	}
	if (res->rcode != 0) {
		m->status =
			sts_why(m->why, sizeof(m->why), STS_TEMPFAIL,
				"%s: DNS error (rcode %d%s)", name, res->rcode,
				res->rcode == 2 ? ", SERVFAIL" : "");
		return NULL;
	}
	if (!res->havedata) {
		m->status =
			sts_why(m->why, sizeof(m->why), STS_NOTFOUND,
				"%s: no record of that type (NODATA)", name);
		return NULL;
	}
	m->status = STS_OK;
	return res;
}

/* One lookup of one type; *qp must be released by the caller. */
static struct ub_result *
lookup1(struct sts_resolver *r, const char *name, int type, int64_t deadline,
	struct sts_dns_meta *m, struct query **qp)
{
	const char *names[1] = {name};
	int types[1] = {type};

	sts_resolver_run_queries(r, names, types, qp, 1,
				 sts_deadline_min(deadline, r->timeout_ms), 0);
	return sts_resolver_classify(r, *qp, name, m);
}

enum sts_status
sts_resolver_txt(struct sts_resolver *r, const char *name,
		 struct sts_resolver_txt *out)
{
	return sts_resolver_txt_until(r, name, 0, out);
}

enum sts_status
sts_resolver_txt_until(struct sts_resolver *r, const char *name,
		       int64_t deadline_ms, struct sts_resolver_txt *out)
{
	struct query *q;
	struct ub_result *res;
	size_t n = 0, i;

	memset(out, 0, sizeof(*out));
	res = lookup1(r, name, RR_TYPE_TXT, deadline_ms, &out->meta, &q);
	if (res != NULL) {
		while (res->data[n] != NULL)
			n++;
		if (n > STS_MAX_TXT_RRS)
			n = STS_MAX_TXT_RRS;
		out->rr = calloc(n ? n : 1, sizeof(*out->rr));
		if (out->rr == NULL)
			goto nomem;
		for (i = 0; i < n; i++) {
			const unsigned char *d =
				(const unsigned char *)res->data[i];
			size_t len = (size_t)res->len[i], p = 0, o = 0;
			char *s = malloc(len + 1);

			if (s == NULL)
				goto nomem;
			/* RFC 1035 3.3.14: one or more <character-string> */
			while (p < len) {
				size_t cl = d[p++];

				if (cl > len - p)
					cl = len - p;
				memcpy(s + o, d + p, cl);
				o += cl;
				p += cl;
			}
			s[o] = '\0';
			out->rr[out->n].data = s;
			out->rr[out->n].len = o;
			out->n++;
		}
	}
	sts_resolver_release_queries(r, &q, 1);
	return out->meta.status;
nomem:
	sts_resolver_release_queries(r, &q, 1);
	sts_resolver_txt_clear(out);
	out->meta.status = sts_why(out->meta.why, sizeof(out->meta.why),
				   STS_NOMEM, "out of memory");
	return STS_NOMEM;
}

/*
 * Uncompressed wire-format name at d[0..len) -> lower-case text without
 * the trailing dot ("" for the root).  false if malformed or a label has
 * a byte that is not a letter, digit, '-' or '_'.
 */
static bool
wire_name(const unsigned char *d, size_t len, char *out, size_t outlen)
{
	size_t p = 0, o = 0;

	for (;;) {
		size_t ll;

		if (p >= len)
			return false;
		ll = d[p++];
		if (ll == 0)
			break;
		if (ll > 63 || ll > len - p || o + ll + 2 > outlen)
			return false;
		if (o > 0)
			out[o++] = '.';
		for (size_t k = 0; k < ll; k++) {
			unsigned char c = d[p + k];

			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return false;
			out[o++] = (char)c;
		}
		p += ll;
	}
	out[o] = '\0';
	return true;
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct sts_mx_host *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return 0;
}

void
sts_resolver_strip_dot(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n >= outlen)
		n = outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a'
							: in[i];
	out[n] = '\0';
}

enum sts_status
sts_resolver_mx(struct sts_resolver *r, const char *domain,
		struct sts_resolver_mx *out)
{
	return sts_resolver_mx_until(r, domain, 0, out);
}

enum sts_status
sts_resolver_mx_until(struct sts_resolver *r, const char *domain,
		      int64_t deadline_ms, struct sts_resolver_mx *out)
{
	struct query *q;
	struct ub_result *res;
	size_t n = 0, i, roots = 0;

	memset(out, 0, sizeof(*out));
	res = lookup1(r, domain, RR_TYPE_MX, deadline_ms, &out->meta, &q);
	if (res == NULL && out->meta.status == STS_NOTFOUND &&
	    out->meta.rcode == 0) {
		/* NODATA: RFC 5321 section 5.1 implicit MX */
		out->mx = calloc(1, sizeof(*out->mx));
		if (out->mx == NULL)
			goto nomem;
		sts_resolver_strip_dot(domain, out->mx[0].name,
				       sizeof(out->mx[0].name));
		out->n = 1;
		out->implicit = true;
		out->meta.status = STS_OK;
		out->meta.why[0] = '\0';
	}
	if (res != NULL) {
		while (res->data[n] != NULL)
			n++;
		out->mx = calloc(n ? n : 1, sizeof(*out->mx));
		if (out->mx == NULL)
			goto nomem;
		for (i = 0; i < n && out->n < STS_MAX_MX; i++) {
			const unsigned char *d =
				(const unsigned char *)res->data[i];
			struct sts_mx_host *h = &out->mx[out->n];

			if (res->len[i] < 3 ||
			    !wire_name(d + 2, (size_t)res->len[i] - 2, h->name,
				       sizeof(h->name)))
				continue; /* unusable RR: skip it */
			h->pref = (uint16_t)(d[0] << 8 | d[1]);
			if (h->name[0] == '\0') {
				roots++; /* "." target: RFC 7505 null MX */
				continue;
			}
			out->n++;
		}
		if (out->n == 0 && roots > 0) {
			out->null_mx = true;
		} else if (out->n == 0) {
			out->meta.status = sts_why(
				out->meta.why, sizeof(out->meta.why),
				STS_INVALID, "%s: no usable MX record", domain);
		}
		qsort(out->mx, out->n, sizeof(*out->mx), mx_cmp);
	}
	sts_resolver_release_queries(r, &q, 1);
	return out->meta.status;
nomem:
	sts_resolver_release_queries(r, &q, 1);
	sts_resolver_mx_clear(out);
	out->meta.status = sts_why(out->meta.why, sizeof(out->meta.why),
				   STS_NOMEM, "out of memory");
	return STS_NOMEM;
}

enum sts_status
sts_resolver_tlsa(struct sts_resolver *r, const char *host, uint16_t port,
		  struct sts_resolver_tlsa *out)
{
	return sts_resolver_tlsa_until(r, host, port, 0, out);
}

enum sts_status
sts_resolver_tlsa_until(struct sts_resolver *r, const char *host, uint16_t port,
			int64_t deadline_ms, struct sts_resolver_tlsa *out)
{
	char name[STS_DOMAIN_BUFSZ + 16];
	struct query *q;
	struct ub_result *res;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	snprintf(name, sizeof(name), "_%u._tcp.%s", (unsigned)port, host);
	res = lookup1(r, name, RR_TYPE_TLSA, deadline_ms, &out->meta, &q);
	if (res != NULL) {
		while (res->data[n] != NULL)
			n++;
		out->rr = calloc(n ? n : 1, sizeof(*out->rr));
		if (out->rr == NULL)
			goto nomem;
		for (size_t i = 0; i < n && out->n < STS_MAX_TLSA; i++) {
			const unsigned char *d =
				(const unsigned char *)res->data[i];
			size_t len = (size_t)res->len[i];
			struct sts_tlsa *t = &out->rr[out->n];

			if (len < 4)
				continue; /* malformed: skip */
			t->usage = d[0];
			t->selector = d[1];
			t->mtype = d[2];
			t->len = len - 3;
			t->data = malloc(t->len);
			if (t->data == NULL)
				goto nomem;
			memcpy(t->data, d + 3, t->len);
			out->n++;
		}
	}
	sts_resolver_release_queries(r, &q, 1);
	return out->meta.status;
nomem:
	sts_resolver_release_queries(r, &q, 1);
	sts_resolver_tlsa_clear(out);
	out->meta.status = sts_why(out->meta.why, sizeof(out->meta.why),
				   STS_NOMEM, "out of memory");
	return STS_NOMEM;
}

void
sts_resolver_txt_clear(struct sts_resolver_txt *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; a->rr != NULL && i < a->n; i++)
		free((void *)a->rr[i].data);
	free(a->rr);
	a->rr = NULL;
	a->n = 0;
}

void
sts_resolver_mx_clear(struct sts_resolver_mx *a)
{
	if (a == NULL)
		return;
	free(a->mx);
	a->mx = NULL;
	a->n = 0;
}

void
sts_resolver_tlsa_clear(struct sts_resolver_tlsa *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; a->rr != NULL && i < a->n; i++)
		free(a->rr[i].data);
	free(a->rr);
	a->rr = NULL;
	a->n = 0;
}
