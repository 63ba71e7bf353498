/*
 * tests/milter/t_log.c - milter/log.c folds repeated lines (issue
 * [harden] 7): 1,000 identical warnings are one line plus "last message
 * repeated 999 times"; a different line or a different priority is
 * written at once; log_flush() writes a pending count.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "log.h"

static char path[64];

/* Lines written to stderr so far, and how many contain needle. */
static int
count(const char *needle, int *lines)
{
	char buf[4096];
	FILE *f;
	int n = 0;

	fflush(stderr);
	*lines = 0;
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		(*lines)++;
		n += strstr(buf, needle) != NULL;
	}
	fclose(f);
	return n;
}

int
main(void)
{
	int fd, lines, i;

	snprintf(path, sizeof(path), "/tmp/t_log.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || dup2(fd, 2) < 0)
		return 1;
	close(fd);
	log_init("t_log", true, LOG_INFO);
	for (i = 0; i < 1000; i++)
		log_msg(LOG_WARNING, "map: accept: %s", "Too many open files");
	is_int(count("Too many open files", &lines), 1,
	       "1,000 identical lines: written once so far");
	is_int(lines, 1, "nothing else written yet");
	log_msg(LOG_ERR, "map: accept: %s", "Too many open files");
	is_int(count("last message repeated 999 times", &lines), 1,
	       "the same text at another priority: the count comes first");
	is_int(count("Too many open files", &lines), 2,
	       "and the line itself, at once");
	log_msg(LOG_INFO, "something else");
	log_msg(LOG_INFO, "something else");
	log_msg(LOG_INFO, "something else");
	log_flush();
	is_int(count("last message repeated 2 times", &lines), 1,
	       "log_flush() writes the pending count");
	is_int(lines, 5, "five lines in all");
	log_msg(LOG_DEBUG, "below the level");
	count("below the level", &lines);
	is_int(lines, 5,
	       "a line below the level is neither written nor "
	       "counted");
	unlink(path);
	return tap_done();
}
