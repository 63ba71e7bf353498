/*
 * sts_tls.c - mbedTLS glue: the shared client configuration, sessions
 * bounded by a deadline, PKIX classification into RFC 8460 types, our
 * own subjectAltName check, and the DANE helpers.  Every mbedTLS version
 * #if of the project is in this file (2.28 as in Debian 12, and 3.x).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include "sts_limits.h"
#include "sts_sock.h"
#include "sts_tls.h"

#ifndef MBEDTLS_X509_SAN_DNS_NAME
#define MBEDTLS_X509_SAN_DNS_NAME 2
#endif
#define SAN_DNS_TAG (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME)

struct sts_tls {
	mbedtls_x509_crt ca;
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	pthread_mutex_t rng_mu;
	bool conf_init, rng_init;
};

struct sts_tls_conn {
	mbedtls_ssl_context ssl;
	int fd;
	bool close_notify; /* the peer's close was a valid closure alert */
	int64_t deadline;
	bool timed_out;
	char host[STS_DOMAIN_BUFSZ];
};

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
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_ssl_config_init(&t->conf);
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
	ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
					  MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0) {
		sts_tls_free(t);
		return sts_why(why, whylen, STS_NOMEM,
			       "ssl_config_defaults failed");
	}
	/* OPTIONAL: finish the handshake so the certificate can be
	 * classified; every caller then MUST judge it (pitfall 9). */
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	mbedtls_ssl_conf_rng(&t->conf, locked_rng, t);
	/* RFC 8461 section 7.2: TLS 1.2 or later */
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
	mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
#endif
	conf_groups(&t->conf);
	*out = t;
	return STS_OK;
}

void
sts_tls_free(struct sts_tls *t)
{
	if (t == NULL)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	pthread_mutex_destroy(&t->rng_mu);
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
sts_tls_conn_new(struct sts_tls *t, int fd, const char *host,
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
	c->fd = fd;
	c->deadline = deadline_ms;
	snprintf(c->host, sizeof(c->host), "%s", host);
	ret = mbedtls_ssl_setup(&c->ssl, &t->conf);
	if (ret == 0)
		/* ALWAYS: SNI and the name mbedTLS checks (pitfall 1) */
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
	if (ret != 0)
		return io_error(c, ret, "handshake", why, whylen);
	return STS_OK;
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

bool
sts_tls_name_match(const char *pat, size_t plen, const char *host)
{
	size_t hlen = strlen(host), skip;

	if (plen > 0 && pat[plen - 1] == '.')
		plen--;
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (plen == 0 || hlen == 0 || memchr(pat, '\0', plen) != NULL)
		return false;
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		/* "*" as the whole left-most label, matching exactly one
		 * label; at least two labels must follow it */
		pat += 2;
		plen -= 2;
		if (memchr(pat, '*', plen) != NULL ||
		    memchr(pat, '.', plen) == NULL)
			return false;
		skip = strcspn(host, ".");
		if (skip == 0 || skip >= hlen)
			return false;
		host += skip + 1;
		hlen -= skip + 1;
	} else if (memchr(pat, '*', plen) != NULL) {
		return false;
	}
	return plen == hlen && strncasecmp(pat, host, plen) == 0;
}

/* Does crt carry a SAN dNSName matching name?  No CN fallback. */
static bool
san_match(const mbedtls_x509_crt *crt, const char *name, bool *any_dns)
{
	const mbedtls_x509_sequence *s;

	*any_dns = false;
	for (s = &crt->subject_alt_names; s != NULL; s = s->next) {
		if (s->buf.p == NULL || s->buf.tag != SAN_DNS_TAG)
			continue;
		*any_dns = true;
		if (sts_tls_name_match((const char *)s->buf.p, s->buf.len,
				       name))
			return true;
	}
	return false;
}

/* Classify verify flags + our name check (see the header). */
static enum sts_status
classify(uint32_t flags, const mbedtls_x509_crt *leaf, const char *name,
	 enum sts_rpt *rpt, char *why, size_t whylen)
{
	char info[256], *p;
	bool any_dns = false, name_ok;

	name_ok = leaf != NULL && san_match(leaf, name, &any_dns) &&
		  !(flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
	*rpt = STS_RPT_NONE;
	if (leaf == NULL) {
		*rpt = STS_RPT_VALIDATION_FAILURE;
		return sts_why(why, whylen, STS_INVALID, "no peer certificate");
	}
	info[0] = '\0';
	if (flags != 0) {
		mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
		for (p = info; *p != '\0'; p++)
			if (*p == '\n')
				*p = ';';
	}
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
		*rpt = STS_RPT_CERTIFICATE_NOT_TRUSTED;
		return sts_why(why, whylen, STS_INVALID,
			       "certificate not trusted: %s", info);
	}
	if (flags &
	    (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)) {
		*rpt = STS_RPT_CERTIFICATE_EXPIRED;
		return sts_why(why, whylen, STS_INVALID, "certificate %s",
			       (flags & MBEDTLS_X509_BADCERT_EXPIRED)
				       ? "has expired"
				       : "is not yet valid");
	}
	if (!name_ok) {
		*rpt = STS_RPT_CERTIFICATE_HOST_MISMATCH;
		return sts_why(why, whylen, STS_INVALID,
			       any_dns ? "certificate does not match %s"
				       : "certificate has no subjectAltName "
					 "DNS name (CN not accepted) for %s",
			       name);
	}
	if (flags & ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH) {
		*rpt = STS_RPT_VALIDATION_FAILURE;
		return sts_why(why, whylen, STS_INVALID,
			       "certificate validation failed: %s", info);
	}
	return STS_OK;
}

enum sts_status
sts_tls_verify_pkix(const struct sts_tls_conn *c, const char *name,
		    enum sts_rpt *rpt, char *why, size_t whylen)
{
	uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);

	return classify(flags, mbedtls_ssl_get_peer_cert(&c->ssl), name, rpt,
			why, whylen);
}

size_t
sts_tls_peer_chain(const struct sts_tls_conn *c, struct sts_cert_der *out,
		   size_t max)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&c->ssl);
	size_t n = 0;

	for (; crt != NULL && crt->raw.len > 0 && n < max; crt = crt->next) {
		out[n].cert = crt->raw.p;
		out[n].cert_len = crt->raw.len;
		out[n].spki = crt->pk_raw.p;
		out[n].spki_len = crt->pk_raw.len;
		n++;
	}
	return n;
}

enum sts_status
sts_tls_digest(uint8_t mtype, const unsigned char *data, size_t len,
	       unsigned char *out, size_t *outlen)
{
	int ret;

	switch (mtype) {
	case 1:
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
		ret = mbedtls_sha256(data, len, out, 0);
#else
		ret = mbedtls_sha256_ret(data, len, out, 0);
#endif
		*outlen = 32;
		break;
	case 2:
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
		ret = mbedtls_sha512(data, len, out, 0);
#else
		ret = mbedtls_sha512_ret(data, len, out, 0);
#endif
		*outlen = 64;
		break;
	default:
		return STS_INVALID;
	}
	return ret == 0 ? STS_OK : STS_INVALID;
}

enum sts_status
sts_tls_verify_ta(const struct sts_tls_conn *c, size_t ta, const char *name,
		  enum sts_rpt *rpt, char *why, size_t whylen)
{
	const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&c->ssl);
	const mbedtls_x509_crt *tc = peer;
	mbedtls_x509_crt anchor;
	uint32_t flags = 0;
	enum sts_status st;
	int ret;

	for (size_t i = 0; tc != NULL && i < ta; i++)
		tc = tc->next;
	if (peer == NULL || tc == NULL) {
		*rpt = STS_RPT_VALIDATION_FAILURE;
		return sts_why(why, whylen, STS_INVALID,
			       "no such certificate in the chain");
	}
	mbedtls_x509_crt_init(&anchor);
	ret = mbedtls_x509_crt_parse_der(&anchor, tc->raw.p, tc->raw.len);
	if (ret != 0) {
		mbedtls_x509_crt_free(&anchor);
		*rpt = STS_RPT_VALIDATION_FAILURE;
		return sts_why(why, whylen, STS_INVALID,
			       "trust anchor does not parse");
	}
	/* the chain as presented, with the matched certificate as the only
	 * anchor; name checked below by our SAN code as well */
	ret = mbedtls_x509_crt_verify((mbedtls_x509_crt *)peer, &anchor, NULL,
				      name, &flags, NULL, NULL);
	(void)ret;
	st = classify(flags, peer, name, rpt, why, whylen);
	mbedtls_x509_crt_free(&anchor);
	return st;
}
