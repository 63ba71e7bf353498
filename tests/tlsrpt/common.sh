# tests/tlsrpt/common.sh - sourced (bash) by the TLS-report lab tests, with
# $top_srcdir and $top_builddir set: TAP helpers, the lab, the daemon in the
# lab, the report sender's setup, report helpers.
#
#   ok RC TEXT / bail TEXT    TAP lines (bail: a failure, then stop)
#   tlsrpt_lab_up [UP-ARGS]   skip unless root; fail unless built and the lab
#                             ($MTALAB_NAME) comes up; source its env
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
#   cleanup                   stop all that and purge the lab (trap it)
SRC=$(cd "$top_srcdir" && pwd)
BLD=$(cd "$top_builddir" && pwd)
BIN=$BLD/milter/mta-sts-milter
CHECK=$BLD/cli/mta-sts-check
LAB=$SRC/tests/lab
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
bail() { echo "not ok $((n + 1)) - $1"; echo "1..$((n + 1))"; exit 1; }
tlsrpt_lab_up() {
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (network namespace)"; exit 0; }
	[ -x "$BIN" ] && [ -x "$CHECK" ] || bail "$BIN or $CHECK not built"
	command -v swaks >/dev/null || bail "swaks not installed"
	"$LAB/down" --purge >/dev/null 2>&1
	"$LAB/up" "$@" >"/tmp/lab-$MTALAB_NAME.up" 2>&1 || {
		sed 's/^/# /' "/tmp/lab-$MTALAB_NAME.up" | tail -n 20
		rm -f "/tmp/lab-$MTALAB_NAME.up"
		"$LAB/down" --purge >/dev/null 2>&1
		bail "lab $MTALAB_NAME did not come up"
	}
	rm -f "/tmp/lab-$MTALAB_NAME.up"
	# shellcheck disable=SC1090
	. "${MTALAB_DIR:-/tmp/mtalab-$MTALAB_NAME}/env"
}
SENDER=tlsrpt-sender@lab.test
MPID=
RPID=
stop_daemon() {
	[ -n "$MPID" ] || return 0
	kill -TERM "$MPID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$MPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
	MPID=
}
cleanup() {
	"$LAB/sendmail" stop >/dev/null 2>&1
	stop_daemon
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null
	"$LAB/down" --purge >/dev/null 2>&1
}
sanitizer_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W/milter.log"
}
tlsrpt_prepare() {
	mkdir -p "$W/posts"
	# RFC 8460 5.3: reports must not be held back by MTA-STS/DANE failures.
	# The milter lets the exempt sender through; Postfix's own delivery-time
	# enforcement (smtp_tls_policy_maps) is skipped for it by the shipped
	# recipe etc/examples/postfix-tlsrpt-{main,master}.cf (doc/postfix.md).
	cat "$SRC/etc/examples/postfix-tlsrpt-master.cf" >>"$LAB_OUT_CONF/master.cf" || bail "master.cf"
	touch -d "-2 sec" "$LAB_OUT_CONF/master.cf"
	"$LAB/postconf-out" "$(grep -v '^#' "$SRC/etc/examples/postfix-tlsrpt-main.cf" |
		sed "s/tlsrpt@example.org/$SENDER/")" >/dev/null || bail "postconf-out"
	printf 'exempt-sender %s\n' "$SENDER" >"$W/overrides"
	"$LAB/inlab" python3 "$SRC/tests/tlsrpt/receiver.py" "$W/posts" 8465 &
	RPID=$!
	wait_receiver
}
wait_receiver() { # until the receiver listens (python starts slowly under load)
	local i
	for i in $(seq 1 100); do
		[ -n "$("$LAB/inlab" ss -ltnH 'sport = :8465' 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}
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
start_daemon() { # [CMD...]: run CMD in the lab instead (it must exec the daemon)
	# the log is appended to: wait for THIS run's "started" line
	local before
	before=$(grep -c "started: milter" "$W/milter.log" 2>/dev/null)
	if [ $# -gt 0 ]; then
		"$LAB/inlab" "$@" 2>>"$W/milter.log" &
	else
		"$LAB/inlab" "$BIN" -f -c "$W/milter.conf" 2>>"$W/milter.log" &
	fi
	MPID=$!
	for i in $(seq 1 100); do
		[ "$(grep -c "started: milter" "$W/milter.log" 2>/dev/null)" -gt "${before:-0}" ] && break
		sleep 0.1
	done
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

