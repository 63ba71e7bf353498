#!/bin/sh
# pf310-init.sh ROOT LABDIR CMD...: runs inside `inlab` (the lab's netns and a
# private mount namespace), for tests/lab/postfix310.  Mounts, in this namespace
# only, the instance's Postfix directory on ROOT/lab, the lab's log directory on
# ROOT/lab/log and the lab's resolv.conf, hosts and nsswitch.conf over the root's
# (the root of tests/deb13/chroot has empty files there to mount on), then execs
# CMD chrooted into ROOT with MAIL_CONFIG=/lab/etc.  The cached root is never
# written: everything Postfix writes is under LABDIR.
R=$1 L=$2
shift 2
mount --bind "$L/pf310" "$R/lab" && mount --bind "$L/log" "$R/lab/log" || exit 125
for f in resolv.conf hosts nsswitch.conf; do
	mount --bind "$L/etc/$f" "$R/etc/$f" || exit 125
done
exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	MAIL_CONFIG=/lab/etc "$@"
