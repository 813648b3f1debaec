// mailwire: POP3 responses, read and written (RFC 1939, RFC 2449, RFC 3206,
// RFC 6856).
//
// A response is a status line, "+OK" or "-ERR", optionally followed by a
// space and text; the text may start with an extended response code in
// brackets (RFC 2449 8: "-ERR [IN-USE] maildrop locked"). Multi-line
// responses (LIST, UIDL, CAPA, RETR, TOP, LANG) follow the status line with
// dot-stuffed lines ended by "." CRLF (the framing is core/dot_stuffing.hpp
// for messages, line_reader for listings).
//
// This file has the pieces both machines share: the status line, the
// response codes, the capability list, the listing lines of LIST and UIDL,
// and the APOP timestamp and digest. Parsers take one line without its
// CRLF and never allocate except where they say so; views they return
// point into the line given.
#ifndef MAILWIRE_POP3_RESPONSE_HPP
#define MAILWIRE_POP3_RESPONSE_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/hash.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/sasl/mechanism.hpp"

namespace mailwire {
inline namespace v0 {
namespace pop3 {

/// Longest unique-id (RFC 1939 7: 1 to 70 characters 0x21-0x7E).
inline constexpr std::size_t max_unique_id = 70;

/// The extended response codes mailwire knows (RFC 2449 8.1, RFC 3206,
/// RFC 6856 5). Hierarchical codes are matched by their first level
/// ("SYS/TEMP/DISK" is sys_temp).
enum class response_code : std::uint8_t {
  none,         ///< no code in the response
  in_use,       ///< [IN-USE]: the maildrop is locked by another session
  login_delay,  ///< [LOGIN-DELAY]: logged in too recently
  sys_temp,     ///< [SYS/TEMP]: a temporary system problem (RFC 3206)
  sys_perm,     ///< [SYS/PERM]: a permanent system problem (RFC 3206)
  auth,         ///< [AUTH]: the credentials were wrong (RFC 3206)
  utf8,         ///< [UTF8]: needs the UTF8 command first (RFC 6856)
  other,        ///< a code mailwire does not know; its text is kept
};

/// The code as written in brackets ("IN-USE", "SYS/TEMP"); empty for none
/// and other.
constexpr std::string_view to_string(response_code c) noexcept {
  switch (c) {
    case response_code::in_use: return "IN-USE";
    case response_code::login_delay: return "LOGIN-DELAY";
    case response_code::sys_temp: return "SYS/TEMP";
    case response_code::sys_perm: return "SYS/PERM";
    case response_code::auth: return "AUTH";
    case response_code::utf8: return "UTF8";
    default: return {};
  }
}

/// A status line, read.
struct status_line {
  bool ok = false;                       ///< "+OK" (true) or "-ERR"
  /// The response code in brackets after the status, when known (RFC 2449 8).
  response_code code = response_code::none;
  std::string_view code_text;            ///< what was inside the brackets ("SYS/TEMP/DISK")
  std::string_view text;                 ///< the text after the status and the code
};

namespace detail {
// RFC 2449 8: resp-level = 1*rchar; rchar = %x21-2E / %x30-5C / %x5E-7F.
constexpr bool is_code_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7E && c != '/' && c != ']';
}
}  // namespace detail

/// Reads a status line ("+OK", "+OK text", "-ERR [CODE] text"). nullopt
/// when the line starts with neither status, or the status is not followed
/// by the end or a space. A "[" that does not open a well-formed code is
/// part of the text (RFC 2449 8: codes are optional and servers predate
/// them).
constexpr std::optional<status_line> parse_status_line(std::string_view line) noexcept {
  status_line r;
  std::string_view rest;
  if (line.substr(0, 3) == "+OK") {
    r.ok = true;
    rest = line.substr(3);
  } else if (line.substr(0, 4) == "-ERR") {
    rest = line.substr(4);
  } else {
    return std::nullopt;
  }
  if (rest.empty()) return r;
  if (rest[0] != ' ') return std::nullopt;
  rest.remove_prefix(1);
  r.text = rest;
  if (rest.empty() || rest[0] != '[') return r;
  const std::size_t close = rest.find(']');
  if (close == std::string_view::npos || close == 1) return r;
  const std::string_view code = rest.substr(1, close - 1);
  // 1*rchar *("/" 1*rchar): no empty level.
  bool level_empty = true;
  for (const char c : code) {
    if (c == '/') {
      if (level_empty) return r;
      level_empty = true;
    } else if (detail::is_code_char(c)) {
      level_empty = false;
    } else {
      return r;
    }
  }
  if (level_empty) return r;
  r.code_text = code;
  const std::string_view first = code.substr(0, code.find('/'));
  if (ascii::iequals(first, "SYS")) {
    const std::string_view second = code.size() > 4 ? code.substr(4, code.find('/', 4) - 4) : std::string_view{};
    r.code = ascii::iequals(second, "TEMP")   ? response_code::sys_temp
             : ascii::iequals(second, "PERM") ? response_code::sys_perm
                                              : response_code::other;
  } else if (ascii::iequals(first, "IN-USE")) {
    r.code = response_code::in_use;
  } else if (ascii::iequals(first, "LOGIN-DELAY")) {
    r.code = response_code::login_delay;
  } else if (ascii::iequals(first, "AUTH")) {
    r.code = response_code::auth;
  } else if (ascii::iequals(first, "UTF8")) {
    r.code = response_code::utf8;
  } else {
    r.code = response_code::other;
  }
  rest.remove_prefix(close + 1);
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  r.text = rest;
  return r;
}

/// A line of a LIST or UIDL listing, or the argument of a single-message
/// LIST ("+OK 2 320") or UIDL ("+OK 2 QhdPYR:00WBw1Ph7x7") response.
struct listing_line {
  std::uint32_t message = 0;  ///< message number, 1 or more
  std::uint64_t size = 0;     ///< LIST: size in octets
  std::string_view unique_id; ///< UIDL: the unique-id
};

namespace detail {
// "n" then SP then the rest (which may carry more after another SP: RFC
// 1939 lets servers add information after a scan listing).
constexpr bool split_message_number(std::string_view& line, std::uint32_t& n) noexcept {
  const std::size_t sp = line.find(' ');
  std::uint64_t v = 0;
  if (sp == std::string_view::npos || !parse_number(line.substr(0, sp), 10, v) || v == 0 || v > UINT32_MAX) {
    return false;
  }
  n = static_cast<std::uint32_t>(v);
  line.remove_prefix(sp + 1);
  return true;
}
}  // namespace detail

/// True for a valid unique-id: 1 to 70 bytes in 0x21-0x7E (RFC 1939 7).
constexpr bool is_valid_unique_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > max_unique_id) return false;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) return false;
  }
  return true;
}

/// Reads a scan listing, "msg SP size" (RFC 1939 5 LIST; more information
/// may follow the size after a space, and is ignored). nullopt on anything
/// else: a message number of 0, a number past 2^32-1 or 2^64-1, junk.
constexpr std::optional<listing_line> parse_scan_listing(std::string_view line) noexcept {
  listing_line r;
  if (!detail::split_message_number(line, r.message)) return std::nullopt;
  if (!parse_number(line.substr(0, line.find(' ')), 20, r.size)) return std::nullopt;
  return r;
}

/// Reads a unique-id listing, "msg SP unique-id" (RFC 1939 7 UIDL).
constexpr std::optional<listing_line> parse_unique_id_listing(std::string_view line) noexcept {
  listing_line r;
  if (!detail::split_message_number(line, r.message) || !is_valid_unique_id(line)) return std::nullopt;
  r.unique_id = line;
  return r;
}

/// Reads STAT's answer text, "nn mm" (count and total size).
constexpr std::optional<listing_line> parse_drop_listing(std::string_view text) noexcept {
  const std::size_t sp = text.find(' ');
  std::uint64_t count = 0;
  listing_line r;
  if (sp == std::string_view::npos || !parse_number(text.substr(0, sp), 10, count) || count > UINT32_MAX) {
    return std::nullopt;
  }
  text.remove_prefix(sp + 1);
  if (!parse_number(text.substr(0, text.find(' ')), 20, r.size)) return std::nullopt;
  r.message = static_cast<std::uint32_t>(count);
  return r;
}

/// What a server offers, from its CAPA response (RFC 2449 6, RFC 5034 3,
/// RFC 6856 3 and 4). Filled line by line with add_line(); keywords are
/// case-insensitive. Lines mailwire does not know are kept verbatim in
/// `other`, at most max_other of them (a server's capability list is small;
/// a hostile one cannot grow this without bound).
struct capabilities {
  /// The most lines kept in `other`.
  static constexpr std::size_t max_other = 64;

  bool top = false;         ///< TOP
  bool user = false;        ///< USER (USER/PASS)
  bool resp_codes = false;  ///< RESP-CODES (RFC 2449 6.4)
  bool auth_resp_code = false;  ///< AUTH-RESP-CODE (RFC 3206)
  bool pipelining = false;  ///< PIPELINING (RFC 2449 6.6)
  bool uidl = false;        ///< UIDL
  bool stls = false;        ///< STLS (RFC 2595)
  bool utf8 = false;        ///< UTF8 (RFC 6856)
  bool utf8_user = false;   ///< "UTF8 USER": UTF-8 names with USER/PASS too
  bool lang = false;        ///< LANG (RFC 6856)
  /// SASL mechanisms mailwire implements; `sasl_names` keeps the list as sent.
  sasl::mechanism_set sasl;
  /// The SASL line's mechanism names, as sent.
  std::string sasl_names;
  /// LOGIN-DELAY seconds (RFC 2449 6.5); per user when `login_delay_user`.
  std::optional<std::uint64_t> login_delay;
  /// LOGIN-DELAY is per user ("USER" after it).
  bool login_delay_user = false;
  /// EXPIRE (RFC 2449 6.7): days messages are kept, or never (nullopt with
  /// `expire` true).
  bool expire = false;
  /// EXPIRE's days (nullopt for NEVER).
  std::optional<std::uint64_t> expire_days;
  /// EXPIRE is per user ("USER" after it).
  bool expire_user = false;
  /// IMPLEMENTATION's text.
  std::string implementation;
  /// Lines not understood, verbatim (at most max_other).
  std::vector<std::string> other;

  /// Adds one line of a CAPA response (without CRLF, dot-unstuffed).
  void add_line(std::string_view line) {
    const std::size_t sp = line.find(' ');
    const std::string_view tag = line.substr(0, sp);
    const std::string_view args = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    const auto flag = [&](std::string_view name, bool& b) {
      if (!ascii::iequals(tag, name)) return false;
      b = true;
      return true;
    };
    if (flag("TOP", top) || flag("USER", user) || flag("RESP-CODES", resp_codes) ||
        flag("AUTH-RESP-CODE", auth_resp_code) || flag("PIPELINING", pipelining) || flag("UIDL", uidl) ||
        flag("STLS", stls) || flag("LANG", lang)) {
      return;
    }
    if (ascii::iequals(tag, "UTF8")) {
      utf8 = true;
      utf8_user = ascii::iequals(args, "USER");
    } else if (ascii::iequals(tag, "SASL")) {
      sasl = sasl::mechanism_set::parse(args);
      sasl_names = std::string(args);
    } else if (ascii::iequals(tag, "IMPLEMENTATION")) {
      implementation = std::string(args);
    } else if (ascii::iequals(tag, "LOGIN-DELAY") && delay_arguments(args, login_delay, login_delay_user)) {
    } else if (ascii::iequals(tag, "EXPIRE") && expire_arguments(args)) {
    } else if (other.size() < max_other) {
      other.emplace_back(line);
    }
  }

 private:
  // "n" or "n USER".
  static bool delay_arguments(std::string_view args, std::optional<std::uint64_t>& value, bool& per_user) {
    const std::size_t sp = args.find(' ');
    std::uint64_t v = 0;
    if (!parse_number(args.substr(0, sp), 20, v)) return false;
    if (sp != std::string_view::npos && !ascii::iequals(args.substr(sp + 1), "USER")) return false;
    value = v;
    per_user = sp != std::string_view::npos;
    return true;
  }
  bool expire_arguments(std::string_view args) {
    const std::size_t sp = args.find(' ');
    if (ascii::iequals(args.substr(0, sp), "NEVER")) {
      if (sp != std::string_view::npos && !ascii::iequals(args.substr(sp + 1), "USER")) return false;
      expire = true;
      expire_days.reset();
      expire_user = sp != std::string_view::npos;
      return true;
    }
    if (!delay_arguments(args, expire_days, expire_user)) return false;
    expire = true;
    return true;
  }
};

/// The APOP timestamp in a greeting's text: the first "<...>" holding only
/// printable ASCII (RFC 1939 7: a msg-id, "<process-ID.clock@hostname>").
/// Empty when there is none (the server does not offer APOP).
constexpr std::string_view apop_timestamp(std::string_view greeting_text) noexcept {
  for (std::size_t open = greeting_text.find('<'); open != std::string_view::npos;
       open = greeting_text.find('<', open + 1)) {
    const std::size_t close = greeting_text.find('>', open + 1);
    if (close == std::string_view::npos) return {};
    bool printable = close > open + 1;
    for (std::size_t i = open + 1; i < close && printable; ++i) {
      const char c = greeting_text[i];
      printable = ascii::is_vchar(c) && c != '<';
    }
    if (printable) return greeting_text.substr(open, close - open + 1);
  }
  return {};
}

/// True when `timestamp` can be a server's APOP timestamp: "<", 1 or more
/// printable ASCII bytes other than "<" and ">", ">".
constexpr bool is_valid_apop_timestamp(std::string_view timestamp) noexcept {
  return timestamp.size() > 2 && apop_timestamp(timestamp) == timestamp;
}

/// The APOP digest (RFC 1939 7): MD5 of the timestamp followed by the
/// shared secret, as 32 lowercase hex digits.
inline std::string apop_digest(std::string_view timestamp, std::string_view secret) {
  mailwire::detail::md5 h;
  h.update(timestamp);
  h.update(secret);
  return mailwire::detail::to_hex(h.finish());
}

}  // namespace pop3
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_POP3_RESPONSE_HPP
