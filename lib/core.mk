# lib/ parsing core (issue [core]).
lib_libmtasts_a_SOURCES += \
	lib/sts_policy.h lib/sts_domain.h lib/sts_record.h lib/sts_mx.h lib/sts_tlsrpt.h
