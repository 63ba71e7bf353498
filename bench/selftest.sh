#!/bin/bash
# bench/selftest.sh - TAP test of the benchmark programs themselves, with
# no lab and no root: the load clients against the two limits (smtrivial,
# noop_milter) over unix sockets in a private directory and one loopback
# TCP port.  It proves that the clients count what they should (answers
# with the right prefix, header modifications, caps) and refuse
# non-loopback addresses, and it shows the Nagle trap and its fix.
set -u
B=${top_builddir:-.}/bench
D=$(mktemp -d /tmp/bench-selftest.XXXXXX)
PIDS=""
n=0 failed=0
cleanup() {
	local p
	# port_try runs in a command substitution (a subshell): its servers'
	# PIDs come back through $D/pids, not through PIDS.
	PIDS="$PIDS $(cat "$D/pids" 2>/dev/null)"
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do
		# libmilter may take a few seconds to notice SIGTERM
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.3; done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$D"
}
trap cleanup EXIT

ok() { # DESCRIPTION CONDITION...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $d"
	else
		echo "not ok $n - $d"
		failed=$((failed + 1))
	fi
}
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
bg() {
	"$@" </dev/null >>"$D/servers.log" 2>&1 &
	PIDS="$PIDS $!"
}
wait_sock() { # unix socket path
	local i
	for i in $(seq 1 50); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

echo "1..18"

# --- socketmap: smtrivial + smload
bg "$B/smtrivial" -s "unix:$D/sm.sock" -r "OK secure match=mx.example.test"
ok "smtrivial listens on a unix socket" wait_sock "$D/sm.sock"
out=$("$B/smload" -s "unix:$D/sm.sock" -k example.test -e "OK secure" -c 2 -d 1 -l t1)
rc=$?
ok "smload persist: exit 0" [ $rc = 0 ]
ok "smload persist: answers counted, none wrong ($out)" \
	eval 'gt "$(kv ok "$out")" 100 && [ "$(kv err "$out")" = 0 ]'
out=$("$B/smload" -s "unix:$D/sm.sock" -k example.test -e OK -m newconn -q 200 -l t2)
ok "smload newconn -q 200 stops at exactly 200 ($out)" [ "$(kv ok "$out")" = 200 ]
out=$("$B/smload" -s "unix:$D/sm.sock" -k example.test -e NOTFOUND -q 50 -l t3 2>/dev/null)
rc=$?
ok "smload: a reply without the expected prefix is an error, not a success" \
	eval '[ $rc = 1 ] && [ "$(kv ok "$out")" = 0 ] && [ "$(kv err "$out")" = 50 ]'
out=$("$B/smload" -s "unix:$D/sm.sock" -k example.test -c 20 -m newconn -p 3 -l t4)
ok "smload -c 20 -p 3: 60 lookups on 20 connections at once ($out)" [ "$(kv ok "$out")" = 60 ]
"$B/smload" -s 192.0.2.1:8461 -k x -q 1 >/dev/null 2>"$D/err"
rc=$?
ok "smload refuses a non-loopback address" eval '[ $rc = 2 ] && grep -q "not a loopback" "$D/err"'
"$B/miload" -s inet:25@10.1.2.3 -q 1 >/dev/null 2>"$D/err"
rc=$?
ok "miload refuses a non-loopback address" eval '[ $rc = 2 ] && grep -q "not a loopback" "$D/err"'

# --- milter: noop_milter + miload over unix sockets
bg "$B/noop_milter" -p "unix:$D/noop.sock"
bg "$B/noop_milter" -p "unix:$D/nooph.sock" -H
ok "noop_milter listens (plain and header-adding)" eval 'wait_sock "$D/noop.sock" && wait_sock "$D/nooph.sock"'
out=$("$B/miload" -s "unix:$D/noop.sock" -c 2 -d 1 -l m1)
ok "miload reuse: messages, no errors, nothing tagged ($out)" \
	eval 'gt "$(kv ok "$out")" 50 && [ "$(kv err "$out")" = 0 ] && [ "$(kv tagged "$out")" = 0 ]'
ok "miload: libmilter negotiated away the unregistered steps (proto 0x373)" [ "$(kv proto "$out")" = 0x373 ]
out=$("$B/miload" -s "unix:$D/noop.sock" -H -q 10 -l m2 2>/dev/null)
rc=$?
ok "miload -H: a message without the header counts as an error" eval '[ $rc = 1 ] && [ "$(kv ok "$out")" = 0 ]'
out=$("$B/miload" -s "unix:$D/nooph.sock" -H -r 10 -m newconn -c 2 -q 40 -l m3)
ok "miload newconn, 10 recipients, header seen on every message ($out)" \
	eval '[ "$(kv ok "$out")" = 40 ] && [ "$(kv tagged "$out")" = 40 ]'

# --- the Nagle trap over TCP, and the fix (TCP_NODELAY on the listener)
port_try() { # FLAGS...: start a header-adding noop_milter on a free port, echo it
	local p i pid
	for i in 1 2 3 4 5; do
		p=$((30000 + RANDOM % 10000))
		"$B/noop_milter" -p "inet:$p@127.0.0.1" -H "$@" </dev/null >>"$D/servers.log" 2>&1 &
		pid=$!
		sleep 0.3
		if kill -0 $pid 2>/dev/null; then
			echo "$pid" >>"$D/pids"
			echo $p
			return 0
		fi
	done
	return 1
}
P1=$(port_try)
P2=$(port_try -N)
ok "noop_milter on two loopback TCP ports ($P1, $P2)" eval '[ -n "$P1" ] && [ -n "$P2" ]'
slow=$("$B/miload" -s "inet:$P1@127.0.0.1" -H -q 12 -l nagle)
ok "without TCP_NODELAY each tagged message waits for a delayed ACK (p50 > 30 ms: $slow)" \
	gt "$(kv p50_ms "$slow")" 30
fast=$("$B/miload" -s "inet:$P2@127.0.0.1" -H -q 200 -l nodelay)
ok "with TCP_NODELAY on the listener the stall is gone (p50 < 20 ms: $fast)" \
	lt "$(kv p50_ms "$fast")" 20
ok "both runs tagged every message" eval '[ "$(kv tagged "$slow")" = 12 ] && [ "$(kv tagged "$fast")" = 200 ]'
ok "all benchmark servers still running" eval 'for p in $PIDS $(cat "$D/pids"); do kill -0 $p || exit 1; done'
exit $((failed > 0))
