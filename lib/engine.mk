# lib/ policy engine (issue [cache]): cache, single-flight workers, state
# file, override files, verdict, and the source seam to [net].
lib_libmtasts_a_SOURCES += \
	lib/sts_engine.h lib/sts_engine.c \
	lib/sts_cache.h lib/sts_cache.c \
	lib/sts_hopcache.h lib/sts_hopcache.c lib/sts_lru.h \
	lib/sts_persist.h lib/sts_persist.c \
	lib/sts_override.h lib/sts_override.c \
	lib/sts_verdict.h lib/sts_verdict.c \
	lib/sts_source.h lib/sts_source_net.c
