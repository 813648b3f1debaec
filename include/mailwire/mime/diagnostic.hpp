// mailwire: MIME diagnostics.
//
// MIME is read leniently (real mail is often malformed), so what is wrong or
// ambiguous in a message is reported as a diagnostic beside the result, not
// as a failure: an `errc` naming the problem and the byte offset where it was
// seen. Offsets are from the start of whatever the function was given (a
// header value for the header-syntax functions, the whole message for the
// parser, which adds the field's own offset). A security filter and a
// display can then agree on one reading and know where it was a guess.
#ifndef MAILWIRE_MIME_DIAGNOSTIC_HPP
#define MAILWIRE_MIME_DIAGNOSTIC_HPP

#include <cstdint>
#include <vector>

#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// One problem found in the input: what, and where (byte offset).
struct diagnostic {
  /// What was found (a mime_*, charset_* or header errc).
  errc code = errc::ok;
  /// Where: the byte offset in the message.
  std::uint64_t offset = 0;

  friend bool operator==(const diagnostic& a, const diagnostic& b) noexcept {
    return a.code == b.code && a.offset == b.offset;
  }
  friend bool operator!=(const diagnostic& a, const diagnostic& b) noexcept { return !(a == b); }
};

/// Where header-syntax functions append their diagnostics; may be null when
/// the caller does not want them. Appends only: never cleared by a callee.
using diagnostics = std::vector<diagnostic>;

namespace detail {
inline void report(diagnostics* d, errc code, std::uint64_t offset) {
  if (d != nullptr) d->push_back({code, offset});
}
}  // namespace detail

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_DIAGNOSTIC_HPP
