# shellcheck shell=bash disable=SC2034,SC2119,SC2120 # for the tests that source it
# tests/lab/lib/tap.sh - sourced by lab tests (bash) first: the preamble every lab test
# repeated (TAP output, paths, the root check, bringing its lab instance up and down, waits).
# A test sources it as  . "$(dirname "$0")/../lab/lib/tap.sh"  and sets MTALAB_NAME (an
# instance of its own) before lab_up.  Our daemon: tests/lab/lib/ours.sh.
#
# TAP
#   tap OK|FAIL DESC     one test line; FAIL counts in $fails
#   ok STATUS DESC       the same from an exit status (0: ok)
#   diag [TEXT...]       "# TEXT"; with no argument, every line of stdin
#   plan                 "1..$n" (the plan comes last)
#   bail DESC            a step everything else needs failed: a failing line, the plan, exit 1
#   skip_all REASON      "1..0 # SKIP REASON", exit 0
#   tap_done             the plan; the status is 0 only if nothing failed (the last command)
# Paths (absolute): top_srcdir, top_builddir (from make's environment, else the source tree
#   and the current directory), srcdir (the test's own directory), LAB (tests/lab), DAEMON
#   (the built milter/mta-sts-milter).
# Root
#   lab_need_root [SKIP-REASON]  skip the whole test unless root (a package build runs as nobody);
#                         as root, a lab that cannot come up is a failure (lab_up bails)
# The lab instance $MTALAB_NAME
#   lab_up [UP-ARG...]    bring it up (tests/lab/up UP-ARG...), source its env (LABDIR,
#                         LAB_*), install the EXIT trap (lab_cleanup; INT and TERM exit
#                         through it); on failure show the tail of up's output and bail
#                         "lab $MTALAB_NAME up".  LAB_IF_UP says
#                         what to do with an instance already up: purge (default: the leftover
#                         of an interrupted run), reuse (use it and leave it up), refuse (bail).
#   lab_cleanup           the trap: lab_cleanup_hook (if the test defines one), ours_stop
#                         (if ours.sh is sourced), then the lab down: purged if nothing failed,
#                         else stopped with its logs kept (LAB_PURGE=always purges anyway)
# Waits (every 0.1 s)
#   wait_for TENTHS CMD...     until CMD succeeds; 1 if it never did
#   wait_log FILE REGEX [TENTHS]  until FILE has a line matching the extended REGEX (15 s)
n=0
fails=0
tap() {
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}
ok() {
	if [ "$1" = 0 ]; then tap OK "$2"; else tap FAIL "$2"; fi
}
diag() {
	if [ $# -gt 0 ]; then echo "# $*"; else sed 's/^/# /'; fi
}
plan() { echo "1..$n"; }
bail() {
	tap FAIL "$1"
	plan
	exit 1
}
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}
tap_done() {
	plan
	[ "$fails" = 0 ]
}

srcdir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$srcdir/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
LAB=$top_srcdir/tests/lab
DAEMON=$top_builddir/milter/mta-sts-milter

lab_need_root() {
	[ "$(id -u)" = 0 ] || skip_all "${1:-not root (the lab needs network namespaces)}"
}

LAB_STARTED=0
lab_cleanup() {
	declare -F lab_cleanup_hook >/dev/null && lab_cleanup_hook
	declare -F ours_stop >/dev/null && ours_stop
	[ "$LAB_STARTED" = 1 ] || return 0
	if [ "$fails" = 0 ] || [ "${LAB_PURGE:-}" = always ]; then
		"$LAB/down" --purge >/dev/null 2>&1
	else
		"$LAB/down" >/dev/null 2>&1
		echo "# logs kept in ${LABDIR:-the lab directory}"
	fi
}
lab_up() {
	local out=/tmp/lab-$MTALAB_NAME-up.$$
	trap lab_cleanup EXIT
	trap 'exit 1' INT TERM # bash skips the EXIT trap when a signal kills it
	case ${LAB_IF_UP:-purge} in
	reuse) ;;
	refuse)
		! "$LAB/status" >/dev/null 2>&1 ||
			bail "lab instance $MTALAB_NAME is already up: this test needs its own"
		;;
	*) "$LAB/down" --purge >/dev/null 2>&1 ;; # a leftover of an interrupted run
	esac
	if ! "$LAB/status" >/dev/null 2>&1; then
		LAB_STARTED=1
		"$LAB/up" "$@" >"$out" 2>&1 || {
			tail -n 20 "$out" | diag
			rm -f "$out"
			bail "lab $MTALAB_NAME up"
		}
		rm -f "$out"
	fi
	# shellcheck disable=SC1090
	. "${MTALAB_DIR:-/tmp/mtalab-$MTALAB_NAME}/env"
}

wait_for() {
	local tenths=$1 _
	shift
	for _ in $(seq 1 "$tenths"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
wait_log() {
	wait_for "${3:-150}" grep -qE "$2" "$1" 2>/dev/null
}
