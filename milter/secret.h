/*
 * milter/secret.h - read a password from a root-only file
 * (SharedCachePasswordFile).
 *
 * The file must be a regular file (no symlink), owned by root or by the
 * user reading it, with no group or other permission bits (0600 or
 * 0400): anything else is refused, so a password is never read from a
 * file others can read or replace.  The content is the password; one
 * trailing newline (LF or CRLF) is dropped; it must be 1 to cap-1 bytes
 * of printable ASCII without blanks.  The daemon reads it as root,
 * before dropping privileges.  Thread-safety: no shared state.
 */
#ifndef MILTER_SECRET_H
#define MILTER_SECRET_H

#include <stddef.h>

/* 0 and buf filled (NUL-terminated), or -1 with the reason in why. */
int secret_read(const char *path, char *buf, size_t cap, char *why,
		size_t whylen);

#endif /* MILTER_SECRET_H */
