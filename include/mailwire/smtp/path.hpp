// mailwire: SMTP paths, domains, address literals and xtext, syntax tier.
//
//  - parse_path() reads a Reverse-path or Forward-path (RFC 5321 4.1.2):
//    "<>", "<postmaster>", source routes (accepted and dropped), dot-string
//    and quoted local parts, domains and address literals, with UTF-8
//    (RFC 6531) only when the caller allows it. The result is made of views
//    into the caller's text: no allocation.
//  - validate_domain() / validate_address_literal() check a Domain or an
//    address-literal on its own (HELO/EHLO arguments, writers).
//  - xtext (RFC 3461 4) is kept as a view plus a flag saying whether it is
//    in its encoded wire form; decoding allocates only when asked for
//    (xtext::decoded()), and comparison decodes on the fly.
//
// Limits (RFC 5321 4.5.3.1, in limits.hpp): local part 64 octets
// (limits::smtp_local_part), domain 255 (limits::smtp_domain), the whole
// path 256 counting "<", ">" and any source route (limits::smtp_path); a
// label is at most 63 octets (limits::domain_label, RFC 1035 2.3.4). All
// are counted on the wire form.
#ifndef MAILWIRE_SMTP_PATH_HPP
#define MAILWIRE_SMTP_PATH_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {

namespace detail {

/// Checks that the non-ASCII byte at in[i] starts a well-formed UTF-8
/// character (RFC 6531 3.3 UTF8-non-ascii) and that UTF-8 is allowed;
/// returns its length, or 0 with `e` set.
constexpr std::size_t utf8_step(std::string_view in, std::size_t i, bool utf8, errc& e) noexcept {
  if (!utf8) {
    e = errc::smtp_utf8_not_allowed;
    return 0;
  }
  const std::size_t n = utf8::decode(in, i).length;
  if (n < 2) e = errc::invalid_utf8;
  return n < 2 ? 0 : n;
}

constexpr bool is_let_dig(char c) noexcept { return ascii::is(c, ascii::digit | ascii::alpha); }

// qtextSMTP = %d32-33 / %d35-91 / %d93-126 (RFC 5321 4.1.2)
constexpr bool is_qtext_smtp(char c) noexcept {
  const auto b = static_cast<unsigned char>(c);
  return b >= 32 && b <= 126 && b != '"' && b != '\\';
}

// IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT (0-255).
constexpr bool is_ipv4(std::string_view s) noexcept {
  auto snum = [](std::string_view n) {
    std::uint64_t v = 0;
    return parse_number(n, 3, v) && v <= 255;
  };
  for (int part = 0; part < 3; ++part) {
    const std::size_t dot = s.find('.');
    if (dot == std::string_view::npos || !snum(s.substr(0, dot))) return false;
    s.remove_prefix(dot + 1);
  }
  return snum(s);
}

// Counts the 16-bit groups of one side of an IPv6 address ("1:2:3" -> 3);
// an IPv4 tail counts 2 and is allowed only where `v4_tail`. -1: invalid.
constexpr int ipv6_groups(std::string_view s, bool v4_tail) noexcept {
  if (s.empty()) return 0;
  int groups = 0;
  std::size_t i = 0;
  for (;;) {
    const std::size_t colon = s.find(':', i);
    const std::string_view piece = s.substr(i, colon == std::string_view::npos ? std::string_view::npos : colon - i);
    if (colon == std::string_view::npos && v4_tail && piece.find('.') != std::string_view::npos) {
      if (!is_ipv4(piece)) return -1;
      return groups + 2;
    }
    // IPv6-hex = 1*4HEXDIG
    if (piece.empty() || piece.size() > 4 || !ascii::all_of(piece, ascii::hexdig)) return -1;
    ++groups;
    if (colon == std::string_view::npos) return groups;
    i = colon + 1;
  }
}

// IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp (RFC 5321
// 4.1.3): eight groups, or "::" standing for at least two zero groups with
// at most six others; an IPv4 address may replace the last two groups.
constexpr bool is_ipv6(std::string_view s) noexcept {
  const std::size_t dc = s.find("::");
  if (dc == std::string_view::npos) return ipv6_groups(s, true) == 8;
  if (s.find("::", dc + 1) != std::string_view::npos) return false;  // second "::" (or ":::")
  const int left = ipv6_groups(s.substr(0, dc), false);
  const int right = ipv6_groups(s.substr(dc + 2), true);
  return left >= 0 && right >= 0 && left + right <= 6;
}

// Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig (RFC 5321 4.1.2)
constexpr bool is_ldh_str(std::string_view s) noexcept {
  if (s.empty() || !is_let_dig(s.back())) return false;
  for (char c : s) {
    if (!is_let_dig(c) && c != '-') return false;
  }
  return true;
}

}  // namespace detail

/// Checks an address-literal, brackets included (RFC 5321 4.1.3):
/// "[" ( IPv4-address-literal / IPv6-address-literal /
/// General-address-literal ) "]". IPv4 octets must be 0-255; "IPv6:"
/// (case-insensitive) must be followed by a valid IPv6 text form,
/// "::" compression and an IPv4 tail included; any other "tag:content"
/// (Standardized-tag = Ldh-str, dcontent = %d33-90 / %d94-126) is accepted
/// as a General-address-literal. Returns errc::ok or errc::smtp_bad_path.
constexpr errc validate_address_literal(std::string_view s) noexcept {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return errc::smtp_bad_path;
  const std::string_view in = s.substr(1, s.size() - 2);
  if (detail::is_ipv4(in)) return errc::ok;
  const std::size_t colon = in.find(':');
  if (colon == std::string_view::npos) return errc::smtp_bad_path;
  const std::string_view tag = in.substr(0, colon);
  const std::string_view content = in.substr(colon + 1);
  if (ascii::iequals(tag, "IPv6")) return detail::is_ipv6(content) ? errc::ok : errc::smtp_bad_path;
  if (!detail::is_ldh_str(tag) || content.empty()) return errc::smtp_bad_path;
  for (char c : content) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 33 || b > 126 || (b >= 91 && b <= 93)) return errc::smtp_bad_path;  // dcontent
  }
  return errc::ok;
}

/// Checks a Domain (RFC 5321 4.1.2): sub-domain *("." sub-domain),
/// sub-domain = Let-dig [Ldh-str]: labels of letters, digits and inner
/// hyphens, 1-63 octets, no leading or trailing hyphen, 255 octets in all,
/// no trailing dot. With `utf8` (RFC 6531 3.3: sub-domain =/ U-label), a
/// label may also hold UTF8-non-ascii characters, which must be well-formed
/// (IDNA2008's further rules on U-labels are not checked). Returns errc::ok,
/// errc::smtp_bad_path, errc::smtp_utf8_not_allowed (8-bit byte without
/// `utf8`) or errc::invalid_utf8.
constexpr errc validate_domain(std::string_view d, bool utf8 = false) noexcept {
  if (d.empty() || d.size() > limits::smtp_domain) return errc::smtp_bad_path;
  enum class state : std::uint8_t { label_start, label };
  state st = state::label_start;
  std::size_t label_begin = 0;
  for (std::size_t i = 0; i < d.size();) {
    const char c = d[i];
    switch (st) {
      case state::label_start:
        // sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2) / U-label (RFC 6531 3.3)
        label_begin = i;
        if (ascii::is_8bit(c)) {
          errc e = errc::ok;
          const std::size_t n = detail::utf8_step(d, i, utf8, e);
          if (n == 0) return e;
          i += n;
        } else if (detail::is_let_dig(c)) {
          ++i;
        } else {
          return errc::smtp_bad_path;
        }
        st = state::label;
        break;
      case state::label:
        // Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig; "." starts the next sub-domain
        if (c == '.') {
          if (d[i - 1] == '-' || i - label_begin > limits::domain_label) return errc::smtp_bad_path;
          st = state::label_start;
          ++i;
        } else if (ascii::is_8bit(c)) {
          errc e = errc::ok;
          const std::size_t n = detail::utf8_step(d, i, utf8, e);
          if (n == 0) return e;
          i += n;
        } else if (detail::is_let_dig(c) || c == '-') {
          ++i;
        } else {
          return errc::smtp_bad_path;
        }
        break;
    }
  }
  if (st != state::label || d.back() == '-' || d.size() - label_begin > limits::domain_label) {
    return errc::smtp_bad_path;
  }
  return errc::ok;
}

/// A Domain or an address-literal, as HELO, EHLO and LHLO take and as the
/// part of a mailbox after "@" is.
constexpr errc validate_domain_or_literal(std::string_view s, bool utf8 = false) noexcept {
  if (!s.empty() && s.front() == '[') return validate_address_literal(s);
  return validate_domain(s, utf8);
}

/// Checks a Dot-string (RFC 5321 4.1.2: Atom *("." Atom), Atom = 1*atext;
/// RFC 6531 3.3 adds UTF8-non-ascii to atext when `utf8`). True when the
/// local part can go on the wire unquoted.
constexpr bool is_dot_string(std::string_view s, bool utf8 = false) noexcept {
  if (s.empty()) return false;
  bool atom_start = true;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '.') {
      if (atom_start) return false;
      atom_start = true;
      ++i;
      continue;
    }
    if (ascii::is_8bit(c)) {
      errc e = errc::ok;
      const std::size_t n = detail::utf8_step(s, i, utf8, e);
      if (n == 0) return false;
      i += n;
    } else if (ascii::is(c, ascii::atext)) {
      ++i;
    } else {
      return false;
    }
    atom_start = false;
  }
  return !atom_start;
}

// -- paths --------------------------------------------------------------------

/// What a path names.
enum class path_kind : std::uint8_t {
  mailbox,     ///< local_part "@" domain
  null,        ///< "<>": the null reverse-path (MAIL only), for bounces
  postmaster,  ///< "<postmaster>" without a domain (RCPT only, RFC 5321 4.1.1.3)
};

/// A reverse-path or forward-path. From parse_path(): views into the parsed
/// text, valid as long as it is. Built by a caller for a writer: views into
/// the caller's strings, needed only until the write call returns.
///
/// The source route of an old-style path ("<@a,@b:user@c>") is dropped, as
/// RFC 5321 4.1.1.3 and C tell receivers to do.
struct path {
  /// A mailbox, the null path "<>" or "<postmaster>".
  path_kind kind = path_kind::mailbox;
  /// The local part. Unquoted (quoted == false): its characters, which the
  /// writer quotes if they are not a Dot-string. Quoted (quoted == true):
  /// the content between the double quotes as on the wire, quoted-pairs
  /// ("\x") still escaped; the writer sends it back inside quotes, as is.
  /// For postmaster: the word as sent ("Postmaster"); for null: empty.
  std::string_view local_part;
  /// The local part is a quoted string (see local_part).
  bool quoted = false;
  /// Domain, or address-literal with its brackets ("[192.0.2.1]"); empty
  /// for null and postmaster.
  std::string_view domain;

  /// The null reverse-path "<>" (bounces).
  static constexpr path null_path() noexcept { return {path_kind::null, {}, false, {}}; }
  /// The forward-path "<postmaster>", without a domain.
  static constexpr path postmaster() noexcept { return {path_kind::postmaster, "postmaster", false, {}}; }
  /// `local@domain`, both views into the caller's strings (written quoted when
  /// `local` is not a Dot-string).
  static constexpr path mailbox(std::string_view local, std::string_view domain_part) noexcept {
    return {path_kind::mailbox, local, false, domain_part};
  }

  /// True when the domain is an address literal ("[192.0.2.1]", "[IPv6:...]").
  constexpr bool is_address_literal() const noexcept { return !domain.empty() && domain.front() == '['; }

  /// The local part with quoting removed (allocates when it holds a
  /// quoted-pair; otherwise a plain copy).
  std::string unquoted_local_part() const {
    std::string out;
    out.reserve(local_part.size());
    for (std::size_t i = 0; i < local_part.size(); ++i) {
      if (quoted && local_part[i] == '\\' && i + 1 < local_part.size()) ++i;
      out += local_part[i];
    }
    return out;
  }
};

namespace detail {
// Whether two cursors (anything with `bool next(char&)`) yield the same
// characters: how quoted local parts and xtext compare by their plain value.
template <class X, class Y>
constexpr bool same_chars(X x, Y y) noexcept {
  char c1 = 0;
  char c2 = 0;
  for (;;) {
    const bool m1 = x.next(c1);
    const bool m2 = y.next(c2);
    if (m1 != m2) return false;
    if (!m1) return true;
    if (c1 != c2) return false;
  }
}

// Walks a local part's characters with quoted-pairs undone, without copying.
struct unquote_cursor {
  std::string_view s;
  bool quoted;
  std::size_t i = 0;
  constexpr bool next(char& c) noexcept {
    if (i >= s.size()) return false;
    if (quoted && s[i] == '\\' && i + 1 < s.size()) ++i;
    c = s[i++];
    return true;
  }
};
}  // namespace detail

/// Paths are equal when they name the same mailbox: same kind, the same
/// local part once quoting is undone (case-sensitive, RFC 5321 2.4), and
/// the same domain octets. `"john"@x` equals `john@x`.
constexpr bool operator==(const path& a, const path& b) noexcept {
  if (a.kind != b.kind) return false;
  if (a.kind != path_kind::mailbox) return true;
  if (a.domain != b.domain) return false;
  return detail::same_chars(detail::unquote_cursor{a.local_part, a.quoted},
                            detail::unquote_cursor{b.local_part, b.quoted});
}
constexpr bool operator!=(const path& a, const path& b) noexcept { return !(a == b); }

/// Which command a path belongs to: MAIL takes a Reverse-path (which may
/// be "<>"), RCPT a Forward-path (which may be "<postmaster>").
enum class path_role : std::uint8_t { reverse, forward };

/// What parse_path() did.
struct path_result {
  /// errc::ok, errc::smtp_bad_path, errc::smtp_utf8_not_allowed or
  /// errc::invalid_utf8.
  errc error = errc::ok;
  /// On success: bytes taken, through the closing ">". On failure: the
  /// offset of the offending byte.
  std::size_t length = 0;
};

/// Parses a path at the start of `in` (RFC 5321 4.1.2), which may go on
/// after the closing ">" (the parameters of MAIL and RCPT):
///
///     Path       = "<" [ A-d-l ":" ] Mailbox ">"
///     A-d-l      = At-domain *( "," At-domain )     ; dropped
///     Mailbox    = Local-part "@" ( Domain / address-literal )
///     Local-part = Dot-string / Quoted-string
///
/// plus "<>" (role reverse only) and "<postmaster>" (role forward only,
/// case-insensitive). With `utf8` (RFC 6531: SMTPUTF8 in use), UTF-8
/// characters may appear in atoms, quoted strings and domain labels and
/// must be well-formed; without it any 8-bit byte is
/// errc::smtp_utf8_not_allowed. Limits: limits::smtp_local_part,
/// smtp_domain, domain_label and smtp_path (all on the wire octets). `out`
/// is written only on success; its views point into `in`.
constexpr path_result parse_path(std::string_view in, path_role role, bool utf8, path& out) noexcept {
  auto fail = [](errc e, std::size_t at) { return path_result{e, at}; };
  if (in.empty() || in[0] != '<') return fail(errc::smtp_bad_path, 0);
  std::size_t i = 1;
  // "<>": Reverse-path = Path / "<>" (RFC 5321 4.1.2)
  if (i < in.size() && in[i] == '>') {
    if (role != path_role::reverse) return fail(errc::smtp_bad_path, i);
    out = path::null_path();
    return {errc::ok, 2};
  }
  // A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain: a source
  // route, checked and dropped (RFC 5321 4.1.2, C).
  if (i < in.size() && in[i] == '@') {
    for (;;) {
      ++i;  // the "@"
      const std::size_t start = i;
      while (i < in.size() && in[i] != ',' && in[i] != ':' && in[i] != '>') ++i;
      const errc e = validate_domain(in.substr(start, i - start), utf8);
      if (e != errc::ok) return fail(e, start);
      if (i < in.size() && in[i] == ',' && i + 1 < in.size() && in[i + 1] == '@') {
        ++i;
        continue;
      }
      if (i < in.size() && in[i] == ':') {
        ++i;
        break;
      }
      return fail(errc::smtp_bad_path, i);
    }
  }
  // Local-part = Dot-string / Quoted-string (RFC 5321 4.1.2; RFC 6531 3.3)
  enum class state : std::uint8_t { start, atom_start, atom, quoted, quoted_pair, done };
  state st = state::start;
  const std::size_t local_begin = i;
  bool quoted = false;
  while (st != state::done) {
    if (i >= in.size()) return fail(errc::smtp_bad_path, i);
    const char c = in[i];
    if (ascii::is_8bit(c) && st != state::start) {
      // UTF8-non-ascii, RFC 6531 3.3: allowed in atext and qtextSMTP
      if (st == state::quoted_pair) return fail(errc::smtp_bad_path, i);
      errc e = errc::ok;
      const std::size_t n = detail::utf8_step(in, i, utf8, e);
      if (n == 0) return fail(e, i);
      i += n;
      if (st == state::atom_start) st = state::atom;
      continue;
    }
    switch (st) {
      case state::start:
        // DQUOTE opens a Quoted-string; anything else starts a Dot-string
        if (c == '"') {
          quoted = true;
          st = state::quoted;
          ++i;
        } else {
          st = state::atom_start;
        }
        break;
      case state::atom_start:
        // Atom = 1*atext: an atom may not be empty ("a..b", ".a", "a.")
        if (!ascii::is(c, ascii::atext)) return fail(errc::smtp_bad_path, i);
        st = state::atom;
        ++i;
        break;
      case state::atom:
        // Dot-string = Atom *("." Atom); "@" (or ">" for postmaster) ends it
        if (c == '.') {
          st = state::atom_start;
          ++i;
        } else if (c == '@' || c == '>') {
          st = state::done;
        } else if (ascii::is(c, ascii::atext)) {
          ++i;
        } else {
          return fail(errc::smtp_bad_path, i);
        }
        break;
      case state::quoted:
        // QcontentSMTP = qtextSMTP / quoted-pairSMTP; DQUOTE closes
        if (c == '"') {
          ++i;
          st = state::done;
        } else if (c == '\\') {
          st = state::quoted_pair;
          ++i;
        } else if (detail::is_qtext_smtp(c)) {
          ++i;
        } else {
          return fail(errc::smtp_bad_path, i);
        }
        break;
      case state::quoted_pair:
        // quoted-pairSMTP = %d92 %d32-126
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) {
          return fail(errc::smtp_bad_path, i);
        }
        st = state::quoted;
        ++i;
        break;
      case state::done: break;
    }
  }
  const std::size_t local_end = i;  // after the closing DQUOTE, at "@" or ">"
  if (local_end - local_begin > limits::smtp_local_part) {
    return fail(errc::smtp_bad_path, local_begin);
  }
  const std::string_view local =
      quoted ? in.substr(local_begin + 1, local_end - local_begin - 2) : in.substr(local_begin, local_end - local_begin);
  if (i >= in.size()) return fail(errc::smtp_bad_path, i);
  if (in[i] == '>') {
    // "<postmaster>" (RFC 5321 4.1.1.3), case-insensitive, RCPT only, no route
    if (role != path_role::forward || quoted || local_begin != 1 || !ascii::iequals(local, "postmaster")) {
      return fail(errc::smtp_bad_path, i);
    }
    out = {path_kind::postmaster, local, false, {}};
    return {errc::ok, i + 1};
  }
  if (in[i] != '@') return fail(errc::smtp_bad_path, i);
  ++i;
  // Domain / address-literal, then ">"
  const std::size_t domain_begin = i;
  if (i < in.size() && in[i] == '[') {
    const std::size_t close = in.find(']', i);
    if (close == std::string_view::npos) return fail(errc::smtp_bad_path, i);
    i = close + 1;
    if (validate_address_literal(in.substr(domain_begin, i - domain_begin)) != errc::ok) {
      return fail(errc::smtp_bad_path, domain_begin);
    }
  } else {
    while (i < in.size() && in[i] != '>') ++i;
    const errc e = validate_domain(in.substr(domain_begin, i - domain_begin), utf8);
    if (e != errc::ok) return fail(e, domain_begin);
  }
  if (i >= in.size() || in[i] != '>') return fail(errc::smtp_bad_path, i);
  ++i;
  if (i > limits::smtp_path) return fail(errc::smtp_bad_path, 0);
  out = {path_kind::mailbox, local, quoted, in.substr(domain_begin, i - 1 - domain_begin)};
  return {errc::ok, i};
}

// -- xtext --------------------------------------------------------------------

/// A value that travels as xtext (RFC 3461 4: ENVID, ORCPT, AUTH=).
/// encoded == true: `text` is the wire form ("+2B" escapes), as
/// parse_command() returns it (validated). encoded == false: `text` is the
/// plain value, as a caller sets it; the writer encodes it.
struct xtext {
  /// The value: the wire form when `encoded`, else the plain value.
  std::string_view text;
  /// True when `text` is the wire form, "+XX" escapes and all.
  bool encoded = false;

  /// The plain value (allocates). For an encoded text that is not valid
  /// xtext the result is unspecified; parsed values are always valid.
  std::string decoded() const {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (encoded && text[i] == '+' && text.size() - i >= 3) {
        out += static_cast<char>(ascii::hex_value(text[i + 1]) * 16 + ascii::hex_value(text[i + 2]));
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  }
};

namespace detail {
// xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except
// "+" and "=" (RFC 3461 4).
constexpr bool is_xchar(char c) noexcept {
  const auto b = static_cast<unsigned char>(c);
  return b >= 33 && b <= 126 && b != '+' && b != '=';
}
// hexchar = "+" 2(%x30-39 / %x41-46): uppercase hex only (RFC 3461 4)
constexpr int upper_hex(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct xtext_cursor {
  std::string_view s;
  bool encoded;
  std::size_t i = 0;
  constexpr bool next(char& c) noexcept {
    if (i >= s.size()) return false;
    if (encoded && s[i] == '+' && s.size() - i >= 3) {
      c = static_cast<char>(upper_hex(s[i + 1]) * 16 + upper_hex(s[i + 2]));
      i += 3;
      return true;
    }
    c = s[i++];
    return true;
  }
};
}  // namespace detail

/// Checks xtext in its wire form (RFC 3461 4): xtext = *( xchar / hexchar ),
/// hexchar = "+" followed by two uppercase hex digits. A hexchar that
/// decodes to NUL, CR or LF is refused too: those values end up in DSN
/// header fields, where they would inject lines. Returns errc::ok or
/// errc::smtp_bad_xtext; `*at` (when given) gets the offending offset.
constexpr errc validate_xtext(std::string_view s, std::size_t* at = nullptr) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (detail::is_xchar(s[i])) continue;
    if (s[i] == '+' && s.size() - i >= 3 && detail::upper_hex(s[i + 1]) >= 0 && detail::upper_hex(s[i + 2]) >= 0) {
      const int v = detail::upper_hex(s[i + 1]) * 16 + detail::upper_hex(s[i + 2]);
      if (v != 0 && v != '\r' && v != '\n') {
        i += 2;
        continue;
      }
    }
    if (at != nullptr) *at = i;
    return errc::smtp_bad_xtext;
  }
  return errc::ok;
}

/// A path that owns its text: built from a plain "user@example.org" (or
/// "<user@example.org>", "<>", "<postmaster>") and usable wherever a path
/// is taken (smtp::client::mail(), rcpt(), the writers), with no string to
/// keep alive and no brackets to add by hand. Copies and moves keep their
/// own text and views into it.
class address {
 public:
  /// Reads `text`: a mailbox with or without its angle brackets, or, with
  /// brackets, "<>" (role reverse) or "<postmaster>" (role forward).
  /// nullopt when it is not one (then `*error`, when given, says why:
  /// smtp_bad_path, smtp_utf8_not_allowed, invalid_utf8); nothing may
  /// follow the path. `utf8`: UTF-8 allowed (SMTPUTF8, RFC 6531).
  static std::optional<address> parse(std::string_view text, path_role role = path_role::forward, bool utf8 = true,
                                      errc* error = nullptr) {
    address a;
    a.text_.reserve(text.size() + 2);
    if (text.empty() || text.front() != '<') a.text_.push_back('<');
    a.text_.append(text);
    if (text.empty() || text.front() != '<') a.text_.push_back('>');
    const path_result r = parse_path(a.text_, role, utf8, a.path_);
    const errc e = r.error != errc::ok ? r.error : r.length != a.text_.size() ? errc::smtp_bad_path : errc::ok;
    if (error != nullptr) *error = e;
    if (e != errc::ok) return std::nullopt;
    return a;
  }

  /// A copy with its own text (the path views the copy).
  address(const address& o) : text_(o.text_), path_(o.path_) { rebase(o.text_.data()); }
  /// Takes the other's text; the path views it here.
  address(address&& o) noexcept : path_(o.path_) { take(std::move(o)); }
  /// Copies the text; the path views this object's copy.
  address& operator=(const address& o) {
    if (this != &o) {
      text_ = o.text_;
      path_ = o.path_;
      rebase(o.text_.data());
    }
    return *this;
  }
  /// Takes the other's text; the path views it here.
  address& operator=(address&& o) noexcept {
    if (this != &o) {
      path_ = o.path_;
      take(std::move(o));
    }
    return *this;
  }
  ~address() = default;

  /// The path, viewing this object's text (valid while it lives unchanged).
  const path& get() const noexcept { return path_; }
  /// The path (as get()), so an address goes wherever a path is taken.
  operator const path&() const noexcept { return path_; }
  /// As written on the wire, brackets included: "<user@example.org>".
  std::string_view text() const noexcept { return text_; }

 private:
  address() = default;
  // Takes o's text (a long one keeps its buffer, a short one is copied):
  // path_, copied from o, is re-pointed from o's buffer to ours.
  void take(address&& o) noexcept {
    const char* old_base = o.text_.data();
    text_ = std::move(o.text_);
    rebase(old_base);
  }
  void rebase(const char* old_base) noexcept {
    const auto move_view = [&](std::string_view v) {
      if (v.empty() || v.data() < old_base || v.data() > old_base + text_.size()) return v;
      return std::string_view(text_.data() + (v.data() - old_base), v.size());
    };
    path_.local_part = move_view(path_.local_part);
    path_.domain = move_view(path_.domain);
  }

  std::string text_;
  path path_;
};

/// Decodes wire-form xtext into `out` (replaced). errc::smtp_bad_xtext (and
/// `out` unspecified) when `s` is not valid xtext.
inline errc decode_xtext(std::string_view s, std::string& out) {
  out.clear();
  if (const errc e = validate_xtext(s); e != errc::ok) return e;
  out = xtext{s, true}.decoded();
  return errc::ok;
}

/// xtext values are equal when their plain values are.
constexpr bool operator==(const xtext& a, const xtext& b) noexcept {
  return detail::same_chars(detail::xtext_cursor{a.text, a.encoded}, detail::xtext_cursor{b.text, b.encoded});
}
constexpr bool operator!=(const xtext& a, const xtext& b) noexcept { return !(a == b); }

}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_PATH_HPP
