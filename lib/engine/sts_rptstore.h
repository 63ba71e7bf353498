/*
 * sts_rptstore.h - the TLS-report aggregate on disk (RFC 8460): counts
 * per UTC day, policy domain and policy, kept in one journal file in the
 * state directory so that a restart or a crash loses nothing that was
 * flushed.
 *
 * Crash safety: the file is a sequence of lines (sts_rptline.h), each a
 * DELTA; replaying them in order gives the aggregate.  _flush() appends
 * the deltas gathered since the last flush with one write() and then
 * fdatasync()s; the daemon calls it every second, so a kill -9 loses at
 * most the last second of counts.  A crash in the middle of a write
 * leaves a last line without its newline: _open() ignores it (and any
 * line that does not parse, counted in bad_lines) and then compacts.
 * _compact() writes the whole aggregate to PATH.tmp, fsync()s it,
 * rename()s it over PATH and fsync()s the directory: the file is always
 * either the old or the new whole.  The journal is compacted at open,
 * at the first flush after reports were sent (_drop) and when it has
 * grown past 4 MiB.
 *
 * Bounded: the aggregate's caps (max_domains per day, max_details rows
 * per entry: sts_rptagg.h); a journal line over STS_MAX_RPT_JOURNAL_LINE
 * is not read.
 *
 * Thread-safety: every function except _open and _free may be called
 * from any thread; one mutex guards the store.  Read-only stores (the
 * CLI) never write the file.
 */
#ifndef STS_RPTSTORE_H
#define STS_RPTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sts_rptagg.h"
#include "sts_rptjson.h"
#include "sts_status.h"

struct sts_rptstore;

/* Open (create unless readonly) the journal at path and replay it.
 * max_domains / max_details 0: the defaults of sts_rptagg_new(). */
enum sts_status sts_rptstore_open(const char *path, bool readonly,
				  size_t max_domains, size_t max_details,
				  struct sts_rptstore **out, char *why,
				  size_t whylen);

/* Flush (unless readonly) and free.  NULL accepted. */
void sts_rptstore_free(struct sts_rptstore *s);

/* Count one delivery attempt's policy p for domain on day (p's counts
 * and rows are added).  STS_INVALID when the domain cap refuses it. */
enum sts_status sts_rptstore_add(struct sts_rptstore *s, int64_t day,
				 const char *domain,
				 const struct sts_rpt_policy *p, char *why,
				 size_t whylen);

/* Append what was added since the last flush and fdatasync(). */
enum sts_status sts_rptstore_flush(struct sts_rptstore *s, char *why,
				   size_t whylen);

/* Rewrite the journal as one line per entry (atomic rename). */
enum sts_status sts_rptstore_compact(struct sts_rptstore *s, char *why,
				     size_t whylen);

/* The report JSON for (day, domain): sts_rptjson_build(). */
enum sts_status sts_rptstore_report(struct sts_rptstore *s, int64_t day,
				    const char *domain,
				    const struct sts_rptmeta *m, bool pretty,
				    char **out);

/* The distinct (day, domain) pairs with day < before, at most max, into
 * days[] and domains[] (each domains[i] malloc'd; caller frees).
 * Returns how many. */
size_t sts_rptstore_due(struct sts_rptstore *s, int64_t before, size_t max,
			int64_t *days, char **domains);

/* Forget (day, domain) (its report was sent or given up).  At once in
 * memory; the file is rewritten at the next _flush (one rewrite for a
 * whole report pass), or _compact. */
enum sts_status sts_rptstore_drop(struct sts_rptstore *s, int64_t day,
				  const char *domain, char *why, size_t whylen);

struct sts_rptstore_stats {
	size_t entries;
	uint64_t bad_lines;	  /* journal lines ignored at open */
	uint64_t dropped_domains; /* sessions refused by the domain cap */
	uint64_t dropped_details; /* rows refused by the row cap */
};
void sts_rptstore_stats(struct sts_rptstore *s, struct sts_rptstore_stats *o);

#endif /* STS_RPTSTORE_H */
