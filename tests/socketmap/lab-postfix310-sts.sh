#!/bin/bash
# tests/socketmap/lab-postfix310-sts.sh - Debian 13's Postfix 3.10 (tests/lab/postfix310) with
# the map name "postfix-sts" of etc/examples/postfix-310-main.cf (issue 14 item 4).  TAP.
# Root only ("1..0 # SKIP" otherwise); as root, a lab or Debian 13 root that cannot be
# brought up is a failure.
#
#  - the attribute form (policy_type=sts, policy_domain=, mx_host_pattern=, policy_string=)
#    is accepted by Postfix 3.10 without a warning: the enforce and wildcard domains are
#    delivered ("Verified"), the wrong-name MX is deferred;
#  - the exact RFC 8461 section 4.1 wildcard rule takes effect: a pinned policy
#    "mx=*.test" (override file) does NOT cover mx.example-nosts.test (two labels), and
#    Postfix 3.10 defers with "does not match STS MX pattern"; through the classic map
#    name "postfix" (suffix form ".test", any depth) the same pin lets mail to
#    mx.example-badid.test through.  Before the map name existed, postfix-sts got the
#    classic form and both were sent.
#
# Instance: MTALAB_NAME=${PF310STS_LAB_NAME:-deploy-pf310}; brought up and down here.
set -u
export MTALAB_NAME=${PF310STS_LAB_NAME:-deploy-pf310}
# shellcheck source=../lab/lib/tap.sh
. "$(dirname "$0")/../lab/lib/tap.sh"
lab_need_root "not root (the lab needs network namespaces, the chroot mounts)"
[ -x "$DAEMON" ] || skip_all "no $DAEMON (build the daemon first)"
lab_cleanup_hook() { [ "$LAB_STARTED" = 1 ] && "$LAB/postfix310" stop >/dev/null 2>&1; }
lab_up --no-milter
W=$LABDIR/ours-pf310sts
mkdir -p "$W"
# pinned policies for two domains that publish none (RFC 8461 4.1: "*.test" matches one label)
printf 'example-nosts.test policy mode=enforce mx=*.test\nexample-badid.test policy mode=enforce mx=*.test\n' \
	>"$W/overrides"
# shellcheck source=../lab/lib/ours.sh
. "$LAB/lib/ours.sh"
ours_start "$DAEMON" "$W" "OverrideFile $W/overrides" || bail "our daemon answers the map"
PF310=$LAB/postfix310
if "$PF310" start --no-milter >"$W/pf310-start.log" 2>&1; then
	tap OK "postfix310 start: $(tail -n 1 "$W/pf310-start.log")"
else
	tail -n 30 "$W/pf310-start.log" | diag
	bail "postfix310 start (Debian 13 root, chroot in the lab)"
fi
LOG=$LABDIR/log/pf310-maillog
send() { # send DOMAIN -> queue id
	"$LAB/inlab" swaks --server 127.0.25.3:25 --from sender@lab.test --to "u@$1" \
		--header "Subject: pf310-sts $1" >"$W/swaks-$1.log" 2>&1
	sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$W/swaks-$1.log" | head -n 1
}
st() { # st QID DOMAIN: the status line (waits up to 15 s)
	if wait_log "$LOG" "$1: to=<u@$2>.*status="; then
		grep -E "$1: to=<u@$2>.*status=" "$LOG" | tail -n 1
	else echo "(no status line for ${1:-no queue id} to u@$2)"; fi
}
setmap() { # setmap MAPSPEC: smtp_tls_policy_maps, reload
	"$PF310" run postconf -e "smtp_tls_policy_maps=$1" >/dev/null 2>&1
	"$PF310" run postfix reload >/dev/null 2>&1
	sleep 1.5
}

# --- the classic name: the pin's "*.test" becomes ".test", any depth ---------------------
setmap socketmap:inet:127.0.0.1:8461:postfix
q=$(send example-badid.test)
case $(st "$q" example-badid.test) in *status=sent*)
	tap OK "map name postfix: suffix form .test lets mx.example-badid.test (two labels) through" ;;
*) tap FAIL "map name postfix: suffix form .test lets mx.example-badid.test through ($(st "$q" example-badid.test))" ;; esac

# --- the example's line: socketmap:...:postfix-sts ---------------------------------------
spec=$(sed -n 's/^smtp_tls_policy_maps = //p' "$top_srcdir/etc/examples/postfix-310-main.cf")
setmap "$spec"
m=$("$PF310" run postconf -h smtp_tls_policy_maps 2>&1)
if [ "$m" = socketmap:inet:127.0.0.1:8461:postfix-sts ]; then tap OK "smtp_tls_policy_maps = $m"; else
	tap FAIL "smtp_tls_policy_maps = '$m'"
fi
e=$("$PF310" run postconf -h smtp_tls_enforce_sts_mx_patterns 2>&1)
if [ "$e" = yes ]; then tap OK "smtp_tls_enforce_sts_mx_patterns = yes (default)"; else
	tap FAIL "smtp_tls_enforce_sts_mx_patterns = '$e'"
fi
declare -A q
for d in example-enforce.test example-wildcard.test example-mxwrongname.test example-nosts.test; do
	q[$d]=$(send "$d")
done
case $(st "${q[example-enforce.test]}" example-enforce.test) in *status=sent*)
	tap OK "enforce domain: sent" ;;
*) tap FAIL "enforce domain: sent ($(st "${q[example-enforce.test]}" example-enforce.test))" ;; esac
if grep -q "Verified TLS connection established to mx.example-enforce.test" "$LOG"; then
	tap OK "enforce domain: 'Verified TLS connection established'"
else tap FAIL "enforce domain: 'Verified TLS connection established'"; fi
case $(st "${q[example-wildcard.test]}" example-wildcard.test) in *status=sent*)
	tap OK "mx: *.example-wildcard.test matches mx.example-wildcard.test: sent" ;;
*) tap FAIL "wildcard domain: sent ($(st "${q[example-wildcard.test]}" example-wildcard.test))" ;; esac
case $(st "${q[example-mxwrongname.test]}" example-mxwrongname.test) in *status=deferred*)
	tap OK "wrong-name MX certificate: deferred" ;;
*) tap FAIL "wrong-name MX certificate: deferred ($(st "${q[example-mxwrongname.test]}" example-mxwrongname.test))" ;; esac
s=$(st "${q[example-nosts.test]}" example-nosts.test)
case $s in *status=deferred*)
	tap OK "pin *.test, MX two labels deep: deferred by the exact rule" ;;
*) tap FAIL "pin *.test, MX two labels deep: deferred by the exact rule ($s)" ;; esac
if grep -q "MX name 'mx.example-nosts.test' does not match STS MX pattern" "$LOG"; then
	tap OK "Postfix 3.10: \"MX name 'mx.example-nosts.test' does not match STS MX pattern\""
else tap FAIL "Postfix 3.10 logs that the MX does not match the STS MX pattern"; fi
if grep -q 'map=postfix-sts key=example-wildcard.test .*reply="OK secure match=.example-wildcard.test servername=hostname policy_type=sts' "$W/daemon.log"; then
	tap OK "our map answered postfix-sts with the attribute form"
else tap FAIL "our map answered postfix-sts with the attribute form"; fi
w=$(grep -E "warning: .*(attribute|policy|malformed)" "$LOG" | head -n 3)
if [ -z "$w" ]; then tap OK "Postfix 3.10 logged no warning about the policy attributes"; else
	tap FAIL "Postfix 3.10 logged no warning about the policy attributes"
	printf '%s\n' "$w" | sed 's/^/# /'
fi

tap_done
