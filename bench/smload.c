/*
 * bench/smload.c - a socketmap load client (Postfix/sendmail netstring
 * protocol), lock-step request/response like a Postfix smtp process.
 *
 *   smload -s SPEC [-n map] -k key [-e prefix] [-c conns] [-m persist|newconn]
 *          [-d secs] [-q max] [-p per-conn] [-t timeout_ms] [-W warm_secs]
 *          [-l label]
 *
 * Each of `conns` threads either keeps one connection (persist) or opens
 * a new connection for every query (newconn).  A query counts as OK only
 * if the reply's payload starts with `prefix`.  The run stops after
 * `secs` seconds or `max` queries in all (or `per-conn` per thread),
 * whichever comes first; a hard alarm ends the process if a server hangs.
 * Output: one RESULT line (see benchutil.h).  Exit 0 if at least one
 * query was OK and none failed, 1 otherwise, 2 usage, 3 hard time limit.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"

#define SM_MAX_REPLY 65536 /* Postfix's socketmap limit is 100000 */
#define SM_MAX_ERRS 1000   /* per thread, then it gives up */

static struct bu_run R;
static struct {
	const char *map, *key, *prefix;
	unsigned conns, warm;
	bool newconn;
	unsigned long per_conn;
	char req[1024];
	size_t reqlen;
	atomic_int bad_shown;
} g;

/* Read one netstring reply into buf (NUL-terminated payload).  Returns
 * payload length or -1. */
static long
read_reply(int fd, char *buf, size_t bufsz)
{
	size_t have = 0, hdr, len = 0;
	ssize_t r;
	char *colon;

	for (;;) {
		if (have >= bufsz - 1)
			return -1;
		r = read(fd, buf + have, bufsz - 1 - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		colon = memchr(buf, ':', have);
		if (colon == NULL) {
			if (have > 6)
				return -1;
			continue;
		}
		hdr = (size_t)(colon - buf) + 1;
		len = 0;
		for (char *p = buf; p < colon; p++) {
			if (*p < '0' || *p > '9' || len > SM_MAX_REPLY)
				return -1;
			len = len * 10 + (size_t)(*p - '0');
		}
		if (len > SM_MAX_REPLY)
			return -1;
		if (have >= hdr + len + 1)
			break;
	}
	if (buf[hdr + len] != ',')
		return -1;
	memmove(buf, buf + hdr, len);
	buf[len] = '\0';
	return (long)len;
}

/* One lock-step query on fd: 1 OK, 0 wrong answer, -1 I/O error. */
static int
query(int fd, char *rbuf, size_t rbufsz)
{
	long n;

	if (bu_writen(fd, g.req, g.reqlen) < 0)
		return -1;
	n = read_reply(fd, rbuf, rbufsz);
	if (n < 0)
		return -1;
	if (strncmp(rbuf, g.prefix, strlen(g.prefix)) == 0)
		return 1;
	if (atomic_fetch_add(&g.bad_shown, 1) == 0)
		fprintf(stderr, "smload: unexpected reply '%.200s'\n", rbuf);
	return 0;
}

static void *
run(void *arg)
{
	struct bu_worker *w = arg;
	char *rbuf = malloc(SM_MAX_REPLY + 16);
	unsigned long mine = 0;
	uint64_t t0;
	int fd = -1, rc;

	while (rbuf != NULL && w->err < SM_MAX_ERRS && bu_run_more(&R)) {
		if (g.per_conn && mine++ >= g.per_conn)
			break;
		t0 = bu_now_ns();
		if (fd < 0) {
			fd = bu_connect(&R.addr, R.timeout_ms, 1);
			if (fd < 0) {
				w->err++;
				usleep(1000);
				continue;
			}
		}
		rc = query(fd, rbuf, SM_MAX_REPLY + 16);
		if (rc < 0 || g.newconn) {
			close(fd);
			fd = -1;
		}
		bu_lat_add(&w->lat, bu_now_ns() - t0);
		if (rc == 1)
			w->ok++;
		else
			w->err++;
	}
	if (fd >= 0)
		close(fd);
	if (rbuf == NULL)
		w->err++;
	free(rbuf);
	return NULL;
}

/* Warm-up: repeat one query until the expected answer comes (a policy
 * being fetched in the background answers TEMP/NOTFOUND first). */
static int
warm_up(void)
{
	static char rbuf[SM_MAX_REPLY + 16];
	uint64_t until = bu_now_ns() + (uint64_t)g.warm * 1000000000u;
	int fd, rc = -1;

	do {
		fd = bu_connect(&R.addr, R.timeout_ms, 1);
		if (fd >= 0) {
			rc = query(fd, rbuf, sizeof(rbuf));
			close(fd);
			if (rc == 1)
				break;
		}
		usleep(50000);
	} while (bu_now_ns() < until);
	atomic_store(&g.bad_shown, 0);
	if (rc != 1)
		fprintf(stderr, "smload: warm-up: no '%s' answer in %u s\n",
			g.prefix, g.warm);
	return rc == 1 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: smload -s SPEC -k KEY [-n map] [-e prefix] [-c conns]\n"
		"  [-m persist|newconn] [-d secs] [-q max] [-p per-conn]\n"
		"  [-t timeout_ms] [-W warm_secs] [-l label]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct bu_worker *ws;
	struct bu_lat all;
	uint64_t ok, err;
	char extra[128];
	double secs;
	size_t cap;
	int c, n, h;

	bu_run_init(&R, "smload");
	g.map = "postfix";
	g.prefix = "OK";
	g.conns = 1;
	while ((c = getopt(argc, argv, "s:n:k:e:c:m:d:q:p:t:W:l:")) != -1) {
		if (bu_run_opt(&R, c, optarg))
			continue;
		switch (c) {
		case 'n':
			g.map = optarg;
			break;
		case 'k':
			g.key = optarg;
			break;
		case 'e':
			g.prefix = optarg;
			break;
		case 'c':
			g.conns = (unsigned)bu_num(optarg, 1, 2000, "-c");
			break;
		case 'm':
			if (strcmp(optarg, "newconn") == 0)
				g.newconn = true;
			else if (strcmp(optarg, "persist") != 0)
				usage();
			break;
		case 'p':
			g.per_conn = bu_num(optarg, 1, 50000000, "-p");
			break;
		case 'W':
			g.warm = (unsigned)bu_num(optarg, 0, 600, "-W");
			break;
		default:
			usage();
		}
	}
	if (g.key == NULL || bu_run_ready(&R, "smload", g.warm) < 0)
		usage();
	/* netstring: LEN ":" DATA "," */
	n = snprintf(NULL, 0, "%s %s", g.map, g.key);
	h = snprintf(g.req, sizeof(g.req), "%d:%s %s,", n, g.map, g.key);
	if (n < 0 || h < 0 || (size_t)h >= sizeof(g.req))
		usage();
	g.reqlen = (size_t)h;
	if (g.warm > 0 && warm_up() < 0)
		return 1;

	ws = calloc(g.conns, sizeof(*ws));
	if (ws == NULL)
		return 1;
	cap = g.per_conn ? g.per_conn : R.max / g.conns + 1;
	if (cap > 4000000)
		cap = 4000000;
	secs = bu_run_workers(&R, ws, sizeof(*ws), g.conns, cap, run, &all, &ok,
			      &err);
	if (secs < 0)
		return 1;
	snprintf(extra, sizeof(extra), "conns=%u mode=%s", g.conns,
		 g.newconn ? "newconn" : "persist");
	bu_report(R.label, ok, err, secs, &all, extra);
	bu_lat_free(&all);
	free(ws);
	return ok > 0 && err == 0 ? 0 : 1;
}
