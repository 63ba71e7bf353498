/*
 * tests/tap.h - a minimal TAP producer for the unit tests.
 *
 * Each ok()/is_str()/is_int() prints one "ok N - name" or "not ok N -
 * name" line; tap_done() prints the plan and returns the exit status.
 * Header-only, single-threaded by design (call from the main thread).
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

static void tap_line(int pass, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
tap_line(int pass, const char *fmt, va_list ap)
{
	tap_n++;
	if (!pass)
		tap_fail++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

static int ok(int pass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static int
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(pass, fmt, ap);
	va_end(ap);
	return pass;
}

static int is_str(const char *got, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), unused));
static int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int pass = (got == NULL && want == NULL) ||
		   (got != NULL && want != NULL && strcmp(got, want) == 0);

	va_start(ap, fmt);
	tap_line(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return pass;
}

static int is_int(long long got, long long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), unused));
static int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int pass = got == want;

	va_start(ap, fmt);
	tap_line(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return pass;
}

static void tap_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), unused));
static void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int tap_done(void) __attribute__((unused));
static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}

#endif /* TESTS_TAP_H */
