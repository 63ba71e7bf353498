# lib/ parsing core (issue [core]): pure parsers, no I/O, no globals.
lib_libmtasts_a_SOURCES += \
	lib/sts_policy.h lib/sts_domain.h lib/sts_record.h lib/sts_mx.h lib/sts_tlsrpt.h \
	lib/sts_domain.c lib/sts_record.c lib/sts_policy.c lib/sts_mx.c lib/sts_tlsrpt.c
