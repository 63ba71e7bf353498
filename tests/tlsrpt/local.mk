# tests/tlsrpt: TLS reports (RFC 8460, issue 19).  client-format.sh checks
# the lab's libtlsrpt stand-in against datagrams captured from the real
# library; lab-tlsrpt.sh runs the daemon's collection and report delivery
# end to end in the lab (root; instance tlsrpt-$$).
TESTS += tests/tlsrpt/client-format.sh tests/tlsrpt/cli-report.sh \
	tests/tlsrpt/lab-tlsrpt.sh
dist_check_SCRIPTS += tests/tlsrpt/client-format.sh tests/tlsrpt/cli-report.sh \
	tests/tlsrpt/lab-tlsrpt.sh
EXTRA_DIST += tests/tlsrpt/tlsrpt-client.py tests/tlsrpt/receiver.py \
	tests/tlsrpt/captured.json doc/tlsrpt.md
