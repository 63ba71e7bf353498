# tests/socketmap: the socketmap server (issue [socketmap]).
# t_netstring, t_mapreply: pure unit tests.  t_protocol: mapd over a unix
# socket, in process, with a fake engine (no lab needed); t_hostile: the
# same under hostile clients (issue [harden]; also bench/run's section
# hostile).
SOCKETMAP_TESTS = tests/socketmap/t_netstring tests/socketmap/t_mapreply \
	tests/socketmap/t_protocol tests/socketmap/t_hostile
check_PROGRAMS += $(SOCKETMAP_TESTS)
TESTS += $(SOCKETMAP_TESTS)

tests_socketmap_t_netstring_SOURCES = tests/socketmap/t_netstring.c tests/tap.h
tests_socketmap_t_netstring_LDADD = $(LIBMTASTS)

tests_socketmap_t_mapreply_SOURCES = tests/socketmap/t_mapreply.c tests/tap.h
tests_socketmap_t_mapreply_LDADD = $(LIBMTASTS)

# The server and the real engine, fed by tests/engine's scripted source
# (no DNS, HTTPS or lab needed).
MAPD_TEST_SOURCES = tests/socketmap/mapcli.c tests/socketmap/mapcli.h \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h \
	milter/mapd.c milter/mapconn.c milter/maploop.c milter/mapanswer.c \
	milter/sockspec.c milter/log.c milter/metrics.c
tests_socketmap_t_protocol_SOURCES = tests/socketmap/t_protocol.c \
	$(MAPD_TEST_SOURCES)
tests_socketmap_t_protocol_LDADD = $(LIBMTASTS)
tests_socketmap_t_protocol_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_socketmap_t_hostile_SOURCES = tests/socketmap/t_hostile.c \
	$(MAPD_TEST_SOURCES)
tests_socketmap_t_hostile_LDADD = $(LIBMTASTS)
tests_socketmap_t_hostile_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter

# End to end in the loopback lab (root; SKIPs otherwise): every scenario row
# against expect_map and against postfix-mta-sts-resolver, out-Postfix and
# sendmail delivering through the map.
TESTS += tests/socketmap/lab-map.sh
dist_check_SCRIPTS += tests/socketmap/lab-map.sh
# Deployment shapes through out-Postfix (issue 14): smart hosts at delivery
# time, inbound mail not checked, the report sender's transport.
TESTS += tests/socketmap/lab-deploy.sh
dist_check_SCRIPTS += tests/socketmap/lab-deploy.sh
# Debian 13's Postfix 3.10 (tests/lab/postfix310) with the map name postfix-sts:
# the attribute form accepted, the exact one-label wildcard rule in effect.
TESTS += tests/socketmap/lab-postfix310-sts.sh
dist_check_SCRIPTS += tests/socketmap/lab-postfix310-sts.sh
# sendmail: a stock sendmail.mc's bare FEATURE(`sts') (inet:5461) against the
# shipped MapSocket line; the local mailer not checked at RCPT.
TESTS += tests/socketmap/lab-sendmail-bare.sh
dist_check_SCRIPTS += tests/socketmap/lab-sendmail-bare.sh
EXTRA_DIST += tests/socketmap/smq-many.py
# fuzz/fuzz_netstring.c is built by `make fuzz` (listed in fuzz/local.mk).
