/*
 * sts_smtp.h - a pure, incremental, bounded SMTP reply parser (RFC 5321
 * section 4.2) for the STARTTLS prober.
 *
 * A reply is one or more lines "CODE-text" ... "CODE text" (or "CODE"
 * alone on the last line), CRLF-terminated (a bare LF is tolerated).
 * Every line must carry the same 3-digit code (first digit 2..5).
 * Caps: STS_MAX_SMTP_LINE bytes per line, STS_MAX_SMTP_LINES lines,
 * STS_MAX_SMTP_REPLY bytes of kept text; beyond them: STS_NOMEM.
 * NUL bytes and bad syntax: STS_INVALID.
 *
 * The parser consumes exactly one reply and reports how many bytes it
 * used: the prober uses that to detect bytes pipelined after the reply
 * to STARTTLS (the STARTTLS command injection, CVE-2011-0411 family).
 *
 * Thread-safety: a struct is used by one thread.  No heap, no I/O.
 */
#ifndef STS_SMTP_H
#define STS_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

struct sts_smtp_reply {
	/* results */
	int code; /* 0 until the first line is parsed */
	size_t n_lines;
	bool done;
	/* the text after "CODE-"/"CODE " of every line, each ended by
	 * '\n', NUL-terminated */
	char text[STS_MAX_SMTP_REPLY];
	size_t text_len;
	/* private parser state */
	char line[STS_MAX_SMTP_LINE + 1];
	size_t line_len;
	enum sts_status err;
};

/* Reset to parse a new reply. */
void sts_smtp_reply_init(struct sts_smtp_reply *r);

/*
 * Feed bytes; *used (not NULL) is how many were consumed: all of them
 * unless the reply ended inside data.  STS_OK (check r->done),
 * STS_INVALID or STS_NOMEM (sticky).
 */
enum sts_status sts_smtp_reply_feed(struct sts_smtp_reply *r, const char *data,
				    size_t len, size_t *used, char *why,
				    size_t whylen);

/*
 * For an EHLO reply: does a line after the first start with keyword
 * (case-insensitive) followed by end of line or a space?  RFC 5321
 * section 4.1.1.1.
 */
bool sts_smtp_reply_has_ext(const struct sts_smtp_reply *r,
			    const char *keyword);

/* The first line's text (up to the first '\n') copied into buf, with
 * control characters replaced by '?', for reasons. */
void sts_smtp_reply_first(const struct sts_smtp_reply *r, char *buf,
			  size_t buflen);

#endif /* STS_SMTP_H */
