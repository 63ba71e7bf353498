# lib/proto: the pure protocol layer (the lowest of lib/'s three).
# Parsers and formatters of what the RFCs define (domains, the _mta-sts TXT
# record, the policy file, mx patterns, TLS-RPT records, recipient
# addresses, HTTP/1.1 responses, SMTP replies, netstrings), the status
# enum and the caps.  No I/O, no threads, no clock: functions of their
# input.  Includes nothing from lib/net or lib/engine (tests/layers.sh).
lib_libmtasts_a_SOURCES += \
	lib/proto/sts_status.c lib/proto/sts_status.h lib/proto/sts_limits.h \
	lib/proto/sts_domain.c lib/proto/sts_domain.h \
	lib/proto/sts_record.c lib/proto/sts_record.h \
	lib/proto/sts_policy.c lib/proto/sts_policy.h \
	lib/proto/sts_mx.c lib/proto/sts_mx.h \
	lib/proto/sts_tlsrpt.c lib/proto/sts_tlsrpt.h \
	lib/proto/sts_addr.c lib/proto/sts_addr.h \
	lib/proto/sts_http.c lib/proto/sts_http.h \
	lib/proto/sts_smtp.c lib/proto/sts_smtp.h \
	lib/proto/sts_netstring.c lib/proto/sts_netstring.h \
	lib/proto/sts_nexthop.c lib/proto/sts_nexthop.h \
	lib/proto/sts_ctlcmd.c lib/proto/sts_ctlcmd.h \
	lib/proto/sts_shentry.c lib/proto/sts_shentry.h \
	lib/proto/sts_rptjs.c lib/proto/sts_rptjs.h \
	lib/proto/sts_rptagg.c lib/proto/sts_rptagg.h \
	lib/proto/sts_rptline.c lib/proto/sts_rptline.h \
	lib/proto/sts_rptdgram.c lib/proto/sts_rptdgram.h \
	lib/proto/sts_rptjson.c lib/proto/sts_rptjson.h \
	lib/proto/sts_rptmail.c lib/proto/sts_rptmail.h \
	lib/proto/sts_gzip.c lib/proto/sts_gzip.h
