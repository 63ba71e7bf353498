/*
 * milter/milter.h - what the daemon does with one SMTP transaction:
 * turn engine answers into per-recipient replies, a log line per
 * decision and one trace header (issue [milter]).
 *
 * Two seams keep this file free of libmilter and of the network, so
 * tests drive it directly (tests/milter/t_milter.c):
 *   struct milter_io     every smfi_* call the logic makes;
 *                        milter/smfi.c supplies the libmilter one.
 *   milter_check_fn      the policy question; the daemon passes a
 *                        wrapper of sts_engine_check().
 *
 * A struct msess lives as long as one milter connection (several
 * messages).  Each message takes a reference to the configuration
 * snapshot current at MAIL FROM and keeps it until end of message or
 * abort, so a reload never changes settings under a message.
 *
 * Thread-safety: one msess is used by one libmilter thread at a time
 * (libmilter serialises the callbacks of a connection); different
 * sessions are independent.
 */
#ifndef MILTER_MILTER_H
#define MILTER_MILTER_H

#include <stddef.h>

#include "sts_engine.h"

struct conf;

struct milter_io {
	/* smfi_getsymval: a macro's value or NULL */
	const char *(*getsymval)(void *ctx, const char *sym);
	/* smfi_setreply: 0 on success */
	int (*setreply)(void *ctx, const char *rcode, const char *xcode,
			const char *msg);
	/* smfi_addheader */
	int (*addheader)(void *ctx, const char *name, const char *value);
	/* smfi_chgheader; value NULL deletes occurrence idx (1-based) */
	int (*chgheader)(void *ctx, const char *name, int idx,
			 const char *value);
};

typedef void milter_check_fn(void *arg, const char *domain, const char *from,
			     unsigned deadline_ms, struct sts_answer *out);

struct milter_env {
	const struct milter_io *io;
	milter_check_fn *check;
	void *check_arg;
	/* the configuration snapshot source; NULL = conf_current() */
	struct conf *(*conf_get)(void);
};

/* What the callback returns to libmilter (smfi.c maps these). */
enum milter_rc {
	MILTER_CONTINUE = 0,
	MILTER_TEMPFAIL, /* a reply was set with setreply (4xx) */
	MILTER_REJECT,	 /* a reply was set with setreply (5xx) */
};

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its code
 * and CRLF; the text part is kept well inside that. */
#define MILTER_MAX_REPLY_TEXT 400

/* Most distinct recipient domains remembered for the header. */
#define MILTER_MAX_DOMAINS 256

struct msess;

/* NULL on allocation failure (the caller then tempfails). */
struct msess *msess_new(const struct milter_env *env);
void msess_free(struct msess *s); /* NULL accepted */

enum milter_rc msess_envfrom(struct msess *s, void *ctx, const char *from);
enum milter_rc msess_envrcpt(struct msess *s, void *ctx, const char *rcpt);
enum milter_rc msess_header(struct msess *s, void *ctx, const char *name,
			    const char *value);
enum milter_rc msess_eom(struct msess *s, void *ctx);
/* The message ended without EOM (RSET, rejected, lost connection). */
void msess_abort(struct msess *s);

/*
 * The protocol options negotiated for this connection (libmilter's
 * SMFIP_* bits, opaque here; milter/smfi.c sets them in xxfi_negotiate
 * and reads them in the header callback, which must return "no reply"
 * exactly when SMFIP_NR_HDR was negotiated).  A session created after
 * negotiation (out of memory then) reads MILTER_PROTO_UNKNOWN.
 */
#define MILTER_PROTO_UNKNOWN 0UL
void msess_set_proto(struct msess *s, unsigned long pflags);
unsigned long msess_proto(const struct msess *s);

/*
 * The SMTP reply for a DEFER/REJECT answer: rcode ("451"/"550"/"556"),
 * the RFC 3463 enhanced code and the text, into caller buffers.
 * Exposed for tests and documentation (mta-sts-milter.8 lists them).
 */
void milter_reply(const struct sts_answer *a, char *rcode, size_t rlen,
		  char *xcode, size_t xlen, char *text, size_t tlen);

/* "pass", "fail", "temperror" or "none": the header's result= token. */
const char *milter_result_str(const struct sts_answer *a);

/*
 * The recipient as the decision log line shows it (issue 13 item 9):
 * out gets the address with its domain in A-labels (what the policy was
 * looked up for; a U-label "b\xc3\xbccher.test" becomes
 * "xn--bcher-kva.test"), other unsafe bytes as '?'; raw gets the address
 * exactly as received with every byte outside printable ASCII (and '"',
 * '\\') escaped as \xHH, or "" when it was plain printable ASCII (then
 * out says it all).  Pure; never fails (out/raw always NUL-terminated).
 */
void milter_log_rcpt(const char *rcpt, char *out, size_t outlen, char *raw,
		     size_t rawlen);

#endif /* MILTER_MILTER_H */
