// mailwire: splits a receive buffer into CRLF-terminated lines.
//
// Every line-based protocol reads through this: SMTP commands and replies,
// POP3, IMAP lines up to a literal, MIME headers. Each line comes out as a
// view without its terminator, with the stream offset of its first byte.
//
// Framing rules (RFC 5321 2.3.8, RFC 9051 2.2, RFC 5322 2.1): a line ends at
// CR LF. By default
//  - LF without a CR before it is an error (errc::bare_lf);
//  - CR inside a line, not followed by LF, is an error (errc::bare_cr);
//  - a line longer than options::max_length bytes, counting its CRLF, or
//    one that fills the receive buffer, is an error (errc::line_too_long).
// An error never desynchronises the reader: the offending line is dropped
// up to and including its LF (an over-long line is reported once, as soon as
// it is known to be too long, and the rest of it is discarded as it arrives),
// and the next line is read normally. The error carries the offset of the
// offending byte (the LF, the CR, or the line's first byte when too long).
// Events and offsets are the same however the input is split.
//
// Cost: each byte is searched once for LF (memchr from the buffer's scan
// mark, never past max_length), and a complete line once more for CR.
// Memory: nothing beyond the recv_buffer; a line is never copied.
#ifndef MAILWIRE_CORE_LINE_READER_HPP
#define MAILWIRE_CORE_LINE_READER_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"

namespace mailwire {
inline namespace v0 {

/// How a line_reader cuts lines: strict CRLF by default, each leniency named.
struct line_options {
  /// Longest line accepted, counting its CRLF (or its LF, when bare LF is
  /// allowed). Must be at least 2. Default: RFC 5321's text line.
  std::size_t max_length = limits::smtp_text_line;
  /// Lenient: accept LF alone as a line end. Reopens SMTP smuggling (a
  /// receiver and a forwarder disagreeing on where DATA ends); never enable
  /// it on a server that relays mail.
  bool allow_bare_lf = false;
  /// Lenient: keep a CR that is not followed by LF as part of the line.
  /// Reopens the "\r.\r" smuggling variants in the same way.
  bool allow_bare_cr = false;

  /// Strict options with this maximum (C++17 has no designated
  /// initialisers: this names the one field callers set most).
  static line_options with_max_length(std::size_t n) noexcept {
    line_options o;
    o.max_length = n;
    return o;
  }
};

/// What line_reader::next() found.
struct line_result {
  /// What was found.
  enum class status : std::uint8_t {
    line,       ///< `text` holds one line, terminator removed
    need_more,  ///< no complete line yet: feed more bytes
    error,      ///< `error` says what; the bad line has been dropped
  };
  /// What was found: a line, nothing yet, or an error.
  status state = status::need_more;
  /// The line without CRLF; valid until the next non-const call on the
  /// buffer it came from.
  std::string_view text;
  /// Stream offset of the line's first byte, or of the offending byte.
  std::uint64_t offset = 0;
  /// Why the line was refused (state error): line_too_long, bare_lf or
  /// bare_cr.
  errc error = errc::ok;
};

/// Cuts CRLF-terminated lines out of a recv_buffer, resuming its scan where it
/// stopped (no byte is searched twice), within line_options::max_length.
class line_reader {
 public:
  /// A reader with these options (a max_length under 2 is read as 2).
  explicit line_reader(line_options options = {}) noexcept : options_(options) {
    if (options_.max_length < 2) options_.max_length = 2;
  }

  /// The options in use.
  const line_options& options() const noexcept { return options_; }

  /// Takes the next line out of `in`, consuming it (and its terminator).
  line_result next(recv_buffer& in) noexcept {
    if (discarding_ && !skip_to_line_end(in)) return {};
    const std::string_view data = in.data();
    const std::size_t window = data.size() < options_.max_length ? data.size() : options_.max_length;
    const std::size_t from = in.scanned();
    const char* hit = find_lf(data.data() + from, window - from);
    if (hit == nullptr) {
      if (window < options_.max_length && in.room() != 0) {
        in.set_scanned(window);
        return {};
      }
      // No LF within max_length bytes, or the buffer is full without one
      // (a buffer smaller than max_length must not wedge the session): the
      // line is too long whatever comes next. Report it once, then drop it
      // as it arrives.
      const std::uint64_t start = in.offset();
      in.consume(window);
      discarding_ = true;
      skip_to_line_end(in);
      return {line_result::status::error, {}, start, errc::line_too_long};
    }

    const auto lf = static_cast<std::size_t>(hit - data.data());
    const std::uint64_t start = in.offset();
    std::size_t end = lf;  // end of the line's text
    if (lf > 0 && data[lf - 1] == '\r') {
      --end;
    } else if (!options_.allow_bare_lf) {
      in.consume(lf + 1);
      return {line_result::status::error, {}, start + lf, errc::bare_lf};
    }
    in.consume(lf + 1);  // the bytes stay in place until the next non-const call
    if (!options_.allow_bare_cr) {
      if (const char* cr = static_cast<const char*>(std::memchr(data.data(), '\r', end))) {
        return {line_result::status::error, {}, start + static_cast<std::size_t>(cr - data.data()),
                errc::bare_cr};
      }
    }
    return {line_result::status::line, data.substr(0, end), start, errc::ok};
  }

  /// True while the reader is dropping the rest of an over-long line.
  bool discarding() const noexcept { return discarding_; }

  /// Drops what arrives up to and including the next LF before reading a
  /// line: the rest of an over-long line that another reader (with other
  /// limits, such as an AUTH exchange's) reported and stopped reading.
  void discard_line() noexcept { discarding_ = true; }

 private:
  static const char* find_lf(const char* p, std::size_t n) noexcept {
    return n == 0 ? nullptr : static_cast<const char*>(std::memchr(p, '\n', n));
  }

  // Drops bytes up to and including the next LF; true once it was found.
  bool skip_to_line_end(recv_buffer& in) noexcept {
    const std::string_view data = in.data();
    const char* hit = find_lf(data.data(), data.size());
    if (hit == nullptr) {
      in.consume(data.size());
      return false;
    }
    in.consume(static_cast<std::size_t>(hit - data.data()) + 1);
    discarding_ = false;
    return true;
  }

  line_options options_;
  bool discarding_ = false;
};

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_LINE_READER_HPP
