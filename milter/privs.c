/*
 * milter/privs.c - drop root the way Postfix's chroot_uid.c does:
 * supplementary groups first, then the gid, then the uid; then check.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"

int
privs_lookup(const char *user, uid_t *uid, gid_t *gid, char *name,
	     size_t namelen, char *why, size_t whylen)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	unsigned long n;
	int err;

	errno = 0;
	n = strtoul(user, &end, 10);
	if (*user != '\0' && *end == '\0' && n <= 0x7fffffffUL)
		err = getpwuid_r((uid_t)n, &pw, buf, sizeof(buf), &res);
	else
		err = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (res == NULL) {
		snprintf(why, whylen, "UserID %s: %s", user,
			 err != 0 ? strerror(err) : "no such user");
		return -1;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	snprintf(name, namelen, "%s", pw.pw_name);
	return 0;
}

int
privs_drop(const char *name, uid_t uid, gid_t gid, char *why, size_t whylen)
{
	if (initgroups(name, gid) != 0) {
		snprintf(why, whylen, "initgroups(%s): %s", name,
			 strerror(errno));
		return -1;
	}
	if (setgid(gid) != 0) {
		snprintf(why, whylen, "setgid(%ld): %s", (long)gid,
			 strerror(errno));
		return -1;
	}
	if (setuid(uid) != 0) {
		snprintf(why, whylen, "setuid(%ld): %s", (long)uid,
			 strerror(errno));
		return -1;
	}
	/* Verify: all ids are the new ones, and root is gone for good. */
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid) {
		snprintf(why, whylen, "ids did not change as asked");
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		snprintf(why, whylen, "root could be regained after setuid");
		return -1;
	}
	return 0;
}
