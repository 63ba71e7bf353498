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
#   - the STARTTLS prober against scripted fake SMTP servers: pipelined
#     bytes after the 220 to STARTTLS refused, STARTTLS refused/absent,
#     reply caps, per-step and overall deadlines, IPv6-then-IPv4 fallback;
#   - happy eyeballs (RFC 8305): a policy host and an MX host whose AAAA
#     is black-holed are reached on their A 250 ms later;
#   - DANE-TA / DANE-EE matching (RFC 7672) against the MX farm with TLSA
#     records made from the lab's certificates;
#   - the verified-chain memo (sts_tls.h): a chain seen before skips its
#     signature checks, but never the name, usage and date checks, and a
#     failed chain is never remembered (nginx's vhosts, and an openssl
#     s_server with a certificate whose key usage does not allow ECDHE);
#   - the text output ends with the verdict line.
# Skipped (TAP SKIP, never counted as passed) when not root or when the
# lab cannot come up.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
LAB=$(cd "$top_srcdir/tests/lab" 2>/dev/null && pwd)
CHECK=$(cd "$top_builddir" && pwd)/cli/mta-sts-check
HELPER=$(cd "$top_builddir" && pwd)/tests/net/resolver_mt
PROBE=$(cd "$top_builddir" && pwd)/tests/net/probe_fake
MEMO=$(cd "$top_builddir" && pwd)/tests/net/tls_memo
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
[ -x "$PROBE" ] || skip_all "tests/net/probe_fake not built"
[ -x "$MEMO" ] || skip_all "tests/net/tls_memo not built"
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

"$LAB/inlab" "$PY" - "$CHECK" "$HELPER" "$PROBE" "$MEMO" <<'PYEOF'
import json, os, socket, statistics, subprocess, sys, tempfile, threading, time

check, helper, probe, memo = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
env = os.environ
T = 2000            # --timeout (ms) for fetch and probe
lab = ["--json", "--resolver-conf", env["LAB_UNBOUND_CONF"],
       "--trust-anchor", "none", "--ca-file", env["LAB_CA"], "--timeout", str(T)]
# both families: the rows below test what A and AAAA records do (happy
# eyeballs, a bogus AAAA); "auto" (the default) is tested at the end
common = lab + ["--probe", "--address-families", "all"]
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
    if ep == "ok" and want_rpt == "dnssec-invalid":
        want_exit = 4   # bogus TLSA / MX address: mta-sts-check(1) exit 4
    elif ep == "ok":
        want_exit = 0 if (want_rpt == "none" or r["policy"] == "testing") else 3
    else:
        want_exit = EXIT[ep]
    got = (o["policy"]["result"], o["rpt"], p.returncode)
    tap(got == (ep, want_rpt, want_exit) and o["exit"] == p.returncode,
        "%s: policy %s, rpt %s, exit %d (%s)" % (d, ep, want_rpt, want_exit,
                                                 r["exercises"]),
        "got policy=%s rpt=%s exit=%s\n%s" % (got + (json.dumps(o),)))
    if r["policy"] == "enforce-abogus":
        # issue 13 item 3: a fetch error naming the bogus record, not "bogus"
        w = o["policy"].get("why", "")
        tap(("mta-sts.%s A: DNSSEC bogus" % d) in w,
            "%s: the fetch error names the bogus record" % d, w)
    if r["policy"] == "enforce-v6dead":
        # RFC 8305: the AAAA (first) hangs; the A is tried 250 ms later
        # and wins, long before the 2 s per-address connect bound that a
        # one-after-the-other fetch would wait out (and with --timeout
        # 2000 fail on)
        el = o["policy"].get("elapsed_ms", -1)
        tap(o["policy"].get("address") == "127.0.44.3:443"
            and 200 <= el <= 1500,
            "%s: happy eyeballs: fetched from 127.0.44.3 in %s ms "
            "(the AAAA's connect hangs)" % (d, el), json.dumps(o["policy"]))
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
if len(lines) != 2 or p.returncode != 0:
    tap(False, "resolver helper output", p.stdout + p.stderr)
for l in lines:
    tap(l.startswith("PASS "), "resolver: " + l[5:])
silent.close()

# the prober against scripted fake SMTP servers on 127.0.0.1 ("localhost"
# also has AAAA ::1, where nothing listens: the prober must move on)
def serve(behaviour):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    def conn(c):
        f = c.makefile("rb")
        try:
            behaviour(c, f)
            time.sleep(3)
        except OSError:
            pass
        c.close()
    def loop():
        while True:
            c, _ = ls.accept()
            threading.Thread(target=conn, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return ls.getsockname()[1]

def greet(c, f, ehlo):
    c.sendall(b"220 fake ESMTP\r\n")
    f.readline()
    c.sendall(ehlo)

def inject(c, f):
    greet(c, f, b"250-fake\r\n250 STARTTLS\r\n")
    f.readline()
    c.sendall(b"220 go ahead\r\nMAIL FROM:<evil@example.net>\r\n")

def stall(c, f):
    c.sendall(b"220 fake ESMTP\r\n")
    f.readline()

def drip(c, f):
    c.sendall(b"220-")
    for _ in range(100):
        c.sendall(b"x")
        time.sleep(0.1)

def refuse(c, f):
    greet(c, f, b"250-fake\r\n250 STARTTLS\r\n")
    f.readline()
    c.sendall(b"454 4.7.0 TLS not available\r\n")

def many(c, f):
    greet(c, f, b"250-x\r\n" * 80 + b"250 STARTTLS\r\n")

def noext(c, f):
    greet(c, f, b"250-fake\r\n250-SIZE 1000\r\n250 8BITMIME\r\n")

fakes = [
    # name, behaviour, timeout, step, status, rpt, step, min ms, max ms
    ("bytes pipelined after 220 to STARTTLS are refused", inject, 3000,
     1000, "invalid", "validation-failure", "starttls", 0, 1000),
    ("STARTTLS refused with 454", refuse, 3000, 1000, "notfound",
     "starttls-not-supported", "starttls", 0, 1000),
    ("EHLO without STARTTLS", noext, 3000, 1000, "notfound",
     "starttls-not-supported", "starttls", 0, 1000),
    ("EHLO reply over the line-count cap", many, 3000, 1000, "tempfail", "none",
     "ehlo", 0, 1000),
    ("silent after EHLO: cut at the 400 ms step deadline", stall, 3000,
     400, "tempfail", "none", "ehlo", 350, 900),
    ("drip-fed banner: cut at the 800 ms overall deadline", drip, 800,
     3000, "tempfail", "none", "banner", 750, 1300),
]
for name, beh, tmo, step, wst, wrpt, wstep, lo, hi in fakes:
    port = serve(beh)
    p = subprocess.run([probe, env["LAB_UNBOUND_CONF"], env["LAB_CA"],
                        "localhost", str(port), str(tmo), str(step)],
                       capture_output=True, text=True, timeout=30)
    f = p.stdout.split(" ", 5)
    good = (p.returncode == 0 and len(f) == 6 and f[0] == wst and f[1] == wrpt and f[2] == wstep
            and lo <= int(f[3]) <= hi and f[4] == "127.0.0.1:%d" % port)
    tap(good, "probe: %s (%s, %s, at %s)" % (name, wst, wrpt, wstep),
        p.stdout + p.stderr)

# happy eyeballs in the prober: mxv6.example-v6dead.test has a black-holed
# AAAA (tried first, hangs) and the valid MX listener's A, started 250 ms
# later; without the race the 3 s step would pass before the A is tried
p = subprocess.run([probe, env["LAB_UNBOUND_CONF"], env["LAB_CA"],
                    "mxv6.example-v6dead.test", "25", "5000", "3000"],
                   capture_output=True, text=True, timeout=30)
f = p.stdout.split(" ", 5)
tap(p.returncode == 0 and len(f) >= 5 and f[0] == "ok" and f[4] == "127.0.25.11:25"
    and 200 <= int(f[3]) <= 2000,
    "probe: happy eyeballs: mxv6.example-v6dead.test probed at 127.0.25.11 "
    "(the AAAA's connect hangs)", p.stdout + p.stderr)

# DANE (RFC 7672) against the lab MX farm, with TLSA records made here
# from the lab's certificates and handed to the prober as secure answers
pki = os.path.dirname(env["LAB_CA"])
def digest(pem, spki, alg):
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"]
                         + (["-pubkey", "-noout"] if spki else []),
                         capture_output=True, check=True).stdout
    if spki:
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                             input=der, capture_output=True, check=True).stdout
    return subprocess.run(["openssl", "dgst", "-" + alg, "-r"], input=der,
                          capture_output=True, check=True).stdout.split()[0].decode()
ca_c = digest(env["LAB_CA"], False, "sha256")
ca_k = digest(env["LAB_CA"], True, "sha512")
ss_k = digest(pki + "/mx-selfsigned.pem", True, "sha256")
ex_c = digest(pki + "/mx-expired.pem", False, "sha256")
danes = [
    # name, mx domain, tlsa args, status, rpt
    ("DANE-TA 2 0 1 (lab CA cert) verifies the chain", "example-enforce",
     ["2", "0", "1", ca_c], "ok", "none"),
    ("DANE-TA 2 1 2 (lab CA SPKI, SHA-512)", "example-enforce",
     ["2", "1", "2", ca_k], "ok", "none"),
    ("DANE-TA still checks the name", "example-mxwrongname",
     ["2", "0", "1", ca_c], "invalid", "certificate-host-mismatch"),
    ("DANE-TA still checks the dates", "example-mxexpired",
     ["2", "0", "1", ca_c], "invalid", "certificate-expired"),
    ("DANE-EE 3 1 1 accepts a self-signed cert", "example-mxselfsigned",
     ["3", "1", "1", ss_k], "ok", "none"),
    ("DANE-EE 3 0 1 ignores expiry", "example-mxexpired",
     ["3", "0", "1", ex_c], "ok", "none"),
    ("DANE-EE with a hash that matches nothing", "example-enforce",
     ["3", "1", "1", "00" * 32], "invalid", "tlsa-invalid"),
    ("DANE usable but no STARTTLS", "example-mxnotls",
     ["3", "1", "1", ss_k], "invalid", "dane-required"),
    ("bogus TLSA answer", "example-enforce", ["bogus"], "bogus",
     "dnssec-invalid"),
]
for name, dom, targs, wst, wrpt in danes:
    p = subprocess.run([probe, env["LAB_UNBOUND_CONF"], env["LAB_CA"],
                        "mx.%s.test" % dom, "25", "3000", "2000"] + targs,
                       capture_output=True, text=True, timeout=30)
    f = p.stdout.split(" ", 5)
    good = p.returncode == 0 and len(f) == 6 and f[0] == wst and f[1] == wrpt
    if wst == "ok":
        good = good and f[5].startswith("[dane]")
    tap(good, "probe: %s (%s, %s)" % (name, wst, wrpt), p.stdout + p.stderr)

# the verified-chain memo: sessions on one struct sts_tls, in this order
def memo_run(addr, port, pairs):
    args = [memo, env["LAB_CA"], addr, str(port)]
    for sni, name in pairs:
        args += [sni, name]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    lines = [l for l in p.stdout.strip().splitlines() if not l.startswith("# ")]
    return p, lines[:-1], lines[-1] if lines else ""

pol = lambda d: "mta-sts.%s.test" % d
p, got, stats_line = memo_run("127.0.44.3", 443, [
    (pol("example-enforce"), pol("example-enforce")),      # verified
    (pol("example-wildcard"), pol("example-wildcard")),    # same chain: memo
    (pol("example-enforce"), "www.other.test"),            # memo, name fails
    (pol("example-certexpired"), pol("example-certexpired")),  # verified, fails
    (pol("example-certexpired"), pol("example-certexpired")),  # again verified
    (pol("example-certuntrusted"), pol("example-certuntrusted")),  # verified
])
want = [("ok", "none"), ("ok", "none"),
        ("invalid", "certificate-host-mismatch"),
        ("invalid", "certificate-expired"), ("invalid", "certificate-expired"),
        ("invalid", "certificate-not-trusted")]
tap(p.returncode == 0 and [tuple(l.split(" ", 2)[:2]) for l in got] == want,
    "memo: a remembered chain still gets the name check; failed chains stay failed",
    p.stdout + p.stderr)
tap(stats_line == "verified=4 remembered=2",
    "memo: the repeated good chain skipped its signature checks, the failed ones did not (%s)"
    % stats_line, p.stdout + p.stderr)

# a TLS 1.2-only server with an RSA key that signs with its own first
# choice, rsa_pss_rsae: mbedTLS 3.x up to 3.6.6 fails the first handshake
# (illegal_parameter), sts_tls_retry_tls12() says so, and the second
# connection offering TLS 1.2 only succeeds; mbedTLS 2.28 never retries
p, got, stats_line = memo_run("127.0.44.6", 443, [
    (pol("example-rsa12"), pol("example-rsa12"))])
lib3 = "# Mbed TLS 3." in p.stdout or "# mbed TLS 3." in p.stdout
tap(p.returncode == 0 and len(got) == 1 and got[0].startswith("ok none") and
    got[0].endswith("(TLS 1.2 retry)") == lib3,
    "TLS 1.2 server signing with rsa_pss_rsae: %s" %
    ("one retry offering TLS 1.2 only" if lib3 else "no retry needed"),
    p.stdout + p.stderr)

# certificates from the lab CA that the server may use but a TLS client
# must refuse (RFC 5280 4.2.1.3, 4.2.1.12): an RSA key for
# keyEncipherment only under an ECDHE-RSA suite (TLS 1.2), and an EC key
# for clientAuth only.  Checked on every session, the second one with
# the chain remembered (-naccept 3: the port check is the first
# connection).
def usage_case(name, keyargs, ext, srvargs, want):
    tmp = tempfile.mkdtemp(prefix="lab-net-ku.")
    key, csr, crt = tmp + "/k.key", tmp + "/k.csr", tmp + "/k.pem"
    with open(tmp + "/ext", "w") as f:
        f.write(ext + "subjectAltName=DNS:ku.example-enforce.test\n")
    subprocess.run(["openssl", "req", "-newkey"] + keyargs + [
                    "-nodes", "-keyout", key, "-subj",
                    "/CN=ku.example-enforce.test", "-out", csr],
                   capture_output=True, check=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", env["LAB_CA"],
                    "-CAkey", pki + "/ca.key", "-CAcreateserial", "-CAserial",
                    tmp + "/k.srl", "-days", "30", "-extfile", tmp + "/ext",
                    "-out", crt], capture_output=True, check=True)
    srv = subprocess.Popen(["openssl", "s_server", "-quiet", "-accept",
                            "127.0.0.1:18443", "-cert", crt, "-key", key,
                            "-naccept", "3"] + srvargs,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", 18443), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    p, got, stats_line = memo_run("127.0.0.1", 18443, [
        ("ku.example-enforce.test", "ku.example-enforce.test")] * 2)
    srv.kill()
    srv.wait()
    subprocess.run(["rm", "-rf", tmp])
    ok = (p.returncode == 0 and len(got) == 2 and
          all(l.startswith("invalid validation-failure ") and want in l
              for l in got))
    tap(ok and stats_line == "verified=1 remembered=1",
        "memo: %s refused, the remembered chain too (%s)" % (name, stats_line),
        p.stdout + p.stderr)

usage_case("a key usage without digitalSignature under ECDHE",
           ["rsa:2048"], "keyUsage=critical,keyEncipherment\n",
           ["-no_tls1_3", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
           "match the keyUsage extension")
usage_case("an extended key usage without serverAuth",
           ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
           "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
           [], "match the extendedKeyUsage extension")

# text mode: the last line is the verdict
p = subprocess.run([check, "example-enforce.test"] +
                   [a for a in common if a not in ("--json",)],
                   capture_output=True, text=True)
last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
tap(p.returncode == 0 and last.startswith("verdict   deliver via "),
    "text output ends with the verdict", p.stdout + p.stderr)

# AddressFamilies (sts_af.h).  The lab's netns has IPv4 addresses besides
# 127.0.0.1 and only link-local IPv6, so "auto", the default, asks A only:
# example-v6dead.test's black-holed AAAA is never asked for, so its fetch
# does not wait the 250 ms of happy eyeballs (with "all", above, it does)
def fam_check(d, fam):
    args = [check, d] + lab + ([] if fam is None else ["--address-families", fam])
    p = subprocess.run(args, capture_output=True, text=True)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"policy": {}, "output": p.stdout + p.stderr}

o = fam_check("example-v6dead.test", None)
pol = o["policy"]
tap(pol.get("result") == "ok" and pol.get("address") == "127.0.44.3:443"
    and 0 <= pol.get("elapsed_ms", -1) < 200,
    "AddressFamilies auto in the lab (IPv4, link-local IPv6 only): "
    "example-v6dead.test fetched from its A in %s ms, its black-holed AAAA "
    "not asked for" % pol.get("elapsed_ms"), json.dumps(o))
o = fam_check("example-v6dead.test", "ipv4")
tap(o["policy"].get("address") == "127.0.44.3:443"
    and 0 <= o["policy"].get("elapsed_ms", -1) < 200,
    "--address-families ipv4: the same at once", json.dumps(o))
o = fam_check("example-enforce.test", "ipv6")
w = o["policy"].get("why", "")
tap(o["policy"].get("result") == "fetch-error" and "no AAAA record" in w,
    "--address-families ipv6: example-enforce.test's policy host has only an "
    "A record: a fetch error that names the AAAA (%s)" % w, json.dumps(o))

print("1..%d" % n)
sys.exit(1 if failed else 0)
PYEOF
