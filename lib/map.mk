# lib/ socketmap protocol: netstrings and map replies (issue [socketmap]).
lib_libmtasts_a_SOURCES += \
	lib/sts_netstring.c lib/sts_netstring.h \
	lib/sts_mapreply.c lib/sts_mapreply.h
