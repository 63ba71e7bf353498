#!/usr/bin/python3
"""fleet-ask.py N ADDR[,ADDR...] KEY[,KEY...]: N socketmap lookups ("postfix KEY"),
all at once (one thread and one connection each), lookup i going to ADDR i mod
len(ADDRS) and KEY i mod len(KEYS).  Prints one line per lookup,
ADDR<TAB>KEY<TAB>REPLY<TAB>MS, where REPLY is the netstring payload or
"(error: ...)" (closed, timed out, not a netstring) (tests/engine/lab-fleet.sh)."""
import socket
import sys
import threading
import time

TIMEOUT = 20


def ask(addr, key):
    host, _, port = addr.rpartition(":")
    try:
        s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except OSError as e:
        return "(error: connect: %s)" % e
    try:
        q = ("postfix %s" % key).encode()
        s.sendall(b"%d:%s," % (len(q), q))
        buf = b""
        while True:
            head, sep, rest = buf.partition(b":")
            if sep:
                if not head.isdigit() or len(head) > 6:
                    return "(error: not a netstring)"
                n = int(head)
                if len(rest) >= n + 1:
                    if rest[n:n + 1] != b",":
                        return "(error: missing comma)"
                    return rest[:n].decode(errors="replace")
            c = s.recv(65536)
            if not c:
                return "(error: closed)"
            buf += c
    except OSError as e:
        return "(error: %s)" % e
    finally:
        s.close()


def main():
    n = int(sys.argv[1])
    addrs = sys.argv[2].split(",")
    keys = sys.argv[3].split(",")
    out = [None] * n
    go = threading.Event()

    def one(i):
        a, k = addrs[i % len(addrs)], keys[i % len(keys)]
        go.wait()
        t0 = time.monotonic()
        r = ask(a, k)
        out[i] = "%s\t%s\t%s\t%d" % (a, k, r, (time.monotonic() - t0) * 1000)

    threading.stack_size(256 * 1024)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    go.set()
    for t in ts:
        t.join()
    sys.stdout.write("".join(line + "\n" for line in out))


main()
