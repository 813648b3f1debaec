#!/usr/bin/env python3
"""mailwire-compose (examples/compose.cpp): its command line, the structure
and bytes of what it writes, the invariants every message obeys, and flat
memory for a 1 GB attachment.

    compose_test.py --compose path/to/mailwire-compose --dump path/to/mailwire-mime-dump
                    [-k FILTER]... [-n PROPERTY_CASES] [--seed N] [--big-mb 1024]

Every message a case makes goes through compose_invariants.check() (line
ends, 998/78, 8-bit bytes, encoded-words, boundaries; see that file) and is
read back with mailwire-mime-dump (mailwire's own parser; other readers are
tests/interop/compose_readers.py). Cases:

  usage.*      --help lists every flag with its default; each bad argument
               exits 2 with nothing on stdout (addresses that are not
               exactly one mailbox, missing files, bad dates, CIDs and types,
               attached messages that cannot be sent as they are...)
  structure.*  text only, HTML only, text+HTML, inline parts, attachments,
               attached messages, nothing at all: the tree, types, file
               names, Content-IDs and decoded bytes as given; --7bit;
               --flowed (un-flowed, the text comes back); type guesses;
               FILE:TYPE; the Date and Message-ID given or made
  property.*   seeded random messages: Unicode subjects, display names and
               file names (right-to-left, combining marks, 4-byte UTF-8,
               quotes, backslashes, semicolons, percent signs, 200-byte
               names), random binary attachments of sizes around base64's
               57-byte lines and the program's 64 KiB pieces
  big.*        a 1 GB (sparse) attachment: the output is the right size and
               holds exactly the file's bytes, and the peak RSS is within
               4 MB of a 64 MB attachment's

Prints `PASS name`, `FAIL name: why` or `SKIP name: why`, then
`N passed, M failed, K skipped`.
"""

import argparse
import email.utils
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from suite import Suite  # noqa: E402
import compose_invariants  # noqa: E402

DATE = "Tue, 1 Jul 2025 09:08:07 +0200"
DATE_OUT = b"Date: Tue, 01 Jul 2025 09:08:07 +0200"


class Env:
    pass


def sha(b):
    return hashlib.sha256(b).hexdigest()


def crlf(b):
    """Text in canonical form: CR, LF and CRLF each a CRLF."""
    return re.sub(rb"\r\n|\r|\n", b"\r\n", b)


class Compose:
    """One run; on exit 0 the output is checked and read back."""

    def __init__(self, env, *args, stdin=b"", seven_bit=None, timeout=60):
        self.args = list(args)
        p = subprocess.run([env.compose, *args], input=stdin, capture_output=True, timeout=timeout)
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr.decode(errors="replace")
        for marker in ("Sanitizer", "runtime error:"):
            if marker in self.err:
                raise AssertionError(f"sanitizer: {self.err[:600]}")
        self.tree = self.dump = None
        if self.rc == 0 and "--help" not in args:
            self.tree = compose_invariants.check(self.out, "--7bit" in args if seven_bit is None else seven_bit)
            d = subprocess.run([env.dump, "-"], input=self.out, capture_output=True, timeout=60)
            if d.returncode != 0:
                raise AssertionError(f"mailwire-mime-dump exited {d.returncode}")
            self.dump = json.loads(d.stdout)
            # (mime_unsafe_filename: a name to change before saving, e.g. "a.";
            # it is sent as given)
            diags = [d for d in self.dump["diagnostics"] if d["code"] != "mime_unsafe_filename"]
            if diags:
                raise AssertionError(f"our parser reports {diags}")

    def ok(self):
        if self.rc != 0:
            raise AssertionError(f"exit {self.rc}: {self.err[-600:]}")
        return self

    def header(self, name):
        for n, v in self.tree["headers"]:
            if n.lower() == name.lower().encode():
                return v
        return None


def base_args(*more, subject="test"):
    return ["--from", "a@example.org", "--to", "b@example.org", "--subject", subject, "--date", DATE, *more]


def write(env, name, data):
    path = os.path.join(env.work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def shape(node):
    """A part of mime-dump's JSON as a short string: type[children]."""
    if node["parts"] is not None:
        return node["content_type"] + "[" + ",".join(shape(c) for c in node["parts"]) + "]"
    if node["message"] is not None:
        return node["content_type"] + "{" + shape(node["message"]["root"]) + "}"
    return node["content_type"]


def leaves(node):
    if node["parts"] is not None:
        for c in node["parts"]:
            yield from leaves(c)
    else:
        yield node


def expect_shape(c, want):
    got = shape(c.dump["root"])
    if got != want:
        raise AssertionError(f"structure {got}, expected {want}")


def expect_leaf(leaf, data, **fields):
    if (leaf["size"], leaf["sha256"]) != (len(data), sha(data)):
        raise AssertionError(f"{leaf['content_type']} {leaf['filename']!r}: {leaf['size']} bytes decoded, "
                             f"expected {len(data)} (or different bytes)")
    for k, v in fields.items():
        if leaf[k] != v:
            raise AssertionError(f"{leaf['content_type']}: {k} is {leaf[k]!r}, expected {v!r}")


# ---------------------------------------------------------------- usage

FLAGS = {"--from", "--to", "--cc", "--subject", "--text", "--html", "--attach", "--inline", "--date",
         "--message-id", "--7bit", "--flowed", "--help", "--version"}


def help_lists_every_flag(env):
    c = Compose(env, "--help")
    out = c.out.decode()
    if c.rc != 0 or "Exit status" not in out:
        raise AssertionError(f"--help: exit {c.rc}: {out[:300]}")
    own = "\n".join(l for l in out.splitlines() if "mailwire-smtp-send" not in l)
    shown = set(re.findall(r"--[a-z0-9][a-z0-9-]*", own))
    if shown != FLAGS:
        raise AssertionError(f"--help shows {sorted(shown - FLAGS)} extra, {sorted(FLAGS - shown)} missing")
    # Each option's paragraph says its default (or that it is required).
    for flag in FLAGS - {"--help", "--version"}:
        m = re.search(r"^  " + re.escape(flag) + r"\b(.*?)(?=^  --|\n\n)", out, re.S | re.M)
        if not m or not re.search(r"[Dd]efault|required", m.group(1)):
            raise AssertionError(f"--help: no default said for {flag}")


def bad_arguments(env):
    text = write(env, "bad/t.txt", b"hello\n")
    html = write(env, "bad/h.html", b"<p>x</p>\n")
    png = write(env, "bad/p.png", b"\x89PNG")
    latin1 = write(env, "bad/l.txt", "Grüße\n".encode("latin-1"))
    nul_eml = write(env, "bad/nul.eml", b"Subject: x\r\n\r\na\x00b\r\n")
    long_eml = write(env, "bad/long.eml", b"Subject: x\r\n\r\n" + b"y" * 999 + b"\r\n")
    eight_eml = write(env, "bad/8.eml", "Subject: x\r\n\r\nGrüße\r\n".encode())
    bad_name = write(env, "bad/\xff.bin".encode("latin-1").decode("utf-8", "surrogateescape"), b"x")
    ok = ["--from", "a@example.org", "--to", "b@example.org", "--subject", "s"]
    cases = [
        ([], "--from is required"),
        (["--to", "b@example.org", "--subject", "s"], "--from is required"),
        (["--from", "a@example.org", "--subject", "s"], "--to is required"),
        (["--from", "a@example.org", "--to", "b@example.org"], "--subject is required"),
        (ok + ["--bogus"], "unknown option"),
        (ok + ["--text"], "needs a value"),
        (["--from", "a@example.org, c@example.org", "--to", "b@example.org", "--subject", "s"], "exactly one"),
        (["--from", "a@example.org", "--to", "Group: b@example.org;", "--subject", "s"], "exactly one"),
        (["--from", "Name a@example.org", "--to", "b@example.org", "--subject", "s"], "--from"),
        (["--from", "a@example.org", "--to", "\"unterminated <b@example.org>", "--subject", "s"], "--to"),
        (["--from", "nobody", "--to", "b@example.org", "--subject", "s"], "--from"),
        (["--from", "a@example.org", "--from", "c@example.org", "--to", "b@example.org", "--subject", "s"], "once"),
        (["--from", "zoë@example.org", "--to", "b@example.org", "--subject", "s"], "SMTPUTF8"),
        (ok + ["--cc", "x"], "--cc"),
        (ok[:-1] + ["line\nbreak"], "--subject"),
        (ok + ["--text", os.path.join(env.work, "missing.txt")], "missing.txt"),
        (ok + ["--text", latin1], "not UTF-8"),
        (ok + ["--text", text, "--text", text], "once"),
        (ok + ["--text", "-", "--html", "-"], "stdin"),
        (ok + ["--attach", os.path.join(env.work, "missing.pdf")], "missing.pdf"),
        (ok + ["--attach", env.work], "not a regular file"),
        (ok + ["--attach", text + ":multipart/mixed"], "multipart"),
        (ok + ["--attach", bad_name], "not UTF-8"),
        (ok + ["--attach", nul_eml], "NUL"),
        (ok + ["--attach", long_eml], "998"),
        (ok + ["--7bit", "--attach", eight_eml], "--7bit"),
        (ok + ["--inline", png + ":img@example.org"], "--inline needs --html"),
        (ok + ["--html", html, "--inline", png], "FILE:CID"),
        (ok + ["--html", html, "--inline", png + ":no-at-sign"], "CID"),
        (ok + ["--html", html, "--inline", png + ":a b@example.org"], "CID"),
        (ok + ["--flowed"], "--flowed needs --text"),
        (ok + ["--date", "yesterday"], "--date"),
        (ok + ["--date", "Mon, 32 Jan 2024 10:00:00 +0000"], "--date"),
        (ok + ["--date", "Tue, 1 Jan 2024 10:00:00 +0000"], "--date"),  # a Monday: the weekday is wrong
        (ok + ["--message-id", "no-at-sign"], "--message-id"),
        (ok + ["--message-id", "<a b@example.org>"], "--message-id"),
        (ok + ["--message-id", "<>"], "--message-id"),
    ]
    for args, why in cases:
        c = Compose(env, *args)
        if c.rc != 2 or c.out or why not in c.err:
            raise AssertionError(f"{args}: exit {c.rc}, {len(c.out)} bytes out, stderr {c.err[-300:]!r} "
                                 f"(expected exit 2, nothing out, {why!r})")
        if "usage: mailwire-compose" not in c.err:
            raise AssertionError(f"{args}: no synopsis on stderr")
    Compose(env, *ok, "--date", "Mon, 1 Jan 2024 10:00:00 +0000").ok()


# ---------------------------------------------------------------- structure

TEXT = "Hello Zoë,\n\nthe report is attached.\n.\n..leading dots\nFrom here on\n--=_not a boundary\n-- \nme\n"
HTML = '<html><body><p>Hello Zoë, <img src="cid:logo@example.org"></p></body></html>\n'


def text_only(env):
    c = Compose(env, *base_args("--text", write(env, "t.txt", TEXT.encode()))).ok()
    expect_shape(c, "text/plain")
    expect_leaf(c.dump["root"], crlf(TEXT.encode()), charset="utf-8", transfer_encoding="8bit")
    if c.header("Date").strip() != DATE_OUT[6:]:
        raise AssertionError(f"Date: {c.header('Date')!r}")


def text_7bit(env):
    c = Compose(env, *base_args("--7bit", "--text", write(env, "t.txt", TEXT.encode()))).ok()
    expect_leaf(c.dump["root"], crlf(TEXT.encode()), charset="utf-8", transfer_encoding="quoted-printable")


def html_only(env):
    c = Compose(env, *base_args("--html", write(env, "h.html", HTML.encode()))).ok()
    expect_shape(c, "text/html")
    expect_leaf(c.dump["root"], crlf(HTML.encode()), charset="utf-8")


def alternative(env):
    c = Compose(env, *base_args("--text", write(env, "t.txt", TEXT.encode()),
                                "--html", write(env, "h.html", HTML.encode()))).ok()
    expect_shape(c, "multipart/alternative[text/plain,text/html]")
    t, h = leaves(c.dump["root"])
    expect_leaf(t, crlf(TEXT.encode()))
    expect_leaf(h, crlf(HTML.encode()))


def related(env):
    logo = bytes(random.Random(1).getrandbits(8) for _ in range(5000))
    c = Compose(env, *base_args("--text", write(env, "t.txt", TEXT.encode()),
                                "--html", write(env, "h.html", HTML.encode()),
                                "--inline", write(env, "logo.png", logo) + ":logo@example.org",
                                "--inline", write(env, "x.dat", b"GIF89a") + ":x@example.org:image/gif")).ok()
    expect_shape(c, "multipart/alternative[text/plain,multipart/related[text/html,image/png,image/gif]]")
    rel = c.tree["parts"][1]
    if rel["params"].get("type") != "text/html":
        raise AssertionError(f"multipart/related without type=text/html: {rel['params']}")
    _, _, png, gif = leaves(c.dump["root"])
    expect_leaf(png, logo, content_id="logo@example.org", disposition="inline", filename="logo.png",
                transfer_encoding="base64")
    expect_leaf(gif, b"GIF89a", content_id="x@example.org", filename="x.dat")


def related_without_text(env):
    c = Compose(env, *base_args("--html", write(env, "h.html", HTML.encode()),
                                "--inline", write(env, "logo.png", b"png") + ":logo@example.org")).ok()
    expect_shape(c, "multipart/related[text/html,image/png]")


def mixed(env):
    pdf = bytes(range(256)) * 40
    eml = b"From: x@example.org\nSubject: inner\n\nInner body.\n"
    c = Compose(env, *base_args("--text", write(env, "t.txt", TEXT.encode()),
                                "--html", write(env, "h.html", HTML.encode()),
                                "--inline", write(env, "logo.png", b"png") + ":logo@example.org",
                                "--attach", write(env, "dir/Rapport été.pdf", pdf),
                                "--attach", write(env, "notes.txt", b"one\ntwo\r\nthree\rfour"),
                                "--attach", write(env, "fwd.eml", eml),
                                "--cc", "Carol <c@example.org>", "--cc", "d@example.org")).ok()
    expect_shape(c, "multipart/mixed[multipart/alternative[text/plain,multipart/related[text/html,image/png]],"
                    "application/pdf,text/plain,message/rfc822{text/plain}]")
    att = c.dump["root"]["parts"]
    expect_leaf(att[1], pdf, filename="Rapport été.pdf", disposition="attachment")
    # text/* attachments are sent in canonical form (CRLF line ends)
    expect_leaf(att[2], b"one\r\ntwo\r\nthree\r\nfour", filename="notes.txt", charset="utf-8")
    inner = att[3]["message"]
    if inner["subject"] != "inner" or att[3]["filename"] != "fwd.eml":
        raise AssertionError(f"attached message: {att[3]}")
    expect_leaf(inner["root"], b"Inner body.\r\n")
    if [(x["name"], x["address"]) for x in c.dump["cc"]] != [("Carol", "c@example.org"), (None, "d@example.org")]:
        raise AssertionError(f"Cc: {c.dump['cc']}")
    # size and modification-date in Content-Disposition
    disp = dict(c.tree["parts"][1]["headers"])[b"Content-Disposition"]
    if b"size=10240" not in disp or b"modification-date=" not in disp:
        raise AssertionError(f"Content-Disposition: {disp!r}")


def attachments_only(env):
    c = Compose(env, *base_args("--attach", write(env, "a.bin", b"\x00\x01"))).ok()
    expect_shape(c, "multipart/mixed[application/octet-stream]")


def empty_body(env):
    c = Compose(env, *base_args()).ok()
    expect_shape(c, "text/plain")
    expect_leaf(c.dump["root"], b"")


def eml_8bit(env):
    eml = "Subject: Grüße\r\n\r\nGrüße\r\n".encode()
    c = Compose(env, *base_args("--attach", write(env, "g.eml", eml))).ok()
    part = c.tree["parts"][0]
    if part["cte"] != "8bit":
        raise AssertionError(f"an attached message with 8-bit bytes is labelled {part['cte']}")
    c7 = Compose(env, *base_args("--attach", write(env, "a.eml", b"Subject: a\r\n\r\nb\r\n"))).ok()
    if c7.tree["parts"][0]["cte"] != "7bit":
        raise AssertionError("an ASCII attached message is not 7bit")


def latin1_text_attachment(env):
    data = "Grüße\n".encode("latin-1")
    c = Compose(env, *base_args("--7bit", "--attach", write(env, "l.txt", data))).ok()
    expect_leaf(c.dump["root"]["parts"][0], b"Gr\xfc\xdfe\r\n", charset="unknown-8bit",
                transfer_encoding="quoted-printable")


def unflow(text):
    """RFC 3676 4.1/4.2 (DelSp=no): joins soft breaks, removes stuffing."""
    out, cur = [], b""
    for line in text.split(b"\r\n"):
        if line.startswith(b" "):
            line = line[1:]
        if line.endswith(b" ") and line != b"-- ":
            cur += line
        else:
            out.append(cur + line)
            cur = b""
    if cur:
        out.append(cur)
    return b"\r\n".join(out)


def flowed(env):
    para = ("This paragraph is long enough to be wrapped at seventy-six characters or so, with words: "
            "Grüße aus Zürich, and more words to wrap it more than once. ") * 3
    text = (para.strip() + "\n> quoted\n From stuffed\nFrom here\ntrailing   \n-- \nsig\n").encode()
    c = Compose(env, *base_args("--flowed", "--text", write(env, "f.txt", text))).ok()
    ct = c.header("Content-Type")
    if b"format=flowed" not in ct:
        raise AssertionError(f"Content-Type: {ct!r}")
    body = c.tree["body"]
    if max(len(x) for x in body.split(b"\r\n")) > 78:
        raise AssertionError("a flowed line over 78 characters")
    want = b"\r\n".join(x if x == b"-- " else x.rstrip(b" ") for x in crlf(text).split(b"\r\n"))
    got = unflow(body.decode("utf-8").encode()) + b"\r\n" if not body.endswith(b"\r\n") else unflow(body)
    if got.rstrip(b"\r\n") != want.rstrip(b"\r\n"):
        raise AssertionError(f"un-flowed text differs:\n{got!r}\n{want!r}")


def type_guesses(env):
    table = {"a.pdf": "application/pdf", "a.PNG": "image/png", "a.jpg": "image/jpeg", "a.jpeg": "image/jpeg",
             "a.gif": "image/gif", "a.txt": "text/plain", "a.html": "text/html", "a.htm": "text/html",
             "a.csv": "text/csv", "a.zip": "application/zip", "a.json": "application/json",
             "a.ics": "text/calendar", "a.eml": "message/rfc822", "a.tar.gz": "application/octet-stream",
             "noext": "application/octet-stream", "a.": "application/octet-stream"}
    args = []
    for name in table:
        args += ["--attach", write(env, "types/" + name, b"Subject: x\r\n\r\nx\r\n")]
    c = Compose(env, *base_args(*args)).ok()
    got = [p["content_type"] for p in c.dump["root"]["parts"]]
    if got != list(table.values()):
        raise AssertionError(f"types {got}")
    # FILE:TYPE, and a ':' in a file name that is not a type
    c = Compose(env, *base_args("--attach", write(env, "x:y.pdf", b"%PDF"),
                                "--attach", write(env, "z.bin", b"z") + ":Image/PNG",
                                "--attach", write(env, "w:v.bin", b"w") + ":text/x-custom")).ok()
    got = [(p["content_type"], p["filename"]) for p in c.dump["root"]["parts"]]
    if got != [("application/pdf", "x:y.pdf"), ("image/png", "z.bin"), ("text/x-custom", "w:v.bin")]:
        raise AssertionError(f"FILE:TYPE read as {got}")


def date_and_id(env):
    c = Compose(env, "--from", "Zoë <zoe@mail.example.org>", "--to", "b@example.org", "--subject", "x").ok()
    date = email.utils.parsedate_to_datetime(c.header("Date").decode())
    if abs(date.timestamp() - time.time()) > 30:
        raise AssertionError(f"default Date {c.header('Date')!r} is not now")
    offset = -time.altzone if time.localtime().tm_isdst > 0 else -time.timezone
    if date.utcoffset().total_seconds() != offset:
        raise AssertionError(f"default Date's zone {date.utcoffset()} is not the local one ({offset} s)")
    mid = c.header("Message-ID").strip()
    if not re.fullmatch(rb"<[0-9a-f]{32}@mail\.example\.org>", mid):
        raise AssertionError(f"default Message-ID {mid!r}")
    c2 = Compose(env, "--from", "zoe@mail.example.org", "--to", "b@example.org", "--subject", "x",
                 "--attach", write(env, "r.bin", b"r")).ok()
    c3 = Compose(env, "--from", "zoe@mail.example.org", "--to", "b@example.org", "--subject", "x",
                 "--attach", write(env, "r.bin", b"r")).ok()
    if c2.header("Message-ID") == c3.header("Message-ID") or c2.tree["params"] == c3.tree["params"]:
        raise AssertionError("two runs made the same Message-ID or boundary")
    c = Compose(env, *base_args("--message-id", "<given.1@example.org>")).ok()
    if c.header("Message-ID").strip() != b"<given.1@example.org>":
        raise AssertionError(f"Message-ID {c.header('Message-ID')!r}")
    c = Compose(env, *base_args("--message-id", "bare@example.org")).ok()
    if c.header("Message-ID").strip() != b"<bare@example.org>":
        raise AssertionError(f"Message-ID {c.header('Message-ID')!r}")


def quoted_local_part(env):
    # The parser keeps a quoted local part's quotes; they are written once.
    c = Compose(env, "--from", "a@[127.0.0.1]", "--to", '"john doe"@example.org', "--subject", "x",
                "--date", DATE).ok()
    if c.header("To").strip() != b'"john doe"@example.org':
        raise AssertionError(f"To: {c.header('To')!r}")
    if [x["address"] for x in c.dump["to"]] != ['"john doe"@example.org']:
        raise AssertionError(f"read back as {c.dump['to']}")
    if not re.fullmatch(rb"<[0-9a-f]{32}@localhost>", c.header("Message-ID").strip()):
        raise AssertionError(f"Message-ID for a domain literal: {c.header('Message-ID')!r}")


def stdin_text(env):
    c = Compose(env, *base_args("--text", "-"), stdin=b"from stdin\n").ok()
    expect_leaf(c.dump["root"], b"from stdin\r\n")


# ---------------------------------------------------------------- property

RTL = ["שלום", "עולם", "مرحبا", "بالعالم", "\u202eevil\u202c"]
COMBINING = ["e\u0301", "a\u0308\u0323", "n\u0303o", "Z\u0335\u0321a\u0337\u0322"]
FOUR_BYTE = ["😀", "𝄞", "𠜎", "👩‍👩‍👧", "🇨🇭"]
PLAIN = ["report", "Grüße", "naïve", "日本語", "Ελληνικά", "Кириллица", "x", "2025", "a-b_c"]
SPECIAL = ['"', "\\", ";", "%", "%41", "=?", "?=", "'", "(", ")", "<", ">", ",", ":", "@", "[", "]", "*",
           "=", "?", "_", "&", "#", "!", "~", "`"]


def random_words(rng, n, specials=True):
    pools = [RTL, COMBINING, FOUR_BYTE, PLAIN, PLAIN] + ([SPECIAL] if specials else [])
    words = []
    for _ in range(n):
        w = rng.choice(rng.choice(pools))
        if rng.random() < 0.3:
            w += rng.choice(rng.choice(pools))  # glued pieces: one word
        words.append(w)
    return " ".join(words)


def quote_name(name):
    """A display name as a quoted string for the command line."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def random_name(rng):
    # What parse_address_list would decode (a whole encoded-word) is not
    # generated: the command line would then mean another name.
    while True:
        name = random_words(rng, rng.randint(1, 4 if rng.random() < 0.8 else 30))
        if not re.search(r"=\?[^?]*\?[^?]*\?[^?]*\?=", name):
            return name


def random_filename(rng, ext):
    while True:
        n = rng.choice([1, 2, 3, 5, 12, 30])
        base = random_words(rng, n).replace("/", "_")
        name = (base + ext)
        if len(name.encode()) <= 255 and not name.startswith("-"):
            return name


SIZES = [0, 1, 2, 3, 56, 57, 58, 59, 114, 171, 76 * 3, 4095, 4096, 4097, 65535, 65536, 65537,
         57 * 1150, 57 * 1150 + 1, 2 * 65536 - 1, 2 * 65536, 2 * 65536 + 1, 3 * 65536 + 57]


def property_case(env, seed):
    rng = random.Random(seed)
    d = os.path.join(env.work, f"prop{seed}")
    os.makedirs(d)
    subject = random_words(rng, rng.randint(1, 40 if rng.random() < 0.7 else 120))
    from_name, to_names = random_name(rng), [random_name(rng) for _ in range(rng.randint(1, 3))]
    args = ["--from", f"{quote_name(from_name)} <from@example.org>", "--subject", subject]
    to = []
    for i, n in enumerate(to_names):
        addr = f"to{i}@example.{rng.choice(['org', 'com', 'net'])}"
        to.append((n, addr))
        args += ["--to", f"{quote_name(n)} <{addr}>"]
    seven = rng.random() < 0.4
    if seven:
        args.append("--7bit")
    text = random_words(rng, rng.randint(0, 200), specials=False).replace("  ", "\n").encode()
    if rng.random() < 0.8:
        args += ["--text", write(env, f"prop{seed}/body.txt", text)]
    files = []
    for k in range(rng.randint(0, 4)):
        size = rng.choice(SIZES)
        data = rng.randbytes(size)
        kind = rng.random()
        if kind < 0.15:
            name, data = random_filename(rng, ".txt"), random_words(rng, size // 8, specials=False).encode()
            want = crlf(data)
        else:
            name, want = random_filename(rng, rng.choice([".bin", ".pdf", ".png", ""])), data
        path = os.path.join(d, f"{k}", name)
        os.makedirs(os.path.dirname(path))
        with open(path, "wb") as f:
            f.write(data)
        files.append((name, want))
        args += ["--attach", path]
    c = Compose(env, *args, seven_bit=seven).ok()
    m = c.dump
    if m["subject"] != subject:
        raise AssertionError(f"seed {seed}: subject {m['subject']!r} != {subject!r}")
    if [(x["name"], x["address"]) for x in m["from"]] != [(from_name, "from@example.org")]:
        raise AssertionError(f"seed {seed}: from {m['from']} != {from_name!r}")
    if [(x["name"], x["address"]) for x in m["to"]] != to:
        raise AssertionError(f"seed {seed}: to {m['to']} != {to}")
    parts = list(leaves(m["root"]))
    if "--text" in args:
        want = crlf(text)
        leaf = parts.pop(0)
        if not files and not want.endswith(b"\r\n") and leaf["transfer_encoding"] != "base64":
            # A message's last line ends (RFC 5322 2.1), so a top-level
            # text written as it is (or as quoted-printable, where that line
            # break is a hard one) ends with one.
            want += b"\r\n"
        expect_leaf(leaf, want)
    elif not files:
        parts.pop(0)  # the empty text/plain body
    if len(parts) != len(files):
        raise AssertionError(f"seed {seed}: {len(parts)} attachments read, {len(files)} sent")
    for leaf, (name, want) in zip(parts, files):
        expect_leaf(leaf, want, filename=name)
    return len(c.out)


def properties(env, n, seed):
    total = 0
    for s in range(seed, seed + n):
        total += property_case(env, s)
    print(f"  {n} random messages, {total} bytes", flush=True)


# ---------------------------------------------------------------- big

def peak_rss_kb(pid):
    """VmHWM of a running process: the peak RSS of its own image (unlike
    ru_maxrss, which also counts the Python process it was forked from)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(cmd, consume):
    """Runs cmd with stdout piped to consume(stream, sample); sample() is
    called as output arrives and records the peak RSS. (peak KB, seconds)"""
    t0 = time.monotonic()
    env = dict(os.environ)
    # Under ASan, freed pieces wait in a 256 MB quarantine: memory would
    # grow with the attachment for the sanitizer's sake, not the program's.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1").lstrip(":")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = [0]

    def sample():
        peak[0] = max(peak[0], peak_rss_kb(p.pid))

    consume(p.stdout, sample)
    err = p.stderr.read()
    rc = p.wait()
    took = time.monotonic() - t0
    if rc != 0:
        raise AssertionError(f"{cmd[0]} exited {rc}: {err[-400:]!r}")
    return peak[0], took


class ZeroAttachment:
    """Checks, streaming, that the output's one base64 part decodes to `size`
    zero bytes: 76-column lines of 'A's, the last quantum padded."""

    def __init__(self, size):
        self.size = size
        self.head = b""
        self.in_body = False
        self.a = self.lines = 0
        self.tail = b""
        self.total = 0

    def __call__(self, stream, sample):
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            self.total += len(chunk)
            sample()
            if not self.in_body:
                self.head += chunk
                at = self.head.find(b"Content-Transfer-Encoding: base64\r\n")
                end = self.head.find(b"\r\n\r\n", at) if at >= 0 else -1
                if end < 0:
                    continue
                chunk, self.in_body = self.head[end + 4:], True
            data = self.tail + chunk
            keep = 256  # the end (padding, close delimiter) is checked last
            body, self.tail = data[:-keep], data[-keep:]
            self.a += body.count(b"A")
            self.lines += body.count(b"\n")  # (a piece may end between CR and LF)
            if body.translate(None, b"A\r\n") or body.count(b"\r") != body.count(b"\n") + (body[-1:] == b"\r") - (
                    body[:1] == b"\n"):
                raise AssertionError("a byte other than 'A' or CRLF in the base64 of zeros")

    def check(self):
        tail = self.tail.split(b"\r\n")
        # ... "AAAA", "AA==" or "AAA=", then "--boundary--", ""
        last, close = tail[-3], tail[-2]
        if not close.startswith(b"--=_") or not close.endswith(b"--"):
            raise AssertionError(f"the message does not end with a close delimiter: {self.tail[-120:]!r}")
        body_tail = b"\r\n".join(tail[:-2])
        self.a += body_tail.count(b"A")
        pad = (3 - self.size % 3) % 3
        if not last.endswith(b"=" * pad) or (pad == 0 and last.endswith(b"=")):
            raise AssertionError(f"base64 padding: {last!r}")
        chars = 4 * ((self.size + 2) // 3)
        if self.a != chars - pad:
            raise AssertionError(f"{self.a} base64 characters of zeros, expected {chars - pad}")
        lines = self.lines + body_tail.count(b"\n")
        if lines != (chars - 1) // 76:
            raise AssertionError(f"{lines} line breaks in the base64, expected {(chars - 1) // 76}")


def big_attachment(env, mb):
    """A sparse file of `mb` MB against one of 64 MB: the same peak RSS
    (within 4 MB), and every byte of the output checked."""
    cmd = [env.compose, *base_args("--text", write(env, "t.txt", b"see attached\n"))]
    peaks = []
    for size in (64 << 20, mb << 20):
        path = os.path.join(env.work, f"zeros-{size}.bin")
        with open(path, "wb") as f:
            f.truncate(size)  # sparse: made at once, reads as zeros
        check = ZeroAttachment(size)
        peak, took = run_measured(cmd + ["--attach", path], check)
        check.check()
        os.unlink(path)
        peaks.append(peak)
        print(f"  {size >> 20} MB attachment: {check.total} bytes out in {took:.1f} s "
              f"({size / took / 1e6:.0f} MB/s in); peak RSS {peak} KB", flush=True)
    if peaks[0] == 0 or peaks[1] > peaks[0] + 4096:
        raise AssertionError(f"peak RSS {peaks[1]} KB for {mb} MB against {peaks[0]} KB for 64 MB: not flat")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compose", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    ap.add_argument("-n", type=int, default=150, help="property cases")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--big-mb", type=int, default=1024)
    args = ap.parse_args()
    env = Env()
    env.compose, env.dump = args.compose, args.dump
    suite = Suite(args.k)
    with tempfile.TemporaryDirectory(prefix="mailwire-compose-test-") as work:
        env.work = work
        c = suite.case
        c("usage.help_lists_every_flag", help_lists_every_flag, env)
        c("usage.bad_arguments_exit_2", bad_arguments, env)
        c("structure.text_only", text_only, env)
        c("structure.text_7bit", text_7bit, env)
        c("structure.html_only", html_only, env)
        c("structure.alternative", alternative, env)
        c("structure.related", related, env)
        c("structure.related_without_text", related_without_text, env)
        c("structure.mixed", mixed, env)
        c("structure.attachments_only", attachments_only, env)
        c("structure.empty_body", empty_body, env)
        c("structure.attached_message_8bit", eml_8bit, env)
        c("structure.latin1_text_attachment", latin1_text_attachment, env)
        c("structure.flowed", flowed, env)
        c("structure.type_guesses", type_guesses, env)
        c("structure.date_and_message_id", date_and_id, env)
        c("structure.quoted_local_part", quoted_local_part, env)
        c("structure.stdin_text", stdin_text, env)
        c("property.random_messages", properties, env, args.n, args.seed)
        c("big.attachment_rss_flat", big_attachment, env, args.big_mb)
        return suite.summary()


if __name__ == "__main__":
    sys.exit(main())
