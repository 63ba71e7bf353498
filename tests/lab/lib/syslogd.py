#!/usr/bin/python3
"""syslogd.py SOCKET LOGFILE: a minimal syslog sink on a unix datagram socket (sendmail's /dev/log)."""
import os
import re
import socket
import sys
import time

path, logfile = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(logfile, "ab", buffering=0) as out:
    while True:
        msg = s.recv(65536)
        msg = re.sub(rb"^<\d+>", b"", msg).rstrip(b"\n\0")
        out.write(time.strftime("%H:%M:%S ").encode() + msg + b"\n")
