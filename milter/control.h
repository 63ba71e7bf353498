/*
 * milter/control.h - ControlSocket: the administrator's line protocol
 * (issue 17), spoken by `mta-sts-check show|dump|refresh|forget|warm|
 * stats`.  Grammar: lib/proto/sts_ctlcmd.h.  One request per
 * connection; the reply is zero or more body lines and one last line
 * "OK ..." or "ERR ...", then the server closes.
 *
 * Isolation from mail: the server has its own accept thread and one
 * thread per connection (at most CONTROL_MAX_CONNS; more are told "ERR
 * busy"), every read and write has a CONTROL_TIMEOUT_S timeout, lines
 * are capped (STS_MAX_CTL_LINE) and a warm list too (STS_MAX_CTL_WARM
 * domains, queued at most CONTROL_WARM_RATE per second).  The engine
 * calls it makes never wait for the network (sts_engine_admin.h), so a
 * slow, hostile or stuck client never holds up a mail lookup.
 *
 * Permissions: a unix socket only, mode 0660, owned by the daemon's
 * UserID and its group (root can always connect): root and that group.
 *
 * Thread-safety: _new, _start and _free from the main thread.
 */
#ifndef MILTER_CONTROL_H
#define MILTER_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

#include "sts_engine.h"

#define CONTROL_MAX_CONNS 4
#define CONTROL_TIMEOUT_S 10
#define CONTROL_WARM_RATE 50

struct control;

/* Bind spec (unix:/path only) as root, before the fork; chown it to
 * uid:gid when drop.  NULL with why. */
struct control *control_new(const char *spec, int drop, uid_t uid, gid_t gid,
			    char *why, size_t whylen);
/* Start serving (after the engine exists).  0, or -1 with why. */
int control_start(struct control *c, struct sts_engine *e, char *why,
		  size_t whylen);
/* Stop accepting, end the connections (warm lists stop early), remove
 * the socket.  NULL accepted. */
void control_free(struct control *c);

#endif /* MILTER_CONTROL_H */
