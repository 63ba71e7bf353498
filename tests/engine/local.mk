# tests/engine: unit tests of the policy engine ([cache]) with a scripted
# source and an injected clock, and the lab test with the real source.
engine_unit_tests = tests/engine/test_verdict tests/engine/test_override \
	tests/engine/test_cache tests/engine/test_persist \
	tests/engine/test_concurrency tests/engine/test_maint \
	tests/engine/test_nexthop tests/engine/test_recheck \
	tests/engine/test_queue tests/engine/test_files \
	tests/engine/test_admin tests/engine/test_shared \
	tests/engine/test_rptstore tests/engine/test_wakeups
check_PROGRAMS += $(engine_unit_tests)
TESTS += $(engine_unit_tests) tests/engine/lab-engine.sh tests/engine/lab-fleet.sh
dist_check_SCRIPTS += tests/engine/lab-engine.sh tests/engine/lab-fleet.sh
EXTRA_DIST += tests/engine/fleet-ask.py
EXTRA_DIST += tests/engine/verdict.tsv
tests_engine_test_verdict_SOURCES = tests/engine/test_verdict.c tests/tap.h
tests_engine_test_verdict_LDADD = $(LIBMTASTS)
tests_engine_test_override_SOURCES = tests/engine/test_override.c tests/tap.h
tests_engine_test_override_LDADD = $(LIBMTASTS)
tests_engine_test_cache_SOURCES = tests/engine/test_cache.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_cache_LDADD = $(LIBMTASTS)
tests_engine_test_persist_SOURCES = tests/engine/test_persist.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_persist_LDADD = $(LIBMTASTS)
tests_engine_test_concurrency_SOURCES = tests/engine/test_concurrency.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_concurrency_LDADD = $(LIBMTASTS)
tests_engine_test_maint_SOURCES = tests/engine/test_maint.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_maint_LDADD = $(LIBMTASTS)
tests_engine_test_nexthop_SOURCES = tests/engine/test_nexthop.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_nexthop_LDADD = $(LIBMTASTS)
tests_engine_test_recheck_SOURCES = tests/engine/test_recheck.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_recheck_LDADD = $(LIBMTASTS)
tests_engine_test_queue_SOURCES = tests/engine/test_queue.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_queue_LDADD = $(LIBMTASTS)
tests_engine_test_wakeups_SOURCES = tests/engine/test_wakeups.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_wakeups_LDADD = $(LIBMTASTS)
tests_engine_test_admin_SOURCES = tests/engine/test_admin.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_admin_LDADD = $(LIBMTASTS)
tests_engine_test_files_SOURCES = tests/engine/test_files.c tests/tap.h
tests_engine_test_files_LDADD = $(LIBMTASTS)
tests_engine_test_shared_SOURCES = tests/engine/test_shared.c \
	tests/engine/scripted.c tests/engine/scripted.h tests/tap.h
tests_engine_test_shared_LDADD = $(LIBMTASTS)
tests_engine_test_rptstore_SOURCES = tests/engine/test_rptstore.c tests/tap.h
tests_engine_test_rptstore_LDADD = $(LIBMTASTS)
# the lab test drives the engine with the real source through this tool
check_PROGRAMS += tests/engine/engine-probe
tests_engine_engine_probe_SOURCES = tests/engine/engine-probe.c
tests_engine_engine_probe_LDADD = $(LIBMTASTS)
EXTRA_DIST += etc/overrides.sample
