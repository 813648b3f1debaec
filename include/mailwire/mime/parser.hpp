// mailwire: the MIME push parser.
//
// Feed a message's bytes in any chunking; pull events. The parser never
// holds the message: its memory is bounded by the nesting depth and by the
// longest header field it must hold (options), whatever the size of the
// message or of any part.
//
//     mime::parser p;
//     while (more input) {
//       std::string_view chunk = ...;
//       while (!chunk.empty()) {
//         chunk.remove_prefix(p.feed(chunk));     // takes what fits
//         for (auto e = p.next(); e.type != mime::event_type::need_more; e = p.next())
//           handle(e);
//       }
//     }
//     p.finish();                                  // the input ended
//     for (auto e = p.next(); e.type != mime::event_type::end; e = p.next()) handle(e);
//
// Events of one entity (the message itself, a body part, or the message
// inside a message/rfc822 part), in this order:
//
//   header*       each header field as it completes (name, raw value)
//   part_begin    once the header block has ended: the entity's typed view
//                 (Content-Type, -Disposition, -Transfer-Encoding, -ID)
//   then, for a leaf:       body*  (transfer-decoded unless options say raw)
//         for a multipart:  preamble*, the child entities, epilogue*
//         for message/rfc822 and message/global: the nested entity
//   part_end      with the entity's end offsets and body size
//
// interleaved with `diagnostic` events, and `end` after finish() once all
// input is spent. Every offset is a byte offset into the whole input.
//
// Split independence: the events, their offsets and the bytes they carry are
// the same however the input is split, except where body, preamble and
// epilogue chunks are cut (their concatenation per entity is the same) and
// where a diagnostic raised inside a body falls between those chunks.
//
// Readings where readers disagree (each is flagged with a diagnostic):
//  - A boundary line is "--" boundary ["--"] followed only by spaces/tabs to
//    the end of the line (RFC 2046 5.1.1), and the line break before it
//    belongs to it. A line that merely starts with the boundary is body.
//  - A boundary of any enclosing multipart also ends the inner entities
//    (their missing close boundaries are flagged).
//  - The line break after a close boundary is not in the epilogue; when an
//    enclosing boundary follows at once, it is that boundary's line break.
//  - A delimiter line right after another gives an empty entity (no
//    header, no body), flagged mime_truncated; Python's email skips it.
//  - The first Content-Type (-Transfer-Encoding, -Disposition) field wins.
//  - A line without a colon in a header block ends the header block and is
//    the first line of the body (RFC 5322 2.2, Python's email), except:
//    a "From " line at the very start of the message, or a "From " or
//    ">From " line at the start of a message/rfc822 part's message (mbox
//    separators, the second one quoted by an mbox writer), is skipped
//    (mime_mbox_from_line); with parser_options::allow_header_without_colon,
//    such a line after the first field is skipped when the line after it
//    is a field and it does not start with "--", as GMime reads it
//    (mime_header_without_colon either way).
//  - A UTF-8 byte order mark at the very start of the message is skipped
//    (as GMime does), reported as mime_bom_skipped.
//  - A multipart without a boundary parameter, or nested deeper than
//    max_depth, is read as a leaf. Content-Transfer-Encoding other than
//    7bit/8bit/binary on a multipart is ignored; on a message/rfc822 part
//    it makes the part a leaf (decoded, not parsed).
//
// The event types (event, part, header_field) are in event.hpp; what makes a
// line a boundary line is in boundary.hpp, which the message builder shares.
//
// Lifetimes: an event's views (and its `entity` pointer) are valid until the
// next non-const call on the parser.
#ifndef MAILWIRE_MIME_PARSER_HPP
#define MAILWIRE_MIME_PARSER_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/core/scan.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/mime/boundary.hpp"
#include "mailwire/mime/content_type.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/event.hpp"
#include "mailwire/mime/transfer_encoding.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// Limits and choices of one parser. Each limit, when exceeded, gives a
/// diagnostic and a defined continuation, never an abort.
struct parser_options {
  /// Nesting of multiparts and messages below the top entity. Deeper
  /// multiparts and messages are read as leaves (mime_depth_exceeded).
  std::size_t max_depth = limits::mime_depth;
  /// Bytes of one header field, folded lines and line breaks included. A
  /// longer field is cut to this length (mime_header_too_long) and the rest
  /// of it skipped. Real mail has 2,000-character lines, and References
  /// fields of tens of kilobytes.
  std::size_t max_field = limits::mime_field;
  /// Header fields reported per entity; further fields are skipped
  /// (mime_too_many_fields).
  std::size_t max_fields = limits::mime_fields;
  /// Entities in the whole message. Past it, the rest of the enclosing
  /// multipart up to its close boundary is skipped (mime_too_many_parts).
  std::size_t max_parts = limits::mime_parts;
  /// Longest boundary parameter used. RFC 2046 allows 70 characters; longer
  /// ones are real and are used (mime_boundary_too_long), up to this bound;
  /// past it the multipart is read as a leaf.
  std::size_t max_boundary = limits::mime_boundary_used;
  /// Transfer-decode bodies (base64, quoted-printable, uuencode). When
  /// false, body events carry the raw bytes.
  bool decode = true;
  /// A header line without a colon after the entity's first field (real
  /// Exchange mail has them) is skipped, and the header block goes on, when
  /// the line after it is a field ("Name:"); off: it ends the header block
  /// and starts the body, as RFC 5322 2.2 and Python's email read it.
  /// mime_header_without_colon is reported either way. Reopens: header
  /// smuggling between readers. Fields after such a line (Content-Type,
  /// Content-Transfer-Encoding) are body text to a strict reader and
  /// header to a lenient one, so a filter and a display that read with
  /// different settings see different structures and attachments. A
  /// display client should turn it on (it then shows what GMime,
  /// Thunderbird and Outlook show); a filter must read as the display it
  /// protects does, or scan both readings.
  bool allow_header_without_colon = false;
  /// How the charsets of Content-Type and Content-Disposition parameters
  /// (RFC 2231 and RFC 2047 file names) are converted; a hook here (not
  /// owned) must outlive the parser. Bodies are not converted by the parser.
  charset_options charsets;
};

namespace detail {

// The parser's input: the caller's chunk itself while nothing is buffered,
// else the buffer. Parsing a 64 KiB chunk in place saves copying it into
// the buffer (about a tenth of a parse); only what the parser cannot finish
// with the chunk (an incomplete line, a boundary cut in two) is copied, by
// keep(), when it asks for more input. It takes exactly what recv_buffer
// would (at most max_size bytes live), so the counts feed() returns, and
// with them every event, are the same as when copying.
class borrowing_input {
 public:
  explicit borrowing_input(std::size_t max_size) noexcept : buffer_(max_size) {}

  std::size_t feed(std::string_view bytes) {
    if (bytes.empty()) return 0;
    if (borrowed_.empty() && buffer_.empty()) {
      borrowed_ = bytes.substr(0, buffer_.max_size());
      return borrowed_.size();
    }
    keep();
    return buffer_.feed(bytes);
  }
  // Copies the borrowed bytes not yet consumed into the buffer (they fit:
  // the buffer is empty while bytes are borrowed).
  void keep() {
    if (borrowed_.empty()) return;
    buffer_.feed(borrowed_);
    borrowed_ = {};
  }

  std::string_view data() const noexcept { return borrowed_.empty() ? buffer_.data() : borrowed_; }
  std::size_t size() const noexcept { return data().size(); }
  std::uint64_t offset() const noexcept { return offset_; }
  void consume(std::size_t n) noexcept {
    if (borrowed_.empty()) {
      buffer_.consume(n);
    } else {
      borrowed_.remove_prefix(n);
    }
    offset_ += n;
    scanned_ = scanned_ > n ? scanned_ - n : 0;
  }
  std::size_t scanned() const noexcept { return scanned_; }
  void set_scanned(std::size_t n) noexcept { scanned_ = n; }

 private:
  recv_buffer buffer_;          // its own offset and scan mark are not used
  std::string_view borrowed_;   // the caller's bytes, parsed in place
  std::uint64_t offset_ = 0;    // stream offset of data()[0]
  std::size_t scanned_ = 0;     // bytes at the front already searched
};

}  // namespace detail

/// The push parser. One parser reads one message; it holds at most one
/// header field, one boundary line and a stack of open entities (bounded by
/// parser_options), never a body.
class parser {
 public:
  /// A parser for one message under `options` (limits and leniencies,
  /// copied).
  explicit parser(const parser_options& options = {});

  /// Hands over input; returns how many bytes were taken (all of them
  /// unless the buffer is full: then pull events and feed the rest). After
  /// finish(), takes nothing.
  ///
  /// Lifetime: the parser reads the bytes taken in place, without copying
  /// them, so they must stay valid and unchanged until next() returns
  /// need_more or end (the loop at the top of this file does that); then
  /// the parser has copied what it still needs.
  std::size_t feed(std::string_view bytes);

  /// The input has ended: what is buffered is the end of the message.
  void finish() noexcept { eof_ = true; }

  /// The next event; need_more when the fed input is spent (end after
  /// finish()). Never fails: malformed input gives diagnostics. The event's
  /// views are valid until the next non-const call.
  event next();

  /// Entities begun so far.
  std::uint32_t parts() const noexcept { return parts_; }

 private:
  // The member functions are defined below the class, in the order of this
  // list. next() runs one step of the machine at a time; a step either
  // returns an event or changes the state and sets progressed_.
  enum class step : std::uint8_t { headers, headers_done, nested, body, boundary, closing, done };
  enum class section : std::uint8_t { headers, body, preamble, children, skipping, epilogue };
  enum class match : std::uint8_t { no, yes, more };

  // Per-entity diagnostics reported at most once.
  enum flag : std::uint8_t { flag_nul = 1, flag_bare_cr = 2, flag_fields = 4 };

  struct frame {
    part info;
    std::string boundary;      // multipart only
    std::string raw_type;      // first Content-Type value, and so on
    std::string raw_encoding;
    std::string raw_disposition;
    std::string raw_id;
    std::uint64_t raw_offsets[4] = {};  // their values' offsets
    std::uint8_t seen = 0;     // which of the four fields were seen
    std::uint8_t flags = 0;
    section sec = section::headers;
    bool saw_boundary = false;
    bool headers_ended = false;  // by a blank line (else: truncated)
    bool in_digest = false;      // children default to message/rfc822
    bool flushed = false;        // the decoder's last bytes were delivered
    bool texted = false;         // a body/preamble/epilogue event was given
    bool after_close = false;    // the line break after the close boundary is next
    body_decoder decoder{transfer_encoding::binary};
  };

  // -- helpers
  frame& top() noexcept { return stack_.back(); }
  std::uint64_t at(std::size_t pos) const noexcept { return in_.offset() + pos; }
  void diag(errc code, std::uint64_t offset) { diags_.push_back({code, offset}); }
  static bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }
  event take_diagnostic();
  void consume_pending();
  void start_entity(std::uint32_t parent, std::uint32_t depth, std::uint64_t offset, bool digest_child);
  std::size_t find_lf(std::string_view d, std::size_t from) noexcept;
  static std::size_t eol_length(std::string_view d, std::size_t lf, std::size_t line_start) noexcept;
  match match_boundary(std::string_view d, std::size_t& which, bool& close, std::size_t& length) const noexcept;

  // -- header block
  event step_headers();
  static std::size_t field_name_end(std::string_view line) noexcept;
  event emit_field(std::string_view d);
  event overflow(std::string_view d);
  event field_event(std::string_view raw, bool cut);
  void check_header_bytes(std::string_view raw, std::uint64_t offset);
  void remember_field(frame& f, std::string_view name, std::string_view value, std::uint64_t offset,
                      std::uint64_t value_offset);
  event end_headers(bool blank_line, bool cut = false);
  event step_headers_done();
  event step_nested();
  static std::string strip_id(std::string_view v);

  // -- bodies, preambles, epilogues
  event step_body();
  event step_after_close();
  static std::size_t next_dash_line(std::string_view d, std::size_t from) noexcept;
  std::size_t eol_before(std::string_view d, std::size_t p) const noexcept;
  event emit_text(std::string_view text, std::size_t scanned, bool line);
  void check_body_bytes(frame& f, std::string_view text, char next, std::uint64_t offset);
  static std::size_t find_bare_cr(std::string_view text, char next) noexcept;

  // -- boundaries and ends
  event step_boundary();
  event end_top(bool by_boundary);
  event step_closing();

  parser_options options_;
  detail::borrowing_input in_;
  std::vector<frame> stack_;
  diagnostics diags_;
  std::size_t diag_head_ = 0;
  std::string decoded_;                // a decoder's last bytes, uuencode's output
  std::unique_ptr<char[]> raw_;        // the other decoders' output: see emit_text
  std::size_t raw_size_ = 0;
  part ended_;
  std::size_t pending_consume_ = 0;
  std::size_t field_len_ = 0;
  std::size_t field_colon_ = 0;  // where the pending field's name ends
  std::size_t resume_ = 0;
  std::size_t boundary_stack_ = 0;
  std::size_t boundary_length_ = 0;
  std::uint64_t boundary_offset_ = 0;
  std::uint64_t body_end_ = 0;  // where the entities a boundary ends end
  std::uint32_t parts_ = 0;
  step step_ = step::headers;
  bool eof_ = false;
  bool progressed_ = false;
  bool at_line_ = true;
  bool skip_field_ = false;
  bool skip_line_ = false;
  bool first_line_ = true;
  bool quoted_from_ = false;  // a ">From " first line is an mbox artefact too
  bool bom_checked_ = false;  // the message's first bytes were looked at
  bool boundary_close_ = false;
};

// -- implementation ----------------------------------------------------------

inline parser::parser(const parser_options& options)
    : options_(options), in_(options.max_field + options.max_boundary + 1024) {
  stack_.reserve(8);
  start_entity(part::none, 0, 0, false);
}

inline std::size_t parser::feed(std::string_view bytes) {
  if (eof_) return 0;
  return in_.feed(bytes);
}

inline event parser::next() {
  for (;;) {
    consume_pending();  // what the last event showed, or a step skipped
    if (diag_head_ < diags_.size()) return take_diagnostic();
    diags_.clear();
    diag_head_ = 0;
    event e;
    switch (step_) {
      case step::headers: e = step_headers(); break;
      case step::headers_done: e = step_headers_done(); break;
      case step::nested: e = step_nested(); break;
      case step::body: e = step_body(); break;
      case step::boundary: e = step_boundary(); break;
      case step::closing: e = step_closing(); break;
      case step::done: e.type = event_type::end; break;
    }
    if (e.type == event_type::need_more && diag_head_ < diags_.size()) continue;
    if (e.type != event_type::need_more || !progressed_) {
      if (e.type == event_type::need_more || e.type == event_type::end) {
        // The caller may now reuse the bytes it fed: keep what is left.
        consume_pending();
        in_.keep();
      }
      return e;
    }
    progressed_ = false;  // a step changed state without an event: go on
  }
}

// -- helpers

inline event parser::take_diagnostic() {
  event e;
  e.type = event_type::diagnostic;
  e.diag = diags_[diag_head_++];
  e.offset = e.diag.offset;
  e.entity = stack_.empty() ? nullptr : &top().info;
  return e;
}

inline void parser::consume_pending() {
  if (pending_consume_ > 0) {
    in_.consume(pending_consume_);
    pending_consume_ = 0;
  }
}

inline void parser::start_entity(std::uint32_t parent, std::uint32_t depth, std::uint64_t offset, bool digest_child) {
  stack_.emplace_back();
  frame& f = stack_.back();
  f.info.index = parts_++;
  f.info.parent = parent;
  f.info.depth = depth;
  f.info.offset = offset;
  f.in_digest = digest_child;
  f.sec = section::headers;
  field_len_ = 0;
  skip_field_ = false;
  first_line_ = (depth == 0);
  quoted_from_ = false;
  step_ = step::headers;
}

// Finds '\n' at or after `from` in `d`, resuming from the scan mark.
inline std::size_t parser::find_lf(std::string_view d, std::size_t from) noexcept {
  std::size_t start = from > in_.scanned() ? from : in_.scanned();
  if (start >= d.size()) return std::string_view::npos;
  const void* p = std::memchr(d.data() + start, '\n', d.size() - start);
  if (p == nullptr) {
    in_.set_scanned(d.size());
    return std::string_view::npos;
  }
  return static_cast<std::size_t>(static_cast<const char*>(p) - d.data());
}

// Length of the line break ending at `lf` (the '\n'): 2 for CRLF, 1 for LF.
inline std::size_t parser::eol_length(std::string_view d, std::size_t lf, std::size_t line_start) noexcept {
  return (lf > line_start && d[lf - 1] == '\r') ? 2 : 1;
}

// Is the line at d[0..] a boundary line of an open multipart (innermost
// first)? On `yes`, `which` is the stack index, `close` tells "--b--",
// `length` covers the line and its line break. Below two bytes it waits,
// whether or not a multipart is open.
inline parser::match parser::match_boundary(std::string_view d, std::size_t& which, bool& close,
                                            std::size_t& length) const noexcept {
  if (d.size() < 2) return (eof_ || (!d.empty() && d[0] != '-')) ? match::no : match::more;
  if (d[0] != '-' || d[1] != '-') return match::no;
  bool waiting = false;
  for (std::size_t k = stack_.size(); k-- > 0;) {
    const frame& f = stack_[k];
    if (f.info.kind != part_kind::multipart) continue;
    if (f.sec != section::preamble && f.sec != section::children && f.sec != section::skipping) continue;
    const boundary_match m = match_boundary_line(d, f.boundary, eof_);
    if (m.status == boundary_status::delimiter || m.status == boundary_status::close) {
      which = k;
      close = m.status == boundary_status::close;
      length = m.length;
      return match::yes;
    }
    if (m.status == boundary_status::more) waiting = true;
  }
  return waiting ? match::more : match::no;
}

// -- header block

inline event parser::step_headers() {
  const std::string_view d = in_.data();
  frame& f = top();
  if (skip_line_) {  // the rest of an over-long line
    const std::size_t lf = find_lf(d, 0);
    if (lf == std::string_view::npos) {
      if (eof_) {
        in_.consume(d.size());
        skip_line_ = false;
        return end_headers(false, true);
      }
      in_.consume(d.size());
      return {};
    }
    in_.consume(lf + 1);
    skip_line_ = false;
    progressed_ = true;
    return {};
  }
  if (!bom_checked_) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (d.size() < bom.size() && !eof_ && bom.substr(0, d.size()) == d) return {};
    bom_checked_ = true;
    if (d.substr(0, bom.size()) == bom) {
      diag(errc::mime_bom_skipped, at(0));
      in_.consume(bom.size());
      progressed_ = true;
      return {};
    }
  }
  const std::size_t p = field_len_;
  if (p == d.size()) {
    if (!eof_) return {};
    if (field_len_ > 0) return emit_field(d);
    return end_headers(false, true);
  }
  if (is_wsp(d[p]) && (field_len_ > 0 || skip_field_)) {  // a folded line
    const std::size_t lf = find_lf(d, p);
    if (lf == std::string_view::npos && !eof_ && d.size() <= options_.max_field) return {};
    const std::size_t line_end = lf == std::string_view::npos ? d.size() : lf + 1;
    if (skip_field_) {
      in_.consume(line_end);
      skip_line_ = lf == std::string_view::npos;  // the rest comes later
      progressed_ = true;
      return {};
    }
    if (line_end > options_.max_field) return overflow(d);
    field_len_ = line_end;
    progressed_ = true;
    return {};
  }
  if (field_len_ > 0) return emit_field(d);
  skip_field_ = false;
  // A new line: a boundary, the blank line, or a field.
  std::size_t which = 0;
  bool close = false;
  std::size_t length = 0;
  const match m = f.info.depth > 0 ? match_boundary(d, which, close, length) : match::no;
  if (m == match::more) return {};
  if (m == match::yes) return end_headers(false, true);
  if (d[0] == '\n' || (d[0] == '\r' && d.size() > 1 && d[1] == '\n')) {
    in_.consume(d[0] == '\n' ? 1 : 2);
    return end_headers(true);
  }
  if (d[0] == '\r' && d.size() == 1 && !eof_) return {};
  const std::size_t lf = find_lf(d, 0);
  if (lf == std::string_view::npos && !eof_ && d.size() <= options_.max_field) return {};
  const std::size_t line_end = lf == std::string_view::npos ? d.size() : lf + 1;
  if (is_wsp(d[0])) {  // folded line with no field before it
    diag(errc::mime_continuation_without_field, at(0));
    in_.consume(line_end);
    skip_line_ = lf == std::string_view::npos;
    skip_field_ = true;
    progressed_ = true;
    return {};
  }
  // The field name must end within max_field bytes, whatever the split.
  const std::size_t colon = field_name_end(d.substr(0, std::min(line_end, options_.max_field)));
  if (colon == std::string_view::npos) {
    if (first_line_ && (d.substr(0, 5) == "From " || (quoted_from_ && d.substr(0, 6) == ">From "))) {
      first_line_ = false;  // an mbox separator
      diag(errc::mime_mbox_from_line, at(0));
      in_.consume(line_end);
      skip_line_ = lf == std::string_view::npos;
      progressed_ = true;
      return {};
    }
    // A line that starts with "--" may be a boundary (of a multipart whose
    // header this is, declared too early): never skipped.
    if (options_.allow_header_without_colon && f.info.fields > 0 && lf != std::string_view::npos &&
        line_end <= options_.max_field && d.substr(0, 2) != "--") {
      // Read on when the next line is a field. Its name is looked for in
      // at most `look` bytes, which the buffer always has room for.
      constexpr std::size_t look = 1024;
      const std::string_view next = d.substr(line_end);
      const std::size_t next_lf = next.find('\n');
      if (next_lf == std::string_view::npos && !eof_ && next.size() < look) return {};
      const std::string_view line = next.substr(0, next_lf == std::string_view::npos ? look : next_lf);
      if (field_name_end(line) != std::string_view::npos) {
        diag(errc::mime_header_without_colon, at(0));
        in_.consume(line_end);
        progressed_ = true;
        return {};
      }
    }
    diag(errc::mime_header_without_colon, at(0));
    return end_headers(false);
  }
  first_line_ = false;
  field_colon_ = colon;
  if (line_end > options_.max_field) return overflow(d);
  field_len_ = line_end;
  progressed_ = true;
  return {};
}

// Position of the colon ending a field name (RFC 5322 3.6.8 ftext, with
// the obsolete white space before the colon of 4.5), or npos.
inline std::size_t parser::field_name_end(std::string_view line) noexcept {
  std::size_t i = 0;
  while (i < line.size() && line[i] != ':') {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c <= 32 || c >= 127) break;
    ++i;
  }
  if (i == 0) return std::string_view::npos;
  std::size_t j = i;
  while (j < line.size() && is_wsp(line[j])) ++j;
  if (j < line.size() && line[j] == ':') return j;
  return std::string_view::npos;
}

// The field at d[0, field_len_) is complete.
inline event parser::emit_field(std::string_view d) {
  const std::string_view raw = d.substr(0, field_len_);
  pending_consume_ = field_len_;
  field_len_ = 0;
  return field_event(raw, false);
}

// A field longer than max_field: report its first max_field bytes, skip
// the rest of it.
inline event parser::overflow(std::string_view d) {
  const std::string_view raw = d.substr(0, options_.max_field);
  diag(errc::mime_header_too_long, at(0));
  pending_consume_ = raw.size();
  field_len_ = 0;
  skip_field_ = true;
  skip_line_ = raw.back() != '\n';
  return field_event(raw, true);
}

inline event parser::field_event(std::string_view raw, bool cut) {
  frame& f = top();
  const std::uint64_t offset = at(0);
  std::string_view text = raw;  // the field without its final line break
  if (!cut) {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  }
  const std::size_t colon = field_colon_;
  std::string_view name = text.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  const std::string_view value = text.substr(colon + 1);
  check_header_bytes(raw, offset);
  ++f.info.fields;
  remember_field(f, name, value, offset, offset + colon + 1);
  if (f.info.fields > options_.max_fields) {
    if ((f.flags & flag_fields) == 0) diag(errc::mime_too_many_fields, offset);
    f.flags |= flag_fields;
    progressed_ = true;
    return {};
  }
  event e;
  e.type = event_type::header;
  e.entity = &f.info;
  e.offset = offset;
  e.field.raw = text;
  e.field.name = name;
  e.field.value = value;
  e.field.offset = offset;
  e.field.value_offset = offset + colon + 1;
  e.field.end = offset + raw.size();
  return e;
}

// NUL, bare CR and 8-bit bytes that are not UTF-8 (RFC 6532) in a field.
// The shared scan stops only at NUL and CR (one CR per line of a CRLF
// field), not at every byte.
inline void parser::check_header_bytes(std::string_view raw, std::uint64_t offset) {
  constexpr mailwire::detail::byte_set nul_cr = mailwire::detail::make_byte_set(std::string_view("\0\r", 2));
  const auto level = mailwire::detail::scan_level_now();
  const char* const end = raw.data() + raw.size();
  for (const char* p = raw.data(); (p = mailwire::detail::scan(level, p, end, nul_cr)) != end; ++p) {
    const auto i = static_cast<std::size_t>(p - raw.data());
    if (*p == '\0') diag(errc::nul_byte, offset + i);
    if (*p == '\r' && (p + 1 == end || p[1] != '\n')) diag(errc::bare_cr, offset + i);
  }
  const std::size_t bad = utf8::invalid_at(raw);
  if (bad != raw.size()) diag(errc::mime_8bit_header, offset + bad);
}

// The fields the parser itself reads: the first of each wins.
inline void parser::remember_field(frame& f, std::string_view name, std::string_view value, std::uint64_t offset,
                                   std::uint64_t value_offset) {
  struct known {
    std::string_view name;
    std::string frame::*raw;
  };
  static const known fields[] = {{"content-type", &frame::raw_type},
                                 {"content-transfer-encoding", &frame::raw_encoding},
                                 {"content-disposition", &frame::raw_disposition},
                                 {"content-id", &frame::raw_id}};
  for (std::uint8_t k = 0; k < 4; ++k) {
    if (!ascii::iequals(name, fields[k].name)) continue;
    const auto bit = static_cast<std::uint8_t>(1u << k);
    if ((f.seen & bit) != 0) {
      diag(errc::mime_duplicate_field, offset);
    } else {
      f.seen = static_cast<std::uint8_t>(f.seen | bit);
      f.raw_offsets[k] = value_offset;
      (f.*fields[k].raw).assign(value.data(), value.size() < options_.max_field ? value.size() : options_.max_field);
    }
    return;
  }
}

// The header block ended: by its blank line, or `cut` short by a boundary
// or the end of the input (a line without a colon is neither).
inline event parser::end_headers(bool blank_line, bool cut) {
  frame& f = top();
  f.headers_ended = blank_line;
  if (cut && f.info.depth > 0) diag(errc::mime_truncated, at(0));
  step_ = step::headers_done;
  progressed_ = true;
  return {};
}

// The header block is over: type the entity, report it, choose its body.
inline event parser::step_headers_done() {
  frame& f = top();
  part& info = f.info;
  info.body_offset = at(0);
  diagnostics found;
  const auto report = [&](std::uint64_t base) {
    for (const diagnostic& x : found) diag(x.code, base + x.offset);
    found.clear();
  };
  if ((f.seen & 1) != 0) {
    info.type = parse_content_type(f.raw_type, &found, options_.charsets);
    report(f.raw_offsets[0]);
  } else if (f.in_digest) {
    info.type = content_type{};
    info.type.type = "message";
    info.type.subtype = "rfc822";
    info.type.valid = true;
  }
  if ((f.seen & 2) != 0) {
    info.encoding = parse_transfer_encoding(f.raw_encoding);
    if (info.encoding == transfer_encoding::unknown) diag(errc::unknown_transfer_encoding, f.raw_offsets[1]);
  }
  if ((f.seen & 4) != 0) {
    info.disposition = parse_content_disposition(f.raw_disposition, &found, options_.charsets);
    report(f.raw_offsets[2]);
  }
  if ((f.seen & 8) != 0) info.content_id = strip_id(f.raw_id);
  const bool identity = info.encoding == transfer_encoding::seven_bit ||
                        info.encoding == transfer_encoding::eight_bit ||
                        info.encoding == transfer_encoding::binary;
  const bool deep = info.depth >= options_.max_depth;
  if (info.type.is_multipart()) {
    const std::string* b = info.type.find("boundary");
    if (b == nullptr || b->empty()) {
      diag(errc::mime_missing_boundary, info.offset);
    } else if (b->size() > options_.max_boundary) {
      diag(errc::mime_boundary_too_long, info.offset);
    } else if (deep) {
      diag(errc::mime_depth_exceeded, info.offset);
    } else {
      if (b->size() > limits::mime_boundary) diag(errc::mime_boundary_too_long, info.offset);
      if (!identity) diag(errc::mime_encoded_multipart, info.offset);
      info.kind = part_kind::multipart;
      info.encoding = identity ? info.encoding : transfer_encoding::seven_bit;
      f.boundary = *b;
    }
  } else if (info.type.type == "message" && (info.type.subtype == "rfc822" || info.type.subtype == "global")) {
    if (!identity) {
      diag(errc::mime_encoded_multipart, info.offset);
    } else if (deep) {
      diag(errc::mime_depth_exceeded, info.offset);
    } else if (parts_ >= options_.max_parts) {
      diag(errc::mime_too_many_parts, info.offset);
    } else {
      info.kind = part_kind::message;
    }
  }
  f.raw_type.clear();
  f.raw_type.shrink_to_fit();
  f.raw_disposition.clear();
  f.raw_disposition.shrink_to_fit();
  if (info.kind == part_kind::leaf) {
    f.sec = section::body;
    f.decoder = body_decoder(options_.decode ? info.encoding : transfer_encoding::binary, info.body_offset);
    step_ = step::body;
  } else if (info.kind == part_kind::multipart) {
    f.sec = section::preamble;
    step_ = step::body;
  } else {
    f.sec = section::children;
    step_ = step::nested;
  }
  at_line_ = true;
  resume_ = 0;
  event e;
  e.type = event_type::part_begin;
  e.entity = &f.info;
  e.offset = info.offset;
  return e;
}

// A message/rfc822 part's body is one entity, which starts right away.
inline event parser::step_nested() {
  const frame& f = top();
  start_entity(f.info.index, f.info.depth + 1, at(0), false);
  first_line_ = true;  // an attached message may keep its mbox separator
  quoted_from_ = true;
  progressed_ = true;
  return {};
}

inline std::string parser::strip_id(std::string_view v) {
  while (!v.empty() && (is_wsp(v.front()) || v.front() == '\r' || v.front() == '\n')) v.remove_prefix(1);
  while (!v.empty() && (is_wsp(v.back()) || v.back() == '\r' || v.back() == '\n')) v.remove_suffix(1);
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

// -- bodies, preambles, epilogues

// Scans the top frame's text up to the next boundary line of an open
// multipart. The line break before a line that might be a boundary is
// held back until the line is known.
inline event parser::step_body() {
  if (top().after_close) return step_after_close();
  const std::string_view d = in_.data();
  std::size_t p = resume_;   // scanning position
  bool line = at_line_;      // p is at a line start
  std::size_t cut = d.size();  // bytes [0, cut) may be emitted
  for (;;) {
    if (line) {
      std::size_t which = 0;
      bool close = false;
      std::size_t length = 0;
      const match m = match_boundary(d.substr(p), which, close, length);
      if (m == match::more) {
        cut = p - eol_before(d, p);
        break;
      }
      if (m == match::yes) {
        const std::size_t eol = eol_before(d, p);
        frame& f = top();
        // The text before the boundary's line break; a preamble is there,
        // if empty, when a line break comes before the first boundary.
        if (p - eol > 0 || (f.sec == section::preamble && eol > 0 && !f.texted)) {
          return emit_text(d.substr(0, p - eol), p, true);
        }
        boundary_stack_ = which;
        boundary_close_ = close;
        boundary_length_ = p + length;
        boundary_offset_ = at(p);
        body_end_ = at(0);
        step_ = step::boundary;
        progressed_ = true;
        return {};
      }
      line = false;
      ++p;  // this line is text; look past its first byte
    }
    // Only a line that starts with '-' can be a boundary: find the next
    // one instead of visiting every line (base64 has no '-' at all).
    const std::size_t dash = next_dash_line(d, p);
    if (dash == std::string_view::npos) {
      p = d.size();
      line = p > 0 && d[p - 1] == '\n';
      if (line && !eof_) {  // the next line is still unknown
        cut = p - eol_before(d, p);
        break;
      }
      cut = d.size();
      if (!eof_ && cut > 0 && d[cut - 1] == '\r') --cut;  // maybe the CR of a CRLF
      break;
    }
    p = dash;
    line = true;
  }
  if (cut == 0) {
    if (eof_ && d.empty()) {
      step_ = step::closing;
      progressed_ = true;
    }
    resume_ = p;
    at_line_ = line;
    return {};
  }
  return emit_text(d.substr(0, cut), p, line);
}

// Right after a close boundary: its line break separates it from the
// epilogue, which does not hold it; but when an enclosing boundary comes
// next, the line break belongs to that boundary (and the multipart ends
// where the close boundary ends).
inline event parser::step_after_close() {
  const std::string_view d = in_.data();
  std::size_t eol = 0;
  if (!d.empty() && d[0] == '\n') {
    eol = 1;
  } else if (d.size() >= 2 && d[0] == '\r' && d[1] == '\n') {
    eol = 2;
  } else if (!eof_ && (d.empty() || (d.size() == 1 && d[0] == '\r'))) {
    return {};  // not known yet
  }
  std::size_t which = 0;
  bool close = false;
  std::size_t length = 0;
  const match m = eol > 0 ? match_boundary(d.substr(eol), which, close, length) : match::no;
  if (m == match::more) return {};
  top().after_close = false;
  if (m == match::no) {
    in_.consume(eol);
    at_line_ = eol > 0;
  }
  resume_ = 0;
  progressed_ = true;
  return {};
}

// The first position at or after `from` that holds '-' at a line start
// (not 0: the caller knows whether d[0] starts a line), or npos.
inline std::size_t parser::next_dash_line(std::string_view d, std::size_t from) noexcept {
  const std::size_t q = detail::find_dash_line(d, from, mailwire::detail::scan_level_now());
  return q == d.size() ? std::string_view::npos : q;
}

// Length of the line break ending just before `p` (a line start), or 0.
inline std::size_t parser::eol_before(std::string_view d, std::size_t p) const noexcept {
  if (p == 0 || d[p - 1] != '\n') return 0;
  return eol_length(d, p - 1, 0);
}

// Delivers `text`, the front of the buffer, as the top frame's section;
// scanning goes on at `scanned` (a position before the consumption; a
// line start when `line`).
inline event parser::emit_text(std::string_view text, std::size_t scanned, bool line) {
  frame& f = top();
  const std::uint64_t offset = at(0);
  pending_consume_ = text.size();
  resume_ = scanned - text.size();
  at_line_ = line;
  in_.set_scanned(0);
  f.texted = true;
  event e;
  e.entity = &f.info;
  e.offset = offset;
  switch (f.sec) {
    case section::preamble: e.type = event_type::preamble; e.data = text; return e;
    case section::epilogue: e.type = event_type::epilogue; e.data = text; return e;
    case section::skipping: progressed_ = true; return {};
    default: break;
  }
  const std::string_view rest = in_.data().substr(text.size());
  check_body_bytes(f, text, rest.empty() ? '\0' : rest.front(), offset);
  e.type = event_type::body;
  if (!options_.decode || f.info.encoding == transfer_encoding::seven_bit ||
      f.info.encoding == transfer_encoding::eight_bit || f.info.encoding == transfer_encoding::binary ||
      f.info.encoding == transfer_encoding::unknown) {
    e.data = text;
  } else {
    if (f.decoder.decodes_into_buffer()) {
      // Into a buffer that only grows, never zero-filled: a string's
      // resize before each decode wrote every output byte twice.
      const std::size_t need = f.decoder.decoded_size_max(text.size());
      if (need > raw_size_) {
        raw_size_ = need > 2 * raw_size_ ? need : 2 * raw_size_;
        raw_.reset(new char[raw_size_]);  // default-initialised: no fill
      }
      e.data = std::string_view(raw_.get(), f.decoder.decode(text, raw_.get(), &diags_));
    } else {
      decoded_.clear();
      f.decoder.decode(text, decoded_, &diags_);
      e.data = decoded_;
    }
    if (e.data.empty()) {
      progressed_ = true;
      return {};
    }
  }
  f.info.size += e.data.size();
  return e;
}

// NUL and bare CR in a body, reported once per part; `next` is the byte
// after `text` (NUL at the end of the input). Not in binary bodies (any
// byte is data) nor base64 ones (the decoder reports bytes outside its
// alphabet, and line breaks are not data there).
inline void parser::check_body_bytes(frame& f, std::string_view text, char next, std::uint64_t offset) {
  if (f.info.encoding == transfer_encoding::binary || f.info.encoding == transfer_encoding::base64) return;
  if ((f.flags & flag_nul) == 0) {
    if (const void* z = std::memchr(text.data(), '\0', text.size())) {
      f.flags |= flag_nul;
      diag(errc::nul_byte, offset + static_cast<std::size_t>(static_cast<const char*>(z) - text.data()));
    }
  }
  if ((f.flags & flag_bare_cr) == 0) {
    const std::size_t i = find_bare_cr(text, next);
    if (i != std::string_view::npos) {
      f.flags |= flag_bare_cr;
      diag(errc::bare_cr, offset + i);
    }
  }
}

// The first CR in `text` not followed by LF (`next` follows the text).
// CRLF text has a CR on every line, so the test runs branch-free over
// 64-byte blocks and looks byte by byte only at a suspect block.
inline std::size_t parser::find_bare_cr(std::string_view text, char next) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  for (; i + 64 < n; i += 64) {
    unsigned bad = 0;
    for (std::size_t k = 0; k < 64; ++k) bad |= static_cast<unsigned>((s[i + k] == '\r') & (s[i + k + 1] != '\n'));
    if (bad != 0) break;
  }
  for (; i < n; ++i) {
    if (s[i] == '\r' && (i + 1 < n ? static_cast<char>(s[i + 1]) : next) != '\n') return i;
  }
  return std::string_view::npos;
}

// -- boundaries and ends

// A boundary line of stack_[boundary_stack_] is at the front: end the
// entities inside it one event at a time, then act on the line.
inline event parser::step_boundary() {
  if (stack_.size() - 1 > boundary_stack_) return end_top(true);
  frame& f = top();
  std::size_t length = boundary_length_;
  if (boundary_close_) {
    // The line break after a close boundary is not part of it (RFC 2046
    // 5.1.1: close-delimiter transport-padding [CRLF epilogue]).
    const std::string_view line = in_.data().substr(0, length);
    if (!line.empty() && line.back() == '\n') --length;
    if (length > 0 && line[length - 1] == '\r') --length;
  }
  in_.consume(length);
  resume_ = 0;
  at_line_ = !boundary_close_;
  f.saw_boundary = true;
  if (boundary_close_) {
    f.info.closed = true;
    f.after_close = true;
    f.sec = section::epilogue;
    step_ = step::body;
    progressed_ = true;
    return {};
  }
  if (f.sec == section::skipping) {
    step_ = step::body;
    f.texted = true;
    progressed_ = true;
    return {};
  }
  if (parts_ >= options_.max_parts) {
    diag(errc::mime_too_many_parts, boundary_offset_);
    f.sec = section::skipping;
    step_ = step::body;
    progressed_ = true;
    return {};
  }
  f.sec = section::children;
  const bool digest = f.info.type.subtype == "digest";
  start_entity(f.info.index, f.info.depth + 1, at(0), digest);
  progressed_ = true;
  return {};
}

// Ends the top entity, one event per call: the decoder's last bytes, the
// missing close boundary of a multipart, then part_end.
inline event parser::end_top(bool by_boundary) {
  frame& f = top();
  if (f.sec == section::body && !f.flushed) {
    f.flushed = true;
    decoded_.clear();
    f.decoder.finish(decoded_, &diags_);
    progressed_ = true;
    if (!decoded_.empty() && options_.decode) {
      f.info.size += decoded_.size();
      event e;
      e.type = event_type::body;
      e.entity = &f.info;
      e.offset = at(0);
      e.data = decoded_;
      return e;
    }
    return {};
  }
  const std::uint64_t end = by_boundary ? body_end_ : at(in_.size());
  if (f.info.kind == part_kind::multipart && f.sec != section::epilogue) {
    diag(f.saw_boundary ? errc::mime_missing_close_boundary : errc::mime_boundary_not_found, end);
    f.sec = section::epilogue;
    progressed_ = true;
    return {};
  }
  ended_ = std::move(f.info);
  ended_.end = end;
  stack_.pop_back();
  if (stack_.empty()) step_ = step::done;
  event e;
  e.type = event_type::part_end;
  e.entity = &ended_;
  e.offset = ended_.offset;
  return e;
}

inline event parser::step_closing() {
  if (stack_.empty()) {
    step_ = step::done;
    progressed_ = true;
    return {};
  }
  return end_top(false);
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_PARSER_HPP
