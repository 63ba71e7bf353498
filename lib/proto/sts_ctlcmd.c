/*
 * sts_ctlcmd.c - the control socket's command line, parsed strictly
 * (sts_ctlcmd.h).
 */
#include "config.h"

#include <string.h>

#include "sts_ctlcmd.h"

static const struct {
	const char *name;
	int arg; /* 1: an argument is required, 0: none allowed */
} verbs[STS_CTL_VERBS] = {
	[STS_CTL_SHOW] = {"show", 1},	    [STS_CTL_DUMP] = {"dump", 0},
	[STS_CTL_REFRESH] = {"refresh", 1}, [STS_CTL_FORGET] = {"forget", 1},
	[STS_CTL_WARM] = {"warm", 0},	    [STS_CTL_STATS] = {"stats", 0},
};

const char *
sts_ctl_verb_str(enum sts_ctl_verb v)
{
	if ((unsigned)v >= STS_CTL_VERBS)
		return "?";
	return verbs[v].name;
}

/* An argument byte: visible ASCII or a UTF-8 byte (the domain parser
 * decides about U-labels); never blank, control or NUL. */
static int
arg_byte(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}

static enum sts_status
check_arg(const char *a, size_t n, char *why, size_t whylen)
{
	size_t i;

	if (n == 0)
		return sts_why(why, whylen, STS_INVALID, "empty argument");
	if (n > STS_MAX_DOMAIN_INPUT)
		return sts_why(why, whylen, STS_INVALID,
			       "argument longer than the cap of %u bytes",
			       (unsigned)STS_MAX_DOMAIN_INPUT);
	for (i = 0; i < n; i++)
		if (!arg_byte((unsigned char)a[i]))
			return sts_why(why, whylen, STS_INVALID,
				       "byte 0x%02x at offset %zu of the "
				       "argument is not allowed",
				       (unsigned char)a[i], i);
	return STS_OK;
}

enum sts_status
sts_ctlcmd_parse(const char *line, size_t len, struct sts_ctlcmd *out,
		 char *why, size_t whylen)
{
	const char *sp;
	size_t vlen, i;
	enum sts_status st;

	memset(out, 0, sizeof(*out));
	if (len > STS_MAX_CTL_LINE)
		return sts_why(why, whylen, STS_INVALID,
			       "line longer than the cap of %u bytes",
			       (unsigned)STS_MAX_CTL_LINE);
	if (len == 0)
		return sts_why(why, whylen, STS_INVALID, "empty line");
	sp = memchr(line, ' ', len);
	vlen = sp != NULL ? (size_t)(sp - line) : len;
	for (i = 0; i < STS_CTL_VERBS; i++)
		if (strlen(verbs[i].name) == vlen &&
		    memcmp(verbs[i].name, line, vlen) == 0)
			break;
	if (i == STS_CTL_VERBS)
		return sts_why(why, whylen, STS_INVALID,
			       "unknown command (show, dump, refresh, forget, "
			       "warm, stats)");
	out->verb = (enum sts_ctl_verb)i;
	if (!verbs[i].arg) {
		if (sp != NULL)
			return sts_why(why, whylen, STS_INVALID,
				       "%s takes no argument", verbs[i].name);
		return STS_OK;
	}
	if (sp == NULL)
		return sts_why(why, whylen, STS_INVALID, "%s needs a domain",
			       verbs[i].name);
	st = check_arg(sp + 1, len - vlen - 1, why, whylen);
	if (st != STS_OK)
		return st;
	memcpy(out->arg, sp + 1, len - vlen - 1);
	out->arg[len - vlen - 1] = '\0';
	return STS_OK;
}

enum sts_status
sts_ctlcmd_domain_line(const char *line, size_t len, char *out, size_t outlen,
		       char *why, size_t whylen)
{
	enum sts_status st;

	if (len == 1 && line[0] == '.')
		return STS_NOTFOUND;
	st = check_arg(line, len, why, whylen);
	if (st != STS_OK)
		return st;
	if (len >= outlen)
		return sts_why(why, whylen, STS_INVALID, "no room");
	memcpy(out, line, len);
	out[len] = '\0';
	return STS_OK;
}
