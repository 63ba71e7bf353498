# tests/milter/hermetic.sh - sourced by the daemon tests of tests/milter
# (miltertest.sh, harden.sh) after they set BIN: TAP helpers (ok,
# skip_all, counters n and fails), the checks every such test needs, and,
# as root, a re-exec of the test in a private network namespace with only
# loopback, so that nothing it starts can reach another address.
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

[ -x "$BIN" ] || skip_all "$BIN not built"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "$PY missing"

if [ -z "${MT_IN_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
	unshare -n true 2>/dev/null; then
	MT_IN_NETNS=1 exec unshare -n sh -c 'ip link set lo up 2>/dev/null; exec "$@"' sh "$0" "$@"
fi
