# lib/engine: the policy engine (the top layer).  The RFC 8461 cache and
# its single-flight workers, next-hop state, the state file, override
# files, the verdict table, the engine object and its two front doors
# (check for the milter, lookup for the policy map) and the map replies.
# It reaches DNS/HTTPS/SMTP only through struct sts_source
# (sts_source.h); sts_source_net.c is the one file that wires lib/net in,
# so the unit tests link the engine with a scripted source and no
# network code.
lib_libmtasts_a_SOURCES += \
	lib/engine/sts_rptstore.c lib/engine/sts_rptstore.h \
	lib/engine/sts_engine.c lib/engine/sts_engine.h lib/engine/sts_engine_int.h \
	lib/engine/sts_engine_jobs.c lib/engine/sts_engine_nexthop.c \
	lib/engine/sts_engine_check.c lib/engine/sts_engine_lookup.c \
	lib/engine/sts_engine_recheck.c \
	lib/engine/sts_engine_admin.c lib/engine/sts_engine_admin.h \
	lib/engine/sts_engine_metrics.h \
	lib/engine/sts_engine_shared.c lib/engine/sts_shared.c lib/engine/sts_shared.h \
	lib/engine/sts_cache.c lib/engine/sts_cache.h lib/engine/sts_cache_int.h \
	lib/engine/sts_cache_table.c lib/engine/sts_cache_bulk.c \
	lib/engine/sts_cache_queue.c \
	lib/engine/sts_cache_admin.c \
	lib/engine/sts_hopcache.c lib/engine/sts_hopcache.h lib/engine/sts_lru.h \
	lib/engine/sts_persist.c lib/engine/sts_persist.h \
	lib/engine/sts_persist_fast.c lib/engine/sts_persist_fast.h \
	lib/engine/sts_override.c lib/engine/sts_override.h \
	lib/engine/sts_verdict.c lib/engine/sts_verdict.h \
	lib/engine/sts_source.h lib/engine/sts_source_net.c \
	lib/engine/sts_mapreply.c lib/engine/sts_mapreply.h \
	lib/engine/sts_rcptreply.c lib/engine/sts_rcptreply.h \
	lib/engine/sts_line.c lib/engine/sts_line.h \
	lib/engine/sts_file.c lib/engine/sts_file.h
