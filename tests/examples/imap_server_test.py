#!/usr/bin/env python3
"""mailwire-imap-server (examples/imap_server.cpp) on loopback: what an IMAP
client must get, and what a server exposed to the internet must survive.

    imap_server_test.py --server path/to/mailwire-imap-server [-k FILTER]...

Each case starts its own server (port 0, a temp Maildir++ tree) and stops it
by PID with SIGTERM (it must exit 0); every wait is bounded. Cases:

  help.*              --help lists every flag; bad values exit 2 with usage
  session.commands    a raw session: CAPABILITY, LOGIN, CREATE, LIST, APPEND
                      (APPENDUID, the file byte-identical), [TRYCREATE],
                      SELECT ([READ-WRITE], UIDVALIDITY, UIDNEXT,
                      PERMANENTFLAGS), FETCH (FLAGS in the answer to a
                      non-PEEK body, BODY.PEEK leaves \\Seen unset), UID FETCH
                      n:* past the last UID, STORE, SEARCH, ESEARCH, COPY
                      (COPYUID), MOVE, EXPUNGE, STATUS, EXAMINE ([READ-ONLY]),
                      RENAME, DELETE, NAMESPACE, ID, UNSELECT, LOGOUT
  session.uids_survive_restart  UIDVALIDITY and UIDs are the same after a restart
  condstore.session   CONDSTORE (RFC 7162): [HIGHESTMODSEQ] at SELECT and when a
                      command enables it, FETCH MODSEQ, (CHANGEDSINCE),
                      STORE (UNCHANGEDSINCE) with [MODIFIED], .SILENT still
                      giving MODSEQ, SEARCH MODSEQ with (MODSEQ n), ESEARCH,
                      STATUS (HIGHESTMODSEQ), another session's change
                      pushed with MODSEQ, all the same after a restart
  qresync.session     QRESYNC: ENABLE, VANISHED instead of EXPUNGE (own and
                      others'), SELECT (QRESYNC ...) with and without known
                      UIDs and with a wrong UIDVALIDITY, UID FETCH
                      (CHANGEDSINCE n VANISHED), VANISHED and FETCH with UID
                      and MODSEQ pushed in IDLE, tombstones across a restart
  binary.fetch        BINARY (RFC 3516): APPEND of a literal8 with NUL stored
                      byte for byte, BINARY.PEEK[n] decoded (base64 with NUL
                      as literal8, quoted-printable), BINARY.SIZE, <partial>,
                      BINARY[] rewritten as Dovecot does, a 7bit part as a
                      plain literal, BINARY without PEEK sets \Seen,
                      x-uuencode refused with NO [UNKNOWN-CTE]
  session.big_body    a 24 MiB message APPENDed and FETCHed exactly, server
                      memory growing by less than 8 MiB (both ways stream)
  login.needs_tls     without --allow-plaintext-auth: LOGINDISABLED, LOGIN
                      refused before TLS; after STARTTLS it works
  login.require_tls   --require-tls: no login of any kind before STARTTLS
  idle.push           IDLE gets "* n EXISTS" and "* n EXPUNGE" when another
                      session appends and expunges
  idle.expunge_rule   another session's EXPUNGE: not in FETCH/SEARCH answers,
                      sent at NOOP, then the numbers move
  idle.folder_deleted the selected folder deleted by another session: BYE
  idle.timeout        --idle-timeout 2: a silent client gets "* BYE" and EOF
  idle.rearmed_by_idle  IDLE restarts the timer; an idling session times out too
  idle.dripping_command  a command dripped a byte at a time does not keep it
  max_message_size    an APPEND literal over --max-message-size is refused
                      with [TOOBIG] before "+", synchronising or not
  max_connections     --max-connections 2: the 3rd gets "* BYE [UNAVAILABLE]"
  fd_limit            RLIMIT_NOFILE 64 and 90 clients: no spinning at the
                      limit, a waiting client served once others leave
  log_escape          a LOGIN user with quote, '<', U+0085, U+202E is escaped
  security.starttls_injection  "a STARTTLS\\r\\nb NOOP\\r\\n" in one packet:
                      nothing after STARTTLS is answered, in clear or in TLS
  security.literal_bombs  {4294967295}, 2^64, junk, before and after login:
                      no "+", no memory reserved, the session goes on or ends
  security.long_line  a 32 MiB line: refused, memory bounded (VmRSS)
  security.deep_search  3,000-deep SEARCH parentheses: BAD, the session goes on
  security.traversal  "../x", "a/b", "/etc", mUTF-7 encoded dots, ".", "a..b":
                      refused, nothing made outside the tree
  security.pipelining 20,000 pipelined NOOPs from a client that does not read:
                      memory bounded, every answer comes once it reads
"""

import os
import re
import resource
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TIMEOUT, Conn, ServerProcess, cpu_seconds, finish, start  # noqa: E402
from pop3_harness import make_cert  # noqa: E402

USER, PASS = "alice", "s3cret"

FLAGS = {"--listen", "--maildir", "--user", "--tls-cert", "--tls-key", "--implicit-tls", "--require-tls",
         "--allow-plaintext-auth", "--max-message-size", "--max-connections", "--idle-timeout", "--hostname",
         "--help", "--version"}


# Under ASan, freed memory waits in a 256 MB quarantine: the server's
# resident size would grow with a streamed message for the sanitizer's sake,
# not the program's. A small quarantine keeps the memory checks meaningful
# in the asan-ubsan build (as compose_test.py does).
os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1").lstrip(":")


class Server(ServerProcess):
    def __init__(self, env, name, *args, maildir=None, plaintext=True, nofile=None):
        self.maildir = maildir or os.path.join(env.work, "maildir-" + name)

        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        super().__init__([env.exe, "--listen", "127.0.0.1:0", "--maildir", self.maildir, "--user",
                          f"{USER}:{PASS}", *(["--allow-plaintext-auth"] if plaintext else []), *args],
                         os.path.join(env.work, name + ".log"), name, preexec_fn=limit)

    def connect(self):
        c = Imap(self.port)
        g = c.line()
        if not g or not g.startswith(b"* OK"):
            raise AssertionError(f"greeting {g!r}")
        return c

    def login(self):
        c = self.connect()
        c.ok(f"LOGIN {USER} {PASS}".encode())
        return c

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


class Imap(Conn):
    """A raw IMAP client socket: commands tagged t1, t2, ...; answers as lists of lines."""

    n = 0

    def fill(self, timeout=TIMEOUT):
        if not self.readable(timeout):
            raise TimeoutError(f"nothing within {timeout} s (have {self.buf[:200]!r})")
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError(f"EOF (have {self.buf[:200]!r})")
        self.buf += chunk

    def item(self, timeout=TIMEOUT):
        """One response line with its literals inline (bytes), or None at EOF."""
        out = b""
        while True:
            try:
                while b"\r\n" not in self.buf:
                    self.fill(timeout)
            except EOFError:
                return None
            line, self.buf = self.buf.split(b"\r\n", 1)
            out += line
            m = re.search(rb"\{(\d+)\+?\}$", line)
            if not m:
                return out
            size = int(m.group(1))
            while len(self.buf) < size:
                self.fill(timeout)
            out += b"\r\n" + self.buf[:size]
            self.buf = self.buf[size:]

    def cmd(self, text, timeout=TIMEOUT):
        """(tagged line, untagged lines)."""
        Imap.n += 1
        tag = b"t%d" % Imap.n
        self.send(tag + b" " + text + b"\r\n")
        return self.until(tag, timeout)

    def until(self, tag, timeout=TIMEOUT):
        untagged = []
        while True:
            it = self.item(timeout)
            if it is None:
                raise AssertionError(f"EOF before {tag!r}: {untagged[-3:]}")
            if it.startswith(tag + b" "):
                return it[len(tag) + 1:], untagged
            untagged.append(it)

    def ok(self, text, timeout=TIMEOUT):
        st, u = self.cmd(text, timeout)
        if not st.startswith(b"OK"):
            raise AssertionError(f"{text[:80]!r}: {st!r}")
        return st, u

    def no(self, text, code=None):
        st, u = self.cmd(text)
        if not st.startswith(b"NO") or (code and code not in st):
            raise AssertionError(f"{text[:80]!r}: expected NO {code}, got {st!r}")
        return st, u


def has(lines, pattern):
    return any(re.search(pattern, l) for l in lines)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


# ---------------------------------------------------------------- help

def help_lists_every_flag(env):
    p = subprocess.run([env.exe, "--help"], capture_output=True, text=True, timeout=TIMEOUT)
    expect(p.returncode == 0, f"--help exit {p.returncode}")
    shown = set(re.findall(r"--[a-z][a-z-]*", p.stdout))
    expect(shown == FLAGS, f"--help shows {sorted(shown - FLAGS)} extra, {sorted(FLAGS - shown)} missing")
    for must in ("67108864", "1800", "default 100", "default localhost", "[TOOBIG]", "LOGINDISABLED",
                 "escaped", "exit 0", "CONDSTORE"):
        expect(must.strip() in p.stdout, f"--help does not say {must!r}")


def help_bad_values(env):
    md = os.path.join(env.work, "unused")
    base = ["--listen", "127.0.0.1:0", "--maildir", md, "--user", "a:b"]
    bad = [["--idle-timeout", "0"], ["--idle-timeout", "x"], ["--idle-timeout", "86401"], ["--max-message-size", "0"],
           ["--max-message-size", "-5"], ["--max-message-size", "9223372036854775808"], ["--max-message-size"],
           ["--max-connections", "0"], ["--hostname", "a b"], ["--hostname", "<x>"], ["--implicit-tls"],
           ["--require-tls"], ["--tls-cert", "x.pem"], ["--bogus"], ["--user", "nocolon"], ["--user", ":p"],
           ["--user", "a b:c"]]
    for extra in bad:
        run_usage([env.exe, *base, *extra], extra)
    for argv in (["--listen", "127.0.0.1:65536", "--maildir", md, "--user", "a:b"],
                 ["--listen", "127.0.0.1:0", "--user", "a:b"], ["--listen", "127.0.0.1:0", "--maildir", md]):
        run_usage([env.exe, *argv], argv)
    expect(not os.path.exists(md), "a usage error created the Maildir")


def run_usage(argv, what):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    expect(p.returncode == 2 and "usage:" in p.stderr, f"{what}: exit {p.returncode}: {p.stderr[-300:]}")


# ---------------------------------------------------------------- sessions

MSG = b"From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: Hello there\r\n\r\nFirst body line\r\n"
MSG2 = b"From: carl@example.org\r\nSubject: second\r\nContent-Type: text/plain\r\n\r\nsomething else\r\n"


def append(c, box, data, flags=b""):
    Imap.n += 1
    tag = b"t%d" % Imap.n
    c.send(tag + b" APPEND " + box + b" " + flags + b"{%d}\r\n" % len(data))
    cont = c.item()
    if not cont.startswith(b"+"):
        return cont[len(tag) + 1:], []
    c.send(data + b"\r\n")
    return c.until(tag)


def session_commands(env):
    with Server(env, "commands") as srv:
        c = srv.connect()
        st, u = c.ok(b"CAPABILITY")
        for cap in (b"IMAP4rev1", b"UIDPLUS", b"MOVE", b"IDLE", b"NAMESPACE", b"ID", b"UNSELECT", b"ENABLE",
                    b"SPECIAL-USE", b"ESEARCH", b"LITERAL+", b"CONDSTORE", b"QRESYNC", b"BINARY"):
            expect(cap in u[0].split(), f"CAPABILITY lacks {cap}: {u}")
        for cap in (b"SORT", b"MULTIAPPEND"):
            expect(cap not in u[0].split(), f"CAPABILITY offers {cap}, which is not real here")
        c.no(b"LOGIN alice wrong")
        c.ok(f"LOGIN {USER} {PASS}".encode())
        c.ok(b"CREATE Work")
        c.ok(b"CREATE Work.Sub.")
        c.ok(b"CREATE Sent")
        c.no(b"CREATE Work", b"[ALREADYEXISTS]")
        st, u = c.ok(b'LIST "" "*"')
        expect(has(u, rb'^\* LIST \([^)]*\\HasChildren[^)]*\) "\." Work$') and has(u, rb'"\." Work\.Sub$')
               and has(u, rb'\\Sent\b.*Sent$'), f"LIST: {u}")
        st, u = c.ok(b'LIST "" ""')
        expect(u == [b'* LIST (\\Noselect) "." ""'], f'LIST "" "": {u}')
        st, _ = append(c, b"INBOX", MSG, b"(\\Flagged) ")
        m = re.match(rb"OK \[APPENDUID (\d+) (\d+)\]", st)
        expect(m, f"APPEND: {st!r}")
        validity, uid1 = int(m.group(1)), int(m.group(2))
        st, _ = append(c, b"INBOX", MSG2)
        expect(st.startswith(b"OK [APPENDUID %d %d]" % (validity, uid1 + 1)), f"second APPEND: {st!r}")
        st, _ = append(c, b"Nowhere", MSG)
        expect(st.startswith(b"NO [TRYCREATE]"), f"APPEND to a missing folder: {st!r}")
        files = [f for f in os.listdir(os.path.join(srv.maildir, "cur"))]
        stored = [open(os.path.join(srv.maildir, "cur", f), "rb").read() for f in files]
        expect(MSG in stored and MSG2 in stored, f"the files are not the APPENDed bytes: {files}")

        st, u = c.ok(b"SELECT INBOX")
        expect(st.startswith(b"OK [READ-WRITE]"), f"SELECT: {st!r}")
        for p in (rb"^\* 2 EXISTS$", rb"^\* FLAGS \(", rb"\[UIDVALIDITY %d\]" % validity,
                  rb"\[UIDNEXT %d\]" % (uid1 + 2), rb"\[PERMANENTFLAGS \(.*\\\*\)\]"):
            expect(has(u, p), f"SELECT lacks {p}: {u}")
        st, u = c.ok(b"FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] FLAGS)")
        expect(has(u, rb"Subject: Hello there") and has(u, rb"FLAGS \(\\Flagged\)"), f"PEEK: {u}")
        st, u = c.ok(b"FETCH 1 (BODY[TEXT])")
        expect(has(u, rb"BODY\[TEXT\] \{17\}\r\nFirst body line\r\n") and has(u, rb"FLAGS \([^)]*\\Seen"),
               f"a non-PEEK body fetch without FLAGS in the answer: {u}")
        st, u = c.ok(b"FETCH 2 (RFC822.SIZE BODY[] ENVELOPE BODYSTRUCTURE INTERNALDATE)")
        expect(has(u, rb"RFC822\.SIZE %d" % len(MSG2)) and has(u, re.escape(MSG2)) and has(u, rb'ENVELOPE \(')
               and has(u, rb'BODYSTRUCTURE \("text" "plain"'), f"FETCH 2: {u}")
        st, u = c.ok(b"UID FETCH %d:* (FLAGS)" % (uid1 + 50))
        expect(len(u) == 1 and has(u, rb"^\* 2 FETCH \(UID %d " % (uid1 + 1)), f"n:* past the last UID: {u}")
        st, u = c.ok(b"SEARCH SUBJECT hello")
        expect(u == [b"* SEARCH 1"], f"SEARCH: {u}")
        st, u = c.ok(b"UID SEARCH RETURN (MIN COUNT) ALL")
        expect(has(u, rb"^\* ESEARCH \(TAG \"t\d+\"\) UID MIN %d COUNT 2$" % uid1), f"ESEARCH: {u}")
        st, u = c.ok(b"STORE 2 +FLAGS (\\Answered $Work)")
        expect(has(u, rb"^\* 2 FETCH \(FLAGS \([^)]*\\Answered"), f"STORE: {u}")
        st, u = c.ok(b"COPY 1:2 Work")
        expect(re.match(rb"OK \[COPYUID \d+ %d:%d 1:2\]|OK \[COPYUID \d+ %d,%d 1,2\]" %
                        (uid1, uid1 + 1, uid1, uid1 + 1), st), f"COPY: {st!r}")
        c.no(b"COPY 1 Nowhere", b"[TRYCREATE]")
        st, u = c.ok(b"UID MOVE %d Work.Sub" % uid1)
        expect(has(u, rb"\[COPYUID \d+ %d 1\]" % uid1) and has(u, rb"^\* 1 EXPUNGE$"), f"MOVE: {u}")
        st, u = c.ok(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
        expect(u == [], f"STORE .SILENT answered {u}")
        st, u = c.ok(b"EXPUNGE")
        expect(u == [b"* 1 EXPUNGE"], f"EXPUNGE: {u}")
        st, u = c.ok(b"STATUS Work (MESSAGES UIDNEXT UNSEEN)")
        expect(u == [b"* STATUS Work (MESSAGES 2 UIDNEXT 3 UNSEEN 0)"], f"STATUS: {u}")  # both \\Seen by now
        c.ok(b"SELECT Work")
        c.ok(b"STORE 2 -FLAGS.SILENT (\\Seen)")
        st, u = c.ok(b"EXAMINE Work")
        expect(st.startswith(b"OK [READ-ONLY]") and has(u, rb"^\* 2 EXISTS$"), f"EXAMINE: {st!r} {u}")
        c.ok(b"FETCH 2 BODY[]")  # read-only: \Seen is not set
        st, u = c.ok(b"FETCH 2 FLAGS")
        expect(not has(u, rb"\\Seen"), f"EXAMINE let a fetch set \\Seen: {u}")
        c.ok(b"UNSELECT")
        st, u = c.ok(b"NAMESPACE")
        expect(u == [b'* NAMESPACE (("" ".")) NIL NIL'], f"NAMESPACE: {u}")
        st, u = c.ok(b'ID ("name" "test")')
        expect(has(u, rb"^\* ID \("), f"ID: {u}")
        c.ok(b"RENAME Work Play")
        st, u = c.ok(b'LIST "" "*"')
        expect(has(u, rb'"\." Play\.Sub$') and not has(u, rb"Work"), f"RENAME with children: {u}")
        c.ok(b"DELETE Play.Sub")
        c.no(b"SELECT Play.Sub")
        st, _ = c.cmd(b"LOGOUT")
        expect(st.startswith(b"OK"), f"LOGOUT: {st!r}")


def uids_survive_restart(env):
    md = os.path.join(env.work, "maildir-restart")
    with Server(env, "restart-1", maildir=md) as srv:
        c = srv.login()
        append(c, b"INBOX", MSG)
        append(c, b"INBOX", MSG2)
        _, u1 = c.ok(b"SELECT INBOX")
        _, f1 = c.ok(b"FETCH 1:* UID")
    with Server(env, "restart-2", maildir=md) as srv:
        c = srv.login()
        _, u2 = c.ok(b"SELECT INBOX")
        _, f2 = c.ok(b"FETCH 1:* UID")
    v1 = [l for l in u1 if b"UIDVALIDITY" in l]
    expect(v1 and v1 == [l for l in u2 if b"UIDVALIDITY" in l] and f1 == f2, f"after a restart: {u1} {u2} {f1} {f2}")


def modseqs(lines):
    """{seq: modseq} of "* n FETCH (... MODSEQ (m) ...)" lines."""
    out = {}
    for l in lines:
        m = re.match(rb"\* (\d+) FETCH \(.*MODSEQ \((\d+)\)", l)
        if m:
            out[int(m.group(1))] = int(m.group(2))
    return out


def code_number(lines, code):
    for l in lines:
        m = re.search(rb"\[" + code + rb" (\d+)\]", l)
        if m:
            return int(m.group(1))
    return None


def condstore_session(env):
    md = os.path.join(env.work, "maildir-condstore")
    with Server(env, "condstore-1", maildir=md) as srv:
        a, b = srv.login(), srv.login()
        _, u = a.ok(b"CAPABILITY")
        expect(has(u, rb" CONDSTORE") and has(u, rb" QRESYNC"), f"capabilities: {u}")
        for m in (MSG, MSG2, MSG):
            append(a, b"INBOX", m)
        _, u = a.ok(b"SELECT INBOX (CONDSTORE)")
        h = code_number(u, rb"HIGHESTMODSEQ")
        expect(h is not None, f"SELECT (CONDSTORE): {u}")
        _, u = a.ok(b"FETCH 1:* (MODSEQ)")
        ms = modseqs(u)
        expect(sorted(ms) == [1, 2, 3] and ms[1] < ms[2] < ms[3] == h, f"FETCH MODSEQ: {u} (highest {h})")
        # Enabled: a STORE's FETCH carries the new MODSEQ.
        _, u = a.ok(b"STORE 2 +FLAGS (\\Flagged)")
        m2 = modseqs(u).get(2, 0)
        expect(m2 > h and has(u, rb"^\* 2 FETCH \(FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$"), f"STORE: {u}")
        # CHANGEDSINCE: only message 2, with its MODSEQ.
        _, u = a.ok(b"FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h)
        expect(list(modseqs(u)) == [2] and len(u) == 1, f"CHANGEDSINCE: {u}")
        # UNCHANGEDSINCE h: 2 changed since, so [MODIFIED 2]; 1 and 3 stored.
        st, u = a.ok(b"STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % h)
        expect(b"[MODIFIED 2]" in st and sorted(modseqs(u)) == [1, 3], f"UNCHANGEDSINCE: {st!r} {u}")
        st, u = a.ok(b"UID STORE 1:3 (UNCHANGEDSINCE %d) -FLAGS.SILENT (\\Seen)" % m2)
        expect(b"[MODIFIED 1,3]" in st and u == [], f"UID STORE UNCHANGEDSINCE: {st!r} {u}")
        # .SILENT still gives the new MODSEQ, without FLAGS.
        _, u = a.ok(b"STORE 3 -FLAGS.SILENT (\\Seen)")
        expect(len(u) == 1 and re.match(rb"^\* 3 FETCH \(MODSEQ \(\d+\)\)$", u[0]), f"STORE .SILENT: {u}")
        _, u = a.ok(b"FETCH 1:* (MODSEQ)")
        now = modseqs(u)
        top = max(now.values())
        _, u = a.ok(b"SEARCH MODSEQ %d" % (h + 1))
        expect(u == [b"* SEARCH 1 2 3 (MODSEQ %d)" % top], f"SEARCH MODSEQ: {u} {now}")
        _, u = a.ok(b"SEARCH MODSEQ %d" % (top + 1))
        expect(u == [b"* SEARCH"], f"SEARCH MODSEQ past the highest: {u}")
        _, u = a.ok(b"UID SEARCH RETURN (COUNT) MODSEQ %d" % now[3])
        expect(len(u) == 1 and b"COUNT 1" in u[0] and b"MODSEQ %d" % now[3] in u[0], f"ESEARCH MODSEQ: {u}")
        _, u = b.ok(b"STATUS INBOX (HIGHESTMODSEQ MESSAGES)")
        expect(has(u, rb"HIGHESTMODSEQ %d" % top), f"STATUS: {u}")
        # Another session's change reaches this one with its MODSEQ.
        b.ok(b"SELECT INBOX")
        b.ok(b"STORE 1 +FLAGS.SILENT (\\Answered)")
        _, u = a.ok(b"NOOP")
        expect(has(u, rb"^\* 1 FETCH \(FLAGS \(\\Answered \\Seen\) MODSEQ \((\d+)\)\)$") and
               modseqs(u)[1] > top, f"pushed: {u}")
        # FETCH MODSEQ enables CONDSTORE in a session selected without it:
        # [HIGHESTMODSEQ] first (RFC 7162 3.1).
        c = srv.login()
        _, u = c.ok(b"SELECT INBOX")
        h2 = code_number(u, rb"HIGHESTMODSEQ")
        _, u = c.ok(b"FETCH 1 (FLAGS)")
        expect(h2 is not None and not has(u, rb"MODSEQ"), f"FLAGS before CONDSTORE: {u}")
        _, u = c.ok(b"FETCH 1 (MODSEQ)")
        expect(len(u) == 2 and u[0] == b"* OK [HIGHESTMODSEQ %d] Highest" % h2, f"enabling FETCH: {u}")
        _, u = c.ok(b"FETCH 1 (FLAGS)")
        expect(has(u, rb"MODSEQ"), f"FLAGS once enabled: {u}")
        # So does SEARCH with a MODSEQ key (RFC 7162 3.1).
        d = srv.login()
        d.ok(b"SELECT INBOX")
        _, u = d.ok(b"SEARCH MODSEQ 1")
        expect(len(u) == 2 and u[0] == b"* OK [HIGHESTMODSEQ %d] Highest" % h2 and
               u[1] == b"* SEARCH 1 2 3 (MODSEQ %d)" % h2, f"enabling SEARCH: {u}")
        _, before = a.ok(b"FETCH 1:* (UID MODSEQ)")
    with Server(env, "condstore-2", maildir=md) as srv:
        a = srv.login()
        _, u = a.ok(b"SELECT INBOX (CONDSTORE)")
        _, after = a.ok(b"FETCH 1:* (UID MODSEQ)")
        expect(after == before and code_number(u, rb"HIGHESTMODSEQ") == h2, f"after a restart: {before} {after} {u}")
        _, u = a.ok(b"STORE 1 +FLAGS (\\Draft)")
        expect(modseqs(u)[1] > h2, f"a change after the restart: {u}")


def qresync_session(env):
    md = os.path.join(env.work, "maildir-qresync")
    with Server(env, "qresync-1", maildir=md) as srv:
        a, b = srv.login(), srv.login()
        for m in (MSG, MSG2, MSG, MSG2):
            append(a, b"INBOX", m)
        st, _ = a.cmd(b"SELECT INBOX (QRESYNC (1 1))")
        expect(st.startswith(b"BAD"), f"QRESYNC before ENABLE: {st!r}")
        _, u = a.ok(b"ENABLE QRESYNC")
        expect(u == [b"* ENABLED QRESYNC"], f"ENABLE: {u}")
        _, u = a.ok(b"SELECT INBOX")
        validity = code_number(u, rb"UIDVALIDITY")
        h0 = code_number(u, rb"HIGHESTMODSEQ")
        # Another session flags 1 and expunges 2: VANISHED, not EXPUNGE.
        b.ok(b"SELECT INBOX")
        b.ok(b"STORE 1 +FLAGS.SILENT (\\Flagged)")
        b.ok(b"STORE 2 +FLAGS.SILENT (\\Deleted)")
        b.ok(b"EXPUNGE")
        # Every FETCH has the UID under QRESYNC (RFC 7162 3.2.4), and after
        # expunges the tagged OK gives the new HIGHESTMODSEQ.
        st, u = a.ok(b"NOOP")
        expect(b"* VANISHED 2" in u and not has(u, rb"EXPUNGE") and
               has(u, rb"^\* 1 FETCH \(FLAGS \(\\Flagged\) UID 1 MODSEQ") and b"[HIGHESTMODSEQ " in st,
               f"NOOP under QRESYNC: {st!r} {u}")
        _, u = a.ok(b"FETCH 1 (FLAGS)")
        expect(has(u, rb"^\* 1 FETCH \(FLAGS \(\\Flagged\) UID 1 MODSEQ \(\d+\)\)$"), f"FETCH under QRESYNC: {u}")
        # Its own expunge: VANISHED too, and the modseq it took.
        a.ok(b"STORE 2 +FLAGS.SILENT (\\Deleted)")  # UID 3
        st, u = a.ok(b"EXPUNGE")
        expect(u == [b"* VANISHED 3"] and code_number([st], rb"HIGHESTMODSEQ") is not None,
               f"EXPUNGE under QRESYNC: {st!r} {u}")
        _, u = a.ok(b"STATUS INBOX (HIGHESTMODSEQ)")
        expect(has(u, rb"HIGHESTMODSEQ %d\)" % code_number([st], rb"HIGHESTMODSEQ")), f"EXPUNGE's highest: {st!r} {u}")
        # A client that was away since h0: UIDs 2 and 3 vanished, 1 changed.
        c = srv.login()
        c.ok(b"ENABLE QRESYNC")
        _, u = c.ok(b"SELECT INBOX (QRESYNC (%d %d))" % (validity, h0))
        expect(b"* VANISHED (EARLIER) 2:3" in u and has(u, rb"^\* 1 FETCH \(FLAGS \(\\Flagged\) UID 1 MODSEQ") and
               len(modseqs(u)) == 1, f"SELECT QRESYNC: {u}")
        # Known UIDs limit both answers; selecting again says [CLOSED].
        _, u = c.ok(b"SELECT INBOX (QRESYNC (%d %d 3:4))" % (validity, h0))
        expect(b"* VANISHED (EARLIER) 3" in u and not modseqs(u) and has(u, rb"\[CLOSED\]"), f"known UIDs: {u}")
        _, u = c.ok(b"EXAMINE INBOX (QRESYNC (%d %d))" % (validity + 1, h0))
        expect(not has(u, rb"VANISHED") and not modseqs(u), f"wrong UIDVALIDITY: {u}")
        _, u = c.ok(b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % h0)
        expect(u[0] == b"* VANISHED (EARLIER) 2:3" and len(u) == 2 and has(u, rb"UID 1 .*MODSEQ"),
               f"UID FETCH VANISHED: {u}")
        _, u = c.ok(b"UID FETCH 4 (FLAGS) (CHANGEDSINCE %d VANISHED)" % h0)
        expect(u == [], f"UID FETCH VANISHED outside the set: {u}")
        st, _ = c.cmd(b"FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)")
        expect(st.startswith(b"BAD"), f"VANISHED without UID: {st!r}")
        # Idling under QRESYNC: another session's expunge comes as VANISHED,
        # its flag change with UID and MODSEQ.
        c.ok(b"SELECT INBOX")
        c.send(b"i1 IDLE\r\n")
        expect(c.item().startswith(b"+"), "no + for IDLE")
        b.ok(b"STORE 1 -FLAGS.SILENT (\\Flagged)")
        expect(re.match(rb"^\* 1 FETCH \(FLAGS \(\) UID 1 MODSEQ \(\d+\)\)$", c.item(5)), "flags pushed in IDLE")
        b.ok(b"UID STORE 4 +FLAGS.SILENT (\\Deleted)")  # b's numbers are stale: by UID
        b.ok(b"UID EXPUNGE 4")
        got = [c.item(5)]
        while got[-1] != b"* VANISHED 4":
            expect(re.match(rb"^\* 2 FETCH .*UID 4 MODSEQ", got[-1]) and len(got) < 3, f"IDLE under QRESYNC: {got}")
            got.append(c.item(5))
        c.send(b"DONE\r\n")
        st, _ = c.until(b"i1")
        expect(st.startswith(b"OK"), f"DONE: {st!r}")
    with Server(env, "qresync-2", maildir=md) as srv:
        c = srv.login()
        c.ok(b"ENABLE QRESYNC")
        _, u = c.ok(b"SELECT INBOX (QRESYNC (%d %d))" % (validity, h0))
        expect(b"* VANISHED (EARLIER) 2:4" in u, f"tombstones after a restart: {u}")


BIN_MSG = (b"Subject: bin\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
           b"--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"Gr=C3=BC=C3=9Fe=\r\n soft\r\n"
           b"--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nplain\r\n--B--\r\n")
UU_MSG = b"Subject: uu\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n`\r\nend\r\n"
RAW_MSG = b"Subject: raw\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\r\n"


def binary_fetch(env):
    with Server(env, "binary") as srv:
        c = srv.login()
        append(c, b"INBOX", BIN_MSG)
        append(c, b"INBOX", UU_MSG)
        # APPEND with a literal8 holding NUL (RFC 3516 4.4): stored as sent.
        Imap.n += 1
        tag = b"t%d" % Imap.n
        c.send(tag + b" APPEND INBOX ~{%d}\r\n" % len(RAW_MSG))
        expect(c.item().startswith(b"+"), "no + for a literal8 APPEND")
        c.send(RAW_MSG + b"\r\n")
        st, _ = c.until(tag)
        expect(st.startswith(b"OK [APPENDUID"), f"literal8 APPEND: {st!r}")
        stored = [open(os.path.join(srv.maildir, "cur", n), "rb").read() for n in os.listdir(os.path.join(srv.maildir, "cur"))]
        expect(RAW_MSG in stored, f"literal8 APPEND not stored byte for byte: {stored}")
        c.ok(b"SELECT INBOX")
        _, u = c.ok(b"FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1] BINARY.PEEK[3])")
        expect(len(u) == 1, f"BINARY: {u}")
        line = u[0]
        expect(b"BINARY[2] ~{4}\r\n\x00\x01\x02\xff" in line and b"BINARY.SIZE[2] 4" in line and
               b"BINARY[1] ~{" in line and "Grüße soft".encode() in line and b"BINARY[3] \"plain\"" in line and
               b"FLAGS" not in line, f"BINARY items: {line!r}")
        _, u = c.ok(b"FETCH 1 (BINARY.PEEK[2]<1.2>)")
        expect(u == [b"* 1 FETCH (BINARY[2]<1> ~{2}\r\n\x01\x02)"], f"partial BINARY: {u}")
        _, u = c.ok(b"FETCH 1 (BINARY.PEEK[])")
        expect(b"Content-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02\xff\r\n--B" in u[0] and b"base64" not in u[0],
               f"BINARY[]: {u}")
        _, u = c.ok(b"FETCH 1 (BINARY[3])")
        expect(has(u, rb"\\Seen"), f"BINARY without PEEK sets \\Seen: {u}")
        st, u = c.cmd(b"FETCH 2 (BINARY.PEEK[1])")
        expect(st.startswith(b"NO [UNKNOWN-CTE]"), f"x-uuencode: {st!r} {u}")
        st, u = c.cmd(b"UID FETCH 1:* (BINARY.SIZE[1])")
        expect(st.startswith(b"NO [UNKNOWN-CTE]") and has(u, rb"BINARY.SIZE\[1\] 12") and
               has(u, rb"BINARY.SIZE\[1\] 4"), f"one message refused, the others answered: {st!r} {u}")


def big_body(env):
    """A 24 MiB message APPENDed and FETCHed: bytes exact, partial exact, and
    the server's memory does not grow by the message (both ways stream)."""
    line = b"line of a large message body, long enough to matter.........\r\n"
    data = b"Subject: big\r\n\r\n" + line * (24 * 1024 * 1024 // len(line))
    with Server(env, "big") as srv:
        c = srv.login()
        before = srv.rss_kib()
        st, _ = append(c, b"INBOX", data)
        expect(st.startswith(b"OK"), f"APPEND 24 MiB: {st!r}")
        c.ok(b"SELECT INBOX")
        st, u = c.ok(b"FETCH 1 BODY.PEEK[]", timeout=60)
        expect(len(u) == 1 and u[0].endswith(b"\r\n" + data + b")"), f"the body came back changed ({len(u[0])})")
        grew = srv.rss_kib() - before
        expect(grew < 8 * 1024, f"a 24 MiB APPEND and FETCH grew the server by {grew} KiB")
        st, u = c.ok(b"FETCH 1 BODY.PEEK[]<1000.20>")
        expect(u in ([b"* 1 FETCH (BODY[]<1000> {20}\r\n" + data[1000:1020] + b")"],
                     [b'* 1 FETCH (BODY[]<1000> "' + data[1000:1020] + b'")']), f"partial: {u}")


# ---------------------------------------------------------------- TLS and logins

def tls_wrap(c):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c.sock.settimeout(TIMEOUT)
    c.sock = ctx.wrap_socket(c.sock)


class TlsImap(Imap):
    def readable(self, timeout):
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        return super().readable(timeout)


def login_needs_tls(env):
    cert, key = make_cert(env.work)
    with Server(env, "needs-tls", "--tls-cert", cert, "--tls-key", key, plaintext=False) as srv:
        c = TlsImap(srv.port)
        c.line()
        _, u = c.ok(b"CAPABILITY")
        expect(b"LOGINDISABLED" in u[0] and b"STARTTLS" in u[0] and b"AUTH=PLAIN" not in u[0], f"before TLS: {u}")
        st, _ = c.cmd(f"LOGIN {USER} {PASS}".encode())
        expect(not st.startswith(b"OK"), f"LOGIN before TLS: {st!r}")
        c.ok(b"STARTTLS")
        tls_wrap(c)
        _, u = c.ok(b"CAPABILITY")
        expect(b"LOGINDISABLED" not in u[0] and b"AUTH=PLAIN" in u[0], f"after TLS: {u}")
        c.ok(f"LOGIN {USER} {PASS}".encode())
        c.ok(b"SELECT INBOX")


def starttls_injection(env):
    cert, key = make_cert(env.work)
    with Server(env, "injection", "--tls-cert", cert, "--tls-key", key) as srv:
        c = TlsImap(srv.port)
        c.line()
        c.send(b"a STARTTLS\r\nb NOOP\r\n")
        expect(c.item().startswith(b"a OK"), "STARTTLS refused")
        time.sleep(0.3)
        expect(b"b " not in c.buf, f"b NOOP answered in clear: {c.buf!r}")
        # The injected bytes were taken as the start of the TLS stream: the
        # handshake fails; in no case is "b" answered.
        try:
            tls_wrap(c)
            c.send(b"c NOOP\r\n")
            got = c.item(3) or b""
            expect(not got.startswith(b"b "), f"b answered after TLS: {got!r}")
        except (ssl.SSLError, OSError, TimeoutError, EOFError):
            pass
        d = srv.connect()  # the server is still serving
        d.ok(b"NOOP")


def idle_push(env):
    with Server(env, "idle") as srv:
        a, b = srv.login(), srv.login()
        append(a, b"INBOX", MSG)
        a.ok(b"SELECT INBOX")
        a.send(b"i1 IDLE\r\n")
        expect(a.item().startswith(b"+"), "no + for IDLE")
        append(b, b"INBOX", MSG2)
        expect(a.item(5) == b"* 2 EXISTS", "no EXISTS pushed to the idling session")
        b.ok(b"SELECT INBOX")
        b.ok(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
        b.ok(b"EXPUNGE")
        got = [a.item(5)]
        while got[-1] != b"* 1 EXPUNGE":
            expect(got[-1].startswith(b"* 1 FETCH (FLAGS"), f"no EXPUNGE pushed: {got}")
            got.append(a.item(5))
        a.send(b"DONE\r\n")
        st, _ = a.until(b"i1")
        expect(st.startswith(b"OK"), f"DONE: {st!r}")
        _, u = a.ok(b"FETCH 1:* UID")
        expect(len(u) == 1, f"after IDLE: {u}")


def expunge_rule(env):
    """RFC 9051 7.5.1: another session's expunge reaches this one at NOOP or
    a UID command, never in the answer to FETCH, STORE or SEARCH by number,
    whose numbers stay the ones the client knows until then."""
    with Server(env, "expunge-rule") as srv:
        a, b = srv.login(), srv.login()
        append(a, b"INBOX", MSG)
        append(a, b"INBOX", MSG2)
        a.ok(b"SELECT INBOX")
        b.ok(b"SELECT INBOX")
        b.ok(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
        b.ok(b"EXPUNGE")
        # Message 1 is gone from the disk: NO [EXPUNGEISSUED] for it (RFC
        # 9051 7.4.5's choice), message 2 still comes, no EXPUNGE.
        st, u = a.cmd(b"FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        expect(st.startswith(b"NO [EXPUNGEISSUED]") and not has(u, rb"EXPUNGE") and
               has(u, rb"(?s)^\* 2 FETCH .*Subject: second"), f"FETCH: {st!r} {u}")
        _, u = a.ok(b"SEARCH ALL")
        expect(u == [b"* SEARCH 2"] or u == [b"* SEARCH 1 2"], f"SEARCH: {u}")
        _, u = a.ok(b"NOOP")
        expect(b"* 1 EXPUNGE" in u, f"NOOP: {u}")
        _, u = a.ok(b"FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        expect(has(u, rb"(?s)^\* 1 FETCH .*Subject: second"), f"renumbered: {u}")


def folder_deleted(env):
    """A folder another session deletes: the sessions that selected it get
    "* BYE" (at their next command, or at once while idling) and no crash."""
    with Server(env, "folder-gone") as srv:
        a, b, c = srv.login(), srv.login(), srv.login()
        c.ok(b"CREATE Gone")
        append(c, b"Gone", MSG)
        a.ok(b"SELECT Gone")
        b.ok(b"SELECT Gone")
        b.send(b"i1 IDLE\r\n")
        expect(b.item().startswith(b"+"), "no + for IDLE")
        c.ok(b"DELETE Gone")
        got = b.item(5)
        expect(got is not None and got.startswith(b"* BYE"), f"the idling session: {got!r}")
        a.send(b"n1 NOOP\r\n")
        got = a.item(5)
        expect(got is not None and got.startswith(b"* BYE"), f"the other session: {got!r}")
        expect(a.eof(3) and b.eof(3), "not closed after BYE")
        c.ok(b"NOOP")


def idle_timeout(env):
    with Server(env, "timeout", "--idle-timeout", "2") as srv:
        c = srv.login()
        t0 = time.monotonic()
        got = c.item(8)
        expect(got is not None and got.startswith(b"* BYE"), f"no BYE at the timeout: {got!r}")
        expect(c.eof(3), "not closed after the BYE")
        expect(1.5 <= time.monotonic() - t0 <= 6, f"timed out after {time.monotonic() - t0:.1f} s")


def idle_rearms(env):
    """IDLE starts the autologout timer again (RFC 2177: a client re-issues
    IDLE to stay connected), and an idling session still times out."""
    with Server(env, "idle-rearm", "--idle-timeout", "2") as srv:
        c = srv.login()
        time.sleep(1.3)
        c.send(b"i1 IDLE\r\n")
        expect(c.item().startswith(b"+"), "no + for IDLE")
        t0 = time.monotonic()
        expect(not c.readable(1.2), f"closed {time.monotonic() - t0:.1f} s after IDLE began: not re-armed")
        got = c.item(4)
        expect(got is not None and got.startswith(b"* BYE"), f"no BYE for an idling session: {got!r}")
        expect(1.5 <= time.monotonic() - t0 <= 4, f"BYE {time.monotonic() - t0:.1f} s after IDLE")


def idle_drip(env):
    """Bytes dripped in never make a command: the timeout still comes."""
    with Server(env, "drip", "--idle-timeout", "2") as srv:
        c = srv.login()
        t0 = time.monotonic()
        got = None
        for ch in b"d1 NOOP and a very long tail that never ends":
            try:
                c.send(bytes([ch]))
            except OSError:
                break
            if c.readable(0.4):
                got = c.item(1)
                break
        expect(got is not None and got.startswith(b"* BYE"), f"no BYE while dripping: {got!r}")
        expect(time.monotonic() - t0 <= 6, f"dripping kept the session {time.monotonic() - t0:.1f} s")


def require_tls(env):
    cert, key = make_cert(env.work)
    with Server(env, "require-tls", "--tls-cert", cert, "--tls-key", key, "--require-tls", plaintext=False) as srv:
        c = srv.connect()
        _, u = c.ok(b"CAPABILITY")
        expect(b"STARTTLS" in u[0] and b"AUTH=" not in u[0], f"before TLS: {u}")
        for cmd in (f"LOGIN {USER} {PASS}".encode(), b"AUTHENTICATE SCRAM-SHA-256", b"AUTHENTICATE CRAM-MD5"):
            st, _ = c.cmd(cmd)
            expect(not st.startswith(b"OK"), f"{cmd!r} before TLS: {st!r}")
        c.ok(b"LOGOUT")


def max_message_size(env):
    with Server(env, "maxsize", "--max-message-size", "1000") as srv:
        c = srv.login()
        _, u = c.ok(b"CAPABILITY")
        expect(b"APPENDLIMIT=1000" in u[0], f"no APPENDLIMIT: {u}")
        c.send(b"x1 APPEND INBOX {1001}\r\n")
        got = c.item()
        expect(got.startswith(b"x1 NO [TOOBIG]"), f"a literal over the limit: {got!r}")
        c.send(b"x2 APPEND INBOX {1001+}\r\n" + b"a" * 1001 + b"\r\n")
        got = c.item()
        expect(got.startswith(b"x2 NO [TOOBIG]"), f"a LITERAL+ over the limit: {got!r}")
        st, _ = append(c, b"INBOX", b"x" * 998)
        expect(st.startswith(b"OK"), f"a message at the limit: {st!r}")
        c.ok(b"NOOP")


def max_connections(env):
    with Server(env, "maxconn", "--max-connections", "2") as srv:
        a, b = srv.connect(), srv.connect()
        c = Imap(srv.port)
        got = c.line()
        expect(got is not None and got.startswith(b"* BYE [UNAVAILABLE]"), f"the 3rd connection: {got!r}")
        a.close()
        time.sleep(0.3)
        d = srv.connect()
        d.ok(b"NOOP")
        b.close()


def fd_limit(env):
    """RLIMIT_NOFILE 64 and 90 clients: no spinning at the limit (CPU time
    stays low), and a waiting client is served once others leave."""
    with Server(env, "fdlimit", nofile=64) as srv:
        conns = [Imap(srv.port) for _ in range(90)]
        greeted, pending = [], list(conns)
        deadline = time.monotonic() + 2
        while pending and time.monotonic() < deadline:
            ready = select.select([c.sock for c in pending], [], [], 0.2)[0]
            for c in [c for c in pending if c.sock in ready]:
                g = c.line()
                expect(g is not None and g.startswith(b"* OK"), f"a greeting {g!r}")
                greeted.append(c)
                pending.remove(c)
        expect(pending and len(greeted) >= 40, f"{len(greeted)} greeted, {len(pending)} waiting: no limit reached")
        cpu0, t0 = cpu_seconds(srv.proc.pid), time.monotonic()
        time.sleep(2)
        busy = (cpu_seconds(srv.proc.pid) - cpu0) / (time.monotonic() - t0)
        expect(busy <= 0.1, f"the server used {busy:.0%} of a CPU at the descriptor limit")
        for c in greeted[:5]:
            c.cmd(b"LOGOUT")
            c.close()
        ready = select.select([c.sock for c in pending], [], [], 3)[0]
        expect(ready, "no waiting client was served after five left")
        c = next(c for c in pending if c.sock in ready)
        expect(c.line().startswith(b"* OK"), "no greeting for a waiting client")
        c.ok(f"LOGIN {USER} {PASS}".encode())
        greeted[5].ok(b"NOOP")
        for c in conns:
            c.close()


def log_escape(env):
    with Server(env, "log") as srv:
        c = srv.connect()
        name = '"a\\" x=<root" \u0085\u202e'.encode()
        c.send(b"l1 LOGIN {%d}\r\n" % len(name))
        expect(c.item().startswith(b"+"), "no + for a literal user name")
        c.send(name + b" wrong\r\n")
        c.until(b"l1")
        time.sleep(0.2)
        log = srv.stderr()
        lines = [l for l in log.splitlines() if "login attempt" in l]
        expect(lines and "\\u0085" in lines[-1] and "\\u202e" in lines[-1] and "<" not in lines[-1] and
               " x=" not in lines[-1], f"log line: {lines}")


# ---------------------------------------------------------------- security

def literal_bombs(env):
    with Server(env, "bombs") as srv:
        c = srv.connect()
        for lit in (b"{4294967295}", b"{18446744073709551616}", b"{99999999999999999999999}", b"{12ab}"):
            st, _ = c.cmd(b"LOGIN " + lit)
            expect(not st.startswith(b"OK") and not st.startswith(b"+"), f"before login {lit}: {st!r}")
        c.ok(f"LOGIN {USER} {PASS}".encode())
        for lit in (b"{4294967295}", b"{4294967295+}", b"{18446744073709551616}", b"{-1}"):
            c.send(b"b1 APPEND INBOX " + lit + b"\r\n")
            got = c.item()
            expect(not got.startswith(b"+"), f"{lit}: a continuation: {got!r}")
            if lit.endswith(b"+}"):
                break  # the body is owed: the server drains it or closes
        expect(srv.rss_kib() < 100 * 1024, f"memory after literal bombs: {srv.rss_kib()} KiB")
        d = srv.login()
        d.ok(b"NOOP")


def long_line(env):
    with Server(env, "longline") as srv:
        c = srv.login()
        before = srv.rss_kib()
        chunk = b"x" * (1 << 20)
        try:
            c.send(b"l1 NOOP ")
            for _ in range(32):
                c.send(chunk)
            c.send(b"\r\n")
        except OSError:
            pass  # closed on us: fine
        got = c.item()
        expect(got is None or b"BAD" in got or b"BYE" in got, f"a 32 MiB line: {got!r}")
        grew = srv.rss_kib() - before
        expect(grew < 16 * 1024, f"a 32 MiB line grew the server by {grew} KiB")
        srv.login().ok(b"NOOP")


def deep_search(env):
    with Server(env, "deep") as srv:
        c = srv.login()
        append(c, b"INBOX", MSG)
        c.ok(b"SELECT INBOX")
        st, _ = c.cmd(b"SEARCH " + b"(" * 3000 + b"ALL" + b")" * 3000)
        expect(st.startswith(b"BAD"), f"3,000-deep SEARCH: {st!r}")
        st, _ = c.cmd(b"SEARCH " + b"NOT " * 3000 + b"ALL")
        expect(st.startswith(b"BAD"), f"3,000 NOTs: {st!r}")
        c.ok(b"NOOP")


def traversal(env):
    with Server(env, "traversal") as srv:
        c = srv.login()
        for name in (b'"../x"', b'"a/b"', b'"/etc"', b"&AC4-&AC4-", b"a.&AC4-", b'"."', b'"a..b"', b'".."',
                     b'"x/../../y"', b'"&AC8-etc"'):
            for cmd in (b"CREATE ", b"SELECT ", b"RENAME INBOX ", b"DELETE "):
                st, _ = c.cmd(cmd + name)
                expect(not st.startswith(b"OK"), f"{cmd}{name}: {st!r}")
            st, _ = append(c, name, MSG)
            expect(not st.startswith(b"OK"), f"APPEND {name}: {st!r}")
        parent = os.path.dirname(srv.maildir)
        expect(sorted(os.listdir(parent)) == sorted(set(os.listdir(parent))) and
               not any(n in ("x", "y", "etc") for n in os.listdir(parent)), f"made outside: {os.listdir(parent)}")
        inside = [n for n in os.listdir(srv.maildir) if n.startswith(".")]
        expect(inside == [], f"folders made: {inside}")


def pipelining(env):
    with Server(env, "pipeline") as srv:
        c = srv.login()
        n = 20000
        data = b"".join(b"p%d NOOP\r\n" % i for i in range(n))
        c.sock.setblocking(False)
        sent = 0
        deadline = time.monotonic() + 10
        while sent < len(data) and time.monotonic() < deadline:
            try:
                sent += c.sock.send(data[sent:sent + 65536])
            except BlockingIOError:
                time.sleep(0.05)
        c.sock.setblocking(True)
        c.sock.settimeout(TIMEOUT)
        expect(srv.rss_kib() < 100 * 1024, f"memory with {n} pipelined commands: {srv.rss_kib()} KiB")
        if sent < len(data):  # back-pressure held the rest: send it now that we read
            import threading
            t = threading.Thread(target=lambda: c.sock.sendall(data[sent:]), daemon=True)
            t.start()
        last = b"p%d " % (n - 1)
        count = 0
        while True:
            it = c.item(20)
            expect(it is not None, f"EOF after {count} answers")
            if it.startswith(b"p"):
                count += 1
            if it.startswith(last):
                break
        expect(count == n, f"{count} answers to {n} commands")


def main():
    env, suite = start(__doc__, "--server")
    env.work = tempfile.mkdtemp(prefix="mailwire-imap-server-test-")
    c = suite.case
    c("help.lists_every_flag", help_lists_every_flag, env)
    c("help.bad_values_exit_2", help_bad_values, env)
    c("session.commands", session_commands, env)
    c("session.uids_survive_restart", uids_survive_restart, env)
    c("condstore.session", condstore_session, env)
    c("qresync.session", qresync_session, env)
    c("binary.fetch", binary_fetch, env)
    c("session.big_body", big_body, env)
    c("login.needs_tls", login_needs_tls, env)
    c("login.require_tls", require_tls, env)
    c("idle.push", idle_push, env)
    c("idle.timeout", idle_timeout, env)
    c("idle.dripping_command", idle_drip, env)
    c("idle.rearmed_by_idle", idle_rearms, env)
    c("idle.expunge_rule", expunge_rule, env)
    c("idle.folder_deleted", folder_deleted, env)
    c("max_message_size", max_message_size, env)
    c("max_connections", max_connections, env)
    c("fd_limit", fd_limit, env)
    c("log_escape", log_escape, env)
    c("security.starttls_injection", starttls_injection, env)
    c("security.literal_bombs", literal_bombs, env)
    c("security.long_line", long_line, env)
    c("security.deep_search", deep_search, env)
    c("security.traversal", traversal, env)
    c("security.pipelining", pipelining, env)
    return finish(suite, env.work)


if __name__ == "__main__":
    sys.exit(main())
