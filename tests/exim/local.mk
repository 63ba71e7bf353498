# tests/exim: the Exim line protocol (issue [exim]).  t_line: the pure
# parser and formatters; t_lined: the listener; lab-exim.sh: a real
# Debian Exim in the loopback lab (root; SKIPs otherwise).
EXIM_UNIT_TESTS = tests/exim/t_line tests/exim/t_lined
check_PROGRAMS += $(EXIM_UNIT_TESTS)
TESTS += $(EXIM_UNIT_TESTS)
tests_exim_t_line_SOURCES = tests/exim/t_line.c tests/tap.h
tests_exim_t_line_LDADD = $(LIBMTASTS)
# A real Exim (Debian 12's, unpacked) in the loopback lab, every scenario
# row compared with Postfix + milter (root; SKIPs otherwise).
TESTS += tests/exim/lab-exim.sh
dist_check_SCRIPTS += tests/exim/lab-exim.sh
EXTRA_DIST += tests/exim/readsocket.py tests/exim/flood.py
# The single-file variant is generated from the conf.d files.
TESTS += tests/exim/docs.sh
dist_check_SCRIPTS += tests/exim/docs.sh
# The listener over a unix socket, in process, with the scripted engine of
# tests/engine (no root, no lab).
tests_exim_t_lined_SOURCES = tests/exim/t_lined.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h \
	milter/lined.c milter/eximq.c milter/conf.c milter/log.c milter/sockspec.c \
	milter/metrics.c milter/mapd.c milter/mapconn.c milter/maploop.c \
	milter/mapanswer.c milter/tlsrpt.c milter/tlsrpt_send.c \
	milter/tlsrpt_retry.c
tests_exim_t_lined_LDADD = $(LIBMTASTS)
tests_exim_t_lined_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
