"""What every message mailwire-compose writes must obey (RFC 5322, RFC 2045,
RFC 2046, RFC 2047), checked on the raw bytes; shared by
tests/examples/compose_test.py and tests/interop/compose_readers.py.

check(raw, seven_bit) raises AssertionError naming the first violation:
  * every line ends in CRLF: no bare CR, no bare LF, the message ends with CRLF;
  * no line over 998 octets;
  * header lines (the message's and every part's) over 78 octets only where
    no space could have broken them: no SP/HTAB outside quoted strings after
    the field name's colon (or after a continuation line's leading space);
  * no 8-bit byte in any header (the program never writes SMTPUTF8), none
    at all with --7bit, and otherwise only in parts labelled 8bit (and in
    attached messages, labelled 8bit);
  * every encoded-word is well formed (charset, B or Q, valid base64 or Q
    alphabet, whole UTF-8 characters), at most 75 characters, separated
    from the text around it, and every "=?" in a header starts one;
  * no line of a part's content (or a multipart's preamble or epilogue)
    starts with "--" and the boundary of any enclosing multipart; each
    multipart has its delimiters and its close delimiter;
  * base64 and quoted-printable lines at most 76 characters.
Returns the tree it walked: {"headers": [(name, value)], "type", "params",
"cte", "parts": [...] | None, "body": bytes (leaves, still encoded)}.
"""

import base64
import binascii
import re

EW = re.compile(rb"=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)\?=")
Q_PHRASE = re.compile(rb"^[A-Za-z0-9!*+\-/=_]*$")
Q_TEXT = re.compile(rb"^[\x21-\x3e\x40-\x7e]*$")  # printable ASCII but '?' (and no space)


def fail(why):
    raise AssertionError(why)


def lines_of(raw):
    if not raw.endswith(b"\r\n"):
        fail(f"the message does not end with CRLF: {raw[-20:]!r}")
    body = raw[:-2]
    lines = body.split(b"\r\n")
    for i, line in enumerate(lines):
        if b"\r" in line or b"\n" in line:
            fail(f"line {i + 1}: bare CR or LF: {line[:80]!r}")
        if len(line) > 998:
            fail(f"line {i + 1}: {len(line)} octets (over 998)")
    return lines


def outside_quotes_ws(text):
    """Positions of SP/HTAB in `text` outside quoted strings."""
    out, quoted, escaped = [], False, False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and c == 0x5C:
            escaped = True
        elif c == 0x22:
            quoted = not quoted
        elif c in (0x20, 0x09) and not quoted:
            out.append(i)
    return out


def quoted_mask(text):
    """For each position of `text`: inside a quoted string (the builder
    never folds inside one, so each line starts outside)."""
    mask, quoted, escaped = [], False, False
    for c in text:
        if escaped:
            escaped = False
            mask.append(True)
            continue
        if quoted and c == 0x5C:
            escaped = True
        if c == 0x22:
            quoted = not quoted
            mask.append(True)
            continue
        mask.append(quoted)
    return mask


def check_encoded_words(name, line):
    """The encoded-words of one header line (outside quoted strings, where
    RFC 2047 5 allows them; the program never writes them inside)."""
    phrase = name.lower() in (b"from", b"to", b"cc", b"bcc", b"reply-to", b"sender")
    mask = quoted_mask(line)
    inside = set()
    for m in EW.finditer(line):
        if mask[m.start()]:
            continue
        inside.update(range(m.start(), m.end()))
        word = m.group(0)
        where = f"{name.decode()}: encoded-word {word[:80]!r}"
        if len(word) > 75:
            fail(f"{where}: {len(word)} characters (over 75)")
        charset, enc, text = m.group(1), m.group(2).upper(), m.group(3)
        if charset.lower() not in (b"utf-8", b"us-ascii"):
            fail(f"{where}: charset {charset!r}")
        before = line[m.start() - 1:m.start()]
        after = line[m.end():m.end() + 1]
        if before not in (b"", b" ", b"\t", b"(") or after not in (b"", b" ", b"\t", b")"):
            fail(f"{where}: glued to the text around it ({before!r}, {after!r})")
        if enc == b"B":
            try:
                data = binascii.a2b_base64(text, strict_mode=True)
            except (binascii.Error, TypeError) as e:
                fail(f"{where}: bad base64 ({e})")
        elif enc == b"Q":
            if not (Q_PHRASE if phrase else Q_TEXT).match(text):
                fail(f"{where}: characters Q does not allow here")
            data = bytearray()
            i = 0
            while i < len(text):
                c = text[i]
                if c == 0x3D:
                    h = text[i + 1:i + 3]
                    if len(h) != 2 or not all(x in b"0123456789ABCDEF" for x in h):
                        fail(f"{where}: bad =XX")
                    data.append(int(h, 16))
                    i += 3
                else:
                    data.append(0x20 if c == 0x5F else c)
                    i += 1
            data = bytes(data)
        else:
            fail(f"{where}: encoding {enc!r}")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            fail(f"{where}: not whole UTF-8 characters")
    # Every "=?" outside quotes starts a word just checked: anything else
    # would read as a broken encoded-word.
    for i in range(len(line) - 1):
        if line[i:i + 2] == b"=?" and not mask[i] and i not in inside:
            fail(f"{name.decode()}: '=?' that is not an encoded-word: {line[:100]!r}")


def parse_params(value):
    """type and {param: value} of an unfolded Content-Type value (the
    builder's output: tokens and simple quoted strings)."""
    pieces = re.findall(rb';\s*([^=\s;]+)=("(?:[^"\\]|\\.)*"|[^;\s]*)', value)
    params = {}
    for k, v in pieces:
        if v.startswith(b'"'):
            v = re.sub(rb"\\(.)", rb"\1", v[1:-1])
        params[k.lower().decode()] = v.decode("ascii", "replace")
    t = value.split(b";", 1)[0].strip().lower().decode()
    return t, params


def header_block(lines, i, end, top):
    """Checks the header lines from i to the empty line; returns (fields,
    index after the empty line)."""
    fields = []
    while i < end and lines[i] != b"":
        line = lines[i]
        if line[:1] in (b" ", b"\t"):
            if not fields:
                fail(f"a header begins with a continuation line: {line[:80]!r}")
            fields[-1][1].append(line)
            ws = [p for p in outside_quotes_ws(line) if p > 0 and line[:p].strip()]
        else:
            colon = line.find(b":")
            if colon <= 0:
                fail(f"a header line without a field name: {line[:80]!r}")
            fields.append((line[:colon], [line[colon + 1:]]))
            rest = line[colon + 1:]
            ws = [p for p in outside_quotes_ws(rest) if p > 0]
        if len(line) > 78 and ws:
            fail(f"header line of {len(line)} octets not folded where it could be: {line[:120]!r}")
        if any(b >= 0x80 for b in line):
            fail(f"8-bit byte in a header: {line[:80]!r}")
        i += 1
    if i >= end:
        fail("a header block without its empty line")
    out = []
    for name, parts in fields:
        for p in parts:
            check_encoded_words(name, p)
        out.append((name, b"".join(parts)))
    return out, i + 1


def field(fields, name):
    for n, v in fields:
        if n.lower() == name:
            return v
    return None


def entity(lines, i, end, bounds, seven_bit, top=False):
    fields, i = header_block(lines, i, end, top)
    ct = field(fields, b"content-type")
    ctype, params = parse_params(ct) if ct is not None else ("text/plain", {})
    cte = (field(fields, b"content-transfer-encoding") or b"7bit").strip().lower().decode()
    node = {"headers": fields, "type": ctype, "params": params, "cte": cte, "parts": None, "body": None}
    if ctype.startswith("multipart/"):
        b = params.get("boundary")
        if not b:
            fail(f"{ctype} without a boundary")
        if any(b.startswith(o) or o.startswith(b) for o in bounds):
            fail(f"boundary {b!r} and an enclosing one are prefixes of each other")
        delim, close = b"--" + b.encode(), b"--" + b.encode() + b"--"
        marks = [k for k in range(i, end) if lines[k] in (delim, close)]
        if not marks or lines[marks[-1]] != close or any(lines[k] == close for k in marks[:-1]):
            fail(f"{ctype}: delimiters missing or out of order")
        for k in range(i, marks[0]):  # preamble
            content_line(lines[k], bounds + [b])
        for k in range(marks[-1] + 1, end):  # epilogue
            content_line(lines[k], bounds + [b])
        node["parts"] = [entity(lines, a + 1, z, bounds + [b], seven_bit)
                         for a, z in zip(marks, marks[1:])]
        return node
    body = lines[i:end]
    for line in body:
        content_line(line, bounds)
        if cte in ("base64", "quoted-printable") and len(line) > 76:
            fail(f"{cte} line of {len(line)} characters")
        if b"\x00" in line:
            fail("NUL in a part's content")
        if any(c >= 0x80 for c in line):
            if seven_bit:
                fail(f"8-bit byte with --7bit in {ctype}")
            if cte != "8bit":
                fail(f"8-bit byte in a {ctype} part labelled {cte}")
    if cte == "base64":
        try:
            base64.b64decode(b"".join(body), validate=True)
        except binascii.Error as e:
            fail(f"bad base64 in {ctype}: {e}")
    node["body"] = b"\r\n".join(body)
    return node


def content_line(line, bounds):
    for b in bounds:
        if line.startswith(b"--" + b.encode()):
            fail(f"content line starts with an enclosing boundary: {line[:100]!r}")


def check(raw, seven_bit=False):
    lines = lines_of(raw)
    if seven_bit and any(c >= 0x80 for c in raw):
        fail("8-bit byte with --7bit")
    return entity(lines, 0, len(lines), [], seven_bit, top=True)
