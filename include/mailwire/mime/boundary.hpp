// mailwire: multipart boundaries (RFC 2046 5.1.1).
//
// A multipart body is cut by delimiter lines, "--" boundary, and ends at the
// close line, "--" boundary "--"; either may be followed by white space
// (transport-padding) before its line break. The parser (parser.hpp) and the
// message builder read and write boundaries through these functions, so both
// agree on what a boundary line is:
//
//  - match_boundary_line() tells whether the text at a line start is a
//    delimiter or close line of one boundary, or whether more input is needed
//    to know (the parser feeds it whatever it has buffered);
//  - is_valid_boundary() checks a boundary against the RFC 2046 grammar, for
//    a writer choosing one;
//  - find_dash_boundary() finds a line that starts with "--" boundary, the
//    test a writer needs to make sure a body cannot end its part early.
//
// The parser's reading is exact: a line that merely starts with the boundary
// ("--abc" for boundary "ab", "--ab-x") is body text. Other readers take any
// line that starts with "--" boundary (RFC 2046's note to implementors), so a
// writer must avoid those too: find_dash_boundary() is that looser test.
#ifndef MAILWIRE_MIME_BOUNDARY_HPP
#define MAILWIRE_MIME_BOUNDARY_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mailwire/limits.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// What match_boundary_line() found.
enum class boundary_status : std::uint8_t {
  no,         ///< not a boundary line of this boundary
  more,       ///< cannot tell yet: the text ends too early (never at the end of input)
  delimiter,  ///< "--" boundary, padding, line break
  close,      ///< "--" boundary "--", padding, line break
};

/// A line compared with a multipart's boundary.
struct boundary_match {
  /// Not a boundary line, a delimiter, or the close delimiter.
  boundary_status status = boundary_status::no;
  /// delimiter and close: the bytes of the line with its line break (CRLF,
  /// LF, or a lone CR at the end of input), or up to the end of input.
  std::size_t length = 0;
};

/// Longest transport-padding (spaces and tabs after the boundary) taken; a
/// line with more is not a boundary line. RFC 5322's line length: a reader
/// never holds more than that to decide.
inline constexpr std::size_t max_boundary_padding = limits::header_line;

/// Is `text`, which starts at a line start, a delimiter or close line of
/// `boundary` (not empty)? `at_end` tells that `text` is all the input left:
/// then the answer is never `more`, and a boundary line may end there
/// without a line break. A line break is LF or CRLF (a CR not followed by
/// LF is not one). Looks at no more than 4 + boundary.size() +
/// max_boundary_padding + 2 bytes of `text`.
inline boundary_match match_boundary_line(std::string_view text, std::string_view boundary, bool at_end) noexcept {
  const auto wait = [&] { return boundary_match{at_end ? boundary_status::no : boundary_status::more, 0}; };
  const auto found = [](bool close, std::size_t length) {
    return boundary_match{close ? boundary_status::close : boundary_status::delimiter, length};
  };
  if (text.size() < 2) {
    if (!text.empty() && text[0] != '-') return {};
    return wait();
  }
  if (text[0] != '-' || text[1] != '-') return {};
  const std::string_view name = text.substr(2, boundary.size());
  if (name != boundary.substr(0, name.size())) return {};
  if (name.size() < boundary.size()) return wait();
  std::size_t j = 2 + boundary.size();
  bool close = false;
  if (j < text.size() && text[j] == '-') {
    if (j + 1 == text.size()) return wait();
    if (text[j + 1] != '-') return {};
    close = true;
    j += 2;
  }
  const std::size_t pad_start = j;
  while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) {
    if (j - pad_start >= max_boundary_padding) return {};
    ++j;
  }
  if (j == text.size()) return at_end ? found(close, j) : wait();
  if (text[j] == '\n') return found(close, j + 1);
  if (text[j] != '\r') return {};
  if (j + 1 == text.size()) return at_end ? found(close, j + 1) : wait();
  if (text[j + 1] == '\n') return found(close, j + 2);
  return {};
}

/// True when `boundary` follows RFC 2046 5.1.1: 1 to 70 characters from
/// letters, digits and '()+_,-./:=? and space, the last not a space. A
/// writer should choose such a boundary (the parser reads longer ones, up to
/// parser_options::max_boundary, but other readers may not).
inline bool is_valid_boundary(std::string_view boundary) noexcept {
  if (boundary.empty() || boundary.size() > limits::mime_boundary || boundary.back() == ' ') return false;
  for (const char c : boundary) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("'()+_,-./:=? ").find(c) == std::string_view::npos) return false;
  }
  return true;
}

/// Offset of the first line of `text` that starts with "--" `boundary`,
/// whatever follows on the line, or npos. Lines start at the beginning of
/// `text` and after each LF or CR (a bare CR ends a line for some readers).
/// A writer calls it on each body (and on each enclosed boundary line) it
/// puts inside the multipart: npos means no reader can see the boundary
/// there. `text` must be whole: a line cut between two calls is not seen.
inline std::size_t find_dash_boundary(std::string_view text, std::string_view boundary) noexcept {
  const std::size_t need = 2 + boundary.size();
  for (std::size_t from = 0; from < text.size();) {
    const void* m = std::memchr(text.data() + from, '-', text.size() - from);
    if (m == nullptr) break;
    const auto q = static_cast<std::size_t>(static_cast<const char*>(m) - text.data());
    const bool line_start = q == 0 || text[q - 1] == '\n' || text[q - 1] == '\r';
    if (line_start && text.size() - q >= need && text[q + 1] == '-' &&
        text.compare(q + 2, boundary.size(), boundary) == 0) {
      return q;
    }
    from = q + 1;
  }
  return std::string_view::npos;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_BOUNDARY_HPP
