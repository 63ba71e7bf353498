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
export MTALAB_NAME=${SMBARE_LAB_NAME:-deploy-sm}
# shellcheck source=../lab/lib/tap.sh
. "$(dirname "$0")/../lab/lib/tap.sh"
lab_need_root
[ -x "$DAEMON" ] || skip_all "no $DAEMON (build the daemon first)"
lab_up --no-milter
W=$LABDIR/ours-smbare
# shellcheck source=../lab/lib/ours.sh
. "$LAB/lib/ours.sh"
# our daemon with the shipped MapSocket line (below), asked as sendmail's bare feature does
OURS_MAP_SOCKET=
OURS_PROBE="sts 127.0.0.1:5461"
# the shipped configuration's MapSocket line, as it is
shipped=$(grep -E '^MapSocket[[:space:]]' "$top_srcdir/etc/mta-sts-milter.conf")
case $shipped in *inet:5461@127.0.0.1*) tap OK "etc/mta-sts-milter.conf: $shipped" ;;
*) tap FAIL "etc/mta-sts-milter.conf listens where the bare FEATURE(\`sts') asks ($shipped)" ;; esac
ours_start "$DAEMON" "$W" "$shipped" || bail "our daemon answers the map on 5461"

sm_send() { # sm_send RCPT TAG -> prints the queue id (empty if refused)
	"$LAB/inlab" swaks --server "$LAB_SM_ADDR:$LAB_SM_PORT" --from sender@lab.test \
		--to "$1" --header "Subject: lab-sm $2" >"$W/swaks-$2.log" 2>&1
	sed -n 's/.*250 2.0.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' "$W/swaks-$2.log" | head -n 1
}

# --- item 5: the bare feature ------------------------------------------------------------
if "$LAB/sendmail" start --no-milter --bare-sts >"$W/sm-start.log" 2>&1; then
	tap OK "sendmail with a bare FEATURE(\`sts'): $(tail -n 1 "$W/sm-start.log")"
else
	tail -n 20 "$W/sm-start.log" | diag
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
ours_start "$DAEMON" "$W" "$shipped" "Relayhost example-mxwrongname.test:25" ||
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
	tail -n 5 "$W/tlsrpt-submit.log" | diag
fi
q=$(sm_send "u@example-mxwrongname.test" normal)
wait_log "$LAB_SM_LOG" "${q:-none}: to=<u@example-mxwrongname.test>.*stat=" || true
case $(grep -E "${q:-none}: to=<u@example-mxwrongname.test>.*stat=" "$LAB_SM_LOG" | tail -n 1) in
*stat=Deferred*) tap OK "normal mail through the daemon (sts) to the same domain: Deferred" ;;
*) tap FAIL "normal mail through the daemon (sts) to the same domain: Deferred (queue id '$q')" ;; esac

tap_done
