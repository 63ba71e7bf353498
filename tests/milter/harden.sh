#!/bin/sh
# tests/milter/harden.sh - the real daemon under hostile operations (issue
# [harden]): bursts of SIGHUP/SIGUSR1 during reloads of a 100,000-line
# override file never stop it (item 4); only SIGTERM/SIGINT do, logged,
# exit 0; libmilter closes an idle MTA connection after MilterTimeout and
# the descriptor limit is raised (item 2); a normal stop saves the state
# file once (item 6).
#
# Hermetic without the lab: no lookup leaves the process (the verdicts
# come from the override file; the resolver forwards to a closed port).
# As root it runs in a private network namespace.  TAP output.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
BIN=$top_builddir/milter/mta-sts-milter
. "$top_srcdir/tests/milter/hermetic.sh"

T=$(mktemp -d /tmp/harden-milter.XXXXXX)
MPID=""  # the daemon
WPID=""  # what to wait for: the daemon, or strace (same exit status)
cleanup() {
	[ -n "$MPID" ] && kill -9 "$MPID" 2>/dev/null
	[ -n "$WPID" ] && kill -9 "$WPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# 100,000 rules: a reload takes long enough for signals to pile up.
$PY -c 'import sys
w = sys.stdout.write
w("defer.test defer\n")
for i in range(100000):
    w("d%d.test skip\n" % i)' >"$T/overrides"
printf 'server:\n\tdo-not-query-localhost: no\nforward-zone:\n\tname: "."\n\tforward-addr: 127.0.0.1@9\n' >"$T/unbound.conf"
cat >"$T/conf" <<EOC
Socket          unix:$T/milter.sock
MapSocket       unix:$T/map.sock
StateFile       $T/state
OverrideFile    $T/overrides
UnboundConfig   $T/unbound.conf
TrustAnchorFile none
Probe           off
LookupDeadline  1s
MilterTimeout   2s
LogLevel        info
PidFile         $T/pid
EOC

# One socketmap query; prints the reply payload or "(error ...)".
ask() {
	$PY - "$T/map.sock" "$1" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
    q = ("postfix " + sys.argv[2]).encode()
    s.sendall(b"%d:%s," % (len(q), q))
    buf = b""
    while not buf.endswith(b","):
        d = s.recv(4096)
        if not d:
            break
        buf += d
    print(buf.partition(b":")[2][:-1].decode())
except OSError as e:
    print("(error %s)" % e)
EOP
}

alive() { kill -0 "$MPID" 2>/dev/null && [ "$(awk '{print $3}' /proc/$MPID/stat 2>/dev/null)" != Z ]; }

# start [trace]: with "trace", under strace (renames only), which also
# changes how signals are delivered: never for the signal bursts.
start() {
	: >"$T/log"
	rm -f "$T/strace"
	if [ "${1:-}" = trace ] && command -v strace >/dev/null 2>&1; then
		strace -f -qq -e trace=rename -o "$T/strace" "$BIN" -f -c "$T/conf" 2>"$T/log" &
	else
		"$BIN" -f -c "$T/conf" 2>"$T/log" &
	fi
	WPID=$!
	for i in $(seq 1 100); do grep -q "started: milter" "$T/log" && break; sleep 0.1; done
	MPID=$(cat "$T/pid" 2>/dev/null)
	grep -q "started: milter" "$T/log" && [ -n "$MPID" ]
}

wait_exit() {
	for i in $(seq 1 100); do alive || break; sleep 0.1; done
	wait "$WPID" 2>/dev/null
}

start; ok $? "daemon started with a 100,000-line override file"
[ "$(ask defer.test)" = "TEMP " ] || [ "$(ask defer.test | cut -c1-4)" = TEMP ]
ok $? "map answers (defer.test -> $(ask defer.test))"
nofile=$(awk '/^Max open files/ {print $4}' /proc/$MPID/limits)
hard=$(awk '/^Max open files/ {print $5}' /proc/$MPID/limits)
[ "$nofile" = "$hard" ]; ok $? "soft descriptor limit raised to the hard one ($nofile)"

# Item 4: bursts of reload signals: the first starts a reload, the
# others arrive while it runs (3 ms to 80 ms later).
$PY - "$MPID" <<'EOP'
import os, signal, sys, time
pid = int(sys.argv[1])
for burst in range(15):
    os.kill(pid, signal.SIGHUP)
    for gap, sig in ((0.003, signal.SIGHUP), (0.007, signal.SIGUSR1),
                     (0.010, signal.SIGHUP), (0.020, signal.SIGHUP),
                     (0.040, signal.SIGHUP)):
        time.sleep(gap)
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            sys.exit(0)
    time.sleep(0.2)
EOP
sleep 0.5
alive; ok $? "alive after 15 bursts of 6 reload signals"
for i in $(seq 1 100); do
	[ "$(grep -c 'reload: overrides read' "$T/log")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'reload: overrides read' "$T/log")" -ge 2 ]
ok $? "reloads happened ($(grep -c 'reload: overrides read' "$T/log"))"
sleep 3 # let the queued reloads finish
alive && [ "$(ask defer.test | cut -c1-4)" = TEMP ]
ok $? "still answers after the bursts"
! grep -q "stopping" "$T/log"; ok $? "no stop was logged"

# Item 2: libmilter got MilterTimeout.  Debian's libmilter (worker pool)
# looks for idle sessions every 600 s, so the close itself is checked only
# with HARDEN_LONG=1 (up to 11 minutes).
grep -q "milter: idle MTA connections closed after 2 s" "$T/log"
ok $? "MilterTimeout 2s handed to libmilter"
if [ -n "${HARDEN_LONG:-}" ]; then
	$PY - "$T/milter.sock" >"$T/idle.out" <<'EOP'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(660)
t0 = time.time()
try:
    d = s.recv(1)
    print("closed" if d == b"" else "data", round(time.time() - t0, 1))
except socket.timeout:
    print("open", round(time.time() - t0, 1))
except OSError as e:
    print("closed", round(time.time() - t0, 1))
EOP
	grep -q "^closed" "$T/idle.out"
	ok $? "idle milter connection closed by MilterTimeout 2s within 11 min ($(cat "$T/idle.out"))"
else
	echo "# the close of an idle MTA connection: HARDEN_LONG=1 (11 minutes)"
fi

# Only SIGTERM stops it: logged with the sender, exit 0.
kill -TERM "$MPID"
wait_exit
rc=$?
[ $rc = 0 ]; ok $? "SIGTERM: exit 0 (rc=$rc)"
grep -q "SIGTERM from pid [0-9]*: stopping" "$T/log"; ok $? "the stop is logged with its signal and sender"

# Item 6: a normal stop saves the state file once.
start trace; ok $? "restarted under strace"
kill -TERM "$MPID"
wait_exit
if [ -f "$T/strace" ]; then
	saves=$(grep -c "rename(.*\"$T/state\")" "$T/strace")
	[ "$saves" = 1 ]; ok $? "state file saved once at stop ($saves renames)"
elif [ "$(id -u)" = 0 ]; then
	# as root (CI's check and asan stages) strace is installed by
	# tests/install-deps: its absence is a failure there
	n=$((n + 1)); echo "not ok $n - strace missing (tests/install-deps installs it)"; fails=$((fails + 1))
else
	# a package build (nobody, no strace in Build-Depends, ptrace may be
	# refused): the count cannot be taken; skipped, not passed
	n=$((n + 1)); echo "ok $n # SKIP state file saved once at stop: strace not usable here"
fi

start; ok $? "restarted"
kill -INT "$MPID"
wait_exit
rc=$?
[ $rc = 0 ] && grep -q "SIGINT from pid" "$T/log"; ok $? "SIGINT: exit 0, logged (rc=$rc)"

if [ $fails -ne 0 ]; then
	echo "# daemon log:"
	tail -30 "$T/log" | sed 's/^/#   /'
fi
echo "1..$n"
[ $fails = 0 ]
