/*
 * milter/smfi.c - libmilter callbacks: a few lines each (see smfi.h).
 */
#include "config.h"

#include <libmilter/mfapi.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
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
	}
	return s;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct msess *s = sess(ctx);

	return s == NULL ? SMFIS_TEMPFAIL : rc(msess_envfrom(s, ctx, argv[0]));
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

	return s == NULL ? SMFIS_TEMPFAIL
			 : rc(msess_header(s, ctx, name, value));
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
