#!/usr/bin/python3
"""wait.py DEADLINE_S SPEC...: wait until every service is ready; exit 1 naming the laggards.
SPEC: tcp:ADDR:PORT (accepts a connection; for SMTP also the 220 greeting: smtp:ADDR:PORT)
      dns:ADDR (answers "test. SOA" with the AD flag, i.e. validated)"""
import concurrent.futures
import os
import socket
import struct
import sys
import threading
import time


def tcp(addr, port, greet=False):
    try:
        with socket.create_connection((addr, int(port)), timeout=0.5) as s:
            if greet:
                return s.recv(512).startswith(b"220")
            return True
    except OSError:
        return False


def dns(addr):
    q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 1)  # RD
    q += b"\x04test\x00" + struct.pack(">HH", 6, 1)
    q += b"\x00" + struct.pack(">HHIH", 41, 1232, 0x8000, 0)  # OPT with DO
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.3)
            s.sendto(q, (addr, 53))
            r = s.recv(4096)
    except OSError:
        return False
    flags = struct.unpack(">H", r[2:4])[0]
    return r[:2] == b"\x42\x42" and flags & 0x000F == 0 and flags & 0x0020 != 0


def ready(spec):
    kind, _, rest = spec.partition(":")
    if kind == "dns":
        return dns(rest)
    addr, _, port = rest.rpartition(":")
    return tcp(addr, port, kind == "smtp")


T0 = time.monotonic()
LOCK = threading.Lock()
VERBOSE = os.environ.get("WAIT_VERBOSE") == "1"


def poll(spec, deadline):
    while not ready(spec):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    if VERBOSE:
        with LOCK:
            print("    %-32s ready after %5d ms" % (spec, (time.monotonic() - T0) * 1000), flush=True)
    return True


# every service in its own thread: Postfix spawns one smtpd per listener on first contact
deadline = time.monotonic() + float(sys.argv[1])
specs = sys.argv[2:]
with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(specs))) as ex:
    results = list(ex.map(lambda s: poll(s, deadline), specs))
late = [s for s, r in zip(specs, results) if not r]
if late:
    print("not ready: " + " ".join(late), file=sys.stderr)
    sys.exit(1)
