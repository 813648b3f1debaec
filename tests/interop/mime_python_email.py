#!/usr/bin/env python3
"""mailwire's MIME parser against Python's `email` package (policy.default).

    mime_python_email.py --dump path/to/mailwire-mime-dump [-n COUNT] [-s SEED] [-v] [--save DIR]

A deterministic generator (fixed seeds) writes a few hundred messages as raw
bytes: nested multipart/mixed, alternative, related and digest;
message/rfc822 attachments; base64 wrapped at various widths, with and
without padding, truncated; quoted-printable with soft breaks, lower-case
hex, trailing whitespace; 7bit/8bit/binary; CRLF and LF-only; file names
plain, RFC 2231 (continuations, charset'lang') and RFC 2047; encoded-word
Subjects and display names (B/Q, UTF-8, ISO-8859-1, adjacent words);
preamble and epilogue; boundaries with trailing whitespace; missing close
boundaries; parameter case variations; Content-ID; charsets.

Each message is read by `mailwire-mime-dump` and by
`email.message_from_bytes(raw, policy=email.policy.default)`; the two trees
must agree: shape (lower-case content types, multipart nesting,
message/rfc822 nesting), per leaf the size and SHA-256 of the decoded body
(`get_payload(decode=True)`), the file name (`get_filename()`), the charset
(`get_content_charset()`), the disposition type, the Content-ID, and per
message object the decoded Subject and the From/To/Cc addresses.

Normalisations, applied to every case (they compare the same information):
  * charset case: Python lowercases the charset parameter, mailwire gives it
    as written; both are lowercased before comparing.
  * an absent display name is "" in Python and null in mailwire.
  * Content-ID: angle brackets and surrounding whitespace removed from
    Python's raw header value (mailwire gives the id without them).

Where the readers disagree on purpose (see the RULES table: each names the
mailwire header that documents its reading), the difference is accepted only
on a part whose generator tags trigger that rule AND when mailwire's value
equals what the rule's model of mailwire's documented reading computes from
the raw bytes; such differences are counted per rule. Anything else is an
unexplained difference: both sides are printed and the exit status is 1.

Prints `N messages, M parts compared, K known differences (by rule),
0 unexplained`. Prints `SKIPPED: ...` and exits 0 when Python's email
package cannot be used.
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import random
import subprocess
import sys

try:
    import email
    import email.policy
except ImportError as exc:  # pragma: no cover
    print(f"SKIPPED: python email package unavailable ({exc})")
    sys.exit(0)


# ---------------------------------------------------------------------------
# Generator. Everything is built as bytes here; Python's email package is
# only the reader under comparison.
# ---------------------------------------------------------------------------

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
         "tempor incididunt ut labore et dolore magna aliqua ut enim ad minim").split()
UNICODE_WORDS = ["Grüße", "façade", "naïve", "Ærøskøbing", "señor", "Jörg", "smörgåsbord",
                 "déjà vu", "Zürich", "crème brûlée", "€uro", "日本語", "Привет", "Ελλάδα"]
LATIN1_WORDS = ["Grüße", "façade", "naïve", "Ærøskøbing", "señor", "Jörg", "déjà vu", "Zürich"]
NAMES = ["Alice Example", "Bob", "Jörg Müller", "Zoë Saldaña", "François Hollande",
         "José", "Smith, John", "日本 太郎", "Ivan Иванов"]


class Part:
    """One generated entity: its header lines (bytes, without line breaks)
    and either a body, children (multipart) or an inner message."""

    def __init__(self):
        self.headers = []        # list of bytes lines (folding inside via b"\n")
        self.body = b""          # leaf: the encoded body as written
        self.children = None     # multipart: list of Part
        self.message = None      # message/rfc822: a Part (the inner message)
        self.boundary = None
        self.preamble = None
        self.epilogue = None
        self.close = True        # write the close boundary
        self.boundary_ws = b""   # trailing whitespace on boundary lines
        self.tags = set()        # features used, for the rules


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def text_body(rng, unicode_ok, lines=None):
    out = []
    for _ in range(lines if lines is not None else rng.randint(1, 12)):
        line = words(rng, rng.randint(0, 14))
        if unicode_ok and rng.random() < 0.4:
            line += " " + rng.choice(UNICODE_WORDS)
        if rng.random() < 0.1:
            line = "--" + line  # looks a little like a boundary
        if rng.random() < 0.08:
            line = "From " + line
        out.append(line)
    return out


def encoded_word(rng, text, charset=None, enc=None):
    charset = charset or rng.choice(["utf-8", "UTF-8", "iso-8859-1"])
    if charset.lower() == "iso-8859-1":
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            charset, data = "utf-8", text.encode("utf-8")
    else:
        data = text.encode("utf-8")
    enc = enc or rng.choice("BbQq")
    if enc in "Bb":
        payload = base64.b64encode(data).decode()
    else:
        payload = ""
        for b in data:
            c = chr(b)
            if c == " ":
                payload += "_"
            elif c.isalnum() and b < 128:
                payload += c
            else:
                payload += "=%02X" % b
    return f"=?{charset}?{enc}?{payload}?="


def unstructured(rng, tags):
    """A Subject value: plain, or with encoded-words (adjacent ones too)."""
    kind = rng.random()
    if kind < 0.25:
        return words(rng, rng.randint(1, 8))
    if kind < 0.3:
        tags.add("utf8_header")  # RFC 6532: raw UTF-8
        return rng.choice(UNICODE_WORDS) + " " + words(rng, 2)
    if kind < 0.33:
        # an encoded-word glued to a "[tag]" prefix, as list software writes
        prefix, text, rest = "[" + rng.choice(["SPAM", "list", "EXT"]) + "]", rng.choice(UNICODE_WORDS), words(rng, 2)
        tags.add(("ew_glued", prefix + text + " " + rest, prefix + " " + text + " " + rest))
        return prefix + encoded_word(rng, text) + " " + rest
    parts = []
    n = rng.randint(1, 4)
    for i in range(n):
        if rng.random() < 0.6:
            text = rng.choice(UNICODE_WORDS if rng.random() < 0.7 else WORDS)
            if rng.random() < 0.5:
                text = text + " "  # trailing space encoded inside the word
            parts.append(encoded_word(rng, text))
            tags.add("ew")
        else:
            parts.append(words(rng, rng.randint(1, 3)))
    sep = rng.choice([" ", "  ", "\n "])
    if sep == "\n ":
        tags.add("folded")
    return sep.join(parts)


def mailbox(rng, tags):
    local = rng.choice(["alice", "bob", "j.mueller", "info", "no-reply", "a+tag"])
    domain = rng.choice(["example.com", "example.org", "mail.test", "xn--bcher-kva.example"])
    addr = f"{local}@{domain}"
    r = rng.random()
    if r < 0.25:
        return addr
    name = rng.choice(NAMES)
    if r < 0.5 and all(ord(c) < 128 for c in name):
        if "," in name:
            return f'"{name}" <{addr}>'
        return f"{name} <{addr}>"
    if r < 0.6 and all(ord(c) < 128 for c in name):
        return f'"{name}" <{addr}>'
    tags.add("ew_name")
    if "," in name and rng.random() < 0.5:
        # an encoded-word holding a comma: it must stay one display name
        return f"{encoded_word(rng, name)} <{addr}>"
    pieces = name.split(" ")
    if len(pieces) > 1 and rng.random() < 0.5:
        # adjacent encoded-words, each a piece (the space inside the first)
        ews = [encoded_word(rng, p + (" " if i < len(pieces) - 1 else ""), "utf-8")
               for i, p in enumerate(pieces)]
        tags.add(("ew_phrase_ws", "  ".join(pieces), name))
        return " ".join(ews) + f" <{addr}>"
    return f"{encoded_word(rng, name)} <{addr}>"


def address_list(rng, tags, n):
    return ", ".join(mailbox(rng, tags) for _ in range(n))


def wrap(s, width):
    return [s[i:i + width] for i in range(0, len(s), width)] or [""]


def qp_encode(rng, data, tags, eol):
    """Quoted-printable of `data` (bytes with b"\n" as line breaks), soft
    breaks at a random width, lower- or upper-case hex, and maybe trailing
    whitespace or the nasty forms real encoders write."""
    width = rng.choice([76, 76, 40, 20, 10])
    lower = rng.random() < 0.3
    if lower:
        tags.add("qp_lower")
    out_lines = []
    for line in data.split(b"\n"):
        enc = ""
        for i, b in enumerate(line):
            c = chr(b)
            last = i == len(line) - 1
            if b == 0x3D or b >= 0x7F or (b < 0x20 and b != 0x09) or (c in " \t" and last):
                h = "%02X" % b
                enc += "=" + (h.lower() if lower else h)
            else:
                enc += c
        # soft breaks, never inside an escape
        pieces, cur = [], ""
        i = 0
        while i < len(enc):
            tok = enc[i:i + 3] if enc[i] == "=" else enc[i]
            if len(cur) + len(tok) > width - 1:
                pieces.append(cur + "=")
                cur = ""
            cur += tok
            i += len(tok)
        pieces.append(cur)
        out_lines.append(pieces)
    lines = []
    for pieces in out_lines:
        for j, p in enumerate(pieces):
            if j < len(pieces) - 1 and rng.random() < 0.05:
                p += " "  # "= " then the line break: whitespace after a soft-break "="
                tags.add("qp_soft_ws")
            lines.append(p)
    # trailing whitespace on hard lines (an encoder's padding)
    for k in range(len(lines)):
        if not lines[k].endswith("=") and rng.random() < 0.1:
            lines[k] += rng.choice([" ", "\t", "  "])
            tags.add("qp_trailing_ws")
    return eol.join(lines).encode("latin-1")


def b64_body(rng, data, tags, eol):
    s = base64.b64encode(data).decode()
    r = rng.random()
    if r < 0.15 and s.endswith("="):
        s = s.rstrip("=")
        tags.add("b64_nopad")
    elif r < 0.2 and len(s) > 4:
        s = s[:-rng.randint(1, 3)]  # truncated mid-quantum
        tags.add("b64_truncated")
    width = rng.choice([76, 76, 64, 72, 60, 4, 1000])
    lines = wrap(s, width)
    if rng.random() < 0.05:
        lines = [x + rng.choice([" ", "\t", ""]) for x in lines]
        tags.add("b64_trailing_ws")
    body = eol.join(lines)
    if rng.random() < 0.5:
        body += eol
    return body.encode()


def ct_case(rng, s):
    r = rng.random()
    if r < 0.15:
        return s.upper()
    if r < 0.3:
        return s.title()
    return s


def param(rng, name, value, quote=None):
    name = ct_case(rng, name)
    if quote is None:
        quote = rng.random() < 0.6 or any(c in value for c in ' ()<>@,;:\\"/[]?=')
    sep = rng.choice(["; ", ";", ";\n\t", " ; "])
    return f'{sep}{name}="{value}"' if quote else f"{sep}{name}={value}"


FILENAMES = ["report.pdf", "photo 2024.jpg", "naïve résumé.docx", "日本語ファイル.txt",
             "Grüße aus Zürich.pdf", "data.tar.gz", "a" * 90 + ".bin", "x.csv"]


def pct(fn, charset="utf-8"):
    """RFC 2231 %-encoding of `fn` in `charset`."""
    return "".join(c if c.isalnum() and ord(c) < 128 or c in "._-" else
                   "".join("%%%02X" % b for b in c.encode(charset)) for c in fn)


def filename_params(rng, fn, tags, ptype):
    """Parameters carrying file name `fn` in one of the usual ways."""
    key = "filename" if ptype == "disposition" else "name"
    ascii_fn = all(ord(c) < 128 for c in fn)
    modes = ["2231", "2231", "2231cont", "2231cont", "2047", "2047", "2231latin1", "both"]
    if ascii_fn:
        modes += ["plain", "plain"]
    mode = rng.choice(modes)
    tags.add("fn_" + mode)
    if mode == "plain":
        return param(rng, key, fn, quote=True)
    if mode == "2231latin1":
        try:
            return f"; {key}*=ISO-8859-1''" + pct(fn, "latin-1")
        except UnicodeEncodeError:
            mode = "2231"
    if mode == "both":
        # an ASCII fallback written before the RFC 2231 form, as Outlook and
        # Thunderbird do; the fallback differs from the real name
        fallback = "".join(c if ord(c) < 128 else "_" for c in fn)
        if fallback == fn:
            fallback = "fallback_" + fn
        ext = f"; {key}*=utf-8''" + pct(fn)
        if rng.random() < 0.3:
            return ext + param(rng, key, fallback, quote=True)  # both readers take the first: agreement
        tags.add(("fn_both", fallback, fn))
        return param(rng, key, fallback, quote=True) + ext
    if mode == "2047":
        return param(rng, key, encoded_word(rng, fn, "utf-8"), quote=True)
    charset = rng.choice(["utf-8", "UTF-8"])
    lang = rng.choice(["", "en", "de-CH"])
    if lang:
        tags.add("fn_lang")
    enc = pct(fn)
    if mode == "2231":
        return f"; {key}*={charset}'{lang}'{enc}"
    # continuations: first section extended, later ones extended or plain
    chunks, i = [], 0
    while i < len(enc):
        n = rng.randint(5, 20)
        j = i + n
        while j < len(enc) and enc[j - 1] == "%" or (j - 2 >= 0 and j < len(enc) and enc[j - 2] == "%"):
            j += 1  # never cut a %XX escape
        chunks.append(enc[i:j])
        i = j
    out = ""
    for k, c in enumerate(chunks):
        sep = rng.choice([";\n ", "; "])
        if k == 0:
            out += f"{sep}{key}*0*={charset}'{lang}'{c}"
        else:
            out += f"{sep}{key}*{k}*={c}"
    return out


def make_leaf(rng):
    p = Part()
    t = p.tags
    kind = rng.choice(["text", "text", "html", "binary", "binary", "image", "calendar", "nobody"])
    if kind in ("text", "html", "calendar"):
        sub = {"text": "plain", "html": "html", "calendar": "calendar"}[kind]
        charset = rng.choice(["utf-8", "UTF-8", "iso-8859-1", "ISO-8859-1", "us-ascii", None])
        unicode_ok = charset is not None and charset.lower() != "us-ascii"
        lines = text_body(rng, unicode_ok)
        if kind == "html":
            lines = ["<html><body>"] + [f"<p>{x}</p>" for x in lines] + ["</body></html>"]
        text = "\n".join(lines)
        if charset and charset.lower() == "iso-8859-1":
            data = text.encode("latin-1", "replace")
        else:
            data = text.encode("utf-8")
        if rng.random() < 0.5:
            data += b"\n"
        ct = f"{ct_case(rng, 'text')}/{ct_case(rng, sub)}"
        if kind == "text" and rng.random() < 0.05:
            ct = "text"  # no subtype: text/plain (RFC 2045 5.2)
            t.add("ct_no_subtype")
        if rng.random() < 0.04:
            p.headers.append(b"Content-Type: text/x-duplicate")  # first field wins
            t.add("ct_duplicate")
        if charset:
            ct += param(rng, "charset", charset)
            t.add("charset")
        if rng.random() < 0.15:
            ct += param(rng, "format", "flowed")
        p.headers.append(b"Content-Type: " + ct.encode())
        is_8bit = any(b >= 0x80 for b in data)
        if is_8bit:
            cte = rng.choice(["quoted-printable", "base64", "8bit", "8bit"])
        else:
            cte = rng.choice(["7bit", None, "quoted-printable", "base64"])
        p.data = data
    else:
        if kind == "image":
            ctype = rng.choice(["image/png", "image/jpeg", "Image/GIF"])
        elif kind == "nobody":
            ctype = "application/octet-stream"
        else:
            ctype = rng.choice(["application/pdf", "application/octet-stream",
                                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                "APPLICATION/ZIP"])
        size = 0 if kind == "nobody" else rng.choice([1, 2, 3, 57, 100, 1000, 4096, 5000])
        data = bytes(rng.getrandbits(8) for _ in range(size))
        fn = rng.choice(FILENAMES)
        ct = ctype
        if rng.random() < 0.5:
            ct += filename_params(rng, fn, t, "type")
            t.add("has_name")
        p.headers.append(b"Content-Type: " + ct.encode("utf-8"))
        if rng.random() < 0.8:
            disp = ct_case(rng, rng.choice(["attachment", "attachment", "inline"]))
            disp += filename_params(rng, fn, t, "disposition")
            if rng.random() < 0.2:
                disp += param(rng, "size", str(size), quote=False)
            p.headers.append(b"Content-Disposition: " + disp.encode("utf-8"))
            t.add("has_filename")
        cte = rng.choice(["base64", "base64", "base64", "binary"] if size else ["base64", "7bit"])
        p.data = data
    if kind in ("text", "html") and rng.random() < 0.2:
        disp = rng.choice(["inline", "Inline", "attachment"])
        p.headers.append(b"Content-Disposition: " + disp.encode())
    if rng.random() < 0.2:
        p.headers.append(f"Content-ID: <part{rng.randint(1, 999)}.{rng.randint(1, 9999)}@example.com>".encode())
    p.cte = cte
    if cte is not None:
        p.headers.append(b"Content-Transfer-Encoding: " + ct_case(rng, cte).encode())
    return p


def make_multipart(rng, depth, budget):
    p = Part()
    sub = rng.choice(["mixed", "mixed", "alternative", "related", "digest", "alternative"])
    if depth >= 3:
        sub = "alternative"
    p.boundary = rng.choice([
        "b%d_%08x" % (depth, rng.getrandbits(32)),
        "----=_Part_%d_%d.%d" % (rng.randint(0, 99999), rng.randint(0, 9999999), rng.randint(0, 10**12)),
        "=_%x" % rng.getrandbits(64),
        "simple boundary %d" % depth,  # needs quoting (RFC 2046 5.1.1 example)
        "%d" % depth + "x" * 69,  # the longest RFC 2046 allows
    ])
    # Unique per message: a nested multipart reusing its parent's boundary
    # is not a valid message (RFC 2046 5.1.1), and the readers legitimately
    # split it differently.
    budget[1] += 1
    p.boundary += "" if p.boundary.endswith("x") else ".%d" % budget[1]
    if p.boundary.endswith("x"):
        p.boundary = p.boundary[:-len(str(budget[1]))] + str(budget[1])
    quote = " " in p.boundary or "=" in p.boundary or rng.random() < 0.5
    ct = f"{ct_case(rng, 'multipart')}/{ct_case(rng, sub)}"
    params = [param(rng, "boundary", p.boundary, quote=quote)]
    if sub == "related" and rng.random() < 0.5:
        params.append(param(rng, "type", "text/html", quote=True))
    rng.shuffle(params)
    p.headers.append(b"Content-Type: " + (ct + "".join(params)).encode())
    if rng.random() < 0.5:
        p.preamble = rng.choice(["This is a multi-part message in MIME format.",
                                 "", "preamble line 1\npreamble line 2\n"])
        p.tags.add("preamble")
    if rng.random() < 0.3:
        p.epilogue = rng.choice(["epilogue text", "", "\n\nmore epilogue\n"])
        p.tags.add("epilogue")
    if rng.random() < 0.1:
        p.boundary_ws = rng.choice([b" ", b"\t", b"  \t"])
        p.tags.add("boundary_ws")
    if rng.random() < 0.07 and depth > 0:
        p.close = False
        p.tags.add("no_close")
    n = rng.randint(1, 4)
    p.children = []
    for _ in range(n):
        p.children.append(make_entity(rng, depth + 1, budget, in_digest=(sub == "digest")))
    return p


def make_message_headers(rng, tags):
    hs = []
    if rng.random() < 0.95:
        hs.append(b"From: " + address_list(rng, tags, 1).encode("utf-8"))
    if rng.random() < 0.9:
        hs.append(b"To: " + address_list(rng, tags, rng.randint(1, 3)).encode("utf-8"))
    if rng.random() < 0.3:
        hs.append(b"Cc: " + address_list(rng, tags, rng.randint(1, 2)).encode("utf-8"))
    if rng.random() < 0.95:
        hs.append(b"Subject: " + unstructured(rng, tags).encode("utf-8"))
    hs.append(b"Date: Mon, %d Jan 2024 10:%02d:00 +0100" % (rng.randint(1, 28), rng.randint(0, 59)))
    hs.append(b"Message-ID: <%x@example.com>" % rng.getrandbits(40))
    if rng.random() < 0.8:
        hs.append(b"MIME-Version: 1.0")
    return hs


def make_message(rng, depth, budget):
    """A whole message entity: header fields, then a multipart or leaf."""
    tags = set()
    hs = make_message_headers(rng, tags)
    if depth < 4 and rng.random() < 0.75:
        body = make_multipart(rng, depth, budget)
    else:
        body = make_leaf(rng)
    body.headers = hs + body.headers
    body.tags |= tags
    return body


def make_entity(rng, depth, budget, in_digest=False):
    budget[0] -= 1
    r = rng.random()
    if budget[0] > 0 and depth < 5 and r < 0.15:
        inner = make_message(rng, depth + 1, budget)
        p = Part()
        p.message = inner
        if in_digest and rng.random() < 0.7:
            p.tags.add("digest_default")  # no Content-Type: message/rfc822 by default
        else:
            p.headers.append(b"Content-Type: " + ct_case(rng, "message/rfc822").encode())
            if rng.random() < 0.08:
                # forbidden by RFC 2046 5.2.1, written by some clients
                p.headers.append(b"Content-Transfer-Encoding: base64")
                p.tags.add("rfc822_encoded")
            if rng.random() < 0.5:
                p.headers.append(b"Content-Disposition: attachment" + param(rng, "filename", "fwd.eml").encode())
        return p
    if budget[0] > 0 and depth < 4 and r < 0.4:
        return make_multipart(rng, depth, budget)
    leaf = make_leaf(rng)
    if in_digest:
        leaf.tags.add("in_digest")
    return leaf


def serialize(p, eol):
    """The entity as bytes with line break `eol`; leaf data is encoded here."""
    out = []
    for h in p.headers:
        out.append(h.replace(b"\n", eol))
    head = eol.join(out) + eol + eol if out else eol
    if p.message is not None:
        inner = serialize(p.message, eol)
        if "rfc822_encoded" in p.tags:
            return head + base64.encodebytes(inner).replace(b"\n", eol)
        return head + inner
    if p.children is not None:
        b = p.boundary.encode()
        s = b""
        if p.preamble is not None:
            s += p.preamble.encode().replace(b"\n", eol) + eol
        for c in p.children:
            s += b"--" + b + p.boundary_ws + eol + serialize(c, eol) + eol
        if p.close:
            s += b"--" + b + b"--" + p.boundary_ws
            if p.epilogue is not None:
                s += eol + p.epilogue.encode().replace(b"\n", eol)
            else:
                s += eol
        return head + s
    data = p.data
    cte = (p.cte or "7bit").lower()
    if cte == "base64":
        body = b64_body(p.rng, data, p.tags, eol.decode())
    elif cte == "quoted-printable":
        body = qp_encode(p.rng, data, p.tags, eol.decode())
    elif cte == "binary":
        body = data  # raw bytes, line breaks as they are
    else:
        body = data.replace(b"\n", eol)
    return head + body


def attach_rngs(p, rng):
    p.rng = rng
    for c in p.children or ():
        attach_rngs(c, rng)
    if p.message is not None:
        attach_rngs(p.message, rng)


def nasty_no_boundary(rng, eol):
    """A multipart whose Content-Type has no boundary parameter."""
    return (b"From: a@example.com" + eol + b"Subject: no boundary" + eol +
            b"Content-Type: multipart/mixed" + eol + eol +
            b"--x" + eol + b"Content-Type: text/plain" + eol + eol + b"hi" + eol + b"--x--" + eol)


def generate(seed):
    """(raw bytes, root Part or None, message-level tags)."""
    rng = random.Random(seed)
    eol = b"\r\n" if rng.random() < 0.5 else b"\n"
    if seed % 97 == 13:
        return nasty_no_boundary(rng, eol), None, {"no_boundary"}
    root = make_message(rng, 0, [rng.randint(2, 10), 0])
    attach_rngs(root, rng)
    if root.children is not None and rng.random() < 0.05:
        # the input ends without the close boundary
        root.close = False
        root.tags.add("no_close")
        # the leaf the end of the input cuts, unless a close boundary of
        # its own ends it first
        last = root
        while last.children and not last.close or last.message is not None:
            last = last.children[-1] if last.children else last.message
        if last.children is None:
            last.tags.add("eof_no_close")
            last.tags.add(("eof_eol", eol))
    raw = serialize(root, eol)
    return raw, root, set()


# ---------------------------------------------------------------------------
# Reading both ways into one normalised tree.
# A node: {"type", "charset", "disposition", "filename", "cid", "size",
# "sha", "parts": [...] or None, "message": {...} or None}; a message object:
# {"subject", "from", "to", "cc", "root"}.
# ---------------------------------------------------------------------------

def sha(b):
    return hashlib.sha256(b).hexdigest()


def py_addresses(msg, name):
    h = msg[name]
    if h is None:
        return []
    out = []
    for group in h.groups:
        for a in group.addresses:
            out.append((a.display_name or None, a.addr_spec or None))
    return out


def py_message(msg):
    subject = msg["subject"]
    return {
        "subject": None if subject is None else str(subject),
        "from": py_addresses(msg, "from"),
        "to": py_addresses(msg, "to"),
        "cc": py_addresses(msg, "cc"),
        "root": py_part(msg),
    }


def py_part(p):
    cid = p["content-id"]
    if cid is not None:
        cid = str(cid).strip().strip("<>").strip() or None
    charset = p.get_content_charset()
    node = {
        "type": p.get_content_type(),
        "charset": charset.lower() if charset else None,
        "disposition": p.get_content_disposition(),
        "filename": p.get_filename(),
        "cid": cid,
        "size": None, "sha": None, "parts": None, "message": None,
        "py": p,
    }
    payload = p.get_payload()
    if p.is_multipart() and node["type"].startswith("message/"):
        node["message"] = py_message(payload[0])
    elif p.is_multipart():
        node["parts"] = [py_part(c) for c in payload]
    else:
        d = p.get_payload(decode=True)
        node["size"], node["sha"] = len(d), sha(d)
        node["decoded"] = d
    return node


def mw_addresses(lst):
    return [(a["name"] or None, a["address"] or None) for a in lst]


def mw_message(m):
    return {
        "subject": m["subject"],
        "from": mw_addresses(m["from"]),
        "to": mw_addresses(m["to"]),
        "cc": mw_addresses(m["cc"]),
        "root": mw_part(m["root"]),
    }


def mw_part(p):
    return {
        "type": p["content_type"],
        "charset": p["charset"].lower() if p["charset"] else None,
        "disposition": p["disposition"],
        "filename": p["filename"],
        "cid": p["content_id"],
        "size": p["size"], "sha": p["sha256"],
        "parts": None if p["parts"] is None else [mw_part(c) for c in p["parts"]],
        "message": None if p["message"] is None else mw_message(p["message"]),
    }


# ---------------------------------------------------------------------------
# Known, documented differences. Each rule: the tags that trigger it, the
# reason (with the mailwire header documenting its reading), and a model of
# mailwire's reading: given the raw body bytes (Python's undecoded
# payload), what mailwire must give. A difference is known only when the
# part carries a trigger tag and mailwire's value equals the model's.
# ---------------------------------------------------------------------------

def qp_model(raw):
    """mailwire's documented quoted-printable reading (quoted_printable.hpp):
    =XX in either case is the byte; '=' + SP/HTAB* + line break is a soft
    break; SP/HTAB before a hard break or at the end of the body are
    removed; any other '=' is kept."""
    out = bytearray()
    lines = raw.split(b"\n")
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        brk = b""
        if not last:
            brk = b"\r\n" if line.endswith(b"\r") else b"\n"
            line = line[:-1] if brk == b"\r\n" else line
        body = line.rstrip(b" \t")
        soft = body.endswith(b"=")
        if last and not soft and line.rstrip(b" \t\r").endswith(b"="):
            body, soft = line.rstrip(b" \t\r"), True
        if soft:
            body = body[:-1]
        j = 0
        while j < len(body):
            h = body[j + 1:j + 3]
            if body[j] == 0x3D and len(h) == 2 and all(c in b"0123456789abcdefABCDEF" for c in h):
                out.append(int(h, 16))
                j += 3
            else:
                out.append(body[j])
                j += 1
        if not soft:
            out += brk
    return bytes(out)


def b64_model(raw):
    """mailwire's documented base64 reading (transfer_encoding.hpp, lenient):
    bytes outside the alphabet skipped; a final quantum of 2 or 3 characters
    gives its whole bytes, a lone character nothing (base64_truncated)."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    chars = bytes(c for c in raw if c in alphabet)
    whole = len(chars) - len(chars) % 4
    out = base64.b64decode(chars[:whole])
    rest = chars[whole:]
    if len(rest) >= 2:
        out += base64.b64decode(rest + b"=" * (4 - len(rest)))[:len(rest) - 1]
    return out


def raw_payload(node, tags=()):
    """A leaf's body bytes as received: Python's undecoded payload, plus the
    final line break Python strips from a part cut by the end of the input
    (rule eof_line_break: mailwire's reading keeps it)."""
    payload = node["py"].get_payload()
    raw = payload.encode("ascii", "surrogateescape") if isinstance(payload, str) else b""
    for (eol,) in tagged(tags, "eof_eol"):
        raw += eol
    return raw


def tagged(tags, kind):
    """The tuple tags (kind, ...) of a part."""
    return [t[1:] for t in tags if isinstance(t, tuple) and t[0] == kind]


def body_is(mw, data):
    """mailwire's (size, sha256) of a leaf is that of `data`."""
    return mw == (len(data), sha(data))


def same_addresses(py, mw, forms):
    """Equal lists, except display names in `forms` (python's, mailwire's)."""
    return len(py) == len(mw) and all(
        a == b or a[1] == b[1] and (a[0], b[0]) in forms for a, b in zip(py, mw))


# Each rule: `fields` it may explain, the `tags` (plain, or the kind of a
# tuple tag) that trigger it, the `reason`, and `check(field, py, mw, node,
# tags)`: true when the difference is exactly the documented one (mailwire
# gives what its documented reading gives on these bytes).
RULES = {
    "qp_trailing_whitespace": {
        "fields": {"body"},
        "tags": {"qp_trailing_ws", "qp_soft_ws"},
        "reason": "quoted_printable.hpp: SP/HTAB before a line break or at the end of the body are removed "
                  "(RFC 2045 6.7 (3)) and '=' + whitespace + line break is a soft break; Python's "
                  "binascii.a2b_qp keeps the whitespace, and the '= ' literally",
        "check": lambda f, py, mw, node, tags: body_is(mw, qp_model(raw_payload(node, tags))),
    },
    "b64_lone_char": {
        "fields": {"body"},
        "tags": {"b64_truncated"},
        "reason": "transfer_encoding.hpp: a truncated base64 body gives its whole bytes (base64_truncated); "
                  "Python's decode_b returns the undecoded text when the length is 1 mod 4 (bpo-27397)",
        "check": lambda f, py, mw, node, tags: (body_is(mw, b64_model(raw_payload(node, tags))) and
                                                node["decoded"] == b"".join(raw_payload(node).splitlines())),
    },
    "eof_line_break": {
        "fields": {"body"},
        "tags": {"eof_no_close"},
        "reason": "parser.hpp: the line break before a boundary belongs to the boundary; a part cut by the "
                  "end of the input (missing close boundary) keeps its last line break, which Python strips",
        "check": lambda f, py, mw, node, tags: any(body_is(mw, node["decoded"] + e) for e in (b"\r\n", b"\n")),
    },
    "rfc2231_over_plain": {
        "fields": {"filename"},
        "tags": {"fn_both"},
        "reason": "content_type.hpp: with both filename and filename* present the RFC 2231 form wins "
                  "(mime_conflicting_parameter); Python's get_param returns the first one written",
        "check": lambda f, py, mw, node, tags: (py, mw) in tagged(tags, "fn_both"),
    },
    "ew_glued": {
        "fields": {"subject"},
        "tags": {"ew_glued"},
        "reason": "encoded_word.hpp: an encoded-word glued to text ('[SPAM]=?utf-8?q?x?=') is decoded and the "
                  "word boundary kept as one space (mime_encoded_word_glued); Python joins them",
        "check": lambda f, py, mw, node, tags: (py, mw) in tagged(tags, "ew_glued"),
    },
    "ew_phrase_whitespace": {
        "fields": {"from", "to", "cc"},
        "tags": {"ew_phrase_ws"},
        "reason": "encoded_word.hpp: whitespace between adjacent encoded-words is dropped in display names too "
                  "(RFC 2047 6.2); Python 3's header parser drops it only in unstructured fields",
        "check": lambda f, py, mw, node, tags: same_addresses(py, mw, tagged(tags, "ew_phrase_ws")),
    },
    "rfc822_encoded": {
        "fields": {"shape"},
        "tags": {"rfc822_encoded"},
        "reason": "parser.hpp: a message/rfc822 part with a base64 (or quoted-printable) transfer encoding "
                  "is a leaf, decoded, not parsed; Python parses the encoded text as a message",
        "check": lambda f, py, mw, node, tags: (
            mw["parts"] is None and mw["message"] is None and py["message"]["root"]["parts"] is None and
            body_is((mw["size"], mw["sha"]), b64_model(raw_payload(py["message"]["root"])))),
    },
}


def tag_kinds(tags):
    return {t[0] if isinstance(t, tuple) else t for t in tags}


class Comparer:
    def __init__(self):
        self.parts = 0
        self.known = {}
        self.unexplained = []

    def diff(self, where, field, py, mw, node, tags):
        kinds = tag_kinds(tags)
        for name, rule in RULES.items():
            if field in rule["fields"] and kinds & rule["tags"] and rule["check"](field, py, mw, node, tags):
                self.known[name] = self.known.get(name, 0) + 1
                return
        if field == "shape":
            py, mw = shape(py), shape(mw)
        self.unexplained.append(f"{where}: {field}: python={py!r} mailwire={mw!r}")

    def message(self, where, py, mw, gen):
        tags = gen.tags if gen is not None else set()
        for f in ("subject", "from", "to", "cc"):
            if py[f] != mw[f]:
                self.diff(where, f, py[f], mw[f], None, tags)
        self.part(where + "/root", py["root"], mw["root"], gen)

    def part(self, where, py, mw, gen):
        self.parts += 1
        tags = gen.tags if gen is not None else set()
        for f in ("type", "charset", "disposition", "filename", "cid"):
            if py[f] != mw[f]:
                self.diff(where, f, py[f], mw[f], py, tags)
        if (py["parts"] is None) != (mw["parts"] is None) or (py["message"] is None) != (mw["message"] is None):
            self.diff(where, "shape", py, mw, py, tags)
            return
        if py["parts"] is not None:
            if len(py["parts"]) != len(mw["parts"]):
                self.diff(where, "shape", py, mw, py, tags)
                return
            gens = gen.children if gen is not None and gen.children is not None else []
            for i, (a, b) in enumerate(zip(py["parts"], mw["parts"])):
                self.part(f"{where}/{i}", a, b, gens[i] if i < len(gens) else None)
        elif py["message"] is not None:
            self.message(where + "/message", py["message"], mw["message"], gen.message if gen is not None else None)
        elif (py["size"], py["sha"]) != (mw["size"], mw["sha"]):
            self.diff(where, "body", (py["size"], py["sha"]), (mw["size"], mw["sha"]), py, tags)

def shape(node):
    if node["parts"] is not None:
        return node["type"] + "[" + ", ".join(shape(c) for c in node["parts"]) + "]"
    if node["message"] is not None:
        return node["type"] + "{" + shape(node["message"]["root"]) + "}"
    return node["type"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", required=True, help="path to mailwire-mime-dump")
    ap.add_argument("-n", type=int, default=400, help="messages to generate")
    ap.add_argument("-s", "--seed", type=int, default=0, help="first seed")
    ap.add_argument("--save", help="write each message to DIR/<seed>.eml")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    cmp = Comparer()
    total_bytes = 0
    for seed in range(args.seed, args.seed + args.n):
        raw, gen, msg_tags = generate(seed)
        total_bytes += len(raw)
        if args.save:
            os.makedirs(args.save, exist_ok=True)
            with open(os.path.join(args.save, f"{seed}.eml"), "wb") as f:
                f.write(raw)
        before = len(cmp.unexplained)
        res = subprocess.run([args.dump, "-"], input=raw, capture_output=True, timeout=30)
        if res.returncode != 0:
            cmp.unexplained.append(f"seed {seed}: mailwire-mime-dump exited {res.returncode}: {res.stderr!r}")
            continue
        try:
            mw = mw_message(json.loads(res.stdout))
        except (ValueError, KeyError, TypeError) as exc:
            cmp.unexplained.append(f"seed {seed}: bad JSON from mailwire-mime-dump ({exc}): {res.stdout[:200]!r}")
            continue
        py = py_message(email.message_from_bytes(raw, policy=email.policy.default))
        cmp.message(f"seed {seed}", py, mw, gen)
        if len(cmp.unexplained) > before:
            print(f"--- seed {seed} ({len(raw)} bytes):", file=sys.stderr)
            for line in cmp.unexplained[before:]:
                print("  " + line, file=sys.stderr)
            if args.verbose:
                sys.stderr.write(raw.decode("utf-8", "replace") + "\n")

    known = sum(cmp.known.values())
    by_rule = ", ".join(f"{k}: {v}" for k, v in sorted(cmp.known.items()))
    print(f"{args.n} messages ({total_bytes} bytes), {cmp.parts} parts compared, "
          f"{known} known differences ({by_rule or 'none'}), {len(cmp.unexplained)} unexplained")
    for name, rule in RULES.items():
        print(f"  rule {name} ({cmp.known.get(name, 0)}): {rule['reason']}")
    return 1 if cmp.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
