/*
 * sts_shared.c - the shared cache tier (sts_shared.h): a connection
 * pool with one health state and reconnect back-off, the entry/lock/
 * announce commands, the subscriber thread and the queue of entries
 * written while Redis was away.
 *
 * Decisions:
 *   - One health state for the pool: the first broken connection or
 *     failed connect marks the tier down for the back-off interval, so
 *     during an outage workers do not each pay a timeout; they get
 *     TEMPFAIL at once and fetch locally.  Error replies that leave the
 *     connection sound (OOM on a write, READONLY from a replica) are
 *     counted and reported but do not mark the tier down: reads from a
 *     replica still help.
 *   - A pub/sub message is only a hint ("domain X changed"): the entry
 *     itself is read and decoded like any other, so a forged message
 *     can at most make a node re-read a key.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sts_domain.h"
#include "sts_redis.h"
#include "sts_shared.h"

#define MAX_CONNS 64
#define BACKOFF_MIN 1
#define BACKOFF_MAX 30
#define EVENT_EVERY 60

struct pending {
	char domain[STS_DOMAIN_BUFSZ];
	char *val; /* encoded entry, NULL: slot free */
	size_t len;
	int64_t fetched;
	time_t expires;
};

struct sts_shared {
	struct sts_shared_conf conf;
	struct sts_redis_url url;
	char prefix[64];
	pthread_mutex_t lock; /* pool, health, pending */
	struct sts_redis *conn[MAX_CONNS];
	bool used[MAX_CONNS];
	unsigned nconns;
	bool up;
	time_t down_until, last_event, last_refusal; /* monotonic */
	unsigned backoff;
	struct pending pend[STS_SHARED_PENDING];
	unsigned pend_next;
	atomic_uint_fast64_t gets, hits, writes, errors, invalid, announced;
	char node[STS_SHARED_TOKEN]; /* random: this process's writer id */
	atomic_bool stop;
	pthread_t sub;
	bool sub_started;
};

static time_t
now_of(const struct sts_shared *sh)
{
	return sh->conf.now != NULL ? sh->conf.now(sh->conf.now_arg)
				    : time(NULL);
}

/* Back-off and rate limits run on the monotonic clock, never on the
 * (injectable) cache clock. */
static time_t
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

static void
event(struct sts_shared *sh, int lvl, const char *msg)
{
	if (sh->conf.event != NULL)
		sh->conf.event(sh->conf.arg, lvl, msg);
}

/* --- health ------------------------------------------------------------- */

/* A failure: mark the tier down and say so on the change from up, and
 * at most once a minute while it stays down. */
static void
went_down(struct sts_shared *sh, const char *why)
{
	char msg[STS_WHY_MAX + 96];
	time_t now = mono();
	unsigned b, i;
	bool say;

	pthread_mutex_lock(&sh->lock);
	if (sh->up || sh->backoff == 0)
		sh->backoff = BACKOFF_MIN;
	else if (sh->backoff * 2 > BACKOFF_MAX)
		sh->backoff = BACKOFF_MAX;
	else
		sh->backoff *= 2;
	b = sh->backoff;
	sh->down_until = now + (time_t)b;
	/* idle connections predate the failure (a restarted server closed
	 * them): drop them, so the first command after the back-off does
	 * not find a dead one */
	for (i = 0; i < sh->nconns; i++)
		if (!sh->used[i] && sh->conn[i] != NULL) {
			sts_redis_free(sh->conn[i]);
			sh->conn[i] = NULL;
		}
	say = sh->up || sh->last_event == 0 ||
	      now >= sh->last_event + EVENT_EVERY;
	if (say)
		sh->last_event = now;
	sh->up = false;
	pthread_mutex_unlock(&sh->lock);
	atomic_fetch_add(&sh->errors, 1);
	if (say) {
		snprintf(msg, sizeof(msg),
			 "shared cache unavailable (%s); answering from the "
			 "local cache and local fetches, retrying in %us",
			 why, b);
		event(sh, 2, msg);
	}
}

static void
went_up(struct sts_shared *sh)
{
	bool say;

	pthread_mutex_lock(&sh->lock);
	say = !sh->up;
	sh->up = true;
	sh->backoff = 0;
	sh->down_until = 0;
	pthread_mutex_unlock(&sh->lock);
	if (say)
		event(sh, 1, "shared cache connected");
}

/* A pooled connection, connecting if needed; NULL while backed off or
 * on failure (why says). */
static struct sts_redis *
take(struct sts_shared *sh, unsigned *slot, char *why, size_t whylen)
{
	struct sts_redis *r;
	unsigned i;

	pthread_mutex_lock(&sh->lock);
	if (!sh->up && mono() < sh->down_until) {
		pthread_mutex_unlock(&sh->lock);
		sts_why(why, whylen, STS_TEMPFAIL,
			"shared cache down, reconnect backed off");
		return NULL;
	}
	for (i = 0; i < sh->nconns && sh->used[i]; i++)
		;
	if (i == sh->nconns) {
		pthread_mutex_unlock(&sh->lock);
		sts_why(why, whylen, STS_TEMPFAIL, "no free connection");
		return NULL;
	}
	sh->used[i] = true;
	r = sh->conn[i];
	sh->conn[i] = NULL;
	pthread_mutex_unlock(&sh->lock);
	*slot = i;
	if (r == NULL) {
		r = sts_redis_connect(&sh->url, sh->conf.timeout_ms, why,
				      whylen);
		if (r == NULL) {
			pthread_mutex_lock(&sh->lock);
			sh->used[i] = false;
			pthread_mutex_unlock(&sh->lock);
			went_down(sh, why);
			return NULL;
		}
		went_up(sh);
	}
	return r;
}

/* An error reply on a sound connection (OOM, READONLY, NOAUTH): the
 * tier stays up (reads may still work), but the log hears of it, at most
 * once a minute. */
static void
refused(struct sts_shared *sh, const char *why)
{
	char msg[STS_WHY_MAX + 64];
	time_t now = mono();
	bool say;

	pthread_mutex_lock(&sh->lock);
	say = sh->last_refusal == 0 || now >= sh->last_refusal + EVENT_EVERY;
	if (say)
		sh->last_refusal = now;
	pthread_mutex_unlock(&sh->lock);
	if (say) {
		snprintf(msg, sizeof(msg),
			 "shared cache refused a command (%s)", why);
		event(sh, 2, msg);
	}
}

/* Return a connection to the pool after a command that ended with st. */
static void
give(struct sts_shared *sh, unsigned slot, struct sts_redis *r,
     enum sts_status st, const char *why)
{
	bool broken = sts_redis_broken(r);

	if (broken) {
		sts_redis_free(r);
		r = NULL;
	}
	pthread_mutex_lock(&sh->lock);
	sh->conn[slot] = r;
	sh->used[slot] = false;
	pthread_mutex_unlock(&sh->lock);
	if (broken)
		went_down(sh, why);
	else if (st == STS_TEMPFAIL)
		refused(sh, why);
}

static void
key(const struct sts_shared *sh, char *buf, size_t len, char kind,
    const char *domain)
{
	snprintf(buf, len, "%s%c:%s", sh->prefix, kind, domain);
}

/* --- entries ------------------------------------------------------------ */

enum sts_status
sts_shared_get(struct sts_shared *sh, const char *domain,
	       struct sts_shentry *out, char *why, size_t whylen)
{
	char k[STS_DOMAIN_BUFSZ + 80], *buf;
	struct sts_redis *r;
	unsigned slot;
	size_t len;
	enum sts_status st;

	memset(out, 0, sizeof(*out));
	atomic_fetch_add(&sh->gets, 1);
	r = take(sh, &slot, why, whylen);
	if (r == NULL)
		return STS_TEMPFAIL;
	buf = malloc(STS_MAX_SHARED_ENTRY);
	if (buf == NULL) {
		give(sh, slot, r, STS_OK, "");
		return sts_why(why, whylen, STS_TEMPFAIL, "out of memory");
	}
	key(sh, k, sizeof(k), 'p', domain);
	st = sts_redis_get(r, sh->conf.timeout_ms, k, buf, STS_MAX_SHARED_ENTRY,
			   &len, why, whylen);
	give(sh, slot, r, st, why);
	if (st == STS_OK) {
		st = sts_shentry_decode(buf, len, now_of(sh), out, why, whylen);
		if (st == STS_INVALID || st == STS_NOMEM) {
			atomic_fetch_add(&sh->invalid, 1);
			st = STS_INVALID;
		}
	} else if (st == STS_INVALID) {
		atomic_fetch_add(&sh->invalid, 1);
	} else if (st == STS_TEMPFAIL) {
		atomic_fetch_add(&sh->errors, 1);
	}
	free(buf);
	if (st == STS_OK)
		atomic_fetch_add(&sh->hits, 1);
	return st;
}

enum sts_status
sts_shared_lock(struct sts_shared *sh, const char *domain, unsigned ttl_ms,
		char token[STS_SHARED_TOKEN])
{
	char k[STS_DOMAIN_BUFSZ + 80], why[STS_WHY_MAX];
	unsigned char rnd[16];
	struct sts_redis *r;
	unsigned slot, i;
	enum sts_status st;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return STS_TEMPFAIL;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	r = take(sh, &slot, why, sizeof(why));
	if (r == NULL)
		return STS_TEMPFAIL;
	key(sh, k, sizeof(k), 'l', domain);
	st = sts_redis_set(r, sh->conf.timeout_ms, k, token, strlen(token),
			   ttl_ms, true, why, sizeof(why));
	give(sh, slot, r, st, why);
	if (st != STS_OK && st != STS_NOTFOUND) {
		atomic_fetch_add(&sh->errors, 1);
		return STS_TEMPFAIL;
	}
	return st;
}

void
sts_shared_unlock(struct sts_shared *sh, const char *domain,
		  const char token[STS_SHARED_TOKEN])
{
	char k[STS_DOMAIN_BUFSZ + 80], why[STS_WHY_MAX];
	struct sts_redis *r;
	unsigned slot;

	r = take(sh, &slot, why, sizeof(why));
	if (r == NULL)
		return; /* it expires by itself */
	key(sh, k, sizeof(k), 'l', domain);
	give(sh, slot, r,
	     sts_redis_del_if(r, sh->conf.timeout_ms, k, token, why,
			      sizeof(why)),
	     why);
}

/* SET + PUBLISH one encoded entry. */
static enum sts_status
write_entry(struct sts_shared *sh, const char *domain, const char *val,
	    size_t len, unsigned long ttl_ms, char *why, size_t whylen)
{
	char k[STS_DOMAIN_BUFSZ + 80], ch[96], msg[STS_DOMAIN_BUFSZ + 40];
	struct sts_redis *r;
	unsigned slot;
	enum sts_status st;

	/* "<domain> <node>": a node ignores its own announcements */
	snprintf(msg, sizeof(msg), "%s %s", domain, sh->node);
	r = take(sh, &slot, why, whylen);
	if (r == NULL)
		return STS_TEMPFAIL;
	key(sh, k, sizeof(k), 'p', domain);
	st = sts_redis_set(r, sh->conf.timeout_ms, k, val, len, ttl_ms, false,
			   why, whylen);
	if (st == STS_OK) {
		snprintf(ch, sizeof(ch), "%sannounce", sh->prefix);
		st = sts_redis_publish(r, sh->conf.timeout_ms, ch, msg, why,
				       whylen);
	}
	give(sh, slot, r, st, why);
	if (st == STS_OK)
		atomic_fetch_add(&sh->writes, 1);
	else
		atomic_fetch_add(&sh->errors, 1);
	return st;
}

static void
pend_add(struct sts_shared *sh, const char *domain, const char *val, size_t len,
	 const struct sts_shentry *e, time_t expires)
{
	struct pending *p = NULL;
	char *copy = malloc(len);
	unsigned i;

	if (copy == NULL)
		return;
	memcpy(copy, val, len);
	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < STS_SHARED_PENDING && p == NULL; i++)
		if (sh->pend[i].val != NULL &&
		    strcmp(sh->pend[i].domain, domain) == 0)
			p = &sh->pend[i];
	if (p == NULL) {
		p = &sh->pend[sh->pend_next];
		sh->pend_next = (sh->pend_next + 1) % STS_SHARED_PENDING;
	}
	free(p->val);
	snprintf(p->domain, sizeof(p->domain), "%s", domain);
	p->val = copy;
	p->len = len;
	p->fetched = e->fetched;
	p->expires = expires;
	pthread_mutex_unlock(&sh->lock);
}

enum sts_status
sts_shared_put(struct sts_shared *sh, const char *domain,
	       const struct sts_shentry *e, unsigned ttl_s)
{
	char *buf, why[STS_WHY_MAX];
	size_t len;
	enum sts_status st;

	if (ttl_s == 0)
		return STS_OK; /* usable for no time: nothing to share */
	buf = malloc(STS_MAX_SHARED_ENTRY + 1);
	if (buf == NULL)
		return STS_NOMEM;
	st = sts_shentry_encode(e, buf, STS_MAX_SHARED_ENTRY + 1, &len, why,
				sizeof(why));
	if (st == STS_OK) {
		st = write_entry(sh, domain, buf, len,
				 (unsigned long)ttl_s * 1000, why, sizeof(why));
		if (st == STS_TEMPFAIL && !e->none)
			pend_add(sh, domain, buf, len, e,
				 now_of(sh) + (time_t)ttl_s);
	}
	free(buf);
	return st;
}

/* Write what was fetched while Redis was away, unless the store has a
 * newer entry by now (another node fetched it since). */
static void
pend_flush(struct sts_shared *sh)
{
	struct pending p;
	struct sts_shentry cur;
	char why[STS_WHY_MAX];
	time_t now;
	unsigned i;
	enum sts_status st;

	for (i = 0; i < STS_SHARED_PENDING && !atomic_load(&sh->stop); i++) {
		pthread_mutex_lock(&sh->lock);
		p = sh->pend[i];
		sh->pend[i].val = NULL;
		pthread_mutex_unlock(&sh->lock);
		if (p.val == NULL)
			continue;
		memset(&cur, 0, sizeof(cur));
		now = now_of(sh);
		st = p.expires > now ? sts_shared_get(sh, p.domain, &cur, why,
						      sizeof(why))
				     : STS_INVALID;
		if (st == STS_NOTFOUND || st == STS_INVALID ||
		    (st == STS_OK && (cur.none || cur.fetched < p.fetched)))
			st = p.expires > now
				     ? write_entry(sh, p.domain, p.val, p.len,
						   (unsigned long)(p.expires -
								   now) *
							   1000,
						   why, sizeof(why))
				     : STS_OK;
		sts_shentry_clear(&cur);
		if (st == STS_TEMPFAIL) { /* down again: keep it for later */
			pthread_mutex_lock(&sh->lock);
			if (sh->pend[i].val == NULL) {
				sh->pend[i] = p;
				p.val = NULL;
			}
			pthread_mutex_unlock(&sh->lock);
			free(p.val);
			return;
		}
		free(p.val);
	}
}

/* --- subscriber ---------------------------------------------------------- */

static void
on_message(struct sts_shared *sh, char *msg)
{
	struct sts_shentry e;
	char why[STS_WHY_MAX], *node = strchr(msg, ' ');
	const char *domain = msg;

	if (node == NULL)
		return; /* not one of ours: ignore */
	*node++ = '\0';
	if (strcmp(node, sh->node) == 0 || !sts_domain_valid(domain))
		return; /* our own write, or not one of ours */
	atomic_fetch_add(&sh->announced, 1);
	if (sts_shared_get(sh, domain, &e, why, sizeof(why)) != STS_OK)
		return;
	if (sh->conf.announce != NULL)
		sh->conf.announce(sh->conf.arg, domain, &e);
	sts_shentry_clear(&e);
}

static void *
sub_main(void *arg)
{
	struct sts_shared *sh = arg;
	struct sts_redis *r = NULL;
	char ch[96], msg[STS_DOMAIN_BUFSZ + 40], why[STS_WHY_MAX];
	unsigned wait = 0, i;
	time_t next_flush = 0;
	enum sts_status st;

	snprintf(ch, sizeof(ch), "%sannounce", sh->prefix);
	while (!atomic_load(&sh->stop)) {
		if (r == NULL) {
			/* sleep out the back-off in short steps (stop) */
			for (i = 0; i < wait * 10 && !atomic_load(&sh->stop);
			     i++) {
				struct timespec ts = {0, 100000000L};

				nanosleep(&ts, NULL);
			}
			if (atomic_load(&sh->stop))
				break;
			r = sts_redis_connect(&sh->url, sh->conf.timeout_ms,
					      why, sizeof(why));
			if (r != NULL &&
			    sts_redis_subscribe(r, sh->conf.timeout_ms, ch, why,
						sizeof(why)) != STS_OK) {
				sts_redis_free(r);
				r = NULL;
			}
			if (r == NULL) {
				went_down(sh, why);
				wait = wait == 0 ? BACKOFF_MIN
						 : (wait * 2 > BACKOFF_MAX
							    ? BACKOFF_MAX
							    : wait * 2);
				continue;
			}
			wait = 0;
			went_up(sh);
			next_flush = 0;
		}
		if (mono() >= next_flush) { /* writes that failed since */
			pend_flush(sh);
			next_flush = mono() + 5;
		}
		st = sts_redis_message(r, 1000, msg, sizeof(msg), why,
				       sizeof(why));
		if (st == STS_OK)
			on_message(sh, msg);
		else if (sts_redis_broken(r)) {
			sts_redis_free(r);
			r = NULL;
			went_down(sh, why);
			wait = BACKOFF_MIN;
		}
	}
	sts_redis_free(r);
	return NULL;
}

/* --- object -------------------------------------------------------------- */

struct sts_shared *
sts_shared_new(const struct sts_shared_conf *conf, char *why, size_t whylen)
{
	struct sts_shared *sh = calloc(1, sizeof(*sh));

	if (sh == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return NULL;
	}
	sh->conf = *conf;
	if (sh->conf.timeout_ms == 0)
		sh->conf.timeout_ms = 500;
	sh->nconns = conf->conns == 0	       ? 4
		     : conf->conns > MAX_CONNS ? MAX_CONNS
					       : conf->conns;
	snprintf(sh->prefix, sizeof(sh->prefix), "%s",
		 conf->prefix != NULL ? conf->prefix : "mta-sts:");
	if (sts_redis_url_parse(conf->url, &sh->url, why, whylen) != STS_OK) {
		free(sh);
		return NULL;
	}
	if (conf->password != NULL && conf->password[0] != '\0') {
		if (strlen(conf->password) >= sizeof(sh->url.pass)) {
			free(sh);
			sts_why(why, whylen, STS_INVALID,
				"shared cache password too long");
			return NULL;
		}
		snprintf(sh->url.pass, sizeof(sh->url.pass), "%s",
			 conf->password);
	}
	{
		unsigned char rnd[8];
		unsigned i;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(sh->node + 2 * i, 3, "%02x", rnd[i]);
	}
	pthread_mutex_init(&sh->lock, NULL);
	if (pthread_create(&sh->sub, NULL, sub_main, sh) != 0) {
		pthread_mutex_destroy(&sh->lock);
		free(sh);
		sts_why(why, whylen, STS_TEMPFAIL,
			"cannot start the shared cache subscriber");
		return NULL;
	}
	sh->sub_started = true;
	return sh;
}

void
sts_shared_free(struct sts_shared *sh)
{
	unsigned i;

	if (sh == NULL)
		return;
	atomic_store(&sh->stop, true);
	if (sh->sub_started)
		pthread_join(sh->sub, NULL);
	for (i = 0; i < sh->nconns; i++)
		sts_redis_free(sh->conn[i]);
	for (i = 0; i < STS_SHARED_PENDING; i++)
		free(sh->pend[i].val);
	explicit_bzero(sh->url.pass, sizeof(sh->url.pass));
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

void
sts_shared_stats(struct sts_shared *sh, struct sts_shared_stats *out)
{
	out->gets = atomic_load(&sh->gets);
	out->hits = atomic_load(&sh->hits);
	out->writes = atomic_load(&sh->writes);
	out->errors = atomic_load(&sh->errors);
	out->invalid = atomic_load(&sh->invalid);
	out->announcements = atomic_load(&sh->announced);
	pthread_mutex_lock(&sh->lock);
	out->up = sh->up;
	pthread_mutex_unlock(&sh->lock);
}
