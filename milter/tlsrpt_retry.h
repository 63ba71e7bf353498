/*
 * milter/tlsrpt_retry.h - the TLS-report sender's pending retries (RFC
 * 8460 section 5.5: redeliver for up to 24 hours after the first
 * attempt, with exponential backoff), kept in a small file next to the
 * journal (TLSRPTJournal + ".retry") so that a restart neither forgets a
 * failed delivery nor repeats one that succeeded: a retry goes only to
 * the rua URIs not yet done, with the same report-id.
 *
 * File: a first line "mta-sts-milter tlsrpt retries 1", then one line
 * per retry: "DAY FIRST NEXT ATTEMPTS DONE DOMAIN" (UTC day number,
 * epoch seconds of the first attempt and of the next, attempts so far,
 * bit mask of the URIs done, the policy domain).  Replaced atomically
 * (sts_file_replace(): temp file, fsync, rename).
 *
 * Bounded: at most TLSRPT_MAX_RETRIES lines are read (the sender keeps
 * no more), each at most TLSRPT_RETRY_LINE bytes; a retry whose first
 * attempt is TLSRPT_RETRY_WINDOW or more ago (or in the future by more
 * than a day: a clock that jumped), or whose line does not parse, is
 * dropped at load.
 *
 * Thread-safety: none needed; the sender calls these under its lock.
 */
#ifndef MILTER_TLSRPT_RETRY_H
#define MILTER_TLSRPT_RETRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Pending retries kept at most (one per day and domain). */
#define TLSRPT_MAX_RETRIES 4096
/* RFC 8460 section 5.5: retry for up to 24 hours. */
#define TLSRPT_RETRY_WINDOW (24 * 3600)
#define TLSRPT_RETRY_LINE 400

struct retry {
	int64_t day;
	char *domain; /* malloc'd */
	time_t first, next;
	unsigned attempts;
	uint32_t done; /* bit i: rua[i] delivered or given up */
};

/* Read path into r[0..max) (*n set; domains malloc'd).  A missing file
 * is no retry (0).  0, or -1 with why (unreadable: nothing loaded). */
int tlsrpt_retry_load(const char *path, time_t now, struct retry *r, size_t max,
		      size_t *n, char *why, size_t whylen);

/* Write r[0..n) to path atomically.  0, or -1 with why. */
int tlsrpt_retry_save(const char *path, const struct retry *r, size_t n,
		      char *why, size_t whylen);

#endif /* MILTER_TLSRPT_RETRY_H */
