#!/usr/bin/env python3
"""The README's benchmark chart, drawn from the benchmarks' own output.

    benchmarks/chart.py --record NAME PROGRAM [ARGS...]
        runs PROGRAM and saves its output as benchmarks/results/NAME.txt,
        under a header naming the machine (lscpu's model name, core count)
        and the date; nothing is changed in the output itself.
    benchmarks/chart.py [--out FILE] [--tables REGEX] [RESULTS...]
        reads the saved outputs (default benchmarks/results/*.txt) and draws
        every MB/s table in them (or those whose title matches REGEX) as
        horizontal bars, mailwire's rows highlighted, into an SVG (default
        benchmarks/results/chart.svg), with the machine and date of each.

The tables are the ones every benchmark prints (benchmarks/bench_util.hpp):

    TITLE
      implementation                 MB/s    vs memcpy
      memcpy (same bytes)            9982       1.000x
      mailwire decoder, mime mode    3069       0.307x

Needs matplotlib (Debian: python3-matplotlib) for drawing only.
"""
import argparse
import datetime
import glob
import os
import platform
import re
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
# A row: the name (single spaces inside), two spaces or more, MB/s first.
ROW = re.compile(r"^  (\S(?:\S| (?! ))*)\s{2,}(\d+(?:\.\d+)?)(?:\s|$)")
HEADER = re.compile(r"^  implementation\s+MB/s\b")


def machine():
    """The CPU model and core count, as lscpu says them."""
    model, cpus = platform.processor() or "unknown CPU", "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Model name":
                model = value.strip()
            elif key.strip() == "CPU(s)":
                cpus = value.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return f"{model}, {cpus} CPUs"


def record(name, argv):
    """Runs a benchmark and saves its output under the machine header."""
    run = subprocess.run(argv, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        sys.exit(f"{argv[0]} exited {run.returncode}: nothing saved")
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, name + ".txt")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# machine: {machine()}\n# date: {now}\n")
        f.write("# command: " + " ".join(os.path.relpath(a) if os.path.exists(a) else a for a in argv) + "\n")
        f.write(run.stdout)
    print(f"saved {path}")


def parse(path):
    """(header dict, [(title, [(name, mb_per_s)])]) of one saved output.

    A table's title is the line above its header row, with the first
    clause of the description line before that one, if any (what was
    measured: sizes, escape rates), which tells tables of the same title
    apart."""
    meta, tables, rows, lines, context = {}, [], None, [], ""
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("# ") and ":" in line and not tables and rows is None:
                key, _, value = line[2:].partition(":")
                meta[key.strip()] = value.strip()
                continue
            if HEADER.match(line) and lines:
                if len(lines) >= 2:
                    context = lines[-2].split(";")[0].split(": ", 1)[-1]
                title = lines[-1].split(";")[0]
                rows, lines = [], []
                tables.append((f"{title} ({context})" if context else title, rows))
            elif rows is not None and ROW.match(line):
                m = ROW.match(line)
                rows.append((m.group(1), float(m.group(2))))
            elif line and not line.startswith(" "):
                rows = None
                lines.append(line.strip())
    return meta, [t for t in tables if t[1]]


def draw(paths, out, only):
    import matplotlib
    matplotlib.use("svg")
    matplotlib.rcParams["svg.hashsalt"] = "mailwire"  # the same SVG for the same figures
    matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: small, and searchable
    import matplotlib.pyplot as plt

    panels = []
    for path in paths:
        meta, tables = parse(path)
        name = os.path.splitext(os.path.basename(path))[0]
        for title, rows in tables:
            if only and not re.search(only, title):
                continue
            panels.append((f"{name}: {title}", rows, meta))
    if not panels:
        sys.exit("no tables found (record some first: --record NAME PROGRAM)")

    heights = [1.1 + 0.3 * len(rows) for _, rows, _ in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, sum(heights) + 0.8),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (title, rows, meta) in zip(axes[:, 0], panels):
        # memcpy, the ceiling, is said in the label: as a bar it would
        # flatten every other one.
        ceiling = [v for n, v in rows if n.lower().startswith("memcpy")]
        rows = [(n, v) for n, v in rows if not n.lower().startswith("memcpy")]
        names = [n for n, _ in rows][::-1]
        values = [v for _, v in rows][::-1]
        colours = ["#c0392b" if n.lower().startswith("mailwire") else "#2e86c1" for n in names]
        bars = ax.barh(names, values, color=colours)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], padding=3, fontsize=8)
        ax.set_title("\n".join(textwrap.wrap(title, 95)), loc="left", fontsize=9)
        label = f"MB/s — {meta.get('machine', 'unknown machine')}, {meta.get('date', 'undated')}"
        if ceiling:
            label += f" (memcpy of the same bytes: {ceiling[0]:,.0f})"
        ax.set_xlabel(label, fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlim(0, max(values) * 1.15)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None})
    print(f"wrote {out} ({len(panels)} tables)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--record", metavar="NAME", help="run PROGRAM and save its output as results/NAME.txt")
    p.add_argument("--out", default=os.path.join(RESULTS, "chart.svg"))
    p.add_argument("--tables", metavar="REGEX", help="only the tables whose title matches")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="PROGRAM [ARGS] with --record; else result files")
    a = p.parse_args()
    if a.record:
        if not a.rest:
            p.error("--record NAME needs a PROGRAM to run")
        record(a.record, a.rest)
        return
    draw(a.rest or sorted(glob.glob(os.path.join(RESULTS, "*.txt"))), a.out, a.tables)


if __name__ == "__main__":
    main()
