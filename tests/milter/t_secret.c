/*
 * tests/milter/t_secret.c - SharedCachePasswordFile (milter/secret.c):
 * only a regular, owner-only file of ours (or root's) is read; one
 * trailing newline is dropped; empty, overlong, multi-line or blank-
 * containing passwords are refused.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "secret.h"

static char dir[] = "/tmp/t-secret-XXXXXX";

static const char *
put(const char *name, const char *content, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs(content, f);
		fclose(f);
	}
	chmod(path, mode);
	return path;
}

int
main(void)
{
	char pw[64], why[256], link[300], cmd[300];
	const char *p;

	if (mkdtemp(dir) == NULL) {
		ok(0, "temporary directory");
		return tap_done();
	}
	p = put("good", "s3cret-Pw\n", 0600);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) == 0 &&
		   strcmp(pw, "s3cret-Pw") == 0,
	   "0600 file: read, newline dropped (%s)", pw);
	p = put("crlf", "abc\r\n", 0400);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) == 0 &&
		   strcmp(pw, "abc") == 0,
	   "0400 file with CRLF: read");
	p = put("open", "abc\n", 0644);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) != 0 &&
		   strstr(why, "0600") != NULL && pw[0] == '\0',
	   "0644 file refused (%s)", why);
	p = put("group", "abc\n", 0640);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) != 0,
	   "0640 file refused");
	snprintf(link, sizeof(link), "%s/link", dir);
	ok(symlink("good", link) == 0 &&
		   secret_read(link, pw, sizeof(pw), why, sizeof(why)) != 0,
	   "a symlink is refused (%s)", why);
	ok(secret_read(dir, pw, sizeof(pw), why, sizeof(why)) != 0,
	   "a directory is refused");
	p = put("empty", "", 0600);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) != 0,
	   "empty refused");
	p = put("nl", "\n", 0600);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) != 0,
	   "a lone newline refused");
	p = put("two", "abc\ndef\n", 0600);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) != 0,
	   "two lines refused");
	p = put("blank", "ab c\n", 0600);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) != 0,
	   "a blank inside refused");
	p = put("long",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
		"efXYZ",
		0600);
	ok(secret_read(p, pw, sizeof(pw), why, sizeof(why)) != 0 &&
		   pw[0] == '\0',
	   "longer than the buffer refused (%s)", why);
	snprintf(cmd, sizeof(cmd), "%s/missing", dir);
	ok(secret_read(cmd, pw, sizeof(pw), why, sizeof(why)) != 0 &&
		   strstr(why, "No such file") != NULL,
	   "a missing file: a clear error (%s)", why);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
