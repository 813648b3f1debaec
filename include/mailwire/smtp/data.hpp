// mailwire: SMTP message data, both directions (RFC 5321 4.1.1.4, 4.5.2).
//
// data_reader (server side) takes the bytes after "354" and yields the
// message, dot-unstuffed, as zero-copy chunks, then an end event. It is the
// part of a mail server that SMTP smuggling attacks, so it is strict:
//
//  - The data ends only on CRLF "." CRLF, where the "." line starts the data
//    or follows a real CRLF. "\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r\n" and
//    "\r\n.\r" never end it.
//  - Bare LF or bare CR refuses the message by default (errc::bare_lf,
//    errc::bare_cr with the offset of the first one): the rest of the data
//    is still read to its real end, without further chunks, and the session
//    goes on. line_end_policy::normalize turns each into CRLF instead; a "."
//    after a normalised line end is message content, never an end.
//  - NUL refuses the message (errc::nul_byte) unless allowed.
//  - Past options.max_size bytes the message is refused
//    (errc::message_too_big) and the rest drained.
// A refused message still ends with an end event carrying the error; the
// server answers 550/552/554 and carries on.
//
// data_writer (client side) does the reverse: it dot-stuffs every line that
// starts with ".", turns bare CR and bare LF into CRLF (or refuses them),
// and finish() ends the data with CRLF "." CRLF.
//
// Memory: the reader holds back at most 2 bytes (a possible ".\r") and
// never copies; each byte is searched a bounded number of times (memchr;
// for NUL, a window ahead of the line, so short lines share one search).
// Views in events are valid until the next non-const call on the buffer.
#ifndef MAILWIRE_SMTP_DATA_HPP
#define MAILWIRE_SMTP_DATA_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {

/// What to do with a CR or LF that is not part of a CRLF.
enum class line_end_policy : std::uint8_t {
  reject,     ///< refuse the message (reader) or the chunk (writer)
  normalize,  ///< turn it into CRLF
};

struct data_options {
  /// Largest message accepted, in bytes after unstuffing; 0: no limit.
  std::uint64_t max_size = 0;
  /// Bare CR and bare LF: refused by default. normalize is safe for a
  /// server that stores or relays, since the sending side stuffs again.
  line_end_policy bare_line_ends = line_end_policy::reject;
  /// Lenient: accept NUL bytes in the data.
  bool allow_nul = false;
};

/// What data_reader::next() found.
enum class data_event_type : std::uint8_t {
  need_more,  ///< feed more bytes
  chunk,      ///< `bytes`: the next part of the message
  end,        ///< the data ended; `error` says whether the message is refused
};

struct data_event {
  data_event_type type = data_event_type::need_more;
  std::string_view bytes;
  /// Message bytes delivered so far (with this chunk); at end, the total.
  std::uint64_t size = 0;
  /// At end: errc::ok, or why the message must be refused.
  errc error = errc::ok;
  /// At end with an error: stream offset of the first offending byte.
  std::uint64_t error_offset = 0;
};

class data_reader {
 public:
  explicit data_reader(data_options o = {}) noexcept : options_(o) {}

  const data_options& options() const noexcept { return options_; }

  /// Reads from `in` (positioned after the 354 reply's command, at the
  /// first byte of data). Every call for one message must pass the same
  /// buffer (the reader remembers stream offsets in it). After an end event
  /// the reader is ready for the next message, from any buffer.
  data_event next(recv_buffer& in) noexcept {
    for (;;) {
      const std::string_view data = in.data();
      if (data.empty()) return {};
      if (bol_ && data[0] == '.') {
        // A line starting with "." is either the end (".\r\n") or stuffed.
        if (data.size() < 2 || (data[1] == '\r' && data.size() < 3)) return {};
        if (data[1] == '\r' && data[2] == '\n') {
          in.consume(3);
          return finish_message();
        }
        in.consume(1);  // the stuffing dot (RFC 5321 4.5.2)
        bol_ = false;
        continue;
      }
      const std::uint64_t at = in.offset();
      std::string_view out;
      std::size_t taken = scan(data, at);
      if (taken != 0) {
        out = data.substr(0, taken);
      } else if (bare_at_front(data)) {
        out = "\r\n";  // normalised (line_end_policy::normalize)
        taken = 1;
      } else {
        return {};  // only a CR that may be half of a CRLF
      }
      in.consume(taken);  // the bytes stay readable until the next non-const call
      // Only bytes before the first offence are delivered; from there on
      // the message is drained to its real end.
      if (refused() && error_offset_ < at + taken) continue;
      if (options_.max_size != 0 && options_.max_size - size_ < out.size()) {
        // Deliver exactly up to the limit, then refuse the rest: the same
        // bytes come out however the input was split.
        const auto fits = static_cast<std::size_t>(options_.max_size - size_);
        refuse(errc::message_too_big, at + fits);
        if (fits == 0) continue;
        out = out.substr(0, fits);
      }
      size_ += out.size();
      return {data_event_type::chunk, out, size_, errc::ok, 0};
    }
  }

  /// Bytes of the current message delivered so far.
  std::uint64_t size() const noexcept { return size_; }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  bool refused() const noexcept { return error_ != errc::ok; }

  // Keeps the earliest offence: its offset does not depend on which checks
  // happened to run first for this split of the input.
  void refuse(errc e, std::uint64_t at) noexcept {
    if (error_ == errc::ok || at < error_offset_) {
      error_ = e;
      error_offset_ = at;
    }
  }

  data_event finish_message() noexcept {
    const data_event e{data_event_type::end, {}, size_, error_, error_offset_};
    *this = data_reader(options_);
    return e;
  }

  // How many bytes from the front are message content to deliver as they
  // are: whole lines, up to a line that starts with "." (next() decides
  // end or stuffing), a bare CR/LF to normalise, the first offending byte (delivery stops exactly there),
  // or the end of the input (keeping back a final CR, which may be half of
  // a CRLF).
  std::size_t scan(std::string_view data, std::uint64_t base) noexcept {
    bol_ = false;
    // Stops a run at the first offence inside it, so exactly the bytes
    // before it are delivered; an offence at the front has nothing before
    // it, and the whole run is drained.
    auto stop_if_refused = [&](std::size_t run) {
      if (!refused() || error_offset_ <= base || error_offset_ - base >= run) return run;
      return static_cast<std::size_t>(error_offset_ - base);
    };
    std::size_t pos = 0;
    for (;;) {
      const void* hit = std::memchr(data.data() + pos, '\n', data.size() - pos);
      const std::size_t lf = hit != nullptr ? static_cast<std::size_t>(static_cast<const char*>(hit) - data.data())
                                            : data.size();
      const bool ends_in_cr = lf > pos && data[lf - 1] == '\r';
      const std::size_t text_end = ends_in_cr ? lf - 1 : lf;
      if (const std::size_t cr = check_text(data, pos, text_end, base); cr != npos) {
        return stop_if_refused(cr);  // a bare CR to normalise
      }
      if (hit == nullptr) return stop_if_refused(text_end);  // a partial line
      if (!ends_in_cr) {
        // Bare LF (RFC 5321 2.3.8: "MUST NOT be transmitted").
        if (options_.bare_line_ends == line_end_policy::normalize) return stop_if_refused(lf);
        refuse(errc::bare_lf, base + lf);
        pos = lf + 1;  // a "." after it is content: no end, no stuffing
        if (pos == data.size()) return stop_if_refused(pos);
        continue;
      }
      pos = lf + 1;  // after a real CRLF
      if (pos == data.size() || data[pos] == '.') {
        bol_ = true;
        const std::size_t stop = stop_if_refused(pos);
        if (stop != pos) bol_ = false;
        return stop;
      }
    }
  }

  // In normalize mode, whether the input starts with a bare CR or LF
  // (scan() stops in front of each one).
  bool bare_at_front(std::string_view data) const noexcept {
    if (options_.bare_line_ends != line_end_policy::normalize) return false;
    return data[0] == '\n' || (data[0] == '\r' && data.size() > 1 && data[1] != '\n');
  }

  // Checks text [from, to) for NUL and bare CR. Refuses per the options;
  // returns the position of a bare CR to normalise, or npos.
  std::size_t check_text(std::string_view data, std::size_t from, std::size_t to, std::uint64_t base) noexcept {
    if (to <= from) return npos;
    const char* p = data.data() + from;
    const std::size_t n = to - from;
    if (!options_.allow_nul) check_nul(data, from, to, base);
    const void* cr = std::memchr(p, '\r', n);
    if (cr == nullptr) return npos;
    const auto at = static_cast<std::size_t>(static_cast<const char*>(cr) - data.data());
    if (options_.bare_line_ends == line_end_policy::normalize) return at;
    refuse(errc::bare_cr, base + at);
    return npos;
  }

  // Refuses a NUL in [from, to). NULs are searched for a window ahead of
  // the line, not line by line: one memchr covers many short lines.
  // nul_clear_ (a stream offset) says how far the search got: the bytes
  // before it, from the reader's position on, hold no NUL; the byte at it
  // is the NUL that stopped the search, or one not searched yet.
  void check_nul(std::string_view data, std::size_t from, std::size_t to, std::uint64_t base) noexcept {
    if (base + to <= nul_clear_) return;
    constexpr std::size_t window = 1024;  // bounds the search past the data's end
    const std::size_t start = nul_clear_ > base + from ? static_cast<std::size_t>(nul_clear_ - base) : from;
    std::size_t limit = to - start > window ? to : start + window;
    if (limit > data.size()) limit = data.size();
    const void* z = std::memchr(data.data() + start, '\0', limit - start);
    const std::size_t at = z != nullptr ? static_cast<std::size_t>(static_cast<const char*>(z) - data.data()) : limit;
    nul_clear_ = base + at;
    if (at < to) refuse(errc::nul_byte, base + at);
  }

  data_options options_;
  std::uint64_t nul_clear_ = 0;
  bool bol_ = true;  // at the start of the data or just after a real CRLF
  std::uint64_t size_ = 0;
  errc error_ = errc::ok;
  std::uint64_t error_offset_ = 0;
};

/// Writes message data: line-end repair and, for DATA, dot-stuffing (BDAT
/// sends the bytes counted, unstuffed: dot_stuffing false).
class data_writer {
 public:
  explicit data_writer(line_end_policy bare = line_end_policy::normalize, bool dot_stuffing = true) noexcept
      : policy_(bare), stuffing_(dot_stuffing) {}

  /// Appends `chunk` of the message, stuffed, to `out`. With
  /// line_end_policy::reject, a bare CR or LF refuses the chunk
  /// (errc::bare_cr / errc::bare_lf) and nothing of it is written.
  errc write(std::string_view chunk, output_queue& out) {
    if (policy_ == line_end_policy::reject) {
      if (const errc e = find_bare(chunk); e != errc::ok) return e;
    }
    // Worst case: every byte a bare LF (2 bytes) or a stuffed dot line.
    char* const begin = out.prepare(2 * chunk.size() + 2);
    char* o = begin;
    const char* p = chunk.data();
    const char* const end = p + chunk.size();
    while (p != end) {
      if (cr_pending_) {
        // The CR that ended the last piece: CRLF if this byte is LF.
        cr_pending_ = false;
        *o++ = '\r';
        *o++ = '\n';
        if (*p == '\n') ++p;
        bol_ = true;
        continue;
      }
      if (bol_ && stuffing_ && *p == '.') *o++ = '.';  // RFC 5321 4.5.2
      bol_ = false;
      // Copy up to the next CR or LF (memchr: the text between line ends
      // is copied in bulk).
      const void* lf = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      const char* line_end = lf != nullptr ? static_cast<const char*>(lf) : end;
      const void* cr = std::memchr(p, '\r', static_cast<std::size_t>(line_end - p));
      const char* stop = cr != nullptr ? static_cast<const char*>(cr) : line_end;
      std::memcpy(o, p, static_cast<std::size_t>(stop - p));
      o += stop - p;
      p = stop;
      if (p == end) break;
      if (*p == '\r') {
        cr_pending_ = true;  // decided by the next byte, maybe in the next chunk
        ++p;
      } else {  // bare LF
        *o++ = '\r';
        *o++ = '\n';
        ++p;
        bol_ = true;
      }
    }
    out.commit(static_cast<std::size_t>(o - begin));
    return errc::ok;
  }

  /// Ends the data: completes the last line and writes "." CRLF. The writer
  /// is then ready for the next message.
  void finish(output_queue& out) {
    if (cr_pending_ || !bol_) out.append("\r\n");
    out.append(".\r\n");
    cr_pending_ = false;
    bol_ = true;
  }

  /// Ends unstuffed (BDAT) data: completes the last line, as finish()
  /// does, so a message arrives the same by BDAT as by DATA. The writer is
  /// then ready again.
  void finish_unstuffed(output_queue& out) {
    if (cr_pending_ || !bol_) out.append("\r\n");
    cr_pending_ = false;
    bol_ = true;
  }

 private:
  errc find_bare(std::string_view s) const noexcept {
    bool cr = cr_pending_;
    for (char c : s) {
      if (cr && c != '\n') return errc::bare_cr;
      if (!cr && c == '\n') return errc::bare_lf;
      cr = c == '\r';
    }
    return errc::ok;
  }

  line_end_policy policy_;
  bool stuffing_;
  bool bol_ = true;
  bool cr_pending_ = false;
};

}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_DATA_HPP
