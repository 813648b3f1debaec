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
//    test a writer needs to make sure a body cannot end its part early;
//  - detail::find_dash_line() finds the parser's boundary candidates, the
//    '-' bytes right after a LF, with a vector kernel where the CPU has one
//    (AVX2, AVX-512BW; core/cpu.hpp): a LF and a '-' compared in one pass
//    over the text instead of a memchr stop at every '-' of prose, lists
//    and signatures. The scalar reference is the memchr loop.
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

#include "mailwire/core/scan.hpp"
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

namespace detail {

// The scalar reference of find_dash_line: a memchr per '-'.
inline std::size_t find_dash_line_scalar(const char* d, std::size_t from, std::size_t n) noexcept {
  if (from == 0) from = 1;  // d[0] has no LF before it here
  while (from < n) {
    const void* m = std::memchr(d + from, '-', n - from);
    if (m == nullptr) break;
    const auto q = static_cast<std::size_t>(static_cast<const char*>(m) - d);
    if (d[q - 1] == '\n') return q;
    from = q + 1;
  }
  return n;
}

#if defined(MAILWIRE_SIMD_X86)
// Whole vectors of d[from..] against '-' and of d[from - 1..] against LF
// (from >= 1: the byte before is in the text); the tail, shorter than a
// vector, to the scalar code. Nothing is read outside [d, d + n).
MAILWIRE_TARGET_AVX2 inline std::size_t find_dash_line_avx2(const char* d, std::size_t from, std::size_t n) noexcept {
  if (from == 0) from = 1;
  const __m256i dash = _mm256_set1_epi8('-');
  const __m256i lf = _mm256_set1_epi8('\n');
  for (; from < n && n - from >= 32; from += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + from));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + from - 1));
    const auto m = static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(x, dash), _mm256_cmpeq_epi8(y, lf))));
    if (m != 0) return from + static_cast<std::size_t>(__builtin_ctz(m));
  }
  return find_dash_line_scalar(d, from, n);
}

MAILWIRE_TARGET_AVX512 inline std::size_t find_dash_line_avx512(const char* d, std::size_t from,
                                                                std::size_t n) noexcept {
  if (from == 0) from = 1;
  const __m512i dash = _mm512_set1_epi8('-');
  const __m512i lf = _mm512_set1_epi8('\n');
  for (; from < n && n - from >= 64; from += 64) {
    const __m512i x = _mm512_loadu_si512(d + from);
    const __m512i y = _mm512_loadu_si512(d + from - 1);
    const auto m = static_cast<std::uint64_t>(_mm512_cmpeq_epi8_mask(x, dash) & _mm512_cmpeq_epi8_mask(y, lf));
    if (m != 0) return from + static_cast<std::size_t>(__builtin_ctzll(m));
  }
  return find_dash_line_scalar(d, from, n);
}
#endif

/// The first position i >= from of `d` where a '-' follows a LF (so i >= 1),
/// or d.size(): the MIME parser's boundary candidates. The kernels of
/// `level` (mailwire::detail::scan_level_now()) answer exactly what the
/// scalar reference answers.
inline std::size_t find_dash_line(std::string_view d, std::size_t from, mailwire::detail::scan_level level) noexcept {
  const std::size_t n = d.size();
  if (from >= n) return n;
#if defined(MAILWIRE_SIMD_X86)
  if (n - from >= 64) {  // shorter than a vector: the scalar code, with no call into a kernel
    switch (level) {
      case mailwire::detail::scan_level::avx512:
        return find_dash_line_avx512(d.data(), from, n);
      case mailwire::detail::scan_level::avx2:
        return find_dash_line_avx2(d.data(), from, n);
      default:
        break;
    }
  }
#else
  (void)level;
#endif
  return find_dash_line_scalar(d.data(), from, n);
}

}  // namespace detail
}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_BOUNDARY_HPP
