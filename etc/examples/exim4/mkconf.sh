#!/bin/sh
# etc/examples/exim4/mkconf.sh - writes mta-sts-milter.conf (the single-file
# variant) from the four conf.d files, so that the two cannot drift apart
# (tests/exim/docs.sh checks it).  Run from anywhere; prints to stdout.
d=$(dirname "$0")
strip() { awk 'started || !/^#/ { started = 1; print }' "$1"; }
cat <<'HEAD'
# mta-sts-milter: the single-file variant for a non-split exim4 configuration
# (Debian: dc_use_split_config='false', /etc/exim4/exim4.conf.template; or any
# single exim.conf).  Copy to /etc/exim4/mta-sts-milter.conf and include it
# four times, each time on a line of its own:
#   1. in the main section, before MAIN_ACL_CHECK_RCPT is used (Debian: as the
#      last line of /etc/exim4/exim4.conf.localmacros);
#   2. right after "begin acl";
#   3. in the routers, before the dnslookup routers (Debian: after the
#      hubbed_hosts router);
#   4. right after "begin transports".
# Each inclusion takes the next part: the guard macros below remember which
# parts are done.  The parts are the files of conf.d/ (their comments say
# what each does).  Without Debian's acl_check_rcpt/acl_check_data, point the
# two "acl =" lines at your own RCPT and DATA ACLs.
.ifndef MTA_STS_PART_MAIN
MTA_STS_PART_MAIN = done
HEAD
strip "$d/conf.d/main/00_mta-sts-milter"
printf '.elifndef MTA_STS_PART_ACL\nMTA_STS_PART_ACL = done\n'
strip "$d/conf.d/acl/25_mta-sts-milter"
printf '.elifndef MTA_STS_PART_ROUTERS\nMTA_STS_PART_ROUTERS = done\n'
strip "$d/conf.d/router/190_mta-sts-milter"
printf '.elifndef MTA_STS_PART_TRANSPORTS\nMTA_STS_PART_TRANSPORTS = done\n'
strip "$d/conf.d/transport/30_mta-sts-milter"
echo '.endif'
