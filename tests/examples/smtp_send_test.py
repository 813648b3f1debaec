#!/usr/bin/env python3
"""mailwire-smtp-send (examples/smtp_send.cpp) against a scripted SMTP server
on loopback: passwords never go in clear unasked, bad arguments never reach
the network, and no failure hangs or ends the session rudely.

    smtp_send_test.py --send path/to/mailwire-smtp-send [-k FILTER]...

The peer is a tiny SMTP server in a thread of this script (127.0.0.1, a
free port), with a behaviour per case (what EHLO offers, where it stops
answering, what it refuses); it records every line it received. Cases:

  cleartext.*   a server that offers AUTH PLAIN LOGIN and no STARTTLS:
                --mech PLAIN / LOGIN / automatic choice send no AUTH and
                exit 1 with a message naming --allow-plaintext-auth; with
                that flag the password goes (the peer sees AUTH)
  usage.*       every bad argument exits 2 with a usage message before any
                connection (the peer sees none); --help lists every flag
  delivers*     the peer works; stdin is spooled and scanned (8BITMIME)
  timeout.*     --timeout 2: no greeting, no reply to MAIL or DATA, a
                greeting dripped a byte at a time, a connect that cannot
                complete: exit 1 within a few seconds
  polite.*      refusals after connecting (greeting 554, every RCPT
                refused, --starttls without STARTTLS) end with QUIT and
                exit 1; a server that hangs up mid-session is reported
"""

import base64
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TIMEOUT, Outcome, ScriptedPeer, check_sanitizers, start  # noqa: E402

MESSAGE = b"From: <a@example.org>\r\nTo: <b@example.org>\r\nSubject: test\r\n\r\nHello.\r\n"


class Peer(ScriptedPeer):
    """A scripted SMTP server: one connection at a time, on a thread."""

    def __init__(self, ehlo=("PIPELINING", "AUTH PLAIN LOGIN"), greeting=b"220 peer.test ESMTP\r\n",
                 hang_on=None, close_on=None, drip=None, rcpt=b"250 2.1.5 ok\r\n"):
        self.ehlo, self.greeting, self.hang_on, self.close_on = ehlo, greeting, hang_on, close_on
        self.drip, self.rcpt = drip, rcpt
        self.lines = []
        super().__init__()

    def verbs(self):
        return [l.split(b" ", 1)[0].split(b":", 1)[0].upper() for l in self.lines]

    def read_line(self, conn, buf):
        while b"\r\n" not in buf[0]:
            buf[0] += self.recv(conn)
        line, buf[0] = buf[0].split(b"\r\n", 1)
        return line

    def session(self, conn):
        buf = [b""]
        if self.drip is not None:  # a greeting that never ends, a byte at a time
            for b in self.drip:
                if self.done.wait(0.3):
                    return
                conn.sendall(bytes([b]))
            return
        if self.greeting is None:  # silence until the client gives up
            while self.read_line(conn, buf) is not None:
                pass
        conn.sendall(self.greeting)
        while True:
            line = self.read_line(conn, buf)
            self.lines.append(line)
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].upper()
            if verb == self.close_on:
                return
            if verb == self.hang_on:
                while True:
                    self.lines.append(self.read_line(conn, buf))
            if verb in (b"EHLO", b"LHLO"):
                caps = [b"peer.test"] + [c.encode() for c in self.ehlo]
                conn.sendall(b"".join(b"250" + (b" " if i == len(caps) - 1 else b"-") + c + b"\r\n"
                                      for i, c in enumerate(caps)))
            elif verb == b"AUTH":
                if line.upper().startswith(b"AUTH LOGIN"):
                    for prompt in (b"Username:", b"Password:"):
                        conn.sendall(b"334 " + base64.b64encode(prompt) + b"\r\n")
                        self.lines.append(self.read_line(conn, buf))
                conn.sendall(b"235 2.7.0 Authenticated\r\n")
            elif verb == b"RCPT":
                conn.sendall(self.rcpt)
            elif verb == b"DATA":
                if not self.rcpt.startswith(b"2"):
                    conn.sendall(b"554 5.5.1 No valid recipients\r\n")
                    continue
                conn.sendall(b"354 go ahead\r\n")
                while self.read_line(conn, buf) != b".":
                    pass
                conn.sendall(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 2.0.0 bye\r\n")
                return
            elif verb in (b"MAIL", b"RSET", b"NOOP"):
                conn.sendall(b"250 2.0.0 ok\r\n")
            else:
                conn.sendall(b"502 5.5.1 unknown\r\n")


class Run(Outcome):
    """One run of the sender, bounded in time."""

    def __init__(self, env, *args, limit=TIMEOUT, stdin=b""):
        t0 = time.monotonic()
        try:
            p = subprocess.run([env.exe, *args], capture_output=True, timeout=limit, input=stdin)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {limit} s: {args}") from None
        self.took = time.monotonic() - t0
        self.rc = p.returncode
        self.out = (p.stdout + p.stderr).decode(errors="replace")
        check_sanitizers(self.out, f"mailwire-smtp-send {' '.join(args)}")


def send(env, peer, *args, to=("b@example.org",), limit=TIMEOUT):
    argv = ["--server", f"127.0.0.1:{peer.port}", "--from", "a@example.org"]
    for t in to:
        argv += ["--to", t]
    return Run(env, *argv, *args, env.message, limit=limit)


# ---------------------------------------------------------------- cleartext

def cleartext_refused(env, *mech):
    with Peer() as peer:
        r = send(env, peer, "--auth", "user:secret", *mech)
    r.expect(1, "--allow-plaintext-auth")
    if b"AUTH" in peer.verbs() or any(b"secret" in l or b"c2VjcmV0" in l for l in peer.lines):
        raise AssertionError(f"the password went in clear: {peer.lines}")
    if b"MAIL" in peer.verbs() or peer.verbs()[-1:] != [b"QUIT"]:
        raise AssertionError(f"expected EHLO then QUIT: {peer.lines}")


def cleartext_allowed(env, mech):
    with Peer() as peer:
        send(env, peer, "--auth", "user:secret", "--mech", mech, "--allow-plaintext-auth").expect(0, f"AUTH {mech}: 235")
    if b"AUTH" not in peer.verbs() or b"DATA" not in peer.verbs():
        raise AssertionError(f"no AUTH or no DATA: {peer.lines}")


# ---------------------------------------------------------------- usage

FLAGS = {"--server", "--starttls", "--implicit-tls", "--ca", "--insecure", "--auth", "--mech",
         "--allow-plaintext-auth", "--lmtp", "--timeout", "--from", "--to", "--help", "--version"}


def help_lists_every_flag(env):
    r = Run(env, "--help").expect(0, "WARNING", "Default 60", "Exit status")
    shown = set(re.findall(r"--[a-z][a-z-]*", r.out))
    if shown != FLAGS:
        raise AssertionError(f"--help shows {sorted(shown - FLAGS)} extra, {sorted(FLAGS - shown)} missing")


def bad_arguments(env):
    with Peer() as peer:
        here = f"127.0.0.1:{peer.port}"
        ok = ["--server", here, "--from", "a@example.org", "--to", "b@example.org"]
        msg = env.message
        cases = [
            ["--server", here, "--from", "a@example.org", "--to", "bad", msg],
            ["--server", here, "--from", "a@example.org", "--to", "b@example.org>junk", msg],
            ["--server", here, "--from", "a@example.org", "--to", "", msg],
            ["--server", here, "--from", "a@example.org", "--to", "<b@example.org", msg],
            ["--server", here, "--from", "good@x.org>@evil.org", "--to", "b@example.org", msg],
            ["--server", here, "--from", "a@example.org\r\nRCPT TO:<x@y.z>", "--to", "b@example.org", msg],
            ["--server", "127.0.0.1:65561", *ok[2:], msg],
            ["--server", "127.0.0.1:abc", *ok[2:], msg],
            ["--server", "127.0.0.1:0", *ok[2:], msg],
            ["--server", "127.0.0.1:+25", *ok[2:], msg],
            ["--server", "127.0.0.1: 25", *ok[2:], msg],
            ["--server", ":25", *ok[2:], msg],
            ["--server", "127.0.0.1", *ok[2:], msg],
            ["--server", "::1:25", *ok[2:], msg],
            [*ok, "--timeout", "0", msg],
            [*ok, "--timeout", "-1", msg],
            [*ok, "--timeout", "abc", msg],
            [*ok, "--timeout", "86401", msg],
            [*ok, msg, "--timeout"],
            [*ok, "--bogus", msg],
            [*ok, "-x", msg],
            [*ok, msg, "--from"],
            ok,
            [*ok, os.path.join(env.work, "no-such-file.eml")],
            [*ok, "--starttls", "--implicit-tls", msg],
            [*ok, "--ca", msg, "--insecure", msg],
            [*ok, "--auth", "user:secret", "--mech", "NOPE", msg],
            [*ok, "--auth", "user:secret", "--mech", "XOAUTH2", msg],
            [*ok, "--mech", "PLAIN", msg],
            [*ok, "--allow-plaintext-auth", msg],
            [*ok, "--auth", "nocolon", msg],
            [*ok, "-", "-"],
            ["--from", "a@example.org", "--to", "b@example.org", msg],
        ]
        for argv in cases:
            r = Run(env, *argv)
            if r.rc != 2 or "usage:" not in r.out:
                raise AssertionError(f"{argv}: exit {r.rc}, expected 2 with usage: {r.out[-400:]}")
        if peer.connections:
            raise AssertionError(f"{peer.connections} connection(s) made with bad arguments: {peer.lines}")


# ---------------------------------------------------------------- timeouts

def timed_out(env, peer_args, limit=2):
    with Peer(**peer_args) as peer:
        r = send(env, peer, "--timeout", str(limit), limit=limit + 8)
    r.expect(1, "timed out")
    if not limit - 0.5 <= r.took <= limit + 3:
        raise AssertionError(f"gave up after {r.took:.1f} s, --timeout {limit}")
    return peer


def timeout_connect(env):
    # A listener that never accepts, its queue full: a SYN more is dropped,
    # and connect() would wait for minutes of retransmissions.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    port = lsock.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.2)
        r = Run(env, "--server", f"127.0.0.1:{port}", "--from", "a@example.org", "--to", "b@example.org",
                "--timeout", "2", env.message, limit=12)
        r.expect(1, "timed out")
        if r.took > 5:
            raise AssertionError(f"gave up after {r.took:.1f} s, --timeout 2")
    finally:
        for s in fillers:
            s.close()
        lsock.close()


# ---------------------------------------------------------------- polite ends

def ends_with_quit(peer, what):
    if peer.verbs()[-1:] != [b"QUIT"]:
        raise AssertionError(f"{what}: the session did not end with QUIT: {peer.lines}")


def polite_greeting_refused(env):
    with Peer(greeting=b"554 5.3.2 not now\r\n") as peer:
        send(env, peer).expect(1, "554")
    ends_with_quit(peer, "greeting 554")


def polite_all_rcpt_refused(env):
    with Peer(rcpt=b"550 5.1.1 no such user\r\n") as peer:
        send(env, peer, to=("x@example.org", "y@example.org")).expect(1, "RCPT x@example.org: 550")
    ends_with_quit(peer, "every RCPT refused")


def polite_starttls_missing(env):
    with Peer() as peer:
        send(env, peer, "--starttls", "--insecure").expect(1, "STARTTLS")
    if b"MAIL" in peer.verbs():
        raise AssertionError(f"mail went in clear under --starttls: {peer.lines}")
    ends_with_quit(peer, "--starttls, not offered")


def server_hangs_up(env):
    with Peer(close_on=b"MAIL") as peer:
        send(env, peer, "--timeout", "5").expect(1, "closed")


def delivers(env):
    # The peer works: the same program, good arguments, one message.
    with Peer() as peer:
        send(env, peer, to=("<b@example.org>",)).expect(0, "RCPT <b@example.org>: 250", "message: 250")
    if peer.verbs() != [b"EHLO", b"MAIL", b"RCPT", b"DATA", b"QUIT"]:
        raise AssertionError(f"unexpected session: {peer.lines}")


def delivers_stdin(env):
    # stdin is spooled before connecting, so it is scanned for 8-bit bytes
    # like a file: BODY=8BITMIME.
    with Peer(ehlo=("PIPELINING", "8BITMIME")) as peer:
        r = Run(env, "--server", f"127.0.0.1:{peer.port}", "--from", "a@example.org", "--to", "b@example.org",
                "-", stdin=MESSAGE + "Grüße\r\n".encode())
        r.expect(0, "-: message: 250")
    if not any(l.startswith(b"MAIL FROM:<a@example.org> BODY=8BITMIME") for l in peer.lines):
        raise AssertionError(f"no BODY=8BITMIME: {peer.lines}")


def main():
    env, suite = start(__doc__, "--send")
    with tempfile.TemporaryDirectory(prefix="mailwire-send-test-") as work:
        env.work = work
        env.message = os.path.join(work, "message.eml")
        with open(env.message, "wb") as f:
            f.write(MESSAGE)
        c = suite.case
        c("delivers", delivers, env)
        c("delivers_stdin", delivers_stdin, env)
        c("cleartext.mech_plain_refused", cleartext_refused, env, "--mech", "PLAIN")
        c("cleartext.mech_login_refused", cleartext_refused, env, "--mech", "login")
        c("cleartext.chosen_refused", cleartext_refused, env)
        c("cleartext.plain_with_flag", cleartext_allowed, env, "PLAIN")
        c("cleartext.login_with_flag", cleartext_allowed, env, "LOGIN")
        c("usage.help_lists_every_flag", help_lists_every_flag, env)
        c("usage.bad_arguments_exit_2", bad_arguments, env)
        c("timeout.no_greeting", timed_out, env, {"greeting": None})
        c("timeout.no_reply_to_mail", timed_out, env, {"hang_on": b"MAIL"})
        c("timeout.no_reply_to_data", timed_out, env, {"hang_on": b"DATA"})
        c("timeout.dripping_greeting", timed_out, env, {"drip": b"220" + b" x" * 100})
        c("timeout.connect", timeout_connect, env)
        c("polite.greeting_refused", polite_greeting_refused, env)
        c("polite.all_rcpt_refused", polite_all_rcpt_refused, env)
        c("polite.starttls_missing", polite_starttls_missing, env)
        c("polite.server_hangs_up", server_hangs_up, env)
        return suite.summary()


if __name__ == "__main__":
    sys.exit(main())
