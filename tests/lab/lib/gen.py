#!/usr/bin/python3
"""Generate everything the lab serves from tests/lab/scenarios.tsv.

Usage: gen.py PHASE LABDIR SRCDIR
  pki    lab CA, rogue CA, policy-host and MX-listener certificates
  dns    zones (signed with ldns, bogus/expired children), nsd/unbound configs, trust anchor
  conf   nginx vhosts + docroots, Postfix mx/out configs, resolv.conf/hosts/nsswitch
  pf310  main.cf/master.cf of Debian 13's Postfix 3.10 (tests/lab/postfix310)
Only the standard library and the openssl / ldns command line tools are used.
"""
import hashlib
import os
import re
import subprocess
import sys

PHASE, L, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
REPO = os.path.normpath(os.path.join(SRC, "..", ".."))

# MX kinds on the DANE listener: TLSA tampered; MX host address in an unsigned zone;
# MX host a CNAME with the TLSA at the expanded name only (RFC 7672 2.2.2)
DANE_LISTENER = ("dane-match", "dane-bogus", "dane-insecureaddr", "dane-cname")
# Address plan (LAB.md): listeners of the MX farm, by the "mx" column.
MX_ADDR = {
    "valid": "127.0.25.11",
    "wrongname": "127.0.25.12",
    "selfsigned": "127.0.25.13",
    "notls": "127.0.25.14",
    "expired": "127.0.25.15",
    "dane-match": "127.0.25.16",
    "dane-mismatch": "127.0.25.17",
    "rsa12": "127.0.25.18",
}


def listener(kind):
    """The MX farm address of an "mx" column kind (the extra DANE kinds share dane-match's)."""
    return MX_ADDR["dane-match"] if kind in DANE_LISTENER else MX_ADDR[kind]


MX_CERT = {  # listener -> keychain file under pki/ (None: no STARTTLS)
    "valid": "mx-valid",
    "wrongname": "wrongname",
    "selfsigned": "mx-selfsigned",
    "notls": None,
    "expired": "mx-expired",
    "dane-match": "mx-dane",
    "dane-mismatch": "mx-danebad",
    "rsa12": "rsa12",
}
# TLS 1.2 only, an RSA key, and the server's own order of signature schemes (which puts
# rsa_pss_rsae first): what mbedTLS 3.6.6 fails at unless it retries offering TLS 1.2 only
# (lib/net/sts_tls.h, sts_tls_retry_tls12()).  The policy host kind enforce-rsa12 is served
# by its own nginx server at NGINX12; the MX kind rsa12 by its own smtpd.
RSA12 = ("enforce-rsa12", "rsa12")
NSD, UNBOUND, NGINX, BLACKHOLE = "127.0.53.1", "127.0.53.2", "127.0.44.3", "127.0.44.4"
NGINX12 = "127.0.44.6"
CLOSEHOST = "127.0.44.5"  # lib/closehost.py: read-until-close bodies, TLS closure controlled
CLOSE_KINDS = ("truncated", "closenotify")
# policy kinds served by nginx like "enforce" whose policy host ADDRESS is tampered after
# signing (RFC 8461 3.3: a host that cannot be reached securely is a fetch failure)
ADDR_BOGUS = {"enforce-aaaabogus": "AAAA", "enforce-abogus": "A"}
# Broken IPv6 (RFC 8305 happy eyeballs): addresses in V6DEAD_NET are routed out of a veth
# pair whose far end drops every frame (tests/lab/up), so a connect there hangs, as to a
# host whose IPv6 path is black-holed.  enforce-v6dead: the policy host has such an AAAA
# beside its good A; its extra host mxv6.<domain> (the valid MX listener + a dead AAAA, in
# no MX record, so the MTAs never see it) is for probing.
V6DEAD_NET = "2001:db8:dead::/64"
V6DEAD_POLICY, V6DEAD_MX = "2001:db8:dead::443", "2001:db8:dead::25"
INSECURE_MX_ZONE = "insecure-mx.test"
OUT_ADDR, SM_ADDR, PF310_ADDR = "127.0.25.1", "127.0.25.2", "127.0.25.3"
TXT_ID = "20261128T000000"
CERT_VHOST = {  # policy column -> certificate of that vhost
    "cert-expired": "policy-expired",
    "cert-wrongname": "wrongname",
    "cert-cnonly": "policy-cnonly",
    "cert-untrusted": "policy-untrusted",
}


def rows():
    out, header = [], None
    with open(os.path.join(SRC, "scenarios.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            if len(cols) != len(header):
                sys.exit("scenarios.tsv: wrong column count: %r" % line)
            out.append(dict(zip(header, cols)))
    return out


ROWS = rows()


def write(path, text, mode=0o644):
    path = os.path.join(L, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.chmod(path, mode)


def run(*argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, **kw).stdout


def mxname(r):
    return r["domain"] if r["mx"] == "implicit" else "mx." + r["domain"]


# ---------------------------------------------------------------- PKI
def pki():
    d = os.path.join(L, "pki")
    os.makedirs(d, exist_ok=True)
    os.chdir(d)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca, cn in (("ca", "MTA-STS Lab CA"), ("rogue-ca", "Untrusted Rogue CA")):
        run("openssl", "req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".pem",
            "-days", "3650", "-subj", "/CN=" + cn,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    # openssl ca databases (needed for -startdate/-enddate of the expired certs)
    for ca in ("ca", "rogue-ca"):
        os.makedirs(ca + ".db", exist_ok=True)
        open(ca + ".db/index.txt", "w").close()
        write("pki/%s.db/serial" % ca, "1000\n")
        write("pki/%s.cnf" % ca, """[ca]
default_ca = lab
[lab]
dir = {d}
database = {d}/{ca}.db/index.txt
serial = {d}/{ca}.db/serial
new_certs_dir = {d}/{ca}.db
certificate = {d}/{ca}.pem
private_key = {d}/{ca}.key
default_md = sha256
default_days = 3650
policy = anything
copy_extensions = copy
unique_subject = no
[anything]
commonName = supplied
""".format(d=d, ca=ca))

    def names(pred, fmt):
        return [fmt(r) for r in ROWS if pred(r)]

    policy_sans = names(lambda r: r["policy"] not in CERT_VHOST, lambda r: "mta-sts." + r["domain"])
    leaves = [
        # name, issuer (None = self-signed), SANs ([] = no SAN), dates
        ("policy", "ca", policy_sans, None),
        ("policy-expired", "ca", ["mta-sts.example-certexpired.test"], "expired"),
        ("policy-cnonly", "ca", [], None),
        ("policy-untrusted", "rogue-ca", ["mta-sts.example-certuntrusted.test"], None),
        ("wrongname", "ca", ["www.other.test"], None),
        ("mx-valid", "ca", names(lambda r: r["mx"] in ("valid", "implicit"), mxname)
         + names(lambda r: r["policy"] == "enforce-v6dead", lambda r: "mxv6." + r["domain"]), None),
        ("mx-selfsigned", None, names(lambda r: r["mx"] == "selfsigned", mxname), None),
        ("mx-expired", "ca", names(lambda r: r["mx"] == "expired", mxname), "expired"),
        # the CNAME'd MX hosts' certificate also names the canonical host (harmless: RFC 8461
        # 4.1 checks the MX record's name, as Exim's certname does; tests/exim/lab-exim.sh
        # section 7 shows a certificate for the canonical host only is refused)
        ("mx-dane", "ca", names(lambda r: r["mx"] in DANE_LISTENER, mxname)
         + names(lambda r: r["mx"] == "dane-insecureaddr",
                 lambda r: "%s.%s" % (r["domain"].split(".")[0], INSECURE_MX_ZONE))
         + names(lambda r: r["mx"] == "dane-cname", lambda r: "mxhost." + r["domain"]), None),
        ("mx-danebad", "ca", names(lambda r: r["mx"] == "dane-mismatch", mxname), None),
        ("rsa12", "ca", names(lambda r: r["policy"] == "enforce-rsa12", lambda r: "mta-sts." + r["domain"])
         + names(lambda r: r["mx"] == "rsa12", mxname), None),
    ]
    procs = []
    for name, issuer, sans, dates in leaves:
        cn = sans[0] if sans else "mta-sts.example-certcnonly.test"
        key = ["-newkey", "rsa:2048", "-nodes"] if name in RSA12 else ec
        args = ["openssl", "req", *key, "-keyout", name + ".key", "-subj", "/CN=" + cn]
        if sans:
            args += ["-addext", "subjectAltName=" + ",".join("DNS:" + s for s in sans)]
        if issuer is None:
            args += ["-x509", "-days", "3650", "-out", name + ".pem"]
        else:
            args += ["-out", name + ".csr"]
        procs.append((name, issuer, dates, subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                                            stderr=subprocess.PIPE)))
    for name, issuer, dates, p in procs:
        if p.wait() != 0:
            sys.exit("openssl req %s: %s" % (name, p.stderr.read().decode()))
        if issuer is None:
            continue
        args = ["openssl", "ca", "-batch", "-notext", "-config", issuer + ".cnf",
                "-in", name + ".csr", "-out", name + ".pem"]
        if dates == "expired":
            args += ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"]
        run(*args)
    for name, issuer, _, _ in procs:
        leaf = open(name + ".pem").read()
        key = open(name + ".key").read()
        chain = leaf + (open(issuer + ".pem").read() if issuer else "")
        write("pki/%s.chain.pem" % name, chain)
        write("pki/%s.keychain.pem" % name, key + chain, 0o600)
    # TLSA 3 1 1 values: the DANE MX matches its own SPKI, the bad one gets the rogue CA's
    for name, src in (("mx-dane", "mx-dane.pem"), ("mx-danebad", "rogue-ca.pem")):
        pub = run("openssl", "x509", "-in", src, "-noout", "-pubkey")
        der = run("openssl", "pkey", "-pubin", "-outform", "DER", input=pub)
        write("pki/%s.tlsa" % name, hashlib.sha256(der).hexdigest() + "\n")
    # CA-only directory (sendmail CACertPath; pitfall I)
    os.makedirs("cadir", exist_ok=True)
    write("pki/cadir/ca.pem", open("ca.pem").read())
    run("openssl", "rehash", os.path.join(d, "cadir"))


# ---------------------------------------------------------------- DNS
def txt_records(r):
    k = r["txt"]
    good = '"v=STSv1; id=%s;"' % TXT_ID
    if k == "valid":
        return ["TXT " + good]
    if k == "none":
        return []
    if k == "two":
        return ["TXT " + good, 'TXT "v=STSv1; id=%sb;"' % TXT_ID]
    if k == "badid":
        return ['TXT "v=STSv1; id=2024-01-01;"']
    if k == "unrelated":
        return ["TXT " + good, 'TXT "site-verification=0123456789abcdef"']
    if k == "multistring":
        return ['TXT "v=STSv1; " "id=%s;"' % TXT_ID]
    if k.startswith("cname:"):
        return ["CNAME _mta-sts.%s." % k[6:]]
    sys.exit("unknown txt kind " + k)


def domain_records(r):
    """Records of one scenario domain, names relative to the domain (@ = domain)."""
    out = [("_mta-sts", rr) for rr in txt_records(r)]
    p = r["policy"]
    if p == "blackhole":
        out.append(("mta-sts", "A " + BLACKHOLE))
    elif p == "cnamehost":
        out.append(("mta-sts", "CNAME policyhost.test."))
    elif p in CLOSE_KINDS:
        out.append(("mta-sts", "A " + CLOSEHOST))
    elif p == "enforce-rsa12":
        out.append(("mta-sts", "A " + NGINX12))
    elif p == "enforce-v6dead":
        out.append(("mta-sts", "A " + NGINX))
        out.append(("mta-sts", "AAAA " + V6DEAD_POLICY))
        out.append(("mxv6", "A " + MX_ADDR["valid"]))
        out.append(("mxv6", "AAAA " + V6DEAD_MX))
    elif p == "enforce-aaaabogus":
        out.append(("mta-sts", "A " + NGINX))
        out.append(("mta-sts", "AAAA ::1"))
    elif p != "-":
        out.append(("mta-sts", "A " + NGINX))
    m = r["mx"]
    if m == "null":
        out.append(("@", "MX 0 ."))
    elif m == "implicit":
        out.append(("@", "A " + MX_ADDR["valid"]))
    else:
        out.append(("@", "MX 10 mx.%s." % r["domain"]))
        tlsa_at = "_25._tcp.mx"
        if m == "dane-insecureaddr":
            out.append(("mx", "CNAME %s.%s." % (r["domain"].split(".")[0], INSECURE_MX_ZONE)))
        elif m == "dane-cname":
            out.append(("mx", "CNAME mxhost.%s." % r["domain"]))
            out.append(("mxhost", "A " + listener(m)))
            tlsa_at = "_25._tcp.mxhost"
        else:
            out.append(("mx", "A " + listener(m)))
        if m.startswith("dane-"):
            h = open(os.path.join(L, "pki", "mx-dane%s.tlsa" % ("bad" if m == "dane-mismatch" else ""))).read().strip()
            out.append((tlsa_at, "TLSA 3 1 1 " + h))
    rua = {"mailto": "mailto:tlsrpt@{d}", "https": "https://mta-sts.{d}/tlsrpt",
           "both": "mailto:tlsrpt@{d},https://mta-sts.{d}/tlsrpt"}.get(r.get("tlsrpt", "mailto"))
    if rua is not None:
        out.append(("_smtp._tls", 'TXT "v=TLSRPTv1; rua=%s"' % rua.format(d=r["domain"])))
    return out


def soa(origin):
    return ("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60\n"
            "@ IN NS ns.test.\n" % origin)


def rr_lines(recs, domain, origin):
    lines = []
    for name, rr in recs:
        fq = domain if name == "@" else name + "." + domain
        rel = fq[: -len(origin) - 1] if fq != origin else "@"
        lines.append("%s IN %s" % (rel, rr))
    return "\n".join(lines) + "\n"


def tamper(zone, owner, rrtype):
    """Change the RDATA of owner's rrtype RR in a signed zone text (one RR)."""
    out, done = [], False
    for line in zone.split("\n"):
        f = line.split()
        if not done and len(f) >= 5 and f[0] == owner and f[3] == rrtype:
            rd = {"A": "127.0.44.99", "AAAA": "::2"}.get(rrtype)
            if rd is None:  # TLSA: flip the last hex digit of the data
                rd = " ".join(f[4:-1] + [f[-1][:-1] + ("0" if f[-1][-1] != "0" else "1")])
            line = "\t".join(f[:4] + [rd])
            done = True
        out.append(line)
    assert done, "tamper failed: %s %s" % (owner, rrtype)
    return "\n".join(out)


def dns():
    d = os.path.join(L, "dns")
    os.makedirs(d, exist_ok=True)
    os.chdir(d)
    parent = soa("test") + "ns IN A %s\npolicyhost IN A %s\n" % (NSD, NGINX)
    children = []
    for r in ROWS:
        dom = r["domain"]
        recs = domain_records(r)
        if r["dnssec"] != "secure":  # its own child zone (NSD serves it too)
            children.append((r, recs))
            parent += "%s IN NS ns.test.\n" % dom[: -len(".test")]
        else:
            parent += rr_lines(recs, dom, "test")
    keys = {}

    def keygen(zone):
        k = run("ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone).decode().strip()
        keys[zone] = k
        return k

    zones = ["test"]
    for r, recs in children:
        dom = r["domain"]
        zones.append(dom)
        write("dns/%s.zone" % dom, soa(dom) + rr_lines(recs, dom, dom))
        if r["dnssec"] == "insecure":
            os.rename("%s.zone" % dom, "%s.zone.signed" % dom)
            continue
        k = keygen(dom)
        args = ["ldns-signzone", "-f", dom + ".zone.signed"]
        if "expiredsig" in dom:  # bogus by expired signatures
            args += ["-i", "20200101000000", "-e", "20200201000000"]
        else:
            args += ["-i", "20200101000000", "-e", "20380101000000"]
        run(*args, dom + ".zone", k)
        parent += run("ldns-key2ds", "-n", "-2", k + ".key").decode()
        if r["dnssec"] == "bogus" and "expiredsig" not in dom:
            # tamper after signing: the RRSIG no longer verifies
            z = open(dom + ".zone.signed").read()
            z2 = z.replace("id=%s;" % TXT_ID, "id=TAMPERED;", 1)
            assert z2 != z, "tamper failed"
            write("dns/%s.zone.signed" % dom, z2)
    # an unsigned child zone (no DS) with the addresses of the dane-insecureaddr MX hosts
    ins = [r for r in ROWS if r["mx"] == "dane-insecureaddr"]
    if ins:
        zones.append(INSECURE_MX_ZONE)
        parent += "%s IN NS ns.test.\n" % INSECURE_MX_ZONE[: -len(".test")]
        write("dns/%s.zone.signed" % INSECURE_MX_ZONE, soa(INSECURE_MX_ZONE) + "".join(
            "%s IN A %s\n" % (r["domain"].split(".")[0], listener(r["mx"])) for r in ins))
    write("dns/test.zone", parent)
    k = keygen("test")
    run("ldns-signzone", "-i", "20200101000000", "-e", "20380101000000", "-f", "test.zone.signed", "test.zone", k)
    # single RRsets tampered after signing (their RRSIG no longer verifies; the rest stays secure)
    z = open("test.zone.signed").read()
    for r in ROWS:
        dom = r["domain"]
        if r["policy"] in ADDR_BOGUS:
            z = tamper(z, "mta-sts.%s." % dom, ADDR_BOGUS[r["policy"]])
        if r["mx"] == "dane-bogus":
            z = tamper(z, "_25._tcp.mx.%s." % dom, "TLSA")
    write("dns/test.zone.signed", z)
    write("dns/test.ta", run("ldns-key2ds", "-n", "-2", k + ".key").decode())

    zcfg = "".join('zone:\n\tname: "%s."\n\tzonefile: "%s.zone.signed"\n' % (z, z) for z in zones)
    write("dns/nsd.conf", """server:
	ip-address: {nsd}
	port: 53
	ip4-only: yes
	username: ""
	chroot: ""
	database: ""
	zonesdir: "{L}/dns"
	pidfile: "{L}/run/nsd.pid"
	xfrdfile: "{L}/dns/xfrd.state"
	zonelistfile: "{L}/dns/zone.list"
	xfrdir: "{L}/dns"
	logfile: "{L}/log/nsd.log"
	server-count: 1
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: no
{zcfg}""".format(nsd=NSD, L=L, zcfg=zcfg))
    common = """	do-not-query-localhost: no
	local-zone: "test." nodefault
	trust-anchor-file: "{L}/dns/test.ta"
	val-log-level: 2
	do-ip6: no
""".format(L=L)
    stub = 'stub-zone:\n\tname: "test."\n\tstub-addr: %s\n' % NSD
    write("dns/unbound.conf", """server:
	interface: {ub}
	port: 53
	username: ""
	chroot: ""
	directory: "{L}/dns"
	pidfile: "{L}/run/unbound.pid"
	do-daemonize: no
	use-syslog: no
	logfile: ""
	verbosity: 1
	num-threads: 1
	so-reuseport: no
	access-control: 127.0.0.0/8 allow
	val-bogus-ttl: 5
	cache-max-negative-ttl: 5
{common}remote-control:
	control-enable: no
{stub}""".format(ub=UNBOUND, L=L, common=common, stub=stub))
    # the libunbound config for ub_ctx_config() (LAB_UNBOUND_CONF)
    write("dns/libunbound.conf", "server:\n" + common + stub)


# ---------------------------------------------------------------- configs
def policy_body(r, eol="\r\n"):
    p = r["policy"]
    mode = {"testing": "testing", "none": "none"}.get(p, "enforce")
    lines = ["version: STSv1", "mode: " + mode]
    if r["policy_mx"] != "-":
        lines += ["mx: " + m.replace("{d}", r["domain"]) for m in r["policy_mx"].split(",")]
    lines.append("max_age: 86400")
    if p == "invalid":
        lines = ["version: STSv1", "mode: Enforce", "max_age: forever", "mx mx." + r["domain"]]
    body = eol.join(lines) + eol
    if p in ("big-cl", "big-chunked"):
        pad = "x-padding: " + "p" * 100 + eol
        body += pad * (70000 // len(pad) + 1)  # > 64 KiB (RFC 8461 3.2 suggests that cap)
    return body


def nginx():
    www = os.path.join(L, "https", "www")
    special = []
    for r in ROWS:
        dom, p = r["domain"], r["policy"]
        if p in ("-", "blackhole"):
            continue
        write("https/www/%s/.well-known/mta-sts.txt" % dom,
              policy_body(r, "\n" if p == "enforce-lf" else "\r\n"))
        if p in CLOSE_KINDS:  # served by lib/closehost.py, not nginx
            write("https/www/%s/.kind" % dom, p + "\n")
            continue
        if p == "enforce-rsa12":
            special.append("""	server {{
		listen {ip}:443 ssl;
		server_name mta-sts.{dom};
		ssl_protocols TLSv1.2;
		ssl_prefer_server_ciphers on;
		ssl_certificate {L}/pki/rsa12.chain.pem;
		ssl_certificate_key {L}/pki/rsa12.key;
		root {www}/{dom};
		location / {{ return 404; }}
		location = /.well-known/mta-sts.txt {{ }}
	}}
""".format(ip=NGINX12, dom=dom, L=L, www=www))
            continue
        loc = {
            "redirect": "return 301 https://mta-sts.example-enforce.test/.well-known/mta-sts.txt;",
            "404": "return 404;",
            "500": "return 500;",
            "html": "default_type text/html;",
            "big-chunked": "ssi on; ssi_types text/plain;",
            "slow": "limit_rate 8;",
        }.get(p)
        cert = CERT_VHOST.get(p)
        if loc is None and cert is None:
            continue
        cert = cert or "policy"
        special.append("""	server {{
		listen {ip}:443 ssl;
		server_name mta-sts.{dom};
		ssl_certificate {L}/pki/{cert}.chain.pem;
		ssl_certificate_key {L}/pki/{cert}.key;
		root {www}/{dom};
		location / {{ return 404; }}
		location = /.well-known/mta-sts.txt {{ {loc} }}
	}}
""".format(ip=NGINX, dom=dom, L=L, cert=cert, www=www, loc=loc or ""))
    tmp = "".join("\t%s_temp_path %s/https/tmp/%s;\n" % (t, L, t)
                  for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    write("https/nginx.conf", """worker_processes 1;
pid {L}/run/nginx.pid;
error_log {L}/log/nginx-error.log;
events {{ worker_connections 256; }}
http {{
	access_log {L}/log/nginx-access.log;
{tmp}	types {{ }}
	default_type text/plain;
	sendfile on;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {{
		listen {ip}:443 ssl default_server;
		server_name _;
		ssl_certificate {L}/pki/wrongname.chain.pem;
		ssl_certificate_key {L}/pki/wrongname.key;
		return 421;
	}}
	server {{
		listen {ip}:443 ssl;
		server_name ~^mta-sts\\.(?<dom>.+)$;
		ssl_certificate {L}/pki/policy.chain.pem;
		ssl_certificate_key {L}/pki/policy.key;
		root {www}/$dom;
		location / {{ return 404; }}
		location = /.well-known/mta-sts.txt {{ }}
		# rua=https: TLS reports (RFC 8460 5.4), for a receiver that
		# a test starts (tests/tlsrpt/lab-tlsrpt.sh); 502 without it
		location = /tlsrpt {{ proxy_pass http://127.0.0.1:8465; }}
	}}
{special}}}
""".format(L=L, tmp=tmp, ip=NGINX, www=www, special="".join(special)))
    os.makedirs(os.path.join(L, "https", "tmp"), exist_ok=True)


MASTER_COMMON = """pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def main_common(inst, home=None, logdir=None):
    # home: the instance's directory (queue/, data/), logdir: where its maillog
    # goes, both as the Postfix processes see them (pf310 runs in a chroot)
    home = home or "%s/%s" % (L, inst)
    logdir = logdir or L + "/log"
    return """# generated by tests/lab/lib/gen.py -- lab instance "{inst}"
compatibility_level = 3.6
queue_directory = {home}/queue
data_directory = {home}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = {logdir}/{inst}-maillog
maillog_file_prefixes = {logdir}
alias_maps =
alias_database =
mydestination =
biff = no
smtputf8_enable = no
smtpd_banner = $myhostname ESMTP lab-{inst}
delay_warning_time = 0
""".format(home=home, logdir=logdir, inst=inst)


def postfix():
    # MX farm: one listener per certificate case, every mail into one Maildir.
    ml = []
    for kind, addr in MX_ADDR.items():
        c = MX_CERT[kind]
        opt = ("-o smtpd_tls_security_level=none" if c is None
               else "-o smtpd_tls_chain_files=%s/pki/%s.keychain.pem" % (L, c))
        if kind == "rsa12":
            opt += " -o smtpd_tls_protocols=<=TLSv1.2 -o tls_preempt_cipherlist=yes"
        ml.append("%s:25 inet n - n - - smtpd -o syslog_name=mx-%s %s\n" % (addr, kind, opt))
    write("mx/etc/master.cf", "".join(ml) + MASTER_COMMON)
    write("mx/etc/main.cf", main_common("mx") + """myhostname = mx.lab.test
inet_interfaces = {ifs}
virtual_mailbox_domains = static:ALL
virtual_mailbox_base = {L}/mail
virtual_mailbox_maps = static:sink/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_mailbox_limit = 0
message_size_limit = 10240000
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
""".format(ifs=", ".join(MX_ADDR.values()), L=L))
    # out: the submitting MTA; the admin-facing lines come from etc/examples/postfix-main.cf
    write("out/etc/master.cf", "%s:25 inet n - n - - smtpd\n" % OUT_ADDR + MASTER_COMMON)
    write("out/etc/main.cf", main_common("out") + submitter("out", OUT_ADDR, L + "/pki/ca.pem"))


def submitter(name, addr, ca):
    """main.cf lines of a submitting Postfix (out, pf310): relays by MX with
    the admin-facing lines of etc/examples/postfix-main.cf, CA substituted."""
    snippet = open(os.path.join(REPO, "etc", "examples", "postfix-main.cf"), encoding="utf-8").read()
    snippet = snippet.replace("/etc/ssl/certs/ca-certificates.crt", ca)
    return """myhostname = {name}.lab.test
inet_interfaces = {addr}
relayhost =
smtp_tls_loglevel = 1
smtpd_tls_security_level = none
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
maximal_backoff_time = 60s
minimal_backoff_time = 10s
queue_run_delay = 10s
# ---- etc/examples/postfix-main.cf (lab CA substituted) ----
{snippet}""".format(name=name, addr=addr, snippet=snippet)


def pf310():
    # Debian 13's Postfix 3.10 (tests/lab/postfix310): runs chrooted in the
    # Debian 13 root, where $L/pf310 is /lab and $L/log is /lab/log.
    write("pf310/etc/master.cf", "%s:25 inet n - n - - smtpd\n" % PF310_ADDR + MASTER_COMMON)
    write("pf310/etc/main.cf", main_common("pf310", "/lab", "/lab/log")
          + submitter("pf310", PF310_ADDR, "/lab/etc/ca.pem"))


def etc():
    write("etc/resolv.conf", "nameserver %s\noptions trust-ad edns0 timeout:2 attempts:2\n" % UNBOUND)
    write("etc/hosts", "127.0.0.1\tlocalhost\n%s\tout.lab.test\n%s\tsendmail.lab.test sendmail\n" % (OUT_ADDR, SM_ADDR))
    write("etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
          "networks: files\nprotocols: files\nservices: files\n")


if PHASE == "pki":
    pki()
elif PHASE == "dns":
    dns()
elif PHASE == "conf":
    nginx()
    postfix()
    etc()
elif PHASE == "pf310":
    pf310()
else:
    sys.exit("usage: gen.py pki|dns|conf|pf310 LABDIR SRCDIR")
