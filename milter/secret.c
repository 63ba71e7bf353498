/*
 * milter/secret.c - a password from a root-only file (secret.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

int
secret_read(const char *path, char *buf, size_t cap, char *why, size_t whylen)
{
	struct stat st;
	ssize_t n;
	size_t len = 0, i;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, "%s: not a regular file", path);
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 077) != 0) {
		close(fd);
		snprintf(why, whylen,
			 "%s: must be owned by root and readable by its owner "
			 "only (mode 0600 or 0400)",
			 path);
		return -1;
	}
	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0 || len >= cap) {
		explicit_bzero(buf, cap);
		snprintf(why, whylen, "%s: empty, or longer than %zu bytes",
			 path, cap - 1);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (buf[i] <= 0x20 || buf[i] >= 0x7f) {
			explicit_bzero(buf, cap);
			snprintf(why, whylen,
				 "%s: the password must be printable ASCII "
				 "without blanks, on one line",
				 path);
			return -1;
		}
	buf[len] = '\0';
	return 0;
}
