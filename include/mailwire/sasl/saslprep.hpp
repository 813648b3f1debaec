// mailwire: SASLprep (RFC 4013), the stringprep (RFC 3454) profile that SCRAM
// (RFC 5802 2.2, 5.1) applies to user names and passwords.
//
// saslprep() takes UTF-8 and runs the profile's steps:
//  1. Mapping (RFC 4013 2.1): the non-ASCII spaces of RFC 3454 table C.1.2
//     become U+0020; the "commonly mapped to nothing" characters of B.1 are
//     removed. U+200B ZERO WIDTH SPACE is in both tables (Unicode 3.2 made it
//     a space separator). A character is mapped once, and RFC 4013 2.1 lists
//     the C.1.2 mapping first, so here U+200B becomes U+0020, as in GNU libidn
//     (GNU SASL) and PostgreSQL. (Some implementations remove it instead; a
//     password holding U+200B then differs between the two readings.)
//  2. Normalisation (RFC 4013 2.2): NFKC of Unicode 3.2, for the repertoire
//     below only.
//  3. Prohibited output (RFC 4013 2.3): RFC 3454 tables C.1.2, C.2.1, C.2.2,
//     C.3, C.4, C.5, C.6, C.7, C.8 and C.9, in full.
//  4. Bidi (RFC 4013 2.4, RFC 3454 6) and unassigned code points (RFC 4013
//     2.5, RFC 3454 7): see below.
//
// The repertoire. Full NFKC needs Unicode's decomposition and composition
// data, which this header does not carry. RFC 5802 2.2 lets an implementation
// refuse non-ASCII instead of preparing it; mailwire goes further: it knows the
// exact NFKC result of these code points, and refuses every other one with
// errc::saslprep_unsupported rather than pass it on unnormalised:
//   U+0020-007E  printable ASCII, unchanged
//   U+00A0-00FF  Latin-1 Supplement; unchanged but for the compatibility
//                characters, mapped as in nfkc_mappings below (U+00AA "a",
//                U+00B2 "2", U+00B5 U+03BC, U+00BD "1" U+2044 "2", U+00A8
//                U+0020 U+0308 ...)
//   U+0100-017F  Latin Extended-A; U+0132 "IJ", U+0133 "ij", U+013F "L"
//                U+00B7, U+0140 "l" U+00B7, U+0149 U+02BC "n", U+017F "s"
//   U+0386-03CE  Greek, unchanged; without U+0387 (NFKC gives U+00B7) and
//                the unassigned U+038B, U+038D, U+03A2
//   U+0400-045F  Cyrillic, unchanged
//   U+2160-217F  Roman numerals, as ASCII letters (U+2168 "IX")
//   U+3041-3096  Hiragana, unchanged (not the voicing marks U+3099-309C)
//   U+30A1-30FA  Katakana, unchanged
//   U+4E00-9FA5  CJK Unified Ideographs of Unicode 3.2, unchanged (U+9FA6
//                and above were unassigned in Unicode 3.2)
//   U+AC00-D7A3  Hangul syllables, unchanged
//   U+FF01-FF5E  fullwidth ASCII, as U+0021-007E
// That is 32,860 code points. Characters that the mapping step handles
// (C.1.2, B.1) and prohibited characters are handled exactly wherever they
// are, in or out of the repertoire.
//
// Why one character at a time is exact. NFKC can change a character because
// of its neighbours: canonical reordering moves combining marks, and
// composition joins a starter with a character after it. Every code point of
// the repertoire decomposes (NFKD) into a sequence that begins with a starter
// (combining class 0) that is never the second half of a canonical
// composition. So reordering never crosses into the decomposition of the
// character before, and composition never joins the two: NFKC of the string
// is the concatenation of the NFKC of its characters, each taken alone.
// Whatever could attach to the character before it -- the
// combining marks (U+0300..., U+3099, U+309A), the conjoining jamo
// (U+1100-11FF) and the other second halves of compositions -- is outside the
// repertoire and refused. The mapping step only removes characters or puts
// U+0020 in their place, which keeps this true. tests/unit/saslprep_reference.py
// checks these facts on Python's Unicode 3.2 data, and the tests compare each
// code point of the repertoire with Python's SASLprep.
//
// Prohibited characters are looked for in the input, before the repertoire,
// so that a private-use, non-character, tagging or control character is
// errc::saslprep_prohibited, the more precise error. That is exact because
// NFKC leaves those code points as they are whatever surrounds them, so they
// would be in the output. The exceptions are U+0340 and U+0341 (C.8): NFKC
// replaces them by U+0300 and U+0301 before the prohibition step can see
// them, so they are combining marks to mailwire and refused as unsupported.
// No character of the repertoire maps to a prohibited one.
//
// Bidi. The repertoire has no RandALCat character (RFC 3454 D.1: Hebrew,
// Arabic, Syriac, Thaana, U+200F, the Hebrew and Arabic presentation
// forms), and the bidi rule only constrains strings that contain one, so every
// accepted string passes it. RandALCat characters are refused as unsupported
// (U+200F as prohibited, by C.8).
//
// Unassigned code points (RFC 3454 A.1). The repertoire has none. Stored
// strings must not contain them; queries may, and then pass through NFKC as
// they are, which a later Unicode version may normalise differently. mailwire
// refuses them as unsupported in both modes, so today saslprep_mode does not
// change the result; it says what the string is for. (RFC 5802 prepares the
// password as a stored string, 2.2, and the user name as a query, 5.1.)
//
// Empty result. A string of B.1 characters maps to nothing, which RFC 4013
// allows. SCRAM names and passwords must not be empty: the caller checks.
//
// Errors carry the byte offset in the input of the first byte of the
// offending character: errc::invalid_utf8 (overlong forms, surrogates, code
// points above U+10FFFF, truncated sequences, stray continuation bytes),
// errc::saslprep_prohibited and errc::saslprep_unsupported. The first
// offending character decides, in input order.
#ifndef MAILWIRE_SASL_SASLPREP_HPP
#define MAILWIRE_SASL_SASLPREP_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace sasl {

/// What the prepared string is for (RFC 3454 7): a stored string must not
/// contain unassigned code points; a query may. mailwire refuses unassigned
/// code points in both (see the header comment).
enum class saslprep_mode : std::uint8_t {
  stored,  ///< a string to store and compare against later (the SCRAM password)
  query,   ///< a string compared against stored ones (the SCRAM user name)
};

/// The outcome of saslprep().
struct saslprep_result {
  /// errc::ok, errc::invalid_utf8, errc::saslprep_prohibited or
  /// errc::saslprep_unsupported.
  errc error = errc::ok;
  /// On error, the byte offset in the input of the offending character.
  std::size_t offset = 0;
  /// True when the string was prepared.
  explicit operator bool() const noexcept { return error == errc::ok; }
};

namespace detail {

/// A closed range of code points.
struct cp_range {
  char32_t first;
  char32_t last;
};

/// True when the ranges are sorted, disjoint and each well-formed, as
/// in_table()'s binary search needs.
template <std::size_t N>
constexpr bool is_sorted_table(const cp_range (&table)[N]) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (table[i].first > table[i].last) return false;
    if (i > 0 && table[i - 1].last >= table[i].first) return false;
  }
  return true;
}

/// True when `c` is in one of the ranges of `table`.
template <std::size_t N>
constexpr bool in_table(const cp_range (&table)[N], char32_t c) noexcept {
  std::size_t lo = 0;
  std::size_t hi = N;
  while (lo < hi) {  // the first range that ends at or after c
    const std::size_t mid = lo + (hi - lo) / 2;
    if (table[mid].last < c) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < N && table[lo].first <= c;
}

// -- RFC 3454 tables, as the RFC lists them (Unicode 3.2) -------------------

/// B.1: commonly mapped to nothing.
inline constexpr cp_range table_b1[] = {
    {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x1806, 0x1806}, {0x180B, 0x180D},
    {0x200B, 0x200D}, {0x2060, 0x2060}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF},
};

/// C.1.2: non-ASCII space characters.
inline constexpr cp_range table_c12[] = {
    {0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200B},
    {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
};

/// C.2.1: ASCII control characters.
inline constexpr cp_range table_c21[] = {
    {0x0000, 0x001F}, {0x007F, 0x007F},
};

/// C.2.2: non-ASCII control characters.
inline constexpr cp_range table_c22[] = {
    {0x0080, 0x009F}, {0x06DD, 0x06DD}, {0x070F, 0x070F}, {0x180E, 0x180E},
    {0x200C, 0x200D}, {0x2028, 0x2029}, {0x2060, 0x2063}, {0x206A, 0x206F},
    {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFC}, {0x1D173, 0x1D17A},
};

/// C.3: private use.
inline constexpr cp_range table_c3[] = {
    {0xE000, 0xF8FF}, {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD},
};

/// C.4: non-character code points.
inline constexpr cp_range table_c4[] = {
    {0xFDD0, 0xFDEF},     {0xFFFE, 0xFFFF},     {0x1FFFE, 0x1FFFF},   {0x2FFFE, 0x2FFFF},
    {0x3FFFE, 0x3FFFF},   {0x4FFFE, 0x4FFFF},   {0x5FFFE, 0x5FFFF},   {0x6FFFE, 0x6FFFF},
    {0x7FFFE, 0x7FFFF},   {0x8FFFE, 0x8FFFF},   {0x9FFFE, 0x9FFFF},   {0xAFFFE, 0xAFFFF},
    {0xBFFFE, 0xBFFFF},   {0xCFFFE, 0xCFFFF},   {0xDFFFE, 0xDFFFF},   {0xEFFFE, 0xEFFFF},
    {0xFFFFE, 0xFFFFF},   {0x10FFFE, 0x10FFFF},
};

/// C.5: surrogate codes (strict UTF-8 decoding already refuses them).
inline constexpr cp_range table_c5[] = {
    {0xD800, 0xDFFF},
};

/// C.6: inappropriate for plain text.
inline constexpr cp_range table_c6[] = {
    {0xFFF9, 0xFFFD},
};

/// C.7: inappropriate for canonical representation.
inline constexpr cp_range table_c7[] = {
    {0x2FF0, 0x2FFB},
};

/// C.8: change display properties or are deprecated.
inline constexpr cp_range table_c8[] = {
    {0x0340, 0x0341}, {0x200E, 0x200F}, {0x202A, 0x202E}, {0x206A, 0x206F},
};

/// C.9: tagging characters.
inline constexpr cp_range table_c9[] = {
    {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
};

static_assert(is_sorted_table(table_b1) && is_sorted_table(table_c12) && is_sorted_table(table_c21) &&
              is_sorted_table(table_c22) && is_sorted_table(table_c3) && is_sorted_table(table_c4) &&
              is_sorted_table(table_c5) && is_sorted_table(table_c6) && is_sorted_table(table_c7) &&
              is_sorted_table(table_c8) && is_sorted_table(table_c9));

/// RFC 4013 2.3, applied to an input character that the mapping step left
/// alone: true when it is prohibited, whatever surrounds it. C.1.2 is left
/// out (the mapping step replaced those characters by U+0020), and so are
/// U+0340 and U+0341 of C.8, which NFKC replaces before the check.
constexpr bool is_prohibited_input(char32_t c) noexcept {
  if (c == 0x0340 || c == 0x0341) return false;
  return in_table(table_c21, c) || in_table(table_c22, c) || in_table(table_c3, c) || in_table(table_c4, c) ||
         in_table(table_c5, c) || in_table(table_c6, c) || in_table(table_c7, c) || in_table(table_c8, c) ||
         in_table(table_c9, c);
}

// -- the NFKC repertoire ----------------------------------------------------

/// The code points whose NFKC form (Unicode 3.2) mailwire knows: the ones in
/// nfkc_mappings map as it says, U+FF01-FF5E map to U+0021-007E, and every
/// other one is unchanged. (U+00A0 and U+00AD are mapped before NFKC.)
inline constexpr cp_range nfkc_repertoire[] = {
    {0x0020, 0x007E},  // printable ASCII
    {0x00A0, 0x017F},  // Latin-1 Supplement, Latin Extended-A
    {0x0386, 0x0386},  // Greek (not U+0387: NFKC gives U+00B7; U+038B,
    {0x0388, 0x038A},  // U+038D and U+03A2 are unassigned)
    {0x038C, 0x038C},
    {0x038E, 0x03A1},
    {0x03A3, 0x03CE},
    {0x0400, 0x045F},  // Cyrillic
    {0x2160, 0x217F},  // Roman numerals
    {0x3041, 0x3096},  // Hiragana
    {0x30A1, 0x30FA},  // Katakana
    {0x4E00, 0x9FA5},  // CJK Unified Ideographs (Unicode 3.2)
    {0xAC00, 0xD7A3},  // Hangul syllables
    {0xFF01, 0xFF5E},  // fullwidth ASCII
};
static_assert(is_sorted_table(nfkc_repertoire));

/// A code point of the repertoire that NFKC changes, and its NFKC form in
/// UTF-8. (A literal is split where a hex escape is followed by a digit.)
struct nfkc_mapping {
  char32_t cp;
  std::string_view nfkc;
};

inline constexpr nfkc_mapping nfkc_mappings[] = {
    {0x00A8, " \xCC\x88"},         // DIAERESIS: U+0020 U+0308
    {0x00AA, "a"},                 // FEMININE ORDINAL INDICATOR
    {0x00AF, " \xCC\x84"},         // MACRON: U+0020 U+0304
    {0x00B2, "2"},                 // SUPERSCRIPT TWO
    {0x00B3, "3"},                 // SUPERSCRIPT THREE
    {0x00B4, " \xCC\x81"},         // ACUTE ACCENT: U+0020 U+0301
    {0x00B5, "\xCE\xBC"},          // MICRO SIGN: U+03BC
    {0x00B8, " \xCC\xA7"},         // CEDILLA: U+0020 U+0327
    {0x00B9, "1"},                 // SUPERSCRIPT ONE
    {0x00BA, "o"},                 // MASCULINE ORDINAL INDICATOR
    {0x00BC, "1\xE2\x81\x84" "4"},  // VULGAR FRACTION ONE QUARTER: 1 U+2044 4
    {0x00BD, "1\xE2\x81\x84" "2"},  // VULGAR FRACTION ONE HALF: 1 U+2044 2
    {0x00BE, "3\xE2\x81\x84" "4"},  // VULGAR FRACTION THREE QUARTERS: 3 U+2044 4
    {0x0132, "IJ"},                // LATIN CAPITAL LIGATURE IJ
    {0x0133, "ij"},                // LATIN SMALL LIGATURE IJ
    {0x013F, "L\xC2\xB7"},         // L WITH MIDDLE DOT: L U+00B7
    {0x0140, "l\xC2\xB7"},         // l WITH MIDDLE DOT: l U+00B7
    {0x0149, "\xCA\xBC" "n"},      // n PRECEDED BY APOSTROPHE: U+02BC n
    {0x017F, "s"},                 // LATIN SMALL LETTER LONG S
    {0x2160, "I"},    {0x2161, "II"},  {0x2162, "III"},  {0x2163, "IV"},   // ROMAN NUMERAL ...
    {0x2164, "V"},    {0x2165, "VI"},  {0x2166, "VII"},  {0x2167, "VIII"},
    {0x2168, "IX"},   {0x2169, "X"},   {0x216A, "XI"},   {0x216B, "XII"},
    {0x216C, "L"},    {0x216D, "C"},   {0x216E, "D"},    {0x216F, "M"},
    {0x2170, "i"},    {0x2171, "ii"},  {0x2172, "iii"},  {0x2173, "iv"},   // SMALL ROMAN NUMERAL ...
    {0x2174, "v"},    {0x2175, "vi"},  {0x2176, "vii"},  {0x2177, "viii"},
    {0x2178, "ix"},   {0x2179, "x"},   {0x217A, "xi"},   {0x217B, "xii"},
    {0x217C, "l"},    {0x217D, "c"},   {0x217E, "d"},    {0x217F, "m"},
};

constexpr bool is_sorted_mappings() noexcept {
  for (std::size_t i = 1; i < sizeof nfkc_mappings / sizeof nfkc_mappings[0]; ++i) {
    if (nfkc_mappings[i - 1].cp >= nfkc_mappings[i].cp) return false;
  }
  return true;
}
static_assert(is_sorted_mappings());

/// The NFKC form of `c` when nfkc_mappings has it, else an empty view.
constexpr std::string_view find_nfkc_mapping(char32_t c) noexcept {
  std::size_t lo = 0;
  std::size_t hi = sizeof nfkc_mappings / sizeof nfkc_mappings[0];
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (nfkc_mappings[mid].cp < c) {
      lo = mid + 1;
    } else if (nfkc_mappings[mid].cp > c) {
      hi = mid;
    } else {
      return nfkc_mappings[mid].nfkc;
    }
  }
  return {};
}

}  // namespace detail

/// Prepares `in` (UTF-8) with SASLprep into `out`, which it replaces (`in`
/// may view `out` itself). On error `out` is unspecified (it is cleared) and
/// the result says what went wrong and at which byte of `in`. Characters
/// outside the repertoire described at the top of this header are refused
/// with errc::saslprep_unsupported. An empty result is not an error here.
inline saslprep_result saslprep(std::string_view in, std::string& out,
                                [[maybe_unused]] saslprep_mode mode = saslprep_mode::query) {
  // `mode` changes nothing yet: every unassigned code point is outside the
  // repertoire, and refused in both modes.
  std::string prepared;
  prepared.reserve(in.size());
  const auto fail = [&out](errc e, std::size_t at) {
    out.clear();
    return saslprep_result{e, at};
  };
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    if (b < 0x80) {  // ASCII: unchanged, but C.2.1 is prohibited
      if (b < 0x20 || b == 0x7F) return fail(errc::saslprep_prohibited, i);
      prepared += in[i];
      ++i;
      continue;
    }
    const utf8::decoded u = utf8::decode(in, i);
    if (u.length == 0) return fail(errc::invalid_utf8, i);
    const char32_t c = u.cp;
    if (detail::in_table(detail::table_c12, c)) {  // 2.1: to SPACE (before B.1: U+200B)
      prepared += ' ';
    } else if (detail::in_table(detail::table_b1, c)) {
      // 2.1: to nothing
    } else if (detail::is_prohibited_input(c)) {  // 2.3
      return fail(errc::saslprep_prohibited, i);
    } else if (!detail::in_table(detail::nfkc_repertoire, c)) {
      return fail(errc::saslprep_unsupported, i);
    } else if (c >= 0xFF01 && c <= 0xFF5E) {  // 2.2: fullwidth ASCII
      prepared += static_cast<char>(c - 0xFEE0);
    } else {  // 2.2: a compatibility mapping, or unchanged
      const std::string_view m = detail::find_nfkc_mapping(c);
      if (m.empty()) {
        prepared.append(in.data() + i, u.length);
      } else {
        prepared += m;
      }
    }
    i += u.length;
  }
  out.swap(prepared);
  return {};
}

}  // namespace sasl
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SASL_SASLPREP_HPP
