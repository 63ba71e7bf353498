#!/bin/sh
# tests/net/lab-net.sh - [net] lab tests (TAP).  Brings up a lab instance
# (MTALAB_NAME, default "net"; see tests/lab/README.md) unless one is up,
# then, inside it:
#   - one test per row of tests/lab/scenarios.tsv: `mta-sts-check DOMAIN
#     --json --probe` must give the row's expect_policy and expect_rpt
#     (RFC 8460 type) and the documented exit code;
#   - the slow-drip and blackhole policy hosts are cut off at the fetch
#     deadline (elapsed time measured, upper and lower bound asserted);
#   - many threads share one resolver; a silent DNS server is cut off at
#     the per-query deadline;
#   - the text output ends with the verdict line.
# Skipped (TAP SKIP, never counted as passed) when not root or when the
# lab cannot come up.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
LAB=$(cd "$top_srcdir/tests/lab" 2>/dev/null && pwd)
CHECK=$(cd "$top_builddir" && pwd)/cli/mta-sts-check
HELPER=$(cd "$top_builddir" && pwd)/tests/net/resolver_mt
MTALAB_NAME=${MTALAB_NAME:-net}
export MTALAB_NAME
PY=/usr/bin/python3

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "lab tests need root"
[ -x "$LAB/up" ] || skip_all "tests/lab/up missing"
[ -x "$CHECK" ] || skip_all "cli/mta-sts-check not built"
[ -x "$HELPER" ] || skip_all "tests/net/resolver_mt not built"
[ -x "$PY" ] || skip_all "$PY missing"

LOG=$(mktemp /tmp/lab-net.XXXXXX)
if ! "$LAB/status" >/dev/null 2>&1; then
	if ! "$LAB/up" --no-milter --no-map >"$LOG" 2>&1; then
		"$LAB/down" >/dev/null 2>&1
		sed 's/^/# /' "$LOG"
		rm -f "$LOG"
		skip_all "the lab did not come up"
	fi
	trap '"$LAB/down" >/dev/null 2>&1; rm -f "$LOG"' EXIT
else
	trap 'rm -f "$LOG"' EXIT
fi

"$LAB/inlab" "$PY" - "$CHECK" "$HELPER" <<'PYEOF'
import json, os, socket, statistics, subprocess, sys, tempfile, time

check, helper = sys.argv[1], sys.argv[2]
env = os.environ
T = 2000            # --timeout (ms) for fetch and probe
common = ["--json", "--probe", "--resolver-conf", env["LAB_UNBOUND_CONF"],
          "--trust-anchor", "none", "--ca-file", env["LAB_CA"],
          "--timeout", str(T)]
n = 0
failed = 0

def tap(ok, name, diag=None):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok" if ok else "not ok"), n, "-", name)
    if diag and not ok:
        for line in str(diag).splitlines():
            print("#  ", line)
    sys.stdout.flush()

rows = []
with open(env["LAB_SCENARIOS"]) as f:
    for line in f:
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        if cols[0] == "domain":
            head = cols
            continue
        rows.append(dict(zip(head, cols)))

EXIT = {"notfound": 1, "fetch-error": 2, "invalid": 2, "webpki-invalid": 2,
        "tempfail": 75, "bogus": 4}

fetch_ms, probe_ms = [], []
for r in rows:
    d = r["domain"]
    t0 = time.monotonic()
    p = subprocess.run([check, d] + common, capture_output=True, text=True)
    wall = (time.monotonic() - t0) * 1000
    try:
        o = json.loads(p.stdout)
    except ValueError:
        tap(False, "%s: JSON output" % d, p.stdout + p.stderr)
        continue
    want_rpt = "none" if r["expect_rpt"] == "-" else r["expect_rpt"]
    ep = r["expect_policy"]
    if ep == "ok":
        want_exit = 0 if (want_rpt == "none" or r["policy"] == "testing") else 3
    else:
        want_exit = EXIT[ep]
    got = (o["policy"]["result"], o["rpt"], p.returncode)
    tap(got == (ep, want_rpt, want_exit) and o["exit"] == p.returncode,
        "%s: policy %s, rpt %s, exit %d (%s)" % (d, ep, want_rpt, want_exit,
                                                 r["exercises"]),
        "got policy=%s rpt=%s exit=%s\n%s" % (got + (json.dumps(o),)))
    if o["policy"].get("result") == "ok":
        fetch_ms.append(o["policy"]["elapsed_ms"])
    for h in o["mx"].get("hosts", []):
        pr = h.get("probe")
        if pr and pr["status"] == "ok":
            probe_ms.append(pr["elapsed_ms"])
    if ep == "tempfail":
        el = o["policy"].get("elapsed_ms", -1)
        tap(T - 100 <= el <= T + 500 and wall <= 2 * T + 2000,
            "%s: cut off at the %d ms fetch deadline (fetch %s ms, "
            "whole check %.0f ms)" % (d, T, el, wall),
            json.dumps(o["policy"]))

def stats(v):
    if not v:
        return "none"
    return "min %d, median %d, max %d ms over %d" % (
        min(v), statistics.median(v), max(v), len(v))
print("# fetch latency (successful fetches): " + stats(fetch_ms))
print("# probe latency (successful probes): " + stats(probe_ms))

# the resolver: threads, and the deadline against a silent server
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", 0))
port = silent.getsockname()[1]
with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as cf:
    cf.write('server:\n  do-not-query-localhost: no\n'
             '  local-zone: "test." nodefault\n'
             'forward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@%d\n'
             % port)
p = subprocess.run([helper, env["LAB_UNBOUND_CONF"], cf.name],
                   capture_output=True, text=True, timeout=60)
os.unlink(cf.name)
lines = [l for l in p.stdout.splitlines() if l[:5] in ("PASS ", "FAIL ")]
if len(lines) != 2:
    tap(False, "resolver helper output", p.stdout + p.stderr)
for l in lines:
    tap(l.startswith("PASS "), "resolver: " + l[5:])
silent.close()

# text mode: the last line is the verdict
p = subprocess.run([check, "example-enforce.test"] +
                   [a for a in common if a not in ("--json",)],
                   capture_output=True, text=True)
last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
tap(p.returncode == 0 and last.startswith("verdict   deliver via "),
    "text output ends with the verdict", p.stdout + p.stderr)

print("1..%d" % n)
sys.exit(1 if failed else 0)
PYEOF
