/*
 * milter/tlsrpt.c - collecting TLS-report results (see tlsrpt.h): the
 * collector socket, the observer of RCPT-time answers, the record API,
 * and the ticker that flushes the journal every second and wakes the
 * sender (tlsrpt_send.c) once a day.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sts_domain.h"
#include "sts_policy.h"
#include "sts_rcptreply.h"
#include "sts_rptdgram.h"
#include "sts_rptstore.h"
#include "tlsrpt.h"
#include "tlsrpt_send.h"

struct trpt {
	struct sts_rptstore *store;
	struct sts_engine *engine;
	struct tlsrpt_sender *sender;
	int sock;
	char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool observe, send_today;
	unsigned delay;
	pthread_t collector, ticker, sendthr;
	bool have_collector, have_ticker, have_sendthr;
	atomic_bool stop;
	pthread_mutex_t mu; /* guards the two flags below */
	pthread_cond_t cv;
	bool send_now, sending, forced; /* forced: this pass is SIGUSR2's */
	atomic_ullong datagrams, bad, observed, refused, exim;
};

static struct trpt *T;

static time_t
next_run(time_t now, unsigned delay)
{
	/* RFC 8460 section 4.4: a report covers a full UTC day; send it
	 * after the day ends, spread over `delay` seconds (jitter, so
	 * that not every sender hits a receiver at 00:00). */
	time_t midnight = (now / 86400 + 1) * 86400;

	return midnight + (delay ? (time_t)((unsigned)random() % delay) : 0);
}

static void
count_policy(const char *domain, const struct sts_rpt_policy *p)
{
	char why[STS_WHY_MAX];
	int64_t day = (int64_t)time(NULL) / 86400;

	if (sts_rptstore_add(T->store, day, domain, p, why, sizeof(why)) !=
	    STS_OK) {
		unsigned long long n = atomic_fetch_add(&T->refused, 1);
		if (n < 10 || n % 1000 == 0)
			log_msg(LOG_WARNING, "tlsrpt: %s not counted: %s",
				domain, why);
	}
}

int
tlsrpt_record(const char *domain, const struct sts_rpt_policy *p)
{
	char why[STS_WHY_MAX];
	int64_t day = (int64_t)time(NULL) / 86400;

	if (T == NULL)
		return -1;
	return sts_rptstore_add(T->store, day, domain, p, why, sizeof(why)) ==
			       STS_OK
		       ? 0
		       : -1;
}

int
tlsrpt_record_datagram(const char *json, size_t len)
{
	struct sts_rptdgram *d = NULL;
	char why[STS_WHY_MAX];

	if (T == NULL)
		return -1;
	if (sts_rptdgram_parse(json, len, &d, why, sizeof(why)) != STS_OK) {
		unsigned long long n = atomic_fetch_add(&T->bad, 1);
		/* counted and dropped; logged sparingly (a broken client
		 * could send thousands a second) */
		if (n < 10 || n % 1000 == 0)
			log_msg(LOG_WARNING,
				"tlsrpt: bad datagram dropped (%llu so far): "
				"%s",
				n + 1, why);
		return -1;
	}
	atomic_fetch_add(&T->datagrams, 1);
	for (size_t i = 0; i < d->n_pol; i++)
		count_policy(d->domain, &d->pol[i]);
	sts_rptdgram_free(d);
	return 0;
}

/* The policy as RFC 8460 section 4.5 wants it: one string per line. */
static size_t
policy_lines(const struct sts_policy *p, char **out, size_t max)
{
	char buf[STS_DOMAIN_BUFSZ + 16];
	size_t n = 0;

	out[n++] = strdup("version: STSv1");
	snprintf(buf, sizeof(buf), "mode: %s", sts_mode_str(p->mode));
	out[n++] = strdup(buf);
	for (size_t i = 0; i < p->n_mx && n + 1 < max; i++) {
		snprintf(buf, sizeof(buf), "mx: %s", p->mx[i]);
		out[n++] = strdup(buf);
	}
	snprintf(buf, sizeof(buf), "max_age: %u", (unsigned)p->max_age);
	out[n++] = strdup(buf);
	return n;
}

/* Count one session of policy type ptype for (normalised) domain:
 * success when rpt is STS_RPT_NONE, else a failure with one detail row
 * (mx, ip, reason: NULL or "" for absent).  For an sts policy the
 * policy block carries the cached policy (RFC 8460 section 4.5), so
 * that sessions counted here and Postfix's datagrams for the same
 * policy meet in one element; the lookup never waits (deadline 0). */
static void
count_session(const char *domain, enum sts_rpt_ptype ptype, enum sts_rpt rpt,
	      const char *mx, const char *ip, const char *reason)
{
	struct sts_rpt_policy p;
	struct sts_rpt_failure f;
	struct sts_lookup lk;
	char **lines = NULL; /* no mx count cap (issue 13 item 7) */

	memset(&p, 0, sizeof(p));
	memset(&f, 0, sizeof(f));
	memset(&lk, 0, sizeof(lk));
	p.type = ptype;
	p.policy_domain = (char *)domain;
	if (ptype == STS_RPT_PT_STS)
		sts_engine_lookup(T->engine, domain, 0, &lk);
	if (lk.policy != NULL)
		lines = calloc(lk.policy->n_mx + 3, sizeof(*lines));
	if (lines != NULL) {
		size_t n = policy_lines(lk.policy, lines, lk.policy->n_mx + 3);
		bool oom = false;
		for (size_t i = 0; i < n; i++)
			oom |= lines[i] == NULL;
		if (!oom) {
			p.strings = lines;
			p.n_strings = n;
			p.mx = lk.policy->mx;
			p.n_mx = lk.policy->n_mx;
		} else {
			for (size_t i = 0; i < n; i++)
				free(lines[i]);
		}
	}
	if (rpt != STS_RPT_NONE) {
		f.type = rpt;
		f.count = 1;
		f.mx_host = mx != NULL && mx[0] != '\0' ? (char *)mx : NULL;
		f.receiving_ip =
			ip != NULL && ip[0] != '\0' ? (char *)ip : NULL;
		f.reason = reason != NULL && reason[0] != '\0' ? (char *)reason
							       : NULL;
		p.failure = 1;
		p.fail = &f;
		p.n_fail = 1;
	} else
		p.success = 1;
	count_policy(domain, &p);
	for (size_t i = 0; i < p.n_strings; i++)
		free(lines[i]);
	free(lines);
	sts_policy_free(lk.policy);
}

void
tlsrpt_observe(struct sts_engine *e, const struct sts_answer *a)
{
	(void)e; /* the engine of tlsrpt_start() */
	if (T == NULL || !T->observe)
		return;
	/* Sessions we can speak for (doc/tlsrpt.md): a policy applied and
	 * its MX check passed or failed, or discovery failed with an RFC
	 * 8460 result type.  Transient failures (section 4.3.4), domains
	 * without a policy, DANE (the MTA decides) and exemptions are
	 * not sessions we saw. */
	switch (a->reason) {
	case STS_REASON_SATISFIED:
		break;
	case STS_REASON_MX_MISMATCH:
	case STS_REASON_TLS_FAILED:
	case STS_REASON_TEMPFAIL:
	case STS_REASON_DNSSEC_BOGUS:
		if (a->rpt == STS_RPT_NONE)
			return;
		break;
	default:
		return;
	}
	atomic_fetch_add(&T->observed, 1);
	count_session(a->domain, STS_RPT_PT_STS,
		      a->reason == STS_REASON_SATISFIED ? STS_RPT_NONE : a->rpt,
		      NULL, NULL, a->why);
}

size_t
tlsrpt_line_answer(const struct sts_line_req *req, char *out, size_t outlen)
{
	char dom[STS_DOMAIN_BUFSZ], why[STS_WHY_MAX], ldom[STS_DOMAIN_BUFSZ];
	unsigned long long before;

	if (T == NULL)
		return sts_line_format_tlsrpt("ignored", "TLS reporting is off",
					      out, outlen);
	if (sts_domain_normalize(req->domain, dom, why, sizeof(why)) !=
	    STS_OK) {
		atomic_fetch_add(&T->bad, 1);
		return sts_line_format_tlsrpt("error", why, out, outlen);
	}
	before = atomic_load(&T->refused);
	atomic_fetch_add(&T->exim, 1);
	count_session(dom, req->ptype,
		      req->success ? STS_RPT_NONE : req->result, req->mx,
		      req->ip, NULL);
	sts_rcptreply_clean(ldom, sizeof(ldom), dom);
	log_msg(req->success ? LOG_DEBUG : LOG_INFO,
		"tlsrpt: exim session domain=%s type=%s mx=%s ip=%s result=%s",
		ldom, sts_rpt_ptype_str(req->ptype), req->mx[0] ? req->mx : "-",
		req->ip[0] ? req->ip : "-",
		req->success ? "success" : sts_rpt_str(req->result));
	if (atomic_load(&T->refused) != before)
		return sts_line_format_tlsrpt("error", "not counted (a cap)",
					      out, outlen);
	return sts_line_format_tlsrpt("ok", NULL, out, outlen);
}

static void *
collector(void *arg)
{
	struct pollfd pfd = {.fd = T->sock, .events = POLLIN};
	char *buf = malloc(STS_MAX_RPT_DGRAM + 1);

	(void)arg;
	if (buf == NULL) {
		log_msg(LOG_ERR, "tlsrpt: collector: out of memory");
		return NULL;
	}
	while (!atomic_load(&T->stop)) {
		ssize_t n;
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		/* MSG_TRUNC: the real length, so an oversized datagram is
		 * refused rather than parsed cut short. */
		n = recv(T->sock, buf, STS_MAX_RPT_DGRAM + 1,
			 MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0)
			continue;
		if ((size_t)n > STS_MAX_RPT_DGRAM) {
			atomic_fetch_add(&T->bad, 1);
			continue;
		}
		tlsrpt_record_datagram(buf, (size_t)n);
	}
	free(buf);
	return NULL;
}

static void *
sender_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&T->mu);
	for (;;) {
		while (!T->sending && !atomic_load(&T->stop))
			pthread_cond_wait(&T->cv, &T->mu);
		if (atomic_load(&T->stop))
			break;
		bool forced = T->forced;
		pthread_mutex_unlock(&T->mu);
		tlsrpt_sender_pass(T->sender, T->store, time(NULL),
				   forced && T->send_today, forced);
		pthread_mutex_lock(&T->mu);
		T->sending = false;
	}
	pthread_mutex_unlock(&T->mu);
	return NULL;
}

static void *
ticker(void *arg)
{
	time_t next = next_run(time(NULL), T->delay), retry;
	char why[STS_WHY_MAX];
	bool warned = false;

	(void)arg;
	while (!atomic_load(&T->stop)) {
		struct timespec ts;
		bool go;
		time_t now;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_mutex_lock(&T->mu);
		if (!(T->send_now && !T->sending) && !atomic_load(&T->stop))
			pthread_cond_timedwait(&T->cv, &T->mu, &ts);
		now = time(NULL);
		retry = T->sender ? tlsrpt_sender_next_retry(T->sender) : 0;
		go = T->sender != NULL && !T->sending &&
		     (T->send_now || now >= next ||
		      (retry != 0 && now >= retry));
		if (go) {
			T->sending = true;
			T->forced = T->send_now;
			T->send_now = false;
			if (now >= next)
				next = next_run(now, T->delay);
			pthread_cond_broadcast(&T->cv);
		}
		pthread_mutex_unlock(&T->mu);
		/* At most the last second of counts is lost by a crash. */
		if (sts_rptstore_flush(T->store, why, sizeof(why)) != STS_OK) {
			if (!warned)
				log_msg(LOG_ERR, "tlsrpt: journal: %s", why);
			warned = true;
		} else
			warned = false;
	}
	return NULL;
}

/* "unix:/path", "local:/path" or "/path": the path, or NULL. */
static const char *
collector_path(const char *spec)
{
	const char *path = spec;

	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	if (path[0] != '/' ||
	    strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return NULL;
	return path;
}

static int
open_collector(const char *spec, int mode, char *why, size_t whylen)
{
	struct sockaddr_un sa;
	const char *path = collector_path(spec);
	int fd, rcv = 1 << 20;

	if (path == NULL) {
		snprintf(why, whylen,
			 "TLSRPTSocket %s: not unix:/absolute/path", spec);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	/* libtlsrpt sends with MSG_DONTWAIT: a full queue loses
	 * datagrams, so give bursts room. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	(void)unlink(path); /* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(why, whylen, "TLSRPTSocket %s: %s", spec,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, (mode_t)mode) != 0)
		log_msg(LOG_WARNING, "chmod %s: %s", path, strerror(errno));
	memcpy(T->sockpath, path, strlen(path) + 1);
	return fd;
}

static void
cleanup(void)
{
	if (T->sock >= 0)
		close(T->sock);
	if (T->sockpath[0] != '\0')
		unlink(T->sockpath);
	tlsrpt_sender_free(T->sender);
	sts_rptstore_free(T->store);
	pthread_mutex_destroy(&T->mu);
	pthread_cond_destroy(&T->cv);
	free(T);
	T = NULL;
}

int
tlsrpt_check_conf(const struct conf *c, FILE *out)
{
	const char *f = c->file ? c->file : "configuration";
	const char *at =
		c->tlsrpt_contact ? strchr(c->tlsrpt_contact, '@') : NULL;
	int rc = 0;

	if (c->tlsrpt_socket != NULL &&
	    collector_path(c->tlsrpt_socket) == NULL) {
		fprintf(out, "%s: TLSRPTSocket %s: not unix:/absolute/path\n",
			f, c->tlsrpt_socket);
		rc = -1;
	}
	if (c->tlsrpt_contact != NULL &&
	    (at == NULL || at == c->tlsrpt_contact || at[1] == '\0' ||
	     strchr(at + 1, '@') != NULL ||
	     strpbrk(c->tlsrpt_contact, " \t<>\"(),;:[]\\") != NULL)) {
		fprintf(out, "%s: TLSRPTContact %s: not a plain address\n", f,
			c->tlsrpt_contact);
		rc = -1;
	}
	if (c->tlsrpt_journal == NULL) {
		if (c->tlsrpt_socket != NULL || c->tlsrpt_contact != NULL)
			fprintf(out,
				"%s: warning: TLSRPT settings without "
				"TLSRPTJournal have no effect\n",
				f);
		return rc;
	}
	if (c->tlsrpt_send && c->tlsrpt_contact == NULL)
		fprintf(out,
			"%s: warning: no TLSRPTContact: reports go to https: "
			"destinations only\n",
			f);
	if (c->tlsrpt_send && c->tlsrpt_contact != NULL) {
		char prog[1024];
		snprintf(prog, sizeof(prog), "%.*s",
			 (int)strcspn(c->tlsrpt_sendmail, " \t"),
			 c->tlsrpt_sendmail);
		if (access(prog, X_OK) != 0)
			fprintf(out,
				"%s: warning: TLSRPTSendmail %s: not "
				"executable: mailed reports will fail\n",
				f, prog);
	}
	return rc;
}

int
tlsrpt_start(const struct conf *c, struct sts_engine *e, char *why,
	     size_t whylen)
{
	char w[STS_WHY_MAX];

	if (c->tlsrpt_journal == NULL)
		return 0;
	if (tlsrpt_check_conf(c, stderr) != 0) {
		snprintf(why, whylen, "TLSRPT settings unusable (see above)");
		return -1;
	}
	T = calloc(1, sizeof(*T));
	if (T == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	T->sock = -1;
	T->engine = e;
	T->delay = c->tlsrpt_send_delay;
	T->send_today = c->tlsrpt_send_today;
	pthread_mutex_init(&T->mu, NULL);
	pthread_cond_init(&T->cv, NULL);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (sts_rptstore_open(c->tlsrpt_journal, false, c->tlsrpt_max_domains,
			      c->tlsrpt_max_details, &T->store, w,
			      sizeof(w)) != STS_OK) {
		snprintf(why, whylen, "TLSRPTJournal: %s", w);
		cleanup();
		return -1;
	}
	if (c->tlsrpt_socket != NULL) {
		T->sock = open_collector(c->tlsrpt_socket, c->socket_mode, why,
					 whylen);
		if (T->sock < 0) {
			cleanup();
			return -1;
		}
	}
	/* With a collector, the MTA reports its own sessions: observing
	 * RCPT-time answers too would count them twice. */
	T->observe = T->sock < 0;
	if (c->tlsrpt_send) {
		T->sender = tlsrpt_sender_new(c, e, why, whylen);
		if (T->sender == NULL) {
			cleanup();
			return -1;
		}
	}
	if (T->sock >= 0) {
		T->have_collector = pthread_create(&T->collector, NULL,
						   collector, NULL) == 0;
	}
	T->have_ticker = pthread_create(&T->ticker, NULL, ticker, NULL) == 0;
	if (T->sender != NULL)
		T->have_sendthr = pthread_create(&T->sendthr, NULL,
						 sender_thread, NULL) == 0;
	if ((T->sock >= 0 && !T->have_collector) || !T->have_ticker ||
	    (T->sender != NULL && !T->have_sendthr)) {
		snprintf(why, whylen, "cannot start the TLSRPT threads");
		tlsrpt_stop();
		return -1;
	}
	log_msg(LOG_INFO, "tlsrpt: journal %s, collector %s, %s, reports %s",
		c->tlsrpt_journal, c->tlsrpt_socket ? c->tlsrpt_socket : "off",
		T->observe ? "counting RCPT-time results"
			   : "RCPT-time results not counted (collector on)",
		T->sender ? "sent daily" : "not sent (TLSRPTSend no)");
	return 0;
}

void
tlsrpt_stop(void)
{
	char why[STS_WHY_MAX];

	if (T == NULL)
		return;
	pthread_mutex_lock(&T->mu);
	atomic_store(&T->stop, true);
	pthread_cond_broadcast(&T->cv);
	pthread_mutex_unlock(&T->mu);
	if (T->have_collector)
		pthread_join(T->collector, NULL);
	if (T->have_ticker)
		pthread_join(T->ticker, NULL);
	if (T->have_sendthr)
		pthread_join(T->sendthr, NULL);
	if (sts_rptstore_flush(T->store, why, sizeof(why)) != STS_OK)
		log_msg(LOG_ERR, "tlsrpt: journal: %s", why);
	cleanup();
}

void
tlsrpt_send_now(void)
{
	if (T == NULL || T->sender == NULL) {
		log_msg(LOG_NOTICE, "tlsrpt: report sending is off");
		return;
	}
	pthread_mutex_lock(&T->mu);
	T->send_now = true;
	pthread_cond_broadcast(&T->cv);
	pthread_mutex_unlock(&T->mu);
}

void
tlsrpt_get_stats(struct tlsrpt_stats *o)
{
	memset(o, 0, sizeof(*o));
	if (T == NULL)
		return;
	o->datagrams = atomic_load(&T->datagrams);
	o->bad_datagrams = atomic_load(&T->bad);
	o->observed = atomic_load(&T->observed);
	o->exim_sessions = atomic_load(&T->exim);
	o->refused = atomic_load(&T->refused);
	if (T->sender != NULL)
		tlsrpt_sender_counts(T->sender, &o->reports_sent,
				     &o->reports_failed);
}
