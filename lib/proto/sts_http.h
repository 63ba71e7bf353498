/*
 * sts_http.h - a strict, incremental, bounded HTTP/1.1 response parser
 * for the policy fetch (RFC 8461 section 3.3, RFC 9112).
 *
 * Own parser, not libhttp-parser: Debian's libhttp-parser (nodejs
 * http-parser) is archived and unmaintained upstream (superseded by
 * llhttp, which Debian 12 does not package for C); its caps are
 * compile-time globals (HTTP_MAX_HEADER_SIZE) covering all headers
 * together rather than per line and per count; strictness is a build
 * flag we do not control in a distro library; and it would still leave
 * us the body cap, Content-Type and status policy to write.  What we
 * need is a small subset - one response, status line, headers,
 * Content-Length / chunked / read-to-close bodies - in about 400 lines
 * with every cap explicit, which is easier to audit and to fuzz
 * (fuzz/fuzz_http.c) than a generic callback parser plus glue.
 *
 * Rules (fail closed):
 *   - status line "HTTP/1.x SP 3DIGIT SP reason" (reason may be empty);
 *   - every line ends in CRLF (a bare LF is tolerated, RFC 9112 2.2);
 *     a line longer than STS_MAX_HTTP_LINE, more than
 *     STS_MAX_HTTP_HEADERS header fields, obsolete line folding, a
 *     field name with bad characters or a space before the colon,
 *     NUL/CR in values: STS_INVALID;
 *   - Transfer-Encoding other than exactly "chunked", or both it and
 *     Content-Length, or differing repeated Content-Length: STS_INVALID;
 *   - the body (whatever its framing) may not exceed the body cap given
 *     at creation: STS_NOMEM "body exceeds N bytes";
 *   - 1xx interim responses are rejected (we never send Expect);
 *   - a read-until-close body is complete only when the close was a TLS
 *     close_notify (RFC 9112 section 9.8, see sts_http_eof()).
 * Only the first 127 bytes of Content-Type and Location are kept.
 *
 * Thread-safety: a parser is used by one thread; different parsers are
 * independent.  Pure: no I/O, no clock.
 */
#ifndef STS_HTTP_H
#define STS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_limits.h"
#include "sts_status.h"

struct sts_http;

/* body_max: cap on the body in bytes (e.g. STS_MAX_POLICY_BODY). */
struct sts_http *sts_http_new(size_t body_max);
void sts_http_free(struct sts_http *h);

/*
 * Feed the next len bytes of the response.  *used (may be NULL) is set to
 * the bytes consumed; bytes after the end of the message are not
 * consumed.
 *   STS_OK       fine so far (see sts_http_done(), sts_http_headers_done())
 *   STS_INVALID  malformed (why says where)
 *   STS_NOMEM    a cap was exceeded or allocation failed
 * After an error every further call returns the same error.
 */
enum sts_status sts_http_feed(struct sts_http *h, const char *data, size_t len,
			      size_t *used, char *why, size_t whylen);

/*
 * The peer closed the connection; close_notify says whether the close was
 * a valid TLS closure alert (false: a bare TCP FIN or reset).  For a
 * read-to-close body (neither Content-Length nor chunked) this ends the
 * message (STS_OK) only with close_notify: RFC 9112 section 9.8 says such
 * a body is complete only after a closure alert, and without one an
 * on-path attacker can cut it ("max_age: 31557600" arriving as
 * "max_age: 3").  Without close_notify, and anywhere else before the end
 * of the message: STS_INVALID ("truncated").  Content-Length and chunked
 * bodies end by their framing and do not depend on close_notify.
 */
enum sts_status sts_http_eof(struct sts_http *h, bool close_notify, char *why,
			     size_t whylen);

/* True once the status line and all headers were parsed. */
bool sts_http_headers_done(const struct sts_http *h);
/* True once the whole message was parsed. */
bool sts_http_done(const struct sts_http *h);

/* Available once headers are done: */
int sts_http_status(const struct sts_http *h);
/* "" when absent. */
const char *sts_http_content_type(const struct sts_http *h);
const char *sts_http_location(const struct sts_http *h);

/* The body received so far (complete once sts_http_done()); not
 * NUL-terminated; owned by the parser. */
const char *sts_http_body(const struct sts_http *h, size_t *len);

/*
 * RFC 8461 section 3.3 / checklist C6: is ctype "text/plain", in any
 * case, optionally followed by ";" parameters (OWS allowed)?  Pure.
 */
bool sts_http_ctype_is_text_plain(const char *ctype);

#endif /* STS_HTTP_H */
