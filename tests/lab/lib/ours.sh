# tests/lab/lib/ours.sh - sourced by lab tests (bash): start and stop OUR daemon
# (milter/mta-sts-milter) inside a lab that is up, with the lab's resolver and CA,
# the milter on $LAB_MILTER_SOCKET's port 8891 and the socketmap on $LAB_MAP_SOCKET,
# where out-Postfix, sendmail and Postfix 3.10 expect them.  Needs: $LAB (tests/lab),
# the lab's env sourced, /usr/bin/python3.
#
#   ours_start DAEMON DIR [CONF-LINE...]  write DIR/mta-sts-milter.conf, start the
#       daemon (log DIR/daemon.log), wait up to 5 s until the map answers; sets
#       OURS_PID; returns 1 (with the log's tail on stdout as "# " lines) otherwise.
#       OURS_MAP_SOCKET (default $LAB_MAP_SOCKET; empty: no MapSocket line, give one
#       as a CONF-LINE) and OURS_PROBE ("NAME HOST:PORT" of the map to ask, default
#       "postfix 127.0.0.1:8461") are read at each call
#   ours_stop                             TERM it, wait up to 5 s
OURS_PID=
ours_start() {
	local daemon=$1 dir=$2 line
	shift 2
	mkdir -p "$dir"
	{
		echo "Socket $LAB_MILTER_SOCKET"
		[ -z "${OURS_MAP_SOCKET-$LAB_MAP_SOCKET}" ] ||
			echo "MapSocket ${OURS_MAP_SOCKET-$LAB_MAP_SOCKET}"
		echo "LogLevel debug"
		echo "UnboundConfig $LAB_UNBOUND_CONF"
		echo "CAFile $LAB_CA"
		echo "PidFile $dir/daemon.pid"
		for line in "$@"; do echo "$line"; done
	} >"$dir/mta-sts-milter.conf"
	setsid "$LAB/inlab" "$daemon" -f -c "$dir/mta-sts-milter.conf" >>"$dir/daemon.log" 2>&1 &
	OURS_PID=$!
	for _ in $(seq 1 50); do
		kill -0 "$OURS_PID" 2>/dev/null || break
		# shellcheck disable=SC2086 # "NAME HOST:PORT"
		"$LAB/inlab" /usr/bin/python3 "$LAB/../socketmap/smq-many.py" \
			${OURS_PROBE:-postfix 127.0.0.1:8461} probe.invalid 2>/dev/null |
			grep -qE 'NOTFOUND|OK ' && return 0
		sleep 0.1
	done
	sed 's/^/# /' "$dir/daemon.log" | tail -n 20
	return 1
}
ours_stop() {
	[ -n "$OURS_PID" ] && kill -0 "$OURS_PID" 2>/dev/null || return 0
	kill "$OURS_PID"
	for _ in $(seq 1 50); do kill -0 "$OURS_PID" 2>/dev/null || break; sleep 0.1; done
}
