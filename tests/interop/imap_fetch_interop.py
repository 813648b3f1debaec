#!/usr/bin/env python3
"""mailwire-imap-fetch (examples/imap_fetch.cpp) against Dovecot.

    imap_fetch_interop.py --fetch path/to/mailwire-imap-fetch [-k FILTER]... [-v]

Starts the interop peers (tests/interop/peers/start.sh: needs root; Dovecot
with its own config on 127.0.0.1, IMAP with STARTTLS and IMAPS, SASL PLAIN
LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 from a {PLAIN} passdb, so SCRAM
works), fills INBOX (a 5 MB message, lines beginning with dots, an empty
body, 8-bit bytes, a 1500-byte line) and runs mailwire-imap-fetch against
IMAP_PORT (STARTTLS) and IMAPS_PORT (implicit TLS): the default login
(SCRAM-SHA-256, the strongest offered), AUTHENTICATE PLAIN, the LOGIN
command, SCRAM-SHA-256 without TLS (its password never travels), a wrong
password, a certificate that is not trusted, and resume: a second run
fetches nothing, a message added is the only one a third run fetches, and
a UIDVALIDITY changed (doveadm mailbox update --uid-validity) fetches
everything again.

Every stored file must be exactly Dovecot's BODY[] for that UID: the
reference comes from Python's imaplib (UID FETCH 1:* (BODY.PEEK[]), its
literals read as bytes), a session of its own. Dovecot logs each login's
method (the LOGIN command as PLAIN), which tells which one was used.

Prints `PASS name`, `FAIL name: why` or `SKIP name: why` per case, then
`N passed, M failed, K skipped`; exits 1 if any case failed. About 10 s.
"""

import argparse
import imaplib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite import Suite  # noqa: E402
from pop3_fixtures import MB, Peers, finish_suite, client_context, make_cert, sample_messages  # noqa: E402

MESSAGES = sample_messages(big=5 * MB)
STATE = ".mailwire-imap-state"


class Env:
    pass


# ---------------------------------------------------------------- Dovecot's side

def reference(env):
    """{uid: BODY[] bytes} of INBOX as Dovecot serves it, by imaplib."""
    c = imaplib.IMAP4("127.0.0.1", env.peers.imap_port, timeout=30)
    try:
        c.starttls(client_context(env.peers.ca_file))
        c.login(env.peers.user, env.peers.password)
        c.select("INBOX", readonly=True)
        typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[])")
        if typ != "OK":
            raise AssertionError(f"imaplib UID FETCH: {typ} {data}")
        out = {}
        for item in data:
            if isinstance(item, tuple):
                m = re.search(rb"UID (\d+)", item[0])
                if not m:
                    raise AssertionError(f"no UID in {item[0]!r}")
                out[int(m.group(1))] = item[1]
        c.logout()
        return out
    finally:
        try:
            c.shutdown()
        except OSError:
            pass


def uidvalidity(env):
    p = subprocess.run(["doveadm", "-c", env.peers.env["DOVECOT_CONFIG"], "mailbox", "status", "-u", env.peers.user,
                        "uidvalidity", "INBOX"], capture_output=True, text=True, timeout=30)
    m = re.search(r"uidvalidity=(\d+)", p.stdout)
    if not m:
        raise AssertionError(f"doveadm mailbox status: {p.stdout} {p.stderr}")
    return int(m.group(1))


def set_uidvalidity(env, value):
    p = subprocess.run(["doveadm", "-c", env.peers.env["DOVECOT_CONFIG"], "mailbox", "update", "-u", env.peers.user,
                        "--uid-validity", str(value), "INBOX"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0 or uidvalidity(env) != value:
        raise AssertionError(f"doveadm mailbox update: {p.stdout} {p.stderr}")


def logins_since(env, offset):
    """The `method=` of each Dovecot IMAP login logged after byte `offset`."""
    with open(env.peers.log_path, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    return re.findall(r"imap-login: Info: Login: user=<[^>]*>, method=([A-Z0-9-]+)", text)


# ---------------------------------------------------------------- the program

class Fetch:
    """One run of mailwire-imap-fetch, bounded in time; its stdout parsed."""

    SUMMARY = re.compile(r"^fetched (\d+), skipped (\d+), gone (\d+)$", re.M)

    def __init__(self, env, *args, maildir=None, tls="starttls", password=None, ca=None, timeout=120):
        self.maildir = maildir or tempfile.mkdtemp(prefix="fetched-", dir=env.work)
        port = env.peers.imaps_port if tls == "implicit" else env.peers.imap_port
        cmd = [env.fetch, "--server", f"127.0.0.1:{port}", "--timeout", "30", "--maildir", self.maildir,
               "--user", env.peers.user, "--pass", password or env.peers.password]
        if tls == "starttls":
            cmd += ["--starttls", "--ca", ca or env.peers.ca_file]
        elif tls == "implicit":
            cmd += ["--implicit-tls", "--ca", ca or env.peers.ca_file]
        self.log_offset = env.peers.log_size()
        self.env = env
        p = subprocess.run(cmd + list(args), capture_output=True, text=True, errors="replace", timeout=timeout)
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr
        self.stored = [(int(u), int(s), path) for u, s, path in re.findall(r"^stored (\d+) (\d+) (.+)$", self.out, re.M)]
        m = self.SUMMARY.search(self.out)
        self.summary = tuple(map(int, m.groups())) if m else None

    def expect(self, rc, summary=None, *texts):
        if self.rc != rc or (summary is not None and self.summary != summary):
            raise AssertionError(f"exit {self.rc} (expected {rc}), summary {self.summary} (expected {summary}): "
                                 f"{self.out[-400:]} {self.err[-600:]}")
        for t in texts:
            if t not in self.out + self.err:
                raise AssertionError(f"no {t!r} in {self.out[-300:]} {self.err[-600:]}")
        return self

    def logins(self):
        return logins_since(self.env, self.log_offset)

    def same_as(self, ref, uids=None):
        """Each file stored is byte for byte Dovecot's BODY[] of its UID;
        `uids` (default: all of `ref`) were stored, each once."""
        want = sorted(ref if uids is None else uids)
        if sorted(u for u, _, _ in self.stored) != want:
            raise AssertionError(f"stored UIDs {sorted(u for u, _, _ in self.stored)}, expected {want}")
        for uid, size, path in self.stored:
            with open(path, "rb") as f:
                data = f.read()
            if data != ref[uid] or size != len(data):
                raise AssertionError(f"UID {uid}: {len(data)} bytes in {path}, Dovecot's BODY[] has {len(ref[uid])}"
                                     f" (first difference at {next((i for i, (a, b) in enumerate(zip(data, ref[uid])) if a != b), min(len(data), len(ref[uid])))})")
        files = os.listdir(os.path.join(self.maildir, "new"))
        if len(files) != len(self.stored) and uids is None:
            raise AssertionError(f"{len(files)} files in new/, {len(self.stored)} 'stored' lines")


# ---------------------------------------------------------------- cases

def starttls_default(env):
    r = Fetch(env).expect(0, (len(env.ref), 0, 0))
    r.same_as(env.ref)
    if r.logins() != ["SCRAM-SHA-256"]:
        raise AssertionError(f"Dovecot logged {r.logins()}, expected SCRAM-SHA-256 (the strongest offered)")


def implicit_login_command(env):
    r = Fetch(env, "--login", tls="implicit").expect(0, (len(env.ref), 0, 0))
    r.same_as(env.ref)
    if r.logins() != ["PLAIN"]:  # Dovecot logs the LOGIN command as PLAIN
        raise AssertionError(f"Dovecot logged {r.logins()}")


def mech(env, name, tls):
    r = Fetch(env, "--mech", name, tls=tls).expect(0, (len(env.ref), 0, 0))
    r.same_as(env.ref)
    if r.logins() != [name]:
        raise AssertionError(f"Dovecot logged {r.logins()}, expected {name}")


def plain_refused_without_tls(env):
    r = Fetch(env, "--mech", "PLAIN", tls=None).expect(1, (0, 0, 0), "--allow-plaintext-auth")
    if r.logins() or os.listdir(os.path.join(r.maildir, "new")):
        raise AssertionError(f"logged in: {r.logins()}")


def wrong_password(env, args):
    r = Fetch(env, *args, password="not-the-password").expect(1, (0, 0, 0), "login refused")
    if r.logins() or os.listdir(os.path.join(r.maildir, "new")):
        raise AssertionError(f"logged {r.logins()}")


def untrusted_certificate(env):
    for tls in ("starttls", "implicit"):
        r = Fetch(env, tls=tls, ca=env.other_cert).expect(1, (0, 0, 0))
        if r.logins() or os.listdir(os.path.join(r.maildir, "new")):
            raise AssertionError(f"{tls}: logged in with a certificate not trusted: {r.logins()}")
        if "certificate" not in r.err:
            raise AssertionError(f"{tls}: the error does not say why: {r.err[-400:]}")


def resume(env):
    md = tempfile.mkdtemp(prefix="resume-", dir=env.work)
    ref = env.ref
    Fetch(env, maildir=md).expect(0, (len(ref), 0, 0)).same_as(ref)
    Fetch(env, maildir=md).expect(0, (0, len(ref), 0))
    env.peers.maildir.put([("added", b"Subject: added\nFrom: a@example.com\n\nadded after the first run\n")])
    ref2 = reference(env)
    new = sorted(set(ref2) - set(ref))
    if len(new) != 1:
        raise AssertionError(f"Dovecot shows {len(new)} new UIDs")
    r = Fetch(env, maildir=md).expect(0, (1, len(ref), 0))
    r.same_as(ref2, new)
    old = uidvalidity(env)
    set_uidvalidity(env, old + 1000)
    r = Fetch(env, maildir=md).expect(0, (len(ref2), 0, 0), f"UIDVALIDITY {old + 1000} (was {old}")
    r.same_as(ref2, list(ref2))  # the files of the first runs are there too
    if len(os.listdir(os.path.join(md, "new"))) != 2 * len(ref2):
        raise AssertionError("the files stored before the UIDVALIDITY change did not all stay")
    Fetch(env, maildir=md).expect(0, (0, len(ref2), 0))
    with open(os.path.join(md, STATE)) as f:
        state = f.read()
    if f"uidvalidity {old} INBOX\n" not in state or f"uidvalidity {old + 1000} INBOX\n" not in state:
        raise AssertionError(f"state: {state[:200]!r}")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fetch", required=True, help="the mailwire-imap-fetch executable")
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="print timings and keep the work directory")
    args = ap.parse_args()
    if not os.access(args.fetch, os.X_OK):
        print(f"SKIPPED: {args.fetch} not built")
        return 0
    if os.geteuid() != 0:
        print("SKIPPED: the interop peers need root (their daemons drop privileges themselves)")
        return 0
    if shutil.which("doveadm") is None:
        print("SKIPPED: doveadm not found (dovecot-core)")
        return 0

    env = Env()
    env.fetch = os.path.abspath(args.fetch)
    env.work = tempfile.mkdtemp(prefix="mailwire-imap-fetch-")
    os.makedirs(os.path.join(env.work, "other"))
    env.other_cert, _ = make_cert(os.path.join(env.work, "other"))  # CN=localhost too, but not Dovecot's
    suite = Suite(args.k, timings=args.v)
    try:
        env.peers = Peers(env.work)
    except RuntimeError as e:
        print(f"FAIL peers: {e}")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    try:
        env.peers.imap_port = int(env.peers.env["IMAP_PORT"])
        env.peers.imaps_port = int(env.peers.env["IMAPS_PORT"])
        env.peers.maildir.put(MESSAGES)
        env.ref = reference(env)
        if sorted(env.ref.values()) != sorted(m.replace(b"\n", b"\r\n") for _, m in MESSAGES):
            raise RuntimeError("Dovecot's BODY[] are not the messages put (CRLF)")
        c = suite.case
        c("starttls.default_scram_sha_256_exact_bytes_5mb", starttls_default, env)
        c("implicit_tls.login_command", implicit_login_command, env)
        c("mech.PLAIN.starttls", mech, env, "PLAIN", "starttls")
        c("mech.SCRAM-SHA-256.implicit_tls", mech, env, "SCRAM-SHA-256", "implicit")
        c("mech.SCRAM-SHA-256.without_tls", mech, env, "SCRAM-SHA-256", None)
        c("mech.PLAIN.without_tls_refused_before_sending", plain_refused_without_tls, env)
        c("wrong_password.default", wrong_password, env, [])
        c("wrong_password.login_command", wrong_password, env, ["--login"])
        c("untrusted_certificate", untrusted_certificate, env)
        c("resume.again_added_uidvalidity", resume, env)
    finally:
        env.peers.stop()

    return finish_suite(suite, env.work, args.v)


if __name__ == "__main__":
    sys.exit(main())
