/*
 * sts_file.h - opening an input file that must be a regular file of
 * bounded size (the configuration, override and state files), and
 * replacing a state file atomically.
 *
 * Why: fopen() happily opens /dev/zero, /dev/urandom or a FIFO, and a
 * line reader then grows without bound or blocks forever (issue 17:
 * `mta-sts-milter -n -c /dev/zero` grew to 22 GB).  The file is opened
 * with O_NONBLOCK (a FIFO does not block the open), checked with fstat
 * on the descriptor (no race with a rename), and refused when it is not
 * a regular file or larger than the caller's cap.  Readers still count
 * what they read (a file can grow after fstat): sts_file_over() says
 * when the cap is passed.
 *
 * Ownership: *out is the caller's, closed with fclose().  A struct
 * sts_file_lines is the caller's; sts_file_lines_free() frees its buffer.
 * Thread-safety: reentrant, no shared state.
 */
#ifndef STS_FILE_H
#define STS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sts_status.h"

/*
 * Open path for reading.  what names the file in the reason ("state
 * file").  STS_OK and *out; STS_NOTFOUND (does not exist), STS_TEMPFAIL
 * (other open/read errors), STS_INVALID (not a regular file, or larger
 * than max bytes: the reason names the cap).  When open(2) failed,
 * errno is still its error on return.
 */
enum sts_status sts_file_open(const char *path, uint64_t max, const char *what,
			      FILE **out, char *why, size_t whylen);

/* The same check for a file already open: STS_OK or STS_INVALID. */
enum sts_status sts_file_check_fd(int fd, const char *path, uint64_t max,
				  const char *what, char *why, size_t whylen);

/*
 * A line reader over an open file (issue [harden] 6).  Lines are read
 * with fread() and memchr(), not fgets(): a line may hold a NUL byte (a
 * damaged file), and fgets() gives no way to see past it -- a line that
 * starts with NUL looks like the end of the file.  Here such a line is
 * returned like any other, with its true length, and reading goes on.
 * The reader owns a buffer of STS_FILE_LINES_BUF bytes, not the FILE
 * (call setvbuf(f, NULL, _IONBF, 0) first: this is the buffer).
 */
#define STS_FILE_LINES_BUF (1u << 20)
struct sts_file_lines {
	FILE *f;
	char *buf;
	size_t pos, len;
};

/* STS_OK, or STS_NOMEM. */
enum sts_status sts_file_lines_init(struct sts_file_lines *r, FILE *f);

/*
 * The next line, its newline included, into out[max + 2], NUL-terminated
 * (a NUL inside stays and counts).  Returns its length, 0 at the end of
 * the file.  A line longer than max bytes is skipped to its end, *toolong
 * is set and max + 1 returned.
 */
size_t sts_file_lines_next(struct sts_file_lines *r, char *out, size_t max,
			   bool *toolong);

/* Free the buffer (not the FILE).  A zeroed reader is fine. */
void sts_file_lines_free(struct sts_file_lines *r);

/*
 * Replace the file at path with buf[len] so that a crash leaves either
 * the old or the new whole: write PATH.tmp (mode 0600, never through a
 * symlink), fsync() it, rename() it over path, fsync() the directory.
 * STS_OK; STS_TEMPFAIL (the reason names the step), STS_INVALID (path
 * too long).
 */
/* fsync() the directory holding path, so that a rename into it is
 * durable (errors ignored: nothing better can be done). */
void sts_file_sync_dir(const char *path);

enum sts_status sts_file_replace(const char *path, const char *buf, size_t len,
				 char *why, size_t whylen);

#endif /* STS_FILE_H */
