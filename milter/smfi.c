/*
 * milter/smfi.c - libmilter callbacks: a few lines each (see smfi.h).
 */
#include "config.h"

#include <libmilter/mfapi.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "smfi.h"

static const struct milter_env *glue_env;

static const char *
io_getsymval(void *ctx, const char *sym)
{
	return smfi_getsymval(ctx, (char *)sym);
}

static int
io_setreply(void *ctx, const char *rcode, const char *xcode, const char *msg)
{
	return smfi_setreply(ctx, (char *)rcode, (char *)xcode, (char *)msg) ==
			       MI_SUCCESS
		       ? 0
		       : -1;
}

static int
io_addheader(void *ctx, const char *name, const char *value)
{
	return smfi_addheader(ctx, (char *)name, (char *)value) == MI_SUCCESS
		       ? 0
		       : -1;
}

static int
io_chgheader(void *ctx, const char *name, int idx, const char *value)
{
	return smfi_chgheader(ctx, (char *)name, idx, (char *)value) ==
			       MI_SUCCESS
		       ? 0
		       : -1;
}

const struct milter_io smfi_glue_io = {
	.getsymval = io_getsymval,
	.setreply = io_setreply,
	.addheader = io_addheader,
	.chgheader = io_chgheader,
};

static sfsistat
rc(enum milter_rc r)
{
	switch (r) {
	case MILTER_TEMPFAIL:
		return SMFIS_TEMPFAIL;
	case MILTER_REJECT:
		return SMFIS_REJECT;
	default:
		return SMFIS_CONTINUE;
	}
}

/* The session of ctx, created at the first callback that needs it. */
static struct msess *
sess(SMFICTX *ctx)
{
	struct msess *s = smfi_getpriv(ctx);

	if (s == NULL) {
		s = msess_new(glue_env);
		if (s != NULL && smfi_setpriv(ctx, s) != MI_SUCCESS) {
			msess_free(s);
			s = NULL;
		}
		if (s == NULL)
			log_msg(LOG_ERR, "out of memory for a session");
		else
			metrics_session(1);
	}
	return s;
}

/*
 * Protocol negotiation (smfi_register(3), xxfi_negotiate(3)).  The MTA
 * offers actions f0 and protocol options f1; we take only what we use,
 * so that Postfix and sendmail skip every step we have no callback for
 * and do not wait for a reply where we never have anything to say:
 *   actions  ADDHDRS (our header) and CHGHDRS (delete spoofed copies);
 *   NO*      connect, HELO, DATA, end of headers, body and unknown
 *            commands are not sent at all;
 *   NR_HDR   headers are sent without a round trip each (the callback
 *            only counts spoofed copies and can never reject);
 *   NR_MAIL  MAIL FROM likewise (it only records the sender).
 * Each bit is asked for only if offered: libmilter refuses the
 * connection if we ask for a step the MTA cannot skip.  libmilter itself
 * offers the NR_* bits even to MTAs that lack them (old sendmail) and
 * then answers "continue" in our place, so what we ask for is also what
 * libmilter expects from the callbacks: it is kept in the session, and
 * the MAIL and header callbacks return SMFIS_NOREPLY exactly when their
 * bit is in it.  A session that lost it (out of memory at negotiation;
 * a connection reused after SMFIC_QUIT_NC, whose xxfi_close freed the
 * session) answers normally: libmilter then turns the answer into no
 * reply and logs that, which is safe, whereas a wrong SMFIS_NOREPLY
 * would leave the MTA waiting for a reply.
 */
#define WANT_ACTIONS ((unsigned long)(SMFIF_ADDHDRS | SMFIF_CHGHDRS))
#define WANT_PROTO                                                             \
	((unsigned long)(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NODATA |       \
			 SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN |        \
			 SMFIP_NR_HDR | SMFIP_NR_MAIL))

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
	     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
	     unsigned long *pf2, unsigned long *pf3)
{
	struct msess *s = sess(ctx);

	(void)f2;
	(void)f3;
	*pf0 = f0 & WANT_ACTIONS;
	*pf1 = f1 & WANT_PROTO;
	*pf2 = 0;
	*pf3 = 0;
	/* RCPT needs {rcpt_mailer} (only recipients that leave by SMTP are
	 * checked, CheckMailers) and i (the queue id).  Postfix's
	 * milter_rcpt_macros and sendmail's Milter.macros.envrcpt send both
	 * by default; asking keeps them when an admin trimmed those lists. */
	if ((f0 & SMFIF_SETSYMLIST) != 0) {
		if (smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_mailer}") ==
		    MI_SUCCESS)
			*pf0 |= SMFIF_SETSYMLIST;
		else
			log_msg(LOG_WARNING, "cannot ask the MTA for "
					     "{rcpt_mailer} at RCPT");
	}
	if ((*pf0 & WANT_ACTIONS) != WANT_ACTIONS)
		log_msg(LOG_WARNING,
			"the MTA does not let milters add and change headers "
			"(actions offered 0x%lx): no trace header, spoofed "
			"copies stay",
			f0);
	if (s == NULL)
		*pf1 &= ~(unsigned long)(SMFIP_NR_HDR | SMFIP_NR_MAIL);
	else
		msess_set_proto(s, *pf1);
	return SMFIS_CONTINUE;
}

/* r, or "no reply" if the MTA was told not to wait for one (nr_bit). */
static sfsistat
rc_nr(SMFICTX *ctx, unsigned long nr_bit, sfsistat r)
{
	return (msess_proto(smfi_getpriv(ctx)) & nr_bit) != 0 ? SMFIS_NOREPLY
							      : r;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct msess *s = sess(ctx);

	return rc_nr(ctx, SMFIP_NR_MAIL,
		     s == NULL ? SMFIS_TEMPFAIL
			       : rc(msess_envfrom(s, ctx, argv[0])));
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct msess *s = sess(ctx);

	return s == NULL ? SMFIS_TEMPFAIL : rc(msess_envrcpt(s, ctx, argv[0]));
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct msess *s = sess(ctx);

	return rc_nr(ctx, SMFIP_NR_HDR,
		     s == NULL ? SMFIS_TEMPFAIL
			       : rc(msess_header(s, ctx, name, value)));
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct msess *s = sess(ctx);

	return s == NULL ? SMFIS_TEMPFAIL : rc(msess_eom(s, ctx));
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	msess_abort(smfi_getpriv(ctx));
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	if (smfi_getpriv(ctx) != NULL)
		metrics_session(-1);
	msess_free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

int
smfi_glue_open(const char *socket, const struct milter_env *env, char *why,
	       size_t whylen)
{
	struct smfiDesc desc = {
		.xxfi_name = "mta-sts-milter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
		.xxfi_envfrom = cb_envfrom,
		.xxfi_envrcpt = cb_envrcpt,
		.xxfi_header = cb_header,
		.xxfi_eom = cb_eom,
		.xxfi_abort = cb_abort,
		.xxfi_close = cb_close,
		.xxfi_negotiate = cb_negotiate,
	};

	glue_env = env;
	if (smfi_register(desc) != MI_SUCCESS) {
		snprintf(why, whylen, "smfi_register failed");
		return -1;
	}
	if (smfi_setconn((char *)socket) != MI_SUCCESS) {
		snprintf(why, whylen, "smfi_setconn(%s) failed", socket);
		return -1;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		snprintf(why, whylen,
			 "cannot listen on %s (in use, or no permission)",
			 socket);
		return -1;
	}
	return 0;
}
