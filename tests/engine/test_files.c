/*
 * test_files.c - bounded input files (issue 17): sts_file_open() refuses
 * devices, FIFOs and directories and files over the cap; the override
 * and state file readers go through it and say which cap was hit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "sts_cache.h"
#include "sts_file.h"
#include "sts_override.h"
#include "sts_persist.h"

int
main(void)
{
	char dir[] = "/tmp/t_files.XXXXXX", fifo[128], big[128], why[512];
	struct sts_persist_report rep;
	struct sts_cache_conf cc = {0};
	struct sts_override *ov = NULL;
	struct sts_cache *c;
	enum sts_status st;
	FILE *f = NULL;

	if (mkdtemp(dir) == NULL) {
		printf("1..0 # SKIP no temporary directory\n");
		return 1;
	}
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(big, sizeof(big), "%s/big", dir);
	ok(mkfifo(fifo, 0600) == 0, "a FIFO made");
	f = fopen(big, "w");
	ok(f != NULL && fputs("0123456789\n", f) >= 0 && fclose(f) == 0,
	   "an 11-byte file written");

	st = sts_file_open("/dev/zero", 1000, "test file", &f, why,
			   sizeof(why));
	ok(st == STS_INVALID && f == NULL, "/dev/zero refused");
	ok(strstr(why, "character device") != NULL, "reason: %s", why);
	st = sts_file_open(fifo, 1000, "test file", &f, why, sizeof(why));
	ok(st == STS_INVALID && strstr(why, "FIFO") != NULL,
	   "a FIFO refused without blocking: %s", why);
	st = sts_file_open(dir, 1000, "test file", &f, why, sizeof(why));
	ok(st == STS_INVALID && strstr(why, "directory") != NULL,
	   "a directory refused: %s", why);
	st = sts_file_open(big, 10, "test file", &f, why, sizeof(why));
	ok(st == STS_INVALID && strstr(why, "cap of 10 bytes") != NULL,
	   "11 bytes over a 10-byte cap refused: %s", why);
	st = sts_file_open(big, 11, "test file", &f, why, sizeof(why));
	ok(st == STS_OK && f != NULL, "11 bytes within an 11-byte cap");
	if (f != NULL)
		fclose(f);
	st = sts_file_open("/nonexistent/x", 10, "test file", &f, why,
			   sizeof(why));
	ok(st == STS_NOTFOUND, "a missing file is NOTFOUND");

	st = sts_override_load("/dev/zero", &ov, why, sizeof(why));
	ok(st == STS_INVALID && ov == NULL &&
		   strstr(why, "override file /dev/zero") != NULL,
	   "override file /dev/zero refused: %s", why);
	st = sts_override_load(fifo, &ov, why, sizeof(why));
	ok(st == STS_INVALID, "override FIFO refused: %s", why);

	c = sts_cache_new(&cc);
	st = sts_persist_load(c, "/dev/zero", &rep, NULL, NULL, why,
			      sizeof(why));
	ok(st == STS_INVALID && strstr(why, "state file /dev/zero") != NULL,
	   "state file /dev/zero refused: %s", why);
	ok(rep.moved_aside == 0, "a device is never moved aside");
	st = sts_persist_load(c, "/dev/urandom", &rep, NULL, NULL, why,
			      sizeof(why));
	ok(st == STS_INVALID, "state file /dev/urandom refused");
	st = sts_persist_load(c, fifo, &rep, NULL, NULL, why, sizeof(why));
	ok(st == STS_INVALID, "state file FIFO refused");
	ok(STS_PERSIST_MAX_FILE >= 1000000ull * 200,
	   "the state file cap fits a million 200-byte entries");
	sts_cache_free(c);

	unlink(fifo);
	unlink(big);
	rmdir(dir);
	return tap_done();
}
