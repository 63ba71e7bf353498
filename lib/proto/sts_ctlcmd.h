/*
 * sts_ctlcmd.h - the control socket's command line (issue 17): one
 * request line from an administrator's client (mta-sts-check), parsed
 * strictly.  A pure function of its input (fuzzed: fuzz/fuzz_ctlcmd.c).
 *
 * Grammar (ASCII, one line, LF or CRLF already stripped by the reader):
 *     line    = verb [ SP arg ]
 *     verb    = "show" / "refresh" / "forget"   ; arg required
 *             / "dump" / "warm" / "stats"       ; no arg
 *     arg     = 1*STS_MAX_DOMAIN_INPUT (%x21-7E / %x80-FF)
 * Exactly one space between verb and arg; no leading or trailing blanks,
 * no control characters, no NUL.  Verbs are lower case.  After "warm"
 * the client sends one domain per line and a line "." to end; each such
 * line is checked with sts_ctlcmd_domain_line().
 *
 * Thread-safety: pure, reentrant.
 */
#ifndef STS_CTLCMD_H
#define STS_CTLCMD_H

#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

/* The longest request line accepted (verb, space, argument). */
#define STS_MAX_CTL_LINE (16 + STS_MAX_DOMAIN_INPUT)
/* The most domains one "warm" request may list. */
#define STS_MAX_CTL_WARM 100000

enum sts_ctl_verb {
	STS_CTL_SHOW = 0,
	STS_CTL_DUMP,
	STS_CTL_REFRESH,
	STS_CTL_FORGET,
	STS_CTL_WARM,
	STS_CTL_STATS,
	STS_CTL_VERBS
};

/* "show", "dump", ...; "?" out of range. */
const char *sts_ctl_verb_str(enum sts_ctl_verb v);

struct sts_ctlcmd {
	enum sts_ctl_verb verb;
	char arg[STS_MAX_DOMAIN_INPUT + 1]; /* "" when the verb takes none */
};

/* Parse line[0..len) (no line end).  STS_OK and *out, or STS_INVALID
 * with a reason naming what is wrong (and the cap when one was hit). */
enum sts_status sts_ctlcmd_parse(const char *line, size_t len,
				 struct sts_ctlcmd *out, char *why,
				 size_t whylen);

/* One line of a warm list: STS_OK and the domain in out (a copy), or
 * STS_NOTFOUND for the end line ".", or STS_INVALID with a reason. */
enum sts_status sts_ctlcmd_domain_line(const char *line, size_t len, char *out,
				       size_t outlen, char *why, size_t whylen);

#endif /* STS_CTLCMD_H */
