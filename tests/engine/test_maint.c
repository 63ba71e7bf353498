/*
 * test_maint.c - the engine's maintenance thread on the real clock: an
 * idle engine costs (almost) no CPU, and the state file is saved every
 * save_interval seconds, not on every wake-up of the thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "scripted.h"
#include "sts_engine.h"
#include "sts_source.h"

/* CPU time of the whole process, in ms. */
static long
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int
main(void)
{
	struct scripted *s = scripted_new();
	struct sts_source src = scripted_source(s);
	struct sts_engine_conf c;
	struct sts_engine *e;
	char dir[] = "/tmp/engine-maint-XXXXXX", path[64], why[STS_WHY_MAX];
	struct stat st1, st2;
	long cpu;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	sts_engine_conf_defaults(&c);
	c.workers = 2;
	c.state_file = path;
	c.save_interval = 2;
	c.sweep_interval = 1;
	e = sts_engine_new(&c, &src, why, sizeof(why));
	ok(e != NULL, "engine with a state file, save_interval 2 s");
	if (e == NULL)
		return tap_done();
	cpu = cpu_ms();
	sleep_ms(1200);
	cpu = cpu_ms() - cpu;
	ok(cpu < 30, "idle engine: %ld ms CPU in 1.2 s (< 30)", cpu);
	ok(stat(path, &st1) != 0, "no save before save_interval has passed");
	sleep_ms(1600); /* t = 2.8 s: the first save (at ~2 s) is done */
	ok(stat(path, &st1) == 0, "saved once save_interval has passed");
	sleep_ms(800); /* t = 3.6 s: the next save is due at ~4 s */
	ok(stat(path, &st2) == 0 && st1.st_mtim.tv_sec == st2.st_mtim.tv_sec &&
		   st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec,
	   "not rewritten before the next interval");
	sts_engine_free(e);
	unlink(path);
	rmdir(dir);
	scripted_free(s);
	return tap_done();
}
