// mailwire: charsets to UTF-8 (stub: US-ASCII, UTF-8 and ISO-8859-1 only;
// the full set is being built — the one-shot `to_utf8` signature below is
// the contract other headers use and will not change).
#ifndef MAILWIRE_MIME_CHARSET_HPP
#define MAILWIRE_MIME_CHARSET_HPP

#include <string>
#include <string_view>

#include "../core/ascii.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// Converts `in`, encoded in the charset named `charset` (any IANA name or
/// alias, case-insensitive), to UTF-8 appended to `out`. Malformed input
/// becomes U+FFFD. Returns false, appending nothing, when the charset is
/// unknown: the caller keeps the raw bytes and reports it.
inline bool to_utf8(std::string_view charset, std::string_view in, std::string& out) {
  if (ascii::iequals(charset, "us-ascii") || ascii::iequals(charset, "utf-8") ||
      ascii::iequals(charset, "ascii")) {
    out.append(in);
    return true;
  }
  if (ascii::iequals(charset, "iso-8859-1") || ascii::iequals(charset, "latin1")) {
    for (char c : in) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x80) {
        out.push_back(c);
      } else {
        out.push_back(static_cast<char>(0xC0 | (u >> 6)));
        out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
      }
    }
    return true;
  }
  return false;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_CHARSET_HPP
