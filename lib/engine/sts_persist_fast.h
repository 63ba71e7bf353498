/*
 * sts_persist_fast.h - the state-file loader's fast path (sts_persist.c
 * uses it for every line; fuzz/fuzz_persist.c checks it against the
 * cJSON path).
 *
 * sts_persist_fast_parse() parses line s[0..n) (a trailing newline
 * allowed) of exactly the shape sts_persist_save() writes into *r and
 * pat[0..STS_PERSIST_FAST_MX), with the cJSON path's checks (LDH names,
 * id alphabet and length, ranges; fetched at most a day after now).
 * true: parsed; the strings are NUL-terminated in place and *r points
 * into s.  false: not that shape, or a value the cJSON path would refuse;
 * s is then unchanged, for the cJSON path to judge and say why.
 *
 * No state, no allocation: thread-safe on distinct lines.
 */
#ifndef STS_PERSIST_FAST_H
#define STS_PERSIST_FAST_H

/* The fast path takes lines of at most this many mx patterns (nearly
 * all); longer ones (policies have no mx count cap, issue 13 item 7) go
 * the cJSON way, which has none. */
#define STS_PERSIST_FAST_MX 64

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sts_cache.h"

bool sts_persist_fast_parse(char *s, size_t n, time_t now,
			    struct sts_cache_record *r, const char **pat);

#endif /* STS_PERSIST_FAST_H */
