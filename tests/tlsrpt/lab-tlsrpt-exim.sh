#!/bin/bash
# tests/tlsrpt/lab-tlsrpt-exim.sh - TLS reports (RFC 8460) from Exim's own
# TLS sessions (issue 19 item 1): Debian 12's Exim 4.96 in the loopback lab
# (tests/lab/exim, routers only: etc/examples/exim4/conf.d) delivers to
# lab domains whose MX is good, has a certificate with the wrong name, a
# self-signed or an expired one, offers no STARTTLS, or has (mis)matching
# DANE TLSA records; its transports' event_action tells our Exim listener
# each session's outcome ("tlsrpt ..." requests, lib/engine/sts_line.h).
# `mta-sts-check report DOMAIN` must then show the successful and failed
# session counts with the right result types, MX host and address, and a
# report run (SIGUSR2) mails them (parsed back).  Then the report socket
# is pointed at a port where nobody listens: deliveries go on unchanged.
# TAP.  Needs root; a lab that cannot come up is a failure.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
export MTALAB_NAME=${MTALAB_NAME:-tlsrpt-exim-$$}
tlsrpt_lab_up
W=$LABDIR/tlsrpt-test
mkdir -p "$W"
lab_cleanup_hook() {
	"$LAB/exim" stop >/dev/null 2>&1
	if [ $fails -ne 0 ]; then
		rm -rf "/tmp/lab-tlsrpt-exim-kept.$MTALAB_NAME"
		cp -a "$W" "/tmp/lab-tlsrpt-exim-kept.$MTALAB_NAME" 2>/dev/null
		cp -a "$LABDIR/exim/log" "/tmp/lab-tlsrpt-exim-kept.$MTALAB_NAME/" 2>/dev/null
		echo "# kept: /tmp/lab-tlsrpt-exim-kept.$MTALAB_NAME"
	fi
	tlsrpt_cleanup
}
tlsrpt_prepare

# Probe no: the RCPT-time view is not what is tested; the routers alone
# (exim start --no-acl) decide, and the transports report the sessions.
write_conf "EximSocket          inet:8463@127.0.0.1
Probe               no"
start_daemon
ok $? "daemon started: TLSRPTJournal and EximSocket"
"$LAB/exim" start --no-acl >"$W/exim-start.txt" 2>&1
rc=$?
ok $rc "Exim started (routers and transports of etc/examples/exim4/conf.d)"
[ $rc = 0 ] || { sed 's/^/# /' "$W/exim-start.txt" | tail -5; exit 1; }

exim_outcome() {
	awk -v r="$1" '
	($4 == "=>" || $4 == "==" || $4 == "**") && ($5 == r || $5 == r ":") {
		print ($4 == "=>" ? "delivered" : $4 == "==" ? "deferred" : "bounced"); exit
	}' "$LAB_EXIM_LOG"
}
send_wait() { # LOCALPART DOMAINS...: one message, wait for every outcome
	local lp=$1
	shift
	"$LAB/inlab" swaks --server "$LAB_EXIM_ADDR:25" --from sender@lab.test \
		--to "$(printf "$lp@%s," "$@" | sed 's/,$//')" --timeout 60 \
		>"$W/swaks-$lp.txt" 2>&1
	for i in $(seq 1 120); do
		local missing=0
		for d in "$@"; do [ -z "$(exim_outcome "$lp@$d")" ] && missing=1; done
		[ $missing = 0 ] && return 0
		sleep 0.5
	done
	return 1
}
GOOD="example-enforce.test example-wildcard.test"
BAD="example-mxwrongname.test example-mxselfsigned.test example-mxexpired.test example-mxnotls.test"
DANE="example-dane.test example-danebad.test"
send_wait t1 $GOOD $BAD $DANE
ok $? "Exim tried every domain"
for d in $GOOD example-dane.test; do
	[ "$(exim_outcome "t1@$d")" = delivered ]
	ok $? "$d delivered"
done
for d in $BAD example-danebad.test; do
	[ "$(exim_outcome "t1@$d")" = deferred ]
	ok $? "$d deferred: $(grep "== t1@$d" "$LAB_EXIM_LOG" | head -1 | sed 's/.*defer/defer/' | cut -c1-90)"
done
sleep 2 # the journal is flushed every second

# one report per domain: SUMMARY = type ok fail result-types mx ip
summary() { # DOMAIN -> "TYPE ok=N fail=N types=T mx=H ip=A" of its policies
	report "$1" | jq_ "' | '.join('%s ok=%d fail=%d types=%s mx=%s ip=%s' % (p['policy']['policy-type'],
		p['summary']['total-successful-session-count'], p['summary']['total-failure-session-count'],
		','.join(sorted(f['result-type'] for f in p.get('failure-details', []))) or '-',
		','.join(sorted({f.get('receiving-mx-hostname', '') for f in p.get('failure-details', [])})) or '-',
		','.join(sorted({f.get('receiving-ip', '') for f in p.get('failure-details', [])})) or '-')
		for p in r['policies'])" 2>&1
}
check() { # DOMAIN WANT
	local got
	got=$(summary "$1")
	[ "$got" = "$2" ]
	ok $? "$1: $2${got:+ (got: $got)}"
}
check example-enforce.test "sts ok=1 fail=0 types=- mx=- ip=-"
check example-wildcard.test "sts ok=1 fail=0 types=- mx=- ip=-"
check example-mxwrongname.test "sts ok=0 fail=1 types=certificate-host-mismatch mx=mx.example-mxwrongname.test ip=127.0.25.12"
check example-mxselfsigned.test "sts ok=0 fail=1 types=certificate-not-trusted mx=mx.example-mxselfsigned.test ip=127.0.25.13"
check example-mxexpired.test "sts ok=0 fail=1 types=certificate-expired mx=mx.example-mxexpired.test ip=127.0.25.15"
check example-mxnotls.test "sts ok=0 fail=1 types=starttls-not-supported mx=mx.example-mxnotls.test ip=127.0.25.14"
check example-dane.test "tlsa ok=1 fail=0 types=- mx=- ip=-"
check example-danebad.test "tlsa ok=0 fail=1 types=validation-failure mx=mx.example-danebad.test ip=127.0.25.17"
report example-enforce.test | jq_ "r['policies'][0]['policy']['policy-string']" | grep -q "'mode: enforce'"
ok $? "the sts policy block carries the cached policy (policy-string)"
grep -q "tlsrpt: exim session domain=example-mxexpired.test type=sts mx=mx.example-mxexpired.test ip=127.0.25.15 result=certificate-expired" "$W/milter.log"
ok $? "the daemon logs a failed Exim session"

# --- a second message: counts add up, one session per connection --------
send_wait t2 example-enforce.test example-mxexpired.test
ok $? "second message tried"
sleep 2
check example-enforce.test "sts ok=2 fail=0 types=- mx=- ip=-"
# Exim does not retry a host before its retry time: the second message to
# the expired MX is deferred without a connection, so no new session.
grep -q "== t2@example-mxexpired.test .*retry time not reached" "$LAB_EXIM_LOG" &&
	check example-mxexpired.test "sts ok=0 fail=1 types=certificate-expired mx=mx.example-mxexpired.test ip=127.0.25.15" ||
	check example-mxexpired.test "sts ok=0 fail=2 types=certificate-expired,certificate-expired mx=mx.example-mxexpired.test ip=127.0.25.15"

# --- the report run: mailed through out-Postfix, parsed back --------------
kill -USR2 "$MPID"
for i in $(seq 1 150); do
	[ "$(grep -l '^TLS-Report-Domain:' "$LAB_MAILDIR"/new/* 2>/dev/null | wc -l)" -ge 8 ] && break
	sleep 0.2
done
python3 "$top_srcdir/tests/tlsrpt/parse-reports.py" "$LAB_MAILDIR/new" "$W/posts" "$TODAY" >"$W/parsed.txt" 2>&1
sed 's/^/# /' "$W/parsed.txt"
grep -q "^MAIL example-mxselfsigned.test headers=ok" "$W/parsed.txt" &&
	grep -q "^MAILREP example-mxselfsigned.test sts ok=0 fail=1 types=certificate-not-trusted" "$W/parsed.txt"
ok $? "mailed report of example-mxselfsigned.test: 1 failed session, certificate-not-trusted"
grep -q "^MAILREP example-enforce.test sts ok=2 fail=0 types=- strings=4 mx=mx.example-enforce.test" "$W/parsed.txt"
ok $? "mailed report of example-enforce.test: 2 successful sessions, the policy"
grep -q "^MAILREP example-dane.test tlsa ok=1 fail=0" "$W/parsed.txt"
ok $? "mailed report of example-dane.test: tlsa, 1 successful session"

# --- nobody listens where the reports go: deliveries are unchanged -------
"$LAB/exim" stop >/dev/null 2>&1
export MTALAB_EXIM_MACROS="MTA_STS_TLSRPT_SOCKET = inet:127.0.0.1:8499"
"$LAB/exim" start --no-acl >"$W/exim-start2.txt" 2>&1
ok $? "Exim restarted, TLS reports to 127.0.0.1:8499 (nobody listens)"
t0=$(date +%s%N)
send_wait t3 example-wildcard.test example-mxnotls.test
ok $? "third message tried"
t1=$(date +%s%N)
[ "$(exim_outcome t3@example-wildcard.test)" = delivered ]
ok $? "example-wildcard.test delivered although the report cannot be sent ($(((t1 - t0) / 1000000)) ms)"
grep -q "failed to expand event_action" "$LAB_EXIM_LOG" "$LABDIR"/exim/log/paniclog 2>/dev/null
ok $((1 - $?)) "no event_action expansion failure in Exim's logs"
sleep 2
# (the earlier counts were sent above and dropped from the journal)
report example-wildcard.test >/dev/null 2>&1
ok $((1 - $?)) "nothing counted for the session whose report could not be sent"

tlsrpt_finish
