/*
 * test_ctlcmd.c - the control socket's request parser (sts_ctlcmd.h):
 * every verb, and every way a line can be wrong, with the reason.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "sts_ctlcmd.h"

static const struct {
	const char *line;
	int ok;
	int verb;
	const char *arg_or_why; /* the argument, or a piece of the reason */
} cases[] = {
	{"show example.com", 1, STS_CTL_SHOW, "example.com"},
	{"dump", 1, STS_CTL_DUMP, ""},
	{"refresh example.com.", 1, STS_CTL_REFRESH, "example.com."},
	{"forget b\xc3\xbc"
	 "cher.example",
	 1, STS_CTL_FORGET,
	 "b\xc3\xbc"
	 "cher.example"},
	{"warm", 1, STS_CTL_WARM, ""},
	{"stats", 1, STS_CTL_STATS, ""},
	{"", 0, 0, "empty line"},
	{"SHOW example.com", 0, 0, "unknown command"},
	{"shows example.com", 0, 0, "unknown command"},
	{"show", 0, 0, "show needs a domain"},
	{"show ", 0, 0, "empty argument"},
	{"show  example.com", 0, 0, "byte 0x20 at offset 0"},
	{"show example.com ", 0, 0, "byte 0x20 at offset 11"},
	{"show ex\tample.com", 0, 0, "byte 0x09"},
	{"show a b", 0, 0, "byte 0x20"},
	{"dump now", 0, 0, "dump takes no argument"},
	{"stats ", 0, 0, "stats takes no argument"},
	{" show example.com", 0, 0, "unknown command"},
	{"show ex\x7f", 0, 0, "byte 0x7f"},
};

int
main(void)
{
	struct sts_ctlcmd c;
	char why[STS_WHY_MAX], line[STS_MAX_CTL_LINE + 16], dom[64];
	enum sts_status st;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		st = sts_ctlcmd_parse(cases[i].line, strlen(cases[i].line), &c,
				      why, sizeof(why));
		if (cases[i].ok)
			ok(st == STS_OK && (int)c.verb == cases[i].verb &&
				   strcmp(c.arg, cases[i].arg_or_why) == 0,
			   "'%s' -> %s '%s'", cases[i].line,
			   sts_ctl_verb_str(c.verb), c.arg);
		else
			ok(st == STS_INVALID &&
				   strstr(why, cases[i].arg_or_why) != NULL,
			   "'%s' refused: %s", cases[i].line, why);
	}
	/* a NUL inside the line is a byte like any other control byte */
	st = sts_ctlcmd_parse("show a\0b", 8, &c, why, sizeof(why));
	ok(st == STS_INVALID && strstr(why, "0x00") != NULL, "NUL: %s", why);
	/* the caps */
	memset(line, 'a', sizeof(line));
	memcpy(line, "show ", 5);
	st = sts_ctlcmd_parse(line, 5 + STS_MAX_DOMAIN_INPUT, &c, why,
			      sizeof(why));
	ok(st == STS_OK && strlen(c.arg) == STS_MAX_DOMAIN_INPUT,
	   "an argument of exactly %u bytes is taken",
	   (unsigned)STS_MAX_DOMAIN_INPUT);
	st = sts_ctlcmd_parse(line, 6 + STS_MAX_DOMAIN_INPUT, &c, why,
			      sizeof(why));
	ok(st == STS_INVALID && strstr(why, "cap of 1024 bytes") != NULL,
	   "one byte more: %s", why);
	st = sts_ctlcmd_parse(line, STS_MAX_CTL_LINE + 1, &c, why, sizeof(why));
	ok(st == STS_INVALID &&
		   strstr(why, "line longer than the cap of 1040") != NULL,
	   "a line over the cap: %s", why);
	/* warm list lines */
	st = sts_ctlcmd_domain_line(".", 1, dom, sizeof(dom), why, sizeof(why));
	ok(st == STS_NOTFOUND, "'.' ends a warm list");
	st = sts_ctlcmd_domain_line("example.org", 11, dom, sizeof(dom), why,
				    sizeof(why));
	ok(st == STS_OK && strcmp(dom, "example.org") == 0, "a domain line");
	st = sts_ctlcmd_domain_line("a b", 3, dom, sizeof(dom), why,
				    sizeof(why));
	ok(st == STS_INVALID, "a blank in a domain line: %s", why);
	st = sts_ctlcmd_domain_line(line, 100, dom, sizeof(dom), why,
				    sizeof(why));
	ok(st == STS_INVALID, "a line longer than the caller's buffer");
	ok(strcmp(sts_ctl_verb_str(STS_CTL_VERBS), "?") == 0,
	   "verb out of range");
	return tap_done();
}
