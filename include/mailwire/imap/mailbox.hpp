// mailwire: IMAP mailbox names (RFC 3501 5.1, 5.1.3; RFC 9051 5.1).
//
// On the wire of IMAP4rev1, and of IMAP4rev2 without UTF8=ACCEPT, a
// mailbox name is 7-bit "modified UTF-7" (RFC 3501 5.1.3): printable
// US-ASCII (0x20-0x7E) stands for itself except "&", which is written
// "&-"; every other character goes, as UTF-16, into a shift "&" ... "-"
// of modified base64 (RFC 4648 alphabet with ',' for '/', no '='
// padding). Under UTF8=ACCEPT (RFC 6855, RFC 9051 5.1) names travel as
// UTF-8 and these conversions are not applied.
//
// The decoder is strict, as Dovecot's (src/lib-imap/imap-utf7.c) is: every
// wire name has exactly one UTF-8 form and every UTF-8 name exactly one
// wire form (the encoder's), so decode(encode(x)) == x and
// encode(decode(w)) == w, and names may be compared byte for byte in
// either form.
//
// The name "INBOX" is case-insensitive (RFC 3501 5.1, RFC 9051 5.1); every
// other name is case-sensitive (its interpretation is the server's).
//
// Nothing here allocates except by appending to the caller's string;
// nothing throws but std::bad_alloc from that string.
#ifndef MAILWIRE_IMAP_MAILBOX_HPP
#define MAILWIRE_IMAP_MAILBOX_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// Longest mailbox name check_mailbox_name() accepts, in bytes of UTF-8.
/// Our own bound (no RFC sets one): a quarter of Linux's PATH_MAX (4096,
/// which Dovecot uses as its name limit), leaving room for the server's
/// root directory and for an on-disk encoding that grows the name. The
/// wire limit (limits::imap_line) bounds names in commands anyway.
inline constexpr std::size_t max_mailbox_name = 1024;

namespace detail {

// 0x20-0x7E: what modified UTF-7 writes as itself (except '&').
constexpr bool is_utf7_direct(char c) noexcept {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x20 && b <= 0x7E;
}

// Value of a modified base64 character (RFC 3501 5.1.3: ',' for '/'), or
// -1.
constexpr int mbase64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

inline constexpr std::string_view mbase64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

// Decodes the shift body wire[begin, end) (between '&' and '-', not
// empty) into `out`. False on any rule of decode_mailbox_utf7().
inline bool decode_mbase64_run(std::string_view body, std::string& out) {
  std::uint32_t bits = 0;  // fewer than 16 + 6 pending bits
  int nbits = 0;
  std::uint32_t high = 0;  // a high surrogate waiting for its low half
  for (const char c : body) {
    const int v = mbase64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    nbits += 6;
    if (nbits < 16) continue;
    nbits -= 16;
    const std::uint32_t unit = (bits >> nbits) & 0xFFFFu;
    bits &= (1u << nbits) - 1u;
    if (high != 0) {
      if (unit < 0xDC00 || unit > 0xDFFF) return false;  // high not followed by low
      utf8::append(static_cast<char32_t>(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)), out);
      high = 0;
    } else if (unit >= 0xD800 && unit <= 0xDBFF) {
      high = unit;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      return false;  // low surrogate first
    } else if (unit == 0 || (unit >= 0x20 && unit <= 0x7E)) {
      // U+0000 has no place in a name (Dovecot refuses it too); printable
      // US-ASCII must stand for itself (RFC 3501 5.1.3).
      return false;
    } else {
      utf8::append(static_cast<char32_t>(unit), out);
    }
  }
  // What is left must be padding: fewer than 6 bits (so no whole 16-bit
  // unit or byte is missing and no character is superfluous), all zero.
  return high == 0 && nbits < 6 && bits == 0;
}

}  // namespace detail

/// Decodes the modified UTF-7 mailbox name `wire` (RFC 3501 5.1.3) and
/// appends its UTF-8 form to `utf8`.
///
/// Strict: returns errc::imap_bad_mailbox, with `utf8` left exactly as it
/// was (nothing appended), when `wire` holds a byte outside 0x20-0x7E; an
/// "&" shift that is not ended by "-"; a character outside the modified
/// base64 alphabet inside a shift; a shift that encodes an odd number of
/// bytes, or ends with a superfluous character or non-zero padding bits;
/// an unpaired or misordered UTF-16 surrogate; a printable US-ASCII
/// character (0x20-0x7E, "&" included) or U+0000 inside a shift; or a
/// shift that directly follows another ("&AAA-&BBB-": one run of
/// characters is one shift, RFC 3501 5.1.3; Dovecot refuses it too).
/// "&-" is "&", also right after a shift. The empty name decodes to the
/// empty name. Time is linear in wire.size().
inline errc decode_mailbox_utf7(std::string_view wire, std::string& utf8) {
  const std::size_t mark = utf8.size();
  bool after_shift = false;
  std::size_t i = 0;
  while (i < wire.size()) {
    const char c = wire[i];
    if (!detail::is_utf7_direct(c)) break;
    if (c != '&') {
      utf8.push_back(c);
      after_shift = false;
      ++i;
      continue;
    }
    if (i + 1 < wire.size() && wire[i + 1] == '-') {
      utf8.push_back('&');
      after_shift = false;
      i += 2;
      continue;
    }
    const std::size_t end = wire.find('-', i + 1);
    if (after_shift || end == std::string_view::npos ||
        !detail::decode_mbase64_run(wire.substr(i + 1, end - i - 1), utf8)) {
      break;
    }
    after_shift = true;
    i = end + 1;
  }
  if (i == wire.size()) return errc::ok;
  utf8.resize(mark);
  return errc::imap_bad_mailbox;
}

/// Encodes the UTF-8 mailbox name `utf8` as modified UTF-7 (RFC 3501
/// 5.1.3) and appends it to `wire`, in the one form decode_mailbox_utf7()
/// accepts: "&" as "&-", printable US-ASCII as itself, and each maximal
/// run of other characters as one shift, its last bits zero.
///
/// Returns errc::invalid_utf8 when `utf8` is not well-formed UTF-8 (RFC
/// 3629), errc::imap_bad_mailbox when it holds U+0000 (no name can carry
/// it); on error nothing is appended. Time is linear in utf8.size(); the
/// output is at most 8/3 times as long as the input, plus 2 per run.
inline errc encode_mailbox_utf7(std::string_view utf8, std::string& wire) {
  if (!utf8::valid(utf8)) return errc::invalid_utf8;
  if (utf8.find('\0') != std::string_view::npos) return errc::imap_bad_mailbox;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const char c = utf8[i];
    if (detail::is_utf7_direct(c)) {
      wire.push_back(c);
      if (c == '&') wire.push_back('-');
      ++i;
      continue;
    }
    wire.push_back('&');
    std::uint32_t bits = 0;  // fewer than 6 + 16 pending bits
    int nbits = 0;
    const auto put_unit = [&](std::uint32_t unit) {
      bits = (bits << 16) | unit;
      nbits += 16;
      while (nbits >= 6) {
        nbits -= 6;
        wire.push_back(detail::mbase64_alphabet[(bits >> nbits) & 63u]);
      }
      bits &= (1u << nbits) - 1u;
    };
    while (i < utf8.size() && !detail::is_utf7_direct(utf8[i])) {
      const utf8::decoded d = utf8::decode(utf8, i);
      const auto cp = static_cast<std::uint32_t>(d.cp);
      if (cp >= 0x10000) {
        put_unit(0xD800 + ((cp - 0x10000) >> 10));
        put_unit(0xDC00 + ((cp - 0x10000) & 0x3FFu));
      } else {
        put_unit(cp);
      }
      i += d.length;
    }
    if (nbits > 0) wire.push_back(detail::mbase64_alphabet[(bits << (6 - nbits)) & 63u]);
    wire.push_back('-');
  }
  return errc::ok;
}

/// True when `name` is INBOX in any case ("inbox", "InBoX"): the one
/// case-insensitive mailbox name (RFC 3501 5.1, RFC 9051 5.1). Only the
/// whole name: "INBOX/sub" is an ordinary, case-sensitive name.
constexpr bool is_inbox(std::string_view name) noexcept { return ascii::iequals(name, "INBOX"); }

/// The canonical spelling of `name`: "INBOX" (a static string) when
/// is_inbox(name), else `name` itself (a view valid as long as the caller's
/// text).
constexpr std::string_view canonical_mailbox(std::string_view name) noexcept {
  return is_inbox(name) ? std::string_view("INBOX") : name;
}

/// True when `a` and `b` name the same mailbox: INBOX in any case, any
/// other name byte for byte. Both names must be in the same form (both
/// wire, modified UTF-7, or both UTF-8); since each name has one strict
/// form, byte equality is name equality in either.
constexpr bool mailbox_equal(std::string_view a, std::string_view b) noexcept {
  return canonical_mailbox(a) == canonical_mailbox(b);
}

/// Checks a UTF-8 mailbox name (decoded) before a server maps it to files,
/// with `delimiter` the server's hierarchy delimiter ('\0': none, the name
/// is one component; otherwise a printable ASCII byte 0x21-0x7E).
///
/// Returns errc::imap_bad_mailbox for an empty name; a name longer than
/// max_mailbox_name bytes; ill-formed UTF-8; a control character (C0
/// 0x00-0x1F, DEL, or C1 U+0080-U+009F); a '/' when the delimiter is not
/// '/' (it would make a directory the hierarchy does not know); an empty
/// component (a leading, trailing or doubled delimiter); a component "."
/// or "..". errc::invalid_argument when `delimiter` is neither '\0' nor
/// printable ASCII. Other policies (a leading '~', names reserved by the
/// storage, a per-component length such as NAME_MAX) are the server's.
constexpr errc check_mailbox_name(std::string_view utf8, char delimiter) noexcept {
  if (delimiter != '\0' && !ascii::is_vchar(delimiter)) return errc::invalid_argument;
  if (utf8.empty() || utf8.size() > max_mailbox_name) return errc::imap_bad_mailbox;
  std::size_t start = 0;  // of the current component
  for (std::size_t i = 0; i <= utf8.size(); ++i) {
    if (i < utf8.size()) {
      const char c = utf8[i];
      if (ascii::is_ctl(c) || (c == '/' && delimiter != '/')) return errc::imap_bad_mailbox;
      if (ascii::is_8bit(c)) {
        const utf8::decoded d = utf8::decode(utf8, i);
        if (d.length == 0 || (d.cp >= 0x80 && d.cp <= 0x9F)) return errc::imap_bad_mailbox;
        i += d.length - 1;
        continue;
      }
      if (c != delimiter || delimiter == '\0') continue;
    }
    const std::string_view part = utf8.substr(start, i - start);
    if (part.empty() || part == "." || part == "..") return errc::imap_bad_mailbox;
    start = i + 1;
  }
  return errc::ok;
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_MAILBOX_HPP
