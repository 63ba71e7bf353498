/*
 * tests/socketmap/t_hostile.c - the map server (milter/mapd.c) under
 * hostile clients (issue [harden]): the connection limit closes a slow or
 * idle connection for a new one; idle connections, half-sent requests and
 * clients that never read are closed after their deadline; LookupDeadline
 * reaches the map at reload; accept() without descriptors pauses and logs
 * once; 2,000 slow connections do not lock honest clients out; cached
 * answers never wait behind first-time lookups of other connections.
 *
 * Bench mode (bench/run, section hostile): T_HOSTILE_BENCH=1 makes the
 * flood and attack scenarios longer and bigger (the sizes) and
 * T_HOSTILE_ONLY=flood|attack runs only that one.  Either way each prints
 * its latency figures as a "# RESULT ..." line in bench/'s format; the
 * tests assert correctness and that queries are answered, and only one
 * loose timing (a cached answer is faster than one slow source call).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "mapcli.h"
#include "mapconn.h"
#include "sts_netstring.h"

static bool bench_mode;

static bool
only(const char *name)
{
	const char *o = getenv("T_HOSTILE_ONLY");

	return o == NULL || *o == '\0' || strcmp(o, name) == 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One bench/ RESULT line from n latencies (seconds) over secs. */
static void
result(const char *name, double *lat, int n, int good, double secs)
{
	if (n == 0)
		return;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	tap_diag("RESULT name=%s ok=%d err=%d secs=%.3f rate=%.1f p50_ms=%.3f "
		 "p99_ms=%.3f max_ms=%.3f",
		 name, good, n - good, secs, secs > 0 ? n / secs : 0,
		 lat[n / 2] * 1000, lat[(n * 99) / 100] * 1000,
		 lat[n - 1] * 1000);
}

/*
 * The order in which a full server closes connections for new ones
 * (conntab_victim, documented at MapMaxConnections): a reply the peer
 * does not take, then those that never completed a request in the order
 * they were accepted (trickling bytes changes nothing), then a stalled
 * request of an answered client, then the least recently answered idle
 * one; never a busy one, never the new one.
 */
static void
test_victim_order(void)
{
	struct conn *k[6];
	struct conntab t = {0};
	const char *names = "trickle idle stalled honest deaf busy";
	char got[128] = "", *p = got;
	struct conn *v;
	int i;

	for (i = 0; i < 6; i++) {
		k[i] = mapconn_new(-1, &mapconn_netstring);
		if (k[i] == NULL)
			return;
	}
	/* accepted in this order; honest and stalled answered since */
	/* trickling since long, never answered (maploop.c never moves
	 * it up: bytes of an incomplete request are not activity) */
	k[0]->in_since = 500;
	k[0]->len = 20;
	k[2]->answered = 4;
	k[2]->in_since = 900; /* answered before, now half a request */
	k[2]->len = 3;
	k[3]->answered = 7; /* the persistent client, idle */
	k[4]->answered = 1;
	k[4]->out_since = 800; /* does not read its reply */
	k[4]->outlen = 10;
	k[5]->busy = true;
	for (i = 0; i < 6; i++)
		conntab_add(&t, k[i]);
	conntab_touch(&t, k[2], 700);
	conntab_touch(&t, k[3], 600); /* the idle client answered later */
	ok(conntab_victim(&t, k[4]) != k[4], "victim: never the new one");
	while ((v = conntab_victim(&t, NULL)) != NULL) {
		for (i = 0; i < 6 && k[i] != v; i++)
			;
		p += snprintf(p, sizeof(got) - (size_t)(p - got), "%s%d",
			      p == got ? "" : " ", i);
		conntab_remove(&t, v);
	}
	is_str(got, "4 0 1 2 3",
	       "victim order: deaf, never answered (first accepted first), "
	       "stalled, least recently answered; busy never (%s)",
	       names);
	for (i = 0; i < 6; i++) {
		k[i]->fd = -1;
		free(k[i]);
	}
}

/*
 * With max_conns 2, a third client is served at once and the least
 * recently active idle connection is closed for it (issue [harden] 1).
 */
static void
test_limit(void)
{
	char sock[128], out[4096];
	struct srv v;
	struct cli a, b, c;

	if (!ok(start(&v, "limit.sock", NULL, false, 2, 0, 3000),
		"server with a limit of 2 connections"))
		return;
	path_of(sock, sizeof(sock), "limit.sock");
	cli_open(&a, sock);
	cli_open(&b, sock);
	is_str(ask(&a, "postfix enforce.example"), ENFORCE_REPLY, "limit: 1st");
	is_str(ask(&b, "postfix enforce.example"), ENFORCE_REPLY, "limit: 2nd");
	cli_open(&c, sock);
	cli_send(&c, "postfix enforce.example");
	ok(cli_reply(&c, out, sizeof(out), 3000) == 0 &&
		   strcmp(out, ENFORCE_REPLY) == 0,
	   "limit: a 3rd is served at once while 2 are open");
	ok(closed_within(&a, 3000),
	   "limit: the least recently answered idle one was closed for it");
	is_str(ask(&b, "postfix enforce.example"), ENFORCE_REPLY,
	       "limit: the other one still works");
	/* mapd_free with connections still open. */
	stop(&v);
	ok(closed_within(&b, 3000) && closed_within(&c, 3000),
	   "mapd_free closes open connections");
	cli_close(&a);
	cli_close(&b);
	cli_close(&c);
}

/* Read and drop everything until EOF; true if EOF came within ms. */
static bool
eof_within(int fd, int ms)
{
	double end = now_s() + ms / 1000.0;
	char tmp[65536];

	while (now_s() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 50) <= 0)
			continue;
		r = read(fd, tmp, sizeof(tmp));
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			return true;
	}
	return false;
}

/* True if the server has closed fd (nothing is expected on it). */
static bool
gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char tmp[256];
	ssize_t r;

	if (poll(&p, 1, 0) <= 0)
		return false;
	r = read(fd, tmp, sizeof(tmp));
	return r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN);
}

#define BATCH_FLOOD 12 /* flooders against a limit of BATCH_LIMIT */
#define BATCH_LIMIT 4

/*
 * The eviction seen once in a Debian 13 package build (the flood case
 * below): connections accepted in one burst are evicted for while the
 * loop has not yet taken the older ones of the same burst into its
 * table, so the old honest connection was the only candidate and was
 * closed.  Made deterministic: the server runs in a child that is
 * stopped (SIGSTOP) while the flooders connect and each send one byte,
 * so on SIGCONT one accept() pass takes them all.  Limit 4, the honest
 * client connected first and answered: it must stay open and be
 * answered; 9 of the 13 connections are closed, all of them flooders.
 */
static void
test_burst_eviction(void)
{
	char sock[128], b = 0;
	int ready[2], hold[2], fl[BATCH_FLOOD], i, closed = 0, st = 0;
	bool h1_closed = false;
	struct cli h1, c;
	double end;
	pid_t pid;

	if (!ok(pipe(ready) == 0 && pipe(hold) == 0, "burst: pipes"))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct srv v;

		close(ready[0]);
		close(hold[1]);
		if (!start(&v, "burst.sock", NULL, false, BATCH_LIMIT, 0, 3000))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(hold[0], &b, 1) > 0)
			; /* until the parent closes hold[1] */
		stop(&v);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (!ok(pid > 0 && read(ready[0], &b, 1) == 1,
		"burst: server with a limit of %d connections", BATCH_LIMIT))
		return;
	path_of(sock, sizeof(sock), "burst.sock");
	cli_open(&h1, sock);
	is_str(ask(&h1, "postfix enforce.example"), ENFORCE_REPLY,
	       "burst: the honest client is answered first");
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	for (i = 0; i < BATCH_FLOOD; i++) {
		fl[i] = -1;
		if (cli_open(&c, sock) == 0) {
			fl[i] = c.fd;
			if (send(c.fd, "2", 1, MSG_NOSIGNAL) != 1)
				fl[i] = -2;
		}
	}
	kill(pid, SIGCONT);
	/* Every connection over the limit closes exactly one: wait for
	 * 9 closes (generous deadline, checked without sending). */
	end = now_s() + 10;
	while (closed < BATCH_FLOOD + 1 - BATCH_LIMIT && now_s() < end) {
		if (!h1_closed && gone(h1.fd)) {
			h1_closed = true;
			closed++;
		}
		for (i = 0; i < BATCH_FLOOD; i++)
			if (fl[i] >= 0 && gone(fl[i])) {
				close(fl[i]);
				fl[i] = -1;
				closed++;
			}
		usleep(20 * 1000);
	}
	is_int(closed, BATCH_FLOOD + 1 - BATCH_LIMIT,
	       "burst: %d connections over the limit closed %d",
	       BATCH_FLOOD + 1 - BATCH_LIMIT, closed);
	ok(!h1_closed, "burst: the honest connection was not the one closed");
	is_str(ask(&h1, "postfix enforce.example"), ENFORCE_REPLY,
	       "burst: the honest connection is answered after the burst");
	for (i = 0; i < BATCH_FLOOD; i++)
		if (fl[i] >= 0)
			close(fl[i]);
	cli_close(&h1);
	close(hold[1]);
	close(ready[0]);
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "burst: the server stopped cleanly");
}

/* Idle connections, half-sent requests and clients that do not read
 * their replies are closed after their deadline; a client that keeps
 * asking is not (issue [harden] 1 and 3). */
static void
test_deadlines(void)
{
	char sock[128], big[64 * 1024];
	struct srv v;
	struct cli idle, half, deaf, busy;
	size_t n = 0;
	int i, good = 0;

	t_idle_ms = 400;
	t_request_ms = 400;
	if (!ok(start(&v, "dl.sock", NULL, false, 0, 0, 3000),
		"server with 400 ms idle and request deadlines")) {
		t_idle_ms = t_request_ms = 0;
		return;
	}
	t_idle_ms = t_request_ms = 0;
	path_of(sock, sizeof(sock), "dl.sock");
	cli_open(&idle, sock);
	cli_open(&half, sock);
	cli_open(&deaf, sock);
	cli_open(&busy, sock);
	cli_raw(&half, "23:postfix enf", 14);
	/* Pipelined requests whose replies (about 1 MB) fill the socket
	 * buffers while the client reads nothing. */
	while (n + 30 < sizeof(big)) {
		n += sts_netstring_format("postfix enforce.example", 23,
					  big + n, sizeof(big) - n);
	}
	for (i = 0; i < 16; i++)
		if (send(deaf.fd, big, n, MSG_NOSIGNAL | MSG_DONTWAIT) <= 0)
			break;
	for (i = 0; i < 12; i++) {
		usleep(100 * 1000);
		good += strcmp(ask(&busy, "postfix enforce.example"),
			       ENFORCE_REPLY) == 0;
	}
	is_int(good, 12,
	       "a client asking every 100 ms is answered (and kept) past "
	       "the deadlines");
	ok(eof_within(idle.fd, 2000), "an idle connection is closed");
	ok(eof_within(half.fd, 2000), "a half-sent request is closed");
	ok(eof_within(deaf.fd, 3000),
	   "a client that does not read its replies is closed");
	is_str(ask(&busy, "postfix enforce.example"), ENFORCE_REPLY,
	       "the busy client still works");
	cli_close(&idle);
	cli_close(&half);
	cli_close(&deaf);
	cli_close(&busy);
	stop(&v);
}

/*
 * Issue [harden] 7: LookupDeadline reaches the map at reload
 * (mapd_set_deadline): a 200 ms deadline answers a never-seen domain
 * from what is known before its 1 s fetch ends; raised to 5 s, the next
 * never-seen domain waits for its fetch and gets the policy.
 */
static void
test_reload_deadline(void)
{
	char sock[128], out[256];
	struct srv v;
	struct cli c;
	double t0, dt;
	int rc;

	if (!ok(start(&v, "reload.sock", NULL, false, 0, 1000, 200),
		"server with a 1 s source and a 200 ms deadline"))
		return;
	script_policy(v.script, "r1.example", "enforce",
		      "mx: mx.r.example\r\n");
	script_policy(v.script, "r2.example", "enforce",
		      "mx: mx.r.example\r\n");
	path_of(sock, sizeof(sock), "reload.sock");
	cli_open(&c, sock);
	t0 = now_s();
	cli_send(&c, "postfix r1.example");
	rc = cli_reply(&c, out, sizeof(out), 5000);
	dt = now_s() - t0;
	ok(rc == 0 && strcmp(out, "NOTFOUND ") == 0 && dt < 0.9,
	   "200 ms deadline: answered before the fetch (%s, %.0f ms)", out,
	   dt * 1000);
	mapd_set_deadline(v.mapd, 8000);
	t0 = now_s();
	cli_send(&c, "postfix r2.example");
	rc = cli_reply(&c, out, sizeof(out), 10000);
	dt = now_s() - t0;
	ok(rc == 0 && strncmp(out, "OK secure match=mx.r.example", 28) == 0 &&
		   dt > 0.5,
	   "after mapd_set_deadline(8 s): the new domain waits for its "
	   "policy (%s, %.0f ms)",
	   out, dt * 1000);
	cli_close(&c);
	stop(&v);
}

/*
 * Issue [harden] 2: when accept() fails for want of descriptors the map
 * does not spin: it pauses, logs once with a count, and serves the
 * waiting clients as soon as descriptors are free again.
 */
static void
test_accept_emfile(void)
{
	struct rlimit old, rl;
	char sock[128], out[4096], line[512], logp[128];
	bool got;
	struct cli a, b;
	int fill[4096], nfill = 0, i, saved, lines = 0, lfd;
	struct srv v;
	FILE *f;

	if (!ok(start(&v, "emfile.sock", NULL, false, 0, 0, 3000),
		"server for the descriptor shortage"))
		return;
	path_of(sock, sizeof(sock), "emfile.sock");
	cli_open(&a, sock);
	is_str(ask(&a, "postfix enforce.example"), ENFORCE_REPLY,
	       "emfile: answered before");
	snprintf(logp, sizeof(logp), "%s/emfile.log", dir);
	lfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	saved = dup(2);
	dup2(lfd, 2);
	close(lfd);
	getrlimit(RLIMIT_NOFILE, &old);
	/* Use up every descriptor but one, for the client: the server's
	 * accept of it then fails. */
	while (nfill < 4096) {
		int fd = dup(0);

		if (fd < 0)
			break;
		fill[nfill++] = fd;
	}
	rl = old;
	rl.rlim_cur = nfill > 0 ? (rlim_t)fill[nfill - 1] + 1 : old.rlim_cur;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (nfill > 0)
		close(fill[--nfill]);
	cli_open(&b, sock);
	cli_send(&b, "postfix enforce.example");
	usleep(1500 * 1000); /* 15 pauses of 100 ms */
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	setrlimit(RLIMIT_NOFILE, &old);
	got = b.fd >= 0 && cli_reply(&b, out, sizeof(out), 3000) == 0 &&
	      strcmp(out, ENFORCE_REPLY) == 0;
	ok(got, "emfile: the waiting client is served once descriptors are "
		"free");
	is_str(ask(&a, "postfix enforce.example"), ENFORCE_REPLY,
	       "emfile: the old connection still works");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(logp, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		lines += strstr(line, "map: accept: ") != NULL;
	if (f != NULL)
		fclose(f);
	ok(nfill > 0 && lines == 1,
	   "emfile: 1.5 s of failing accepts logged once (%d lines)", lines);
	unlink(logp);
	cli_close(&a);
	cli_close(&b);
	stop(&v);
}

#define FLOOD 2000 /* slow connections (issue [harden] 1) */

struct flood {
	const char *sock;
	int fd[FLOOD];
	atomic_bool stop;
};

/* Each slow connection sends one more byte of a valid request every
 * 200 ms: never complete within the test, never idle. */
static void *
trickle(void *arg)
{
	static const char req[] = "23:postfix enforce.example,";
	struct flood *f = arg;
	size_t pos = 1;

	/* stops one byte short of a complete request */
	while (!atomic_load(&f->stop) && pos < sizeof(req) - 2) {
		for (int i = 0; i < FLOOD; i++)
			if (f->fd[i] >= 0 &&
			    send(f->fd[i], req + pos, 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) <= 0) {
				close(f->fd[i]);
				f->fd[i] = -1;
			}
		pos++;
		usleep(200 * 1000);
	}
	return NULL;
}

/*
 * 2,000 connections sending one byte at a time, against the default
 * limit of 1,024: honest clients, old and new, are still answered, and
 * the slow ones are what gets closed (issue [harden] 1).  Latency
 * figures: bench (map-flood).
 */
static void
test_flood(void)
{
	struct rlimit rl;
	char sock[128], out[4096];
	struct flood *f;
	struct srv v;
	struct cli h1, h2;
	pthread_t t;
	int i, opened = 0, good = 0, alive = 0;
	int samples = bench_mode ? 2000 : 20;
	double t0, lat[2000];
	char bad[256] = "";
	const char *rep;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < 2 * FLOOD + 256) {
		rl.rlim_cur = 2 * FLOOD + 256;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur; /* needs root */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!ok(getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
			rl.rlim_cur >= 2 * FLOOD + 256,
		"RLIMIT_NOFILE raised to %llu for %d connections",
		(unsigned long long)rl.rlim_cur, FLOOD))
		return;
	f = calloc(1, sizeof(*f));
	if (!ok(f != NULL && start(&v, "flood.sock", NULL, false, 0, 0, 3000),
		"server with the default connection limit"))
		return;
	path_of(sock, sizeof(sock), "flood.sock");
	f->sock = sock;
	cli_open(&h1, sock);
	is_str(ask(&h1, "postfix enforce.example"), ENFORCE_REPLY,
	       "flood: an honest client before the flood");
	for (i = 0; i < FLOOD; i++) {
		struct cli c;

		f->fd[i] = -1;
		if (cli_open(&c, sock) != 0)
			continue;
		f->fd[i] = c.fd;
		opened += send(c.fd, "2", 1, MSG_NOSIGNAL) == 1;
	}
	is_int(opened, FLOOD, "flood: %d slow connections opened", FLOOD);
	pthread_create(&t, NULL, trickle, f);
	t0 = now_s();
	for (i = 0; i < samples; i++) {
		double q0;

		usleep(bench_mode ? 2000 : 50 * 1000);
		q0 = now_s();
		rep = ask(&h1, "postfix enforce.example");
		if (strcmp(rep, ENFORCE_REPLY) != 0 && bad[0] == '\0')
			snprintf(bad, sizeof(bad), "query %d: %s", i, rep);
		if (strcmp(rep, ENFORCE_REPLY) == 0)
			good++;
		lat[i] = now_s() - q0;
	}
	result("map-flood/cached-p1", lat, samples, good, now_s() - t0);
	/* no reconnect: the old persistent connection is never the one
	 * closed (test_burst_eviction: the cause once seen in a package
	 * build) */
	is_int(good, samples,
	       "flood: the old honest connection is answered%s%s",
	       bad[0] ? "; first miss: " : "", bad);
	good = 0;
	for (i = 0; i < 20; i++) {
		if (cli_open(&h2, sock) != 0)
			continue;
		cli_send(&h2, "postfix enforce.example");
		good += cli_reply(&h2, out, sizeof(out), 3000) == 0 &&
			strcmp(out, ENFORCE_REPLY) == 0;
		cli_close(&h2);
	}
	is_int(good, 20, "flood: new honest connections are answered");
	atomic_store(&f->stop, true);
	pthread_join(t, NULL);
	for (i = 0; i < FLOOD; i++)
		if (f->fd[i] >= 0) {
			alive += !eof_within(f->fd[i], 0);
			close(f->fd[i]);
		}
	ok(alive <= 1024, "flood: at most 1024 slow ones were kept (%d)",
	   alive);
	cli_close(&h1);
	stop(&v);
	free(f);
}

/* never-seen domains per attacker (bench: 40, the issue's) */

#define ATTACK_N (bench_mode ? 40 : 8)

struct attacker {
	const char *sock;
	int id, answered;
};

/* Pipelines ATTACK_N never-seen domains at once, reads the replies. */
static void *
attack(void *arg)
{
	struct attacker *a = arg;
	char req[128], out[256];
	struct cli c;
	int i;

	if (cli_open(&c, a->sock) != 0)
		return NULL;
	for (i = 0; i < ATTACK_N; i++) {
		snprintf(req, sizeof(req), "postfix new%d-%d.example", a->id,
			 i);
		cli_send(&c, req);
	}
	for (i = 0; i < ATTACK_N; i++)
		a->answered += cli_reply(&c, out, sizeof(out), 60000) == 0;
	cli_close(&c);
	return NULL;
}

/*
 * Issue [harden] 3: eight connections each pipelining ATTACK_N
 * never-seen domains through a slow source (300 ms a call: a first
 * lookup makes several) and eight that never
 * read their replies: a cached domain on another connection is
 * answered meanwhile, and (but for scheduling hiccups on a loaded
 * machine: at most 1 in 10) before a single source call could have
 * finished; before the fix every one of them waited, up to 3 s.  p99
 * figures: bench (map-attack).
 */
static void
test_cached_first(void)
{
	char sock[128], big[16 * 1024];
	struct attacker a[8];
	struct cli deaf[8], h;
	pthread_t t[8];
	double t0, start_t, worst = 0, lat[2000], call;
	struct srv v;
	size_t n = 0;
	int i, good = 0, answered = 0, slow = 0;
	int samples = bench_mode ? 2000 : 50;

	if (!ok(start(&v, "attack.sock", NULL, false, 0, 0, 3000),
		"server for the slow-lookup attack"))
		return;
	path_of(sock, sizeof(sock), "attack.sock");
	cli_open(&h, sock);
	is_str(ask(&h, "postfix enforce.example"), ENFORCE_REPLY,
	       "attack: enforce.example cached before");
	call = bench_mode ? 0.5 : 0.3; /* one source call, seconds */
	scripted_delay(v.script, (unsigned)(call * 1000));
	while (n + 30 < sizeof(big))
		n += sts_netstring_format("postfix enforce.example", 23,
					  big + n, sizeof(big) - n);
	for (i = 0; i < 8; i++) {
		cli_open(&deaf[i], sock);
		for (int k = 0; k < 64; k++)
			if (send(deaf[i].fd, big, n,
				 MSG_NOSIGNAL | MSG_DONTWAIT) <= 0)
				break;
		a[i].sock = sock;
		a[i].id = i;
		a[i].answered = 0;
		pthread_create(&t[i], NULL, attack, &a[i]);
	}
	usleep(100 * 1000);
	start_t = now_s();
	for (i = 0; i < samples; i++) {
		t0 = now_s();
		good += strcmp(ask(&h, "postfix enforce.example"),
			       ENFORCE_REPLY) == 0;
		lat[i] = now_s() - t0;
		if (lat[i] > worst)
			worst = lat[i];
		slow += lat[i] >= call;
		usleep(bench_mode ? 5000 : 20 * 1000);
	}
	result("map-attack/cached-p1", lat, samples, good, now_s() - start_t);
	is_int(good, samples, "attack: %d cached lookups answered during it",
	       samples);
	ok(slow <= samples / 10,
	   "attack: cached answers did not wait for slow lookups (%d of %d "
	   "took a source call's %.0f ms or more; slowest %.1f ms)",
	   slow, samples, call * 1000, worst * 1000);
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		answered += a[i].answered;
		cli_close(&deaf[i]);
	}
	is_int(answered, 8 * ATTACK_N,
	       "attack: the %d new domains were answered too", 8 * ATTACK_N);
	cli_close(&h);
	stop(&v);
}

int
main(void)
{
	log_init("t_hostile", true, LOG_WARNING);
	bench_mode = getenv("T_HOSTILE_BENCH") != NULL &&
		     *getenv("T_HOSTILE_BENCH") != '\0';
	snprintf(dir, sizeof(dir), "/tmp/t_hostile.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (only("limit")) {
		test_victim_order();
		test_limit();
	}
	if (only("burst"))
		test_burst_eviction();
	if (only("deadlines"))
		test_deadlines();
	if (only("reload"))
		test_reload_deadline();
	if (only("emfile"))
		test_accept_emfile();
	if (only("flood"))
		test_flood();
	if (only("attack"))
		test_cached_first();
	rmdir(dir);
	return tap_done();
}
