#!/bin/sh
# tests/tlsrpt/client-format.sh - the lab's libtlsrpt stand-in
# (tests/tlsrpt/tlsrpt-client.py) writes datagrams byte for byte like
# libtlsrpt 0.5.1rc2: compared with datagrams captured from the real
# library built from source (tests/data/tlsrpt-dgram-N.json from 0.5.1rc2,
# tlsrpt-dgram-rc1-3.json from 0.5.0rc1, the version in Debian 13; the
# library calls that made them are tests/tlsrpt/captured.json).  TAP.
top_srcdir=${top_srcdir:-.}
n=0
fail=0
for i in 1 2 3 4; do
	n=$((n + 1))
	if python3 "$top_srcdir/tests/tlsrpt/tlsrpt-client.py" \
		"$top_srcdir/tests/tlsrpt/captured.json" --print $i |
		cmp -s - "$top_srcdir/tests/data/tlsrpt-dgram-$i.json"; then
		echo "ok $n - datagram $i identical to libtlsrpt's"
	else
		echo "not ok $n - datagram $i differs from libtlsrpt's"
		fail=$((fail + 1))
	fi
done
n=$((n + 1))
if python3 "$top_srcdir/tests/tlsrpt/tlsrpt-client.py" \
	"$top_srcdir/tests/tlsrpt/captured.json" --print0 3 |
	cmp -s - "$top_srcdir/tests/data/tlsrpt-dgram-rc1-3.json"; then
	echo "ok $n - datagram 3 without dpv identical to libtlsrpt 0.5.0rc1's (Debian 13)"
else
	echo "not ok $n - datagram 3 without dpv differs from libtlsrpt 0.5.0rc1's"
	fail=$((fail + 1))
fi
echo "1..$n"
[ $fail = 0 ]
