#!/usr/bin/env python3
"""What every example program's command line promises (docs/programs.md):

    programs_test.py --version-header include/mailwire/version.hpp
                     [--doc docs/programs.md] PROGRAM...

  help     --help exits 0 with the usage on stdout, the exit statuses and
           --version in it;
  version  --version exits 0 and prints "NAME (mailwire) X.Y.Z", the
           version of include/mailwire/version.hpp;
  usage    an unknown option exits 2 with the usage on stderr and nothing
           on stdout, before doing anything;
  doc      docs/programs.md shows each program's --help exactly (the block
           after "<!-- help: NAME -->").

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


def help_blocks(doc):
    """{program: the text of its help block} in docs/programs.md."""
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    return {m.group(1): m.group(2) for m in re.finditer(r"<!-- help: (\S+) -->\n```text\n(.*?)^```", text, re.S | re.M)}


def check(exe, version, shown):
    name = os.path.basename(exe)
    failures = []

    p = run(exe, "--help")
    if shown is not None and shown.get(name) != p.stdout:
        failures.append("docs/programs.md does not show this --help (copy it there)" if name in shown
                        else "no section in docs/programs.md")
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
    a.add_argument("--doc", help="docs/programs.md: each program's --help must be shown there")
    a.add_argument("programs", nargs="+")
    args = a.parse_args()
    with open(args.version_header) as f:
        version = re.search(r'#define MAILWIRE_VERSION_STRING "([^"]+)"', f.read()).group(1)
    shown = help_blocks(args.doc) if args.doc else None
    failed = 0
    for exe in args.programs:
        problems = check(exe, version, shown)
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
