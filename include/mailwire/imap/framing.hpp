// mailwire: the IMAP frame reader, which cuts an IMAP byte stream into
// messages (a command, or a response) before any grammar parsing.
//
// An IMAP message is one or more lines joined by literals: a line that ends
// in a literal announcement "{n}" (or "{n+}", "~{n}", "~{n+}") CRLF is
// followed by n bytes of body and then by the rest of the message, which
// goes on to the next CRLF not preceded by an announcement (RFC 9051 2.2,
// 4.3; RFC 7888 for "+", RFC 3516 for "~"). The frame reader finds those
// boundaries and nothing else, so that
//  - a malformed message (a NUL, a bare CR or LF, a line too long, a bad
//    announcement, too many literals) is dropped whole and the reader goes
//    on at the next message: the grammar never sees a half message, and
//    the session never loses sync;
//  - the tag (the message's first token) is still known for the BAD;
//  - every literal announcement is a question the application answers
//    before one byte of its body is read (docs/design.md 2, "Announced
//    sizes are questions").
//
//     imap::frame_reader r(opts);
//     for (;;) {
//       const imap::frame_event e = r.next();
//       switch (e.type) {
//         case need_more:     n = read(); n ? r.feed(bytes) : r.finish(); break;
//         case literal:       small(e) ? r.read_literal() : big(e) ? r.stream_literal() : r.refuse_literal();
//                             break;   // the server machine then sends "+" or a tagged NO
//         case literal_chunk: store(e.text); break;
//         case literal_end:   break;
//         case message:       parse(e.text, r.streamed_literals()); break;
//         case error:         bad(e.tag, e.error, e.offset); break;  // the message was dropped
//         case end:           return;                                // after finish()
//       }
//     }
//
// Message text. A `message` event's text is the message as it came on the
// wire, without its final CRLF: "A1 LOGIN {5}\r\nalice {6}\r\nsecret". A
// literal read inline stays in the text with its announcement and CRLF, so
// the text is self-describing: a parser that meets "{5}\r\n" takes the next
// 5 bytes. A literal streamed as chunks leaves its announcement and CRLF in
// the text but not its body; streamed_literals() lists where those
// announcements start, so the parser knows their bodies are elsewhere.
//
// Announcements. Only the end of a line can announce a literal: "{" 1*20DIGIT
// ["+"] "}", optionally after "~", then CRLF. Braces anywhere else are
// ordinary text. A line that ends in "}" where the last "{" is followed by
// nothing, a digit, "+", "-" or a space but not by a valid announcement
// ("{}", "{1a}", "{ 1}", "{-1}", a length past 2^64-1) is errc::
// imap_bad_literal; "{abc}" at the end of a line is text. Also
// imap_bad_literal: "{n+}" on the client side (servers never send it) or on
// a server that offered neither LITERAL+ nor LITERAL- (or, under LITERAL-
// only, over limits::imap_literal_minus octets), and "~{" without
// frame_options::binary. The announced size is only a number in an event:
// nothing is ever reserved from it.
//
// Answering a literal event. Exactly one of read_literal(),
// stream_literal(), refuse_literal() before the next next(); without an
// answer next() reads the literal inline when read_literal() would succeed
// and otherwise refuses it with an error event errc::imap_literal_too_big.
// Whose move it is after an answer depends on the side: a server (reading
// commands) must send "+" after accepting a synchronizing literal ("{n}",
// "~{n}"), or a tagged NO/BAD after refusing one; the client then sends
// nothing more of that command, so the reader is at the next message at
// once. A non-synchronizing literal's body, and on the client side every
// literal's body (servers never wait), comes anyway: refused, it is
// drained exactly, and so is the rest of its message, never parsed.
//
// Errors drop the whole message. The error event comes as soon as the
// error is found, with the tag when the message's first token was read;
// the reader then skips to the end of the message by itself: to the end of
// the offending line and, when that line ends in an announcement whose
// body will come (as above), over the body and on to the end of the next
// line, and so on. A synchronizing announcement on the server side ends
// the message: the client waits for "+", which it will not get. Errors:
//  - errc::line_too_long: a line (CRLF included; each stretch between
//    literal bodies counts as a line) longer than max_line, or one that
//    would take the message past max_message;
//  - errc::nul_byte, errc::bare_cr, errc::bare_lf: a NUL, a CR not followed
//    by LF, an LF without CR in a line (never in a literal's body, which is
//    not examined). A bare LF still ends the line, as in line_reader;
//  - errc::imap_bad_literal: as above;
//  - errc::imap_too_many_literals: more than max_literals in one message;
//  - errc::imap_literal_too_big: an unanswered literal too big to be read
//    inline (read_literal() returns it, without an event, when answered);
//  - errc::truncated: after finish(), when the input ended anywhere but
//    between two messages (mid-line, mid-literal, or while a dropped
//    message was being skipped).
//
// Offsets are stream offsets (bytes fed before): of the message's first
// byte (message), of the announcement's "{" or "~" (literal, and the errors
// about it), of the chunk's first byte (literal_chunk), of the byte after
// the body (literal_end), of the NUL, CR or LF at fault, of the first byte
// of a line too long, or of the end of the input (truncated).
//
// Events, offsets and message texts are the same however the input is
// split, except that a streamed body's chunks follow the feeds.
//
// Memory is bounded by the options whatever the peer sends: the receive
// buffer (max(max_buffered, max_line) bytes), the message text (max_message),
// the list of streamed literals (max_literals), and a tail of 25 bytes kept
// from an over-long line to see whether it ends in an announcement. Time is
// linear: each byte of a line is searched for LF once (the scan resumes where
// it stopped), once more for CR and NUL when the line is complete, and the
// end of a line once for an announcement; bodies are copied or handed out,
// never searched.
//
// Lifetimes: views in an event, and streamed_literals(), are valid until the
// next non-const call on the reader. Nothing throws but std::bad_alloc.
#ifndef MAILWIRE_IMAP_FRAMING_HPP
#define MAILWIRE_IMAP_FRAMING_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/number.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// Which stream a frame reader reads.
enum class frame_side : std::uint8_t {
  server,  ///< a server reading commands: "{n}" waits for "+", "{n+}" per LITERAL+/LITERAL-
  client,  ///< a client reading responses: every literal's body follows at once, "{n+}" is refused
};

/// The four literal announcements.
enum class literal_kind : std::uint8_t {
  synchronizing,             ///< "{n}"
  non_synchronizing,         ///< "{n+}" (RFC 7888)
  binary,                    ///< "~{n}" (RFC 3516 literal8)
  binary_non_synchronizing,  ///< "~{n+}"
};

/// True for "{n+}" and "~{n+}".
constexpr bool is_non_synchronizing(literal_kind k) noexcept {
  return k == literal_kind::non_synchronizing || k == literal_kind::binary_non_synchronizing;
}
/// True for "~{n}" and "~{n+}".
constexpr bool is_binary(literal_kind k) noexcept {
  return k == literal_kind::binary || k == literal_kind::binary_non_synchronizing;
}

/// How a frame_reader cuts a stream: which side it reads, and its limits.
struct frame_options {
  frame_side side = frame_side::server;  ///< server: reads commands; client: reads responses
  /// One line, CRLF included; literal bodies are not counted (each stretch
  /// of a message between two bodies is a line of its own).
  std::size_t max_line = limits::imap_line;
  /// One message: its lines, CRLFs included, and the literals read inline.
  /// Streamed bodies do not count.
  std::size_t max_message = limits::imap_message;
  /// Largest literal read_literal() takes into the message text.
  std::size_t max_inline_literal = limits::imap_inline_literal;
  /// Literals in one message; one more is errc::imap_too_many_literals.
  std::size_t max_literals = limits::imap_literals;
  /// Bytes held from the peer before framing; raised to max_line when
  /// smaller, so that a whole line always fits.
  std::size_t max_buffered = limits::max_buffered;
  /// Server side: LITERAL+ was offered, "{n+}" of any size is taken.
  bool literal_plus = false;
  /// Server side: LITERAL- was offered, "{n+}" up to
  /// limits::imap_literal_minus octets is taken.
  bool literal_minus = false;
  /// "~{n}" is taken: on the server side, BINARY was offered; on the client
  /// side, the server may send literal8 (FETCH BINARY[]).
  bool binary = false;
};

enum class frame_event_type : std::uint8_t {
  need_more,      ///< feed() more (or finish() at EOF)
  message,        ///< `text` is one whole message without its final CRLF; `tag`
  literal,        ///< an announcement: `size`, `kind`; answer it (see the top of this file)
  literal_chunk,  ///< `text` is the next bytes of a streamed body
  literal_end,    ///< the streamed body is complete; the message goes on
  error,          ///< `error`, `offset`, `tag`: the message was dropped, the reader resynchronises
  end,            ///< after finish(): all input was read; next() says `end` from now on
};

/// One event from frame_reader::next(); views are valid until the next
/// non-const call on the reader.
struct frame_event {
  frame_event_type type = frame_event_type::need_more;  ///< what happened (see frame_event_type)
  /// message: the message without its final CRLF; literal: the message so
  /// far, up to and including the announcement (no CRLF); literal_chunk:
  /// body bytes.
  std::string_view text;
  /// The message's first token (a tag, "*" or "+"): the bytes before its
  /// first space, or its whole first line when it has none. Empty when the
  /// first line's first space had not been read yet.
  std::string_view tag;
  /// literal: the announced size, as sent (nothing is reserved from it).
  std::uint64_t size = 0;
  /// literal: which announcement.
  literal_kind kind = literal_kind::synchronizing;
  /// error: what was wrong.
  errc error = errc::ok;
  /// Stream offset of the event (see the top of this file).
  std::uint64_t offset = 0;
};

/// Cuts an IMAP stream into messages (commands or responses) before any
/// grammar, with every literal announcement an event the application answers
/// (see the top of this file and docs/design.md, IMAP framing).
class frame_reader {
 public:
  /// A max_line or max_message under 2 (no room for a CRLF) counts as 2.
  explicit frame_reader(frame_options o = {})
      : o_(at_least_crlf(o)), in_(o_.max_buffered > o_.max_line ? o_.max_buffered : o_.max_line) {}

  /// The options in use (max_line and max_message at least 2).
  const frame_options& options() const noexcept { return o_; }

  /// Takes as much of `bytes` as fits in the receive buffer and returns how
  /// many: on a short count, drain events with next() and feed the rest.
  /// Takes nothing after finish().
  std::size_t feed(std::string_view bytes) {
    if (eof_) return 0;
    return in_.feed(bytes);
  }

  /// The peer closed its side: next() reads what is buffered, then gives an
  /// error event errc::truncated if the input ended inside a message, then
  /// `end` forever.
  void finish() noexcept { eof_ = true; }

  /// The next event.
  frame_event next() {
    if (reset_pending_) {
      reset_pending_ = false;
      drop_message();
    }
    frame_event e;
    for (;;) {
      step s = step::go_on;
      switch (state_) {
        case state::line: s = read_line(e); break;
        case state::awaiting: s = answer_by_default(e); break;
        case state::inline_body: s = read_inline(); break;
        case state::stream_body: s = read_stream(e); break;
        case state::skip_line: s = skip_line(); break;
        case state::skip_body: s = skip_body(); break;
        case state::done: e.type = frame_event_type::end; return e;
      }
      if (s == step::emit) return e;
      if (s == step::starve) return starve();
    }
  }

  /// Answers the last `literal` event: its body is read into the message
  /// text. Returns errc::imap_literal_too_big, and changes nothing (answer
  /// again), when the size is over max_inline_literal or the message with
  /// it and a final CRLF would be over max_message; errc::invalid_state
  /// when no literal waits for an answer.
  errc read_literal() {
    if (state_ != state::awaiting) return errc::invalid_state;
    // msg_ holds the announcement without its CRLF: 2 for that CRLF, 2 for
    // the CRLF that must end the message some time after the body.
    const std::size_t held = msg_.size() + 4;
    if (size_ > o_.max_inline_literal || held > o_.max_message || size_ > o_.max_message - held) {
      return errc::imap_literal_too_big;
    }
    return accept_literal(state::inline_body);
  }

  /// Answers the last `literal` event: its body comes out as literal_chunk
  /// events, as it arrives, then literal_end; then the rest of the message
  /// is read. The message text keeps the announcement and its CRLF, and
  /// streamed_literals() lists it. errc::invalid_state when no literal
  /// waits for an answer.
  errc stream_literal() {
    if (state_ != state::awaiting) return errc::invalid_state;
    streamed_.push_back(announcement_at_);
    return accept_literal(state::stream_body);
  }

  /// Answers the last `literal` event: the message is dropped, with no
  /// event. A body that comes anyway (non-synchronizing, or on the client
  /// side) is drained exactly, and so is the rest of the message, literals
  /// included; a synchronizing literal on the server side ends the message
  /// (the client waits for the "+" it will not get). errc::invalid_state
  /// when no literal waits for an answer.
  errc refuse_literal() {
    if (state_ != state::awaiting) return errc::invalid_state;
    keep_tag(message_tag());
    const bool drain = body_follows(kind_);
    drop_message();
    if (drain) {
      remaining_ = size_;
      state_ = state::skip_body;
    } else {
      state_ = state::line;
    }
    return errc::ok;
  }

  /// At a message boundary (after a `message` event, before the next
  /// next(); or before any message began): sets `out` to every byte fed
  /// but not yet read and forgets them, so that they are never parsed (a
  /// server's STARTTLS: the bytes after the command belong to the TLS
  /// handshake). `out` is valid until the next non-const call. Inside a
  /// message: errc::invalid_state, `out` empty, nothing taken.
  errc take_unread(std::string_view& out) noexcept {
    out = {};
    if (state_ != state::line || (in_message_ && !reset_pending_)) return errc::invalid_state;
    out = in_.take(in_.size());
    return errc::ok;
  }

  /// With a `message` event: where the announcements of the literals that
  /// were streamed start in its text (their bodies are not in it). Also
  /// meaningful during a message, for the literals streamed so far.
  const std::vector<std::size_t>& streamed_literals() const noexcept { return streamed_; }

  /// Bytes fed and not yet read into any event. A machine at a switch
  /// point (after a `message` event: the tagged OK to STARTTLS or
  /// COMPRESS) asks whether the peer sent anything after that message;
  /// take_unread() hands them out.
  std::size_t buffered() const noexcept { return in_.size(); }

  /// Bytes of storage the reader holds (receive buffer, message text,
  /// streamed-literal list, kept tag): bounded by the options.
  std::size_t memory_used() const noexcept {
    return in_.capacity() + msg_.capacity() + streamed_.capacity() * sizeof(std::size_t) + tag_.capacity();
  }

 private:
  enum class state : std::uint8_t { line, awaiting, inline_body, stream_body, skip_line, skip_body, done };
  enum class step : std::uint8_t { go_on, emit, starve };

  static frame_options at_least_crlf(frame_options o) noexcept {
    if (o.max_line < 2) o.max_line = 2;
    if (o.max_message < 2) o.max_message = 2;
    return o;
  }

  // "~{" 20 digits "+}": the longest valid announcement.
  static constexpr std::size_t max_announcement = 24;

  struct announcement {
    enum class status : std::uint8_t { none, valid, bad };
    status state = status::none;
    literal_kind kind = literal_kind::synchronizing;
    std::uint64_t size = 0;
    std::size_t start = 0;  // of "{" or "~" in the text
  };

  // Reads the end of a line (without its CRLF). Only the last "{" matters,
  // and a valid announcement lies within the last max_announcement bytes,
  // so the same answer about validity comes from the whole line or from
  // its tail (the skipping path keeps only the tail).
  static announcement find_announcement(std::string_view text) noexcept {
    announcement a;
    if (text.empty() || text.back() != '}') return a;
    const std::size_t open = text.rfind('{');
    if (open == std::string_view::npos) return a;
    std::string_view digits = text.substr(open + 1, text.size() - open - 2);
    const std::string_view content = digits;
    const bool plus = !digits.empty() && digits.back() == '+';
    if (plus) digits.remove_suffix(1);
    const bool tilde = open > 0 && text[open - 1] == '~';
    a.start = tilde ? open - 1 : open;
    if (parse_number(digits, 20, a.size)) {
      a.state = announcement::status::valid;
      a.kind = tilde ? (plus ? literal_kind::binary_non_synchronizing : literal_kind::binary)
                     : (plus ? literal_kind::non_synchronizing : literal_kind::synchronizing);
      return a;
    }
    // A number that went wrong is a bad announcement (its body may follow,
    // and the peer's idea of where is lost); words in braces are text.
    const char c = content.empty() ? '0' : content.front();
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ') a.state = announcement::status::bad;
    return a;
  }

  // The announcement's CRLF joins the text; the body is read in `next`.
  errc accept_literal(state next) {
    msg_ += "\r\n";
    remaining_ = size_;
    state_ = next;
    return errc::ok;
  }

  // May the peer send this literal here?
  errc check_literal(const announcement& a) const noexcept {
    if (is_binary(a.kind) && !o_.binary) return errc::imap_bad_literal;
    if (is_non_synchronizing(a.kind)) {
      if (o_.side == frame_side::client) return errc::imap_bad_literal;
      if (!o_.literal_plus && !(o_.literal_minus && a.size <= limits::imap_literal_minus)) {
        return errc::imap_bad_literal;
      }
    }
    return errc::ok;
  }

  // Whether the body comes without a "+": always from a server; from a
  // client when non-synchronizing (allowed or not: RFC 7888 4 has a server
  // refusing one still read past it, or a body could be read as commands).
  bool body_follows(literal_kind k) const noexcept { return o_.side == frame_side::client || is_non_synchronizing(k); }

  static std::string_view first_token(std::string_view line) noexcept {
    const std::size_t sp = line.find(' ');
    return sp == std::string_view::npos ? line : line.substr(0, sp);
  }
  // The first token of a line not read to its end: known only once a space
  // was seen.
  static std::string_view first_token_seen(std::string_view part) noexcept {
    const std::size_t sp = part.find(' ');
    return sp == std::string_view::npos ? std::string_view() : part.substr(0, sp);
  }

  std::string_view message_tag() const noexcept { return std::string_view(msg_).substr(0, tag_len_); }

  void keep_tag(std::string_view t) { tag_.assign(t.data(), t.size()); }

  // Forgets the current message (its text, literals, tag position).
  void drop_message() {
    msg_.clear();
    // A big message once must not pin its memory for the whole session.
    if (msg_.capacity() > limits::max_buffered) std::string().swap(msg_);
    streamed_.clear();
    literals_ = 0;
    tag_len_ = 0;
    in_message_ = false;
  }

  frame_event error_event(errc code, std::uint64_t at) const noexcept {
    frame_event e;
    e.type = frame_event_type::error;
    e.error = code;
    e.offset = at;
    e.tag = tag_;
    return e;
  }

  // Out of input: need_more, or at EOF the truncated error then end.
  frame_event starve() {
    frame_event e;
    if (!eof_) return e;
    const bool boundary = state_ == state::line && !in_message_ && in_.empty();
    std::string_view tag;
    if (state_ == state::skip_line || state_ == state::skip_body) {
      tag = tag_;
    } else if (in_message_) {
      tag = message_tag();
    } else {
      tag = first_token_seen(in_.data());
    }
    state_ = state::done;
    if (boundary) {
      e.type = frame_event_type::end;
      return e;
    }
    e.type = frame_event_type::error;
    e.error = errc::truncated;
    e.offset = in_.offset() + in_.size();
    e.tag = tag;
    return e;
  }

  step read_line(frame_event& e) {
    const std::string_view data = in_.data();
    const std::size_t budget = o_.max_message > msg_.size() ? o_.max_message - msg_.size() : 0;
    const std::size_t limit = budget < o_.max_line ? budget : o_.max_line;
    const std::size_t window = data.size() < limit ? data.size() : limit;
    const std::size_t from = in_.scanned() < window ? in_.scanned() : window;
    const char* hit = from == window ? nullptr : static_cast<const char*>(std::memchr(data.data() + from, '\n', window - from));
    const std::uint64_t start = in_.offset();
    if (hit == nullptr) {
      if (window < limit) {
        in_.set_scanned(window);
        return step::starve;
      }
      // No LF within the limit: too long whatever comes next. Say so now
      // and drop the rest as it arrives, keeping its tail to see whether
      // it announces a literal.
      keep_tag(in_message_ ? message_tag() : first_token_seen(data.substr(0, window)));
      tail_len_ = 0;
      push_tail(data.substr(0, window));
      in_.consume(window);
      drop_message();
      state_ = state::skip_line;
      e = error_event(errc::line_too_long, start);
      return step::emit;
    }

    const auto lf = static_cast<std::size_t>(hit - data.data());
    const bool crlf = lf > 0 && data[lf - 1] == '\r';
    const std::string_view text = data.substr(0, crlf ? lf - 1 : lf);
    errc err = errc::ok;
    std::uint64_t err_at = 0;
    // The first offending byte of the line: a bare CR, a NUL, else a bare LF.
    const char* cr = static_cast<const char*>(std::memchr(text.data(), '\r', text.size()));
    const char* nul = static_cast<const char*>(std::memchr(text.data(), '\0', text.size()));
    if (cr != nullptr && (nul == nullptr || cr < nul)) {
      err = errc::bare_cr;
      err_at = start + static_cast<std::size_t>(cr - data.data());
    } else if (nul != nullptr) {
      err = errc::nul_byte;
      err_at = start + static_cast<std::size_t>(nul - data.data());
    } else if (!crlf) {
      err = errc::bare_lf;
      err_at = start + lf;
    }
    const announcement a = find_announcement(text);
    if (err == errc::ok && a.state != announcement::status::none) {
      err_at = start + a.start;
      if (a.state == announcement::status::bad) {
        err = errc::imap_bad_literal;
      } else {
        err = check_literal(a);
        if (err == errc::ok && literals_ >= o_.max_literals) err = errc::imap_too_many_literals;
      }
    }

    if (err != errc::ok) {
      keep_tag(in_message_ ? message_tag() : first_token(text));
      const bool drain = a.state == announcement::status::valid && body_follows(a.kind);
      in_.consume(lf + 1);
      drop_message();
      if (drain) {
        remaining_ = a.size;
        state_ = state::skip_body;
      }
      e = error_event(err, err_at);
      return step::emit;
    }

    if (a.state == announcement::status::none) {
      e.type = frame_event_type::message;
      if (!in_message_) {
        // A one-line message (most of them): handed out from the receive
        // buffer, where the consumed line stays until the next non-const
        // call, without a copy.
        e.text = text;
        e.tag = first_token(text);
        e.offset = start;
      } else {
        msg_.append(text.data(), text.size());
        e.text = msg_;
        e.tag = message_tag();
        e.offset = message_start_;
      }
      in_.consume(lf + 1);
      reset_pending_ = true;
      return step::emit;
    }

    if (!in_message_) {
      in_message_ = true;
      message_start_ = start;
      tag_len_ = first_token(text).size();
    }
    announcement_at_ = msg_.size() + a.start;
    msg_.append(text.data(), text.size());
    in_.consume(lf + 1);
    ++literals_;
    kind_ = a.kind;
    size_ = a.size;
    state_ = state::awaiting;
    e.type = frame_event_type::literal;
    e.text = msg_;
    e.tag = message_tag();
    e.size = a.size;
    e.kind = a.kind;
    e.offset = start + a.start;
    announcement_offset_ = e.offset;
    return step::emit;
  }

  // next() without an answer to a literal event.
  step answer_by_default(frame_event& e) {
    if (read_literal() == errc::ok) return step::go_on;
    refuse_literal();  // keeps the tag in tag_
    e = error_event(errc::imap_literal_too_big, announcement_offset_);
    return step::emit;
  }

  step read_inline() {
    if (remaining_ == 0) {
      state_ = state::line;
      return step::go_on;
    }
    const std::string_view data = in_.data();
    if (data.empty()) return step::starve;
    const std::size_t n = data.size() < remaining_ ? data.size() : static_cast<std::size_t>(remaining_);
    msg_.append(data.data(), n);
    in_.consume(n);
    remaining_ -= n;
    return step::go_on;
  }

  step read_stream(frame_event& e) {
    e.tag = message_tag();
    e.offset = in_.offset();
    if (remaining_ == 0) {
      state_ = state::line;
      e.type = frame_event_type::literal_end;
      return step::emit;
    }
    if (in_.empty()) return step::starve;
    const std::size_t n = in_.size() < remaining_ ? in_.size() : static_cast<std::size_t>(remaining_);
    e.type = frame_event_type::literal_chunk;
    e.text = in_.take(n);
    remaining_ -= n;
    return step::emit;
  }

  // Keeps the last max_announcement + 1 bytes (an announcement and a CR)
  // of the line being skipped.
  void push_tail(std::string_view piece) noexcept {
    constexpr std::size_t cap = sizeof tail_;
    if (piece.size() >= cap) {
      std::memcpy(tail_, piece.data() + piece.size() - cap, cap);
      tail_len_ = cap;
      return;
    }
    const std::size_t keep = tail_len_ < cap - piece.size() ? tail_len_ : cap - piece.size();
    std::memmove(tail_, tail_ + tail_len_ - keep, keep);
    std::memcpy(tail_ + keep, piece.data(), piece.size());
    tail_len_ = keep + piece.size();
  }

  step skip_line() {
    const std::string_view data = in_.data();
    const char* hit = data.empty() ? nullptr : static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
    if (hit == nullptr) {
      push_tail(data);
      in_.consume(data.size());
      return step::starve;
    }
    const auto lf = static_cast<std::size_t>(hit - data.data());
    push_tail(data.substr(0, lf));
    in_.consume(lf + 1);
    std::string_view tail(tail_, tail_len_);
    if (!tail.empty() && tail.back() == '\r') tail.remove_suffix(1);
    const announcement a = find_announcement(tail);
    tail_len_ = 0;
    if (a.state == announcement::status::valid && body_follows(a.kind)) {
      remaining_ = a.size;
      state_ = state::skip_body;
    } else {
      state_ = state::line;  // the dropped message ends here
    }
    return step::go_on;
  }

  step skip_body() {
    if (remaining_ == 0) {
      tail_len_ = 0;
      state_ = state::skip_line;
      return step::go_on;
    }
    const std::size_t size = in_.size();
    if (size == 0) return step::starve;
    const std::size_t n = size < remaining_ ? size : static_cast<std::size_t>(remaining_);
    in_.consume(n);
    remaining_ -= n;
    return step::go_on;
  }

  frame_options o_;
  recv_buffer in_;
  state state_ = state::line;
  bool eof_ = false;
  bool reset_pending_ = false;  // a message event was given: forget it at the next next()
  bool in_message_ = false;     // a line ending in a literal was read: msg_ holds the message so far
  std::string msg_;             // the message text so far (see the top of this file)
  std::vector<std::size_t> streamed_;
  std::size_t tag_len_ = 0;     // the tag is msg_[0, tag_len_)
  std::string tag_;             // the tag kept for an error or truncated event
  std::uint64_t message_start_ = 0;
  std::size_t literals_ = 0;
  // The literal announced last (awaiting an answer), or the body being read.
  literal_kind kind_ = literal_kind::synchronizing;
  std::uint64_t size_ = 0;
  std::uint64_t remaining_ = 0;
  std::size_t announcement_at_ = 0;
  std::uint64_t announcement_offset_ = 0;
  char tail_[max_announcement + 1] = {};
  std::size_t tail_len_ = 0;
};

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_FRAMING_HPP
