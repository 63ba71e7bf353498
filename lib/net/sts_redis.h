/*
 * sts_redis.h - a small Redis/Valkey client for the shared cache tier
 * (doc/fleet.md), on libhiredis's protocol reader.
 *
 * Only what the tier needs: GET, SET (PX, NX), a compare-and-delete for
 * lock keys, PUBLISH, SUBSCRIBE and reading pub/sub messages.  Every
 * call is bounded by a deadline (poll() on the socket, not a per-read
 * timeout that a trickling server could stretch), every reply is checked
 * for exactly the type the command returns, and no reply may grow past
 * STS_MAX_REDIS_REPLY bytes or STS_MAX_REDIS_ELEMENTS elements: beyond,
 * the connection is dropped unread.
 *
 * Status: OK; NOTFOUND for a nil answer (GET of a missing key, SET NX of
 * a taken key, no message within the wait); TEMPFAIL for a timeout, a
 * network error or an error reply (wrong password, OOM, READONLY
 * replica: the server's text is in why); INVALID for a reply that is not
 * Redis protocol or not the expected type.  After TEMPFAIL or INVALID
 * the connection may be unusable: sts_redis_broken() says so, and the
 * caller then frees it and connects again.
 *
 * Ownership and threads: a struct sts_redis is one connection, used by
 * one thread at a time (callers keep a pool); _free accepts NULL.  The
 * URL parser is pure and thread-safe.
 */
#ifndef STS_REDIS_H
#define STS_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

struct sts_redis_url {
	bool unix_socket;
	char host[STS_DOMAIN_BUFSZ]; /* IP literal or name (TCP) */
	unsigned port;		     /* default 6379 */
	char path[108];		     /* unix socket path */
	char user[64];		     /* "" : AUTH with the password only */
	char pass[STS_MAX_REDIS_SECRET + 1]; /* "" : no AUTH */
	unsigned db;			     /* SELECT db (0: none sent) */
};

/*
 * Parse "redis://[user:password@]host[:port][/db]" (IPv6 literals in
 * brackets) or "unix:/path[?db=N]".  Strict: no percent-escapes (a
 * password with '@', ':' or '/' goes in the password file instead), no
 * other scheme, port 1-65535, db 0-9999.  Fills *u (zeroed first).
 */
enum sts_status sts_redis_url_parse(const char *s, struct sts_redis_url *u,
				    char *why, size_t whylen);

struct sts_redis;

/*
 * Connect within timeout_ms, then AUTH (when a password is set) and
 * SELECT (db > 0), each checked.  NULL with the reason on failure (a
 * refused password says so: "redis: WRONGPASS ...").
 */
struct sts_redis *sts_redis_connect(const struct sts_redis_url *u,
				    unsigned timeout_ms, char *why,
				    size_t whylen);
void sts_redis_free(struct sts_redis *r);

/* True once an I/O, timeout or protocol error left the connection in an
 * unknown state. */
bool sts_redis_broken(const struct sts_redis *r);

/* GET key into buf[cap] (not NUL-terminated), *len its length.  A value
 * longer than cap is INVALID. */
enum sts_status sts_redis_get(struct sts_redis *r, unsigned timeout_ms,
			      const char *key, char *buf, size_t cap,
			      size_t *len, char *why, size_t whylen);

/* SET key val PX ttl_ms [NX].  NX and the key exists: NOTFOUND. */
enum sts_status sts_redis_set(struct sts_redis *r, unsigned timeout_ms,
			      const char *key, const char *val, size_t vlen,
			      unsigned long ttl_ms, bool nx, char *why,
			      size_t whylen);

/* Delete key only if its value is still token (a lock we hold). */
enum sts_status sts_redis_del_if(struct sts_redis *r, unsigned timeout_ms,
				 const char *key, const char *token, char *why,
				 size_t whylen);

/* PUBLISH channel msg. */
enum sts_status sts_redis_publish(struct sts_redis *r, unsigned timeout_ms,
				  const char *channel, const char *msg,
				  char *why, size_t whylen);

/* SUBSCRIBE channel; after this the connection only reads messages. */
enum sts_status sts_redis_subscribe(struct sts_redis *r, unsigned timeout_ms,
				    const char *channel, char *why,
				    size_t whylen);

/* Wait up to timeout_ms for one message on the subscribed channel; OK:
 * its payload in buf[cap] (NUL-terminated, cap includes the NUL);
 * NOTFOUND: none arrived. */
enum sts_status sts_redis_message(struct sts_redis *r, unsigned timeout_ms,
				  char *buf, size_t cap, char *why,
				  size_t whylen);

#endif /* STS_REDIS_H */
