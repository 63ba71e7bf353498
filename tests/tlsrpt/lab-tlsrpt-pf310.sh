#!/bin/bash
# tests/tlsrpt/lab-tlsrpt-pf310.sh - the real Postfix 3.10 (Debian 13's, built
# with libtlsrpt; tests/lab/postfix310) reports its TLS handshakes to our
# collector socket (smtp_tlsrpt_enable = yes), with our socketmap answering
# smtp_tls_policy_maps with the policy_type=sts attributes (MapPostfixSTS).
# Postfix 3.10 delivers to a good MX (example-enforce.test) and is refused
# by a wrong-name MX certificate (example-mxwrongname.test); then a report run
# (SIGUSR2) sends each domain its report, which arrives in the lab mailbox
# (and, for the mxwrongname domain, at the HTTPS receiver) and is checked:
# counts, result types, policy strings.  example-nosts.test has no TLSRPT
# record: Postfix sends nothing for it, and it gets nothing.
# TAP.  Needs root; a lab or Debian 13 root that cannot come up is a failure.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
export MTALAB_NAME=${MTALAB_NAME:-tlsrpt-pf310-$$}
tlsrpt_lab_up --no-milter
W=$LABDIR/tlsrpt-pf310
mkdir -p "$W"
PF310=$LAB/postfix310
lab_cleanup_hook() {
	"$PF310" stop >/dev/null 2>&1
	tlsrpt_cleanup
}
tlsrpt_prepare

# --- 1. Postfix 3.10 with its TLSRPT client pointing at our collector -----
"$PF310" start --no-milter >"$W/pf310-start.log" 2>&1 || {
	sed 's/^/# /' "$W/pf310-start.log" | tail -20
	bail "postfix310 start (Debian 13 root)"
}
ok 0 "$(tail -n 1 "$W/pf310-start.log")"
# Inside the root the queue directory is /lab/queue; a relative
# smtp_tlsrpt_socket_name is taken from there (TLSRPT_README), so the socket
# lives in $LABDIR/pf310/queue/run.
mkdir -p "$LABDIR/pf310/queue/run" && chmod 755 "$LABDIR/pf310/queue/run"
SOCK=$LABDIR/pf310/queue/run/tlsrpt.sock
# the root's postfix user is not ours: the socket is world-writable here
write_conf "TLSRPTSocket        unix:$SOCK
SocketMode          0666
MapPostfixSTS       yes"
start_daemon
ok $? "our daemon: milter, map with policy_type=sts attributes, collector $SOCK"
"$PF310" run postconf -e smtp_tlsrpt_enable=yes smtp_tlsrpt_socket_name=run/tlsrpt.sock >/dev/null
ok $? "postconf -e smtp_tlsrpt_enable=yes smtp_tlsrpt_socket_name=run/tlsrpt.sock"
touch -d "-1 min" "$LABDIR/pf310/etc/main.cf"
mpid=$(awk '$3 == "postfix310" { print $1 }' "$LABDIR/run/pids" | tail -n 1)
kill -HUP "$mpid" 2>/dev/null
ok $? "Postfix 3.10 master ($mpid) reloaded"
sleep 1
[ "$("$PF310" run postconf -h smtp_tlsrpt_enable)" = yes ]
ok $? "smtp_tlsrpt_enable = yes in Postfix 3.10"

# --- 2. deliveries: good MX, wrong-name MX, a domain without TLSRPT --------
for d in example-enforce.test example-mxwrongname.test example-nosts.test; do
	"$LAB/inlab" swaks --server 127.0.25.3:25 --from sender@lab.test --to "u@$d" \
		--header "Subject: tlsrpt-pf310 $d" >"$W/swaks-$d.log" 2>&1
	grep -q "queued as" "$W/swaks-$d.log"
	ok $? "Postfix 3.10 accepted mail for u@$d"
done
LOG=$LABDIR/log/pf310-maillog
for i in $(seq 1 150); do
	[ "$(grep -cE 'to=<u@example-(enforce|mxwrongname|nosts).test>.*status=' "$LOG")" -ge 3 ] && break
	sleep 0.2
done
grep -qE "to=<u@example-enforce.test>.*status=sent" "$LOG"
ok $? "example-enforce.test delivered by Postfix 3.10"
grep -qE "to=<u@example-mxwrongname.test>.*status=deferred" "$LOG"
ok $? "example-mxwrongname.test deferred by Postfix 3.10 (wrong-name certificate)"
grep -E "tlsrpt|TLSRPT" "$LOG" | head -5 | sed 's/^/# pf310: /'
sleep 2 # our journal is flushed every second
r=$(report example-enforce.test)
ok $? "a report for example-enforce.test exists (from Postfix's datagrams)"
echo "$r" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["policies"]))' | sed 's/^/# /'
[ "$(echo "$r" | sts_sum successful)" -ge 1 ] && [ "$(echo "$r" | sts_sum failure)" = 0 ]
ok $? "example-enforce.test: sts, successful sessions ($(echo "$r" | sts_sum successful)), no failure"
echo "$r" | jq_ "[s for p in r['policies'] for s in p['policy'].get('policy-string',[])]" | grep -q "'mode: enforce'"
ok $? "example-enforce.test: policy-string from Postfix (our map's policy_string attributes)"
r=$(report example-mxwrongname.test)
echo "$r" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["policies"]))' | sed 's/^/# /'
[ "$(echo "$r" | sts_sum failure)" -ge 1 ]
ok $? "example-mxwrongname.test: failed sts sessions ($(echo "$r" | sts_sum failure))"
t=$(echo "$r" | types)
case $t in *certificate-host-mismatch* | *validation-failure*) rc=0 ;; *) rc=1 ;; esac
ok $rc "example-mxwrongname.test: failure result type from Postfix: $t"
report example-nosts.test >/dev/null 2>&1
ok $((1 - $?)) "example-nosts.test: nothing (Postfix reports only domains with a TLSRPT record)"
grep -q "bad datagram" "$W/milter.log"
ok $((1 - $?)) "every datagram from Postfix 3.10 parsed (no bad datagram)"
grep "bad datagram" "$W/milter.log" | head -3 | sed 's/^/# /'

# --- 3. the report run --------------------------------------------------
kill -USR2 "$MPID"
for i in $(seq 1 150); do
	[ "$(grep -c 'tlsrpt: report .* handed to sendmail\|tlsrpt: report .* HTTP 201' "$W/milter.log")" -ge 3 ] && break
	sleep 0.2
done
grep 'tlsrpt: report\|tlsrpt: _smtp' "$W/milter.log" | sed 's/^/# /'
for i in $(seq 1 100); do
	[ "$(grep -l '^TLS-Report-Domain:' "$LAB_MAILDIR"/new/* 2>/dev/null | wc -l)" -ge 2 ] && break
	sleep 0.2
done
python3 "$top_srcdir/tests/tlsrpt/parse-reports.py" "$LAB_MAILDIR/new" "$W/posts" "$TODAY" >"$W/parsed.txt" 2>&1
sed 's/^/# /' "$W/parsed.txt"
grep -qx "MAIL example-enforce.test headers=ok to=tlsrpt@example-enforce.test" "$W/parsed.txt"
ok $? "report for example-enforce.test arrived in the lab mailbox"
grep -q "^MAILREP example-enforce.test sts ok=[1-9][0-9]* fail=0 types=- strings=4 mx=mx.example-enforce.test" "$W/parsed.txt"
ok $? "its counts and policy strings"
grep -qx "MAIL example-mxwrongname.test headers=ok to=tlsrpt@example-mxwrongname.test" "$W/parsed.txt"
ok $? "report for example-mxwrongname.test arrived (its MX fails: exempt sender)"
grep -qE "^MAILREP example-mxwrongname.test sts ok=0 fail=[1-9][0-9]* types=(certificate-host-mismatch|validation-failure)" "$W/parsed.txt"
ok $? "its counts and result type"
grep -q "^POSTREP example-mxwrongname.test sts ok=0 fail=[1-9]" "$W/parsed.txt"
ok $? "and at the HTTPS receiver"
grep -q "example-nosts.test" "$W/parsed.txt"
ok $((1 - $?)) "example-nosts.test got nothing"
tlsrpt_finish
