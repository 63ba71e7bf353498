/*
 * sts_af.h - the address families the resolver asks for (A, AAAA) and
 * so the fetcher, the prober, DANE and the report POST connect to: the
 * daemon's AddressFamilies setting, Postfix's inet_protocols in spirit.
 *
 * "auto" (the daemon's default) asks only for the families this host
 * has an address to reach them from, as getaddrinfo()'s AI_ADDRCONFIG
 * does: an IPv4-only host asks no AAAA, so a cold lookup does not wait
 * for (and validate) answers it could never connect to.  The rules:
 *   IPv4 when an interface has an IPv4 address other than 127.0.0.1
 *   (glibc's rule);
 *   IPv6 when one has an IPv6 address other than ::1 and link-local
 *   fe80::/10 (stricter than glibc, which counts link-local: a
 *   link-local address reaches no MX or policy host);
 *   neither (only loopback): both, as getaddrinfo() then does.
 * Leaving a family out never switches DANE off: RFC 7672 section 2.2.2
 * judges the address records the sender uses, and a bogus record of a
 * family the host cannot use is not one of them.
 *
 * Thread-safety: pure functions, and sts_af_detect() reads the
 * interface list (getifaddrs()) only.
 */
#ifndef STS_AF_H
#define STS_AF_H

#include <stddef.h>
#include <sys/socket.h>

#include "sts_status.h"

enum sts_af {
	STS_AF_ALL = 0, /* A and AAAA (the library's default) */
	STS_AF_IPV4,	/* A only */
	STS_AF_IPV6,	/* AAAA only */
	STS_AF_AUTO,	/* sts_af_detect(), checked again now and then */
};

/* How often a resolver with STS_AF_AUTO looks at the interfaces again
 * (an address added after start counts within this). */
#define STS_AF_RECHECK_MS 10000

/* "auto", "all", "ipv4", "ipv6" (any case).  STS_INVALID otherwise. */
enum sts_status sts_af_parse(const char *s, enum sts_af *out);
const char *sts_af_str(enum sts_af af);

/* The families a host with these interface addresses uses (rules
 * above): STS_AF_ALL, STS_AF_IPV4 or STS_AF_IPV6.  Entries that are
 * NULL or of another family are skipped. */
enum sts_af sts_af_of(const struct sockaddr *const *addrs, size_t n);

/* sts_af_of() of this host's interfaces; STS_AF_ALL when they cannot be
 * read. */
enum sts_af sts_af_detect(void);

#endif /* STS_AF_H */
