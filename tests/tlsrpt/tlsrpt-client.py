#!/usr/bin/python3
"""tests/tlsrpt/tlsrpt-client.py - send libtlsrpt datagrams, byte for byte
as libtlsrpt 0.5.x (sys4/libtlsrpt, libtlsrpt.c) writes them: what Postfix
3.10 with smtp_tlsrpt_enable = yes sends to its collector socket.  Debian 12
has no libtlsrpt, so the lab test uses this; tests/tlsrpt/client-format.sh
checks its bytes against datagrams captured from the real library
(tests/data/tlsrpt-dgram-*.json).

usage: tlsrpt-client.py SPEC.json --send SOCKET    send every request
       tlsrpt-client.py SPEC.json --print N        datagram N (1-based) to stdout
       (--send0 / --print0: as libtlsrpt 0.5.0rc1 writes them, without "dpv")
       tlsrpt-client.py --raw TEXT --send SOCKET   send TEXT as it is

SPEC is a JSON list of delivery requests, each the arguments of the
library calls in order:
  {"d": DOMAIN, "pr": RECORD, "policies": [
     {"type": 1|2|9, "domain": POLICY-DOMAIN or null,
      "strings": [...], "mx": [...],            (tlsrpt_add_policy_string / _mx_host_pattern)
      "failures": [{"c": CODE, "s":..,"n":..,"h":..,"r":..,"a":..,"f":..}],  (null/absent = NULL)
      "final": 0|1}]}                           (tlsrpt_finish_policy)
"""
import json
import socket
import sys


def esc(s):
    # libtlsrpt's json-escape-initializer-list.c, byte by byte
    out = bytearray()
    for b in s.encode("utf-8"):
        if b == 0x22:
            out += b'\\"'
        elif b == 0x5c:
            out += b"\\\\"
        elif b in (8, 9, 10, 12, 13):
            out += {8: b"\\b", 9: b"\\t", 10: b"\\n", 12: b"\\f", 13: b"\\r"}[b]
        elif b < 0x20 or b == 0x7f:
            out += b"\\u%04x" % b
        else:
            out.append(b)
    return bytes(out)


def attr(name, value, first=False):
    # write_first_attribute / write_attribute: "name": "value"
    return (b"" if first else b",") + b'"' + name.encode() + b'": "' + esc(value) + b'"'


def datagram(req, dpv=True):
    # libtlsrpt >= 0.5.0 writes "dpv" first; 0.5.0rc1 (Debian 13) has no dpv
    out = b"{" + (attr("dpv", "1", True) + attr("d", req["d"]) if dpv else attr("d", req["d"], True))
    out += attr("pr", req["pr"])
    for i, p in enumerate(req["policies"]):
        out += b',"policies":[{' if i == 0 else b",{"
        out += b'"policy-type":%d' % p["type"]
        if p.get("domain") is not None:
            out += attr("policy-domain", p["domain"])
        ps = b",".join(b'"' + esc(s) + b'"' for s in p.get("strings", []))
        mx = b",".join(b'"' + esc(s) + b'"' for s in p.get("mx", []))
        fds = []
        for f in p.get("failures", []):
            fd = b'{"c":%d' % f["c"]
            for k in ("s", "n", "h", "r", "a", "f"):
                if f.get(k) is not None:
                    fd += attr(k, f[k])
            fds.append(fd + b"}")
        if ps:
            out += b',"policy-string":[' + ps + b"]"
        if mx:
            out += b',"mx-host":[' + mx + b"]"
        if fds:
            out += b',"failure-details":[' + b",".join(fds) + b"]"
        out += b',"t":%d,"f":%d}' % (len(fds), p["final"])
    if req["policies"]:
        out += b"]"
    return out + b"}"


def send(sock_path, payloads):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for d in payloads:
        s.sendto(d, sock_path)
    s.close()


def main(argv):
    if len(argv) == 5 and argv[1] == "--raw" and argv[3] == "--send":
        send(argv[4], [argv[2].encode()])
        return 0
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 64
    with open(argv[1], encoding="utf-8") as f:
        reqs = json.load(f)
    if argv[2] in ("--print", "--print0"):
        sys.stdout.buffer.write(datagram(reqs[int(argv[3]) - 1], argv[2] == "--print"))
        return 0
    if argv[2] in ("--send", "--send0"):
        send(argv[3], [datagram(r, argv[2] == "--send") for r in reqs])
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
