/*
 * sts_tls.c - mbedTLS glue: the shared client configuration and sessions
 * bounded by a deadline.  The certificate checks are in sts_tls_verify.c.
 * Every mbedTLS version #if of the project is in these two files (2.28 as
 * in Debian 12, and 3.x).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include "sts_sock.h"
#include "sts_tls.h"
#include "sts_tls_int.h"

const char *
sts_tls_library(void)
{
	return MBEDTLS_VERSION_STRING_FULL;
}

/* One DRBG for all threads, behind a mutex (the config is shared). */
static int
locked_rng(void *arg, unsigned char *out, size_t len)
{
	struct sts_tls *t = arg;
	int ret;

	pthread_mutex_lock(&t->rng_mu);
	ret = mbedtls_ctr_drbg_random(&t->drbg, out, len);
	pthread_mutex_unlock(&t->rng_mu);
	return ret;
}

static void
errstr(int ret, char *buf, size_t len)
{
	mbedtls_strerror(ret, buf, len);
}

/*
 * Key-exchange groups, fastest first.  mbedTLS 2.28's default list starts
 * with secp521r1, which servers that honour the client's order then pick:
 * that ECDHE alone costs tens of milliseconds of client CPU per fetch and
 * probe.  X25519 and P-256 are what MTA-STS hosts and MX hosts offer.
 * Which of the two is faster depends on the version: 2.28 computes a
 * P-256 key pair without a precomputed table (X25519 first: 1.6 % fewer
 * instructions per handshake); 3.x has the table for the P-256
 * generator, and in TLS 1.3 its one key share is the first group, so
 * P-256 first saves 10 % of the handshake (callgrind, bench/analysis.md).
 */
#if MBEDTLS_VERSION_NUMBER >= 0x03010000
static const uint16_t tls_groups[] = {
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
	MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
#endif
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP521R1,
	MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

static void
conf_groups(mbedtls_ssl_config *conf)
{
	mbedtls_ssl_conf_groups(conf, tls_groups);
}
#else
static const mbedtls_ecp_group_id tls_groups[] = {
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
	MBEDTLS_ECP_DP_CURVE25519,
#endif
	MBEDTLS_ECP_DP_SECP256R1,  MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_SECP521R1,  MBEDTLS_ECP_DP_NONE,
};

static void
conf_groups(mbedtls_ssl_config *conf)
{
	mbedtls_ssl_conf_curves(conf, tls_groups);
}
#endif

/*
 * Signature schemes, mbedTLS 3.x (2.28 offers TLS 1.2 schemes only).
 * rsa_pkcs1 comes BEFORE rsa_pss_rsae: in a ClientHello that offers TLS
 * 1.2 and 1.3, mbedTLS 3.6 up to 3.6.6 (Debian 13) advertises
 * rsa_pss_rsae but rejects it in a TLS 1.2 ServerKeyExchange
 * (illegal_parameter; fixed upstream by Mbed-TLS/mbedtls PR 10672).  A
 * TLS 1.2 server with an RSA key that follows the client's order
 * (OpenSSL's and GnuTLS's default, Postfix's tls_preempt_cipherlist =
 * no) then signs with PKCS#1; a TLS 1.3 server cannot use rsa_pkcs1 for
 * its CertificateVerify (RFC 8446 section 4.2.3) and takes rsa_pss_rsae.
 * A server that imposes its own order gets one more connection offering
 * TLS 1.2 only (sts_tls_retry_tls12()).
 */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
static const uint16_t tls_sig_algs[] = {
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP521R1_SHA512,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
	MBEDTLS_TLS1_3_SIG_NONE,
};
#endif

/* The client configuration shared by both: see sts_tls_new(). */
static int
conf_client(struct sts_tls *t, mbedtls_ssl_config *conf, bool tls12_only)
{
	int ret;

	ret = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT,
					  MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0)
		return ret;
	/* NONE: the chain is judged after the handshake by
	 * sts_tls_verify_pkix() (classified, and remembered: see the
	 * header); every caller MUST judge it before sending data (pitfall
	 * 9).  mbedTLS still checks the server's proof of its key in every
	 * authmode (TLS 1.2 ServerKeyExchange, TLS 1.3 CertificateVerify). */
	mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_ca_chain(conf, &t->ca, NULL);
	mbedtls_ssl_conf_rng(conf, locked_rng, t);
	/* RFC 8461 section 7.2: TLS 1.2 or later */
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
	mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
	if (tls12_only)
		mbedtls_ssl_conf_max_tls_version(conf,
						 MBEDTLS_SSL_VERSION_TLS1_2);
#else
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	(void)tls12_only; /* 2.28 speaks TLS 1.2 only */
#endif
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	mbedtls_ssl_conf_sig_algs(conf, tls_sig_algs);
#endif
	conf_groups(conf);
	return 0;
}

enum sts_status
sts_tls_new(const char *ca_file, struct sts_tls **out, char *why, size_t whylen)
{
	static const unsigned char pers[] = "mta-sts-milter";
	struct sts_tls *t;
	char e[128];
	int ret;

	*out = NULL;
	if (ca_file == NULL)
		ca_file = STS_TLS_DEFAULT_CA_FILE;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
	/* 3.x with TLS 1.3 needs PSA before the first handshake (LAB.md) */
	if (psa_crypto_init() != PSA_SUCCESS)
		return sts_why(why, whylen, STS_TEMPFAIL,
			       "psa_crypto_init failed");
#endif
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	pthread_mutex_init(&t->rng_mu, NULL);
	pthread_mutex_init(&t->memo_mu, NULL);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_ssl_config_init(&t->conf12);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	t->conf_init = t->rng_init = true;

	ret = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
				    pers, sizeof(pers) - 1);
	if (ret != 0) {
		sts_tls_free(t);
		return sts_why(why, whylen, STS_TEMPFAIL, "RNG seed failed");
	}
	/* > 0 means some certificates were skipped: not fatal (pitfall 6) */
	ret = mbedtls_x509_crt_parse_file(&t->ca, ca_file);
	if (ret < 0 || t->ca.raw.len == 0) {
		errstr(ret, e, sizeof(e));
		sts_tls_free(t);
		return sts_why(why, whylen, STS_INVALID,
			       "CA file %s: no certificate loaded (%s)",
			       ca_file, e);
	}
	if (conf_client(t, &t->conf, false) != 0 ||
	    conf_client(t, &t->conf12, true) != 0) {
		sts_tls_free(t);
		return sts_why(why, whylen, STS_NOMEM,
			       "ssl_config_defaults failed");
	}
	*out = t;
	return STS_OK;
}

void
sts_tls_free(struct sts_tls *t)
{
	if (t == NULL)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_ssl_config_free(&t->conf12);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	pthread_mutex_destroy(&t->rng_mu);
	pthread_mutex_destroy(&t->memo_mu);
	free(t);
}

/* BIO callbacks: blocking semantics, bounded by the conn's deadline. */
static int
bio_send(void *arg, const unsigned char *buf, size_t len)
{
	struct sts_tls_conn *c = arg;
	struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
	ssize_t n;
	int64_t left;

	for (;;) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return MBEDTLS_ERR_NET_SEND_FAILED;
		left = c->deadline - sts_now_ms();
		if (left <= 0) {
			c->timed_out = true;
			return MBEDTLS_ERR_SSL_TIMEOUT;
		}
		(void)poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
	}
}

static int
bio_recv(void *arg, unsigned char *buf, size_t len)
{
	struct sts_tls_conn *c = arg;
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	ssize_t n;
	int64_t left;

	for (;;) {
		n = recv(c->fd, buf, len, 0);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return MBEDTLS_ERR_NET_RECV_FAILED;
		left = c->deadline - sts_now_ms();
		if (left <= 0) {
			c->timed_out = true;
			return MBEDTLS_ERR_SSL_TIMEOUT;
		}
		(void)poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
	}
}

enum sts_status
sts_tls_conn_new(struct sts_tls *t, int fd, const char *host, unsigned flags,
		 int64_t deadline_ms, struct sts_tls_conn **out, char *why,
		 size_t whylen)
{
	struct sts_tls_conn *c;
	int ret;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	mbedtls_ssl_init(&c->ssl);
	c->t = t;
	c->fd = fd;
	c->tls12_only = (flags & STS_TLS_TLS12_ONLY) != 0;
	c->deadline = deadline_ms;
	snprintf(c->host, sizeof(c->host), "%s", host);
	ret = mbedtls_ssl_setup(&c->ssl, c->tls12_only ? &t->conf12 : &t->conf);
	if (ret == 0)
		/* ALWAYS: SNI (pitfall 1); the name is checked by our code */
		ret = mbedtls_ssl_set_hostname(&c->ssl, host);
	if (ret != 0) {
		sts_tls_conn_free(c);
		return sts_why(why, whylen, STS_NOMEM, "TLS setup failed");
	}
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	*out = c;
	return STS_OK;
}

void
sts_tls_conn_set_deadline(struct sts_tls_conn *c, int64_t deadline_ms)
{
	c->deadline = deadline_ms;
	c->timed_out = false;
}

void
sts_tls_conn_free(struct sts_tls_conn *c)
{
	if (c == NULL)
		return;
	mbedtls_ssl_free(&c->ssl);
	free(c);
}

/* TEMPFAIL for I/O trouble, INVALID for TLS protocol failures. */
static enum sts_status
io_error(struct sts_tls_conn *c, int ret, const char *what, char *why,
	 size_t whylen)
{
	char e[128];

	if (c->timed_out || ret == MBEDTLS_ERR_SSL_TIMEOUT)
		return sts_why(why, whylen, STS_TEMPFAIL, "TLS %s: timed out",
			       what);
	errstr(ret, e, sizeof(e));
	if (ret == MBEDTLS_ERR_NET_RECV_FAILED ||
	    ret == MBEDTLS_ERR_NET_SEND_FAILED ||
	    ret == MBEDTLS_ERR_SSL_CONN_EOF)
		return sts_why(why, whylen, STS_TEMPFAIL, "TLS %s: %s", what,
			       e);
	return sts_why(why, whylen, STS_INVALID, "TLS %s failed: %s (-0x%04x)",
		       what, e, (unsigned)-ret);
}

enum sts_status
sts_tls_handshake(struct sts_tls_conn *c, char *why, size_t whylen)
{
	int ret;

	do
		ret = mbedtls_ssl_handshake(&c->ssl);
	while (ret == MBEDTLS_ERR_SSL_WANT_READ ||
	       ret == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (ret != 0) {
		c->hs_ret = ret;
		return io_error(c, ret, "handshake", why, whylen);
	}
	return STS_OK;
}

bool
sts_tls_retry_tls12(const struct sts_tls_conn *c)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03020000 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
	/* the server chose TLS 1.2 (known once its ServerHello is parsed)
	 * and then sent what mbedTLS calls an illegal parameter: the
	 * rsa_pss_rsae ServerKeyExchange of tls_sig_algs' comment */
	return !c->tls12_only &&
	       c->hs_ret == MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER &&
	       mbedtls_ssl_get_version_number(&c->ssl) ==
		       MBEDTLS_SSL_VERSION_TLS1_2;
#else
	(void)c;
	return false;
#endif
}

const char *
sts_tls_conn_version(const struct sts_tls_conn *c)
{
	const char *v = mbedtls_ssl_get_version(&c->ssl);

	return v ? v : "";
}

const char *
sts_tls_conn_cipher(const struct sts_tls_conn *c)
{
	const char *v = mbedtls_ssl_get_ciphersuite(&c->ssl);

	return v ? v : "";
}

enum sts_status
sts_tls_read(struct sts_tls_conn *c, void *buf, size_t len, size_t *got,
	     char *why, size_t whylen)
{
	int ret;

	*got = 0;
	for (;;) {
		ret = mbedtls_ssl_read(&c->ssl, buf, len);
		if (ret > 0) {
			*got = (size_t)ret;
			return STS_OK;
		}
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			c->close_notify = true;
			return STS_OK;
		}
		/* TCP EOF without close_notify: also the end, but a
		 * truncation an attacker can cause (RFC 9112 section 9.8);
		 * sts_tls_closed_notify() tells the two apart */
		if (ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF)
			return STS_OK;
		if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
		    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
#ifdef MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
		if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue; /* TLS 1.3 in 3.x (pitfall 3) */
#endif
		return io_error(c, ret, "read", why, whylen);
	}
}

enum sts_status
sts_tls_write(struct sts_tls_conn *c, const void *buf, size_t len, char *why,
	      size_t whylen)
{
	const unsigned char *p = buf;
	int ret;

	while (len > 0) {
		ret = mbedtls_ssl_write(&c->ssl, p, len);
		if (ret > 0) {
			p += ret;
			len -= (size_t)ret;
			continue;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
		    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		return io_error(c, ret, "write", why, whylen);
	}
	return STS_OK;
}

bool
sts_tls_closed_notify(const struct sts_tls_conn *c)
{
	return c->close_notify;
}

void
sts_tls_close_notify(struct sts_tls_conn *c)
{
	(void)mbedtls_ssl_close_notify(&c->ssl);
}
