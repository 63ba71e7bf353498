# Shared by tests/lab/{up,down,inlab,status,peer,sendmail,postconf-out,selftest}.  Sourced, bash.
# Instance: MTALAB_NAME (default main) -> netns mtalab-$NAME, dir ${MTALAB_DIR:-/tmp/mtalab-$NAME}.

LAB_NAME=${MTALAB_NAME:-main}
case $LAB_NAME in
'' | *[!A-Za-z0-9_-]*)
	echo "lab: MTALAB_NAME must be [A-Za-z0-9_-]+ (got '$LAB_NAME')" >&2
	exit 2
	;;
esac
LABDIR=${MTALAB_DIR:-/tmp/mtalab-$LAB_NAME}
LAB_NETNS=mtalab-$LAB_NAME
LABSRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_REPO=$(cd "$LABSRC/../.." && pwd)
PY=/usr/bin/python3 # Debian's python (pitfall 25), not the one on PATH
LAB_PEER_PORT=${MTALAB_PEER_PORT:-8462}
LAB_SM_ADDR=127.0.25.2
LAB_SM_PORT=25
LAB_EXIM_ADDR=127.0.25.4
LAB_EXIM_PORT=25
LAB_ADDRS="127.0.53.1 127.0.53.2 127.0.44.3 127.0.44.4 127.0.44.5 127.0.44.6 127.0.25.1 127.0.25.2
	127.0.25.4 127.0.25.11 127.0.25.12 127.0.25.13 127.0.25.14 127.0.25.15 127.0.25.16 127.0.25.17
	127.0.25.18"

die() {
	echo "lab($LAB_NAME): $*" >&2
	exit 1
}

need_root() {
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces, mounts)"
}

now_ms() {
	local t
	t=$(date +%s%N)
	echo $((t / 1000000))
}

# Per-phase timings: phase NAME starts a phase and ends the previous one.
_PH_NAME='' _PH_T0='' _PH_START=''
phase() {
	local t
	t=$(now_ms)
	[ -z "$_PH_START" ] && _PH_START=$t
	[ -n "$_PH_NAME" ] && printf '  %-34s %5d ms\n' "$_PH_NAME" $((t - _PH_T0))
	_PH_NAME=$1 _PH_T0=$t
}
phase_total() {
	phase ""
	printf '  %-34s %5d ms\n' "TOTAL $1" $(($(now_ms) - _PH_START))
}

# Field 22 of /proc/PID/stat (start time in clock ticks); comm may contain
# spaces, so parse after the last ')' (pitfall 27).
starttime() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	echo "${20}"
}

# alive PID START: running (not a zombie) and still the process we started
alive() {
	local s want=$2
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	[ "$1" != Z ] && [ "$1" != X ] && [ "${20}" = "$want" ]
}

# The command prefix that runs something inside the lab: netns + private mount
# namespace with the lab's resolv.conf, hosts and nsswitch.conf bind-mounted.
# The chain only execs, so the PID of `lab_exec ... &` is the program's own.
lab_exec() {
	exec ip netns exec "$LAB_NETNS" unshare -m --propagation private /bin/sh -c '
		L=$1; shift
		mount --bind "$L/etc/resolv.conf" /etc/resolv.conf &&
		mount --bind "$L/etc/hosts" /etc/hosts &&
		mount --bind "$L/etc/nsswitch.conf" /etc/nsswitch.conf || exit 125
		exec "$@"' inlab "$LABDIR" "$@"
}

# bg NAME CMD...: start a daemon in the lab, in its own session, record "PID START NAME".
bg() {
	local name=$1 pid st
	shift
	(
		exec 9>&-
		cd "$LABDIR" || exit 1
		exec setsid "$LABSRC/inlab" "$@" </dev/null >>"$LABDIR/log/$name.out" 2>&1
	) &
	pid=$!
	st=$(starttime $pid) || st=0
	echo "$pid $st $name" >>"$LABDIR/run/pids"
	echo "$pid" >"$LABDIR/run/$name.pid"
}

# stop_pids FILE [NAME...]: TERM the recorded processes (all, or those named),
# wait, KILL what is left; rewrites FILE without them.
stop_pids() {
	local f=$1 pid st name live="" keep="" i
	shift
	[ -f "$f" ] || return 0
	while read -r pid st name; do
		[ -n "$pid" ] || continue
		if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx -- "$name"; then
			keep="$keep$pid $st $name
"
			continue
		fi
		if alive "$pid" "$st"; then
			kill -TERM "$pid" 2>/dev/null && live="$live $pid:$st"
		fi
		rm -f "$LABDIR/run/$name.pid"
	done <"$f"
	for i in $(seq 1 30); do
		local any=""
		for p in $live; do alive "${p%%:*}" "${p##*:}" && any=1; done
		[ -z "$any" ] && break
		sleep 0.1
	done
	for p in $live; do
		alive "${p%%:*}" "${p##*:}" && kill -KILL "${p%%:*}" 2>/dev/null
	done
	printf '%s' "$keep" >"$f"
}

# wait_ready SPEC...: inside the netns, until every tcp:ADDR:PORT accepts and
# every dns:ADDR answers an AD-flagged SOA for test. (deadline in seconds: WAIT_S)
wait_ready() {
	ip netns exec "$LAB_NETNS" $PY "$LABSRC/lib/wait.py" "${WAIT_S:-8}" "$@"
}

lab_is_up() {
	[ -f "$LABDIR/run/state" ] && [ "$(cat "$LABDIR/run/state")" = up ] &&
		ip netns list 2>/dev/null | grep -qw "^$LAB_NETNS"
}

# Lock against concurrent up/down of the same instance.
take_lock() {
	mkdir -p "$LABDIR/run" "$LABDIR/log"
	exec 9>"$LABDIR/run/lock"
	flock -w "${1:-15}" 9 || die "another up/down of this instance holds $LABDIR/run/lock"
}

# running NAME: the last recorded process of that name is alive
running() {
	local pid st
	pid=$(cat "$LABDIR/run/$1.pid" 2>/dev/null) || return 1
	st=$(awk -v p="$pid" -v n="$1" '$1 == p && $3 == n { print $2 }' "$LABDIR/run/pids")
	[ -n "$st" ] && alive "$pid" "$st"
}

# svc_status NAME WHAT: print and return the state of a daemon started by bg
svc_status() {
	if running "$1"; then
		echo "$1: running, pid $(cat "$LABDIR/run/$1.pid"), $2"
	elif [ -f "$LABDIR/run/$1.pid" ]; then
		echo "$1: DEAD"
		return 1
	else
		echo "$1: not started"
		return 1
	fi
}
