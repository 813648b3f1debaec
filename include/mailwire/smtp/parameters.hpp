// mailwire: ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2), both
// directions: the typed values, their parser (which parse_command() runs
// on what follows a MAIL or RCPT path) and their writers (which
// write_command() runs), side by side so that each parameter's two
// directions are read and changed together.
//
// Known parameters: RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8,
// RFC 3461 DSN (RET, ENVID, NOTIFY, ORCPT), RFC 4954 AUTH=, RFC 8689
// REQUIRETLS, RFC 4865 FUTURERELEASE (HOLDFOR, HOLDUNTIL), RFC 6710
// MT-PRIORITY. Others are kept verbatim (esmtp_parameter). Values are views
// into the command line; xtext values stay in their wire form (smtp::xtext,
// encoded == true) and are decoded on demand. Whatever the writers accept,
// the parser reads back as the same value.
#ifndef MAILWIRE_SMTP_PARAMETERS_HPP
#define MAILWIRE_SMTP_PARAMETERS_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/emit.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/smtp/path.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {

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
  /// The keyword as sent ("X-FOO").
  std::string_view keyword;
  /// The value after '=', as sent; empty when there is none.
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
  /// The original address, xtext (RFC 3461 4.2).
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

// 2DIGIT at s[i] with a value in [lo, hi] (RFC 3339 5.6 date and time fields)
constexpr bool two_digits(std::string_view s, std::size_t i, unsigned lo, unsigned hi) noexcept {
  std::uint64_t v = 0;
  return s.size() >= i + 2 && parse_number(s.substr(i, 2), 2, v) && v >= lo && v <= hi;
}

// date-time = full-date "T" full-time (RFC 3339 5.6); "T" and "Z" may be
// lower case (RFC 3339 5.6 NOTE).
constexpr bool is_rfc3339_date_time(std::string_view s) noexcept {
  // full-date = date-fullyear "-" date-month "-" date-mday
  std::uint64_t year = 0;
  if (s.size() < 20 || !parse_number(s.substr(0, 4), 4, year)) return false;  // date-fullyear = 4DIGIT
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

// The entry of a known parameter, or nullptr.
constexpr const known_param* find_known_param(std::string_view keyword) noexcept {
  for (const known_param& k : known_params) {
    if (ascii::iequals(keyword, k.name)) return &k;
  }
  return nullptr;
}

// How parse_parameters() reads (from smtp::command_options, by name).
struct parameter_context {
  bool mail = false;                  // MAIL's parameters (else RCPT's)
  bool utf8 = false;                  // command_options::smtputf8
  bool allow_repeated_flags = false;  // command_options::allow_repeated_flag_parameters
};

// What parse_parameters() found wrong: the error, its offset in the line,
// and the reply code when it is not the one the error implies for the
// command (504, 552, 555; 0 otherwise). smtp::command_result is built from
// it by the caller, who knows the command.
struct parameter_result {
  errc error = errc::ok;
  std::size_t offset = 0;
  std::uint16_t reply_code = 0;
  constexpr bool ok() const noexcept { return error == errc::ok; }
};

// Parses " KEY[=VALUE] KEY[=VALUE]..." after a MAIL or RCPT path into
// `mail` or `rcpt` (known parameters, which must belong to that command)
// and `extra` (unknown ones, verbatim). `base` is the offset of `params` in
// the line, for error offsets.
inline parameter_result parse_parameters(std::string_view params, std::size_t base, const parameter_context& ctx,
                                         mail_parameters& mail, rcpt_parameters& rcpt,
                                         std::vector<esmtp_parameter>& extra) {
  const bool is_mail = ctx.mail;
  const bool utf8 = ctx.utf8;
  unsigned seen = 0;
  std::size_t i = 0;
  while (i < params.size()) {
    // Mail-parameters = esmtp-param *(SP esmtp-param): exactly one SP each
    if (params[i] != ' ') return parameter_result{errc::syntax_error, base + i};
    ++i;
    const std::size_t start = i;
    std::size_t end = params.find(' ', i);
    if (end == std::string_view::npos) end = params.size();
    const std::string_view param = params.substr(start, end - start);
    if (param.empty()) return parameter_result{errc::syntax_error, base + start};  // two SPs, or a trailing one
    i = end;
    const std::size_t eq = param.find('=');
    const std::string_view key = param.substr(0, eq);
    const bool has_value = eq != std::string_view::npos;
    const std::string_view value = has_value ? param.substr(eq + 1) : std::string_view{};
    const std::size_t value_at = base + start + (has_value ? eq + 1 : param.size());
    if (!is_esmtp_keyword(key)) return parameter_result{errc::smtp_bad_parameter, base + start};
    if (has_value) {
      std::size_t at = 0;
      const errc e = check_esmtp_value(value, utf8, at);
      if (e != errc::ok) return parameter_result{e, value_at + at};
    }
    auto bad = [&](std::uint16_t code = 0) { return parameter_result{errc::smtp_bad_parameter, value_at, code}; };
    auto no_value = [&]() { return has_value ? bad() : parameter_result{}; };
    auto need_value = [&]() { return has_value ? parameter_result{} : bad(); };

    unsigned bit = 0;
    if (const known_param* k = find_known_param(key)) {
      // RFC 5321 4.1.1.11 / 4.2.3: a parameter of the other command is not
      // implemented for this one: 555.
      if (k->mail != is_mail) return parameter_result{errc::smtp_bad_parameter, base + start, 555};
      bit = k->bit;
    }
    if (bit != 0) {
      if ((seen & bit) != 0) {
        // A flag said twice means what it says once (command_options::
        // allow_repeated_flag_parameters); anything with a value may not
        // repeat, whatever its values.
        const bool flag = bit == p_smtputf8 || bit == p_requiretls;
        if (!(flag && !has_value && ctx.allow_repeated_flags)) {
          return parameter_result{errc::smtp_bad_parameter, base + start};
        }
      }
      seen |= bit;
    }
    parameter_result r;
    switch (bit) {
      case p_size: {
        // size-value = 1*20DIGIT (RFC 1870 3); more than 2^64-1 is beyond
        // any server's limit: 552 (RFC 1870 6.1)
        if (!(r = need_value()).ok()) return r;
        bool overflow = false;
        std::uint64_t n = 0;
        if (!parse_number(value, 20, n, &overflow)) return bad(overflow ? 552 : 0);
        mail.size = n;
        break;
      }
      case p_body:
        // body-value = "7BIT" / "8BITMIME" (RFC 6152 2) / "BINARYMIME" (RFC 3030 3)
        if (!(r = need_value()).ok()) return r;
        if (ascii::iequals(value, "7BIT")) {
          mail.body = body_type::seven_bit;
        } else if (ascii::iequals(value, "8BITMIME")) {
          mail.body = body_type::eight_bit_mime;
        } else if (ascii::iequals(value, "BINARYMIME")) {
          mail.body = body_type::binary_mime;
        } else {
          return bad(504);
        }
        break;
      case p_smtputf8:
        // "SMTPUTF8" without a value (RFC 6531 3.4)
        if (!(r = no_value()).ok()) return r;
        mail.smtputf8 = true;
        break;
      case p_ret:
        // ret-value = "FULL" / "HDRS" (RFC 3461 4.3)
        if (!(r = need_value()).ok()) return r;
        if (ascii::iequals(value, "FULL")) {
          mail.ret = dsn_return::full;
        } else if (ascii::iequals(value, "HDRS")) {
          mail.ret = dsn_return::headers;
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
        if (validate_xtext(value, &at) != errc::ok) return parameter_result{errc::smtp_bad_xtext, value_at + at};
        if (bit == p_envid && value.size() > limits::smtp_envid) return bad();
        (bit == p_envid ? mail.envid : mail.auth) = xtext{value, true};
        break;
      }
      case p_requiretls:
        // "REQUIRETLS" without a value (RFC 8689 4.1)
        if (!(r = no_value()).ok()) return r;
        mail.requiretls = true;
        break;
      case p_holdfor: {
        // holdfor-value = 1*9DIGIT (RFC 4865 3)
        if (!(r = need_value()).ok()) return r;
        std::uint64_t n = 0;
        if (!parse_number(value, 9, n)) return bad();
        mail.hold_for = static_cast<std::uint32_t>(n);
        break;
      }
      case p_holduntil:
        // holduntil-value = date-time (RFC 4865 3, RFC 3339 5.6)
        if (!(r = need_value()).ok()) return r;
        if (!is_rfc3339_date_time(value)) return bad();
        mail.hold_until = value;
        break;
      case p_mtpriority: {
        // priority-value = [sign] DIGIT, -9..9 (RFC 6710 3)
        if (!(r = need_value()).ok()) return r;
        std::string_view digits = value;
        const bool negative = !digits.empty() && digits[0] == '-';
        if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
        std::uint64_t n = 0;
        if (!parse_number(digits, 1, n)) return bad();
        mail.mt_priority = static_cast<std::int8_t>(negative ? -static_cast<int>(n) : static_cast<int>(n));
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
        rcpt.notify = flags;
        break;
      }
      case p_orcpt: {
        // orcpt-parameter = "ORCPT=" addr-type ";" xtext, addr-type = atom,
        // at most 500 characters (RFC 3461 4.2)
        if (!(r = need_value()).ok()) return r;
        if (value.size() > limits::smtp_orcpt) return bad();
        const std::size_t semi = value.find(';');
        if (semi == std::string_view::npos || semi == 0) return bad();
        const std::string_view type = value.substr(0, semi);
        if (!ascii::all_of(type, ascii::atext)) return bad();
        const std::string_view addr = value.substr(semi + 1);
        std::size_t at = 0;
        if (validate_xtext(addr, &at) != errc::ok) {
          return parameter_result{errc::smtp_bad_xtext, value_at + semi + 1 + at};
        }
        rcpt.orcpt = original_recipient{type, xtext{addr, true}};
        break;
      }
      default:
        // Unknown: kept verbatim; repeating it is an error all the same.
        for (const esmtp_parameter& p : extra) {
          if (ascii::iequals(p.keyword, key)) return parameter_result{errc::smtp_bad_parameter, base + start};
        }
        extra.push_back({key, value});
    }
  }
  if ((seen & p_holdfor) != 0 && (seen & p_holduntil) != 0) {
    // RFC 4865 3: HOLDFOR and HOLDUNTIL are mutually exclusive.
    return parameter_result{errc::smtp_bad_parameter, base};
  }
  return {};
}

// -- writing (write_command(), smtp/writer.hpp) -----------------------------

// xtext (RFC 3461 4): an encoded value is checked and copied; a plain one
// is encoded, "+HH" for "+", "=" and bytes outside 33-126. A plain value
// holding NUL, CR or LF is refused (the parser refuses their encodings).
inline void put_xtext(mailwire::detail::wire_sink& s, const xtext& x) noexcept {
  if (x.encoded) {
    if (validate_xtext(x.text) != errc::ok) s.fail();
    s.put(x.text);
    return;
  }
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : x.text) {
    const auto b = static_cast<unsigned char>(c);
    if (b == 0 || b == '\r' || b == '\n') {
      s.fail();
    } else if (is_xchar(c)) {
      s.put(c);
    } else {
      const char esc[3] = {'+', hex[b >> 4], hex[b & 15]};
      s.put(std::string_view(esc, 3));
    }
  }
}

// SP esmtp-keyword, and "=" when the caller's keyword carries it
inline void put_parameter(mailwire::detail::wire_sink& s, std::string_view keyword) noexcept {
  s.put(' ');
  s.put(keyword);
}

// The known MAIL parameters that are set, each with its SP, in the order
// of mail_parameters.
inline void put_mail_parameters(mailwire::detail::wire_sink& s, const mail_parameters& m) noexcept {
  if (m.size) {
    put_parameter(s, "SIZE=");
    s.number(*m.size);
  }
  if (m.body) {
    put_parameter(s, "BODY=");
    s.put(to_string(*m.body));
  }
  if (m.smtputf8) put_parameter(s, "SMTPUTF8");
  if (m.ret) {
    put_parameter(s, "RET=");
    s.put(to_string(*m.ret));
  }
  if (m.envid) {
    put_parameter(s, "ENVID=");
    const std::size_t at = s.size();
    put_xtext(s, *m.envid);
    if (s.size() - at > limits::smtp_envid) s.fail();  // RFC 3461 4.4
  }
  if (m.auth) {
    put_parameter(s, "AUTH=");
    put_xtext(s, *m.auth);
  }
  if (m.requiretls) put_parameter(s, "REQUIRETLS");
  if (m.hold_for) {
    if (*m.hold_for > 999999999u || m.hold_until) s.fail();  // 1*9DIGIT; not both (RFC 4865 3)
    put_parameter(s, "HOLDFOR=");
    s.number(*m.hold_for);
  }
  if (m.hold_until) {
    if (!is_rfc3339_date_time(*m.hold_until)) s.fail();
    put_parameter(s, "HOLDUNTIL=");
    s.put(*m.hold_until);
  }
  if (m.mt_priority) {
    const int p = *m.mt_priority;
    if (p < -9 || p > 9) s.fail();
    put_parameter(s, "MT-PRIORITY=");
    if (p < 0) s.put('-');
    s.number(static_cast<std::uint64_t>(p < 0 ? -p : p));
  }
}

// The known RCPT parameters that are set, each with its SP.
inline void put_rcpt_parameters(mailwire::detail::wire_sink& s, const rcpt_parameters& r) noexcept {
  if (r.notify != 0) {
    if ((r.notify & ~0x0Fu) != 0 || ((r.notify & notify_never) != 0 && r.notify != notify_never)) s.fail();
    put_parameter(s, "NOTIFY=");
    if (r.notify == notify_never) s.put("NEVER");
    bool first = true;
    const struct {
      std::uint8_t bit;
      std::string_view name;
    } items[] = {{notify_success, "SUCCESS"}, {notify_failure, "FAILURE"}, {notify_delay, "DELAY"}};
    for (const auto& it : items) {
      if ((r.notify & it.bit) == 0) continue;
      if (!first) s.put(',');
      s.put(it.name);
      first = false;
    }
  }
  if (r.orcpt) {
    put_parameter(s, "ORCPT=");
    const std::size_t at = s.size();
    if (r.orcpt->addr_type.empty() || !ascii::all_of(r.orcpt->addr_type, ascii::atext)) s.fail();
    s.put(r.orcpt->addr_type);
    s.put(';');
    put_xtext(s, r.orcpt->address);
    if (s.size() - at > limits::smtp_orcpt) s.fail();  // RFC 3461 4.2
  }
}

// Unknown parameters, verbatim: each must be an esmtp-keyword that is not a
// known one and not repeated, with an esmtp-value when it has one.
inline void put_extra_parameters(mailwire::detail::wire_sink& s, const std::vector<esmtp_parameter>& extra) noexcept {
  for (std::size_t i = 0; i < extra.size(); ++i) {
    const esmtp_parameter& p = extra[i];
    // an unknown parameter must be one: not a known keyword, not repeated
    if (!is_esmtp_keyword(p.keyword) || find_known_param(p.keyword) != nullptr) s.fail();
    for (std::size_t k = 0; k < i; ++k) {
      if (ascii::iequals(extra[k].keyword, p.keyword)) s.fail();
    }
    put_parameter(s, p.keyword);
    if (!p.value.empty()) {
      std::size_t at = 0;
      if (check_esmtp_value(p.value, true, at) != errc::ok) s.fail();
      s.put('=');
      s.put(p.value);
    }
  }
}

}  // namespace detail
}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_PARAMETERS_HPP
