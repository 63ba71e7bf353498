/*
 * milter/privs.h - dropping root (Postfix chroot_uid.c order).
 *
 * Called from the main thread before any thread exists (setuid() in a
 * threaded process is only safe with glibc's all-thread emulation; we
 * do not rely on it).
 */
#ifndef MILTER_PRIVS_H
#define MILTER_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

/* Look up user (a name or a numeric uid) -> uid, primary gid and
 * canonical name.  0, or -1 with a reason. */
int privs_lookup(const char *user, uid_t *uid, gid_t *gid, char *name,
		 size_t namelen, char *why, size_t whylen);

/* initgroups(name, gid), setgid(gid), setuid(uid), then verify that
 * the real and effective ids are the new ones and that root cannot be
 * regained.  0, or -1 with a reason (the caller must exit). */
int privs_drop(const char *name, uid_t uid, gid_t gid, char *why,
	       size_t whylen);

#endif /* MILTER_PRIVS_H */
