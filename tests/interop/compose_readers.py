#!/usr/bin/env python3
"""mailwire-compose's output read by parsers that are not mailwire's:
Python's `email` (policy.default), GMime 3 and Node's mailparser.

    compose_readers.py --compose path/to/mailwire-compose [--gmime path/to/mailwire-gmime-reader]
                       [-n COUNT] [-s SEED] [--save DIR] [-v]

A seeded generator makes COUNT (default 300) messages with mailwire-compose:
Unicode subjects and display names (right-to-left, combining marks, 4-byte
UTF-8, quotes, backslashes, semicolons, percent signs, "=?", very long),
text, HTML, text+HTML, inline images by Content-ID, binary attachments of
sizes around base64's lines and the program's 64 KiB pieces, UTF-8 and
Latin-1 text attachments, attached messages (.eml, 7-bit and 8-bit),
Unicode file names up to 255 bytes, --7bit and --flowed. Each message is
first checked against the invariants (tests/examples/compose_invariants.py),
then read by each reader, and every reader must find what was given: the
Subject, From/To/Cc (display name and address), the text and HTML bodies,
and per attachment or inline part its file name, type, Content-ID and
decoded bytes (text/* ones in canonical CRLF form), and the Subject of
each attached message.

Where a reader differs on purpose (its documented reading), the RULES table
names it; a difference is accepted only when its rule's check says it is
exactly that one, and counted. Anything else is printed with the seed and
fails the test. A reader that is not installed (GMime's reader not built,
node or npm missing, npm offline) is SKIPPED by name; the others run.

Disagreements found here that were the writer's to fix (each has a test in
tests/unit/mime_builder_found_test.cpp): GMime 3 decodes adjacent B
encoded-words as one base64 stream and lost everything after a padded one
(the encoder now pads only a run's last B word); Python cut unquoted
parameter values at '*' (such values are now quoted); address fields ran
past 78 columns before " <address>" (now folded there).

Prints per reader `READER: N messages, M differences explained (by rule),
K unexplained`, then `N passed, M failed, K skipped` (one case per reader).
"""

import argparse
import base64
import email
import email.policy
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
from suite import Skip, Suite  # noqa: E402
import compose_invariants  # noqa: E402
from compose_test import (SIZES, crlf, quote_name, random_filename, random_name, random_words,  # noqa: E402
                          unflow)

DATE = "Wed, 2 Jul 2025 10:11:12 -0430"


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---------------------------------------------------------------- generator

class Spec:
    """What one message was made from: what every reader must find."""

    def __init__(self, seed):
        self.seed = seed
        self.args = []
        self.subject = ""
        self.from_ = None
        self.to, self.cc = [], []
        self.text = self.html = None  # bytes as they must decode (canonical CRLF)
        self.flowed = False
        self.seven_bit = False
        self.files = []  # dicts: filename, type, data (decoded), cid, disposition, inner_subject
        self.raw = b""


def body_text(rng, lines):
    out = []
    for _ in range(lines):
        line = random_words(rng, rng.randint(0, 16), specials=rng.random() < 0.3)
        r = rng.random()
        if r < 0.05:
            line = "." if rng.random() < 0.5 else "." + line
        elif r < 0.1:
            line = "From " + line
        elif r < 0.14:
            line = "--=_" + line  # like the program's boundaries, but not one
        elif r < 0.17:
            line += "   "  # trailing spaces
        elif r < 0.2:
            line = "x" * rng.choice([76, 77, 78, 200, 998])  # long lines: encoded when over 998
        out.append(line)
    return "\n".join(out) + "\n"


def mailbox(rng, n):
    addr = f"user{n}.{rng.randint(0, 999)}@{rng.choice(['example.org', 'example.com', 'mail.example.net'])}"
    if rng.random() < 0.2:
        return addr, (None, addr)
    name = random_name(rng)
    return f"{quote_name(name)} <{addr}>", (name, addr)


def eml(rng, seven_bit):
    subject = random_words(rng, rng.randint(1, 6), specials=False)
    # The inner message's header is its own: written ASCII-only with an
    # encoded-word when needed (any reader decodes that the same).
    enc = "=?UTF-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    body = body_text(rng, rng.randint(1, 5))
    if seven_bit:
        body = body.encode("ascii", "replace").decode()
    data = (f"From: inner@example.org\nTo: x@example.org\nSubject: {enc}\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: {'7bit' if seven_bit else '8bit'}\n"
            f"\n{body}").encode()
    if b"x" * 999 in data:
        data = data.replace(b"x" * 998, b"x" * 100)
    return data, subject


def generate(seed, work, compose):
    rng = random.Random(seed)
    s = Spec(seed)
    d = os.path.join(work, str(seed))
    os.makedirs(d)
    s.subject = random_words(rng, rng.randint(1, 40 if rng.random() < 0.8 else 100))
    arg, s.from_ = mailbox(rng, 0)
    s.args += ["--from", arg, "--subject", s.subject, "--date", DATE]
    for i in range(rng.randint(1, 3)):
        arg, m = mailbox(rng, i + 1)
        s.to.append(m)
        s.args += ["--to", arg]
    for i in range(rng.choice([0, 0, 1, 2])):
        arg, m = mailbox(rng, i + 10)
        s.cc.append(m)
        s.args += ["--cc", arg]
    s.seven_bit = rng.random() < 0.3
    if s.seven_bit:
        s.args.append("--7bit")
    kind = rng.choice(["text", "text", "html", "both", "both", "none"])
    if kind in ("text", "both"):
        text = body_text(rng, rng.randint(0, 30))
        path = os.path.join(d, "body.txt")
        with open(path, "w") as f:
            f.write(text)
        s.text = crlf(text.encode())
        s.args += ["--text", path]
        if rng.random() < 0.2:
            s.flowed = True
            s.args.append("--flowed")
    if kind in ("html", "both"):
        html = "<html><body>\n" + "".join(f"<p>{x}</p>\n" for x in body_text(rng, rng.randint(1, 10)).split("\n"))
        path = os.path.join(d, "body.html")
        with open(path, "w") as f:
            f.write(html)
        s.html = crlf(html.encode())
        s.args += ["--html", path]
        for k in range(rng.choice([0, 0, 1, 2])):
            data = rng.randbytes(rng.choice([0, 1, 57, 300, 5000]))
            name = random_filename(rng, ".png")
            cid = f"img{k}.{seed}@example.org"
            path = os.path.join(d, f"i{k}", name)
            os.makedirs(os.path.dirname(path))
            with open(path, "wb") as f:
                f.write(data)
            s.files.append({"filename": name, "type": "image/png", "data": data, "cid": cid,
                            "disposition": "inline", "inner_subject": None})
            s.args += ["--inline", f"{path}:{cid}"]
    for k in range(rng.choice([0, 0, 1, 1, 2, 3])):
        r = rng.random()
        inner = None
        if r < 0.15:
            data, inner = eml(rng, s.seven_bit or rng.random() < 0.5)
            name, ctype, want = random_filename(rng, ".eml"), "message/rfc822", crlf(data)
        elif r < 0.3:
            text = body_text(rng, rng.randint(1, 20))
            data = text.encode("latin-1", "replace") if rng.random() < 0.3 else text.encode()
            name, ctype, want = random_filename(rng, ".txt"), "text/plain", crlf(data)
        else:
            data = rng.randbytes(min(rng.choice(SIZES), 70000))
            ext, ctype = rng.choice([(".pdf", "application/pdf"), (".bin", "application/octet-stream"),
                                     (".zip", "application/zip"), ("", "application/octet-stream")])
            name, want = random_filename(rng, ext), data
        path = os.path.join(d, f"a{k}", name)
        os.makedirs(os.path.dirname(path))
        with open(path, "wb") as f:
            f.write(data)
        s.files.append({"filename": name, "type": ctype, "data": want, "cid": None, "disposition": "attachment",
                        "inner_subject": inner})
        s.args += ["--attach", path]
    if s.text is None and s.html is None and not s.files:
        s.text = b""  # the empty text/plain body
    p = subprocess.run([compose, *s.args], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"seed {seed}: mailwire-compose exited {p.returncode}: {p.stderr[-400:]!r}")
    s.raw = p.stdout
    compose_invariants.check(s.raw, s.seven_bit)
    s.path = os.path.join(d, "message.eml")
    with open(s.path, "wb") as f:
        f.write(s.raw)
    return s


# ---------------------------------------------------------------- a reader's view
# Each reader's output becomes {"subject", "from", "to", "cc", "text",
# "html", "text_flowed", "files": [{"filename", "type", "size", "sha",
# "cid", "disposition", "inner_subject"}]}; text and html are bytes (UTF-8).

def view_py(raw):
    m = email.message_from_bytes(raw, policy=email.policy.default)

    def addrs(name):
        h = m[name]
        if h is None:
            return []
        return [(a.display_name or None, a.addr_spec) for g in h.groups for a in g.addresses]

    v = {"subject": str(m["subject"]), "from": addrs("from"), "to": addrs("to"), "cc": addrs("cc"),
         "text": None, "html": None, "text_flowed": False, "files": []}

    def walk(p):
        ctype = p.get_content_type()
        if ctype.startswith("multipart/"):
            for c in p.get_payload():
                walk(c)
            return
        if ctype == "message/rfc822":
            inner = p.get_payload(0)
            v["files"].append({"filename": p.get_filename(), "type": ctype, "size": None, "sha": None,
                               "cid": None, "disposition": p.get_content_disposition(),
                               "inner_subject": str(inner["subject"])})
            return
        data = p.get_payload(decode=True)
        fn = p.get_filename()
        if fn is None and ctype == "text/plain" and v["text"] is None:
            v["text"] = data
            v["text_flowed"] = p.get_param("format") == "flowed"
        elif fn is None and ctype == "text/html" and v["html"] is None:
            v["html"] = data
        else:
            cid = p["content-id"]
            v["files"].append({"filename": fn, "type": ctype, "size": len(data), "sha": sha(data),
                               "cid": str(cid).strip().strip("<>") if cid is not None else None,
                               "disposition": p.get_content_disposition(), "inner_subject": None})

    walk(m)
    return v


def view_gmime(j):
    def addrs(lst):
        return [(a["name"] or None, a["address"]) for a in lst]

    v = {"subject": j["subject"], "from": addrs(j["from"]), "to": addrs(j["to"]), "cc": addrs(j["cc"]),
         "text": None, "html": None, "text_flowed": False, "files": []}

    def walk(p):
        if p["parts"] is not None:
            for c in p["parts"]:
                walk(c)
            return
        if p["type"] == "message/rfc822":
            v["files"].append({"filename": p["filename"], "type": p["type"], "size": None, "sha": None,
                               "cid": None, "disposition": p["disposition"],
                               "inner_subject": p["message"]["subject"] if p["message"] else None})
            return
        key = {"text/plain": "text", "text/html": "html"}.get(p["type"])
        if p["filename"] is None and key and v[key] is None:
            v[key] = p  # bytes not carried: compared by size and hash
            return
        v["files"].append({"filename": p["filename"], "type": p["type"], "size": p["size"], "sha": p["sha256"],
                           "cid": p["content_id"], "disposition": p["disposition"], "inner_subject": None})

    walk(j["root"])
    return v


def view_node(j):
    def addrs(lst):
        return [(a["name"] or None, a["address"]) for a in lst]

    v = {"subject": j["subject"], "from": addrs(j["from"]), "to": addrs(j["to"]), "cc": addrs(j["cc"]),
         "text": None if j["text"] is None else j["text"].encode(),
         "html": None if j["html"] is None else j["html"].encode(), "text_flowed": False, "files": []}
    for a in j["attachments"]:
        v["files"].append({"filename": a["filename"], "type": a["contentType"], "size": a["size"], "sha": a["sha256"],
                           "cid": a["cid"], "disposition": a["contentDisposition"], "inner_subject": None})
    return v


# ---------------------------------------------------------------- comparing

def body_matches(got, want, flowed=False):
    """got: bytes, or a GMime leaf {size, sha256}."""
    if isinstance(got, dict):
        return (got["size"], got["sha256"]) == (len(want), sha(want))
    return got == want


def text_body_ok(spec, got):
    want = spec.text
    if want is None:
        return got is None
    if got is None:
        return False
    if spec.flowed:
        if isinstance(got, dict):
            return None  # GMime: bytes not carried; checked by the Python reader
        stripped = b"\r\n".join(x if x == b"-- " else x.rstrip(b" ") for x in want.split(b"\r\n"))
        return unflow(got) == stripped
    return body_matches(got, want)


# Known, documented differences. Each: the reader(s), the fields it may
# explain, the reason, and check(spec, got, field) -> True when the
# difference is exactly this one.
def _lf(b):
    return b.replace(b"\r\n", b"\n")


def _node_text(spec, v, field):
    """mailparser's text: the body with LF line ends; format=flowed text
    un-flowed (RFC 3676 4.2: trailing spaces of hard lines gone), without
    its last line break."""
    want = spec.text if field == "text" else spec.html
    got = v[field]
    if want is None or got is None:
        return False
    if field == "text" and spec.flowed:
        stripped = b"\n".join(x if x == b"-- " else x.rstrip(b" ") for x in _lf(want).split(b"\n"))
        return got.rstrip(b"\n") == stripped.rstrip(b"\n")
    return got == _lf(want)


def _raw_phrase_words(raw, field, address):
    """The display name of `address` in the raw `field` header as Python 3
    reads it: each encoded-word decoded, the words joined by one space."""
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b"\t")
    m = re.search(rb"(?im)^" + field.encode() + rb":(.*)$", head)
    if not m:
        return None
    value = m.group(1)
    at = value.find(b"<" + address.encode() + b">")
    if at < 0:
        return None
    phrase = value[:at].rsplit(b",", 1)[-1] if b'"' not in value[:at] else value[:at]
    words = re.findall(rb"=\?[^?]+\?([BbQq])\?([^?]*)\?=", phrase)
    if not words:
        return None
    out = []
    for enc, text in words:
        if enc in b"Bb":
            out.append(base64.b64decode(text).decode())
        else:
            out.append(re.sub(rb"=([0-9A-F]{2})", lambda x: bytes([int(x.group(1), 16)]),
                              text.replace(b"_", b" ")).decode())
    return " ".join(out)


def _py_phrase(spec, v, field):
    want = {"from": [spec.from_], "to": spec.to, "cc": spec.cc}[field]
    got = v[field]
    if len(got) != len(want):
        return False
    for (gn, ga), (wn, wa) in zip(got, want):
        if ga != wa:
            return False
        if gn != wn and gn != _raw_phrase_words(spec.raw, field, wa):
            return False
    return True


RULES = {
    "py_phrase_encoded_word_space": {
        "readers": {"python-email"},
        "fields": {"from", "to", "cc"},
        "reason": "RFC 2047 6.2: whitespace between adjacent encoded-words is not displayed, and a display "
                  "name too long for one 75-character word is written as several (cut at character "
                  "boundaries, spaces encoded inside the words); Python 3's address parser keeps a space "
                  "between the words (it drops it only in unstructured fields), so its name has a space "
                  "at each cut. Accepted when Python's name is exactly the words decoded and joined by "
                  "one space",
        "check": _py_phrase,
    },
    "py_rfc2231_trailing_backslash": {
        "readers": {"python-email"},
        "fields": {"file filename"},
        "reason": "a file name ending in a backslash, written in RFC 2231 form (...%5C): Python's get_filename() "
                  "decodes it, then reads the backslash as escaping a quote, and the following parameters "
                  "(size, modification-date) run into the name",
        "check": lambda spec, v, field, got=None, want=None: (
            want is not None and want.endswith("\\") and got is not None and got.startswith(want[:-1] + '"')),
    },
    "node_empty_text": {
        "readers": {"mailparser"},
        "fields": {"text"},
        "reason": "mailparser has no text (undefined) for a text/plain body that is empty or only line breaks, "
                  "where the others have those bytes",
        "check": lambda spec, v, field: spec.text is not None and not spec.text.strip(b"\r\n") and v["text"] is None,
    },
    "node_text_from_html": {
        "readers": {"mailparser"},
        "fields": {"text"},
        "reason": "mailparser makes a text body from the HTML (html-to-text) when the message has none",
        "check": lambda spec, v, field: spec.text is None and spec.html is not None and v["text"] is not None,
    },
    "node_text_lf": {
        "readers": {"mailparser"},
        "fields": {"text", "html"},
        "reason": "mailparser gives the text and HTML bodies as JavaScript strings with LF line ends, and "
                  "format=flowed text un-flowed without its last line break; the bytes on the wire are CRLF, as "
                  "RFC 2046 4.1.1 requires",
        "check": _node_text,
    },
}


class Reader:
    def __init__(self, name):
        self.name = name
        self.messages = 0
        self.known = {}
        self.unexplained = []

    def differ(self, spec, field, got, want, v):
        kind = re.sub(r"^file \d+ ", "file ", field)
        for rname, rule in RULES.items():
            if self.name not in rule["readers"] or kind not in rule["fields"]:
                continue
            check = rule["check"]
            if kind.startswith("file ") and check(spec, v, field, got=got, want=want) or \
                    not kind.startswith("file ") and check(spec, v, field):
                self.known[rname] = self.known.get(rname, 0) + 1
                return
        self.unexplained.append(f"seed {spec.seed}: {self.name}: {field}: got {got!r:.300} want {want!r:.300}")

    def compare(self, spec, v):
        self.messages += 1
        for field, want in (("subject", spec.subject), ("from", [spec.from_]), ("to", spec.to), ("cc", spec.cc)):
            if v[field] != want:
                self.differ(spec, field, v[field], want, v)
        ok = text_body_ok(spec, v["text"])
        if ok is False:
            self.differ(spec, "text", v["text"], spec.text, v)
        if spec.html is None:
            if v["html"] is not None:
                self.differ(spec, "html", v["html"], None, v)
        elif v["html"] is None or not body_matches(v["html"], spec.html):
            self.differ(spec, "html", v["html"], spec.html, v)
        if len(v["files"]) != len(spec.files):
            self.differ(spec, "files", [(f["filename"], f["type"]) for f in v["files"]],
                        [(f["filename"], f["type"]) for f in spec.files], v)
            return
        for i, (g, w) in enumerate(zip(v["files"], spec.files)):
            where = f"file {i}"
            if g["filename"] != w["filename"]:
                self.differ(spec, where + " filename", g["filename"], w["filename"], v)
            if g["type"] != w["type"]:
                self.differ(spec, where + " type", g["type"], w["type"], v)
            if g["cid"] != w["cid"]:
                self.differ(spec, where + " cid", g["cid"], w["cid"], v)
            if g["disposition"] != w["disposition"]:
                self.differ(spec, where + " disposition", g["disposition"], w["disposition"], v)
            if w["inner_subject"] is not None and g["inner_subject"] is not None:
                if g["inner_subject"] != w["inner_subject"]:
                    self.differ(spec, where + " inner subject", g["inner_subject"], w["inner_subject"], v)
            elif g["sha"] is not None and (g["size"], g["sha"]) != (len(w["data"]), sha(w["data"])):
                self.differ(spec, where + " bytes", (g["size"], g["sha"]), (len(w["data"]), sha(w["data"])), v)

    def report(self):
        by_rule = ", ".join(f"{k}: {n}" for k, n in sorted(self.known.items())) or "none"
        print(f"  {self.name}: {self.messages} messages, {sum(self.known.values())} differences explained "
              f"({by_rule}), {len(self.unexplained)} unexplained", flush=True)
        for line in self.unexplained[:40]:
            print("    " + line, flush=True)
        if self.unexplained:
            raise AssertionError(f"{len(self.unexplained)} unexplained differences")


# ---------------------------------------------------------------- readers

def run_python(specs):
    r = Reader("python-email")
    for s in specs:
        r.compare(s, view_py(s.raw))
    r.report()


def run_gmime(specs, exe):
    if not exe or not os.access(exe, os.X_OK):
        raise Skip("mailwire-gmime-reader not built (GMime 3 development files not found)")
    r = Reader("gmime")
    p = subprocess.run([exe, *[s.path for s in specs]], capture_output=True, timeout=300)
    lines = p.stdout.decode("utf-8", "surrogateescape").splitlines()
    if p.returncode != 0 or len(lines) != len(specs):
        raise AssertionError(f"gmime reader exited {p.returncode}, {len(lines)} lines: {p.stderr[-400:]!r}")
    for s, line in zip(specs, lines):
        r.compare(s, view_gmime(json.loads(line)))
    r.report()


def node_modules(work):
    """tests/interop/node installed with npm ci into `work` (as the SMTP
    interop drivers do); Skip when node, npm or the registry is missing."""
    from smtp_server_interop import node_setup
    env = type("NodeEnv", (), {"node_modules": None, "work": work})()
    return node_setup(env)


def run_node(specs, work):
    modules = node_modules(work)
    r = Reader("mailparser")
    p = subprocess.run(["node", os.path.join(HERE, "node", "mailparser_reader.js"), modules,
                        *[s.path for s in specs]], capture_output=True, timeout=300)
    lines = p.stdout.decode().splitlines()
    if p.returncode != 0 or len(lines) != len(specs):
        raise AssertionError(f"mailparser reader exited {p.returncode}, {len(lines)} lines: {p.stderr[-400:]!r}")
    for s, line in zip(specs, lines):
        j = json.loads(line)
        if "error" in j:
            r.unexplained.append(f"seed {s.seed}: mailparser: {j['error']}")
            continue
        r.compare(s, view_node(j))
    r.report()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compose", required=True)
    ap.add_argument("--gmime", help="path to mailwire-gmime-reader (GMime 3)")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("-s", "--seed", type=int, default=0)
    ap.add_argument("--save", help="keep the messages in DIR/<seed>/message.eml")
    ap.add_argument("-k", action="append", help="run only readers whose name contains this")
    args = ap.parse_args()
    suite = Suite(args.k)
    work = args.save or tempfile.mkdtemp(prefix="mailwire-compose-readers-")
    try:
        try:
            specs = [generate(s, work, args.compose) for s in range(args.seed, args.seed + args.n)]
        except (AssertionError, subprocess.TimeoutExpired) as e:
            print(f"FAIL generate: {e}")
            return 1
        print(f"  {len(specs)} messages, {sum(len(s.raw) for s in specs)} bytes, "
              f"{sum(len(s.files) for s in specs)} attachments and inline parts", flush=True)
        suite.case("python_email", run_python, specs)
        suite.case("gmime", run_gmime, specs, args.gmime)
        suite.case("mailparser", run_node, specs, work)
        rc = suite.summary()
    finally:
        if not args.save:
            shutil.rmtree(work, ignore_errors=True)
    for name, rule in RULES.items():
        print(f"  rule {name}: {rule['reason']}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
