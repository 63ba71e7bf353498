/*
 * milter/eximq.h - one Exim line-protocol request answered from the
 * engine (issue [exim]; the protocol is lib/engine/sts_line.h).  The
 * "rcpt" question gets the milter's verdict, reply text and header entry
 * (lib/engine/sts_rcptreply.h), and a log line like the milter's; the
 * "sts" question gets the socketmap's answer (sts_mapreply_class()) in
 * line form.  Transport-free: the listener (milter/lined.c) frames the
 * request and sends the reply.
 *
 * Thread-safety: eximq_answer() may be called from any number of
 * threads at once (the engine is thread-safe; the configuration
 * snapshot is reference-counted).
 */
#ifndef MILTER_EXIMQ_H
#define MILTER_EXIMQ_H

#include <stddef.h>

struct sts_engine;

/*
 * Answer request buf[len] (one line, "\n" optional) into out[outlen]
 * (NUL-terminated, one line ending in "\n").  Blocks at most the
 * configuration's LookupDeadline in the engine.  Returns the reply
 * length; a reply that would not fit becomes an action=error line.
 */
size_t eximq_answer(struct sts_engine *e, const char *buf, size_t len,
		    char *out, size_t outlen);

#endif /* MILTER_EXIMQ_H */
