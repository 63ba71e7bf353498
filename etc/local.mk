# etc: build rules (see the top Makefile.am)
# [milter]: the daemon's man pages and the sample configuration.
dist_man_MANS += etc/mta-sts-milter.8 etc/mta-sts-milter.conf.5
dist_sysconf_DATA = etc/mta-sts-milter.conf
# [core]: mta-sts-check(1).
dist_man_MANS += etc/mta-sts-check.1
