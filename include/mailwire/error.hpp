// mailwire: error codes.
//
// Every error the library reports, for bad peer input or for misuse by the
// caller, is one `mailwire::errc` value. Errors are values: nothing in mailwire
// throws (only std::bad_alloc may escape from an allocation). `errc` converts
// implicitly to std::error_code through `mailwire::error_category()`, so it can
// be compared with and stored as a std::error_code.
//
// Value 0 is reserved for "no error", as std::error_code requires; the other
// values are stable within a minor version and are never reused.
#ifndef MAILWIRE_ERROR_HPP
#define MAILWIRE_ERROR_HPP

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace mailwire {
inline namespace v0 {

enum class errc : std::uint8_t {
  /// No error.
  ok = 0,

  // -- framing (core/line_reader.hpp, core/recv_buffer.hpp) ---------------
  /// A line is longer than the configured maximum (which counts its CRLF).
  /// The reader discards the rest of the line up to its LF and goes on.
  line_too_long = 1,
  /// A line ends in LF without the CR before it, and bare LF is not allowed.
  /// Bare LF is how SMTP smuggling starts; see line_options::allow_bare_lf.
  bare_lf = 2,
  /// A CR inside a line is not followed by LF, and bare CR is not allowed.
  bare_cr = 3,
  /// feed() was given more bytes than the receive buffer may hold; the bytes
  /// past the limit were not taken.
  buffer_full = 4,

  // -- base64 (core/base64.hpp) -------------------------------------------
  /// A byte outside the base64 alphabet (in strict mode this includes
  /// whitespace and line breaks).
  base64_invalid_char = 20,
  /// '=' padding in the wrong place: inside a quantum, too much of it, or
  /// followed by more data.
  base64_bad_padding = 21,
  /// The input ended in the middle of a 4-character quantum.
  base64_truncated = 22,
  /// The bits below the last decoded byte are not zero (strict mode): the
  /// encoding is not canonical, so two encodings would decode alike.
  base64_noncanonical = 23,
  /// Decoded output does not fit in the buffer the caller gave.
  output_too_small = 24,

  // -- use of the API -----------------------------------------------------
  /// An action was called in a state that does not allow it; nothing was
  /// queued and the state did not change.
  invalid_state = 40,
  /// An argument cannot be sent as given (for example CR, LF or NUL in a
  /// field that goes on a command line); nothing was queued.
  invalid_argument = 41,
};

namespace detail {
struct errc_text {
  errc code;
  std::string_view name;         // the enumerator, as spelt above
  std::string_view description;  // short English, no trailing period
};

inline constexpr errc_text errc_texts[] = {
    {errc::ok, "ok", "success"},
    {errc::line_too_long, "line_too_long", "line too long"},
    {errc::bare_lf, "bare_lf", "line ends in LF without CR"},
    {errc::bare_cr, "bare_cr", "CR not followed by LF"},
    {errc::buffer_full, "buffer_full", "receive buffer full"},
    {errc::base64_invalid_char, "base64_invalid_char", "invalid base64 character"},
    {errc::base64_bad_padding, "base64_bad_padding", "misplaced base64 padding"},
    {errc::base64_truncated, "base64_truncated", "base64 input ends inside a quantum"},
    {errc::base64_noncanonical, "base64_noncanonical", "non-canonical base64 (nonzero trailing bits)"},
    {errc::output_too_small, "output_too_small", "output buffer too small"},
    {errc::invalid_state, "invalid_state", "action not allowed in this state"},
    {errc::invalid_argument, "invalid_argument", "argument cannot be sent as given"},
};

constexpr const errc_text* find_text(errc e) noexcept {
  for (const errc_text& t : errc_texts) {
    if (t.code == e) return &t;
  }
  return nullptr;
}
}  // namespace detail

/// A short English description of `e`, without a trailing period, in
/// static storage; "unknown mailwire error" for a value not in the enum.
constexpr std::string_view to_string(errc e) noexcept {
  const detail::errc_text* t = detail::find_text(e);
  return t != nullptr ? t->description : "unknown mailwire error";
}

/// The identifier of `e`, as spelt in the enum ("line_too_long"): the form
/// used in test vectors and logs; "unknown" for a value not in the enum.
constexpr std::string_view to_name(errc e) noexcept {
  const detail::errc_text* t = detail::find_text(e);
  return t != nullptr ? t->name : "unknown";
}

namespace detail {
class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mailwire"; }
  std::string message(int ev) const override {
    return std::string(to_string(static_cast<errc>(ev)));
  }
};
}  // namespace detail

/// The std::error_category of every mailwire::errc. One object per program
/// (a static in an inline function), so codes compare equal across
/// translation units and shared libraries built from the same headers.
inline const std::error_category& error_category() noexcept {
  static const detail::error_category_impl category;
  return category;
}

/// Found by argument-dependent lookup when an errc becomes a std::error_code.
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace v0
}  // namespace mailwire

namespace std {
template <>
struct is_error_code_enum<mailwire::errc> : true_type {};
}  // namespace std

#endif  // MAILWIRE_ERROR_HPP
