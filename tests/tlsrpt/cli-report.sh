#!/bin/sh
# tests/tlsrpt/cli-report.sh - `mta-sts-check report` against a journal
# written here: the report JSON for a domain and day, the TLSRPT* settings
# taken from the configuration file, the default day, exit codes.  TAP, no
# root.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
C=$top_builddir/cli/mta-sts-check
T=$(mktemp -d /tmp/cli-report.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi; }
YDAY=$(date -u -d yesterday +%F)
cat >"$T/j" <<EOJ
{"day":"2026-12-01","d":"a.example","pt":"sts","pd":"a.example","ps":["version: STSv1","mode: enforce","mx: mx.a.example","max_age: 86400"],"mx":["mx.a.example"],"s":5,"f":2,"fd":[{"rt":"certificate-expired","n":"mx.a.example","c":2}]}
{"day":"2026-12-01","d":"a.example","pt":"sts","pd":"a.example","ps":["version: STSv1","mode: enforce","mx: mx.a.example","max_age: 86400"],"mx":["mx.a.example"],"s":1,"f":0}
{"day":"$YDAY","d":"b.example","pt":"no-policy-found","s":7,"f":0}
EOJ
cat >"$T/conf" <<EOC
# a configuration as the daemon reads it
TLSRPTJournal       $T/j
TLSRPTOrganization  Example Ltd
TLSRPTContact       tlsrpt@sender.example
EOC
out=$("$C" report A.Example. --day 2026-12-01 --config "$T/conf")
ok $? "report for a.example on 2026-12-01"
echo "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
p = r["policies"][0]
assert r["organization-name"] == "Example Ltd"
assert r["contact-info"] == "tlsrpt@sender.example"
assert r["report-id"] == "20261201.a.example@sender.example"
assert r["date-range"] == {"start-datetime": "2026-12-01T00:00:00Z", "end-datetime": "2026-12-01T23:59:59Z"}
assert len(r["policies"]) == 1
assert p["summary"] == {"total-successful-session-count": 6, "total-failure-session-count": 2}
assert p["failure-details"][0]["result-type"] == "certificate-expired"
assert p["failure-details"][0]["failed-session-count"] == 2
assert p["policy"]["mx-host"] == ["mx.a.example"]
'
ok $? "JSON: meta from the configuration, journal lines added up"
out=$("$C" report b.example --config "$T/conf")
ok $? "default day is yesterday ($YDAY)"
echo "$out" | grep -q '"no-policy-found"'
ok $? "no-policy-found report"
"$C" report c.example --day 2026-12-01 --config "$T/conf" >/dev/null 2>&1
[ $? = 1 ]
ok $? "nothing recorded: exit 1"
"$C" report a.example --day 2026-13-01 --journal "$T/j" >/dev/null 2>&1
[ $? = 64 ]
ok $? "bad --day: exit 64"
"$C" report a.example --journal "$T/missing" >/dev/null 2>&1
[ $? = 66 ]
ok $? "missing journal: exit 66"
cmp -s "$T/j" "$T/j" && [ "$(wc -l <"$T/j")" = 3 ]
ok $? "the journal is read only (unchanged)"
echo "1..$n"
[ $fail = 0 ]
