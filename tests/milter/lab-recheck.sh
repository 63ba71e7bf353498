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
# an instance of its own: this test rewrites a zone
export MTALAB_NAME=${MTALAB_NAME:-recheck-e2e-$$}
# shellcheck source=../lab/lib/tap.sh
. "$(dirname "$0")/../lab/lib/tap.sh"
lab_need_root "needs root (network namespace)"
[ -x "$LAB/up" ] || bail "tests/lab not present"
[ -x "$DAEMON" ] || bail "$DAEMON not built"
command -v swaks >/dev/null || bail "swaks not installed"
command -v dig >/dev/null || bail "dig not installed"

LAB_IF_UP=refuse
LAB_PURGE=always # a fresh instance each run
lab_up
W=$LABDIR/recheck-test
mkdir -p "$W"
# shellcheck source=../lab/lib/ours.sh
. "$LAB/lib/ours.sh"

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
	has_id() { "$LAB/inlab" dig +short @"$LAB_NSD_ADDR" _mta-sts.$D TXT | grep -q "id=$1;"; }
	wait_for 50 has_id "$2"
}

publish 2 moveA "mx.$D"
ok $? "zone rewritten and reloaded: id moveA, MX mx.$D"
# RecheckInterval: the default, 1m
ours_start "$DAEMON" "$W" "TrustAnchorFile none" "DNSTimeout 2s" "FetchTimeout 3s" \
	"ProbeTimeout 3s" "LookupDeadline 6s" && wait_log "$W/daemon.log" "started: milter" 50 &&
	kill -0 "$OURS_PID" 2>/dev/null
ok $? "milter started"

send() { # $1 tag
	"$LAB/inlab" swaks --server "$LAB_OUT_ADDR:25" --from "sender@lab.test" --to "$1@$D" \
		--header "Subject: lab-recheck $1" --timeout 60 >"$W/swaks-$1.txt" 2>&1
}
reply() { # the reply to RCPT TO:<$1@$D>
	awk -v r="RCPT TO:<$1@$D>" 'found { print; exit } index($0, r) { found = 1 }' "$W/swaks-$1.txt" |
		sed 's/^ *<[-*]* *//'
}
has_copy() { grep -lq "^Delivered-To: $1@$D\$" "$LAB_MAILDIR"/new/* 2>/dev/null; }
delivered() { wait_for 300 has_copy "$1"; } # wait up to 30 s for the copy of $1

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
grep -q "policy replaced: id=moveB" "$W/daemon.log"
ok $? "the new id's policy was fetched: $(grep -o 'policy replaced: id=moveB[^"]*' "$W/daemon.log" | head -1)"
delivered "$T2"
ok $? "after the move: delivered"
grep -q "Verified TLS connection established to mx.example-enforce.test" "$LAB_OUT_LOG"
ok $? "delivered to the new MX with verified TLS (the map answered the new policy)"
kill -0 "$OURS_PID" 2>/dev/null
ok $? "milter alive"
ours_stop

if [ $fails -ne 0 ]; then
	echo "# milter log tail:"
	tail -30 "$W/daemon.log" | sed 's/^/#   /'
	echo "# out-Postfix log tail:"
	tail -15 "$LAB_OUT_LOG" | sed 's/^/#   /'
fi
tap_done
