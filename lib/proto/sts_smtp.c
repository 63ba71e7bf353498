/*
 * sts_smtp.c - pure, incremental, bounded SMTP reply parser (RFC 5321
 * section 4.2).  See sts_smtp.h.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "sts_smtp.h"

void
sts_smtp_reply_init(struct sts_smtp_reply *r)
{
	r->code = 0;
	r->n_lines = 0;
	r->done = false;
	r->text[0] = '\0';
	r->text_len = 0;
	r->line_len = 0;
	r->err = STS_OK;
}

static enum sts_status
fail(struct sts_smtp_reply *r, enum sts_status st)
{
	r->err = st;
	return st;
}

/* One complete line (without its LF) in r->line. */
static enum sts_status
reply_line(struct sts_smtp_reply *r, char *why, size_t whylen)
{
	size_t n = r->line_len;
	const char *l = r->line;
	int code;
	bool last;

	r->line_len = 0;
	if (n > 0 && l[n - 1] == '\r')
		n--;
	if (n < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
	    l[2] < '0' || l[2] > '9')
		return fail(r, sts_why(why, whylen, STS_INVALID,
				       "reply line %zu: no 3-digit code",
				       r->n_lines + 1));
	if (n > 3 && l[3] != ' ' && l[3] != '-')
		return fail(r, sts_why(why, whylen, STS_INVALID,
				       "reply line %zu: bad separator",
				       r->n_lines + 1));
	for (size_t i = 0; i < n; i++)
		if (l[i] == '\r')
			return fail(r, sts_why(why, whylen, STS_INVALID,
					       "reply line %zu: bare CR",
					       r->n_lines + 1));
	code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	if (r->n_lines > 0 && code != r->code)
		return fail(r, sts_why(why, whylen, STS_INVALID,
				       "reply line %zu: code %d after %d",
				       r->n_lines + 1, code, r->code));
	if (r->n_lines >= STS_MAX_SMTP_LINES)
		return fail(r, sts_why(why, whylen, STS_NOMEM,
				       "reply has more than %d lines",
				       STS_MAX_SMTP_LINES));
	r->code = code;
	r->n_lines++;
	last = n == 3 || l[3] == ' ';
	n = n > 4 ? n - 4 : 0;
	if (r->text_len + n + 1 >= sizeof(r->text))
		return fail(r, sts_why(why, whylen, STS_NOMEM,
				       "reply longer than %d bytes",
				       STS_MAX_SMTP_REPLY));
	memcpy(r->text + r->text_len, l + 4, n);
	r->text_len += n;
	r->text[r->text_len++] = '\n';
	r->text[r->text_len] = '\0';
	r->done = last;
	return STS_OK;
}

enum sts_status
sts_smtp_reply_feed(struct sts_smtp_reply *r, const char *data, size_t len,
		    size_t *used, char *why, size_t whylen)
{
	size_t i = 0;
	enum sts_status st = STS_OK;

	if (r->err != STS_OK) {
		*used = 0;
		return sts_why(why, whylen, r->err, "earlier reply error");
	}
	while (i < len && !r->done) {
		char c = data[i++];

		if (c == '\0') {
			st = fail(r, sts_why(why, whylen, STS_INVALID,
					     "NUL byte in reply"));
			break;
		}
		if (c == '\n') {
			st = reply_line(r, why, whylen);
			if (st != STS_OK)
				break;
			continue;
		}
		if (r->line_len >= STS_MAX_SMTP_LINE) {
			st = fail(r, sts_why(why, whylen, STS_NOMEM,
					     "reply line longer than %d bytes",
					     STS_MAX_SMTP_LINE));
			break;
		}
		r->line[r->line_len++] = c;
	}
	*used = i;
	return st;
}

bool
sts_smtp_reply_has_ext(const struct sts_smtp_reply *r, const char *kw)
{
	size_t klen = strlen(kw);
	const char *p = strchr(r->text, '\n');

	/* the first line is the greeting, extensions follow */
	while (p != NULL && p[1] != '\0') {
		p++;
		if (strncasecmp(p, kw, klen) == 0 &&
		    (p[klen] == '\n' || p[klen] == ' '))
			return true;
		p = strchr(p, '\n');
	}
	return false;
}

void
sts_smtp_reply_first(const struct sts_smtp_reply *r, char *buf, size_t buflen)
{
	size_t i;

	if (buflen == 0)
		return;
	for (i = 0; i + 1 < buflen && r->text[i] != '\0' && r->text[i] != '\n';
	     i++) {
		unsigned char c = (unsigned char)r->text[i];

		buf[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	buf[i] = '\0';
}
