# cli: mta-sts-check.  The offline verbs are [core]'s (mta-sts-check.c);
# the live `mta-sts-check DOMAIN` is [net]'s (check_live.c).
bin_PROGRAMS += cli/mta-sts-check
# The daemon's configuration parser (milter/conf.c, with the pieces it
# checks values with; none of them uses libmilter): the live check reads
# /etc/mta-sts-milter.conf like the daemon (issue 14 item 7).
cli_mta_sts_check_SOURCES = cli/mta-sts-check.c cli/check_live.c cli/check_live.h \
	milter/conf.c milter/conf.h milter/log.c milter/log.h \
	milter/sockspec.c milter/sockspec.h \
	cli/check_ctl.c cli/check_ctl.h \
	cli/check_report.c cli/check_report.h
cli_mta_sts_check_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
cli_mta_sts_check_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) $(IDN2_CFLAGS) $(UNBOUND_CFLAGS) $(MBEDTLS_CFLAGS)
cli_mta_sts_check_LDADD = $(LIBMTASTS)
