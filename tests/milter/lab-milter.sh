#!/bin/bash
# tests/milter/lab-milter.sh - mta-sts-milter end to end in the loopback lab
# (tests/lab, issue [lab]): swaks -> out-Postfix (smtpd_milters) -> our
# milter -> the MX farm, for every row of tests/lab/scenarios.tsv; the same
# through sendmail (INPUT_MAIL_FILTER); reload with a broken file; a first
# recipient whose policy host has a black-holed AAAA (happy eyeballs);
# AddressFamilies (auto logged as IPv4 in the lab, ipv6 asks no A); restart
# keeps cached policies (state file); the policy host and the DNS server
# killed mid-run change verdicts as RFC 8461 says and crash nothing.
# TAP.  SKIPs (never passes) when not root or the lab cannot come up.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
SRC=$(cd "$top_srcdir" && pwd)
BIN=$(cd "$top_builddir" && pwd)/milter/mta-sts-milter
LAB=$SRC/tests/lab
. "$LAB/lib/mail.sh"
# A name of its own per run, so parallel runs (make check, distcheck) never meet.
export MTALAB_NAME=${MTALAB_NAME:-milter-e2e-$$}
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespace)"
[ -x "$LAB/up" ] || skip_all "tests/lab not present"
[ -x "$BIN" ] || skip_all "$BIN not built"
command -v swaks >/dev/null || skip_all "swaks not installed"

OWN_LAB=0
if ! "$LAB/status" >/dev/null 2>&1; then
	"$LAB/up" >/tmp/lab-milter-up.$$ 2>&1 || {
		cat /tmp/lab-milter-up.$$ | sed 's/^/# /'
		rm -f /tmp/lab-milter-up.$$
		"$LAB/down" --purge >/dev/null 2>&1
		skip_all "lab did not come up"
	}
	rm -f /tmp/lab-milter-up.$$
	OWN_LAB=1
fi
. "${MTALAB_DIR:-/tmp/mtalab-$MTALAB_NAME}/env"
W=$LABDIR/milter-test
rm -rf "$W"
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
	"$LAB/sendmail" stop >/dev/null 2>&1
	[ $OWN_LAB = 1 ] && "$LAB/down" --purge >/dev/null 2>&1
}
trap cleanup EXIT INT TERM

write_conf() { # $1 = state file ("none" for none)
	cat >"$W/milter.conf" <<EOC
# tests/milter/lab-milter.sh
Socket          $LAB_MILTER_SOCKET
MapSocket       $LAB_MAP_SOCKET
UnboundConfig   $LAB_UNBOUND_CONF
TrustAnchorFile none
CAFile          $LAB_CA
StateFile       $1
PidFile         $W/milter.pid
DNSTimeout      2s
FetchTimeout    3s
ProbeTimeout    3s
LookupDeadline  6s
LogLevel        debug
EOC
}
start_milter() {
	"$LAB/inlab" "$BIN" -f -c "$W/milter.conf" 2>>"$W/milter.log" &
	MPID=$!
	for i in $(seq 1 50); do
		grep -q "started: milter" "$W/milter.log" 2>/dev/null && break
		sleep 0.1
	done
}
alive() { [ -n "$MPID" ] && kill -0 "$MPID" 2>/dev/null && [ "$(awk '{print $3}' /proc/$MPID/stat)" != Z ]; }

# swaks through $1:25 with recipients "$2" (comma list); output to $3.
send() {
	"$LAB/inlab" swaks --server "$1:25" --from "sender@lab.test" --to "$2" \
		--header "Subject: lab-milter $TAG" --timeout 60 >"$3" 2>&1
}
# The reply line to RCPT TO:<$2> in swaks output $1.
reply_to() {
	awk -v r="RCPT TO:<$2>" 'found { print; exit } index($0, r) { found = 1 }' "$1" |
		sed 's/^ *<[-*]* *//'
}
# expect_milter -> the reply class: accept/tag = 250, defer = 451.
want_code() { case $1 in defer) echo 451 ;; *) echo 250 ;; esac; }

# "domain expect_milter mx expect_policy" per row
ROWS=$(grep -v '^#' "$LAB_SCENARIOS" | awk -F'\t' 'NR > 1 && $1 != "" { print $1 " " $10 " " $6 " " $8 }')
write_conf "$W/state"
start_milter
alive; ok $? "milter started in the lab (TCP_NODELAY: $(grep -c 'TCP_NODELAY set' "$W/milter.log"))"

# --- 1. Postfix: every scenario row in one message ---------------------
TAG=pf$$
rcpts=$(echo "$ROWS" | awk -v t=$TAG '{ printf "%s%s@%s", (NR > 1 ? "," : ""), t, $1 }')
send "$LAB_OUT_ADDR" "$rcpts" "$W/swaks-postfix.txt"
grep -q "queued as" "$W/swaks-postfix.txt"; ok $? "postfix: message queued"
while read -r dom exp mx pol; do
	r=$(reply_to "$W/swaks-postfix.txt" "$TAG@$dom")
	case "$r" in "$(want_code "$exp") "*) rc=0 ;; *) rc=1 ;; esac
	if [ "$exp" = defer ]; then
		case "$r" in *"$dom"*"mode enforce"*) ;; *"$dom"*"dnssec"*) ;; *) rc=1 ;; esac
	fi
	ok $rc "postfix RCPT $dom: expect $exp, got: $r"
done <<<"$ROWS"
# The decision log names the policy's mode wherever an enforce policy
# applies, also when the MX state decides (null MX, bogus TLSA): never
# mode=none (issue 13 item 9).
while IFS=$'\t' read -r dom pk epol; do
	grep -q "rcpt=<$TAG@$dom> .*mode=enforce " "$W/milter.log"
	ok $? "postfix RCPT $dom: logged with mode=enforce ($pk)"
done < <(grep -v '^#' "$LAB_SCENARIOS" | awk -F'\t' 'NR > 1 && $8 == "ok" && $4 != "testing" && $4 != "none" { print $1 "\t" $6 "\t" $8 }')
# Delivered copies: tag rows carry a failing entry for their domain,
# accepted enforce rows a passing one; none carries a spoofable copy.
deliv() { grep -l "^Delivered-To: $TAG@$1\$" "$LAB_MAILDIR"/new/* 2>/dev/null | head -1; }
# Delivered: every accepted row except a null MX (the MTA bounces it) and,
# through Postfix, a TLSA mismatch (its DANE check defers it; the lab's
# sendmail does no DANE and delivers): neither is ours to decide.
expect_delivered() {
	[ "$2" != defer ] && [ "$3" != null ] &&
		{ [ "$3" != dane-mismatch ] || [ "$MTA" = sendmail ]; }
}
# check_delivered MTA: wait for the copies of $TAG, then per row: tag
# rows carry a fail/temperror entry for their domain; accepted rows with
# a policy a pass (or none: mode none, DANE) entry; others no failure.
check_delivered() {
	local i missing f e rc
	MTA=$1
	for i in $(seq 1 60); do
		missing=0
		while read -r dom exp mx pol; do
			expect_delivered "$dom" "$exp" "$mx" && [ -z "$(deliv "$dom")" ] && missing=1
		done <<<"$ROWS"
		[ $missing = 0 ] && break
		sleep 0.5
	done
	while read -r dom exp mx pol; do
		[ "$exp" = defer ] && continue
		f=$(deliv "$dom")
		if ! expect_delivered "$dom" "$exp" "$mx"; then
			[ -z "$f" ]; ok $? "$1: $dom ($mx MX): accepted by us, not delivered by the MTA"
			continue
		fi
		if [ -z "$f" ]; then
			ok 1 "$1: $dom delivered ($exp)"
			continue
		fi
		e=$(sts_header "$f" | grep -o "domain=$dom [^;]*" | head -1)
		case $exp/$pol in
		tag/*) case "$e" in *" result=fail"* | *" result=temperror"*) rc=0 ;; *) rc=1 ;; esac ;;
		accept/ok) case "$e" in *" result=pass"* | *" result=none"*) rc=0 ;; *) rc=1 ;; esac ;;
		*) case "$e" in *" result=fail"* | *" result=temperror"*) rc=1 ;; *) rc=0 ;; esac ;;
		esac
		ok $rc "$1: $dom delivered, header entry as expected ($exp, policy $pol): ${e:-no entry}"
	done <<<"$ROWS"
}
check_delivered postfix
f=$(deliv example-enforce.test)
[ -n "$f" ] && [ "$(grep -c '^X-MTA-STS:' "$f")" = 1 ]; ok $? "exactly one X-MTA-STS header in a delivered copy"
grep -q "Verified TLS connection established to mx.example-enforce.test" "$LAB_OUT_LOG"
ok $? "delivery to example-enforce.test verified by the policy map"

# Spoofed header from outside is removed.
TAG=spoof$$
"$LAB/inlab" swaks --server "$LAB_OUT_ADDR:25" --from sender@lab.test --to "$TAG@example-nosts.test,$TAG@example-enforce.test" \
	--header "X-MTA-STS: domain=example-enforce.test result=pass" >"$W/swaks-spoof.txt" 2>&1
sleep 2
f=$(deliv example-enforce.test)
[ -n "$f" ] && [ "$(grep -c '^X-MTA-STS:' "$f")" = 1 ] && ! grep -q "^X-MTA-STS: domain=example-enforce.test result=pass$" "$f"
ok $? "spoofed X-MTA-STS from the client replaced by ours"

# --- 2. sendmail as the submitting MTA ---------------------------------
if "$LAB/sendmail" start >"$W/sendmail-start.txt" 2>&1; then
	TAG=sm$$
	rcpts_sm=$(echo "$ROWS" | awk -v t=$TAG '{ printf "%s%s@%s", (NR > 1 ? "," : ""), t, $1 }')
	send "$LAB_SM_ADDR" "$rcpts_sm" "$W/swaks-sendmail.txt"
	while read -r dom exp mx pol; do
		r=$(reply_to "$W/swaks-sendmail.txt" "$TAG@$dom")
		case "$r" in "$(want_code "$exp") "*) rc=0 ;; *) rc=1 ;; esac
		ok $rc "sendmail RCPT $dom: expect $exp, got: $r"
	done <<<"$ROWS"
	check_delivered sendmail
	"$LAB/sendmail" stop >/dev/null 2>&1
else
	echo "# sendmail did not start: $(tail -1 "$W/sendmail-start.txt")"
	ok 1 "sendmail lab start"
fi

# --- 3. reload with a broken configuration ------------------------------
cp "$W/milter.conf" "$W/milter.conf.good"
echo "LookupDeadline forever" >>"$W/milter.conf"
kill -HUP "$MPID"
sleep 0.5
grep -q "reload failed, keeping the old configuration: .*milter.conf:[0-9]*: LookupDeadline" "$W/milter.log"
ok $? "SIGHUP with a broken file: logged with file:line"
TAG=rl$$
send "$LAB_OUT_ADDR" "$TAG@example-mxselfsigned.test,$TAG@example-enforce.test" "$W/swaks-reload.txt"
alive && reply_to "$W/swaks-reload.txt" "$TAG@example-mxselfsigned.test" | grep -q "^451 4.7.5"
ok $? "still running with the old configuration: $(reply_to "$W/swaks-reload.txt" "$TAG@example-mxselfsigned.test" | cut -c1-60)"
cp "$W/milter.conf.good" "$W/milter.conf"

# --- 3b. happy eyeballs at RCPT time, through Postfix --------------------
# example-v6dead.test's policy host has a black-holed AAAA (tried first,
# its connect hangs) beside a good A.  With a 1 s LookupDeadline and an
# empty cache, its first recipient gets the enforce policy's verdict only
# if the A is tried 250 ms later (RFC 8305); one address after the other,
# the AAAA's 2 s connect bound would leave the recipient pending (mode=none).
stop_milter
cp "$W/state" "$W/state.he"
write_conf none
sed -i 's/^LookupDeadline .*/LookupDeadline  1s/' "$W/milter.conf"
# both families: "auto" would ask A only in the lab (no IPv6 but
# link-local), and there would be no race to win
echo "AddressFamilies all" >>"$W/milter.conf"
start_milter
TAG=he$$
send "$LAB_OUT_ADDR" "$TAG@example-v6dead.test" "$W/swaks-he.txt"
r=$(reply_to "$W/swaks-he.txt" "$TAG@example-v6dead.test")
grep -q "rcpt=<$TAG@example-v6dead.test> .*mode=enforce " "$W/milter.log"
ok $? "happy eyeballs: a first recipient at example-v6dead.test (AAAA black-holed) gets the enforce verdict within a 1 s LookupDeadline: $r"
stop_milter

# --- 3c. AddressFamilies, through Postfix --------------------------------
# The lab's netns has IPv4 besides 127.0.0.1 and only link-local IPv6: the
# default (auto) was logged at start as IPv4 only.  With "ipv6" the daemon
# asks AAAA only, and example-enforce.test's policy host has just an A: its
# first recipient (empty cache) is a fetch failure that names the AAAA,
# accepted and tagged, where the same recipient passed in section 1.
grep -q "AddressFamilies auto: ipv4 for now" "$W/milter.log"
ok $? "AddressFamilies auto in the lab: logged at start as ipv4"
write_conf none
echo "AddressFamilies ipv6" >>"$W/milter.conf"
start_milter
TAG=af$$
send "$LAB_OUT_ADDR" "$TAG@example-enforce.test" "$W/swaks-af.txt"
r=$(reply_to "$W/swaks-af.txt" "$TAG@example-enforce.test")
case "$r" in "250 "*) rc=0 ;; *) rc=1 ;; esac
grep -q "rcpt=<$TAG@example-enforce.test>.*verdict=tag .*type=sts-policy-fetch-error" "$W/milter.log" || rc=1
grep -q "mta-sts.example-enforce.test: no AAAA record" "$W/milter.log" || rc=1
ok $rc "AddressFamilies ipv6: example-enforce.test (policy host with an A only) accepted, tagged as a fetch error naming the missing AAAA: $r"
stop_milter
mv "$W/state.he" "$W/state"
write_conf "$W/state"
start_milter

# --- 4. restart keeps cached policies; policy host killed ---------------
# (kills lab daemons: only in a lab this script brought up itself)
if [ $OWN_LAB = 0 ]; then
	for what in "state file" restart "cached defer" "cached pass" "no cache" "no cache tag" \
		"dns no cache" "dns no 5xx" "alive"; do
		skip "$what: needs a lab of its own (MTALAB_NAME=$MTALAB_NAME was already up)"
	done
	stop_milter
	echo "1..$n"
	[ $fails = 0 ]
	exit
fi
stop_milter
[ -s "$W/state" ]; ok $? "state file saved at stop ($(wc -l <"$W/state" 2>/dev/null) lines)"
NGINX=$(awk '$3 == "nginx" { print $1 }' "$LABDIR/run/pids")
kill -TERM $NGINX 2>/dev/null
sleep 0.5
start_milter
alive; ok $? "restarted"
TAG=rs$$
send "$LAB_OUT_ADDR" "$TAG@example-mxselfsigned.test,$TAG@example-enforce.test,$TAG@example-testing-bad.test" "$W/swaks-restart.txt"
r=$(reply_to "$W/swaks-restart.txt" "$TAG@example-mxselfsigned.test")
case "$r" in "451 4.7.5"*) rc=0 ;; *) rc=1 ;; esac
ok $rc "policy host down, cached enforce policy from the state file still defers: $(echo "$r" | cut -c1-50)"
r=$(reply_to "$W/swaks-restart.txt" "$TAG@example-enforce.test")
case "$r" in "250 "*) rc=0 ;; *) rc=1 ;; esac
ok $rc "cached enforce policy still satisfied: $r"

# Without the state file the same restart knows nothing: the fetch fails,
# so RFC 8461 5.1 says act as without a policy (accept, tagged).
stop_milter
mv "$W/state" "$W/state.saved"
write_conf none
start_milter
TAG=ns$$
send "$LAB_OUT_ADDR" "$TAG@example-mxselfsigned.test" "$W/swaks-nostate.txt"
r=$(reply_to "$W/swaks-nostate.txt" "$TAG@example-mxselfsigned.test")
case "$r" in "250 "*) rc=0 ;; *) rc=1 ;; esac
ok $rc "no cache + policy host down: accepted (fetch error, no policy): $r"
grep -q "rcpt=<$TAG@example-mxselfsigned.test>.*verdict=tag .*type=sts-policy-fetch-error" "$W/milter.log" ||
	grep -q "rcpt=<$TAG@example-mxselfsigned.test>.*verdict=tag" "$W/milter.log"
ok $? "... and tagged/logged as a fetch failure"

# --- 5. DNS server killed mid-run ---------------------------------------
NSD=$(awk '$3 == "nsd" { print $1 }' "$LABDIR/run/pids")
kill -TERM $NSD 2>/dev/null
sleep 0.5
TAG=dns$$
send "$LAB_OUT_ADDR" "$TAG@new-$$.example-enforce.test,$TAG@example-mxselfsigned.test,$TAG@example-enforce.test" "$W/swaks-dns.txt"
r=$(reply_to "$W/swaks-dns.txt" "$TAG@new-$$.example-enforce.test")
case "$r" in "250 "*) rc=0 ;; *) rc=1 ;; esac
ok $rc "DNS down, nothing cached: accepted (RFC 8461 5.1, never 5xx): $r"
! grep -q "^<\*\* 5" "$W/swaks-dns.txt"; ok $? "DNS down: no 5xx for anyone"
alive; ok $? "milter alive after DNS and policy host outages"
stop_milter
grep -q "mta-sts-milter stopped" "$W/milter.log"; ok $? "clean stop"

if [ $fails -ne 0 ]; then
	echo "# milter log tail:"
	tail -30 "$W/milter.log" | sed 's/^/#   /'
fi
echo "1..$n"
[ $fails = 0 ]
