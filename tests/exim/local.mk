# tests/exim: the Exim line protocol (issue [exim]).  t_line: the pure
# parser and formatters; lab-exim.sh: a real Debian Exim in the loopback
# lab (root; SKIPs otherwise).
EXIM_UNIT_TESTS = tests/exim/t_line
check_PROGRAMS += $(EXIM_UNIT_TESTS)
TESTS += $(EXIM_UNIT_TESTS)
tests_exim_t_line_SOURCES = tests/exim/t_line.c tests/tap.h
tests_exim_t_line_LDADD = $(LIBMTASTS)
