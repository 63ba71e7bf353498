/*
 * cli/check_ctl.h - mta-sts-check's control-socket verbs (issue 17):
 * show DOMAIN, dump, refresh DOMAIN, forget DOMAIN, warm FILE|-, stats,
 * each with an optional -S SOCKET (default: ControlSocket from
 * /etc/mta-sts-milter.conf when it can be read, else CHECK_CTL_SOCKET), talking
 * to the running daemon's ControlSocket (protocol: milter/control.h).
 */
#ifndef CLI_CHECK_CTL_H
#define CLI_CHECK_CTL_H

#define CHECK_CTL_SOCKET "/run/mta-sts-milter/control"

extern const char check_ctl_usage[];

/* argv[1] is a control verb: true. */
int check_ctl_verb(const char *verb);

/* Run it: 0 the daemon said OK, 1 it said ERR, 64 usage, 66 FILE
 * unreadable, 69 the daemon cannot be reached, 74 I/O error. */
int check_ctl_main(int argc, char **argv);

#endif /* CLI_CHECK_CTL_H */
