// mailwire: SMTP/LMTP replies (RFC 5321 4.2) and enhanced status codes
// (RFC 3463, RFC 2034), syntax tier.
//
//  - parse_reply_line() reads one reply line (without its CRLF): the code,
//    whether it is the last line of its reply, and the text. Stateless, no
//    allocation; the text is a view into the caller's line.
//  - parse_enhanced_status() reads "class.subject.detail" at the start of a
//    reply text.
//  - reply_assembler takes the lines of a reply one at a time (typically
//    from core/line_reader) and yields a complete `reply`: one code, the
//    enhanced status code, and every line's text. It copies the texts into
//    its own buffer, whose size is bounded by reply_options; views it hands
//    out are valid until its next non-const call. owned_reply keeps a reply
//    beyond that.
//
// Writing replies is in smtp/writer.hpp.
#ifndef MAILWIRE_SMTP_REPLY_HPP
#define MAILWIRE_SMTP_REPLY_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {

// -- enhanced status codes ----------------------------------------------------

/// An enhanced mail system status code, RFC 3463 2: "class.subject.detail",
/// as in "250 2.1.5 Ok". `cls` is 2 (success), 4 (persistent transient
/// failure) or 5 (permanent failure); `subject` and `detail` are 0-999.
/// A value built by the caller is checked by the writers (smtp/writer.hpp),
/// which refuse anything out of range.
struct enhanced_status {
  /// The class: 2 success, 4 persistent transient failure, 5 permanent failure.
  std::uint8_t cls = 0;
  /// The subject (RFC 3463 3: 1 addressing, 2 mailbox, 3 mail system...).
  std::uint16_t subject = 0;
  /// The detail, within the subject.
  std::uint16_t detail = 0;

  constexpr bool operator==(const enhanced_status& o) const noexcept {
    return cls == o.cls && subject == o.subject && detail == o.detail;
  }
  constexpr bool operator!=(const enhanced_status& o) const noexcept { return !(*this == o); }

  /// True when every field is in the range RFC 3463 allows.
  constexpr bool valid() const noexcept {
    return (cls == 2 || cls == 4 || cls == 5) && subject <= 999 && detail <= 999;
  }
};

/// What parse_enhanced_status() found.
struct enhanced_status_match {
  /// The code found (meaningful when `length` is not 0).
  enhanced_status value;
  /// Bytes the status code took from the front of the text, including the
  /// single SP after it when there is one; 0 when the text does not start
  /// with an enhanced status code.
  std::size_t length = 0;
};

/// Reads an enhanced status code at the start of `text` (RFC 3463 2,
/// RFC 2034 3: status-code = class "." subject "." detail, class = "2" /
/// "4" / "5", subject = 1*3digit, detail = 1*3digit). The code must be
/// followed by SP or by the end of the text, else it is not one (so
/// "2.0.0.1 ..." and "5.1.1x" are plain text). Never fails: length 0 means
/// no status code.
constexpr enhanced_status_match parse_enhanced_status(std::string_view text) noexcept {
  enhanced_status_match m{};
  if (text.size() < 5) return m;
  // class: RFC 3463 2 "2" / "4" / "5"
  const char c = text[0];
  if ((c != '2' && c != '4' && c != '5') || text[1] != '.') return m;
  // subject "." detail, each RFC 3463 2 1*3digit, ending at SP or at the
  // end of the text ("5.1.1x" and "5.1.1234" are plain text)
  const std::size_t dot = text.find('.', 2);
  if (dot == std::string_view::npos) return m;
  const std::size_t end = (std::min)(text.find(' ', dot), text.size());
  std::uint64_t subject = 0;
  std::uint64_t detail = 0;
  if (!parse_number(text.substr(2, dot - 2), 3, subject) ||
      !parse_number(text.substr(dot + 1, end - dot - 1), 3, detail)) {
    return m;
  }
  m.value.cls = static_cast<std::uint8_t>(c - '0');
  m.value.subject = static_cast<std::uint16_t>(subject);
  m.value.detail = static_cast<std::uint16_t>(detail);
  m.length = end < text.size() ? end + 1 : end;  // with the SP that separates it from the text
  return m;
}

// -- one reply line -----------------------------------------------------------

/// One reply line, as parse_reply_line() read it.
struct reply_line {
  /// errc::ok, or errc::malformed_reply (nothing else is meaningful).
  errc error = errc::ok;
  /// 200-559: first digit 2-5, second 0-5 (RFC 5321 4.2.1).
  std::uint16_t code = 0;
  /// True for "code SP text" or a bare "code": the reply's last line.
  /// False for "code-text": more lines follow.
  bool last = false;
  /// The text after the separator, as sent (enhanced status code included);
  /// a view into the line given to parse_reply_line().
  std::string_view text;
};

/// Parses one reply line, without its CRLF (RFC 5321 4.2):
///
///     Reply-line = *( Reply-code "-" [ textstring ] CRLF )
///                     Reply-code [ SP textstring ] CRLF
///     Reply-code = %x32-35 %x30-35 %x30-39
///
/// A line of just the three digits is a last line with empty text; "250 "
/// is a last line with empty text too (servers send "334 " with nothing
/// after the SP). Fails with errc::malformed_reply when the code is
/// not three digits in range, the fourth byte is neither SP nor '-', or
/// the text holds a control character other than HTAB. Bytes 0x80-0xFF
/// are accepted (see ascii::is_text): servers echo UTF-8 addresses in
/// reply texts (RFC 6531 3.7.4.2 lets them), and a client must be able to
/// read such a reply. CTLs are refused: they have no business in a reply,
/// and a CR is how reply spoofing through a relay would start. Never
/// allocates.
constexpr reply_line parse_reply_line(std::string_view line) noexcept {
  reply_line r{};
  r.error = errc::malformed_reply;
  if (line.size() < 3) return r;
  // Reply-code, RFC 5321 4.2: three digits, first 2-5, second 0-5.
  std::uint64_t value = 0;
  if (!parse_number(line.substr(0, 3), 3, value) || value < 200 || value > 559 || value % 100 > 59) return r;
  const auto code = static_cast<std::uint16_t>(value);
  bool last = true;
  std::string_view text;
  if (line.size() > 3) {
    // the separator: SP before the last line's text, "-" on every other line
    if (line[3] == ' ') {
      last = true;
    } else if (line[3] == '-') {
      last = false;
    } else {
      return r;
    }
    text = line.substr(4);
  }
  // textstring = 1*(%d09 / %d32-126) (RFC 5321 4.2), widened to 8-bit bytes
  if (!ascii::is_text(text)) return r;
  r.error = errc::ok;
  r.code = code;
  r.last = last;
  r.text = text;
  return r;
}

// -- whole replies ------------------------------------------------------------

/// Bounds of a reply_assembler. A reply that goes over one is
/// errc::reply_too_long; nothing is ever sized from the peer's input
/// beyond these.
struct reply_options {
  /// Longest reply line, counting its CRLF (RFC 5321 4.5.3.1.5: 512).
  std::size_t max_line_length = limits::smtp_reply_line;
  /// Most lines in one reply. RFC 5321 sets no bound; real EHLO replies
  /// have about 10-30 lines.
  std::size_t max_lines = limits::smtp_reply_lines;
  /// Most bytes in one reply, every line counted with its CRLF. Default:
  /// 64 KiB, the library's default buffered-bytes bound; at most 4 GiB - 1.
  std::size_t max_bytes = limits::max_buffered;
};

/// Where one line's text sits in a reply's buffer: [begin, end), and where
/// the text after its enhanced status code starts.
struct reply_line_span {
  /// Where the line's text starts (after "code-" or "code SP").
  std::uint32_t begin = 0;
  /// Where the text after the enhanced status code (and its SP) starts.
  std::uint32_t text_begin = 0;
  /// One past the line's last byte (CRLF excluded).
  std::uint32_t end = 0;
};

/// A complete reply: a view into the buffer of the reply_assembler (or the
/// owned_reply) it came from, valid as long as that buffer is unchanged
/// (for an assembler: until its next non-const call).
class reply {
 public:
  constexpr reply() noexcept = default;
  /// A reply over `data` with `count` lines at `lines` (what reply_assembler and
  /// owned_reply build; the spans must lie inside `data`).
  constexpr reply(std::uint16_t code, std::optional<enhanced_status> status, std::string_view data,
                  const reply_line_span* lines, std::size_t count) noexcept
      : code_(code), status_(status), data_(data), lines_(lines), count_(count) {}

  /// The three-digit code, the same on every line.
  constexpr std::uint16_t code() const noexcept { return code_; }
  /// The enhanced status code at the start of the first line's text, when
  /// it has one whose class is the code's first digit (RFC 2034 3 asks for
  /// it on every line; a status whose class contradicts the code is taken
  /// as plain text).
  constexpr std::optional<enhanced_status> status() const noexcept { return status_; }
  /// Number of lines (at least 1 in a reply from an assembler).
  constexpr std::size_t size() const noexcept { return count_; }
  /// Line i's text without the enhanced status code (and its SP) when the
  /// line starts with one of the reply's class. Precondition: i < size().
  constexpr std::string_view text(std::size_t i) const noexcept {
    return data_.substr(lines_[i].text_begin, lines_[i].end - lines_[i].text_begin);
  }
  /// Line i's text exactly as sent after "code-" or "code SP". This is what
  /// EHLO keywords are read from. Precondition: i < size().
  constexpr std::string_view raw_text(std::size_t i) const noexcept {
    return data_.substr(lines_[i].begin, lines_[i].end - lines_[i].begin);
  }

  /// RFC 5321 4.2.1: the first digit says how the command fared.
  constexpr bool positive_completion() const noexcept { return code_ / 100 == 2; }
  /// 3yz: go on (354 after DATA, 334 in AUTH).
  constexpr bool positive_intermediate() const noexcept { return code_ / 100 == 3; }
  /// 4yz: failed for now; the same command may succeed later.
  constexpr bool transient_negative() const noexcept { return code_ / 100 == 4; }
  /// 5yz: failed; do not repeat it as it is.
  constexpr bool permanent_negative() const noexcept { return code_ / 100 == 5; }

  /// The bytes and spans behind the views, for owned_reply.
  constexpr std::string_view data() const noexcept { return data_; }
  /// The spans of the lines, size() of them.
  constexpr const reply_line_span* spans() const noexcept { return lines_; }

 private:
  std::uint16_t code_ = 0;
  std::optional<enhanced_status> status_;
  std::string_view data_;
  const reply_line_span* lines_ = nullptr;
  std::size_t count_ = 0;
};

/// An owning copy of a reply. Copyable; view() stays valid as long as the
/// owned_reply lives unmodified.
class owned_reply {
 public:
  owned_reply() = default;
  /// Copies `r`'s bytes and spans.
  explicit owned_reply(const reply& r)
      : code_(r.code()), status_(r.status()), data_(r.data()), lines_(r.spans(), r.spans() + r.size()) {}

  /// The reply, viewing this object (valid while it lives unmodified).
  reply view() const noexcept { return {code_, status_, data_, lines_.data(), lines_.size()}; }
  /// As reply::code().
  std::uint16_t code() const noexcept { return code_; }
  /// As reply::status().
  std::optional<enhanced_status> status() const noexcept { return status_; }
  /// As reply::size().
  std::size_t size() const noexcept { return lines_.size(); }
  /// As reply::text().
  std::string_view text(std::size_t i) const noexcept { return view().text(i); }
  /// As reply::raw_text().
  std::string_view raw_text(std::size_t i) const noexcept { return view().raw_text(i); }

 private:
  std::uint16_t code_ = 0;
  std::optional<enhanced_status> status_;
  std::string data_;
  std::vector<reply_line_span> lines_;
};

/// What reply_assembler::feed_line() did with a line.
struct reply_result {
  /// What happened to the line.
  enum class status : std::uint8_t {
    need_more,  ///< the line was taken; the reply goes on
    complete,   ///< the line ended a reply: reply_assembler::get() holds it
    error,      ///< `error` says what (see reply_assembler)
  };
  /// What happened to the line.
  status state = status::need_more;
  /// error: why the line or the reply was refused.
  errc error = errc::ok;
};

/// Builds replies from lines. Feed it every line the server sends (text
/// without CRLF); each `complete` result makes a whole reply available
/// through get() until the next non-const call.
///
/// Errors, reported as they become known:
///  - errc::malformed_reply: the line is not a reply line;
///  - errc::smtp_inconsistent_reply: a line's code differs from the first
///    line's (RFC 5321 4.2.1 requires the same code on every line);
///  - errc::reply_too_long: a line is longer than max_line_length, or
///    the reply gets more than max_lines lines or max_bytes bytes.
/// After an error the partial reply is dropped. When the error happened
/// inside a multi-line reply, or on a continuation ("code-") line, the
/// assembler then drops lines up to and including the next last line
/// ("code SP" or a bare code), so that the following reply is read whole and
/// replies stay matched to commands; discarding() says when it does. A
/// malformed line seen outside a reply leaves it waiting for a first line.
///
/// Memory: one buffer of at most max_bytes and at most max_lines spans,
/// kept between replies to avoid reallocation.
class reply_assembler {
 public:
  /// A max_bytes above 4 GiB - 1 is lowered to it (line spans are 32-bit).
  explicit reply_assembler(reply_options options = {}) : options_(options) {
    if (options_.max_bytes > UINT32_MAX) options_.max_bytes = UINT32_MAX;
  }

  /// The limits in use.
  const reply_options& options() const noexcept { return options_; }

  /// Takes one line (without its CRLF).
  reply_result feed_line(std::string_view line) {
    if (complete_) clear_reply();
    const reply_line l = parse_reply_line(line);
    if (discarding_) {
      if (l.error == errc::ok && l.last) discarding_ = false;
      return {};
    }
    if (l.error != errc::ok) return fail(l.error, !lines_.empty());
    if (!lines_.empty() && l.code != code_) return fail(errc::smtp_inconsistent_reply, !l.last);
    if (line.size() + 2 > options_.max_line_length || lines_.size() + 1 > options_.max_lines ||
        bytes_ + line.size() + 2 > options_.max_bytes) {
      return fail(errc::reply_too_long, !l.last);
    }
    if (lines_.empty()) code_ = l.code;
    bytes_ += line.size() + 2;
    reply_line_span s;
    s.begin = static_cast<std::uint32_t>(data_.size());
    s.text_begin = s.begin;
    const enhanced_status_match m = parse_enhanced_status(l.text);
    if (m.length != 0 && m.value.cls == code_ / 100) {
      if (lines_.empty()) status_ = m.value;
      s.text_begin = static_cast<std::uint32_t>(s.begin + m.length);
    }
    data_.append(l.text.data(), l.text.size());
    s.end = static_cast<std::uint32_t>(data_.size());
    lines_.push_back(s);
    if (!l.last) return {};
    complete_ = true;
    return {reply_result::status::complete, errc::ok};
  }

  /// The reply the last `complete` result announced. Valid until the next
  /// non-const call; empty (size() 0) otherwise.
  reply get() const noexcept {
    if (!complete_) return {};
    return {code_, status_, data_, lines_.data(), lines_.size()};
  }

  /// True while lines are dropped after an error (see the class comment).
  bool discarding() const noexcept { return discarding_; }
  /// True while a multi-line reply has started and not ended.
  bool in_reply() const noexcept { return !complete_ && !lines_.empty(); }

  /// Forgets any partial reply and any discarding; for a caller whose line
  /// framing failed (errc::line_too_long from the line reader) and who
  /// decides how to go on.
  void reset() noexcept {
    clear_reply();
    discarding_ = false;
  }

 private:
  reply_result fail(errc e, bool discard_rest) noexcept {
    clear_reply();
    discarding_ = discard_rest;
    return {reply_result::status::error, e};
  }
  void clear_reply() noexcept {
    data_.clear();
    lines_.clear();
    bytes_ = 0;
    code_ = 0;
    status_.reset();
    complete_ = false;
  }

  reply_options options_;
  std::string data_;
  std::vector<reply_line_span> lines_;
  std::size_t bytes_ = 0;
  std::uint16_t code_ = 0;
  std::optional<enhanced_status> status_;
  bool complete_ = false;
  bool discarding_ = false;
};

}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_REPLY_HPP
