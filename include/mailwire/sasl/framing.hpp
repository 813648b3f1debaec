// mailwire: how SASL messages travel inside SMTP, POP3 and IMAP lines.
//
// The three protocols frame an exchange the same way (RFC 4954 4 for SMTP
// AUTH, RFC 5034 4 for POP3 AUTH, RFC 9051 6.2.2 for IMAP AUTHENTICATE):
//  - the server sends each challenge as a line: a prefix ("334 " in SMTP,
//    "+ " in POP3 and IMAP), the message in base64, CRLF;
//  - the client answers each with a line holding the message in base64
//    (an empty message is an empty line), or "*" to cancel;
//  - an initial response on the command line is base64, or "=" for an
//    empty one (RFC 4954 4, RFC 5034 4, RFC 4959 3): each protocol's
//    command writer spells that, as part of its command's syntax.
// Only the prefix and the replies around the exchange differ, so the
// machines of every protocol frame through these functions: one encoder,
// one strict decoder, every line through the one emit point (core/emit.hpp).
//
// Errors: the writers return errc::invalid_argument (nothing queued) for a
// prefix holding CR, LF or NUL; the readers say malformed for anything
// that is not canonical base64 (strict mode: no whitespace, no junk, no
// non-zero pad bits), so two spellings never decode alike.
#ifndef MAILWIRE_SASL_FRAMING_HPP
#define MAILWIRE_SASL_FRAMING_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/core/base64.hpp"
#include "mailwire/core/emit.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace sasl {

/// Server: queues a challenge line, `prefix` + base64(`message`) + CRLF.
inline errc write_challenge(output_queue& out, std::string_view prefix, std::string_view message) {
  const std::string text = base64::encode(message);
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) {
    s.put(prefix);
    s.put(text);
    s.end_line();
  });
}

/// Client: queues the answer to a challenge, base64(`message`) + CRLF.
inline errc write_response(output_queue& out, std::string_view message) {
  const std::string text = base64::encode(message);
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) {
    s.put(text);
    s.end_line();
  });
}

/// Client: queues "*" CRLF, which cancels the exchange; the server answers
/// with its protocol's failure reply.
inline errc write_cancel(output_queue& out) {
  return mailwire::detail::emit(out, [](mailwire::detail::wire_sink& s) {
    s.put('*');
    s.end_line();
  });
}

/// What read_response() found in a client's line.
struct response_line {
  /// What the line was.
  enum class status : std::uint8_t {
    message,    ///< `message` holds the decoded bytes
    cancel,     ///< the client sent "*"
    malformed,  ///< not canonical base64
  };
  /// What the line was.
  status state = status::malformed;
  /// message: the decoded bytes.
  std::string message;
};

/// Server: reads one line the client sent during an exchange (without its
/// CRLF).
inline response_line read_response(std::string_view line) {
  response_line r;
  if (line == "*") {
    r.state = response_line::status::cancel;
  } else if (base64::decode(line, r.message, base64::mode::strict)) {
    r.state = response_line::status::message;
  }
  return r;
}

/// Client: decodes a challenge's text (after the prefix) into `out`; false
/// when it is not canonical base64.
inline bool read_challenge(std::string_view text, std::string& out) {
  return static_cast<bool>(base64::decode(text, out, base64::mode::strict));
}

}  // namespace sasl
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SASL_FRAMING_HPP
