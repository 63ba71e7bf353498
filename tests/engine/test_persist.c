/*
 * test_persist.c - the state file: round trips, mode 0600, expired
 * entries, every corrupt-file case (garbage, empty, wrong format,
 * unknown version, bad lines of every kind, truncation, overlong
 * lines), unwritable directory, the engine keeping its cache across a
 * restart (E6), and the load/save speed and memory per entry with
 * ENGINE_BENCH_N entries (default 100000; run with 1000000 in a build
 * without sanitizers for the 1M figure).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "scripted.h"
#include "sts_cache.h"
#include "sts_engine.h"
#include "sts_persist.h"

static time_t fake_now = 1700000000;

static time_t
clock_fn(void *arg)
{
	(void)arg;
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

static char dir[] = "/tmp/engine-persist-XXXXXX";
static char path[512];
static int warnings;

static void
warn_fn(void *arg, const char *msg)
{
	(void)arg;
	warnings++;
	printf("# warn: %s\n", msg);
}

static struct sts_cache *
cache(void)
{
	struct sts_cache_conf cc;

	memset(&cc, 0, sizeof(cc));
	cc.max = 10000000;
	cc.negative_ttl = 60;
	cc.now = clock_fn;
	return sts_cache_new(&cc);
}

static void
put(struct sts_cache *c, const char *d, const char *id, enum sts_mode m,
    uint32_t age, time_t fetched, const char *mx1, const char *mx2)
{
	const char *mx[2] = {mx1, mx2};
	struct sts_cache_record r = {
		d, id, m, age, fetched, fetched + age, mx2 ? 2 : mx1 ? 1 : 0,
		mx};

	sts_cache_insert(c, &r);
}

/* collect "domain id mode age fetched mx..." lines, sorted */
struct coll {
	char line[16][256];
	int n;
};

static void
coll_fn(void *arg, const struct sts_cache_record *r)
{
	struct coll *c = arg;
	size_t i, off;

	if (c->n >= 16)
		return;
	off = (size_t)snprintf(c->line[c->n], 256, "%s %s %s %u %lld",
			       r->domain, r->id, sts_mode_str(r->mode),
			       r->max_age, (long long)r->fetched_at);
	for (i = 0; i < r->n_mx && off < 256; i++)
		off += (size_t)snprintf(c->line[c->n] + off, 256 - off, " %s",
					r->mx[i]);
	c->n++;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
dump(struct sts_cache *c, struct coll *out)
{
	memset(out, 0, sizeof(*out));
	sts_cache_foreach(c, coll_fn, NULL, out);
	qsort(out->line, (size_t)out->n, sizeof(out->line[0]), cmp);
}

static void
write_file(const char *p, const char *text, size_t len)
{
	FILE *f = fopen(p, "w");

	fwrite(text, 1, len, f);
	fclose(f);
}

static bool
exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

#define HDR "{\"format\":\"mta-sts-milter-state\",\"version\":1,\"saved\":1}\n"

static void
roundtrip(void)
{
	struct sts_cache *a = cache(), *b = cache();
	struct coll ca, cb;
	struct sts_persist_report rep;
	struct stat st;
	char why[STS_WHY_MAX];
	size_t n = 0;
	DIR *d;
	struct dirent *de;
	int others = 0;

	put(a, "a.test", "20260101", STS_MODE_ENFORCE, 86400, fake_now - 10,
	    "mx1.a.test", "*.a.test");
	put(a, "b.test", "1", STS_MODE_TESTING, 604800, fake_now - 100,
	    "mx.b.test", NULL);
	put(a, "c.test", "x9", STS_MODE_NONE, 3600, fake_now, NULL, NULL);
	put(a, "old.test", "1", STS_MODE_ENFORCE, 60, fake_now - 61,
	    "mx.old.test", NULL); /* already expired: not inserted */
	ok(sts_persist_save(a, path, &n, why, sizeof(why)) == STS_OK,
	   "save (%s)", why);
	is_int((long long)n, 3, "3 policies saved");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "state file mode 0600");
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "state") != 0)
			others++;
	if (d != NULL)
		closedir(d);
	is_int(others, 0, "no temporary file left behind");
	ok(sts_persist_load(b, path, &rep, warn_fn, NULL, why, sizeof(why)) ==
		   STS_OK,
	   "load (%s)", why);
	is_int((long long)rep.loaded, 3, "3 loaded");
	is_int((long long)rep.dropped, 0, "none dropped");
	ok(!rep.moved_aside && exists(path), "good file stays in place");
	dump(a, &ca);
	dump(b, &cb);
	ok(ca.n == 3 && cb.n == 3 &&
		   memcmp(ca.line, cb.line, sizeof(ca.line)) == 0,
	   "round trip: identical entries");
	is_str(cb.line[0],
	       "a.test 20260101 enforce 86400 1699999990 "
	       "mx1.a.test *.a.test",
	       "entry content");
	/* expiry between save and load */
	sts_cache_free(b);
	b = cache();
	fake_now += 3601;
	sts_persist_load(b, path, &rep, warn_fn, NULL, why, sizeof(why));
	ok(rep.loaded == 2 && rep.expired == 1,
	   "expired by load time: skipped (%s)", why);
	fake_now -= 3601;
	sts_cache_free(a);
	sts_cache_free(b);
}

static void
corrupt_whole(const char *name, const char *text)
{
	struct sts_cache *c = cache();
	struct sts_persist_report rep;
	char why[STS_WHY_MAX], bad[600];

	snprintf(bad, sizeof(bad), "%s.bad", path);
	unlink(bad);
	write_file(path, text, strlen(text));
	ok(sts_persist_load(c, path, &rep, warn_fn, NULL, why, sizeof(why)) ==
			   STS_INVALID &&
		   rep.loaded == 0,
	   "%s: whole file refused (%s)", name, why);
	ok(rep.moved_aside && exists(bad) && !exists(path),
	   "%s: moved aside to .bad", name);
	sts_cache_free(c);
}

static void
corrupt(void)
{
	struct sts_cache *c;
	struct sts_persist_report rep;
	char why[STS_WHY_MAX], bad[600], *big;
	size_t len;
	static const char lines[] = HDR
		"{\"d\":\"good1.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"mx.good1."
		"test\"]}\n"
		"[1,2,3]\n"
		"{\"d\":5,\"id\":\"1\",\"mode\":\"enforce\",\"max_age\":86400,"
		"\"fetched\":1700000000,\"mx\":[\"mx.x.test\"]}\n"
		"{\"d\":\"bad id.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}"
		"\n"
		"{\"d\":\"x1.test\",\"id\":\"2016-08-31\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}"
		"\n"
		"{\"d\":\"x2.test\",\"id\":\"1\",\"mode\":\"ENFORCE\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}"
		"\n"
		"{\"d\":\"x3.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":31557601,\"fetched\":1700000000,\"mx\":[\"a."
		"test\"]}"
		"\n"
		"{\"d\":\"x4.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":\"86400\",\"fetched\":1700000000,\"mx\":[\"a."
		"test\"]}"
		"\n"
		"{\"d\":\"x5.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"*.*.a."
		"test\"]}"
		"\n"
		"{\"d\":\"x6.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":\"a.test\"}\n"
		"{\"d\":\"x7.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[]}\n"
		"{\"d\":\"x8.test\",\"mode\":\"enforce\"}\n"
		"\x01\x02\xff garbage\n"
		"\n"
		"{\"d\":\"x9.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":9999999999,\"mx\":[\"a.test\"]}"
		"\n"
		"{\"d\":\"good2.test\",\"id\":\"2\",\"mode\":\"none\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[]}\n"
		"{\"d\":\"trunc.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_";

	corrupt_whole("garbage", "\x7f"
				 "ELF\x01\x02");
	corrupt_whole("empty file", "");
	corrupt_whole("wrong format",
		      "{\"format\":\"something-else\",\"version\":1}\n");
	corrupt_whole("unknown version",
		      "{\"format\":\"mta-sts-milter-state\",\"version\":2}\n"
		      "{\"d\":\"a.test\"}\n");
	corrupt_whole("header wrong type", "[\"mta-sts-milter-state\"]\n");

	/* bad lines: keep every good one, drop and report the others */
	c = cache();
	snprintf(bad, sizeof(bad), "%s.bad", path);
	unlink(bad);
	write_file(path, lines, sizeof(lines) - 1);
	warnings = 0;
	ok(sts_persist_load(c, path, &rep, warn_fn, NULL, why, sizeof(why)) ==
		   STS_OK,
	   "mixed file loads (%s)", why);
	is_int((long long)rep.loaded, 2, "both good entries kept");
	is_int((long long)rep.dropped, 14, "every bad line dropped");
	is_int(warnings, STS_PERSIST_MAX_WARN, "warnings capped");
	ok(rep.moved_aside && exists(bad), "damaged file kept as .bad");
	sts_cache_free(c);

	/* an overlong line is dropped, the next one still read */
	len = STS_PERSIST_MAX_LINE + 100;
	big = malloc(sizeof(HDR) + len + 200);
	memcpy(big, HDR, sizeof(HDR) - 1);
	memset(big + sizeof(HDR) - 1, 'x', len);
	big[sizeof(HDR) - 1 + len] = '\n';
	snprintf(big + sizeof(HDR) + len, 200, "%s",
		 "{\"d\":\"after.test\",\"id\":\"1\",\"mode\":\"testing\","
		 "\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}"
		 "\n");
	write_file(path, big, strlen(big));
	free(big);
	c = cache();
	sts_persist_load(c, path, &rep, NULL, NULL, why, sizeof(why));
	ok(rep.loaded == 1 && rep.dropped == 1,
	   "overlong line dropped, next kept (%s)", why);
	sts_cache_free(c);

	/* header only: fine, nothing moved */
	write_file(path, HDR, sizeof(HDR) - 1);
	c = cache();
	ok(sts_persist_load(c, path, &rep, NULL, NULL, why, sizeof(why)) ==
			   STS_OK &&
		   rep.loaded == 0 && !rep.moved_aside,
	   "header only: empty cache, file kept");
	sts_cache_free(c);

	c = cache();
	ok(sts_persist_load(c, "/nonexistent/state", &rep, NULL, NULL, why,
			    sizeof(why)) == STS_NOTFOUND,
	   "missing file: NOTFOUND");
	ok(sts_persist_save(c, "/nonexistent/dir/state", NULL, why,
			    sizeof(why)) == STS_TEMPFAIL &&
		   strstr(why, "/nonexistent/dir/state") != NULL,
	   "unwritable directory: TEMPFAIL with reason (%s)", why);
	sts_cache_free(c);
}

/* E6: an engine restart keeps its policies; a failing save is reported
 * and the engine keeps serving. */
static int events;

static void
ev_fn(void *arg, enum sts_event_level lvl, const char *domain, const char *msg)
{
	(void)arg;
	(void)domain;
	if (lvl >= STS_EV_ERROR)
		events++;
	printf("# event %d: %s\n", (int)lvl, msg);
}

static void
restart(void)
{
	struct scripted *s = scripted_new();
	struct sts_source src = scripted_source(s);
	struct sts_engine_conf c;
	struct sts_engine *e;
	struct sts_answer a;
	struct sts_engine_stats st;
	char why[STS_WHY_MAX];

	unlink(path);
	scripted_set(s, "keep.test", STS_OK, "1", STS_OK,
		     "version: STSv1\nmode: enforce\nmx: mx.keep.test\n"
		     "max_age: 86400\n");
	sts_engine_conf_defaults(&c);
	c.workers = 1;
	c.save_interval = 0;
	c.sweep_interval = 0;
	c.state_file = path;
	c.now = clock_fn;
	c.event = ev_fn;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	sts_engine_check(e, "keep.test", NULL, 3000, &a);
	is_str(sts_reason_str(a.reason), "satisfied", "first run: fetched");
	sts_engine_free(e); /* saves */
	ok(exists(path), "state saved at shutdown");

	/* the policy host is gone now: the restart must still enforce */
	scripted_set(s, "keep.test", STS_TEMPFAIL, NULL, STS_TEMPFAIL, NULL);
	e = sts_engine_new(&c, &src, why, sizeof(why));
	sts_engine_check(e, "keep.test", NULL, 1000, &a);
	ok(a.reason == STS_REASON_SATISFIED && a.mode == STS_MODE_ENFORCE,
	   "after restart: policy from the state file (E6)");
	sts_engine_stats(e, &st);
	ok(st.hits == 1 && scripted_discovers(s, "keep.test") == 1,
	   "after restart: a hit, no discovery");
	sts_engine_free(e);

	/* periodic save by the maintenance thread */
	unlink(path);
	c.save_interval = 1;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	sts_engine_check(e, "keep.test", NULL, 1000, &a);
	for (int i = 0; i < 40 && !exists(path); i++)
		usleep(100000);
	ok(exists(path), "saved periodically (save_interval 1 s)");
	sts_engine_free(e);
	c.save_interval = 0;

	c.state_file = "/nonexistent/dir/state";
	events = 0;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	ok(e != NULL, "engine starts with an unwritable state directory");
	ok(sts_engine_save(e, why, sizeof(why)) == STS_TEMPFAIL && events == 1,
	   "failed save reported through the event callback");
	sts_engine_check(e, "keep.test", NULL, 3000, &a);
	ok(a.verdict == STS_VERDICT_TAG, "and keeps serving");
	sts_engine_free(e);
	scripted_free(s);
}

static double
secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static long
rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void
speed(void)
{
	const char *env = getenv("ENGINE_BENCH_N");
	long n = env ? strtol(env, NULL, 10) : 100000;
	struct sts_cache *a, *b;
	struct sts_persist_report rep;
	struct timespec t0, t1, t2, t3;
	char d[64], mx1[80], mx2[80], why[STS_WHY_MAX];
	size_t saved = 0;
	long i, r0, r1;
	struct stat st;

	if (n <= 0)
		n = 100000;
	a = cache();
	r0 = rss_kib();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		snprintf(d, sizeof(d), "domain%ld.example", i);
		snprintf(mx1, sizeof(mx1), "mx1.domain%ld.example", i);
		snprintf(mx2, sizeof(mx2), "*.mail.domain%ld.example", i);
		put(a, d, "20260101T000000", STS_MODE_ENFORCE, 604800,
		    fake_now - (i % 1000), mx1, mx2);
	}
	r1 = rss_kib();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(sts_persist_save(a, path, &saved, why, sizeof(why)) == STS_OK &&
		   (long)saved == n,
	   "save %ld entries", n);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	b = cache();
	ok(sts_persist_load(b, path, &rep, NULL, NULL, why, sizeof(why)) ==
			   STS_OK &&
		   (long)rep.loaded == n,
	   "load %ld entries (%s)", n, why);
	clock_gettime(CLOCK_MONOTONIC, &t3);
	stat(path, &st);
	tap_diag("BENCH n=%ld insert=%.3fs save=%.3fs load=%.3fs file=%lld "
		 "bytes (%.0f B/entry) rss=%.0f B/entry (2 mx, incl. table)",
		 n, secs(&t0, &t1), secs(&t1, &t2), secs(&t2, &t3),
		 (long long)st.st_size, (double)st.st_size / (double)n,
		 (double)(r1 - r0) * 1024.0 / (double)n);
	/* generous bound: sanitizer builds are several times slower */
	ok(secs(&t2, &t3) < 30.0 * (double)n / 100000.0,
	   "load time within bound");
	sts_cache_free(a);
	sts_cache_free(b);
}

/* Lines at the edge of the loader's fast path (our exact format) and its
 * cJSON path: each is judged as the rules say, whichever path takes it. */
#define L(d, id, mode, mx)                                                     \
	"{\"d\":\"" d "\",\"id\":\"" id "\",\"mode\":\"" mode                  \
	"\",\"max_age\":86400,\"fetched\":1700000000,\"mx\":[" mx "]}\n"
#define LABEL63                                                                \
	"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"
static const struct {
	const char *name, *line;
	bool loaded;
} edge[] = {
	{"plain", L("p.test", "1", "enforce", "\"mx.p.test\""), true},
	{"wildcard mx", L("w.test", "1", "testing", "\"*.w.test\""), true},
	{"two mx", L("t.test", "1", "enforce", "\"a.t.test\",\"b.t.test\""),
	 true},
	{"63-octet label", L(LABEL63 ".test", "1", "enforce", "\"a.test\""),
	 true},
	{"64-octet label", L(LABEL63 "d.test", "1", "enforce", "\"a.test\""),
	 false},
	{"trailing dot", L("td.test.", "1", "enforce", "\"a.test\""), false},
	{"upper case domain", L("UC.test", "1", "enforce", "\"a.test\""),
	 false},
	{"all-digit last label", L("a.123", "1", "enforce", "\"a.test\""),
	 false},
	{"leading hyphen", L("-h.test", "1", "enforce", "\"a.test\""), false},
	{"empty label", L("e..test", "1", "enforce", "\"a.test\""), false},
	{"32-char id",
	 L("i.test", "abcdefghijabcdefghijabcdefghijAB", "enforce",
	   "\"a.test\""),
	 true},
	{"33-char id",
	 L("j.test", "abcdefghijabcdefghijabcdefghijABC", "enforce",
	   "\"a.test\""),
	 false},
	{"empty id", L("k.test", "", "enforce", "\"a.test\""), false},
	{"lone * mx", L("s.test", "1", "enforce", "\"*\""), false},
	{"*. mx", L("s2.test", "1", "enforce", "\"*.\""), false},
	{"mx with a trailing dot", L("s3.test", "1", "enforce", "\"a.test.\""),
	 false},
	{"upper-case mx (lowered by the pattern check)",
	 L("s4.test", "1", "enforce", "\"MX.s4.test\""), true},
	{"escaped domain (cJSON path)",
	 L("\\u0065sc.test", "1", "enforce", "\"a.test\""), true},
	{"spaces (cJSON path)",
	 "{ \"d\": \"sp.test\", \"id\": \"1\", \"mode\": \"enforce\", "
	 "\"max_age\": 86400, \"fetched\": 1700000000, \"mx\": [\"a.test\"] "
	 "}\n",
	 true},
	{"keys in another order (cJSON path)",
	 "{\"id\":\"1\",\"d\":\"ko.test\",\"mode\":\"enforce\","
	 "\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}\n",
	 true},
	{"negative fetched",
	 "{\"d\":\"n.test\",\"id\":\"1\",\"mode\":\"enforce\","
	 "\"max_age\":86400,\"fetched\":-1,\"mx\":[\"a.test\"]}\n",
	 false},
	{"huge max_age",
	 "{\"d\":\"m.test\",\"id\":\"1\",\"mode\":\"enforce\","
	 "\"max_age\":99999999999999999999999,\"fetched\":1700000000,"
	 "\"mx\":[\"a.test\"]}\n",
	 false},
	{"no newline at the end",
	 "{\"d\":\"nl.test\",\"id\":\"1\",\"mode\":\"enforce\","
	 "\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}",
	 true},
};

static void
edges(void)
{
	struct sts_cache *c;
	struct sts_persist_report rep;
	char why[STS_WHY_MAX], buf[1024];
	size_t i;
	int n;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		n = snprintf(buf, sizeof(buf), "%s%s", HDR, edge[i].line);
		write_file(path, buf, (size_t)n);
		c = cache();
		sts_persist_load(c, path, &rep, NULL, NULL, why, sizeof(why));
		ok(rep.loaded == (edge[i].loaded ? 1u : 0u) &&
			   rep.dropped == (edge[i].loaded ? 0u : 1u),
		   "line %s: %s (%s)", edge[i].name,
		   edge[i].loaded ? "loaded" : "dropped", why);
		sts_cache_free(c);
	}
}

/*
 * Issue [harden] 6: a line with a NUL byte -- at its start or inside --
 * is one bad line: dropped, counted, and the lines after it load (it
 * used to end the load, and the next save lost them for good).
 */
static void
nul_lines(void)
{
	static const char good1[] =
		"{\"d\":\"n1.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}"
		"\n";
	static const char good2[] =
		"{\"d\":\"n2.test\",\"id\":\"1\",\"mode\":\"enforce\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}"
		"\n";
	static const char good3[] =
		"{\"d\":\"n3.test\",\"id\":\"1\",\"mode\":\"testing\","
		"\"max_age\":86400,\"fetched\":1700000000,\"mx\":[\"a.test\"]}"
		"\n";
	char buf[2048], why[STS_WHY_MAX], bad[600];
	struct sts_persist_report rep;
	struct coll co;
	struct sts_cache *c = cache();
	size_t n = 0;

#define ADD(p, len)                                                            \
	do {                                                                   \
		memcpy(buf + n, p, len);                                       \
		n += len;                                                      \
	} while (0)
	ADD(HDR, strlen(HDR));
	ADD(good1, strlen(good1));
	ADD("\0{\"d\":\"z.test\"}\n",
	    sizeof("\0{\"d\":\"z.test\"}\n") - 1); /* NUL first */
	ADD(good2, strlen(good2));
	ADD("{\"d\":\"y\0.test\"}\n",
	    sizeof("{\"d\":\"y\0.test\"}\n") - 1); /* NUL inside */
	ADD("\0\0\0\n", 4);			   /* only NULs */
	ADD(good3, strlen(good3) - 1);		   /* no final newline */
#undef ADD
	snprintf(bad, sizeof(bad), "%s.bad", path);
	unlink(bad);
	write_file(path, buf, n);
	warnings = 0;
	ok(sts_persist_load(c, path, &rep, warn_fn, NULL, why, sizeof(why)) ==
		   STS_OK,
	   "NUL lines: load goes on (%s)", why);
	is_int((int)rep.loaded, 3,
	       "NUL lines: the 3 good lines around them "
	       "are loaded");
	is_int((int)rep.dropped, 3, "NUL lines: each bad line counted");
	is_int(warnings, 3, "NUL lines: each reported");
	memset(&co, 0, sizeof(co));
	sts_cache_foreach(c, coll_fn, NULL, &co);
	qsort(co.line, (size_t)co.n, sizeof(co.line[0]), cmp);
	ok(co.n == 3 && strncmp(co.line[2], "n3.test 1 testing", 17) == 0,
	   "NUL lines: the last line, after them, is there (%s)",
	   co.n == 3 ? co.line[2] : "?");
	ok(rep.moved_aside && exists(bad), "NUL lines: file kept as .bad");
	sts_cache_free(c);
}

/* Issue [harden] 6: FILE.tmpXXXXXX left by a killed save is removed at
 * load; nothing else is touched. */
static void
orphans(void)
{
	char tmp[600], other[600], near[600], why[STS_WHY_MAX];
	struct sts_persist_report rep;
	struct sts_cache *c = cache();

	snprintf(tmp, sizeof(tmp), "%s.tmpAb12Cd", path);
	snprintf(near, sizeof(near), "%s.tmpAb12", path);
	snprintf(other, sizeof(other), "%s/other.tmpAb12Cd", dir);
	write_file(tmp, "x", 1);
	write_file(near, "x", 1);
	write_file(other, "x", 1);
	unlink(path);
	ok(sts_persist_load(c, path, &rep, warn_fn, NULL, why, sizeof(why)) ==
		   STS_NOTFOUND,
	   "orphans: no state file (%s)", why);
	is_int((int)rep.orphans, 1, "orphans: one removed");
	ok(!exists(tmp), "orphans: FILE.tmpXXXXXX removed");
	ok(exists(near) && exists(other),
	   "orphans: other names are left alone");
	unlink(near);
	unlink(other);
	sts_cache_free(c);
}

int
main(void)
{
	char bad[600];

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/state", dir);
	roundtrip();
	corrupt();
	nul_lines();
	orphans();
	edges();
	restart();
	speed();
	snprintf(bad, sizeof(bad), "%s.bad", path);
	unlink(path);
	unlink(bad);
	rmdir(dir);
	return tap_done();
}
