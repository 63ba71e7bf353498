#!/usr/bin/python3
"""smq.py HOST:PORT NAME KEY...: socketmap (netstring) client; prints one reply per key."""
import socket
import sys

host, _, port = sys.argv[1].rpartition(":")
s = socket.create_connection((host, int(port)), timeout=10)
f = s.makefile("rb")
for key in sys.argv[3:]:
    q = ("%s %s" % (sys.argv[2], key)).encode()
    s.sendall(b"%d:%s," % (len(q), q))
    n = b""
    while not n.endswith(b":"):
        c = f.read(1)
        if not c:
            sys.exit("connection closed")
        n += c
    data = f.read(int(n[:-1]))
    f.read(1)
    print("%s\t%s" % (key, data.decode(errors="replace")))
