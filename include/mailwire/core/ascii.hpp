// mailwire: ASCII character classes as constexpr 256-entry tables.
//
// Every byte-level parser in mailwire asks "is this byte in class X" through
// these tables: one load and one AND, no locale, no branches on ranges. Bytes
// 0x80-0xFF belong to no class here; UTF-8 handling is explicit where a
// protocol allows it.
#ifndef MAILWIRE_CORE_ASCII_HPP
#define MAILWIRE_CORE_ASCII_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mailwire {
inline namespace v0 {
namespace ascii {

/// Character classes; a byte may be in several. Named after the ABNF rules
/// they implement.
enum char_class : std::uint16_t {
  digit = 1u << 0,   ///< DIGIT, RFC 5234 B.1: 0-9
  alpha = 1u << 1,   ///< ALPHA, RFC 5234 B.1: A-Z a-z
  hexdig = 1u << 2,  ///< HEXDIG, case-insensitive: 0-9 A-F a-f
  wsp = 1u << 3,     ///< WSP, RFC 5234 B.1: SP and HTAB
  ctl = 1u << 4,     ///< CTL, RFC 5234 B.1: 0x00-0x1F and 0x7F
  vchar = 1u << 5,   ///< VCHAR, RFC 5234 B.1: 0x21-0x7E
  atext = 1u << 6,   ///< atext, RFC 5322 3.2.3 (also RFC 5321 Atom characters)
  tspecial = 1u << 7,  ///< tspecials, RFC 2045 5.1 (MIME parameter syntax)
  base64 = 1u << 8,    ///< base64 alphabet, RFC 4648 4 (without '=')
  atom_special = 1u << 9,  ///< atom-specials, RFC 9051 9: excluded from IMAP atoms
};

namespace detail {
constexpr bool in(char c, std::string_view set) {
  for (char s : set) {
    if (s == c) return true;
  }
  return false;
}

constexpr std::array<std::uint16_t, 256> make_table() {
  std::array<std::uint16_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    std::uint16_t f = 0;
    const bool is_digit = i >= '0' && i <= '9';
    const bool is_alpha = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z');
    if (is_digit) f |= digit;
    if (is_alpha) f |= alpha;
    if (is_digit || (i >= 'A' && i <= 'F') || (i >= 'a' && i <= 'f')) f |= hexdig;
    if (i == ' ' || i == '\t') f |= wsp;
    if (i < 0x20 || i == 0x7F) f |= ctl;
    if (i >= 0x21 && i <= 0x7E) f |= vchar;
    if (is_digit || is_alpha || in(c, "!#$%&'*+-/=?^_`{|}~")) f |= atext;
    if (in(c, "()<>@,;:\\\"/[]?=")) f |= tspecial;
    if (is_digit || is_alpha || c == '+' || c == '/') f |= base64;
    // atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
    //                 quoted-specials / resp-specials
    if (i < 0x20 || i == 0x7F || in(c, "(){ %*\"\\]")) f |= atom_special;
    t[static_cast<std::size_t>(i)] = f;
  }
  return t;
}
}  // namespace detail

/// The class bits of every byte value.
inline constexpr std::array<std::uint16_t, 256> table = detail::make_table();

/// True when byte `c` is in any of the classes in `mask`.
constexpr bool is(char c, std::uint16_t mask) noexcept {
  return (table[static_cast<unsigned char>(c)] & mask) != 0;
}

constexpr bool is_digit(char c) noexcept { return is(c, digit); }
constexpr bool is_alpha(char c) noexcept { return is(c, alpha); }
constexpr bool is_hexdig(char c) noexcept { return is(c, hexdig); }
constexpr bool is_wsp(char c) noexcept { return is(c, wsp); }
constexpr bool is_ctl(char c) noexcept { return is(c, ctl); }
constexpr bool is_vchar(char c) noexcept { return is(c, vchar); }
/// True for bytes 0x80-0xFF: outside ASCII (part of a UTF-8 sequence, or
/// of some other charset).
constexpr bool is_8bit(char c) noexcept { return static_cast<unsigned char>(c) >= 0x80; }

/// ASCII-only case folding; bytes other than A-Z are returned unchanged.
constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}
constexpr char to_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - ('a' - 'A')) : c;
}

/// Case-insensitive ASCII comparison, as protocol keywords are compared
/// (RFC 5321 2.4, RFC 9051 9 "case-insensitive").
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

/// Value of a hex digit, or -1 when `c` is not one.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// The hex escape of quoted-printable ("=3D"), RFC 2047 Q ("=5F"), RFC
/// 2231 ("%2F") and xtext ("+2B"): `marker`, then the byte's two upper-case
/// hex digits, appended to `out` (a std::string or anything with
/// push_back(char)).
template <class Out>
void append_hex_escape(Out& out, char marker, unsigned char byte) {
  constexpr char digits[] = "0123456789ABCDEF";
  out.push_back(marker);
  out.push_back(digits[byte >> 4]);
  out.push_back(digits[byte & 15u]);
}

/// True when `s` holds a byte outside ASCII: what decides whether a
/// protocol's UTF-8 extension is needed (SMTPUTF8, RFC 6531; UTF8=ACCEPT,
/// RFC 9051; UTF8, RFC 6856).
constexpr bool has_8bit(std::string_view s) noexcept {
  for (char c : s) {
    if (is_8bit(c)) return true;
  }
  return false;
}

/// True when `s` may stand as free text on a protocol line (SMTP reply
/// text, POP3 response text, IMAP resp-text): any byte but a control
/// character (CTL, RFC 5234 B.1: 0x00-0x1F and 0x7F), HTAB aside. So no CR,
/// LF or NUL, nor anything a terminal or a log would act on. 8-bit bytes
/// pass: servers echo UTF-8 in their texts (RFC 6531 3.7.4.2), and whether
/// they are well-formed UTF-8 is the caller's question where it matters.
constexpr bool is_text(std::string_view s) noexcept {
  // Branch-free (texts are short and almost always clean).
  unsigned bad = 0;
  for (const char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    bad |= static_cast<unsigned>(b < 0x20) & static_cast<unsigned>(b != '\t');
    bad |= static_cast<unsigned>(b == 0x7F);
  }
  return bad == 0;
}

/// True when every byte of `s` is in `mask`.
constexpr bool all_of(std::string_view s, std::uint16_t mask) noexcept {
  for (char c : s) {
    if (!is(c, mask)) return false;
  }
  return true;
}

}  // namespace ascii
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_ASCII_HPP
