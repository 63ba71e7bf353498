#!/bin/sh
# tests/deb/test-deb.sh - build, lint, install, run and purge the Debian
# package (issue [deb]).  CI runs it as root on a Debian 12 machine; it is
# not part of `make check`.  TAP output, one line per check.
#
#  1. A clean copy of the source (`git archive HEAD`, or the tarball named
#     by $MTS_DEB_TARBALL, e.g. from `make dist`) is built with
#     `dpkg-buildpackage -us -uc -b` as an unprivileged user inside a
#     network namespace with nothing but loopback (up, as on a buildd):
#     the build, including dh_auto_test (`make check`), needs neither
#     root nor the network.
#  2. lintian on the result: any E: or W: line fails.
#  3. `apt-get install ./mta-sts-milter_*.deb` (and once more: the upgrade
#     path); the user, the conffiles, the man pages; systemd-analyze verify
#     and security (exposure at most 2.0) on the installed unit.
#  4. The daemon is started the way the systemd unit would start it (CI has
#     no systemd): the unit's ExecStartPre and ExecStart lines, as the
#     unit's User/Group, with the unit's RuntimeDirectory/StateDirectory
#     created first, inside a fresh network namespace with only lo up, so
#     no DNS query or fetch can leave the machine (they fail at once).
#     A miltertest session (tests/deb/smoke.lua) and socketmap queries are
#     made; ExecReload is sent; SIGTERM stops it.  Under strace, so that
#     tests/deb/syscalls.py can check every system call against the unit's
#     SystemCallFilter= (which nothing enforces here).  Then README.Debian's
#     Postfix-chroot recipe: a unix socket in /var/spool/postfix, used by
#     the postfix user as a member of the daemon's group.
#  5. `apt-get purge`, then nothing of ours may remain: files in /etc,
#     /var, /run, /usr, /lib, the enablement symlinks, the user and group.
#
# Environment: MTS_DEB_TARBALL (build this tarball instead of git HEAD),
# MTS_DEB_KEEP=1 (keep the work directory), MTS_DEB_BUILDER (the user that
# builds; default nobody).
set -u

PKG="mta-sts-milter"
CONF=/etc/mta-sts-milter.conf
CONFFILES="$CONF /etc/mta-sts-milter/overrides"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
builder=${MTS_DEB_BUILDER:-nobody}
apt_opts='-y -q -o Dpkg::Use-Pty=0'

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
check() { # check WHAT COMMAND...: ok if the command succeeds
	what=$1
	shift
	if "$@" >"$work/last.log" 2>&1; then ok "$what"; else
		notok "$what"
		tail -n 30 "$work/last.log" | diag
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (apt-get install, namespaces)"
	exit 0
fi

work=$(mktemp -d /tmp/test-deb.XXXXXX)
chmod 0755 "$work"
daemon_pid=
wait_pid=
stop_daemon() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$wait_pid" 2>/dev/null
	fi
	daemon_pid=
}
finish() {
	stop_daemon
	if [ "${MTS_DEB_KEEP:-0}" = 1 ]; then
		echo "# kept $work (and the package, if installed)"
	else
		# a bail-out after the install: leave the machine as we found it
		if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed\|config-files'; then
			# shellcheck disable=SC2086
			apt-get purge $apt_opts "$PKG" >/dev/null 2>&1
		fi
		rm -rf "$work"
	fi
	echo "1..$n"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}
bail() {
	notok "$*"
	finish
}
trap 'bail interrupted' HUP INT TERM

export DEBIAN_FRONTEND=noninteractive

# Leftovers from an earlier run would make the purge checks meaningless.
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed\|config-files'; then
	echo "# $PKG is installed: purging it first"
	# shellcheck disable=SC2086
	apt-get purge $apt_opts "$PKG" 2>&1 | diag
fi

# --- 1. build ----------------------------------------------------------------
# $work/b belongs to the builder: dpkg-buildpackage writes next to src/.
out=$work/b
src=$out/src
mkdir -p "$src" "$work/home"
if [ -n "${MTS_DEB_TARBALL:-}" ]; then
	tar -xzf "$MTS_DEB_TARBALL" -C "$src" --strip-components=1
	# `make dist` does not carry debian/: take it from this tree.
	[ -d "$src/debian" ] || cp -a "$top/debian" "$src/debian"
	what="tarball $(basename "$MTS_DEB_TARBALL")"
else
	git -C "$top" archive --format=tar HEAD | tar -x -C "$src"
	what="git archive $(git -C "$top" rev-parse --short HEAD)"
fi
[ -f "$src/debian/control" ] || bail "no debian/ in the $what"
chown -R "$builder:" "$out" "$work/home"
echo "# building $what as $builder, without network (loopback only, as on a buildd)"
if unshare -n sh -c 'ip link set lo up && exec "$@"' sh \
	setpriv --reuid="$builder" --regid="$(id -g "$builder")" \
	--clear-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME="$work/home" LANG=C.UTF-8 DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-}" \
	sh -c 'cd "$1" && dpkg-buildpackage -us -uc -b' sh "$src" \
	>"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($what, as $builder, no network)"
else
	notok "dpkg-buildpackage -us -uc -b ($what, as $builder, no network)"
	tail -n 60 "$work/build.log" | diag
	# the failing cases by name (the tail above is only the summary)
	grep -E '^(FAIL|ERROR|XPASS):|^not ok' "$work/build.log" | head -n 30 | diag
	bail "the package did not build"
fi
# the test-suite summary that dh_auto_test printed
grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$work/build.log" | head -n 7
total=$(sed -n 's/^# TOTAL: *//p' "$work/build.log" | tail -n 1)
failed=$(sed -n 's/^# \(FAIL\|ERROR\): *//p' "$work/build.log" | awk '{ s += $1 } END { print s + 0 }')
if [ "${total:-0}" -gt 0 ] && [ "$failed" -eq 0 ]; then
	ok "dh_auto_test ran make check: $total tests, none failed"
else
	notok "dh_auto_test ran make check (total ${total:-0}, failed $failed)"
fi
deb=$(ls "$out"/${PKG}_*.deb 2>/dev/null | head -n 1)
changes=$(ls "$out"/${PKG}_*.changes 2>/dev/null | head -n 1)
[ -n "$deb" ] && [ -n "$changes" ] || bail "no .deb/.changes produced"
echo "# contents of $(basename "$deb"):"
dpkg-deb -c "$deb" | awk '{ print $1, $2, $NF }' | diag

# --- 2. lintian ----------------------------------------------------------------
lintian --display-info "$changes" >"$work/lintian.log" 2>&1
diag <"$work/lintian.log"
nerr=$(grep -c '^E: ' "$work/lintian.log")
nwarn=$(grep -c '^W: ' "$work/lintian.log")
if [ "$nerr" -eq 0 ] && [ "$nwarn" -eq 0 ]; then ok "lintian: 0 errors, 0 warnings"; else
	notok "lintian: $nerr errors, $nwarn warnings"
fi

# --- 3. install ------------------------------------------------------------------
ours() { # every path named like ours; /usr/local is not the package's
	find /etc /var /run /usr /lib \( -path /usr/local -o -path /var/cache/apt \
		-o -path /var/lib/apt \) -prune -o \
		\( -name "*$PKG*" -o -name 'mta-sts-check*' \) -print 2>/dev/null
}
# what is there before (not the package's doing; purge must not leave more)
ours_before=$(ours)
[ -z "$ours_before" ] || { echo "# already there before the install:"; echo "$ours_before" | diag; }
# shellcheck disable=SC2086
if (cd "$out" && apt-get install $apt_opts "./$(basename "$deb")") >"$work/install.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb")"
else
	notok "apt-get install ./$(basename "$deb")"
	tail -n 30 "$work/install.log" | diag
	bail "the package did not install"
fi
# the upgrade path of the maintainer scripts (the user exists already)
check "dpkg -i again (upgrade path)" dpkg -i "$deb"
check "system user $PKG exists" getent passwd "$PKG"
check "system group $PKG exists" getent group "$PKG"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' "$PKG")
for f in $CONFFILES; do
	if echo "$conffiles" | grep -q "^ $f "; then ok "conffile $f"; else notok "conffile $f"; fi
done
unit=/lib/systemd/system/$PKG.service
check "unit $unit installed" test -f "$unit"
if command -v systemd-analyze >/dev/null; then
	# the unit as installed: no complaint about it, and the sandbox
	# rated at most 2.0 ("OK")
	v=$(systemd-analyze verify "$unit" 2>&1 | grep "$PKG")
	if [ -z "$v" ]; then ok "systemd-analyze verify $unit"; else
		notok "systemd-analyze verify $unit"
		echo "$v" | diag
	fi
	exp=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if awk -v e="$exp" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }'; then
		ok "systemd-analyze security: exposure $exp (at most 2.0)"
	else
		notok "systemd-analyze security: exposure '$exp' (want at most 2.0)"
	fi
fi
for f in /usr/sbin/mta-sts-milter /usr/bin/mta-sts-check; do
	check "$f installed" test -x "$f"
done
ver=$(dpkg-query -W -f='${Version}' "$PKG")
v=$(/usr/sbin/mta-sts-milter -V 2>&1)
if [ "$v" = "mta-sts-milter ${ver%-*}" ]; then ok "mta-sts-milter -V: $v"; else
	notok "mta-sts-milter -V: '$v' (want mta-sts-milter ${ver%-*})"
fi
# the installed CLI works (an offline verb: RFC 8461 section 4.1 wildcards)
check "mta-sts-check match '*.example.com' mail.example.com" \
	/usr/bin/mta-sts-check match '*.example.com' mail.example.com
/usr/bin/mta-sts-check match '*.example.com' a.b.example.com >/dev/null 2>&1
rc=$?
if [ $rc -eq 1 ]; then ok "mta-sts-check: *.example.com does not match a.b.example.com"; else
	notok "mta-sts-check: *.example.com does not match a.b.example.com (exit $rc, want 1)"
fi
for m in mta-sts-milter.8 mta-sts-milter.conf.5 mta-sts-check.1; do
	check "man page $m installed" test -f "/usr/share/man/man${m##*.}/$m.gz"
done

# --- 4. run the daemon as the unit does --------------------------------------------
unitval() { # the last value of KEY= in the unit ("" if none)
	sed -n "s/^$1=//p" "$unit" | tail -n 1
}
confval() { # confval FILE NAME: the value of an option ("" if unset)
	awk -v k="$2" '$1 !~ /^#/ && tolower($1) == tolower(k) {
		$1 = ""; sub(/^ +/, ""); v = $0 } END { print v }' "$1"
}
user=$(unitval User)
group=$(unitval Group)
[ -n "$group" ] || group=$user
start=$(unitval ExecStart)
startpre=$(unitval ExecStartPre)
reload=$(unitval ExecReload)
echo "# ExecStart=$start (User=$user Group=$group)"
case $start in *" -f"*) ok "ExecStart runs in the foreground (-f)" ;;
*) notok "ExecStart runs in the foreground (-f): $start" ;; esac
# what systemd would create before starting the service
install -d -o "$user" -g "$group" -m "$(unitval RuntimeDirectoryMode)" "/run/$(unitval RuntimeDirectory)"
install -d -o "$user" -g "$group" -m "$(unitval StateDirectoryMode)" "/var/lib/$(unitval StateDirectory)"
# as User=/Group= with NoNewPrivileges=, and no capabilities left
asuser="setpriv --reuid=$user --regid=$group --init-groups --no-new-privs"

if [ -n "$startpre" ]; then
	# shellcheck disable=SC2086
	check "ExecStartPre=$startpre" $asuser $startpre
fi

# start CMDLINE...: run the daemon in a new network namespace with only lo
# up; with TRACE set, under strace (as the user, after setpriv), so that
# its system calls can be checked against the unit's SystemCallFilter=.
start() {
	tracer=
	[ -n "${TRACE:-}" ] && tracer="strace -f -qq -o $TRACE"
	# shellcheck disable=SC2086
	unshare -n sh -c 'ip link set lo up && exec "$@"' sh $asuser $tracer "$@" \
		>>"$work/daemon.log" 2>&1 &
	daemon_pid=$!
	wait_pid=$!
	if [ -n "$tracer" ]; then # the daemon is strace's child
		# strace forks short-lived children of its own at start (its
		# ptrace checks); one that already exited has no exe link, and
		# was once taken for the daemon.  Only a child that runs the
		# daemon's binary counts.
		i=0
		c=
		while [ $i -lt 50 ] && [ -z "$c" ]; do
			for k in $(pgrep -P "$wait_pid"); do
				[ "$(readlink "/proc/$k/exe" 2>/dev/null)" = "$(readlink -f "$1")" ] && c=$k && break
			done
			[ -n "$c" ] || sleep 0.1
			i=$((i + 1))
		done
		[ -n "$c" ] && daemon_pid=$c
	fi
}
sockpath() { # a unix socket spec as a path; "" for inet
	case $1 in unix:* | local:*) echo "${1#*:}" ;; /*) echo "$1" ;; esac
}
listening() { # listening SPEC: does the daemon listen there?
	p=$(sockpath "$1")
	if [ -n "$p" ]; then test -S "$p"; else
		port=${1#*:}
		port=${port%%@*}
		nsenter -t "$daemon_pid" -n ss -Hltn "sport = :$port" | grep -q LISTEN
	fi
}
wait_listen() { # wait_listen SPEC: up to 10 s
	i=0
	while [ $i -lt 100 ]; do
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		listening "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
smq() { # smq SPEC NAME KEY: one socketmap request, prints the reply
	nsenter -t "$daemon_pid" -n /usr/bin/python3 "$here/smq.py" "$@"
}
stop() { # stop: SIGTERM; it must exit 0 within 20 s (systemd's default is 90)
	kill -TERM "$daemon_pid"
	i=0
	while kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$daemon_pid" 2>/dev/null; then
		notok "SIGTERM: the daemon did not exit within 20 s"
		tail -n 20 "$work/daemon.log" | diag
		stop_daemon
		return
	fi
	wait "$wait_pid" # strace exits with its tracee's status
	rc=$?
	daemon_pid=
	if [ $rc -eq 0 ]; then ok "SIGTERM: the daemon exited 0 after $((i / 10)).$((i % 10)) s"; else
		notok "SIGTERM: the daemon exited $rc"
		tail -n 20 "$work/daemon.log" | diag
	fi
}

milter_sock=$(confval $CONF Socket)
map_sock=$(confval $CONF MapSocket)
header=$(confval $CONF HeaderName)
: "${header:=X-MTA-STS}" # its documented default
: "${milter_sock:=inet:8891@127.0.0.1}"

TRACE=
if command -v strace >/dev/null; then
	install -d -o "$user" -g "$group" -m 0700 "$work/trace"
	TRACE=$work/trace/strace.txt
fi
# shellcheck disable=SC2086
start $start
if wait_listen "$milter_sock"; then ok "the daemon listens on $milter_sock"; else
	notok "the daemon listens on $milter_sock"
	diag <"$work/daemon.log"
	bail "the daemon did not start"
fi
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$daemon_pid/status")
if [ "$uid" = "$(id -u "$user")" ]; then ok "the daemon runs as $user"; else
	notok "the daemon runs as $user (uid $uid)"
fi

# the milter: one miltertest session
nsenter -t "$daemon_pid" -n miltertest -s "$here/smoke.lua" -D SOCKET="$milter_sock" \
	${header:+-D HEADER="$header"} >"$work/miltertest.log" 2>&1
mt_rc=$?
npass=$(grep -c '^PASS ' "$work/miltertest.log")
if [ "$mt_rc" -eq 0 ] && [ "$npass" -gt 0 ] && ! grep -q '^FAIL ' "$work/miltertest.log"; then
	ok "miltertest session: $npass checks passed"
	grep '^PASS ' "$work/miltertest.log" | diag
else
	notok "miltertest session (exit $mt_rc)"
	diag <"$work/miltertest.log"
fi

mapcheck() { # mapcheck "SPEC [SPEC...]": keys without a policy give NOTFOUND
	# MapSocket may name several sockets (the shipped file: 8461 and
	# 5461, where sendmail's bare FEATURE(`sts') asks): ask each
	for spec in $1; do
		for key in "[192.0.2.1]" localhost "[mx.localhost]:587"; do
			r=$(smq "$spec" postfix "$key" 2>&1)
			case $r in "NOTFOUND"*) ok "socketmap $spec: postfix $key -> $r" ;;
			*) notok "socketmap $spec: postfix $key -> '$r' (want NOTFOUND)" ;; esac
		done
	done
}
if [ -n "$map_sock" ]; then
	mapcheck "$map_sock"
fi

# ExecReload (kill -HUP $MAINPID): the daemon reloads and keeps serving
rl=$(echo "$reload" | sed "s/\$MAINPID/$daemon_pid/")
# shellcheck disable=SC2086
check "ExecReload=$reload" $rl
sleep 0.5
check "the daemon still runs after reload" kill -0 "$daemon_pid"
check "the daemon still listens after reload" listening "$milter_sock"
stop
if [ -n "$TRACE" ]; then
	# everything it did: start, milter session, map queries, reload, stop
	check "the unit's SystemCallFilter= admits every system call made" \
		/usr/bin/python3 "$here/syscalls.py" "$unit" "$TRACE"
	tail -n 1 "$work/last.log" | diag
	TRACE=
else
	echo "# strace not installed: system calls not checked against the unit"
fi
state=$(confval $CONF StateFile)
if [ -n "$state" ]; then
	check "state file $state saved at stop" test -f "$state"
fi

# The shipped configuration leaves the policy map off: one extra line
# turns it on (the state directory is reused, as after a restart).
if [ -z "$map_sock" ]; then
	map_sock=inet:8461@127.0.0.1
	{ cat $CONF; echo "MapSocket $map_sock"; } >"$work/map.conf"
	chmod 0644 "$work/map.conf"
	echo "# socketmap: the shipped config plus 'MapSocket $map_sock'"
	# shellcheck disable=SC2046 # split the unit's command line
	start $(echo "$start" | sed "s| -c $CONF| -c $work/map.conf|")
	if wait_listen "$map_sock"; then ok "the daemon listens on $map_sock"; else
		notok "the daemon listens on $map_sock"
		tail -n 20 "$work/daemon.log" | diag
	fi
	mapcheck "$map_sock"
	stop
fi
# README.Debian's recipe for Postfix's chroot: a unix socket inside
# /var/spool/postfix/mta-sts-milter (purge must remove that directory).
spool=/var/spool/postfix/mta-sts-milter
if [ -d /var/spool/postfix ]; then
	install -d -o "$user" -g "$group" -m 0750 "$spool"
	sed "s|^Socket[[:space:]].*|Socket unix:$spool/milter.sock|" $CONF >"$work/unix.conf"
	chmod 0644 "$work/unix.conf"
	echo "# chroot recipe: Socket unix:$spool/milter.sock"
	# shellcheck disable=SC2046 # split the unit's command line
	start $(echo "$start" | sed "s| -c $CONF| -c $work/unix.conf|")
	if wait_listen "unix:$spool/milter.sock"; then
		ok "the daemon listens on unix:$spool/milter.sock"
		m=$(stat -c '%a %G' "$spool/milter.sock")
		if [ "$m" = "660 $group" ]; then ok "socket mode and group: $m"; else
			notok "socket mode and group: $m (want 660 $group)"
		fi
		# as README.Debian says: the MTA's user joins the group
		mta=root
		if getent passwd postfix >/dev/null; then
			adduser --quiet postfix "$group" && mta=postfix
		fi
		if setpriv --reuid="$mta" --regid="$(id -g "$mta")" --init-groups \
			miltertest -s "$here/smoke.lua" -D SOCKET="unix:$spool/milter.sock" \
			-D HEADER="$header" >"$work/miltertest-unix.log" 2>&1; then
			ok "miltertest session over the unix socket, as $mta"
		else
			notok "miltertest session over the unix socket, as $mta"
			diag <"$work/miltertest-unix.log"
		fi
	else
		notok "the daemon listens on unix:$spool/milter.sock"
		tail -n 20 "$work/daemon.log" | diag
	fi
	stop
fi
echo "# daemon log:"
tail -n 30 "$work/daemon.log" | diag

# --- 5. purge ----------------------------------------------------------------------
# shellcheck disable=SC2086
if apt-get purge $apt_opts "$PKG" >"$work/purge.log" 2>&1; then ok "apt-get purge $PKG"; else
	notok "apt-get purge $PKG"
	tail -n 30 "$work/purge.log" | diag
fi
# `systemd-analyze verify` ran man(1) on the unit's Documentation=, and
# man-db cached formatted pages: that cache is this test's doing.
rm -f /var/cache/man/cat*/mta-sts-milter.* /var/cache/man/cat*/mta-sts-check.*
left=$(ours | grep -vxF -e "$ours_before")
if [ -z "$left" ]; then ok "nothing of $PKG left in /etc /var /run /usr /lib"; else
	notok "nothing of $PKG left in /etc /var /run /usr /lib"
	echo "$left" | diag
fi
if getent passwd "$PKG" >/dev/null; then notok "user $PKG removed"; else ok "user $PKG removed"; fi
if getent group "$PKG" >/dev/null; then notok "group $PKG removed"; else ok "group $PKG removed"; fi
if [ "${mta:-root}" = postfix ]; then
	if id -nG postfix | grep -qw "$PKG"; then notok "postfix is no longer in group $PKG"; else
		ok "postfix is no longer in group $PKG"
	fi
fi
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed\|config-files'; then
	notok "dpkg has forgotten $PKG"
else
	ok "dpkg has forgotten $PKG"
fi

finish
