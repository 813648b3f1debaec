// mailwire: POP3 commands, read (server) and written (client) (RFC 1939,
// RFC 2449, RFC 2595, RFC 5034, RFC 6856).
//
// A command is a case-insensitive keyword, then arguments separated by
// single spaces, then CRLF (RFC 1939 3). PASS takes the rest of the line
// as its argument (a password may hold spaces; RFC 1939 7 notes servers
// allow it). Writers go through the one emit point (core/emit.hpp): a
// field can never carry CR, LF or NUL, and an argument that would change
// the command's shape (a space in a user name, a message number of 0) is
// errc::invalid_argument with nothing queued.
#ifndef MAILWIRE_POP3_COMMAND_HPP
#define MAILWIRE_POP3_COMMAND_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/emit.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/error.hpp"
#include "mailwire/pop3/response.hpp"

namespace mailwire {
inline namespace v0 {
namespace pop3 {

/// The commands mailwire knows.
enum class verb : std::uint8_t {
  user, pass, apop, auth, quit, stat, list, retr, dele, noop, rset, top, uidl, capa, stls, utf8, lang,
  unknown,  ///< any other keyword
};
inline constexpr std::size_t verb_count = 17;

/// The keyword ("RETR").
constexpr std::string_view to_string(verb v) noexcept {
  constexpr std::string_view names[verb_count] = {"USER", "PASS", "APOP", "AUTH", "QUIT", "STAT",
                                                  "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP",
                                                  "UIDL", "CAPA", "STLS", "UTF8", "LANG"};
  return v == verb::unknown ? std::string_view{} : names[static_cast<std::size_t>(v)];
}

/// A command line, read. Views point into the line given to
/// parse_command().
struct command {
  /// The command (unknown for a keyword mailwire does not know).
  verb what = verb::unknown;
  std::string_view keyword;  ///< as sent
  /// USER, PASS, APOP: the name (PASS: the password, rest of the line);
  /// AUTH: the mechanism; LANG: the language tag.
  std::string_view name;
  /// APOP: the digest; AUTH: the initial response (base64, or "=" for an
  /// empty one), when given.
  std::string_view argument;
  /// LIST, UIDL (when `has_message`), RETR, DELE, TOP: the message number.
  std::uint32_t message = 0;
  /// LIST, UIDL: a message number was given.
  bool has_message = false;
  /// TOP: lines of body.
  std::uint64_t lines = 0;
};

/// What parse_command() found wrong.
enum class command_error : std::uint8_t {
  none,
  unknown,     ///< not a command mailwire knows (command::keyword has it)
  syntax,      ///< wrong number or shape of arguments
  bad_number,  ///< a message number that is not 1 to 2^32-1, or a line count past 2^64-1
};

namespace detail {
constexpr bool message_number(std::string_view s, std::uint32_t& out) noexcept {
  std::uint64_t v = 0;
  if (!parse_number(s, 10, v) || v == 0 || v > UINT32_MAX) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}
}  // namespace detail

/// Reads one command line (without CRLF) into `out`. Arguments are
/// separated by single spaces; spaces at the end of the line are ignored
/// (some clients send them), except after PASS, whose argument is the rest
/// of the line as sent.
constexpr command_error parse_command(std::string_view line, command& out) noexcept {
  out = command{};
  const std::size_t sp = line.find(' ');
  out.keyword = line.substr(0, sp);
  for (std::size_t i = 0; i < verb_count; ++i) {
    if (ascii::iequals(out.keyword, to_string(static_cast<verb>(i)))) out.what = static_cast<verb>(i);
  }
  if (out.what == verb::unknown) return command_error::unknown;
  if (out.what == verb::pass) {
    // The password may hold spaces, even at its ends; an empty one is a
    // password too (the application decides).
    if (sp == std::string_view::npos) return command_error::syntax;
    out.name = line.substr(sp + 1);
    return command_error::none;
  }
  while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
  std::string_view args[3];
  std::size_t n = 0;
  for (std::string_view rest = sp < line.size() ? line.substr(sp + 1) : std::string_view{}; !rest.empty();) {
    const std::size_t next = rest.find(' ');
    if (n == 3 || next == 0) return command_error::syntax;  // too many, or two spaces in a row
    args[n++] = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
  }
  const auto count = [&](std::size_t lo, std::size_t hi) { return n >= lo && n <= hi; };
  switch (out.what) {
    case verb::quit: case verb::stat: case verb::noop: case verb::rset: case verb::capa: case verb::stls:
    case verb::utf8:
      return n == 0 ? command_error::none : command_error::syntax;
    case verb::user:
      if (n != 1) return command_error::syntax;
      out.name = args[0];
      return command_error::none;
    case verb::apop:
      if (n != 2) return command_error::syntax;
      out.name = args[0];
      out.argument = args[1];
      return command_error::none;
    case verb::auth:  // "AUTH" alone lists the mechanisms
      if (!count(0, 2)) return command_error::syntax;
      out.name = args[0];
      out.argument = args[1];
      return command_error::none;
    case verb::lang:
      if (!count(0, 1)) return command_error::syntax;
      out.name = args[0];
      return command_error::none;
    case verb::list: case verb::uidl:
      if (!count(0, 1)) return command_error::syntax;
      if (n == 0) return command_error::none;
      break;
    case verb::retr: case verb::dele:
      if (n != 1) return command_error::syntax;
      break;
    case verb::top:
      if (n != 2) return command_error::syntax;
      if (!parse_number(args[1], 20, out.lines)) return command_error::bad_number;
      break;
    default: return command_error::unknown;
  }
  if (!detail::message_number(args[0], out.message)) return command_error::bad_number;
  out.has_message = true;
  return command_error::none;
}

/// Client side: queues a command with up to two arguments, each written
/// as one field. For PASS, `a` is the password (spaces allowed); for every
/// other command an argument holding a space, an empty argument where one
/// is needed, or an argument the command does not take (QUIT x, USER a b)
/// is errc::invalid_argument. Message numbers go through
/// write_message_command() (RETR, DELE and TOP only there).
inline errc write_command(output_queue& out, verb v, std::string_view a = {}, std::string_view b = {}) {
  if (v == verb::unknown) return errc::invalid_argument;
  // A field the verb does not take makes a line parse_command() refuses
  // (RFC 1939 gives each command a fixed shape): "QUIT x", "RETR".
  const bool takes_a = v == verb::user || v == verb::pass || v == verb::apop || v == verb::auth || v == verb::lang;
  const bool takes_b = v == verb::apop || v == verb::auth;
  if (v == verb::retr || v == verb::dele || v == verb::top || (!takes_a && !a.empty()) || (!takes_b && !b.empty())) {
    return errc::invalid_argument;
  }
  if (v != verb::pass && (a.find(' ') != std::string_view::npos || b.find(' ') != std::string_view::npos)) {
    return errc::invalid_argument;
  }
  if (a.empty() && !b.empty()) return errc::invalid_argument;
  const bool needs_a = v == verb::user || v == verb::apop || v == verb::auth;
  if (needs_a && a.empty()) return errc::invalid_argument;
  if (v == verb::apop && b.empty()) return errc::invalid_argument;
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) {
    s.put(to_string(v));
    if (!a.empty() || v == verb::pass) {
      s.put(' ');
      s.put(a);
    }
    if (!b.empty()) {
      s.put(' ');
      s.put(b);
    }
    s.end_line();
  });
}

/// Client side: LIST n, UIDL n, RETR n, DELE n, TOP n lines.
inline errc write_message_command(output_queue& out, verb v, std::uint32_t message, std::uint64_t lines = 0) {
  const bool takes_number = v == verb::list || v == verb::uidl || v == verb::retr || v == verb::dele || v == verb::top;
  if (!takes_number || message == 0) return errc::invalid_argument;
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) {
    s.put(to_string(v));
    s.put(' ');
    s.number(message);
    if (v == verb::top) {
      s.put(' ');
      s.number(lines);
    }
    s.end_line();
  });
}

/// Server side: queues "+OK" [SP text] CRLF. `text` is free text (no
/// control character but HTAB): anything else is errc::invalid_argument,
/// nothing queued.
inline errc write_ok(output_queue& out, std::string_view text = {}) {
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) {
    s.put("+OK");
    if (!text.empty()) {
      s.put(' ');
      s.put_text(text);
    }
    s.end_line();
  });
}

/// Server side: queues "-ERR" [SP "[" code "]"] [SP text] CRLF.
/// response_code::other cannot be written (it has no spelling).
inline errc write_err(output_queue& out, response_code code, std::string_view text) {
  if (code == response_code::other) return errc::invalid_argument;
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) {
    s.put("-ERR");
    if (code != response_code::none) {
      s.put(" [");
      s.put(to_string(code));
      s.put(']');
    }
    if (!text.empty()) {
      s.put(' ');
      s.put_text(text);
    }
    s.end_line();
  });
}

}  // namespace pop3
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_POP3_COMMAND_HPP
