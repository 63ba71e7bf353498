/*
 * sts_rptline.h - the text form of one aggregate entry: one JSON object
 * on one line, the unit of the TLS-report journal (sts_rptstore).
 *
 *   {"day":"YYYY-MM-DD","d":DOMAIN,"pt":"sts"|"tlsa"|"no-policy-found",
 *    ["pd":S,]["ps":[S...],]["mx":[S...],]"s":N,"f":N,
 *    ["fd":[{"rt":RESULT-TYPE,["s":S,"n":S,"h":S,"r":S,"a":S,"fr":S,]
 *            "c":N}...]]}
 *
 * A line is a DELTA: replaying lines adds them up (sts_rptagg_add), so
 * an append-only journal and a compacted snapshot have the same form.
 * Pure and thread-safe.
 */
#ifndef STS_RPTLINE_H
#define STS_RPTLINE_H

#include <stddef.h>

#include "sts_rptagg.h"
#include "sts_status.h"

/* e as one line (no newline), malloc'd into *out (caller frees). */
enum sts_status sts_rptline_format(const struct sts_rpt_entry *e, char **out);

/* Parse one line (len bytes, no newline) and add it to a.  STS_INVALID
 * (why) for a line that is not one of ours, e.g. cut short by a crash;
 * a is then unchanged.  STS_NOTFOUND if the line is fine but a's domain
 * cap refuses it (counted in a->dropped_domains). */
enum sts_status sts_rptline_add(struct sts_rptagg *a, const char *line,
				size_t len, char *why, size_t whylen);

#endif /* STS_RPTLINE_H */
