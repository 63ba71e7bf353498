#!/bin/sh
# Runs inside `inlab unshare -u`: private UTS + mount namespace for Exim.
# Exim's user (Debian-exim, compiled into Debian's binary) exists only
# here: the lab's passwd/group (the host's plus that user) are bind-
# mounted over /etc/passwd and /etc/group in this namespace alone.  A
# dotted hostname, as for sendmail.  Then exec Exim.
EX=$1
shift
hostname exim.lab.test || exit 125
mount --bind "$EX/sys/passwd" /etc/passwd &&
	mount --bind "$EX/sys/group" /etc/group || exit 125
exec "$@"
