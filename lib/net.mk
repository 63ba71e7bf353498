# lib: build rules (see the top Makefile.am)
# [net] the network clients: resolver, sockets, TLS, HTTP, fetch, SMTP,
# probe, DANE.
lib_libmtasts_a_SOURCES += \
	lib/sts_resolver.h lib/sts_resolver.c \
	lib/sts_sock.h lib/sts_sock.c \
	lib/sts_tls.h lib/sts_tls.c \
	lib/sts_http.h lib/sts_http.c \
	lib/sts_fetch.h lib/sts_fetch.c \
	lib/sts_smtp.h lib/sts_smtp.c \
	lib/sts_probe.h lib/sts_probe.c \
	lib/sts_dane.h lib/sts_dane.c
