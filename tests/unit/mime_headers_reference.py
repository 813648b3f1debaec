#!/usr/bin/env python3
"""Generator of the differential table that tests/unit/mime_headers_test.cpp
checks mailwire's header decoding against: Python's `email` package with
policy.default (email.headerregistry and its RFC 5322 / RFC 2047 parser).

Regenerate (the table is committed; the C++ test does not run Python):

    python3 tests/unit/mime_headers_reference.py > tests/vectors/mime/fields/python_email.txt

Values are generated from a fixed seed: unstructured text with plain words,
Q and B encoded-words in UTF-8 and ISO-8859-1 (adjacent and split, folded),
and address lists with atoms, quoted strings with escapes, encoded-word
display names, groups and folds. Comments are left out of addresses
because the two readings differ on purpose (Python drops them; mailwire
keeps them as the name).

The values are folded only after a word, where RFC 5322 unfolding (remove
the CRLF) and mailwire's (a fold with its whitespace is one space) agree
on plain text; Python is given the unfolded value.

Line format: kind, the value in hex, the expected result in hex, separated
by spaces. kind "text": the decoded text. kind "addr": for each address
"name\\x1faddress\\x1fgroup\\x1e".
"""

import base64
import random
import sys
from email import policy

rng = random.Random(2047)

WORDS = ["hello", "world", "Re:", "caf\u00e9", "na\u00efve", "\u00c5ngstr\u00f6m", "\u65e5\u672c\u8a9e",
         "\U0001F600", "stra\u00dfe", "plain", "x", "a-b", "\u0436\u0443\u043a"]


def ew(text, charset, enc):
    data = text.encode(charset)
    if enc == "B":
        body = base64.b64encode(data).decode()
    else:
        body = "".join(chr(b) if (chr(b).isalnum() and b < 128) else ("_" if b == 32 else "=%02X" % b) for b in data)
    return "=?%s?%s?%s?=" % (charset, enc, body)


def encodable(text, charset):
    try:
        text.encode(charset)
        return True
    except UnicodeEncodeError:
        return False


def gen_text():
    parts = []
    for _ in range(rng.randint(1, 5)):
        w = rng.choice(WORDS)
        r = rng.random()
        if r < 0.35 and w.isascii():
            parts.append(w)
        else:
            cs = "iso-8859-1" if encodable(w, "iso-8859-1") and rng.random() < 0.5 else "utf-8"
            parts.append(ew(w + (" " if rng.random() < 0.3 else ""), cs, rng.choice("BQ")))
    seps = [rng.choice([" ", "  ", "\r\n "]) for _ in parts]
    out = parts[0]
    for p, s in zip(parts[1:], seps):
        out += s + p
    return out


def gen_name():
    r = rng.random()
    ws = [w for w in WORDS if w.isascii() and w.replace("-", "").isalnum()]
    if r < 0.3:
        return " ".join(rng.choice(ws) for _ in range(rng.randint(1, 3)))
    if r < 0.55:
        inner = " ".join(rng.choice(WORDS[:3] + ["a,b", "x@y", 'say "hi"', "back\\slash", "semi;colon"]) for _ in range(rng.randint(1, 2)))
        return '"' + inner.replace("\\", "\\\\").replace('"', '\\"') + '"'
    w = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 2)))
    cs = "iso-8859-1" if encodable(w, "iso-8859-1") else "utf-8"
    return ew(w, cs, rng.choice("BQ"))


def gen_mailbox():
    local = rng.choice(["john", "j.doe", "a+tag", "x_y"])
    addr = local + "@" + rng.choice(["example.com", "mail.example.org", "x.test"])
    if rng.random() < 0.3:
        return addr
    return gen_name() + rng.choice([" ", "\r\n "]) + "<" + addr + ">"


def gen_list():
    items = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.2:
            members = ", ".join(gen_mailbox() for _ in range(rng.randint(0, 2)))
            items.append(rng.choice(["Team", "Undisclosed recipients", '"My Group"']) + ": " + members + ";")
        else:
            items.append(gen_mailbox())
    return rng.choice([", ", ",\r\n "]).join(items)


def unfold(v):
    # RFC 5322 2.2.3, as Python's message parser does before the header
    # classes see a value.
    return v.replace("\r\n", "")


def hexs(s):
    return s.encode("utf-8").hex()


def main():
    out = sys.stdout
    for _ in range(300):
        v = gen_text()
        h = policy.default.header_factory("Subject", unfold(v))
        out.write("text %s %s\n" % (hexs(v), hexs(str(h))))
    for _ in range(300):
        v = gen_list()
        h = policy.default.header_factory("To", unfold(v))
        if h.defects:
            continue
        res = ""
        for g in h.groups:
            gname = g.display_name or ""
            if g.display_name is not None and not g.addresses:
                res += "\x1f\x1f" + gname + "\x1e"
            for a in g.addresses:
                res += a.display_name + "\x1f" + a.addr_spec + "\x1f" + gname + "\x1e"
        out.write("addr %s %s\n" % (hexs(v), hexs(res)))


if __name__ == "__main__":
    main()
