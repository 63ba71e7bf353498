#!/bin/sh
# tests/tlsrpt/conf-check.sh - `mta-sts-milter -n` judges the TLSRPT*
# settings beyond their syntax: an unusable collector socket or contact is
# an error, settings without effect and a missing sendmail program are
# warnings.  TAP, no root.
top_builddir=${top_builddir:-.}
D=$top_builddir/milter/mta-sts-milter
T=$(mktemp -d /tmp/conf-check.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi; }
run() { # run NAME LINES...: -n on a file of LINES; output in $T/NAME.out
	f=$T/$1.conf
	shift
	printf '%s\n' "$@" >"$f"
	"$D" -n -c "$f" >"$T/out" 2>&1
}
run good "TLSRPTJournal $T/j" "TLSRPTSocket unix:$T/s" "TLSRPTContact tlsrpt@example.org" "TLSRPTSendmail /bin/true -x"
ok $? "a usable TLSRPT configuration passes"
grep -q warning "$T/out"
ok $((1 - $?)) "... without warnings"
run sock "TLSRPTJournal $T/j" "TLSRPTSocket inet:9@127.0.0.1"
[ $? = 1 ] && grep -q "TLSRPTSocket inet:9@127.0.0.1: not unix:/absolute/path" "$T/out"
ok $? "TLSRPTSocket must be a unix socket path"
run contact "TLSRPTJournal $T/j" "TLSRPTContact <a@b.example>"
[ $? = 1 ] && grep -q "TLSRPTContact <a@b.example>: not a plain address" "$T/out"
ok $? "TLSRPTContact must be a plain address"
run noeffect "TLSRPTSocket unix:$T/s"
[ $? = 0 ] && grep -q "warning: TLSRPT settings without TLSRPTJournal have no effect" "$T/out"
ok $? "TLSRPT settings without a journal: a warning"
run nocontact "TLSRPTJournal $T/j"
[ $? = 0 ] && grep -q "warning: no TLSRPTContact" "$T/out"
ok $? "no contact: a warning (https: only)"
run nosendmail "TLSRPTJournal $T/j" "TLSRPTContact a@b.example" "TLSRPTSendmail /nonexistent/sendmail -C x"
[ $? = 0 ] && grep -q "warning: TLSRPTSendmail /nonexistent/sendmail: not executable" "$T/out"
ok $? "a sendmail program that is not there: a warning"
echo "1..$n"
[ $fail = 0 ]
