#!/bin/bash
# tests/milter/lab-recheck.sh - a policy change is seen at once (issue 13
# item 1; RFC 8461 section 5.1 step 3, section 8.3), end to end in the
# loopback lab: swaks -> out-Postfix (our milter at RCPT, our policy map at
# delivery) -> the MX farm.
#
# The domain is example-insecure.test, the lab's unsigned child zone: this
# test rewrites its zone file (no signing needed) with 5 s TTLs and its
# policy file, and makes NSD reload (SIGHUP).  Steps:
#   1. id A, MX mx.example-insecure.test, policy "mx: mx.example-insecure.test":
#      a first message is accepted and delivered (the policy is cached);
#   2. RFC 8461 8.3: the domain moves its MX to mx.example-enforce.test,
#      publishes a policy naming it and a new id B;
#   3. after the DNS TTL (and the 60 s floor of our next-hop state) the
#      next message is accepted at RCPT and delivered to the new MX (the
#      map answers the new match= list), not deferred with mx-mismatch
#      for the next 15 minutes as before.
# TAP.  SKIPs when not root; FAILS when root and the lab cannot come up.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
SRC=$(cd "$top_srcdir" && pwd)
BIN=$(cd "$top_builddir" && pwd)/milter/mta-sts-milter
LAB=$SRC/tests/lab
# an instance of its own: this test rewrites a zone
export MTALAB_NAME=${MTALAB_NAME:-recheck-e2e-$$}
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
bail() { echo "not ok 1 - $1"; echo "1..1"; exit 1; }

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespace)"
[ -x "$LAB/up" ] || bail "tests/lab not present"
[ -x "$BIN" ] || bail "$BIN not built"
command -v swaks >/dev/null || bail "swaks not installed"
command -v dig >/dev/null || bail "dig not installed"

if "$LAB/status" >/dev/null 2>&1; then
	bail "lab instance $MTALAB_NAME is already up: this test needs its own"
fi
"$LAB/up" >/tmp/lab-recheck-up.$$ 2>&1 || {
	sed 's/^/# /' /tmp/lab-recheck-up.$$
	rm -f /tmp/lab-recheck-up.$$
	"$LAB/down" --purge >/dev/null 2>&1
	bail "lab did not come up"
}
rm -f /tmp/lab-recheck-up.$$
. "${MTALAB_DIR:-/tmp/mtalab-$MTALAB_NAME}/env"
W=$LABDIR/recheck-test
mkdir -p "$W"
MPID=
stop_milter() {
	[ -n "$MPID" ] || return 0
	kill -TERM "$MPID" 2>/dev/null
	for i in $(seq 1 100); do
		st=$(awk '{print $3}' /proc/$MPID/stat 2>/dev/null)
		{ [ -z "$st" ] || [ "$st" = Z ]; } && break
		sleep 0.1
	done
	kill -KILL "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
	MPID=
}
cleanup() {
	stop_milter
	"$LAB/down" --purge >/dev/null 2>&1
}
trap cleanup EXIT INT TERM

D=example-insecure.test
ZONE=$LABDIR/dns/$D.zone.signed # unsigned: the name is what nsd.conf reads
POLICY=$LABDIR/https/www/$D/.well-known/mta-sts.txt
NSD_PID=$(awk '$3 == "nsd" { print $1 }' "$LABDIR/run/pids")

# publish SERIAL ID MXHOST: zone + policy, then NSD reloads the zone
publish() {
	cat >"$ZONE.new" <<EOZ
\$ORIGIN $D.
\$TTL 5
@ IN SOA ns.test. hostmaster.test. $1 3600 600 86400 5
@ IN NS ns.test.
@ IN MX 10 $3.
mx IN A 127.0.25.11
mta-sts IN A $LAB_HTTPS_ADDR
_mta-sts IN TXT "v=STSv1; id=$2;"
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@$D"
EOZ
	mv "$ZONE.new" "$ZONE"
	printf 'version: STSv1\r\nmode: enforce\r\nmx: %s\r\nmax_age: 86400\r\n' "$3" >"$POLICY.new"
	mv "$POLICY.new" "$POLICY"
	kill -HUP "$NSD_PID"
	for i in $(seq 1 50); do
		"$LAB/inlab" dig +short @"$LAB_NSD_ADDR" _mta-sts.$D TXT | grep -q "id=$2;" && return 0
		sleep 0.1
	done
	return 1
}

cat >"$W/milter.conf" <<EOC
# tests/milter/lab-recheck.sh (RecheckInterval: the default, 1m)
Socket          $LAB_MILTER_SOCKET
MapSocket       $LAB_MAP_SOCKET
UnboundConfig   $LAB_UNBOUND_CONF
TrustAnchorFile none
CAFile          $LAB_CA
PidFile         $W/milter.pid
DNSTimeout      2s
FetchTimeout    3s
ProbeTimeout    3s
LookupDeadline  6s
LogLevel        debug
EOC

publish 2 moveA "mx.$D"
ok $? "zone rewritten and reloaded: id moveA, MX mx.$D"
"$LAB/inlab" "$BIN" -f -c "$W/milter.conf" 2>>"$W/milter.log" &
MPID=$!
for i in $(seq 1 50); do
	grep -q "started: milter" "$W/milter.log" 2>/dev/null && break
	sleep 0.1
done
kill -0 "$MPID" 2>/dev/null
ok $? "milter started"

send() { # $1 tag
	"$LAB/inlab" swaks --server "$LAB_OUT_ADDR:25" --from "sender@lab.test" --to "$1@$D" \
		--header "Subject: lab-recheck $1" --timeout 60 >"$W/swaks-$1.txt" 2>&1
}
reply() { # the reply to RCPT TO:<$1@$D>
	awk -v r="RCPT TO:<$1@$D>" 'found { print; exit } index($0, r) { found = 1 }' "$W/swaks-$1.txt" |
		sed 's/^ *<[-*]* *//'
}
delivered() { # wait up to 30 s for the copy of $1
	for i in $(seq 1 60); do
		grep -lq "^Delivered-To: $1@$D\$" "$LAB_MAILDIR"/new/* 2>/dev/null && return 0
		sleep 0.5
	done
	return 1
}

T1=one$$
send "$T1"
r=$(reply "$T1")
case "$r" in "250 "*) rc=0 ;; *) rc=1 ;; esac
ok $rc "before the move: accepted at RCPT: $r"
delivered "$T1"
ok $? "before the move: delivered"
grep -q "Verified TLS connection established to mx.$D" "$LAB_OUT_LOG"
ok $? "before the move: verified TLS to mx.$D"

# RFC 8461 8.3: new MX, new policy, new id
publish 3 moveB "mx.example-enforce.test"
ok $? "zone rewritten and reloaded: id moveB, MX mx.example-enforce.test"
# the DNS TTL is 5 s; our next-hop state lives at least 60 s
sleep 62

T2=two$$
send "$T2"
r=$(reply "$T2")
case "$r" in "250 "*) rc=0 ;; *) rc=1 ;; esac
ok $rc "after the move: the next message is accepted at RCPT (not mx-mismatch): $r"
grep -q "policy replaced: id=moveB" "$W/milter.log"
ok $? "the new id's policy was fetched: $(grep -o 'policy replaced: id=moveB[^"]*' "$W/milter.log" | head -1)"
delivered "$T2"
ok $? "after the move: delivered"
grep -q "Verified TLS connection established to mx.example-enforce.test" "$LAB_OUT_LOG"
ok $? "delivered to the new MX with verified TLS (the map answered the new policy)"
kill -0 "$MPID" 2>/dev/null
ok $? "milter alive"
stop_milter

if [ $fails -ne 0 ]; then
	echo "# milter log tail:"
	tail -30 "$W/milter.log" | sed 's/^/#   /'
	echo "# out-Postfix log tail:"
	tail -15 "$LAB_OUT_LOG" | sed 's/^/#   /'
fi
echo "1..$n"
[ $fails = 0 ]
