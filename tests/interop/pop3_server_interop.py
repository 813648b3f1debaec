#!/usr/bin/env python3
"""mailwire-pop3-server (examples/pop3_server.cpp) against real POP3 clients.

    pop3_server_interop.py --server path/to/mailwire-pop3-server [-k FILTER]... [-v]
    pop3_server_interop.py --against-dovecot [-k FILTER]... [-v]

Starts the server itself (port 0, temp Maildirs, a self-signed certificate
for CN=localhost with SAN localhost and 127.0.0.1, made with `openssl req`),
in four configurations:

  main      --tls-cert/--tls-key (STLS offered), --allow-plaintext-auth
  implicit  --implicit-tls (port-995 style)
  strict    STLS offered, passwords in clear only after TLS
  required  --require-tls (before TLS only CAPA, STLS, NOOP, QUIT)

then drives it with fetchmail, mpop, getmail6, curl and Python's poplib,
and raw sockets. Every case first fills the maildrop (some files in new/,
some in cur/, LF line ends as MDAs store them) and compares what each
client stored, byte for byte, with what the server must serve: the files
with CRLF line ends. At the end each server gets SIGTERM and must exit 0
with no sanitizer report.

--against-dovecot runs the same cases against Dovecot from
tests/interop/peers (needs root), POP3_PORT as `main` and POP3S_PORT as
`implicit`; the `strict` and `required` cases skip. It proves the client
recipes (config files, flags, certificate trust, deletion) on a server known
to work, so a failure against mailwire is mailwire's. Dovecot's UIDLs are
its own (not the file names), and it answers a second session after 10 s.

Prints `PASS name`, `FAIL name: why` or `SKIP name: why` per case, then
`N passed, M failed, K skipped`; exits 1 if any case failed. A client that
is not installed skips its cases; `SKIPPED:` is printed when all did.

What the clients do to the bytes, which the expected values account for:
  * curl writes the RETR payload as received (dot-unstuffed, CRLF).
  * poplib's retr() gives lines without their CRLF (dot-unstuffed): joined
    with CRLF plus a final CRLF they are the payload again, as long as no
    line holds a bare CR or LF (none of these messages has one).
  * fetchmail with an MDA strips CRs unless told `no stripcr`, adds a
    Received: header unless `set invisible`, and rewrites addresses unless
    `no rewrite` (fetchmail(1), "stripcr", "--invisible", "rewrite"): with
    all three the MDA gets the payload exactly, CRLF included.
  * mpop's maildir delivery stores LF line ends (seen with mpop 1.4.18; its
    manual does not say so), and `received_header off` drops its Received:
    header: the file is the payload with CRLF turned into LF.
  * getmail6 parses each message with Python's email package and writes it
    back with LF line ends (getmailcore/message.py, Message.flatten: "a
    string with native EOL convention"), always first adding
    `Return-Path: <sender>` (configuration.txt: the envelope sender "must be
    recorded in a header field named Return-Path"; with no Return-Path or
    Sender header in the message it is <unknown>); `delivered_to = false`
    and `received = false` drop the other two headers.
"""

import argparse
import getpass
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import poplib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite import Skip, Suite  # noqa: E402
from pop3_fixtures import (MB, TIMEOUT, Maildir, Peers, Pop3, Pop3Error, client_context, crlf,  # noqa: E402
                           lf, maildir_messages, make_cert, same_messages, sample_messages, wait_for_login,
                           which)

USER = "user"
PASSWORD = "pencil"
FULL = sample_messages(big=5 * MB)    # every kind of message, one of 5 MB
SMALL = sample_messages(big=0)[:2]    # for the login cases


def sanitizer_report(text):
    for marker in ("Sanitizer", "runtime error:"):
        if marker in text:
            return text[text.index(marker):][:600]
    return None


def run(cmd, timeout=60, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)


def out_text(p):
    return (p.stdout + p.stderr).decode("utf-8", "replace") if isinstance(p.stdout, bytes) else p.stdout + p.stderr


def check_rc(p, what, ok=(0,)):
    if p.returncode not in ok:
        raise AssertionError(f"{what} exit {p.returncode}: {out_text(p)[-800:]}")


def need(tool):
    path = which(tool)
    if not path:
        raise Skip(f"{tool} not installed")
    return path


# ---------------------------------------------------------------- servers under test

class Endpoint:
    """One POP3 listener: port, TLS mode ('stls' or 'implicit') and the
    Maildir it serves."""

    def __init__(self, name, port, tls, maildir):
        self.name, self.port, self.tls, self.maildir = name, port, tls, maildir

    def fill(self, messages):
        """Empties the maildrop and puts `messages` in (the first two into
        cur/, the rest into new/); returns what the server must serve for
        them, in order: each file with CRLF line ends."""
        self.maildir.clear()
        put = self.maildir.put(messages[:2], sub="cur") + self.maildir.put(messages[2:])
        self.put = put
        return [crlf(data) for _, data in put]


class MailwireServer:
    def __init__(self, exe, work, name, cert, key, args):
        self.name = name
        self.maildir_path = os.path.join(work, "maildir-" + name)
        self.maildir = Maildir(self.maildir_path)
        self.log_path = os.path.join(work, "server-" + name + ".log")
        self.log = open(self.log_path, "w")
        cmd = [exe, "--listen", "127.0.0.1:0", "--maildir", self.maildir_path, "--user", f"{USER}:{PASSWORD}",
               "--tls-cert", cert, "--tls-key", key, "--idle-timeout", "30"] + args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        m = re.match(r"listening on 127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"server {name} did not start: {line!r} {self.stderr()[-500:]}")
        self.port = int(m.group(1))

    def stderr(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM by PID; the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.proc.stdout.close()
        self.log.close()
        return rc


class MailwireTarget:
    kind = "mailwire"
    uidl_is_file_name = True
    in_use_within = 5.0  # seconds for the -ERR [IN-USE]

    def __init__(self, exe, work):
        self.user, self.password = USER, PASSWORD
        self.cafile, key = make_cert(work)
        self.servers = []
        self.endpoints = {}
        for name, tls, extra in (("main", "stls", ["--allow-plaintext-auth"]),
                                 ("implicit", "implicit", ["--implicit-tls"]),
                                 ("strict", "stls", []),
                                 ("required", "stls", ["--require-tls"])):
            srv = MailwireServer(exe, work, name, self.cafile, key, extra)
            self.servers.append(srv)
            self.endpoints[name] = Endpoint(name, srv.port, tls, srv.maildir)

    def endpoint(self, name):
        return self.endpoints[name]

    def shutdown_cases(self, suite):
        for srv in self.servers:
            def stop(srv=srv):
                rc = srv.stop()
                report = sanitizer_report(srv.stderr())
                if report:
                    raise AssertionError("sanitizer: " + report)
                if rc != 0:
                    raise AssertionError(f"exit code {rc} after SIGTERM")
            suite.case(f"shutdown.{srv.name}", stop)

    def close(self):
        for srv in self.servers:
            if srv.proc.poll() is None:
                srv.stop()


class DovecotTarget:
    kind = "dovecot"
    uidl_is_file_name = False
    in_use_within = 15.0  # Dovecot waits 10 s for the lock, then -ERR [IN-USE]

    def __init__(self, work):
        self.peers = Peers(work)
        self.user, self.password, self.cafile = self.peers.user, self.peers.password, self.peers.ca_file
        md = self.peers.maildir
        self.endpoints = {"main": Endpoint("main", self.peers.pop3_port, "stls", md),
                          "implicit": Endpoint("implicit", self.peers.pop3s_port, "implicit", md)}

    def endpoint(self, name):
        if name not in self.endpoints:
            raise Skip(f"no Dovecot listener like mailwire's '{name}' server")
        return self.endpoints[name]

    def shutdown_cases(self, suite):
        pass

    def close(self):
        self.peers.stop()


# ---------------------------------------------------------------- helpers

def ctx(env):
    return client_context(env.t.cafile)


def connect(env, ep, stls=True):
    """A logged-out raw session: implicit TLS, or STLS when `stls`."""
    if ep.tls == "implicit":
        return Pop3(ep.port, tls=ctx(env))
    c = Pop3(ep.port)
    if stls:
        c.stls(ctx(env))
    return c


def remaining(env, ep, want_count):
    """Waits (bounded) until the maildrop is free again, then returns how
    many messages it holds; the server may still be finishing the session."""
    wait_for_login(ep.port, env.t.user, env.t.password, tls=ctx(env) if ep.tls == "implicit" else None,
                   deadline=env.t.in_use_within)
    n = ep.maildir.count()
    if n != want_count:
        raise AssertionError(f"{n} message(s) left in the maildrop, expected {want_count}")


def outdir(env, name, owner=None):
    d = tempfile.mkdtemp(prefix=name + "-", dir=env.work)
    os.chmod(d, 0o755)
    for sub in ("cur", "new", "tmp"):
        os.mkdir(os.path.join(d, sub))
    if owner is not None:
        for p in (d, *(os.path.join(d, s) for s in ("cur", "new", "tmp"))):
            os.chown(p, owner, owner)
    return d


def private_dir(env, name):
    d = tempfile.mkdtemp(prefix=name + "-", dir=env.work)
    os.chmod(d, 0o700)
    return d


# ---------------------------------------------------------------- poplib

def poplib_session(env, ep, stls=True):
    if ep.tls == "implicit":
        return poplib.POP3_SSL("127.0.0.1", ep.port, timeout=TIMEOUT, context=ctx(env))
    p = poplib.POP3("127.0.0.1", ep.port, timeout=TIMEOUT)
    if stls:
        p.stls(context=ctx(env))
    return p


def poplib_payload(lines):
    return b"".join(line + b"\r\n" for line in lines)


def poplib_retr_all(env, p, want):
    """STAT, LIST, UIDL and RETR of everything, checked against `want`."""
    count, total = p.stat()
    if count != len(want) or total != sum(map(len, want)):
        raise AssertionError(f"STAT {count} {total}, expected {len(want)} {sum(map(len, want))}")
    sizes = sorted(int(x.split()[1]) for x in p.list()[1])
    if sizes != sorted(map(len, want)):
        raise AssertionError(f"LIST sizes {sizes}, expected {sorted(map(len, want))}")
    uidls = [x.split()[1].decode() for x in p.uidl()[1]]
    if len(set(uidls)) != len(want):
        raise AssertionError(f"UIDLs not unique: {uidls}")
    got = [poplib_payload(p.retr(n)[1]) for n in range(1, count + 1)]
    same_messages(got, want)
    return uidls


def poplib_capa(env):
    ep = env.t.endpoint("main")
    ep.fill(SMALL)
    p = poplib_session(env, ep, stls=False)
    before = p.capa()
    for cap in ("STLS", "UIDL", "TOP", "USER", "RESP-CODES"):
        if cap not in before:
            raise AssertionError(f"CAPA before TLS lacks {cap}: {sorted(before)}")
    p.stls(context=ctx(env))
    after = p.capa()
    if "STLS" in after:
        raise AssertionError(f"STLS still offered after TLS: {sorted(after)}")
    for mech in ("PLAIN", "SCRAM-SHA-256"):
        if mech not in after.get("SASL", []):
            raise AssertionError(f"SASL after TLS lacks {mech}: {after.get('SASL')}")
    env.notes.append(f"{env.t.kind} CAPA after STLS: " + " ".join(sorted(
        k + ("=" + ",".join(v) if v else "") for k, v in after.items())))
    p.quit()


def poplib_login(env, ep, stls=True, apop=False):
    p = poplib_session(env, ep, stls=stls)
    if apop:
        if not re.search(rb"<[^<>@]+@[^<>]+>", p.getwelcome()):
            raise AssertionError(f"no <timestamp> in the greeting {p.getwelcome()!r}")
        p.apop(env.t.user, env.t.password)
    else:
        p.user(env.t.user)
        p.pass_(env.t.password)
    return p


def poplib_retr(env, ep_name, messages, stls=True, apop=False):
    ep = env.t.endpoint(ep_name)
    want = ep.fill(messages)
    p = poplib_login(env, ep, stls, apop)
    uidls = poplib_retr_all(env, p, want)
    if env.t.uidl_is_file_name and sorted(uidls) != sorted(u for u, _ in ep.put):
        raise AssertionError(f"UIDLs {sorted(uidls)} are not the file names {sorted(u for u, _ in ep.put)}")
    p.quit()
    remaining(env, ep, len(want))  # RETR deletes nothing


def poplib_top(env):
    ep = env.t.endpoint("main")
    want = ep.fill(FULL)
    p = poplib_login(env, ep)
    by_payload = {poplib_payload(p.retr(n)[1]): n for n in range(1, len(want) + 1)}
    for msg in want:
        n = by_payload[msg]
        head, _, body = msg.partition(b"\r\n\r\n")
        body_lines = body.split(b"\r\n")[:-1] if body else []
        for k in (0, 1, 3, 100000):
            got = poplib_payload(p.top(n, k)[1])
            expected = head + b"\r\n\r\n" + b"".join(x + b"\r\n" for x in body_lines[:k])
            if got != expected:
                raise AssertionError(f"TOP {n} {k}: got {got[:200]!r}..., expected {expected[:200]!r}...")
    p.quit()


def poplib_wrong_password(env):
    ep = env.t.endpoint("main")
    ep.fill(SMALL)
    p = poplib_session(env, ep)
    p.user(env.t.user)
    try:
        p.pass_("wrong")
        raise AssertionError("PASS with a wrong password accepted")
    except poplib.error_proto as e:
        if not e.args[0].startswith(b"-ERR"):
            raise
    try:
        p.apop(env.t.user, "wrong")
        raise AssertionError("APOP with a wrong password accepted")
    except poplib.error_proto as e:
        if not e.args[0].startswith(b"-ERR"):
            raise
    # still in AUTHORIZATION state: the right password works
    p.user(env.t.user)
    p.pass_(env.t.password)
    if p.stat()[0] != len(SMALL):
        raise AssertionError("wrong STAT after logging in")
    p.quit()


def refused(what, call):
    try:
        call()
    except poplib.error_proto as e:
        if not e.args[0].startswith(b"-ERR"):
            raise
        return
    raise AssertionError(f"{what} was accepted")


def poplib_errors(env):
    ep = env.t.endpoint("main")
    want = ep.fill(SMALL)
    # Servers end a session after a few bad commands (Dovecot's login
    # process after the third): at most two in a row here, each session.
    for pair in ((("STAT before login", "STAT"), ("LIST before login", "LIST")),
                 (("RETR before login", "RETR 1"), ("PASS before USER", "PASS " + env.t.password))):
        p = poplib_session(env, ep)
        for what, command in pair:
            refused(what, lambda: p._shortcmd(command))
        p.user(env.t.user)
        p.pass_(env.t.password)
        p.quit()
    p = poplib_login(env, ep)
    for what, call in (("RETR 99", lambda: p.retr(99)), ("RETR 0", lambda: p.retr(0)),
                       ("TOP 99 0", lambda: p.top(99, 0)), ("DELE 99", lambda: p.dele(99)),
                       ("USER in TRANSACTION", lambda: p.user(env.t.user))):
        refused(what, call)
        p.noop()
    p.dele(1)
    refused("RETR of a deleted message", lambda: p.retr(1))
    p.noop()
    refused("DELE of a deleted message", lambda: p.dele(1))
    if p.stat()[0] != len(want) - 1:
        raise AssertionError("STAT counts the deleted message")
    p.rset()  # undeletes
    if p.stat()[0] != len(want) or poplib_payload(p.retr(1)[1]) not in want:
        raise AssertionError("RSET did not undelete")
    p.noop()
    p.quit()
    remaining(env, ep, len(want))


def poplib_dele_quit(env):
    ep = env.t.endpoint("main")
    want = ep.fill(FULL)
    p = poplib_login(env, ep)
    for n in range(1, len(want) + 1):
        p.dele(n)
    if ep.maildir.count() != len(want):
        raise AssertionError("messages were removed before QUIT")
    p.quit()
    remaining(env, ep, 0)


def raw_dropped(env):
    ep = env.t.endpoint("main")
    want = ep.fill(FULL)
    before = ep.maildir.files()
    c = connect(env, ep)
    c.login(env.t.user, env.t.password)
    sizes = {n: int(v) for n, v in c.listing("LIST").items()}
    biggest = max(sizes, key=sizes.get)
    for n in sizes:
        if n != biggest:
            c.cmd(f"DELE {n}")
    c.send(b"RETR %d\r\n" % biggest)  # the server is busy sending when the client vanishes
    c.status()
    c.sock.recv(1000)
    c.abort()
    remaining(env, ep, len(want))
    if ep.maildir.files() != before:
        raise AssertionError("the maildrop changed")


def poplib_in_use(env):
    ep = env.t.endpoint("main")
    ep.fill(SMALL)
    a = poplib_login(env, ep)
    b = poplib_session(env, ep)
    b.sock.settimeout(env.t.in_use_within + 10)
    b.user(env.t.user)
    try:
        b.pass_(env.t.password)
        raise AssertionError("a second session was let in")
    except poplib.error_proto as e:
        if not e.args[0].startswith(b"-ERR [IN-USE]"):
            raise AssertionError(f"expected -ERR [IN-USE], got {e.args[0]!r}") from None
    a.quit()
    try:
        b.quit()
    except (poplib.error_proto, OSError):
        pass  # the server may close the refused session itself
    remaining(env, ep, len(SMALL))


# ---------------------------------------------------------------- raw: TLS policy (mailwire only)

def raw_require_tls(env):
    ep = env.t.endpoint("required")
    want = ep.fill(SMALL)
    c = Pop3(ep.port)
    if "STLS" not in c.capa():
        raise AssertionError("STLS not offered")
    # RFC 1939 serves NOOP in the TRANSACTION state only.
    for command in ("NOOP", "USER " + env.t.user, "STAT", "LIST", "AUTH PLAIN"):
        try:
            c.cmd(command)
            raise AssertionError(f"{command} served before TLS")
        except Pop3Error:
            pass
    c.stls(ctx(env))
    c.login(env.t.user, env.t.password)
    if len(c.listing("LIST")) != len(want):
        raise AssertionError("wrong LIST after TLS")
    c.quit()


def raw_strict_plaintext(env):
    ep = env.t.endpoint("strict")
    want = ep.fill(SMALL)
    c = Pop3(ep.port)
    capa = c.capa()
    env.notes.append("strict server, CAPA before TLS: " + " | ".join(capa))
    try:
        c.login(env.t.user, env.t.password)
        raise AssertionError("USER/PASS accepted before TLS without --allow-plaintext-auth")
    except Pop3Error:
        pass
    try:
        c.cmd("AUTH PLAIN AHVzZXIAcGVuY2ls")
        raise AssertionError("AUTH PLAIN accepted before TLS without --allow-plaintext-auth")
    except Pop3Error:
        pass
    c.apop(env.t.user, env.t.password)  # no password on the wire: allowed
    if len(c.listing("UIDL")) != len(want):
        raise AssertionError("wrong UIDL")
    c.quit()
    c = Pop3(ep.port)
    c.stls(ctx(env))
    c.login(env.t.user, env.t.password)
    c.quit()


# ---------------------------------------------------------------- curl

def curl(env, ep, path="/", *extra, tls=True, timeout=60):
    scheme = "pop3s" if ep.tls == "implicit" else "pop3"
    cmd = [need("curl"), "-sS", "--max-time", "45", "-u", f"{env.t.user}:{env.t.password}",
           "--cacert", env.t.cafile, f"{scheme}://localhost:{ep.port}{path}"]
    if tls and ep.tls != "implicit":
        cmd.append("--ssl-reqd")
    p = run(cmd + list(extra), timeout=timeout)
    check_rc(p, "curl")
    return p.stdout


def curl_list_retr(env, ep_name, tls, *login):
    ep = env.t.endpoint(ep_name)
    want = ep.fill(FULL if not login else SMALL)
    listing = curl(env, ep, "/", *login, tls=tls)
    sizes = {int(n): int(s) for n, s in re.findall(rb"^(\d+) (\d+)\r$", listing, re.M)}
    if sorted(sizes.values()) != sorted(map(len, want)) or not listing.endswith(b"\r\n"):
        raise AssertionError(f"LIST gave {listing[:300]!r}, expected sizes {sorted(map(len, want))}")
    got = [curl(env, ep, f"/{n}", *login, tls=tls) for n in sorted(sizes)]
    same_messages(got, want)
    remaining(env, ep, len(want))


def curl_uidl_top(env):
    ep = env.t.endpoint("main")
    want = ep.fill(SMALL)
    uidl = curl(env, ep, "/", "-X", "UIDL")
    ids = re.findall(rb"^\d+ (\S+)\r$", uidl, re.M)
    if len(ids) != len(want):
        raise AssertionError(f"UIDL gave {uidl!r}")
    if env.t.uidl_is_file_name and sorted(i.decode() for i in ids) != sorted(u for u, _ in ep.put):
        raise AssertionError(f"UIDLs {ids} are not the file names")
    tops = [curl(env, ep, "/", "-X", f"TOP {n} 0") for n in range(1, len(want) + 1)]
    same_messages(tops, [m.partition(b"\r\n\r\n")[0] + b"\r\n\r\n" for m in want], "TOP 0 answers")


def curl_dele(env):
    ep = env.t.endpoint("main")
    want = ep.fill(FULL)
    # one session per message (curl sends QUIT at the end of each), -I
    # because DELE's answer is one line, not a listing; the last one first,
    # as each session numbers what is left from 1
    for n in range(len(want), 0, -1):
        curl(env, ep, f"/{n}", "-X", "DELE", "-I")
    remaining(env, ep, 0)


# ---------------------------------------------------------------- fetchmail

STORE = """#!/bin/sh
# MDA for fetchmail: stdin becomes one new file in $1
set -e
f=$(mktemp "$1/new/fetchmail.XXXXXXXX")
cat > "$f"
"""
STORE_THEN_HANG = """#!/bin/sh
# MDA for fetchmail that stores the first message and hangs on the second
set -e
if [ -n "$(ls "$1/new")" ]; then echo $$ > "$1/hanging"; exec sleep 60; fi
f=$(mktemp "$1/new/fetchmail.XXXXXXXX")
cat > "$f"
"""


def script(env, name, text):
    path = os.path.join(env.work, name)
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
    return path


def fetchmail_rc(env, ep, dest, tls=True, auth="password", keep=True, mda=STORE):
    """fetchmail's rcfile, its FETCHMAILHOME, and the command line."""
    home = private_dir(env, "fetchmail")
    if ep.tls == "implicit":
        tls_opts = f'ssl sslcertck sslcertfile "{env.t.cafile}" sslcommonname localhost'
    elif tls:
        # sslproto without ssl: STLS, mandatory (fetchmail(1), --sslproto)
        tls_opts = f"sslproto 'tls1.2+' sslcertck sslcertfile \"{env.t.cafile}\" sslcommonname localhost"
    else:
        tls_opts = "sslproto '' no sslcertck"
    # APOP is a protocol for fetchmail, not an auth method (fetchmail(1), --protocol)
    login = "protocol apop auth password" if auth == "apop" else f"protocol pop3 auth {auth}"
    store = script(env, "store-hang.sh" if mda is STORE_THEN_HANG else "store.sh", mda)
    rc = os.path.join(home, "fetchmailrc")
    with open(rc, "w") as f:
        f.write(f"""set no syslog
set invisible
poll 127.0.0.1 service {ep.port} {login} uidl timeout 20:
  user "{env.t.user}" there with password "{env.t.password}" is "{getpass.getuser()}" here
  {tls_opts}
  {"keep" if keep else "nokeep fetchall"} no rewrite no stripcr
  mda "{store} {dest}"
""")
    os.chmod(rc, 0o600)
    cmd = [need("fetchmail"), "-f", rc, "-i", os.path.join(home, "fetchids"), "-v", "-v", "--nodetach"]
    return cmd, dict(os.environ, FETCHMAILHOME=home)


def fetchmail_ok(p):
    # 0: mail retrieved, 1: no mail (fetchmail(1), EXIT CODES)
    check_rc(p, "fetchmail", ok=(0, 1))


def fetchmail_case(env, ep_name, tls=True, auth="password", messages=None):
    ep = env.t.endpoint(ep_name)
    want = ep.fill(messages or FULL)
    dest = outdir(env, "fetchmail-out")
    cmd, e = fetchmail_rc(env, ep, dest, tls=tls, auth=auth)
    p = run(cmd, env=e, timeout=90)
    fetchmail_ok(p)
    transcript = out_text(p)
    same_messages(maildir_messages(dest), want)  # exact bytes: see the module docstring
    # a second run: UIDLs remembered in the idfile, nothing new
    p = run(cmd, env=e, timeout=90)
    fetchmail_ok(p)
    if len(maildir_messages(dest)) != len(want):
        raise AssertionError("the second run fetched again: " + out_text(p)[-400:])
    remaining(env, ep, len(want))
    return transcript


def fetchmail_stls(env):
    transcript = fetchmail_case(env, "main")
    env.notes.append(f"fetchmail (keep, uidl) against {env.t.kind} sends: " +
                     command_runs(re.findall(r"POP3> ([A-Z]+)", transcript)))


def fetchmail_delete(env):
    ep = env.t.endpoint("main")
    want = ep.fill(FULL)
    dest = outdir(env, "fetchmail-del")
    cmd, e = fetchmail_rc(env, ep, dest, keep=False)
    p = run(cmd, env=e, timeout=90)
    fetchmail_ok(p)
    same_messages(maildir_messages(dest), want)
    remaining(env, ep, 0)


def fetchmail_killed(env):
    """fetchmail deletes as it goes (DELE after each message delivered), so
    killing it after the first DELE and before QUIT must leave the maildrop
    whole."""
    ep = env.t.endpoint("main")
    want = ep.fill(SMALL + FULL[2:4])
    before = ep.maildir.files()
    dest = outdir(env, "fetchmail-kill")
    cmd, e = fetchmail_rc(env, ep, dest, keep=False, mda=STORE_THEN_HANG)
    log_path = os.path.join(dest, "fetchmail.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=e, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(dest, "hanging")):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the MDA never hung on the second message")
            time.sleep(0.05)
    finally:
        # fetchmail and its MDA: the process group the Popen above created
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    with open(log_path, errors="replace") as f:
        transcript = f.read()
    if "POP3> DELE 1" not in transcript:
        raise AssertionError("fetchmail had not sent DELE 1 yet: " + transcript[-400:])
    if "POP3> QUIT" in transcript:
        raise AssertionError("fetchmail got as far as QUIT")
    if len(maildir_messages(dest)) != 1:
        raise AssertionError("the MDA stored more than one message")
    remaining(env, ep, len(want))
    if ep.maildir.files() != before:
        raise AssertionError("the maildrop changed")


# ---------------------------------------------------------------- mpop

def mpop_rc(env, ep, dest, tls=True, auth="on", keep=True):
    home = private_dir(env, "mpop")
    rc = os.path.join(home, "mpoprc")
    with open(rc, "w") as f:
        f.write(f"""account test
host 127.0.0.1
port {ep.port}
user {env.t.user}
password {env.t.password}
auth {auth}
tls {"on" if tls or ep.tls == "implicit" else "off"}
tls_starttls {"off" if ep.tls == "implicit" else "on"}
tls_trust_file {env.t.cafile}
tls_host_override localhost
timeout 20
received_header off
keep {"on" if keep else "off"}
only_new on
uidls_file {home}/uidls
delivery maildir {dest}
""")
    os.chmod(rc, 0o600)
    return [need("mpop"), "-C", rc, "-d", "test"]


def command_runs(words):
    """'CAPA STLS RETRx6 QUIT': the POP3 commands in order, repeats counted."""
    known = {"CAPA", "STLS", "USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE",
             "NOOP", "RSET", "QUIT", "LAST", "UTF8"}
    runs = []
    for w in words:
        if w not in known:
            continue
        if runs and runs[-1][0] == w:
            runs[-1][1] += 1
        else:
            runs.append([w, 1])
    return " ".join(w if n == 1 else f"{w}x{n}" for w, n in runs)


def mpop_case(env, ep_name, tls=True, auth="on", messages=None):
    if auth == "apop" and env.t.kind == "dovecot":
        # mpop takes a greeting's <timestamp> only if it has nothing but
        # [A-Za-z0-9.@_+/-] (mpop src/pop3.c, pop3_get_greeting and
        # pop3_get_addr); Dovecot 2.3's ends in base64 '==': "server does
        # not support authentication method APOP"
        raise Skip("mpop refuses Dovecot's APOP timestamp (it has '=')")
    ep = env.t.endpoint(ep_name)
    want = ep.fill(messages or FULL)
    dest = outdir(env, "mpop-out")
    cmd = mpop_rc(env, ep, dest, tls=tls, auth=auth)
    p = run(cmd, timeout=90)
    check_rc(p, "mpop")
    transcript = out_text(p)
    # LF line ends in the files: see the module docstring
    same_messages(maildir_messages(dest), [lf(m) for m in want])
    if auth != "on":
        word = {"user": "USER ", "apop": "APOP "}.get(auth, f"AUTH {auth.upper()}")
        if f"--> {word}" not in transcript:
            raise AssertionError(f"mpop did not use {word.strip()}: {transcript[-600:]}")
    p = run(cmd, timeout=90)  # the UIDLs file remembers them: nothing new
    check_rc(p, "mpop")
    if len(maildir_messages(dest)) != len(want):
        raise AssertionError("the second run fetched again")
    remaining(env, ep, len(want))
    return transcript


def mpop_stls(env):
    transcript = mpop_case(env, "main")
    env.notes.append(f"mpop against {env.t.kind} sends: " +
                     command_runs(re.findall(r"^--> ([A-Z0-9]+)", transcript, re.M)))
    # pipelined: the second RETR goes out before the first answer comes in
    if re.search(r"^--> RETR 1\s*\n--> RETR 2", transcript, re.M) is None:
        env.notes.append(f"mpop did not pipeline RETR against {env.t.kind}")


def mpop_delete(env):
    ep = env.t.endpoint("main")
    want = ep.fill(FULL)
    dest = outdir(env, "mpop-del")
    p = run(mpop_rc(env, ep, dest, keep=False), timeout=90)
    check_rc(p, "mpop")
    same_messages(maildir_messages(dest), [lf(m) for m in want])
    remaining(env, ep, 0)


# ---------------------------------------------------------------- getmail6

def getmail_case(env, ep_name, apop=False, delete=False):
    ep = env.t.endpoint(ep_name)
    want = ep.fill(FULL)
    root = os.geteuid() == 0
    # getmail will not deliver into a Maildir as root: it switches to `user`
    dest = outdir(env, "getmail-out", owner=65534 if root else None)
    home = private_dir(env, "getmail")
    ssl = ep.tls == "implicit"
    with open(os.path.join(home, "getmailrc"), "w") as f:
        f.write(f"""[retriever]
type = {"SimplePOP3SSLRetriever" if ssl else "SimplePOP3Retriever"}
server = 127.0.0.1
port = {ep.port}
username = {env.t.user}
password = {env.t.password}
use_apop = {apop}
timeout = 20
""" + (f"ca_certs = {env.t.cafile}\nssl_cert_hostname = localhost\n" if ssl else "") + f"""
[destination]
type = Maildir
path = {dest}/
""" + ("user = nobody\n" if root else "") + f"""
[options]
verbose = 0
read_all = true
delete = {delete}
delivered_to = false
received = false
""")
    p = run([need("getmail"), "--getmaildir", home, "--rcfile", "getmailrc"], timeout=90)
    check_rc(p, "getmail")
    # Return-Path first, LF line ends: see the module docstring
    same_messages(maildir_messages(dest), [b"Return-Path: <unknown>\n" + lf(m) for m in want])
    remaining(env, ep, 0 if delete else len(want))


# ---------------------------------------------------------------- main

class Env:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", help="the mailwire-pop3-server executable")
    ap.add_argument("--against-dovecot", action="store_true",
                    help="test the clients against Dovecot (tests/interop/peers, root) instead")
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="print timings and keep the work directory")
    args = ap.parse_args()
    if not args.against_dovecot:
        if not args.server:
            ap.error("--server or --against-dovecot")
        if not os.access(args.server, os.X_OK):
            print(f"SKIPPED: {args.server} not built")
            return 0
    elif os.geteuid() != 0:
        print("SKIPPED: --against-dovecot needs root (the peers' daemons drop privileges themselves)")
        return 0

    env = Env()
    env.work = tempfile.mkdtemp(prefix="mailwire-pop3-server-")
    os.chmod(env.work, 0o755)
    suite = Suite(args.k, timings=args.v)
    env.notes = suite.notes
    try:
        env.t = DovecotTarget(env.work) if args.against_dovecot else MailwireTarget(args.server, env.work)
    except RuntimeError as e:
        print(f"FAIL setup: {e}")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    try:
        c = suite.case
        c("poplib.capa_before_and_after_stls", poplib_capa, env)
        c("poplib.stls_user_pass_stat_list_uidl_retr", poplib_retr, env, "main", FULL)
        c("poplib.implicit_tls_retr", poplib_retr, env, "implicit", FULL)
        c("poplib.apop_without_tls", poplib_retr, env, "main", SMALL, False, True)
        c("poplib.top", poplib_top, env)
        c("poplib.wrong_password_then_right", poplib_wrong_password, env)
        c("poplib.errors_missing_deleted_wrong_state_rset", poplib_errors, env)
        c("poplib.dele_then_quit_empties_maildrop", poplib_dele_quit, env)
        c("poplib.second_session_in_use", poplib_in_use, env)
        c("raw.dropped_connection_deletes_nothing", raw_dropped, env)
        c("raw.require_tls_before_login", raw_require_tls, env)
        c("raw.no_clear_password_before_tls", raw_strict_plaintext, env)

        c("curl.pop3_plain_list_retr", curl_list_retr, env, "main", False)
        c("curl.pop3_stls_list_retr", curl_list_retr, env, "main", True)
        c("curl.pop3s_list_retr", curl_list_retr, env, "implicit", True)
        c("curl.apop", curl_list_retr, env, "main", False, "--login-options", "AUTH=+APOP")
        c("curl.stls_auth_plain", curl_list_retr, env, "main", True, "--login-options", "AUTH=PLAIN")
        c("curl.stls_auth_login", curl_list_retr, env, "main", True, "--login-options", "AUTH=LOGIN")
        c("curl.uidl_top", curl_uidl_top, env)
        c("curl.dele_empties_maildrop", curl_dele, env)

        c("fetchmail.stls_keep_uidl", fetchmail_stls, env)
        c("fetchmail.implicit_tls", fetchmail_case, env, "implicit")
        c("fetchmail.apop_without_tls", fetchmail_case, env, "main", False, "apop", SMALL)
        c("fetchmail.cram_md5_without_tls", fetchmail_case, env, "main", False, "cram-md5", SMALL)
        c("fetchmail.delete_empties_maildrop", fetchmail_delete, env)
        c("fetchmail.killed_mid_session_deletes_nothing", fetchmail_killed, env)

        c("mpop.stls_pipelined_keep", mpop_stls, env)
        c("mpop.implicit_tls", mpop_case, env, "implicit")
        for auth in ("user", "plain", "login"):
            c(f"mpop.stls_auth_{auth}", mpop_case, env, "main", True, auth, SMALL)
        for auth in ("apop", "cram-md5", "scram-sha-1", "scram-sha-256"):
            c(f"mpop.{auth}_without_tls", mpop_case, env, "main", False, auth, SMALL)
        c("mpop.delete_empties_maildrop", mpop_delete, env)

        c("getmail.user_pass_without_tls", getmail_case, env, "main")
        c("getmail.apop", getmail_case, env, "main", True)
        c("getmail.pop3_ssl", getmail_case, env, "implicit")
        c("getmail.delete_empties_maildrop", getmail_case, env, "main", False, True)
    finally:
        # not filtered by -k: every server started must stop cleanly
        only, suite.only = suite.only, None
        env.t.shutdown_cases(suite)
        suite.only = only
        env.t.close()

    for note in suite.notes:
        print("NOTE " + note)
    if suite.skipped and not suite.passed and not suite.failed:
        print("SKIPPED: every case skipped")
    print(f"{suite.passed} passed, {suite.failed} failed, {suite.skipped} skipped")
    if args.v or suite.failed:
        print(f"work directory (server logs, Maildirs, client configs): {env.work}")
    else:
        shutil.rmtree(env.work, ignore_errors=True)
    return 1 if suite.failed else 0


if __name__ == "__main__":
    sys.exit(main())
