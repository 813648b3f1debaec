#!/usr/bin/env python3
"""mailwire-imap-server (examples/imap_server.cpp) against real IMAP clients.

    imap_server_interop.py --server path/to/mailwire-imap-server [-k FILTER]... [-v]

Starts the server itself on 127.0.0.1 (port 0, a temp Maildir++ tree, a
self-signed certificate for localhost and 127.0.0.1 made with `openssl req`)
in two configurations: `main` (STARTTLS offered, passwords only after TLS)
and `implicit` (--implicit-tls, port-993 style); then drives it with:

  imaplib   Python's imaplib: every command it has that the server offers
            (CAPABILITY LOGIN AUTHENTICATE PLAIN, CRAM-MD5 NAMESPACE LIST
            LSUB CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE STATUS SELECT
            EXAMINE APPEND FETCH UID FETCH PARTIAL SEARCH UID SEARCH STORE
            COPY UID MOVE EXPUNGE UID EXPUNGE CHECK NOOP CLOSE UNSELECT
            ENABLE STARTTLS LOGOUT), over STARTTLS and implicit TLS; the
            bodies byte-identical, flags and the folder tree as set; the
            ones for extensions not offered (ACL, QUOTA, SORT, THREAD,
            PROXYAUTH, ANNOTATE) refused cleanly
  curl      imap:// with --ssl-reqd (STARTTLS) and imaps://: LIST, FETCH of
            a message by UID (byte-identical), UID SEARCH
  imapflow  Node's imapflow (npm, pinned in tests/interop/node): login, list,
            fetch with envelope and bodyStructure, append, flags, move, and
            an EXISTS notification in IDLE when another client appends
  mbsync    isync: a two-way sync of a folder tree (server folders to a
            local Maildir++, local ones to the server, flags both ways), the
            files byte-identical; then a second sync that changes nothing
  getmail6  SimpleIMAPSSLRetriever: every message of INBOX, as getmail
            writes it (Return-Path added, LF line ends)
  fetchmail protocol IMAP over STARTTLS, keep: every message byte-identical
            through an MDA; a second run fetches nothing new

A missing client skips its cases (imaplib, always there, still runs). Counts and sizes
are bounded: the whole run takes well under a minute here.
"""

import argparse
import email
import getpass
import hashlib
import imaplib
import json
import os
import re
import select
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from suite import Skip, Suite  # noqa: E402
from pop3_fixtures import make_cert, which  # noqa: E402
from pop3_server_interop import check_rc, need, out_text, outdir, private_dir, run  # noqa: E402
from smtp_server_interop import node_setup  # noqa: E402

USER, PASSWORD = "user", "pencil"
TIMEOUT = 15


def message(n, size=0):
    """A CRLF message; multipart for odd n, with `size` bytes of filler."""
    head = (f"From: Sender {n} <s{n}@example.org>\r\nTo: Rcpt <r@example.org>\r\n"
            f"Subject: message {n}\r\nDate: Mon, 7 Dec 2026 10:{n % 60:02d}:00 +0000\r\n"
            f"Message-ID: <m{n}@example.org>\r\nMIME-Version: 1.0\r\n")
    filler = "".join(f"filler line {i:06d} of message {n} ..........................\r\n"
                     for i in range(size // 64))
    if n % 2:
        return (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\npreamble\r\n--b\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\nbody of " + str(n) + "\r\n" + filler +
                "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                "AAECAwQFBgc=\r\n--b--\r\n").encode()
    return (head + "Content-Type: text/plain\r\n\r\nplain body of " + str(n) + "\r\n" + filler).encode()


CORPUS = [message(i) for i in range(1, 6)] + [message(6, 1 << 20), message(7, 300 * 1024)]


class Server:
    """mailwire-imap-server on 127.0.0.1 port 0; stopped with SIGTERM, exit 0."""

    def __init__(self, env, name, *args):
        self.maildir = os.path.join(env.work, "maildir-" + name)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        self.log_path = os.path.join(env.work, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([env.server, "--listen", "127.0.0.1:0", "--maildir", self.maildir, "--user",
                                      f"{USER}:{PASSWORD}", "--tls-cert", env.cert, "--tls-key", env.key, *args],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready = select.select([self.proc.stdout], [], [], TIMEOUT)[0]
        line = self.proc.stdout.readline() if ready else ""
        m = re.match(r"listening on 127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            raise RuntimeError(f"server {name} did not start: {line!r}")
        self.port = int(m.group(1))

    def fill(self, messages, folder=""):
        d = os.path.join(self.maildir, "." + folder if folder else "")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        if folder:
            open(os.path.join(d, "maildirfolder"), "w").close()
        for i, m in enumerate(messages):
            with open(os.path.join(d, "new", f"{1700000000 + i}.M{i}P1.test"), "wb") as f:
                f.write(m)

    def stop(self):
        self.proc.terminate()
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        text = open(self.log_path, errors="replace").read()
        if rc != 0 or "Sanitizer" in text or "runtime error:" in text:
            raise AssertionError(f"server exit {rc}: {text[-500:]}")


def fresh(env, name, *args, messages=CORPUS):
    s = Server(env, name, *args)
    env.servers.append(s)
    s.fill(messages)
    return s


def ctx(env):
    c = ssl.create_default_context(cafile=env.cert)
    return c


def login(env, srv, implicit=False):
    if implicit:
        m = imaplib.IMAP4_SSL("127.0.0.1", srv.port, ssl_context=ctx(env), timeout=TIMEOUT)
    else:
        m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=TIMEOUT)
        m.starttls(ssl_context=ctx(env))
    m.login(USER, PASSWORD)
    return m


def ok(r, what):
    if r[0] != "OK":
        raise AssertionError(f"{what}: {r}")
    return r[1]


def bodies(m, spec="1:*"):
    typ, data = m.fetch(spec, "(UID BODY.PEEK[])")
    ok((typ, data), "FETCH BODY[]")
    return [d[1] for d in data if isinstance(d, tuple)]


# ---------------------------------------------------------------- imaplib

def imaplib_everything(env, implicit):
    srv = fresh(env, "imaplib-implicit" if implicit else "imaplib", *(["--implicit-tls"] if implicit else []))
    if not implicit:
        m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=TIMEOUT)
        if "LOGINDISABLED" not in m.capabilities:
            raise AssertionError(f"before TLS: {m.capabilities}")
        try:
            m.login(USER, PASSWORD)
            raise AssertionError("LOGIN accepted before TLS")
        except imaplib.IMAP4.error:
            pass
        ok(m.starttls(ssl_context=ctx(env)), "STARTTLS")
        ok(m.capability(), "CAPABILITY")
        ok(m.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode()), "AUTHENTICATE PLAIN")
    else:
        m = imaplib.IMAP4_SSL("127.0.0.1", srv.port, ssl_context=ctx(env), timeout=TIMEOUT)
        ok(m.login_cram_md5(USER, PASSWORD), "CRAM-MD5")
    ok(m.namespace(), "NAMESPACE")
    ok(m._simple_command("ENABLE", "UTF8=ACCEPT"), "ENABLE")
    for name in ("Archive", "Work", "Work.Sub", "Work.Sub.Deep"):
        ok(m.create(name), "CREATE " + name)
    ok(m.subscribe("Work"), "SUBSCRIBE")
    ok(m.subscribe("Archive"), "SUBSCRIBE")
    ok(m.unsubscribe("Archive"), "UNSUBSCRIBE")
    lsub = ok(m.lsub(), "LSUB")
    if lsub != [b'(\\HasChildren) "." Work'] and not any(b"Work" in l for l in lsub):
        raise AssertionError(f"LSUB: {lsub}")
    listed = ok(m.list(), "LIST")
    names = sorted(l.rsplit(b" ", 1)[1] for l in listed)
    if names != [b"Archive", b"INBOX", b"Work", b"Work.Sub", b"Work.Sub.Deep"]:
        raise AssertionError(f"LIST: {listed}")
    if not any(b"\\Archive" in l for l in listed):
        raise AssertionError(f"no SPECIAL-USE \\Archive: {listed}")
    ok(m.rename("Work.Sub", "Work.Moved"), "RENAME")
    if b"Work.Moved.Deep" not in b" ".join(ok(m.list('""', "Work*"), "LIST Work*")):
        raise AssertionError("RENAME did not take the children")
    ok(m.delete("Archive"), "DELETE")
    st = ok(m.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"), "STATUS")
    if b"MESSAGES %d" % len(CORPUS) not in st[0]:
        raise AssertionError(f"STATUS: {st}")
    typ, data = m.append("Work", r"(\Flagged $Label)", imaplib.Time2Internaldate(1700000000), CORPUS[0])
    if typ != "OK" or not re.search(rb"\[APPENDUID \d+ 1\]", data[0]):
        raise AssertionError(f"APPEND: {typ} {data}")
    typ, data = m.append("Nowhere", None, None, CORPUS[0])
    if typ != "NO" or b"[TRYCREATE]" not in data[0]:
        raise AssertionError(f"APPEND to a missing folder: {typ} {data}")
    ok(m.select("INBOX", readonly=True), "EXAMINE")
    if m.response("READ-ONLY")[1] == [None]:
        raise AssertionError("EXAMINE without [READ-ONLY]")
    ok(m.unselect(), "UNSELECT")
    ok(m.select("INBOX"), "SELECT")
    for code in ("UIDVALIDITY", "UIDNEXT", "PERMANENTFLAGS", "READ-WRITE"):
        if m.response(code)[1] == [None]:
            raise AssertionError(f"SELECT without [{code}]")
    got = bodies(m)
    if got != CORPUS:
        raise AssertionError(f"BODY[] differs: {[len(g) for g in got]} vs {[len(c) for c in CORPUS]}")
    typ, data = m.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])")
    if b"Subject: message 1" not in data[0][1] or b"\\Seen" not in data[1] + data[0][0]:
        raise AssertionError(f"non-PEEK fetch: {data}")
    typ, data = m.fetch("2", "(BODY.PEEK[]<10.20>)")
    part = data[0][1] if isinstance(data[0], tuple) else re.search(rb'<10> "(.*)"\)$', data[0]).group(1)
    if part != CORPUS[1][10:30]:
        raise AssertionError(f"partial: {data}")
    typ, data = m.uid("FETCH", "1:*", "(RFC822.SIZE ENVELOPE BODYSTRUCTURE INTERNALDATE)")
    if typ != "OK" or len([d for d in data if d]) != len(CORPUS):
        raise AssertionError(f"UID FETCH: {data[:2]}")
    if b"RFC822.SIZE %d" % len(CORPUS[5]) not in b" ".join(d if isinstance(d, bytes) else d[0] for d in data):
        raise AssertionError("RFC822.SIZE of the 1 MiB message")
    if ok(m.search(None, "SUBJECT", '"message 3"'), "SEARCH") != [b"3"]:
        raise AssertionError("SEARCH SUBJECT")
    if ok(m.search(None, "BODY", "filler", "LARGER", "100000"), "SEARCH BODY") != [b"6 7"]:
        raise AssertionError("SEARCH BODY LARGER")
    if ok(m.uid("SEARCH", "UNSEEN"), "UID SEARCH") != [b"2 3 4 5 6 7"]:
        raise AssertionError("UID SEARCH UNSEEN")
    ok(m.store("2:3", "+FLAGS", r"(\Answered \Flagged)"), "STORE")
    ok(m.store("3", "-FLAGS", r"(\Flagged)"), "STORE -FLAGS")
    flags = ok(m.fetch("2:3", "FLAGS"), "FETCH FLAGS")
    if b"\\Answered \\Flagged" not in flags[0] or b"\\Flagged" in flags[1]:
        raise AssertionError(f"flags: {flags}")
    typ, data = m.copy("1:2", "Work")
    if typ != "OK" or not re.search(rb"\[COPYUID \d+ 1:2 2:3\]", data[0]):
        raise AssertionError(f"COPY: {typ} {data}")
    typ, data = m.uid("MOVE", "7", "Work.Moved")
    if typ != "OK":
        raise AssertionError(f"MOVE: {typ} {data}")
    ok(m.store("1", "+FLAGS", r"(\Deleted)"), "STORE \\Deleted")
    ok(m.uid("EXPUNGE", "1"), "UID EXPUNGE")
    ok(m.store("1", "+FLAGS", r"(\Deleted)"), "STORE \\Deleted")
    typ, data = m.expunge()
    # imaplib gathers every EXPUNGE since the last time it was asked: MOVE's,
    # UID EXPUNGE's, then this one's.
    if typ != "OK" or data != [b"7", b"1", b"1"]:
        raise AssertionError(f"EXPUNGE: {typ} {data}")
    # imaplib's commands for extensions the server does not offer: a clean
    # refusal each, and the session goes on.
    for name, call in (("GETACL", lambda: m.getacl("INBOX")), ("MYRIGHTS", lambda: m.myrights("INBOX")),
                       ("GETQUOTAROOT", lambda: m.getquotaroot("INBOX")), ("SORT", lambda: m.sort("(DATE)", "UTF-8", "ALL")),
                       ("THREAD", lambda: m.thread("REFERENCES", "UTF-8", "ALL")),
                       ("PROXYAUTH", lambda: m.proxyauth("other")),
                       ("GETANNOTATION", lambda: m.getannotation("INBOX", "/comment", "value.priv"))):
        try:
            typ, data = call()
        except imaplib.IMAP4.error:
            continue
        if typ == "OK":
            raise AssertionError(f"{name} answered OK though not offered: {data}")
    ok(m.check(), "CHECK")
    ok(m.noop(), "NOOP")
    ok(m.close(), "CLOSE")
    ok(m.select("Work.Moved", readonly=True), "EXAMINE")
    if bodies(m) != [CORPUS[6]]:
        raise AssertionError("the moved message differs")
    ok(m.select("Work"), "SELECT Work")
    if bodies(m) != [CORPUS[0], CORPUS[0], CORPUS[1]]:  # APPENDed, then COPY 1:2
        raise AssertionError("the copied and appended messages differ")
    flags = ok(m.fetch("1", "(FLAGS INTERNALDATE)"), "FETCH")[0]
    if b"$Label" not in flags or b"\\Flagged" not in flags or b"14-Nov-2023" not in flags:
        raise AssertionError(f"APPEND flags and date: {flags}")
    m.logout()


# ---------------------------------------------------------------- curl

def curl_case(env, implicit):
    curl = need("curl")
    srv = fresh(env, "curl-implicit" if implicit else "curl", *(["--implicit-tls"] if implicit else []))
    base = f"imaps://127.0.0.1:{srv.port}" if implicit else f"imap://127.0.0.1:{srv.port}"
    common = [curl, "-sS", "--max-time", "20", "--cacert", env.cert, "--user", f"{USER}:{PASSWORD}"]
    if not implicit:
        common.append("--ssl-reqd")
    srv_list = run(common + [base + "/"])
    check_rc(srv_list, "curl LIST")
    if b'"." INBOX' not in srv_list.stdout:
        raise AssertionError(f"curl LIST: {srv_list.stdout!r}")
    for uid in (1, 6):
        p = run(common + [f"{base}/INBOX;UID={uid}"])
        check_rc(p, "curl FETCH")
        if p.stdout != CORPUS[uid - 1]:
            raise AssertionError(f"curl FETCH UID {uid}: {len(p.stdout)} bytes, expected {len(CORPUS[uid - 1])}")
    p = run(common + [f"{base}/INBOX?SUBJECT%20%22message%205%22"])
    check_rc(p, "curl SEARCH")
    if p.stdout.strip() != b"* SEARCH 5":
        raise AssertionError(f"curl SEARCH: {p.stdout!r}")
    p = run(common + ["-X", "UID SEARCH ALL", f"{base}/INBOX"])
    check_rc(p, "curl UID SEARCH")
    if p.stdout.strip() != b"* SEARCH 1 2 3 4 5 6 7":
        raise AssertionError(f"curl UID SEARCH: {p.stdout!r}")


# ---------------------------------------------------------------- imapflow

IMAPFLOW_JS = r"""
const path = require('path');
const { ImapFlow } = require(path.join(process.argv[2], 'imapflow'));
const port = Number(process.argv[3]), ca = require('fs').readFileSync(process.argv[4]);
const opts = () => ({ host: '127.0.0.1', port, secure: false, doSTARTTLS: true, logger: false,
  auth: { user: 'user', pass: 'pencil' }, tls: { ca, servername: 'localhost' } });
(async () => {
  const out = {};
  const a = new ImapFlow(opts()), b = new ImapFlow(opts());
  await a.connect(); await b.connect();
  out.list = (await a.list()).map((m) => m.path).sort();
  await a.mailboxCreate('Moved');
  let lock = await a.getMailboxLock('INBOX');
  try {
    out.fetched = [];
    for await (const m of a.fetch('1:*', { uid: true, envelope: true, bodyStructure: true, source: true, flags: true })) {
      out.fetched.push({ uid: m.uid, subject: m.envelope.subject, from: m.envelope.from[0].address,
        type: m.bodyStructure.type, parts: (m.bodyStructure.childNodes || []).length,
        sha: require('crypto').createHash('sha256').update(m.source).digest('hex') });
    }
    await a.messageFlagsAdd('1', ['\\Flagged', '$Tagged']);
    out.flags = [...(await a.fetchOne('1', { flags: true })).flags].sort();
    const ap = await b.append('INBOX', 'Subject: from imapflow\r\n\r\nhi\r\n', ['\\Seen']);
    out.appended = ap.uid;
    const mv = await a.messageMove('2', 'Moved');
    out.moved = mv.uidMap ? [...mv.uidMap.entries()] : null;
  } finally { lock.release(); }
  // IDLE: a waits, b appends; a must hear EXISTS.
  await a.mailboxOpen('INBOX');
  const heard = new Promise((resolve) => a.on('exists', (d) => resolve(d.count)));
  a.idle();  // resolves when IDLE ends (the logout below)
  await new Promise((r) => setTimeout(r, 300));  // a is idling by now
  await b.append('INBOX', 'Subject: while idling\r\n\r\nhi\r\n');
  out.idle_exists = await Promise.race([heard, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
  await a.logout(); await b.logout();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
"""


def imapflow_case(env):
    modules = node_setup(env)
    srv = fresh(env, "imapflow", messages=CORPUS[:3])
    js = os.path.join(env.work, "imapflow_case.js")
    with open(js, "w") as f:
        f.write(IMAPFLOW_JS)
    p = run(["node", js, modules, str(srv.port), env.cert], timeout=60)
    check_rc(p, "imapflow")
    out = json.loads(p.stdout.decode().strip().splitlines()[-1])
    if out["list"] != ["INBOX"]:
        raise AssertionError(f"imapflow list: {out['list']}")
    want = [{"uid": i + 1, "subject": f"message {i + 1}", "from": f"s{i + 1}@example.org",
             "type": "multipart/mixed" if (i + 1) % 2 else "text/plain", "parts": 2 if (i + 1) % 2 else 0,
             "sha": hashlib.sha256(CORPUS[i]).hexdigest()} for i in range(3)]
    if out["fetched"] != want:
        raise AssertionError(f"imapflow fetch: {out['fetched']} != {want}")
    if out["flags"] != ["$Tagged", "\\Flagged"]:
        raise AssertionError(f"imapflow flags: {out['flags']}")
    if out["appended"] != 4 or out["moved"] != [[2, 1]]:
        raise AssertionError(f"imapflow append/move: {out}")
    if out["idle_exists"] != 4:
        raise AssertionError(f"imapflow IDLE: {out['idle_exists']}")


# ---------------------------------------------------------------- mbsync

def tree(root):
    """{folder: sorted [(bytes sha, flags)]} of a Maildir++ tree. The bytes
    are compared as mbsync keeps them: its Maildir has LF line ends, and it
    adds an X-TUID header to the messages it uploads (to find their UIDs);
    everything else must be equal."""
    out = {}
    for d in [root] + [os.path.join(root, n) for n in os.listdir(root) if n.startswith(".")]:
        if not os.path.isdir(os.path.join(d, "cur")):
            continue
        name = "INBOX" if d == root else os.path.basename(d)[1:]
        items = []
        for sub in ("new", "cur"):
            for f in os.listdir(os.path.join(d, sub)):
                data = open(os.path.join(d, sub, f), "rb").read().replace(b"\r\n", b"\n")
                data = re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", data, count=1)
                fl = f.split(":2,", 1)[1] if ":2," in f else ""
                items.append((hashlib.sha256(data).hexdigest()[:16], "".join(c for c in fl if c.isupper())))
        out[name] = sorted(items)
    return out


def mbsync_case(env):
    mbsync = need("mbsync")
    srv = fresh(env, "mbsync", messages=CORPUS[:4])
    srv.fill(CORPUS[4:6], "Work")
    srv.fill(CORPUS[6:], "Work.Sub")
    local = os.path.join(env.work, "mbsync-local")
    os.makedirs(local)
    # A folder only the local side has, with a flagged message.
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(local, ".Local", sub))
    extra = b"From: me@example.org\r\nSubject: local only\r\n\r\nmade here\r\n"
    with open(os.path.join(local, ".Local", "cur", "1700000100.L1.test:2,F"), "wb") as f:
        f.write(extra)
    home = private_dir(env, "mbsync")
    rc = os.path.join(home, "mbsyncrc")
    with open(rc, "w") as f:
        f.write(f"""IMAPAccount mw
Host localhost
Port {srv.port}
User {USER}
Pass {PASSWORD}
SSLType STARTTLS
CertificateFile {env.cert}
AuthMechs LOGIN

IMAPStore far
Account mw

MaildirStore near
Inbox {local}
SubFolders Maildir++

Channel all
Far :far:
Near :near:
Patterns *
Create Both
Remove None
Expunge None
Sync All
SyncState *
CopyArrivalDate yes
""")
    p = run([mbsync, "-c", rc, "-a"], timeout=60)
    check_rc(p, "mbsync (first)")
    server_tree, local_tree = tree(srv.maildir), tree(local)
    if server_tree != local_tree:
        raise AssertionError(f"after the first sync: server {server_tree} local {local_tree}")
    if sorted(server_tree) != ["INBOX", "Local", "Work", "Work.Sub"] or len(server_tree["INBOX"]) != 4:
        raise AssertionError(f"the tree: {server_tree}")
    if server_tree["Local"] != [(hashlib.sha256(extra.replace(b"\r\n", b"\n")).hexdigest()[:16], "F")]:
        raise AssertionError(f"the local message on the server: {server_tree['Local']}")
    snapshot = (tree(srv.maildir), sorted(os.listdir(os.path.join(srv.maildir, "cur"))))
    p = run([mbsync, "-c", rc, "-a", "-V"], timeout=60)
    check_rc(p, "mbsync (second)")
    if (tree(srv.maildir), sorted(os.listdir(os.path.join(srv.maildir, "cur")))) != snapshot or tree(local) != snapshot[0]:
        raise AssertionError("the second sync changed something")
    if re.search(rb"[1-9]\d* (new|flags|messages) (propagated|upd)", p.stdout + p.stderr):
        raise AssertionError(f"the second sync propagated: {out_text(p)[-500:]}")


# ---------------------------------------------------------------- getmail6, fetchmail

def getmail_case(env):
    getmail = need("getmail")
    srv = fresh(env, "getmail", "--implicit-tls")
    root = os.geteuid() == 0
    dest = outdir(env, "getmail-out", owner=65534 if root else None)
    home = private_dir(env, "getmail")
    with open(os.path.join(home, "getmailrc"), "w") as f:
        f.write(f"""[retriever]
type = SimpleIMAPSSLRetriever
server = 127.0.0.1
port = {srv.port}
username = {USER}
password = {PASSWORD}
mailboxes = ("INBOX",)
ca_certs = {env.cert}
ssl_cert_hostname = localhost
timeout = 20
record_mailbox = false

[destination]
type = Maildir
path = {dest}/
""" + ("user = nobody\n" if root else "") + """
[options]
verbose = 0
read_all = true
delete = false
delivered_to = false
received = false
""")
    p = run([getmail, "--getmaildir", home, "--rcfile", "getmailrc"], timeout=60)
    check_rc(p, "getmail")
    got = sorted(open(os.path.join(dest, "new", n), "rb").read() for n in os.listdir(os.path.join(dest, "new")))
    # getmail adds Return-Path and writes LF line ends (see pop3_server_interop.py).
    want = sorted(b"Return-Path: <unknown>\n" + m.replace(b"\r\n", b"\n") for m in CORPUS)
    if got != want:
        raise AssertionError(f"getmail stored {len(got)} messages, not the {len(want)} served")


STORE = """#!/bin/sh
set -e
f=$(mktemp "$1/new/fetchmail.XXXXXXXX")
cat > "$f"
"""


def fetchmail_case(env):
    fetchmail = need("fetchmail")
    srv = fresh(env, "fetchmail")
    dest = outdir(env, "fetchmail-out")
    home = private_dir(env, "fetchmail")
    store = os.path.join(env.work, "store.sh")
    with open(store, "w") as f:
        f.write(STORE)
    os.chmod(store, 0o755)
    rc = os.path.join(home, "fetchmailrc")
    with open(rc, "w") as f:
        f.write(f"""set no syslog
set invisible
poll 127.0.0.1 service {srv.port} protocol imap auth password timeout 20:
  user "{USER}" there with password "{PASSWORD}" is "{getpass.getuser()}" here
  sslproto 'tls1.2+' sslcertck sslcertfile "{env.cert}" sslcommonname localhost
  keep no rewrite no stripcr
  mda "{store} {dest}"
""")
    os.chmod(rc, 0o600)
    cmd = [fetchmail, "-f", rc, "-i", os.path.join(home, "fetchids"), "--nodetach"]
    e = dict(os.environ, FETCHMAILHOME=home)
    p = run(cmd, env=e, timeout=60)
    check_rc(p, "fetchmail", ok=(0, 1))
    got = sorted(open(os.path.join(dest, "new", n), "rb").read() for n in os.listdir(os.path.join(dest, "new")))
    if got != sorted(CORPUS):
        raise AssertionError(f"fetchmail stored {[len(g) for g in got]}: {out_text(p)[-400:]}")
    # keep: fetchmail marks them \Seen and fetches only unseen ones next time
    p = run(cmd, env=e, timeout=60)
    check_rc(p, "fetchmail (second)", ok=(0, 1))
    if len(os.listdir(os.path.join(dest, "new"))) != len(CORPUS):
        raise AssertionError("the second run fetched again")


# ---------------------------------------------------------------- main

class Env:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", required=True, help="the mailwire-imap-server executable")
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="print timings and keep the work directory")
    args = ap.parse_args()
    if not os.access(args.server, os.X_OK):
        print(f"SKIPPED: {args.server} not built")
        return 0
    env = Env()
    env.server = args.server
    env.work = tempfile.mkdtemp(prefix="mailwire-imap-server-")
    os.chmod(env.work, 0o755)
    env.servers = []
    env.node_modules = None
    env.cert, env.key = make_cert(env.work)
    suite = Suite(args.k, timings=args.v)
    c = suite.case
    try:
        c("imaplib.starttls_every_command", imaplib_everything, env, False)
        c("imaplib.implicit_tls_every_command", imaplib_everything, env, True)
        c("curl.imap_starttls_list_fetch_search", curl_case, env, False)
        c("curl.imaps_list_fetch_search", curl_case, env, True)
        c("imapflow.fetch_append_move_flags_idle", imapflow_case, env)
        c("mbsync.two_way_then_nothing", mbsync_case, env)
        c("getmail6.imaps_fetch", getmail_case, env)
        c("fetchmail.imap_starttls_keep", fetchmail_case, env)
        c("servers_exit_cleanly", lambda: [s.stop() for s in env.servers])
    finally:
        for s in env.servers:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
    rc = suite.summary()
    if rc or args.v:
        print(f"work directory: {env.work}")
    else:
        shutil.rmtree(env.work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
