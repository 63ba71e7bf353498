#!/bin/bash
# tests/socketmap/lab-map.sh - the socketmap server end to end in the loopback lab
# (issue [socketmap]).  TAP.  Needs root and tests/lab; prints "1..0 # SKIP" otherwise.
#
#  1. our daemon (milter/mta-sts-milter with MapSocket) answers every scenario row as
#     scenarios.tsv's expect_map column says;
#  2. differential: postfix-mta-sts-resolver (the peer, 127.0.0.1:8462) gives the same
#     reply string for every row, except the rows listed in DEVIATIONS below, each with
#     the RFC clause that makes the peer wrong (and the peer is checked to still differ);
#  3. out-Postfix delivering through the map (milter off): enforce -> "Verified TLS
#     connection established" and sent; MX with a wrong-name / self-signed certificate ->
#     deferred, still queued, with the TLS reason; testing -> sent; DANE rows -> DANE;
#  4. the same through sendmail's FEATURE(`sts') map (request "sts DOMAIN").
#
# Instance: MTALAB_NAME=map (or $SOCKETMAP_LAB_NAME); an instance already up is used and left up.
set -u
srcdir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$srcdir/../..}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=${top_builddir:-.}
top_builddir=$(cd "$top_builddir" && pwd)
LAB=$top_srcdir/tests/lab
DAEMON=$top_builddir/milter/mta-sts-milter
export MTALAB_NAME=${SOCKETMAP_LAB_NAME:-map}
PY=/usr/bin/python3

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "not root (the lab needs network namespaces)"
[ -x "$LAB/up" ] || skip "no tests/lab"
[ -x "$DAEMON" ] || skip "no $DAEMON (build the daemon first)"
command -v ip >/dev/null && command -v swaks >/dev/null && command -v postfix >/dev/null ||
	skip "ip, swaks or postfix missing"

n=0
fails=0
tap() { # tap OK|FAIL description [directive]
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2${3:+ $3}"
	else
		echo "not ok $n - $2${3:+ $3}"
		case ${3:-} in "# TODO"*) ;; *) fails=$((fails + 1)) ;; esac
	fi
}
is() { # is GOT WANT description
	if [ "$1" = "$2" ]; then tap OK "$3"; else
		tap FAIL "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

ours_up=0 lab_started=0
cleanup() {
	if [ -n "${dpid:-}" ] && kill -0 "$dpid" 2>/dev/null; then
		kill "$dpid"
		for _ in $(seq 1 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	fi
	# keep the lab's logs only when something failed
	if [ "$lab_started" = 1 ]; then
		if [ "$fails" = 0 ]; then "$LAB/down" --purge >/dev/null 2>&1
		else "$LAB/down" >/dev/null 2>&1; echo "# logs kept in $LABDIR"; fi
	fi
}
trap cleanup EXIT

if "$LAB/status" >/dev/null 2>&1; then
	"$LAB/peer" start >/dev/null 2>&1
	"$LAB/postconf-out" smtpd_milters= non_smtpd_milters= >/dev/null 2>&1
else
	"$LAB/up" --no-milter --peer --sendmail >/tmp/lab-map-up.$$ 2>&1 || {
		cat /tmp/lab-map-up.$$ | sed 's/^/# /'
		rm -f /tmp/lab-map-up.$$
		"$LAB/down" >/dev/null 2>&1
		skip "lab unavailable (tests/lab/up failed)"
	}
	rm -f /tmp/lab-map-up.$$
	lab_started=1
fi
# shellcheck disable=SC1090
. "${MTALAB_DIR:-/tmp/mtalab-$MTALAB_NAME}/env"
W=$LABDIR/ours-map
mkdir -p "$W"
cat >"$W/mta-sts-milter.conf" <<EOC
Socket inet:8891@127.0.0.1
MapSocket $LAB_MAP_SOCKET
LogLevel debug
UnboundConfig $LAB_UNBOUND_CONF
CAFile $LAB_CA
PidFile $W/daemon.pid
EOC
setsid "$LAB/inlab" "$DAEMON" -f -c "$W/mta-sts-milter.conf" >>"$W/daemon.log" 2>&1 &
dpid=$!
smq() { "$LAB/inlab" "$PY" "$srcdir/smq-many.py" "$@"; }
for _ in $(seq 1 50); do
	kill -0 "$dpid" 2>/dev/null || break
	smq postfix 127.0.0.1:8461 probe.invalid 2>/dev/null | grep -q NOTFOUND && { ours_up=1; break; }
	sleep 0.1
done
if [ "$ours_up" != 1 ]; then
	sed 's/^/# /' "$W/daemon.log" | tail -20
	echo "1..1"
	tap FAIL "our daemon answers on $LAB_MAP_SOCKET"
	exit 1
fi

class() {
	case $1 in
	"OK secure "*) echo secure ;;
	"OK dane-only") echo dane-only ;;
	"NOTFOUND ") echo notfound ;;
	"TEMP "*) echo temp ;;
	"PERM "*) echo perm ;;
	*) echo "other($1)" ;;
	esac
}

# domain <TAB> the peer's class <TAB> why the peer is wrong.  Ours must answer expect_map.
DEVIATIONS="example-badid.test	secure	RFC 8461 3.1: id is 1*32(ALPHA / DIGIT); a record with a bad id is no record (checklist B4)
example-certcnonly.test	secure	RFC 8461 3.3 + RFC 6125 6.4.4: the policy host needs a subjectAltName DNS-ID, no CN fallback (checklist C2)
example-dane.test	secure	RFC 8461 2: MTA-STS must not override DANE; secure would switch Postfix's DANE off (checklist G1, peer issues 67/105/108)
example-danebad.test	secure	RFC 8461 2: MTA-STS must not override DANE (checklist G1)
example-bogus.test	notfound	RFC 8461 2 + RFC 4035 4.3: DNSSEC-bogus data must not be used as 'no policy': defer (checklist G1)
example-expiredsig.test	notfound	RFC 8461 2 + RFC 4035 4.3: DNSSEC-bogus data must not be used as 'no policy': defer (checklist G1)
example-truncated.test	secure	RFC 9112 9.8: a read-until-close body is complete only after TLS close_notify; the peer accepts a policy cut by a bare TCP close (issue 13 item 2)
example-tlsabogus.test	secure	RFC 8461 2 + RFC 7672 2.2: a bogus TLSA RRset is a failing DANE validation that MTA-STS must not override: defer (issue 13 item 4)
example-mxcname.test	secure	RFC 7672 2.2.2: TLSA at the CNAME-expanded MX name counts; MTA-STS must not override DANE (RFC 8461 2)
bücher.example-enforce.test	error	RFC 8461 A-labels (checklist A4): a U-label key must not crash the server (peer issue 90)"

# --- 1 + 2: every scenario row, ours against expect_map and against the peer --------
doms=$(awk -F'\t' '!/^#/ && $1 != "domain" { print $1 }' "$LAB_SCENARIOS")
smq postfix "127.0.0.1:8461,127.0.0.1:$LAB_PEER_PORT" $doms "bücher.example-enforce.test" >"$W/answers.tsv"
while IFS=$'\t' read -r dom ours peer; do
	want=$(awk -F'\t' -v d="$dom" '$1 == d { print $11 }' "$LAB_SCENARIOS")
	[ -n "$want" ] || want=notfound # extra keys (IDN)
	oc=$(class "$ours")
	pc=$(class "$peer")
	case $peer in "(error:"*) pc=error ;; esac
	# DNSSEC-bogus discovery comes from the engine as BOGUS, which the map
	# answers TEMP (checklist G1); "pending" stays NOTFOUND.
	if [ "$oc" = "$want" ]; then tap OK "ours $dom: $want"; else
		tap FAIL "ours $dom: $want (got '$ours')"
	fi
	dev=$(printf '%s\n' "$DEVIATIONS" | awk -F'\t' -v d="$dom" '$1 == d')
	if [ -n "$dev" ] && [ "$oc" != "$pc" ]; then
		dpc=$(printf '%s' "$dev" | cut -f2)
		is "$pc" "$dpc" "peer differs on $dom as listed: $(printf '%s' "$dev" | cut -f3)"
	else
		is "$ours" "$peer" "peer agrees on $dom"
	fi
done <"$W/answers.tsv"

# sendmail's map name gets the same answers; an address literal or [host]:port none
r=$(smq sts 127.0.0.1:8461 example-enforce.test "[127.0.25.11]" "[mx.example-enforce.test]:587" example-enforce.test.)
is "$(printf '%s\n' "$r" | cut -f2 | tr '\n' '|')" \
	"OK secure match=mx.example-enforce.test servername=hostname|NOTFOUND |NOTFOUND |OK secure match=mx.example-enforce.test servername=hostname|" \
	"map name sts; literal, [host]:port, trailing dot"

# --- 3: out-Postfix delivering through the map ----------------------------------------
send_pf() { # send_pf DOMAIN -> queue id
	"$LAB/inlab" swaks --server "$LAB_OUT_ADDR:$LAB_OUT_PORT" --from sender@lab.test \
		--to "u@$1" --header "Subject: lab-map $1" >"$W/swaks-$1.log" 2>&1
	sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' "$W/swaks-$1.log" | head -n 1
}
wait_log() { # wait_log FILE REGEX
	for _ in $(seq 1 100); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
declare -A qid
for d in example-enforce.test example-mxwrongname.test example-mxselfsigned.test \
	example-testing.test example-dane.test example-danebad.test; do
	qid[$d]=$(send_pf "$d")
done
for d in "${!qid[@]}"; do
	wait_log "$LAB_OUT_LOG" "${qid[$d]:-none}: to=<u@$d>.*status=" ||
		echo "# no status line for $d (${qid[$d]:-no queue id})"
done
st() { grep -E "${qid[$1]:-none}: to=<u@$1>.*status=" "$LAB_OUT_LOG" | tail -n 1; }
queue=$("$LAB/inlab" postqueue -c "$LAB_OUT_CONF" -p 2>/dev/null)
case $(st example-enforce.test) in *status=sent*) tap OK "postfix: enforce domain delivered" ;;
*) tap FAIL "postfix: enforce domain delivered ($(st example-enforce.test))" ;; esac
if grep -q "Verified TLS connection established to mx.example-enforce.test" "$LAB_OUT_LOG"; then
	tap OK "postfix: 'Verified TLS connection established' to the enforce MX"
else tap FAIL "postfix: 'Verified TLS connection established' to the enforce MX"; fi
for d in example-mxwrongname.test example-mxselfsigned.test; do
	s=$(st $d)
	case $s in *status=deferred*"Server certificate not verified"*)
		tap OK "postfix: $d deferred with the TLS reason" ;;
	*) tap FAIL "postfix: $d deferred with the TLS reason ($s)" ;; esac
	case $queue in *"${qid[$d]:-none}"*) tap OK "postfix: $d still in the queue" ;;
	*) tap FAIL "postfix: $d still in the queue" ;; esac
done
case $(st example-testing.test) in *status=sent*) tap OK "postfix: testing domain delivered" ;;
*) tap FAIL "postfix: testing domain delivered ($(st example-testing.test))" ;; esac
if grep -q "Verified TLS connection established to mx.example-dane.test" "$LAB_OUT_LOG" &&
	st example-dane.test | grep -q status=sent; then
	tap OK "postfix: dane-only: DANE-verified delivery"
else tap FAIL "postfix: dane-only: DANE-verified delivery ($(st example-dane.test))"; fi
case $(st example-danebad.test) in *status=deferred*) tap OK "postfix: dane-only: mismatching TLSA deferred" ;;
*) tap FAIL "postfix: dane-only: mismatching TLSA deferred ($(st example-danebad.test))" ;; esac

# --- 4: sendmail's FEATURE(`sts') map ---------------------------------------------------
if "$LAB/sendmail" stop >/dev/null 2>&1 && "$LAB/sendmail" start --no-milter >"$W/sm-start.log" 2>&1; then
	declare -A sid
	for d in example-enforce.test example-mxwrongname.test example-testing.test; do
		"$LAB/inlab" swaks --server "$LAB_SM_ADDR:$LAB_SM_PORT" --from sender@lab.test \
			--to "u@$d" --header "Subject: lab-map sm $d" >"$W/swaks-sm-$d.log" 2>&1
		sid[$d]=$(sed -n 's/.*250 2.0.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' "$W/swaks-sm-$d.log" | head -n 1)
		wait_log "$LAB_SM_LOG" "${sid[$d]:-none}: to=<u@$d>.*stat=" || echo "# sendmail: no stat line for $d"
	done
	sst() { grep -E "${sid[$1]:-none}: to=<u@$1>.*stat=" "$LAB_SM_LOG" | tail -n 1; }
	case $(sst example-enforce.test) in *stat=Sent*) tap OK "sendmail: enforce domain sent" ;;
	*) tap FAIL "sendmail: enforce domain sent ($(sst example-enforce.test))" ;; esac
	if grep -q "tls_clt_features=parsed, sts=secure, relay=mx.example-enforce.test" "$LAB_SM_LOG"; then
		tap OK "sendmail: sts=secure from our map"
	else tap FAIL "sendmail: sts=secure from our map"; fi
	case $(sst example-mxwrongname.test) in *stat=Deferred*) tap OK "sendmail: wrong-name MX deferred" ;;
	*) tap FAIL "sendmail: wrong-name MX deferred ($(sst example-mxwrongname.test))" ;; esac
	if grep -q "${sid[example-mxwrongname.test]:-none}: ruleset=tls_rcpt.*not listed in SANs" "$LAB_SM_LOG"; then
		tap OK "sendmail: the STS SAN check gave the reason"
	else tap FAIL "sendmail: the STS SAN check gave the reason"; fi
	case $(sst example-testing.test) in *stat=Sent*) tap OK "sendmail: testing domain sent" ;;
	*) tap FAIL "sendmail: testing domain sent ($(sst example-testing.test))" ;; esac
	if grep -q "map=sts key=example-enforce.test" "$W/daemon.log"; then
		tap OK "sendmail asked map name sts"
	else tap FAIL "sendmail asked map name sts"; fi
else
	sed 's/^/# /' "$W/sm-start.log"
	for d in 1 2 3 4 5 6; do tap OK "sendmail part" "# SKIP sendmail unavailable"; done
fi

echo "1..$n"
[ "$fails" = 0 ]
