/*
 * sts_netstring.h - strict, bounded netstrings and socketmap requests
 * (issue [socketmap]).
 *
 * A netstring is `LEN ":" DATA ","` (D. J. Bernstein; Postfix
 * socketmap_table(5), sendmail's socket map).  LEN is decimal, without
 * leading zeros ("0" alone is the empty string), and never larger than
 * the caller's cap.  A socketmap request is one netstring holding
 * `NAME " " KEY`.
 *
 * The parser is a pure function of a byte buffer: it reads nothing,
 * keeps no state and never allocates.  It copes with split input (a
 * prefix of a valid netstring gives STS_TEMPFAIL, "need more bytes")
 * and with pipelined input (*used says where the next one starts), and
 * it reports a bad prefix as soon as one byte proves it bad, so a
 * hostile peer cannot make the caller buffer more than cap + 12 bytes.
 *
 * Thread-safety: pure and re-entrant.
 */
#ifndef STS_NETSTRING_H
#define STS_NETSTRING_H

#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

/*
 * Look for one netstring at the start of buf[len], whose data may be at
 * most cap bytes.
 *   STS_OK        complete: *data and *datalen point into buf, *used is
 *                 the whole netstring's length (the next one starts at
 *                 buf + *used)
 *   STS_TEMPFAIL  a valid prefix: read more bytes and call again
 *   STS_INVALID   not a netstring (why says why); give up on the stream
 *   STS_NOMEM     the length exceeds cap; give up on the stream
 * Outputs are set only on STS_OK.
 */
enum sts_status sts_netstring_parse(const char *buf, size_t len, size_t cap,
				    const char **data, size_t *datalen,
				    size_t *used, char *why, size_t whylen);

/*
 * Write data[len] as a netstring into out[outlen]; returns the length
 * the netstring needs (snprintf-like: nothing is written unless it
 * fits, so compare the result with outlen).  No NUL is added.
 */
size_t sts_netstring_format(const char *data, size_t len, char *out,
			    size_t outlen);

/*
 * Split a socketmap request `NAME " " KEY` (data[len], not
 * NUL-terminated) into name[namesz] and key[keysz] (NUL-terminated).
 * NAME is 1..STS_MAX_MAP_NAME visible ASCII characters; KEY is the rest
 * after the first space, 0..STS_MAX_DOMAIN_INPUT bytes of visible ASCII
 * or UTF-8 (octets >= 0x80: Postfix sends UTF-8 keys with SMTPUTF8).
 * Control characters (NUL, CR, LF, DEL, ...) anywhere are refused.
 *   STS_OK; STS_INVALID with a reason; STS_NOMEM when a part is too
 *   long (or name/key buffers are too small).
 */
enum sts_status sts_netstring_request(const char *data, size_t len, char *name,
				      size_t namesz, char *key, size_t keysz,
				      char *why, size_t whylen);

#endif /* STS_NETSTRING_H */
