/*
 * milter/metrics.h - the daemon's Prometheus metrics (issue 17).
 *
 * Two halves: counters the front doors bump (this file's metrics_*
 * calls: relaxed atomic adds, nothing else, so the warm milter and map
 * paths stay as fast as before), and the text exposition format of
 * those plus the engine's counters (sts_engine_metrics.h), served over
 * HTTP by metrics_http.c (MetricsSocket).  Label values come from fixed
 * tables only (verdicts, reasons, RFC 8460 types, reply types): never a
 * domain name, so the number of series is bounded.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef MILTER_METRICS_H
#define MILTER_METRICS_H

#include <stddef.h>

#include "sts_engine.h"

/* Where a lookup came in. */
enum metrics_door {
	METRICS_MILTER = 0, /* libmilter, at RCPT time */
	METRICS_MAP,	    /* socketmap, at delivery time */
	METRICS_LINE,	    /* the line protocol (Exim) */
	METRICS_DOORS
};

/* What the map / line doors answered. */
enum metrics_answer {
	METRICS_OK_SECURE = 0, /* OK secure match=... */
	METRICS_OK_DANE,       /* OK dane-only */
	METRICS_OK_OTHER,      /* any other OK */
	METRICS_NOTFOUND,
	METRICS_TEMP,
	METRICS_PERM,
	METRICS_ANSWERS
};

/* The milter door's answer for one recipient (verdict, reason, RFC 8460
 * type).  Called once per RCPT. */
void metrics_verdict(const struct sts_answer *a);

/* A map or line door's answer. */
void metrics_answer(enum metrics_door door, enum metrics_answer ans);

/* The socketmap reply text ("OK secure ...", "NOTFOUND ", ...) of
 * length len, classified and counted for the map door. */
void metrics_map_reply(const char *reply, size_t len);

/* A libmilter session began (+1) or ended (-1). */
void metrics_session(int delta);

/* The control socket ran a command (a fixed name: "show", "dump"...), or
 * refused a request ("error"). */
void metrics_admin(const char *cmd);

/*
 * The whole exposition (text format 0.0.4) into a new buffer (*out,
 * NUL-terminated, caller frees; *len its length).  e may be NULL (the
 * engine's metrics are then left out).  0, or -1 out of memory.
 */
int metrics_format(struct sts_engine *e, char **out, size_t *len);

/* --- the HTTP endpoint (metrics_http.c) --- */
struct metrics_http;
/* Listen on spec (inet:PORT@HOST, inet6:PORT@HOST; done as root, before
 * the fork and the privilege drop).  NULL with why. */
struct metrics_http *metrics_http_new(const char *spec, char *why,
				      size_t whylen);
/* Serve GET /metrics from a thread of libmicrohttpd's (after the fork).
 * 0, or -1 with why. */
int metrics_http_start(struct metrics_http *h, struct sts_engine *e, char *why,
		       size_t whylen);
void metrics_http_stop(struct metrics_http *h); /* NULL accepted */

#endif /* MILTER_METRICS_H */
