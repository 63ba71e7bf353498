/*
 * sts_file.c - bounded, regular-file-only input files (sts_file.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sts_file.h"

static const char *
kind(mode_t m)
{
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISDIR(m))
		return "a directory";
	return "not a regular file";
}

enum sts_status
sts_file_check_fd(int fd, const char *path, uint64_t max, const char *what,
		  char *why, size_t whylen)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return sts_why(why, whylen, STS_TEMPFAIL, "%s %s: %s", what,
			       path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sts_why(why, whylen, STS_INVALID,
			       "%s %s: %s, not a regular file", what, path,
			       kind(st.st_mode));
	if ((uint64_t)st.st_size > max)
		return sts_why(why, whylen, STS_INVALID,
			       "%s %s: %llu bytes, larger than the cap of "
			       "%llu bytes",
			       what, path, (unsigned long long)st.st_size,
			       (unsigned long long)max);
	return STS_OK;
}

enum sts_status
sts_file_open(const char *path, uint64_t max, const char *what, FILE **out,
	      char *why, size_t whylen)
{
	enum sts_status st;
	int fd, fl, err;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		st = sts_why(why, whylen,
			     err == ENOENT ? STS_NOTFOUND : STS_TEMPFAIL,
			     "%s %s: %s", what, path, strerror(err));
		errno = err; /* for callers with their own wording */
		return st;
	}
	st = sts_file_check_fd(fd, path, max, what, why, whylen);
	if (st != STS_OK) {
		close(fd);
		return st;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	*out = fdopen(fd, "r");
	if (*out == NULL) {
		err = errno;
		close(fd);
		return sts_why(why, whylen, STS_TEMPFAIL, "%s %s: %s", what,
			       path, strerror(err));
	}
	return STS_OK;
}

enum sts_status
sts_file_lines_init(struct sts_file_lines *r, FILE *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->buf = malloc(STS_FILE_LINES_BUF);
	return r->buf != NULL ? STS_OK : STS_NOMEM;
}

size_t
sts_file_lines_next(struct sts_file_lines *r, char *out, size_t max,
		    bool *toolong)
{
	size_t n = 0, take;
	char *nl;

	*toolong = false;
	for (;;) {
		if (r->pos == r->len) {
			r->pos = 0;
			r->len = fread(r->buf, 1, STS_FILE_LINES_BUF, r->f);
			if (r->len == 0)
				break;
		}
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		take = nl != NULL ? (size_t)(nl - (r->buf + r->pos)) + 1
				  : r->len - r->pos;
		if (n + take > max)
			*toolong = true;
		else
			memcpy(out + n, r->buf + r->pos, take);
		n += take;
		r->pos += take;
		if (nl != NULL)
			break;
	}
	if (*toolong)
		n = max + 1;
	out[n] = '\0';
	return n;
}

void
sts_file_lines_free(struct sts_file_lines *r)
{
	free(r->buf);
	r->buf = NULL;
}

void
sts_file_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

enum sts_status
sts_file_replace(const char *path, const char *buf, size_t len, char *why,
		 size_t whylen)
{
	char tmp[PATH_MAX];
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return sts_why(why, whylen, STS_INVALID, "path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		goto bad;
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto bad;
		buf += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto bad;
	close(fd);
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return sts_why(why, whylen, STS_TEMPFAIL, "rename %s: %s", tmp,
			       strerror(e));
	}
	sts_file_sync_dir(path);
	return STS_OK;
bad:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return sts_why(why, whylen, STS_TEMPFAIL, "%s: %s", tmp, strerror(e));
}
