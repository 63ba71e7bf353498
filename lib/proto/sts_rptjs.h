/*
 * sts_rptjs.h - strict readers of cJSON fields shared by the TLS-report
 * parsers (sts_rptdgram.c, sts_rptline.c).
 *
 * Pure and thread-safe; no allocation except the returned copies, which
 * the caller frees.
 */
#ifndef STS_RPTJS_H
#define STS_RPTJS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sts_status.h"

/* 1 if obj (an object) holds a key outside allowed (NULL-terminated
 * list) or a key twice: strict parsers refuse both. */
int sts_rptjs_bad_keys(const cJSON *obj, const char *const *allowed);

/* The string member name of obj, copied: STS_NOTFOUND if absent (and
 * *out NULL), STS_INVALID if not a string or longer than cap
 * (escaped control characters are kept), STS_NOMEM. */
enum sts_status sts_rptjs_str(const cJSON *obj, const char *name, size_t cap,
			      char **out);

/* The member name as an integer in [0, max]: STS_NOTFOUND if absent,
 * STS_INVALID if not an integral number in range. */
enum sts_status sts_rptjs_uint(const cJSON *obj, const char *name, uint64_t max,
			       uint64_t *out);

/* An array of at most cap strings (each at most fieldcap): *out is a
 * malloc'd array of copies (NULL for an empty array), *n its length.
 * STS_NOTFOUND if absent, STS_INVALID, STS_NOMEM. */
enum sts_status sts_rptjs_strlist(const cJSON *obj, const char *name,
				  size_t cap, size_t fieldcap, char ***out,
				  size_t *n);

#endif /* STS_RPTJS_H */
