# tests: build rules (see the top Makefile.am)

# [lead] The lab, the demo and the CI scripts ship in the tarball too.
EXTRA_DIST += \
	tests/lab/README.md tests/lab/down tests/lab/inlab tests/lab/peer \
	tests/lab/postconf-out tests/lab/scenarios tests/lab/scenarios.tsv \
	tests/lab/exim tests/lab/lib/exim-init.sh \
	tests/lab/selftest tests/lab/sendmail tests/lab/status tests/lab/up \
	tests/lab/lib/blackhole.py tests/lab/lib/closehost.py tests/lab/lib/common.sh tests/lab/lib/gen.py \
	tests/lab/lib/sm-init.sh tests/lab/lib/smq.py tests/lab/lib/syslogd.py \
	tests/lab/lib/ubcheck.c tests/lab/lib/wait.py \
	tests/demo tests/install-deps tests/run-all demo autogen.sh \
	etc/examples/postfix-main.cf etc/examples/sendmail.mc \
	etc/examples/postfix-tlsrpt-main.cf etc/examples/postfix-tlsrpt-master.cf \
	etc/examples/postfix-310-main.cf etc/examples/postfix-master-submission.cf \
	etc/examples/sendmail-tlsrpt.mc \
	etc/examples/exim4/conf.d/main/00_mta-sts-milter \
	etc/examples/exim4/conf.d/acl/25_mta-sts-milter \
	etc/examples/exim4/conf.d/router/190_mta-sts-milter \
	etc/examples/exim4/conf.d/transport/30_mta-sts-milter \
	etc/examples/exim4/mta-sts-milter.conf etc/examples/exim4/mkconf.sh
# The shared preamble of the lab tests (tests/*/lab-*.sh) and our daemon in the lab.
EXTRA_DIST += tests/lab/lib/tap.sh tests/lab/lib/mail.sh

# [arch] lib/'s layers: no file includes a higher layer; files stay small.
TESTS += tests/arch/layers.sh
dist_check_SCRIPTS += tests/arch/layers.sh
