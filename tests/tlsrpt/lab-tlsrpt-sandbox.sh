#!/bin/bash
# tests/tlsrpt/lab-tlsrpt-sandbox.sh - mailed TLS reports (RFC 8460 5.3)
# under the Debian unit's restrictions (issue 19 item 3), reproduced
# without systemd as PID 1: the daemon runs as an unprivileged user
# (setpriv --reuid/--regid: User=/Group=), with no capabilities
# (CapabilityBoundingSet=), no_new_privs (NoNewPrivileges=yes), in its own
# user namespace mapping only itself (PrivateUsers=yes: unshare --user),
# and with the whole file system read-only but its state directory
# (ProtectSystem=strict: a read-only bind remount of / in a private mount
# namespace).  The stock /usr/sbin/sendmail submits to the lab's
# out-Postfix (its configuration bind-mounted over /etc/postfix).
#   A. the restrictions of debian/mta-sts-milter.service as they were
#      before this test (no postdrop group, maildrop read-only): the
#      mailed report fails, and the daemon's log line says why (postdrop's
#      error and the no_new_privs hint);
#   B. what the unit does now (debian/mta-sts-milter.service:
#      ReadWritePaths=-/var/spool/postfix/maildrop; the postinst adds the
#      user to the postdrop group, as SupplementaryGroups= would): the
#      same report is retried after the restart and arrives, parsed back;
#   C. postdrop makes none of the system calls the unit's filter denies
#      (~@privileged: setuid, setgroups, chown, ...), checked with strace.
# TAP.  Needs root; a lab that cannot come up is a failure.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
export MTALAB_NAME=${MTALAB_NAME:-tlsrpt-sbx-$$}
# first: a package build (not root, no strace or postfix) skips
lab_need_root "needs root (network namespace)"
command -v setpriv >/dev/null || bail "setpriv not installed (util-linux)"
command -v strace >/dev/null || bail "strace not installed"
getent group postdrop >/dev/null && [ -d /var/spool/postfix/maildrop ] ||
	bail "no postdrop group or /var/spool/postfix/maildrop (postfix not installed)"
tlsrpt_lab_up
W=$LABDIR/tlsrpt-test
mkdir -p "$W"
tlsrpt_prepare
Q=$LABDIR/out/queue
U=nobody
G=$(id -gn nobody)

# The packaged defaults: TLSRPTSendmail unset (/usr/sbin/sendmail).
write_conf "EximSocket          inet:8463@127.0.0.1"
sed -i '/^TLSRPTSendmail/d' "$W/milter.conf"
# ... except that a hung sendmail is killed after 5 s, not the default 60 s
# (the test's run time; the kill itself is what is checked)
echo "TLSRPTSendmailTimeout 5s" >>"$W/milter.conf"
chown -R "$U:$G" "$W"

# $1: shipped (no extra group, maildrop read-only) | unit (postdrop group,
# maildrop writable)
start_sandboxed() {
	local groups=--clear-groups rw=
	if [ "$1" = unit ]; then
		groups=--groups=postdrop
		rw="mount --bind $Q/maildrop $Q/maildrop &&
		mount --bind /var/spool/postfix/maildrop /var/spool/postfix/maildrop &&"
	fi
	start_daemon sh -c "
		mount --bind '$LAB_OUT_CONF' /etc/postfix &&
		mount --bind '$W' '$W' && $rw
		mount -o remount,bind,ro / &&
		exec setpriv --reuid=$U --regid=$G $groups --no-new-privs \
			--inh-caps=-all --bounding-set=-all -- \
			unshare --user --map-current-user -- \
			'$DAEMON' -f -c '$W/milter.conf'"
}
pass_done() { # wait for $1 report log lines for example-enforce.test
	# (a sendmail that hangs is killed after 5 s: TLSRPTSendmailTimeout)
	for i in $(seq 1 400); do
		[ "$(grep -c 'tlsrpt: report .* for example-enforce.test to mailto:' "$W/milter.log")" -ge "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

# --- A. the restrictions as shipped before ---------------------------------
start_sandboxed shipped
ok $? "daemon started as $U, no_new_privs, no capabilities, own user namespace, / read-only"
grep -q "NoNewPrivs:[[:space:]]*1" "/proc/$MPID/status" 2>/dev/null
ok $? "it runs with no_new_privs"
grep -q "tlsrpt: no_new_privs is set and /var/spool/postfix/maildrop is not writable (Permission denied)" "$W/milter.log"
ok $? "it warns at start that mailed reports cannot be queued"
"$LAB/inlab" python3 "$top_srcdir/tests/exim/readsocket.py" 127.0.0.1 8463 \
	"tlsrpt sts example-enforce.test mx.example-enforce.test success\n" >"$W/rs.txt" 2>&1
grep -q "action=ok" "$W/rs.txt"
ok $? "one session counted ($(cat "$W/rs.txt"))"
sleep 2
kill -USR2 "$MPID"
pass_done 1
grep 'tlsrpt: report .* for example-enforce.test to mailto:' "$W/milter.log" | sed 's/^/# /'
grep -q "to mailto:tlsrpt@example-enforce.test: /usr/sbin/sendmail [a-z0-9 ]*: \".*postdrop.*\" (no_new_privs is set: a setuid/setgid sendmail or postdrop cannot gain its privileges; see doc/tlsrpt.md" "$W/milter.log"
ok $? "without the postdrop group the mailed report fails, and the log says why (postdrop's error, no_new_privs)"
for i in $(seq 1 20); do
	pgrep -u "$U" -x postdrop >/dev/null || break
	sleep 0.1
done
pgrep -u "$U" -x postdrop >/dev/null
ok $((1 - $?)) "the hung sendmail was killed with its postdrop (none left behind)"
stop_daemon
grep -q " example-enforce.test$" "$W/tlsrpt.journal.retry"
ok $? "the report waits for its retry"

# --- B. the unit as packaged now --------------------------------------------
start_sandboxed unit
ok $? "daemon restarted as $U with the postdrop group, maildrop writable, still no_new_privs"
[ "$(grep -c "maildrop is not writable" "$W/milter.log")" = 1 ]
ok $? "no start warning this time"
kill -USR2 "$MPID"
pass_done 2
grep 'tlsrpt: report .* for example-enforce.test to mailto:' "$W/milter.log" | tail -1 | sed 's/^/# /'
grep -q "to mailto:tlsrpt@example-enforce.test: handed to sendmail" "$W/milter.log"
ok $? "the report is handed to /usr/sbin/sendmail"
for i in $(seq 1 100); do
	grep -l '^TLS-Report-Domain: example-enforce.test' "$LAB_MAILDIR"/new/* >/dev/null 2>&1 && break
	sleep 0.2
done
python3 "$top_srcdir/tests/tlsrpt/parse-reports.py" "$LAB_MAILDIR/new" "$W/posts" "$TODAY" >"$W/parsed.txt" 2>&1
sed 's/^/# /' "$W/parsed.txt"
grep -q "^MAIL example-enforce.test headers=ok to=tlsrpt@example-enforce.test" "$W/parsed.txt" &&
	grep -q "^MAILREP example-enforce.test sts ok=1 fail=0" "$W/parsed.txt"
ok $? "it arrived at the lab mailbox: RFC 8460 5.3 form, 1 successful session"
grep -q "postfix/pickup.*uid=$(id -u $U) from=<$SENDER>" "$LAB_OUT_LOG"
ok $? "out-Postfix picked it up from the maildrop (uid $(id -u $U))"
stop_daemon

# --- C. postdrop under the unit's system call filter -------------------------
printf 'Subject: t\n\nt\n' >"$W/msg"
chown "$U:$G" "$W/msg"
"$LAB/inlab" sh -c "
	mount --bind '$LAB_OUT_CONF' /etc/postfix &&
	exec setpriv --reuid=$U --regid=$G --groups=postdrop --no-new-privs \
		--inh-caps=-all --bounding-set=-all -- \
		strace -f -qq -o '$W/strace.txt' /usr/sbin/sendmail -oi -f '$SENDER' -- t@example-enforce.test" \
	<"$W/msg" >"$W/strace-run.txt" 2>&1
ok $? "sendmail under strace as $U (postdrop group, no_new_privs)"
denied=$(grep -oE '^[0-9]+ +(setuid|setuid32|setgroups|setgroups32|setresuid|setreuid|setfsuid|chown|fchown|fchownat|lchown|chroot|capset|acct|vhangup|pivot_root)\(' "$W/strace.txt" | sort -u | tr '\n' ' ')
[ -z "$denied" ] && grep -q 'execve("/usr/sbin/postdrop"' "$W/strace.txt"
ok $? "postdrop ran and made no call of ~@privileged (SystemCallFilter)${denied:+: $denied}"

sanitizer_clean
ok $? "no sanitizer report in the daemon's log"
tap_done
