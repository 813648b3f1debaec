#!/usr/bin/env python3
"""mailwire-smtp-send (examples/smtp_send.cpp) against nodemailer's smtp-server.

    smtp_send_nodemailer.py --send path/to/mailwire-smtp-send [-k FILTER]... [-v]

Installs tests/interop/node (npm ci into a temp dir, as smtp_server_interop.py
does), makes a self-signed certificate with `openssl req`, and starts
tests/interop/node/smtp_server_peer.js: smtp-server on three loopback ports
(STARTTLS + AUTH PLAIN/LOGIN/CRAM-MD5; plain; LMTP), each with SIZE 1000000
enforced and a recipient "refused..." that gets 550. Every case runs the
client once and checks its exit status, the per-recipient lines it prints,
and what smtp-server received: the data stream (dot-unstuffed by
smtp-server) byte for byte against the file sent, and the envelope (MAIL
FROM, RCPT TO, BODY=, SMTPUTF8, AUTH user, TLS). smtp-server offers
PIPELINING but not CHUNKING, so every message goes as dot-stuffed DATA; the
packets the peer received show the commands batched.

Prints `PASS name` / `FAIL name: why` per case, then `N passed, M failed,
K skipped`. Prints `SKIPPED: why` (and exits 0) when node, npm or the npm
packages are missing. The peer is stopped by its PID (SIGTERM).
"""

import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtp_server_interop import (PASSWORD, TIMEOUT, USER, Env, Skip, Suite,  # noqa: E402
                                 make_cert, node_setup, run)

HERE = os.path.dirname(os.path.abspath(__file__))
FROM = "sender@example.com"
ONE, TWO = "one@example.org", "two@example.org"
REFUSED = "refused@example.org"
SIZE_LIMIT = 1000000


class Peer:
    def __init__(self, env):
        self.inbox = os.path.join(env.work, "inbox")
        self.log = open(os.path.join(env.work, "peer.log"), "w")
        self.proc = subprocess.Popen(
            ["node", os.path.join(HERE, "node", "smtp_server_peer.js"), env.node_modules, self.inbox,
             env.cert, env.key, USER, PASSWORD],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        try:
            self.ports = json.loads(line)
        except ValueError:
            self.stop()
            raise RuntimeError(f"smtp-server peer did not start: {line!r}") from None

    def messages(self):
        return sorted(n[:-4] for n in os.listdir(self.inbox) if n.endswith(".eml"))

    def read(self, stem):
        with open(os.path.join(self.inbox, stem + ".eml"), "rb") as f:
            data = f.read()
        with open(os.path.join(self.inbox, stem + ".json")) as f:
            return data, json.load(f)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        return rc


def write(env, name, data):
    path = os.path.join(env.work, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def message(subject, body=b"Hello.\r\n"):
    return b"From: <sender@example.com>\r\nTo: <one@example.org>\r\nSubject: " + subject + b"\r\n\r\n" + body


# Lines that must be dot-stuffed (and a lone "." that would end DATA), long
# lines up to RFC 5322's 998, and ~300 KB so the data spans many reads.
DOTS = message(b"dots", b".\r\n..\r\n.leading\r\n...three\r\n. space\r\nend of dots\r\n"
               + b"".join(b"line %06d " % i + b"x" * (i % 120) + b"\r\n" for i in range(3000))
               + b"." * 998 + b"\r\n" + b"y" * 998 + b"\r\n.\r\n.last\r\n")


class Send:
    """One client run and what it delivered."""

    def __init__(self, env, port, files, to=(ONE,), sender=FROM, *opts):
        before = set(env.peer.messages())
        cmd = [env.send, "--server", f"127.0.0.1:{port}", "--from", sender]
        for t in to:
            cmd += ["--to", t]
        self.p = run(cmd + list(opts) + list(files), timeout=30)
        self.out = self.p.stdout + self.p.stderr
        self.delivered = [env.peer.read(s) for s in sorted(set(env.peer.messages()) - before)]

    def expect(self, rc, *lines, delivered=None):
        if self.p.returncode != rc:
            raise AssertionError(f"exit {self.p.returncode}, expected {rc}: {self.out[-800:]}")
        for line in lines:
            if line not in self.out:
                raise AssertionError(f"no {line!r} in the output: {self.out[-800:]}")
        if delivered is not None and len(self.delivered) != delivered:
            raise AssertionError(f"{len(self.delivered)} messages received, expected {delivered}: {self.out[-800:]}")
        return self


def same_bytes(got, want):
    if got != want:
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        raise AssertionError(f"bytes differ at {at} (got {len(got)}, sent {len(want)}): "
                             f"got {got[at:at + 60]!r} sent {want[at:at + 60]!r}")


def envelope(meta, **want):
    for key, value in want.items():
        if meta.get(key) != value:
            raise AssertionError(f"{key}: smtp-server saw {meta.get(key)!r}, expected {value!r}")


def pipelined(meta, *commands):
    """Some single packet held all these commands: they were batched."""
    if not any(all(c in p for c in commands) for p in meta["packets"]):
        raise AssertionError(f"{commands} never arrived in one packet: {meta['packets'][:4]!r}")


# ---------------------------------------------------------------- cases

def plain_dots(env):
    f = write(env, "dots.eml", DOTS)
    s = Send(env, env.peer.ports["plain"], [f]).expect(0, f"RCPT {ONE}: 250", "message: 250", delivered=1)
    data, meta = s.delivered[0]
    same_bytes(data, DOTS)
    envelope(meta, mail_from=FROM, rcpt_to=[ONE], body_type="7bit", smtputf8=False, tls=False, user=None)
    pipelined(meta, "MAIL FROM:<sender@example.com>", f"RCPT TO:<{ONE}>", "DATA\r\n")


def plain_two_messages(env):
    a = write(env, "a.eml", message(b"first"))
    b = write(env, "b.eml", message(b"second", b"..\r\n"))
    s = Send(env, env.peer.ports["plain"], [a, b], (ONE, TWO)).expect(0, delivered=2)
    for (data, meta), want in zip(s.delivered, (message(b"first"), message(b"second", b"..\r\n"))):
        same_bytes(data, want)
        envelope(meta, rcpt_to=[ONE, TWO])
        pipelined(meta, "MAIL FROM:", f"RCPT TO:<{ONE}>", f"RCPT TO:<{TWO}>", "DATA\r\n")


def plain_one_refused(env):
    f = write(env, "refused.eml", message(b"one refused"))
    s = Send(env, env.peer.ports["plain"], [f], (ONE, REFUSED, TWO))
    s.expect(1, f"RCPT {ONE}: 250", f"RCPT {REFUSED}: 550", f"RCPT {TWO}: 250", "message: 250", delivered=1)
    envelope(s.delivered[0][1], rcpt_to=[ONE, TWO])


def plain_bare_lf(env):
    # The client turns bare LF (and bare CR) into CRLF by default.
    f = write(env, "lf.eml", b"Subject: bare LF\n\nline\n.dot\nCR\ralone\r\n")
    s = Send(env, env.peer.ports["plain"], [f]).expect(0, delivered=1)
    same_bytes(s.delivered[0][0], b"Subject: bare LF\r\n\r\nline\r\n.dot\r\nCR\r\nalone\r\n")


def plain_8bitmime(env):
    body = message("8bit Grüße".encode(), "Grüße, naïve café\r\n.ü\r\n".encode())
    f = write(env, "8bit.eml", body)
    s = Send(env, env.peer.ports["plain"], [f]).expect(0, delivered=1)
    same_bytes(s.delivered[0][0], body)
    envelope(s.delivered[0][1], body_type="8bitmime", smtputf8=False)


def plain_smtputf8(env, sender, to):
    f = write(env, "utf8.eml", message(b"smtputf8"))
    s = Send(env, env.peer.ports["plain"], [f], (to,), sender).expect(0, f"RCPT {to}: 250", delivered=1)
    envelope(s.delivered[0][1], mail_from=sender, rcpt_to=[to], smtputf8=True)


def too_big(env):
    """A file just over the peer's SIZE; MAIL carries no SIZE=, so 552 comes after the data."""
    return write(env, "big.eml", message(b"too big") + (b"z" * 76 + b"\r\n") * (SIZE_LIMIT // 78 + 1))


def plain_size(env):
    f = too_big(env)
    Send(env, env.peer.ports["plain"], [f]).expect(1, f"RCPT {ONE}: 250", "message: 552", delivered=0)


def starttls(env, *opts, user=None):
    f = write(env, "tls.eml", message(b"starttls", b"..\r\nsecret\r\n"))
    s = Send(env, env.peer.ports["starttls"], [f], (ONE,), FROM, "--starttls", "--ca", env.cert, *opts)
    s.expect(0, f"RCPT {ONE}: 250", delivered=1)
    same_bytes(s.delivered[0][0], message(b"starttls", b"..\r\nsecret\r\n"))
    envelope(s.delivered[0][1], tls=True, user=user)
    return s


def starttls_auth(env, mech):
    s = starttls(env, "--auth", f"{USER}:{PASSWORD}", "--mech", mech, user=USER)
    s.expect(0, f"AUTH {mech}: 235")


def starttls_wrong_password(env):
    f = write(env, "wrong.eml", message(b"wrong password"))
    Send(env, env.peer.ports["starttls"], [f], (ONE,), FROM, "--starttls", "--ca", env.cert,
         "--auth", f"{USER}:wrong", "--mech", "PLAIN").expect(1, "535", delivered=0)


def starttls_untrusted(env):
    # Without --ca the self-signed certificate does not verify: nothing sent.
    f = write(env, "untrusted.eml", message(b"untrusted"))
    Send(env, env.peer.ports["starttls"], [f], (ONE,), FROM, "--starttls").expect(1, delivered=0)


def starttls_not_offered(env):
    f = write(env, "nostarttls.eml", message(b"no starttls"))
    Send(env, env.peer.ports["plain"], [f], (ONE,), FROM, "--starttls", "--ca", env.cert).expect(1, delivered=0)


def lmtp(env):
    f = write(env, "lmtp.eml", DOTS)
    s = Send(env, env.peer.ports["lmtp"], [f], (ONE, TWO), FROM, "--lmtp")
    s.expect(0, "message for recipient 1: 250", "message for recipient 2: 250", delivered=1)
    same_bytes(s.delivered[0][0], DOTS)
    envelope(s.delivered[0][1], server="lmtp", transmission="LMTP", rcpt_to=[ONE, TWO])
    pipelined(s.delivered[0][1], "MAIL FROM:", f"RCPT TO:<{ONE}>", f"RCPT TO:<{TWO}>", "DATA\r\n")


def lmtp_one_refused(env):
    f = write(env, "lmtp-refused.eml", message(b"lmtp refused"))
    s = Send(env, env.peer.ports["lmtp"], [f], (ONE, REFUSED, TWO), FROM, "--lmtp")
    s.expect(1, f"RCPT {REFUSED}: 550", "message for recipient 1: 250", "message for recipient 2: 250",
             delivered=1)
    if "message for recipient 3" in s.out:
        raise AssertionError("a reply for the refused recipient: " + s.out)
    envelope(s.delivered[0][1], rcpt_to=[ONE, TWO])


def lmtp_size(env):
    f = too_big(env)
    Send(env, env.peer.ports["lmtp"], [f], (ONE, TWO), FROM, "--lmtp").expect(
        1, "message for recipient 1: 552", "message for recipient 2: 552", delivered=0)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--send", required=True)
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="print timings and keep the work directory")
    args = ap.parse_args()
    if not os.access(args.send, os.X_OK):
        print(f"SKIPPED: {args.send} not built")
        return 0
    env = Env()
    env.send = args.send
    env.work = tempfile.mkdtemp(prefix="mailwire-send-node-")
    env.node_modules = None
    try:
        node_setup(env)
    except Skip as e:
        print(f"SKIPPED: {e}")
        shutil.rmtree(env.work, ignore_errors=True)
        return 0
    env.cert, env.key = make_cert(env.work)
    env.peer = Peer(env)
    suite = Suite(args.k, timings=args.v)
    c = suite.case
    try:
        c("plain.dot_stuffing_long_body_pipelined", plain_dots, env)
        c("plain.two_messages_one_session", plain_two_messages, env)
        c("plain.one_recipient_refused_550", plain_one_refused, env)
        c("plain.bare_lf_repaired", plain_bare_lf, env)
        c("plain.8bitmime", plain_8bitmime, env)
        c("plain.smtputf8_sender", plain_smtputf8, env, "jörg@bücher.example", ONE)
        c("plain.smtputf8_recipient_only", plain_smtputf8, env, FROM, "δοκιμή@παράδειγμα.example")
        c("plain.size_limit_552", plain_size, env)
        c("starttls.ca_verified", starttls, env)
        for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
            c(f"starttls.auth_{mech}", starttls_auth, env, mech)
        c("starttls.wrong_password_535", starttls_wrong_password, env)
        c("starttls.untrusted_certificate_refused", starttls_untrusted, env)
        c("starttls.required_but_not_offered", starttls_not_offered, env)
        c("lmtp.reply_per_recipient", lmtp, env)
        c("lmtp.one_recipient_refused", lmtp_one_refused, env)
        c("lmtp.size_limit_552_per_recipient", lmtp_size, env)
    finally:
        rc = env.peer.stop()

        def stopped():
            if rc != 0:
                raise AssertionError(f"peer exit code {rc} after SIGTERM")
        only, suite.only = suite.only, None
        c("shutdown.peer", stopped)
        suite.only = only
    print(f"{suite.passed} passed, {suite.failed} failed, {suite.skipped} skipped")
    if args.v or suite.failed:
        print(f"work directory (peer log, inbox): {env.work}")
    else:
        shutil.rmtree(env.work, ignore_errors=True)
    return 1 if suite.failed else 0


if __name__ == "__main__":
    sys.exit(main())
