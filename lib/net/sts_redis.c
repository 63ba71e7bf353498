/*
 * sts_redis.c - the shared tier's Redis client (sts_redis.h).
 *
 * libhiredis 0.14 (Debian 12) does the RESP framing; the I/O loop is
 * ours: each command is appended to the output buffer, written and its
 * reply read with poll() against one deadline for the whole round trip,
 * and the reader's buffer is checked against STS_MAX_REDIS_REPLY after
 * every read, so neither a slow nor a flooding server holds a worker
 * longer than its deadline or makes us buffer more than the cap.
 * Error replies are the server's words ("WRONGPASS invalid username-
 * password pair", "OOM command not allowed ...", "READONLY You can't
 * write against a read only replica."): they go into why, cut to a
 * printable line.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "sts_redis.h"
#include "sts_sock.h"

struct sts_redis {
	redisContext *c;
	bool broken;
};

/* --- URL ---------------------------------------------------------------- */

static bool
digits(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool
copy(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i;

	if (n >= cap)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static enum sts_status
parse_unix(const char *s, struct sts_redis_url *u, char *why, size_t whylen)
{
	const char *q = strchr(s, '?');
	size_t n = q != NULL ? (size_t)(q - s) : strlen(s);
	unsigned long db;

	u->unix_socket = true;
	if (n < 2 || s[0] != '/' || !copy(u->path, sizeof(u->path), s, n))
		return sts_why(why, whylen, STS_INVALID,
			       "unix: needs an absolute socket path of at "
			       "most %zu bytes",
			       sizeof(u->path) - 1);
	if (q != NULL) {
		if (strncmp(q, "?db=", 4) != 0 ||
		    !digits(q + 4, strlen(q + 4), 9999, &db))
			return sts_why(why, whylen, STS_INVALID,
				       "unix: only ?db=N (0-9999) may follow "
				       "the path");
		u->db = (unsigned)db;
	}
	return STS_OK;
}

enum sts_status
sts_redis_url_parse(const char *s, struct sts_redis_url *u, char *why,
		    size_t whylen)
{
	const char *p, *at, *hend, *colon, *slash;
	unsigned long v;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (s == NULL || strlen(s) > 1024)
		return sts_why(why, whylen, STS_INVALID, "no or overlong URL");
	if (strncmp(s, "unix:", 5) == 0)
		return parse_unix(s + 5, u, why, whylen);
	if (strncmp(s, "redis://", 8) != 0)
		return sts_why(why, whylen, STS_INVALID,
			       "URL must start with redis:// or unix:/ "
			       "(TLS, rediss://, is not supported)");
	p = s + 8;
	slash = strchr(p, '/');
	at = memchr(p, '@', slash != NULL ? (size_t)(slash - p) : strlen(p));
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon == NULL) /* "password@" alone: no user */
			colon = p - 1;
		else if (!copy(u->user, sizeof(u->user), p,
			       (size_t)(colon - p)))
			return sts_why(why, whylen, STS_INVALID,
				       "bad or overlong user name");
		if (!copy(u->pass, sizeof(u->pass), colon + 1,
			  (size_t)(at - colon - 1)) ||
		    u->pass[0] == '\0')
			return sts_why(why, whylen, STS_INVALID,
				       "bad, empty or overlong password");
		p = at + 1;
	}
	hend = slash != NULL ? slash : p + strlen(p);
	if (*p == '[') { /* [IPv6]:port */
		const char *rb = memchr(p, ']', (size_t)(hend - p));

		if (rb == NULL || !copy(u->host, sizeof(u->host), p + 1,
					(size_t)(rb - p - 1)))
			return sts_why(why, whylen, STS_INVALID,
				       "bad [IPv6] host");
		colon = rb + 1 < hend ? rb + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return sts_why(why, whylen, STS_INVALID,
				       "junk after ]");
	} else {
		colon = memchr(p, ':', (size_t)(hend - p));
		if (!copy(u->host, sizeof(u->host), p,
			  (size_t)((colon != NULL ? colon : hend) - p)))
			return sts_why(why, whylen, STS_INVALID,
				       "bad or overlong host");
	}
	if (u->host[0] == '\0')
		return sts_why(why, whylen, STS_INVALID, "no host");
	if (colon != NULL) {
		if (!digits(colon + 1, (size_t)(hend - colon - 1), 65535, &v) ||
		    v == 0)
			return sts_why(why, whylen, STS_INVALID,
				       "port must be 1-65535");
		u->port = (unsigned)v;
	}
	if (slash != NULL && slash[1] != '\0') {
		if (!digits(slash + 1, strlen(slash + 1), 9999, &v))
			return sts_why(why, whylen, STS_INVALID,
				       "database must be 0-9999");
		u->db = (unsigned)v;
	}
	return STS_OK;
}

/* --- I/O ---------------------------------------------------------------- */

static struct timespec
deadline(unsigned ms)
{
	return sts_abstime_ms(CLOCK_MONOTONIC, ms);
}

static int
left_ms(const struct timespec *dl)
{
	struct timespec t;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long long)(dl->tv_sec - t.tv_sec) * 1000 +
	     (dl->tv_nsec - t.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/* Wait for fd to be ready for ev until dl: 1 ready, 0 timeout, -1 error. */
static int
await(int fd, short ev, const struct timespec *dl)
{
	struct pollfd pfd;
	int rc;

	for (;;) {
		pfd.fd = fd;
		pfd.events = ev;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left_ms(dl));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		return rc == 0 ? 0 : 1;
	}
}

static enum sts_status
fail(struct sts_redis *r, enum sts_status st, char *why, size_t whylen,
     const char *what, const char *detail)
{
	r->broken = true;
	return sts_why(why, whylen, st, "redis: %s%s%s", what,
		       detail != NULL ? ": " : "",
		       detail != NULL ? detail : "");
}

/* Check a finished reply against the caps, recursively. */
static bool
within_caps(const redisReply *rp, unsigned depth)
{
	size_t i;

	if (rp->type == REDIS_REPLY_ARRAY) {
		if (depth > 1 || rp->elements > STS_MAX_REDIS_ELEMENTS)
			return false;
		for (i = 0; i < rp->elements; i++)
			if (!within_caps(rp->element[i], depth + 1))
				return false;
		return true;
	}
	return rp->len <= STS_MAX_REDIS_REPLY;
}

/*
 * Read one reply until dl.  OK: *out (free with freeReplyObject);
 * NOTFOUND: nothing arrived in time and nothing was half read (only
 * when idle_ok: waiting for a pub/sub message); TEMPFAIL/INVALID.
 */
static enum sts_status
read_reply(struct sts_redis *r, const struct timespec *dl, bool idle_ok,
	   redisReply **out, char *why, size_t whylen)
{
	void *rp = NULL;
	int w;

	*out = NULL;
	for (;;) {
		if (redisGetReplyFromReader(r->c, &rp) != REDIS_OK)
			return fail(r, STS_INVALID, why, whylen,
				    "protocol error", r->c->errstr);
		if (rp != NULL)
			break;
		if (r->c->reader->len > STS_MAX_REDIS_REPLY)
			return fail(r, STS_INVALID, why, whylen,
				    "reply over the size cap", NULL);
		w = await(r->c->fd, POLLIN, dl);
		if (w == 0 && idle_ok && r->c->reader->len == r->c->reader->pos)
			return STS_NOTFOUND;
		if (w <= 0)
			return fail(r, STS_TEMPFAIL, why, whylen,
				    w == 0 ? "timed out" : "poll failed", NULL);
		if (redisBufferRead(r->c) != REDIS_OK)
			return fail(r, STS_TEMPFAIL, why, whylen,
				    "connection lost", r->c->errstr);
	}
	*out = rp;
	if (!within_caps(*out, 0)) {
		freeReplyObject(*out);
		*out = NULL;
		return fail(r, STS_INVALID, why, whylen,
			    "reply over the size cap", NULL);
	}
	return STS_OK;
}

/* Send argv and read its reply within timeout_ms.  An error reply is
 * TEMPFAIL with the server's text (the connection stays usable). */
static enum sts_status
roundtrip(struct sts_redis *r, unsigned timeout_ms, int argc, const char **argv,
	  const size_t *argvlen, redisReply **out, char *why, size_t whylen)
{
	struct timespec dl = deadline(timeout_ms);
	enum sts_status st;
	int done = 0, w;
	char msg[128];
	size_t i, n;

	*out = NULL;
	if (r->broken)
		return sts_why(why, whylen, STS_TEMPFAIL,
			       "redis: connection unusable");
	if (redisAppendCommandArgv(r->c, argc, argv, argvlen) != REDIS_OK)
		return fail(r, STS_TEMPFAIL, why, whylen, "out of memory",
			    NULL);
	while (!done) {
		w = await(r->c->fd, POLLOUT, &dl);
		if (w <= 0)
			return fail(r, STS_TEMPFAIL, why, whylen,
				    w == 0 ? "timed out writing"
					   : "poll failed",
				    NULL);
		if (redisBufferWrite(r->c, &done) != REDIS_OK)
			return fail(r, STS_TEMPFAIL, why, whylen,
				    "connection lost", r->c->errstr);
	}
	st = read_reply(r, &dl, false, out, why, whylen);
	if (st != STS_OK)
		return st;
	if ((*out)->type == REDIS_REPLY_ERROR) {
		/* the server's words, printable only, cut short */
		n = (*out)->len < sizeof(msg) - 1 ? (*out)->len
						  : sizeof(msg) - 1;
		for (i = 0; i < n; i++) {
			char c = (*out)->str[i];

			msg[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
		}
		msg[n] = '\0';
		freeReplyObject(*out);
		*out = NULL;
		return sts_why(why, whylen, STS_TEMPFAIL, "redis: %s", msg);
	}
	return STS_OK;
}

static enum sts_status
unexpected(struct sts_redis *r, redisReply *rp, char *why, size_t whylen,
	   const char *cmd)
{
	char d[64];

	snprintf(d, sizeof(d), "%s answered with reply type %d", cmd, rp->type);
	freeReplyObject(rp);
	return fail(r, STS_INVALID, why, whylen, "unexpected reply", d);
}

static bool
is_status(const redisReply *rp, const char *s)
{
	return rp->type == REDIS_REPLY_STATUS && rp->len == strlen(s) &&
	       memcmp(rp->str, s, rp->len) == 0;
}

/* --- connection --------------------------------------------------------- */

struct sts_redis *
sts_redis_connect(const struct sts_redis_url *u, unsigned timeout_ms, char *why,
		  size_t whylen)
{
	struct timeval tv;
	struct sts_redis *r;
	redisReply *rp;
	const char *argv[3];
	size_t argl[3];
	char dbs[16];
	int n;

	tv.tv_sec = (time_t)(timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return NULL;
	}
	r->c = u->unix_socket
		       ? redisConnectUnixWithTimeout(u->path, tv)
		       : redisConnectWithTimeout(u->host, (int)u->port, tv);
	if (r->c == NULL || r->c->err != 0) {
		sts_why(why, whylen, STS_TEMPFAIL,
			"redis: cannot connect to %s%s%u: %s",
			u->unix_socket ? u->path : u->host,
			u->unix_socket ? "" : ":", u->unix_socket ? 0 : u->port,
			r->c != NULL ? r->c->errstr : "out of memory");
		sts_redis_free(r);
		return NULL;
	}
	/* a backstop under our poll() deadlines: no call blocks forever */
	(void)redisSetTimeout(r->c, tv);
	if (u->pass[0] != '\0') {
		n = 0;
		argv[n] = "AUTH";
		argl[n++] = 4;
		if (u->user[0] != '\0') {
			argv[n] = u->user;
			argl[n++] = strlen(u->user);
		}
		argv[n] = u->pass;
		argl[n++] = strlen(u->pass);
		if (roundtrip(r, timeout_ms, n, argv, argl, &rp, why, whylen) !=
		    STS_OK)
			goto bad;
		if (!is_status(rp, "OK")) {
			unexpected(r, rp, why, whylen, "AUTH");
			goto bad;
		}
		freeReplyObject(rp);
	}
	if (u->db > 0) {
		snprintf(dbs, sizeof(dbs), "%u", u->db);
		argv[0] = "SELECT";
		argl[0] = 6;
		argv[1] = dbs;
		argl[1] = strlen(dbs);
		if (roundtrip(r, timeout_ms, 2, argv, argl, &rp, why, whylen) !=
		    STS_OK)
			goto bad;
		if (!is_status(rp, "OK")) {
			unexpected(r, rp, why, whylen, "SELECT");
			goto bad;
		}
		freeReplyObject(rp);
	}
	return r;
bad:
	sts_redis_free(r);
	return NULL;
}

void
sts_redis_free(struct sts_redis *r)
{
	if (r == NULL)
		return;
	if (r->c != NULL)
		redisFree(r->c);
	free(r);
}

bool
sts_redis_broken(const struct sts_redis *r)
{
	return r == NULL || r->broken;
}

/* --- commands ----------------------------------------------------------- */

enum sts_status
sts_redis_get(struct sts_redis *r, unsigned timeout_ms, const char *key,
	      char *buf, size_t cap, size_t *len, char *why, size_t whylen)
{
	const char *argv[2] = {"GET", key};
	size_t argl[2] = {3, strlen(key)};
	redisReply *rp;
	enum sts_status st;

	*len = 0;
	st = roundtrip(r, timeout_ms, 2, argv, argl, &rp, why, whylen);
	if (st != STS_OK)
		return st;
	if (rp->type == REDIS_REPLY_NIL) {
		freeReplyObject(rp);
		return STS_NOTFOUND;
	}
	if (rp->type != REDIS_REPLY_STRING)
		return unexpected(r, rp, why, whylen, "GET");
	if (rp->len > cap) {
		freeReplyObject(rp);
		return sts_why(why, whylen, STS_INVALID,
			       "redis: value of %s over the size cap", key);
	}
	memcpy(buf, rp->str, rp->len);
	*len = rp->len;
	freeReplyObject(rp);
	return STS_OK;
}

enum sts_status
sts_redis_set(struct sts_redis *r, unsigned timeout_ms, const char *key,
	      const char *val, size_t vlen, unsigned long ttl_ms, bool nx,
	      char *why, size_t whylen)
{
	char ttl[24];
	const char *argv[6] = {"SET", key, val, "PX", ttl, "NX"};
	size_t argl[6] = {3, strlen(key), vlen, 2, 0, 2};
	redisReply *rp;
	enum sts_status st;

	snprintf(ttl, sizeof(ttl), "%lu", ttl_ms > 0 ? ttl_ms : 1);
	argl[4] = strlen(ttl);
	st = roundtrip(r, timeout_ms, nx ? 6 : 5, argv, argl, &rp, why, whylen);
	if (st != STS_OK)
		return st;
	if (nx && rp->type == REDIS_REPLY_NIL) {
		freeReplyObject(rp);
		return STS_NOTFOUND;
	}
	if (!is_status(rp, "OK"))
		return unexpected(r, rp, why, whylen, "SET");
	freeReplyObject(rp);
	return STS_OK;
}

enum sts_status
sts_redis_del_if(struct sts_redis *r, unsigned timeout_ms, const char *key,
		 const char *token, char *why, size_t whylen)
{
	static const char script[] =
		"if redis.call('get', KEYS[1]) == ARGV[1] then "
		"return redis.call('del', KEYS[1]) else return 0 end";
	const char *argv[5] = {"EVAL", script, "1", key, token};
	size_t argl[5] = {4, sizeof(script) - 1, 1, strlen(key), strlen(token)};
	redisReply *rp;
	enum sts_status st;

	st = roundtrip(r, timeout_ms, 5, argv, argl, &rp, why, whylen);
	if (st != STS_OK)
		return st;
	if (rp->type != REDIS_REPLY_INTEGER)
		return unexpected(r, rp, why, whylen, "EVAL");
	freeReplyObject(rp);
	return STS_OK;
}

enum sts_status
sts_redis_publish(struct sts_redis *r, unsigned timeout_ms, const char *channel,
		  const char *msg, char *why, size_t whylen)
{
	const char *argv[3] = {"PUBLISH", channel, msg};
	size_t argl[3] = {7, strlen(channel), strlen(msg)};
	redisReply *rp;
	enum sts_status st;

	st = roundtrip(r, timeout_ms, 3, argv, argl, &rp, why, whylen);
	if (st != STS_OK)
		return st;
	if (rp->type != REDIS_REPLY_INTEGER)
		return unexpected(r, rp, why, whylen, "PUBLISH");
	freeReplyObject(rp);
	return STS_OK;
}

/* A pub/sub push: [kind, channel, payload-or-count]. */
static bool
push_is(const redisReply *rp, const char *kind)
{
	return rp->type == REDIS_REPLY_ARRAY && rp->elements == 3 &&
	       rp->element[0]->type == REDIS_REPLY_STRING &&
	       rp->element[0]->len == strlen(kind) &&
	       memcmp(rp->element[0]->str, kind, rp->element[0]->len) == 0 &&
	       rp->element[1]->type == REDIS_REPLY_STRING;
}

enum sts_status
sts_redis_subscribe(struct sts_redis *r, unsigned timeout_ms,
		    const char *channel, char *why, size_t whylen)
{
	const char *argv[2] = {"SUBSCRIBE", channel};
	size_t argl[2] = {9, strlen(channel)};
	redisReply *rp;
	enum sts_status st;

	st = roundtrip(r, timeout_ms, 2, argv, argl, &rp, why, whylen);
	if (st != STS_OK)
		return st;
	if (!push_is(rp, "subscribe") ||
	    rp->element[2]->type != REDIS_REPLY_INTEGER)
		return unexpected(r, rp, why, whylen, "SUBSCRIBE");
	freeReplyObject(rp);
	return STS_OK;
}

enum sts_status
sts_redis_message(struct sts_redis *r, unsigned timeout_ms, char *buf,
		  size_t cap, char *why, size_t whylen)
{
	struct timespec dl = deadline(timeout_ms);
	redisReply *rp;
	enum sts_status st;

	if (cap > 0)
		buf[0] = '\0';
	if (r->broken)
		return sts_why(why, whylen, STS_TEMPFAIL,
			       "redis: connection unusable");
	st = read_reply(r, &dl, true, &rp, why, whylen);
	if (st != STS_OK)
		return st;
	if (!push_is(rp, "message") ||
	    rp->element[2]->type != REDIS_REPLY_STRING)
		return unexpected(r, rp, why, whylen, "pub/sub");
	if (rp->element[2]->len >= cap) {
		freeReplyObject(rp);
		return sts_why(why, whylen, STS_INVALID,
			       "redis: pub/sub message over the size cap");
	}
	memcpy(buf, rp->element[2]->str, rp->element[2]->len);
	buf[rp->element[2]->len] = '\0';
	freeReplyObject(rp);
	return STS_OK;
}
