#!/usr/bin/env python3
"""What every example program's command line promises (docs/programs.md):

    programs_test.py --version-header include/mailwire/version.hpp PROGRAM...

  help     --help exits 0 with the usage on stdout, the exit statuses and
           --version in it;
  version  --version exits 0 and prints "NAME (mailwire) X.Y.Z", the
           version of include/mailwire/version.hpp;
  usage    an unknown option exits 2 with the usage on stderr and nothing
           on stdout, before doing anything.

No program here touches the network: each runs with no peer at all.
"""

import argparse
import os
import re
import subprocess
import sys

TIMEOUT = 10


def run(exe, *args):
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=TIMEOUT)


def check(exe, version):
    name = os.path.basename(exe)
    failures = []

    p = run(exe, "--help")
    if p.returncode != 0 or "usage:" not in p.stdout:
        failures.append(f"--help: exit {p.returncode}, stdout {p.stdout[:200]!r}")
    if not re.search(r"[Ee]xit (status|[0-9])", p.stdout) or "--version" not in p.stdout:
        failures.append("--help says nothing of the exit statuses or of --version")

    p = run(exe, "--version")
    if p.returncode != 0 or p.stdout != f"{name} (mailwire) {version}\n":
        failures.append(f"--version: exit {p.returncode}, {p.stdout!r}")

    p = run(exe, "--no-such-option")
    if p.returncode != 2 or "usage:" not in p.stderr or p.stdout:
        failures.append(f"an unknown option: exit {p.returncode}, stdout {p.stdout[:100]!r}, "
                        f"stderr {p.stderr[:200]!r}")
    return failures


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--version-header", required=True)
    a.add_argument("programs", nargs="+")
    args = a.parse_args()
    with open(args.version_header) as f:
        version = re.search(r'#define MAILWIRE_VERSION_STRING "([^"]+)"', f.read()).group(1)
    failed = 0
    for exe in args.programs:
        problems = check(exe, version)
        name = os.path.basename(exe)
        if problems:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(problems))
        else:
            print(f"PASS {name}")
    print(f"{len(args.programs) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
