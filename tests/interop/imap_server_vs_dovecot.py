#!/usr/bin/env python3
"""mailwire-imap-server side by side with Dovecot on the same Maildir.

    imap_server_vs_dovecot.py --server path/to/mailwire-imap-server [--seed N] [--count N] [-v]

Starts Dovecot with the project's recipe (tests/interop/peers/start.sh, needs
root; `SKIPPED:` otherwise), writes a generated corpus of messages into its
test user's Maildir (in cur/, so neither server renames a file), serves the
same Maildir with mailwire-imap-server, and asks both, for every message:

  BODYSTRUCTURE, BODY, ENVELOPE, RFC822.SIZE, BODY[], BODY[HEADER],
  BODY[TEXT], BODY[n] and BODY[n.MIME] of every part (and HEADER/TEXT of
  attached messages), BODY[HEADER.FIELDS (...)], and partial fetches

then a list of SEARCH programs over the whole folder. Messages are matched
by their Subject (each is unique), not by sequence number (the servers
number them in their own order). Responses are compared after parsing into
tokens (compose_e2e.parse_sexp): NIL, numbers and strings, quoted or literal alike; atoms and strings
of BODYSTRUCTURE compared without regard to case (MIME tokens are
case-insensitive), everything else exactly. Every difference is printed;
exit 1 when there is one not in KNOWN (below: behaviours of the store, each
explained, printed as KNOWN; none at present).

The corpus (--count, default 60; --seed, default 1) mixes: text/plain in
us-ascii, UTF-8 quoted-printable, base64; multipart/mixed and /alternative
nested up to 4 deep; message/rfc822 parts, themselves multipart; RFC 2047
subjects and names; groups, missing headers, long folded fields; LF-only
files next to CRLF ones; a part without headers; an empty body.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "examples"))
sys.path.insert(0, HERE)
from imap_server_test import Imap  # noqa: E402
from compose_e2e import parse_sexp  # noqa: E402

TIMEOUT = 15


# ---------------------------------------------------------------- corpus

WORDS = "alpha beta gamma delta report meeting invoice draft notes quarterly update".split()


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def leaf(rng, depth):
    """(bytes of a part with its header, [relative part paths below it])."""
    kind = rng.choice(["plain", "qp", "b64", "html", "octet", "noheader"])
    if kind == "plain":
        return b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + words(rng, 30).encode() + b"\r\n", []
    if kind == "qp":
        return ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                "Gr=C3=BC=C3=9Fe " + words(rng, 8) + "=\r\n continued\r\n").encode(), []
    if kind == "b64":
        return (b"Content-Type: text/plain; charset=\"UTF-8\"; format=flowed\r\nContent-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: inline\r\n\r\nR3LDvMOfZSBhdXMgZGVtIFRlc3QK\r\n"), []
    if kind == "html":
        return (b"Content-Type: text/html; charset=iso-8859-1\r\nContent-Language: de\r\nContent-ID: <p" +
                str(rng.randrange(10 ** 6)).encode() + b"@x>\r\nContent-Description: the html\r\n\r\n<p>" +
                words(rng, 5).encode() + b"</p>\r\n"), []
    if kind == "octet":
        return (b"Content-Type: application/octet-stream; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.bin?=\"\r\n"
                b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"data.bin\"; "
                b"size=8\r\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n\r\nAAECAwQFBgc=\r\n"), []
    return b"\r\nA part without any header field.\r\n", []


def part(rng, depth):
    r = rng.random()
    if depth < 4 and r < 0.3:
        sub = rng.choice(["mixed", "alternative", "related"])
        boundary = f"b{depth}-{rng.randrange(10 ** 6)}"
        n = rng.randint(1, 3)
        body = (f'Content-Type: multipart/{sub}; boundary="{boundary}"\r\n\r\npreamble {depth}\r\n').encode()
        paths = []
        for i in range(1, n + 1):
            data, below = part(rng, depth + 1)
            body += f"--{boundary}\r\n".encode() + data
            paths += [[i]] + [[i] + p for p in below]
        body += f"--{boundary}--\r\nepilogue\r\n".encode()
        return body, paths
    if depth < 3 and r < 0.4:
        inner, below = message_body(rng, depth + 1, f"inner {rng.randrange(1000)}")
        return b"Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + inner, \
            [["HEADER"], ["TEXT"]] + below
    return leaf(rng, depth)


def headers(rng, subject):
    h = [f"Subject: {subject}"]
    if rng.random() < 0.8:
        h.append("From: " + rng.choice(['"Zo\u00eb Example" <zoe@example.org>', "=?UTF-8?B?WsO2ZQ==?= <z@x.org>",
                                        "plain@example.org", "Bob <bob@example.org>, carol@example.org"]))
    if rng.random() < 0.7:
        h.append("To: " + rng.choice(["undisclosed-recipients:;", "Team: a@x.org, b@x.org;, c@y.org",
                                      "=?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>", "d@example.org"]))
    if rng.random() < 0.4:
        h.append("Cc: cc@example.org (comment)")
    if rng.random() < 0.7:
        h.append(f"Date: {rng.choice(['Mon', 'Tue'])}, {rng.randint(1, 28)} Nov 2026 10:{rng.randint(10, 59)}:00 +0100")
    if rng.random() < 0.6:
        h.append(f"Message-ID: <{rng.randrange(10 ** 9)}@example.org>")
    if rng.random() < 0.3:
        h.append("In-Reply-To: <parent@example.org>")
    if rng.random() < 0.3:
        h.append("X-Long: " + words(rng, 12) + "\r\n\t" + words(rng, 12))
    h.append("MIME-Version: 1.0")
    return "\r\n".join(h).encode() + b"\r\n"


def message_body(rng, depth, subject):
    """(whole message, [part paths])."""
    data, below = part(rng, depth)
    head = headers(rng, subject)
    if below and below[0] and isinstance(below[0][0], int):
        return head + data, below
    # a single part: its header fields belong to the message header
    return head + data, [["1"]] if not below else below


def corpus(seed, count):
    rng = random.Random(seed)
    out = []
    for n in range(count):
        subject = f"corpus {n} " + (rng.choice(["=?UTF-8?Q?caf=C3=A9?=", "plain", "=?ISO-8859-1?B?SGFsbG8=?="]))
        data, paths = message_body(rng, 0, subject)
        if n % 7 == 3:
            data = data.replace(b"\r\n", b"\n")  # as an MDA stores it
        if n % 11 == 5:
            data = headers(rng, subject)  # header only, no body
            paths = []
        out.append((f"corpus {n} ", data, paths))
    return out


# ---------------------------------------------------------------- parsing

def fetch_items(line):
    """'* n FETCH (...)' -> {ITEM NAME upper: value}."""
    i = line.index(b"(")
    lst = parse_sexp(line[i:])
    return {lst[k].upper(): lst[k + 1] for k in range(0, len(lst) - 1, 2)}


def fold(v):
    if isinstance(v, list):
        return [fold(x) for x in v]
    return v.lower() if v is not None else None


# ---------------------------------------------------------------- servers

class Side:
    def __init__(self, name, port, user, password):
        self.name = name
        self.c = Imap(port)
        self.c.line()
        self.c.ok(f"LOGIN {user} {password}".encode())
        st, u = self.c.ok(b"EXAMINE INBOX")
        self.seq = {}
        _, u = self.c.ok(b"FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        for line in u:
            it = fetch_items(line)
            val = next(v for k, v in it.items() if k.startswith(b"BODY["))
            subj = val.split(b":", 1)[1].strip().split(b" ")
            seq = int(line.split(b" ")[1])
            self.seq[b" ".join(subj[:2]).decode() + " "] = seq

    def fetch(self, key, what):
        st, u = self.c.cmd(b"FETCH %d (%s)" % (self.seq[key], what))
        fetched = [fetch_items(l) for l in u if b" FETCH " in l[:20]]
        return st.split(b" ")[0], fetched[0] if fetched else {}

    def search(self, program):
        st, u = self.c.cmd(b"SEARCH " + program)
        nums = set()
        for l in u:
            if l.startswith(b"* SEARCH"):
                nums |= {int(x) for x in l.split()[2:]}
        back = {v: k for k, v in self.seq.items()}
        return st.split(b" ")[0], sorted(back.get(n, n) for n in nums)


SEARCHES = [b"ALL", b"SUBJECT caf\xc3\xa9", b"CHARSET UTF-8 SUBJECT caf\xc3\xa9", b"FROM zoe", b"FROM Z\xc3\xb6e",
            b"TO andr\xc3\xa9", b"CC cc@example.org", b"BODY quarterly", b"TEXT meeting", b"HEADER X-Long report",
            b"HEADER Message-ID example.org", b"LARGER 1000", b"SMALLER 400", b"SENTBEFORE 15-Nov-2026",
            b"SENTSINCE 15-Nov-2026", b"SENTON 3-Nov-2026", b"NOT BODY alpha", b"OR SUBJECT plain BODY invoice",
            b"BODY gr\xc3\xbc\xc3\x9fe", b"1:5", b"HEADER In-Reply-To \"\"", b"NOT HEADER Date \"\""]


def compare(env, mw, dc, messages):
    diffs = []

    def same(key, what, a, b, fold_case=False):
        aa, bb = (fold(a), fold(b)) if fold_case else (a, b)
        if aa != bb:
            diffs.append(f"{key.strip()} {what}:\n    mailwire {a!r}\n    dovecot  {b!r}")

    for key, data, paths in messages:
        items = ["BODYSTRUCTURE", "BODY", "ENVELOPE", "RFC822.SIZE", "BODY.PEEK[]", "BODY.PEEK[HEADER]",
                 "BODY.PEEK[TEXT]", "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM X-LONG)]",
                 "BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT DATE)]", "BODY.PEEK[]<0.10>", "BODY.PEEK[]<7.100>",
                 "BODY.PEEK[TEXT]<3.9>", "BODY.PEEK[1]", "BODY.PEEK[1]<2.7>"]
        for p in paths:
            spec = ".".join(str(x) for x in p)
            items.append(f"BODY.PEEK[{spec}]")
            if isinstance(p[-1], int):
                items.append(f"BODY.PEEK[{spec}.MIME]")
        for item in items:
            sa, a = mw.fetch(key, item.encode())
            sb, b = dc.fetch(key, item.encode())
            if sa != sb or sa != b"OK" or len(a) < 1:
                diffs.append(f"{key.strip()} {item}: mailwire {sa!r} {a!r}, dovecot {sb!r} {b!r}")
                continue
            for k in set(a) | set(b):
                if k in (b"UID",):
                    continue
                same(key, k.decode(), a.get(k), b.get(k), fold_case=k in (b"BODYSTRUCTURE", b"BODY"))
    no_date = {key for key, data, _ in messages
               if b"\nDate:" not in data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]}
    for program in SEARCHES:
        a, b = mw.search(program), dc.search(program)
        if a != b and program.startswith(b"SENT") and set(a[1]) ^ set(b[1]) <= no_date:
            diffs.append(f"SEARCH {program.decode()} differs only on messages without a Date field: "
                         f"{sorted(set(a[1]) ^ set(b[1]))}")
            continue
        same("SEARCH", program.decode("utf-8", "replace"), a, b)
    return diffs


# Differences known and explained, each in the Maildir++ store
# (examples/support/imap_store.cpp, another branch's file): printed as
# KNOWN, not failures, so that a new difference stands out. Each names what
# the store does and what Dovecot does.
# The three there were (HEADER.FIELDS.NOT of a header-only message, SENT*
# without a Date field, TEXT in an attached message's header) are fixed.
KNOWN = []


def known(diff):
    import re
    return next((why for pattern, why in KNOWN if re.search(pattern, diff)), None)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIPPED: needs root (Dovecot from tests/interop/peers drops privileges itself)")
        return 0
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        print("SKIPPED: dovecot not installed (tests/interop/peers/install.sh)")
        return 0
    work = tempfile.mkdtemp(prefix="mailwire-imap-vs-dovecot-")
    os.chmod(work, 0o755)  # the daemons' unprivileged users enter it
    peers = os.path.join(work, "peers")
    p = run([os.path.join(HERE, "peers", "start.sh"), peers, "--no-aiosmtpd"])
    if p.returncode != 0:
        print(f"FAIL setup: start.sh: {p.stdout[-400:]} {p.stderr[-400:]}")
        return 1
    env = dict(l.split("=", 1) for l in open(os.path.join(peers, "peers.env")).read().splitlines()
               if l and not l.startswith("#"))
    env = {k: v.strip("'\"") for k, v in env.items()}
    server = None
    rc = 1
    try:
        maildir = env["MAILDIR"]
        uid, gid = int(env["MAIL_UID"]), int(env["MAIL_GID"])
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        messages = corpus(args.seed, args.count)
        for i, (_, data, _) in enumerate(messages):
            path = os.path.join(maildir, "cur", f"{1700000000 + i}.M{i}P1.corpus:2,")
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (1700000000 + i * 3600, 1700000000 + i * 3600))
        for root, dirs, files in os.walk(os.path.dirname(maildir)):
            for n in dirs + files:
                os.chown(os.path.join(root, n), uid, gid)
        os.chown(os.path.dirname(maildir), uid, gid)
        log = open(os.path.join(work, "mailwire.log"), "w")
        server = subprocess.Popen([args.server, "--listen", "127.0.0.1:0", "--maildir", maildir, "--user",
                                   "u:p", "--allow-plaintext-auth"], stdout=subprocess.PIPE, stderr=log, text=True)
        port = int(server.stdout.readline().strip().rsplit(":", 1)[1])
        t0 = time.monotonic()
        mw = Side("mailwire", port, "u", "p")
        dc = Side("dovecot", int(env["IMAP_PORT"]), env["TEST_USER"], env["TEST_PASS"])
        if sorted(mw.seq) != sorted(dc.seq) or len(mw.seq) != len(messages):
            print(f"FAIL the servers list different messages: {len(mw.seq)} vs {len(dc.seq)}")
            return 1
        diffs = compare(env, mw, dc, messages)
        took = time.monotonic() - t0
        unknown = [d for d in diffs if not known(d)]
        for d in diffs:
            why = known(d)
            print(("KNOWN " + d.splitlines()[0] + "  (" + why + ")") if why else "DIFF " + d)
        print(f"{len(messages)} messages, {len(SEARCHES)} searches compared in {took:.1f} s: "
              f"{len(unknown)} unexplained difference{'s' if len(unknown) != 1 else ''}, "
              f"{len(diffs) - len(unknown)} known")
        rc = 1 if unknown else 0
    finally:
        if server is not None:
            server.terminate()
            if server.wait(10) != 0:
                print(f"FAIL mailwire-imap-server exit {server.returncode} after SIGTERM")
                rc = 1
        run([os.path.join(HERE, "peers", "stop.sh"), peers])
        if rc == 0 and not args.v:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory: {work}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
