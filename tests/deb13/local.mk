# tests/deb13: Debian 13 (issue [deploy] items 8 and 9, and the Postfix 3.10
# test bed of item 4).
#
# apt-sources.sh runs with `make check` (no root, no network): the Debian 13
# apt sources that tests/debian13-apt derives from sample apt configurations.
# tests/deb13/run (build, test, lint, install the package in a Debian 13
# chroot) needs root and Debian's mirror; tests/run-all runs it as the deb13
# stage, not `make check`.
TESTS += tests/deb13/apt-sources.sh
dist_check_SCRIPTS += tests/deb13/apt-sources.sh
EXTRA_DIST += tests/debian13-apt tests/mbedtls3-build tests/deb13/chroot tests/deb13/run

# Debian 13's Postfix 3.10 (tests/lab/postfix310, from the same cached root)
# in the loopback lab, delivering through our socketmap server (root; SKIPs
# otherwise; the first run makes the root: 1-2 minutes).
TESTS += tests/deb13/lab-postfix310.sh
dist_check_SCRIPTS += tests/deb13/lab-postfix310.sh
EXTRA_DIST += tests/lab/postfix310 tests/lab/lib/pf310-init.sh tests/lab/lib/ours.sh
