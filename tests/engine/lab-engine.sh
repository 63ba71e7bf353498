#!/bin/bash
# tests/engine/lab-engine.sh - the policy engine with the REAL source
# (resolver, fetcher, prober) against the loopback lab (tests/lab/).
# TAP.  Skips (1..0 # SKIP) when not root or the lab cannot come up.
#
#  1. every scenario row: the RCPT-time verdict and RFC 8460 type agree
#     with scenarios.tsv (expect_milter, expect_rpt), probing on;
#  2. the delivery-time lookup agrees with expect_map;
#  3. a cold domain looked up by 50 threads at once: one TXT query, one
#     fetch, 50 equal answers;
#  4. the state file keeps the policy across a restart (mode 0600);
#     then the policy host goes away (nginx stopped): a due refresh fails
#     and the cached policy is still used until it expires; after
#     expiry there is no policy (tempfail, tag).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
export MTALAB_NAME=${MTALAB_NAME:-engine}
LAB="$top_srcdir/tests/lab"
PROBE="$top_builddir/tests/engine/engine-probe"
case $PROBE in /*) ;; *) PROBE="$(pwd)/$PROBE" ;; esac
TSV="$LAB/scenarios.tsv"

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "not root (the lab needs network namespaces)"
[ -x "$LAB/up" ] || skip "no tests/lab"
[ -x "$PROBE" ] || skip "engine-probe not built"
command -v ip >/dev/null || skip "no ip(8)"

n=0
fail=0
t() { # t OK|FAIL description
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
	fi
}
is() { # is GOT WANT description
	if [ "$1" = "$2" ]; then t OK "$3"; else
		t FAIL "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

WORK=$(mktemp -d /tmp/lab-engine.XXXXXX)
cleanup() {
	"$LAB/down" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
# no --force: never take down an instance someone else is using
if ! "$LAB/up" >"$WORK/up.log" 2>&1; then
	sed 's/^/# /' "$WORK/up.log" | tail -5
	trap 'rm -rf "$WORK"' EXIT
	skip "lab instance $MTALAB_NAME did not come up"
fi
inlab() { "$LAB/inlab" "$@"; }

# --- 1, 2: every scenario row -------------------------------------------
rows=$(grep -v '^#' "$TSV" | awk -F'\t' 'NR > 1 && NF >= 11')
args=""
largs=""
for d in $(echo "$rows" | cut -f1); do
	args="$args check:$d"
	largs="$largs lookup:$d"
done
inlab "$PROBE" --probe --parallel $args $largs >"$WORK/rows.out" \
	2>"$WORK/rows.err"
while IFS=$'\t' read -r d _ _ _ _ _ _ _ rpt milter map _; do
	got=$(awk -v d="$d" '$1 == "check" && $2 == d { print $3 }' "$WORK/rows.out")
	gotrpt=$(awk -v d="$d" '$1 == "check" && $2 == d { print $5 }' "$WORK/rows.out")
	case $milter in accept) want=pass ;; *) want=$milter ;; esac
	is "$got" "$want" "$d: RCPT verdict $milter"
	if [ "$want" != pass ]; then
		[ "$rpt" = - ] && rpt=none
		is "$gotrpt" "$rpt" "$d: RFC 8460 type $rpt"
	fi
	got=$(awk -v d="$d" '$1 == "lookup" && $2 == d { print $3, $4, $5 }' "$WORK/rows.out")
	case $map in
	secure) want="ok enforce=1 dane=0" ;;
	dane-only) want="ok enforce=1 dane=1" ;;
	temp) want="bogus enforce=0 dane=0" ;; # map answers TEMP for BOGUS
	notfound) # no policy, or a testing one (the map says nothing then)
		case $got in "ok enforce=0 dane=0") want=$got ;;
		*) want="notfound enforce=0 dane=0" ;; esac ;;
	esac
	is "$got" "$want" "$d: delivery-time lookup ($map)"
done <<<"$rows"
grep '^why' "$WORK/rows.err" | sed 's/^/# /' | head -5

# --- 3: cold domain, 50 threads, one fetch -------------------------------
out=$(inlab "$PROBE" --threads 50 check:example-wildcard.test stats 2>/dev/null)
is "$(echo "$out" | awk '$1 == "threads" { print $3 }')" "agree=50" \
	"cold domain, 50 concurrent lookups: 50 equal answers"
is "$(echo "$out" | awk '$1 == "check" { print $3, $4 }')" "pass satisfied" \
	"cold domain: policy applied"
is "$(echo "$out" | grep -o 'txt=[0-9]* fetches=[0-9]*')" "txt=1 fetches=1" \
	"cold domain: exactly one TXT query and one fetch"

# --- 3b: warm lookups do no DNS and no network (next-hop + probe cache) -----
out=$(inlab "$PROBE" --probe check:example-enforce.test wait stats \
	check:example-enforce.test lookup:example-enforce.test \
	check:example-enforce.test stats 2>/dev/null)
first=$(echo "$out" | awk '$1 == "stats"' | head -1 | grep -o 'mx=[0-9]* probes=[0-9]*')
last=$(echo "$out" | awk '$1 == "stats"' | tail -1 | grep -o 'mx=[0-9]* probes=[0-9]*')
is "$first" "mx=1 probes=1" "cold check: one next-hop lookup, one probe"
is "$last" "$first" "warm check, lookup, check: no next-hop lookup, no probe"
is "$(echo "$out" | awk '$1 == "check" { print $3, $4 }' | sort -u)" "pass satisfied" \
	"warm checks answered from the cache: satisfied"

# --- 4: restart, then the policy host goes away ---------------------------
S="$WORK/state"
out=$(inlab "$PROBE" --state "$S" check:example-enforce.test wait 2>/dev/null)
is "$(echo "$out" | awk '{ print $3, $4 }')" "pass satisfied" "first run: fetched"
is "$(stat -c %a "$S" 2>/dev/null)" "600" "state file saved at exit, mode 0600"
out=$(inlab "$PROBE" --state "$S" check:example-enforce.test stats 2>/dev/null)
is "$(echo "$out" | grep -o 'fetches=[0-9]*' ) $(echo "$out" | awk '$1 == "check" { print $4 }')" \
	"fetches=0 satisfied" "restart: policy from the state file, no fetch"

# stop nginx (only the one this lab instance started, by its PID)
LABDIR=${MTALAB_DIR:-/tmp/mtalab-$MTALAB_NAME}
pid=$(awk '$3 == "nginx" { print $1 }' "$LABDIR/run/pids" | head -1)
[ -n "$pid" ] && kill "$pid" 2>/dev/null
sleep 0.3
out=$(inlab "$PROBE" check:example-testing.test 2>/dev/null)
is "$(echo "$out" | awk '{ print $3, $4, $5 }')" "tag tempfail sts-policy-fetch-error" \
	"policy host gone: a cold domain cannot be fetched"
# 50000 s later: refresh due (max_age 86400), not expired
out=$(inlab "$PROBE" --state "$S" --offset 50000 check:example-enforce.test \
	wait stats check:example-enforce.test 2>/dev/null)
is "$(echo "$out" | grep -o 'fetches=[0-9]* failures=[0-9]*')" "fetches=1 failures=1" \
	"refresh due: attempted and failed"
is "$(echo "$out" | awk '$1 == "check" { print $3, $4, $6 }' | sort -u)" \
	"pass satisfied enforce" "failed refresh: cached policy still used (E3)"
# 90000 s later: expired
out=$(inlab "$PROBE" --state "$S" --offset 90000 check:example-enforce.test 2>/dev/null)
is "$(echo "$out" | awk '{ print $3, $4 }')" "tag tempfail" \
	"after expiry: no policy (fetch fails): tag"

echo "1..$n"
exit $fail
