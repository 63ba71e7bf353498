# tests/milter: unit tests of the daemon's pure parts ([milter]),
# miltertest scripts against the real daemon, and lab end-to-end tests.
milter_unit_tests = tests/milter/t_addr tests/milter/t_conf \
	tests/milter/t_milter tests/milter/t_ops tests/milter/t_secret \
	tests/milter/t_log
check_PROGRAMS += $(milter_unit_tests)
TESTS += $(milter_unit_tests)
tests_milter_t_addr_SOURCES = tests/milter/t_addr.c tests/tap.h
tests_milter_t_addr_LDADD = $(LIBMTASTS)
tests_milter_t_conf_SOURCES = tests/milter/t_conf.c tests/tap.h \
	milter/conf.c milter/log.c milter/sockspec.c
tests_milter_t_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_milter_t_conf_LDADD = $(LIBMTASTS)
tests_milter_t_milter_SOURCES = tests/milter/t_milter.c tests/tap.h \
	milter/milter.c milter/conf.c milter/log.c milter/sockspec.c
tests_milter_t_milter_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_milter_t_milter_LDADD = $(LIBMTASTS)
tests_milter_t_log_SOURCES = tests/milter/t_log.c tests/tap.h milter/log.c
tests_milter_t_log_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_milter_t_ops_SOURCES = tests/milter/t_ops.c tests/tap.h \
	milter/nodelay.c milter/pidfile.c milter/privs.c milter/fdlimit.c
tests_milter_t_ops_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_milter_t_secret_SOURCES = tests/milter/t_secret.c tests/tap.h \
	milter/secret.c
tests_milter_t_secret_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
# The real daemon under miltertest (hermetic: override file + a resolver
# that never answers; a private netns when run as root).
TESTS += tests/milter/miltertest.sh
dist_check_SCRIPTS += tests/milter/miltertest.sh
EXTRA_DIST += tests/milter/hermetic.sh
EXTRA_DIST += tests/milter/mt_session.lua tests/milter/mt_deadline.lua \
	tests/milter/mt_relay.lua tests/milter/mt_load.lua
# The real daemon under hostile operations (issue [harden]): signal
# bursts during reloads, MilterTimeout, descriptor limit, one save at stop.
TESTS += tests/milter/harden.sh
dist_check_SCRIPTS += tests/milter/harden.sh
# End to end in the loopback lab (root; SKIPs otherwise): every scenario
# row through out-Postfix and sendmail, reload, restart, outages.
TESTS += tests/milter/lab-milter.sh
dist_check_SCRIPTS += tests/milter/lab-milter.sh
# A policy change (new id, new MX) is seen at the next message (issue 13).
TESTS += tests/milter/lab-recheck.sh
dist_check_SCRIPTS += tests/milter/lab-recheck.sh
# Metrics and the control socket in the lab (issue 17; root).
EXTRA_DIST += doc/grafana-dashboard.json
TESTS += tests/milter/lab-ops.sh
dist_check_SCRIPTS += tests/milter/lab-ops.sh
# Bounded input files: devices, FIFOs, caps (issue 17).
TESTS += tests/milter/bounded-files.sh
dist_check_SCRIPTS += tests/milter/bounded-files.sh
# The documentation follows the option table.
TESTS += tests/milter/docs.sh
dist_check_SCRIPTS += tests/milter/docs.sh
# The one-command demo (root): lab up, Postfix + milter, a table, lab down.
dist_noinst_SCRIPTS += tests/demo
