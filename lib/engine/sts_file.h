/*
 * sts_file.h - opening an input file that must be a regular file of
 * bounded size (the configuration, override and state files).
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
 * Ownership: *out is the caller's, closed with fclose().
 * Thread-safety: reentrant, no shared state.
 */
#ifndef STS_FILE_H
#define STS_FILE_H

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

#endif /* STS_FILE_H */
