#!/usr/bin/env python3
"""Writes tests/vectors/mime/codecs/differential.txt: random inputs to the
MIME body decoders and Python's decoding of them (the oracle). The input
shapes stay where Python's readings and RFC 2045's agree (see README.md in
that folder). Deterministic: the same file on every run."""
import binascii
import io
import os
import quopri
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "vectors", "mime", "codecs", "differential.txt")

rng = random.Random(2045)


def pure_quopri(data: bytes) -> bytes:
    saved = quopri.a2b_qp
    quopri.a2b_qp = None  # the pure-Python decoder strips trailing whitespace
    try:
        out = io.BytesIO()
        quopri.decode(io.BytesIO(data), out)
        return out.getvalue()
    finally:
        quopri.a2b_qp = saved


def qp_token(trailing_ws: bool) -> bytes:
    r = rng.random()
    if r < 0.45:
        return bytes(rng.choice(b"abcdefXYZ019 .,;:!?-_\t\x80\xe9\xff") for _ in range(rng.randint(1, 12)))
    if r < 0.7:
        return b"=" + bytes(rng.choice(b"0123456789ABCDEFabcdef") for _ in range(2))
    if r < 0.8:  # an escape with a bad digit
        return b"=" + bytes(rng.choice(b"0123456789ABCDEFGxz .") for _ in range(2))
    if r < 0.9 and trailing_ws:
        return bytes(rng.choice(b" \t") for _ in range(rng.randint(1, 5)))
    return b"x"


def qp_case(crlf: bool) -> bytes:
    lines = []
    for _ in range(rng.randint(1, 6)):
        line = b"".join(qp_token(not crlf) for _ in range(rng.randint(0, 20)))
        if crlf:
            line = line.rstrip(b" \t")
        r = rng.random()
        if r < 0.3:
            line += b"="  # soft line break
            if not crlf and rng.random() < 0.5:
                line += b" \t"[: rng.randint(1, 2)]
        elif not crlf and r < 0.5:
            line += bytes(rng.choice(b" \t") for _ in range(rng.randint(1, 6)))
        lines.append(line)
    data = (b"\r\n" if crlf else b"\n").join(lines) + (b"\r\n" if crlf else b"\n")
    # "==" is a Python quirk (decoded as "="), not RFC 2045.
    while b"==" in data:
        data = data.replace(b"==", b"=")
    return data


def b64_case():
    raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    enc = base64_lines(raw, b"\r\n" if rng.random() < 0.5 else b"\n")
    enc = bytearray(enc)
    for _ in range(rng.randint(0, 4)):  # garbage, never "=" (Python skips a lone one)
        enc.insert(rng.randint(0, len(enc)), rng.choice(b"*!.-_#@\x00\x80\xff\t "))
    r = rng.random()
    if r < 0.15 and len(enc) > 0:
        del enc[rng.randrange(len(enc)):]  # cut anywhere
    elif r < 0.3 and enc.endswith(b"="):
        enc += b"\r\nQUJD\r\n"  # data after the padding: ignored
    enc = bytes(enc)
    try:
        dec = binascii.a2b_base64(enc)
    except binascii.Error:
        dec = None
    return enc, dec


def base64_lines(raw, eol):
    flat = binascii.b2a_base64(raw, newline=False)
    return eol.join(flat[i : i + 76] for i in range(0, len(flat), 76)) + (eol if flat else b"")


def uu_case():
    raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 150)))
    backtick = rng.random() < 0.5
    strip = rng.random() < 0.3
    eol = b"\r\n" if rng.random() < 0.5 else b"\n"
    lines = [b"begin 644 file name.bin"]
    for i in range(0, len(raw), 45):
        line = binascii.b2a_uu(raw[i : i + 45], backtick=backtick).rstrip(b"\n")
        if strip:
            line = line.rstrip(b" ")
        lines.append(line)
    lines += [b"`" if backtick else b" ", b"end"]
    enc = eol.join(lines) + eol
    dec = b"".join(binascii.a2b_uu(l) for l in lines[1:-2])
    return enc, dec


def main():
    rows = []
    for _ in range(150):
        data = qp_case(False)
        rows.append(("qp", data, pure_quopri(data)))
    for _ in range(150):
        data = qp_case(True)
        rows.append(("qp_crlf", data, binascii.a2b_qp(data)))
    for _ in range(150):
        enc, dec = b64_case()
        rows.append(("b64", enc, dec))
    for _ in range(40):
        enc, dec = uu_case()
        rows.append(("uu", enc, dec))
    with open(OUT, "w") as f:
        for kind, i, o in rows:
            f.write("%s %s %s\n" % (kind, i.hex() or "-", "ERROR" if o is None else (o.hex() or "-")))


if __name__ == "__main__":
    main()
