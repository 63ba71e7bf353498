#!/bin/bash
# tests/tlsrpt/lab-tlsrpt.sh - TLS reports (RFC 8460) end to end in the
# loopback lab: the daemon counts what it observes at RCPT time (out-Postfix
# -> our milter, probes on), is restarted with its collector socket and
# receives libtlsrpt datagrams (tests/tlsrpt/tlsrpt-client.py, byte-exact),
# then a report run (SIGUSR2, TLSRPTSendToday) mails each domain's report
# through out-Postfix to the MX farm (rua=mailto:) and POSTs it to the lab
# HTTPS endpoint (rua=https:, tests/tlsrpt/receiver.py behind nginx); the
# reports are parsed back (MIME, gzip, JSON) and their counts, result types
# and policy strings checked; a domain without a TLSRPT record gets nothing.
# The RCPT-time observation runs through out-Postfix and through sendmail.
# TAP.  Needs root; a lab that cannot come up is a failure.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
export MTALAB_NAME=${MTALAB_NAME:-tlsrpt-$$}
tlsrpt_lab_up 
W=$LABDIR/tlsrpt-test
mkdir -p "$W"
tlsrpt_prepare

# --- 1. results observed at RCPT time (no collector: sendmail's case) ---
write_conf ""
start_daemon
ok $? "daemon started, reporting on, no collector"
grep -q "tlsrpt: journal $W/tlsrpt.journal, collector off, counting RCPT-time results" "$W/milter.log"
ok $? "it counts RCPT-time results"
grep -q "is not an exempt-sender" "$W/milter.log"
ok $((1 - $?)) "the report sender is an exempt-sender (no warning)"
RCPTS=t@example-enforce.test,t@example-testing-bad.test,t@example-404.test,t@example-nosts.test
"$LAB/inlab" swaks --server "$LAB_OUT_ADDR:25" --from sender@lab.test --to "$RCPTS" \
	--timeout 60 >"$W/swaks1.txt" 2>&1
grep -q "queued as" "$W/swaks1.txt"
rc=$?
ok $rc "message through out-Postfix and the milter"
[ $rc = 0 ] || grep -v '^ ->' "$W/swaks1.txt" | tail -8 | sed 's/^/# /'
# an enforce failure: deferred at RCPT (451), still counted
"$LAB/inlab" swaks --server "$LAB_OUT_ADDR:25" --from sender@lab.test --to t@example-mxwrongname.test \
	--timeout 60 >"$W/swaks2.txt" 2>&1
grep -q "<\*\* 451 " "$W/swaks2.txt"
ok $? "example-mxwrongname.test deferred at RCPT"

sleep 2 # the journal is flushed every second

r=$(report example-enforce.test)
ok $? "mta-sts-check report example-enforce.test --day $TODAY"
[ "$(echo "$r" | sts_sum successful)" = 1 ] && [ "$(echo "$r" | sts_sum failure)" = 0 ]
ok $? "enforce: 1 successful session observed"
echo "$r" | jq_ "r['policies'][0]['policy']['policy-string']" | grep -q "'mode: enforce'"
ok $? "enforce: policy-string holds the policy ($(echo "$r" | jq_ "r['policies'][0]['policy']['policy-string']"))"
r=$(report example-testing-bad.test)
[ "$(echo "$r" | sts_sum failure)" = 1 ] && [ "$(echo "$r" | types)" = certificate-host-mismatch ]
ok $? "testing-bad: 1 failed session, certificate-host-mismatch (probe) ($(echo "$r" | types))"
r=$(report example-mxwrongname.test)
[ "$(echo "$r" | types)" = certificate-host-mismatch ]
ok $? "mxwrongname (deferred at RCPT): certificate-host-mismatch"
r=$(report example-404.test)
[ "$(echo "$r" | types)" = sts-policy-fetch-error ]
ok $? "404: sts-policy-fetch-error ($(echo "$r" | types))"
report example-nosts.test >/dev/null 2>&1
ok $((1 - $?)) "nosts (no policy): nothing observed"

# --- 1b. the same observer with sendmail (INPUT_MAIL_FILTER, no libtlsrpt)
if "$LAB/sendmail" start >"$W/sendmail-start.txt" 2>&1; then
	ok 0 "sendmail started with our milter"
	"$LAB/inlab" swaks --server "$LAB_SM_ADDR:25" --from sender@lab.test \
		--to t@example-wildcard.test --timeout 60 >"$W/swaks-sm1.txt" 2>&1
	grep -q "queued as\|250 2.0.0 .* Message accepted" "$W/swaks-sm1.txt"
	ok $? "sendmail: message to example-wildcard.test accepted"
	"$LAB/inlab" swaks --server "$LAB_SM_ADDR:25" --from sender@lab.test \
		--to t@example-mxmismatch.test --timeout 60 >"$W/swaks-sm2.txt" 2>&1
	grep -q "<\*\* 451 " "$W/swaks-sm2.txt"
	ok $? "sendmail: example-mxmismatch.test deferred at RCPT"
	sleep 2
	r=$(report example-wildcard.test)
	[ "$(echo "$r" | sts_sum successful)" = 1 ]
	ok $? "sendmail session counted: example-wildcard.test 1 successful"
	r=$(report example-mxmismatch.test)
	[ "$(echo "$r" | types)" = validation-failure ]
	ok $? "sendmail session counted: example-mxmismatch.test validation-failure ($(echo "$r" | types))"
	"$LAB/sendmail" stop >/dev/null 2>&1
else
	sed 's/^/# /' "$W/sendmail-start.txt" | tail -5
	ok 1 "sendmail started with our milter"
fi

# --- 2. restart with the collector: libtlsrpt datagrams ----------------
stop_daemon
write_conf "TLSRPTSocket        unix:$W/tlsrpt.sock"
start_daemon
ok $? "daemon restarted with TLSRPTSocket"
[ "$(report example-enforce.test | sts_sum successful)" = 1 ]
ok $? "counts survived the restart"
[ -S "$W/tlsrpt.sock" ]
ok $? "collector socket $W/tlsrpt.sock exists"
MAXAGE=$(sed -n 's/^max_age: *\([0-9]*\).*/\1/p' "$LABDIR/https/www/example-enforce.test/.well-known/mta-sts.txt")
cat >"$W/dgrams.json" <<EOJ
[
 {"d": "example-enforce.test", "pr": "v=TLSRPTv1; rua=mailto:tlsrpt@example-enforce.test",
  "policies": [{"type": 2, "domain": "example-enforce.test",
   "strings": ["version: STSv1", "mode: enforce", "mx: mx.example-enforce.test", "max_age: $MAXAGE"],
   "mx": ["mx.example-enforce.test"], "final": 0}]},
 {"d": "example-enforce.test", "pr": "v=TLSRPTv1; rua=mailto:tlsrpt@example-enforce.test",
  "policies": [{"type": 2, "domain": "example-enforce.test",
   "strings": ["version: STSv1", "mode: enforce", "mx: mx.example-enforce.test", "max_age: $MAXAGE"],
   "mx": ["mx.example-enforce.test"], "final": 0}]},
 {"d": "example-testing-bad.test", "pr": "v=TLSRPTv1; rua=mailto:tlsrpt@example-testing-bad.test",
  "policies": [{"type": 2, "domain": "example-testing-bad.test",
   "strings": ["version: STSv1", "mode: testing", "mx: mx.example-testing-bad.test", "max_age: $MAXAGE"],
   "mx": ["mx.example-testing-bad.test"],
   "failures": [{"c": 202, "s": "127.0.25.1", "n": "mx.example-testing-bad.test", "r": "127.0.25.12",
                 "f": "certificate name mismatch"}], "final": 1}]},
 {"d": "example-nosts.test", "pr": "",
  "policies": [{"type": 9, "final": 0}]}
]
EOJ
"$LAB/inlab" python3 "$top_srcdir/tests/tlsrpt/tlsrpt-client.py" "$W/dgrams.json" --send "$W/tlsrpt.sock"
ok $? "4 libtlsrpt datagrams sent"
"$LAB/inlab" python3 "$top_srcdir/tests/tlsrpt/tlsrpt-client.py" --raw '{"dpv": "2","d": "x.test"}' --send "$W/tlsrpt.sock"
sleep 2
grep -q "tlsrpt: bad datagram dropped (1 so far)" "$W/milter.log"
ok $? "a bad datagram is counted and dropped"
r=$(report example-enforce.test)
[ "$(echo "$r" | sts_sum successful)" = 3 ]
ok $? "enforce: 1 observed + 2 datagram sessions = 3 ($(echo "$r" | sts_sum successful))"
[ "$(echo "$r" | jq_ "len(r['policies'])")" = 1 ]
ok $? "enforce: one policy element (observed and datagram policies identical)"
r=$(report example-testing-bad.test)
[ "$(echo "$r" | sts_sum failure)" = 2 ]
ok $? "testing-bad: 2 failed sessions"
r=$(report example-nosts.test)
[ "$(echo "$r" | jq_ "r['policies'][0]['policy']['policy-type']")" = no-policy-found ] &&
	[ "$(echo "$r" | jq_ "r['policies'][0]['summary']['total-successful-session-count']")" = 1 ]
ok $? "nosts: no-policy-found, 1 successful session (from the datagram)"

# --- 3. the report run ---------------------------------------------------
# The HTTPS receiver is down for the first run: nginx answers 502, the
# https: delivery is retried (RFC 8460 5.5) while the mailto: one is done.
kill "$RPID" 2>/dev/null
wait "$RPID" 2>/dev/null
RPID=
kill -USR2 "$MPID"
for i in $(seq 1 150); do
	grep -q "_smtp._tls.example-nosts.test: no TLSRPT record: no report" "$W/milter.log" &&
		[ "$(grep -c 'tlsrpt: report .* handed to sendmail' "$W/milter.log")" -ge 4 ] &&
		grep -q "to https://mta-sts.example-mxwrongname.test/tlsrpt: HTTP status 502" "$W/milter.log" &&
		break
	sleep 0.2
done
grep -q "to https://mta-sts.example-mxwrongname.test/tlsrpt: HTTP status 502" "$W/milter.log"
ok $? "https: delivery failed (receiver down, HTTP 502)"
report example-mxwrongname.test >/dev/null 2>&1
ok $? "the report of example-mxwrongname.test is kept for the retry"
# The pending retry survives a restart (issue 19 item 2): its state file,
# reloaded, says the mailto: URI is done and the https: one is not.
sleep 1
grep -q " example-mxwrongname.test$" "$W/tlsrpt.journal.retry"
ok $? "the pending retry is in $W/tlsrpt.journal.retry ($(tail -n +2 "$W/tlsrpt.journal.retry" | tr '\n' ' '))"
stop_daemon
start_daemon
ok $? "daemon restarted with a pending retry"
grep -q "tlsrpt: 1 pending report retry reloaded from $W/tlsrpt.journal.retry" "$W/milter.log"
rc=$?
ok $rc "the retry was reloaded at start"
[ $rc = 0 ] || grep "tlsrpt:" "$W/milter.log" | tail -5 | sed 's/^/# /'
"$LAB/inlab" python3 "$top_srcdir/tests/tlsrpt/receiver.py" "$W/posts" 8465 &
RPID=$!
wait_receiver
kill -USR2 "$MPID" # SIGUSR2 tries pending retries at once
for i in $(seq 1 150); do
	grep -q "to https://mta-sts.example-mxwrongname.test/tlsrpt: HTTP 201" "$W/milter.log" && break
	sleep 0.2
done
grep -q "to https://mta-sts.example-mxwrongname.test/tlsrpt: HTTP 201" "$W/milter.log"
ok $? "the retry delivered it (HTTP 201)"
[ "$(grep -c 'for example-mxwrongname.test to mailto:.*handed to sendmail' "$W/milter.log")" = 1 ]
ok $? "the retry went only to the failed URI (the mailto: report was not sent twice)"
[ "$(grep -c 'for example-mxwrongname.test to https:.*HTTP 201' "$W/milter.log")" = 1 ] &&
	[ "$(ls "$W/posts"/*.body 2>/dev/null | wc -l)" = 1 ]
ok $? "after the restart the https: report arrived exactly once"
sleep 1
[ "$(tail -n +2 "$W/tlsrpt.journal.retry" | wc -l)" = 0 ]
ok $? "the retry file is empty once delivered"
grep 'tlsrpt:' "$W/milter.log" | sed 's/^/# /' | tail -12
for i in $(seq 1 100); do
	[ "$(grep -l '^TLS-Report-Domain:' "$LAB_MAILDIR"/new/* 2>/dev/null | wc -l)" -ge 6 ] && break
	sleep 0.2
done
python3 "$top_srcdir/tests/tlsrpt/parse-reports.py" "$LAB_MAILDIR/new" "$W/posts" "$TODAY" >"$W/parsed.txt" 2>&1
sed 's/^/# /' "$W/parsed.txt"
has() { grep -qx -- "$1" "$W/parsed.txt"; }
has "MAIL example-enforce.test headers=ok to=tlsrpt@example-enforce.test"
ok $? "mailto: report for example-enforce.test arrived, RFC 8460 5.3 headers, file name, meta"
has "MAILREP example-enforce.test sts ok=3 fail=0 types=- strings=4 mx=mx.example-enforce.test"
ok $? "its counts: sts, 3 successful, policy-string 4 lines, mx-host"
has "MAIL example-testing-bad.test headers=ok to=tlsrpt@example-testing-bad.test"
ok $? "mailto: report for example-testing-bad.test arrived"
has "MAILREP example-testing-bad.test sts ok=0 fail=2 types=certificate-host-mismatch,certificate-host-mismatch strings=4 mx=mx.example-testing-bad.test" ||
	grep -q "^MAILREP example-testing-bad.test sts ok=0 fail=2 types=certificate-host-mismatch" "$W/parsed.txt"
ok $? "its counts: 2 failed sessions, certificate-host-mismatch"
has "MAIL example-404.test headers=ok to=tlsrpt@example-404.test"
ok $? "mailto: report for example-404.test (policy host answers 404) arrived"
grep -q "^MAILREP example-404.test sts ok=0 fail=1 types=sts-policy-fetch-error" "$W/parsed.txt"
ok $? "its counts: 1 failed session, sts-policy-fetch-error"
has "MAIL example-mxwrongname.test headers=ok to=tlsrpt@example-mxwrongname.test"
ok $? "mailto: report for example-mxwrongname.test arrived although its MX fails MTA-STS (exempt sender, RFC 8460 5.3)"
grep -q "postfix/tlsrpt-smtp.*to=<tlsrpt@example-mxwrongname.test>.*status=sent" "$LAB_OUT_LOG"
ok $? "it left through the report sender's transport tlsrpt-smtp (etc/examples/postfix-tlsrpt-*.cf)"
grep -q "^POST example-mxwrongname.test ctype=ok" "$W/parsed.txt"
ok $? "https: report for example-mxwrongname.test POSTed as application/tlsrpt+gzip"
grep -q "^POSTREP example-mxwrongname.test sts ok=0 fail=1 types=certificate-host-mismatch" "$W/parsed.txt"
ok $? "the POSTed report's counts"
grep -q "^MAILREP example-mxmismatch.test sts ok=0 fail=1 types=validation-failure" "$W/parsed.txt"
ok $? "the sendmail-observed report of example-mxmismatch.test arrived (validation-failure)"
grep -q "^MAILREP example-wildcard.test sts ok=1 fail=0 types=- strings=4 mx=\*.example-wildcard.test" "$W/parsed.txt"
ok $? "the sendmail-observed report of example-wildcard.test arrived (mx-host *.example-wildcard.test)"
grep -q "example-nosts.test" "$W/parsed.txt"
ok $((1 - $?)) "example-nosts.test (no TLSRPT record) got nothing"
[ "$(grep -c '^POST ' "$W/parsed.txt")" = 1 ]
ok $? "exactly one POST (only example-mxwrongname.test has an https: rua)"
sleep 1
report example-enforce.test >/dev/null 2>&1
ok $((1 - $?)) "sent reports are dropped from the journal"
kill -0 "$MPID" 2>/dev/null
ok $? "daemon still running"
stop_daemon
grep -q "stopped" "$W/milter.log"
ok $? "daemon stopped cleanly"
sanitizer_clean
ok $? "no sanitizer report in the daemon's log"
tap_done
