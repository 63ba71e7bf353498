# bench: benchmarks against the peer and the limit (issue 9).
# The programs are EXTRA_PROGRAMS: a normal build does not pay for them;
# `make bench-programs` builds them and `make bench` runs bench/run
# (which needs root and the loopback lab, tests/lab/).
BENCH_PROGS = bench/smload bench/smtrivial bench/miload bench/noop_milter \
	bench/dnscount bench/stateload
EXTRA_PROGRAMS += $(BENCH_PROGS)
BENCH_UTIL = bench/benchutil.c bench/benchutil.h

bench_smload_SOURCES = bench/smload.c $(BENCH_UTIL)
bench_smtrivial_SOURCES = bench/smtrivial.c $(BENCH_UTIL)
bench_miload_SOURCES = bench/miload.c $(BENCH_UTIL)
bench_dnscount_SOURCES = bench/dnscount.c
bench_stateload_SOURCES = bench/stateload.c $(BENCH_UTIL)
bench_stateload_LDADD = $(LIBMTASTS)
bench_noop_milter_SOURCES = bench/noop_milter.c
bench_noop_milter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
bench_noop_milter_LDADD = $(MILTER_LIBS)

EXTRA_DIST += bench/run bench/report.sh bench/plot.gp bench/RESULTS.md bench/results.png
CLEANFILES += $(BENCH_PROGS)

bench-programs: $(BENCH_PROGS)

# BENCH_ARGS=--quick for the CI version.
bench: bench-programs
	BENCH_BUILDDIR='$(abs_top_builddir)' $(top_srcdir)/bench/run $(BENCH_ARGS)

.PHONY: bench bench-programs
