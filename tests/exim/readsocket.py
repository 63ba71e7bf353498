#!/usr/bin/python3
"""tests/exim/readsocket.py HOST PORT REQUEST... - ask the Exim listener
the way Exim's ${readsocket} does: connect, write the request (no
framing), shut down the write side, read until the server closes.  One
connection per REQUEST (sequential); prints each reply, and with -t the
milliseconds it took on stderr.  "\\n", "\\r" and "\\0" in REQUEST are
unescaped."""
import socket
import sys
import time


def ask(host, port, req, timeout=10.0):
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.sendall(req)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out


def main():
    args = sys.argv[1:]
    timing = False
    if args and args[0] == "-t":
        timing = True
        args = args[1:]
    host, port = args[0], args[1]
    for r in args[2:]:
        req = r.replace("\\n", "\n").replace("\\r", "\r").replace("\\0", "\0").encode("latin-1")
        t0 = time.monotonic()
        out = ask(host, port, req)
        if timing:
            sys.stderr.write("%d\n" % int((time.monotonic() - t0) * 1000))
        sys.stdout.write(out.decode("latin-1"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
