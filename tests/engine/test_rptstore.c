/*
 * tests/engine/test_rptstore.c - the TLS-report journal
 * (lib/engine/sts_rptstore.h): persistence across reopen, a torn last
 * line (a crash mid-write), a foreign line, kill -9 of a writer (what
 * was flushed survives, the file still opens), drop and due.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sts_rptline.h"
#include "sts_rptstore.h"
#include "../tap.h"

static char dir[] = "/tmp/test_rptstore.XXXXXX";
static char path[256];

static struct sts_rpt_policy
one(int fail)
{
	static struct sts_rpt_failure f = {STS_RPT_CERTIFICATE_EXPIRED,
					   NULL,
					   "mx.a.example",
					   NULL,
					   NULL,
					   NULL,
					   NULL,
					   1};
	struct sts_rpt_policy p;

	memset(&p, 0, sizeof(p));
	p.type = STS_RPT_PT_STS;
	if (fail) {
		p.failure = 1;
		p.fail = &f;
		p.n_fail = 1;
	} else
		p.success = 1;
	return p;
}

static uint64_t
count(struct sts_rptstore *s, int64_t day, const char *domain, int fail)
{
	/* Through the report, as a consumer sees it. */
	struct sts_rptmeta m = {"o", "c@x.example", "id"};
	char *json = NULL, *p;
	uint64_t n = 0;
	const char *key = fail ? "\"total-failure-session-count\":"
			       : "\"total-successful-session-count\":";

	if (sts_rptstore_report(s, day, domain, &m, false, &json) != STS_OK)
		return 0;
	p = strstr(json, key);
	if (p != NULL)
		n = strtoull(p + strlen(key), NULL, 10);
	free(json);
	return n;
}

static void
append_raw(const char *text)
{
	FILE *f = fopen(path, "a");

	fputs(text, f);
	fclose(f);
}

int
main(void)
{
	struct sts_rptstore *s = NULL;
	struct sts_rptstore_stats st;
	struct sts_rpt_policy p;
	char why[256] = "";
	int64_t days[8];
	char *domains[8];
	size_t n;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/tlsrpt.journal", dir);

	ok(sts_rptstore_open(path, true, 0, 0, &s, why, sizeof(why)) ==
			   STS_NOTFOUND &&
		   s == NULL,
	   "read-only open of a missing journal: notfound");
	why[0] = '\0';
	ok(sts_rptstore_open(path, false, 0, 0, &s, why, sizeof(why)) == STS_OK,
	   "open creates the journal (%s)", why);
	p = one(0);
	for (int i = 0; i < 5; i++)
		sts_rptstore_add(s, 20789, "a.example", &p, why, sizeof(why));
	p = one(1);
	sts_rptstore_add(s, 20789, "a.example", &p, why, sizeof(why));
	sts_rptstore_add(s, 20790, "b.example", &p, why, sizeof(why));
	ok(sts_rptstore_flush(s, why, sizeof(why)) == STS_OK, "flush");
	p = one(0);
	sts_rptstore_add(s, 20789, "a.example", &p, why, sizeof(why));
	ok(sts_rptstore_flush(s, why, sizeof(why)) == STS_OK,
	   "second flush appends");
	sts_rptstore_free(s);

	ok(sts_rptstore_open(path, false, 0, 0, &s, why, sizeof(why)) == STS_OK,
	   "reopen");
	ok(count(s, 20789, "a.example", 0) == 6 &&
		   count(s, 20789, "a.example", 1) == 1,
	   "counts survive a restart (6 ok, 1 failed)");
	sts_rptstore_free(s);

	/* A crash in the middle of a write: a torn last line. */
	append_raw("{\"day\":\"2026-12-02\",\"d\":\"a.example\",\"pt\":\"sts\","
		   "\"s\":100");
	ok(sts_rptstore_open(path, false, 0, 0, &s, why, sizeof(why)) == STS_OK,
	   "open after a torn last line");
	sts_rptstore_stats(s, &st);
	ok(st.bad_lines == 1 && count(s, 20789, "a.example", 0) == 6,
	   "torn line ignored and counted, earlier counts intact");
	p = one(0);
	sts_rptstore_add(s, 20789, "a.example", &p, why, sizeof(why));
	sts_rptstore_flush(s, why, sizeof(why));
	sts_rptstore_free(s);
	sts_rptstore_open(path, false, 0, 0, &s, why, sizeof(why));
	sts_rptstore_stats(s, &st);
	ok(st.bad_lines == 0 && count(s, 20789, "a.example", 0) == 7,
	   "the torn tail was compacted away; a later append is whole");
	sts_rptstore_free(s);

	append_raw("garbage that is not JSON\n");
	sts_rptstore_open(path, false, 0, 0, &s, why, sizeof(why));
	sts_rptstore_stats(s, &st);
	ok(st.bad_lines == 1 && count(s, 20789, "a.example", 0) == 7 &&
		   count(s, 20790, "b.example", 1) == 1,
	   "a foreign line is skipped and counted");

	/* due / drop */
	n = sts_rptstore_due(s, 20790, 8, days, domains);
	ok(n == 1 && days[0] == 20789 && strcmp(domains[0], "a.example") == 0,
	   "due before 20790: only (2026-12-02, a.example)");
	for (size_t i = 0; i < n; i++)
		free(domains[i]);
	ok(sts_rptstore_drop(s, 20789, "a.example", why, sizeof(why)) ==
			   STS_OK &&
		   count(s, 20789, "a.example", 0) == 0,
	   "drop forgets the sent report");
	ok(sts_rptstore_flush(s, why, sizeof(why)) == STS_OK,
	   "flush after a drop (rewrites the file)");
	{
		struct sts_rptstore *ro = NULL;
		sts_rptstore_open(path, true, 0, 0, &ro, why, sizeof(why));
		ok(ro && count(ro, 20789, "a.example", 0) == 0 &&
			   count(ro, 20790, "b.example", 1) == 1,
		   "the drop is on disk after the flush");
		sts_rptstore_free(ro);
	}
	sts_rptstore_free(s);

	/* kill -9 of a writer that flushes every 20 adds. */
	{
		int pfd[2];
		pid_t pid;
		uint64_t flushed = 0, got;
		int status;

		if (pipe(pfd) != 0)
			return 1;
		pid = fork();
		if (pid == 0) {
			struct sts_rptstore *w = NULL;
			uint64_t k = 0;
			close(pfd[0]);
			if (sts_rptstore_open(path, false, 0, 0, &w, why,
					      sizeof(why)) != STS_OK)
				_exit(1);
			p = one(0);
			for (;;) {
				sts_rptstore_add(w, 20791, "k.example", &p, why,
						 sizeof(why));
				if (++k % 20 == 0) {
					sts_rptstore_flush(w, why, sizeof(why));
					if (write(pfd[1], &k, sizeof(k)) < 0)
						_exit(1);
				}
			}
		}
		close(pfd[1]);
		for (int i = 0; i < 30; i++)
			if (read(pfd[0], &flushed, sizeof(flushed)) !=
			    sizeof(flushed))
				break;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		while (read(pfd[0], &got, sizeof(got)) == sizeof(got))
			flushed = got;
		close(pfd[0]);
		why[0] = '\0';
		ok(sts_rptstore_open(path, false, 0, 0, &s, why, sizeof(why)) ==
			   STS_OK,
		   "journal opens after kill -9 of its writer (%s)", why);
		got = count(s, 20791, "k.example", 0);
		ok(got >= flushed && got % 20 == 0,
		   "every flushed count survived kill -9 (%llu flushed, "
		   "%llu on disk)",
		   (unsigned long long)flushed, (unsigned long long)got);
		sts_rptstore_free(s);
	}

	unlink(path);
	rmdir(dir);
	return tap_done();
}
