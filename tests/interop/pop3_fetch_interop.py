#!/usr/bin/env python3
"""mailwire-pop3-fetch (examples/pop3_fetch.cpp) against Dovecot.

    pop3_fetch_interop.py --fetch path/to/mailwire-pop3-fetch [-k FILTER]... [-v]
    pop3_fetch_interop.py --selftest [-k FILTER]... [-v]

Starts the interop peers (tests/interop/peers/start.sh: needs root), fills
Dovecot's maildrop (a 50 MB message, lines beginning with dots, an empty
body, 8-bit bytes, a 1500-byte line) and runs mailwire-pop3-fetch against
POP3_PORT (STLS offered) and POP3S_PORT (implicit TLS): every login it has
(USER/PASS, APOP, SASL PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256),
wrong passwords, refusals, a second run, --delete. Each stored file must be
exactly what Dovecot serves for that UIDL: the reference comes from a raw
POP3 session (pop3_fixtures.Pop3), RETR's payload dot-unstuffed with its
CRLFs, not from poplib (which drops line ends and refuses lines over 2048
bytes).

Dovecot always offers SASL, and the program picks SASL when it can, so its
USER/PASS path is reached through pop3_fixtures.Proxy, which hides the SASL
line (and STLS, or the greeting's timestamp) from it and records what it
sent: that is also how "refused before anything is sent" is checked.
Dovecot logs each login's method, which tells which mechanism was used (it
logs USER/PASS as PLAIN too).

--selftest runs the fixtures' own checks (reference bytes, proxy, log
parsing, deletion) without the program: everything but the program's calls.

What the program must print (docs: /work/briefs/pop3_cli.md) and what is
parsed here: per message stored, a line `stored UID SIZE PATH` (SIZE = bytes
in the file, PATH inside MAILDIR/new); then `fetched N, skipped M, deleted K`.
Exit 0 when all was fetched (and deleted), 1 on a runtime failure (a wrong
password, a refusal), 2 on a usage error. State: MAILDIR/.mailwire-pop3-state
by default, one UIDL per line.

Prints `PASS name`, `FAIL name: why` or `SKIP name: why` per case, then
`N passed, M failed, K skipped`; exits 1 if any case failed.
"""

import argparse
import base64
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite import Suite  # noqa: E402
from pop3_fixtures import (MB, finish_suite, Peers, Pop3, Proxy, client_context, crlf, make_cert, same_messages,  # noqa: E402
                           sample_messages, server_context, served, wait_for_login)
import poplib  # noqa: E402

FULL = sample_messages(big=50 * MB)
MEDIUM = sample_messages(big=1 * MB)
SMALL = sample_messages(big=0)[:3]
STATE = ".mailwire-pop3-state"


class Env:
    pass


# ---------------------------------------------------------------- the maildrop

def fill(env, messages):
    """Dovecot's maildrop holds `messages` (LF files) and nothing else;
    env.ref becomes {uidl: exact payload}. Skips the work when it already
    does."""
    key = id(messages)
    if env.filled == key and env.peers.maildir.count() == len(messages):
        return env.ref
    wait_for_login(env.peers.pop3_port, env.peers.user, env.peers.password)  # no session holds it
    env.peers.maildir.clear()
    env.peers.maildir.put(messages)
    env.ref = served(env.peers.pop3_port, env.peers.user, env.peers.password)
    env.filled = key
    same_messages(list(env.ref.values()), [crlf(m) for _, m in messages], "served messages")
    return env.ref


def left_in_maildrop(env):
    """How many messages Dovecot still has, once no session holds the
    maildrop (Dovecot applies DELE when the session ends)."""
    wait_for_login(env.peers.pop3_port, env.peers.user, env.peers.password, deadline=15)
    env.filled = None
    return env.peers.maildir.count()


# ---------------------------------------------------------------- the program

class Fetch:
    """One run of mailwire-pop3-fetch; its stdout parsed."""

    SUMMARY = re.compile(r"^fetched (\d+), skipped (\d+), deleted (\d+)$")

    def __init__(self, env, *args, maildir=None, port=None, tls="stls", login=(), timeout=150):
        self.maildir = maildir or tempfile.mkdtemp(prefix="fetched-", dir=env.work)
        port = port or (env.peers.pop3s_port if tls == "implicit" else env.peers.pop3_port)
        cmd = [env.fetch, "--server", f"127.0.0.1:{port}", "--timeout", "60", "--maildir", self.maildir]
        if tls == "stls":
            cmd += ["--stls", "--ca", env.peers.ca_file]
        elif tls == "implicit":
            cmd += ["--implicit-tls", "--ca", env.peers.ca_file]
        cmd += list(login) or ["--user", env.peers.user, "--pass", env.peers.password]
        self.log_offset = env.peers.log_size()
        self.env = env
        p = subprocess.run(cmd + list(args), capture_output=True, text=True, errors="replace", timeout=timeout)
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr
        self.stored = []  # (uid, size, path)
        self.summary = None
        for line in self.out.splitlines():
            m = re.match(r"^stored (\S+) (\d+) (.+)$", line)
            if m:
                self.stored.append((m.group(1), int(m.group(2)), m.group(3)))
            m = self.SUMMARY.match(line)
            if m:
                self.summary = tuple(map(int, m.groups()))

    def why(self):
        return f"exit {self.rc}; stdout {self.out[-600:]!r}; stderr {self.err[-800:]!r}"

    def methods(self):
        return self.env.peers.logins_since(self.log_offset)

    def files(self, sub="new"):
        d = os.path.join(self.maildir, sub)
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def state(self):
        path = os.path.join(self.maildir, STATE)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return f.read().split()

    def expect_all(self, ref, method=None, deleted=0):
        """Exit 0, one `stored` line and one file per message, each file
        the exact payload for its UIDL, the state file listing them all."""
        if self.rc != 0:
            raise AssertionError(self.why())
        uids = [u for u, _, _ in self.stored]
        if sorted(uids) != sorted(ref):
            raise AssertionError(f"stored {sorted(uids)}, expected {sorted(ref)}; {self.why()}")
        for uid, size, path in self.stored:
            if os.path.dirname(os.path.abspath(path)) != os.path.join(os.path.abspath(self.maildir), "new"):
                raise AssertionError(f"{path} is not in {self.maildir}/new")
            with open(path, "rb") as f:
                data = f.read()
            if data != ref[uid]:
                same_messages([data], [ref[uid]], f"file for {uid}")
            if size != len(data):
                raise AssertionError(f"stored line says {size} bytes, the file has {len(data)}")
        if len(self.files("new")) != len(ref) or self.files("tmp"):
            raise AssertionError(f"new/ has {len(self.files('new'))} files, tmp/ {self.files('tmp')}")
        if sorted(self.state()) != sorted(ref):
            raise AssertionError(f"state file {self.state()}, expected the {len(ref)} UIDLs")
        if self.summary != (len(ref), 0, deleted):
            raise AssertionError(f"summary {self.summary}, expected fetched {len(ref)}, skipped 0, deleted {deleted}")
        if method is not None and self.methods() != [method]:
            raise AssertionError(f"Dovecot logged logins {self.methods()}, expected [{method}]")

    def expect_refused(self, rc=1):
        """Exit `rc`, nothing stored, no state."""
        if self.rc != rc:
            raise AssertionError(f"expected exit {rc}: {self.why()}")
        if self.stored or self.files("new") or self.files("tmp") or self.state():
            raise AssertionError(f"something was stored: {self.stored} {self.files('new')} {self.state()}")


def no_login_sent(proxy):
    """The client sent nothing but CAPA, STLS and QUIT (no password, no
    login attempt)."""
    sent = [c for c in proxy.client_commands() if c not in ("CAPA", "QUIT", "STLS")]
    if sent:
        raise AssertionError(f"the client sent {sent} ({proxy.sent[:300]!r})")


# ---------------------------------------------------------------- cases

def full_stls(env):
    ref = fill(env, FULL)
    Fetch(env).expect_all(ref, method="SCRAM-SHA-256")  # the strongest offered


def full_second_run(env):
    ref = fill(env, FULL)
    first = Fetch(env)
    first.expect_all(ref)
    again = Fetch(env, maildir=first.maildir)
    if again.rc != 0 or again.stored or again.summary != (0, len(ref), 0):
        raise AssertionError(f"second run: {again.why()}")
    if len(again.files("new")) != len(ref):
        raise AssertionError("the second run changed the Maildir")
    if left_in_maildrop(env) != len(ref):
        raise AssertionError("messages were deleted without --delete")


def full_implicit(env):
    ref = fill(env, FULL)  # before the run: Fetch() runs the program
    Fetch(env, tls="implicit").expect_all(ref)


def no_pipelining(env):
    ref = fill(env, MEDIUM)
    Fetch(env, "--no-pipelining").expect_all(ref)


def mech(env, name, tls):
    ref = fill(env, SMALL)
    Fetch(env, "--mech", name, tls="stls" if tls else None).expect_all(ref, method=name)


def mech_wrong_password(env, args, tls):
    fill(env, SMALL)
    f = Fetch(env, *args, tls="stls" if tls else None, login=["--user", env.peers.user, "--pass", "wrong"])
    f.expect_refused()
    if f.methods():
        raise AssertionError(f"Dovecot logged a login: {f.methods()}")


def apop(env):
    ref = fill(env, SMALL)
    Fetch(env, "--apop", tls=None).expect_all(ref, method="APOP")


def apop_no_timestamp(env):
    fill(env, SMALL)
    with Proxy(env.peers.pop3_port, plain_greeting=True) as proxy:
        f = Fetch(env, "--apop", port=proxy.port, tls=None)
        f.expect_refused()
        no_login_sent(proxy)


def user_pass_plaintext_allowed(env):
    ref = fill(env, SMALL)
    with Proxy(env.peers.pop3_port, hide={b"SASL"}) as proxy:
        Fetch(env, "--allow-plaintext-auth", port=proxy.port, tls=None).expect_all(ref, method="PLAIN")
        sent = proxy.client_commands()
        if "USER" not in sent or "PASS" not in sent:
            raise AssertionError(f"no USER/PASS: {sent}")


def user_pass_under_tls(env):
    """Implicit TLS to the proxy (its own certificate), which hides SASL and
    STLS: USER/PASS under TLS needs no --allow-plaintext-auth."""
    ref = fill(env, SMALL)
    with Proxy(env.peers.pop3_port, hide={b"SASL", b"STLS"}, tls=server_context(env.cert, env.key)) as proxy:
        f = Fetch(env, port=proxy.port, tls=None, login=["--user", env.peers.user, "--pass", env.peers.password,
                                                          "--implicit-tls", "--ca", env.cert])
        f.expect_all(ref, method="PLAIN")


def user_pass_refused(env):
    fill(env, SMALL)
    # No SASL and no APOP timestamp: USER/PASS is all that is left (with a
    # timestamp the fetcher logs in by APOP, which shows no password).
    with Proxy(env.peers.pop3_port, hide={b"SASL"}, plain_greeting=True) as proxy:
        Fetch(env, port=proxy.port, tls=None).expect_refused()
        no_login_sent(proxy)


def plain_refused_without_tls(env, name):
    fill(env, SMALL)
    with Proxy(env.peers.pop3_port) as proxy:  # records only
        Fetch(env, "--mech", name, port=proxy.port, tls=None).expect_refused()
        no_login_sent(proxy)


def stls_not_offered(env):
    fill(env, SMALL)
    with Proxy(env.peers.pop3_port, hide={b"STLS"}) as proxy:
        Fetch(env, port=proxy.port, tls="stls").expect_refused()
        no_login_sent(proxy)


def pass_file(env):
    ref = fill(env, SMALL)
    path = os.path.join(env.work, "password")
    with open(path, "w") as f:
        f.write(env.peers.password + "\nnot the password\n")
    Fetch(env, login=["--user", env.peers.user, "--pass-file", path]).expect_all(ref)


def delete(env):
    ref = fill(env, FULL)
    Fetch(env, "--delete").expect_all(ref, deleted=len(ref))
    if left_in_maildrop(env):
        raise AssertionError(f"{env.peers.maildir.count()} message(s) left in Dovecot's maildrop")


def delete_known(env):
    """--delete also deletes what an earlier run stored (in the state file)."""
    ref = fill(env, SMALL)
    first = Fetch(env)
    first.expect_all(ref)
    second = Fetch(env, "--delete", maildir=first.maildir)
    if second.rc != 0 or second.stored or second.summary != (0, len(ref), len(ref)):
        raise AssertionError(f"second run with --delete: {second.why()}")
    if left_in_maildrop(env):
        raise AssertionError(f"{env.peers.maildir.count()} message(s) left in Dovecot's maildrop")


# ---------------------------------------------------------------- selftest: the fixtures

def self_reference(env):
    """The raw client's payloads are the files with CRLF (fill() checks
    that), agree with LIST, and with poplib's lines joined with CRLF."""
    ref = fill(env, FULL)
    p = poplib.POP3("127.0.0.1", env.peers.pop3_port, timeout=30)
    p.stls(context=client_context(env.peers.ca_file))
    p.user(env.peers.user)
    p.pass_(env.peers.password)
    uidls = {int(n): u.decode() for n, u in (x.split() for x in p.uidl()[1])}
    for n, uid in uidls.items():
        got = b"".join(line + b"\r\n" for line in p.retr(n)[1])
        if got != ref[uid]:
            raise AssertionError(f"poplib and the raw client disagree on message {n}")
    p.quit()
    if not any(b"\r\n.\r\n" in m or b"\r\n..\r\n" in m for m in ref.values()):
        raise AssertionError("no dot lines in the messages")
    if max(map(len, ref.values())) < 50 * MB:
        raise AssertionError("no 50 MB message")


def self_proxy_hides_sasl(env):
    fill(env, SMALL)
    with Proxy(env.peers.pop3_port, hide={b"SASL"}) as proxy:
        p = poplib.POP3("127.0.0.1", proxy.port, timeout=15)
        capa = p.capa()
        if "SASL" in capa or "STLS" not in capa:
            raise AssertionError(f"CAPA through the proxy: {capa}")
        p.user(env.peers.user)
        p.pass_(env.peers.password)
        if b"Subject:" not in b"\n".join(p.retr(1)[1]):
            raise AssertionError("RETR through the proxy")
        if p.capa().get("SASL") is not None:
            raise AssertionError("SASL shown after login")
        p.quit()
        if proxy.client_commands()[:3] != ["CAPA", "USER", "PASS"]:
            raise AssertionError(f"recorded {proxy.client_commands()}")


def self_proxy_tls(env):
    fill(env, SMALL)
    with Proxy(env.peers.pop3_port, hide={b"SASL", b"STLS"}, tls=server_context(env.cert, env.key)) as proxy:
        p = poplib.POP3_SSL("127.0.0.1", proxy.port, timeout=15, context=client_context(env.cert))
        capa = p.capa()
        if "SASL" in capa or "STLS" in capa:
            raise AssertionError(f"CAPA through the TLS proxy: {capa}")
        p.user(env.peers.user)
        p.pass_(env.peers.password)
        if p.stat()[0] != len(SMALL):
            raise AssertionError("STAT through the TLS proxy")
        p.quit()


def self_proxy_greeting(env):
    with Proxy(env.peers.pop3_port, plain_greeting=True) as proxy:
        c = Pop3(proxy.port)
        if b"<" in c.greeting or not c.greeting.startswith(b"+OK"):
            raise AssertionError(f"greeting {c.greeting!r}")
        c.quit()


def self_log_methods(env):
    off = env.peers.log_size()
    c = Pop3(env.peers.pop3_port)
    c.apop(env.peers.user, env.peers.password)
    c.quit()
    c = Pop3(env.peers.pop3_port)
    c.cmd("AUTH PLAIN " + base64.b64encode(f"\0{env.peers.user}\0{env.peers.password}".encode()).decode())
    c.quit()
    c = Pop3(env.peers.pop3_port)
    try:
        c.login(env.peers.user, "wrong")
        raise AssertionError("a wrong password logged in")
    except Exception as e:  # noqa: BLE001 - Pop3Error expected
        if "-ERR" not in str(e):
            raise
    c.quit()
    wait_for_login(env.peers.pop3_port, env.peers.user, env.peers.password)
    got = env.peers.logins_since(off)
    if got != ["APOP", "PLAIN", "PLAIN"]:  # the last one is wait_for_login's
        raise AssertionError(f"logged {got}")


def self_delete(env):
    ref = fill(env, MEDIUM)
    c = Pop3(env.peers.pop3_port)
    c.login(env.peers.user, env.peers.password)
    for n in range(1, len(ref) + 1):
        c.cmd(f"DELE {n}")
    c.quit()
    if left_in_maildrop(env):
        raise AssertionError("left after DELE and QUIT")
    fill(env, MEDIUM)  # and the maildrop fills again


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fetch", help="the mailwire-pop3-fetch executable")
    ap.add_argument("--selftest", action="store_true", help="check the fixtures only (no program needed)")
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="print timings and keep the work directory")
    args = ap.parse_args()
    if not args.selftest:
        if not args.fetch:
            ap.error("--fetch or --selftest")
        if not os.access(args.fetch, os.X_OK):
            print(f"SKIPPED: {args.fetch} not built")
            return 0
    if os.geteuid() != 0:
        print("SKIPPED: the interop peers need root (their daemons drop privileges themselves)")
        return 0

    env = Env()
    env.fetch = args.fetch and os.path.abspath(args.fetch)
    env.work = tempfile.mkdtemp(prefix="mailwire-pop3-fetch-")
    env.filled = None
    env.cert, env.key = make_cert(env.work)
    suite = Suite(args.k, timings=args.v)
    try:
        env.peers = Peers(env.work)
    except RuntimeError as e:
        print(f"FAIL peers: {e}")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    try:
        c = suite.case
        if args.selftest:
            c("fixtures.reference_bytes_50mb_dots", self_reference, env)
            c("fixtures.proxy_hides_sasl_records", self_proxy_hides_sasl, env)
            c("fixtures.proxy_tls_hides_stls", self_proxy_tls, env)
            c("fixtures.proxy_greeting_without_timestamp", self_proxy_greeting, env)
            c("fixtures.dovecot_log_methods", self_log_methods, env)
            c("fixtures.delete_and_refill", self_delete, env)
        else:
            c("full.stls_strongest_mech_exact_bytes_50mb_dots", full_stls, env)
            c("full.second_run_fetches_nothing", full_second_run, env)
            c("full.implicit_tls", full_implicit, env)
            c("no_pipelining", no_pipelining, env)
            for name in ("PLAIN", "LOGIN"):
                c(f"mech.{name}.stls", mech, env, name, True)
            for name in ("CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"):
                c(f"mech.{name}.without_tls", mech, env, name, False)
            for name in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"):
                c(f"mech.{name}.wrong_password", mech_wrong_password, env, ["--mech", name], True)
            c("apop.without_tls", apop, env)
            c("apop.wrong_password", mech_wrong_password, env, ["--apop"], False)
            c("apop.greeting_without_timestamp_refused", apop_no_timestamp, env)
            c("user_pass.without_tls_with_allow_plaintext_auth", user_pass_plaintext_allowed, env)
            c("user_pass.under_tls", user_pass_under_tls, env)
            c("user_pass.without_tls_refused_before_sending", user_pass_refused, env)
            for name in ("PLAIN", "LOGIN"):
                c(f"mech.{name}.without_tls_refused_before_sending", plain_refused_without_tls, env, name)
            c("stls.required_but_not_offered", stls_not_offered, env)
            c("pass_file", pass_file, env)
            c("delete.empties_maildrop_50mb", delete, env)
            c("delete.also_messages_fetched_before", delete_known, env)
    finally:
        env.peers.stop()

    return finish_suite(suite, env.work, args.v)


if __name__ == "__main__":
    sys.exit(main())
