// mailwire: decimal numbers read from the wire.
//
// Every number a peer sends goes through parse_number(): SMTP's SIZE,
// BDAT chunk sizes, HOLDFOR, LIMITS and the parts of enhanced status codes
// and address literals; POP3 message numbers and octet counts; IMAP
// numbers, literal sizes and sequence numbers. One loop, one overflow check,
// one rule for how many digits a grammar allows.
#ifndef MAILWIRE_CORE_NUMBER_HPP
#define MAILWIRE_CORE_NUMBER_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailwire/core/ascii.hpp"

namespace mailwire {
inline namespace v0 {

/// Reads all of `s` as an unsigned decimal number: 1 to `max_digits` ASCII
/// digits (leading zeros count as digits) and nothing else: no sign, no
/// space, no other base. `max_digits` is the grammar's bound ("1*20DIGIT":
/// 20), so a number is refused before it is computed when it is too long.
///
/// Returns true with the value in `out`; false, with `out` unchanged, when
/// `s` is empty, holds a non-digit, has more than `max_digits` digits, or
/// is greater than UINT64_MAX. In that last case only (digits within
/// `max_digits`, value too large) `*overflow` is set to true when
/// `overflow` is given, for protocols that answer it differently (SMTP's
/// SIZE beyond any limit, RFC 1870 6.1). Ranges narrower than uint64 are
/// the caller's to check on the value.
constexpr bool parse_number(std::string_view s, std::size_t max_digits, std::uint64_t& out,
                            bool* overflow = nullptr) noexcept {
  if (s.empty() || s.size() > max_digits) return false;
  std::uint64_t v = 0;
  bool over = false;
  for (const char c : s) {
    if (!ascii::is_digit(c)) return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    // Past the first overflow the value wraps (defined for unsigned) and is
    // not used: the rest is read only to tell overflow from a non-digit.
    over = over || v > (UINT64_MAX - d) / 10;
    v = v * 10 + d;
  }
  if (over) {
    if (overflow != nullptr) *overflow = true;
    return false;
  }
  out = v;
  return true;
}

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_NUMBER_HPP
