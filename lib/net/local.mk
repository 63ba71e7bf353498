# lib/net: the network clients (the middle layer).  Sockets with
# deadlines, the validating resolver (libunbound), TLS (mbedTLS), the
# policy fetcher, the STARTTLS prober and DANE.  Each call is bounded by a
# deadline and returns a status; no caching, no policy decisions.  May
# include lib/proto, never lib/engine (tests/layers.sh).
lib_libmtasts_a_SOURCES += \
	lib/net/sts_post.c lib/net/sts_post.h \
	lib/net/sts_resolver.c lib/net/sts_resolver.h \
	lib/net/sts_resolver_addrs.c lib/net/sts_resolver_int.h \
	lib/net/sts_sock.c lib/net/sts_sock.h \
	lib/net/sts_af.c lib/net/sts_af.h \
	lib/net/sts_tls.c lib/net/sts_tls.h lib/net/sts_tls_int.h \
	lib/net/sts_tls_verify.c \
	lib/net/sts_tls_open.c lib/net/sts_tls_open.h \
	lib/net/sts_fetch.c lib/net/sts_fetch.h \
	lib/net/sts_probe.c lib/net/sts_probe.h \
	lib/net/sts_dane.c lib/net/sts_dane.h \
	lib/net/sts_redis.c lib/net/sts_redis.h
