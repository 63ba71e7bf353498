#!/bin/bash
# tests/socketmap/lab-deploy.sh - real deployment shapes through out-Postfix (issue 14).  TAP.
# Root only ("1..0 # SKIP" otherwise); as root, a lab that cannot come up is a failure.
#
#  item 1  smart hosts at delivery time: relayhost = [example-implicit.test]:25 (good certificate,
#          "[host]": no MX lookup) -> the map is asked "[example-implicit.test]:25", answers
#          secure, Postfix logs "Verified"; relayhost = example-mxwrongname.test:25 (MX with a
#          wrong-name certificate) -> secure, Postfix defers.  Before: NOTFOUND, sent anyway.
#  item 2  inbound mail: out-Postfix is also the final destination of inbound.lab.test
#          (virtual_mailbox_domains, {rcpt_mailer} = virtual); the daemon's Relayhost has a
#          failing policy; inbound mail is accepted, delivered and not tagged, while mail that
#          leaves by SMTP is deferred at RCPT, also with milter_rcpt_macros = i (the milter
#          asks for {rcpt_mailer} itself).  Before: every recipient deferred.  Then the
#          recommended layout: port 25 without the milter, submission (587) with it.
#  item 3  report sender: etc/examples/postfix-tlsrpt-{main,master}.cf + an exempt-sender line:
#          the report to the failing enforce domain is delivered, normal mail is deferred.
#
# Instance: MTALAB_NAME=${DEPLOY_LAB_NAME:-deploy}; brought up and down here.
set -u
export MTALAB_NAME=${DEPLOY_LAB_NAME:-deploy}
# shellcheck source=../lab/lib/tap.sh
. "$(dirname "$0")/../lab/lib/tap.sh"
lab_need_root
[ -x "$DAEMON" ] || skip_all "no $DAEMON (build the daemon first)"
lab_up --force
W=$LABDIR/ours-deploy
mkdir -p "$W"
printf 'exempt-sender tlsrpt@lab.test\n' >"$W/overrides"
# shellcheck source=../lab/lib/ours.sh
. "$LAB/lib/ours.sh"
start_daemon() { # start_daemon [extra conf line]
	ours_start "$DAEMON" "$W" "OverrideFile $W/overrides" "${1:-}"
}
send() { # send FROM TO TAG -> swaks log in $W/swaks-TAG.log; prints the queue id
	"$LAB/inlab" swaks --server "$LAB_OUT_ADDR:$LAB_OUT_PORT" --from "$1" --to "$2" \
		--header "Subject: lab-deploy $3" >"$W/swaks-$3.log" 2>&1
	sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' "$W/swaks-$3.log" | head -n 1
}
status_of() { # status_of QID RCPT: wait for the delivery status line, print it
	if wait_log "$LAB_OUT_LOG" "$1: to=<$2>.*status=" 100; then
		grep -E "$1: to=<$2>.*status=" "$LAB_OUT_LOG" | tail -n 1
	else echo "(no status line for ${1:-no queue id} to $2)"; fi
}
maplog() { grep -F "key=$1 " "$W/daemon.log" | tail -n 1; }

start_daemon || bail "our daemon answers on $LAB_MAP_SOCKET"
tap OK "our daemon is up (milter $LAB_MILTER_SOCKET, map $LAB_MAP_SOCKET)"

# --- item 1: smart hosts --------------------------------------------------------------
"$LAB/postconf-out" 'relayhost=[example-implicit.test]:25' >/dev/null
q=$(send sender@lab.test u@example-nosts.test relay-good)
s=$(status_of "$q" u@example-nosts.test)
case $s in *relay=example-implicit.test*status=sent*) tap OK "[host]:port relay with a good certificate: sent" ;;
*) tap FAIL "[host]:port relay with a good certificate: sent ($s)" ;; esac
if grep -q "Verified TLS connection established to example-implicit.test" "$LAB_OUT_LOG"; then
	tap OK "[host]:port relay: 'Verified TLS connection established'"
else tap FAIL "[host]:port relay: 'Verified TLS connection established'"; fi
case $(maplog "[example-implicit.test]:25") in *'reply="OK secure match=example-implicit.test '*)
	tap OK "the map answered the key [example-implicit.test]:25 with the host's policy" ;;
*) tap FAIL "the map answered [example-implicit.test]:25 ($(maplog "[example-implicit.test]:25"))" ;; esac

"$LAB/postconf-out" 'relayhost=example-mxwrongname.test:25' >/dev/null
q=$(send sender@lab.test u@example-nosts.test relay-bad)
s=$(status_of "$q" u@example-nosts.test)
case $s in *status=deferred*"Server certificate not verified"*)
	tap OK "host:port relay whose MX has a wrong-name certificate: deferred" ;;
*) tap FAIL "host:port relay whose MX has a wrong-name certificate: deferred ($s)" ;; esac
case $(maplog "example-mxwrongname.test:25") in *'reply="OK secure match=mx.example-mxwrongname.test '*)
	tap OK "the map answered the key example-mxwrongname.test:25 secure" ;;
*) tap FAIL "the map answered example-mxwrongname.test:25 ($(maplog example-mxwrongname.test:25))" ;; esac
"$LAB/postconf-out" relayhost= >/dev/null
"$LAB/inlab" postsuper -c "$LAB_OUT_CONF" -d ALL deferred >/dev/null 2>&1

# --- item 3: the report sender's transport --------------------------------------------
sed 's/tlsrpt@example.org/tlsrpt@lab.test/' "$top_srcdir/etc/examples/postfix-tlsrpt-master.cf" |
	grep -v '^#' >>"$LAB_OUT_CONF/master.cf"
"$LAB/postconf-out" "$(sed -n 's/tlsrpt@example.org/tlsrpt@lab.test/; s/^\(sender_dependent[^ ]*\) = /\1=/p' \
	"$top_srcdir/etc/examples/postfix-tlsrpt-main.cf")" >/dev/null
qr=$(send tlsrpt@lab.test tlsrpt@example-mxwrongname.test report)
qn=$(send sender@lab.test u@example-mxwrongname.test normal)
s=$(status_of "$qr" tlsrpt@example-mxwrongname.test)
case $s in *relay=mx.example-mxwrongname.test*status=sent*)
	tap OK "report from the exempt sender to a failing enforce domain: delivered" ;;
*) tap FAIL "report from the exempt sender to a failing enforce domain: delivered ($s; swaks: $(grep -m1 '<\*\* ' "$W/swaks-report.log"))" ;; esac
if grep -q "postfix/tlsrpt-smtp/smtp\[[0-9]*\]: $qr: to=<tlsrpt@example-mxwrongname.test>" "$LAB_OUT_LOG"; then
	tap OK "the report left through the tlsrpt-smtp transport"
else tap FAIL "the report left through the tlsrpt-smtp transport"; fi
if [ -z "$qn" ] && grep -q "451 4.7" "$W/swaks-normal.log"; then
	tap OK "normal mail to the same domain: deferred (milter, RCPT)"
else tap FAIL "normal mail to the same domain: deferred (queue id '$qn')"; fi
"$LAB/postconf-out" sender_dependent_default_transport_maps= >/dev/null

# --- item 2: inbound mail is not checked ----------------------------------------------
ours_stop
start_daemon "Relayhost example-mxwrongname.test:25" || bail "daemon restarted with a failing Relayhost"
mkdir -p "$LABDIR/out/vmail"
chown 65534:65534 "$LABDIR/out/vmail"
"$LAB/postconf-out" virtual_mailbox_domains=inbound.lab.test "virtual_mailbox_base=$LABDIR/out/vmail" \
	virtual_mailbox_maps=static:in/ virtual_uid_maps=static:65534 virtual_gid_maps=static:65534 >/dev/null
qi=$(send someone@example-enforce.test u@inbound.lab.test inbound)
if [ -n "$qi" ]; then tap OK "inbound mail accepted with a failing Relayhost policy"; else
	tap FAIL "inbound mail accepted with a failing Relayhost policy ($(grep -m1 '<\*\* ' "$W/swaks-inbound.log"))"
fi
s=$(status_of "$qi" u@inbound.lab.test)
case $s in *relay=virtual*status=sent*) tap OK "inbound mail delivered by virtual(8)" ;;
*) tap FAIL "inbound mail delivered by virtual(8) ($s)" ;; esac
f=$(grep -l "lab-deploy inbound" "$LABDIR"/out/vmail/in/new/* 2>/dev/null | head -n 1)
if [ -n "$f" ] && ! grep -qi '^X-MTA-STS:' "$f"; then tap OK "inbound mail not tagged"; else
	tap FAIL "inbound mail not tagged (${f:-no mail})"
fi
if grep -q "rcpt=<u@inbound.lab.test>.*reason=skipped.*rcpt_mailer=virtual" "$W/daemon.log"; then
	tap OK "the milter saw {rcpt_mailer}=virtual from Postfix's default milter_rcpt_macros"
else tap FAIL "the milter saw {rcpt_mailer}=virtual"; fi
# the milter asks for {rcpt_mailer} itself (smfi_setsymlist): an admin's trimmed list
"$LAB/postconf-out" milter_rcpt_macros=i >/dev/null
qi2=$(send someone@example-enforce.test u@inbound.lab.test inbound-trimmed)
if [ -n "$qi2" ]; then tap OK "milter_rcpt_macros = i: inbound still accepted (the milter asked for {rcpt_mailer})"; else
	tap FAIL "milter_rcpt_macros = i: inbound still accepted ($(grep -m1 '<\*\* ' "$W/swaks-inbound-trimmed.log"))"
fi
qo=$(send sender@lab.test u@example-nosts.test outbound)
if [ -z "$qo" ] && grep -q "451 4.7" "$W/swaks-outbound.log"; then
	tap OK "mail that leaves by SMTP still gets the Relayhost's verdict (deferred)"
else tap FAIL "mail that leaves by SMTP still gets the Relayhost's verdict (queue id '$qo')"; fi

# --- item 2: the recommended layout (etc/examples/postfix-master-submission.cf) ----------
# port 25 gets the example's "-o smtpd_milters=", a submission listener (587) keeps main.cf's
# milter; milter_rcpt_macros back to its default
opt=$(sed -n 's/^  -o \(smtpd_milters=.*\)$/\1/p' "$top_srcdir/etc/examples/postfix-master-submission.cf")
postconf -c "$LAB_OUT_CONF" -P "$LAB_OUT_ADDR:25/inet/$opt" &&
	postconf -c "$LAB_OUT_CONF" -M "$LAB_OUT_ADDR:587/inet=$LAB_OUT_ADDR:587 inet n - n - - smtpd" ||
	bail "master.cf: port 25 without the milter, a submission listener"
"$LAB/postconf-out" milter_rcpt_macros="i {rcpt_addr} {rcpt_host} {rcpt_mailer}" >/dev/null
wait_for 50 "$LAB/inlab" /usr/bin/python3 -c "import socket; socket.create_connection(('$LAB_OUT_ADDR', 587), 1)" 2>/dev/null
n_before=$(grep -c "rcpt=" "$W/daemon.log")
LAB_OUT_PORT=25 qa=$(send someone@example-enforce.test u@example-nosts.test layout-25)
if [ -n "$qa" ] && [ "$(grep -c "rcpt=" "$W/daemon.log")" = "$n_before" ]; then
	tap OK "layout: port 25 (inbound) never reaches the milter"
else tap FAIL "layout: port 25 (inbound) never reaches the milter (queue id '$qa')"; fi
LAB_OUT_PORT=587 qs=$(send sender@lab.test u@example-nosts.test layout-587)
if [ -z "$qs" ] && grep -q "451 4.7" "$W/swaks-layout-587.log"; then
	tap OK "layout: submission (587) is checked by the milter (Relayhost verdict: 451)"
else tap FAIL "layout: submission (587) is checked by the milter (queue id '$qs')"; fi

tap_done
