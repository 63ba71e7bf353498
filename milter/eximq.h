/*
 * milter/eximq.h - one Exim line-protocol request answered from the
 * engine (issue [exim]; the protocol is lib/engine/sts_line.h).  The
 * "rcpt" question gets the milter's verdict, reply text and header entry
 * (lib/engine/sts_rcptreply.h), and a log line like the milter's; the
 * "sts" question gets the socketmap's answer (sts_mapreply_class()) in
 * line form.  Transport-free: the map server's line framing
 * (milter/lined.c, milter/mapconn.h) frames the request, calls
 * eximq_answer() as its answer hook and sends the reply.
 *
 * Thread-safety: both functions may be called from any number of
 * threads at once (the engine is thread-safe; the counters atomic).
 */
#ifndef MILTER_EXIMQ_H
#define MILTER_EXIMQ_H

#include <stddef.h>

#include "mapconn.h"

struct sts_engine;

/*
 * Answer request buf[len] (one line, "\n" optional) into out[outlen]
 * (NUL-terminated, one line ending in "\n"), waiting in the engine at
 * most deadline_ms (0: from what is known, never waiting).  wait NULL:
 * this answer is the one sent (it is logged).  Otherwise *wait says
 * whether waiting could change it (struct mapconn_framing's answer
 * hook); an answer that is not MAPCONN_FINAL is not logged, as it is
 * asked again.  Returns the reply length; a reply that would not fit
 * becomes an action=error line.
 */
size_t eximq_answer(struct sts_engine *e, const char *buf, size_t len,
		    unsigned deadline_ms, char *out, size_t outlen,
		    enum mapconn_wait *wait);

/* Count reply[len] for mtasts_lookups_total{door="line"} by its action=
 * (mta-sts-milter(8), METRICS). */
void eximq_count(const char *reply, size_t len);

#endif /* MILTER_EXIMQ_H */
