# tests/tlsrpt: TLS reports (RFC 8460, issue 19).  client-format.sh checks
# the lab's libtlsrpt stand-in against datagrams captured from the real
# library; cli-report.sh runs `mta-sts-check report`; conf-check.sh the
# -n checks of the TLSRPT* settings; lab-tlsrpt.sh runs the
# daemon's collection and report delivery end to end in the lab (root;
# instance tlsrpt-$$); lab-tlsrpt-pf310.sh does it with Debian 13's Postfix
# 3.10 and its libtlsrpt (tests/lab/postfix310; root; instance tlsrpt-pf310-$$);
# lab-tlsrpt-exim.sh with Debian 12's Exim and its event_action (root;
# tlsrpt-exim-$$); lab-tlsrpt-sandbox.sh mails a report under the Debian
# unit's restrictions reproduced with setpriv/unshare (root; tlsrpt-sbx-$$).
TESTS += tests/tlsrpt/client-format.sh tests/tlsrpt/cli-report.sh \
	tests/tlsrpt/conf-check.sh \
	tests/tlsrpt/lab-tlsrpt.sh tests/tlsrpt/lab-tlsrpt-pf310.sh \
	tests/tlsrpt/lab-tlsrpt-exim.sh tests/tlsrpt/lab-tlsrpt-sandbox.sh
dist_check_SCRIPTS += tests/tlsrpt/client-format.sh tests/tlsrpt/cli-report.sh \
	tests/tlsrpt/conf-check.sh \
	tests/tlsrpt/lab-tlsrpt.sh tests/tlsrpt/lab-tlsrpt-pf310.sh \
	tests/tlsrpt/lab-tlsrpt-exim.sh tests/tlsrpt/lab-tlsrpt-sandbox.sh
EXTRA_DIST += tests/tlsrpt/tlsrpt-client.py tests/tlsrpt/receiver.py \
	tests/tlsrpt/captured.json tests/tlsrpt/parse-reports.py \
	tests/tlsrpt/common.sh doc/tlsrpt.md
# The sender's pending retries on disk (milter/tlsrpt_retry.c; no root).
check_PROGRAMS += tests/tlsrpt/t_retry
TESTS += tests/tlsrpt/t_retry
tests_tlsrpt_t_retry_SOURCES = tests/tlsrpt/t_retry.c tests/tap.h \
	milter/tlsrpt_retry.c milter/tlsrpt_retry.h
tests_tlsrpt_t_retry_LDADD = $(LIBMTASTS)
tests_tlsrpt_t_retry_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
