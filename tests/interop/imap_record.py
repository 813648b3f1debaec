#!/usr/bin/env python3
"""Records real IMAP sessions with Dovecot as test vectors for mailwire's IMAP
grammar (issue 13). Run by hand; the recorded files are committed.

    python3 tests/interop/imap_record.py --out tests/vectors/imap [--corpus DIR] [--keep] [-v]

What it does:
  1. starts a private Dovecot (IMAP only, on a free port on 127.0.0.1, plain
     text with STARTTLS offered) from its own config in a temporary directory;
     nothing under /etc is read or changed. Plugins and settings turn on every
     extension Debian 12's Dovecot 2.3 has: quota + imap_quota (QUOTA),
     imap_zlib (COMPRESS=DEFLATE), notify (NOTIFY), imap_metadata with a file
     attribute dict (METADATA), special-use mailboxes (SPECIAL-USE), the
     mailbox list index (LIST-STATUS without scanning);
  2. drives it over a raw socket (no imaplib: the exact bytes matter), one
     connection per area, waiting for the tagged response after each command
     and for the "+" continuation before the body of a synchronising literal,
     and writes each connection's bytes, in wire order, to OUT/dovecot/AREA.txt;
  3. APPENDs every message of the MIME corpora (CORPUS, default
     ../shared/corpus next to the repository, see OUT/README.md) to a mailbox
     per corpus set and stores Dovecot's untagged FETCH (UID ENVELOPE
     BODYSTRUCTURE BODY) response for each, exact bytes, in
     OUT/bodystructure/SET/NAME.txt, with OUT/bodystructure/index.tsv mapping
     source file -> vector (or the refusal). Without a corpus this step is
     skipped with a message.

Transcript format (OUT/dovecot/*.txt; tests/support/imap_transcript.hpp reads
it): a sequence of chunks, each a header line "C <len>\\n" (client to server)
or "S <len>\\n" (server to client), then exactly <len> raw bytes, then "\\n".
Between chunks, lines starting with "#" are comments and empty lines are
ignored. Concatenating the C chunks gives the client's byte stream and the S
chunks the server's, exactly (CRLF, literals, 8-bit, NUL). Each S chunk is one
whole server response (a line with any literals it announces); a C chunk is
what the client wrote in one go (a command line, or the part of it up to a
synchronising literal's "{n}\\r\\n", then the rest). After STARTTLS and
COMPRESS the chunks are the bytes inside the new layer (a comment marks the
switch).

Needs root (Dovecot drops privileges itself) and dovecot-imapd
(tests/interop/peers/install.sh). Only the Dovecot master this script starts
is stopped (TERM to its PID and process group), also on errors.
"""

import argparse
import base64
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 15.0
USER, PASSWORD = "testuser", "testpass"
MAIL_UID = MAIL_GID = 65534  # nobody:nogroup; Dovecot won't serve mail as root
VERBOSE = False


# ------------------------------------------------------------------ messages
# Test messages, CRLF, deterministic. Together they give a thread (1, 2, 5),
# a nested multipart with a message/rfc822 part (3), 8-bit UTF-8 text (4) and
# a binary part with NULs (6, appended as a literal8).

def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


MSG_KICKOFF = crlf("""\
Return-Path: <alice@example.org>
Date: Mon, 02 Jun 2025 10:00:00 +0000
From: Alice Example <alice@example.org>
Sender: Alice's Assistant <assistant@example.org>
Reply-To: alice+replies@example.org
To: Test User <testuser@test.example>, bob@example.net
Cc: "Carol, C." <carol@example.com>, team: dave@example.com, erin@example.com;
Subject: Project kickoff
Message-ID: <kickoff-1@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello all,
the kickoff is on Monday.
""")

MSG_REPLY = crlf("""\
Date: Mon, 02 Jun 2025 11:00:00 +0000
From: Bob <bob@example.net>
To: Alice Example <alice@example.org>
Cc: testuser@test.example
Subject: Re: Project kickoff
Message-ID: <reply-2@example.net>
In-Reply-To: <kickoff-1@example.org>
References: <kickoff-1@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii; format=flowed

Monday works for me.

> the kickoff is on Monday.
""")

PDF = b"%PDF-1.4\n%\xe4\xfc\xf6\xdf\n1 0 obj\n<</Type/Catalog>>\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n"

MSG_REPORT = crlf("""\
From: =?UTF-8?Q?Bj=C3=B6rn_M=C3=BCller?= <bjorn@example.net>
To: "Test User" <testuser@test.example>
Subject: =?UTF-8?B?UXVhcnRhbHNiZXJpY2h0?= Q2 report
Date: Tue, 03 Jun 2025 11:30:00 +0200
Message-ID: <report-3@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
Content-Language: en

This is the preamble.
--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe, the report is attached.
--alt
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable
Content-ID: <html-part@example.net>
Content-Description: HTML version

<p>Gr=C3=BC=C3=9Fe, the <b>report</b> is attached.</p>
--alt--
--outer
Content-Type: application/pdf; name="report.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf; size=%d
Content-MD5: %s
Content-Location: http://example.net/report.pdf

%s
--outer
Content-Type: message/rfc822
Content-Disposition: inline

From: Dave <dave@example.com>
To: bjorn@example.net
Subject: Forwarded note
Date: Mon, 02 Jun 2025 08:00:00 -0700
Message-ID: <fwd-note@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

The forwarded note.
--outer--
This is the epilogue.
""".replace("%d", str(len(PDF))).replace("%s", base64.b64encode(__import__("hashlib").md5(PDF).digest()).decode(), 1)
                 .replace("%s", base64.encodebytes(PDF).decode().strip(), 1))

MSG_UTF8 = crlf("""\
From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.de>
To: testuser@test.example
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=
Date: Wed, 04 Jun 2025 09:15:00 +0200
Message-ID: <utf8-4@example.de>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Grüße aus Köln! Schöne Grüße, Jürgen.
日本語のテキストも。
""")

MSG_REPLY2 = crlf("""\
Date: Tue, 03 Jun 2025 09:00:00 +0000
From: Alice Example <alice@example.org>
To: Bob <bob@example.net>
Subject: Re: Re: Project kickoff
Message-ID: <reply-5@example.org>
In-Reply-To: <reply-2@example.net>
References: <kickoff-1@example.org> <reply-2@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Great, see you Monday.
""")

MSG_BINARY = crlf("""\
From: Robot <robot@example.com>
To: testuser@test.example
Subject: binary part
Date: Thu, 05 Jun 2025 12:00:00 +0000
Message-ID: <binary-6@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=us-ascii

A binary part follows.
--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: binary

""") + b"\x00\x01\x02\xff\xfe BIN \x00 data" + crlf("""
--b--
""")

MSG_IDLE = crlf("""\
From: Late <late@example.com>
To: testuser@test.example
Subject: arrives during IDLE
Date: Fri, 06 Jun 2025 08:00:00 +0000
Message-ID: <idle-7@example.com>

Hello while you idle.
""")

SEED = [  # (flags, date, message) appended in append.txt
    ("(\\Seen)", '"02-Jun-2025 10:00:00 +0000"', MSG_KICKOFF),
    ("(\\Answered $Label1)", '"02-Jun-2025 11:00:05 +0000"', MSG_REPLY),
    (None, None, MSG_REPORT),
    ("(\\Flagged)", '"04-Jun-2025 09:15:00 +0200"', MSG_UTF8),
    ("(\\Seen \\Draft)", '" 3-Jun-2025 09:00:00 +0000"', MSG_REPLY2),
]


# ------------------------------------------------------------------ recording

class Lit:
    """A literal inside a command: kind 'sync' {n}, 'plus' {n+}, 'binary'
    ~{n} (synchronising), 'binary-plus' ~{n+}."""

    def __init__(self, data, kind="sync", length=None):
        """data None: only announced (`length` bytes); the server must
        refuse it before the '+'."""
        self.data, self.kind = data, kind
        self.length = len(data) if length is None else length

    def header(self):
        n = self.length
        return {"sync": f"{{{n}}}", "plus": f"{{{n}+}}", "binary": f"~{{{n}}}",
                "binary-plus": f"~{{{n}+}}"}[self.kind].encode()

    def sync(self):
        return self.kind in ("sync", "binary")


class Transcript:
    def __init__(self, title):
        self.items = []  # ("#", text) | ("C"/"S", bytes)
        self.comment(title)

    def comment(self, text):
        for line in text.splitlines():
            self.items.append(("#", line))

    def add(self, who, data):
        if VERBOSE:
            sys.stderr.write(f"{who}: {data[:300]!r}\n")
        self.items.append((who, data))

    def write(self, path):
        out = bytearray()
        for who, data in self.items:
            if who == "#":
                out += b"# " + data.encode() + b"\n" if data else b"#\n"
            else:
                out += f"{who} {len(data)}\n".encode() + data + b"\n"
        with open(path, "wb") as f:
            f.write(out)


class ServerGone(Exception):
    pass


class Conn:
    """One IMAP connection: writes commands, reads whole responses (a line
    and the literals it announces), records both directions."""

    LITERAL_AT_END = re.compile(rb"~?\{(\d+)\}\r\n$")

    def __init__(self, port, transcript, prefix="A"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.t = transcript
        self.buf = b""
        self.n = 0
        self.prefix = prefix
        self.inflate = self.deflate = None
        self.greeting = self.read()

    # -- layer
    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ServerGone(f"server closed the connection; unread {self.buf[:200]!r}")
        if self.inflate is not None:
            data = self.inflate.decompress(data)
        return data

    def _send(self, data):
        self.t.add("C", data)
        if self.deflate is not None:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def start_tls(self):
        assert not self.buf, self.buf
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.t.comment(f"--- TLS established ({self.sock.version()}): the chunks below are the bytes inside TLS")

    def start_compress(self):
        assert not self.buf, self.buf
        self.inflate = zlib.decompressobj(-15)
        self.deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self.t.comment("--- COMPRESS=DEFLATE active: the chunks below are the inflated bytes of both directions")

    # -- responses
    def read(self, timeout=TIMEOUT):
        """One whole server response, recorded; None on timeout."""
        self.sock.settimeout(timeout)
        pos = 0
        try:
            while True:
                i = self.buf.find(b"\r\n", pos)
                if i < 0:
                    pos = max(0, len(self.buf) - 1)
                    self.buf += self._recv()
                    continue
                m = self.LITERAL_AT_END.search(self.buf, 0, i + 2)
                if m and m.end() == i + 2:
                    need = i + 2 + int(m.group(1))
                    while len(self.buf) < need:
                        self.buf += self._recv()
                    pos = need
                    continue
                msg, self.buf = self.buf[:i + 2], self.buf[i + 2:]
                self.t.add("S", msg)
                return msg
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(TIMEOUT)

    def until(self, done, timeout=TIMEOUT):
        got = []
        end = time.monotonic() + timeout
        while True:
            msg = self.read(max(0.1, end - time.monotonic()))
            if msg is None:
                raise TimeoutError(f"no expected response; got {got[-3:]!r}")
            got.append(msg)
            if done(msg):
                return got

    # -- commands
    def tag(self):
        self.n += 1
        return f"{self.prefix}{self.n:03d}"

    def cmd(self, *parts, tag=None):
        """Sends `tag parts... CRLF` (str parts are joined with the bytes as
        given; Lit parts become literals) and returns the responses up to the
        tagged one. A synchronising literal waits for '+'; if the tagged
        response comes instead (a refused literal), the rest is not sent."""
        tag = tag or self.tag()
        btag = tag.encode()
        out = btag + b" "
        for p in parts:
            if isinstance(p, Lit):
                out += p.header() + b"\r\n"
                if p.sync():
                    self._send(out)
                    out = b""
                    got = self.until(lambda m: m.startswith(b"+") or m.startswith(btag + b" "))
                    if got[-1].startswith(btag + b" "):
                        return got
                    if p.data is None:
                        raise AssertionError(f"{tag}: the server accepted a literal meant to be refused")
                out += p.data
            else:
                out += p if isinstance(p, bytes) else p.encode()
        self._send(out + b"\r\n")
        return self.until(lambda m: m.startswith(btag + b" "))

    def raw(self, data, done=None, timeout=TIMEOUT):
        """Sends bytes as they are; reads until `done` (or for `timeout`
        seconds when done is None)."""
        self._send(data)
        if done is None:
            got = []
            while True:
                m = self.read(timeout)
                if m is None:
                    return got
                got.append(m)
        return self.until(done, timeout)

    def drain(self, timeout=3.0):
        """Reads responses until the server closes or is silent for
        `timeout` seconds; True if it closed."""
        while True:
            try:
                if self.read(timeout) is None:
                    return False
            except (ServerGone, ConnectionError):
                self.t.comment("--- the server closed the connection")
                return True

    def login(self):
        r = self.cmd(f"LOGIN {USER} {PASSWORD}")
        ok(r)

    def logout(self):
        self.cmd("LOGOUT")
        self.sock.close()


def logged_in(port, title):
    """A new recorded connection, logged in with LOGIN."""
    t = Transcript(title)
    c = Conn(port, t)
    c.login()
    return t, c


def ok(responses):
    last = responses[-1]
    if b" OK " not in last[:20]:
        raise AssertionError(f"expected OK, got {last!r}")
    return responses


def find(responses, pattern):
    for r in responses:
        m = re.search(pattern, r)
        if m:
            return m
    raise AssertionError(f"{pattern!r} not in {responses!r}")


# ------------------------------------------------------------------ Dovecot

class Dovecot:
    """A private Dovecot in `work`: IMAP on 127.0.0.1:self.port."""

    def __init__(self, work):
        self.work = work
        self.proc = None
        self.home = os.path.join(work, "home", USER)
        self.maildir = os.path.join(self.home, "Maildir")
        os.makedirs(self.maildir, exist_ok=True)
        for d in (work, os.path.join(work, "home")):
            os.chmod(d, 0o755)
        subprocess.run(["chown", "-R", f"{MAIL_UID}:{MAIL_GID}", os.path.join(work, "home")], check=True)
        self.cert, self.key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", self.key, "-out", self.cert], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("openssl req: " + p.stderr[-500:])
        users = os.path.join(work, "users")
        with open(users, "w") as f:
            f.write(f"{USER}:{{PLAIN}}{PASSWORD}:{MAIL_UID}:{MAIL_GID}::{self.home}::\n")
        shutil.chown(users, group="dovecot")
        os.chmod(users, 0o640)
        self.log = os.path.join(work, "dovecot.log")

    # SPECIAL-USE mailboxes: (name, auto); "subscribe" ones show up in LSUB
    SPECIAL = [("Drafts", "subscribe"), ("Sent", "subscribe"), ("Trash", "create"), ("Junk", "create"),
               ("Archive", "subscribe")]

    def config(self, port):
        w = self.work
        special = "".join(f"  mailbox {name} {{\n    special_use = \\{name}\n    auto = {auto}\n  }}\n"
                          for name, auto in self.SPECIAL)
        return f"""\
# written by tests/interop/imap_record.py; nothing from /etc/dovecot is read
base_dir = {w}/run
state_dir = {w}/state
instance_name = mailwire-imap-record-{os.getpid()}
log_path = {self.log}
protocols = imap
listen = 127.0.0.1
# STARTTLS offered, cleartext LOGIN allowed (loopback only)
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mailbox_list_index = yes
first_valid_uid = {MAIL_UID}
last_valid_uid = {MAIL_UID}
# IDLE: notice the other connection's changes within a second
mailbox_idle_check_interval = 1 secs
# QUOTA (quota + imap_quota), NOTIFY (notify), COMPRESS=DEFLATE (imap_zlib)
mail_plugins = quota notify
protocol imap {{
  mail_plugins = $mail_plugins imap_quota imap_zlib
}}
plugin {{
  quota = maildir:User quota
  quota_rule = *:storage=100M:messages=1000
  quota_max_mail_size = 10M
}}
# METADATA
imap_metadata = yes
mail_attribute_dict = file:%h/dovecot-attributes
namespace inbox {{
  inbox = yes
  separator = /
{special}}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {w}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {w}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# no penalty delay after the failed logins the sessions provoke
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

    def start(self):
        for attempt in range(3):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            conf = os.path.join(self.work, "dovecot.conf")
            with open(conf, "w") as f:
                f.write(self.config(self.port))
            open(self.log, "w").close()
            # -F: stays in the foreground, so self.proc.pid is the master;
            # its own session, so its children can be signalled with it
            self.proc = subprocess.Popen(["dovecot", "-F", "-c", conf], stdin=subprocess.DEVNULL,
                                         stdout=open(self.log + ".out", "w"), stderr=subprocess.STDOUT,
                                         start_new_session=True)
            end = time.monotonic() + 15
            while time.monotonic() < end and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                except OSError:
                    time.sleep(0.05)
            self.stop()
            with open(self.log) as f:
                log = f.read()
            if "in use" not in log:
                raise RuntimeError("dovecot did not start:\n" + log[-2000:])
        raise RuntimeError("dovecot: no free port after 3 tries")

    def version(self):
        return subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


# ------------------------------------------------------------------ sessions
# Each takes the port and returns a Transcript. They run in this order on one
# Dovecot; later ones rely on what earlier ones left (the seed messages).

def session_append(port):
    t, c = logged_in(port, "APPEND: flags and date-time, synchronising and non-synchronising (LITERAL+) literals, "
                           "MULTIAPPEND, literal8 (BINARY), CATENATE with URL and TEXT parts, APPENDUID, refusals")
    f, d, m = SEED[0]
    t.comment("flags + date, synchronising literal: the client waits for '+'")
    r = ok(c.cmd(f"APPEND INBOX {f} {d} ", Lit(m)))
    uidvalidity = int(find(r, rb"\[APPENDUID (\d+) ").group(1))
    t.comment("non-synchronising literal {n+}: sent at once")
    f, d, m = SEED[1]
    ok(c.cmd(f"APPEND INBOX {f} {d} ", Lit(m, "plus")))
    t.comment("no flags, no date")
    ok(c.cmd("APPEND INBOX ", Lit(SEED[2][2])))
    t.comment("MULTIAPPEND: two messages in one command (the second date has a leading space in the day)")
    (f1, d1, m1), (f2, d2, m2) = SEED[3], SEED[4]
    ok(c.cmd(f"APPEND INBOX {f1} {d1} ", Lit(m1), f" {f2} {d2} ", Lit(m2)))
    t.comment("literal8 ~{n} (BINARY): a message with NUL bytes")
    ok(c.cmd('APPEND INBOX (\\Seen) "05-Jun-2025 12:00:00 +0000" ', Lit(MSG_BINARY, "binary")))
    t.comment("CATENATE: header of message 3 by URL, a TEXT part, and a partial URL (URL-PARTIAL)")
    ok(c.cmd(f'APPEND Drafts (\\Draft) CATENATE (URL "/INBOX;UIDVALIDITY={uidvalidity}/;UID=1/;SECTION=HEADER" '
             f'TEXT ', Lit(b"Catenated text.\r\n"),
             ' URL "/INBOX/;UID=1/;SECTION=TEXT" URL "/INBOX/;UID=2/;SECTION=TEXT/;PARTIAL=0.12")'))
    t.comment("CATENATE with a non-synchronising TEXT literal, several TEXT parts")
    ok(c.cmd("APPEND Drafts CATENATE (TEXT ", Lit(b"Subject: built\r\n\r\n", "plus"),
             " TEXT ", Lit(b"body\r\n", "plus"), ")"))
    t.comment("refusals: an unknown mailbox (synchronising literal, then non-synchronising), "
              "a bad URL, a bad date, a bad flag")
    c.cmd("APPEND NoSuchBox ", Lit(MSG_IDLE))
    c.cmd("APPEND NoSuchBox (\\Seen) ", Lit(MSG_IDLE, "plus"))
    c.cmd('APPEND Drafts CATENATE (URL "/NoSuchBox/;UID=1")')
    t.comment("a date-time that does not exist: Dovecot 2.3 accepts it")
    c.cmd('APPEND Drafts "31-Feb-2025 99:00:00 +0000" ', Lit(MSG_IDLE, "plus"))
    c.cmd('APPEND Drafts "2025-06-02 10:00:00" ', Lit(MSG_IDLE))
    t.comment("an empty literal, sizes over quota_max_mail_size (10M) refused before the '+'")
    c.cmd("APPEND Drafts ", Lit(b"", "plus"))
    c.cmd("APPEND Drafts ", Lit(None, length=20000000))
    c.cmd("APPEND Drafts ", Lit(None, length=4294967296))
    c.logout()
    return t


def session_basics(port):
    t = Transcript("Not authenticated and authenticated state: CAPABILITY, NOOP, ID, failed LOGIN, LOGIN with a "
                   "literal, ENABLE, NAMESPACE, unknown and malformed commands, LOGOUT")
    c = Conn(port, t)
    c.cmd("CAPABILITY")
    c.cmd("NOOP")
    c.cmd('ID ("name" "mailwire-recorder" "version" "0.1" "os" NIL)')
    c.cmd("ID NIL")
    c.cmd("LOGIN testuser wrongpass")
    c.cmd("SELECT INBOX")
    t.comment("LOGIN with a synchronising literal for the user name and a quoted password")
    c.cmd("LOGIN ", Lit(USER.encode()), f' "{PASSWORD}"')
    c.cmd("CAPABILITY")
    c.cmd("ENABLE CONDSTORE")
    c.cmd("ENABLE QRESYNC UTF8=ACCEPT X-UNKNOWN")
    c.cmd("ENABLE CONDSTORE")
    c.cmd("NAMESPACE")
    c.cmd('ID ("name" "mailwire-recorder")')
    c.cmd("NOOP")
    c.cmd("LOGIN testuser testpass")
    t.comment("errors: unknown command, missing argument, commands that need a selected mailbox, "
              "bad syntax, an 8-bit atom, an unbalanced list, a bare tag")
    c.cmd("XYZZY")
    c.cmd("SELECT")
    c.cmd("FETCH 1 FLAGS")
    c.cmd("CHECK")
    c.cmd("EXPUNGE")
    c.cmd("CREATE \"unterminated")
    c.cmd("LIST \"\" (")
    c.cmd("STATUS INBOX (MESSAGES")
    c.cmd(b"SELECT \xc3\xa4")
    c.cmd("NOOP extra")
    t.comment("a line with only a tag, an empty line, an invalid tag (Dovecot answers untagged)")
    c.raw(b"A900\r\n", lambda m: m.startswith(b"A900 "))
    c.raw(b"\r\n", None, timeout=1.0)
    c.raw(b"* NOOP\r\n", lambda m: m.startswith(b"* BAD") or m.startswith(b"* "), timeout=5)
    c.raw(b"+ NOOP\r\n", lambda m: b"BAD" in m, timeout=5)
    c.logout()
    return t


def session_auth(port):
    t = Transcript("AUTHENTICATE: SASL-IR with a wrong password, a cancelled exchange, LOGIN mechanism with a "
                   "wrong password, then PLAIN with an empty initial continuation; LOGOUT")
    c = Conn(port, t)
    bad = base64.b64encode(f"\0{USER}\0nope".encode()).decode()
    good = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode())
    c.cmd(f"AUTHENTICATE PLAIN {bad}")
    tag = c.tag()
    c.raw(f"{tag} AUTHENTICATE PLAIN\r\n".encode(), lambda m: m.startswith(b"+"))
    c.raw(b"*\r\n", lambda m: m.startswith(tag.encode() + b" "))
    tag = c.tag()
    c.raw(f"{tag} AUTHENTICATE LOGIN\r\n".encode(), lambda m: m.startswith(b"+"))
    c.raw(base64.b64encode(USER.encode()) + b"\r\n", lambda m: m.startswith(b"+"))
    c.raw(base64.b64encode(b"nope") + b"\r\n", lambda m: m.startswith(tag.encode() + b" "))
    tag = c.tag()
    c.raw(f"{tag} AUTHENTICATE UNKNOWN-MECH\r\n".encode(), lambda m: m.startswith(tag.encode() + b" "))
    tag = c.tag()
    c.raw(f"{tag} AUTHENTICATE PLAIN\r\n".encode(), lambda m: m.startswith(b"+"))
    c.raw(good + b"\r\n", lambda m: m.startswith(tag.encode() + b" "))
    c.cmd("AUTHENTICATE PLAIN " + good.decode())
    c.logout()
    return t


def session_starttls(port):
    t = Transcript("STARTTLS, then CAPABILITY and AUTHENTICATE PLAIN with SASL-IR inside TLS; LOGOUT")
    c = Conn(port, t)
    c.cmd("CAPABILITY")
    ok(c.cmd("STARTTLS"))
    c.start_tls()
    c.cmd("CAPABILITY")
    c.cmd("STARTTLS")
    c.cmd("AUTHENTICATE PLAIN " + base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode())
    c.logout()
    return t


def session_mailboxes(port):
    t, c = logged_in(port, "Mailboxes: LIST (RFC 3501, LIST-EXTENDED selection and return options, LIST-STATUS, "
                           "SPECIAL-USE), LSUB, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS, modified UTF-7 "
                           "names, GETQUOTAROOT/GETQUOTA, SETMETADATA/GETMETADATA, refusals")
    c.cmd('LIST "" ""')
    c.cmd('LIST "" *')
    c.cmd('LIST "" %')
    c.cmd("CREATE Projects/2025/Q1")
    c.cmd("CREATE Projects/2024/")
    c.cmd('CREATE "Old Mail"')
    c.cmd("CREATE ", Lit("Entw&APw-rfe".encode()))
    c.cmd("CREATE Caf&AOk-/Men&APw-")
    c.cmd("CREATE Projects/2025")
    c.cmd("CREATE INBOX")
    c.cmd("CREATE Receipts (USE (\\Archive))")
    c.cmd("CREATE Bad&name")
    c.cmd('LIST "" "Projects/*"')
    c.cmd('LIST "Projects/" %')
    c.cmd('LIST "" "*r*"')
    c.cmd('LIST "" Entw*')
    c.cmd("SUBSCRIBE Projects/2025")
    c.cmd("SUBSCRIBE Projects/2025/Q1")
    c.cmd("SUBSCRIBE Ghost")
    c.cmd("UNSUBSCRIBE Projects/2025")
    c.cmd('LSUB "" *')
    c.cmd('LSUB "" %')
    t.comment("LIST-EXTENDED: selection options, several patterns, return options, CHILDINFO")
    c.cmd('LIST (SUBSCRIBED) "" *')
    c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" %')
    c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (CHILDREN)')
    c.cmd('LIST (REMOTE) "" %')
    c.cmd('LIST (SPECIAL-USE) "" *')
    c.cmd('LIST "" * RETURN (SPECIAL-USE)')
    c.cmd('LIST "" (INBOX "Projects/*" Sent)')
    c.cmd('LIST () "" % RETURN ()')
    c.cmd('LIST "" % RETURN (SUBSCRIBED CHILDREN)')
    t.comment("LIST-STATUS")
    c.cmd('LIST "" % RETURN (STATUS (MESSAGES UNSEEN UIDNEXT))')
    c.cmd('LIST (SUBSCRIBED) "" * RETURN (CHILDREN STATUS (MESSAGES RECENT UIDVALIDITY SIZE HIGHESTMODSEQ))')
    c.cmd('LIST (BOGUS) "" %')
    t.comment("STATUS: every item Dovecot has, then DELETED and APPENDLIMIT (not in Dovecot 2.3), refusals")
    c.cmd("STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    c.cmd("STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)")
    c.cmd("STATUS INBOX (DELETED)")
    c.cmd('STATUS "Entw&APw-rfe" (MESSAGES)')
    c.cmd("STATUS INBOX (APPENDLIMIT)")
    c.cmd("STATUS INBOX ()")
    c.cmd("STATUS NoSuchBox (MESSAGES)")
    t.comment("RENAME and DELETE, with refusals")
    c.cmd('RENAME "Old Mail" "Older Mail"')
    c.cmd("RENAME NoSuchBox Other")
    c.cmd("RENAME Projects/2024 Projects/2025")
    c.cmd("RENAME Projects Work/Projects")
    c.cmd('LIST "" Work/*')
    c.cmd('DELETE "Older Mail"')
    c.cmd("DELETE NoSuchBox")
    c.cmd("DELETE INBOX")
    c.cmd("DELETE Work")
    c.cmd("DELETE Work/Projects/2024")
    c.cmd('LIST "" Work/*')
    t.comment("QUOTA")
    c.cmd("GETQUOTAROOT INBOX")
    c.cmd('GETQUOTA "User quota"')
    c.cmd('GETQUOTA "no such root"')
    c.cmd('SETQUOTA "User quota" (STORAGE 1000)')
    c.cmd("GETQUOTAROOT NoSuchBox")
    t.comment("METADATA")
    c.cmd('SETMETADATA INBOX (/private/comment "My own comment")')
    c.cmd('SETMETADATA "" (/private/vendor/mailwire/note ', Lit("two\r\nlines ünïcode".encode()),
          ' /private/vendor/mailwire/empty "")')
    c.cmd('SETMETADATA "" (/shared/comment "server-wide")')
    c.cmd("GETMETADATA INBOX /private/comment")
    c.cmd('GETMETADATA INBOX (/private/comment /shared/comment /private/nothing)')
    c.cmd('GETMETADATA "" /private/vendor/mailwire/note')
    c.cmd('GETMETADATA (DEPTH infinity) "" (/private /shared)')
    c.cmd('GETMETADATA (MAXSIZE 5) "" /private/vendor/mailwire/note')
    c.cmd('GETMETADATA (DEPTH 1 MAXSIZE 1024) INBOX /private')
    c.cmd("SETMETADATA INBOX (/private/comment NIL)")
    c.cmd("GETMETADATA INBOX /private/comment")
    c.cmd('SETMETADATA INBOX (/bogus/comment "x")')
    c.cmd("GETMETADATA NoSuchBox /private/comment")
    c.logout()
    return t


def session_select(port):
    t, c = logged_in(port, "SELECT and EXAMINE: plain, (CONDSTORE), QRESYNC with VANISHED (EARLIER), [CLOSED], "
                           "UID FETCH CHANGEDSINCE ... VANISHED, CHECK, CLOSE, UNSELECT, read-only refusals")
    c.cmd("SELECT INBOX")
    c.cmd("CHECK")
    c.cmd("EXAMINE INBOX")
    c.cmd("STORE 1 +FLAGS (\\Flagged)")
    c.cmd("EXPUNGE")
    c.cmd("UNSELECT")
    c.cmd("SELECT INBOX (CONDSTORE)")
    c.cmd("CLOSE")
    c.cmd("CLOSE")
    c.cmd("SELECT NoSuchBox")
    t.comment("a mailbox to resynchronise: copy 5 messages, note HIGHESTMODSEQ, then change and expunge")
    c.cmd("CREATE Resync")
    c.cmd("SELECT INBOX")
    c.cmd("COPY 1:5 Resync")
    r = ok(c.cmd("SELECT Resync"))
    uidvalidity = int(find(r, rb"\[UIDVALIDITY (\d+)\]").group(1))
    modseq = int(find(r, rb"\[HIGHESTMODSEQ (\d+)\]").group(1))
    c.cmd("STORE 1 +FLAGS (\\Seen $Done)")
    c.cmd("UID STORE 2,4 +FLAGS (\\Deleted)")
    c.cmd("EXPUNGE")
    c.cmd("UNSELECT")
    t.comment("QRESYNC: ENABLE first, then SELECT with the known state (and a known-UIDs set with a "
              "sequence match), a SELECT while selected gives [CLOSED]")
    c.cmd("ENABLE QRESYNC")
    c.cmd(f"SELECT Resync (QRESYNC ({uidvalidity} {modseq}))")
    c.cmd(f"EXAMINE Resync (QRESYNC ({uidvalidity} {modseq} 1:5 (1,3 1,3)))")
    c.cmd(f"SELECT Resync (QRESYNC ({uidvalidity + 1} {modseq}))")
    c.cmd(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq} VANISHED)")
    c.cmd(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq})")
    c.cmd(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq + 1000} VANISHED)")
    c.cmd("STORE 1 -FLAGS ($Done)")
    c.cmd("UID STORE 1 +FLAGS.SILENT (\\Deleted)")
    c.cmd("EXPUNGE")
    c.cmd("SELECT INBOX (CONDSTORE)")
    c.logout()
    return t


def session_fetch(port):
    t, c = logged_in(port, "FETCH: every data item and macro, sections and partials, BINARY, MODSEQ, PREVIEW, "
                           "refusals (OBJECTID's EMAILID/THREADID are not in Dovecot 2.3)")
    c.cmd("EXAMINE INBOX")
    c.cmd("FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE)")
    c.cmd("FETCH 1:* ENVELOPE")
    c.cmd("FETCH 1:* BODY")
    c.cmd("FETCH 1:* BODYSTRUCTURE")
    c.cmd("FETCH 1:2 ALL")
    c.cmd("FETCH 3 FAST")
    c.cmd("FETCH 3 FULL")
    c.cmd("UID FETCH 2:* (FLAGS)")
    c.cmd("FETCH 1 BODY[]")
    c.cmd("FETCH 3 (BODY.PEEK[HEADER.FIELDS (From Subject Date)] BODY.PEEK[HEADER.FIELDS.NOT (Message-ID "
          "Content-Type MIME-Version)])")
    c.cmd("FETCH 3 (BODY.PEEK[1.2.MIME] BODY.PEEK[1.2] BODY.PEEK[1.1])")
    c.cmd("FETCH 3 (BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT] BODY.PEEK[3.1] BODY.PEEK[3.MIME] BODY.PEEK[3])")
    c.cmd("FETCH 3 (BODY.PEEK[3.HEADER.FIELDS (Subject)] BODY.PEEK[2.MIME] BODY.PEEK[1.MIME])")
    c.cmd("FETCH 3 (BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.60>)")
    c.cmd("FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<5.20> BODY.PEEK[1]<0.100000> BODY.PEEK[]<100000.10>)")
    c.cmd("FETCH 3 BODY.PEEK[9]")
    c.cmd("FETCH 4 (BODY.PEEK[1] BODY.PEEK[TEXT])")
    t.comment("BINARY: decoded content (8bit, quoted-printable, base64, binary with NULs as literal8), sizes, "
              "partial")
    c.cmd("FETCH 4 (BINARY.PEEK[1] BINARY.SIZE[1])")
    c.cmd("FETCH 3 (BINARY.PEEK[1.1] BINARY.SIZE[1.1] BINARY.PEEK[2] BINARY.SIZE[2])")
    c.cmd("FETCH 3 BINARY.PEEK[2]<0.4>")
    c.cmd("FETCH 6 (BINARY.PEEK[2] BINARY.SIZE[2] BODY.PEEK[2])")
    c.cmd("FETCH 3 BINARY.PEEK[1]")
    c.cmd("FETCH 3 BINARY.PEEK[]")
    t.comment("RFC822 items, MODSEQ (which turns CONDSTORE on), PREVIEW/SNIPPET, SAVEDATE")
    c.cmd("FETCH 2 (RFC822.HEADER RFC822.TEXT)")
    c.cmd("FETCH 5 RFC822.SIZE")
    c.cmd("FETCH 1:3 (MODSEQ)")
    c.cmd("FETCH 1:* (UID MODSEQ FLAGS)")
    c.cmd("FETCH 1:4 PREVIEW")
    c.cmd("FETCH 1 (PREVIEW (LAZY))")
    c.cmd("FETCH 3 (SNIPPET (FUZZY))")
    c.cmd("FETCH 1 SAVEDATE")
    c.cmd("FETCH 1 (EMAILID THREADID)")
    c.cmd("FETCH 1 X-GM-MSGID")
    c.cmd("FETCH 99 FLAGS")
    c.cmd("UID FETCH 999 FLAGS")
    c.cmd("FETCH 1 BODY[HEADER.FIELDS ()]")
    c.cmd("FETCH 1 (FLAGS")
    c.cmd("FETCH * (UID)")
    c.cmd("FETCH 1,3:4,*:5 (UID)")
    t.comment("now read-write: BODY[] and RFC822 set \\Seen (an untagged FLAGS comes with the data)")
    c.cmd("SELECT INBOX")
    c.cmd("FETCH 3 (RFC822)")
    c.cmd("FETCH 4 BODY[1]")
    c.cmd("STORE 3:4 -FLAGS (\\Seen)")
    c.logout()
    return t


def session_store(port):
    t, c = logged_in(port, "STORE and UID STORE: FLAGS, +FLAGS, -FLAGS, .SILENT, keywords, UNCHANGEDSINCE with "
                           "[MODIFIED], refusals")
    c.cmd("SELECT INBOX (CONDSTORE)")
    c.cmd("STORE 1 +FLAGS (\\Flagged)")
    c.cmd("STORE 1 -FLAGS.SILENT (\\Flagged)")
    c.cmd("STORE 2 FLAGS ($Important \\Seen)")
    c.cmd("STORE 2 FLAGS.SILENT ($Important \\Answered)")
    c.cmd("UID STORE 1:3 +FLAGS (Project-X)")
    c.cmd("UID STORE 1:3 -FLAGS Project-X")
    c.cmd("STORE 1:2 +FLAGS \\Flagged")
    c.cmd("STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Deleted)")
    r = c.cmd("FETCH 2 (MODSEQ)")
    modseq = int(find(r, rb"MODSEQ \((\d+)\)").group(1))
    c.cmd(f"UID STORE 2 (UNCHANGEDSINCE {modseq}) FLAGS ($Important)")
    c.cmd(f"STORE 1:2 (UNCHANGEDSINCE {modseq}) -FLAGS (\\Flagged)")
    c.cmd("STORE 1 +FLAGS (\\Recent)")
    c.cmd("STORE 1 +FLAGS (\\Bogus)")
    c.cmd("STORE 1 FROB (\\Seen)")
    c.cmd("STORE 1:2 -FLAGS ($Important \\Flagged)")
    c.cmd("STORE 2 +FLAGS (\\Answered)")
    c.logout()
    return t


def session_search(port):
    t, c = logged_in(port, "SEARCH, UID SEARCH (many keys, nesting, CHARSET with a literal), ESEARCH RETURN options, "
                           "SEARCHRES $, WITHIN, MODSEQ, SORT (incl. DISPLAY and ESORT), THREAD, refusals")
    c.cmd("SELECT INBOX")
    for keys in [
        "ALL", "UNSEEN", "SEEN", "ANSWERED", "UNANSWERED", "FLAGGED", "UNFLAGGED", "DRAFT", "UNDRAFT",
        "DELETED", "UNDELETED", "NEW", "OLD", "RECENT",
        "FROM alice", 'SUBJECT "Project kickoff"', "TO bob", "CC carol", "BCC nobody",
        'HEADER Message-ID "<kickoff-1@example.org>"', "HEADER In-Reply-To \"\"", "BODY Monday",
        "TEXT catalog", "KEYWORD $Label1", "UNKEYWORD $Label1",
        "LARGER 1000", "SMALLER 1000", "UID 2:4", "2:4", "1,3,*",
        "BEFORE 4-Jun-2025", "ON 2-Jun-2025", "SINCE 3-Jun-2025", "SENTBEFORE 3-Jun-2025",
        "SENTON 3-Jun-2025", "SENTSINCE 3-Jun-2025",
        "OR FROM alice FROM bob", "NOT SEEN", "OR (FROM alice SEEN) (TO bob NOT DRAFT)",
        "(OR (OR FROM alice FROM bob) FROM juergen) NOT (DELETED) SINCE 1-Jan-2020",
        "NOT (OR (NOT (OR (NOT SEEN) (NOT (ANSWERED)))) (FLAGGED))",
        "YOUNGER 3600000000", "OLDER 1", "SAVEDBEFORE 1-Jan-2100", "SAVEDSINCE 1-Jan-2000",
        "SAVEDATESUPPORTED",
        "MODSEQ 1", 'MODSEQ "/flags/\\\\Seen" all 1',
    ]:
        c.cmd("SEARCH " + keys)
    c.cmd("UID SEARCH FROM alice")
    c.cmd("UID SEARCH UID 1:*")
    t.comment("CHARSET: UTF-8 with a synchronising literal, ISO-8859-1 as a quoted string, an unknown "
              "charset ([BADCHARSET])")
    c.cmd("SEARCH CHARSET UTF-8 BODY ", Lit("Grüße".encode()))
    c.cmd("SEARCH CHARSET UTF-8 SUBJECT ", Lit("Köln".encode(), "plus"))
    c.cmd(b"SEARCH CHARSET ISO-8859-1 BODY \"Gr\xfc\xdfe\"")
    c.cmd("SEARCH CHARSET X-NO-SUCH-CHARSET BODY x")
    t.comment("ESEARCH RETURN options, SEARCHRES (SAVE, then $)")
    c.cmd("SEARCH RETURN (MIN MAX COUNT ALL) ALL")
    c.cmd("SEARCH RETURN () FROM alice")
    c.cmd("SEARCH RETURN (COUNT) NOT ALL")
    c.cmd("SEARCH RETURN (MIN MAX) NOT ALL")
    c.cmd("UID SEARCH RETURN (ALL COUNT) 1:*")
    c.cmd("UID SEARCH RETURN (MIN MAX COUNT ALL) CHARSET UTF-8 TEXT ", Lit("Köln".encode()))
    c.cmd("SEARCH RETURN (SAVE) FROM alice")
    c.cmd("FETCH $ (UID)")
    c.cmd("SEARCH $")
    c.cmd("UID SEARCH RETURN (SAVE MIN) OR $ FROM bob")
    c.cmd("UID FETCH $ (FLAGS)")
    c.cmd("SEARCH RETURN (SAVE COUNT) NOT ALL")
    c.cmd("SEARCH $")
    c.cmd("SEARCH RETURN (MODSEQ) ALL")
    c.cmd("SEARCH RETURN (MAX) MODSEQ 1")
    t.comment("malformed searches")
    c.cmd("SEARCH (FROM alice")
    c.cmd("SEARCH FROBNICATE")
    c.cmd("SEARCH BEFORE 32-Foo-2025")
    c.cmd("SEARCH RETURN (BOGUS) ALL")
    t.comment("SORT: RFC 5256 keys, SORT=DISPLAY, ESORT")
    c.cmd("SORT (DATE) UTF-8 ALL")
    c.cmd("SORT (REVERSE ARRIVAL) US-ASCII ALL")
    c.cmd("SORT (SUBJECT REVERSE DATE) UTF-8 ALL")
    c.cmd("SORT (FROM TO CC SIZE) UTF-8 ALL")
    c.cmd("SORT (DISPLAYFROM DISPLAYTO) UTF-8 ALL")
    c.cmd("UID SORT (REVERSE SIZE) UTF-8 NOT DELETED")
    c.cmd("SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL")
    c.cmd("SORT (BOGUS) UTF-8 ALL")
    t.comment("THREAD")
    c.cmd("THREAD REFERENCES UTF-8 ALL")
    c.cmd("THREAD ORDEREDSUBJECT UTF-8 ALL")
    c.cmd("THREAD REFS UTF-8 ALL")
    c.cmd("UID THREAD REFERENCES US-ASCII SINCE 1-Jan-2000")
    c.cmd("THREAD BOGUS UTF-8 ALL")
    c.logout()
    return t


def session_copy_move(port):
    t, c = logged_in(port, "COPY, MOVE, UID COPY, UID MOVE with [COPYUID], [TRYCREATE], EXPUNGE, UID EXPUNGE, "
                           "CLOSE expunging silently")
    c.cmd("CREATE Work")
    c.cmd("SELECT INBOX")
    c.cmd("COPY 1:2 Work")
    c.cmd("UID COPY 3,5 Work")
    c.cmd("COPY 1 NoSuchBox")
    c.cmd("COPY 99 Work")
    c.cmd("SELECT Work")
    c.cmd("MOVE 1 Archive")
    c.cmd("UID MOVE 3:4 Trash")
    c.cmd("UID MOVE 99 Trash")
    c.cmd("MOVE 1 NoSuchBox")
    t.comment("copies into the selected mailbox itself (1 -> 2 -> 4 messages), then expunges")
    c.cmd("COPY 1:* Work")
    c.cmd("COPY 1:* Work")
    c.cmd("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    c.cmd("EXPUNGE")
    c.cmd("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    r = c.cmd("UID SEARCH DELETED")
    uids = find(r, rb"\* SEARCH ([\d ]+)").group(1).split()
    c.cmd(f"UID EXPUNGE {uids[0].decode()}")
    c.cmd("CLOSE")
    c.cmd("EXAMINE Work")
    c.cmd("EXPUNGE")
    c.cmd("UID EXPUNGE 1:*")
    c.cmd("SELECT Trash")
    c.cmd("UID EXPUNGE 1")
    c.logout()
    return t


def session_idle(port):
    t, c = logged_in(port, "IDLE/DONE while another connection (not recorded) appends a message and changes flags; "
                           "NOTIFY SET / NONE")
    c.cmd("SELECT INBOX")
    tag = c.tag()
    c.raw(f"{tag} IDLE\r\n".encode(), lambda m: m.startswith(b"+"))
    other = Conn(port, Transcript("other"), prefix="B")
    other.login()
    other.cmd("APPEND INBOX ", Lit(MSG_IDLE, "plus"))
    c.until(lambda m: b" EXISTS" in m)
    other.cmd("SELECT INBOX")
    other.cmd("STORE 1 +FLAGS (\\Flagged)")
    c.until(lambda m: b" FETCH " in m)
    c.raw(b"DONE\r\n", lambda m: m.startswith(tag.encode() + b" "))
    t.comment("DONE without IDLE")
    c.raw(b"DONE\r\n", lambda m: b"BAD" in m, timeout=5)
    t.comment("NOTIFY")
    c.cmd("NOTIFY SET (SELECTED (MessageNew (UID FLAGS) MessageExpunge FlagChange)) "
          "(PERSONAL (MailboxName SubscriptionChange))")
    other.cmd("STORE 1 -FLAGS (\\Flagged)")
    other.cmd("CREATE Notified")
    time.sleep(1.5)
    c.cmd("NOOP")
    c.cmd("NOTIFY SET STATUS (INBOXES (MessageNew MessageExpunge))")
    c.cmd("NOTIFY NONE")
    c.cmd("NOTIFY SET (BOGUS (MessageNew))")
    other.cmd("DELETE Notified")
    other.logout()
    c.logout()
    return t


def session_literal_after_bad(port):
    t, c = logged_in(port, "Dovecot 2.3.19 desynchronises after a BAD on a command with a non-synchronising literal: "
                           "APPEND with the flag \\Recent gets BAD before the literal is read, then each line of the "
                           "literal is taken as a command (answered 'From: BAD ...', '* BAD ... Invalid tag'). "
                           "A server must drain a refused {n+} literal exactly (issue 13); "
                           "this records what Dovecot does.")
    c.cmd("APPEND Drafts (\\Recent) ", Lit(MSG_IDLE, "plus"))
    c.drain(2.0)
    c.cmd("NOOP")
    c.logout()
    return t


def session_limits(port):
    t, c = logged_in(port, "Limits: a 70000-byte line (Dovecot's imap_max_line_length is 64 KiB, NOOP takes it), "
                           "then a 70000-byte literal for a mailbox name: * BYE and the connection is closed")
    c.cmd("NOOP " + "x" * 70000)
    c.cmd("SELECT " + "x" * 70000)
    c.raw(b"A900 CREATE {70000}\r\n", lambda m: m.startswith(b"* BYE") or m.startswith(b"A900 "))
    c.drain()
    return t


def session_limits_overflow(port):
    t, c = logged_in(port, "Limits: a literal length past 2^64 in APPEND: * BYE Literal size too large, "
                           "connection closed")
    c.raw(b"A900 APPEND Drafts {99999999999999999999}\r\n", lambda m: m.startswith(b"* BYE"))
    c.drain()
    return t


def session_limits_prelogin(port):
    t = Transcript("Limits before login: a 9999999-byte literal for LOGIN: * BYE, connection closed")
    c = Conn(port, t)
    c.raw(b"A001 LOGIN {9999999}\r\n", lambda m: m.startswith(b"* BYE"))
    c.drain()
    return t


def session_compress(port):
    t, c = logged_in(port, "COMPRESS=DEFLATE, then commands inside the compressed layer")
    ok(c.cmd("COMPRESS DEFLATE"))
    c.start_compress()
    c.cmd("COMPRESS DEFLATE")
    c.cmd("NOOP")
    c.cmd("EXAMINE INBOX")
    c.cmd("FETCH 3 (BODY.PEEK[])")
    c.cmd("LOGOUT")
    return t


SESSIONS = [  # file name, function, what it covers; in the order they run
    ("append", session_append),
    ("session-basics", session_basics),
    ("auth", session_auth),
    ("starttls", session_starttls),
    ("mailboxes", session_mailboxes),
    ("select", session_select),
    ("fetch", session_fetch),
    ("store", session_store),
    ("search", session_search),
    ("copy-move", session_copy_move),
    ("idle", session_idle),
    ("compress", session_compress),
    ("literal-after-bad", session_literal_after_bad),
    ("limits", session_limits),
    ("limits-overflow", session_limits_overflow),
    ("limits-prelogin", session_limits_prelogin),
]


# ------------------------------------------------------------------ corpora

CORPUS_SETS = [  # (vector folder, corpus folder, file suffix, licence as in the corpus README)
    ("mime4j-testmsgs", "mime4j/testmsgs", ".msg", "Apache-2.0 (Apache James mime4j)"),
    ("mime4j-mimetools", "mime4j/mimetools-testmsgs", ".msg", "Artistic License (Perl MIME-tools, via mime4j)"),
    ("mail-parser-rfc", "mail-parser/rfc", ".eml", "Apache-2.0 / MIT (mail-parser)"),
    ("mail-parser-thirdparty", "mail-parser/thirdparty", ".eml", "MIT (Dovecot's test messages, via mail-parser)"),
    ("mail-parser-malformed", "mail-parser/malformed", ".eml",
     "Apache-2.0 / MIT (mail-parser); the folder's COPYING names Dovecot's test files, MIT"),
]
MAX_PER_SET = 80  # keeps the total under ~400; the corpora hold 133 messages now


def record_corpora(port, corpus, out):
    """APPENDs every corpus message; stores each one's FETCH response."""
    base = os.path.join(out, "bodystructure")
    if os.path.isdir(base):
        shutil.rmtree(base)
    os.makedirs(base)
    index = ["# Dovecot's untagged FETCH (UID ENVELOPE BODYSTRUCTURE BODY) response for each corpus message, "
             "recorded by tests/interop/imap_record.py (see ../README.md).",
             "# Only the responses are here, not the messages; the corpus sets and their licences:"]
    index += [f"#   {folder}: {rel} ({licence})" for folder, rel, _, licence in CORPUS_SETS]
    index.append("# source (relative to the corpus root)\tvector (relative to this folder) or REFUSED\t"
                 "Dovecot's tagged APPEND response when refused")
    t, c = logged_in(port, "corpus")
    counts = {}
    for folder, rel, suffix, _ in CORPUS_SETS:
        src = os.path.join(corpus, rel)
        if not os.path.isdir(src):
            print(f"imap_record: corpus set {rel} missing, skipped", file=sys.stderr)
            continue
        names = sorted(n for n in os.listdir(src) if n.endswith(suffix))[:MAX_PER_SET]
        box = "Corpus/" + folder
        ok(c.cmd(f'CREATE "{box}"'))
        by_uid = {}
        for name in names:
            with open(os.path.join(src, name), "rb") as f:
                data = f.read()
            r = c.cmd(f'APPEND "{box}" ', Lit(data, "plus"))
            m = re.search(rb"\[APPENDUID \d+ (\d+)\]", r[-1])
            if m:
                by_uid[int(m.group(1))] = name
            else:
                index.append(f"{rel}/{name}\tREFUSED\t{r[-1].decode('utf-8', 'replace').strip()}")
        ok(c.cmd(f'EXAMINE "{box}"'))
        os.makedirs(os.path.join(base, folder))
        if by_uid:
            r = ok(c.cmd("FETCH 1:* (UID ENVELOPE BODYSTRUCTURE BODY)"))
            for resp in r[:-1]:
                m = re.match(rb"\* \d+ FETCH \(UID (\d+) ", resp)
                if not m:
                    raise AssertionError(f"unexpected response {resp[:200]!r}")
                name = by_uid.pop(int(m.group(1)))
                vec = f"{folder}/{os.path.splitext(name)[0]}.txt"
                with open(os.path.join(base, vec), "wb") as f:
                    f.write(resp)
                index.append(f"{rel}/{name}\t{vec}\t")
            if by_uid:
                raise AssertionError(f"no FETCH response for {sorted(by_uid.values())}")
        counts[folder] = len(names)
    c.logout()
    with open(os.path.join(base, "index.tsv"), "w") as f:
        f.write("\n".join(index) + "\n")
    return counts


# ------------------------------------------------------------------ main

def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "vectors", "imap"))
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(REPO), "shared", "corpus"))
    ap.add_argument("--only", action="append", help="record only this session (repeatable) and no corpus")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (config, log, Maildir)")
    ap.add_argument("-v", action="store_true", help="print every chunk")
    args = ap.parse_args()
    VERBOSE = args.v
    if os.geteuid() != 0:
        print("imap_record: run as root (Dovecot drops privileges itself)", file=sys.stderr)
        return 2
    if not shutil.which("dovecot"):
        print("imap_record: dovecot not found: run tests/interop/peers/install.sh", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="mailwire-imap-record.")
    dovecot = Dovecot(work)
    try:
        dovecot.start()
        version = dovecot.version()
        out = os.path.join(args.out, "dovecot")
        os.makedirs(out, exist_ok=True)
        caps = None
        for name, fn in SESSIONS:
            if args.only and name not in args.only:
                continue
            t = fn(dovecot.port)
            t.items.insert(1, ("#", f"recorded from Dovecot {version} by tests/interop/imap_record.py "
                                    f"(format: tests/vectors/imap/README.md)"))
            t.write(os.path.join(out, name + ".txt"))
            n = sum(1 for w, _ in t.items if w != "#")
            print(f"{name}.txt: {n} chunks")
            for w, data in t.items:
                if w == "S" and caps is None and data.startswith(b"* CAPABILITY") and b"QUOTA" in data:
                    caps = data.decode().strip()
        if caps:
            print("post-login", caps)
        if not args.only:
            if os.path.isdir(args.corpus):
                counts = record_corpora(dovecot.port, args.corpus, args.out)
                print("bodystructure:", ", ".join(f"{k} {v}" for k, v in counts.items()))
            else:
                print(f"imap_record: no corpus at {args.corpus}; bodystructure vectors not recorded",
                      file=sys.stderr)
    finally:
        dovecot.stop()
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
