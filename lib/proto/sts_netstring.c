/*
 * sts_netstring.c - strict, bounded netstrings and socketmap requests.
 */
#include "config.h"

#include <string.h>

#include "sts_netstring.h"

enum sts_status
sts_netstring_parse(const char *buf, size_t len, size_t cap, const char **data,
		    size_t *datalen, size_t *used, char *why, size_t whylen)
{
	size_t i = 0, n = 0;

	/* LEN: decimal digits, no leading zero; stop as soon as it
	 * exceeds cap so that no overflow can happen. */
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (i == 1 && buf[0] == '0')
			return sts_why(why, whylen, STS_INVALID,
				       "netstring length has a leading zero");
		n = n * 10 + (size_t)(buf[i] - '0');
		if (n > cap)
			return sts_why(why, whylen, STS_NOMEM,
				       "netstring longer than %zu bytes", cap);
		i++;
	}
	if (i == len)
		return STS_TEMPFAIL;
	if (i == 0)
		return sts_why(why, whylen, STS_INVALID,
			       "netstring does not start with a length");
	if (buf[i] != ':')
		return sts_why(why, whylen, STS_INVALID,
			       "netstring length not followed by ':'");
	i++;
	/* DATA then ','.  Compare with what is left, never add to i. */
	if (len - i <= n)
		return STS_TEMPFAIL;
	if (buf[i + n] != ',')
		return sts_why(why, whylen, STS_INVALID,
			       "netstring data not followed by ','");
	*data = buf + i;
	*datalen = n;
	*used = i + n + 1;
	return STS_OK;
}

size_t
sts_netstring_format(const char *data, size_t len, char *out, size_t outlen)
{
	char digits[24];
	size_t nd = 0, need, v = len, k;

	do {
		digits[nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	need = nd + 1 + len + 1;
	if (need > outlen)
		return need;
	for (k = 0; k < nd; k++)
		out[k] = digits[nd - 1 - k];
	out[nd] = ':';
	if (len > 0)
		memcpy(out + nd + 1, data, len);
	out[nd + 1 + len] = ',';
	return need;
}

/* Visible ASCII or an octet of a UTF-8 sequence; no controls, no DEL. */
static int
ok_octet(unsigned char c)
{
	return (c > 0x20 && c < 0x7f) || c >= 0x80;
}

enum sts_status
sts_netstring_request(const char *data, size_t len, char *name, size_t namesz,
		      char *key, size_t keysz, char *why, size_t whylen)
{
	const char *sp = memchr(data, ' ', len);
	size_t nlen, klen, i;

	if (sp == NULL)
		return sts_why(why, whylen, STS_INVALID,
			       "request is not \"NAME KEY\"");
	nlen = (size_t)(sp - data);
	klen = len - nlen - 1;
	if (nlen == 0)
		return sts_why(why, whylen, STS_INVALID, "empty map name");
	if (nlen > STS_MAX_MAP_NAME || nlen >= namesz)
		return sts_why(why, whylen, STS_NOMEM, "map name too long");
	if (klen > STS_MAX_DOMAIN_INPUT || klen >= keysz)
		return sts_why(why, whylen, STS_NOMEM, "key too long");
	for (i = 0; i < nlen; i++)
		if (!ok_octet((unsigned char)data[i]) ||
		    (unsigned char)data[i] >= 0x80)
			return sts_why(why, whylen, STS_INVALID,
				       "map name has a bad character");
	for (i = 0; i < klen; i++)
		if (!ok_octet((unsigned char)sp[1 + i]) && sp[1 + i] != ' ')
			return sts_why(why, whylen, STS_INVALID,
				       "key has a control character");
	memcpy(name, data, nlen);
	name[nlen] = '\0';
	memcpy(key, sp + 1, klen);
	key[klen] = '\0';
	return STS_OK;
}
