#!/bin/sh
# fuzz/smoke.sh [SECONDS] - run every built libFuzzer target for SECONDS
# (default 30) each, with leak detection, and fail on any crash, leak,
# timeout or sanitizer report.  Run from the build directory after
# `make fuzz`.  Generic: it runs whatever fuzz/fuzz_* executables exist,
# seeded from $top_srcdir/fuzz/corpus/<target>/ and given the libFuzzer
# dictionary $top_srcdir/fuzz/<target>.dict, each when it exists.
# Environment: top_srcdir (default: this script's parent directory),
# FUZZ_BINDIR (default: fuzz), FUZZ_OUT (default: fuzz/smoke-out; new
# corpus entries, logs and crash artifacts are kept there).
# Prints one line per target with its executions per second, and a
# final "N passed, N failed".
set -u
secs=${1:-30}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 64 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/..}"
bindir=${FUZZ_BINDIR:-fuzz}
out=${FUZZ_OUT:-fuzz/smoke-out}
jobs=${FUZZ_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
case $jobs in '' | *[!0-9]* | 0) jobs=1 ;; esac

# run_one NAME: fuzz one target; its verdict goes to $out/NAME/result.
run_one() {
	name=$1
	bin="$bindir/$name"
	work="$out/$name"
	rm -rf "$work"
	mkdir -p "$work/corpus" || exit 70
	seeds="$top_srcdir/fuzz/corpus/$name"
	[ -d "$seeds" ] || seeds=""
	dict="$top_srcdir/fuzz/$name.dict"
	if [ -f "$dict" ]; then dict="-dict=$dict"; else dict=""; fi
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$bin" -max_total_time="$secs" -detect_leaks=1 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 $dict \
		-artifact_prefix="$work/" "$work/corpus" $seeds \
		>"$work/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	if [ "$rc" -eq 0 ] && ! grep -Eq \
	    'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: (Address|Leak|Undefined)' \
	    "$work/log"; then
		echo "PASS $name: ${execs:-?} executions in ${secs}s (${eps:-?}/s)" >"$work/result"
	else
		{
			echo "FAIL $name (exit $rc): see $work/log"
			grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$work/log" |
				head -n 5 | sed 's/^/    /'
		} >"$work/result"
	fi
}

names=""
for bin in "$bindir"/fuzz_*; do
	name=${bin##*/}
	case $name in *.*) continue ;; esac
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	names="$names $name"
done
if [ -z "$names" ]; then
	echo "no fuzz targets in $bindir (run 'make fuzz' first)" >&2
	exit 1
fi
# Lane k runs targets k, k+jobs, k+2*jobs, ... one after the other.
lane=0
while [ $lane -lt "$jobs" ]; do
	(
		i=0
		for name in $names; do
			[ $((i % jobs)) -eq $lane ] && run_one "$name"
			i=$((i + 1))
		done
	) &
	lane=$((lane + 1))
done
wait
pass=0
fail=0
for name in $names; do
	if [ -f "$out/$name/result" ]; then
		cat "$out/$name/result"
	else
		echo "FAIL $name: no result (the lane died)"
	fi
	case $(head -n 1 "$out/$name/result" 2>/dev/null) in
	PASS*) pass=$((pass + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
