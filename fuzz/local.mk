# fuzz: libFuzzer targets, built by `make fuzz` with $(FUZZ_CC) (clang)
# and -fsanitize=fuzzer,address,undefined, directly from the lib/*.c they
# need (not from the gcc-built lib/libmtasts.a); run by fuzz/smoke.sh.
#
# To add a target fuzz/fuzz_foo.c, add ONE line (nothing else to edit):
#   FUZZ_TARGETS += fuzz_foo:lib/proto/sts_foo.c,lib/proto/sts_status.c
# i.e. the target name, ":", and the lib/*.c it needs, comma-separated
# (every target also links $(FUZZ_LIBS)); then list fuzz/fuzz_foo.c and
# its seed directory fuzz/corpus/fuzz_foo (and an optional libFuzzer
# dictionary fuzz/fuzz_foo.dict) in EXTRA_DIST.  fuzz/smoke.sh
# runs every built fuzz/fuzz_* with the seeds in fuzz/corpus/<target>/
# (a missing corpus directory is fine).  One list variable rather than
# per-target variables because automake (-Wall -Werror) rejects GNU
# make's $(foreach) and computed variable names.
FUZZ_TARGETS = fuzz_record:lib/proto/sts_record.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_policy:lib/proto/sts_policy.c,lib/proto/sts_mx.c,lib/proto/sts_domain.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_tlsrpt:lib/proto/sts_tlsrpt.c,lib/proto/sts_record.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_mx:lib/proto/sts_mx.c,lib/proto/sts_domain.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_domain:lib/proto/sts_domain.c,lib/proto/sts_status.c
# Targets written by other areas ([net], [socketmap], [milter]).
FUZZ_TARGETS += fuzz_http:lib/proto/sts_http.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_smtp:lib/proto/sts_smtp.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_netstring:lib/proto/sts_netstring.c,lib/engine/sts_mapreply.c,lib/proto/sts_nexthop.c,lib/proto/sts_domain.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_addr:lib/proto/sts_addr.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_persist:lib/engine/sts_persist_fast.c,lib/engine/sts_file.c,lib/engine/sts_cache.c,lib/engine/sts_cache_table.c,lib/engine/sts_cache_bulk.c,lib/engine/sts_cache_queue.c,lib/proto/sts_policy.c,lib/proto/sts_mx.c,lib/proto/sts_domain.c,lib/proto/sts_status.c
# [exim] the line protocol.
FUZZ_TARGETS += fuzz_line:lib/engine/sts_line.c,lib/proto/sts_rptagg.c,lib/engine/sts_rcptreply.c,lib/engine/sts_mapreply.c,lib/engine/sts_verdict.c,lib/proto/sts_nexthop.c,lib/proto/sts_policy.c,lib/proto/sts_mx.c,lib/proto/sts_domain.c,lib/proto/sts_status.c
# [ops] the control socket's request parser.
FUZZ_TARGETS += fuzz_ctlcmd:lib/proto/sts_ctlcmd.c,lib/proto/sts_status.c
# [fleet] the shared cache entry decoder (values read from Redis).
FUZZ_TARGETS += fuzz_shentry:lib/proto/sts_shentry.c,lib/proto/sts_policy.c,lib/proto/sts_mx.c,lib/proto/sts_domain.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_rptdgram:lib/proto/sts_rptdgram.c,lib/proto/sts_rptjs.c,lib/proto/sts_rptagg.c,lib/proto/sts_rptline.c,lib/proto/sts_rptjson.c,lib/proto/sts_domain.c,lib/proto/sts_status.c
FUZZ_TARGETS += fuzz_rptline:lib/proto/sts_rptline.c,lib/proto/sts_rptjs.c,lib/proto/sts_rptagg.c,lib/proto/sts_domain.c,lib/proto/sts_status.c

FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CPPFLAGS = -I$(top_builddir) $(LIB_CPPFLAGS) \
	$(CJSON_CFLAGS) $(IDN2_CFLAGS) $(UNBOUND_CFLAGS) $(MBEDTLS_CFLAGS)
FUZZ_LIBS = $(IDN2_LIBS) $(CJSON_LIBS)

fuzz:
	@test -n "$(FUZZ_CC)" || { echo "make fuzz: no clang found; set FUZZ_CC" >&2; exit 1; }
	@$(MKDIR_P) fuzz
	@set -e; for spec in $(FUZZ_TARGETS); do \
	  t=$${spec%%:*}; srcs=; \
	  for s in `echo "$${spec#*:}" | tr ',' ' '`; do srcs="$$srcs $(top_srcdir)/$$s"; done; \
	  echo "  FUZZ     fuzz/$$t"; \
	  $(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) -o fuzz/$$t \
	    $(top_srcdir)/fuzz/$$t.c $$srcs $(FUZZ_LIBS); \
	done
.PHONY: fuzz

fuzz-clean:
	@for spec in $(FUZZ_TARGETS); do rm -f "fuzz/$${spec%%:*}"; done
	rm -rf fuzz/smoke-out fuzz/campaign-out
clean-local: fuzz-clean
.PHONY: fuzz-clean

dist_noinst_SCRIPTS += fuzz/smoke.sh fuzz/campaign.sh
EXTRA_DIST += fuzz/README fuzz/fuzz_record.c fuzz/fuzz_policy.c fuzz/fuzz_tlsrpt.c \
	fuzz/fuzz_mx.c fuzz/fuzz_domain.c fuzz/fuzz_txt.h fuzz/corpus \
	fuzz/fuzz_policy.dict fuzz/fuzz_record.dict fuzz/fuzz_tlsrpt.dict \
	fuzz/fuzz_http.c fuzz/fuzz_smtp.c fuzz/fuzz_netstring.c fuzz/fuzz_addr.c \
	fuzz/fuzz_persist.c fuzz/fuzz_ctlcmd.c fuzz/fuzz_shentry.c fuzz/fuzz_rptdgram.c fuzz/fuzz_rptline.c \
	fuzz/fuzz_line.c
