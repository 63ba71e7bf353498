# tests/unit: table-driven tests of the lib/ parsing core ([core]), and
# cli.sh, which runs the built mta-sts-check.  Every program speaks TAP.
core_unit_tests = tests/unit/test_policy tests/unit/test_record \
	tests/unit/test_tlsrpt tests/unit/test_mx tests/unit/test_domain \
	tests/unit/test_ctlcmd \
	tests/unit/test_shentry \
	tests/unit/test_rpt
check_PROGRAMS += $(core_unit_tests)
TESTS += $(core_unit_tests) tests/unit/cli.sh
dist_check_SCRIPTS += tests/unit/cli.sh
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c tests/tap.h
tests_unit_test_policy_LDADD = $(LIBMTASTS)
tests_unit_test_record_SOURCES = tests/unit/test_record.c tests/tap.h
tests_unit_test_record_LDADD = $(LIBMTASTS)
tests_unit_test_tlsrpt_SOURCES = tests/unit/test_tlsrpt.c tests/tap.h
tests_unit_test_tlsrpt_LDADD = $(LIBMTASTS)
tests_unit_test_mx_SOURCES = tests/unit/test_mx.c tests/tap.h
tests_unit_test_mx_LDADD = $(LIBMTASTS)
tests_unit_test_domain_SOURCES = tests/unit/test_domain.c tests/tap.h
tests_unit_test_domain_LDADD = $(LIBMTASTS)
tests_unit_test_ctlcmd_SOURCES = tests/unit/test_ctlcmd.c tests/tap.h
tests_unit_test_ctlcmd_LDADD = $(LIBMTASTS)
tests_unit_test_shentry_SOURCES = tests/unit/test_shentry.c tests/tap.h
tests_unit_test_shentry_LDADD = $(LIBMTASTS)
tests_unit_test_rpt_SOURCES = tests/unit/test_rpt.c tests/tap.h
tests_unit_test_rpt_LDADD = $(LIBMTASTS)
# Sample policies: used by cli.sh and by the README demo.
EXTRA_DIST += tests/data/policy-enforce.txt tests/data/policy-enforce-crlf.txt \
	tests/data/policy-testing.txt tests/data/policy-none.txt \
	tests/data/policy-bad-mode-case.txt tests/data/policy-bad-max-age.txt \
	tests/data/policy-bad-mx-crlf.txt tests/data/policy-bad-comment.txt \
	tests/data/policy-bad-no-mx.txt tests/data/policy-bad-bom.txt \
	tests/data/tlsrpt-dgram-1.json tests/data/tlsrpt-dgram-2.json \
	tests/data/tlsrpt-dgram-3.json tests/data/tlsrpt-dgram-4.json \
	tests/data/tlsrpt-dgram-rc1-3.json \
	tests/data/policy-ignored-mx.txt tests/data/policy-only-ip-mx.txt
