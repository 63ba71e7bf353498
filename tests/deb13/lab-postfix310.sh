#!/bin/bash
# tests/deb13/lab-postfix310.sh - Debian 13's Postfix 3.10 in the lab, delivering
# through our socketmap server (issue [deploy] item 4's test bed).  TAP.
# Root only ("1..0 # SKIP" otherwise); as root, a lab or Debian 13 root that
# cannot be brought up is a failure.
#
#  1. the lab comes up; our daemon (milter/mta-sts-milter) answers the map on
#     127.0.0.1:8461 as in tests/socketmap/lab-map.sh;
#  2. tests/lab/postfix310 starts Postfix 3.10 from the Debian 13 root (chroot
#     in the lab's netns) on 127.0.25.3:25, milter off: `postconf mail_version`
#     there says 3.10.x, smtp_tls_policy_maps is our socketmap, and the build
#     knows smtp_tlsrpt_enable (libtlsrpt, for issue [tlsrpt]);
#  3. mail to the good enforce domain is sent with "Verified TLS connection
#     established"; mail to the enforce domain whose MX has a wrong-name
#     certificate is deferred by Postfix 3.10 ("Server certificate not
#     verified") and stays queued; Postfix 3.10 asked our map for both.
#
# Instance: MTALAB_NAME=${POSTFIX310_LAB_NAME:-postfix310}; brought up and down here.
set -u
export MTALAB_NAME=${POSTFIX310_LAB_NAME:-postfix310}
# shellcheck source=../lab/lib/tap.sh
. "$(dirname "$0")/../lab/lib/tap.sh"
lab_need_root "not root (the lab needs network namespaces, the chroot mounts)"
[ -x "$DAEMON" ] || skip_all "no $DAEMON (build the daemon first)"

# --- 1. lab + our map ----------------------------------------------------------------
lab_up --no-milter
tap OK "lab $MTALAB_NAME up"
W=$LABDIR/ours-pf310
# shellcheck source=../lab/lib/ours.sh
. "$LAB/lib/ours.sh"
if ours_start "$DAEMON" "$W"; then tap OK "our daemon answers the map on $LAB_MAP_SOCKET"; else
	bail "our daemon answers the map on $LAB_MAP_SOCKET"
fi

# --- 2. Postfix 3.10 from the Debian 13 root --------------------------------------------
PF310="$LAB/postfix310"
if "$PF310" start --no-milter >"$W/pf310-start.log" 2>&1; then
	tap OK "postfix310 start: $(tail -n 1 "$W/pf310-start.log")"
	grep '^deb13/chroot' "$W/pf310-start.log" | sed 's/^/# /'
else
	tail -n 30 "$W/pf310-start.log" | diag
	bail "postfix310 start (Debian 13 root, chroot in the lab)"
fi
v=$("$PF310" run postconf -h mail_version 2>&1)
case $v in 3.10.*) tap OK "postconf mail_version in the root: $v" ;;
*) tap FAIL "postconf mail_version in the root: '$v' (want 3.10.x)" ;; esac
if grep -q "daemon started -- version 3\.10\." "$LABDIR/log/pf310-maillog"; then
	tap OK "the master listening on 127.0.25.3 is Postfix $(sed -n 's/.*daemon started -- version \(3\.10\.[0-9]*\).*/\1/p' "$LABDIR/log/pf310-maillog" | tail -n 1)"
else tap FAIL "the master listening on 127.0.25.3 logged 'daemon started -- version 3.10.x'"; fi
m=$("$PF310" run postconf -h smtp_tls_policy_maps 2>&1)
if [ "$m" = "socketmap:inet:127.0.0.1:8461:postfix" ]; then tap OK "smtp_tls_policy_maps = $m"; else
	tap FAIL "smtp_tls_policy_maps = '$m' (want socketmap:inet:127.0.0.1:8461:postfix)"
fi
# issue [tlsrpt] needs Postfix's TLSRPT client (libtlsrpt)
t=$("$PF310" run postconf -d smtp_tlsrpt_enable smtp_tlsrpt_socket_name 2>&1 | tr '\n' ';')
l=$("$PF310" run /bin/sh -c 'ldd /usr/lib/postfix/sbin/smtp | grep -o -m1 "libtlsrpt[^ ]*" | head -n 1' 2>&1)
case "$t $l" in "smtp_tlsrpt_enable = no;"*libtlsrpt.so*)
	tap OK "Postfix 3.10 has the TLSRPT client: $t smtp links $l" ;;
*) tap FAIL "Postfix 3.10 has the TLSRPT client (postconf: '$t', ldd: '$l')" ;; esac

# --- 3. delivery through our map ------------------------------------------------------------
LOG=$LABDIR/log/pf310-maillog
declare -A qid
for d in example-enforce.test example-mxwrongname.test; do
	"$LAB/inlab" swaks --server 127.0.25.3:25 --from sender@lab.test --to "u@$d" \
		--header "Subject: lab-postfix310 $d" >"$W/swaks-$d.log" 2>&1
	qid[$d]=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$W/swaks-$d.log" | head -n 1)
	if [ -n "${qid[$d]}" ]; then tap OK "Postfix 3.10 accepted mail for u@$d (${qid[$d]})"; else
		tap FAIL "Postfix 3.10 accepted mail for u@$d"
		tail -n 10 "$W/swaks-$d.log" | diag
	fi
done
for d in "${!qid[@]}"; do
	wait_log "$LOG" "${qid[$d]:-none}: to=<u@$d>.*status=" || echo "# no status line for $d"
done
st() { grep -E "${qid[$1]:-none}: to=<u@$1>.*status=" "$LOG" | tail -n 1; }
case $(st example-enforce.test) in *status=sent*) tap OK "enforce domain delivered by Postfix 3.10" ;;
*) tap FAIL "enforce domain delivered by Postfix 3.10 ($(st example-enforce.test))" ;; esac
if grep -q "Verified TLS connection established to mx.example-enforce.test" "$LOG"; then
	tap OK "'Verified TLS connection established' to mx.example-enforce.test"
else tap FAIL "'Verified TLS connection established' to mx.example-enforce.test"; fi
if [ -n "${qid[example-enforce.test]}" ] &&
	grep -lq "Subject: lab-postfix310 example-enforce.test" "$LAB_MAILDIR"/new/* 2>/dev/null; then
	tap OK "the enforce message is in the MX farm's Maildir"
else tap FAIL "the enforce message is in the MX farm's Maildir"; fi
s=$(st example-mxwrongname.test)
case $s in *status=deferred*"Server certificate not verified"*)
	tap OK "wrong-name MX certificate: deferred by Postfix 3.10 with the TLS reason" ;;
*) tap FAIL "wrong-name MX certificate: deferred by Postfix 3.10 with the TLS reason ($s)" ;; esac
q=$("$PF310" run postqueue -p 2>&1)
case $q in *"${qid[example-mxwrongname.test]:-none}"*) tap OK "the wrong-name message is still queued" ;;
*) tap FAIL "the wrong-name message is still queued" ;; esac
for d in example-enforce.test example-mxwrongname.test; do
	if grep -q "map=postfix key=$d .*reply=\"OK secure match=mx.$d" "$W/daemon.log"; then
		tap OK "Postfix 3.10 asked our map for $d: secure"
	else tap FAIL "Postfix 3.10 asked our map for $d: secure"; fi
done

# --- stop ---------------------------------------------------------------------------------
"$PF310" stop >/dev/null 2>&1
if "$PF310" status >/dev/null 2>&1; then tap FAIL "postfix310 stop"; else tap OK "postfix310 stop"; fi

tap_done
