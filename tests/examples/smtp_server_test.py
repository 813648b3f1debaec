#!/usr/bin/env python3
"""mailwire-smtp-server (examples/smtp_server.cpp) on loopback: what a server
exposed to the internet must survive, and what its log and help must say.

    smtp_server_test.py --server path/to/mailwire-smtp-server [-k FILTER]...

Each case starts its own server (port 0, a temp Maildir) and stops it by
PID; every wait is bounded. Cases:

  help.*              --help lists every flag with its default; bad values
                      (ports, numbers with signs, zero timeouts) exit 2
  idle.*              --idle-timeout 2: a silent client, one dripping a
                      command line a byte at a time, one dripping a message,
                      are all answered 421 4.4.2 and closed; clients that
                      make progress (whole commands, 4 KiB of data) are not
  max_connections     --max-connections 3: the 4th gets 421 4.3.2; when one
                      leaves, a new client is served
  fd_limit            RLIMIT_NOFILE 64 and 90 clients: the server does not
                      spin at the limit (its CPU time stays low), and serves
                      a waiting client once others leave
  idle_cost           2000 idle connections do not slow a busy one down:
                      only connections with events are pumped
  log_escape          addresses with a quote, ' to=<', U+0085 and U+202E
                      are escaped in the log line, which keeps its fields
  smtplib_smtputf8    smtplib's send_message(mail_options=["SMTPUTF8"])
                      (SMTPUTF8 twice in MAIL) is accepted and delivered
"""

import email.generator
import io
import os
import re
import resource
import select
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TIMEOUT, Conn, ServerProcess, cpu_seconds, finish, start  # noqa: E402


class Server(ServerProcess):
    def __init__(self, env, name, *args, nofile=None):
        self.maildir = os.path.join(env.work, "maildir-" + name)

        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        super().__init__([env.exe, "--listen", "127.0.0.1:0", "--maildir", self.maildir, "--hostname", "mx.test",
                          *args], os.path.join(env.work, name + ".log"), name, preexec_fn=limit)

    def __exit__(self, exc_type, exc, tb):
        super().__exit__(exc_type, exc, tb)
        if exc_type is None and self.files("tmp"):
            raise AssertionError(f"left in tmp/: {self.files('tmp')}")
        return False

    def files(self, sub="new"):
        return sorted(os.listdir(os.path.join(self.maildir, sub)))

    def connect(self):
        c = Conn(self.port)
        c.expect(220)
        return c


def session(srv):
    c = srv.connect()
    c.expect(250, b"EHLO client.test\r\n")
    return c


# ---------------------------------------------------------------- help

FLAGS = {"--listen", "--maildir", "--tls-cert", "--tls-key", "--implicit-tls", "--auth", "--auth-cleartext",
         "--require-auth", "--lmtp", "--max-size", "--hostname", "--no-fsync", "--sink", "--idle-timeout",
         "--max-connections", "--help", "--version"}


def help_lists_every_flag(env):
    p = subprocess.run([env.exe, "--help"], capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 0:
        raise AssertionError(f"--help exit {p.returncode}: {p.stderr[-300:]}")
    shown = set(re.findall(r"--[a-z][a-z-]*", p.stdout))
    if shown != FLAGS:
        raise AssertionError(f"--help shows {sorted(shown - FLAGS)} extra, {sorted(FLAGS - shown)} missing")
    for must in ("Default 300", "default 1000", "421 4.4.2", "421 4.3.2", "escaped"):
        if must not in p.stdout:
            raise AssertionError(f"--help does not say {must!r}")


def help_bad_values(env):
    base = ["--listen", "127.0.0.1:0", "--sink"]
    bad = [["--idle-timeout", "0"], ["--idle-timeout", "x"], ["--idle-timeout", "86401"], ["--idle-timeout"],
           ["--max-connections", "0"], ["--max-connections", "-1"], ["--max-size", "-1"], ["--max-size", "+5"],
           ["--max-size", " 5"], ["--bogus"]]
    for extra in bad + [["--listen", "127.0.0.1:65536"], ["--listen", "127.0.0.1:+25"]]:
        p = subprocess.run([env.exe, *base, *extra], capture_output=True, text=True, timeout=TIMEOUT)
        if p.returncode != 2 or "usage:" not in p.stderr:
            raise AssertionError(f"{extra}: exit {p.returncode}, expected 2 and usage: {p.stderr[-300:]}")


# ---------------------------------------------------------------- idle timeout

IDLE = 2  # --idle-timeout for these cases


def expect_idle_421(c, since, what):
    """The 421 4.4.2 arrives about IDLE s after `since`, then EOF."""
    code, text = c.reply(timeout=IDLE + 4)
    took = time.monotonic() - since
    if code != 421 or "4.4.2" not in text:
        raise AssertionError(f"{what}: expected 421 4.4.2, got {code} {text!r}")
    if not IDLE - 0.5 <= took <= IDLE + 3:
        raise AssertionError(f"{what}: 421 after {took:.1f} s, --idle-timeout {IDLE}")
    if not c.eof(3):
        raise AssertionError(f"{what}: not closed after the 421")


def idle_silent(env):
    with Server(env, "idle-silent", "--idle-timeout", str(IDLE)) as srv:
        c = srv.connect()
        expect_idle_421(c, time.monotonic(), "a silent client")
        if "idle timeout" not in srv.stderr():
            raise AssertionError("the timeout is not logged")


def drip(c, data, every, until):
    """Sends `data` a byte at a time until the server closes or `until` passes; True if it closed."""
    for b in data:
        if time.monotonic() > until:
            return False
        try:
            c.send(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        if c.readable(every):
            return True  # the server spoke: the 421
    return False


def idle_drip_command(env):
    # Slowloris: a byte every 0.25 s, never a whole line. Bytes are not
    # progress: the deadline runs from the greeting.
    with Server(env, "idle-drip", "--idle-timeout", str(IDLE)) as srv:
        c = srv.connect()
        t0 = time.monotonic()
        if not drip(c, b"NOOP" + b" x" * 100, 0.25, t0 + IDLE + 4):
            raise AssertionError("a dripping client kept its session")
        expect_idle_421(c, t0, "a dripping command line")


def idle_drip_data(env):
    with Server(env, "idle-drip-data", "--idle-timeout", str(IDLE)) as srv:
        c = session(srv)
        c.expect(250, b"MAIL FROM:<a@example.org>\r\n")
        c.expect(250, b"RCPT TO:<b@example.org>\r\n")
        c.expect(354, b"DATA\r\n")
        t0 = time.monotonic()
        if not drip(c, b"Subject: drip\r\n\r\n" + b"x" * 200, 0.25, t0 + IDLE + 4):
            raise AssertionError("a client dripping its message kept its session")
        expect_idle_421(c, t0, "a dripping message")
        time.sleep(0.2)
        if srv.files() or srv.files("tmp"):
            raise AssertionError(f"the cut message was kept: new/ {srv.files()} tmp/ {srv.files('tmp')}")


def idle_progress_kept(env):
    # Whole commands, and data at 4 KiB per second, are progress: the
    # session outlives --idle-timeout several times over.
    with Server(env, "idle-progress", "--idle-timeout", str(IDLE)) as srv:
        c = session(srv)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.5 * IDLE:
            c.expect(250, b"NOOP\r\n")
            time.sleep(0.6)
        c.expect(250, b"MAIL FROM:<a@example.org>\r\n")
        c.expect(250, b"RCPT TO:<b@example.org>\r\n")
        c.expect(354, b"DATA\r\n")
        c.send(b"Subject: slow but steady\r\n\r\n")
        for _ in range(int(2.5 * IDLE)):
            c.send((b"y" * 1022 + b"\r\n") * 4)
            time.sleep(1)
        c.expect(250, b".\r\n")
        c.expect(221, b"QUIT\r\n")
        if len(srv.files()) != 1:
            raise AssertionError(f"{len(srv.files())} messages delivered, expected 1")


# ---------------------------------------------------------------- limits

def max_connections(env):
    with Server(env, "maxconn", "--max-connections", "3") as srv:
        kept = [srv.connect() for _ in range(3)]
        extra = Conn(srv.port)
        code, text = extra.reply()
        if code != 421 or "4.3.2" not in text:
            raise AssertionError(f"the 4th connection got {code} {text!r}, expected 421 4.3.2")
        if not extra.eof(3):
            raise AssertionError("the 4th connection was not closed after its 421")
        kept[0].expect(221, b"QUIT\r\n")
        if not kept[0].eof(3):
            raise AssertionError("QUIT did not close")
        deadline = time.monotonic() + 3
        while True:  # the freed place is counted once the session is gone
            again = Conn(srv.port)
            code, text = again.reply()
            if code == 220:
                break
            again.close()
            if time.monotonic() > deadline:
                raise AssertionError(f"no place after one client left: {code} {text!r}")
            time.sleep(0.1)
        again.expect(250, b"NOOP\r\n")
        for c in kept[1:] + [again]:
            c.close()
        if "too many connections" not in srv.stderr():
            raise AssertionError("the refusal is not logged")


def fd_limit(env):
    # 64 descriptors: the server's own (stdio, epoll, eventfd, signalfd,
    # listener) leave room for about 57 clients; 90 connect (the kernel
    # queues the rest). At the limit, accept4 fails with EMFILE while the
    # listener stays readable.
    with Server(env, "fdlimit", nofile=64) as srv:
        conns = [Conn(srv.port) for _ in range(90)]
        greeted, waiting = [], []
        deadline = time.monotonic() + 2
        pending = list(conns)
        while pending and time.monotonic() < deadline:
            ready = select.select([c.sock for c in pending], [], [], 0.2)[0]
            for c in [c for c in pending if c.sock in ready]:
                code, _ = c.reply()
                if code != 220:
                    raise AssertionError(f"a greeting of {code}")
                greeted.append(c)
                pending.remove(c)
        waiting = pending
        if not waiting or len(greeted) < 40:
            raise AssertionError(f"{len(greeted)} greeted, {len(waiting)} waiting: the limit was not reached")
        cpu0, t0 = cpu_seconds(srv.proc.pid), time.monotonic()
        time.sleep(3)
        busy = (cpu_seconds(srv.proc.pid) - cpu0) / (time.monotonic() - t0)
        if busy > 0.1:
            raise AssertionError(f"the server used {busy:.0%} of a CPU while at the descriptor limit")
        for c in greeted[:5]:
            c.expect(221, b"QUIT\r\n")
            c.close()
        ready = select.select([c.sock for c in waiting], [], [], 3)[0]
        if not ready:
            raise AssertionError("no waiting client was served after five left")
        c = next(c for c in waiting if c.sock in ready)
        c.expect(220)
        c.expect(250, b"EHLO client.test\r\n")
        greeted[5].expect(250, b"NOOP\r\n")  # the others are still served
        for c in conns:
            c.close()


def noop_cpu(srv, n):
    """Server CPU seconds for n NOOP round trips on one connection."""
    c = srv.connect()
    cpu0 = cpu_seconds(srv.proc.pid)
    for _ in range(n):
        c.send(b"NOOP\r\n")
        if c.reply()[0] != 250:
            raise AssertionError("NOOP refused")
    used = cpu_seconds(srv.proc.pid) - cpu0
    c.close()
    return used


def idle_cost(env):
    # Before, every wakeup pumped every connection: 2000 idle ones made
    # each NOOP cost a walk over all of them.
    idle = 2000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < idle + 200:
        raise AssertionError(f"RLIMIT_NOFILE hard limit {hard} is too low for {idle} connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, idle + 200), hard))
    try:
        with Server(env, "idlecost", "--max-connections", "5000", nofile=idle + 200) as srv:
            base = noop_cpu(srv, 2000)
            conns = []
            for _ in range(idle):
                conns.append(socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT))
            for s in conns:  # each greeting: the server has them all
                if not s.recv(100).startswith(b"220"):
                    raise AssertionError("no greeting")
            loaded = noop_cpu(srv, 2000)
            for s in conns:
                s.close()
        if loaded > 3 * base + 0.2:
            raise AssertionError(f"2000 NOOPs cost {base:.2f} s of server CPU alone, {loaded:.2f} s "
                                 f"beside {idle} idle connections")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---------------------------------------------------------------- log and smtplib

def log_escape(env):
    # A quoted local part can hold anything printable; under SMTPUTF8, any
    # UTF-8 too. None of it may shape the log line.
    fake = b'"a\\" to=<root"@x.org'
    bidi = '"c\u0085d\u202eexe.gpj"@x.org'.encode()
    with Server(env, "log") as srv:
        c = session(srv)
        c.expect(250, b"MAIL FROM:<" + fake + b"> SMTPUTF8\r\n")
        c.expect(250, b"RCPT TO:<" + bidi + b">\r\n")
        c.expect(354, b"DATA\r\n")
        c.expect(250, b"Subject: x\r\n\r\nx\r\n.\r\n")
        c.expect(221, b"QUIT\r\n")
        time.sleep(0.2)
        raw = open(srv.log_path, "rb").read()
    lines = [l for l in raw.split(b"\n") if b" delivered " in l]
    if len(lines) != 1:
        raise AssertionError(f"{len(lines)} delivery lines in the log: {raw[-600:]!r}")
    line = lines[0]
    if any(b < 0x20 or b >= 0x7F for b in line):
        raise AssertionError(f"raw control or non-ASCII bytes in the log line: {line!r}")
    if line.count(b" to=") != 1 or line.count(b" from=") != 1:
        raise AssertionError(f"a field was faked: {line!r}")
    want_from = b'from=<\\"a\\\\\\"\\x20to=\\x3croot\\"@x.org>'
    want_to = b'to=<\\"c\\u0085d\\u202eexe.gpj\\"@x.org>'
    if want_from not in line or want_to not in line:
        raise AssertionError(f"not escaped as documented: {line!r}")


def smtplib_smtputf8(env):
    m = EmailMessage()
    m["From"] = "δοκιμή@παράδειγμα.example"
    m["To"] = "пользователь@example.org"
    m["Subject"] = "SMTPUTF8 twice"
    m.set_content("Grüße\n")
    buf = io.BytesIO()
    email.generator.BytesGenerator(buf, policy=m.policy.clone(utf8=True)).flatten(m, linesep="\r\n")
    with Server(env, "smtputf8") as srv:
        with smtplib.SMTP("127.0.0.1", srv.port, timeout=TIMEOUT) as s:
            s.send_message(m, mail_options=["SMTPUTF8"])  # "SMTPUTF8 SMTPUTF8 BODY=8BITMIME"
        got = [open(os.path.join(srv.maildir, "new", n), "rb").read() for n in srv.files()]
    if got != [buf.getvalue()]:
        raise AssertionError(f"{len(got)} messages delivered, or not the bytes sent")


def main():
    env, suite = start(__doc__, "--server")
    env.work = tempfile.mkdtemp(prefix="mailwire-server-test-")
    c = suite.case
    c("help.lists_every_flag", help_lists_every_flag, env)
    c("help.bad_values_exit_2", help_bad_values, env)
    c("idle.silent_client", idle_silent, env)
    c("idle.dripping_command", idle_drip_command, env)
    c("idle.dripping_message", idle_drip_data, env)
    c("idle.progress_keeps_the_session", idle_progress_kept, env)
    c("max_connections", max_connections, env)
    c("fd_limit", fd_limit, env)
    c("idle_cost", idle_cost, env)
    c("log_escape", log_escape, env)
    c("smtplib_smtputf8", smtplib_smtputf8, env)
    return finish(suite, env.work)


if __name__ == "__main__":
    sys.exit(main())
