#!/usr/bin/python3
"""tests/exim/flood.py HOST PORT N MODE HOLD - misbehaving clients of the
Exim listener, while a well-behaved one asks "sts DOMAIN" every 100 ms.
MODE: slow   N connections each send one byte per second of a request
             and never finish it;
      idle   N connections connect and send nothing;
      long   N connections each send 100 KiB without a newline.
After HOLD seconds prints one line:
  good=<answered>/<asked> max_ms=<slowest good answer> closed=<misbehaving
  connections the server had closed> replies=<of those, with a reply line>
The good client's domain is the environment variable GOOD (default
example-enforce.test)."""
import os
import select
import socket
import sys
import time

host, port, n, mode, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
good = os.environ.get("GOOD", "example-enforce.test")
socks = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=5)
    s.setblocking(False)
    socks.append(s)
state = {s: {"sent": 0, "closed": False, "reply": b""} for s in socks}
req = b"sts " + good.encode()
t_end = time.monotonic() + hold
next_byte = time.monotonic()
next_good = time.monotonic()
asked = answered = 0
max_ms = 0
if mode == "long":
    for s in socks:
        try:
            s.sendall(b"x" * 100 * 1024)
        except OSError:
            pass
while time.monotonic() < t_end:
    now = time.monotonic()
    if mode == "slow" and now >= next_byte:
        next_byte = now + 1.0
        for s in socks:
            st = state[s]
            if not st["closed"]:
                try:
                    s.send(req[st["sent"] % len(req):][:1])
                    st["sent"] += 1
                except OSError:
                    st["closed"] = True
    if now >= next_good:
        next_good = now + 0.1
        asked += 1
        t0 = time.monotonic()
        try:
            g = socket.create_connection((host, port), timeout=5)
            g.sendall(req)
            g.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                b = g.recv(4096)
                if not b:
                    break
                out += b
            g.close()
            if out.startswith(b"action=secure"):
                answered += 1
            ms = int((time.monotonic() - t0) * 1000)
            max_ms = max(max_ms, ms)
        except OSError:
            max_ms = max(max_ms, 5000)
    r, _, _ = select.select([s for s in socks if not state[s]["closed"]], [], [], 0.02)
    for s in r:
        try:
            b = s.recv(4096)
        except OSError:
            b = b""
        if b:
            state[s]["reply"] += b
        else:
            state[s]["closed"] = True
closed = sum(1 for s in socks if state[s]["closed"])
replies = sum(1 for s in socks if state[s]["reply"].endswith(b"\n"))
print("good=%d/%d max_ms=%d closed=%d replies=%d" % (answered, asked, max_ms, closed, replies))
