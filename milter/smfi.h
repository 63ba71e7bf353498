/*
 * milter/smfi.h - the libmilter glue: registers the callbacks, each of
 * which only fetches its session and calls milter.c through the
 * smfi_* seam defined here.
 *
 * Called from the main thread only (before smfi_main).
 */
#ifndef MILTER_SMFI_H
#define MILTER_SMFI_H

#include <stddef.h>

#include "milter.h"

/* smfi_register() with env (which must outlive smfi_main), smfi_setconn()
 * and smfi_opensocket(true): a stale unix socket is removed.  0, or -1
 * with a reason. */
int smfi_glue_open(const char *socket, const struct milter_env *env, char *why,
		   size_t whylen);

/* The seam's libmilter implementation. */
extern const struct milter_io smfi_glue_io;

#endif /* MILTER_SMFI_H */
