#!/usr/bin/env python3
"""mailwire-pop3-server (examples/pop3_server.cpp) on loopback: what a server
exposed to the internet must survive, and what a POP3 client must get.

    pop3_server_test.py --server path/to/mailwire-pop3-server [-k FILTER]...

Each case starts its own server (port 0, a temp Maildir) and stops it by
PID with SIGTERM (it must exit 0); every wait is bounded. Cases:

  help.*              --help lists every flag with its default; bad values
                      (ports, signs, zero timeouts, a missing --user) exit 2
  idle.*              --idle-timeout 2: a silent client and one dripping a
                      command a byte at a time are closed without a response
                      (RFC 1939 3); whole commands keep a session
  max_connections     --max-connections 3: the 4th gets -ERR [SYS/TEMP] too
                      many connections; when one leaves, a new client is served
  log_escape          a user name with a quote, ' x=<', U+0085 and U+202E is
                      escaped in the log line, which keeps its fields
  in_use.*            a second session, from the same server or a second
                      server on the same Maildir, gets -ERR [IN-USE]; the
                      maildrop is free again once the first one ends
  deletions.*         DELE then a dropped connection deletes nothing; DELE,
                      RSET, QUIT deletes nothing; DELE then QUIT unlinks
  retr.byte_exact     dot lines, LF-only lines, bare CR, no final line end,
                      an empty file: LIST sizes equal the bytes RETR delivers,
                      which are the file's lines with CRLF, dot-stuffed on
                      the wire
  top                 TOP n 0 and TOP n 2 give the header and that many lines
  uidl                the name up to ':'; a name that is not a unique-id gets a
                      derived one, the same in every session; ',W=' is trusted
  require_tls         --require-tls: before STLS, no login method is offered
                      or accepted
"""

import base64
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TIMEOUT, finish, start  # noqa: E402
from pop3_harness import PASS, USER, Pop, Server, make_cert, served, unstuff  # noqa: E402

# ---------------------------------------------------------------- help

FLAGS = {"--listen", "--maildir", "--user", "--tls-cert", "--tls-key", "--implicit-tls", "--require-tls",
         "--allow-plaintext-auth", "--max-connections", "--idle-timeout", "--hostname", "--help",
         "--version"}


def help_lists_every_flag(env):
    p = subprocess.run([env.exe, "--help"], capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 0:
        raise AssertionError(f"--help exit {p.returncode}: {p.stderr[-300:]}")
    shown = set(re.findall(r"--[a-z][a-z-]*", p.stdout))
    if shown != FLAGS:
        raise AssertionError(f"--help shows {sorted(shown - FLAGS)} extra, {sorted(FLAGS - shown)} missing")
    for must in ("default 100", "Default 600", "default localhost", "[SYS/TEMP] too many connections",
                 "[IN-USE]", "escaped", "exit 0"):
        if must not in p.stdout:
            raise AssertionError(f"--help does not say {must!r}")


def help_bad_values(env):
    md = os.path.join(env.work, "unused")
    base = ["--listen", "127.0.0.1:0", "--maildir", md, "--user", "a:b"]
    bad = [["--idle-timeout", "0"], ["--idle-timeout", "x"], ["--idle-timeout", "86401"], ["--idle-timeout"],
           ["--max-connections", "0"], ["--max-connections", "-1"], ["--max-connections", "+5"],
           ["--hostname", "a b"], ["--hostname", "<x>"], ["--implicit-tls"], ["--require-tls"],
           ["--tls-cert", "x.pem"], ["--bogus"], ["--user", "nocolon"], ["--user", ":p"], ["--user", "u:"]]
    for extra in bad:
        run([env.exe, *base, *extra], extra)
    for argv in (["--listen", "127.0.0.1:65536", "--maildir", md, "--user", "a:b"],
                 ["--listen", "127.0.0.1:+25", "--maildir", md, "--user", "a:b"],
                 ["--listen", "127.0.0.1:0", "--user", "a:b"],
                 ["--listen", "127.0.0.1:0", "--maildir", md]):
        run([env.exe, *argv], argv)
    if os.path.exists(md):
        raise AssertionError("a usage error created the Maildir")


def run(argv, what):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 2 or "usage:" not in p.stderr:
        raise AssertionError(f"{what}: exit {p.returncode}, expected 2 and usage: {p.stderr[-300:]}")


# ---------------------------------------------------------------- idle timeout

IDLE = 2


def expect_closed(c, since, what):
    """EOF about IDLE s after `since`, with no response before it."""
    if c.readable(IDLE + 4):
        data = c.sock.recv(100)
        took = time.monotonic() - since
        if data:
            raise AssertionError(f"{what}: a response instead of a silent close: {data!r}")
        if not IDLE - 0.5 <= took <= IDLE + 3:
            raise AssertionError(f"{what}: closed after {took:.1f} s, --idle-timeout {IDLE}")
        return
    raise AssertionError(f"{what}: still open after {IDLE + 4} s")


def idle_silent(env):
    with Server(env, "idle-silent", "--idle-timeout", str(IDLE)) as srv:
        c = srv.login()
        expect_closed(c, time.monotonic(), "a silent client")
        time.sleep(0.2)
        if "idle timeout" not in srv.stderr():
            raise AssertionError("the timeout is not logged")


def idle_drip(env):
    with Server(env, "idle-drip", "--idle-timeout", str(IDLE)) as srv:
        c = srv.connect()
        t0 = time.monotonic()
        for b in b"CAPA" + b"x" * 40:
            if c.readable(0.25):
                break
            try:
                c.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                break
        expect_closed(c, t0, "a dripping command line")


def idle_progress(env):
    with Server(env, "idle-progress", "--idle-timeout", str(IDLE)) as srv:
        c = srv.login()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.5 * IDLE:
            c.ok(b"NOOP")
            time.sleep(0.6)
        c.ok(b"QUIT")


# ---------------------------------------------------------------- limits

def max_connections(env):
    with Server(env, "maxconn", "--max-connections", "3") as srv:
        kept = [srv.connect() for _ in range(3)]
        extra = Pop(srv.port)
        line = extra.status()
        if line != b"-ERR [SYS/TEMP] too many connections":
            raise AssertionError(f"the 4th connection got {line!r}")
        if not extra.eof(3):
            raise AssertionError("the 4th connection was not closed")
        kept[0].ok(b"QUIT")
        if not kept[0].eof(3):
            raise AssertionError("QUIT did not close")
        deadline = time.monotonic() + 3
        while True:
            again = Pop(srv.port)
            if again.status().startswith(b"+OK"):
                break
            again.close()
            if time.monotonic() > deadline:
                raise AssertionError("no place after one client left")
            time.sleep(0.1)
        again.ok(b"CAPA")
        for c in kept[1:] + [again]:
            c.close()
        if "too many connections" not in srv.stderr():
            raise AssertionError("the refusal is not logged")


def log_escape(env):
    # USER takes one field (no space); SASL PLAIN carries any bytes.
    fake = '"a\\"x=<root\u0085\u202e'.encode()
    spaced = '"b\\" x=<root\t\u202e'.encode()
    with Server(env, "log") as srv:
        c = srv.connect()
        c.ok(b"USER " + fake)
        c.err(b"PASS wrong")
        c.err(b"AUTH PLAIN " + base64.b64encode(b"\0" + spaced + b"\0wrong"))
        c.ok(b"QUIT")
        time.sleep(0.2)
        raw = open(srv.log_path, "rb").read()
    lines = [l for l in raw.split(b"\n") if b"authentication failed" in l]
    if len(lines) != 2:
        raise AssertionError(f"{len(lines)} failure lines in the log: {raw[-600:]!r}")
    for line in lines:
        if any(b < 0x20 or b >= 0x7F for b in line):
            raise AssertionError(f"raw control or non-ASCII bytes in the log line: {line!r}")
    wants = (b'for \\"a\\\\\\"x=\\x3croot\\u0085\\u202e (USER/PASS)',
             b'for \\"b\\\\\\"\\x20x=\\x3croot\\t\\u202e (PLAIN)')
    for line, want in zip(lines, wants):
        if want not in line:
            raise AssertionError(f"not escaped as documented: {line!r}, expected {want!r}")


# ---------------------------------------------------------------- maildrop

ONE = {"new/1000.A.host": b"Subject: one\n\nbody\n", "cur/1001.B.host:2,S": b"Subject: two\r\n\r\nbody\r\n"}


def expect_in_use(c, who):
    """The right password, and the maildrop refused: -ERR [IN-USE]."""
    c.ok(b"USER " + USER.encode())
    line = c.err(b"PASS " + PASS.encode())
    if not line.startswith(b"-ERR [IN-USE]"):
        raise AssertionError(f"{who} got {line!r}")


def in_use_same_server(env):
    with Server(env, "inuse", messages=ONE) as srv:
        first = srv.login()
        second = srv.connect()
        expect_in_use(second, "a second session")
        second.err(b"STAT")  # still in AUTHORIZATION
        first.ok(b"QUIT")
        if not first.eof(3):
            raise AssertionError("QUIT did not close")
        second.ok(b"USER " + USER.encode())
        second.ok(b"PASS " + PASS.encode())  # free again
        if not second.ok(b"STAT").startswith(b"+OK 2 "):
            raise AssertionError("the maildrop is not listed")


def in_use_other_process(env):
    md = os.path.join(env.work, "maildir-shared")
    with Server(env, "inuse-a", maildir=md, messages=ONE) as a, \
            Server(env, "inuse-b", maildir=md) as b:
        first = a.login()
        other = b.connect()
        expect_in_use(other, "a session of another process")
        first.close()  # dropped: the lock goes with the session
        deadline = time.monotonic() + 3
        while True:
            other.ok(b"USER " + USER.encode())
            line = other.status(b"PASS " + PASS.encode())
            if line.startswith(b"+OK"):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"still locked after the first session dropped: {line!r}")
            time.sleep(0.1)


def deletions_dropped(env):
    with Server(env, "dele-drop", messages=ONE) as srv:
        c = srv.login()
        c.ok(b"DELE 1")
        c.ok(b"DELE 2")
        c.err(b"RETR 1")  # marked
        c.close()  # no QUIT
        time.sleep(0.3)
        if len(srv.files()) != 2:
            raise AssertionError(f"a dropped connection deleted: {srv.files()}")
        c = srv.login()
        c.ok(b"DELE 1")
        c.ok(b"RSET")
        c.ok(b"QUIT")
        if len(srv.files()) != 2 or "nothing deleted" not in srv.stderr():
            raise AssertionError(f"RSET then QUIT deleted: {srv.files()}")


def deletions_quit(env):
    with Server(env, "dele-quit", messages=ONE) as srv:
        c = srv.login()
        c.ok(b"DELE 2")
        if len(srv.files()) != 2:
            raise AssertionError("DELE removed the file before QUIT")
        c.ok(b"QUIT")
        if srv.files() != ["1000.A.host"]:
            raise AssertionError(f"after QUIT: {srv.files()}")
        c = srv.login()
        if not c.ok(b"STAT").startswith(b"+OK 1 "):
            raise AssertionError("the deleted message is still listed")


MESSAGES = {
    "new/1.dots": b"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\nend\r\n",
    "new/2.lf": b"Subject: lf\n\nline\n.\n..two\n\nlast\n",
    "new/3.noend": b"Subject: no end\n\nno final line end",
    "new/4.cr": b"Subject: cr\r\rbare\rcr\r",
    "new/5.empty": b"",
    "cur/6.big:2,S": b"Subject: big\n\n" + (b"." + b"y" * 998 + b"\n") * 300,
}


def retr_byte_exact(env):
    with Server(env, "retr", messages=MESSAGES) as srv:
        c = srv.login()
        names = c.multi(b"UIDL").split(b"\r\n")[:-1]
        sizes = dict(l.split(b" ") for l in c.multi(b"LIST").split(b"\r\n")[:-1])
        ids = dict(l.split(b" ") for l in names)
        total = 0
        for n, uid in ids.items():
            path = next(p for p in MESSAGES if os.path.basename(p).split(":")[0] == uid.decode())
            want = served(MESSAGES[path])
            raw = c.raw_multi(b"RETR " + n)
            got = unstuff(raw)
            if got != want:
                raise AssertionError(f"RETR {n} ({path}): {got[:200]!r}, expected {want[:200]!r}")
            if int(sizes[n]) != len(got):
                raise AssertionError(f"LIST {n} says {sizes[n]}, RETR delivered {len(got)} ({path})")
            if any(l.startswith(b".") and not l.startswith(b"..") for l in raw.split(b"\r\n")):
                raise AssertionError(f"RETR {n}: a dot line not stuffed on the wire")
            total += len(got)
        stat = c.ok(b"STAT")
        if stat != f"+OK {len(MESSAGES)} {total}".encode():
            raise AssertionError(f"STAT {stat!r}, expected {len(MESSAGES)} {total}")
        c.ok(b"QUIT")


def top(env):
    msg = {"new/1.top": b"From: a@b\nSubject: t\n\nl1\n.l2\nl3\n"}
    with Server(env, "top", messages=msg) as srv:
        c = srv.login()
        if c.multi(b"TOP 1 0") != b"From: a@b\r\nSubject: t\r\n\r\n":
            raise AssertionError("TOP 1 0")
        if c.multi(b"TOP 1 2") != b"From: a@b\r\nSubject: t\r\n\r\nl1\r\n.l2\r\n":
            raise AssertionError("TOP 1 2")
        if c.multi(b"TOP 1 9") != served(msg["new/1.top"]):
            raise AssertionError("TOP 1 9")
        c.ok(b"QUIT")


def uidl(env):
    body = b"Subject: w\r\n\r\nx\r\n"
    msgs = {"new/100.a,S=17,W=17:2,": body, "cur/bad name": b"x\n", "cur/" + "n" * 80: b"y\n",
            "new/200.dup": b"a\n", "cur/200.dup:2,S": b"b\n"}
    with Server(env, "uidl", messages=msgs) as srv:
        listings = []
        for _ in range(2):
            c = srv.login()
            listings.append(c.multi(b"UIDL"))
            sizes = c.multi(b"LIST")
            c.ok(b"QUIT")
        if listings[0] != listings[1]:
            raise AssertionError("unique-ids change between sessions")
        ids = [l.split(b" ")[1].decode() for l in listings[0].split(b"\r\n")[:-1]]
        if "100.a,S=17,W=17" not in ids or "200.dup" not in ids:
            raise AssertionError(f"the name up to ':' is not the unique-id: {ids}")
        derived = [i for i in ids if i.startswith("sha256-")]
        if len(derived) != 3 or len(set(ids)) != len(ids) or any(
                not 1 <= len(i) <= 70 or not all(0x21 <= ord(ch) <= 0x7E for ch in i) for i in ids):
            raise AssertionError(f"invalid or duplicate unique-ids: {ids}")
        if b" 17\r\n" not in sizes:
            raise AssertionError(f"W= not used: {sizes!r}")


def require_tls(env):
    cert, key = make_cert(env.work)
    with Server(env, "require-tls", "--tls-cert", cert, "--tls-key", key, "--require-tls", plaintext=False) as srv:
        c = srv.connect()
        caps = c.multi(b"CAPA").split(b"\r\n")
        if b"STLS" not in caps or b"USER" in caps or any(l.startswith(b"SASL") for l in caps):
            raise AssertionError(f"before TLS, CAPA offers {caps}")
        c.err(b"USER " + USER.encode())
        c.err(b"APOP " + USER.encode() + b" " + b"0" * 32)
        c.err(b"AUTH SCRAM-SHA-256")
        c.ok(b"QUIT")


def main():
    env, suite = start(__doc__, "--server")
    env.server = env.exe
    env.work = tempfile.mkdtemp(prefix="mailwire-pop3-server-test-")
    c = suite.case
    c("help.lists_every_flag", help_lists_every_flag, env)
    c("help.bad_values_exit_2", help_bad_values, env)
    c("idle.silent_client", idle_silent, env)
    c("idle.dripping_command", idle_drip, env)
    c("idle.progress_keeps_the_session", idle_progress, env)
    c("max_connections", max_connections, env)
    c("log_escape", log_escape, env)
    c("in_use.same_server", in_use_same_server, env)
    c("in_use.other_process", in_use_other_process, env)
    c("deletions.dropped_or_reset", deletions_dropped, env)
    c("deletions.at_quit", deletions_quit, env)
    c("retr.byte_exact", retr_byte_exact, env)
    c("top", top, env)
    c("uidl", uidl, env)
    c("require_tls", require_tls, env)
    return finish(suite, env.work)


if __name__ == "__main__":
    sys.exit(main())
