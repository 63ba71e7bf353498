/*
 * sts_tls_int.h - private to lib/net/sts_tls*.c: the shared configuration
 * and the session objects that the TLS glue (sts_tls.c: configuration,
 * sessions, I/O) and the certificate checks (sts_tls_verify.c: PKIX
 * classification, the verified-chain memo, DANE helpers) both use.  Not
 * for other modules; the contract, ownership and thread-safety are in
 * sts_tls.h.
 */
#ifndef STS_TLS_INT_H
#define STS_TLS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "sts_limits.h"
#include "sts_tls.h"

/*
 * The verified-chain memo (see sts_tls.h): direct-mapped by the chain's
 * SHA-256, so bounded without an eviction list; a collision replaces
 * the older entry, which costs one verification later, never a wrong
 * answer (the whole key is compared).
 */
#define MEMO_SLOTS 512
#define MEMO_TTL_S 3600

struct memo_ent {
	unsigned char key[32];
	time_t until; /* 0: empty */
};

struct sts_tls {
	mbedtls_x509_crt ca;
	mbedtls_ssl_config conf;
	mbedtls_ssl_config conf12; /* STS_TLS_TLS12_ONLY (3.x) */
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	pthread_mutex_t rng_mu;
	bool conf_init, rng_init;
	pthread_mutex_t memo_mu;
	struct memo_ent memo[MEMO_SLOTS];
	uint64_t n_verified, n_remembered;
};

struct sts_tls_conn {
	struct sts_tls *t;
	mbedtls_ssl_context ssl;
	int fd;
	int hs_ret;	   /* the failed handshake's mbedTLS error */
	bool tls12_only;   /* made with STS_TLS_TLS12_ONLY */
	bool close_notify; /* the peer's close was a valid closure alert */
	int64_t deadline;
	bool timed_out;
	char host[STS_DOMAIN_BUFSZ];
};

#endif /* STS_TLS_INT_H */
