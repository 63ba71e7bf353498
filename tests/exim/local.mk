# tests/exim: the Exim line protocol (issue [exim]).  t_line: the pure
# parser and formatters; lab-exim.sh: a real Debian Exim in the loopback
# lab (root; SKIPs otherwise).
EXIM_UNIT_TESTS = tests/exim/t_line
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
