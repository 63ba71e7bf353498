/*
 * milter/pidfile.c - exclusive, locked PID file (see pidfile.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

int
pidfile_open(const char *path, char *why, size_t whylen)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char buf[32];
	struct stat st;
	ssize_t n;
	int fd, len;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		  0644);
	if (fd < 0) {
		snprintf(why, whylen, "PidFile %s: %s", path,
			 errno == ELOOP ? "is a symbolic link"
					: strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "PidFile %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;

		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (e == EAGAIN || e == EACCES)
			snprintf(why, whylen,
				 "PidFile %s: already running as pid %s", path,
				 buf[0] ? buf : "?");
		else
			snprintf(why, whylen, "PidFile %s: lock: %s", path,
				 strerror(e));
		close(fd);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		snprintf(why, whylen, "PidFile %s: write: %s", path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
pidfile_close(int fd, const char *path)
{
	if (fd < 0)
		return;
	(void)unlink(path);
	close(fd);
}
