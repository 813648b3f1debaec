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
  /// A CR inside a line is not followed by LF, and bare CR is not allowed
  /// (MIME: in a header, or in a body that is neither binary nor base64).
  bare_cr = 3,

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
  /// SCRAM (or CRAM-MD5 on a server) needs a nonce from the caller's random
  /// source and none was given.
  sasl_missing_nonce = 77,

  // -- sessions: every protocol machine (SMTP now; POP3 and IMAP too) -----
  /// A reply or response line does not follow the protocol's syntax (SMTP:
  /// three digits 2xx-5xx then SP, '-' or the end, RFC 5321 4.2).
  malformed_reply = 80,
  /// A reply has more lines, or more bytes, than the configured limit.
  reply_too_long = 82,
  /// A command verb is unknown (SMTP 500).
  unknown_command = 83,
  /// A command's arguments do not follow its syntax (SMTP 501).
  syntax_error = 84,
  /// The input ended (finish()) in the middle of something: a command or
  /// reply line, message data without its terminator, a chunk shorter than
  /// announced, an AUTH exchange.
  truncated = 89,
  /// The message is larger than the limit (SMTP 552); the rest was drained.
  message_too_big = 90,
  /// A NUL byte where the format forbids it: in message data (RFC 5321
  /// 2.3.8, RFC 6152), in a MIME header, or in a MIME body that is neither
  /// binary nor base64. Many filters and stores mishandle NUL.
  nul_byte = 91,
  /// A reply the client did not expect: a code the command cannot have, a
  /// reply with no command outstanding, a reply that arrived before the
  /// command it would answer was written (response injection), or a
  /// refused greeting.
  unexpected_reply = 92,
  /// The TLS policy requires TLS and the server does not offer it.
  tls_unavailable = 93,
  /// The message needs an extension the server lacks (SMTPUTF8, 8BITMIME,
  /// CHUNKING for BINARYMIME), or a command needs an extension the client
  /// has not asked for (SMTP: STARTTLS or BDAT before EHLO).
  extension_missing = 94,
  /// Bytes arrived after the reply that switches to TLS and before TLS
  /// (the CVE-2011-0411 class): a client treats them as an attack and ends
  /// the session; a server never parses them (take_unconsumed()).
  data_after_starttls = 95,
  /// Too many failed authentication attempts in one session (each counted
  /// against the machine's max_auth_failures); the session is closed.
  too_many_auth_failures = 96,
  /// Too many bad commands in one session (max_errors); the session is
  /// closed.
  too_many_errors = 97,

  // -- SMTP (smtp/) -------------------------------------------------------
  /// The lines of one multi-line reply carry different codes.
  smtp_inconsistent_reply = 81,
  /// A reverse-path or forward-path is not valid RFC 5321 4.1.2 syntax (501).
  smtp_bad_path = 85,
  /// A MAIL or RCPT parameter is malformed, repeated, or has a bad value (501/555).
  smtp_bad_parameter = 86,
  /// UTF-8 in an address or parameter without SMTPUTF8 (RFC 6531 3.2; 553).
  smtp_utf8_not_allowed = 87,
  /// xtext with a bad "+HH" escape or a forbidden character (RFC 3461 4).
  smtp_bad_xtext = 88,

  // -- MIME parser (mime/parser.hpp): diagnostics, 100-139 ------------------
  /// A line in a header block is neither a field nor folded: the header block ends there and the line starts the body (RFC 5322 2.2).
  mime_header_without_colon = 100,
  /// A folded (white-space first) line opens a header block: it is skipped.
  mime_continuation_without_field = 101,
  /// A header field is longer than parser_options::max_field: it was cut there and the rest skipped.
  mime_header_too_long = 102,
  /// An entity has more header fields than parser_options::max_fields; the rest were skipped.
  mime_too_many_fields = 103,
  /// A second Content-Type, Content-Transfer-Encoding, Content-Disposition or Content-ID field: the first one is used.
  mime_duplicate_field = 107,
  /// A multipart without a boundary parameter: read as a leaf.
  mime_missing_boundary = 108,
  /// A multipart's boundary never appears: all of its body is preamble.
  mime_boundary_not_found = 109,
  /// A multipart ends (the input ends, or an outer boundary comes) without its close boundary.
  mime_missing_close_boundary = 110,
  /// A boundary is longer than RFC 2046's 70 characters (used anyway), or longer than parser_options::max_boundary (the multipart is read as a leaf).
  mime_boundary_too_long = 111,
  /// Multiparts or messages nest deeper than parser_options::max_depth: the deeper one is read as a leaf.
  mime_depth_exceeded = 112,
  /// More entities than parser_options::max_parts: the rest of the enclosing multipart is skipped.
  mime_too_many_parts = 113,
  /// A body part ends inside its header block (a boundary or the end of input came before the blank line).
  mime_truncated = 114,
  /// A multipart or message/rfc822 entity has a Content-Transfer-Encoding other than 7bit, 8bit or binary (RFC 2045 6.4): ignored for a multipart, and a message is then read as a leaf.
  mime_encoded_multipart = 115,
  /// The input starts with an mbox "From " line, which was skipped.
  mime_mbox_from_line = 116,
  /// The input starts with a UTF-8 byte order mark, which was skipped.
  mime_bom_skipped = 117,

  // -- MIME body codecs (mime/quoted_printable.hpp, mime/uuencode.hpp,
  //    mime/transfer_encoding.hpp): diagnostics, 140-159 -------------------
  /// Quoted-printable '=' not followed by two hex digits or a line break
  /// (RFC 2045 6.7 rule 1); the bytes are kept literally. At the '='.
  qp_invalid_escape = 140,
  /// A quoted-printable line longer than 76 characters before its line
  /// break (RFC 2045 6.7 rule 5); decoded anyway. At the line break.
  qp_line_too_long = 141,
  /// A uuencoded line with a byte outside the uuencode alphabet, junk
  /// after the data its length byte announces, or over the line limit;
  /// what can be decoded is kept. At the start of the line.
  uuencode_malformed_line = 142,
  /// No "begin <mode> <name>" line before the end of the body.
  uuencode_missing_begin = 143,
  /// A uuencoded block without its "end" line.
  uuencode_missing_end = 144,
  /// A Content-Transfer-Encoding this library does not know; the body is
  /// passed through as binary (RFC 2045 6.4).
  unknown_transfer_encoding = 145,

  // -- MIME header syntax (mime/encoded_word.hpp, mime/content_type.hpp,
  //    mime/address.hpp, mime/date.hpp, mime/message_id.hpp): 160-199 ------
  /// An RFC 2047 encoded-word is malformed: no charset, an encoding other
  /// than B or Q, or no closing "?=" (kept literally); or bad B or Q text
  /// (decoded leniently, the bad bytes kept or skipped).
  mime_bad_encoded_word = 160,
  /// An encoded-word inside a quoted string, which RFC 2047 5 forbids;
  /// decoded anyway, as mail clients do.
  mime_encoded_word_in_quotes = 161,
  /// Whitespace or a fold inside an encoded-word; decoded without the
  /// folds (a space stays a space in Q).
  mime_encoded_word_whitespace = 162,
  /// An encoded-word touches other text without whitespace between
  /// (RFC 2047 5); decoded, the boundary kept as one space in text.
  mime_encoded_word_glued = 163,
  /// An encoded-word in a MIME parameter value (not allowed by RFC 2047 5,
  /// common for name and filename); decoded.
  mime_encoded_word_in_parameter = 165,
  /// A parameter (or an RFC 2231 section) appears twice; the first wins.
  mime_duplicate_parameter = 166,
  /// Both `name` and `name*` are given with different values; the RFC 2231
  /// form wins.
  mime_conflicting_parameter = 167,
  /// A parameter without a name, without '=', or with an empty unquoted
  /// value; skipped up to the next ';'.
  mime_bad_parameter = 168,
  /// Two parameters not separated by ';'; read as two parameters.
  mime_missing_semicolon = 169,
  /// An unquoted parameter value holds spaces or tspecials (RFC 2045 5.1
  /// wants a quoted string); the value runs to the next ';' or parameter.
  mime_unquoted_parameter = 170,
  /// RFC 2231 continuations or extended value are malformed: a missing
  /// section, a bad section number, a bad %-escape, a repeated charset.
  mime_bad_rfc2231 = 171,
  /// A Content-Type or Content-Disposition value is not type/subtype (or a
  /// disposition token); the defaults are used, or junk was skipped.
  mime_bad_content_type = 172,
  /// An address list item is not a mailbox or group (missing angle
  /// brackets, no '@', text after the address, nested group...); read as
  /// well as possible.
  mime_bad_address = 173,
  /// An obsolete source route (<@a,@b:user@c>, RFC 5322 4.4) was dropped.
  mime_address_route = 174,
  /// A date cannot be read, or a field is out of range; valid is false.
  mime_bad_date = 175,
  /// A date has no zone or an unknown one; +0000 is assumed.
  mime_date_zone = 176,
  /// A date's day of the week is not that of the date.
  mime_date_weekday = 177,
  /// A msg-id is not <left@right>: brackets missing or empty, no '@'.
  mime_bad_message_id = 178,
  /// A header value holds bytes that are not well-formed UTF-8; they are
  /// read as windows-1252.
  mime_8bit_header = 179,
  /// A quoted string, comment, domain literal or angle address is not
  /// closed before the end of the value (closed there), or a closing
  /// '>', ')' or ']' has no opening one (ignored).
  mime_unbalanced = 180,
  /// Comments nest deeper than mime::max_comment_depth.
  mime_comment_too_deep = 181,
  /// A file name (Content-Disposition filename, Content-Type name) cannot
  /// be used as it is to name a file: path separators, "..", control
  /// characters or NUL, a reserved Windows name, too long, or empty. The
  /// raw name is kept; mime::safe_filename() gives a usable one.
  mime_unsafe_filename = 182,
  /// The message builder was given content, to write as it is, holding a
  /// line that starts with "--" and an enclosing multipart's boundary
  /// (mime/builder.hpp): it would end its part early in every reader.
  mime_boundary_collision = 183,

  // -- charsets (mime/charset.hpp): 200-209 ---------------------------------
  /// The charset is neither built in nor known to the caller's hook; the
  /// bytes were left as they are (not converted to UTF-8).
  charset_unknown = 200,
  /// Bytes not valid in their charset (a malformed or truncated sequence,
  /// a surrogate or an unmapped byte, or 8-bit bytes labelled us-ascii);
  /// they were replaced by U+FFFD, or for us-ascii read as windows-1252.
  charset_malformed = 201,

  // -- IMAP syntax (imap/): 210-219 ------------------------------------------
  /// A literal announcement that is not one: junk between the braces, a
  /// length past 2^64-1, "{n+}" where the peer did not offer LITERAL+ (or
  /// over 4096 octets under LITERAL-), "~{n}" where binary is not allowed,
  /// or no CRLF right after the closing brace.
  imap_bad_literal = 210,
  /// A literal longer than the limit for where it appears (a string inside
  /// a command or response, or a message body the application refused).
  imap_literal_too_big = 211,
  /// Parenthesised lists or SEARCH keys nested deeper than the limit.
  imap_too_deep = 212,
  /// A mailbox name that is not valid modified UTF-7 (RFC 3501 5.1.3) or,
  /// under UTF8=ACCEPT, not valid UTF-8.
  imap_bad_mailbox = 213,
  /// A tagged response whose tag is not that of a command in flight.
  imap_unknown_tag = 214,
  /// A continuation request ("+") when no command waits for one.
  imap_unexpected_continuation = 215,
  /// More literals in one command or response than the limit.
  imap_too_many_literals = 216,
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
    {errc::base64_invalid_char, "base64_invalid_char", "invalid base64 character"},
    {errc::base64_bad_padding, "base64_bad_padding", "misplaced base64 padding"},
    {errc::base64_truncated, "base64_truncated", "base64 input ends inside a quantum"},
    {errc::base64_noncanonical, "base64_noncanonical", "non-canonical base64 (nonzero trailing bits)"},
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
    {errc::sasl_missing_nonce, "sasl_missing_nonce", "SASL mechanism needs a nonce and none was given"},
    {errc::malformed_reply, "malformed_reply", "malformed reply"},
    {errc::reply_too_long, "reply_too_long", "reply has too many lines or bytes"},
    {errc::unknown_command, "unknown_command", "unknown command"},
    {errc::syntax_error, "syntax_error", "command syntax error"},
    {errc::truncated, "truncated", "input ended in the middle of a command, reply or message"},
    {errc::message_too_big, "message_too_big", "message exceeds the size limit"},
    {errc::nul_byte, "nul_byte", "NUL byte"},
    {errc::unexpected_reply, "unexpected_reply", "unexpected reply"},
    {errc::tls_unavailable, "tls_unavailable", "TLS required but not offered"},
    {errc::extension_missing, "extension_missing", "a needed extension is missing or was not negotiated"},
    {errc::data_after_starttls, "data_after_starttls", "data injected after the reply that switches to TLS"},
    {errc::too_many_auth_failures, "too_many_auth_failures", "too many failed authentication attempts"},
    {errc::too_many_errors, "too_many_errors", "too many errors"},
    {errc::smtp_inconsistent_reply, "smtp_inconsistent_reply", "SMTP reply lines with different codes"},
    {errc::smtp_bad_path, "smtp_bad_path", "invalid SMTP path"},
    {errc::smtp_bad_parameter, "smtp_bad_parameter", "invalid MAIL or RCPT parameter"},
    {errc::smtp_utf8_not_allowed, "smtp_utf8_not_allowed", "UTF-8 address without SMTPUTF8"},
    {errc::smtp_bad_xtext, "smtp_bad_xtext", "invalid xtext"},
    // MIME parser
    {errc::mime_header_without_colon, "mime_header_without_colon", "header line without a colon"},
    {errc::mime_continuation_without_field, "mime_continuation_without_field", "folded header line with no field before it"},
    {errc::mime_header_too_long, "mime_header_too_long", "header field too long"},
    {errc::mime_too_many_fields, "mime_too_many_fields", "too many header fields"},
    {errc::mime_duplicate_field, "mime_duplicate_field", "repeated Content-* field (the first is used)"},
    {errc::mime_missing_boundary, "mime_missing_boundary", "multipart without a boundary"},
    {errc::mime_boundary_not_found, "mime_boundary_not_found", "multipart boundary never found"},
    {errc::mime_missing_close_boundary, "mime_missing_close_boundary", "missing close boundary"},
    {errc::mime_boundary_too_long, "mime_boundary_too_long", "boundary too long"},
    {errc::mime_depth_exceeded, "mime_depth_exceeded", "nesting too deep"},
    {errc::mime_too_many_parts, "mime_too_many_parts", "too many parts"},
    {errc::mime_truncated, "mime_truncated", "part ends inside its header block"},
    {errc::mime_encoded_multipart, "mime_encoded_multipart", "encoded multipart or message"},
    {errc::mime_mbox_from_line, "mime_mbox_from_line", "mbox From line skipped"},
    {errc::mime_bom_skipped, "mime_bom_skipped", "byte order mark at the start skipped"},
    // MIME body codecs
    {errc::qp_invalid_escape, "qp_invalid_escape", "invalid quoted-printable escape"},
    {errc::qp_line_too_long, "qp_line_too_long", "quoted-printable line longer than 76 characters"},
    {errc::uuencode_malformed_line, "uuencode_malformed_line", "malformed uuencoded line"},
    {errc::uuencode_missing_begin, "uuencode_missing_begin", "uuencoded body without a begin line"},
    {errc::uuencode_missing_end, "uuencode_missing_end", "uuencoded body without an end line"},
    {errc::unknown_transfer_encoding, "unknown_transfer_encoding", "unknown Content-Transfer-Encoding"},
    // MIME header syntax
    {errc::mime_bad_encoded_word, "mime_bad_encoded_word", "malformed encoded-word"},
    {errc::mime_encoded_word_in_quotes, "mime_encoded_word_in_quotes", "encoded-word inside a quoted string (decoded)"},
    {errc::mime_encoded_word_whitespace, "mime_encoded_word_whitespace", "whitespace inside an encoded-word (decoded)"},
    {errc::mime_encoded_word_glued, "mime_encoded_word_glued", "encoded-word not separated from other text (decoded)"},
    {errc::mime_encoded_word_in_parameter, "mime_encoded_word_in_parameter", "encoded-word in a parameter value (decoded)"},
    {errc::mime_duplicate_parameter, "mime_duplicate_parameter", "duplicate parameter (first kept)"},
    {errc::mime_conflicting_parameter, "mime_conflicting_parameter", "plain and RFC 2231 forms of a parameter differ (RFC 2231 kept)"},
    {errc::mime_bad_parameter, "mime_bad_parameter", "malformed parameter skipped"},
    {errc::mime_missing_semicolon, "mime_missing_semicolon", "missing ';' between parameters"},
    {errc::mime_unquoted_parameter, "mime_unquoted_parameter", "unquoted parameter value with spaces or specials"},
    {errc::mime_bad_rfc2231, "mime_bad_rfc2231", "malformed RFC 2231 parameter"},
    {errc::mime_bad_content_type, "mime_bad_content_type", "malformed Content-Type or Content-Disposition"},
    {errc::mime_bad_address, "mime_bad_address", "malformed address"},
    {errc::mime_address_route, "mime_address_route", "obsolete route dropped from an address"},
    {errc::mime_bad_date, "mime_bad_date", "malformed or out-of-range date"},
    {errc::mime_date_zone, "mime_date_zone", "date zone missing or unknown (+0000 assumed)"},
    {errc::mime_date_weekday, "mime_date_weekday", "date weekday does not match the date"},
    {errc::mime_bad_message_id, "mime_bad_message_id", "malformed message id"},
    {errc::mime_8bit_header, "mime_8bit_header", "8-bit header bytes that are not UTF-8"},
    {errc::mime_unbalanced, "mime_unbalanced", "unbalanced quote, comment or bracket"},
    {errc::mime_comment_too_deep, "mime_comment_too_deep", "comments nested too deep"},
    {errc::mime_unsafe_filename, "mime_unsafe_filename", "file name unsafe to use as it is"},
    {errc::mime_boundary_collision, "mime_boundary_collision", "content holds a line starting with its boundary"},
    // charsets
    {errc::charset_unknown, "charset_unknown", "unknown charset"},
    {errc::charset_malformed, "charset_malformed", "bytes not valid in their charset"},
    // IMAP syntax
    {errc::imap_bad_literal, "imap_bad_literal", "malformed or disallowed IMAP literal announcement"},
    {errc::imap_literal_too_big, "imap_literal_too_big", "IMAP literal larger than allowed here"},
    {errc::imap_too_deep, "imap_too_deep", "IMAP lists or search keys nested too deep"},
    {errc::imap_bad_mailbox, "imap_bad_mailbox", "invalid IMAP mailbox name encoding"},
    {errc::imap_unknown_tag, "imap_unknown_tag", "tagged IMAP response for no command in flight"},
    {errc::imap_unexpected_continuation, "imap_unexpected_continuation", "IMAP continuation request nobody waits for"},
    {errc::imap_too_many_literals, "imap_too_many_literals", "too many literals in one IMAP command or response"},
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
