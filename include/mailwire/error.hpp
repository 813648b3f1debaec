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

enum class errc : std::uint16_t {
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
  /// Bytes that must be UTF-8 are not well-formed UTF-8 (overlong forms,
  /// surrogates and code points above U+10FFFF included).
  invalid_utf8 = 42,

  // -- SASL (sasl/) -------------------------------------------------------
  /// The mechanism name is not one mailwire implements, or not enabled.
  sasl_unknown_mechanism = 60,
  /// A message does not follow the mechanism's syntax (RFC 4616, RFC 5802
  /// 7, RFC 7628 3.1...), or a decoded message is empty where it may not be.
  sasl_malformed = 61,
  /// A credential field holds a byte its mechanism forbids: NUL in PLAIN,
  /// CR or LF anywhere, ',' or '=' unescaped in a SCRAM name, \x01 in an
  /// OAuth field.
  sasl_invalid_field = 62,
  /// A message or field is longer than the configured limit.
  sasl_too_long = 63,
  /// A SCRAM message lacks a required attribute.
  sasl_missing_attribute = 64,
  /// A SCRAM message repeats an attribute, or has one out of order.
  sasl_duplicate_attribute = 65,
  /// The SCRAM server nonce does not start with the client's nonce, or the
  /// client-final nonce is not the combined one.
  sasl_bad_nonce = 66,
  /// The SCRAM iteration count is zero, not a number, or above the limit.
  sasl_bad_iteration_count = 67,
  /// The SCRAM server signature is wrong: the server does not know the
  /// password (or someone is in the middle). The client must not proceed.
  sasl_bad_server_signature = 68,
  /// The SCRAM channel-binding data or flag does not match this connection.
  sasl_channel_binding_mismatch = 69,
  /// A message arrived in a state that expects none (a challenge after the
  /// exchange ended, success before the server proved itself...).
  sasl_unexpected_message = 70,
  /// Authentication failed: wrong password or proof, token refused, or the
  /// application refused the identity.
  sasl_auth_failed = 71,
  /// The client cancelled the exchange ("*").
  sasl_cancelled = 72,
  /// The server reported an error inside the mechanism (SCRAM "e=", an
  /// OAuth JSON error status).
  sasl_server_error = 73,
  /// The mechanism would expose the password without TLS, and the policy
  /// does not allow it.
  sasl_insecure = 74,
  /// SASLprep (RFC 4013) prohibits a character of the string.
  saslprep_prohibited = 75,
  /// The string holds a character outside the repertoire mailwire's
  /// SASLprep normalises (see sasl/saslprep.hpp); it is refused rather
  /// than normalised wrongly.
  saslprep_unsupported = 76,

  // -- SMTP (smtp/) -------------------------------------------------------
  /// A reply line is not three digits (2xx-5xx) followed by SP, '-' or the
  /// end of the line (RFC 5321 4.2).
  smtp_malformed_reply = 80,
  /// The lines of one multi-line reply carry different codes.
  smtp_inconsistent_reply = 81,
  /// A reply has more lines, or more bytes, than the configured limit.
  smtp_reply_too_long = 82,
  /// A command verb is unknown (500).
  smtp_unknown_command = 83,
  /// A command's arguments do not follow its syntax (501).
  smtp_syntax_error = 84,
  /// A reverse-path or forward-path is not valid RFC 5321 4.1.2 syntax (501).
  smtp_bad_path = 85,
  /// A MAIL or RCPT parameter is malformed, repeated, or has a bad value (501/555).
  smtp_bad_parameter = 86,
  /// UTF-8 in an address or parameter without SMTPUTF8 (RFC 6531 3.2; 553).
  smtp_utf8_not_allowed = 87,
  /// xtext with a bad "+HH" escape or a forbidden character (RFC 3461 4).
  smtp_bad_xtext = 88,
  /// DATA ended without the terminating CRLF.CRLF (the input ended).
  smtp_data_truncated = 89,
  /// The message is larger than the limit (552); the rest was drained.
  smtp_message_too_big = 90,
  /// A NUL byte in message data, which RFC 5321 2.3.8 and RFC 6152 forbid
  /// and which many filters and stores mishandle.
  smtp_nul_in_data = 91,
  /// A reply the client did not expect: a code the command cannot have, a
  /// reply with no command outstanding, or a refused greeting.
  smtp_unexpected_reply = 92,
  /// The TLS policy requires STARTTLS and the server does not offer it.
  smtp_tls_unavailable = 93,
  /// The message needs an extension the server lacks (SMTPUTF8, 8BITMIME,
  /// CHUNKING for BINARYMIME).
  smtp_extension_missing = 94,
  /// Bytes arrived after the server's 220 to STARTTLS, before TLS: someone
  /// injected them (the client side of CVE-2011-0411). The session ends.
  smtp_data_after_starttls = 95,

  // -- MIME parser (mime/parser.hpp): diagnostics, 100-139 ------------------

  // -- MIME body codecs (mime/quoted_printable.hpp, mime/uuencode.hpp,
  //    mime/transfer_encoding.hpp): diagnostics, 140-159 -------------------

  // -- MIME header syntax (mime/encoded_word.hpp, mime/content_type.hpp,
  //    mime/address.hpp, mime/date.hpp, mime/message_id.hpp): 160-199 ------

  // -- charsets (mime/charset.hpp): 200-209 ---------------------------------
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
    {errc::invalid_utf8, "invalid_utf8", "invalid UTF-8"},
    {errc::sasl_unknown_mechanism, "sasl_unknown_mechanism", "unknown SASL mechanism"},
    {errc::sasl_malformed, "sasl_malformed", "malformed SASL message"},
    {errc::sasl_invalid_field, "sasl_invalid_field", "forbidden character in a SASL field"},
    {errc::sasl_too_long, "sasl_too_long", "SASL message or field too long"},
    {errc::sasl_missing_attribute, "sasl_missing_attribute", "missing SCRAM attribute"},
    {errc::sasl_duplicate_attribute, "sasl_duplicate_attribute", "repeated or misplaced SCRAM attribute"},
    {errc::sasl_bad_nonce, "sasl_bad_nonce", "wrong SCRAM nonce"},
    {errc::sasl_bad_iteration_count, "sasl_bad_iteration_count", "SCRAM iteration count zero or over the limit"},
    {errc::sasl_bad_server_signature, "sasl_bad_server_signature", "wrong SCRAM server signature"},
    {errc::sasl_channel_binding_mismatch, "sasl_channel_binding_mismatch", "SCRAM channel binding mismatch"},
    {errc::sasl_unexpected_message, "sasl_unexpected_message", "unexpected SASL message"},
    {errc::sasl_auth_failed, "sasl_auth_failed", "authentication failed"},
    {errc::sasl_cancelled, "sasl_cancelled", "authentication cancelled"},
    {errc::sasl_server_error, "sasl_server_error", "server reported a SASL error"},
    {errc::sasl_insecure, "sasl_insecure", "mechanism exposes the password without TLS"},
    {errc::saslprep_prohibited, "saslprep_prohibited", "character prohibited by SASLprep"},
    {errc::saslprep_unsupported, "saslprep_unsupported", "character outside the supported SASLprep repertoire"},
    {errc::smtp_malformed_reply, "smtp_malformed_reply", "malformed SMTP reply"},
    {errc::smtp_inconsistent_reply, "smtp_inconsistent_reply", "SMTP reply lines with different codes"},
    {errc::smtp_reply_too_long, "smtp_reply_too_long", "SMTP reply has too many lines or bytes"},
    {errc::smtp_unknown_command, "smtp_unknown_command", "unknown SMTP command"},
    {errc::smtp_syntax_error, "smtp_syntax_error", "SMTP command syntax error"},
    {errc::smtp_bad_path, "smtp_bad_path", "invalid SMTP path"},
    {errc::smtp_bad_parameter, "smtp_bad_parameter", "invalid MAIL or RCPT parameter"},
    {errc::smtp_utf8_not_allowed, "smtp_utf8_not_allowed", "UTF-8 address without SMTPUTF8"},
    {errc::smtp_bad_xtext, "smtp_bad_xtext", "invalid xtext"},
    {errc::smtp_data_truncated, "smtp_data_truncated", "message data ended without CRLF.CRLF"},
    {errc::smtp_message_too_big, "smtp_message_too_big", "message exceeds the size limit"},
    {errc::smtp_nul_in_data, "smtp_nul_in_data", "NUL byte in message data"},
    {errc::smtp_unexpected_reply, "smtp_unexpected_reply", "unexpected SMTP reply"},
    {errc::smtp_tls_unavailable, "smtp_tls_unavailable", "STARTTLS required but not offered"},
    {errc::smtp_extension_missing, "smtp_extension_missing", "server lacks an extension the message needs"},
    {errc::smtp_data_after_starttls, "smtp_data_after_starttls", "data injected after the STARTTLS reply"},
    // MIME parser
    // MIME body codecs
    // MIME header syntax
    // charsets
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
