/*
 * cli/check_live.c - placeholder until the [net] work lands: the live
 * check is not available yet, and says so (EX_UNAVAILABLE).
 */
#include "config.h"

#include <stdio.h>
#include <sysexits.h>

#include "check_live.h"

const char check_live_usage[] =
	"  mta-sts-check DOMAIN [--json] [--probe]   (not yet implemented)\n";

int
check_live_main(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "%s: the live check is not implemented yet\n", argv[0]);
	return EX_UNAVAILABLE;
}
