/*
 * milter/nodelay.c - find libmilter's listener and set TCP_NODELAY.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nodelay.h"

/* The port of "inet:PORT@HOST" / "inet6:PORT@HOST" (number or
 * service), 0 for other specs, -1 if it cannot be found. */
static long
spec_port(const char *spec)
{
	char name[64];
	const char *p;
	struct servent se, *res = NULL;
	char buf[1024];
	size_t n;
	char *end;
	long port;

	if (strncmp(spec, "inet:", 5) == 0)
		p = spec + 5;
	else if (strncmp(spec, "inet6:", 6) == 0)
		p = spec + 6;
	else
		return 0;
	n = strcspn(p, "@");
	if (n == 0 || n >= sizeof(name))
		return -1;
	memcpy(name, p, n);
	name[n] = '\0';
	port = strtol(name, &end, 10);
	if (*end == '\0')
		return port > 0 && port < 65536 ? port : -1;
	if (getservbyname_r(name, "tcp", &se, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return -1;
	return ntohs((unsigned short)res->s_port);
}

int
nodelay_listener(const char *spec, char *why, size_t whylen)
{
	long port = spec_port(spec);
	struct dirent *de;
	int count = 0;
	DIR *d;

	if (port == 0)
		return 0;
	if (port < 0) {
		snprintf(why, whylen, "no port in %s", spec);
		return -1;
	}
	d = opendir("/proc/self/fd");
	if (d == NULL) {
		snprintf(why, whylen, "/proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss), ol;
		int fd, type, acc, one = 1;
		char *end;
		long v;

		v = strtol(de->d_name, &end, 10);
		if (*end != '\0' || v < 0 || v == dirfd(d))
			continue;
		fd = (int)v;
		ol = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ol) != 0 ||
		    type != SOCK_STREAM)
			continue;
		ol = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ol) != 0 ||
		    !acc)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
			continue;
		if (ss.ss_family == AF_INET) {
			if (ntohs(((struct sockaddr_in *)&ss)->sin_port) !=
			    port)
				continue;
		} else if (ss.ss_family == AF_INET6) {
			if (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) !=
			    port)
				continue;
		} else {
			continue;
		}
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			       sizeof(one)) == 0)
			count++;
	}
	closedir(d);
	if (count == 0)
		snprintf(why, whylen, "no listening socket on port %ld", port);
	return count;
}
