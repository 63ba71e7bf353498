# shellcheck shell=bash
# tests/lab/lib/mail.sh - sourced by the scripts that read delivered mail (tests/demo,
# tests/milter/lab-milter.sh, tests/exim/lab-exim.sh).
#
#   sts_header FILE   the X-MTA-STS header of FILE with its continuation lines, unfolded
#                     (one line, no newline): only the header, never the body, also when it
#                     is the last header of the message

sts_header() {
	awk '/^X-MTA-STS:/ { on = 1; printf "%s", $0; next } on && /^[ \t]/ { printf "%s", $0; next } { on = 0 }' "$1"
}
