"""What the POP3 example programs' loopback tests share (pop3_server_test.py,
pop3_fetch_test.py): mailwire-pop3-server started on a temp Maildir, a raw
POP3 client socket, the bytes a file is served as, a self-signed
certificate. Every wait is bounded; every process is stopped by its PID.
"""

import os
import re
import subprocess
import time

from harness import TIMEOUT, Conn, ServerProcess

USER, PASS = "alice", "s3cret pass"


class Server(ServerProcess):
    """mailwire-pop3-server (env.server) on 127.0.0.1, port 0, serving `maildir`
    (default: a new one) filled with `messages` ({"new/name": bytes}); with
    `plaintext`, --allow-plaintext-auth. Stopped with SIGTERM: exit 0 or fail."""

    def __init__(self, env, name, *args, maildir=None, messages=None, plaintext=True):
        self.maildir = maildir or os.path.join(env.work, "maildir-" + name)
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        for path, data in (messages or {}).items():
            with open(os.path.join(self.maildir, path), "wb") as f:
                f.write(data)
        super().__init__([env.server, "--listen", "127.0.0.1:0", "--maildir", self.maildir, "--user",
                          f"{USER}:{PASS}", "--hostname", "pop.test",
                          *(["--allow-plaintext-auth"] if plaintext else []), *args],
                         os.path.join(env.work, name + ".log"), name)

    def files(self):
        return sorted(os.listdir(os.path.join(self.maildir, "new")) + os.listdir(os.path.join(self.maildir, "cur")))

    def connect(self):
        c = Pop(self.port)
        c.ok()
        return c

    def login(self):
        c = self.connect()
        c.ok(b"USER " + USER.encode())
        c.ok(b"PASS " + PASS.encode())
        return c


class Pop(Conn):
    """A raw POP3 client socket."""

    def status(self, cmd=None, timeout=TIMEOUT):
        if cmd is not None:
            self.send(cmd + b"\r\n")
        line = self.line(timeout)
        if line is None:
            raise AssertionError(f"EOF after {cmd!r}")
        return line

    def ok(self, cmd=None):
        line = self.status(cmd)
        if not line.startswith(b"+OK"):
            raise AssertionError(f"after {cmd!r}: {line!r}")
        return line

    def err(self, cmd=None):
        line = self.status(cmd)
        if not line.startswith(b"-ERR"):
            raise AssertionError(f"after {cmd!r}: expected -ERR, got {line!r}")
        return line

    def raw_multi(self, cmd):
        """After the +OK line, the bytes as sent up to the terminating "." line (excluded)."""
        self.ok(cmd)
        deadline = time.monotonic() + TIMEOUT
        while True:
            if self.buf.startswith(b".\r\n"):
                self.buf = self.buf[3:]
                return b""
            end = self.buf.find(b"\r\n.\r\n")
            if end >= 0:
                body, self.buf = self.buf[:end + 2], self.buf[end + 5:]
                return body
            if not self.readable(deadline - time.monotonic()):
                raise TimeoutError("no end of the multi-line response")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("EOF in a multi-line response")
            self.buf += chunk

    def multi(self, cmd):
        """The unstuffed content of a multi-line response."""
        return unstuff(self.raw_multi(cmd))


def unstuff(raw):
    return b"".join(l[1:] if l.startswith(b".") else l for l in raw.splitlines(keepends=True))


def served(data):
    """What the server must send for a file: CRLF line ends, the last line ended."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    return data + b"\r\n" if data and not data.endswith(b"\r\n") else data


def make_cert(work, name="localhost"):
    """A self-signed certificate for `name` (and 127.0.0.1): (cert, key) paths."""
    cert, key = os.path.join(work, name + "-cert.pem"), os.path.join(work, name + "-key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-days", "2", "-subj", "/CN=" + name, "-addext",
                        f"subjectAltName=DNS:{name}" + (",IP:127.0.0.1" if name == "localhost" else ""),
                        "-keyout", key, "-out", cert], capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 0:
        raise AssertionError(f"openssl req: {p.stderr[-400:]}")
    return cert, key
