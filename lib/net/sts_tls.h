/*
 * sts_tls.h - the one place that knows mbedTLS (2.28 and 3.x).
 *
 * Every mbedTLS version difference (#if MBEDTLS_VERSION_NUMBER) lives in
 * sts_tls.c and sts_tls_verify.c; the rest of lib/ sees only the types
 * below.
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
 * the handshake itself runs with authmode NONE and judges nothing but
 * the server's proof of its key (mbedTLS checks the TLS 1.2
 * ServerKeyExchange and TLS 1.3 CertificateVerify signatures in every
 * authmode); callers MUST call sts_tls_verify_pkix() (or DANE) and refuse
 * the session unless it returns STS_OK, before sending any data.  That
 * way a bad certificate is CLASSIFIED rather than reported as a bare
 * handshake error, and DANE sessions pay for no PKIX verification.
 * mbedtls_ssl_set_hostname() is always called (SNI; LAB.md pitfall 1);
 * the name is checked against the subjectAltName DNS-IDs by our own
 * code, with "*" only as the whole left-most label and no CN fallback
 * (mbedTLS 2.28 falls back to the CN when there is no SAN).
 *
 * Verified-chain memo: a chain that verified cleanly to the CA bundle is
 * remembered (SHA-256 of the exact chain bytes, in struct sts_tls, so
 * shared by all threads) until the earliest notAfter in it and at most
 * one hour.  A later session presenting the same bytes skips the chain's
 * signature checks: one ECDSA verification (~2 ms of mbedTLS 2.28 CPU,
 * a quarter of a cold policy fetch; bench/analysis.md).  Certificates
 * do repeat across hosts: hosted MTA-STS policy servers with SAN
 * certificates, MX hosts under one wildcard (*.mail.protection.outlook.com).
 * A hit still gets the name check, key usage, extended key usage and the
 * TLS 1.2 curve check; a chain that failed is never remembered.  The CA
 * bundle is fixed for the life of a struct sts_tls, so is the memo.
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

/* Flags of sts_tls_conn_new(). */
#define STS_TLS_TLS12_ONLY 0x1u /* offer TLS 1.2 only: the retry below */

/*
 * Start a client session on the connected socket fd with SNI = host.
 * Nothing is sent yet.
 */
enum sts_status sts_tls_conn_new(struct sts_tls *t, int fd, const char *host,
				 unsigned flags, int64_t deadline_ms,
				 struct sts_tls_conn **out, char *why,
				 size_t whylen);
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

/*
 * After sts_tls_handshake() failed with STS_INVALID: true when a new
 * session with STS_TLS_TLS12_ONLY, on a new connection, may succeed.
 * That is mbedTLS 3.x (up to 3.6.6) failing a TLS 1.2 server with an RSA
 * key that signed with rsa_pss_rsae, a scheme its TLS 1.3 ClientHello
 * advertises but its TLS 1.2 code rejects (Mbed-TLS/mbedtls PR 10672).
 * Always false with mbedTLS 2.28 and for a TLS12_ONLY session.  TLS 1.2
 * is still what RFC 8461 section 7.2 asks for, so this is no downgrade
 * below the policy's floor.
 */
bool sts_tls_retry_tls12(const struct sts_tls_conn *c);

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

/* Chains verified with the signature checks, and chains found in the
 * memo instead (both counted by sts_tls_verify_pkix()). */
void sts_tls_memo_stats(struct sts_tls *t, uint64_t *verified,
			uint64_t *remembered);

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
