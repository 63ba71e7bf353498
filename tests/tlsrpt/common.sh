# tests/tlsrpt/common.sh - sourced (bash) by the TLS-report lab tests: the
# shared lab preamble (tests/lab/lib/tap.sh: TAP helpers, paths, lab_up and
# its trap), the daemon in the lab, the report sender's setup, report helpers.
#
#   tlsrpt_lab_up [UP-ARGS]   skip unless root; fail unless built and the lab
#                             ($MTALAB_NAME) comes up (lab_up: env sourced,
#                             EXIT trap; purged at the end even after a failure)
#   tlsrpt_prepare            out-Postfix: the report sender bypasses the policy
#                             map (etc/examples/postfix-tlsrpt-*.cf); the
#                             OverrideFile exempting it; the HTTPS receiver
#                             (tests/tlsrpt/receiver.py) on 8465
#   write_conf "LINES"        $W/milter.conf: the lab's resolver/CA, milter and
#                             map sockets, TLS reporting on (mail submitted with
#                             /usr/sbin/sendmail -C out-Postfix), plus LINES
#   start_daemon [CMD...] / stop_daemon
#   report DOMAIN             mta-sts-check report DOMAIN --day today (JSON)
#   jq_ EXPR | sts_sum successful|failure | types   on a report on stdin
#   sanitizer_clean           no ASan/UBSan/LSan report in the daemon's log
#   tlsrpt_cleanup            stop sendmail, the daemon and the receiver: the
#                             lab_cleanup_hook (a test with more to stop
#                             defines its own hook and calls it last)
# shellcheck source=../lab/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lab/lib/tap.sh"
CHECK=$top_builddir/cli/mta-sts-check
tlsrpt_lab_up() {
	lab_need_root "needs root (network namespace)"
	[ -x "$DAEMON" ] && [ -x "$CHECK" ] || bail "$DAEMON or $CHECK not built"
	command -v swaks >/dev/null || bail "swaks not installed"
	LAB_PURGE=${LAB_PURGE:-always}
	lab_up "$@"
}
SENDER=tlsrpt-sender@lab.test
MPID=
RPID=
daemon_gone() { ! kill -0 "$MPID" 2>/dev/null; }
stop_daemon() {
	[ -n "$MPID" ] || return 0
	kill -TERM "$MPID" 2>/dev/null
	wait_for 100 daemon_gone || kill -KILL "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
	MPID=
}
tlsrpt_cleanup() {
	"$LAB/sendmail" stop >/dev/null 2>&1
	stop_daemon
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null
}
lab_cleanup_hook() { tlsrpt_cleanup; }
sanitizer_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W/milter.log"
}
# The common ending: the daemon is still up, stops, and no sanitizer spoke.
tlsrpt_finish() {
	kill -0 "$MPID" 2>/dev/null
	ok $? "daemon still running"
	stop_daemon
	sanitizer_clean
	ok $? "no sanitizer report in the daemon's log"
	tap_done
}
tlsrpt_prepare() {
	mkdir -p "$W/posts"
	# RFC 8460 5.3: reports must not be held back by MTA-STS/DANE failures.
	# The milter lets the exempt sender through; Postfix's own delivery-time
	# enforcement (smtp_tls_policy_maps) is skipped for it by the shipped
	# recipe etc/examples/postfix-tlsrpt-{main,master}.cf (doc/postfix.md).
	cat "$top_srcdir/etc/examples/postfix-tlsrpt-master.cf" >>"$LAB_OUT_CONF/master.cf" || bail "master.cf"
	touch -d "-2 sec" "$LAB_OUT_CONF/master.cf"
	"$LAB/postconf-out" "$(grep -v '^#' "$top_srcdir/etc/examples/postfix-tlsrpt-main.cf" |
		sed "s/tlsrpt@example.org/$SENDER/")" >/dev/null || bail "postconf-out"
	printf 'exempt-sender %s\n' "$SENDER" >"$W/overrides"
	"$LAB/inlab" python3 "$top_srcdir/tests/tlsrpt/receiver.py" "$W/posts" 8465 &
	RPID=$!
	wait_receiver
}
receiver_listens() { [ -n "$("$LAB/inlab" ss -ltnH 'sport = :8465' 2>/dev/null)" ]; }
# until the receiver listens (python starts slowly under load)
wait_receiver() { wait_for 100 receiver_listens; }
write_conf() { # $1: extra lines
	cat >"$W/milter.conf" <<EOC
Socket              $LAB_MILTER_SOCKET
MapSocket           $LAB_MAP_SOCKET
UnboundConfig       $LAB_UNBOUND_CONF
TrustAnchorFile     none
CAFile              $LAB_CA
StateFile           $W/state
OverrideFile        $W/overrides
DNSTimeout          2s
FetchTimeout        3s
ProbeTimeout        3s
LookupDeadline      8s
LogLevel            debug
TLSRPTJournal       $W/tlsrpt.journal
TLSRPTOrganization  mta-sts-milter lab
TLSRPTContact       $SENDER
TLSRPTSendmail      /usr/sbin/sendmail -C $LAB_OUT_CONF
TLSRPTSendToday     yes
$1
EOC
}
started_since() { [ "$(grep -c "started: milter" "$W/milter.log" 2>/dev/null)" -gt "$1" ]; }
start_daemon() { # [CMD...]: run CMD in the lab instead (it must exec the daemon)
	# the log is appended to: wait for THIS run's "started" line
	local before
	before=$(grep -c "started: milter" "$W/milter.log" 2>/dev/null)
	if [ $# -gt 0 ]; then
		"$LAB/inlab" "$@" 2>>"$W/milter.log" &
	else
		"$LAB/inlab" "$DAEMON" -f -c "$W/milter.conf" 2>>"$W/milter.log" &
	fi
	MPID=$!
	wait_for 100 started_since "${before:-0}"
	kill -0 "$MPID" 2>/dev/null
}
TODAY=$(date -u +%F)
report() { "$CHECK" report "$1" --day "$TODAY" --config "$W/milter.conf"; }
# python3 -c on a report (stdin): $1 = expression over r (the dict)
jq_() { python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"; }
sts_sum() { # success/failure over the sts policies of a report on stdin
	jq_ "sum(p['summary']['total-$1-session-count'] for p in r['policies'] if p['policy']['policy-type']=='sts')"
}
types() { jq_ "' '.join(sorted({f['result-type'] for p in r['policies'] for f in p.get('failure-details',[])}))"; }

