# bench: benchmarks against the peer and the limit (issue 9).
# The load clients and the two limits are check programs (bench/selftest.sh
# tests them in `make check`); the wire counter and the state-file program
# are EXTRA_PROGRAMS.  `make bench-programs` builds all of them and
# `make bench` runs bench/run (root and the loopback lab, tests/lab/).
BENCH_CHECK_PROGS = bench/smload bench/smtrivial bench/miload bench/noop_milter
BENCH_EXTRA_PROGS = bench/dnscount bench/stateload bench/slowconn bench/coldfloor
BENCH_PROGS = $(BENCH_CHECK_PROGS) $(BENCH_EXTRA_PROGS)
check_PROGRAMS += $(BENCH_CHECK_PROGS)
EXTRA_PROGRAMS += $(BENCH_EXTRA_PROGS)
TESTS += bench/selftest.sh
BENCH_UTIL = bench/benchutil.c bench/benchutil.h

bench_smload_SOURCES = bench/smload.c $(BENCH_UTIL)
bench_smtrivial_SOURCES = bench/smtrivial.c $(BENCH_UTIL)
bench_miload_SOURCES = bench/miload.c $(BENCH_UTIL)
bench_dnscount_SOURCES = bench/dnscount.c
bench_slowconn_SOURCES = bench/slowconn.c $(BENCH_UTIL)
bench_stateload_SOURCES = bench/stateload.c $(BENCH_UTIL)
bench_stateload_LDADD = $(LIBMTASTS)
bench_coldfloor_SOURCES = bench/coldfloor.c $(BENCH_UTIL)
bench_coldfloor_LDADD = $(LIBMTASTS)
bench_noop_milter_SOURCES = bench/noop_milter.c
bench_noop_milter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
bench_noop_milter_LDADD = $(MILTER_LIBS)

EXTRA_DIST += bench/selftest.sh bench/run bench/report.sh bench/plot.gp bench/analysis.md \
	bench/RESULTS.md bench/results.png
CLEANFILES += $(BENCH_EXTRA_PROGS)

# Section hostile runs the map server's attack scenarios of
# tests/socketmap/t_hostile in bench mode (issue [harden]).
bench-programs: $(BENCH_PROGS) tests/socketmap/t_hostile

# BENCH_ARGS=--quick for the CI version.
bench: all bench-programs
	BENCH_BUILDDIR='$(abs_top_builddir)' $(top_srcdir)/bench/run $(BENCH_ARGS)

.PHONY: bench bench-programs
