/*
 * sts_persist.c - save and load the cache state file (format and rules
 * in sts_persist.h).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sts_domain.h"
#include "sts_file.h"
#include "sts_mx.h"
#include "sts_persist.h"
#include "sts_persist_fast.h"

/* --- saving ----------------------------------------------------------------
 */

struct saver {
	char *buf;
	size_t len, cap;
	bool oom;
	FILE *f;
	int err; /* errno of the first write error */
};

static void
put(struct saver *s, const char *p, size_t n)
{
	char *nb;
	size_t cap;

	if (s->oom)
		return;
	if (s->len + n > s->cap) {
		cap = s->cap ? s->cap * 2 : 65536;
		while (cap < s->len + n)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (nb == NULL) {
			s->oom = true;
			return;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void
puts_(struct saver *s, const char *p)
{
	put(s, p, strlen(p));
}

/* A JSON string.  Our values are validated ASCII names, but escape
 * anyway so that the writer can never produce an unreadable file.  Runs
 * of plain characters are copied at once. */
static void
put_str(struct saver *s, const char *p)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = {'\\', 'u', '0', '0', 0, 0};
	const char *run;
	unsigned char c;

	put(s, "\"", 1);
	for (;;) {
		for (run = p; (c = (unsigned char)*p) != '\0' && c != '"' &&
			      c != '\\' && c >= 0x20 && c < 0x7f;
		     p++)
			;
		if (p > run)
			put(s, run, (size_t)(p - run));
		if (c == '\0')
			break;
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		put(s, esc, 6);
		p++;
	}
	put(s, "\"", 1);
}

/* Decimal digits of v (no snprintf per entry). */
static void
put_num(struct saver *s, unsigned long long v)
{
	char b[24], *q = b + sizeof(b);

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(s, q, (size_t)(b + sizeof(b) - q));
}

#define PUTL(s, lit) put(s, lit, sizeof(lit) - 1)

static void
save_one(void *arg, const struct sts_cache_record *r)
{
	struct saver *s = arg;
	size_t i;

	PUTL(s, "{\"d\":");
	put_str(s, r->domain);
	PUTL(s, ",\"id\":");
	put_str(s, r->id);
	PUTL(s, ",\"mode\":");
	put_str(s, sts_mode_str(r->mode));
	PUTL(s, ",\"max_age\":");
	put_num(s, r->max_age);
	PUTL(s, ",\"fetched\":");
	/* fetched_at is never negative in the cache; clamp anyway */
	put_num(s, r->fetched_at > 0 ? (unsigned long long)r->fetched_at : 0);
	PUTL(s, ",\"mx\":[");
	for (i = 0; i < r->n_mx; i++) {
		if (i > 0)
			put(s, ",", 1);
		put_str(s, r->mx[i]);
	}
	PUTL(s, "]}\n");
}

static bool
save_flush(void *arg)
{
	struct saver *s = arg;

	if (s->oom || s->err != 0)
		return false;
	if (s->len > 0 && fwrite(s->buf, 1, s->len, s->f) != s->len) {
		s->err = errno ? errno : EIO;
		return false;
	}
	s->len = 0;
	return true;
}

enum sts_status
sts_persist_save(struct sts_cache *c, const char *path, size_t *saved,
		 char *why, size_t whylen)
{
	char tmp[PATH_MAX];
	struct saver s;
	size_t n;
	int fd, err;

	memset(&s, 0, sizeof(s));
	if (saved != NULL)
		*saved = 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    sizeof(tmp))
		return sts_why(why, whylen, STS_INVALID, "%s: path too long",
			       path);
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		err = errno;
		return sts_why(why, whylen, STS_TEMPFAIL,
			       "cannot save state file %s: %s", path,
			       strerror(err));
	}
	(void)fchmod(fd, 0600);
	s.f = fdopen(fd, "w");
	if (s.f == NULL) {
		err = errno;
		close(fd);
		unlink(tmp);
		return sts_why(why, whylen, STS_TEMPFAIL, "%s: %s", tmp,
			       strerror(err));
	}
	{
		char hdr[160];

		snprintf(hdr, sizeof(hdr),
			 "{\"format\":\"%s\",\"version\":%d,\"saved\":%lld}\n",
			 STS_PERSIST_FORMAT, STS_PERSIST_VERSION,
			 (long long)sts_cache_now(c));
		puts_(&s, hdr);
	}
	n = sts_cache_foreach(c, save_one, save_flush, &s);
	(void)save_flush(&s);
	if (s.err == 0 && !s.oom && fflush(s.f) != 0)
		s.err = errno ? errno : EIO;
	if (s.err == 0 && !s.oom && fsync(fileno(s.f)) != 0)
		s.err = errno ? errno : EIO;
	if (fclose(s.f) != 0 && s.err == 0)
		s.err = errno ? errno : EIO;
	free(s.buf);
	if (s.oom || s.err != 0) {
		unlink(tmp);
		if (s.oom)
			return sts_why(why, whylen, STS_NOMEM,
				       "cannot save state file %s: out of "
				       "memory",
				       path);
		return sts_why(why, whylen, STS_TEMPFAIL,
			       "cannot save state file %s: %s", path,
			       strerror(s.err));
	}
	if (rename(tmp, path) != 0) {
		err = errno;
		unlink(tmp);
		return sts_why(why, whylen, STS_TEMPFAIL,
			       "cannot save state file %s: rename: %s", path,
			       strerror(err));
	}
	sts_file_sync_dir(path);
	if (saved != NULL)
		*saved = n;
	return sts_why(why, whylen, STS_OK, "saved %zu policies to %s", n,
		       path);
}

/* --- loading ----------------------------------------------------------------
 */

struct loader {
	const char *path;
	size_t line;
	struct sts_persist_report *rep;
	sts_persist_warn_fn *warn;
	void *warn_arg;
};

static void drop(struct loader *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
drop(struct loader *l, const char *fmt, ...)
{
	char msg[STS_WHY_MAX], full[STS_WHY_MAX + 64];
	va_list ap;

	l->rep->dropped++;
	if (l->warn == NULL || l->rep->dropped > STS_PERSIST_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%zu: entry dropped: %s", l->path,
		 l->line, msg);
	l->warn(l->warn_arg, full);
}

static bool
id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9')))
			return false;
	return n >= 1 && n <= STS_MAX_ID;
}

static bool
get_int(const cJSON *o, const char *k, double lo, double hi, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	double d;

	if (!cJSON_IsNumber(v))
		return false;
	d = v->valuedouble;
	if (!(d >= lo && d <= hi) || d != (double)(long long)d)
		return false;
	*out = (long long)d;
	return true;
}

static void
load_line(struct loader *l, struct sts_cache *c, const char *s, size_t n,
	  time_t now)
{
	cJSON *o;
	const cJSON *d, *id, *mode, *mx, *it;
	const char **pat = NULL;
	struct sts_cache_record r;
	long long max_age, fetched;
	enum sts_status st;
	size_t k = 0;

	o = cJSON_ParseWithLength(s, n);
	if (o == NULL) {
		drop(l, "not JSON (truncated?)");
		return;
	}
	if (!cJSON_IsObject(o)) {
		drop(l, "not an object");
		goto out;
	}
	d = cJSON_GetObjectItemCaseSensitive(o, "d");
	id = cJSON_GetObjectItemCaseSensitive(o, "id");
	mode = cJSON_GetObjectItemCaseSensitive(o, "mode");
	mx = cJSON_GetObjectItemCaseSensitive(o, "mx");
	if (!cJSON_IsString(d) || !sts_domain_valid(d->valuestring)) {
		drop(l, "bad or missing \"d\" (domain)");
		goto out;
	}
	if (!cJSON_IsString(id) || !id_ok(id->valuestring)) {
		drop(l, "%s: bad or missing \"id\"", d->valuestring);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	if (cJSON_IsString(mode) && strcmp(mode->valuestring, "enforce") == 0)
		r.mode = STS_MODE_ENFORCE;
	else if (cJSON_IsString(mode) &&
		 strcmp(mode->valuestring, "testing") == 0)
		r.mode = STS_MODE_TESTING;
	else if (cJSON_IsString(mode) && strcmp(mode->valuestring, "none") == 0)
		r.mode = STS_MODE_NONE;
	else {
		drop(l, "%s: bad or missing \"mode\"", d->valuestring);
		goto out;
	}
	if (!get_int(o, "max_age", 0, STS_MAX_MAX_AGE, &max_age) ||
	    !get_int(o, "fetched", 0, (double)now + 86400.0, &fetched)) {
		drop(l, "%s: bad or missing \"max_age\"/\"fetched\"",
		     d->valuestring);
		goto out;
	}
	if (!cJSON_IsArray(mx)) {
		drop(l, "%s: \"mx\" is not an array", d->valuestring);
		goto out;
	}
	/* no mx count cap (issue 13 item 7): the line cap bounds it */
	pat = malloc(((size_t)cJSON_GetArraySize(mx) + 1) * sizeof(*pat));
	if (pat == NULL) {
		drop(l, "%s: out of memory", d->valuestring);
		goto out;
	}
	cJSON_ArrayForEach(it, mx)
	{
		if (!cJSON_IsString(it) ||
		    sts_mx_pattern_check(it->valuestring, NULL, 0) != STS_OK) {
			drop(l, "%s: bad \"mx\" entry", d->valuestring);
			goto out;
		}
		pat[k++] = it->valuestring;
	}
	if (k == 0 && r.mode != STS_MODE_NONE) {
		drop(l, "%s: no \"mx\"", d->valuestring);
		goto out;
	}
	r.domain = d->valuestring;
	r.id = id->valuestring;
	r.max_age = (uint32_t)max_age;
	r.fetched_at = (time_t)fetched;
	r.expires_at = r.fetched_at + (time_t)r.max_age;
	r.n_mx = k;
	r.mx = pat;
	st = sts_cache_insert(c, &r);
	if (st == STS_OK)
		l->rep->loaded++;
	else if (st == STS_INVALID)
		l->rep->expired++;
	else
		drop(l, "%s: out of memory", d->valuestring);
out:
	free(pat);
	cJSON_Delete(o);
}

/* Lines parsed by the fast path wait here and go into the cache in one
 * lock hold per batch.  Their text stays in `text` (read straight into
 * it), their patterns' pointers in `pats`. */
#define BATCH 512
#define BATCH_TEXT (1024u * 1024)
struct batch {
	size_t n, used, npat;
	struct sts_cache_record r[BATCH];
	enum sts_status st[BATCH];
	const char *pats[BATCH * 4];
	char *text; /* BATCH_TEXT + STS_PERSIST_MAX_LINE + 2 */
};

static void
batch_flush(struct loader *l, struct sts_cache *c, struct batch *b)
{
	size_t i;

	sts_cache_insert_many(c, b->r, b->n, b->st);
	for (i = 0; i < b->n; i++) {
		if (b->st[i] == STS_OK)
			l->rep->loaded++;
		else if (b->st[i] == STS_INVALID)
			l->rep->expired++;
		else
			drop(l, "%s: out of memory", b->r[i].domain);
	}
	b->n = b->used = b->npat = 0;
}

/* The header must name our format and a version we know. */
static bool
header_ok(const char *s, size_t n, char *why, size_t whylen)
{
	cJSON *o = cJSON_ParseWithLength(s, n);
	const cJSON *f, *v;
	bool ok = false;

	if (o == NULL || !cJSON_IsObject(o)) {
		sts_why(why, whylen, STS_INVALID, "no valid header line");
		goto out;
	}
	f = cJSON_GetObjectItemCaseSensitive(o, "format");
	v = cJSON_GetObjectItemCaseSensitive(o, "version");
	if (!cJSON_IsString(f) || strcmp(f->valuestring, STS_PERSIST_FORMAT)) {
		sts_why(why, whylen, STS_INVALID, "not a %s file",
			STS_PERSIST_FORMAT);
		goto out;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != STS_PERSIST_VERSION) {
		sts_why(why, whylen, STS_INVALID,
			"unknown version (this program reads version %d)",
			STS_PERSIST_VERSION);
		goto out;
	}
	ok = true;
out:
	cJSON_Delete(o);
	return ok;
}

static void
move_aside(const char *path, struct sts_persist_report *rep)
{
	char bad[PATH_MAX];

	if ((size_t)snprintf(bad, sizeof(bad), "%s.bad", path) < sizeof(bad) &&
	    rename(path, bad) == 0)
		rep->moved_aside = 1;
}

/*
 * A kill -9 during a save leaves its temporary file (FILE.tmpXXXXXX,
 * see sts_persist_save) behind; at load, before any save of ours can
 * have started, remove every such file.  Returns how many.
 */
static size_t
remove_orphans(const char *path)
{
	char dir[PATH_MAX], name[PATH_MAX];
	const char *base = strrchr(path, '/');
	size_t blen, removed = 0;
	struct dirent *e;
	DIR *d;

	if (base == NULL) {
		snprintf(dir, sizeof(dir), ".");
		base = path;
	} else {
		snprintf(dir, sizeof(dir), "%.*s",
			 base == path ? 1 : (int)(base - path), path);
		base++;
	}
	blen = strlen(base);
	d = opendir(dir);
	if (d == NULL)
		return 0;
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		if (strncmp(e->d_name, base, blen) != 0 ||
		    strncmp(e->d_name + blen, ".tmp", 4) != 0 ||
		    strlen(e->d_name + blen + 4) != 6)
			continue;
		if ((size_t)snprintf(name, sizeof(name), "%s/%s", dir,
				     e->d_name) < sizeof(name) &&
		    unlink(name) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

enum sts_status
sts_persist_load(struct sts_cache *c, const char *path,
		 struct sts_persist_report *rep, sts_persist_warn_fn *warn,
		 void *warn_arg, char *why, size_t whylen)
{
	struct loader l = {path, 0, rep, warn, warn_arg};
	struct sts_file_lines rd = {0};
	FILE *f;
	char *line, hw[STS_WHY_MAX];
	size_t n;
	time_t now = sts_cache_now(c);
	int err;
	bool toolong;
	struct batch *b;
	struct stat fst;
	enum sts_status st;
	uint64_t total = 0;

	memset(rep, 0, sizeof(*rep));
	rep->orphans = remove_orphans(path);
	line = malloc(STS_PERSIST_MAX_LINE + 2);
	if (line == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	/* a regular file within STS_PERSIST_MAX_FILE (never /dev/zero, a
	 * FIFO or a device): such a file is refused, not moved aside */
	st = sts_file_open(path, STS_PERSIST_MAX_FILE, "state file", &f, why,
			   whylen);
	if (st != STS_OK) {
		free(line);
		return st;
	}
	(void)setvbuf(f, NULL, _IONBF, 0); /* rd buffers */
	if (sts_file_lines_init(&rd, f) != STS_OK) {
		fclose(f);
		free(line);
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	}
	n = sts_file_lines_next(&rd, line, STS_PERSIST_MAX_LINE, &toolong);
	if (n == 0 || toolong || !header_ok(line, n, hw, sizeof(hw))) {
		fclose(f);
		free(line);
		sts_file_lines_free(&rd);
		if (n == 0)
			snprintf(hw, sizeof(hw), "empty file");
		else if (toolong)
			snprintf(hw, sizeof(hw), "header line too long");
		move_aside(path, rep);
		return sts_why(why, whylen, STS_INVALID,
			       "state file %s unusable (%s); %s", path, hw,
			       rep->moved_aside ? "moved to .bad"
						: "could not move it aside");
	}
	l.line = 1;
	b = calloc(1, sizeof(*b));
	if (b != NULL)
		b->text = malloc(BATCH_TEXT + STS_PERSIST_MAX_LINE + 2);
	if (b == NULL || b->text == NULL) {
		if (b != NULL)
			free(b);
		fclose(f);
		free(line);
		sts_file_lines_free(&rd);
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	}
	/* about 100 bytes per entry: size the table once */
	if (fstat(fileno(f), &fst) == 0 && fst.st_size > 0)
		sts_cache_reserve(c, (size_t)(fst.st_size / 100));
	while ((n = sts_file_lines_next(&rd, b->text + b->used,
					STS_PERSIST_MAX_LINE, &toolong)) > 0) {
		char *s = b->text + b->used;

		l.line++;
		total += n;
		if (total > STS_PERSIST_MAX_FILE) { /* it grew after fstat */
			drop(&l, "file larger than the cap of %llu bytes",
			     (unsigned long long)STS_PERSIST_MAX_FILE);
			break;
		}
		if (toolong) {
			drop(&l, "line longer than %u bytes",
			     STS_PERSIST_MAX_LINE);
			continue;
		}
		if (n == 1 && s[0] == '\n')
			continue;
		if (!sts_persist_fast_parse(s, n, now, &b->r[b->n],
					    b->pats + b->npat)) {
			load_line(&l, c, s, n, now);
			continue;
		}
		b->npat += b->r[b->n].n_mx;
		b->used += n;
		if (++b->n == BATCH || b->used > BATCH_TEXT ||
		    b->npat + STS_PERSIST_FAST_MX > BATCH * 4)
			batch_flush(&l, c, b);
	}
	batch_flush(&l, c, b);
	err = ferror(f);
	fclose(f);
	free(b->text);
	free(b);
	free(line);
	sts_file_lines_free(&rd);
	if (err)
		rep->dropped++;
	if (rep->dropped > 0)
		move_aside(path, rep);
	return sts_why(why, whylen, STS_OK,
		       "state file %s: %zu policies loaded, %zu expired, %zu "
		       "dropped%s%s%s",
		       path, rep->loaded, rep->expired, rep->dropped,
		       err ? " (read error)" : "",
		       rep->moved_aside ? " (file kept as .bad)" : "",
		       rep->orphans ? " (left-over temporary file removed)"
				    : "");
}
