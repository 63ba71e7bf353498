#!/bin/sh
# tests/arch/layers.sh - lib/ is three layers, lowest first: proto (pure
# parsers and formatters), net (network clients), engine (cache, next-hop
# state, persistence, overrides, verdict, the engine object).  A file may
# include headers of its own layer and of lower ones, never of a higher
# one; lib/ never includes the daemon's headers, libmilter or syslog (it
# never logs: CONTRIBUTING.md).  Also: no C file in lib/, milter/ or cli/
# is longer than MAX_LINES (issue [arch]: small files a newcomer can hold).
# TAP, one case per file checked.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
MAX_LINES=${MAX_LINES:-800}
cd "$top" || exit 1

rank() { # layer name -> rank; unknown -> 99
	case $1 in
	proto) echo 0 ;; net) echo 1 ;; engine) echo 2 ;; *) echo 99 ;;
	esac
}

# header name -> its layer, from where it lives
map=$(mktemp)
trap 'rm -f "$map"' EXIT
for d in proto net engine; do
	for h in lib/$d/*.h; do
		[ -f "$h" ] && echo "$(basename "$h") $d"
	done
done >"$map"

files=$(ls lib/*/*.c lib/*/*.h 2>/dev/null)
stray=$(ls lib/*.c lib/*.h 2>/dev/null)
big=$(ls lib/*/*.c milter/*.c cli/*.c 2>/dev/null)
n=0
for _ in $files $big; do n=$((n + 1)); done
echo "1..$((n + 1))"
i=0

i=$((i + 1))
if [ -z "$stray" ]; then
	echo "ok $i - no source file directly in lib/ (every module has a layer)"
else
	echo "not ok $i - files in lib/ outside a layer: $stray"
fi

for f in $files; do
	i=$((i + 1))
	layer=$(echo "$f" | cut -d/ -f2)
	me=$(rank "$layer")
	bad=""
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		[ "$inc" = config.h ] && continue
		l=$(awk -v h="$inc" '$1 == h { print $2 }' "$map")
		if [ -z "$l" ]; then
			bad="$bad $inc(not a lib header)"
		elif [ "$(rank "$l")" -gt "$me" ]; then
			bad="$bad $inc($l)"
		fi
	done
	if grep -qE '#[[:space:]]*include[[:space:]]*<(syslog\.h|libmilter/)' "$f"; then
		bad="$bad syslog/libmilter"
	fi
	if [ -z "$bad" ]; then
		echo "ok $i - $f ($layer) includes no higher layer"
	else
		echo "not ok $i - $f ($layer) includes:$bad"
	fi
done

for f in $big; do
	i=$((i + 1))
	lines=$(wc -l <"$f")
	if [ "$lines" -le "$MAX_LINES" ]; then
		echo "ok $i - $f: $lines lines"
	else
		echo "not ok $i - $f: $lines lines (more than $MAX_LINES: split it along a seam)"
	fi
done
