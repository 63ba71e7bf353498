/*
 * sts_persist.h - the cache state file (checklist E6: a restart must
 * not open a downgrade window).
 *
 * Format: JSON Lines, read with cJSON one line at a time, so that a
 * million entries load in seconds with a small, constant parser
 * footprint, and a damaged line costs that line only.
 *   line 1: {"format":"mta-sts-milter-state","version":1,"saved":T}
 *   then one object per cached policy:
 *     {"d":"example.com","id":"20260101","mode":"enforce",
 *      "max_age":86400,"fetched":T,"mx":["mx1.example.com","*.ex.net"]}
 * (T: seconds since the epoch.)  Only unexpired policies are saved;
 * negative and failed entries are cheap to rediscover.
 *
 * Saving is atomic: a temporary file in the same directory (mkstemp,
 * hence mode 0600), written, fsync()ed, renamed over the old file, and
 * the directory fsync()ed.  Any error leaves the previous file as it
 * was and is returned with a reason; the engine keeps serving.
 *
 * Loading first removes temporary files a killed save left behind
 * (FILE.tmpXXXXXX: each as big as the state file).  It never crashes
 * and keeps what it can: every line that parses
 * and validates (domain syntax, id syntax, mode, max_age bound, mx
 * pattern syntax, types) is inserted; every other line is dropped and
 * reported through warn() ("FILE:LINE: reason", at most
 * STS_PERSIST_MAX_WARN lines, then a summary); expired entries are
 * skipped silently (counted).  A line with a NUL byte, even at its
 * start, is one bad line like any other: reading goes on after it.
 * A missing file is fine (NOTFOUND).  An
 * unreadable header, a wrong format name or an unknown version drops the
 * whole file (its lines cannot be trusted to mean what we think).
 * Whenever anything was dropped, the file is renamed to FILE.bad (the
 * previous FILE.bad is replaced), so the next save starts clean and the
 * evidence is kept.
 *
 * Thread-safety: _save may run while lookups go on (it reads the cache
 * in chunks through sts_cache_foreach()); do not run two _save calls on
 * one path at once.  _load is meant for start-up.
 */
#ifndef STS_PERSIST_H
#define STS_PERSIST_H

#include <stddef.h>

#include "sts_cache.h"
#include "sts_status.h"

#define STS_PERSIST_VERSION 1
#define STS_PERSIST_FORMAT "mta-sts-milter-state"
/* A line longer than this cannot be a valid entry (64 mx of 253). */
#define STS_PERSIST_MAX_LINE (64u * 1024)
/* The whole file: about 100 bytes per entry, so 1 GiB holds ten million
 * typical entries (a million even at 1 KiB each); larger is not ours. */
#define STS_PERSIST_MAX_FILE (1024ull * 1024 * 1024)
#define STS_PERSIST_MAX_WARN 10

struct sts_persist_report {
	size_t loaded;	 /* entries inserted */
	size_t expired;	 /* valid but expired: skipped */
	size_t dropped;	 /* unreadable: dropped and reported */
	int moved_aside; /* the file was renamed to FILE.bad */
	size_t orphans;	 /* FILE.tmpXXXXXX left by a killed save: removed */
};

typedef void sts_persist_warn_fn(void *arg, const char *msg);

/*
 * Load path into c.  STS_OK (possibly with drops: see *rep);
 * STS_NOTFOUND no file; STS_INVALID the whole file was unusable (moved
 * aside); STS_TEMPFAIL it could not be read.  why holds a summary.
 */
enum sts_status sts_persist_load(struct sts_cache *c, const char *path,
				 struct sts_persist_report *rep,
				 sts_persist_warn_fn *warn, void *warn_arg,
				 char *why, size_t whylen);

/* Save c to path atomically.  *saved (if not NULL) gets the count. */
enum sts_status sts_persist_save(struct sts_cache *c, const char *path,
				 size_t *saved, char *why, size_t whylen);

#endif /* STS_PERSIST_H */
