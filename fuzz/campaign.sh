#!/bin/sh
# fuzz/campaign.sh [-r RUNS] [-t SECONDS] [TARGET...] - the long fuzz
# campaign of fuzz/README: run each built libFuzzer target (default: every
# fuzz/fuzz_* in $FUZZ_BINDIR) once, one after the other, at nice 19, for
# RUNS executions (default 10000000) or SECONDS (default 3600), whichever
# comes first, with leak detection, seeded from the committed corpus and
# dictionary; then minimise seeds + grown corpus (-merge=1) into a fresh
# directory.  Run from the build directory after `make fuzz`.  Nothing in
# the source tree is changed: results go to $FUZZ_OUT/<target>/
# (default fuzz/campaign-out): log, corpus/ (grown), min/ (minimised),
# merge.log and any crash-/leak-/timeout- artifact.  Copy min/ into
# fuzz/corpus/<target>/ by hand after reading the logs.
# Prints one line per target; exits 1 if any target crashed.
set -u
runs=10000000
secs=3600
while getopts r:t: o; do
	case $o in
	r) runs=$OPTARG ;;
	t) secs=$OPTARG ;;
	*) echo "usage: $0 [-r RUNS] [-t SECONDS] [TARGET...]" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
case $runs$secs in *[!0-9]*) echo "$0: RUNS and SECONDS are numbers" >&2; exit 64 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/..}"
bindir=${FUZZ_BINDIR:-fuzz}
out=${FUZZ_OUT:-fuzz/campaign-out}
if [ $# -eq 0 ]; then
	for bin in "$bindir"/fuzz_*; do
		case ${bin##*/} in *.*) continue ;; esac
		[ -x "$bin" ] && set -- "$@" "${bin##*/}"
	done
fi
[ $# -gt 0 ] || { echo "no fuzz targets in $bindir (run 'make fuzz' first)" >&2; exit 1; }
bad=0
for name in "$@"; do
	bin=$bindir/$name
	[ -x "$bin" ] || { echo "$0: no $bin" >&2; exit 1; }
	work=$out/$name
	rm -rf "$work/min"
	mkdir -p "$work/corpus" "$work/min" || exit 70
	seeds=$top_srcdir/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=""
	dict=$top_srcdir/fuzz/$name.dict
	if [ -f "$dict" ]; then dict="-dict=$dict"; else dict=""; fi
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		nice -n 19 "$bin" -runs="$runs" -max_total_time="$secs" \
		-detect_leaks=1 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 $dict -artifact_prefix="$work/" \
		"$work/corpus" $seeds >"$work/log" 2>&1
	rc=$?
	nice -n 19 "$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 \
		"$work/min" $seeds "$work/corpus" >"$work/merge.log" 2>&1
	done_=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$work/log")
	cov=$(grep DONE "$work/log" | tail -n 1 | sed 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/')
	min=$(ls "$work/min" | wc -l)
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $name (exit $rc): see $work/log"
		bad=1
	else
		echo "done $name: ${done_:-?}, $cov, minimised corpus $min files"
	fi
done
exit $bad
