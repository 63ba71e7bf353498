#!/bin/bash
# tests/milter/lab-ops.sh - operating the daemon (issue 17) end to end in the
# loopback lab: the Prometheus endpoint (MetricsSocket) passes promtool and its
# counters move as lab scenarios run through the milter (out-Postfix) and the
# policy map; every control-socket command (ControlSocket, via mta-sts-check)
# against the running daemon, and bad control clients (malformed, huge, slow,
# too many) get an error without holding up map lookups.  TAP.
#
# Instance: MTALAB_NAME=ops (or $OPS_LAB_NAME); brought up and purged here (an
# instance already up is used and left up).  Not root: skipped (a package
# build); as root, a lab that cannot come up is a failure.
set -u
export MTALAB_NAME=${OPS_LAB_NAME:-ops}
# shellcheck source=../lab/lib/tap.sh
. "$(dirname "$0")/../lab/lib/tap.sh"
CHECK=$top_builddir/cli/mta-sts-check
PY=/usr/bin/python3
# Not root (a package build, distcheck): skip whole, as the other lab
# tests do; as root a lab that does not come up is a failure (bail).
lab_need_root "needs root (the lab uses network namespaces)"
for c in promtool curl swaks "$DAEMON" "$CHECK"; do
	command -v "$c" >/dev/null 2>&1 || bail "$c missing (tests/install-deps)"
done

LAB_IF_UP=reuse # an instance already up is used and left up
lab_up
W=$LABDIR/ops-test
rm -rf "$W"
mkdir -p "$W"
CTL=$W/control
# shellcheck source=../lab/lib/ours.sh
. "$LAB/lib/ours.sh"
ours_start "$DAEMON" "$W" "MetricsSocket inet:9461@127.0.0.1" "EximSocket inet:8463@127.0.0.1" \
	"ControlSocket unix:$CTL" \
	"TrustAnchorFile none" "StateFile $W/state" "DNSTimeout 2s" "FetchTimeout 3s" \
	"ProbeTimeout 3s" "LookupDeadline 6s" && wait_log "$W/daemon.log" "started: milter" 50
ok $? "daemon started with MetricsSocket and ControlSocket"

scrape() { "$LAB/inlab" curl -s -f --max-time 5 http://127.0.0.1:9461/metrics; }
# metric NAME{LABELS} from file $1 (0 when absent)
metric() { awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
smq() { "$LAB/inlab" "$PY" "$top_srcdir/tests/socketmap/smq-many.py" postfix 127.0.0.1:8461 "$@"; }

# --- metrics before any mail ---------------------------------------------------
scrape >"$W/m0.txt"; ok $? "GET /metrics answers 200"
promtool check metrics <"$W/m0.txt" >"$W/promtool0.txt" 2>&1
ok $? "promtool check metrics accepts the output: $(head -c 200 "$W/promtool0.txt")"
grep -q '^mtasts_build_info{version="[0-9]' "$W/m0.txt"; ok $? "build info"
code=$("$LAB/inlab" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9461/other)
[ "$code" = 404 ]; ok $? "another path: 404 ($code)"
code=$("$LAB/inlab" curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:9461/metrics)
[ "$code" = 405 ]; ok $? "POST: 405 ($code)"
if grep -Eq 'example|\.test' "$W/m0.txt"; then ok 1 "no domain in any label"; else ok 0 "no domain in any label"; fi

# --- lab scenarios through the milter (out-Postfix) and the map ----------------
TAG=ops$$
"$LAB/inlab" swaks --server "$LAB_OUT_ADDR:25" --from sender@lab.test \
	--to "$TAG@example-enforce.test,$TAG@example-testing-bad.test,$TAG@example-nosts.test,$TAG@example-mxselfsigned.test" \
	--header "Subject: lab-ops" --timeout 60 >"$W/swaks.txt" 2>&1
grep -q "queued as" "$W/swaks.txt"; ok $? "a message with four scenario recipients queued"
smq example-enforce.test example-nosts.test example-enforce.test >"$W/map.txt"
grep -c "OK secure" "$W/map.txt" | grep -q '^2$'; ok $? "map answers: $(tr '\t\n' ' |' <"$W/map.txt")"
# the Exim line protocol (EximSocket), asked as Exim's ${readsocket} does
"$LAB/inlab" "$PY" "$top_srcdir/tests/exim/readsocket.py" 127.0.0.1 8463 'sts example-enforce.test\n' \
	'sts example-nosts.test' 'rcpt example-enforce.test <sender@lab.test>\n' 'bogus' \
	'tlsrpt sts example-enforce.test mx.example-enforce.test success\n' >"$W/line.txt" 2>&1
grep -q "^action=secure " "$W/line.txt" && grep -q "^action=none" "$W/line.txt" &&
	grep -q "^action=accept " "$W/line.txt" && grep -q "^action=error " "$W/line.txt" &&
	grep -q "^action=ignored" "$W/line.txt"
ok $? "line protocol answers: $(cut -c1-40 "$W/line.txt" | tr '\n' '|')"
scrape >"$W/m1.txt"
promtool check metrics <"$W/m1.txt" >"$W/promtool1.txt" 2>&1
ok $? "promtool accepts the output after traffic: $(head -c 200 "$W/promtool1.txt")"
chk() { # chk FILE KEY MIN DESCRIPTION
	v=$(metric "$1" "$2")
	ge "$v" "$3"; ok $? "$4: $2 = $v (>= $3)"
}
chk "$W/m1.txt" 'mtasts_milter_verdicts_total{verdict="pass",reason="satisfied"}' 1 "enforce, MX fine"
chk "$W/m1.txt" 'mtasts_milter_verdicts_total{verdict="pass",reason="no-policy"}' 1 "no policy"
chk "$W/m1.txt" 'mtasts_milter_verdicts_total{verdict="tag",reason="tls-failed"}' 1 "testing, MX bad: tagged"
chk "$W/m1.txt" 'mtasts_milter_verdicts_total{verdict="defer",reason="tls-failed"}' 1 "enforce, MX self-signed: deferred"
chk "$W/m1.txt" 'mtasts_milter_failures_total{result_type="certificate-host-mismatch"}' 1 "RFC 8460 type counted"
chk "$W/m1.txt" 'mtasts_milter_failures_total{result_type="certificate-not-trusted"}' 1 "RFC 8460 type counted"
chk "$W/m1.txt" 'mtasts_lookups_total{door="milter",answer="defer"}' 1 "milter door by answer"
chk "$W/m1.txt" 'mtasts_milter_sessions_total' 1 "libmilter sessions"
chk "$W/m1.txt" 'mtasts_lookups_total{door="map",answer="ok_secure"}' 2 "map door, OK secure"
chk "$W/m1.txt" 'mtasts_lookups_total{door="map",answer="notfound"}' 1 "map door, NOTFOUND"
chk "$W/m1.txt" 'mtasts_lookups_total{door="line",answer="ok_secure"}' 1 "line door (Exim), secure"
chk "$W/m1.txt" 'mtasts_lookups_total{door="line",answer="notfound"}' 1 "line door (Exim), none"
chk "$W/m1.txt" 'mtasts_lookups_total{door="line",answer="ok_other"}' 1 "line door (Exim), rcpt accepted"
chk "$W/m1.txt" 'mtasts_lookups_total{door="line",answer="perm"}' 1 "line door (Exim), bad request"
# the tlsrpt session record (reports off here: action=ignored) is no lookup
v=$(metric "$W/m1.txt" 'mtasts_lookups_total{door="line",answer="perm"}')
[ "$v" = 1 ]; ok $? "line door: the tlsrpt record is not counted as a lookup (perm = $v, the bad request only)"
chk "$W/m1.txt" 'mtasts_txt_queries_total{outcome="ok"}' 3 "TXT discoveries ok"
chk "$W/m1.txt" 'mtasts_txt_queries_total{outcome="notfound"}' 1 "TXT discoveries notfound"
chk "$W/m1.txt" 'mtasts_policy_fetches_total{outcome="ok"}' 3 "fetches ok"
chk "$W/m1.txt" 'mtasts_policy_fetch_duration_seconds_count' 3 "fetch latency histogram"
chk "$W/m1.txt" 'mtasts_cache_entries{kind="policy_enforce"}' 2 "policies cached by mode"
chk "$W/m1.txt" 'mtasts_cache_entries{kind="policy_testing"}' 1 "policies cached by mode"
chk "$W/m1.txt" 'mtasts_cache_entries{kind="negative"}' 1 "negative entries"
chk "$W/m1.txt" 'mtasts_cache_hits_total{kind="policy"}' 1 "cache hits"
chk "$W/m1.txt" 'mtasts_probes_total{outcome="ok"}' 1 "probes ok"
chk "$W/m1.txt" 'mtasts_probes_total{outcome="failed"}' 2 "probes failed"
chk "$W/m1.txt" 'mtasts_fetch_jobs_total{kind="full"}' 4 "full fetch jobs"
# the lab's policy hosts share one certificate: after the first fetch the
# chain is found in the memo (sts_tls.h)
chk "$W/m1.txt" 'mtasts_tls_chains_total{check="verified"}' 1 "chains verified"
chk "$W/m1.txt" 'mtasts_tls_chains_total{check="remembered"}' 1 "chains remembered"
h=$(metric "$W/m1.txt" 'mtasts_txt_query_duration_seconds_bucket{le="+Inf"}')
c=$(metric "$W/m1.txt" 'mtasts_txt_query_duration_seconds_count')
[ "$h" = "$c" ] && ge "$c" 4; ok $? "histogram +Inf bucket = count ($h, $c)"

# --- the control socket: every command -----------------------------------------
m=$(stat -c %a "$CTL")
[ "$m" = 660 ]; ok $? "control socket mode 0660 ($m)"
"$CHECK" -S "$CTL" show example-enforce.test >"$W/show.txt" 2>&1
ok $? "show: exit 0"
for want in "^domain: example-enforce.test$" "^cache: policy$" "^mode: enforce$" "^id: [A-Za-z0-9]" \
	"^mx: mx.example-enforce.test$" "^fetched: 20[0-9-]*T" "^expires: 20" "^refresh: 20" \
	"^last_status: ok$" "^nexthop: ok dnssec=secure" "^host: mx.example-enforce.test pref=10 dane=.* probe=ok"; do
	grep -Eq "$want" "$W/show.txt"; ok $? "show: /$want/"
done
"$CHECK" -S "$CTL" show example-mxselfsigned.test >"$W/show2.txt" 2>&1
grep -q "probe=failed type=certificate-not-trusted" "$W/show2.txt"; ok $? "show: the failed probe with its RFC 8460 type"
"$CHECK" -S "$CTL" show example-nosts.test >"$W/show3.txt" 2>&1
grep -q "^cache: none$" "$W/show3.txt"; ok $? "show: a negative entry"
"$CHECK" -S "$CTL" dump >"$W/dump.txt" 2>"$W/dump.err"
ok $? "dump: exit 0"
"$PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
d={r["domain"]: r for r in rows}
e=d["example-enforce.test"]
assert e["mode"]=="enforce" and e["mx"]==["mx.example-enforce.test"] and e["expires_at"]>e["fetched_at"]>0
assert "example-nosts.test" not in d' "$W/dump.txt" 2>"$W/dump.py"
ok $? "dump: JSON lines, one per cached policy ($(wc -l <"$W/dump.txt") lines) $(head -c 200 "$W/dump.py")"

f0=$(metric "$W/m1.txt" 'mtasts_fetch_jobs_total{kind="refresh"}')
"$CHECK" -S "$CTL" refresh example-enforce.test >"$W/refresh.txt" 2>&1
ok $? "refresh: exit 0 ($(cat "$W/refresh.txt"))"
refreshed() {
	scrape >"$W/m2.txt"
	ge "$(metric "$W/m2.txt" 'mtasts_fetch_jobs_total{kind="refresh"}')" $((f0 + 1))
}
wait_for 50 refreshed
chk "$W/m2.txt" 'mtasts_fetch_jobs_total{kind="refresh"}' $((f0 + 1)) "refresh ran a fetch"
"$CHECK" -S "$CTL" show example-enforce.test | grep -q "^cache: policy$"; ok $? "the policy is still cached after refresh"
grep -q "control: uid=0 refresh: example-enforce.test" "$W/daemon.log"; ok $? "refresh logged"

"$CHECK" -S "$CTL" forget example-testing-bad.test >"$W/forget.txt" 2>&1
ok $? "forget: exit 0 ($(cat "$W/forget.txt"))"
"$CHECK" -S "$CTL" show example-testing-bad.test >"$W/show4.txt" 2>&1
grep -q "^cache: not cached$" "$W/show4.txt" && grep -q "^nexthop: not cached$" "$W/show4.txt"
ok $? "forget: policy and next-hop state gone"
grep -q "control: uid=0 forget: example-testing-bad.test: forgotten" "$W/daemon.log"; ok $? "forget logged"
smq example-testing-bad.test >/dev/null
"$CHECK" -S "$CTL" show example-testing-bad.test | grep -q "^cache: policy$"; ok $? "after forget, the next lookup fetches afresh"

printf '# warm list\nexample-testing.test\n\nexample-enforce-lf.test  # comment\nbad..name\nexample-enforce.test\n' >"$W/warm.txt"
"$CHECK" -S "$CTL" warm "$W/warm.txt" >"$W/warm.out" 2>&1
ok $? "warm FILE: exit 0"
grep -q "warm: 2 queued, 1 already cached, 0 already being fetched, 1 invalid" "$W/warm.out"; ok $? "warm: $(cat "$W/warm.out")"
cached() { "$CHECK" -S "$CTL" show "$1" | grep -q "^cache: policy$"; }
wait_for 50 cached example-enforce-lf.test
"$CHECK" -S "$CTL" show example-enforce-lf.test | grep -q "^mode: enforce$"; ok $? "warm: the listed domain's policy is cached"
echo example-none.test | "$CHECK" -S "$CTL" warm - >"$W/warm2.out" 2>&1
ok $? "warm -: exit 0 ($(cat "$W/warm2.out"))"

"$CHECK" -S "$CTL" stats >"$W/stats.txt" 2>&1
ok $? "stats: exit 0"
grep -Eq "^policies_enforce: [1-9]" "$W/stats.txt" && grep -q "^mtasts_build_info" "$W/stats.txt"; ok $? "stats: counters and metrics"

# --- bad control clients ---------------------------------------------------------
raw() { # raw BYTES-PYTHON-EXPR -> the reply
	"$PY" -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.settimeout(15); s.connect(sys.argv[1])
s.sendall(eval(sys.argv[2])); s.shutdown(socket.SHUT_WR); d=b""
while True:
    b=s.recv(4096)
    if not b: break
    d+=b
print(d.decode(errors="replace").strip())' "$CTL" "$1"
}
r=$(raw 'b"SHOW example.com\n"'); [[ $r == "ERR unknown command"* ]]; ok $? "upper-case verb: $r"
r=$(raw 'b"show a b\n"'); [[ $r == "ERR byte 0x20"* ]]; ok $? "blank in argument: $r"
r=$(raw 'b"x"*100000'); [[ $r == "ERR line longer than the cap of 1040 bytes" ]]; ok $? "huge line: $r"
r=$(raw 'b"dump"'); [[ $r == "ERR no line end"* ]]; ok $? "no line end: $r"
"$CHECK" -S "$CTL" show 'bad..name' >/dev/null 2>"$W/bad.err"; rc=$?
[ $rc = 1 ] && grep -q "^ERR not a domain" "$W/bad.err"; ok $? "show of a non-domain: exit 1, $(cat "$W/bad.err")"
"$CHECK" -S /nonexistent/control stats 2>/dev/null; [ $? = 69 ]; ok $? "no daemon: exit 69"
# four slow clients take every slot; a fifth is told busy; mail lookups go on
# (one of them trickles a byte every 2 s: the line's deadline, not each
# read's, drops it)
slow=""
for i in 1 2 3 4; do
	"$PY" -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(30)
try:
    for c in (b"sho" if sys.argv[2] != "4" else b"show example-enforce.test"):
        s.sendall(bytes([c])); time.sleep(0 if sys.argv[2] != "4" else 2)
except OSError:
    pass
print(s.recv(200).decode().strip())' "$CTL" $i >"$W/slow$i.txt" 2>&1 &
	slow="$slow $!"
done
sleep 0.5
r=$(raw 'b"stats\n"'); [[ $r == "ERR busy"* ]]; ok $? "a fifth client: $r"
t0=$(date +%s%N)
smq example-enforce.test example-nosts.test >"$W/map2.txt"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
grep -q "OK secure" "$W/map2.txt" && [ "$ms" -lt 1000 ]; ok $? "map lookups answered while the control slots are taken (${ms} ms)"
t0=$(date +%s)
# shellcheck disable=SC2086
wait $slow
el=$(($(date +%s) - t0))
grep -q "ERR timeout" "$W/slow1.txt"; ok $? "a silent client is dropped after the timeout: $(cat "$W/slow1.txt")"
grep -q "ERR timeout" "$W/slow4.txt" && [ "$el" -le 13 ]; ok $? "a trickling client is dropped at the line's deadline (${el}s): $(cat "$W/slow4.txt")"
"$CHECK" -S "$CTL" stats >/dev/null 2>&1; ok $? "the control socket serves again"

scrape >"$W/m3.txt"
chk "$W/m3.txt" 'mtasts_admin_commands_total{command="error"}' 6 "refused control requests counted"
chk "$W/m3.txt" 'mtasts_admin_commands_total{command="forget"}' 1 "forget counted"
promtool check metrics <"$W/m3.txt" >/dev/null 2>&1; ok $? "promtool accepts the final output"
kill -0 "$OURS_PID" 2>/dev/null; ok $? "the daemon is still running"

tap_done
