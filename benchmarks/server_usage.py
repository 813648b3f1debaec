#!/usr/bin/env python3
"""What a server process and its descendants use, from /proc (Linux), for
benchmarks/imap_server_e2e.sh:

  server_usage.py cpu PID        CPU seconds of PID's tree so far: user +
                                 system of PID and of every descendant, with
                                 the children each has reaped (cutime,
                                 cstime), so a session process that exited
                                 still counts. The difference of two calls
                                 is what the tree used in between.
  server_usage.py rss PID        the resident memory of PID's tree now (the
                                 sum of VmRSS), in kB.
  server_usage.py peak PID FILE  samples the resident memory of PID's tree
                                 (the sum of VmRSS) every 20 ms until
                                 SIGTERM, then writes the highest sum in
                                 kB to FILE.
"""
import os
import signal
import sys
import time


def tree(root):
    """root and its descendants (/proc/PID/task/TID/children)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass  # exited meanwhile
    return pids


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # fields[0] is field 3 (state): utime, stime, cutime, cstime are 14-17
    return sum(int(v) for v in fields[11:15])


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    mode, root = sys.argv[1], int(sys.argv[2])
    if mode == "cpu":
        ticks = sum(cpu_ticks(p) for p in tree(root))
        print(f"{ticks / os.sysconf('SC_CLK_TCK'):.2f}")
        return
    if mode == "rss":
        print(sum(rss_kb(p) for p in tree(root)))
        return
    peak = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        peak = max(peak, sum(rss_kb(p) for p in tree(root)))
        time.sleep(0.02)
    with open(sys.argv[3], "w") as f:
        f.write(f"{peak}\n")


if __name__ == "__main__":
    main()
