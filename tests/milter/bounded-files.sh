#!/bin/sh
# tests/milter/bounded-files.sh - the daemon refuses configuration and
# override files that are not regular files or pass a cap, fast and with
# a clear message naming the cap and file:line (issue 17).  TAP.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
D="$top_builddir/milter/mta-sts-milter"
TMP=$(mktemp -d) || exit 99
trap 'rm -rf "$TMP"' EXIT
n=0
fail=0

# t NAME WANT-RC STDERR-REGEX -- CMD... (each run bounded to 5 s)
t() {
	name=$1 want=$2 err=$3
	shift 4
	n=$((n + 1))
	start=$(date +%s)
	timeout 5 "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	el=$(($(date +%s) - start))
	why=""
	[ "$rc" -eq "$want" ] || why="exit $rc, want $want"
	[ -n "$why" ] || [ "$el" -le 2 ] || why="took ${el}s"
	if [ -z "$why" ] && [ "$err" = - ] && [ -s "$TMP/err" ]; then
		why="stderr '$(head -c 300 "$TMP/err")', want nothing"
	elif [ -z "$why" ] && [ "$err" != - ] && ! grep -Eq "$err" "$TMP/err"; then
		why="stderr '$(head -c 300 "$TMP/err")' does not match '$err'"
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name: $why"
		fail=$((fail + 1))
	fi
}

t "-c /dev/zero fails fast" 1 '^/dev/zero:0: .*character device, not a regular file' -- "$D" -n -c /dev/zero
t "-c /dev/urandom fails fast" 1 '^/dev/urandom:0: .*character device' -- "$D" -n -c /dev/urandom
mkfifo "$TMP/fifo"
t "-c FIFO fails without blocking" 1 'a FIFO, not a regular file' -- "$D" -n -c "$TMP/fifo"
t "-c a directory fails" 1 'a directory, not a regular file' -- "$D" -n -c "$TMP"
head -c 1048577 /dev/zero | tr '\0' '#' >"$TMP/big.conf"
t "a 1 MiB + 1 byte file passes the size cap" 1 'larger than the cap of 1048576 bytes' -- "$D" -n -c "$TMP/big.conf"
{
	echo "LogLevel info"
	printf 'HeaderName X-'
	head -c 5000 /dev/zero | tr '\0' 'a'
	echo
} >"$TMP/long.conf"
t "an overlong line: file:line and the cap" 1 "^$TMP/long.conf:2: line longer than the cap of 4096 bytes" -- "$D" -n -c "$TMP/long.conf"
echo "OverrideFile /dev/zero" >"$TMP/ov.conf"
t "OverrideFile /dev/zero refused by -n" 1 'override file /dev/zero: a character device' -- "$D" -n -c "$TMP/ov.conf"
echo "OverrideFile $TMP/fifo" >"$TMP/ov2.conf"
t "OverrideFile FIFO refused by -n" 1 'a FIFO' -- "$D" -n -c "$TMP/ov2.conf"
echo "LogLevel info" >"$TMP/ok.conf"
t "a normal file still passes" 0 - -- "$D" -n -c "$TMP/ok.conf"

echo "1..$n"
[ "$fail" -eq 0 ]
