#!/bin/sh
# tests/deb13/apt-sources.sh - tests/debian13-apt derives Debian 13 sources
# from sample apt configurations in both formats (deb822 and one-line).
# TAP; no root, no network.
set -u
top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
D13=$top_srcdir/tests/debian13-apt
T=$(mktemp -d "${TMPDIR:-/tmp}/apt-sources.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

# case NAME WANT_RC: run the derivation on $T/NAME, compare with $T/NAME.want
check() {
	out=$("$D13" sources "$T/$1" 2>&1)
	rc=$?
	want=$(cat "$T/$1.want")
	if [ "$rc" = "$2" ] && [ "$out" = "$want" ]; then ok "$1 (exit $rc)"; else
		notok "$1 (exit $rc, want $2)"
		printf '%s\n' "$out" | sed 's/^/#   got: /'
		printf '%s\n' "$want" | sed 's/^/#  want: /'
	fi
}
mk() { mkdir -p "$T/$1/sources.list.d"; }

# 1. deb822 as on the CI machines: snapshot comments inside the stanza,
#    -updates in the same stanza, -security in its own; third-party files
#    in deb822 (dropped: no Debian suite) and disabled files (not read).
mk deb822
cat >"$T/deb822/sources.list.d/debian.sources" <<'X'
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
X
cat >"$T/deb822/sources.list.d/nodesource.sources" <<'X'
Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/nodesource.gpg
X
echo "deb http://elsewhere.invalid/debian bookworm main" \
	>"$T/deb822/sources.list.d/old.list.disabled-by-farm"
cat >"$T/deb822.want" <<'X'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
X
check deb822 0

# 2. one-line sources.list behind a local caching proxy, with options in
#    brackets (spaces inside too), deb-src, backports, a third-party suite
#    that merely contains "bookworm", and comments.
mk oneline
cat >"$T/oneline/sources.list" <<'X'
# local mirror through apt-cacher-ng
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://cache.lan:3142/debian bookworm main contrib
deb-src http://cache.lan:3142/debian bookworm main
deb [ trusted=yes ] http://cache.lan:3142/debian bookworm-updates main contrib # trailing
deb http://cache.lan:3142/debian bookworm-backports main
deb http://cache.lan:3142/debian-security bookworm-security main contrib
#deb http://cache.lan:3142/debian bookworm-proposed-updates main
X
echo "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main" \
	>"$T/oneline/sources.list.d/google-cloud-sdk.list"
cat >"$T/oneline.want" <<'X'
Types: deb
URIs: http://cache.lan:3142/debian
Suites: trixie
Components: main contrib
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://cache.lan:3142/debian
Suites: trixie-updates
Components: main contrib
Trusted: yes

Types: deb
URIs: http://cache.lan:3142/debian-security
Suites: trixie-security
Components: main contrib
X
check oneline 0

# 3. both formats at once; the old security suite name; a stanza switched
#    off; an inline (multi-line) Signed-By key kept verbatim; deb-src in
#    Types dropped; a trixie entry kept; a duplicate written once.
mk mixed
echo "deb http://security.debian.org/ bookworm/updates main" >"$T/mixed/sources.list"
echo "deb http://mirror.example.net/debian trixie main" >"$T/mixed/sources.list.d/a.list"
echo "deb http://mirror.example.net/debian bookworm main" >"$T/mixed/sources.list.d/b.list"
cat >"$T/mixed/sources.list.d/c.sources" <<'X'
Types: deb deb-src
URIs: http://mirror.example.net/debian
Suites: bookworm-updates
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NlOJSWb5ZMdwxI2PBAuUgw
 -----END PGP PUBLIC KEY BLOCK-----

types: deb
uris: http://off.example.net/debian
suites: bookworm
components: main
enabled: no
X
cat >"$T/mixed.want" <<'X'
Types: deb
URIs: http://security.debian.org/
Suites: trixie-security
Components: main

Types: deb
URIs: http://mirror.example.net/debian
Suites: trixie
Components: main

Types: deb
URIs: http://mirror.example.net/debian
Suites: trixie-updates
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NlOJSWb5ZMdwxI2PBAuUgw
 -----END PGP PUBLIC KEY BLOCK-----
X
check mixed 0

# 4. nothing Debian to derive from: exit 1, nothing printed (the callers
#    then stop instead of inventing a mirror)
mk none
echo "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main" >"$T/none/sources.list"
: >"$T/none.want"
check none 1
mk empty
: >"$T/empty.want"
check empty 1

# 5. this machine: whatever it has, the result names only trixie suites and
#    only URIs the machine already uses
if [ -d /etc/apt ] && out=$("$D13" sources /etc/apt 2>/dev/null); then
	bad=$(printf '%s\n' "$out" | sed -n 's/^Suites: //p' | tr ' ' '\n' | grep -v '^trixie' || true)
	have=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null)
	unknown=""
	for u in $(printf '%s\n' "$out" | sed -n 's/^URIs: //p'); do
		case $have in *"$u"*) ;; *) unknown="$unknown $u" ;; esac
	done
	if [ -z "$bad" ] && [ -z "$unknown" ]; then ok "this machine: trixie suites from its own URIs"; else
		notok "this machine: trixie suites from its own URIs (suites '$bad', URIs '$unknown')"
	fi
else
	ok "this machine: no Debian 12/13 apt entry # SKIP not a Debian 12/13 apt setup"
fi

# 6. aptconf prints only proxy settings (or nothing)
if "$D13" aptconf | grep -qvE '^Acquire::(http|https|ftp)::Proxy'; then
	notok "aptconf prints only Acquire::*::Proxy lines"
else ok "aptconf prints only Acquire::*::Proxy lines"; fi

echo "1..$n"
[ "$fails" = 0 ]
