/*
 * milter/control_int.h - what the control socket's two files share:
 * control.c (threads, bounded I/O) and control_cmd.c (the commands).
 * One struct ctl_conn per connection, used by its one thread only.
 */
#ifndef MILTER_CONTROL_INT_H
#define MILTER_CONTROL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_ctlcmd.h"
#include "sts_engine.h"

/* STS_MAX_CTL_LINE as text, for messages (checked in control_cmd.c). */
#define CTL_LINE_S "1040"

struct ctl_conn {
	int fd;
	struct sts_engine *e;
	volatile int *stop; /* the daemon is stopping */
	bool dead;	    /* a write failed: stop talking */
	size_t have;
	char buf[STS_MAX_CTL_LINE + 2];	 /* bytes read, not yet a line */
	char line[STS_MAX_CTL_LINE + 2]; /* the last line read */
};

/* control.c */
int ctl_write(struct ctl_conn *k, const char *s, size_t n);
int ctl_printf(struct ctl_conn *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ctl_read_line(struct ctl_conn *k, size_t *len, const char **why);

/* control_cmd.c: read one request and answer it. */
void ctl_serve(struct ctl_conn *k);

#endif /* MILTER_CONTROL_INT_H */
