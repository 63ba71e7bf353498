/*
 * milter/mapanswer.c - the map server's answers (see mapd.c and
 * mapd_int.h): a socketmap request to its reply, from what is known at
 * once or, for a never-seen domain, by the lookup threads within
 * LookupDeadline.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mapd_int.h"
#include "sts_netstring.h"
#include "sts_status.h"

/* About to block on c: let the monitor hand our loop on if it lasts. */
static void
block_enter(struct worker *w, struct conn *c)
{
	if (w->loop == NULL)
		return; /* already on our own */
	c->busy = true;
	w->since = mapconn_now();
	if (atomic_fetch_add(&w->m->nbusy, 1) == 0 &&
	    atomic_load(&w->m->mon_idle)) {
		pthread_mutex_lock(&w->m->mon_mu);
		pthread_cond_signal(&w->m->mon_cv);
		pthread_mutex_unlock(&w->m->mon_mu);
	}
	atomic_store(&w->loop->busy_since, w->since);
}

/* Back from blocking: still the runner, or did a spare take over? */
static void
block_leave(struct worker *w, struct conn *c)
{
	uint_fast64_t exp = w->since;

	if (w->loop == NULL)
		return;
	if (atomic_compare_exchange_strong(&w->loop->busy_since, &exp, 0)) {
		c->busy = false;
		atomic_fetch_sub(&w->m->nbusy, 1);
	} else
		w->loop = NULL; /* lost: c stays busy until given back */
}

static bool
name_served(const struct mapd *m, const char *name)
{
	char pat[STS_MAX_MAP_NAME + 3];
	size_t n = strlen(name);

	if (m->names == NULL)
		return true; /* like the peer: any map name */
	pat[0] = ' ';
	memcpy(pat + 1, name, n);
	pat[n + 1] = ' ';
	pat[n + 2] = '\0';
	return strstr(m->names, pat) != NULL;
}

/* The reply for lk into w->reply; frees lk's policy; returns the
 * length. */
static size_t
reply_of(struct worker *w, const char *name, const char *key,
	 struct sts_lookup *lk)
{
	struct sts_mapreply_opts opts;
	size_t n;

	/* map name postfix-sts: the Postfix 3.10 attributes */
	sts_mapreply_opts_for(name, &w->m->opts, &opts);
	n = sts_mapreply_format(lk, &opts, w->reply, sizeof(w->reply));
	if (n >= sizeof(w->reply))
		n = sts_mapreply_error("TEMP", "reply too large", w->reply,
				       sizeof(w->reply));
	log_msg(LOG_DEBUG, "map=%s key=%s status=%s reply=\"%.80s\" why=\"%s\"",
		name, key, sts_status_str(lk->status), w->reply, lk->why);
	sts_policy_free(lk->policy);
	lk->policy = NULL;
	return n;
}

/* Nothing known about the domain yet: waiting may give a policy. */
static bool
pending(const struct sts_lookup *lk)
{
	return lk->status == STS_TEMPFAIL && !lk->defer && lk->policy == NULL;
}

/* Hand job j (holding j->c) to the lookup threads. */
static void
job_push(struct mapd *m, struct job *j)
{
	j->c->busy = true;
	pthread_mutex_lock(&m->jmu);
	if (m->jtail != NULL)
		m->jtail->next = j;
	else
		m->jhead = j;
	m->jtail = j;
	pthread_cond_signal(&m->jcv);
	pthread_mutex_unlock(&m->jmu);
}

/* Give c (held: busy) to the lookup threads for w->name/w->key. */
static int
job_queue(struct worker *w, struct conn *c)
{
	struct mapd *m = w->m;
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return -1;
	j->c = c;
	j->t0 = mapconn_now();
	memcpy(j->name, w->name, sizeof(j->name));
	memcpy(j->key, w->key, sizeof(j->key));
	memcpy(j->host, w->host, sizeof(j->host));
	j->literal = w->literal;
	job_push(m, j);
	return 0;
}

/* Give c (held: busy) to the lookup threads for request data[len] of a
 * framing with its own answer hook. */
static int
job_queue_data(struct worker *w, struct conn *c, const char *data, size_t len)
{
	struct job *j;

	if (len > sizeof(j->data))
		return -1;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -1;
	j->c = c;
	j->t0 = mapconn_now();
	memcpy(j->data, data, len);
	j->dlen = len;
	job_push(w->m, j);
	return 0;
}

/*
 * A framing with its own answer hook (the Exim line protocol): as the
 * socketmap's below, first from what is known without waiting; a
 * request about a domain not known yet goes to the lookup threads, one
 * whose next-hop state may need a lookup blocks this runner (the
 * monitor hands the loop on if that lasts).
 */
static size_t
hook_request(struct worker *w, struct conn *c, const char *data, size_t len,
	     bool *queued)
{
	struct mapd *m = w->m;
	unsigned deadline = atomic_load(&m->deadline_ms);
	enum mapconn_wait wait = MAPCONN_FINAL;
	size_t n;

	n = c->fr->answer(m->engine, data, len, 0, w->reply, sizeof(w->reply),
			  deadline > 0 ? &wait : NULL);
	if (deadline == 0 || wait == MAPCONN_FINAL)
		return n;
	if (wait == MAPCONN_PENDING && job_queue_data(w, c, data, len) == 0) {
		*queued = true;
		return 0;
	}
	block_enter(w, c);
	n = c->fr->answer(m->engine, data, len, deadline, w->reply,
			  sizeof(w->reply), NULL);
	block_leave(w, c);
	return n;
}

/*
 * Answer one request into w->reply and return its length, or set
 * *queued (c went to the lookup threads, which answer it).
 */
size_t
mapanswer_request(struct worker *w, struct conn *c, const char *data,
		  size_t len, bool *fatal, bool *queued)
{
	struct mapd *m = w->m;
	struct sts_lookup lk;
	char why[STS_WHY_MAX];
	unsigned deadline = atomic_load(&m->deadline_ms);

	if (c->fr->answer != NULL)
		return hook_request(w, c, data, len, queued);
	if (sts_netstring_request(data, len, w->name, sizeof(w->name), w->key,
				  sizeof(w->key), why, sizeof(why)) != STS_OK) {
		*fatal = true;
		return sts_mapreply_error("PERM", why, w->reply,
					  sizeof(w->reply));
	}
	if (!name_served(m, w->name))
		return sts_mapreply_error("PERM", "unknown map name", w->reply,
					  sizeof(w->reply));
	/* RFC 8461 section 3.4: an explicit next hop ("[host]:port") is
	 * answered for that host's policy domain */
	if (sts_mapreply_hop(w->key, w->host, sizeof(w->host), &w->literal, why,
			     sizeof(why)) != STS_OK) {
		log_msg(LOG_DEBUG, "map=%s key=%s reply=NOTFOUND why=\"%s\"",
			w->name, w->key, why);
		return sts_mapreply_error("NOTFOUND", "", w->reply,
					  sizeof(w->reply));
	}
	/* First from what is known, without waiting for anything. */
	memset(&lk, 0, sizeof(lk));
	sts_engine_lookup_hop(m->engine, w->host, w->literal, 0, &lk);
	if (deadline > 0 && pending(&lk) && job_queue(w, c) == 0) {
		*queued = true;
		return 0;
	}
	if (deadline > 0 && lk.status == STS_OK && lk.policy != NULL &&
	    !lk.dane) {
		/* A known policy: its DANE state may need the next hop's
		 * MX/TLSA records, which may have to be looked up. */
		sts_policy_free(lk.policy);
		memset(&lk, 0, sizeof(lk));
		block_enter(w, c);
		sts_engine_lookup_hop(m->engine, w->host, w->literal, deadline,
				      &lk);
		block_leave(w, c);
	}
	return reply_of(w, w->name, w->key, &lk);
}

/* A lookup thread: first-time lookups, each within LookupDeadline from
 * its arrival (one that waited in the queue that long is answered from
 * what is known at once), the reply sent without waiting, and the
 * connection given back to its loop. */
void *
mapanswer_lookup_main(void *arg)
{
	struct worker *w = arg;
	struct mapd *m = w->m;
	struct sts_lookup lk;
	struct conn *c;
	struct job *j;
	uint64_t waited, now;
	unsigned deadline, left;
	size_t n;
	int r;

	for (;;) {
		pthread_mutex_lock(&m->jmu);
		while (!atomic_load(&m->stop) && m->jhead == NULL)
			pthread_cond_wait(&m->jcv, &m->jmu);
		j = atomic_load(&m->stop) ? NULL : m->jhead;
		if (j != NULL) {
			m->jhead = j->next;
			if (m->jhead == NULL)
				m->jtail = NULL;
		}
		pthread_mutex_unlock(&m->jmu);
		if (j == NULL)
			break;
		c = j->c;
		deadline = atomic_load(&m->deadline_ms);
		waited = (mapconn_now() - j->t0) / MS;
		left = waited >= deadline ? 0 : deadline - (unsigned)waited;
		if (c->fr->answer != NULL) {
			/* left 0: answered from what is known */
			n = c->fr->answer(m->engine, j->data, j->dlen, left,
					  w->reply, sizeof(w->reply), NULL);
		} else {
			memset(&lk, 0, sizeof(lk));
			sts_engine_lookup_hop(m->engine, j->host, j->literal,
					      left, &lk);
			n = reply_of(w, j->name, j->key, &lk);
		}
		now = mapconn_now();
		c->fr->count(w->reply, n); /* issue 17 */
		r = mapconn_reply(c, w->reply, n, w->wire, sizeof(w->wire),
				  now);
		/* the runner lingers (it owns c->buf and c->len: it may
		 * still be moving them after handing c over) */
		c->closing = r < 0;
		c->linger_due = r == 0 && c->fr->one_shot;
		free(j);
		maploop_post(c->loop, c, true);
	}
	return NULL;
}
