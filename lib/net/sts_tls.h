/*
 * sts_tls.h - the one place that knows mbedTLS (2.28 and 3.x).
 *
 * Every mbedTLS version difference (#if MBEDTLS_VERSION_NUMBER) lives in
 * sts_tls.c; the rest of lib/ sees only the types below.
 *
 * struct sts_tls is the SHARED configuration: the CA bundle (loaded once),
 * one mbedtls_ssl_config (client, TLS >= 1.2 - RFC 8461 section 7.2,
 * checklist C4), and the random generator (one ctr_drbg guarded by a
 * mutex).  After sts_tls_new() it is read-only and may be used by any
 * number of threads at once (mbedtls_ssl_config is safe to share
 * read-only after setup).
 *
 * struct sts_tls_conn is ONE session (its own mbedtls_ssl_context) over a
 * connected socket the caller owns; it is used by one thread at a time.
 * All its I/O is bounded by the absolute deadline given at creation
 * (sts_sock.h), which covers handshake, reads and writes together.
 *
 * Certificate checking (checklist C2, C3; RFC 8461 section 3.3, RFC 6125):
 * the handshake itself runs with authmode OPTIONAL so that a bad
 * certificate is CLASSIFIED rather than reported as a bare handshake
 * error; callers MUST call sts_tls_verify_pkix() (or DANE) and refuse the
 * session unless it returns STS_OK, before sending any data.
 * mbedtls_ssl_set_hostname() is always called (SNI; LAB.md pitfall 1);
 * the name is in addition checked against the subjectAltName DNS-IDs by
 * our own code, with "*" only as the whole left-most label and no CN
 * fallback (mbedTLS 2.28 falls back to the CN when there is no SAN).
 *
 * Ownership: _new/_free pairs; _free(NULL) is fine.  A conn must be freed
 * before the struct sts_tls it was made from.
 */
#ifndef STS_TLS_H
#define STS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sts_status.h"

/* Debian's CA bundle (ca-certificates). */
#define STS_TLS_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

struct sts_tls;
struct sts_tls_conn;

/*
 * Load ca_file (NULL: STS_TLS_DEFAULT_CA_FILE) and seed the RNG.
 *   STS_OK       *out set
 *   STS_INVALID  no certificate could be loaded from ca_file
 *   STS_NOMEM / STS_TEMPFAIL (RNG seeding failed)
 */
enum sts_status sts_tls_new(const char *ca_file, struct sts_tls **out,
			    char *why, size_t whylen);
void sts_tls_free(struct sts_tls *t);

/* "mbed TLS 2.28.3" - the library the program runs with. */
const char *sts_tls_library(void);

/*
 * Start a client session on the connected socket fd with SNI = host
 * (also the name mbedTLS checks).  Nothing is sent yet.
 */
enum sts_status sts_tls_conn_new(struct sts_tls *t, int fd, const char *host,
				 int64_t deadline_ms, struct sts_tls_conn **out,
				 char *why, size_t whylen);
/* Move the session's deadline (e.g. one per prober step). */
void sts_tls_conn_set_deadline(struct sts_tls_conn *c, int64_t deadline_ms);

/* Frees the session; does not close fd. */
void sts_tls_conn_free(struct sts_tls_conn *c);

/*
 * Run the handshake.
 *   STS_OK        handshake complete (certificate NOT yet judged)
 *   STS_TEMPFAIL  timeout, connection reset, I/O error
 *   STS_INVALID   TLS protocol failure (alert, no common version/cipher)
 */
enum sts_status sts_tls_handshake(struct sts_tls_conn *c, char *why,
				  size_t whylen);

/* "TLSv1.2" / "TLSv1.3", ciphersuite name; "" before the handshake. */
const char *sts_tls_conn_version(const struct sts_tls_conn *c);
const char *sts_tls_conn_cipher(const struct sts_tls_conn *c);

/*
 * PKIX verdict on the peer for reference name `name` (A-labels):
 * chain to the CA bundle, validity dates, SAN DNS-ID match.
 *   STS_OK       valid; *rpt = STS_RPT_NONE
 *   STS_INVALID  *rpt = certificate-not-trusted / certificate-expired /
 *                certificate-host-mismatch / validation-failure
 *                (RFC 8460 section 4.3.2), why says exactly what.
 * The order of precedence when several apply: not-trusted, expired,
 * host-mismatch, other.
 */
enum sts_status sts_tls_verify_pkix(const struct sts_tls_conn *c,
				    const char *name, enum sts_rpt *rpt,
				    char *why, size_t whylen);

/*
 * Read at least one byte (up to len) into buf.  *got = 0 with STS_OK means
 * the peer closed (close_notify or TCP EOF: sts_tls_closed_notify() says
 * which).  STS_TEMPFAIL on timeout or
 * I/O error, STS_INVALID on a TLS protocol error.
 */
enum sts_status sts_tls_read(struct sts_tls_conn *c, void *buf, size_t len,
			     size_t *got, char *why, size_t whylen);
/* Write all of buf. */
enum sts_status sts_tls_write(struct sts_tls_conn *c, const void *buf,
			      size_t len, char *why, size_t whylen);
/*
 * True once sts_tls_read() saw the peer's close_notify alert; false after
 * a bare TCP close.  RFC 9112 section 9.8: only a valid closure alert
 * proves that a read-until-close body is complete.
 */
bool sts_tls_closed_notify(const struct sts_tls_conn *c);
/* Send close_notify (best effort, bounded by the deadline). */
void sts_tls_close_notify(struct sts_tls_conn *c);

/* The peer's chain as sent, leaf first (for DANE, RFC 7672). */
struct sts_cert_der {
	const unsigned char *cert; /* DER certificate */
	size_t cert_len;
	const unsigned char *spki; /* DER SubjectPublicKeyInfo */
	size_t spki_len;
};

/* Fill out[0..max-1]; returns the number of certificates (0 before the
 * handshake).  Pointers stay valid until the conn is freed. */
size_t sts_tls_peer_chain(const struct sts_tls_conn *c,
			  struct sts_cert_der *out, size_t max);

/* TLSA matching types (RFC 6698 section 2.1.3): 1 SHA-256, 2 SHA-512.
 * out must hold 64 bytes; *outlen set.  STS_INVALID for another mtype. */
enum sts_status sts_tls_digest(uint8_t mtype, const unsigned char *data,
			       size_t len, unsigned char *out, size_t *outlen);

/*
 * DANE-TA (RFC 7672 section 3.1.2): verify the peer chain up to the
 * certificate at index ta of sts_tls_peer_chain() as the only trust
 * anchor, with the reference name checked (SAN, "*" left-most only);
 * validity dates of the chain ARE checked (only DANE-EE skips them).
 * STS_OK or STS_INVALID with *rpt and why as for sts_tls_verify_pkix().
 */
enum sts_status sts_tls_verify_ta(const struct sts_tls_conn *c, size_t ta,
				  const char *name, enum sts_rpt *rpt,
				  char *why, size_t whylen);

/*
 * RFC 6125 section 6.4 DNS-ID match, as used by the checks above:
 * case-insensitive, trailing dots ignored, "*" only as the whole
 * left-most label matching exactly one label.  Pure; exposed for tests.
 */
bool sts_tls_name_match(const char *pattern, size_t patlen, const char *host);

#endif /* STS_TLS_H */
