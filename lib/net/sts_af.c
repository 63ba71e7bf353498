/*
 * sts_af.c - address families: parsing, and which ones this host can
 * use (sts_af.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <strings.h>

#include "sts_af.h"

static const char *const names[] = {"all", "ipv4", "ipv6", "auto"};

enum sts_status
sts_af_parse(const char *s, enum sts_af *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s != NULL && strcasecmp(s, names[i]) == 0) {
			*out = (enum sts_af)i;
			return STS_OK;
		}
	return STS_INVALID;
}

const char *
sts_af_str(enum sts_af af)
{
	return (unsigned)af < sizeof(names) / sizeof(names[0]) ? names[af]
							       : "?";
}

/* Does sa count for its family (the rules of sts_af.h)? */
static void
count(const struct sockaddr *sa, bool *v4, bool *v6)
{
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s =
			(const struct sockaddr_in *)(const void *)sa;

		if (s->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
			*v4 = true;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s =
			(const struct sockaddr_in6 *)(const void *)sa;

		if (!IN6_IS_ADDR_LOOPBACK(&s->sin6_addr) &&
		    !IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr))
			*v6 = true;
	}
}

static enum sts_af
decide(bool v4, bool v6)
{
	if (v4 == v6)
		return STS_AF_ALL;
	return v4 ? STS_AF_IPV4 : STS_AF_IPV6;
}

enum sts_af
sts_af_of(const struct sockaddr *const *addrs, size_t n)
{
	bool v4 = false, v6 = false;

	for (size_t i = 0; i < n; i++)
		count(addrs[i], &v4, &v6);
	return decide(v4, v6);
}

enum sts_af
sts_af_detect(void)
{
	struct ifaddrs *ifa;
	bool v4 = false, v6 = false;

	if (getifaddrs(&ifa) != 0)
		return STS_AF_ALL;
	for (const struct ifaddrs *p = ifa; p != NULL; p = p->ifa_next)
		count(p->ifa_addr, &v4, &v6);
	freeifaddrs(ifa);
	return decide(v4, v6);
}
