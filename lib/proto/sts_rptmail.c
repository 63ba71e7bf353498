/*
 * sts_rptmail.c - RFC 8460 section 5.3 report messages (sts_rptmail.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts_rptagg.h"
#include "sts_rptmail.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum sts_status
sts_rptmail_rcpt(const char *uri, char *out, size_t outlen)
{
	size_t o = 0, at = 0;
	const char *p;

	if (strncasecmp(uri, "mailto:", 7) != 0)
		return STS_INVALID;
	for (p = uri + 7; *p != '\0' && *p != '?'; p++) {
		int c = (unsigned char)*p;
		if (c == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
			if (l < 0)
				return STS_INVALID;
			c = h * 16 + l;
			p += 2;
		}
		/* One plain addr-spec: no white space, controls, list
		 * separators, quoting or route syntax. */
		if (c <= 0x20 || c >= 0x7f || strchr(",;:\"<>()[]\\", c))
			return STS_INVALID;
		if (c == '@')
			at++;
		if (o + 1 >= outlen)
			return STS_INVALID;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (at != 1 || out[0] == '@' || out[o - 1] == '@')
		return STS_INVALID;
	return STS_OK;
}

void
sts_rptmail_filename(const char *submitter, const char *domain, int64_t day,
		     char *out, size_t outlen)
{
	int64_t begin = day * 86400, end = begin + 86399;

	snprintf(out, outlen,
		 "%s!%s!%" PRId64 "!%" PRId64 "!%" PRId64 ".json.gz", submitter,
		 domain, begin, end, day);
}

void
sts_rptmail_report_id(int64_t day, const char *domain, const char *submitter,
		      char *out, size_t outlen)
{
	char d[16] = "";

	if (sts_rpt_day_str(day, d, sizeof(d))) {
		/* "2026-12-02" -> "20261202" */
		memmove(d + 4, d + 5, 2);
		memmove(d + 6, d + 8, 3);
	}
	snprintf(out, outlen, "%s.%s@%s", d, domain, submitter);
}

struct buf {
	char *p;
	size_t n, cap;
	int oom;
};

static void
put(struct buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->n + len + 1 > b->cap) {
		size_t nc = (b->n + len + 1) * 2;
		char *np = realloc(b->p, nc);
		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
base64(struct buf *b, const unsigned char *d, size_t len)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
				"uvwxyz0123456789+/";
	char line[80];
	size_t l = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)d[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)d[i + 1] << 8;
		if (i + 2 < len)
			v |= d[i + 2];
		line[l++] = t[(v >> 18) & 63];
		line[l++] = t[(v >> 12) & 63];
		line[l++] = i + 1 < len ? t[(v >> 6) & 63] : '=';
		line[l++] = i + 2 < len ? t[v & 63] : '=';
		/* RFC 2045 section 6.8: at most 76 characters a line. */
		if (l == 76 || i + 3 >= len) {
			line[l++] = '\r';
			line[l++] = '\n';
			put(b, line, l);
			l = 0;
		}
	}
}

/* RFC 5322 section 3.3 date in UTC, without gmtime(). */
static void
rfc5322_date(time_t now, char *out, size_t len)
{
	static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun",
					 "Mon", "Tue", "Wed"};
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};
	int64_t t = (int64_t)now, day = t / 86400, s = t % 86400;
	char ymd[16];
	int y = 1970, m = 1, d = 1;

	if (s < 0) {
		s += 86400;
		day--;
	}
	if (sts_rpt_day_str(day, ymd, sizeof(ymd)) &&
	    sscanf(ymd, "%d-%d-%d", &y, &m, &d) != 3)
		y = 1970;
	snprintf(out, len, "%s, %d %s %d %02d:%02d:%02d +0000",
		 wd[((day % 7) + 7) % 7], d, mon[(m - 1) % 12], y,
		 (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

enum sts_status
sts_rptmail_format(const struct sts_rptmail *m, char **out, size_t *outlen)
{
	struct buf b = {0};
	char line[1024], date[64], fname[640], boundary[96];

	*out = NULL;
	*outlen = 0;
	rfc5322_date(m->now, date, sizeof(date));
	sts_rptmail_filename(m->submitter, m->domain, m->day, fname,
			     sizeof(fname));
	snprintf(boundary, sizeof(boundary), "tlsrpt_%" PRId64 "_%lx", m->day,
		 (unsigned long)m->gzlen);
	snprintf(line, sizeof(line), "From: %s\r\nDate: %s\r\nTo: %s\r\n",
		 m->from, date, m->to);
	puts_(&b, line);
	/* Section 5.3 Subject ABNF, folded at FWS. */
	snprintf(line, sizeof(line),
		 "Subject: Report Domain: %s\r\n Submitter: %s\r\n "
		 "Report-ID: <%s>\r\n",
		 m->domain, m->submitter, m->report_id);
	puts_(&b, line);
	snprintf(line, sizeof(line),
		 "Message-ID: <%s>\r\nTLS-Report-Domain: %s\r\n"
		 "TLS-Report-Submitter: %s\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
		 " boundary=\"%s\"\r\n\r\n",
		 m->report_id, m->domain, m->submitter, boundary);
	puts_(&b, line);
	snprintf(line, sizeof(line),
		 "This is a multipart message in MIME format.\r\n\r\n"
		 "--%s\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n"
		 "Content-Transfer-Encoding: 7bit\r\n\r\n"
		 "This is an aggregate TLS report (RFC 8460) from %s\r\n"
		 "for %s.\r\n\r\n",
		 boundary, m->submitter, m->domain);
	puts_(&b, line);
	snprintf(line, sizeof(line),
		 "--%s\r\nContent-Type: application/tlsrpt+gzip\r\n"
		 "Content-Transfer-Encoding: base64\r\n"
		 "Content-Disposition: attachment;\r\n filename=\"%s\"\r\n\r\n",
		 boundary, fname);
	puts_(&b, line);
	base64(&b, m->gz, m->gzlen);
	snprintf(line, sizeof(line), "\r\n--%s--\r\n", boundary);
	puts_(&b, line);
	if (b.oom) {
		free(b.p);
		return STS_NOMEM;
	}
	*out = b.p;
	*outlen = b.n;
	return STS_OK;
}
