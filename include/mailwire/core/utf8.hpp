// mailwire: UTF-8, strictly by RFC 3629 (no overlong forms, no surrogates,
// nothing above U+10FFFF). The one decoder the SMTP paths, SASLprep, MIME
// headers and the charset converters share.
#ifndef MAILWIRE_CORE_UTF8_HPP
#define MAILWIRE_CORE_UTF8_HPP

#include <cstddef>
#include <string>
#include <string_view>

#include "mailwire/core/scan.hpp"

namespace mailwire {
inline namespace v0 {
namespace utf8 {

/// One decoded code point; `length` 0 means the bytes are not well-formed.
struct decoded {
  char32_t cp = 0;         ///< the code point (0 when not well-formed)
  std::size_t length = 0;  ///< bytes it takes, 1 to 4; 0: not well-formed
};

/// Decodes the character at `in[i]` (i < in.size()). A truncated sequence
/// at the end of `in` is not well-formed.
constexpr decoded decode(std::string_view in, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  const unsigned b0 = byte(i);
  if (b0 < 0x80) return {static_cast<char32_t>(b0), 1};
  std::size_t n = 0;
  unsigned lo = 0x80;  // the range of the second byte
  unsigned hi = 0xBF;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return {};  // a continuation byte, C0, C1 (overlong) or F5-FF
  }
  if (in.size() - i < n) return {};
  for (std::size_t k = 1; k < n; ++k) {
    const unsigned b = byte(i + k);
    if (b < lo || b > hi) return {};
    lo = 0x80;
    hi = 0xBF;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return {cp, n};
}

/// Offset of the first byte of `in` that does not start a well-formed
/// character, or in.size() when all of `in` is UTF-8. ASCII runs are
/// skipped by the shared vector scan (core/scan.hpp: the next byte >= 0x80);
/// non-ASCII characters are decoded one by one, a run of them without going
/// back to the scan.
inline std::size_t invalid_at(std::string_view in) noexcept {
  static constexpr detail::byte_set non_ascii = detail::make_byte_set("", true);
  const detail::scan_level level = detail::scan_level_now();
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const char* p = begin;
  for (;;) {
    p = detail::scan(level, p, end, non_ascii);
    while (p != end && static_cast<unsigned char>(*p) >= 0x80) {
      const auto i = static_cast<std::size_t>(p - begin);
      const std::size_t n = decode(in, i).length;
      if (n == 0) return i;
      p += n;
    }
    if (p == end) return in.size();
  }
}

/// True when all of `in` is well-formed UTF-8.
inline bool valid(std::string_view in) noexcept { return invalid_at(in) == in.size(); }

/// Appends the UTF-8 form of `cp` (a scalar value: not a surrogate, at most
/// U+10FFFF; anything else appends U+FFFD).
inline void append(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    append(0xFFFD, out);
  }
}

}  // namespace utf8
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_UTF8_HPP
