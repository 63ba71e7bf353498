/*
 * sts_addr.c - recipient address -> policy domain (see sts_addr.h).
 */
#include "config.h"

#include <string.h>

#include "sts_addr.h"

/* Bytes that can never be part of a domain or address literal we would
 * look up: controls, space, and the RFC 5322 specials that are not
 * valid in a dot-atom domain. */
static int
bad_domain_byte(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || strchr("<>()\"\\,;:@[]", c) != NULL;
}

static enum sts_status
no_domain(char *out, size_t outlen, char *why, size_t whylen,
	  enum sts_status st, const char *reason)
{
	if (outlen > 0)
		out[0] = '\0';
	return sts_why(why, whylen, st, "%s", reason);
}

enum sts_status
sts_addr_domain(const char *addr, char *out, size_t outlen, char *why,
		size_t whylen)
{
	const char *p, *end, *at = NULL;
	size_t len, i, dlen;
	int quoted = 0;

	if (addr == NULL)
		return no_domain(out, outlen, why, whylen, STS_NOTFOUND,
				 "no address");
	len = strnlen(addr, STS_MAX_ADDR_INPUT + 1);
	if (len > STS_MAX_ADDR_INPUT)
		return no_domain(out, outlen, why, whylen, STS_INVALID,
				 "address longer than 1024 bytes");
	p = addr;
	end = addr + len;
	/* Surrounding white space is not part of the path. */
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* RFC 5321 4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">" */
	if (p < end && *p == '<') {
		if (end[-1] != '>' || end - p < 2)
			return no_domain(out, outlen, why, whylen, STS_INVALID,
					 "unbalanced angle brackets");
		p++;
		end--;
	} else if (p < end && end[-1] == '>') {
		return no_domain(out, outlen, why, whylen, STS_INVALID,
				 "unbalanced angle brackets");
	}
	if (p == end)
		return no_domain(out, outlen, why, whylen, STS_NOTFOUND,
				 "null address");
	/* A source route "@a,@b:" is ignored (RFC 5321 appendix C). */
	if (*p == '@') {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		if (colon == NULL)
			return no_domain(out, outlen, why, whylen, STS_INVALID,
					 "source route without ':'");
		p = colon + 1;
	}
	/* The domain starts after the last "@" outside a quoted string;
	 * a quoted local part may hold "@" (RFC 5321 4.1.2 Quoted-string). */
	for (i = 0; p + i < end; i++) {
		char c = p[i];

		if (quoted && c == '\\') {
			if (p + i + 1 == end)
				break;
			i++;
		} else if (c == '"') {
			quoted = !quoted;
		} else if (!quoted && c == '@') {
			at = p + i;
		}
	}
	if (quoted)
		return no_domain(out, outlen, why, whylen, STS_INVALID,
				 "unterminated quoted local part");
	if (at == NULL)
		return no_domain(out, outlen, why, whylen, STS_NOTFOUND,
				 "no domain in address");
	p = at + 1;
	if (p == end)
		return no_domain(out, outlen, why, whylen, STS_INVALID,
				 "empty domain");
	if (*p == '[') {
		/* RFC 5321 4.1.3 address literal: no policy (checklist A3). */
		if (end[-1] != ']')
			return no_domain(out, outlen, why, whylen, STS_INVALID,
					 "unterminated address literal");
		dlen = (size_t)(end - p);
		if (dlen >= outlen || memchr(p + 1, '[', dlen - 1) != NULL ||
		    memchr(p, ']', dlen - 1) != NULL)
			return no_domain(out, outlen, why, whylen, STS_INVALID,
					 "bad address literal");
		for (i = 0; i < dlen; i++)
			if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f)
				return no_domain(out, outlen, why, whylen,
						 STS_INVALID,
						 "bad address literal");
		memcpy(out, p, dlen);
		out[dlen] = '\0';
		return sts_why(why, whylen, STS_NOTFOUND, "address literal");
	}
	/* One trailing dot (an absolute name) is not part of the domain. */
	if (end[-1] == '.')
		end--;
	dlen = (size_t)(end - p);
	if (dlen == 0 || *p == '.')
		return no_domain(out, outlen, why, whylen, STS_INVALID,
				 "empty label in domain");
	if (dlen >= outlen)
		return no_domain(out, outlen, why, whylen, STS_INVALID,
				 "domain too long");
	for (i = 0; i < dlen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (bad_domain_byte(c))
			return no_domain(out, outlen, why, whylen, STS_INVALID,
					 "invalid character in domain");
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		out[i] = (char)c;
	}
	out[dlen] = '\0';
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	return STS_OK;
}
