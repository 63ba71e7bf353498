#!/usr/bin/python3
"""A TCP listener that completes handshakes (kernel backlog) but never accept()s or speaks."""
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(512)
while True:
    time.sleep(3600)
