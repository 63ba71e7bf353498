#!/bin/bash
# tests/socketmap/lab-sendmail-bare.sh - sendmail deployment shapes (issue 14).  TAP.
# Root only ("1..0 # SKIP" otherwise); as root, a lab that cannot come up is a failure.
#
#  item 5  a stock sendmail.mc's bare FEATURE(`sts') asks inet:5461@127.0.0.1; our daemon with
#          the shipped etc/mta-sts-milter.conf's MapSocket line (8461 and 5461) answers it:
#          the enforce domain is sent with sts=secure, the wrong-name MX deferred.  Before: the
#          daemon listened on 8461 only, the map was unreachable, everything deferred.
#  item 2  sendmail with our milter (F=T), the daemon's Relayhost with a failing policy: a
#          recipient sendmail delivers with its local mailer ({rcpt_mailer} = local) is
#          accepted at RCPT; one that leaves by esmtp gets the Relayhost's verdict (451).
#  item 3  etc/examples/sendmail-tlsrpt.mc: a report submitted through the second
#          configuration (no FEATURE(`sts'), own queue) reaches the enforce domain whose MX
#          has a wrong-name certificate; normal mail through the daemon is deferred.
#
# Instance: MTALAB_NAME=${SMBARE_LAB_NAME:-deploy-sm}; brought up and down here.
set -u
srcdir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$srcdir/../..}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=${top_builddir:-.}
top_builddir=$(cd "$top_builddir" && pwd)
LAB=$top_srcdir/tests/lab
DAEMON=$top_builddir/milter/mta-sts-milter
export MTALAB_NAME=${SMBARE_LAB_NAME:-deploy-sm}

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "not root (the lab needs network namespaces)"
[ -x "$DAEMON" ] || skip "no $DAEMON (build the daemon first)"

n=0
fails=0
tap() { # tap OK|FAIL description
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}
bail() {
	tap FAIL "$1"
	echo "1..$n"
	exit 1
}
lab_started=0
cleanup() {
	command -v ours_stop >/dev/null && ours_stop
	if [ "$lab_started" = 1 ]; then
		if [ "$fails" = 0 ]; then "$LAB/down" --purge >/dev/null 2>&1; else
			"$LAB/down" >/dev/null 2>&1
			echo "# logs kept in ${LABDIR:-the lab directory}"
		fi
	fi
}
trap cleanup EXIT

"$LAB/down" --purge >/dev/null 2>&1 # a leftover of an interrupted run
lab_started=1
"$LAB/up" --no-milter >"/tmp/lab-smbare-up.$$" 2>&1 || {
	sed 's/^/# /' "/tmp/lab-smbare-up.$$" | tail -n 20
	rm -f "/tmp/lab-smbare-up.$$"
	bail "lab $MTALAB_NAME up"
}
rm -f "/tmp/lab-smbare-up.$$"
# shellcheck disable=SC1090
. "${MTALAB_DIR:-/tmp/mtalab-$MTALAB_NAME}/env"
W=$LABDIR/ours-smbare
OURS_PID=
ours_start() { # ours_start [CONF-LINE...]: the daemon with the lab's resolver and CA
	local line
	mkdir -p "$W"
	{
		echo "Socket inet:8891@127.0.0.1"
		echo "LogLevel debug"
		echo "UnboundConfig $LAB_UNBOUND_CONF"
		echo "CAFile $LAB_CA"
		for line in "$@"; do echo "$line"; done
	} >"$W/mta-sts-milter.conf"
	setsid "$LAB/inlab" "$DAEMON" -f -c "$W/mta-sts-milter.conf" >>"$W/daemon.log" 2>&1 &
	OURS_PID=$!
	for _ in $(seq 1 50); do
		kill -0 "$OURS_PID" 2>/dev/null || break
		"$LAB/inlab" /usr/bin/python3 "$srcdir/smq-many.py" sts 127.0.0.1:5461 probe.invalid \
			2>/dev/null | grep -qE 'NOTFOUND|OK ' && return 0
		sleep 0.1
	done
	sed 's/^/# /' "$W/daemon.log" | tail -n 20
	return 1
}
ours_stop() {
	[ -n "$OURS_PID" ] && kill -0 "$OURS_PID" 2>/dev/null || return 0
	kill "$OURS_PID"
	for _ in $(seq 1 50); do kill -0 "$OURS_PID" 2>/dev/null || break; sleep 0.1; done
}
# the shipped configuration's MapSocket line, as it is
shipped=$(grep -E '^MapSocket[[:space:]]' "$top_srcdir/etc/mta-sts-milter.conf")
case $shipped in *inet:5461@127.0.0.1*) tap OK "etc/mta-sts-milter.conf: $shipped" ;;
*) tap FAIL "etc/mta-sts-milter.conf listens where the bare FEATURE(\`sts') asks ($shipped)" ;; esac
ours_start "$shipped" || bail "our daemon answers the map on 5461"

wait_log() { # wait_log FILE REGEX
	for _ in $(seq 1 150); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
sm_send() { # sm_send RCPT TAG -> prints the queue id (empty if refused)
	"$LAB/inlab" swaks --server "$LAB_SM_ADDR:$LAB_SM_PORT" --from sender@lab.test \
		--to "$1" --header "Subject: lab-sm $2" >"$W/swaks-$2.log" 2>&1
	sed -n 's/.*250 2.0.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' "$W/swaks-$2.log" | head -n 1
}

# --- item 5: the bare feature ------------------------------------------------------------
if "$LAB/sendmail" start --no-milter --bare-sts >"$W/sm-start.log" 2>&1; then
	tap OK "sendmail with a bare FEATURE(\`sts'): $(tail -n 1 "$W/sm-start.log")"
else
	sed 's/^/# /' "$W/sm-start.log" | tail -n 20
	bail "sendmail start --bare-sts"
fi
if grep -q '^Ksts socket -d5 -T<TMPF> inet:5461@127.0.0.1' "$LABDIR/sendmail/lab.cf"; then
	tap OK "the generated sendmail.cf asks inet:5461@127.0.0.1 (the feature's default)"
else tap FAIL "the generated sendmail.cf asks inet:5461@127.0.0.1 ($(grep '^Ksts' "$LABDIR/sendmail/lab.cf"))"; fi
declare -A sid
for d in example-enforce.test example-mxwrongname.test; do
	sid[$d]=$(sm_send "u@$d" "bare-$d")
	wait_log "$LAB_SM_LOG" "${sid[$d]:-none}: to=<u@$d>.*stat=" || echo "# no stat line for $d"
done
sst() { grep -E "${sid[$1]:-none}: to=<u@$1>.*stat=" "$LAB_SM_LOG" | tail -n 1; }
case $(sst example-enforce.test) in *stat=Sent*) tap OK "bare feature: enforce domain sent" ;;
*) tap FAIL "bare feature: enforce domain sent ($(sst example-enforce.test))" ;; esac
if grep -q "sts=secure, relay=mx.example-enforce.test" "$LAB_SM_LOG"; then
	tap OK "bare feature: sts=secure from our map"
else tap FAIL "bare feature: sts=secure from our map"; fi
case $(sst example-mxwrongname.test) in *stat=Deferred*) tap OK "bare feature: wrong-name MX deferred" ;;
*) tap FAIL "bare feature: wrong-name MX deferred ($(sst example-mxwrongname.test))" ;; esac
if grep -q "map=sts key=example-enforce.test" "$W/daemon.log"; then
	tap OK "sendmail asked our map (name sts) on 5461"
else tap FAIL "sendmail asked our map (name sts) on 5461"; fi

# --- item 2: sendmail's local mailer is not checked -------------------------------------
ours_stop
ours_start "$shipped" "Relayhost example-mxwrongname.test:25" ||
	bail "our daemon restarted with a failing Relayhost"
"$LAB/sendmail" start >"$W/sm-start2.log" 2>&1 || bail "sendmail start (milter)"
q=$(sm_send "root@sendmail.lab.test" local)
if [ -n "$q" ]; then tap OK "local recipient accepted at RCPT despite the failing Relayhost ($q)"; else
	tap FAIL "local recipient accepted at RCPT ($(grep -m1 '<\*\* ' "$W/swaks-local.log"))"
fi
if grep -q "rcpt=<root@sendmail.lab.test>.*reason=skipped.*rcpt_mailer=local" "$W/daemon.log"; then
	tap OK "the milter saw {rcpt_mailer}=local from sendmail's default Milter.macros.envrcpt"
else tap FAIL "the milter saw {rcpt_mailer}=local"; fi
q=$(sm_send "u@example-nosts.test" esmtp)
if [ -z "$q" ] && grep -q "451 4.7" "$W/swaks-esmtp.log"; then
	tap OK "a recipient sent by esmtp gets the Relayhost's verdict (451)"
else tap FAIL "a recipient sent by esmtp gets the Relayhost's verdict (queue id '$q')"; fi

# --- item 3: the report sender's configuration ------------------------------------------
SM=$LABDIR/sendmail
"$LAB/sendmail" start --no-milter >"$W/sm-start3.log" 2>&1 || bail "sendmail start (no milter)"
qdir=$(sed -n "s/^define(\`QUEUE_DIR', \`\(.*\)')dnl$/\1/p" "$top_srcdir/etc/examples/sendmail-tlsrpt.mc")
[ -n "$qdir" ] || bail "etc/examples/sendmail-tlsrpt.mc defines QUEUE_DIR"
mkdir -p "$SM/mqueue-tlsrpt"
chmod 700 "$SM/mqueue-tlsrpt"
# the lab's .mc without the milter and sts lines, the example's queue (under the lab)
sed -e '/^INPUT_MAIL_FILTER(`mta-sts/d' -e '/^FEATURE(`sts/d' \
	-e "s|^define(\`QUEUE_DIR'.*|define(\`QUEUE_DIR', \`$SM/mqueue-tlsrpt')dnl|" \
	"$SM/lab.mc" >"$SM/tlsrpt.mc"
m4 /usr/share/sendmail/cf/m4/cf.m4 "$SM/tlsrpt.mc" >"$SM/tlsrpt.cf" 2>"$W/m4.err" || bail "m4 tlsrpt.cf"
if ! grep -q '^Ksts' "$SM/tlsrpt.cf" && grep -q "^O QueueDirectory=$SM/mqueue-tlsrpt" "$SM/tlsrpt.cf"; then
	tap OK "tlsrpt.cf: no sts map, its own queue"
else tap FAIL "tlsrpt.cf: no sts map, its own queue"; fi
printf 'Subject: lab-sm tlsrpt report\n\nreport\n' >"$W/report.txt"
"$LAB/inlab" unshare -u /bin/sh "$LAB/lib/sm-init.sh" "$LABDIR" "$SM/root/usr/libexec/sendmail/sendmail" \
	-C "$SM/tlsrpt.cf" -odi -f tlsrpt@lab.test tlsrpt@example-mxwrongname.test <"$W/report.txt" \
	>"$W/tlsrpt-submit.log" 2>&1
if wait_log "$LAB_SM_LOG" "to=<?tlsrpt@example-mxwrongname.test>?.*stat=Sent"; then
	tap OK "report through tlsrpt.cf to the enforce domain with a wrong-name MX certificate: Sent"
else
	tap FAIL "report through tlsrpt.cf: Sent ($(grep 'tlsrpt@example-mxwrongname' "$LAB_SM_LOG" | tail -n 1))"
	sed 's/^/# /' "$W/tlsrpt-submit.log" | tail -n 5
fi
q=$(sm_send "u@example-mxwrongname.test" normal)
wait_log "$LAB_SM_LOG" "${q:-none}: to=<u@example-mxwrongname.test>.*stat=" || true
case $(grep -E "${q:-none}: to=<u@example-mxwrongname.test>.*stat=" "$LAB_SM_LOG" | tail -n 1) in
*stat=Deferred*) tap OK "normal mail through the daemon (sts) to the same domain: Deferred" ;;
*) tap FAIL "normal mail through the daemon (sts) to the same domain: Deferred (queue id '$q')" ;; esac

echo "1..$n"
[ "$fails" = 0 ]
