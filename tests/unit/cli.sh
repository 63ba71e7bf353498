#!/bin/sh
# tests/unit/cli.sh - runs the built mta-sts-check for every offline verb
# and exit code (issue 2), on the sample policies in tests/data/.  TAP.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
CHECK="$top_builddir/cli/mta-sts-check"
DATA="$top_srcdir/tests/data"
TMP=$(mktemp -d) || exit 99
trap 'rm -rf "$TMP"' EXIT
n=0
fail=0

# t NAME WANT-RC WANT-STDOUT|- WANT-STDERR-REGEX|- -- CMD...
t() {
	name=$1 want=$2 out=$3 err=$4
	shift 5
	n=$((n + 1))
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	why=""
	[ "$rc" -eq "$want" ] || why="exit $rc, want $want"
	if [ -z "$why" ] && [ "$out" != - ] && [ "$(cat "$TMP/out")" != "$out" ]; then
		why="stdout '$(cat "$TMP/out")', want '$out'"
	fi
	if [ -z "$why" ] && [ "$err" != - ] && ! grep -Eq "$err" "$TMP/err"; then
		why="stderr '$(cat "$TMP/err")' does not match '$err'"
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "# $why"
		fail=$((fail + 1))
	fi
}

J='{"version":"STSv1","mode":"enforce","max_age":86400,"mx":["mail.example.com","*.example.net"]}'
NORM='version: STSv1
mode: enforce
max_age: 86400
mx: mail.example.com
mx: *.example.net'

t "policy: valid LF file" 0 "$NORM" - -- "$CHECK" policy "$DATA/policy-enforce.txt"
t "policy: valid CRLF file" 0 "$NORM" - -- "$CHECK" policy "$DATA/policy-enforce-crlf.txt"
t "policy --json" 0 "$J" - -- "$CHECK" policy --json "$DATA/policy-enforce.txt"
t "policy --json CRLF" 0 "$J" - -- "$CHECK" policy --json "$DATA/policy-enforce-crlf.txt"
t "policy --json mode none, empty mx" 0 '{"version":"STSv1","mode":"none","max_age":86400,"mx":[]}' - -- \
	"$CHECK" policy --json "$DATA/policy-none.txt"
t "policy testing" 0 - - -- "$CHECK" policy "$DATA/policy-testing.txt"
t "policy from stdin (-)" 0 "$J" - -- sh -c "\"\$0\" policy --json - <\"\$1\"" "$CHECK" "$DATA/policy-enforce.txt"
t "policy: mode ENFORCE -> 65, FILE:LINE" 65 "" "policy-bad-mode-case.txt:2: mode" -- \
	"$CHECK" policy "$DATA/policy-bad-mode-case.txt"
t "policy: max_age 31557601 -> 65, line 4" 65 "" "policy-bad-max-age.txt:4: max_age" -- \
	"$CHECK" policy "$DATA/policy-bad-max-age.txt"
t "policy: *.*.x mx (CRLF) -> 65, line 3" 65 "" "policy-bad-mx-crlf.txt:3: " -- \
	"$CHECK" policy "$DATA/policy-bad-mx-crlf.txt"
t "policy: comment -> 65, line 4" 65 "" "policy-bad-comment.txt:4: " -- \
	"$CHECK" policy "$DATA/policy-bad-comment.txt"
t "policy: BOM -> 65, line 1" 65 "" "policy-bad-bom.txt:1: .*BOM" -- \
	"$CHECK" policy "$DATA/policy-bad-bom.txt"
# issue 13 item 7: valid 3.2 syntax that never matches a host name is ignored with a warning
t "policy: IP / numeric-TLD mx ignored with a warning, exit 0" 0 "version: STSv1
mode: enforce
max_age: 86400
mx: mail.example.com" 'policy-ignored-mx.txt: warning: mx "10.0.0.1" ignored: an IPv4 address' -- \
	"$CHECK" policy "$DATA/policy-ignored-mx.txt"
t "policy --json lists ignored mx" 0 '{"version":"STSv1","mode":"enforce","max_age":86400,"mx":["mail.example.com"],"mx_ignored":["10.0.0.1","mail.123"]}' \
	'warning: mx "mail.123" ignored: an all-numeric' -- "$CHECK" policy --json "$DATA/policy-ignored-mx.txt"
t "policy: enforce with only an IP mx -> 65, no usable mx" 65 "" "policy-only-ip-mx.txt: no usable mx pattern" -- \
	"$CHECK" policy "$DATA/policy-only-ip-mx.txt"
t "policy: no mx -> 65, file-level error" 65 "" "policy-bad-no-mx.txt: no mx" -- \
	"$CHECK" policy "$DATA/policy-bad-no-mx.txt"
t "policy --json invalid -> 65" 65 "" - -- "$CHECK" policy --json "$DATA/policy-bad-max-age.txt"
t "policy: missing file -> 66" 66 "" "nonexistent" -- "$CHECK" policy "$TMP/nonexistent"
t "policy: no FILE -> 64" 64 "" "usage" -- "$CHECK" policy
t "policy: two FILEs -> 64" 64 "" "usage" -- "$CHECK" policy a b
t "policy: unknown option -> 64" 64 "" "usage" -- "$CHECK" policy --yaml "$DATA/policy-enforce.txt"

t "record: RFC example" 0 "20160831085700Z" - -- "$CHECK" record "v=STSv1; id=20160831085700Z;"
t "record --json" 0 '{"id":"abc123"}' - -- "$CHECK" record --json "v=spf1 -all" "v=STSv1; id=abc123"
t "record: none begins with v=STSv1 -> 65" 65 "" "notfound" -- "$CHECK" record "v=spf1 -all"
t "record: two records -> 65" 65 "" "exactly one" -- "$CHECK" record "v=STSv1; id=1" "v=STSv1; id=2"
t "record: bad id -> 65" 65 "" "id" -- "$CHECK" record "v=STSv1; id=2016-08-31"
t "record: no TXT -> 64" 64 "" "usage" -- "$CHECK" record

t "match: exact" 0 - - -- "$CHECK" match mail.example.com MAIL.EXAMPLE.COM.
t "match: wildcard one label" 0 - - -- "$CHECK" match "*.example.net" mx1.example.net
t "match: wildcard two labels -> 1" 1 - - -- "$CHECK" match "*.example.net" a.mx1.example.net
t "match: wildcard parent -> 1" 1 - - -- "$CHECK" match "*.example.net" example.net
t "match: U-label host vs A-label pattern" 0 - - -- "$CHECK" match "*.xn--bcher-kva.example" "mx.bücher.example"
t "match: invalid pattern -> 65" 65 "" "left-most" -- "$CHECK" match "foo*.example.net" foo.example.net
t "match: missing HOST -> 64" 64 "" "usage" -- "$CHECK" match "*.example.net"

t "tlsrpt --json" 0 '{"rua":["mailto:tlsrpt@example.com","https://r.example.com/v1"]}' - -- \
	"$CHECK" tlsrpt --json "v=TLSRPTv1; rua=mailto:tlsrpt@example.com, https://r.example.com/v1"
t "tlsrpt text" 0 "mailto:tlsrpt@example.com" - -- "$CHECK" tlsrpt "v=TLSRPTv1;rua=mailto:tlsrpt@example.com"
t "tlsrpt: no record -> 65" 65 "" "TLSRPTv1" -- "$CHECK" tlsrpt "v=STSv1; id=1"
t "tlsrpt: rua missing -> 65" 65 "" "rua" -- "$CHECK" tlsrpt "v=TLSRPTv1;"
t "tlsrpt: two records -> 65" 65 "" - -- "$CHECK" tlsrpt "v=TLSRPTv1;rua=mailto:a@x.example" "v=TLSRPTv1;rua=mailto:b@x.example"

t "--help -> 0" 0 - - -- "$CHECK" --help
n=$((n + 1))
if "$CHECK" --help | grep -q "policy \[--json\]" && "$CHECK" --help | grep -q tlsrpt; then
	echo "ok $n - --help lists the verbs"
else
	echo "not ok $n - --help lists the verbs"; fail=$((fail + 1))
fi
t "--version -> 0" 0 - - -- "$CHECK" --version
n=$((n + 1))
if "$CHECK" --version | grep -Eq '^mta-sts-check .*[0-9]+\.[0-9]+'; then
	echo "ok $n - --version prints a version"
else
	echo "not ok $n - --version prints a version"; fail=$((fail + 1))
fi
t "no arguments -> 64" 64 "" "usage" -- "$CHECK"
# Anything that is not a verb goes to the live check (check_live_main):
# whatever it answers, it is not our usage error or a crash.
n=$((n + 1))
"$CHECK" example.invalid --no-such-option >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && ! grep -q "^usage:" "$TMP/err"; then
	echo "ok $n - a DOMAIN argument is handed to the live check (exit $rc)"
else
	echo "not ok $n - a DOMAIN argument is handed to the live check (exit $rc)"
	fail=$((fail + 1))
fi

# Issue 14 item 7: the live check reads the daemon's configuration (-c FILE;
# default /etc/mta-sts-milter.conf), flags override it.  Every case below
# fails before any DNS query, so no network is needed.
t "-c without a value -> 64" 64 - "c needs a value" -- "$CHECK" example.test -c
t "-c missing file -> 78" 78 - "nonexistent.conf:0: cannot open" -- \
	"$CHECK" example.test -c "$TMP/nonexistent.conf"
printf 'Bogus yes\n' >"$TMP/bad.conf"
t "-c file with an unknown option -> 78, FILE:LINE" 78 - "bad.conf:1: unknown option" -- \
	"$CHECK" example.test -c "$TMP/bad.conf"
printf 'UnboundConfig %s/conf-unbound.conf\n' "$TMP" >"$TMP/ub.conf"
t "UnboundConfig from the file is used" 78 - "unbound config $TMP/conf-unbound.conf" -- \
	"$CHECK" example.test -c "$TMP/ub.conf"
t "--resolver-conf overrides UnboundConfig" 78 - "unbound config $TMP/flag-unbound.conf" -- \
	"$CHECK" example.test -c "$TMP/ub.conf" --resolver-conf "$TMP/flag-unbound.conf"
printf 'UnboundConfig none\nCAFile %s/conf-ca.pem\n' "$TMP" >"$TMP/ca.conf"
t "CAFile from the file is used" 78 - "CA file $TMP/conf-ca.pem" -- \
	"$CHECK" example.test -c "$TMP/ca.conf"
t "--ca-file overrides CAFile" 78 - "CA file $TMP/flag-ca.pem" -- \
	"$CHECK" example.test --ca-file "$TMP/flag-ca.pem" -c "$TMP/ca.conf"
printf 'UnboundConfig none\nTrustAnchorFile %s/conf-ta.key\nCAFile %s/conf-ca.pem\n' "$TMP" "$TMP" \
	>"$TMP/ta.conf"
t "TrustAnchorFile from the file is used" 78 - "trust anchor $TMP/conf-ta.key" -- \
	"$CHECK" example.test -c "$TMP/ta.conf"
t "--trust-anchor overrides TrustAnchorFile" 78 - "CA file $TMP/conf-ca.pem" -- \
	"$CHECK" example.test -c "$TMP/ta.conf" --trust-anchor none

echo "1..$n"
[ "$fail" -eq 0 ]
