"""What the example programs' loopback tests share (tests/examples/*_test.py).

Each test starts the program under test itself, on 127.0.0.1 only, and
stops every process it started by its PID. Cases print `PASS name`,
`FAIL name: why` or `SKIP name: why`, then `N passed, M failed, K skipped`.
Every wait is bounded: a socket timeout, a subprocess timeout, a deadline.
"""

import argparse
import os
import select
import signal
import socket
import subprocess
import time
import sys
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from suite import Skip, Suite  # noqa: E402,F401 - re-exported to the tests

TIMEOUT = 10.0


def start(doc, exe_option):
    """Parses `exe_option` PATH and -k FILTER: (env with env.exe, Suite)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument(exe_option, required=True, dest="exe")
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    args = ap.parse_args()
    return types.SimpleNamespace(exe=args.exe), Suite(args.k)


def check_sanitizers(text, what):
    """Raises if a sanitizer (ASan, UBSan) reported in `text`."""
    for marker in ("Sanitizer", "runtime error:"):
        if marker in text:
            raise AssertionError(f"{what}: sanitizer: {text[text.index(marker):][:600]}")


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(proc, timeout=10):
    """SIGTERM by PID, then SIGKILL if it lingers; returns the exit code (None if killed)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


class Conn:
    """A raw SMTP client socket that reads whole replies, within a deadline."""

    def __init__(self, port, timeout=TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def readable(self, timeout):
        """Whether the socket is readable within `timeout` s (poll: any fd number)."""
        if timeout <= 0:
            return False
        p = select.poll()
        p.register(self.sock, select.POLLIN)
        return bool(p.poll(timeout * 1000))

    def line(self, timeout=TIMEOUT):
        """One reply line, or None at EOF; raises TimeoutError past `timeout`."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            if not self.readable(deadline - time.monotonic()):
                raise TimeoutError(f"no reply line within {timeout} s (have {self.buf[:200]!r})")
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self, timeout=TIMEOUT):
        """(code, text of all lines); (None, '') at EOF."""
        lines = []
        while True:
            line = self.line(timeout)
            if line is None:
                return None, "\n".join(lines)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), "\n".join(lines)

    def expect(self, code, data=None, timeout=TIMEOUT):
        if data is not None:
            self.send(data)
        got, text = self.reply(timeout)
        if got != code:
            raise AssertionError(f"after {data!r}: expected {code}, got {got} {text!r}")
        return text

    def eof(self, timeout=TIMEOUT):
        """True if the peer closes within `timeout` (data before the close is dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.readable(deadline - time.monotonic()):
                return False
            try:
                if not self.sock.recv(65536):
                    return True
            except ConnectionResetError:
                return True

    def close(self):
        self.sock.close()
