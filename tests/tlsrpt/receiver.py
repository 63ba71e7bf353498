#!/usr/bin/python3
"""tests/tlsrpt/receiver.py DIR [PORT] - a TLS-report HTTPS endpoint for the
lab (RFC 8460 section 5.4): nginx terminates TLS for
https://mta-sts.<domain>/tlsrpt and proxies here (tests/lab/lib/gen.py).
Each POST is stored as DIR/post-N.body with its request line and headers in
DIR/post-N.head; the answer is 201.  Runs until killed."""
import http.server
import os
import sys

DIR = sys.argv[1]
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8465
COUNT = [0]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if 0 <= n <= 20 * 1024 * 1024 else b""
        COUNT[0] += 1
        base = os.path.join(DIR, "post-%d" % COUNT[0])
        with open(base + ".head", "w") as f:
            f.write(self.requestline + "\n" + str(self.headers))
        with open(base + ".body.tmp", "wb") as f:
            f.write(body)
        os.rename(base + ".body.tmp", base + ".body")
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), H).serve_forever()
