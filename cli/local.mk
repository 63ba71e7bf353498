# cli: mta-sts-check.  The offline verbs are [core]'s (mta-sts-check.c);
# the live `mta-sts-check DOMAIN` is [net]'s (check_live.c).
bin_PROGRAMS += cli/mta-sts-check
cli_mta_sts_check_SOURCES = cli/mta-sts-check.c cli/check_live.c cli/check_live.h
cli_mta_sts_check_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) $(IDN2_CFLAGS) $(UNBOUND_CFLAGS) $(MBEDTLS_CFLAGS)
cli_mta_sts_check_LDADD = $(LIBMTASTS)
