/*
 * sts_nexthop.c - "host", "host:port", "[host]", "[host]:port".
 */
#include "config.h"

#include <string.h>

#include "sts_nexthop.h"

/* A port: digits or a service name ("smtp", "submission"). */
static bool
port_ok(const char *p)
{
	size_t n = 0;

	for (; p[n] != '\0'; n++) {
		char c = p[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n > 0 && n <= 32;
}

enum sts_status
sts_nexthop_parse(const char *s, char *host, size_t hostlen, bool *literal,
		  char *why, size_t whylen)
{
	const char *p = s, *rest;
	size_t n;

	*literal = false;
	if (hostlen > 0)
		host[0] = '\0';
	if (*p == '[') {
		*literal = true;
		p++;
		n = strcspn(p, "]");
		if (p[n] != ']')
			return sts_why(why, whylen, STS_INVALID,
				       "next hop: missing ]");
		rest = p + n + 1;
	} else {
		n = strcspn(p, ":");
		rest = p + n;
	}
	if (n == 0)
		return sts_why(why, whylen, STS_INVALID, "next hop: no host");
	if (n >= hostlen)
		return sts_why(why, whylen, STS_INVALID,
			       "next hop: host too long");
	if (*rest == ':') {
		if (!port_ok(rest + 1))
			return sts_why(why, whylen, STS_INVALID,
				       "next hop: bad port");
	} else if (*rest != '\0') {
		return sts_why(why, whylen, STS_INVALID,
			       "next hop: text after the host");
	}
	memcpy(host, p, n);
	host[n] = '\0';
	return STS_OK;
}
