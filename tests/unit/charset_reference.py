#!/usr/bin/env python3
"""Generates tests/vectors/mime/charsets.txt, the expected outputs that
tests/unit/mime_charset_test.cpp checks mailwire's charset decoders against,
from Python's own codecs. The file is committed; the C++ test does not run
Python. Regenerate it with

    python3 tests/unit/charset_reference.py > tests/vectors/mime/charsets.txt

Each case is one line: <charset label> <input hex> <UTF-8 output hex>
<malformed count>, '-' for empty hex. The output is Python's
bytes.decode(codec, <replace with U+FFFD>) and the count is how many times
the error handler ran. Where mailwire's reading is defined by Python's
codecs but not identical to a Python codec, the line says how:

 - us-ascii: 8-bit bytes are read as windows-1252 (Python's cp1252) and each
   counts as malformed.
 - UTF-16 and UTF-32 without a BOM are big-endian (RFC 2781 4.3; Python's
   unmarked codecs use the machine's order), so the reference is Python's
   -be codec, or the unmarked codec when the input starts with a BOM.
 - UTF-7: the inputs are ones on which Python's decoder and mailwire agree
   (mailwire_charset_test.cpp tests the few deliberate differences); a lone
   surrogate, which Python keeps, is U+FFFD in UTF-8 and counts as malformed.
"""

import codecs
import random
import sys

count = 0


def counting_replace(exc):
    global count
    count += 1
    return ("\ufffd", exc.end)


codecs.register_error("mailwire_count", counting_replace)


def utf16_be_or_bom(data, width):
    boms = {2: (b"\xfe\xff", b"\xff\xfe"), 4: (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")}[width]
    codec = "utf-16" if width == 2 else "utf-32"
    return codec if data.startswith(boms) else codec + "-be"


def reference(label, data):
    """(output str, malformed count) as mailwire should decode `data`."""
    global count
    count = 0
    if label == "us-ascii":
        text = "".join(chr(b) if b < 0x80 else bytes([b]).decode("cp1252", "mailwire_count")
                       for b in data)
        return text, count + sum(1 for b in data if b >= 0x80 and bytes([b]).decode("cp1252", "replace") != "\ufffd")
    codec = {"UTF-16": lambda: utf16_be_or_bom(data, 2),
             "UTF-32": lambda: utf16_be_or_bom(data, 4)}.get(label, lambda: label)()
    text = data.decode(codec, "mailwire_count")
    if label == "UTF-7":
        lone = sum(1 for c in text if 0xD800 <= ord(c) <= 0xDFFF)
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
        return text, count + lone
    return text, count


def line(label, data):
    text, n = reference(label, data)
    out = text.encode("utf-8")
    return "%s %s %s %d\n" % (label, data.hex() or "-", out.hex() or "-", n)


SBCS = ["ISO-8859-%d" % n for n in range(1, 17) if n != 12]
SBCS += ["windows-%d" % n for n in range(1250, 1259)] + ["KOI8-R", "KOI8-U", "us-ascii"]

# Markus Kuhn's UTF-8 decoder stress test (sections 2-5), plus the
# boundaries of Unicode 3.9 Table 3-7 (well-formed byte sequences).
UTF8 = [
    "", "41", "c2a9", "e282ac", "f09f9880", "efbbbf41",
    # 2.1-2.3 boundaries
    "00", "c280", "e0a080", "f0908080", "7f", "dfbf", "efbfbf", "f48fbfbf",
    "ed9fbf", "ee8080", "efbfbd", "f4908080",
    # 3.1 unexpected continuation bytes
    "80", "bf", "80bf", "80bf80", "80bf80bf", "80bf80bf80",
    bytes(range(0x80, 0xC0)).hex(),
    # 3.2 lonely start characters
    "".join("%02x20" % b for b in range(0xC0, 0xE0)),
    "".join("%02x20" % b for b in range(0xE0, 0xF0)),
    "".join("%02x20" % b for b in range(0xF0, 0xF8)),
    "f820f920fa20fb20", "fc20fd20",
    # 3.3 sequences with the last byte missing, 3.4 concatenated
    "c0", "e080", "f08080", "f8808080", "fc80808080",
    "df", "efbf", "f7bfbf", "fbbfbfbf", "fdbfbfbfbf",
    "c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf",
    "c2", "e2", "e282", "f09f", "f09f98", "41e28242", "41f09f9842",
    # 3.5 impossible bytes
    "fe", "ff", "fefeffff",
    # 4.1-4.3 overlong sequences
    "c0af", "e080af", "f08080af", "f8808080af", "fc80808080af",
    "c1bf", "e09fbf", "f08fbfbf", "f887bfbfbf", "fc83bfbfbfbf",
    "c080", "e08080", "f0808080", "f880808080", "fc8080808080",
    # 5.1-5.2 UTF-16 surrogates
    "eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf",
    "eda080edb080", "edadbfedbfbf", "edafbfedbfbf",
    # 5.3 noncharacters are well-formed
    "efbfbe", "efbfbf", "efb790", "f48fbfbe",
    # above U+10FFFF, bytes that are never valid
    "f5808080", "f7bfbfbf", "f4bf", "f490",
    # WHATWG / Unicode examples of maximal subparts
    "61f18080e1808062808063c080e2828064", "e0a0", "e0a0c0", "f0908041",
]

UTF16 = [
    ("UTF-16BE", "00410042"), ("UTF-16LE", "41004200"), ("UTF-16BE", "feff0041"),
    ("UTF-16LE", "fffe4100"), ("UTF-16", "feff00410042"), ("UTF-16", "fffe41004200"),
    ("UTF-16", "00410042"), ("UTF-16", "fffe"), ("UTF-16", "feff"), ("UTF-16", "feff00"),
    ("UTF-16", "fe"), ("UTF-16", "fffefeff"), ("UTF-16", "fffe0000"),
    ("UTF-16BE", "d83dde00"), ("UTF-16LE", "3dd800de"), ("UTF-16BE", "d83d0041"),
    ("UTF-16BE", "de000041"), ("UTF-16BE", "d83dd83dde00"), ("UTF-16BE", "d83d"),
    ("UTF-16BE", "d83dde"), ("UTF-16BE", "0041de"), ("UTF-16BE", "00"), ("UTF-16LE", "41"),
    ("UTF-16BE", "dbffdfff"), ("UTF-16BE", "dc00d800"), ("UTF-16BE", "fffe"),
    ("UTF-32BE", "0000004100010000"), ("UTF-32LE", "4100000000000100"),
    ("UTF-32", "0000feff00000041"), ("UTF-32", "fffe000041000000"), ("UTF-32", "00000041"),
    ("UTF-32", "0000feff"), ("UTF-32", "fffe0000"), ("UTF-32", "0000fe"),
    ("UTF-32BE", "0000d800"), ("UTF-32BE", "0000dfff"), ("UTF-32BE", "00110000"),
    ("UTF-32BE", "ffffffff"), ("UTF-32BE", "0010ffff"), ("UTF-32BE", "000000"),
    ("UTF-32BE", "0000004100"), ("UTF-32LE", "410000000000"), ("UTF-32BE", "0000feff"),
    ("UTF-32BE", "00"), ("UTF-32BE", "0000"),
]

UTF7 = [
    # RFC 2152 examples
    b"A+ImIDkQ.", b"Hi Mom -+Jjo--!", b"+ZeVnLIqe-", b"Item 3 is +AKM-1.",
    b"+AGEAYgBj-", b"+-", b"a+-b", b"+--", b"1 +- 1 = 2",
    # shifts ended by something other than '-', or by the end
    b"+AGE.", b"+AGE", b"+AGEAYg", b"+ZeVnLIqe", b"+ZeVnLIqe x", b"a+", b"+",
    # surrogate pairs, and lone surrogates
    b"+2D3eAA-", b"+2D3eAA", b"+2D3cANgA-", b"+2D3YPQ-", b"+3gA-", b"+2D0-",
    # bits left over: zero padding is fine, a partial character or non-zero
    # padding is malformed (ended by '-', which is absorbed, or by the end)
    b"+AAA-", b"+AB-", b"+AGF-", b"+AGEA-", b"+AB", b"+AGF",
    # direct characters, optional direct characters, 8-bit bytes
    b"a~b\\c!d", b"\x80", b"a\xffb", b"+AGE-\xc3\xa9",
]


def main():
    w = sys.stdout.write
    w("# Charset decoding vectors, GENERATED by tests/unit/charset_reference.py\n")
    w("# from Python %d.%d.%d's codecs; do not edit.\n" % sys.version_info[:3])
    w("# <charset> <input hex> <UTF-8 output hex> <malformed count>\n")
    for label in SBCS:
        w(line(label, bytes(range(256))))
    for h in UTF8:
        w(line("UTF-8", bytes.fromhex(h)))
    for label, h in UTF16:
        w(line(label, bytes.fromhex(h)))
    for data in UTF7:
        w(line("UTF-7", data))
    rng = random.Random(2152)
    # Random well-formed UTF-7 (Python's encoder) with astral characters.
    alphabet = "aZ09 +-~!\\\r\n\u00e9\u20ac\u65e5\U0001F600\U00010000\uFEFF"
    for _ in range(40):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        w(line("UTF-7", s.encode("utf-7")))
    # Random bytes, biased towards the interesting ones.
    pool = [0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
            0xD8, 0xDC, 0xFE, 0x10]
    for label in ["UTF-8", "UTF-16", "UTF-16BE", "UTF-16LE", "UTF-32", "UTF-32BE", "UTF-32LE"]:
        for _ in range(40):
            data = bytes(rng.choice(pool) for _ in range(rng.randrange(0, 16)))
            w(line(label, data))


if __name__ == "__main__":
    main()
