/*
 * cli/check_live.h - `mta-sts-check DOMAIN [--json] [--probe] ...`, the
 * live check (issue [net]; owner: the net work).  cli/mta-sts-check.c
 * (owner: the core work) dispatches here when the first argument is not
 * one of the offline verbs (policy, record, match, tlsrpt).
 *
 * argv[0] is the program name, argv[1..argc-1] the arguments as given.
 * Returns the process exit status (sysexits-style, documented in
 * mta-sts-check(1)).
 */
#ifndef CLI_CHECK_LIVE_H
#define CLI_CHECK_LIVE_H

int check_live_main(int argc, char **argv);

/* One usage paragraph for --help (no trailing newline needed). */
extern const char check_live_usage[];

#endif /* CLI_CHECK_LIVE_H */
