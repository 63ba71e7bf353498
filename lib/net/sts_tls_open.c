/*
 * sts_tls_open.c - connect, handshake, verify (see sts_tls_open.h).
 */
#include "config.h"

#include <string.h>

#include "sts_sock.h"
#include "sts_tls_open.h"

/* One session on a connected fd: STS_OK, or the handshake's failure with
 * o->conn released (fd stays the caller's). */
static enum sts_status
handshake(struct sts_tls *t, int fd, const char *host, unsigned flags,
	  int64_t deadline, struct sts_tls_opened *o, bool *retry, char *why,
	  size_t whylen)
{
	char w[STS_WHY_MAX];
	enum sts_status st;

	*retry = false;
	st = sts_tls_conn_new(t, fd, host, flags, deadline, &o->conn, why,
			      whylen);
	if (st != STS_OK)
		return st;
	st = sts_tls_handshake(o->conn, w, sizeof(w));
	if (st != STS_OK) {
		*retry = sts_tls_retry_tls12(o->conn);
		sts_why(why, whylen, st, "%s: %s", o->addr, w);
		sts_tls_conn_free(o->conn);
		o->conn = NULL;
	}
	return st;
}

enum sts_status
sts_tls_open(struct sts_tls *t, const struct sts_resolver_addrs *addrs,
	     const char *host, unsigned connect_ms, int64_t deadline,
	     struct sts_tls_opened *o, char *why, size_t whylen)
{
	char w[STS_WHY_MAX];
	enum sts_status st;
	size_t idx;
	bool retry;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->stage = STS_TLS_STAGE_CONNECT;
	st = sts_sock_connect_any(addrs->addr, addrs->n, connect_ms, deadline,
				  &o->fd, &idx, why, whylen);
	if (idx < addrs->n)
		sts_resolver_addr_str(&addrs->addr[idx], o->addr,
				      sizeof(o->addr));
	if (st != STS_OK)
		return st;
	o->stage = STS_TLS_STAGE_HANDSHAKE;
	st = handshake(t, o->fd, host, 0, deadline, o, &retry, why, whylen);
	if (st != STS_OK && retry && sts_now_ms() < deadline) {
		/* sts_tls_retry_tls12(): the same address, TLS 1.2 only */
		sts_sock_close(o->fd);
		o->retried12 = true;
		st = sts_sock_connect(&addrs->addr[idx],
				      sts_deadline_min(deadline, connect_ms),
				      &o->fd, w, sizeof(w));
		if (st != STS_OK) {
			o->stage = STS_TLS_STAGE_CONNECT;
			sts_why(why, whylen, st, "%s: %s", o->addr, w);
			return st;
		}
		st = handshake(t, o->fd, host, STS_TLS_TLS12_ONLY, deadline, o,
			       &retry, why, whylen);
	}
	if (st != STS_OK) {
		sts_sock_close(o->fd);
		o->fd = -1;
		/* timeouts and resets are temporary; a TLS protocol error
		 * (or out of memory) is what it says */
		return st;
	}
	o->stage = STS_TLS_STAGE_VERIFY;
	st = sts_tls_verify_pkix(o->conn, host, &o->rpt, w, sizeof(w));
	if (st != STS_OK) {
		sts_why(why, whylen, STS_INVALID, "%s (%s)", w,
			sts_rpt_str(o->rpt));
		sts_tls_open_close(o, false);
		return STS_INVALID;
	}
	o->stage = STS_TLS_STAGE_OPEN;
	return STS_OK;
}

void
sts_tls_open_close(struct sts_tls_opened *o, bool notify)
{
	if (o->conn != NULL && notify)
		sts_tls_close_notify(o->conn);
	sts_tls_conn_free(o->conn);
	o->conn = NULL;
	sts_sock_close(o->fd);
	o->fd = -1;
}
