// mailwire: SMTP/LMTP commands, syntax tier: the server parses them.
//
//     smtp::command cmd;
//     smtp::command_result r = smtp::parse_command(line, cmd, options);
//     if (!r.ok()) reply r.reply_code (and r.status) and go on;
//
// parse_command() takes one command line without its CRLF (as core's
// line_reader yields it) and fills a `command`: the verb, its argument, and
// for MAIL and RCPT the path and the typed parameters (RFC 1870 SIZE,
// RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3461 DSN, RFC 4954 AUTH=, RFC 8689
// REQUIRETLS, RFC 4865 FUTURERELEASE, RFC 6710 MT-PRIORITY). Everything in
// the command is a view into `line`: valid as long as the caller's line is
// (for a line from line_reader: until the next call on its buffer). The
// one allocation on the success path is the vector of unknown parameters,
// and only when a MAIL or RCPT carries some. xtext values are kept in their
// wire form (smtp::xtext, encoded == true) and decoded on demand.
//
// Errors are values: a command_result with the errc, the reply code a
// server should send (500, 501, 504, 552, 553 or 555) with its enhanced
// status code, and the offset in the line of the offending byte.
// Serialisation (the client side) is in smtp/writer.hpp.
#ifndef MAILWIRE_SMTP_COMMAND_HPP
#define MAILWIRE_SMTP_COMMAND_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/error.hpp"
#include "mailwire/sasl/mechanism.hpp"
#include "mailwire/smtp/path.hpp"
#include "mailwire/smtp/reply.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {

/// The commands mailwire knows (RFC 5321 4.1.1, LMTP RFC 2033, CHUNKING
/// RFC 3030, STARTTLS RFC 3207, AUTH RFC 4954, ETRN RFC 1985, BURL RFC 4468).
enum class verb : std::uint8_t {
  helo, ehlo, lhlo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth, etrn, burl,
};

inline constexpr std::size_t verb_count = 17;

namespace detail {
// At namespace scope: a table local to a constexpr function is rebuilt on
// every call (C++17 has no static constexpr locals there).
inline constexpr std::string_view verb_names[verb_count] = {
    "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP",
    "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", "ETRN", "BURL"};
}  // namespace detail

/// The verb as written on the wire, upper case: "MAIL".
constexpr std::string_view to_string(verb v) noexcept { return detail::verb_names[static_cast<std::size_t>(v)]; }

/// BODY= (RFC 6152 2, RFC 3030 3).
enum class body_type : std::uint8_t { seven_bit, eight_bit_mime, binary_mime };

constexpr std::string_view to_string(body_type b) noexcept {
  return b == body_type::seven_bit ? "7BIT" : b == body_type::eight_bit_mime ? "8BITMIME" : "BINARYMIME";
}

/// RET= (RFC 3461 4.3): return the full message or only its headers in a DSN.
enum class dsn_return : std::uint8_t { full, headers };

constexpr std::string_view to_string(dsn_return r) noexcept { return r == dsn_return::full ? "FULL" : "HDRS"; }

/// NOTIFY= (RFC 3461 4.1) as bits: notify_never alone, or any of the
/// other three. 0 means no NOTIFY parameter.
enum notify_flags : std::uint8_t {
  notify_never = 1u << 0,
  notify_success = 1u << 1,
  notify_failure = 1u << 2,
  notify_delay = 1u << 3,
};

/// A MAIL or RCPT parameter mailwire does not know, kept verbatim:
/// esmtp-keyword ["=" esmtp-value] (RFC 5321 4.1.2). `value` is empty when
/// there is no "=" (an empty value is not valid syntax).
struct esmtp_parameter {
  std::string_view keyword;
  std::string_view value;
  constexpr bool operator==(const esmtp_parameter& o) const noexcept {
    return keyword == o.keyword && value == o.value;
  }
  constexpr bool operator!=(const esmtp_parameter& o) const noexcept { return !(*this == o); }
};

/// The parameters of MAIL FROM that mailwire knows. Absent parameters are
/// nullopt / false.
struct mail_parameters {
  /// SIZE=n (RFC 1870): the declared message size, any uint64.
  std::optional<std::uint64_t> size;
  /// BODY= (RFC 6152, RFC 3030).
  std::optional<body_type> body;
  /// SMTPUTF8 (RFC 6531 3.4): the transaction may carry UTF-8 addresses.
  bool smtputf8 = false;
  /// RET= (RFC 3461 4.3).
  std::optional<dsn_return> ret;
  /// ENVID= (RFC 3461 4.4): at most 100 octets of xtext.
  std::optional<xtext> envid;
  /// AUTH= (RFC 4954 5): the submitter's identity, xtext; "<>" when the
  /// identity is not known.
  std::optional<xtext> auth;
  /// REQUIRETLS (RFC 8689 4.1).
  bool requiretls = false;
  /// HOLDFOR= seconds (RFC 4865 3), 1-9 digits.
  std::optional<std::uint32_t> hold_for;
  /// HOLDUNTIL= an RFC 3339 date-time (RFC 4865 3), checked for its syntax.
  std::optional<std::string_view> hold_until;
  /// MT-PRIORITY= -9..9 (RFC 6710 3).
  std::optional<std::int8_t> mt_priority;

  bool operator==(const mail_parameters& o) const noexcept {
    return size == o.size && body == o.body && smtputf8 == o.smtputf8 && ret == o.ret && envid == o.envid &&
           auth == o.auth && requiretls == o.requiretls && hold_for == o.hold_for && hold_until == o.hold_until &&
           mt_priority == o.mt_priority;
  }
  bool operator!=(const mail_parameters& o) const noexcept { return !(*this == o); }
};

/// ORCPT= (RFC 3461 4.2): addr-type ";" xtext, as "rfc822;user@example.org".
struct original_recipient {
  std::string_view addr_type;  ///< an atom such as "rfc822", compared as is
  xtext address;
  constexpr bool operator==(const original_recipient& o) const noexcept {
    return addr_type == o.addr_type && address == o.address;
  }
  constexpr bool operator!=(const original_recipient& o) const noexcept { return !(*this == o); }
};

/// The parameters of RCPT TO that mailwire knows.
struct rcpt_parameters {
  /// NOTIFY= as notify_flags bits; 0 when absent.
  std::uint8_t notify = 0;
  /// ORCPT= (RFC 3461 4.2): at most 500 octets.
  std::optional<original_recipient> orcpt;

  bool operator==(const rcpt_parameters& o) const noexcept { return notify == o.notify && orcpt == o.orcpt; }
  bool operator!=(const rcpt_parameters& o) const noexcept { return !(*this == o); }
};

/// One command. Which fields mean something depends on `kind`:
///
///   HELO EHLO LHLO   argument: Domain or address-literal
///   MAIL             address (kind mailbox or null), mail, extra
///   RCPT             address (kind mailbox or postmaster), rcpt, extra
///   BDAT             chunk_size, last
///   NOOP HELP        argument: the optional string (may be empty)
///   VRFY EXPN        argument: the string (never empty)
///   ETRN             argument: the node ("example.org", "@example.org",
///                    "#queue", RFC 1985)
///   AUTH             argument: the mechanism name as sent; mechanism: it,
///                    when mailwire implements it; initial_response: the
///                    base64 text as sent, empty for "=" (RFC 4954 4)
///   BURL             argument: the URL; last
///   DATA RSET QUIT STARTTLS   nothing
///
/// Other fields stay at their defaults, so commands compare with ==.
struct command {
  verb kind = verb::noop;
  std::string_view argument;
  path address;
  mail_parameters mail;
  rcpt_parameters rcpt;
  /// Unknown MAIL/RCPT parameters, in order, verbatim.
  std::vector<esmtp_parameter> extra;
  std::uint64_t chunk_size = 0;
  bool last = false;
  std::optional<sasl::mechanism> mechanism;
  std::optional<std::string_view> initial_response;

  bool operator==(const command& o) const noexcept {
    return kind == o.kind && argument == o.argument && address == o.address && mail == o.mail && rcpt == o.rcpt &&
           extra == o.extra && chunk_size == o.chunk_size && last == o.last && mechanism == o.mechanism &&
           initial_response == o.initial_response;
  }
  bool operator!=(const command& o) const noexcept { return !(*this == o); }
};

/// How parse_command() reads. Options are per session (or per transaction,
/// for smtputf8) and default to strict RFC 5321.
struct command_options {
  /// SMTPUTF8 may be in use (RFC 6531): the server offers it and, for RCPT
  /// (and VRFY, EXPN), the transaction's MAIL carried SMTPUTF8. A MAIL's
  /// own path and parameters may hold UTF-8 only when the same MAIL carries
  /// the SMTPUTF8 parameter. Without it any 8-bit byte in a path or
  /// argument is errc::smtp_utf8_not_allowed (553 5.6.7).
  bool smtputf8 = false;
  /// Lenient: accept one SP after "MAIL FROM:" and "RCPT TO:" ("MAIL FROM:
  /// <a@b>"). RFC 5321 4.1.2 forbids it (RFC 821 did too), but old clients
  /// and hand-written scripts send it and Postfix accepts it by default
  /// (strict_rfc821_envelopes = no). The grammar stays unambiguous (a path
  /// still starts at "<"), so no smuggling or injection is reopened; what
  /// it costs is strictness: a relay may accept from its clients what a
  /// stricter next hop rejects.
  bool allow_space_after_colon = false;
  /// Lenient: accept a valueless MAIL parameter given twice in one command
  /// ("MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8": Python's smtplib adds its own
  /// SMTPUTF8 to a caller's mail_options that hold one already; Postfix
  /// accepts it). Applies to SMTPUTF8 and
  /// REQUIRETLS only: a repeated flag means what it means once, so nothing
  /// is reopened. Parameters with a value (SIZE=1 SIZE=2, BODY=..., unknown
  /// ones) stay refused when repeated: which one would count is ambiguous.
  bool allow_repeated_flag_parameters = false;
};

/// What parse_command() found wrong, with the reply a server should send.
struct command_result {
  errc error = errc::ok;
  /// The suggested reply code: 500 unknown command, 501 syntax (bad path,
  /// bad parameter syntax, bad xtext), 504 a parameter value that is not
  /// implemented (BODY=8BIT), 552 a SIZE beyond any limit (more than
  /// 2^64-1), 553 UTF-8 without SMTPUTF8, 555 a parameter of the other
  /// command (NOTIFY on MAIL). 0 on success.
  std::uint16_t reply_code = 0;
  /// The suggested enhanced status code (RFC 3463): 5.5.2 unknown command,
  /// 5.5.4 bad arguments, 5.1.7 / 5.1.3 bad sender / recipient address,
  /// 5.6.7 UTF-8 not allowed, 5.3.4 message too big.
  enhanced_status status{};
  /// Offset in the line of the offending byte (0 on success).
  std::size_t offset = 0;

  constexpr bool ok() const noexcept { return error == errc::ok; }
};

namespace detail {

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") (RFC 5321 4.1.2)
constexpr bool is_esmtp_keyword(std::string_view s) noexcept {
  if (s.empty() || !is_let_dig(s[0])) return false;
  for (char c : s) {
    if (!is_let_dig(c) && c != '-') return false;
  }
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126) (RFC 5321 4.1.2), =/ UTF8-non-ascii
// (RFC 6531 3.3). Returns ok, smtp_bad_parameter, or the UTF-8 errors.
constexpr errc check_esmtp_value(std::string_view s, bool utf8, std::size_t& at) noexcept {
  if (s.empty()) return errc::smtp_bad_parameter;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x80) {
      errc e = errc::ok;
      const std::size_t n = utf8_step(s, i, utf8, e);
      if (n == 0) {
        at = i;
        return e;
      }
      i += n;
      continue;
    }
    if (b < 33 || b > 126 || b == '=') {
      at = i;
      return errc::smtp_bad_parameter;
    }
    ++i;
  }
  return errc::ok;
}

// An unsigned decimal of 1..max_digits digits into `out`; false on a
// non-digit, too many digits or overflow of uint64.
constexpr bool parse_number(std::string_view s, std::size_t max_digits, std::uint64_t& out,
                            bool* overflow = nullptr) noexcept {
  if (s.empty() || s.size() > max_digits) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!ascii::is_digit(c)) return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      if (overflow != nullptr) *overflow = true;
      return false;
    }
    v = v * 10 + d;
  }
  out = v;
  return true;
}

constexpr bool two_digits(std::string_view s, std::size_t i, unsigned lo, unsigned hi) noexcept {
  if (s.size() < i + 2 || !ascii::is_digit(s[i]) || !ascii::is_digit(s[i + 1])) return false;
  const auto v = static_cast<unsigned>((s[i] - '0') * 10 + (s[i + 1] - '0'));
  return v >= lo && v <= hi;
}

// date-time = full-date "T" full-time (RFC 3339 5.6); "T" and "Z" may be
// lower case (RFC 3339 5.6 NOTE).
constexpr bool is_rfc3339_date_time(std::string_view s) noexcept {
  // full-date = date-fullyear "-" date-month "-" date-mday
  if (s.size() < 20) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    if (!ascii::is_digit(s[i])) return false;
  }
  if (s[4] != '-' || !two_digits(s, 5, 1, 12) || s[7] != '-' || !two_digits(s, 8, 1, 31)) return false;
  if (s[10] != 'T' && s[10] != 't') return false;
  // partial-time = time-hour ":" time-minute ":" time-second [time-secfrac]
  if (!two_digits(s, 11, 0, 23) || s[13] != ':' || !two_digits(s, 14, 0, 59) || s[16] != ':' ||
      !two_digits(s, 17, 0, 60)) {
    return false;
  }
  std::size_t i = 19;
  if (s[i] == '.') {
    const std::size_t start = ++i;
    while (i < s.size() && ascii::is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  // time-offset = "Z" / time-numoffset
  if (i == s.size()) return false;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  return s.size() == i + 6 && two_digits(s, i + 1, 0, 23) && s[i + 3] == ':' && two_digits(s, i + 4, 0, 59);
}

// sasl-mech = 1*20mech-char, mech-char = UPPER-ALPHA / DIGIT / "-" / "_"
// (RFC 4422 3.1); lower case accepted, as names compare case-insensitively.
constexpr bool is_sasl_mech(std::string_view s) noexcept {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (!is_let_dig(c) && c != '-' && c != '_') return false;
  }
  return true;
}

// initial-response = base64 / "=" (RFC 4954 4): the base64 alphabet, then
// at most two "=", in a multiple of four characters.
constexpr bool is_initial_response(std::string_view s) noexcept {
  if (s == "=") return true;
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  for (char c : s) {
    if (c == '=') {
      ++pad;
    } else if (pad != 0 || !ascii::is(c, ascii::base64)) {
      return false;
    }
  }
  return pad <= 2;
}

// String arguments of NOOP, HELP, VRFY, EXPN (RFC 5321 4.1.2: String =
// Atom / Quoted-string, taken here as any text): VCHAR, SP and HTAB, plus
// well-formed UTF-8 when allowed.
constexpr errc check_text_argument(std::string_view s, bool utf8, std::size_t& at) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (is_8bit(c)) {
      errc e = errc::ok;
      const std::size_t n = utf8_step(s, i, utf8, e);
      if (n == 0) {
        at = i;
        return e;
      }
      i += n;
    } else if (ascii::is_vchar(c) || c == ' ' || c == '\t') {
      ++i;
    } else {
      at = i;
      return errc::syntax_error;
    }
  }
  return errc::ok;
}

constexpr bool has_8bit(std::string_view s) noexcept {
  for (char c : s) {
    if (is_8bit(c)) return true;
  }
  return false;
}

constexpr command_result command_error(errc e, std::size_t at, verb v, std::uint16_t code = 0) noexcept {
  command_result r;
  r.error = e;
  r.offset = at;
  switch (e) {
    case errc::unknown_command:
      r.reply_code = 500;
      r.status = {5, 5, 2};
      break;
    case errc::smtp_utf8_not_allowed:
      r.reply_code = 553;
      r.status = {5, 6, 7};
      break;
    case errc::smtp_bad_path:
    case errc::invalid_utf8:
      r.reply_code = 501;
      r.status = v == verb::mail ? enhanced_status{5, 1, 7}
                 : v == verb::rcpt ? enhanced_status{5, 1, 3}
                                   : enhanced_status{5, 5, 4};
      break;
    default:
      r.reply_code = 501;
      r.status = {5, 5, 4};
  }
  if (code == 552) r.status = {5, 3, 4};
  if (code != 0) r.reply_code = code;
  return r;
}

// Which known parameters a MAIL or RCPT carried, for duplicates.
enum param_bit : unsigned {
  p_size = 1u << 0, p_body = 1u << 1, p_smtputf8 = 1u << 2, p_ret = 1u << 3, p_envid = 1u << 4,
  p_auth = 1u << 5, p_requiretls = 1u << 6, p_holdfor = 1u << 7, p_holduntil = 1u << 8,
  p_mtpriority = 1u << 9, p_notify = 1u << 10, p_orcpt = 1u << 11,
};

struct known_param {
  std::string_view name;
  unsigned bit;
  bool mail;  // a MAIL parameter (else RCPT)
};
// At namespace scope: a local table would be built again for every parameter.
inline constexpr known_param known_params[] = {
    {"SIZE", p_size, true},         {"BODY", p_body, true},           {"SMTPUTF8", p_smtputf8, true},
    {"RET", p_ret, true},           {"ENVID", p_envid, true},         {"AUTH", p_auth, true},
    {"REQUIRETLS", p_requiretls, true}, {"HOLDFOR", p_holdfor, true}, {"HOLDUNTIL", p_holduntil, true},
    {"MT-PRIORITY", p_mtpriority, true}, {"NOTIFY", p_notify, false}, {"ORCPT", p_orcpt, false},
};

// Parses " KEY[=VALUE] KEY[=VALUE]..." after a MAIL or RCPT path. `base` is
// the offset of `params` in the line, for error offsets.
inline command_result parse_parameters(std::string_view params, std::size_t base, command& out,
                                       const command_options& o) {
  const verb v = out.kind;
  const bool is_mail = v == verb::mail;
  const bool utf8 = o.smtputf8;
  unsigned seen = 0;
  std::size_t i = 0;
  while (i < params.size()) {
    // Mail-parameters = esmtp-param *(SP esmtp-param): exactly one SP each
    if (params[i] != ' ') return command_error(errc::syntax_error, base + i, v);
    ++i;
    const std::size_t start = i;
    std::size_t end = params.find(' ', i);
    if (end == std::string_view::npos) end = params.size();
    const std::string_view param = params.substr(start, end - start);
    if (param.empty()) return command_error(errc::syntax_error, base + start, v);  // two SPs, or a trailing one
    i = end;
    const std::size_t eq = param.find('=');
    const std::string_view key = param.substr(0, eq);
    const bool has_value = eq != std::string_view::npos;
    const std::string_view value = has_value ? param.substr(eq + 1) : std::string_view{};
    const std::size_t value_at = base + start + (has_value ? eq + 1 : param.size());
    if (!is_esmtp_keyword(key)) return command_error(errc::smtp_bad_parameter, base + start, v);
    if (has_value) {
      std::size_t at = 0;
      const errc e = check_esmtp_value(value, utf8, at);
      if (e != errc::ok) return command_error(e, value_at + at, v);
    }
    auto bad = [&](std::uint16_t code = 0) { return command_error(errc::smtp_bad_parameter, value_at, v, code); };
    auto no_value = [&]() { return has_value ? bad() : command_result{}; };
    auto need_value = [&]() { return has_value ? command_result{} : bad(); };

    unsigned bit = 0;
    for (const known_param& k : known_params) {
      if (!ascii::iequals(key, k.name)) continue;
      // RFC 5321 4.1.1.11 / 4.2.3: a parameter of the other command is not
      // implemented for this one: 555.
      if (k.mail != is_mail) return command_error(errc::smtp_bad_parameter, base + start, v, 555);
      bit = k.bit;
      break;
    }
    if (bit != 0) {
      if ((seen & bit) != 0) {
        // A flag said twice means what it says once (command_options::
        // allow_repeated_flag_parameters); anything with a value may not
        // repeat, whatever its values.
        const bool flag = bit == p_smtputf8 || bit == p_requiretls;
        if (!(flag && !has_value && o.allow_repeated_flag_parameters)) {
          return command_error(errc::smtp_bad_parameter, base + start, v);
        }
      }
      seen |= bit;
    }
    command_result r;
    switch (bit) {
      case p_size: {
        // size-value = 1*20DIGIT (RFC 1870 3); more than 2^64-1 is beyond
        // any server's limit: 552 (RFC 1870 6.1)
        if (!(r = need_value()).ok()) return r;
        bool overflow = false;
        std::uint64_t n = 0;
        if (!parse_number(value, 20, n, &overflow)) return bad(overflow ? 552 : 0);
        out.mail.size = n;
        break;
      }
      case p_body:
        // body-value = "7BIT" / "8BITMIME" (RFC 6152 2) / "BINARYMIME" (RFC 3030 3)
        if (!(r = need_value()).ok()) return r;
        if (ascii::iequals(value, "7BIT")) {
          out.mail.body = body_type::seven_bit;
        } else if (ascii::iequals(value, "8BITMIME")) {
          out.mail.body = body_type::eight_bit_mime;
        } else if (ascii::iequals(value, "BINARYMIME")) {
          out.mail.body = body_type::binary_mime;
        } else {
          return bad(504);
        }
        break;
      case p_smtputf8:
        // "SMTPUTF8" without a value (RFC 6531 3.4)
        if (!(r = no_value()).ok()) return r;
        out.mail.smtputf8 = true;
        break;
      case p_ret:
        // ret-value = "FULL" / "HDRS" (RFC 3461 4.3)
        if (!(r = need_value()).ok()) return r;
        if (ascii::iequals(value, "FULL")) {
          out.mail.ret = dsn_return::full;
        } else if (ascii::iequals(value, "HDRS")) {
          out.mail.ret = dsn_return::headers;
        } else {
          return bad(504);
        }
        break;
      case p_envid:
      case p_auth: {
        // ENVID = xtext, at most 100 characters (RFC 3461 4.4); AUTH =
        // xtext / "<>" (RFC 4954 5), "<>" being valid xtext already
        if (!(r = need_value()).ok()) return r;
        std::size_t at = 0;
        if (validate_xtext(value, &at) != errc::ok) return command_error(errc::smtp_bad_xtext, value_at + at, v);
        if (bit == p_envid && value.size() > 100) return bad();
        (bit == p_envid ? out.mail.envid : out.mail.auth) = xtext{value, true};
        break;
      }
      case p_requiretls:
        // "REQUIRETLS" without a value (RFC 8689 4.1)
        if (!(r = no_value()).ok()) return r;
        out.mail.requiretls = true;
        break;
      case p_holdfor: {
        // holdfor-value = 1*9DIGIT (RFC 4865 3)
        if (!(r = need_value()).ok()) return r;
        std::uint64_t n = 0;
        if (!parse_number(value, 9, n)) return bad();
        out.mail.hold_for = static_cast<std::uint32_t>(n);
        break;
      }
      case p_holduntil:
        // holduntil-value = date-time (RFC 4865 3, RFC 3339 5.6)
        if (!(r = need_value()).ok()) return r;
        if (!is_rfc3339_date_time(value)) return bad();
        out.mail.hold_until = value;
        break;
      case p_mtpriority: {
        // priority-value = [sign] DIGIT, -9..9 (RFC 6710 3)
        if (!(r = need_value()).ok()) return r;
        std::string_view digits = value;
        const bool negative = !digits.empty() && digits[0] == '-';
        if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
        if (digits.size() != 1 || !ascii::is_digit(digits[0])) return bad();
        const int n = digits[0] - '0';
        out.mail.mt_priority = static_cast<std::int8_t>(negative ? -n : n);
        break;
      }
      case p_notify: {
        // notify-esmtp-value = "NEVER" / 1#notify-list-element,
        // notify-list-element = "SUCCESS" / "FAILURE" / "DELAY" (RFC 3461 4.1)
        if (!(r = need_value()).ok()) return r;
        std::uint8_t flags = 0;
        std::string_view rest = value;
        for (;;) {
          const std::size_t comma = rest.find(',');
          const std::string_view item = rest.substr(0, comma);
          std::uint8_t f = 0;
          if (ascii::iequals(item, "NEVER")) {
            f = notify_never;
          } else if (ascii::iequals(item, "SUCCESS")) {
            f = notify_success;
          } else if (ascii::iequals(item, "FAILURE")) {
            f = notify_failure;
          } else if (ascii::iequals(item, "DELAY")) {
            f = notify_delay;
          } else {
            return bad();
          }
          if ((flags & f) != 0) return bad();
          flags = static_cast<std::uint8_t>(flags | f);
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
        if ((flags & notify_never) != 0 && flags != notify_never) return bad();
        out.rcpt.notify = flags;
        break;
      }
      case p_orcpt: {
        // orcpt-parameter = "ORCPT=" addr-type ";" xtext, addr-type = atom,
        // at most 500 characters (RFC 3461 4.2)
        if (!(r = need_value()).ok()) return r;
        if (value.size() > 500) return bad();
        const std::size_t semi = value.find(';');
        if (semi == std::string_view::npos || semi == 0) return bad();
        const std::string_view type = value.substr(0, semi);
        if (!ascii::all_of(type, ascii::atext)) return bad();
        const std::string_view addr = value.substr(semi + 1);
        std::size_t at = 0;
        if (validate_xtext(addr, &at) != errc::ok) {
          return command_error(errc::smtp_bad_xtext, value_at + semi + 1 + at, v);
        }
        out.rcpt.orcpt = original_recipient{type, xtext{addr, true}};
        break;
      }
      default:
        // Unknown: kept verbatim; repeating it is an error all the same.
        for (const esmtp_parameter& p : out.extra) {
          if (ascii::iequals(p.keyword, key)) return command_error(errc::smtp_bad_parameter, base + start, v);
        }
        out.extra.push_back({key, value});
    }
  }
  if ((seen & p_holdfor) != 0 && (seen & p_holduntil) != 0) {
    // RFC 4865 3: HOLDFOR and HOLDUNTIL are mutually exclusive.
    return command_error(errc::smtp_bad_parameter, base, v);
  }
  return {};
}

// "FROM:" / "TO:", then the path, then the parameters.
inline command_result parse_mail_rcpt(std::string_view line, std::size_t i, std::string_view word, command& out,
                                      const command_options& o) {
  const verb v = out.kind;
  // "MAIL FROM:" Reverse-path / "RCPT TO:" ( "<Postmaster@" Domain ">" /
  // "<Postmaster>" / Forward-path ) (RFC 5321 4.1.1.2, 4.1.1.3)
  if (line.size() - i <= word.size() || line[i] != ' ' || !ascii::iequals(line.substr(i + 1, word.size()), word)) {
    return command_error(errc::syntax_error, i, v);
  }
  i += 1 + word.size();
  if (o.allow_space_after_colon && i < line.size() && line[i] == ' ') ++i;
  const std::size_t path_at = i;
  const path_result pr =
      parse_path(line.substr(i), v == verb::mail ? path_role::reverse : path_role::forward, o.smtputf8, out.address);
  if (pr.error != errc::ok) return command_error(pr.error, i + pr.length, v);
  i += pr.length;
  const command_result r = parse_parameters(line.substr(i), i, out, o);
  if (!r.ok()) return r;
  // RFC 6531 3.4: a MAIL without SMTPUTF8 carries no UTF-8, whatever the
  // session offers.
  if (v == verb::mail && o.smtputf8 && !out.mail.smtputf8 && has_8bit(line.substr(path_at))) {
    std::size_t at = path_at;
    while (!is_8bit(line[at])) ++at;
    return command_error(errc::smtp_utf8_not_allowed, at, v);
  }
  return {};
}

}  // namespace detail

/// Parses one command line, without its CRLF (RFC 5321 4.1), into `out`
/// (which is reset first; its vector keeps its capacity). Verbs and
/// keywords are case-insensitive; the grammar is RFC 5321's, strictly:
/// exactly one SP between elements, nothing after an argument-less command
/// ("DATA x", "QUIT " are syntax_error), no SP after "FROM:" unless
/// command_options::allow_space_after_colon.
///
/// Errors (see command_result for the reply codes):
///  - unknown_command: the verb is not one of `verb`;
///  - syntax_error: arguments missing, extra or malformed;
///  - smtp_bad_path: a MAIL/RCPT path that is not RFC 5321 4.1.2 syntax, or
///    over limits::smtp_local_part / smtp_domain / domain_label / smtp_path;
///  - smtp_bad_parameter: a malformed, repeated or misplaced parameter, or
///    a value out of range; smtp_bad_xtext: bad xtext in ENVID, AUTH=, ORCPT;
///  - smtp_utf8_not_allowed, invalid_utf8: see command_options::smtputf8.
/// On error `out` holds what was read so far; do not use it.
inline command_result parse_command(std::string_view line, command& out, const command_options& o = {}) {
  out.argument = {};
  out.address = path{};
  out.mail = mail_parameters{};
  out.rcpt = rcpt_parameters{};
  out.extra.clear();
  out.chunk_size = 0;
  out.last = false;
  out.mechanism.reset();
  out.initial_response.reset();

  // Command verb: up to the first SP (RFC 5321 4.1.1: verbs are
  // case-insensitive character strings)
  const std::size_t sp = line.find(' ');
  const std::string_view word = line.substr(0, sp);
  bool found = false;
  for (std::size_t k = 0; k < verb_count; ++k) {
    if (ascii::iequals(word, to_string(static_cast<verb>(k)))) {
      out.kind = static_cast<verb>(k);
      found = true;
      break;
    }
  }
  if (!found) return detail::command_error(errc::unknown_command, 0, verb::noop);
  const verb v = out.kind;
  const std::size_t n = word.size();
  // [SP argument]: the argument after exactly one SP; `has_arg` is false
  // for a bare verb.
  const bool has_arg = sp != std::string_view::npos;
  const std::string_view arg = has_arg ? line.substr(n + 1) : std::string_view{};
  auto syntax = [&](std::size_t at) { return detail::command_error(errc::syntax_error, at, v); };

  switch (v) {
    case verb::data:
    case verb::rset:
    case verb::quit:
    case verb::starttls:
      // "DATA" CRLF, "RSET" CRLF, "QUIT" CRLF (RFC 5321 4.1.1), "STARTTLS"
      // CRLF (RFC 3207 4): no arguments at all
      if (has_arg) return syntax(n);
      return {};
    case verb::helo:
    case verb::ehlo:
    case verb::lhlo:
      // "EHLO" SP ( Domain / address-literal ), "HELO" SP Domain (RFC 5321
      // 4.1.1.1; address literals are accepted on HELO too, as servers do),
      // "LHLO" likewise (RFC 2033 4.1)
      if (!has_arg || arg.empty()) return syntax(n);
      if (validate_domain_or_literal(arg) != errc::ok) return syntax(n + 1);
      out.argument = arg;
      return {};
    case verb::mail: return detail::parse_mail_rcpt(line, n, "FROM:", out, o);
    case verb::rcpt: return detail::parse_mail_rcpt(line, n, "TO:", out, o);
    case verb::noop:
    case verb::help:
    case verb::vrfy:
    case verb::expn: {
      // "NOOP" [ SP String ], "HELP" [ SP String ], "VRFY" SP String,
      // "EXPN" SP String (RFC 5321 4.1.1.6-4.1.1.9)
      const bool required = v == verb::vrfy || v == verb::expn;
      if (has_arg && arg.empty()) return syntax(n + 1);
      if (required && !has_arg) return syntax(n);
      std::size_t at = 0;
      const errc e = detail::check_text_argument(arg, o.smtputf8, at);
      if (e != errc::ok) return detail::command_error(e, n + 1 + at, v);
      out.argument = arg;
      return {};
    }
    case verb::bdat: {
      // bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ], chunk-size =
      // 1*DIGIT, end-marker = "LAST" (RFC 3030 2)
      if (!has_arg) return syntax(n);
      const std::size_t sp2 = arg.find(' ');
      const std::string_view size = arg.substr(0, sp2);
      if (sp2 != std::string_view::npos) {
        if (!ascii::iequals(arg.substr(sp2 + 1), "LAST")) return syntax(n + 1 + sp2 + 1);
        out.last = true;
      }
      if (!detail::parse_number(size, 20, out.chunk_size)) return syntax(n + 1);
      return {};
    }
    case verb::auth: {
      // "AUTH" SP sasl-mech [SP initial-response] (RFC 4954 4)
      if (!has_arg) return syntax(n);
      const std::size_t sp2 = arg.find(' ');
      const std::string_view mech = arg.substr(0, sp2);
      if (!detail::is_sasl_mech(mech)) return syntax(n + 1);
      if (sp2 != std::string_view::npos) {
        const std::string_view ir = arg.substr(sp2 + 1);
        if (!detail::is_initial_response(ir)) return syntax(n + 1 + sp2 + 1);
        out.initial_response = ir == "=" ? std::string_view{} : ir;
      }
      out.argument = mech;
      out.mechanism = sasl::parse_mechanism(mech);
      return {};
    }
    case verb::etrn: {
      // "ETRN" SP [ "@" / "#" ] node (RFC 1985 5): a domain, or "#" and a
      // queue name of printable characters
      if (!has_arg || arg.empty()) return syntax(n);
      if (arg[0] == '#') {
        if (arg.size() < 2 || !ascii::all_of(arg.substr(1), ascii::vchar)) return syntax(n + 1);
      } else if (validate_domain(arg[0] == '@' ? arg.substr(1) : arg) != errc::ok) {
        return syntax(n + 1);
      }
      out.argument = arg;
      return {};
    }
    case verb::burl: {
      // burl-cmd = "BURL" SP absolute-URI [ SP end-marker ] (RFC 4468 3):
      // the URL is printable ASCII without SP; its meaning is the caller's
      if (!has_arg) return syntax(n);
      const std::size_t sp2 = arg.find(' ');
      const std::string_view url = arg.substr(0, sp2);
      if (url.empty() || !ascii::all_of(url, ascii::vchar)) return syntax(n + 1);
      if (sp2 != std::string_view::npos) {
        if (!ascii::iequals(arg.substr(sp2 + 1), "LAST")) return syntax(n + 1 + sp2 + 1);
        out.last = true;
      }
      out.argument = url;
      return {};
    }
  }
  return syntax(0);
}

}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_COMMAND_HPP
