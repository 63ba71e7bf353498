#!/usr/bin/python3
"""tests/deb/smq.py - one socketmap request (netstrings, as Postfix and
sendmail send them): smq.py SPEC NAME KEY prints the reply.

SPEC is a milter-style socket spec: inet:PORT@HOST, inet6:PORT@HOST,
unix:/path.  Exits non-zero when the server closes or times out.
"""
import socket
import sys
import time


def main():
    spec, name, key = sys.argv[1:4]
    if spec.startswith(("unix:", "local:")):
        fam, addr = socket.AF_UNIX, spec.split(":", 1)[1]
    else:
        port, host = spec.split(":", 1)[1].split("@")
        fam = socket.AF_INET6 if spec.startswith("inet6") else socket.AF_INET
        addr = (host, int(port))
    for _ in range(50):
        s = socket.socket(fam)
        try:
            s.connect(addr)
            break
        except OSError:
            s.close()
            time.sleep(0.1)
    else:
        sys.exit("cannot connect to %s" % spec)
    s.settimeout(10)
    q = ("%s %s" % (name, key)).encode()
    s.sendall(b"%d:%s," % (len(q), q))
    buf = b""
    while True:
        head, colon, rest = buf.partition(b":")
        if colon and len(rest) > int(head):
            break
        d = s.recv(4096)
        if not d:
            sys.exit("connection closed after %r" % buf)
        buf += d
    print(rest[: int(head)].decode())


if __name__ == "__main__":
    main()
