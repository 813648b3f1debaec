// mailwire: IMAP value types at the token layer.
//
// flag.hpp, sequence_set.hpp and datetime.hpp parse and write one isolated
// token. This header reads those tokens at a detail::scanner's cursor and
// writes them through a wire_writer, so commands, responses and FETCH data
// share one way of reading a flag list, a sequence set, a date, a
// date-time, a mod-sequence or an object id.
#ifndef MAILWIRE_IMAP_VALUES_HPP
#define MAILWIRE_IMAP_VALUES_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mailwire/imap/datetime.hpp"
#include "mailwire/imap/flag.hpp"
#include "mailwire/imap/sequence_set.hpp"
#include "mailwire/imap/syntax.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// Longest objectid (RFC 8474 5.1: 1*255(ALPHA / DIGIT / "_" / "-")).
inline constexpr std::size_t max_objectid = 255;

/// True when `s` is a valid objectid (RFC 8474).
inline bool is_objectid(std::string_view s) noexcept {
  if (s.empty() || s.size() > max_objectid) return false;
  for (const char c : s) {
    if (!ascii::is_digit(c) && !ascii::is_alpha(c) && c != '_' && c != '-') return false;
  }
  return true;
}

namespace detail {

// The bytes a sequence-set token may hold; the token's grammar is checked
// by parse_sequence_set.
inline bool is_set_char(char c) noexcept {
  return ascii::is_digit(c) || c == ':' || c == ',' || c == '*' || c == '$';
}

inline bool read_sequence_set(scanner& sc, sequence_set& out) {
  const std::string_view r = sc.rest();
  std::size_t n = 0;
  while (n < r.size() && is_set_char(r[n])) ++n;
  if (n == 0 || parse_sequence_set(r.substr(0, n), out) != errc::ok) return sc.fail();
  sc.seek(sc.pos() + n);
  return true;
}

inline void write_sequence_set(wire_writer& w, const sequence_set& s) {
  if (s.empty()) return w.fail(errc::invalid_argument);
  write(w.bytes(), s);
}

/// One flag at the cursor: "\" atom, "\*" when `wildcard`, or a keyword
/// (an atom; with `keyword_only` nothing else).
inline bool read_flag(scanner& sc, flag& out, bool wildcard, bool keyword_only = false) {
  const std::size_t at = sc.pos();
  if (!keyword_only && sc.eat('\\')) {
    if (sc.eat('*')) {
      if (!wildcard) {
        sc.seek(at);  // the error is the flag, not what follows "\*"
        return sc.fail();
      }
      out = flag{flag_kind::wildcard, sc.text().substr(at, 2)};
      return true;
    }
  }
  std::string_view a;
  if (!sc.atom(a)) return false;
  const std::string_view token = sc.text().substr(at, sc.pos() - at);
  if (parse_flag(token, out, wildcard) != errc::ok) return sc.fail();
  return true;
}

/// "(" [flag *(SP flag)] ")".
inline bool read_flag_list(scanner& sc, std::vector<flag>& out, bool wildcard = false) {
  out.clear();
  if (!sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      out.emplace_back();
      if (!read_flag(sc, out.back(), wildcard)) return false;
    } while (sc.eat(' '));
  }
  return sc.close();
}

/// One flag; \* only when `wildcard` (where read_flag() takes it back).
inline void write_flag(wire_writer& w, const flag& f, bool wildcard = false) {
  if ((f.kind == flag_kind::wildcard && !wildcard) || write(w.bytes(), f) != errc::ok) w.fail(errc::invalid_argument);
}

/// "(" [flag *(SP flag)] ")"; \* only when `wildcard` (PERMANENTFLAGS).
inline void write_flag_list(wire_writer& w, const std::vector<flag>& flags, bool wildcard = false) {
  w.raw('(');
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (i != 0) w.sp();
    write_flag(w, flags[i], wildcard);
  }
  w.raw(')');
}

/// date: date-text or DQUOTE date-text DQUOTE.
inline bool read_date(scanner& sc, date& out) {
  const std::string_view r = sc.rest();
  std::size_t n = 0;
  if (!r.empty() && r[0] == '"') {
    n = r.find('"', 1);
    if (n == std::string_view::npos) return sc.fail();
    ++n;
  } else {
    while (n < r.size() && (ascii::is_digit(r[n]) || ascii::is_alpha(r[n]) || r[n] == '-')) ++n;
  }
  if (n == 0 || parse_date(r.substr(0, n), out) != errc::ok) return sc.fail();
  sc.seek(sc.pos() + n);
  return true;
}

/// date-time: DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE.
inline bool read_date_time(scanner& sc, date_time& out) {
  const std::string_view r = sc.rest();
  if (r.size() < 28 || r[0] != '"' || parse_date_time(r.substr(0, 28), out) != errc::ok) return sc.fail();
  sc.seek(sc.pos() + 28);
  return true;
}

inline void write_date_time(wire_writer& w, const date_time& t) {
  if (write(w.bytes(), t) != errc::ok) w.fail(errc::invalid_argument);
}

/// objectid (RFC 8474), as an atom-like token.
inline bool read_objectid(scanner& sc, std::string_view& out) {
  const std::string_view r = sc.rest();
  std::size_t n = 0;
  while (n < r.size() && n <= max_objectid && (ascii::is_digit(r[n]) || ascii::is_alpha(r[n]) || r[n] == '_' || r[n] == '-'))
    ++n;
  if (n == 0 || n > max_objectid) return sc.fail();
  out = r.substr(0, n);
  sc.seek(sc.pos() + n);
  return true;
}

inline void write_objectid(wire_writer& w, std::string_view id) {
  if (!is_objectid(id)) return w.fail(errc::invalid_argument);
  w.raw(id);
}

}  // namespace detail
}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_VALUES_HPP
