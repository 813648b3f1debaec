// mailwire: SMTP/LMTP commands, syntax tier: the server parses them.
//
//     smtp::command cmd;
//     smtp::command_result r = smtp::parse_command(line, cmd, options);
//     if (!r.ok()) reply r.reply_code (and r.status) and go on;
//
// parse_command() takes one command line without its CRLF (as core's
// line_reader yields it) and fills a `command`: the verb, its argument, and
// for MAIL and RCPT the path and the typed parameters (smtp/parameters.hpp:
// SIZE, BODY, SMTPUTF8, DSN, AUTH=, REQUIRETLS, FUTURERELEASE,
// MT-PRIORITY). Everything in
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
#include "mailwire/core/number.hpp"
#include "mailwire/error.hpp"
#include "mailwire/sasl/mechanism.hpp"
#include "mailwire/smtp/parameters.hpp"
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
  /// The command.
  verb kind = verb::noop;
  /// The argument as sent (see the table above), a view into the line.
  std::string_view argument;
  /// MAIL: the reverse path; RCPT: the forward path (views into the line).
  path address;
  /// MAIL: its ESMTP parameters, typed.
  mail_parameters mail;
  /// RCPT: its ESMTP parameters, typed.
  rcpt_parameters rcpt;
  /// Unknown MAIL/RCPT parameters, in order, verbatim.
  std::vector<esmtp_parameter> extra;
  /// BDAT: the chunk's size in bytes.
  std::uint64_t chunk_size = 0;
  /// BDAT, BURL: LAST was given (the end of the message).
  bool last = false;
  /// AUTH: the mechanism, when mailwire implements it (the argument has the
  /// name as sent either way).
  std::optional<sasl::mechanism> mechanism;
  /// AUTH: the initial response (RFC 4954 4), base64 as sent; empty for "=".
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
  /// errc::ok, or what is wrong (see parse_command()).
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

  /// True when the line parsed.
  constexpr bool ok() const noexcept { return error == errc::ok; }
};

namespace detail {

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
    if (ascii::is_8bit(c)) {
      errc e = errc::ok;
      const std::size_t n = utf8_step(s, i, utf8, e);
      if (n == 0) {
        at = i;
        return e;
      }
      i += n;
    } else if (ascii::is_vchar(c) || ascii::is_wsp(c)) {
      ++i;
    } else {
      at = i;
      return errc::syntax_error;
    }
  }
  return errc::ok;
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
  parameter_context ctx;
  ctx.mail = v == verb::mail;
  ctx.utf8 = o.smtputf8;
  ctx.allow_repeated_flags = o.allow_repeated_flag_parameters;
  const parameter_result r = parse_parameters(line.substr(i), i, ctx, out.mail, out.rcpt, out.extra);
  if (!r.ok()) return command_error(r.error, r.offset, v, r.reply_code);
  // RFC 6531 3.4: a MAIL without SMTPUTF8 carries no UTF-8, whatever the
  // session offers.
  if (v == verb::mail && o.smtputf8 && !out.mail.smtputf8 && ascii::has_8bit(line.substr(path_at))) {
    std::size_t at = path_at;
    while (!ascii::is_8bit(line[at])) ++at;
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
      if (!parse_number(size, 20, out.chunk_size)) return syntax(n + 1);  // chunk-size = 1*DIGIT, in a uint64
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
