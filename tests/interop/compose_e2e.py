#!/usr/bin/env python3
"""mailwire-compose | mailwire-smtp-send through Postfix into Dovecot, read
back over IMAP.

    compose_e2e.py --compose path/to/mailwire-compose --send path/to/mailwire-smtp-send [-k FILTER]...

Starts the interop peers (tests/interop/peers/start.sh: needs root; SKIPPED
otherwise). For each case, mailwire-compose writes a message and
`mailwire-smtp-send --server 127.0.0.1:$SUBMISSION_PORT --starttls --ca
$CA_FILE --auth USER:PASS ... -` sends it from stdin to Postfix's
submission port, which delivers it to Dovecot's Maildir. Then, over IMAP
with STARTTLS (Python's imaplib, the peers' CA checked), the message is
found by its Message-ID and fetched with BODYSTRUCTURE and BODY.PEEK[]:
  * the bytes arrived intact: the message as composed is exactly the end of
    what Dovecot serves (Postfix only adds trace fields before it);
  * Dovecot's BODYSTRUCTURE names the structure as built: every multipart's
    subtype and number of parts, and every leaf's type, charset, transfer
    encoding, Content-ID, disposition and file name (RFC 2231 parameters
    decoded), and for an attached message its envelope's subject;
  * each leaf fetched alone (BODY.PEEK[n.m]) decodes to the bytes given.
Cases: a full message (text, HTML, inline image, PDF, text file, attached
message, Unicode names), the same with --7bit, --flowed, an 8-bit attached
message, and a 5 MB attachment.

Prints `PASS name`, `FAIL name: why` or `SKIP name: why`, then
`N passed, M failed, K skipped`.
"""

import argparse
import base64
import imaplib
import os
import quopri
import random
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
sys.path.insert(0, HERE)
from suite import Skip, Suite  # noqa: E402
import compose_invariants  # noqa: E402
from compose_test import crlf  # noqa: E402


class Env:
    pass


# ---------------------------------------------------------------- IMAP syntax

def parse_sexp(data):
    """An IMAP parenthesised list (bytes, literals inline) into nested
    lists of bytes / None."""
    pos = 0

    def value():
        nonlocal pos
        while data[pos:pos + 1] == b" ":
            pos += 1
        c = data[pos:pos + 1]
        if c == b"(":
            pos += 1
            out = []
            while True:
                while data[pos:pos + 1] == b" ":
                    pos += 1
                if data[pos:pos + 1] == b")":
                    pos += 1
                    return out
                out.append(value())
        if c == b'"':
            pos += 1
            s = bytearray()
            while data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b"\\":
                    pos += 1
                s += data[pos:pos + 1]
                pos += 1
            pos += 1
            return bytes(s)
        if c == b"{":
            end = data.index(b"}", pos)
            n = int(data[pos + 1:end])
            start = end + 1
            if data[start:start + 2] == b"\r\n":
                start += 2
            pos = start + n
            return data[start:pos]
        # An atom; a FETCH item name's [section] may hold spaces and parentheses
        # ("BODY[HEADER.FIELDS (SUBJECT)]<0>").
        m = re.compile(rb"[^ ()\r\n\[]*(?:\[[^\]]*\][^ ()\r\n]*)?").match(data, pos)
        if m.end() == pos:
            raise ValueError(f"not IMAP data at {pos}: {data[pos:pos + 20]!r}")
        pos = m.end()
        return None if m.group(0).upper() == b"NIL" else m.group(0)

    return value()


def fetch_items(resp):
    """imaplib's FETCH response (tuples around literals) as one buffer."""
    buf = b""
    for item in resp:
        if isinstance(item, tuple):
            buf += item[0] + b"\r\n" + item[1]  # imaplib drops the CRLF after {n}
        elif item is not None:
            buf += item
    return buf


def param_dict(lst):
    """An IMAP parameter list: {name: value}, RFC 2231 sections and charset
    decoded if Dovecot did not."""
    if not lst:
        return {}
    raw = {}
    for k, v in zip(lst[0::2], lst[1::2]):
        raw[k.decode().lower()] = v.decode("utf-8", "replace") if v is not None else None
    out = {}
    sections = {}
    for k, v in raw.items():
        m = re.fullmatch(r"([^*]+)\*(\d+)?(\*)?", k)
        if m:
            sections.setdefault(m.group(1), []).append((int(m.group(2) or 0), v, bool(m.group(3) or
                                                                                      not m.group(2))))
        else:
            out[k] = v
    for name, parts in sections.items():
        parts.sort()
        text = ""
        for i, (_, v, encoded) in enumerate(parts):
            if encoded and i == 0:
                v = v.split("'", 2)[2]
            text += urllib.parse.unquote(v, errors="strict") if encoded else v
        out[name] = text
    return out


def structure(bs):
    """BODYSTRUCTURE -> {"type", "params", "cte", "cid", "disposition",
    "dparams", "parts", "message_subject"}."""
    if isinstance(bs[0], list):  # multipart: parts..., subtype, [ext]
        parts = []
        i = 0
        while isinstance(bs[i], list):
            parts.append(structure(bs[i]))
            i += 1
        sub = bs[i].decode().lower()
        params = param_dict(bs[i + 1]) if len(bs) > i + 1 else {}
        disp = bs[i + 2] if len(bs) > i + 2 else None
        return {"type": "multipart/" + sub, "params": params, "parts": parts,
                "disposition": disp[0].decode().lower() if disp else None,
                "dparams": param_dict(disp[1]) if disp else {}}
    t = (bs[0] + b"/" + bs[1]).decode().lower()
    node = {"type": t, "params": param_dict(bs[2]), "cid": bs[3].decode() if bs[3] else None,
            "cte": bs[5].decode().lower(), "size": int(bs[6]), "parts": None, "message_subject": None}
    ext = 7
    if t == "message/rfc822":
        envelope = bs[7]
        node["message_subject"] = envelope[1]
        node["inner"] = structure(bs[8])
        ext = 10
    elif t.startswith("text/"):
        ext = 8
    # extension data: md5, disposition, language, location
    disp = bs[ext + 1] if len(bs) > ext + 1 else None
    node["disposition"] = disp[0].decode().lower() if disp else None
    node["dparams"] = param_dict(disp[1]) if disp else {}
    return node


def decode_ew(s):
    """The Subject from the envelope: encoded-words decoded."""
    import email.header
    return str(email.header.make_header(email.header.decode_header(s.decode())))


# ---------------------------------------------------------------- one message

class Message:
    """Writes the files, composes, sends, finds and fetches one message."""

    def __init__(self, env, name, text=None, html=None, inline=(), attach=(), flags=()):
        self.env, self.name = env, name
        d = os.path.join(env.work, name)
        os.makedirs(d)
        self.mid = f"{name}.{random.getrandbits(64):x}@e2e.example.org"
        args = ["--from", f"Zoë E2E <{env.peers.env['TEST_ADDR']}>", "--to", env.peers.env["TEST_ADDR"],
                "--subject", f"mailwire e2e {name}: Grüße aus Zürich — 日本語 😀 שלום",
                "--message-id", self.mid, *flags]
        self.leaves = []  # (type, bytes, filename, cid, disposition)
        if text is not None:
            args += ["--text", self.write(d, "body.txt", text)]
        if html is not None:
            args += ["--html", self.write(d, "body.html", html)]
        for fname, data, cid in inline:
            args += ["--inline", self.write(d, fname, data) + ":" + cid]
        for fname, data in attach:
            args += ["--attach", self.write(d, fname, data)]
        c = subprocess.run([env.compose, *args], capture_output=True, timeout=120)
        if c.returncode != 0:
            raise AssertionError(f"mailwire-compose exited {c.returncode}: {c.stderr[-400:]!r}")
        self.raw = c.stdout
        self.tree = compose_invariants.check(self.raw, "--7bit" in flags)
        e = env.peers.env
        s = subprocess.run([env.send, "--server", f"127.0.0.1:{e['SUBMISSION_PORT']}", "--starttls",
                            "--ca", e["CA_FILE"], "--auth", f"{e['TEST_USER']}:{e['TEST_PASS']}",
                            "--from", e["TEST_ADDR"], "--to", e["TEST_ADDR"], "-"],
                           input=self.raw, capture_output=True, timeout=120)
        out = (s.stdout + s.stderr).decode(errors="replace")
        if s.returncode != 0 or "message: 250" not in out:
            raise AssertionError(f"mailwire-smtp-send exited {s.returncode}: {out[-600:]}")

    @staticmethod
    def write(d, fname, data):
        path = os.path.join(d, fname)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def fetch(self):
        """(BODYSTRUCTURE, BODY[] bytes, imap, uid) once Dovecot has it."""
        e = self.env.peers.env
        imap = imaplib.IMAP4("127.0.0.1", int(e["IMAP_PORT"]), timeout=30)
        imap.starttls(ssl.create_default_context(cafile=e["CA_FILE"]))
        imap.login(e["TEST_USER"], e["TEST_PASS"])
        deadline = time.monotonic() + 30
        while True:
            imap.select("INBOX", readonly=True)
            typ, data = imap.uid("SEARCH", None, "HEADER", "Message-ID", f"<{self.mid}>")
            uids = data[0].split()
            if uids:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"not delivered within 30 s (Message-ID <{self.mid}>)")
            time.sleep(0.2)
        uid = uids[-1].decode()
        typ, resp = imap.uid("FETCH", uid, "(BODYSTRUCTURE BODY.PEEK[])")
        buf = fetch_items(resp)
        m = re.search(rb"BODYSTRUCTURE ", buf)
        bs = parse_sexp(buf[m.end():])
        m2 = re.search(rb"BODY\[\] \{(\d+)\}\r\n", buf)
        body = buf[m2.end():m2.end() + int(m2.group(1))]
        return structure(bs), body, imap, uid


def leaf_bytes(imap, uid, section, cte):
    typ, resp = imap.uid("FETCH", uid, f"(BODY.PEEK[{section}])")
    buf = fetch_items(resp)
    m = re.search(rb"BODY\[[0-9.]+\] (\{(\d+)\}\r\n|\"\")", buf)
    data = buf[m.end():m.end() + int(m.group(2))] if m.group(2) else b""
    if cte == "base64":
        return base64.b64decode(data)
    if cte == "quoted-printable":
        return quopri.decodestring(data)
    return data


def compare(msg, got, want, imap, uid, section=""):
    """Dovecot's structure `got` against our tree `want` (compose_invariants)."""
    where = section or "top"
    if got["type"] != want["type"]:
        raise AssertionError(f"{where}: type {got['type']} != {want['type']}")
    if want["parts"] is not None:
        if got["parts"] is None or len(got["parts"]) != len(want["parts"]):
            raise AssertionError(f"{where}: {len(got['parts'] or [])} parts, built {len(want['parts'])}")
        if got["params"].get("boundary") != want["params"].get("boundary"):
            raise AssertionError(f"{where}: boundary {got['params'].get('boundary')}")
        for i, (g, w) in enumerate(zip(got["parts"], want["parts"])):
            compare(msg, g, w, imap, uid, f"{section}.{i + 1}".lstrip("."))
        return
    fields = {n.lower(): v for n, v in want["headers"]}
    if got["cte"] != want["cte"]:
        raise AssertionError(f"{where}: encoding {got['cte']} != {want['cte']}")
    for p in ("charset", "format"):
        if got["params"].get(p) != want["params"].get(p):
            raise AssertionError(f"{where}: {p} {got['params'].get(p)!r} != {want['params'].get(p)!r}")
    cid = fields.get(b"content-id")
    if (got["cid"] or None) != (cid.strip().decode() if cid else None):
        raise AssertionError(f"{where}: Content-ID {got['cid']!r} != {cid!r}")
    disp = fields.get(b"content-disposition")
    want_disp = disp.split(b";")[0].strip().decode() if disp else None
    if got["disposition"] != want_disp:
        raise AssertionError(f"{where}: disposition {got['disposition']!r} != {want_disp!r}")
    expected = next((x for x in msg.expect if x[0] == (section or "1")), None)
    if expected is not None:
        _, fname, data, inner_subject = expected
        if fname is not None and got["dparams"].get("filename") != fname:
            raise AssertionError(f"{where}: filename {got['dparams'].get('filename')!r} != {fname!r}")
        if fname is not None and got["params"].get("name") != fname:
            raise AssertionError(f"{where}: name {got['params'].get('name')!r} != {fname!r}")
        if inner_subject is not None:
            if decode_ew(got["message_subject"]) != inner_subject:
                raise AssertionError(f"{where}: attached message subject {got['message_subject']!r}")
        elif data is not None:
            have = leaf_bytes(imap, uid, section or "1", got["cte"])
            if have != data:
                raise AssertionError(f"{where}: {len(have)} bytes decoded, {len(data)} sent (or other bytes)")
        msg.checked += 1


def run_case(env, name, expect, **kw):
    """expect: [(IMAP section, filename, decoded bytes, inner subject)]."""
    msg = Message(env, name, **kw)
    msg.expect, msg.checked = expect, 0
    got, body, imap, uid = msg.fetch()
    try:
        if not body.endswith(msg.raw):
            at = next((i for i in range(1, min(len(body), len(msg.raw)) + 1) if body[-i] != msg.raw[-i]), None)
            raise AssertionError(f"delivered bytes differ from the composed ones ({len(body)} served, "
                                 f"{len(msg.raw)} composed; first difference {at} bytes from the end)")
        compare(msg, got, msg.tree, imap, uid)
        if msg.checked != len(expect):
            raise AssertionError(f"{msg.checked} of {len(expect)} parts checked")
    finally:
        imap.logout()


# ---------------------------------------------------------------- cases

TEXT = b"Hello,\n\nthis went through Postfix and Dovecot.\n.\nFrom here\n-- \nmailwire\n"
HTML = "<p>Grüße <img src=\"cid:logo@e2e.example.org\"></p>\n".encode()
PDF = bytes(random.Random(5).getrandbits(8) for _ in range(100000))
PNG = bytes(random.Random(6).getrandbits(8) for _ in range(3000))
NOTES = "één\ntwee\r\ndrie\n".encode()
EML = b"From: inner@example.org\nSubject: inner message\nMIME-Version: 1.0\n\nInner body.\n"
EML8 = "From: inner@example.org\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\nMIME-Version: 1.0\n" \
       "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße\n".encode()
PDF_NAME = "Rapport financier — été 2026 (version définitive, très longue pour RFC 2231).pdf"


def full(env, flags=()):
    expect = [("1.1", None, crlf(TEXT), None), ("1.2.1", None, crlf(HTML), None),
              ("1.2.2", "logo.png", PNG, None), ("2", PDF_NAME, PDF, None),
              ("3", "notes ünicode.txt", crlf(NOTES), None), ("4", "forwarded.eml", None, "inner message")]
    run_case(env, "full" + "".join(flags).replace("-", ""), expect, text=TEXT, html=HTML,
             inline=[("logo.png", PNG, "logo@e2e.example.org")],
             attach=[(PDF_NAME, PDF), ("notes ünicode.txt", NOTES), ("forwarded.eml", EML)], flags=flags)


def flowed(env):
    text = ("A paragraph long enough to be wrapped by format=flowed, with Grüße, " * 5).encode() + b"\n"
    run_case(env, "flowed", [("1", None, None, None)], text=text, flags=("--flowed",))


def eml_8bit(env):
    run_case(env, "eml8bit", [("1", None, crlf(TEXT), None), ("2", "grüße.eml", None, "Grüße")],
             text=TEXT, attach=[("grüße.eml", EML8)])


def big(env):
    data = bytes(random.Random(7).getrandbits(8) for _ in range(1 << 16)) * 80  # 5 MB
    run_case(env, "big", [("1", None, crlf(TEXT), None), ("2", "big.bin", data, None)],
             text=TEXT, attach=[("big.bin", data)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compose", required=True)
    ap.add_argument("--send", required=True)
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIPPED: the interop peers (Postfix, Dovecot) need root")
        return 0
    from pop3_fixtures import Peers
    env = Env()
    env.compose, env.send = args.compose, args.send
    suite = Suite(args.k)
    with tempfile.TemporaryDirectory(prefix="mailwire-compose-e2e-") as work:
        env.work = work
        try:
            env.peers = Peers(work)
        except RuntimeError as e:
            print(f"FAIL peers: {e}")
            return 1
        try:
            suite.case("full", full, env)
            suite.case("full_7bit", full, env, ("--7bit",))
            suite.case("flowed", flowed, env)
            suite.case("attached_message_8bit", eml_8bit, env)
            suite.case("big_attachment_5mb", big, env)
        finally:
            env.peers.stop()
        return suite.summary()


if __name__ == "__main__":
    sys.exit(main())
