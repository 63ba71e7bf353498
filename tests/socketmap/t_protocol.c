/*
 * tests/socketmap/t_protocol.c - the map server (milter/mapd.c) over a
 * real socket, in process, with the real engine fed by the scripted
 * source of tests/engine (no DNS, no HTTPS, no lab): pipelined and split
 * requests, oversize, garbage, clients that vanish mid-request, many
 * connections at once, slow lookups in parallel, a never-seen domain
 * answered within the deadline, map-name filtering.  Prints a rough
 * queries/s figure for one persistent connection.  The bounds under
 * hostile clients (limits, deadlines, floods): t_hostile.c.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "mapcli.h"
#include "sockspec.h"
#include "sts_netstring.h"

static void
test_answers(const char *sock)
{
	static const struct {
		const char *req, *want;
	} t[] = {
		{"postfix enforce.example", ENFORCE_REPLY},
		{"postfix ENFORCE.Example.", ENFORCE_REPLY},
		{"sts enforce.example", ENFORCE_REPLY},
		{"postfix testing.example", "NOTFOUND "},
		{"postfix dane.example", "OK dane-only"},
		{"postfix none.example", "NOTFOUND "},
		{"postfix fetchfail.example", "NOTFOUND "},
		{"postfix nosts.example", "NOTFOUND "},
		/* issue 14 item 1: explicit next hops have the host's
		 * policy (RFC 8461 section 3.4) */
		{"postfix [enforce.example]:587", ENFORCE_REPLY},
		{"postfix [enforce.example]", ENFORCE_REPLY},
		{"postfix enforce.example:25", ENFORCE_REPLY},
		{"postfix enforce.example:submission", ENFORCE_REPLY},
		{"postfix [mx.enforce.example]:587", "NOTFOUND "},
		{"postfix [relay.example]:587", "OK dane-only"},
		{"postfix [enforce.example", "NOTFOUND "},
		{"postfix enforce.example:", "NOTFOUND "},
		{"postfix [192.0.2.1]", "NOTFOUND "},
		{"postfix [IPv6:2001:db8::1]:25", "NOTFOUND "},
		/* item 6: mixed DANE stays dane-only */
		{"postfix mixed.example", "OK dane-only"},
		/* item 4: the map name selects the Postfix 3.10 form */
		{"postfix-sts enforce.example",
		 ENFORCE_REPLY " policy_type=sts policy_domain=enforce.example"
			       " policy_ttl=86400"
			       " mx_host_pattern=mx1.enforce.example"
			       " mx_host_pattern=*.mx.enforce.example"
			       " { policy_string = version: STSv1 }"
			       " { policy_string = mode: enforce }"
			       " { policy_string = mx: mx1.enforce.example }"
			       " { policy_string = mx: *.mx.enforce.example }"
			       " { policy_string = max_age: 86400 }"},
		{"postfix-sts [enforce.example]:25",
		 ENFORCE_REPLY " policy_type=sts policy_domain=enforce.example"
			       " policy_ttl=86400"
			       " mx_host_pattern=mx1.enforce.example"
			       " mx_host_pattern=*.mx.enforce.example"
			       " { policy_string = version: STSv1 }"
			       " { policy_string = mode: enforce }"
			       " { policy_string = mx: mx1.enforce.example }"
			       " { policy_string = mx: *.mx.enforce.example }"
			       " { policy_string = max_age: 86400 }"},
		{"postfix-sts testing.example", "NOTFOUND "},
		{"postfix-sts fetchfail.example", "NOTFOUND "},
		{"postfix .enforce.example", "NOTFOUND "},
		{"postfix ", "NOTFOUND "},
	};
	struct cli c;
	size_t i;

	if (!ok(cli_open(&c, sock) == 0, "connect"))
		return;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(ask(&c, t[i].req), t[i].want, "one connection: \"%s\"",
		       t[i].req);
	cli_close(&c);
}

static void
test_pipelined(const char *sock)
{
	static const char in[] = "23:postfix enforce.example,"
				 "23:postfix testing.example,"
				 "19:sts enforce.example,";
	char out[4096];
	struct cli c;
	int rc;

	if (!ok(cli_open(&c, sock) == 0, "connect (pipelined)"))
		return;
	cli_raw(&c, in, sizeof(in) - 1);
	rc = cli_reply(&c, out, sizeof(out), 3000);
	is_str(rc == 0 ? out : "(none)", ENFORCE_REPLY, "pipelined reply 1");
	rc = cli_reply(&c, out, sizeof(out), 3000);
	is_str(rc == 0 ? out : "(none)", "NOTFOUND ", "pipelined reply 2");
	rc = cli_reply(&c, out, sizeof(out), 3000);
	is_str(rc == 0 ? out : "(none)", ENFORCE_REPLY, "pipelined reply 3");
	cli_close(&c);
}

/* One byte per write, with a pause so that the server sees them apart. */
static void
test_split(const char *sock)
{
	static const char in[] = "23:postfix enforce.example,";
	struct timespec ts = {0, 2 * 1000 * 1000};
	char out[4096];
	struct cli c;
	size_t i;
	int rc;

	if (!ok(cli_open(&c, sock) == 0, "connect (split)"))
		return;
	for (i = 0; i < sizeof(in) - 1; i++) {
		cli_raw(&c, in + i, 1);
		nanosleep(&ts, NULL);
	}
	rc = cli_reply(&c, out, sizeof(out), 3000);
	is_str(rc == 0 ? out : "(none)", ENFORCE_REPLY,
	       "request written one byte at a time");
	is_str(ask(&c, "postfix enforce.example"), ENFORCE_REPLY,
	       "same connection still serves after a split request");
	cli_close(&c);
}

/* Each bad input gets one PERM reply and a closed connection. */
static void
test_bad(const char *sock)
{
	static const struct {
		const char *name, *in;
	} t[] = {
		{"oversize length", "99999:"},
		{"length over the cap", "1090:postfix "},
		{"garbage", "GET / HTTP/1.0\r\n\r\n"},
		{"leading zero", "023:postfix enforce.example,"},
		{"missing comma", "23:postfix enforce.exampleX"},
		{"no key", "7:postfix,"},
		{"empty netstring", "0:,"},
		{"control character in key", "23:postfix enforce\x01"
					     "example,"},
	};
	char out[4096];
	struct cli c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!ok(cli_open(&c, sock) == 0, "connect (%s)", t[i].name))
			continue;
		cli_raw(&c, t[i].in, strlen(t[i].in));
		rc = cli_reply(&c, out, sizeof(out), 3000);
		ok(rc == 0 && strncmp(out, "PERM ", 5) == 0,
		   "%s: PERM reply (%s)", t[i].name, rc == 0 ? out : "none");
		ok(closed_within(&c, 3000), "%s: connection closed", t[i].name);
		cli_close(&c);
	}
	/* A PERM for an oversize key, on a connection that answered
	 * fine before. */
	if (ok(cli_open(&c, sock) == 0, "connect (key over the cap)")) {
		char big[1200];

		is_str(ask(&c, "postfix enforce.example"), ENFORCE_REPLY,
		       "before an oversize key");
		memset(big, 'a', sizeof(big) - 1);
		memcpy(big, "postfix ", 8);
		big[sizeof(big) - 1] = '\0';
		ok(strncmp(ask(&c, big), "PERM ", 5) == 0,
		   "key of %zu bytes: PERM", sizeof(big) - 9);
		ok(closed_within(&c, 3000), "key over the cap: closed");
		cli_close(&c);
	}
}

static void
test_disconnects(const char *sock)
{
	struct cli c;
	int i, good = 0;

	for (i = 0; i < 20; i++) {
		if (cli_open(&c, sock) != 0)
			continue;
		/* half a request, then vanish */
		cli_raw(&c, "23:postfix enfor", (size_t)(3 + i % 13));
		cli_close(&c);
	}
	if (cli_open(&c, sock) == 0) {
		/* a request the client does not wait for */
		cli_send(&c, "postfix testing.example");
		cli_close(&c);
	}
	if (cli_open(&c, sock) == 0) {
		good = strcmp(ask(&c, "postfix enforce.example"),
			      ENFORCE_REPLY) == 0;
		cli_close(&c);
	}
	ok(good, "server still answers after 21 clients vanished mid-request");
}

#define NCONN 200

static void
test_many(const char *sock)
{
	static struct cli cs[NCONN];
	int i, opened = 0, right = 0;

	for (i = 0; i < NCONN; i++)
		if (cli_open(&cs[i], sock) == 0)
			opened++;
	is_int(opened, NCONN, "%d connections open at once", NCONN);
	/* Everybody asks at once, then everybody reads. */
	for (i = 0; i < NCONN; i++)
		if (cs[i].fd >= 0)
			cli_send(&cs[i], i % 2 ? "postfix enforce.example"
					       : "postfix nosts.example");
	for (i = 0; i < NCONN; i++) {
		char out[4096];

		if (cs[i].fd >= 0 &&
		    cli_reply(&cs[i], out, sizeof(out), 5000) == 0 &&
		    strcmp(out, i % 2 ? ENFORCE_REPLY : "NOTFOUND ") == 0)
			right++;
	}
	is_int(right, NCONN, "%d concurrent requests answered right", NCONN);
	/* A second round on the same, now idle, connections. */
	right = 0;
	for (i = 0; i < NCONN; i++)
		if (cs[i].fd >= 0 && strcmp(ask(&cs[i], "sts enforce.example"),
					    ENFORCE_REPLY) == 0)
			right++;
	is_int(right, NCONN, "idle persistent connections still served");
	for (i = 0; i < NCONN; i++)
		cli_close(&cs[i]);
}

struct slow_arg {
	const char *sock, *dom;
	int ok;
};

static void *
slow_client(void *arg)
{
	struct slow_arg *a = arg;
	struct cli c;
	char out[256], req[128];

	/* not ask(): its static buffer is for the main thread only */
	snprintf(req, sizeof(req), "postfix %s", a->dom);
	if (cli_open(&c, a->sock) == 0) {
		a->ok = cli_send(&c, req) == 0 &&
			cli_reply(&c, out, sizeof(out), 10000) == 0 &&
			strncmp(out, "OK secure match=mx.", 19) == 0;
		cli_close(&c);
	}
	return NULL;
}

/*
 * With every source call taking SLOW_MS, a first lookup costs several
 * of them (TXT, policy, MX); four such lookups on four connections
 * must run side by side, not one after the other.
 */
static void
test_slow(void)
{
	static const char *doms[] = {"s1.example", "s2.example", "s3.example",
				     "s4.example"};
	char sock[128];
	struct slow_arg a[4];
	pthread_t t[4];
	double t0, one, all;
	struct srv v;
	int i, good = 0;

	if (!ok(start(&v, "slow.sock", NULL, false, 0, SLOW_MS, 10000),
		"slow server up"))
		return;
	for (i = 0; i < 5; i++) {
		char d[32];

		snprintf(d, sizeof(d), "s%d.example", i);
		script_policy(v.script, d, "enforce", "mx: mx.s.example\r\n");
	}
	path_of(sock, sizeof(sock), "slow.sock");
	a[0].sock = sock;
	a[0].dom = "s0.example";
	t0 = now_s();
	slow_client(&a[0]);
	one = now_s() - t0;
	ok(a[0].ok, "a first lookup through a slow source (%.0f ms)",
	   one * 1000);
	t0 = now_s();
	for (i = 0; i < 4; i++) {
		a[i].sock = sock;
		a[i].dom = doms[i];
		a[i].ok = 0;
		pthread_create(&t[i], NULL, slow_client, &a[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		good += a[i].ok;
	}
	all = now_s() - t0;
	is_int(good, 4, "4 first lookups through a slow source answered");
	ok(all < 2.5 * one, "they ran in parallel (%.0f ms for 4, %.0f for 1)",
	   all * 1000, one * 1000);
	stop(&v);
}

/*
 * The same after the server has been idle long enough for the stall
 * monitor to stop ticking and sleep (MAPD_IDLE_TICKS x MAPD_TICK_MS, 1 s):
 * the first blocking lookup must wake it, or the other connections wait.
 * The test pins itself (and so the server's threads) to one cpu, so the
 * server runs one loop and only a hand-off lets the lookups overlap.
 */
static void
test_slow_after_idle(void)
{
	static const char *doms[] = {"i1.example", "i2.example", "i3.example",
				     "i4.example"};
	cpu_set_t saved, one_cpu;
	char sock[128];
	struct slow_arg a[4];
	pthread_t t[4];
	double t0, one, all;
	struct srv v;
	int i, cpu, good = 0;

	if (sched_getaffinity(0, sizeof(saved), &saved) != 0)
		CPU_ZERO(&saved);
	cpu = sched_getcpu();
	CPU_ZERO(&one_cpu);
	CPU_SET(cpu < 0 ? 0 : cpu, &one_cpu);
	ok(sched_setaffinity(0, sizeof(one_cpu), &one_cpu) == 0,
	   "pinned to one cpu (the server runs one loop)");
	if (!ok(start(&v, "idle.sock", NULL, false, 0, SLOW_MS, 10000),
		"slow server up (one loop)"))
		goto out;
	for (i = 0; i < 5; i++) {
		char d[32];

		snprintf(d, sizeof(d), "i%d.example", i);
		script_policy(v.script, d, "enforce", "mx: mx.s.example\r\n");
	}
	path_of(sock, sizeof(sock), "idle.sock");
	a[0].sock = sock;
	a[0].dom = "i0.example";
	t0 = now_s();
	slow_client(&a[0]);
	one = now_s() - t0;
	ok(a[0].ok, "a first lookup through a slow source (%.0f ms)",
	   one * 1000);
	usleep(1500 * 1000); /* past the monitor's idle threshold */
	t0 = now_s();
	for (i = 0; i < 4; i++) {
		a[i].sock = sock;
		a[i].dom = doms[i];
		a[i].ok = 0;
		pthread_create(&t[i], NULL, slow_client, &a[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		good += a[i].ok;
	}
	all = now_s() - t0;
	is_int(good, 4, "after 1.5 s idle: 4 slow lookups answered");
	ok(all < 2.5 * one,
	   "after 1.5 s idle: the monitor woke and they ran in parallel "
	   "(%.0f ms for 4, %.0f for 1)",
	   all * 1000, one * 1000);
	stop(&v);
out:
	if (CPU_COUNT(&saved) > 0)
		sched_setaffinity(0, sizeof(saved), &saved);
}

/*
 * A never-seen domain whose fetch takes longer than the lookup deadline
 * is answered within the deadline from what is known (nothing: NOTFOUND,
 * RFC 8461 5.1 -- deliver as without a policy), and the fetch goes on
 * in the background, so a later lookup has the policy.
 */
static void
test_pending(void)
{
	char sock[128], out[256];
	double t0, dt;
	struct srv v;
	struct cli c;
	int rc;

	if (!ok(start(&v, "pending.sock", NULL, false, 0, 1000, 200),
		"server with a 1 s source and a 200 ms deadline"))
		return;
	path_of(sock, sizeof(sock), "pending.sock");
	if (cli_open(&c, sock) == 0) {
		t0 = now_s();
		cli_send(&c, "postfix enforce.example");
		rc = cli_reply(&c, out, sizeof(out), 5000);
		dt = now_s() - t0;
		is_str(rc == 0 ? out : "(none)", "NOTFOUND ",
		       "never-seen domain: NOTFOUND while the fetch runs");
		ok(dt < 0.9,
		   "answered within the deadline, not after the "
		   "1 s fetch (%.0f ms)",
		   dt * 1000);
		ok(sts_engine_idle_wait(v.engine, 10000),
		   "background fetch finished");
		cli_send(&c, "postfix enforce.example");
		rc = cli_reply(&c, out, sizeof(out), 10000);
		is_str(rc == 0 ? out : "(none)", ENFORCE_REPLY,
		       "the next lookup has the policy");
		cli_close(&c);
	}
	stop(&v);
}

static void
test_rate(const char *sock)
{
	struct cli c;
	int i, n = 5000, right = 0;
	double t0, dt;

	if (!ok(cli_open(&c, sock) == 0, "connect (rate)"))
		return;
	t0 = now_s();
	for (i = 0; i < n; i++)
		if (strcmp(ask(&c, "postfix enforce.example"), ENFORCE_REPLY) ==
		    0)
			right++;
	dt = now_s() - t0;
	is_int(right, n, "%d lock-step requests on one connection", n);
	tap_diag("one persistent connection (unix socket, real engine, "
		 "scripted source): %.0f queries/s",
		 n / dt);
	cli_close(&c);
}

static void
test_names(void)
{
	char sock[128];
	struct srv v;
	struct cli c;

	if (!ok(start(&v, "names.sock", "postfix, sts", false, 0, 0, 3000),
		"server with MapNames \"postfix, sts\""))
		return;
	path_of(sock, sizeof(sock), "names.sock");
	if (ok(cli_open(&c, sock) == 0, "connect (names)")) {
		is_str(ask(&c, "sts enforce.example"), ENFORCE_REPLY,
		       "listed name sts served");
		is_str(ask(&c, "other enforce.example"),
		       "PERM unknown map name", "unlisted name refused");
		is_str(ask(&c, "postfix enforce.example"), ENFORCE_REPLY,
		       "connection stays usable after an unlisted name");
		is_str(ask(&c, "postfi enforce.example"),
		       "PERM unknown map name", "a prefix of a name is not it");
		cli_close(&c);
	}
	stop(&v);
}

static void
test_postfix_sts(void)
{
	char sock[128];
	struct srv v;
	struct cli c;

	if (!ok(start(&v, "sts.sock", NULL, true, 0, 0, 3000),
		"server with MapPostfixSTS"))
		return;
	path_of(sock, sizeof(sock), "sts.sock");
	if (cli_open(&c, sock) == 0) {
		const char *r = ask(&c, "postfix enforce.example");

		ok(strncmp(r,
			   ENFORCE_REPLY " policy_type=sts "
					 "policy_domain=enforce.example",
			   strlen(ENFORCE_REPLY) + 46) == 0 &&
			   strstr(r, " mx_host_pattern=*.mx.enforce.example") !=
				   NULL,
		   "Postfix 3.10 attributes added");
		cli_close(&c);
	}
	stop(&v);
}

static void
test_sockspec(void)
{
	static const struct {
		const char *spec;
		int want;
	} t[] = {
		{"inet:8461@127.0.0.1", 0},
		{"inet:8461", 0},
		{"inet6:8461@[::1]", 0},
		{"inet6:8461@::1", 0},
		{"unix:/run/mta-sts/map.sock", 0},
		{"local:/run/x.sock", 0},
		{"inet:@127.0.0.1", -1},
		{"inet:65536@127.0.0.1", -1},
		{"inet:84x1@127.0.0.1", -1},
		{"inet:8461@", -1},
		{"unix:relative.sock", -1},
		{"tcp:8461", -1},
		{"", -1},
	};
	char why[256], path[128];
	size_t i;
	int fd, fd2;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why[0] = '\0';
		is_int(sockspec_check(t[i].spec, why, sizeof(why)), t[i].want,
		       "sockspec_check \"%s\" %s", t[i].spec, why);
	}
	fd = sockspec_listen("inet:0@127.0.0.1", 0, why, sizeof(why));
	ok(fd >= 0, "listen on inet:0@127.0.0.1 (%s)", fd < 0 ? why : "ok");
	if (fd >= 0)
		close(fd);
	/* live unix socket: in use; stale: replaced; a plain file: refused */
	snprintf(path, sizeof(path), "unix:%s/spec.sock", dir);
	fd = sockspec_listen(path, 0600, why, sizeof(why));
	ok(fd >= 0, "listen on %s", path);
	fd2 = sockspec_listen(path, 0600, why, sizeof(why));
	ok(fd2 < 0 && strstr(why, "in use") != NULL, "live socket: %s", why);
	if (fd >= 0)
		close(fd);
	fd2 = sockspec_listen(path, 0600, why, sizeof(why));
	ok(fd2 >= 0, "stale socket replaced");
	if (fd2 >= 0) {
		struct stat st;

		ok(stat(path + 5, &st) == 0 && (st.st_mode & 0777) == 0600,
		   "unix socket mode 0600");
		close(fd2);
	}
	snprintf(path, sizeof(path), "%s/plain", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "unix:%s/plain", dir);
	fd = sockspec_listen(path, 0600, why, sizeof(why));
	ok(fd < 0 && strstr(why, "not a socket") != NULL,
	   "plain file not replaced: %s", why);
	unlink(path + 5);
}

/* mapd_new refuses bad specs and live sockets, and never unlinks a
 * socket it did not create. */
static void
test_new_errors(void)
{
	char spec[128], why[256] = "", path[128];
	struct mapd_conf conf;
	struct mapd *m;
	int fd;

	memset(&conf, 0, sizeof(conf));
	conf.socket = "tcp:8461";
	m = mapd_new(&conf, why, sizeof(why));
	ok(m == NULL && why[0] != '\0', "mapd_new: bad spec refused (%s)", why);
	mapd_free(m);
	snprintf(spec, sizeof(spec), "unix:%s/taken.sock", dir);
	fd = sockspec_listen(spec, 0600, why, sizeof(why));
	conf.socket = spec;
	why[0] = '\0';
	m = mapd_new(&conf, why, sizeof(why));
	ok(m == NULL && strstr(why, "in use") != NULL,
	   "mapd_new: live socket refused (%s)", why);
	mapd_free(m);
	path_of(path, sizeof(path), "taken.sock");
	ok(access(path, F_OK) == 0, "the other server's socket is still there");
	if (fd >= 0)
		close(fd);
	unlink(path);
}

int
main(void)
{
	char sock[128];
	struct srv v;

	log_init("t_protocol", true, LOG_WARNING);
	snprintf(dir, sizeof(dir), "/tmp/t_protocol.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_sockspec();
	test_new_errors();
	if (ok(start(&v, "map.sock", NULL, false, 0, 0, 3000), "server up")) {
		path_of(sock, sizeof(sock), "map.sock");
		test_answers(sock);
		test_pipelined(sock);
		test_split(sock);
		test_bad(sock);
		test_disconnects(sock);
		test_many(sock);
		test_rate(sock);
		stop(&v);
		ok(access(sock, F_OK) != 0, "mapd_free removed its socket");
	}
	test_slow();
	test_slow_after_idle();
	test_pending();
	test_names();
	test_postfix_sts();
	rmdir(dir);
	return tap_done();
}
