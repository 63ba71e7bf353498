#!/bin/sh
# tests/exim/docs.sh - the single-file Exim variant is the four conf.d files
# (etc/examples/exim4/mkconf.sh writes it from them), so the two cannot
# drift apart.  doc/exim.md quoting them is tests/deb/docs-snippets.sh's job.
# TAP.
set -u
top_srcdir=${top_srcdir:-.}
d=$top_srcdir/etc/examples/exim4
T=$(mktemp /tmp/exim-docs.XXXXXX)
sh "$d/mkconf.sh" >"$T"
if cmp -s "$T" "$d/mta-sts-milter.conf"; then
	echo "ok 1 - etc/examples/exim4/mta-sts-milter.conf is mkconf.sh's output"
	rc=0
else
	echo "not ok 1 - etc/examples/exim4/mta-sts-milter.conf differs from mkconf.sh's output (run it)"
	diff -u "$d/mta-sts-milter.conf" "$T" | sed 's/^/# /'
	rc=1
fi
rm -f "$T"
echo "1..1"
exit $rc
