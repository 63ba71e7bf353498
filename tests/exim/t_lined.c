/*
 * tests/exim/t_lined.c - the Exim listener (milter/lined.c answering
 * with milter/eximq.c) over a real unix socket, in process, with the
 * real engine fed by the scripted source of tests/engine (no DNS, no
 * lab, no root): both questions the way Exim's ${readsocket} asks them
 * (no newline, write side shut down), bad input (garbage, NUL, too long,
 * two lines, empty), a slow writer that must not delay anybody, 200
 * clients at once, the idle timeout, a flood of idle, slow,
 * no-newline, overlong, NUL and never-reading connections beside an
 * honest client, cached answers beside slow first-time lookups, the
 * connection cap (the map server's: an idle one is closed for a new
 * one), and a prompt stop with a stalled client connected.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../engine/scripted.h"
#include "../tap.h"
#include "lined.h"
#include "log.h"
#include "sts_engine.h"

static char dir[64], sock[96];

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
cli_open(void)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Read until EOF within ms: the length read, -2 on timeout. */
static long
cli_read_all(int fd, char *out, size_t outsz, int ms)
{
	size_t len = 0;
	long end = now_ms() + ms;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long left = end - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -2;
		r = recv(fd, out + len, outsz - 1 - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len >= outsz - 1)
			break;
	}
	out[len] = '\0';
	return (long)len;
}

/* As ${readsocket}: write req[n], shut down the write side, read all. */
static long
ask(const char *req, size_t n, char *out, size_t outsz)
{
	int fd = cli_open();
	long r;

	if (fd < 0)
		return -1;
	if (n > 0 && send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR);
	r = cli_read_all(fd, out, outsz, 3000);
	close(fd);
	return r;
}

static long
asks(const char *req, char *out, size_t outsz)
{
	return ask(req, strlen(req), out, outsz);
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
script(struct scripted *s)
{
	scripted_set(
		s, "enforce.example", STS_OK, "20261128", STS_OK,
		"version: STSv1\r\nmode: enforce\r\nmx: mx1.enforce.example"
		"\r\nmx: *.mx.enforce.example\r\nmax_age: 86400\r\n");
	scripted_mx(s, "enforce.example", STS_OK, STS_SRC_INSECURE,
		    "mx1.enforce.example", false, false);
	scripted_set(
		s, "mismatch.example", STS_OK, "20261128", STS_OK,
		"version: STSv1\r\nmode: enforce\r\nmx: mx.mismatch.example"
		"\r\nmax_age: 86400\r\n");
	scripted_mx(s, "mismatch.example", STS_OK, STS_SRC_INSECURE,
		    "mail.mismatch.example", false, false);
	scripted_set(
		s, "dane.example", STS_OK, "20261128", STS_OK,
		"version: STSv1\r\nmode: enforce\r\nmx: mx.dane.example\r\n"
		"max_age: 86400\r\n");
	scripted_mx(s, "dane.example", STS_OK, STS_SRC_SECURE,
		    "mx.dane.example", false, false);
	scripted_tlsa(s, "mx.dane.example", STS_DANE_USABLE);
	scripted_set(s, "fetchfail.example", STS_OK, "1", STS_TEMPFAIL, NULL);
}

static void
test_answers(void)
{
	char out[4096], big[6000];
	long n;

	n = asks("sts enforce.example", out, sizeof(out));
	is_str(out,
	       "action=secure mode=enforce domain=enforce.example "
	       "match=mx1.enforce.example:*.mx.enforce.example "
	       "mx_regex=^(?i:mx1\\.enforce\\.example|[^.]+\\.mx\\.enforce\\."
	       "example)$\n",
	       "sts enforce.example, as readsocket asks (%ld bytes)", n);
	n = asks("rcpt enforce.example <a@b.example>", out, sizeof(out));
	is_str(out,
	       "action=accept verdict=pass domain=enforce.example mode=enforce "
	       "result=pass reason=satisfied type=none header=\"domain="
	       "enforce.example mode=enforce result=pass reason=satisfied "
	       "type=none\"\n",
	       "rcpt enforce.example");
	asks("rcpt mismatch.example <>\n", out, sizeof(out));
	ok(starts(out,
		  "action=defer verdict=defer domain=mismatch.example "
		  "mode=enforce result=fail reason=mx-mismatch "
		  "type=validation-failure code=451 dsn=4.4.4 text=\"MTA-STS "
		  "policy of mismatch.example (mode enforce) cannot be met: "),
	   "rcpt mismatch.example: the milter's 451 4.4.4: %s", out);
	asks("sts dane.example\r\n", out, sizeof(out));
	is_str(out, "action=dane mode=enforce domain=dane.example\n",
	       "sts dane.example (CRLF)");
	asks("sts fetchfail.example", out, sizeof(out));
	is_str(out, "action=none\n", "sts fetchfail.example: no policy");
	asks("sts [192.0.2.1]", out, sizeof(out));
	is_str(out, "action=none\n", "sts address literal: no policy");
	asks("hello", out, sizeof(out));
	ok(starts(out, "action=error why="), "garbage: %s", out);
	n = ask("sts a\0b.example", 15, out, sizeof(out));
	is_str(out, "action=error why=\"NUL byte in request\"\n", "NUL byte");
	asks("sts a.example\nsts b.example\n", out, sizeof(out));
	is_str(out, "action=error why=\"more than one line\"\n", "two lines");
	memcpy(big, "sts ", 4);
	memset(big + 4, 'a', sizeof(big) - 4);
	n = ask(big, sizeof(big), out, sizeof(out));
	is_str(out, "action=error why=\"request too long\"\n",
	       "6000 bytes without newline: an error line, not a reset");
	n = ask("", 0, out, sizeof(out));
	is_int(n, 0, "empty request: closed without a reply");
}

struct many {
	pthread_t t;
	char out[512];
};

static void *
many_main(void *arg)
{
	struct many *m = arg;

	asks("sts enforce.example", m->out, sizeof(m->out));
	return NULL;
}

static void
test_slow_and_many(void)
{
	static struct many m[200];
	char out[512];
	long t0, ms;
	int slow, i, good = 0;

	/* a writer that sends half a request and stalls */
	slow = cli_open();
	ok(slow >= 0 && send(slow, "sts enf", 7, 0) == 7,
	   "slow writer connected");
	t0 = now_ms();
	asks("sts enforce.example", out, sizeof(out));
	ms = now_ms() - t0;
	ok(starts(out, "action=secure") && ms < 300,
	   "another client answered at once beside it (%ld ms)", ms);
	t0 = now_ms();
	ms = cli_read_all(slow, out, sizeof(out), 3000);
	ok(ms == 0 && now_ms() - t0 < 1500,
	   "the slow writer is closed at its timeout, without a reply "
	   "(after %ld ms)",
	   now_ms() - t0);
	close(slow);
	for (i = 0; i < 200; i++)
		pthread_create(&m[i].t, NULL, many_main, &m[i]);
	for (i = 0; i < 200; i++) {
		pthread_join(m[i].t, NULL);
		good += starts(m[i].out, "action=secure");
	}
	is_int(good, 200, "200 clients at once: all answered");
}

/* 1 if the server has closed fd within ms (EOF after whatever it sent,
 * which goes to out), 0 if not. */
static int
closed_within(int fd, int ms, char *out, size_t outsz)
{
	return cli_read_all(fd, out, outsz, ms) >= 0;
}

/* The connection cap (4): a fifth connection is served at once, and one
 * of the four idle ones that never asked anything is closed for it. */
static void
test_cap(void)
{
	char out[512];
	int fds[4], i, n = 0, gone = 0;
	long t0, ms;

	for (i = 0; i < 4; i++) {
		fds[i] = cli_open();
		n += fds[i] >= 0;
	}
	is_int(n, 4, "4 idle connections (the cap)");
	usleep(100 * 1000);
	t0 = now_ms();
	asks("sts enforce.example", out, sizeof(out));
	ms = now_ms() - t0;
	ok(starts(out, "action=secure") && ms < 1000,
	   "the 5th is answered at once (%ld ms): %.40s", ms, out);
	for (i = 0; i < 4; i++)
		gone += closed_within(fds[i], 200, out, sizeof(out));
	ok(gone >= 1, "an idle connection was closed for it (%d of 4)", gone);
	for (i = 0; i < 4; i++)
		close(fds[i]);
}

/* The idle timeout (1 s here): a connection that sends nothing is
 * closed, without a reply. */
static void
test_idle(void)
{
	char out[64];
	int fd = cli_open();
	long t0 = now_ms(), ms;
	long r = cli_read_all(fd, out, sizeof(out), 4000);

	ms = now_ms() - t0;
	ok(fd >= 0 && r == 0 && ms >= 700 && ms < 3500,
	   "an idle connection is closed at the 1 s timeout, no reply "
	   "(%ld ms)",
	   ms);
	if (fd >= 0)
		close(fd);
}

#define FLOOD 40 /* connections of each bad kind */

/*
 * Issue 16 item 2: FLOOD each of idle connections, slow writers, a
 * request without newline and no EOF, 6000 bytes without newline (not
 * read), a NUL byte (not read) and a good request whose reply is never
 * read, all at once: an honest client asking meanwhile is answered at
 * once every time, and every bad connection is closed by the server
 * within the timeout (1 s) plus margin, the overlong and NUL ones with
 * their error line.
 */
static void
test_flood(void)
{
	enum { IDLE, SLOW, NOEOL, LONG, NUL, DEAF, KINDS };
	static const char *const kind[KINDS] = {"idle",	      "slow",
						"no-newline", "overlong",
						"NUL",	      "never-reading"};
	static int fd[KINDS][FLOOD];
	char big[6000], out[4096];
	int k, i, good = 0, closed[KINDS] = {0}, errline[KINDS] = {0};
	long t0, ms, worst = 0;

	memset(big, 'a', sizeof(big));
	memcpy(big, "sts ", 4);
	for (k = 0; k < KINDS; k++)
		for (i = 0; i < FLOOD; i++) {
			int f = cli_open();

			fd[k][i] = f;
			if (f < 0)
				continue;
			if (k == SLOW || k == NOEOL)
				send(f,
				     k == SLOW ? "sts enf"
					       : "sts enforce.example",
				     k == SLOW ? 7 : 19, MSG_NOSIGNAL);
			else if (k == LONG)
				send(f, big, sizeof(big),
				     MSG_NOSIGNAL | MSG_DONTWAIT);
			else if (k == NUL)
				send(f, "sts a\0b.example\n", 16, MSG_NOSIGNAL);
			else if (k == DEAF)
				send(f, "sts enforce.example\n", 20,
				     MSG_NOSIGNAL);
		}
	for (i = 0; i < 20; i++) {
		t0 = now_ms();
		asks("sts enforce.example", out, sizeof(out));
		ms = now_ms() - t0;
		good += starts(out, "action=secure");
		if (ms > worst)
			worst = ms;
		if (i % 5 == 0) /* the slow writers trickle */
			for (int j = 0; j < FLOOD; j++)
				send(fd[SLOW][j], "x", 1,
				     MSG_NOSIGNAL | MSG_DONTWAIT);
		usleep(20 * 1000);
	}
	is_int(good, 20,
	       "flood of %d bad connections: an honest client answered "
	       "every time",
	       KINDS * FLOOD);
	ok(worst < 1000, "flood: its slowest answer took %ld ms (< 1000)",
	   worst);
	for (k = 0; k < KINDS; k++)
		for (i = 0; i < FLOOD; i++) {
			if (fd[k][i] < 0)
				continue;
			out[0] = '\0';
			if (closed_within(fd[k][i], 3000, out, sizeof(out)))
				closed[k]++;
			errline[k] += starts(out, "action=error");
			close(fd[k][i]);
		}
	for (k = 0; k < KINDS; k++)
		is_int(closed[k], FLOOD,
		       "flood: the %s connections closed by "
		       "the server",
		       kind[k]);
	is_int(errline[LONG], FLOOD,
	       "flood: each overlong request got its error line");
	is_int(errline[NUL], FLOOD,
	       "flood: each NUL request got its error line");
}

struct newdom {
	pthread_t t;
	int id;
	char out[512];
};

static void *
newdom_main(void *arg)
{
	struct newdom *d = arg;
	char req[64];

	snprintf(req, sizeof(req), "sts new%d.enforce.example", d->id);
	asks(req, d->out, sizeof(d->out));
	return NULL;
}

/* A cached answer never waits behind first-time lookups (the source
 * takes 300 ms a call): 8 never-seen domains asked at once, and a cached
 * one meanwhile is answered before one source call could finish. */
static void
test_cached_first(struct scripted *s)
{
	struct newdom d[8];
	char out[512];
	int i, slow = 0, good = 0, answered = 0;
	long t0, ms;

	scripted_delay(s, 300);
	for (i = 0; i < 8; i++) {
		d[i].id = i;
		d[i].out[0] = '\0';
		pthread_create(&d[i].t, NULL, newdom_main, &d[i]);
	}
	usleep(50 * 1000);
	for (i = 0; i < 10; i++) {
		t0 = now_ms();
		asks("sts enforce.example", out, sizeof(out));
		ms = now_ms() - t0;
		good += starts(out, "action=secure");
		slow += ms >= 300;
		usleep(20 * 1000);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(d[i].t, NULL);
		answered += starts(d[i].out, "action=");
	}
	scripted_delay(s, 0);
	is_int(good, 10, "cached answers during 8 first-time lookups");
	ok(slow <= 1,
	   "they did not wait for the slow lookups (%d of 10 took "
	   "300 ms or more)",
	   slow);
	is_int(answered, 8, "the 8 first-time lookups were answered too");
}

int
main(void)
{
	struct scripted *s = scripted_new();
	struct sts_engine_conf ec;
	struct sts_source src;
	struct sts_engine *e;
	struct lined *l;
	struct lined_conf lc;
	char why[256] = "";
	int stall;
	long t0;

	log_init("t_lined", true, LOG_ERR);
	snprintf(dir, sizeof(dir), "/tmp/t_lined.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(sock, sizeof(sock), "%s/exim.sock", dir);
	script(s);
	src = scripted_source(s);
	sts_engine_conf_defaults(&ec);
	ec.probe = false;
	ec.save_interval = 0;
	e = sts_engine_new(&ec, &src, why, sizeof(why));
	ok(e != NULL, "engine: %s", why);
	memset(&lc, 0, sizeof(lc));
	snprintf(why, sizeof(why), "unix:%s", sock);
	lc.socket = why;
	lc.read_timeout_ms = 1000;
	lc.deadline_ms = 3000;
	lc.unix_mode = 0600;
	l = lined_new(&lc, why, sizeof(why));
	ok(l != NULL && lined_start(l, e, why, sizeof(why)) == 0,
	   "listener started");
	test_answers();
	test_slow_and_many();
	test_idle();
	test_flood();
	test_cached_first(s);
	lined_free(l);

	lc.max_conns = 4;
	snprintf(why, sizeof(why), "unix:%s", sock);
	l = lined_new(&lc, why, sizeof(why));
	ok(l != NULL && lined_start(l, e, why, sizeof(why)) == 0,
	   "listener with max 4 connections");
	test_cap();
	stall = cli_open();
	t0 = now_ms();
	lined_free(l);
	ok(now_ms() - t0 < 500, "stop with a stalled client: %ld ms",
	   now_ms() - t0);
	if (stall >= 0)
		close(stall);
	ok(access(sock, F_OK) != 0, "unix socket removed at stop");
	sts_engine_free(e);
	scripted_free(s);
	rmdir(dir);
	return tap_done();
}
