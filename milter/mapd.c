/*
 * milter/mapd.c - the socketmap policy server (issues [socketmap],
 * [harden]): threads, loops, the listener and the lookups.
 * Connections, their buffers and deadlines: milter/mapconn.c.
 *
 * Shape: min(MAPD_MAX_LOOPS, usable cpus) epoll loops, each a
 * level-triggered epoll set with the connections assigned to it
 * round-robin at accept and run by one thread at a time, which alone
 * touches them: a cached answer costs one epoll_wait, one read and one
 * send, with no thread hand-off.  Each Postfix smtp(8) process keeps one
 * persistent connection that is idle most of the time, so an idle
 * connection costs one struct conn and no thread.  Requests on one
 * connection are answered in order (lock-step, pipelined input
 * included).
 *
 * Nothing a client does can hold a loop (issue [harden] 3):
 *   - every request is first looked up with deadline 0, which never
 *     waits; a domain that is not known yet (a fetch is pending) goes to
 *     the lookup threads (MAPD_LOOKUP_THREADS), which wait for it up to
 *     LookupDeadline, counted from its arrival, while the connection is
 *     parked (no further request of it is read).  So an answer from the
 *     cache is never queued behind a first-time lookup of another
 *     connection, and the queue holds at most one job per connection;
 *   - replies are written without waiting: what the peer does not take
 *     stays in the connection (one reply at most) until it does, or
 *     until MapRequestTimeout closes it;
 *   - a known policy may still wait for its next-hop (MX/TLSA) state;
 *     if its runner stays blocked MAPD_STALL_NS, a monitor gives the
 *     loop to one of the spare threads (MAPD_THREADS in all), and the
 *     blocked thread finishes that one request and gives the connection
 *     back.
 *
 * Requests are framed by the listener's struct mapconn_framing (the
 * socketmap netstrings `NAME KEY`, lib/proto/sts_netstring.h), at most
 * STS_MAX_MAP_REQUEST bytes; anything malformed or oversize gets one
 * "PERM reason" reply and the connection is closed.  Answers come from
 * lib/engine/sts_mapreply.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mapd_int.h"
#include "sockspec.h"
#include "sts_status.h"

struct mapd *
mapd_new(const struct mapd_conf *c, char *why, size_t whylen)
{
	struct mapd *m;
	unsigned shortest;
	size_t n;
	int fl;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return NULL;
	}
	m->lfd = -1;
	m->fr = c->framing != NULL ? c->framing : &mapconn_netstring;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	pthread_mutex_init(&m->jmu, NULL);
	pthread_cond_init(&m->jcv, NULL);
	pthread_mutex_init(&m->mon_mu, NULL);
	pthread_cond_init(&m->mon_cv, NULL);
	for (unsigned i = 0; i < MAPD_MAX_LOOPS; i++) {
		m->loops[i].m = m;
		m->loops[i].efd = m->loops[i].evfd = -1;
		pthread_mutex_init(&m->loops[i].mu, NULL);
	}
	mapd_set_deadline(m, c->deadline_ms);
	m->max_conns = c->max_conns ? c->max_conns : MAPD_DEFAULT_CONNS;
	m->lim.idle_ms = c->idle_ms ? c->idle_ms : MAPD_DEFAULT_IDLE;
	m->lim.request_ms =
		c->request_ms ? c->request_ms : MAPD_DEFAULT_REQUEST;
	/* Deadlines are checked a few times per shortest one, at least
	 * every 10 ms and at most every second. */
	shortest = m->lim.idle_ms < m->lim.request_ms ? m->lim.idle_ms
						      : m->lim.request_ms;
	shortest /= 4;
	if (shortest < 10)
		shortest = 10;
	if (shortest > 1000)
		shortest = 1000;
	m->sweep_ns = shortest * MS;
	m->opts.postfix_sts = c->postfix_sts;
	if (c->names != NULL && c->names[strspn(c->names, " \t,")] != '\0') {
		/* Kept as " a b " so that a lookup is one strstr(). */
		n = strlen(c->names);
		m->names = malloc(n + 3);
		if (m->names == NULL) {
			sts_why(why, whylen, STS_NOMEM, "out of memory");
			goto bad;
		}
		m->names[0] = ' ';
		memcpy(m->names + 1, c->names, n);
		m->names[n + 1] = ' ';
		m->names[n + 2] = '\0';
		for (char *p = m->names; *p != '\0'; p++)
			if (*p == '\t' || *p == ',')
				*p = ' ';
	}
	if (c->socket != NULL && (strncmp(c->socket, "unix:", 5) == 0 ||
				  strncmp(c->socket, "local:", 6) == 0)) {
		m->unix_path = strdup(strchr(c->socket, ':') + 1);
		if (m->unix_path == NULL) {
			sts_why(why, whylen, STS_NOMEM, "out of memory");
			goto bad;
		}
	}
	m->lfd = sockspec_listen(c->socket, c->unix_mode, why, whylen);
	if (m->lfd < 0) {
		free(m->unix_path);
		m->unix_path = NULL; /* not ours: never unlink it */
		goto bad;
	}
	/* accept_some() drains the backlog until EAGAIN. */
	fl = fcntl(m->lfd, F_GETFL);
	if (fl < 0 || fcntl(m->lfd, F_SETFL, fl | O_NONBLOCK) < 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "fcntl: %s",
			strerror(errno));
		goto bad;
	}
	return m;
bad:
	mapd_free(m);
	return NULL;
}

void
mapd_set_deadline(struct mapd *m, unsigned deadline_ms)
{
	/* LookupDeadline 0 means what it means for the milter: wait for
	 * nothing, answer from what is known (issue 15 item 5) */
	atomic_store(&m->deadline_ms, deadline_ms);
}

/* A spare: wait for a loop whose runner blocked, or the stop. */
static struct loop *
orphan_take(struct mapd *m)
{
	struct loop *l = NULL;

	pthread_mutex_lock(&m->mu);
	while (!atomic_load(&m->stop) && m->norphans == 0)
		pthread_cond_wait(&m->cv, &m->mu);
	if (!atomic_load(&m->stop))
		l = m->orphans[--m->norphans];
	pthread_mutex_unlock(&m->mu);
	if (l != NULL)
		atomic_store(&l->busy_since, 0);
	return l;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct loop *l = w->first;

	while (!atomic_load(&w->m->stop)) {
		if (l == NULL)
			l = orphan_take(w->m);
		if (l == NULL)
			break;
		maploop_run(w, l);
		l = NULL;
	}
	return NULL;
}

/* Hands a loop whose runner has blocked too long to a spare. */
static void *
monitor_main(void *arg)
{
	struct mapd *m = arg;
	struct timespec tick = {0, MAPD_TICK_MS * 1000 * 1000};
	uint_fast64_t s;
	uint64_t now;
	unsigned i, idle = 0;

	while (!atomic_load(&m->stop)) {
		if (atomic_load(&m->nbusy) != 0) {
			idle = 0;
		} else if (++idle >= MAPD_IDLE_TICKS) {
			pthread_mutex_lock(&m->mon_mu);
			atomic_store(&m->mon_idle, true);
			while (atomic_load(&m->nbusy) == 0 &&
			       !atomic_load(&m->stop))
				pthread_cond_wait(&m->mon_cv, &m->mon_mu);
			atomic_store(&m->mon_idle, false);
			pthread_mutex_unlock(&m->mon_mu);
			idle = 0;
		}
		nanosleep(&tick, NULL);
		now = mapconn_now();
		for (i = 0; i < m->nloops; i++) {
			struct loop *l = &m->loops[i];

			s = atomic_load(&l->busy_since);
			if (s <= BUSY_STOLEN || now - s < MAPD_STALL_NS ||
			    !atomic_compare_exchange_strong(&l->busy_since, &s,
							    BUSY_STOLEN))
				continue;
			atomic_fetch_sub(&m->nbusy, 1);
			pthread_mutex_lock(&m->mu);
			m->orphans[m->norphans++] = l;
			pthread_cond_signal(&m->cv);
			pthread_mutex_unlock(&m->mu);
		}
	}
	return NULL;
}

/* Loops to run: one per usable cpu, at most MAPD_MAX_LOOPS. */
static unsigned
loop_count(void)
{
	cpu_set_t set;
	int n = 1;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return n > MAPD_MAX_LOOPS ? MAPD_MAX_LOOPS : (unsigned)n;
}

/* A new worker in *slot running fn. */
static int
spawn(struct mapd *m, struct worker **slot, struct loop *first,
      void *(*fn)(void *), char *why, size_t whylen)
{
	int rc;

	*slot = calloc(1, sizeof(struct worker));
	if (*slot == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return -1;
	}
	(*slot)->m = m;
	(*slot)->first = first;
	rc = pthread_create(&(*slot)->tid, NULL, fn, *slot);
	if (rc != 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "pthread_create: %s",
			strerror(rc));
		return -1;
	}
	(*slot)->started = true;
	return 0;
}

int
mapd_start(struct mapd *m, struct sts_engine *e, char *why, size_t whylen)
{
	unsigned i;
	int rc;

	m->engine = e;
	m->nloops = loop_count();
	for (i = 0; i < m->nloops; i++) {
		struct loop *l = &m->loops[i];

		l->efd = epoll_create1(EPOLL_CLOEXEC);
		l->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (l->efd < 0 || l->evfd < 0) {
			sts_why(why, whylen, STS_TEMPFAIL, "epoll: %s",
				strerror(errno));
			return -1;
		}
		/* Level-triggered: once written at stop, it stays set. */
		if (maploop_ctl(l->efd, EPOLL_CTL_ADD, l->evfd, l, EPOLLIN) !=
		    0) {
			sts_why(why, whylen, STS_TEMPFAIL, "epoll_ctl: %s",
				strerror(errno));
			return -1;
		}
	}
	if (maploop_listen(m) != 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "epoll_ctl: %s",
			strerror(errno));
		return -1;
	}
	for (i = 0; i < MAPD_LOOKUP_THREADS; i++)
		if (spawn(m, &m->lookers[i], NULL, mapanswer_lookup_main, why,
			  whylen) != 0)
			return -1;
	for (i = 0; i < MAPD_THREADS; i++)
		if (spawn(m, &m->workers[i],
			  i < m->nloops ? &m->loops[i] : NULL, worker_main, why,
			  whylen) != 0)
			return -1;
	rc = pthread_create(&m->mon, NULL, monitor_main, m);
	if (rc != 0) {
		sts_why(why, whylen, STS_TEMPFAIL, "pthread_create: %s",
			strerror(rc));
		return -1;
	}
	m->mon_started = true;
	return 0;
}

static void
join_free(struct worker **w)
{
	if (*w != NULL && (*w)->started)
		pthread_join((*w)->tid, NULL);
	free(*w);
	*w = NULL;
}

void
mapd_free(struct mapd *m)
{
	struct conn *c, *next;
	struct job *j;
	uint64_t one = 1;
	unsigned i;

	if (m == NULL)
		return;
	atomic_store(&m->stop, true);
	pthread_mutex_lock(&m->mu);
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_lock(&m->jmu);
	pthread_cond_broadcast(&m->jcv);
	pthread_mutex_unlock(&m->jmu);
	pthread_mutex_lock(&m->mon_mu);
	pthread_cond_broadcast(&m->mon_cv);
	pthread_mutex_unlock(&m->mon_mu);
	for (i = 0; i < MAPD_MAX_LOOPS; i++)
		if (m->loops[i].evfd >= 0 &&
		    write(m->loops[i].evfd, &one, sizeof(one)) < 0)
			log_msg(LOG_WARNING, "map: wake: %s", strerror(errno));
	for (i = 0; i < MAPD_LOOKUP_THREADS; i++)
		join_free(&m->lookers[i]);
	for (i = 0; i < MAPD_THREADS; i++)
		join_free(&m->workers[i]);
	if (m->mon_started)
		pthread_join(m->mon, NULL);
	/* No thread runs now: close what is left.  Held and given-back
	 * conns are still in their loop's table; new ones only on newq. */
	for (j = m->jhead; j != NULL; j = m->jhead) {
		m->jhead = j->next;
		free(j);
	}
	for (i = 0; i < MAPD_MAX_LOOPS; i++) {
		struct loop *l = &m->loops[i];

		for (c = l->tab.head; c != NULL; c = next) {
			next = c->next;
			mapconn_free(c);
		}
		for (c = l->newq; c != NULL; c = next) {
			next = c->qnext;
			mapconn_free(c);
		}
		if (l->efd >= 0)
			close(l->efd);
		if (l->evfd >= 0)
			close(l->evfd);
		pthread_mutex_destroy(&l->mu);
	}
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->unix_path != NULL)
		unlink(m->unix_path);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->jcv);
	pthread_mutex_destroy(&m->jmu);
	pthread_cond_destroy(&m->mon_cv);
	pthread_mutex_destroy(&m->mon_mu);
	if (m->nreq > 0)
		log_msg(LOG_INFO, "%s: stopped after %llu requests",
			m->fr->name, (unsigned long long)m->nreq);
	free(m->names);
	free(m->unix_path);
	free(m);
}
