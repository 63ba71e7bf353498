#!/bin/sh
# Runs inside `inlab unshare -u`: private UTS + mount namespace for sendmail.
# A dotted hostname avoids sendmail's 60 s "unqualified host name" stall (LAB.md S3 A);
# a private /dev whose log is the lab's syslog sink (S3 E).  Then exec sendmail.
L=$1
shift
hostname sendmail.lab.test || exit 125
mount -t tmpfs -o mode=755 labdev /dev || exit 125
mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
	mknod -m 666 /dev/random c 1 8 && mknod -m 666 /dev/urandom c 1 9 &&
	mknod -m 666 /dev/tty c 5 0 || exit 125
ln -s /proc/self/fd /dev/fd
ln -s "$L/sendmail/log.sock" /dev/log
exec "$@"
