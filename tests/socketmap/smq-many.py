#!/usr/bin/python3
"""smq-many.py NAME HOST:PORT[,HOST:PORT...] KEY...: ask every server about
every key, each key on its own connection, all keys at once (threads), and
print one line per key: KEY<TAB>REPLY1<TAB>REPLY2...  A reply is the
netstring payload, or "(error: ...)" when the server closed, timed out or
sent something that is not a netstring (issue [socketmap] lab tests)."""
import socket
import sys
import threading

TIMEOUT = 20


def ask(addr, name, key):
    host, _, port = addr.rpartition(":")
    try:
        s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except OSError as e:
        return "(error: connect: %s)" % e
    try:
        q = ("%s %s" % (name, key)).encode()
        s.sendall(b"%d:%s," % (len(q), q))
        buf = b""
        while True:
            head, sep, rest = buf.partition(b":")
            if sep:
                if not head.isdigit() or len(head) > 6:
                    return "(error: not a netstring: %r)" % buf[:40]
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
    name, addrs, keys = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
    out = {}

    def one(k):
        out[k] = [ask(a, name, k) for a in addrs]

    ts = [threading.Thread(target=one, args=(k,)) for k in keys]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for k in keys:
        print("\t".join([k] + out[k]))


main()
