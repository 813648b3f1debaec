// mailwire: uuencoded data (POSIX uuencode, "x-uuencode" bodies), streaming.
//
// The format, line by line:
//     begin <mode> <name>
//     <length char><groups of 4 chars, 3 bytes each>   (many)
//     ` or a SP alone, or an empty line                (zero-length line)
//     end
// A character c stands for (c - 0x20) & 63, so SP and "`" are both 0; the
// length character gives the bytes on the line (0-63, 45 in practice).
//
// The decoder is tolerant where real encoders differ and reports what is
// wrong: lines before "begin" are skipped (a body may start with text);
// characters missing at the end of a data line count as 0 (transports strip
// trailing spaces), as Python's binascii does; a byte outside SP.."`", or
// anything but SP/"`" after the announced data, makes the line malformed
// (errc::uuencode_malformed_line at the line start), and what it holds is
// still decoded so the output keeps its length. "end" right after the data
// lines (without the zero-length line) is accepted. Lines after "end" are
// ignored. Line breaks are LF or CRLF.
#ifndef MAILWIRE_MIME_UUENCODE_HPP
#define MAILWIRE_MIME_UUENCODE_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/mime/diagnostic.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// What a "begin" line says.
struct uuencode_begin {
  std::uint32_t mode = 0;  ///< file mode, from its octal digits
  std::string_view name;   ///< the file name: a view into the line given
};

namespace detail {
// A line without its LF and without one CR before it.
constexpr std::string_view chop_line_break(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}
constexpr std::string_view trim_trailing_wsp(std::string_view s) noexcept {
  while (!s.empty() && ascii::is_wsp(s.back())) s.remove_suffix(1);
  return s;
}
}  // namespace detail

/// Recognises a "begin <mode> <name>" line, with or without its line break:
/// "begin", SP, 3 or 4 octal digits, SP, a name of at least one byte
/// (trailing SP/HTAB removed), so a parser can find uuencoded blocks in
/// text/plain. nullopt for any other line.
inline std::optional<uuencode_begin> parse_uuencode_begin(std::string_view line) noexcept {
  line = detail::trim_trailing_wsp(detail::chop_line_break(line));
  constexpr std::string_view kw = "begin ";
  if (line.substr(0, kw.size()) != kw) return std::nullopt;
  line.remove_prefix(kw.size());
  uuencode_begin b;
  std::size_t i = 0;
  for (; i < line.size() && line[i] >= '0' && line[i] <= '7'; ++i) {
    b.mode = b.mode * 8 + static_cast<std::uint32_t>(line[i] - '0');
  }
  if (i < 3 || i > 4 || i + 1 >= line.size() || line[i] != ' ') return std::nullopt;
  b.name = line.substr(i + 1);
  return b;
}

/// Streaming uudecoder for one block; see the top of this file. Holds at
/// most one line (max_line bytes) between calls.
class uudecoder {
 public:
  /// Longest line taken, without its line break; a longer line is
  /// malformed inside the data and skipped (and never a "begin" line).
  static constexpr std::size_t max_line = 1000;

  /// `base_offset` is the stream offset of the first byte, for diagnostics.
  explicit uudecoder(std::uint64_t base_offset = 0) noexcept : offset_(base_offset), line_start_(base_offset) {}

  /// True once the "begin" line was seen.
  bool begun() const noexcept { return state_ != state::before_begin; }
  /// True once the "end" line was seen.
  bool ended() const noexcept { return state_ == state::done; }
  /// The name and mode of the "begin" line (empty and 0 before it).
  const std::string& name() const noexcept { return name_; }
  /// The mode of the "begin" line (its octal digits; 0 before it).
  std::uint32_t mode() const noexcept { return mode_; }

  /// Decodes `in`, appending to `out`; diagnostics go to `d` (may be null).
  void decode(std::string_view in, std::string& out, diagnostics* d) {
    while (!in.empty()) {
      const auto* nl = static_cast<const char*>(std::memchr(in.data(), '\n', in.size()));
      const std::size_t n = nl != nullptr ? static_cast<std::size_t>(nl - in.data()) + 1 : in.size();
      if (nl != nullptr && partial_.empty() && !overlong_) {
        line(in.substr(0, n), out, d);  // whole line in view: no copy
      } else {
        // A line cut by the end of a chunk. More than max_line bytes before
        // the CRLF is overlong whatever follows: stop keeping it.
        if (!overlong_ && partial_.size() + n > max_line + 2) {
          overlong_ = true;
          partial_.clear();
        } else if (!overlong_) {
          partial_.append(in.data(), n);
        }
        if (nl != nullptr) end_partial(out, d, offset_ + n);
      }
      offset_ += n;
      in.remove_prefix(n);
    }
  }

  /// Ends the stream: decodes a last line without line break, then reports
  /// errc::uuencode_missing_begin or errc::uuencode_missing_end (at the end
  /// of the stream) if the block is incomplete.
  void finish(std::string& out, diagnostics* d) {
    if (!partial_.empty() || overlong_) end_partial(out, d, offset_);
    if (state_ == state::before_begin) detail::report(d, errc::uuencode_missing_begin, offset_);
    if (state_ == state::data || state_ == state::after_data) {
      detail::report(d, errc::uuencode_missing_end, offset_);
    }
  }

 private:
  enum class state : std::uint8_t { before_begin, data, after_data, done };

  void end_partial(std::string& out, diagnostics* d, std::uint64_t line_end) {
    if (overlong_) {
      if (state_ == state::data) detail::report(d, errc::uuencode_malformed_line, line_start_);
    } else {
      line(partial_, out, d);
    }
    partial_.clear();
    overlong_ = false;
    line_start_ = line_end;
  }

  // One line, with its line break if it has one; line_start_ is its offset
  // and is moved past it here.
  void line(std::string_view raw, std::string& out, diagnostics* d) {
    const std::uint64_t start = line_start_;
    line_start_ += raw.size();
    const std::string_view l = detail::chop_line_break(raw);
    if (l.size() > max_line) {
      if (state_ == state::data) detail::report(d, errc::uuencode_malformed_line, start);
      return;
    }
    switch (state_) {
      case state::before_begin:
        if (const auto b = parse_uuencode_begin(l)) {
          name_.assign(b->name.data(), b->name.size());
          mode_ = b->mode;
          state_ = state::data;
        }
        return;
      case state::data:
        if (l.empty() || (in_alphabet(static_cast<unsigned char>(l[0])) && uu(l[0]) == 0)) {
          state_ = state::after_data;
          if (l.size() > 1 && !all_padding(l.substr(1))) detail::report(d, errc::uuencode_malformed_line, start);
        } else if (detail::trim_trailing_wsp(l) == "end") {
          state_ = state::done;
        } else if (!data_line(l, out)) {
          detail::report(d, errc::uuencode_malformed_line, start);
        }
        return;
      case state::after_data:
        if (detail::trim_trailing_wsp(l) == "end") state_ = state::done;
        return;
      case state::done:
        return;
    }
  }

  static constexpr bool in_alphabet(unsigned char c) noexcept { return c >= 0x20 && c <= 0x60; }
  static constexpr unsigned uu(char c) noexcept {
    return (static_cast<unsigned>(static_cast<unsigned char>(c)) - 0x20u) & 63u;
  }
  static constexpr bool all_padding(std::string_view s) noexcept {
    for (const char c : s) {
      if (c != ' ' && c != '`') return false;
    }
    return true;
  }

  // Decodes one data line; false when it is malformed (its bytes are
  // written all the same).
  static bool data_line(std::string_view l, std::string& out) {
    bool ok = in_alphabet(static_cast<unsigned char>(l[0]));
    const std::size_t n = uu(l[0]);
    const std::size_t chars = (n + 2) / 3 * 4;
    const std::string_view body = l.substr(1);
    const std::size_t old = out.size();
    out.resize(old + n);
    char* o = &out[old];
    std::size_t written = 0;
    for (std::size_t g = 0; g < chars; g += 4) {
      unsigned v = 0;
      for (std::size_t k = 0; k < 4; ++k) {
        const char c = g + k < body.size() ? body[g + k] : ' ';
        ok = ok && in_alphabet(static_cast<unsigned char>(c));
        v = (v << 6) | uu(c);
      }
      for (int shift = 16; shift >= 0 && written < n; shift -= 8) {
        o[written++] = static_cast<char>((v >> shift) & 0xFFu);
      }
    }
    if (body.size() > chars && !all_padding(body.substr(chars))) ok = false;
    return ok;
  }

  std::uint64_t offset_;      // of the next byte decode() reads
  std::uint64_t line_start_;  // of the line being read
  std::string partial_;       // a line cut by the end of a chunk, up to max_line + 2 bytes
  bool overlong_ = false;     // partial_ is over max_line: the line is skipped
  state state_ = state::before_begin;
  std::uint32_t mode_ = 0;
  std::string name_;
};

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_UUENCODE_HPP
