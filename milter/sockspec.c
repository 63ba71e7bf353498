/*
 * milter/sockspec.c - milter-style socket specs: create listening sockets.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockspec.h"

#define SPEC_MAX 1024

struct spec {
	int family; /* AF_INET, AF_INET6, AF_UNIX */
	char port[8];
	char host[256]; /* "" = any address */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int fail(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* "inet:PORT[@HOST]", "inet6:PORT[@HOST]" (HOST may be "[::1]"),
 * "unix:/path", "local:/path". */
static int
parse(const char *spec, struct spec *s, char *why, size_t whylen)
{
	const char *rest, *at;
	size_t plen, hlen, i;

	memset(s, 0, sizeof(*s));
	if (spec == NULL || spec[0] == '\0')
		return fail(why, whylen, "empty socket spec");
	if (strlen(spec) > SPEC_MAX)
		return fail(why, whylen, "socket spec too long");
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		rest = strchr(spec, ':') + 1;
		if (rest[0] != '/')
			return fail(why, whylen,
				    "\"%s\": unix socket path must be absolute",
				    spec);
		if (strlen(rest) >= sizeof(s->path))
			return fail(why, whylen,
				    "\"%s\": unix socket path too long", spec);
		s->family = AF_UNIX;
		memcpy(s->path, rest, strlen(rest) + 1);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		s->family = AF_INET;
		rest = spec + 5;
	} else if (strncmp(spec, "inet6:", 6) == 0) {
		s->family = AF_INET6;
		rest = spec + 6;
	} else {
		return fail(why, whylen,
			    "\"%s\": expected inet:PORT@HOST, inet6:PORT@HOST "
			    "or unix:/path",
			    spec);
	}
	at = strchr(rest, '@');
	plen = at != NULL ? (size_t)(at - rest) : strlen(rest);
	if (plen == 0 || plen > 5)
		return fail(why, whylen, "\"%s\": bad port", spec);
	for (i = 0; i < plen; i++)
		if (rest[i] < '0' || rest[i] > '9')
			return fail(why, whylen, "\"%s\": bad port", spec);
	memcpy(s->port, rest, plen);
	s->port[plen] = '\0';
	if (strtol(s->port, NULL, 10) > 65535)
		return fail(why, whylen, "\"%s\": port out of range", spec);
	if (at == NULL)
		return 0;
	at++;
	hlen = strlen(at);
	if (hlen >= 2 && at[0] == '[' && at[hlen - 1] == ']') {
		at++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(s->host))
		return fail(why, whylen, "\"%s\": bad host", spec);
	memcpy(s->host, at, hlen);
	s->host[hlen] = '\0';
	return 0;
}

int
sockspec_check(const char *spec, char *why, size_t whylen)
{
	struct spec s;

	return parse(spec, &s, why, whylen);
}

static int
listen_unix(const struct spec *s, int mode, char *why, size_t whylen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
	/* A stale socket (nobody listening) is removed; a live one is
	 * somebody else's: refuse.  Never unlink anything but a socket. */
	if (lstat(s->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(why, whylen,
				    "%s: exists and is not a socket", s->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fail(why, whylen, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(fd);
			return fail(why, whylen, "%s: in use", s->path);
		}
		close(fd);
		if (unlink(s->path) != 0 && errno != ENOENT)
			return fail(why, whylen, "unlink stale socket: %s",
				    strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(why, whylen, "socket: %s", strerror(errno));
	/* No connection can arrive between bind and listen, so setting
	 * the mode in between leaves no window. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		e = errno;
		close(fd);
		return fail(why, whylen, "bind: %s", strerror(e));
	}
	if (chmod(s->path, (mode_t)(mode > 0 ? mode : 0660)) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		e = errno;
		close(fd);
		unlink(s->path);
		return fail(why, whylen, "listen: %s", strerror(e));
	}
	return fd;
}

static int
listen_inet(const struct spec *s, char *why, size_t whylen)
{
	struct addrinfo hints, *res = NULL;
	int fd, rc, one = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = s->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_ADDRCONFIG;
	rc = getaddrinfo(s->host[0] != '\0' ? s->host : NULL, s->port, &hints,
			 &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
		/* AI_ADDRCONFIG hides loopback-only families: retry. */
		hints.ai_flags &= ~AI_ADDRCONFIG;
		rc = getaddrinfo(s->host[0] != '\0' ? s->host : NULL, s->port,
				 &hints, &res);
	}
	if (rc != 0)
		return fail(why, whylen, "%s", gai_strerror(rc));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
		    res->ai_protocol);
	if (fd < 0) {
		e = errno;
		freeaddrinfo(res);
		return fail(why, whylen, "socket: %s", strerror(e));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted sockets inherit TCP_NODELAY on Linux: small replies go
	 * out at once (the Nagle trap in LAB.md). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		e = errno;
		freeaddrinfo(res);
		close(fd);
		return fail(why, whylen, "%s",
			    e == EADDRINUSE ? "address in use" : strerror(e));
	}
	freeaddrinfo(res);
	return fd;
}

int
sockspec_listen(const char *spec, int mode, char *why, size_t whylen)
{
	struct spec s;

	if (parse(spec, &s, why, whylen) != 0)
		return -1;
	if (s.family == AF_UNIX)
		return listen_unix(&s, mode, why, whylen);
	return listen_inet(&s, why, whylen);
}
