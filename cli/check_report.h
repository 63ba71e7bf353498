/*
 * cli/check_report.h - `mta-sts-check report DOMAIN [--day YYYY-MM-DD]
 * [-c FILE] [--journal FILE]`: print, as JSON, the RFC 8460 report
 * the daemon would send for DOMAIN and that UTC day (default: yesterday,
 * the next one to be sent), from the daemon's TLS-report journal, read
 * only.  The journal path, organization, contact and submitter come from
 * the daemon's configuration file (TLSRPT* options), read with the
 * daemon's parser (milter/conf.c); --config is -c's long form.
 */
#ifndef CLI_CHECK_REPORT_H
#define CLI_CHECK_REPORT_H

extern const char check_report_usage[];

/* argv[1] is "report".  Exit: 0 printed, 1 nothing recorded for DOMAIN
 * on that day, 64 usage, 66 journal or config unreadable. */
int check_report_main(int argc, char **argv);

#endif /* CLI_CHECK_REPORT_H */
