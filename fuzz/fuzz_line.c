/*
 * fuzz_line.c - libFuzzer target for the Exim line protocol (issue
 * [exim]): any byte stream, framed by sts_line_frame() the way the
 * listener frames it (first a prefix, then everything, as pieces
 * arrive) and parsed by sts_line_parse(), must give OK or INVALID,
 * never a crash; an OK request's fields lie within the caps and hold no
 * control byte; the reply to a bad request is one line.  A "tlsrpt"
 * request (RFC 8460 sessions from Exim) has a known policy type, a
 * host-name MX within STS_MAX_DOMAIN, "success" or a known result type,
 * and an address of hex digits, dots and colons within STS_MAX_LINE_IP;
 * its reply is one line.  The first input byte picks the split point.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
no_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_tlsrpt(const struct sts_line_req *req)
{
	char reply[128];
	size_t n;

	if (sts_rpt_ptype_str(req->ptype) == NULL ||
	    strlen(req->mx) > STS_MAX_DOMAIN ||
	    strspn(req->mx,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-._") != strlen(req->mx) ||
	    strlen(req->ip) > STS_MAX_LINE_IP ||
	    strspn(req->ip, "0123456789abcdefABCDEF.:") != strlen(req->ip) ||
	    req->success != (req->result == STS_RPT_NONE) ||
	    (!req->success &&
	     sts_rpt_parse(sts_rpt_str(req->result)) != req->result))
		abort();
	n = sts_line_format_tlsrpt("ok", NULL, reply, sizeof(reply));
	if (n >= sizeof(reply) || strchr(reply, '\n') != reply + n - 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_line_req req;
	char why[STS_WHY_MAX], reply[512];
	const char *buf;
	size_t have, cut, n;
	enum sts_status st;
	long end;

	if (size == 0)
		return 0;
	cut = data[0];
	buf = (const char *)data + 1;
	size--;
	have = cut < size ? cut : size;
	end = sts_line_frame(buf, have);
	if (end == 0 && have < size)
		end = sts_line_frame(buf, have = size);
	if (end > (long)have)
		abort();
	/* a complete line, or what came before EOF, or a refusal */
	n = end > 0 ? (size_t)end : have;
	st = sts_line_parse(buf, n, &req, why, sizeof(why));
	if (st == STS_OK) {
		if (end < 0 || strlen(req.domain) == 0 ||
		    strlen(req.domain) > STS_MAX_DOMAIN_INPUT ||
		    strlen(req.sender) > STS_MAX_ADDR_INPUT ||
		    strchr(req.domain, ' ') != NULL ||
		    (req.verb != STS_LINE_RCPT && req.verb != STS_LINE_STS &&
		     req.verb != STS_LINE_TLSRPT))
			abort();
		no_ctl(req.domain);
		no_ctl(req.sender);
		if (req.verb == STS_LINE_TLSRPT)
			check_tlsrpt(&req);
		else if (req.mx[0] != '\0' || req.ip[0] != '\0')
			abort();
	} else if (st == STS_INVALID) {
		n = sts_line_format_error(why, reply, sizeof(reply));
		if (n >= sizeof(reply) || strchr(reply, '\n') != reply + n - 1)
			abort();
	} else {
		abort();
	}
	return 0;
}
