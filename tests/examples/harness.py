"""What the example programs' loopback tests share (tests/examples/*_test.py).

Each test starts the program under test itself, on 127.0.0.1 only, and
stops every process it started by its PID. Cases print `PASS name`,
`FAIL name: why` or `SKIP name: why`, then `N passed, M failed, K skipped`.
Every wait is bounded: a socket timeout, a subprocess timeout, a deadline.
"""

import argparse
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import sys
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from suite import Skip, Suite  # noqa: E402,F401 - re-exported to the tests

TIMEOUT = 10.0


def start(doc, exe_option, *more_options):
    """Parses `exe_option` PATH (and each of `more_options` PATH: env.<name>)
    and -k FILTER: (env with env.exe, Suite)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument(exe_option, required=True, dest="exe")
    for option in more_options:
        ap.add_argument(option, required=True)
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    args = ap.parse_args()
    return types.SimpleNamespace(**vars(args)), Suite(args.k)


def finish(suite, work):
    """The summary; the work directory is removed after a clean run, kept
    (and named) after a failure. Returns the exit status."""
    rc = suite.summary()
    if rc:
        print(f"work directory (logs, Maildirs): {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return rc


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


class Outcome:
    """What a run of a program left: `rc`, `out` (stdout then stderr), `took`."""

    def expect(self, rc, *texts):
        """Exit status `rc` and each of `texts` in the output; else AssertionError."""
        if self.rc != rc:
            raise AssertionError(f"exit {self.rc}, expected {rc}: {self.out[-800:]}")
        for t in texts:
            if t not in self.out:
                raise AssertionError(f"no {t!r} in: {self.out[-800:]}")
        return self


def peak_rss(pid, exe):
    """VmHWM of `pid` once it runs `exe`, in bytes (None before the exec or
    after the exit). Not getrusage: its ru_maxrss keeps the high-water mark
    from before the exec, this Python's (vfork shares its memory)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if f.read().split(b"\0")[0] != exe.encode():
                return None
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
        return int(m.group(1)) * 1024 if m else None
    except OSError:
        return None


class Run(Outcome):
    """One run of the program env.exe with `args`, bounded in time: its exit
    code, stdout, output (stdout then stderr) and peak RSS (sampled every
    5 ms: the high-water mark only grows)."""

    def __init__(self, env, *args, limit=TIMEOUT):
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            t0 = time.monotonic()
            p = subprocess.Popen([env.exe, *args], stdout=out, stderr=err)
            self.max_rss = 0
            while p.poll() is None:
                self.max_rss = max(self.max_rss, peak_rss(p.pid, env.exe) or 0)
                if time.monotonic() - t0 > limit:
                    p.kill()
                    p.wait()
                    raise AssertionError(f"still running after {limit} s: {args}")
                time.sleep(0.005)
            self.rc = p.returncode
            self.took = time.monotonic() - t0
            out.seek(0)
            err.seek(0)
            self.stdout = out.read().decode(errors="replace")
            self.out = self.stdout + err.read().decode(errors="replace")
        check_sanitizers(self.out, f"{os.path.basename(env.exe)} {' '.join(args)}")


def on_terminal(argv, limit=TIMEOUT):
    """Runs `argv` with its stderr on a pseudo-terminal (stdout discarded),
    bounded in time: (exit status, the bytes the terminal showed)."""
    import pty
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the program closed its side
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    try:
        rc = p.wait(max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError(f"still running after {limit} s: {argv}")
    return rc, shown


class ServerProcess:
    """A server program under test: started with `argv` (which must make it
    listen on 127.0.0.1 port 0), its stderr in `log_path`, its port from
    its first stdout line "listening on 127.0.0.1:PORT". As a context
    manager it is stopped with SIGTERM and must exit 0 with no sanitizer
    report (unless the case failed already)."""

    def __init__(self, argv, log_path, name, preexec_fn=None):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     preexec_fn=preexec_fn)
        ready = select.select([self.proc.stdout], [], [], TIMEOUT)[0]
        line = self.proc.stdout.readline() if ready else ""
        m = re.match(r"listening on 127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            stop(self.proc)
            raise AssertionError(f"server {name} did not start: {line!r} {self.stderr()[-500:]}")
        self.port = int(m.group(1))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        rc = stop(self.proc)
        self.proc.stdout.close()
        self.log.close()
        if exc_type is None:
            check_sanitizers(self.stderr(), "server")
            if rc != 0:
                raise AssertionError(f"exit code {rc} after SIGTERM: {self.stderr()[-500:]}")
        return False

    def stderr(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class ScriptedPeer:
    """A scripted server on a thread of the test, 127.0.0.1, a free port:
    one connection at a time, each given to session(conn) (a subclass's),
    which ends when it returns or raises OSError or EOFError. `done` is set
    when the context ends: sessions should stop then."""

    def __init__(self):
        self.connections = 0
        self.done = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(TIMEOUT)
        self.listener.close()
        return False

    def serve(self):
        while not self.done.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            self.connections += 1
            conn.settimeout(0.2)
            try:
                self.session(conn)
            except (OSError, EOFError):
                pass
            finally:
                conn.close()

    def recv(self, conn):
        """The next bytes from `conn`; EOFError at its end or once `done`."""
        while not self.done.is_set():
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise EOFError
            return chunk
        raise EOFError

    def session(self, conn):
        raise NotImplementedError


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
