# tests/net: [net]'s pure unit tests (HTTP response parser, SMTP reply
# parser, DNS-ID matching, happy-eyeballs connects on loopback) and the lab test lab-net.sh (root; skips
# itself otherwise).  Every program speaks TAP.
net_unit_tests = tests/net/test_http tests/net/test_smtp tests/net/t_forwarder \
	tests/net/test_sock tests/net/t_resdelay tests/net/t_reswake \
	tests/net/test_af
check_PROGRAMS += $(net_unit_tests)
TESTS += $(net_unit_tests) tests/net/lab-net.sh
dist_check_SCRIPTS += tests/net/lab-net.sh
tests_net_test_http_SOURCES = tests/net/test_http.c tests/tap.h
tests_net_test_http_LDADD = $(LIBMTASTS)
tests_net_test_smtp_SOURCES = tests/net/test_smtp.c tests/tap.h
tests_net_test_smtp_LDADD = $(LIBMTASTS)
# sts_sock_connect_any() (RFC 8305) on loopback, no lab
tests_net_test_sock_SOURCES = tests/net/test_sock.c tests/tap.h
tests_net_test_sock_LDADD = $(LIBMTASTS)
# AddressFamilies (sts_af.h): names, the rules of auto, and the queries
# the resolver sends for each setting (fake_ns.h, no lab)
tests_net_test_af_SOURCES = tests/net/test_af.c tests/net/fake_ns.h tests/tap.h
tests_net_test_af_LDADD = $(LIBMTASTS)
# Issue [harden] 7: a forwarder flooded with unanswered names is used
# again at once (hermetic: the forwarder is in the test, on 127.0.0.1).
tests_net_t_forwarder_SOURCES = tests/net/t_forwarder.c tests/net/fake_ns.h \
	tests/tap.h
tests_net_t_forwarder_LDADD = $(LIBMTASTS)
# RFC 8305 section 3: a name server that drops AAAA costs 50 ms (hermetic)
tests_net_t_resdelay_SOURCES = tests/net/t_resdelay.c tests/net/fake_ns.h \
	tests/tap.h
tests_net_t_resdelay_LDADD = $(LIBMTASTS)
# A lookup whose answer another waiting thread read wakes at once (hermetic)
tests_net_t_reswake_SOURCES = tests/net/t_reswake.c tests/net/fake_ns.h \
	tests/tap.h
tests_net_t_reswake_LDADD = $(LIBMTASTS)
# lab helpers run by lab-net.sh (not tests by themselves)
check_PROGRAMS += tests/net/resolver_mt
tests_net_resolver_mt_SOURCES = tests/net/resolver_mt.c
tests_net_resolver_mt_LDADD = $(LIBMTASTS)
check_PROGRAMS += tests/net/probe_fake
tests_net_probe_fake_SOURCES = tests/net/probe_fake.c
tests_net_probe_fake_LDADD = $(LIBMTASTS)
check_PROGRAMS += tests/net/tls_memo
tests_net_tls_memo_SOURCES = tests/net/tls_memo.c
tests_net_tls_memo_LDADD = $(LIBMTASTS)
