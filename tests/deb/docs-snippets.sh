#!/bin/sh
# tests/deb/docs-snippets.sh - the guides in doc/ quote the configuration
# snippets the lab tests use, verbatim (issue [deb]).
#
# A fenced block whose info string starts with a path under etc/examples/
# (```etc/examples/postfix-main.cf) must be byte-for-byte the content of
# that file, so that documentation and tests cannot drift apart.  Each
# guide must also quote the snippet files it is about (REQUIRED below).
# TAP output, one line per check.  Run from anywhere; uses $top_srcdir.
#
# `docs-snippets.sh --update` rewrites every tagged block of the guides
# from its file instead (after a snippet changed on purpose).
set -u
top=${top_srcdir:-$(dirname "$0")/../..}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/docs-snippets.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# guide: snippet files it must quote
REQUIRED='
doc/postfix.md etc/examples/postfix-main.cf
doc/postfix.md etc/examples/postfix-tlsrpt-main.cf
doc/postfix.md etc/examples/postfix-tlsrpt-master.cf
doc/postfix.md etc/examples/postfix-310-main.cf
doc/postfix.md etc/examples/postfix-master-submission.cf
doc/sendmail.md etc/examples/sendmail.mc
doc/sendmail.md etc/examples/sendmail-tlsrpt.mc
doc/migrating-from-postfix-mta-sts-resolver.md etc/examples/postfix-main.cf
doc/exim.md etc/examples/exim4/conf.d/main/00_mta-sts-milter
doc/exim.md etc/examples/exim4/conf.d/acl/25_mta-sts-milter
doc/exim.md etc/examples/exim4/conf.d/router/190_mta-sts-milter
doc/exim.md etc/examples/exim4/conf.d/transport/30_mta-sts-milter
doc/exim.md etc/examples/exim4/mta-sts-milter.conf
'

n=0
fail=0
out=$tmp/tap
: >"$out"
ok() { n=$((n + 1)); echo "ok $n - $*" >>"$out"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*" >>"$out"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*" >>"$out"; }

# extract GUIDE DIR: every tagged block goes to DIR/<k>.txt, and
# DIR/index gets "<k> <line> <tag>" (line = the opening fence).
extract() {
	awk -v dir="$2" '
	BEGIN { k = 0; inb = 0 }
	inb && /^```[ \t]*$/ { inb = 0; close(f); next }
	inb { print > f; next }
	/^```/ {
		info = substr($0, 4); sub(/^[ \t]+/, "", info)
		split(info, w, /[ \t]+/)
		if (w[1] ~ /^etc\/examples\//) {
			k++; f = dir "/" k ".txt"; printf "" > f
			print k, NR, w[1] >> (dir "/index")
			inb = 1
		} else {
			# an untagged fence: skip to its end
			while ((getline line) > 0 && line !~ /^```[ \t]*$/) ;
		}
	}
	END { if (inb) print k, "-1", "UNTERMINATED" >> (dir "/index") }
	' "$1"
}

guides=$(echo "$REQUIRED" | awk 'NF { print $1 }' | sort -u)

if [ "${1:-}" = --update ]; then
	for g in $guides; do
		[ -f "$top/$g" ] || continue
		awk -v top="$top" '
		skip && /^```[ \t]*$/ { skip = 0 }
		skip { next }
		{ print }
		/^```[ \t]*etc\/examples\// {
			info = substr($0, 4); sub(/^[ \t]+/, "", info)
			split(info, w, /[ \t]+/); f = top "/" w[1]
			if ((getline line < f) > 0) {
				print line
				while ((getline line < f) > 0) print line
				skip = 1
			}
			close(f)
		}' "$top/$g" >"$tmp/new" && cat "$tmp/new" >"$top/$g"
	done
	exit 0
fi
for g in $guides; do
	if [ ! -f "$top/$g" ]; then
		notok "$g exists"
		continue
	fi
	d=$tmp/$(echo "$g" | tr / _)
	mkdir "$d" && : >"$d/index"
	extract "$top/$g" "$d"
	while read -r k line tag; do
		if [ "$line" = -1 ]; then
			notok "$g: unterminated fenced block"
		elif [ ! -f "$top/$tag" ]; then
			skip "$g:$line quotes $tag, which does not exist yet"
		elif cmp -s "$d/$k.txt" "$top/$tag"; then
			ok "$g:$line quotes $tag verbatim"
		else
			notok "$g:$line differs from $tag"
			diff -u "$top/$tag" "$d/$k.txt" | sed 's/^/# /' >>"$out"
		fi
	done <"$d/index"
	for want in $(echo "$REQUIRED" | awk -v g="$g" '$1 == g { print $2 }'); do
		if awk -v t="$want" '$3 == t { f = 1 } END { exit !f }' "$d/index"; then
			ok "$g has a block tagged $want"
		else
			notok "$g has a block tagged $want"
		fi
	done
done

echo "1..$n"
cat "$out"
[ "$fail" -eq 0 ]
