#!/usr/bin/python3
"""tests/deb/syscalls.py - does the unit's SystemCallFilter= admit every
system call the daemon made?  (CI has no systemd to enforce the filter, so
test-deb.sh runs the daemon under strace and asks this script.)

    syscalls.py UNIT STRACE_OUTPUT

UNIT's SystemCallFilter= lines are read the way systemd reads them: lines
without "~" add to the allow list, lines with "~" remove from it; @groups
are expanded with `systemd-analyze syscall-filter`.  Prints the calls
that would fail (with SystemCallErrorNumber=, as an error) and exits 1 if
there are any; prints the counts and exits 0 otherwise.
"""
import re
import subprocess
import sys

_groups = {}


def expand(name):
    """The set of system calls a filter word stands for."""
    if not name.startswith("@"):
        return {name}
    if name not in _groups:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                             capture_output=True, text=True, check=True).stdout
        calls = set()
        for line in out.splitlines()[1:]:
            word = line.strip()
            if word and not word.startswith("#"):
                calls |= expand(word)
        _groups[name] = calls
    return _groups[name]


def unit_filter(path):
    allow, deny = None, set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*SystemCallFilter=(.*)", line)
        if not m:
            continue
        words = m.group(1).split()
        if words and words[0].startswith("~"):
            words[0] = words[0][1:]
            for w in words:
                deny |= expand(w)
        else:
            allow = allow or set()
            for w in words:
                allow |= expand(w)
    return allow, deny


def used_calls(path):
    calls = set()
    pat = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?([a-z_0-9]+)\(")
    for line in open(path, encoding="utf-8", errors="replace"):
        m = pat.match(line)
        if m:
            calls.add(m.group(1))
    return calls


def main():
    allow, deny = unit_filter(sys.argv[1])
    used = used_calls(sys.argv[2])
    if not used:
        sys.exit("no system calls found in " + sys.argv[2])
    blocked = sorted(c for c in used
                     if c in deny or (allow is not None and c not in allow))
    for c in blocked:
        print("blocked: " + c)
    print("%d distinct system calls used, %d blocked by the unit's filter"
          % (len(used), len(blocked)))
    sys.exit(1 if blocked else 0)


if __name__ == "__main__":
    main()
