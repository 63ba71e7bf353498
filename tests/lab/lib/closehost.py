#!/usr/bin/python3
"""A policy host whose response has neither Content-Length nor chunked framing
(a read-until-close body, RFC 9112 section 6.3 rule 8) and whose TLS closure the
lab controls, which nginx cannot do.

Usage: closehost.py ADDR PORT CERTCHAIN KEY DOCROOT

Per SNI name (mta-sts.<domain>), by the first label of <domain>'s policy kind in
the docroot's ".kind" file (written by gen.py):
  closenotify  body, then a TLS close_notify alert, then TCP close: complete
  truncated    body, then a bare TCP close (FIN) without close_notify: a
               client cannot tell this from an on-path attacker cutting the
               body (RFC 9112 section 9.8), so it must not accept it
Only Debian's python3 standard library (ssl module).
"""
import os
import socket
import ssl
import sys
import threading
import time

ADDR, PORT, CHAIN, KEY, ROOT = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(CHAIN, KEY)
names = {}


def sni(sock, name, _ctx):
    names[id(sock)] = (name or "").lower()


ctx.sni_callback = sni


def serve(raw):
    raw.settimeout(10)
    try:
        s = ctx.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError):
        raw.close()
        return
    try:
        host = names.pop(id(s), "")
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 8192:
            d = s.recv(4096)
            if not d:
                break
            req += d
        dom = host[len("mta-sts."):] if host.startswith("mta-sts.") else ""
        path = os.path.join(ROOT, dom, ".well-known", "mta-sts.txt")
        try:
            kind = open(os.path.join(ROOT, dom, ".kind")).read().strip()
            body = open(path, "rb").read()
        except OSError:
            s.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            s.unwrap()
            s.close()
            return
        # no Content-Length, no Transfer-Encoding: the body ends at the close
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" + body)
        if kind == "closenotify":
            try:
                s.unwrap().close()  # sends close_notify, then TCP close
            except (OSError, ssl.SSLError):
                s.close()
        else:
            # a bare FIN under the TLS layer (a duplicate of the fd, so
            # that nothing of Python's ssl can send an alert first); the
            # socket can send nothing after it
            d = socket.socket(fileno=os.dup(s.fileno()))
            d.shutdown(socket.SHUT_RDWR)
            d.close()
            time.sleep(1)
            s.close()
    except (OSError, ssl.SSLError):
        pass


ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((ADDR, PORT))
ls.listen(64)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
