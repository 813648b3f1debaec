#!/usr/bin/env python3
"""mailwire-pop3-fetch (examples/pop3_fetch.cpp) against mailwire-pop3-server
and a scripted POP3 server on loopback: every login, TLS both ways, exact
bytes, flat memory, a state that survives a crash, deletions only of what
is stored, and no password in clear unasked.

    pop3_fetch_test.py --fetch path/to/mailwire-pop3-fetch
                       --server path/to/mailwire-pop3-server [-k FILTER]...

Each case starts its own peers (port 0, temp Maildirs) and stops them by
PID; every run of the fetcher is bounded in time. Cases:

  usage.*         --help lists every flag; bad arguments exit 2 before any
                  connection
  fetch.*         the default login (SCRAM-SHA-256) stores every message as
                  served; a second run fetches nothing; --delete empties the
                  maildrop; every --mech, --apop; a wrong password exits 1
  user_pass.*     a server offering only USER: USER/PASS with
                  --allow-plaintext-auth; without it exit 1, nothing sent
  cleartext.*     --mech PLAIN or LOGIN without TLS and without the flag:
                  exit 1, the server logs no login at all
  tls.*           STLS and implicit TLS with --ca (a self-signed cert made
                  here); an unknown CA, a wrong host name, STLS not offered:
                  exit 1 before any login; --require-tls on the server
  big_message     20 MB (dot lines, LF-only): the fetcher's peak RSS is
                  within 4 MiB of its peak for a tiny message; the file is
                  exact
  pipelining      UIDL then RETRs in one batch when the server offers
                  PIPELINING, one at a time with --no-pipelining
  state.*         a torn last line of the state file is no record; a
                  message that cannot be stored is neither recorded nor
                  deleted; a maildrop in use exits 1
  timeout         a server that never greets: exit 1 after --timeout
  progress.*      progress on stderr when it is a terminal (a pty), none
                  with --quiet, none when it is not
"""

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TIMEOUT, Run, ScriptedPeer, finish, on_terminal, start  # noqa: E402
from pop3_harness import PASS, USER, Server, make_cert, served  # noqa: E402

MESSAGES = {
    "new/1000.a.host": b"Subject: one\r\n\r\n.\r\n..two\r\n.x\r\nend\r\n",
    "new/1001.b.host": b"Subject: lf\n\nline\n.\n..two\n\nlast\n",
    "cur/1002.c.host:2,S": b"Subject: no end\n\nno final line end",
    "cur/1003.d.host:2,": b"",
}


def fetch(env, port, maildir, *args, password=PASS, limit=TIMEOUT):
    return Run(env, "--server", f"127.0.0.1:{port}", "--user", USER, "--pass", password, "--maildir", maildir,
               *args, limit=limit)


def stored(maildir):
    """The files fetched into `maildir`, {name: bytes}."""
    new = os.path.join(maildir, "new")
    return {n: open(os.path.join(new, n), "rb").read() for n in os.listdir(new)} if os.path.isdir(new) else {}


def expect_all(got, messages, maildir):
    """Every message stored once, byte for byte as served; the stdout lines say where."""
    files = stored(maildir)
    if sorted(files.values()) != sorted(served(m) for m in messages.values()):
        raise AssertionError(f"stored {len(files)} files, not the {len(messages)} messages as served")
    lines = re.findall(r"^stored (\S+) (\d+) (\S+)$", got.stdout, re.M)
    if len(lines) != len(messages):
        raise AssertionError(f"{len(lines)} 'stored' lines: {got.stdout[-600:]}")
    for uid, size, path in lines:
        if open(path, "rb").read() != files[os.path.basename(path)] or int(size) != len(files[os.path.basename(path)]):
            raise AssertionError(f"the line for {uid} does not match its file")


# ---------------------------------------------------------------- a scripted peer

class Peer(ScriptedPeer):
    """A scripted POP3 server: one connection at a time, on a thread. It
    offers `capa`, takes PASS by USER/PASS, serves `messages`, and records
    every line; after UIDL it waits `lazy` s before reading on, so that
    commands a client pipelines arrive together (`retr_batch`: the number
    of RETR lines in the first read after UIDL's answer)."""

    def __init__(self, capa=(b"USER", b"UIDL"), messages=(b"Subject: x\r\n\r\nbody\r\n",),
                 greeting=b"+OK peer ready\r\n", lazy=0.3):
        self.capa, self.messages, self.greeting, self.lazy = capa, messages, greeting, lazy
        self.lines, self.retr_batch = [], None
        super().__init__()

    def verbs(self):
        return [l.split(b" ", 1)[0].upper() for l in self.lines]

    def session(self, conn):
        buf = bytearray()
        if self.greeting is None:  # silence until the client gives up
            while True:
                self.recv(conn)
        conn.sendall(self.greeting)
        after_uidl = False
        while True:
            if b"\r\n" not in buf:
                buf += self.recv(conn)
                if after_uidl:
                    self.retr_batch = bytes(buf).count(b"RETR ")
                    after_uidl = False
                continue
            line, _, rest = bytes(buf).partition(b"\r\n")
            buf[:] = rest
            self.lines.append(line)
            verb, _, arg = line.partition(b" ")
            verb = verb.upper()
            if verb == b"CAPA":
                conn.sendall(b"+OK\r\n" + b"".join(c + b"\r\n" for c in self.capa) + b".\r\n")
            elif verb == b"USER":
                conn.sendall(b"+OK\r\n")
            elif verb == b"PASS":
                conn.sendall(b"+OK\r\n" if arg == PASS.encode() else b"-ERR [AUTH] no\r\n")
            elif verb == b"UIDL":
                conn.sendall(b"+OK\r\n" + b"".join(b"%d uid-%d\r\n" % (i + 1, i + 1)
                                                   for i in range(len(self.messages))) + b".\r\n")
                time.sleep(self.lazy)
                after_uidl = True
            elif verb == b"RETR":
                m = served(self.messages[int(arg) - 1])
                stuffed = b"".join(b"." + l if l.startswith(b".") else l for l in m.splitlines(keepends=True))
                conn.sendall(b"+OK\r\n" + stuffed + b".\r\n")
            elif verb in (b"DELE", b"NOOP"):
                conn.sendall(b"+OK\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"+OK bye\r\n")
                return
            else:
                conn.sendall(b"-ERR unknown\r\n")


# ---------------------------------------------------------------- usage

FLAGS = {"--server", "--stls", "--implicit-tls", "--ca", "--insecure", "--user", "--pass", "--pass-file", "--apop",
         "--mech", "--allow-plaintext-auth", "--maildir", "--delete", "--state", "--timeout", "--no-pipelining",
         "--quiet", "--help", "--version"}


def help_lists_every_flag(env):
    r = Run(env, "--help").expect(0, "WARNING", "Default 60", "Exit status", "DIR/.mailwire-pop3-state",
                                  "stored UID SIZE PATH")
    shown = set(re.findall(r"--[a-z][a-z-]*", r.out))
    if shown != FLAGS:
        raise AssertionError(f"--help shows {sorted(shown - FLAGS)} extra, {sorted(FLAGS - shown)} missing")


def bad_arguments(env):
    md = os.path.join(env.work, "usage-maildir")
    pw = os.path.join(env.work, "no-such-password-file")
    with Peer() as peer:
        here = f"127.0.0.1:{peer.port}"
        ok = ["--server", here, "--user", USER, "--pass", PASS, "--maildir", md]
        cases = [
            ok[2:], ok[:2] + ok[4:], ok[:4] + ok[6:], ok[:6],
            ["--server", "127.0.0.1:0", *ok[2:]], ["--server", "127.0.0.1:+110", *ok[2:]],
            ["--server", "127.0.0.1:65536", *ok[2:]], ["--server", "127.0.0.1", *ok[2:]],
            ["--server", "::1:110", *ok[2:]],
            [*ok, "--timeout", "0"], [*ok, "--timeout", "86401"], [*ok, "--timeout", "-1"], [*ok, "--timeout"],
            [*ok, "--stls", "--implicit-tls"], [*ok, "--stls", "--ca", "x.pem", "--insecure"],
            [*ok, "--insecure"], [*ok, "--ca", "x.pem"],
            [*ok, "--apop", "--mech", "PLAIN"], [*ok, "--mech", "XOAUTH2"], [*ok, "--mech", "SCRAM-SHA-256-PLUS"],
            [*ok, "--mech", "NOPE"], [*ok, "--pass-file", pw], [*ok[:4], "--pass-file", pw, *ok[6:]],
            [*ok[:4], "--pass", "", *ok[6:]], [*ok[:2], "--user", "a\r\nDELE 1", *ok[4:]],
            [*ok, "--bogus"], [*ok, "-x"], [*ok, "stray"], [*ok, "--state", ""],
        ]
        for argv in cases:
            r = Run(env, *argv)
            if r.rc != 2 or "usage:" not in r.out:
                raise AssertionError(f"{argv}: exit {r.rc}, expected 2 with usage: {r.out[-400:]}")
        if peer.connections:
            raise AssertionError(f"{peer.connections} connection(s) made with bad arguments")
    if os.path.exists(md):
        raise AssertionError("a usage error created the Maildir")


# ---------------------------------------------------------------- fetch

def fetch_default(env):
    md = os.path.join(env.work, "got-default")
    with Server(env, "fetch-default", plaintext=False, messages=MESSAGES) as srv:
        r = fetch(env, srv.port, md).expect(0, f"fetched {len(MESSAGES)}, skipped 0, deleted 0")
        expect_all(r, MESSAGES, md)
        if "logged in (SCRAM-SHA-256)" not in srv.stderr():
            raise AssertionError(f"not SCRAM-SHA-256 by default: {srv.stderr()[-400:]}")
        fetch(env, srv.port, md).expect(0, f"fetched 0, skipped {len(MESSAGES)}, deleted 0")
        if len(stored(md)) != len(MESSAGES):
            raise AssertionError("the second run stored something")
        fetch(env, srv.port, md, "--delete").expect(0, f"fetched 0, skipped {len(MESSAGES)}, deleted "
                                                        f"{len(MESSAGES)}")
        if srv.files():
            raise AssertionError(f"--delete left {srv.files()}")
        state = open(os.path.join(md, ".mailwire-pop3-state"), "rb").read()
        if sorted(state.split()) != sorted(re.findall(rb"^stored (\S+)", r.stdout.encode(), re.M)):
            raise AssertionError(f"state file {state!r}")


def fetch_mech(env, mech):
    md = os.path.join(env.work, "got-" + mech)
    cleartext = mech in ("PLAIN", "LOGIN")
    msgs = {"new/1.m": b"Subject: " + mech.encode() + b"\n\nx\n"}
    with Server(env, "mech-" + mech, plaintext=cleartext, messages=msgs) as srv:
        flag = ["--allow-plaintext-auth"] if cleartext else []
        fetch(env, srv.port, md, "--mech", mech.lower(), *flag).expect(0, "fetched 1, skipped 0, deleted 0")
        if f"logged in ({mech})" not in srv.stderr():
            raise AssertionError(f"not logged in by {mech}: {srv.stderr()[-400:]}")
        if list(stored(md).values()) != [served(msgs["new/1.m"])]:
            raise AssertionError("the message was not stored as served")


def fetch_apop(env):
    md = os.path.join(env.work, "got-apop")
    with Server(env, "apop", plaintext=False, messages=MESSAGES) as srv:
        fetch(env, srv.port, md, "--apop").expect(0, f"fetched {len(MESSAGES)}")
        if "logged in (APOP)" not in srv.stderr():
            raise AssertionError(f"not logged in by APOP: {srv.stderr()[-400:]}")
    with Peer() as peer:  # a greeting without a timestamp
        fetch(env, peer.port, md, "--apop").expect(1, "APOP timestamp")
        if b"APOP" in peer.verbs():
            raise AssertionError(f"APOP sent without a timestamp: {peer.lines}")


def wrong_password(env):
    md = os.path.join(env.work, "got-wrong")
    with Server(env, "wrong", plaintext=False, messages=MESSAGES) as srv:
        for args in ([], ["--apop"], ["--mech", "CRAM-MD5"]):
            fetch(env, srv.port, md, *args, password="not it").expect(1, "login refused", "fetched 0")
        if srv.stderr().count("authentication failed") != 3 or stored(md):
            raise AssertionError(f"log: {srv.stderr()[-600:]}")
        if len(srv.files()) != len(MESSAGES):
            raise AssertionError("messages went away")


def user_pass(env):
    md = os.path.join(env.work, "got-userpass")
    with Peer() as peer:
        fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, "stored uid-1 ", "fetched 1")
        if peer.verbs() != [b"CAPA", b"USER", b"PASS", b"CAPA", b"UIDL", b"RETR", b"QUIT"]:
            raise AssertionError(f"unexpected session: {peer.lines}")


def user_pass_refused(env):
    md = os.path.join(env.work, "got-userpass-refused")
    with Peer() as peer:
        fetch(env, peer.port, md).expect(1, "--allow-plaintext-auth", "fetched 0")
        if peer.verbs() != [b"CAPA", b"QUIT"] or any(PASS.encode() in l for l in peer.lines):
            raise AssertionError(f"sent more than CAPA and QUIT: {peer.lines}")


def cleartext_refused(env, mech):
    md = os.path.join(env.work, "got-cleartext-" + mech)
    with Server(env, "cleartext-" + mech, messages=MESSAGES) as srv:  # it would take the password
        fetch(env, srv.port, md, "--mech", mech).expect(1, "--allow-plaintext-auth", "fetched 0")
        time.sleep(0.1)
        log = srv.stderr()
    if "logged in" in log or "authentication" in log or " error " in log:
        raise AssertionError(f"the server saw a login attempt: {log[-600:]}")


# ---------------------------------------------------------------- TLS

def tls_stls(env):
    md = os.path.join(env.work, "got-stls")
    cert, key = make_cert(env.work)
    with Server(env, "stls", "--tls-cert", cert, "--tls-key", key, plaintext=False, messages=MESSAGES) as srv:
        # PLAIN without --allow-plaintext-auth: under TLS it is fine.
        fetch(env, srv.port, md, "--stls", "--ca", cert, "--mech", "PLAIN").expect(0, f"fetched {len(MESSAGES)}")
        if not re.search(r"logged in \(PLAIN\) tls=TLSv1\.[23]", srv.stderr()):
            raise AssertionError(f"not PLAIN under TLS: {srv.stderr()[-400:]}")


def tls_implicit(env):
    md = os.path.join(env.work, "got-implicit")
    cert, key = make_cert(env.work)
    with Server(env, "implicit", "--tls-cert", cert, "--tls-key", key, "--implicit-tls", plaintext=False,
                messages=MESSAGES) as srv:
        r = Run(env, "--server", f"localhost:{srv.port}", "--implicit-tls", "--ca", cert, "--user", USER,
                "--pass", PASS, "--maildir", md, "--delete")
        r.expect(0, f"fetched {len(MESSAGES)}, skipped 0, deleted {len(MESSAGES)}")
        expect_all(r, MESSAGES, md)
        if not re.search(r"logged in \(SCRAM-SHA-256\) tls=TLSv1\.[23]", srv.stderr()) or srv.files():
            raise AssertionError(f"log: {srv.stderr()[-400:]}")


def tls_refused(env):
    md = os.path.join(env.work, "got-tls-refused")
    cert, key = make_cert(env.work)
    other, _ = make_cert(env.work, "other.test")
    with Server(env, "tls-refused", "--tls-cert", cert, "--tls-key", key, plaintext=False,
                messages=MESSAGES) as srv:
        fetch(env, srv.port, md, "--stls", "--ca", other).expect(1, "fetched 0")  # an unknown CA
        otherkey = other.replace("-cert.pem", "-key.pem")
        with Server(env, "tls-other-name", "--tls-cert", other, "--tls-key", otherkey, plaintext=False) as wrong:
            fetch(env, wrong.port, md, "--stls", "--ca", other).expect(1, "fetched 0")  # not 127.0.0.1
            wrong_log = wrong.stderr()
        fetch(env, srv.port, md, "--stls", "--insecure").expect(0, f"fetched {len(MESSAGES)}")
        log = srv.stderr()
    if log.count("logged in") != 1 or "logged in" in wrong_log:
        raise AssertionError(f"a login without a verified certificate: {log[-600:]} {wrong_log[-300:]}")
    with Server(env, "no-stls", plaintext=False, messages=MESSAGES) as plain:
        fetch(env, plain.port, md, "--stls", "--insecure").expect(1, "STLS")
        if "logged in" in plain.stderr():
            raise AssertionError("logged in without the STLS asked for")


def tls_required_by_server(env):
    md = os.path.join(env.work, "got-require-tls")
    cert, key = make_cert(env.work)
    with Server(env, "require-tls", "--tls-cert", cert, "--tls-key", key, "--require-tls", plaintext=False,
                messages=MESSAGES) as srv:
        fetch(env, srv.port, md).expect(1, "fetched 0")
        fetch(env, srv.port, md, "--stls", "--ca", cert).expect(0, f"fetched {len(MESSAGES)}")


# ---------------------------------------------------------------- size, pipelining, state

def big_message(env):
    # Against the peak of fetching a tiny message (a sanitizer build has a
    # large one of its own): holding the message would add 20 MB.
    with Server(env, "small", plaintext=False, messages={"new/small.1": b"Subject: small\n\nx\n"}) as srv:
        base = fetch(env, srv.port, os.path.join(env.work, "got-small")).expect(0, "fetched 1").max_rss
    md = os.path.join(env.work, "got-big")
    body = (b"." + b"z" * 76 + b"\n") * (20 * 1024 * 1024 // 78)
    msgs = {"new/big.1": b"Subject: big\n\n" + body}
    want = hashlib.sha256(served(msgs["new/big.1"])).hexdigest()
    with Server(env, "big", plaintext=False, messages=msgs) as srv:
        r = fetch(env, srv.port, md, limit=40).expect(0, "fetched 1")
    files = stored(md)
    if len(files) != 1 or hashlib.sha256(next(iter(files.values()))).hexdigest() != want:
        raise AssertionError("the 20 MB message was not stored exactly")
    # (Sampled peaks: the tiny run's may come out a little higher.)
    if not 0 < r.max_rss < base + 4 * 1024 * 1024:
        raise AssertionError(f"peak RSS {r.max_rss >> 10} KiB for a {len(body) >> 20} MiB message, "
                             f"{base >> 10} KiB for a tiny one")


def pipelining(env):
    msgs = [b"Subject: %d\r\n\r\nx\r\n" % i for i in range(5)]
    for capa, args, want in (((b"USER", b"UIDL", b"PIPELINING"), [], 5),
                             ((b"USER", b"UIDL", b"PIPELINING"), ["--no-pipelining"], 1),
                             ((b"USER", b"UIDL"), [], 1)):
        md = os.path.join(env.work, f"got-pipelining-{len(capa)}{len(args)}")
        with Peer(capa=capa, messages=msgs) as peer:
            fetch(env, peer.port, md, "--allow-plaintext-auth", *args).expect(0, "fetched 5")
        if peer.retr_batch != want:
            raise AssertionError(f"{capa} {args}: {peer.retr_batch} RETR at once, expected {want}")


def state_torn_line(env):
    md = os.path.join(env.work, "got-torn")
    msgs = [b"Subject: a\r\n\r\na\r\n", b"Subject: b\r\n\r\nb\r\n", b"Subject: c\r\n\r\nc\r\n"]
    os.makedirs(md)
    state = os.path.join(env.work, "torn-state")
    with open(state, "wb") as f:
        f.write(b"uid-1\nuid-")  # a crash in the middle of writing "uid-2\n"
    with Peer(messages=msgs) as peer:
        fetch(env, peer.port, md, "--allow-plaintext-auth", "--state", state).expect(0, "fetched 2, skipped 1")
    if open(state, "rb").read() != b"uid-1\nuid-2\nuid-3\n":
        raise AssertionError(f"state file {open(state, 'rb').read()!r}")


def state_not_stored(env):
    md = os.path.join(env.work, "got-unwritable")
    os.makedirs(md)
    with open(os.path.join(md, "new"), "wb"):  # new/ is a file: no rename into it can work
        pass
    with Server(env, "not-stored", plaintext=False, messages=MESSAGES) as srv:
        fetch(env, srv.port, md, "--delete").expect(1, "not stored", "fetched 0, skipped 0, deleted 0")
        if len(srv.files()) != len(MESSAGES):
            raise AssertionError(f"a message not stored was deleted: {srv.files()}")
    if open(os.path.join(md, ".mailwire-pop3-state"), "rb").read() or os.listdir(os.path.join(md, "tmp")):
        raise AssertionError("a message not stored was recorded, or left in tmp/")


def state_in_use(env):
    md = os.path.join(env.work, "got-in-use")
    with Server(env, "in-use", messages=MESSAGES) as srv:
        holder = srv.login()
        fetch(env, srv.port, md).expect(1, "[IN-USE]", "fetched 0")
        holder.ok(b"QUIT")
        fetch(env, srv.port, md).expect(0, f"fetched {len(MESSAGES)}")


def timeout(env):
    md = os.path.join(env.work, "got-timeout")
    with Peer(greeting=None) as peer:
        r = fetch(env, peer.port, md, "--timeout", "2", limit=12).expect(1, "timed out")
    if not 1.5 <= r.took <= 5:
        raise AssertionError(f"gave up after {r.took:.1f} s, --timeout 2")


def progress_on_terminal(env):
    """Progress on stderr when it is a terminal (a pty here): messages, bytes,
    rate; never when it is not, nor with --quiet."""
    with Server(env, "progress", plaintext=False, messages=MESSAGES) as srv:
        r = fetch(env, srv.port, os.path.join(env.work, "got-no-progress")).expect(0)
        if "\r" in r.out or "messages," in r.out:
            raise AssertionError(f"progress without a terminal: {r.out[-300:]!r}")
        argv = [env.exe, "--server", f"127.0.0.1:{srv.port}", "--user", USER, "--pass", PASS]
        rc, shown = on_terminal([*argv, "--maildir", os.path.join(env.work, "got-progress")])
        if rc != 0 or f"{len(MESSAGES)}/{len(MESSAGES)} messages".encode() not in shown or b"\r" not in shown:
            raise AssertionError(f"exit {rc}, no progress on the terminal: {shown!r}")
        rc, quiet = on_terminal([*argv, "--maildir", os.path.join(env.work, "got-quiet"), "--quiet"])
        if rc != 0 or b"messages," in quiet or b"\r" in quiet:
            raise AssertionError(f"--quiet: exit {rc}, the terminal showed {quiet!r}")


def main():
    env, suite = start(__doc__, "--fetch", "--server")
    env.work = tempfile.mkdtemp(prefix="mailwire-pop3-fetch-test-")
    c = suite.case
    c("usage.help_lists_every_flag", help_lists_every_flag, env)
    c("usage.bad_arguments_exit_2", bad_arguments, env)
    c("fetch.default_again_delete", fetch_default, env)
    for mech in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"):
        c("fetch.mech_" + mech, fetch_mech, env, mech)
    c("fetch.apop", fetch_apop, env)
    c("fetch.wrong_password", wrong_password, env)
    c("user_pass.allowed", user_pass, env)
    c("user_pass.refused", user_pass_refused, env)
    c("cleartext.plain_refused", cleartext_refused, env, "PLAIN")
    c("cleartext.login_refused", cleartext_refused, env, "LOGIN")
    c("tls.stls", tls_stls, env)
    c("tls.implicit", tls_implicit, env)
    c("tls.refused", tls_refused, env)
    c("tls.required_by_server", tls_required_by_server, env)
    c("big_message", big_message, env)
    c("pipelining", pipelining, env)
    c("state.torn_line", state_torn_line, env)
    c("state.not_stored", state_not_stored, env)
    c("state.in_use", state_in_use, env)
    c("timeout", timeout, env)
    c("progress.only_on_a_terminal", progress_on_terminal, env)
    return finish(suite, env.work)


if __name__ == "__main__":
    sys.exit(main())
