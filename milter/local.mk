# milter: the mta-sts-milter daemon (issue [milter]; mapd.c and
# sockspec.c belong to issue [socketmap]).

sbin_PROGRAMS += milter/mta-sts-milter
milter_mta_sts_milter_SOURCES = \
	milter/main.c \
	milter/conf.c milter/conf.h \
	milter/milter.c milter/milter.h \
	milter/smfi.c milter/smfi.h \
	milter/privs.c milter/privs.h \
	milter/pidfile.c milter/pidfile.h \
	milter/nodelay.c milter/nodelay.h \
	milter/log.c milter/log.h \
	milter/secret.c milter/secret.h \
	milter/mapd.c milter/mapd.h \
	milter/mapconn.c milter/mapconn.h \
	milter/maploop.c milter/mapanswer.c milter/mapd_int.h \
	milter/lined.c milter/lined.h milter/eximq.c milter/eximq.h \
	milter/sockspec.c milter/sockspec.h \
	milter/fdlimit.c milter/fdlimit.h \
	milter/sigwait.c \
	milter/metrics.c milter/metrics.h milter/metrics_http.c \
	milter/control.c milter/control.h milter/control_int.h \
	milter/control_cmd.c \
	milter/tlsrpt.c milter/tlsrpt.h \
	milter/tlsrpt_send.c milter/tlsrpt_send.h \
	milter/tlsrpt_retry.c milter/tlsrpt_retry.h
milter_mta_sts_milter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS) $(MHD_CFLAGS)
milter_mta_sts_milter_LDADD = $(LIBMTASTS) $(MILTER_LIBS) $(MHD_LIBS)
