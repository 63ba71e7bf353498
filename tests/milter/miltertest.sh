#!/bin/sh
# tests/milter/miltertest.sh - the real mta-sts-milter driven by miltertest
# (Debian package miltertest), plus its operations: -n, -V, reload with a
# broken file, socket in use, PID file, graceful stop with state saved.
#
# Hermetic without the lab: the daemon's resolver forwards everything to a
# local UDP socket that never answers (so lookups of unknown domains hit
# the deadline), and the verdicts under test come from an override file.
# Run as root, everything runs in a fresh network namespace with only
# loopback as well.  TAP output.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
BIN=$top_builddir/milter/mta-sts-milter
command -v miltertest >/dev/null 2>&1 || { echo "1..0 # SKIP miltertest not installed"; exit 0; }
. "$top_srcdir/tests/milter/hermetic.sh"

T=$(mktemp -d /tmp/mt-milter.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# A DNS "server" that reads nothing: queries time out.
$PY -c 'import socket,sys,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0))
print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(3600)' >"$T/dnsport" &
PIDS="$PIDS $!"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$T/dnsport" ] && break; sleep 0.1; done
DNSPORT=$(cat "$T/dnsport")

cat >"$T/unbound.conf" <<EOC
server:
	do-not-query-localhost: no
	module-config: "iterator"
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@$DNSPORT
EOC
cat >"$T/overrides" <<EOC
# tests/milter/miltertest.sh overrides
defer.test	defer
reject.test	reject
skip.test	skip
exempt-sender	tlsrpt@lab.test
EOC
SOCK="unix:$T/milter.sock"
cat >"$T/good.conf" <<EOC
# written by tests/milter/miltertest.sh
Socket          $SOCK
PidFile         $T/milter.pid
StateFile       $T/state
OverrideFile    $T/overrides
UnboundConfig   $T/unbound.conf
TrustAnchorFile none
DNSTimeout      5s
LookupDeadline  1s
Probe           off
HeaderName      X-MTA-STS
LogLevel        debug
EOC

"$BIN" -V | grep -q "^mta-sts-milter [0-9]"; ok $? "-V prints the version"
"$BIN" -n -c "$T/good.conf" >"$T/n.out" 2>&1; ok $? "-n accepts the test configuration"
printf 'Socket %s\nProbe maybe\nBogus 1\n' "$SOCK" >"$T/bad.conf"
"$BIN" -n -c "$T/bad.conf" >"$T/n.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "bad.conf:2: Probe: expected yes or no" "$T/n.out" &&
	grep -q "bad.conf:3: unknown option" "$T/n.out"
ok $? "-n lists every problem with file:line, exit 1 (rc=$rc)"
cp "$T/good.conf" "$T/badov.conf"
sed -i "s|^OverrideFile.*|OverrideFile $T/overrides.bad|" "$T/badov.conf"
printf 'ok.test skip\nbroken.test frobnicate\n' >"$T/overrides.bad"
"$BIN" -n -c "$T/badov.conf" >"$T/n.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "overrides.bad:2" "$T/n.out"
ok $? "-n checks the override file too (rc=$rc: $(head -c 120 "$T/n.out"))"
# Issue [harden] 7: -n refuses what the start would refuse.
for bad in 'Relayhost [' 'Relayhost [x.test' 'Relayhost :25' 'Forwarders 300.1.1.1' \
	'UserID no-such-user-here' 'CAFile /nonexistent/ca.pem'; do
	grep -v "^${bad%% *}" "$T/good.conf" >"$T/badv.conf"
	echo "$bad" >>"$T/badv.conf"
	"$BIN" -n -c "$T/badv.conf" >"$T/n.out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q "^$T/badv.conf: " "$T/n.out"
	ok $? "-n refuses '$bad' (rc=$rc: $(head -c 100 "$T/n.out"))"
	"$BIN" -f -c "$T/badv.conf" >"$T/start.out" 2>&1
	rc=$?
	[ $rc = 1 ]; ok $? "... and so does the start (rc=$rc)"
done
rm -f "$T/milter.pid" # a failed start may leave its pid there

"$BIN" -f -c "$T/good.conf" 2>"$T/log" &
MPID=$!
PIDS="$PIDS $MPID"
# the socket is opened before the PID file is written (main.c start-up order): wait for both
for i in $(seq 1 50); do [ -S "$T/milter.sock" ] && [ -s "$T/milter.pid" ] && break; sleep 0.1; done
[ -S "$T/milter.sock" ]; ok $? "daemon listens on $SOCK"
[ "$(cat "$T/milter.pid" 2>/dev/null)" = "$MPID" ]; ok $? "PID file holds the daemon's pid"

miltertest -D SOCKET="$SOCK" -D HEADER=X-MTA-STS -s "$top_srcdir/tests/milter/mt_session.lua" >"$T/mt.out" 2>&1
rc=$?
grep '^PASS\|^FAIL' "$T/mt.out" | while read -r res what; do
	echo "$res $what"
done >"$T/mt.res"
while read -r res what; do
	[ "$res" = PASS ]; ok $? "miltertest: $what"
done <"$T/mt.res"
[ $rc = 0 ] && grep -q '^DONE' "$T/mt.out"; ok $? "miltertest session script ran to the end (rc=$rc)"
grep -q 'qid=QID0001 .*rcpt=<u@defer.test> domain=defer.test .*verdict=defer reason=forced' "$T/log"
ok $? "decision logged as key=value with the queue id"
[ "$(grep -c 'rcpt=<u@defer.test> domain=defer.test' "$T/log")" -ge 1 ] &&
	[ "$(grep 'QID0001' "$T/log" | grep -c 'rcpt=<u@reject.test> .*verdict=reject')" = 1 ] &&
	[ "$(grep -c 'rcpt=<u@unknown.example>' "$T/log")" = 1 ]
ok $? "each decision logged once"
grep -q '^.*warning: qid=QID0001 .*verdict=defer' "$T/log"; ok $? "deferral logged at warning"
# issue 13 item 9: a U-label recipient is logged with its A-label and the
# raw form escaped, never as "b??cher"
grep -q 'rcpt=<u@xn--bcher-kva.defer.test> rcpt_raw="<u@b\\xc3\\xbccher.defer.test>" domain=xn--bcher-kva.defer.test ' "$T/log" &&
	! grep -q 'b??cher' "$T/log"
ok $? "U-label recipient logged as its A-label plus the escaped raw form"

# Many concurrent sessions (each held open ~1 s, all overlapping).
NLOAD=${MT_LOAD:-100}
t0=$(date +%s%N)
LPIDS=""
for i in $(seq 1 $NLOAD); do
	miltertest -D SOCKET="$SOCK" -D HEADER=X-MTA-STS -s "$top_srcdir/tests/milter/mt_load.lua" >"$T/load.$i" 2>&1 &
	LPIDS="$LPIDS $!"
done
wait $LPIDS
t1=$(date +%s%N)
good=$(cat "$T"/load.* | grep -c '^PASS')
[ "$good" = "$NLOAD" ]; ok $? "$NLOAD concurrent sessions all answered correctly ($good) in $(((t1 - t0) / 1000000)) ms"
kill -0 $MPID 2>/dev/null; ok $? "daemon alive after the concurrent sessions"
rm -f "$T"/load.*

# Deadline: the lookup can never finish; the reply comes at ~1 s.
t0=$(date +%s%N)
miltertest -D SOCKET="$SOCK" -s "$top_srcdir/tests/milter/mt_deadline.lua" >"$T/dl.out" 2>&1
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
grep -q '^PASS' "$T/dl.out"; ok $? "unanswerable lookup -> accepted"
[ $ms -lt 2500 ]; ok $? "reply within LookupDeadline 1s (+ margin): ${ms} ms"
# Ten such sessions at once (distinct domains).  Each callback returns at
# the deadline, but Debian's libmilter (built with _FFR_WORKERS_POOL) can
# queue a ready session behind a worker that is busy in another session's
# callback: its idle-worker count is stale between signal and wake-up, so
# it signals instead of starting a thread.  Seen: 1-2 s after start-up,
# 1/2/3/4 s after the load above.  Bound: libmilter keeps at least 2
# workers, so 10 sessions need at most 5 deadlines; the fastest answer
# and the bound are asserted, every time reported.
t0=$(date +%s%N)
DPIDS=""
for i in $(seq 1 10); do
	(
		s0=$(date +%s%N)
		miltertest -D SOCKET="$SOCK" -D TAG="par$i-$t0" -s "$top_srcdir/tests/milter/mt_deadline.lua" 2>&1
		echo "MS $((($(date +%s%N) - s0) / 1000000))"
	) >"$T/par.$i" &
	DPIDS="$DPIDS $!"
done
wait $DPIDS
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
good=$(cat "$T"/par.* | grep -c '^PASS')
each=$(cat "$T"/par.* | sed -n 's/^MS //p' | sort -n | tr '\n' ' ')
first=$(echo $each | cut -d' ' -f1)
last=$(echo $each | cut -d' ' -f10)
[ "$good" = 10 ] && [ "${first:-99999}" -lt 1500 ] && [ "${last:-99999}" -lt 5500 ]
ok $? "10 concurrent unanswerable lookups: $good accepted, first at ${first} ms (< 1.5 s), last ${last} ms (< 5.5 s); each: $each"
rm -f "$T"/par.*

# Second daemon on the same socket / PID file.
"$BIN" -f -c "$T/good.conf" >"$T/second.out" 2>&1
rc=$?
[ $rc != 0 ] && grep -qi "in use\|already running" "$T/second.out"
ok $? "a second daemon is refused: $(grep -i 'in use\|already' "$T/second.out" | head -1 | sed 's/^.*error: //')"
kill -0 $MPID 2>/dev/null; ok $? "the first daemon is unharmed"

# Reload with a broken configuration keeps the old one.
cp "$T/good.conf" "$T/good.conf.orig"
echo "Frobnicate yes" >>"$T/good.conf"
kill -HUP $MPID
sleep 0.5
grep -q "reload failed, keeping the old configuration: .*good.conf:[0-9]*: unknown option" "$T/log"
ok $? "SIGHUP with a broken file: logged with file:line, old kept"
kill -0 $MPID 2>/dev/null; ok $? "daemon still running after the broken reload"
printf 'bogus line here\n' >>"$T/overrides"
cp "$T/good.conf.orig" "$T/good.conf"
kill -USR1 $MPID
sleep 0.5
grep -q "reload: override file kept as before" "$T/log"; ok $? "SIGUSR1 with a broken override file keeps the old table"
miltertest -D SOCKET="$SOCK" -D HEADER=X-MTA-STS -s "$top_srcdir/tests/milter/mt_session.lua" >"$T/mt2.out" 2>&1
! grep -q '^FAIL' "$T/mt2.out" && grep -q '^DONE' "$T/mt2.out"
ok $? "after both broken reloads the old rules still apply"

# Graceful stop: state saved, PID file removed, exit 0.
kill -TERM $MPID
for i in $(seq 1 100); do
	st=$(awk '{print $3}' /proc/$MPID/stat 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] && break
	sleep 0.1
done
wait $MPID 2>/dev/null
rc=$?
[ $rc = 0 ]; ok $? "SIGTERM: clean exit (rc=$rc)"
grep -q "SIGTERM from pid [0-9]*: stopping" "$T/log" && grep -q "mta-sts-milter stopped" "$T/log"
ok $? "stop logged"
[ -f "$T/state" ]; ok $? "state file written at stop"
[ ! -e "$T/milter.pid" ]; ok $? "PID file removed"

# Background mode (no -f): the parent returns once the child is ready.
sed -i '/^bogus line here$/d' "$T/overrides"
sed -e "s|^Socket.*|Socket local:$T/bg.sock|" -e "s|^PidFile.*|PidFile $T/bg.pid|" \
	-e "s|^StateFile.*|StateFile none|" "$T/good.conf" >"$T/bg.conf"
"$BIN" -c "$T/bg.conf" >"$T/bg.out" 2>&1
rc=$?
BGPID=$(cat "$T/bg.pid" 2>/dev/null)
[ -n "$BGPID" ] && PIDS="$PIDS $BGPID"
[ $rc = 0 ] && [ -S "$T/bg.sock" ] && [ -n "$BGPID" ] && kill -0 "$BGPID" 2>/dev/null
ok $? "without -f: parent exits 0 when the daemon is ready (pid ${BGPID:-?}, local: socket)"
"$BIN" -c "$T/bg.conf" >"$T/bg2.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "in use" "$T/bg2.out"
ok $? "without -f: a failed start is reported by the parent, exit 1: $(head -c 100 "$T/bg2.out")"
[ -n "$BGPID" ] && kill -TERM "$BGPID"

# Relayhost (RFC 8461 3.4): the smart host's domain is the policy domain.
sed -e "s|^Socket.*|Socket unix:$T/relay.sock|" -e "s|^PidFile.*|PidFile $T/relay.pid|" \
	-e "s|^StateFile.*|StateFile none|" "$T/good.conf" >"$T/relay.conf"
echo "Relayhost [defer.test]:587" >>"$T/relay.conf"
"$BIN" -f -c "$T/relay.conf" 2>"$T/relaylog" &
RPID=$!
PIDS="$PIDS $RPID"
for i in $(seq 1 50); do grep -q "started: milter" "$T/relaylog" && break; sleep 0.1; done
miltertest -D SOCKET="unix:$T/relay.sock" -s "$top_srcdir/tests/milter/mt_relay.lua" >"$T/relay.out" 2>&1
grep '^PASS\|^FAIL' "$T/relay.out" >"$T/relay.res"
[ -s "$T/relay.res" ]; ok $? "relayhost script ran"
while read -r res what; do
	[ "$res" = PASS ]; ok $? "miltertest: $what"
done <"$T/relay.res"
kill -TERM $RPID

# Privilege drop (root only): UserID nobody, state directory owned by it.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	NUID=$(id -u nobody)
	chmod 755 "$T"
	mkdir -p "$T/nobody"
	chown nobody "$T/nobody"
	sed -e "s|^StateFile.*|StateFile $T/nobody/state|" -e "s|^PidFile.*|PidFile $T/run.pid|" \
		"$T/good.conf" >"$T/drop.conf"
	echo "UserID nobody" >>"$T/drop.conf"
	printf 'MapSocket unix:%s/map.sock\nMapSocketMode 0640\n' "$T" >>"$T/drop.conf"
	chmod 644 "$T/drop.conf" "$T/overrides" "$T/unbound.conf"
	"$BIN" -f -c "$T/drop.conf" 2>"$T/droplog" &
	DPID=$!
	PIDS="$PIDS $DPID"
	for i in $(seq 1 50); do grep -q "started: milter" "$T/droplog" && break; sleep 0.1; done
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$DPID/status 2>/dev/null)
	[ "$uids" = "$NUID $NUID $NUID $NUID" ]; ok $? "UserID nobody: real/effective/saved/fs uid all $NUID ($uids)"
	[ "$(awk '/^Groups:/ { print $2 }' /proc/$DPID/status)" != 0 ]; ok $? "supplementary groups reset (no root group)"
	[ "$(stat -c %u "$T/milter.sock")" = "$NUID" ]; ok $? "milter unix socket handed to nobody"
	[ "$(stat -c '%u %a' "$T/map.sock")" = "$NUID 640" ]
	ok $? "map unix socket handed to nobody, mode MapSocketMode 0640 ($(stat -c '%u %a' "$T/map.sock"))"
	[ "$(cat "$T/run.pid" 2>/dev/null)" = "$DPID" ]; ok $? "PID file written before the drop"
	miltertest -D SOCKET="$SOCK" -D HEADER=X-MTA-STS -s "$top_srcdir/tests/milter/mt_session.lua" >"$T/mt3.out" 2>&1
	! grep -q '^FAIL' "$T/mt3.out" && grep -q '^DONE' "$T/mt3.out"; ok $? "serves as nobody"
	kill -TERM $DPID
	for i in $(seq 1 100); do
		st=$(awk '{print $3}' /proc/$DPID/stat 2>/dev/null)
		{ [ -z "$st" ] || [ "$st" = Z ]; } && break
		sleep 0.1
	done
	[ "$(stat -c %u "$T/nobody/state" 2>/dev/null)" = "$NUID" ]; ok $? "state file written by nobody at stop"
	# An unreadable override file fails at start, not at the first reload.
	chmod 600 "$T/overrides"
	"$BIN" -f -c "$T/drop.conf" >"$T/drop2.out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q "overrides" "$T/drop2.out"
	ok $? "override file unreadable by UserID: start fails and says so (rc=$rc)"
	# Issue [harden] 6: so does a state file it cannot read, left as it was.
	chmod 644 "$T/overrides"
	chown root "$T/nobody/state"
	chmod 600 "$T/nobody/state"
	sum0=$(cksum <"$T/nobody/state")
	"$BIN" -f -c "$T/drop.conf" >"$T/drop3.out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q "StateFile .*Permission denied: refusing to start" "$T/drop3.out" &&
		[ "$(cksum <"$T/nobody/state")" = "$sum0" ]
	ok $? "state file unreadable by UserID: start refused, file untouched (rc=$rc: $(grep -o 'StateFile.*' "$T/drop3.out" | head -c 100))"
else
	for w in uids groups socket mapsocket pidfile serves state unreadable unreadable-state; do
		n=$((n + 1)); echo "ok $n # SKIP privilege drop ($w): needs root"
	done
fi

if [ $fails -ne 0 ]; then
	echo "# daemon log:"
	sed 's/^/#   /' "$T/log" | tail -40
fi
echo "1..$n"
[ $fails = 0 ]
