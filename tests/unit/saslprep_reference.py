#!/usr/bin/env python3
"""Reference SASLprep (RFC 4013) and the generator of the differential test
table that tests/unit/sasl_saslprep_test.cpp checks mailwire against.

Regenerate the table (it is committed; the C++ test does not run Python):

    python3 tests/unit/saslprep_reference.py > tests/vectors/sasl/saslprep_repertoire.txt

The reference is RFC 4013 done in full with Python's `stringprep` module (the
RFC 3454 tables, built on Unicode 3.2) and `unicodedata.ucd_3_2_0` for NFKC,
as stringprep requires: mapping (2.1), NFKC (2.2), prohibited output (2.3),
bidi (2.4, RFC 3454 section 6), unassigned code points (2.5, RFC 3454 7).

It also restates which code points mailwire handles exactly (the "exact"
flag in the table) and checks the argument in include/mailwire/sasl/saslprep.hpp
that lets mailwire normalise character by character: every code point of the
NFKC repertoire decomposes to a sequence that starts with a starter which is
never the second half of a canonical composition, so NFKC of a string of such
code points is the concatenation of their NFKC forms.
"""

import random
import stringprep
import sys
import unicodedata

ucd = unicodedata.ucd_3_2_0

# -- RFC 4013 ----------------------------------------------------------------


def prohibited(c):
    """RFC 4013 2.3: RFC 3454 C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9."""
    sp = stringprep
    return (sp.in_table_c12(c) or sp.in_table_c21(c) or sp.in_table_c22(c)
            or sp.in_table_c3(c) or sp.in_table_c4(c) or sp.in_table_c5(c)
            or sp.in_table_c6(c) or sp.in_table_c7(c) or sp.in_table_c8(c)
            or sp.in_table_c9(c))


def saslprep(s, stored=False):
    """(True, the prepared string), or (False, 'prohibited', 'bidi' or
    'unassigned')."""
    # 2.1 Mapping. U+200B is in both C.1.2 and B.1 (it was Zs in Unicode
    # 3.2); RFC 4013 lists the C.1.2 mapping first and a character is mapped
    # once, so C.1.2 wins: U+200B becomes U+0020 (as in GNU libidn and
    # PostgreSQL). mailwire reads it the same way.
    mapped = []
    for c in s:
        if stringprep.in_table_c12(c):
            mapped.append(' ')
        elif stringprep.in_table_b1(c):
            continue
        else:
            mapped.append(c)
    # 2.2 Normalisation: NFKC of Unicode 3.2.
    out = ucd.normalize('NFKC', ''.join(mapped))
    # 2.3 Prohibited output.
    if any(prohibited(c) for c in out):
        return False, 'prohibited'
    # 2.5 Unassigned code points: prohibited in stored strings only.
    if stored and any(stringprep.in_table_a1(c) for c in out):
        return False, 'unassigned'
    # 2.4 Bidi (RFC 3454 6).
    if any(stringprep.in_table_d1(c) for c in out):
        if any(stringprep.in_table_d2(c) for c in out):
            return False, 'bidi'
        if not stringprep.in_table_d1(out[0]) or not stringprep.in_table_d1(out[-1]):
            return False, 'bidi'
    return True, out


# -- what mailwire handles exactly ---------------------------------------------

# The NFKC repertoire of include/mailwire/sasl/saslprep.hpp (kept in step by
# hand; the C++ test fails if the two disagree).
REPERTOIRE = [
    (0x0020, 0x007E),  # printable ASCII
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x017F),  # Latin Extended-A
    (0x0386, 0x0386), (0x0388, 0x038A), (0x038C, 0x038C),  # Greek, without
    (0x038E, 0x03A1), (0x03A3, 0x03CE),  # U+0387 and unassigned 038B 038D 03A2
    (0x0400, 0x045F),  # Cyrillic
    (0x2160, 0x217F),  # Roman numerals
    (0x3041, 0x3096),  # Hiragana, without the combining marks 3099 309A
    (0x30A1, 0x30FA),  # Katakana
    (0x4E00, 0x9FA5),  # CJK Unified Ideographs assigned in Unicode 3.2
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFF01, 0xFF5E),  # fullwidth ASCII
]


def in_ranges(cp, ranges):
    return any(a <= cp <= b for a, b in ranges)


def in_repertoire(cp):
    return in_ranges(cp, REPERTOIRE)


def exact(cp):
    """True when mailwire must give exactly the reference result for the code
    point alone; otherwise it must refuse it as saslprep_unsupported."""
    c = chr(cp)
    if stringprep.in_table_c12(c) or stringprep.in_table_b1(c):
        return True  # mapped before normalisation, whatever surrounds them
    if prohibited(c):
        # Prohibited and left unchanged by NFKC in any context. U+0340 and
        # U+0341 (C.8) are the exception: NFKC turns them into U+0300 and
        # U+0301, so the prohibition never sees them.
        return cp not in (0x0340, 0x0341)
    return in_repertoire(cp)


def check_repertoire():
    """Asserts the facts the C++ header relies on."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V, T
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        d = ucd.decomposition(chr(cp))
        if d and not d.startswith('<'):
            parts = d.split()
            if len(parts) == 2:
                seconds.add(int(parts[1], 16))
    for a, b in REPERTOIRE:
        for cp in range(a, b + 1):
            c = chr(cp)
            assert not stringprep.in_table_a1(c), hex(cp)  # assigned in Unicode 3.2
            assert not stringprep.in_table_d1(c), hex(cp)  # no RandALCat
            if stringprep.in_table_b1(c):
                continue  # U+00AD: removed before normalisation
            first = ucd.normalize('NFKD', c)[0]
            assert ucd.combining(first) == 0, hex(cp)
            assert ord(first) not in seconds, hex(cp)
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or not exact(cp):
            continue
        c = chr(cp)
        if prohibited(c) and not stringprep.in_table_c12(c) and not stringprep.in_table_b1(c):
            assert ucd.normalize('NFKD', c) == c and ucd.combining(c) == 0, hex(cp)
            assert cp not in seconds, hex(cp)
    for a, b in RFC_RANGES:  # typed from the RFC: each range is in its tables
        for cp in range(a, b + 1):
            c = chr(cp)
            assert prohibited(c) or stringprep.in_table_b1(c), hex(cp)


# -- the table ---------------------------------------------------------------

# RFC 3454 table ranges whose boundaries (and their neighbours) are listed.
RFC_RANGES = [
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x1806, 0x1806), (0x180B, 0x180D),  # B.1
    (0x200B, 0x200D), (0x2060, 0x2060), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0x00A0, 0x00A0), (0x1680, 0x1680), (0x2000, 0x200B), (0x202F, 0x202F),  # C.1.2
    (0x205F, 0x205F), (0x3000, 0x3000),
    (0x0000, 0x001F), (0x007F, 0x007F),  # C.2.1
    (0x0080, 0x009F), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x180E, 0x180E),  # C.2.2
    (0x200C, 0x200D), (0x2028, 0x2029), (0x2060, 0x2063), (0x206A, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFC), (0x1D173, 0x1D17A),
    (0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD),  # C.3
    (0xFDD0, 0xFDEF),  # C.4 (and xFFFE-xFFFF in every plane, below)
    (0xFFF9, 0xFFFD),  # C.6
    (0x2FF0, 0x2FFB),  # C.7
    (0x0340, 0x0341), (0x200E, 0x200F), (0x202A, 0x202E), (0x206A, 0x206F),  # C.8
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),  # C.9
] + [(p * 0x10000 + 0xFFFE, p * 0x10000 + 0xFFFF) for p in range(17)]  # C.4

# Whole blocks listed code point by code point: the repertoire and its
# surroundings.
BLOCKS = [
    (0x0000, 0x07FF), (0x1160, 0x11FF), (0x2000, 0x21FF), (0x2FF0, 0x30FF),
    (0x4E00, 0x9FFF), (0xAC00, 0xD7FF), (0xFB00, 0xFFFF),
    (0x1D170, 0x1D17F), (0xE0000, 0xE007F),
]


def listed_code_points(extra):
    cps = set(extra)
    for a, b in BLOCKS:
        cps.update(range(a, b + 1))
    for a, b in RFC_RANGES + REPERTOIRE:
        cps.update((a - 1, a, b, b + 1))
    cps.update(range(0, 0x110000, 0x3FF))  # a sample of everything else
    return sorted(cp for cp in cps if 0 <= cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF)


def hex_utf8(s):
    return s.encode('utf-8').hex() if s else '-'


def result(s, stored=False):
    ok, r = saslprep(s, stored)
    return hex_utf8(r) if ok else '!' + r


def strings():
    """Multi-character strings: RFC 4013 section 3, hand-picked cases, and
    random mixes of repertoire and non-repertoire code points."""
    fixed = [
        'I\u00adX', 'user', 'USER', '\u00aa', '\u2168', '\u0007', '\u0627\u0031',  # RFC 4013 3
        '\u0627\u0031\u0628', 'A\u0308', 'A\u00ad\u0308', 'a\u0340', '\u1100\u1161',
        '\uac00\u11a8', '\u30ab\u3099', '\u304b\u309a', 'pass\u200bword', 'pass\u2060word',
        'x\u00a0y\u3000z', '\u00bd\u00bc\u00be', '\u0132\u0133\u013f\u0140\u0149\u017f',
        '\uff30\uff41\uff53\uff53', '\u2160\u2161\u2162\u217f', 'caf\u00e9', 'cafe\u0301',
        '\u00a8\u0301', '\u00b4', 'Stra\u00dfe', '\u0391\u03b8\u03b7\u03bd\u03ac',
        '\u041c\u043e\u0441\u043a\u0432\u0430', '\u65e5\u672c\u8a9e', '\ud55c\uad6d\uc5b4',
        '\u3072\u3089\u304c\u306a\u30ab\u30bf\u30ab\u30ca', 'a\ue000b', 'a\U000e0001b',
        'a\ufffeb', 'a\u200eb', 'a\u0085b', '\u05d0', '\u05d0\u05d1', '\u05d0a\u05d1',
        'a\u0387b', 'a\u9fa6', '\ufeffuser\ufeff', '\u00ad', '\u2028',
    ]
    # Random strings: some from code points mailwire handles exactly (so
    # its whole output is compared), some mixed with code points it refuses.
    exact_pool = ([chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x180)]
                  + [chr(c) for c in (0x386, 0x390, 0x3B0, 0x3CE, 0x400, 0x45F, 0x2160,
                                      0x2168, 0x217F, 0x3041, 0x3094, 0x30F7, 0x4E00,
                                      0x9FA5, 0xAC00, 0xD7A3, 0xFF01, 0xFF5E)] * 4
                  + [chr(c) for c in (0x00AD, 0x200B, 0x2060, 0xFE0F, 0xFEFF, 0x1680,
                                      0x3000)] * 4)
    other_pool = [chr(c) for c in (0x0300, 0x0301, 0x0308, 0x0327, 0x0340, 0x3099, 0x309A,
                                   0x1100, 0x1161, 0x11A8, 0x0000, 0x007F, 0x0085, 0xE000,
                                   0xFFFD, 0x2FF0, 0x200F, 0xE0041, 0x05D0, 0x0627,
                                   0x0387, 0x9FA6, 0x0221, 0x1F600)]
    rng = random.Random(4013)
    mixed = []
    for i in range(600):
        pool = exact_pool if i % 2 == 0 else exact_pool + other_pool * 4
        mixed.append(''.join(rng.choice(pool) for _ in range(rng.randint(2, 8))))
    return fixed + mixed


def main():
    check_repertoire()
    w = sys.stdout.write
    w('# SASLprep (RFC 4013) differential test table, generated by\n'
      '#   python3 tests/unit/saslprep_reference.py > tests/vectors/sasl/saslprep_repertoire.txt\n'
      '# with Python %s stringprep and unicodedata.ucd_3_2_0 (Unicode %s). Do not edit.\n'
      '#\n'
      '# <code point> <flag> <query> [<stored>]: the code point alone.\n'
      '# str <input> <flag> <query> [<stored>]: a string, input in hex UTF-8.\n'
      '#\n'
      '# flag: "exact" when mailwire must give exactly the reference result;\n'
      '#   "refuse" when it must answer saslprep_unsupported instead. For a\n'
      '#   string, "refuse" means it has a code point flagged "refuse": mailwire\n'
      '#   then gives the reference result or saslprep_unsupported at such a\n'
      '#   code point.\n'
      '# query, stored: the reference result in query and in stored mode (stored\n'
      '#   is left out when it is the same): the output in hex UTF-8, "=" for an\n'
      '#   output equal to the input, "-" for an empty one, or !prohibited, !bidi\n'
      '#   or !unassigned.\n'
      % (sys.version.split()[0], ucd.unidata_version))

    def results(s):
        q, st = result(s), result(s, True)
        q = '=' if q == hex_utf8(s) else q
        st = '=' if st == hex_utf8(s) else st
        return q if q == st else q + ' ' + st

    strs = strings()
    for cp in listed_code_points(ord(c) for s in strs for c in s):
        c = chr(cp)
        w('%04x %s %s\n' % (cp, 'exact' if exact(cp) else 'refuse', results(c)))
    for s in strs:
        flag = 'exact' if all(exact(ord(c)) for c in s) else 'refuse'
        w('str %s %s %s\n' % (s.encode('utf-8').hex(), flag, results(s)))


if __name__ == '__main__':
    main()
