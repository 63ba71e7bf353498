/*
 * test_shared.c - the shared cache tier against a real redis-server
 * (started here on a unix socket in a temporary directory; no lab, no
 * root) and against fake servers that answer garbage, flood or stay
 * silent: the Redis client's reply handling (lib/net/sts_redis.c), and
 * two engines with scripted sources sharing one Redis (lib/engine/
 * sts_shared.c, sts_engine_shared.c): the second finds the first's
 * policy without a TXT query or fetch, a new id reaches it through the
 * announcement, and with Redis gone it answers from its own fetches,
 * says so, and writes what it fetched when Redis is back.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "scripted.h"
#include "sts_engine.h"
#include "sts_redis.h"
#include "sts_shared.h"
#include "sts_source.h"

#define PASS "fleet-test-pw"

static char dir[] = "/tmp/mts-shared-XXXXXX";
static char sock[256], url[300];
static pid_t redis_pid;

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
nap(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static bool
redis_start(void)
{
	struct sts_redis_url u;
	struct sts_redis *r = NULL;
	char why[STS_WHY_MAX];
	int i;

	redis_pid = fork();
	if (redis_pid == 0) {
		execlp("redis-server", "redis-server", "--port", "0",
		       "--unixsocket", sock, "--unixsocketperm", "700",
		       "--save", "", "--appendonly", "no", "--requirepass",
		       PASS, "--dir", dir, "--loglevel", "warning", (char *)0);
		_exit(127);
	}
	sts_redis_url_parse(url, &u, why, sizeof(why));
	snprintf(u.pass, sizeof(u.pass), "%s", PASS);
	for (i = 0; i < 100 && r == NULL; i++) {
		nap(50);
		r = sts_redis_connect(&u, 500, why, sizeof(why));
	}
	sts_redis_free(r);
	return i < 100;
}

static void
redis_stop(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGKILL);
		waitpid(redis_pid, NULL, 0);
		redis_pid = 0;
	}
}

/* --- fake servers: one connection each ------------------------------- */

struct fake {
	char path[100];
	const char *mode; /* "garbage", "flood", "silent" */
	int lfd;
};

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	char buf[4096];
	int fd = accept(f->lfd, NULL, NULL);
	long i;

	if (fd < 0)
		return NULL;
	(void)read(fd, buf, sizeof(buf));
	if (strcmp(f->mode, "garbage") == 0) {
		(void)write(fd, "HTTP/1.1 200 OK\r\n\r\n", 19);
	} else if (strcmp(f->mode, "flood") == 0) {
		(void)write(fd, "$100000000\r\n", 12);
		memset(buf, 'x', sizeof(buf));
		for (i = 0; i < 100000000 / (long)sizeof(buf); i++)
			if (write(fd, buf, sizeof(buf)) < 0)
				break;
	} else {
		nap(2000); /* silent */
	}
	close(fd);
	return NULL;
}

static bool
fake_start(struct fake *f, pthread_t *t, const char *mode)
{
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(f->path, sizeof(f->path), "%.40s/%.10s.sock", dir, mode);
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	f->mode = mode;
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (f->lfd < 0 ||
	    bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(f->lfd, 4) != 0)
		return false;
	return pthread_create(t, NULL, fake_main, f) == 0;
}

static void
fake_case(const char *mode, enum sts_status want, const char *text)
{
	struct fake f;
	pthread_t t;
	struct sts_redis_url u;
	struct sts_redis *r;
	struct timespec t0;
	char why[STS_WHY_MAX], buf[64], furl[320];
	size_t len;
	enum sts_status st;
	long ms;

	if (!fake_start(&f, &t, mode)) {
		ok(0, "fake %s server", mode);
		return;
	}
	snprintf(furl, sizeof(furl), "unix:%s", f.path);
	sts_redis_url_parse(furl, &u, why, sizeof(why));
	r = sts_redis_connect(&u, 300, why, sizeof(why));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = r != NULL ? sts_redis_get(r, 300, "k", buf, sizeof(buf), &len, why,
				       sizeof(why))
		       : STS_TEMPFAIL;
	ms = ms_since(&t0);
	ok(st == want && strstr(why, text) != NULL && sts_redis_broken(r),
	   "%s server: %s, \"%s\" (%s)", mode, sts_status_str(want), text, why);
	ok(ms < 700, "%s server: answered within the deadline (%ld ms)", mode,
	   ms);
	sts_redis_free(r);
	shutdown(f.lfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(f.lfd);
}

/* --- the client against a real server ---------------------------------- */

static void
client(void)
{
	struct sts_redis_url u;
	struct sts_redis *a, *b;
	char why[STS_WHY_MAX], bad[320], buf[64];
	size_t len;

	snprintf(bad, sizeof(bad), "unix:%s", sock);
	sts_redis_url_parse(bad, &u, why, sizeof(why));
	snprintf(u.pass, sizeof(u.pass), "wrong");
	a = sts_redis_connect(&u, 500, why, sizeof(why));
	ok(a == NULL && strstr(why, "WRONGPASS") != NULL,
	   "wrong password: a clear error (%s)", why);
	u.pass[0] = '\0';
	a = sts_redis_connect(&u, 500, why, sizeof(why));
	ok(a != NULL, "no password: connects (AUTH is not sent)");
	ok(a != NULL &&
		   sts_redis_get(a, 500, "k", buf, sizeof(buf), &len, why,
				 sizeof(why)) == STS_TEMPFAIL &&
		   strstr(why, "NOAUTH") != NULL,
	   "no password: commands refused clearly (%s)", why);
	sts_redis_free(a);

	sts_redis_url_parse(url, &u, why, sizeof(why));
	snprintf(u.pass, sizeof(u.pass), "%s", PASS);
	a = sts_redis_connect(&u, 500, why, sizeof(why));
	b = sts_redis_connect(&u, 500, why, sizeof(why));
	ok(a != NULL && b != NULL, "right password and db 2: connected (%s)",
	   why);
	if (a == NULL || b == NULL)
		return;
	is_int(sts_redis_get(a, 500, "t:none", buf, sizeof(buf), &len, why,
			     sizeof(why)),
	       STS_NOTFOUND, "GET of a missing key: NOTFOUND");
	is_int(sts_redis_set(a, 500, "t:k", "v1", 2, 10000, false, why,
			     sizeof(why)),
	       STS_OK, "SET PX");
	ok(sts_redis_get(a, 500, "t:k", buf, sizeof(buf), &len, why,
			 sizeof(why)) == STS_OK &&
		   len == 2 && memcmp(buf, "v1", 2) == 0,
	   "GET returns it");
	is_int(sts_redis_get(a, 500, "t:k", buf, 1, &len, why, sizeof(why)),
	       STS_INVALID, "a value longer than the caller's cap: INVALID");
	ok(!sts_redis_broken(a), "... and the connection stays usable");
	is_int(sts_redis_set(a, 500, "t:l", "tok1", 4, 10000, true, why,
			     sizeof(why)),
	       STS_OK, "SET NX of a free lock");
	is_int(sts_redis_set(b, 500, "t:l", "tok2", 4, 10000, true, why,
			     sizeof(why)),
	       STS_NOTFOUND, "SET NX of a taken lock: NOTFOUND");
	sts_redis_del_if(b, 500, "t:l", "tok2", why, sizeof(why));
	is_int(sts_redis_get(a, 500, "t:l", buf, sizeof(buf), &len, why,
			     sizeof(why)),
	       STS_OK, "del_if with another's token leaves the lock");
	sts_redis_del_if(a, 500, "t:l", "tok1", why, sizeof(why));
	is_int(sts_redis_get(a, 500, "t:l", buf, sizeof(buf), &len, why,
			     sizeof(why)),
	       STS_NOTFOUND, "del_if with our token removes it");
	is_int(sts_redis_subscribe(b, 500, "t:chan", why, sizeof(why)), STS_OK,
	       "SUBSCRIBE");
	is_int(sts_redis_message(b, 100, buf, sizeof(buf), why, sizeof(why)),
	       STS_NOTFOUND, "no message yet: NOTFOUND after the wait");
	is_int(sts_redis_publish(a, 500, "t:chan", "a.test", why, sizeof(why)),
	       STS_OK, "PUBLISH");
	ok(sts_redis_message(b, 1000, buf, sizeof(buf), why, sizeof(why)) ==
			   STS_OK &&
		   strcmp(buf, "a.test") == 0,
	   "the subscriber gets the message");
	sts_redis_free(a);
	sts_redis_free(b);
}

/* --- the tier against a refusing server ------------------------------------
 */

static char tier_events[2048];

static void
tier_event(void *arg, int lvl, const char *msg)
{
	(void)arg;
	(void)lvl;
	if (strlen(tier_events) + strlen(msg) + 2 < sizeof(tier_events)) {
		strcat(tier_events, msg);
		strcat(tier_events, "\n");
	}
}

static time_t
tier_now(void *arg)
{
	(void)arg;
	return 1764633600;
}

static int
cli(const char *args)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd),
		 "redis-cli -s '%s' -a '%s' --no-auth-warning %s >/dev/null",
		 sock, PASS, args);
	return system(cmd);
}

static void
refusals(void)
{
	struct sts_shared_conf sc;
	struct sts_shared *sh;
	struct sts_shared_stats ss;
	struct sts_shentry e, d;
	struct sts_policy *p = NULL;
	char why[STS_WHY_MAX];
	static const char pol[] = "version: STSv1\nmode: enforce\nmx: "
				  "mx.r.test\nmax_age: 86400\n";

	memset(&sc, 0, sizeof(sc));
	sc.url = url;
	sc.password = PASS;
	sc.timeout_ms = 300;
	sc.event = tier_event;
	sc.now = tier_now;
	sh = sts_shared_new(&sc, why, sizeof(why));
	ok(sh != NULL, "tier: started (%s)", why);
	if (sh == NULL)
		return;
	sts_policy_parse(pol, strlen(pol), &p, NULL, why, sizeof(why));
	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "r1");
	e.fetched = e.checked = 1764633600;
	e.policy = p;
	is_int(sts_shared_put(sh, "r.test", &e, 600), STS_OK, "tier: put");
	ok(sts_shared_get(sh, "r.test", &d, why, sizeof(why)) == STS_OK &&
		   strcmp(d.id, "r1") == 0,
	   "tier: get returns it");
	sts_shentry_clear(&d);
	/* OOM: writes refused, reads still answered, the tier stays up */
	ok(cli("config set maxmemory-policy noeviction") == 0 &&
		   cli("config set maxmemory 1") == 0,
	   "redis: maxmemory 1 (every write is OOM)");
	is_int(sts_shared_put(sh, "r2.test", &e, 600), STS_TEMPFAIL,
	       "OOM: the write is refused");
	ok(strstr(tier_events, "refused a command (redis: OOM") != NULL,
	   "OOM: a clear log line");
	ok(sts_shared_get(sh, "r.test", &d, why, sizeof(why)) == STS_OK,
	   "OOM: reads still work");
	sts_shentry_clear(&d);
	sts_shared_stats(sh, &ss);
	ok(ss.up, "OOM: the tier stays up");
	cli("config set maxmemory 0");
	/* a read-only replica (of a primary that does not exist) */
	ok(cli("replicaof 127.0.0.1 1") == 0, "redis: now a read-only replica");
	tier_events[0] = '\0';
	is_int(sts_shared_put(sh, "r3.test", &e, 600), STS_TEMPFAIL,
	       "READONLY: the write is refused");
	ok(sts_shared_get(sh, "r.test", &d, why, sizeof(why)) == STS_OK,
	   "READONLY: reads still work");
	sts_shentry_clear(&d);
	cli("replicaof no one");
	sts_shared_free(sh);
	sts_policy_free(p);
}

/* --- two engines, one Redis ---------------------------------------------- */

static time_t fake_now = 1764633600;

static time_t
clock_fn(void *arg)
{
	(void)arg;
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char events[8192];

static void
on_event(void *arg, enum sts_event_level lvl, const char *domain,
	 const char *msg)
{
	(void)arg;
	(void)lvl;
	(void)domain;
	pthread_mutex_lock(&ev_lock);
	if (strlen(events) + strlen(msg) + 2 < sizeof(events)) {
		strcat(events, msg);
		strcat(events, "\n");
	}
	pthread_mutex_unlock(&ev_lock);
}

static bool
saw(const char *text)
{
	bool r;

	pthread_mutex_lock(&ev_lock);
	r = strstr(events, text) != NULL;
	pthread_mutex_unlock(&ev_lock);
	return r;
}

static struct sts_engine *
mk(struct scripted *s, const char *u)
{
	struct sts_engine_conf c;
	struct sts_source src = scripted_source(s);
	char why[STS_WHY_MAX];
	struct sts_engine *e;

	sts_engine_conf_defaults(&c);
	c.workers = 2;
	c.recheck = 900;
	c.save_interval = 0;
	c.sweep_interval = 0;
	c.now = clock_fn;
	c.shared_cache = u;
	c.shared_password = PASS;
	c.shared_timeout_ms = 1000; /* roomy: a loaded CI machine (ASan) */
	c.event = on_event;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	if (e == NULL)
		printf("# engine: %s\n", why);
	return e;
}

#define POL(mode, age)                                                         \
	"version: STSv1\nmode: " mode "\nmx: mx.a.test\nmax_age: " age "\n"

static int
mode_of(struct sts_engine *e, const char *d, unsigned dl)
{
	struct sts_lookup l;
	int m = -1;

	sts_engine_lookup(e, d, dl, &l);
	if (l.status == STS_OK && l.policy != NULL)
		m = (int)l.policy->mode;
	sts_policy_free(l.policy);
	return m;
}

static void
engines(void)
{
	struct scripted *sa = scripted_new(), *sb = scripted_new();
	struct sts_engine *a, *b;
	struct sts_engine_stats st;
	struct sts_redis_url u;
	struct sts_redis *r;
	struct timespec t0;
	char why[STS_WHY_MAX], buf[STS_MAX_SHARED_ENTRY];
	size_t len;
	int i, m;
	long ms;

	for (i = 0; i < 2; i++) {
		struct scripted *s = i == 0 ? sa : sb;

		scripted_set(s, "a.test", STS_OK, "1", STS_OK,
			     POL("enforce", "86400"));
		scripted_set(s, "none.test", STS_NOTFOUND, NULL, STS_OK, NULL);
		scripted_set(s, "b.test", STS_OK, "7", STS_OK,
			     POL("testing", "86400"));
		scripted_mx(s, "a.test", STS_OK, STS_SRC_INSECURE, "mx.a.test",
			    false, false);
		scripted_mx(s, "b.test", STS_OK, STS_SRC_INSECURE, "mx.a.test",
			    false, false);
	}
	a = mk(sa, url);
	b = mk(sb, url);
	ok(a != NULL && b != NULL, "two engines on one Redis");
	if (a == NULL || b == NULL)
		return;
	is_int(mode_of(a, "a.test", 3000), STS_MODE_ENFORCE,
	       "A: cold lookup fetches the policy");
	sts_engine_idle_wait(a, 3000);
	is_int(mode_of(b, "a.test", 3000), STS_MODE_ENFORCE,
	       "B: the same domain, from the shared tier");
	if (!ok(scripted_discovers(sb, "a.test") == 0 &&
			scripted_fetches(sb, "a.test") == 0,
		"B made no TXT query and no fetch (%d, %d)",
		scripted_discovers(sb, "a.test"),
		scripted_fetches(sb, "a.test"))) {
		pthread_mutex_lock(&ev_lock);
		for (char *l = strtok(events, "\n"); l; l = strtok(NULL, "\n"))
			printf("#   event: %s\n", l);
		events[0] = '\0';
		pthread_mutex_unlock(&ev_lock);
	}
	is_int(scripted_discovers(sa, "a.test") +
		       scripted_fetches(sa, "a.test"),
	       2, "A made exactly one TXT query and one fetch");
	sts_engine_stats(b, &st);
	ok(st.shared_hits >= 1 && st.shared_up, "B: shared hit counted, up");
	mode_of(a, "none.test", 3000);
	sts_engine_idle_wait(a, 3000);
	mode_of(b, "none.test", 3000);
	is_int(scripted_discovers(sb, "none.test"), 0,
	       "B: a negative answer is shared too");

	/* a new id: A's recheck fetches it, B hears the announcement */
	scripted_set(sa, "a.test", STS_OK, "2", STS_OK,
		     POL("testing", "86400"));
	scripted_set(sb, "a.test", STS_OK, "2", STS_OK,
		     POL("testing", "86400"));
	__atomic_add_fetch(&fake_now, 1000, __ATOMIC_SEQ_CST);
	mode_of(a, "a.test", 0); /* queues the recheck */
	sts_engine_idle_wait(a, 3000);
	is_int(mode_of(a, "a.test", 0), STS_MODE_TESTING, "A: new id fetched");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (m = -1; ms_since(&t0) < 3000 && m != STS_MODE_TESTING; nap(20))
		m = mode_of(b, "a.test", 0);
	ms = ms_since(&t0);
	is_int(m, STS_MODE_TESTING, "B: answers the new policy (%ld ms)", ms);
	is_int(scripted_fetches(sb, "a.test"), 0,
	       "B: still no fetch of its own");

	/* E3 through the fleet: the TXT record vanishes for B while an
	 * unexpired (but not fresh) policy is stored: B uses it, and the
	 * stored policy is not replaced by "no policy" */
	scripted_set(sa, "e3.test", STS_OK, "5", STS_OK,
		     POL("enforce", "86400"));
	scripted_set(sb, "e3.test", STS_NOTFOUND, NULL, STS_OK, NULL);
	scripted_mx(sa, "e3.test", STS_OK, STS_SRC_INSECURE, "mx.a.test", false,
		    false);
	scripted_mx(sb, "e3.test", STS_OK, STS_SRC_INSECURE, "mx.a.test", false,
		    false);
	is_int(mode_of(a, "e3.test", 3000), STS_MODE_ENFORCE,
	       "A: e3.test fetched");
	sts_engine_idle_wait(a, 3000);
	__atomic_add_fetch(&fake_now, 1000, __ATOMIC_SEQ_CST);
	is_int(mode_of(b, "e3.test", 3000), STS_MODE_ENFORCE,
	       "E3: B's TXT record vanished, the fleet's policy is used");
	/* B may already hold the policy from A's announcement: then it
	 * answered from its own tier and the re-check of the stale entry
	 * runs in the background; wait for it before counting */
	sts_engine_idle_wait(b, 3000);
	is_int(scripted_discovers(sb, "e3.test"), 1,
	       "E3: B queried the TXT record (the entry was not fresh)");
	sts_redis_url_parse(url, &u, why, sizeof(why));
	snprintf(u.pass, sizeof(u.pass), "%s", PASS);
	r = sts_redis_connect(&u, 500, why, sizeof(why));
	{
		struct sts_shentry se;

		memset(&se, 0, sizeof(se));
		ok(r != NULL &&
			   sts_redis_get(r, 500, "mta-sts:p:e3.test", buf,
					 sizeof(buf), &len, why,
					 sizeof(why)) == STS_OK &&
			   sts_shentry_decode(buf, len, fake_now, &se, why,
					      sizeof(why)) == STS_OK &&
			   !se.none,
		   "E3: the stored policy is not replaced by \"no policy\"");
		sts_shentry_clear(&se);
	}
	sts_redis_free(r);

	/* Redis gone: B answers from its own fetch within the deadline */
	redis_stop();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = mode_of(b, "b.test", 3000);
	ms = ms_since(&t0);
	ok(m == STS_MODE_TESTING && ms < 1500,
	   "Redis down: B fetches itself and answers (%ld ms)", ms);
	is_int(scripted_fetches(sb, "b.test"), 1, "... with one fetch");
	is_int(mode_of(a, "a.test", 0), STS_MODE_TESTING,
	       "Redis down: warm lookups still answer");
	nap(300);
	ok(saw("shared cache unavailable"), "the event says Redis is down");
	sts_engine_stats(b, &st);
	ok(!st.shared_up && st.shared_errors > 0, "stats: down, errors");

	/* back: B writes what it fetched meanwhile */
	ok(redis_start(), "redis-server restarted");
	sts_redis_url_parse(url, &u, why, sizeof(why));
	snprintf(u.pass, sizeof(u.pass), "%s", PASS);
	r = sts_redis_connect(&u, 500, why, sizeof(why));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (r != NULL && ms_since(&t0) < 8000 &&
	       sts_redis_get(r, 500, "mta-sts:p:b.test", buf, sizeof(buf), &len,
			     why, sizeof(why)) != STS_OK)
		nap(100);
	ok(r != NULL && ms_since(&t0) < 8000,
	   "Redis back: the policy B fetched meanwhile is written (%ld ms)",
	   ms_since(&t0));
	sts_redis_free(r);
	/* A reconnects on its own back-off (1 s doubling, at most 30 s) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		nap(100);
		sts_engine_stats(a, &st);
	} while (!st.shared_up && ms_since(&t0) < 10000);
	ok(st.shared_up, "A: reconnected (%ld ms)", ms_since(&t0));
	is_int(mode_of(a, "b.test", 3000), STS_MODE_TESTING,
	       "A: finds it in the shared tier");
	is_int(scripted_fetches(sa, "b.test"), 0, "A: without a fetch");
	ok(saw("shared cache connected"), "the event says Redis is back");

	sts_engine_free(a);
	sts_engine_free(b);
	scripted_free(sa);
	scripted_free(sb);
}

int
main(void)
{
	char cmd[400];

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL) {
		ok(0, "temporary directory");
		return tap_done();
	}
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	snprintf(url, sizeof(url), "unix:%s?db=2", sock);
	if (!ok(redis_start(), "redis-server started (tests/install-deps)")) {
		redis_stop();
		return tap_done();
	}
	client();
	fake_case("garbage", STS_INVALID, "protocol error");
	fake_case("flood", STS_INVALID, "size cap");
	fake_case("silent", STS_TEMPFAIL, "timed out");
	refusals();
	engines();
	redis_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
