#!/usr/bin/env python3
"""mailwire-imap-fetch (examples/imap_fetch.cpp) against a scripted IMAP
server on loopback: the command line, exact bytes, resume by UIDVALIDITY
and UID, flat memory, and no password in clear: STARTTLS stripped,
refused, injected into, PREAUTH before TLS, certificates not trusted.

    imap_fetch_test.py --fetch path/to/mailwire-imap-fetch [-k FILTER]...

Each case starts its own scripted server (port 0, a thread of this test)
and Maildirs in a temp directory; every run of the fetcher is bounded in
time. Cases:

  usage.*        --help lists every flag; bad arguments exit 2 before any
                 connection
  fetch.*        LOGIN (with --allow-plaintext-auth), AUTHENTICATE PLAIN
                 under STARTTLS and implicit TLS: every file is the BODY[]
                 served, byte for byte (no final CRLF, 8-bit bytes, NUL-free
                 binary, an empty message); a wrong password exits 1
  resume.*       a second run sends nothing after EXAMINE but LOGOUT; a new
                 message is the only one fetched, listed from the UIDNEXT
                 recorded; a new UIDVALIDITY fetches everything again and
                 keeps the old files; a message expunged between listing
                 and fetching is "gone", not a failure; one whose body fails
                 to arrive is not recorded
  cleartext.*    LOGIN or PLAIN without TLS and without the flag: exit 1,
                 no LOGIN or AUTHENTICATE ever sent
  tls.*          --starttls with STARTTLS not offered (stripped), refused
                 (NO), `* PREAUTH` before TLS, bytes injected after the OK
                 before the handshake: exit 1 and no login; an unknown CA
                 and a wrong host name: exit 1 before any login
  big_message    20 MB: the fetcher's peak RSS is within 4 MiB of its peak
                 for a tiny message; the file is exact
  progress.*     progress lines on stderr when it is a terminal (a pty), none with --quiet,
                 none when it is not
  timeout        a server that never greets: exit 1 after --timeout
"""

import base64
import os
import re
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TIMEOUT, Run, ScriptedPeer, finish, on_terminal, start  # noqa: E402
from pop3_harness import make_cert  # noqa: E402

USER, PASS = "alice", "s3cret pass"
STATE = ".mailwire-imap-state"

MESSAGES = [
    b"Subject: one\r\nFrom: a@example.com\r\n\r\nbody\r\n",
    b"Subject: lf only\n\nline\n.\n",  # served as stored: IMAP changes no byte
    b"Subject: no end\r\n\r\nno final line end",
    b"Subject: 8bit\r\n\r\n\xe9t\xe9 \xff\xfe\r\n",
    b"",
]


# ---------------------------------------------------------------- the scripted server

class Peer(ScriptedPeer):
    """A scripted IMAP server. `messages`: {uid: bytes} of the mailbox;
    `caps`: the capabilities (STARTTLS is answered only when `tls` is an
    SSLContext); `greeting` (None: silence). `inject`: bytes sent with the
    STARTTLS OK, before the handshake; `starttls_no`: NO instead of OK.
    `drop`: UIDs that vanish after the listing (FETCH of them returns
    nothing). Every line received is in `lines` (as bytes)."""

    def __init__(self, messages=None, uidvalidity=7, caps=b"IMAP4rev1 AUTH=PLAIN SASL-IR", tls=None,
                 implicit=False, greeting=b"* OK scripted IMAP ready\r\n", inject=b"", starttls_no=False,
                 drop=(), uidnext=None):
        self.messages = dict(messages if messages is not None else {i + 1: m for i, m in enumerate(MESSAGES)})
        self.uidvalidity, self.caps, self.tls, self.implicit = uidvalidity, caps, tls, implicit
        self.greeting, self.inject, self.starttls_no, self.drop = greeting, inject, starttls_no, set(drop)
        self.uidnext = uidnext
        self.lines = []
        super().__init__()

    def commands(self):
        """The commands received, upper case, UID FETCH as 'UID FETCH'."""
        out = []
        for line in self.lines:
            words = line.split(b" ")
            if len(words) < 2:
                continue
            verb = words[1].upper()
            if verb == b"UID" and len(words) > 2:
                verb += b" " + words[2].upper()
            out.append(verb.decode())
        return out

    def session(self, conn):
        if self.implicit:
            conn = self.wrap(conn)
        if self.greeting is None:
            while True:
                self.recv(conn)
        conn.sendall(self.greeting)
        buf = bytearray()
        tls_on = self.implicit
        while True:
            while b"\r\n" not in buf:
                buf += self.recv(conn)
            line, _, rest = bytes(buf).partition(b"\r\n")
            buf[:] = rest
            self.lines.append(line)
            tag, _, cmd = line.partition(b" ")
            verb, _, args = cmd.partition(b" ")
            verb = verb.upper()
            ok = tag + b" OK done\r\n"
            if verb == b"CAPABILITY":
                caps = self.caps + (b" STARTTLS" if self.tls is not None and not tls_on else b"")
                conn.sendall(b"* CAPABILITY " + caps + b"\r\n" + ok)
            elif verb == b"STARTTLS":
                if self.starttls_no or self.tls is None:
                    conn.sendall(tag + b" NO not now\r\n")
                    continue
                conn.sendall(tag + b" OK begin TLS\r\n" + self.inject)
                conn = self.wrap(conn)
                tls_on = True
            elif verb == b"LOGIN":
                ok_login = args == b'alice "s3cret pass"'
                conn.sendall(ok if ok_login else tag + b" NO [AUTHENTICATIONFAILED] no\r\n")
            elif verb == b"AUTHENTICATE":
                mech, _, ir = args.partition(b" ")
                if not ir:
                    conn.sendall(b"+ \r\n")
                    while b"\r\n" not in buf:
                        buf += self.recv(conn)
                    ir, _, rest = bytes(buf).partition(b"\r\n")
                    buf[:] = rest
                good = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASS.encode())
                conn.sendall(ok if mech.upper() == b"PLAIN" and ir == good else
                             tag + b" NO [AUTHENTICATIONFAILED] no\r\n")
            elif verb == b"ENABLE":
                conn.sendall(ok)
            elif verb == b"EXAMINE":
                uids = sorted(self.messages)
                nxt = self.uidnext or (uids[-1] + 1 if uids else 1)
                conn.sendall(b"* %d EXISTS\r\n* OK [UIDVALIDITY %d] v\r\n* OK [UIDNEXT %d] n\r\n"
                             b"* FLAGS (\\Seen)\r\n%s OK [READ-ONLY] done\r\n"
                             % (len(uids), self.uidvalidity, nxt, tag))
            elif verb == b"UID" and args.upper().startswith(b"FETCH "):
                conn.sendall(self.fetch(args[6:]) + ok)
                for u in self.drop:
                    self.messages.pop(u, None)
            elif verb == b"LOGOUT":
                conn.sendall(b"* BYE bye\r\n" + ok)
                return
            else:
                conn.sendall(tag + b" BAD unknown\r\n")

    def wrap(self, conn):
        conn.settimeout(TIMEOUT)
        conn = self.tls.wrap_socket(conn, server_side=True)
        conn.settimeout(0.2)
        return conn

    def fetch(self, args):
        """UID FETCH <set> (items): the responses."""
        set_text, _, items = args.partition(b" ")
        uids = sorted(self.messages)
        wanted = set()
        for part in set_text.split(b","):
            lo, _, hi = part.partition(b":")
            lo = uids[-1] if lo == b"*" and uids else int(lo) if lo != b"*" else 0
            hi = lo if not hi else (uids[-1] if uids else 0) if hi == b"*" else int(hi)
            lo, hi = min(lo, hi), max(lo, hi)
            wanted |= {u for u in uids if lo <= u <= hi}
        out = b""
        for seq, u in enumerate(uids, 1):
            if u not in wanted:
                continue
            m = self.messages[u]
            if b"BODY.PEEK[]" in items.upper():
                if u in self.drop:
                    continue
                out += b"* %d FETCH (UID %d BODY[] {%d}\r\n%s)\r\n" % (seq, u, len(m), m)
            else:
                out += b"* %d FETCH (UID %d RFC822.SIZE %d)\r\n" % (seq, u, len(m))
        return out


# ---------------------------------------------------------------- running the program

def fetch(env, port, maildir, *args, password=PASS, limit=TIMEOUT, host="127.0.0.1"):
    return Run(env, "--server", f"{host}:{port}", "--user", USER, "--pass", password, "--maildir", maildir,
               *args, limit=limit)


def stored(maildir):
    """The files in `maildir`/new, {name: bytes}."""
    new = os.path.join(maildir, "new")
    return {n: open(os.path.join(new, n), "rb").read() for n in os.listdir(new)} if os.path.isdir(new) else {}


def expect_files(got, maildir, want):
    """`maildir` holds exactly the messages `want` (bytes), and each 'stored'
    line of `got` names one of them with its size."""
    files = stored(maildir)
    if sorted(files.values()) != sorted(want):
        raise AssertionError(f"stored {len(files)} files, expected {len(want)}: "
                             f"{sorted(files.values())[:3]!r}... vs {sorted(want)[:3]!r}...")
    for uid, size, path in re.findall(r"^stored (\d+) (\d+) (\S+)$", got.stdout, re.M):
        if open(path, "rb").read() not in want or int(size) != os.path.getsize(path):
            raise AssertionError(f"the line for UID {uid} does not match its file")


def no_login(peer, what):
    if any(c in ("LOGIN", "AUTHENTICATE") for c in peer.commands()) or any(
            PASS.encode() in l or base64.b64encode(b"\0" + USER.encode() + b"\0" + PASS.encode()) in l
            for l in peer.lines):
        raise AssertionError(f"{what}: the password was sent: {peer.lines}")


def server_tls(env, name="localhost"):
    cert, key = make_cert(env.work, name)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx, cert


# ---------------------------------------------------------------- usage

FLAGS = {"--server", "--starttls", "--implicit-tls", "--ca", "--insecure", "--user", "--pass", "--pass-file",
         "--mech", "--login", "--allow-plaintext-auth", "--mailbox", "--maildir", "--state", "--timeout", "--quiet",
         "--help", "--version"}


def help_lists_every_flag(env):
    r = Run(env, "--help").expect(0, "WARNING", "Default 60", "Exit status", "DIR/.mailwire-imap-state",
                                  "stored UID SIZE PATH", "EXAMINE", "UIDVALIDITY")
    shown = set(re.findall(r"--[a-z][a-z-]*", r.out))
    if shown != FLAGS:
        raise AssertionError(f"--help shows {sorted(shown - FLAGS)} extra, {sorted(FLAGS - shown)} missing")


def bad_arguments(env):
    md = os.path.join(env.work, "usage-maildir")
    with Peer() as peer:
        here = f"127.0.0.1:{peer.port}"
        base = ["--user", USER, "--pass", PASS, "--maildir", md]
        cases = [
            [],
            ["--server", here, "--pass", PASS, "--maildir", md],             # no --user
            ["--server", here, "--user", USER, "--maildir", md],             # no password
            ["--server", here, "--user", USER, "--pass", PASS],              # no --maildir
            ["--server", "nowhere", *base],                                  # no port
            ["--server", here + "0000", *base],                              # port too big
            ["--server", here, "--starttls", "--implicit-tls", *base],
            ["--server", here, "--ca", "x.pem", *base],                      # --ca without TLS
            ["--server", here, "--starttls", "--ca", "x.pem", "--insecure", *base],
            ["--server", here, "--mech", "GSSAPI", *base],
            ["--server", here, "--mech", "PLAIN", "--login", *base],
            ["--server", here, "--mailbox", "a\rb", *base],
            ["--server", here, "--mailbox", "", *base],
            ["--server", here, "--user", "a\nb", "--pass", PASS, "--maildir", md],
            ["--server", here, "--timeout", "0", *base],
            ["--server", here, "--pass-file", os.path.join(env.work, "no-such-file"), "--user", USER,
             "--maildir", md],
            ["--server", here, "--bogus", *base],
        ]
        for args in cases:
            Run(env, *args).expect(2, "usage:")
    if peer.connections:
        raise AssertionError(f"{peer.connections} connections from usage errors")
    if os.path.exists(md):
        raise AssertionError("a usage error created the Maildir")


# ---------------------------------------------------------------- fetching

def fetch_login(env):
    md = os.path.join(env.work, "got-login")
    with Peer(caps=b"IMAP4rev1") as peer:  # no AUTH=: the LOGIN command
        r = fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, f"fetched {len(MESSAGES)}, skipped 0")
    expect_files(r, md, MESSAGES)
    cmds = peer.commands()
    if "LOGIN" not in cmds or "EXAMINE" not in cmds or "SELECT" in cmds or cmds[-1] != "LOGOUT":
        raise AssertionError(f"commands: {cmds}")


def fetch_starttls_plain(env):
    md = os.path.join(env.work, "got-starttls")
    ctx, cert = server_tls(env)
    with Peer(tls=ctx) as peer:
        r = fetch(env, peer.port, md, "--starttls", "--ca", cert, "--mech", "PLAIN").expect(0, "fetched 5")
    expect_files(r, md, MESSAGES)
    if peer.commands()[:3] != ["CAPABILITY", "STARTTLS", "CAPABILITY"] or "AUTHENTICATE" not in peer.commands():
        raise AssertionError(f"commands: {peer.commands()}")


def fetch_implicit(env):
    md = os.path.join(env.work, "got-implicit")
    ctx, cert = server_tls(env)
    with Peer(tls=ctx, implicit=True) as peer:
        r = fetch(env, peer.port, md, "--implicit-tls", "--ca", cert, host="localhost").expect(0, "fetched 5")
    expect_files(r, md, MESSAGES)


def wrong_password(env):
    md = os.path.join(env.work, "got-wrong")
    ctx, cert = server_tls(env)
    with Peer(tls=ctx) as peer:
        fetch(env, peer.port, md, "--starttls", "--ca", cert, password="nope").expect(1, "login refused", "fetched 0")
    if "EXAMINE" in peer.commands() or stored(md):
        raise AssertionError(f"went on after a refused login: {peer.commands()}")


# ---------------------------------------------------------------- resume

def resume(env):
    md = os.path.join(env.work, "got-resume")
    msgs = {i: b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i) for i in (3, 5, 6, 9)}
    with Peer(messages=msgs, caps=b"IMAP4rev1") as peer:
        fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, "fetched 4, skipped 0")
        first = peer.lines[:]
        # Nothing new: nothing after EXAMINE but LOGOUT.
        fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, "fetched 0, skipped 4")
        second = peer.commands()[len([l for l in first if b" " in l]):]
        if second[second.index("EXAMINE") + 1:] != ["LOGOUT"]:
            raise AssertionError(f"second run: {second}")
        # One more message: only it is fetched, listed from UIDNEXT 10.
        peer.messages[12] = b"Subject: new\r\n\r\nnew\r\n"
        n = len(peer.lines)
        r = fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, "fetched 1, skipped 4")
        listing = [l for l in peer.lines[n:] if b"RFC822.SIZE" in l]
        if len(listing) != 1 or b" 10:* " not in listing[0] or "stored 12 " not in r.stdout:
            raise AssertionError(f"third run: {peer.lines[n:]} {r.stdout}")
        if len(stored(md)) != 5:
            raise AssertionError(f"{len(stored(md))} files after three runs")
        # A new UIDVALIDITY: everything again; the old files stay.
        peer.uidvalidity = 8
        r = fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, "fetched 5, skipped 0", "UIDVALIDITY 8")
        if len(stored(md)) != 10:
            raise AssertionError(f"{len(stored(md))} files after the UIDVALIDITY change, expected 10")
        fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, "fetched 0, skipped 5")
    state = open(os.path.join(md, STATE)).read()
    if not state.startswith("uidvalidity 7 INBOX\n") or "uidvalidity 8 INBOX\n" not in state:
        raise AssertionError(f"state file: {state!r}")


def resume_gone(env):
    md = os.path.join(env.work, "got-gone")
    msgs = {1: b"Subject: 1\r\n\r\n1\r\n", 2: b"Subject: 2\r\n\r\n2\r\n", 3: b"Subject: 3\r\n\r\n3\r\n"}
    with Peer(messages=msgs, caps=b"IMAP4rev1", drop={2}) as peer:
        fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, "fetched 2, skipped 0, gone 1", "UID 2: gone")


def resume_not_recorded(env):
    """A body cut off (the server leaves in the middle): nothing stored, nothing recorded."""
    md = os.path.join(env.work, "got-cut")

    with Peer(messages={1: b"Subject: 1\r\n\r\n" + b"x" * 5000 + b"\r\n"}, caps=b"IMAP4rev1") as peer:
        orig = peer.session

        def once(conn):  # answers the body fetch with half the bytes, then closes
            peer.session = orig
            buf = bytearray()
            conn.sendall(peer.greeting)
            while True:
                while b"\r\n" not in buf:
                    buf += peer.recv(conn)
                line, _, rest = bytes(buf).partition(b"\r\n")
                buf[:] = rest
                tag = line.split(b" ")[0]
                if b"BODY.PEEK" in line.upper():
                    out = peer.fetch(line.split(b" ", 2)[2][6:])
                    conn.sendall(out[:len(out) // 2])
                    return
                if b"CAPABILITY" in line.upper():
                    conn.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK\r\n")
                elif b"EXAMINE" in line.upper():
                    conn.sendall(b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 2] n\r\n" + tag + b" OK\r\n")
                elif b"UID FETCH" in line.upper():
                    conn.sendall(b"* 1 FETCH (UID 1 RFC822.SIZE 5016)\r\n" + tag + b" OK\r\n")
                else:
                    conn.sendall(tag + b" OK\r\n")
        peer.session = once
        fetch(env, peer.port, md, "--allow-plaintext-auth").expect(1, "fetched 0")
        if stored(md) or os.listdir(os.path.join(md, "tmp")):
            raise AssertionError("a cut-off message left a file")
        fetch(env, peer.port, md, "--allow-plaintext-auth").expect(0, "fetched 1")
    if len(stored(md)) != 1:
        raise AssertionError("the message was not fetched again")


# ---------------------------------------------------------------- no password in clear

def cleartext_refused(env, args):
    md = os.path.join(env.work, "got-cleartext")
    with Peer(caps=b"IMAP4rev1 AUTH=PLAIN") as peer:
        fetch(env, peer.port, md, *args).expect(1, "--allow-plaintext-auth", "fetched 0")
    no_login(peer, " ".join(args))


def tls_stripped(env):
    md = os.path.join(env.work, "got-stripped")
    with Peer(tls=None) as peer:  # STARTTLS not offered (a MITM removed it)
        fetch(env, peer.port, md, "--starttls", "--insecure").expect(1, "STARTTLS", "fetched 0")
    no_login(peer, "STARTTLS not offered")
    if set(peer.commands()) - {"CAPABILITY", "LOGOUT"}:
        raise AssertionError(f"sent {peer.commands()}")


def tls_refused_no(env):
    md = os.path.join(env.work, "got-starttls-no")
    ctx, _ = server_tls(env)
    with Peer(tls=ctx, starttls_no=True) as peer:
        fetch(env, peer.port, md, "--starttls", "--insecure").expect(1, "STARTTLS", "fetched 0")
    no_login(peer, "STARTTLS refused")


def tls_preauth(env):
    md = os.path.join(env.work, "got-preauth")
    ctx, _ = server_tls(env)
    with Peer(tls=ctx, greeting=b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome\r\n") as peer:
        fetch(env, peer.port, md, "--starttls", "--insecure").expect(1, "PREAUTH", "fetched 0")
    if set(peer.commands()) - {"LOGOUT"}:
        raise AssertionError(f"went on after PREAUTH without TLS: {peer.commands()}")


def tls_injection(env):
    md = os.path.join(env.work, "got-injection")
    ctx, _ = server_tls(env)
    with Peer(tls=ctx, inject=b"* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN\r\n") as peer:
        fetch(env, peer.port, md, "--starttls", "--insecure").expect(1, "injection", "fetched 0")
    no_login(peer, "injection after STARTTLS")


def tls_untrusted(env):
    md = os.path.join(env.work, "got-untrusted")
    ctx, cert = server_tls(env)
    _, other = server_tls(env, "other.test")
    with Peer(tls=ctx) as peer:
        fetch(env, peer.port, md, "--starttls", "--ca", other).expect(1, "fetched 0")  # an unknown CA
    no_login(peer, "an unknown CA")
    wrong_ctx, wrong_cert = server_tls(env, "other.test")
    with Peer(tls=wrong_ctx, implicit=True) as peer:
        fetch(env, peer.port, md, "--implicit-tls", "--ca", wrong_cert).expect(1, "fetched 0")  # not 127.0.0.1
    no_login(peer, "a certificate for another name")
    with Peer(tls=ctx) as peer:
        fetch(env, peer.port, md, "--starttls", "--ca", cert).expect(0, "fetched 5")  # the right one
    if stored(md) and len(stored(md)) != 5:
        raise AssertionError("stored before the right certificate")


# ---------------------------------------------------------------- size, time

def big_message(env):
    tiny = {1: b"Subject: tiny\r\n\r\nx\r\n"}
    with Peer(messages=tiny, caps=b"IMAP4rev1") as peer:
        base = fetch(env, peer.port, os.path.join(env.work, "got-tiny"), "--allow-plaintext-auth").expect(0).max_rss
    line = b"0123456789" * 7 + b"abcd\r\n"
    body = b"Subject: big\r\n\r\n" + line * (20 * 1000 * 1000 // len(line))
    md = os.path.join(env.work, "got-big")
    with Peer(messages={1: body}, caps=b"IMAP4rev1") as peer:
        r = fetch(env, peer.port, md, "--allow-plaintext-auth", limit=60).expect(0, "fetched 1")
    if list(stored(md).values()) != [body]:
        raise AssertionError("the 20 MB file is not the message")
    if not 0 < r.max_rss < base + 4 * 1024 * 1024:
        raise AssertionError(f"peak RSS {r.max_rss >> 10} KiB for a {len(body) >> 20} MiB message, "
                             f"{base >> 10} KiB for a tiny one")


def progress_on_terminal(env):
    """Progress on stderr when it is a terminal (a pty here), never otherwise
    nor with --quiet."""
    md = os.path.join(env.work, "got-progress")
    with Peer(caps=b"IMAP4rev1") as peer:
        r = fetch(env, peer.port, os.path.join(env.work, "got-no-progress"), "--allow-plaintext-auth").expect(0)
        if "\r" in r.out or "messages," in r.out:
            raise AssertionError(f"progress without a terminal: {r.out[-300:]!r}")
        argv = [env.exe, "--server", f"127.0.0.1:{peer.port}", "--user", USER, "--pass", PASS,
                "--allow-plaintext-auth"]
        rc, shown = on_terminal([*argv, "--maildir", md])
        if rc != 0:
            raise AssertionError(f"exit {rc}: {shown!r}")
        rc, quiet = on_terminal([*argv, "--maildir", os.path.join(env.work, "got-quiet"), "--quiet"])
        if rc != 0 or b"messages," in quiet or b"\r" in quiet:
            raise AssertionError(f"--quiet: exit {rc}, the terminal showed {quiet!r}")
    if b"5/5 messages" not in shown or b"\r" not in shown or b"MB" not in shown:
        raise AssertionError(f"no progress on the terminal: {shown!r}")


def timeout(env):
    md = os.path.join(env.work, "got-timeout")
    with Peer(greeting=None) as peer:
        r = fetch(env, peer.port, md, "--timeout", "2", limit=12).expect(1, "timed out")
    if not 1.5 <= r.took <= 5:
        raise AssertionError(f"gave up after {r.took:.1f} s, --timeout 2")


def main():
    env, suite = start(__doc__, "--fetch")
    env.work = tempfile.mkdtemp(prefix="mailwire-imap-fetch-test-")
    c = suite.case
    c("usage.help_lists_every_flag", help_lists_every_flag, env)
    c("usage.bad_arguments_exit_2", bad_arguments, env)
    c("fetch.login", fetch_login, env)
    c("fetch.starttls_plain", fetch_starttls_plain, env)
    c("fetch.implicit_tls", fetch_implicit, env)
    c("fetch.wrong_password", wrong_password, env)
    c("resume.again_new_uidvalidity", resume, env)
    c("resume.gone", resume_gone, env)
    c("resume.cut_off_not_recorded", resume_not_recorded, env)
    c("cleartext.login_refused", cleartext_refused, env, ["--login"])
    c("cleartext.plain_refused", cleartext_refused, env, ["--mech", "PLAIN"])
    c("cleartext.default_refused", cleartext_refused, env, [])
    c("tls.starttls_stripped", tls_stripped, env)
    c("tls.starttls_refused", tls_refused_no, env)
    c("tls.preauth_before_tls", tls_preauth, env)
    c("tls.injection_after_ok", tls_injection, env)
    c("tls.untrusted", tls_untrusted, env)
    c("big_message", big_message, env)
    c("progress.only_on_a_terminal", progress_on_terminal, env)
    c("timeout", timeout, env)
    return finish(suite, env.work)


if __name__ == "__main__":
    sys.exit(main())
