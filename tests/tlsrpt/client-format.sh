#!/bin/sh
# tests/tlsrpt/client-format.sh - the lab's libtlsrpt stand-in
# (tests/tlsrpt/tlsrpt-client.py) writes datagrams byte for byte like
# libtlsrpt 0.5.1rc2: compared with datagrams captured from the real
# library built from source (tests/data/tlsrpt-dgram-N.json; the library
# calls that made them are tests/tlsrpt/captured.json).  TAP, no root.
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
echo "1..$n"
[ $fail = 0 ]
