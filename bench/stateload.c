/*
 * bench/stateload.c - memory and start-up of the policy engine with a
 * large state file.
 *
 *   stateload -n ENTRIES [-d DIR] [-k] [-S]
 *
 * Writes DIR/state.jsonl with ENTRIES unexpired enforce policies in the
 * engine's state-file format (lib/engine/sts_persist.h: JSON Lines, a header
 * line then one object per policy), then times sts_engine_new() loading
 * it (what the daemon does at start-up), reads VmRSS, times
 * sts_engine_save() writing it back, and prints
 *   RESULT name=stateload n=.. loaded=.. rss_mib=.. base_rss_mib=..
 *          load_s=.. load_cpu_s=.. save_s=.. file_mib=..
 * load_cpu_s is the process's CPU time over the load: on a shared,
 * loaded machine it varies far less than the wall-clock load_s.
 * -k keeps the files; -S skips the save (to profile the load alone).
 * No network: the engine only starts its workers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "sts_engine.h"
#include "sts_source.h"

static double
rss_mib(void)
{
	char line[256];
	double kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtod(line + 6, NULL);
	fclose(f);
	return kb / 1024;
}

/* Policies like real ones: a unique domain, two mx patterns. */
static int
write_state(const char *path, unsigned long n)
{
	long long now = (long long)time(NULL);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f,
		"{\"format\":\"mta-sts-milter-state\",\"version\":1,"
		"\"saved\":%lld}\n",
		now);
	for (unsigned long i = 0; i < n; i++)
		fprintf(f,
			"{\"d\":\"d%lu.bench-example.com\",\"id\":"
			"\"20261128T%06lu\",\"mode\":\"enforce\","
			"\"max_age\":604800,\"fetched\":%lld,\"mx\":["
			"\"mx1.d%lu.bench-example.com\",\"*.mail-%lu.example."
			"net\"]}\n",
			i, i % 1000000, now - 60 - (long long)(i % 3600), i,
			i % 5000);
	return fclose(f);
}

int
main(int argc, char **argv)
{
	struct sts_engine_conf conf;
	struct sts_source src;
	struct sts_engine_stats st;
	struct sts_engine *e;
	const char *dir = "/tmp";
	unsigned long n = 100000;
	char path[512], why[512];
	double base, rss, load_s, load_cpu, save_s;
	struct stat sb;
	uint64_t t0, c0;
	int c, keep = 0, nosave = 0;

	while ((c = getopt(argc, argv, "n:d:kS")) != -1) {
		switch (c) {
		case 'n':
			n = bu_num(optarg, 1, 10000000, "-n");
			break;
		case 'd':
			dir = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'S':
			nosave = 1;
			break;
		default:
			fprintf(stderr, "usage: stateload -n ENTRIES [-d DIR] "
					"[-k] [-S]\n");
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/state-%lu.jsonl", dir, n);
	if (write_state(path, n) != 0 || stat(path, &sb) != 0) {
		perror("stateload: writing the state file");
		return 1;
	}
	sts_engine_conf_defaults(&conf);
	conf.state_file = path;
	conf.cache_max = n + 1000;
	conf.workers = 1;
	conf.probe = false;
	base = rss_mib();
	c0 = bu_cpu_ns();
	t0 = bu_now_ns();
	e = sts_source_net_new(&conf, &src, why, sizeof(why)) == STS_OK
		    ? sts_engine_new(&conf, &src, why, sizeof(why))
		    : NULL;
	load_s = (double)(bu_now_ns() - t0) / 1e9;
	load_cpu = (double)(bu_cpu_ns() - c0) / 1e9;
	if (e == NULL) {
		fprintf(stderr, "stateload: sts_engine_new: %s\n", why);
		return 1;
	}
	rss = rss_mib();
	sts_engine_stats(e, &st);
	t0 = bu_now_ns();
	if (nosave) {
		printf("RESULT name=stateload n=%lu loaded=%zu rss_mib=%.1f "
		       "load_s=%.3f load_cpu_s=%.3f\n",
		       n, st.entries, rss, load_s, load_cpu);
		fflush(stdout);
		unlink(path);
		_exit(st.entries >= n ? 0 : 1); /* no save at _free */
	}
	if (sts_engine_save(e, why, sizeof(why)) != STS_OK) {
		fprintf(stderr, "stateload: sts_engine_save: %s\n", why);
		return 1;
	}
	save_s = (double)(bu_now_ns() - t0) / 1e9;
	printf("RESULT name=stateload n=%lu loaded=%zu rss_mib=%.1f "
	       "base_rss_mib=%.1f load_s=%.3f load_cpu_s=%.3f save_s=%.3f "
	       "file_mib=%.1f\n",
	       n, st.entries, rss, base, load_s, load_cpu, save_s,
	       (double)sb.st_size / 1048576);
	fflush(stdout);
	/* _free saves again (and joins the workers): not timed */
	conf.state_file = NULL;
	sts_engine_free(e);
	if (!keep)
		unlink(path);
	return st.entries >= n ? 0 : 1;
}
