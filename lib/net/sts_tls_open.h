/*
 * sts_tls_open.h - connect to a host's addresses and open a TLS session
 * whose certificate passed the WebPKI checks: the common first half of
 * the policy fetch (sts_fetch.c) and the report POST (sts_post.c).  The
 * STARTTLS prober has its own (plain SMTP comes first, and DANE may
 * judge the certificate instead).
 *
 * Steps: sts_sock_connect_any() over all the addresses (RFC 8305 happy
 * eyeballs), the handshake with SNI = host, sts_tls_verify_pkix().  A
 * handshake that sts_tls_retry_tls12() flags is redone once, on a new
 * connection to the same address, offering TLS 1.2 only.  Nothing is
 * sent after the handshake: the caller writes its request only to an
 * opened session.
 *
 * Ownership: on STS_OK the caller owns o->conn and o->fd and gives them
 * back with sts_tls_open_close(); on failure both are released already.
 * Thread-safety: as sts_tls.h (t shared, the result used by one thread).
 * Nothing here logs.
 */
#ifndef STS_TLS_OPEN_H
#define STS_TLS_OPEN_H

#include <stdbool.h>
#include <stdint.h>

#include "sts_resolver.h"
#include "sts_tls.h"

enum sts_tls_stage {
	STS_TLS_STAGE_CONNECT,	 /* no address answered */
	STS_TLS_STAGE_HANDSHAKE, /* TLS failed (incl. out of memory) */
	STS_TLS_STAGE_VERIFY,	 /* the certificate failed: o->rpt */
	STS_TLS_STAGE_OPEN	 /* success */
};

struct sts_tls_opened {
	struct sts_tls_conn *conn; /* NULL unless opened */
	int fd;			   /* -1 unless opened */
	char addr[64];		   /* connected to (or tried last) */
	enum sts_tls_stage stage;  /* where it stopped */
	enum sts_rpt rpt;	   /* STAGE_VERIFY: RFC 8460 result type */
	bool retried12;		   /* the TLS 1.2-only retry was made */
};

/*
 * Open a verified session to host on one of addrs.  connect_ms bounds
 * each connection attempt, deadline_ms (absolute, sts_now_ms()) all of
 * it including the session's later reads and writes.
 *   STS_OK        o->stage == STS_TLS_STAGE_OPEN
 *   STS_TEMPFAIL  no connection, or the handshake timed out or was reset
 *   STS_INVALID   TLS protocol failure, or (STAGE_VERIFY) the certificate
 *   STS_NOMEM
 * why: "ADDR: connect: ..." for each address tried, "ADDR: WHY" for the
 * handshake, "WHY (RESULT-TYPE)" for the certificate.
 */
enum sts_status sts_tls_open(struct sts_tls *t,
			     const struct sts_resolver_addrs *addrs,
			     const char *host, unsigned connect_ms,
			     int64_t deadline_ms, struct sts_tls_opened *o,
			     char *why, size_t whylen);

/* Free the session and close the socket; with notify, send close_notify
 * first (a clean end of an exchange). */
void sts_tls_open_close(struct sts_tls_opened *o, bool notify);

#endif /* STS_TLS_OPEN_H */
