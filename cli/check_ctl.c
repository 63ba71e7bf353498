/*
 * cli/check_ctl.c - the administrator's side of the control socket
 * (check_ctl.h).  Sends one request, prints the daemon's reply lines but
 * the last, which says OK or ERR (printed to stderr on ERR), and turns
 * that into the exit status.  A warm list is sent one domain per line
 * (blank lines and "#" comments left out) and ended with ".".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "check_ctl.h"
#include "conf.h"
#include "sts_ctlcmd.h"

const char check_ctl_usage[] =
	"  mta-sts-check [-S SOCKET] show DOMAIN     what the daemon has "
	"cached\n"
	"  mta-sts-check [-S SOCKET] dump            every cached policy "
	"(JSON lines)\n"
	"  mta-sts-check [-S SOCKET] refresh DOMAIN  fetch its policy now\n"
	"  mta-sts-check [-S SOCKET] forget DOMAIN   drop it from the cache\n"
	"  mta-sts-check [-S SOCKET] warm FILE|-     fetch a list of domains "
	"ahead\n"
	"  mta-sts-check [-S SOCKET] stats           counters and metrics\n";

int
check_ctl_verb(const char *v)
{
	static const char *const verbs[] = {
		"show", "dump", "refresh", "forget", "warm", "stats", "-S"};
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(v, verbs[i]) == 0)
			return 1;
	return 0;
}

static int
send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Send the warm list from path ("-": stdin). */
static int
send_warm(int fd, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char line[STS_MAX_CTL_LINE + 2];
	size_t n, lineno = 0;
	char *p;

	if (f == NULL) {
		fprintf(stderr, "mta-sts-check: %s: %s\n", path,
			strerror(errno));
		return EX_NOINPUT;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strcspn(line, "\r\n");
		if (line[n] == '\0' && !feof(f)) {
			fprintf(stderr,
				"mta-sts-check: %s:%zu: line longer than %u "
				"bytes\n",
				path, lineno, (unsigned)STS_MAX_CTL_LINE);
			if (f != stdin)
				fclose(f);
			return EX_DATAERR;
		}
		line[n] = '\0';
		p = line + strspn(line, " \t");
		n = strcspn(p, " \t#");
		if (n == 0)
			continue; /* blank or comment */
		p[n] = '\n';
		if (send_all(fd, p, n + 1) != 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	return send_all(fd, ".\n", 2) == 0 ? 0 : EX_IOERR;
}

/* The daemon's ControlSocket from its configuration file when that can
 * be read and names one, else CHECK_CTL_SOCKET. */
static const char *
default_socket(char *buf, size_t len)
{
	char why[STS_WHY_MAX * 2];
	struct conf *c = conf_load(CONF_DEFAULT_FILE, NULL, why, sizeof(why));
	const char *s = CHECK_CTL_SOCKET;

	if (c != NULL && c->control_socket != NULL &&
	    strncmp(c->control_socket, "unix:", 5) == 0 &&
	    strlen(c->control_socket + 5) < len) {
		snprintf(buf, len, "%s", c->control_socket + 5);
		s = buf;
	}
	conf_unref(c);
	return s;
}

int
check_ctl_main(int argc, char **argv)
{
	const char *sock = CHECK_CTL_SOCKET, *verb, *arg = NULL;
	char req[STS_MAX_CTL_LINE + 2], last[4096], buf[65536], path[108];
	struct sockaddr_un sa;
	size_t have = 0, llen = 0;
	int i = 1, fd, rc, need;
	ssize_t r;
	char *nl, *start;

	if (i + 1 < argc && strcmp(argv[i], "-S") == 0) {
		sock = argv[i + 1];
		i += 2;
	} else {
		sock = default_socket(path, sizeof(path));
	}
	if (i >= argc)
		return EX_USAGE;
	verb = argv[i++];
	need = strcmp(verb, "show") == 0 || strcmp(verb, "refresh") == 0 ||
	       strcmp(verb, "forget") == 0 || strcmp(verb, "warm") == 0;
	if (need && i < argc)
		arg = argv[i++];
	if (i != argc || (need && arg == NULL) || !check_ctl_verb(verb) ||
	    strcmp(verb, "-S") == 0) {
		fputs("usage:\n", stderr);
		fputs(check_ctl_usage, stderr);
		return EX_USAGE;
	}
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "mta-sts-check: socket path too long\n");
		return EX_USAGE;
	}
	if (arg != NULL && strcmp(verb, "warm") != 0)
		rc = snprintf(req, sizeof(req), "%s %s\n", verb, arg);
	else
		rc = snprintf(req, sizeof(req), "%s\n", verb);
	if (rc < 0 || (size_t)rc >= sizeof(req)) {
		fprintf(stderr, "mta-sts-check: argument too long\n");
		return EX_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr,
			"mta-sts-check: %s: %s (is the daemon "
			"running with ControlSocket set?)\n",
			sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EX_UNAVAILABLE;
	}
	if (send_all(fd, req, (size_t)rc) != 0) {
		fprintf(stderr, "mta-sts-check: %s: %s\n", sock,
			strerror(errno));
		close(fd);
		return EX_IOERR;
	}
	if (strcmp(verb, "warm") == 0) {
		rc = send_warm(fd, arg);
		if (rc != 0) {
			close(fd);
			return rc;
		}
	}
	/* print every line as it comes, but hold the last one back */
	for (;;) {
		r = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		start = buf;
		for (;;) {
			nl = memchr(start, '\n', have - (size_t)(start - buf));
			if (nl == NULL)
				break;
			if (llen > 0)
				fwrite(last, 1, llen, stdout);
			llen = (size_t)(nl + 1 - start);
			if (llen > sizeof(last))
				llen = sizeof(last);
			memcpy(last, start, llen);
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof(buf)) { /* a line longer than buf */
			fwrite(buf, 1, have, stdout);
			have = 0;
		}
	}
	close(fd);
	if (llen >= 3 && memcmp(last, "OK", 2) == 0 &&
	    (last[2] == ' ' || last[2] == '\n')) {
		if (llen > 3 && strcmp(verb, "show") != 0 &&
		    strcmp(verb, "stats") != 0 && strcmp(verb, "dump") != 0)
			fwrite(last + 3, 1, llen - 3, stdout);
		return EX_OK;
	}
	if (llen > 0)
		fwrite(last, 1, llen, stderr);
	else
		fprintf(stderr, "mta-sts-check: no answer from %s\n", sock);
	return 1;
}
