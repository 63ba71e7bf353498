#!/bin/sh
# tests/milter/docs.sh - the documentation follows the option table: every
# option of milter/conf.c is in mta-sts-milter.conf(5) and in the sample,
# and the sample is accepted by mta-sts-milter -n unchanged.  TAP.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
opts=$(sed -n 's/^[[:space:]]*{"\([A-Za-z-]*\)", O_.*/\1/p' "$top_srcdir/milter/conf.c")
[ -n "$opts" ]; ok $? "option table found in milter/conf.c ($(echo $opts | wc -w) options)"
for o in $opts; do
	grep -q "^\.BI \"$o " "$top_srcdir/etc/mta-sts-milter.conf.5"; ok $? "$o documented in mta-sts-milter.conf(5)"
	grep -qi "^#*$o[[:space:]]" "$top_srcdir/etc/mta-sts-milter.conf"; ok $? "$o in the sample configuration"
done
"$top_builddir/milter/mta-sts-milter" -n -c "$top_srcdir/etc/mta-sts-milter.conf" >/dev/null 2>&1
ok $? "the sample works unchanged (mta-sts-milter -n)"
# Uncommenting every line of the sample still gives a valid file.
T=$(mktemp /tmp/docs-conf.XXXXXX)
sed 's/^#\([A-Z][A-Za-z-]*[[:space:]]\)/\1/' "$top_srcdir/etc/mta-sts-milter.conf" |
	grep -v '^\(UserID\|PidFile\|OverrideFile\|UnboundConfig\|SharedCachePasswordFile\)' >"$T"
"$top_builddir/milter/mta-sts-milter" -n -c "$T" >"$T.out" 2>&1
ok $? "every example value in the sample is valid: $(head -c 200 "$T.out")"
rm -f "$T" "$T.out"
echo "1..$n"
[ $fails = 0 ]
