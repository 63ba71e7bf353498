/*
 * sts_tls_verify.c - the certificate checks of sts_tls.h: PKIX
 * classification into RFC 8460 result types, our own subjectAltName
 * check (RFC 6125), the checks mbedTLS's handshake would make beside the
 * chain (key usage, extended key usage, the TLS 1.2 curve), the
 * verified-chain memo, and the DANE helpers (peer chain, digests,
 * DANE-TA verification).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "sts_tls.h"
#include "sts_tls_int.h"

#ifndef MBEDTLS_X509_SAN_DNS_NAME
#define MBEDTLS_X509_SAN_DNS_NAME 2
#endif
#define SAN_DNS_TAG (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME)

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

/* A certificate time as seconds since the epoch (UTC). */
static time_t
x509_time(const mbedtls_x509_time *x)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = x->year - 1900;
	tm.tm_mon = x->mon - 1;
	tm.tm_mday = x->day;
	tm.tm_hour = x->hour;
	tm.tm_min = x->min;
	tm.tm_sec = x->sec;
	return timegm(&tm);
}

/* SHA-256 over the chain as presented: each certificate's length (4
 * bytes, big-endian) and DER, leaf first. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define SHA256 mbedtls_sha256
#define SHA512 mbedtls_sha512
#define SHA256_STARTS mbedtls_sha256_starts
#define SHA256_UPDATE mbedtls_sha256_update
#define SHA256_FINISH mbedtls_sha256_finish
#else /* 2.28: the _ret names (the others are deprecated, void) */
#define SHA256 mbedtls_sha256_ret
#define SHA512 mbedtls_sha512_ret
#define SHA256_STARTS mbedtls_sha256_starts_ret
#define SHA256_UPDATE mbedtls_sha256_update_ret
#define SHA256_FINISH mbedtls_sha256_finish_ret
#endif

static int
chain_key(const mbedtls_x509_crt *crt, unsigned char key[32])
{
	mbedtls_sha256_context h;
	unsigned char len[4];
	int ret;

	mbedtls_sha256_init(&h);
	ret = SHA256_STARTS(&h, 0);
	for (; ret == 0 && crt != NULL && crt->raw.len > 0; crt = crt->next) {
		len[0] = (unsigned char)(crt->raw.len >> 24);
		len[1] = (unsigned char)(crt->raw.len >> 16);
		len[2] = (unsigned char)(crt->raw.len >> 8);
		len[3] = (unsigned char)crt->raw.len;
		ret = SHA256_UPDATE(&h, len, sizeof(len));
		if (ret == 0)
			ret = SHA256_UPDATE(&h, crt->raw.p, crt->raw.len);
	}
	if (ret == 0)
		ret = SHA256_FINISH(&h, key);
	mbedtls_sha256_free(&h);
	return ret;
}

static struct memo_ent *
memo_slot(struct sts_tls *t, const unsigned char key[32])
{
	return &t->memo[((unsigned)key[0] | (unsigned)key[1] << 8) %
			MEMO_SLOTS];
}

/*
 * The chain's PKIX flags against the CA bundle (no name: ours is
 * checked by classify()).  A chain verified cleanly before and not yet
 * past its entry's end gives 0 without the signature checks.
 */
static uint32_t
chain_flags(struct sts_tls *t, const mbedtls_x509_crt *leaf)
{
	const mbedtls_x509_crt *crt;
	unsigned char key[32];
	struct memo_ent *e;
	time_t now = time(NULL), until;
	uint32_t flags = 0;
	bool keyed;
	int ret;

	keyed = chain_key(leaf, key) == 0;
	if (keyed) {
		pthread_mutex_lock(&t->memo_mu);
		e = memo_slot(t, key);
		if (e->until > now && memcmp(e->key, key, sizeof(key)) == 0) {
			t->n_remembered++;
			pthread_mutex_unlock(&t->memo_mu);
			return 0;
		}
		pthread_mutex_unlock(&t->memo_mu);
	}
	ret = mbedtls_x509_crt_verify_with_profile(
		(mbedtls_x509_crt *)leaf, &t->ca, NULL,
		&mbedtls_x509_crt_profile_default, NULL, &flags, NULL, NULL);
	if (ret != 0 && flags == 0)
		flags = MBEDTLS_X509_BADCERT_OTHER; /* fatal error, no flag */
	pthread_mutex_lock(&t->memo_mu);
	t->n_verified++;
	if (keyed && flags == 0) {
		/* until the first certificate of the chain expires (RFC
		 * 5280 section 6.1.3: each one's validity is checked) */
		until = now + MEMO_TTL_S;
		for (crt = leaf; crt != NULL && crt->raw.len > 0;
		     crt = crt->next) {
			time_t na = x509_time(&crt->valid_to);

			if (na != (time_t)-1 && na < until)
				until = na;
		}
		e = memo_slot(t, key);
		memcpy(e->key, key, sizeof(key));
		e->until = until;
	}
	pthread_mutex_unlock(&t->memo_mu);
	return flags;
}

/*
 * What mbedTLS's handshake checks beside the chain in authmode
 * OPTIONAL/REQUIRED (mbedtls_ssl_check_cert_usage(), and the TLS 1.2
 * curve check), done here since the handshake runs with NONE: the key
 * usage the negotiated key exchange needs of the server's key (RFC 5280
 * section 4.2.1.3), serverAuth if the certificate restricts its
 * extended key usage (4.2.1.12), and in TLS 1.2 an EC key on a curve we
 * offer (tls_groups; TLS 1.3 binds the curve to the signature scheme).
 */
static uint32_t
usage_flags(const mbedtls_ssl_context *ssl, const mbedtls_x509_crt *leaf)
{
	const char *cs = mbedtls_ssl_get_ciphersuite(ssl);
	bool tls13 = strcmp(mbedtls_ssl_get_version(ssl), "TLSv1.3") == 0;
	unsigned int ku = 0;
	uint32_t flags = 0;

	if (cs == NULL)
		cs = "";
	/* the key exchange from the suite's name, the same in 2.28 and 3.x
	 * (the 3.x ciphersuite struct keeps it private) */
	if (tls13 || ((strncmp(cs, "TLS-ECDHE-", 10) == 0 ||
		       strncmp(cs, "TLS-DHE-", 8) == 0) &&
		      strstr(cs, "-PSK-") == NULL))
		ku = MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
	else if (strncmp(cs, "TLS-RSA-", 8) == 0)
		ku = MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
	else if (strncmp(cs, "TLS-ECDH-", 9) == 0)
		ku = MBEDTLS_X509_KU_KEY_AGREEMENT;
	if (ku != 0 && mbedtls_x509_crt_check_key_usage(leaf, ku) != 0)
		flags |= MBEDTLS_X509_BADCERT_KEY_USAGE;
	if (mbedtls_x509_crt_check_extended_key_usage(
		    leaf, MBEDTLS_OID_SERVER_AUTH,
		    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) != 0)
		flags |= MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
	if (!tls13 && mbedtls_pk_can_do(&leaf->pk, MBEDTLS_PK_ECKEY)) {
		const mbedtls_ecp_keypair *kp = mbedtls_pk_ec(leaf->pk);
		mbedtls_ecp_group_id g = MBEDTLS_ECP_DP_NONE;

		if (kp != NULL)
#if MBEDTLS_VERSION_NUMBER >= 0x03050000
			g = mbedtls_ecp_keypair_get_group_id(kp);
#elif MBEDTLS_VERSION_NUMBER >= 0x03000000
			g = kp->MBEDTLS_PRIVATE(grp).id;
#else
			g = kp->grp.id;
#endif
		if (g != MBEDTLS_ECP_DP_SECP256R1 &&
		    g != MBEDTLS_ECP_DP_SECP384R1 &&
		    g != MBEDTLS_ECP_DP_SECP521R1)
			flags |= MBEDTLS_X509_BADCERT_BAD_KEY;
	}
	return flags;
}

enum sts_status
sts_tls_verify_pkix(const struct sts_tls_conn *c, const char *name,
		    enum sts_rpt *rpt, char *why, size_t whylen)
{
	const mbedtls_x509_crt *leaf = mbedtls_ssl_get_peer_cert(&c->ssl);
	uint32_t flags = 0;

	if (leaf != NULL)
		flags = chain_flags(c->t, leaf) | usage_flags(&c->ssl, leaf);
	return classify(flags, leaf, name, rpt, why, whylen);
}

void
sts_tls_memo_stats(struct sts_tls *t, uint64_t *verified, uint64_t *remembered)
{
	pthread_mutex_lock(&t->memo_mu);
	*verified = t->n_verified;
	*remembered = t->n_remembered;
	pthread_mutex_unlock(&t->memo_mu);
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
		ret = SHA256(data, len, out, 0);
		*outlen = 32;
		break;
	case 2:
		ret = SHA512(data, len, out, 0);
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
