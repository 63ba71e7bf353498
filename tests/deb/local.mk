# tests/deb: the Debian package and the configuration guides (issue [deb]).
#
# docs-snippets.sh runs with `make check`: each guide's fenced block tagged
# with an etc/examples/ file name must equal that file.  test-deb.sh (build,
# lintian, install, run, purge the package) needs root and is run by CI,
# not by `make check`.
TESTS += tests/deb/docs-snippets.sh
dist_check_SCRIPTS += tests/deb/docs-snippets.sh
EXTRA_DIST += LICENSE \
	doc/migrating-from-postfix-mta-sts-resolver.md \
	doc/fleet.md \
	doc/postfix.md \
	doc/exim.md \
	doc/sendmail.md \
	tests/deb/smoke.lua \
	tests/deb/smq.py \
	tests/deb/syscalls.py \
	tests/deb/test-deb.sh
