/*
 * milter/lined.c - the Exim listener (see lined.h): the policy map
 * server (milter/mapd.h) with the line framing below, so that it has
 * the map's event loops and every bound of theirs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "eximq.h"
#include "lined.h"
#include "mapd.h"
#include "sts_line.h"
#include "sts_status.h"

/* One line (lib/engine/sts_line.h): what came with it is part of the
 * request (a second line is refused by the parser, not ignored); at the
 * peer's EOF what came is the request, "\n" or not. */
static enum sts_status
line_next(const char *buf, size_t len, bool eof, const char **data,
	  size_t *dlen, size_t *used, char *why, size_t whylen)
{
	long end = sts_line_frame(buf, len);

	if (end < 0) {
		sts_why(why, whylen, STS_INVALID, "request too long");
		return STS_INVALID;
	}
	if (end == 0 && !eof)
		return STS_TEMPFAIL;
	*data = buf;
	*dlen = len;
	*used = len;
	return STS_OK;
}

/* The reply is its own framing: one line, already ending in "\n". */
static size_t
line_wrap(const char *reply, size_t len, char *out, size_t outsz)
{
	if (len <= outsz)
		memcpy(out, reply, len);
	return len;
}

static size_t
line_error(const char *why, char *out, size_t outsz)
{
	return sts_line_format_error(why, out, outsz);
}

const struct mapconn_framing mapconn_line = {
	.name = "exim",
	.next = line_next,
	.wrap = line_wrap,
	.error = line_error,
	.count = eximq_count, /* issue 17: door="line" */
	.answer = eximq_answer,
	.one_shot = true,
};

struct lined {
	struct mapd *m;
};

struct lined *
lined_new(const struct lined_conf *c, char *why, size_t whylen)
{
	unsigned t =
		c->read_timeout_ms ? c->read_timeout_ms : LINED_DEFAULT_TIMEOUT;
	struct mapd_conf mc = {
		.socket = c->socket,
		.deadline_ms = c->deadline_ms,
		.max_conns = c->max_conns ? c->max_conns : LINED_DEFAULT_CONNS,
		/* readsocket sends its request at once: a connection
		 * that says nothing is as slow as one that says little */
		.idle_ms = t,
		.request_ms = t,
		.unix_mode = c->unix_mode,
		.framing = &mapconn_line,
	};
	struct lined *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		sts_why(why, whylen, STS_NOMEM, "out of memory");
		return NULL;
	}
	l->m = mapd_new(&mc, why, whylen);
	if (l->m == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

int
lined_start(struct lined *l, struct sts_engine *e, char *why, size_t whylen)
{
	return mapd_start(l->m, e, why, whylen);
}

void
lined_set_deadline(struct lined *l, unsigned deadline_ms)
{
	if (l != NULL)
		mapd_set_deadline(l->m, deadline_ms);
}

void
lined_free(struct lined *l)
{
	if (l == NULL)
		return;
	mapd_free(l->m);
	free(l);
}
