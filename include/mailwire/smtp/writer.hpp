// mailwire: SMTP/LMTP serialisation, syntax tier.
//
//  - write_command(): a client writes a command (smtp::command, as
//    parse_command() yields it or as the caller fills it);
//  - write_reply(): a server writes a reply, single- or multi-line, with an
//    optional enhanced status code on every line (RFC 2034 3);
//  - write_ehlo_reply(): a server writes its EHLO/LHLO capabilities.
//
// Every writer goes through core's one emit point, detail::emit()
// (core/emit.hpp): a producer is run once to check and measure and once to
// write, so a line is formatted once, straight into the output_queue, or
// not at all. This file holds SMTP's producers (commands, paths, reply
// lines, EHLO lines; MAIL/RCPT parameters are in smtp/parameters.hpp).
// Whatever the writer, a CR, LF or NUL in any field, or a field that does
// not follow its syntax (a path that parse_path() would refuse, a number
// out of range, an esmtp keyword with a space...), is
// errc::invalid_argument and leaves the queue untouched. Numbers are written from integers, xtext is encoded, paths
// are built from their parts (a local part is quoted when it is not a
// Dot-string). Whatever a writer accepts, the matching parser reads back
// as the same value.
//
// Not enforced: the 512-octet command line of RFC 5321 4.5.3.1.4 (AUTH
// lines may legitimately be longer, RFC 4954 4, and each MAIL/RCPT
// extension raises the limit); reply lines are limited to 512 octets.
#ifndef MAILWIRE_SMTP_WRITER_HPP
#define MAILWIRE_SMTP_WRITER_HPP

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/emit.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/smtp/capabilities.hpp"
#include "mailwire/smtp/command.hpp"
#include "mailwire/smtp/parameters.hpp"
#include "mailwire/smtp/path.hpp"
#include "mailwire/smtp/reply.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {
namespace detail {

// A path from its parts (RFC 5321 4.1.2), with the limits parse_path()
// applies.
inline void put_path(mailwire::detail::wire_sink& s, const path& p) noexcept {
  const std::size_t start = s.size();
  s.put('<');
  if (p.kind == path_kind::postmaster) {
    s.put(ascii::iequals(p.local_part, "postmaster") ? p.local_part : std::string_view("postmaster"));
  } else if (p.kind == path_kind::mailbox) {
    const std::size_t local_start = s.size();
    if (p.quoted) {
      // Quoted-string as given: QcontentSMTP only
      std::size_t i = 0;
      while (i < p.local_part.size()) {
        const char c = p.local_part[i];
        if (c == '\\') {
          const auto nx = i + 1 < p.local_part.size() ? static_cast<unsigned char>(p.local_part[i + 1]) : 0u;
          if (nx < 32 || nx > 126) s.fail();
          i += 2;
        } else if (ascii::is_8bit(c)) {
          const std::size_t n = utf8::decode(p.local_part, i).length;
          if (n < 2) {
            s.fail();
            break;
          }
          i += n;
        } else {
          if (!is_qtext_smtp(c)) s.fail();
          ++i;
        }
      }
      s.put('"');
      s.put(p.local_part);
      s.put('"');
    } else if (is_dot_string(p.local_part, true)) {
      s.put(p.local_part);
    } else {
      // quote it: DQUOTE and backslash as quoted-pairs (RFC 5321 4.1.2)
      s.put('"');
      for (std::size_t i = 0; i < p.local_part.size();) {
        const char c = p.local_part[i];
        if (c == '"' || c == '\\') {
          s.put('\\');
          s.put(c);
          ++i;
        } else if (ascii::is_8bit(c)) {
          const std::size_t n = utf8::decode(p.local_part, i).length;
          if (n < 2) {
            s.fail();
            break;
          }
          s.put(p.local_part.substr(i, n));
          i += n;
        } else {
          if (!is_qtext_smtp(c)) s.fail();
          s.put(c);
          ++i;
        }
      }
      s.put('"');
    }
    if (s.size() - local_start > limits::smtp_local_part) s.fail();
    s.put('@');
    if (validate_domain_or_literal(p.domain, true) != errc::ok) s.fail();
    s.put(p.domain);
  }
  s.put('>');
  if (s.size() - start > limits::smtp_path) s.fail();
}

inline void put_command(mailwire::detail::wire_sink& s, const command& c) noexcept {
  s.put(to_string(c.kind));
  switch (c.kind) {
    case verb::data:
    case verb::rset:
    case verb::quit:
    case verb::starttls: break;
    case verb::helo:
    case verb::ehlo:
    case verb::lhlo:
      if (validate_domain_or_literal(c.argument) != errc::ok) s.fail();
      s.put(' ');
      s.put(c.argument);
      break;
    case verb::mail:
      if (c.address.kind == path_kind::postmaster) s.fail();
      // RFC 6531 3.4: UTF-8 in the reverse-path only with SMTPUTF8
      if (!c.mail.smtputf8 && (ascii::has_8bit(c.address.local_part) || ascii::has_8bit(c.address.domain))) s.fail();
      s.put(" FROM:");
      put_path(s, c.address);
      put_mail_parameters(s, c.mail);
      put_extra_parameters(s, c.extra);
      break;
    case verb::rcpt:
      if (c.address.kind == path_kind::null) s.fail();
      s.put(" TO:");
      put_path(s, c.address);
      put_rcpt_parameters(s, c.rcpt);
      put_extra_parameters(s, c.extra);
      break;
    case verb::noop:
    case verb::help:
    case verb::vrfy:
    case verb::expn: {
      if (c.argument.empty()) {
        if (c.kind == verb::vrfy || c.kind == verb::expn) s.fail();
        break;
      }
      std::size_t at = 0;
      if (check_text_argument(c.argument, true, at) != errc::ok) s.fail();
      s.put(' ');
      s.put(c.argument);
      break;
    }
    case verb::bdat:
      s.put(' ');
      s.number(c.chunk_size);
      if (c.last) s.put(" LAST");
      break;
    case verb::auth: {
      const std::string_view mech =
          !c.argument.empty() ? c.argument : c.mechanism ? sasl::to_string(*c.mechanism) : std::string_view{};
      if (!is_sasl_mech(mech)) s.fail();
      s.put(' ');
      s.put(mech);
      if (c.initial_response) {
        const std::string_view ir = c.initial_response->empty() ? std::string_view("=") : *c.initial_response;
        if (!is_initial_response(ir) || *c.initial_response == "=") s.fail();
        s.put(' ');
        s.put(ir);
      }
      break;
    }
    case verb::etrn: {
      const std::string_view a = c.argument;
      const bool ok = !a.empty() && (a[0] == '#' ? a.size() > 1 && ascii::all_of(a.substr(1), ascii::vchar)
                                                 : validate_domain(a[0] == '@' ? a.substr(1) : a) == errc::ok);
      if (!ok) s.fail();
      s.put(' ');
      s.put(a);
      break;
    }
    case verb::burl:
      if (c.argument.empty() || !ascii::all_of(c.argument, ascii::vchar)) s.fail();
      s.put(' ');
      s.put(c.argument);
      if (c.last) s.put(" LAST");
      break;
  }
  s.end_line();
}

// Reply-code with the separator (RFC 5321 4.2), optional status, text.
inline void put_reply_line(mailwire::detail::wire_sink& s, std::uint16_t code,
                           const std::optional<enhanced_status>& st, std::string_view text, bool last) noexcept {
  const std::size_t start = s.size();
  s.number(code);
  if (!last) s.put('-');
  if (st) {
    if (last) s.put(' ');
    s.number(st->cls);
    s.put('.');
    s.number(st->subject);
    s.put('.');
    s.number(st->detail);
    if (!text.empty()) s.put(' ');
  } else if (last && !text.empty()) {
    s.put(' ');
  }
  s.put_text(text);
  s.end_line();
  if (s.size() - start > limits::smtp_reply_line) s.fail();
}

constexpr bool reply_code_ok(std::uint16_t code, const std::optional<enhanced_status>& st) noexcept {
  const unsigned c0 = code / 100u;
  const unsigned c1 = code / 10u % 10u;
  if (c0 < 2 || c0 > 5 || c1 > 5) return false;
  return !st || (st->valid() && st->cls == c0);
}

// ehlo-param = 1*(%d33-126), separated by SP (RFC 5321 4.1.1.1)
constexpr bool ehlo_params_ok(std::string_view p) noexcept {
  for (char c : p) {
    if (c != ' ' && !ascii::is_vchar(c)) return false;
  }
  return true;
}

// Calls line(keyword, params_writer) for each EHLO keyword line, in the
// order Postfix uses (so Postfix's own response round-trips byte for byte).
template <class Line>
void for_each_ehlo_line(const capabilities& c, Line&& line) {
  auto none = [](mailwire::detail::wire_sink&) {};
  if (c.pipelining) line("PIPELINING", none);
  if (c.size) {
    line("SIZE", [&](mailwire::detail::wire_sink& s) {
      if (!c.size_limit) return;
      s.put(' ');
      s.number(*c.size_limit);
    });
  }
  if (c.vrfy) line("VRFY", none);
  if (c.etrn) line("ETRN", none);
  if (c.expn) line("EXPN", none);
  if (c.starttls) line("STARTTLS", none);
  if (c.auth) {
    line("AUTH", [&](mailwire::detail::wire_sink& s) {
      if (c.auth_mechanisms.empty() && c.auth_other.empty()) s.fail();
      for (std::size_t i = 0; i < sasl::mechanism_count; ++i) {
        const auto m = static_cast<sasl::mechanism>(i);
        if (!c.auth_mechanisms.contains(m)) continue;
        s.put(' ');
        s.put(sasl::to_string(m));
      }
      for (const std::string& m : c.auth_other) {
        if (!is_sasl_mech(m) || sasl::parse_mechanism(m)) s.fail();
        s.put(' ');
        s.put(m);
      }
    });
  }
  if (c.enhancedstatuscodes) line("ENHANCEDSTATUSCODES", none);
  if (c.eightbitmime) line("8BITMIME", none);
  if (c.binarymime) line("BINARYMIME", none);
  if (c.dsn) line("DSN", none);
  if (c.smtputf8) line("SMTPUTF8", none);
  if (c.chunking) line("CHUNKING", none);
  if (c.requiretls) line("REQUIRETLS", none);
  if (c.deliverby) {
    line("DELIVERBY", [&](mailwire::detail::wire_sink& s) {
      if (!c.deliverby_min) return;
      if (*c.deliverby_min > 999999999u) s.fail();
      s.put(' ');
      s.number(*c.deliverby_min);
    });
  }
  if (c.mt_priority) {
    line("MT-PRIORITY", [&](mailwire::detail::wire_sink& s) {
      if (c.mt_priority_profile.empty()) return;
      if (!is_esmtp_keyword(c.mt_priority_profile)) s.fail();
      s.put(' ');
      s.put(c.mt_priority_profile);
    });
  }
  if (c.limits) {
    line("LIMITS", [&](mailwire::detail::wire_sink& s) {
      auto limit = [&](std::string_view name, const std::optional<std::uint64_t>& v) {
        if (!v) return;
        s.put(' ');
        s.put(name);
        s.put('=');
        s.number(*v);
      };
      limit("RCPTMAX", c.rcptmax);
      limit("MAILMAX", c.mailmax);
      limit("RCPTDOMAINMAX", c.rcptdomainmax);
      for (const ehlo_keyword& k : c.other_limits) {
        const bool named = ascii::iequals(k.keyword, "RCPTMAX") || ascii::iequals(k.keyword, "MAILMAX") ||
                           ascii::iequals(k.keyword, "RCPTDOMAINMAX");
        if (k.keyword.empty() || k.params.empty() || named || !ascii::all_of(k.keyword, ascii::vchar) ||
            !ascii::all_of(k.params, ascii::vchar) || k.keyword.find('=') != std::string::npos) {
          s.fail();
        }
        s.put(' ');
        s.put(k.keyword);
        s.put('=');
        s.put(k.params);
      }
      if (!c.rcptmax && !c.mailmax && !c.rcptdomainmax && c.other_limits.empty()) s.fail();
    });
  }
  for (const ehlo_keyword& k : c.unknown) {
    line(k.keyword, [&](mailwire::detail::wire_sink& s) {
      if (!is_esmtp_keyword(k.keyword) || !ehlo_params_ok(k.params)) s.fail();
      if (k.params.empty()) return;
      s.put(' ');
      s.put(k.params);
    });
  }
}

}  // namespace detail

/// Writes `c` as one command line with its CRLF (RFC 5321 4.1). Fields that
/// do not belong to c.kind are ignored (see smtp::command). The argument,
/// path and parameters must each be what parse_command() accepts (UTF-8
/// allowed where RFC 6531 allows it, but in a MAIL path only with
/// mail.smtputf8); unknown parameters in `extra` must not repeat each
/// other or name a known parameter. For AUTH, `argument` is the mechanism
/// name, or empty to use to_string(*mechanism); an empty initial_response
/// is sent as "=". Returns errc::ok, or errc::invalid_argument with nothing
/// queued.
inline errc write_command(output_queue& out, const command& c) {
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) { detail::put_command(s, c); });
}

/// Writes a reply of `count` lines (RFC 5321 4.2): "code-text" on every
/// line but the last, "code SP text" on the last; with `status`, each
/// line's text starts with it (RFC 2034 3). No lines (count 0) writes the
/// bare code. Refused (errc::invalid_argument, nothing queued): a code
/// outside 2xx-5xx or with a second digit over 5; a status out of range or
/// whose class is not the code's first digit (so no status on 3xx); a CR,
/// LF, NUL or other control character (HTAB aside) in a text; a line over
/// limits::smtp_reply_line octets with its CRLF.
inline errc write_reply(output_queue& out, std::uint16_t code, const std::optional<enhanced_status>& status,
                        const std::string_view* lines, std::size_t count) {
  if (!detail::reply_code_ok(code, status)) return errc::invalid_argument;
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) {
    if (count == 0) detail::put_reply_line(s, code, status, {}, true);
    for (std::size_t i = 0; i < count; ++i) detail::put_reply_line(s, code, status, lines[i], i + 1 == count);
  });
}

/// write_reply() with the lines in a braced list:
/// `write_reply(out, 250, enhanced_status{2, 0, 0}, {"Ok"})`.
inline errc write_reply(output_queue& out, std::uint16_t code, const std::optional<enhanced_status>& status,
                        std::initializer_list<std::string_view> lines) {
  return write_reply(out, code, status, lines.begin(), lines.size());
}

/// A single-line reply with an optional enhanced status code:
/// `write_reply(out, 250, enhanced_status{2, 1, 0}, "Ok")` -> "250 2.1.0 Ok".
/// (A braced list still selects the multi-line overload above.)
inline errc write_reply(output_queue& out, std::uint16_t code, const std::optional<enhanced_status>& status,
                        std::string_view text) {
  return write_reply(out, code, status, &text, 1);
}

/// A single-line reply without an enhanced status code: "354 Go ahead".
inline errc write_reply(output_queue& out, std::uint16_t code, std::string_view text) {
  return write_reply(out, code, std::nullopt, &text, 1);
}

/// Writes the 250 reply to EHLO/LHLO (RFC 5321 4.1.1.1): first line
/// `c.domain` [SP `c.greeting`], then one line per capability in a fixed
/// order (PIPELINING, SIZE, VRFY, ETRN, EXPN, STARTTLS, AUTH,
/// ENHANCEDSTATUSCODES, 8BITMIME, BINARYMIME, DSN, SMTPUTF8, CHUNKING,
/// REQUIRETLS, DELIVERBY, MT-PRIORITY, LIMITS, then `unknown` in order).
/// parse_ehlo_reply() reads it back as `c`. Refused (errc::invalid_argument,
/// nothing queued): a domain that is not a Domain or address literal; a
/// greeting with control characters; AUTH with no mechanism, or an
/// auth_other name that is not a sasl-mech or is one mailwire knows;
/// LIMITS with nothing in it; an unknown keyword that is not an
/// esmtp-keyword, or params outside VCHAR and SP; any CR, LF or NUL.
inline errc write_ehlo_reply(output_queue& out, const capabilities& c) {
  std::size_t count = 1;
  detail::for_each_ehlo_line(c, [&](std::string_view, auto&&) { ++count; });
  return mailwire::detail::emit(out, [&](mailwire::detail::wire_sink& s) {
    if (validate_domain_or_literal(c.domain) != errc::ok || !ascii::is_text(c.greeting)) s.fail();
    std::size_t index = 0;
    auto line = [&](std::string_view keyword, auto&& params) {
      const bool last = ++index == count;
      const std::size_t start = s.size();
      s.put(last ? "250 " : "250-");
      s.put(keyword);
      params(s);
      s.end_line();
      if (s.size() - start > limits::smtp_reply_line) s.fail();
    };
    line(c.domain, [&](mailwire::detail::wire_sink& w) {
      if (c.greeting.empty()) return;
      w.put(' ');
      w.put(c.greeting);
    });
    detail::for_each_ehlo_line(c, line);
  });
}

}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_WRITER_HPP
