/*
 * bench/noop_milter.c - the limit for the milter benchmark: a libmilter
 * milter that does nothing, registering the callbacks a recipient-
 * checking milter needs (envfrom, envrcpt, eom, abort, close) so that
 * libmilter negotiates the same protocol steps as ours.
 *
 *   noop_milter -p SPEC [-H] [-N] [-R [-n]] [-T timeout_s]
 *
 * -H  add a header at end of message (smfi_addheader), like a tagging
 *     milter.  Over TCP libmilter writes that modification and the final
 *     reply as two packets; without TCP_NODELAY the second waits for the
 *     MTA's delayed ACK (about 40 ms per message: the Nagle trap).
 * -R  also register a header callback (libmilter then asks for every
 *     header, each with a reply: what a milter that inspects headers pays)
 * -n  with -R: negotiate SMFIP_NR_HDR (xxfi_negotiate), so headers need
 *     no reply and Postfix sends them in one batch: the cheap way to see
 *     headers
 * -N  set TCP_NODELAY on libmilter's listening socket (accepted sockets
 *     inherit it on Linux), which removes the stall.  libmilter has no
 *     API for its socket, so after smfi_opensocket() the listening socket
 *     is found by scanning /proc/self/fd for a listening TCP socket.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static bool add_header, no_reply_hdr;

static sfsistat
nm_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return no_reply_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* Ask for what a header-watching recipient milter needs, and no reply
 * to headers when the MTA offers that. */
static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
	     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
	     unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = f1 &
	       (SMFIP_NR_HDR | SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOBODY |
		SMFIP_NOEOH | SMFIP_NODATA | SMFIP_NOUNKNOWN);
	no_reply_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_eom(SMFICTX *ctx)
{
	if (add_header &&
	    smfi_addheader(ctx, "X-Bench-Noop", "checked") != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_abort(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_close(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* Set TCP_NODELAY on every listening TCP socket of this process; returns
 * how many were changed. */
static int
nodelay_listeners(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct dirent *d;
	int n = 0, fd, on, one = 1;
	DIR *dir;
	char *end;

	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		fd = (int)strtol(d->d_name, &end, 10);
		if (*end != '\0' || fd == dirfd(dir))
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		len = sizeof(on);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 ||
		    !on)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			       sizeof(one)) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "noop",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS,
		.xxfi_envfrom = nm_envfrom,
		.xxfi_envrcpt = nm_envrcpt,
		.xxfi_eom = nm_eom,
		.xxfi_abort = nm_abort,
		.xxfi_close = nm_close,
	};
	const char *spec = NULL;
	bool nodelay = false;
	int c, timeout = 10, n;

	while ((c = getopt(argc, argv, "p:HNRnT:")) != -1) {
		switch (c) {
		case 'p':
			spec = optarg;
			break;
		case 'H':
			add_header = true;
			break;
		case 'N':
			nodelay = true;
			break;
		case 'R':
			desc.xxfi_header = nm_header;
			break;
		case 'n':
			desc.xxfi_negotiate = nm_negotiate;
			break;
		case 'T':
			timeout = (int)strtol(optarg, NULL, 10);
			break;
		default:
			spec = NULL;
			argc = 0;
			break;
		}
	}
	if (spec == NULL) {
		fprintf(stderr, "usage: noop_milter -p SPEC [-H] [-N] [-R "
				"[-n]] [-T s]\n");
		return 2;
	}
	if (smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smfi_settimeout(timeout) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "noop_milter: cannot listen on %s\n", spec);
		return 1;
	}
	if (nodelay) {
		n = nodelay_listeners();
		if (n < 1) {
			fprintf(stderr, "noop_milter: no TCP listener found\n");
			return 1;
		}
	}
	fprintf(stderr, "noop_milter: listening on %s%s%s\n", spec,
		add_header ? " (adds a header)" : "",
		nodelay ? " (TCP_NODELAY)" : "");
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
