// mailwire: SMTP/LMTP serialisation, syntax tier.
//
//  - write_command(): a client writes a command (smtp::command, as
//    parse_command() yields it or as the caller fills it);
//  - write_reply(): a server writes a reply, single- or multi-line, with an
//    optional enhanced status code on every line (RFC 2034 3);
//  - write_ehlo_reply(): a server writes its EHLO/LHLO capabilities.
//
// Every writer goes through one emit point, detail::emit(): a producer is
// run once to check and measure and once to write, so a line is formatted
// once, straight into the output_queue, or not at all. Whatever the writer,
// a CR, LF or NUL in any field, or a field that does not follow its syntax
// (a path that parse_path() would refuse, a number out of range, an esmtp
// keyword with a space...), is errc::invalid_argument and leaves the queue
// untouched. Numbers are written from integers, xtext is encoded, paths
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
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/smtp/capabilities.hpp"
#include "mailwire/smtp/command.hpp"
#include "mailwire/smtp/path.hpp"
#include "mailwire/smtp/reply.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {
namespace detail {

/// What a producer writes to. In the measuring pass (no buffer) it checks
/// every field for CR, LF and NUL and counts; in the writing pass it copies.
/// Line ends come only from end_line(): a field can never carry one.
class wire_sink {
 public:
  wire_sink() noexcept = default;
  explicit wire_sink(char* p) noexcept : p_(p) {}

  /// A field (or a piece of one).
  void put(std::string_view s) noexcept {
    if (p_ == nullptr) {
      // Branch-free over the field (find_first_of would search the set
      // once per byte; one flag per byte value keeps the loop vectorisable):
      // fields are short and almost always clean.
      unsigned char cr = 0;
      unsigned char lf = 0;
      unsigned char nul = 0;
      for (const char c : s) {
        cr |= static_cast<unsigned char>(c == '\r');
        lf |= static_cast<unsigned char>(c == '\n');
        nul |= static_cast<unsigned char>(c == '\0');
      }
      if ((cr | lf | nul) != 0) failed_ = true;
    } else if (!s.empty()) {
      std::memcpy(p_ + n_, s.data(), s.size());
    }
    n_ += s.size();
  }
  void put(char c) noexcept {
    if (p_ == nullptr) {
      failed_ |= c == '\r' || c == '\n' || c == '\0';
    } else {
      p_[n_] = c;
    }
    ++n_;
  }
  /// A decimal number, from an integer (digits only: nothing to check).
  void number(std::uint64_t v) noexcept {
    char buf[20];
    std::size_t k = sizeof buf;
    do {
      buf[--k] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    if (p_ != nullptr) std::memcpy(p_ + n_, buf + k, sizeof buf - k);
    n_ += sizeof buf - k;
  }
  /// Reply text (RFC 5321 4.2 textstring, 8-bit bytes allowed): any
  /// control character but HTAB fails, which covers put()'s CR, LF and NUL.
  void put_text(std::string_view s) noexcept {
    if (p_ == nullptr) {
      if (!reply_text_ok(s)) failed_ = true;
    } else if (!s.empty()) {
      std::memcpy(p_ + n_, s.data(), s.size());
    }
    n_ += s.size();
  }
  /// CRLF.
  void end_line() noexcept {
    if (p_ != nullptr) std::memcpy(p_ + n_, "\r\n", 2);
    n_ += 2;
  }
  /// A producer found a field it cannot write.
  void fail() noexcept { failed_ = true; }

  bool failed() const noexcept { return failed_; }
  std::size_t size() const noexcept { return n_; }

 private:
  char* p_ = nullptr;
  std::size_t n_ = 0;
  bool failed_ = false;
};

/// The one emit point: runs `produce(wire_sink&)` to check and measure,
/// then, if nothing failed, again to write into `out`. The producer must
/// write the same bytes both times (it depends only on its inputs).
template <class Produce>
errc emit(output_queue& out, Produce&& produce) {
  wire_sink measure;
  produce(measure);
  if (measure.failed()) return errc::invalid_argument;
  if (measure.size() == 0) return errc::ok;
  wire_sink write(out.prepare(measure.size()));
  produce(write);
  out.commit(measure.size());
  return errc::ok;
}

// xtext (RFC 3461 4): an encoded value is checked and copied; a plain one
// is encoded, "+HH" for "+", "=" and bytes outside 33-126. A plain value
// holding NUL, CR or LF is refused (the parser refuses their encodings).
inline void put_xtext(wire_sink& s, const xtext& x) noexcept {
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

// A path from its parts (RFC 5321 4.1.2), with the limits parse_path()
// applies.
inline void put_path(wire_sink& s, const path& p) noexcept {
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
        } else if (is_8bit(c)) {
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
        } else if (is_8bit(c)) {
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

inline void put_parameter(wire_sink& s, std::string_view keyword) noexcept {
  s.put(' ');
  s.put(keyword);
}

inline bool is_known_parameter(std::string_view k) noexcept {
  constexpr std::string_view names[] = {"SIZE",       "BODY",    "SMTPUTF8",  "RET",         "ENVID",  "AUTH",
                                        "REQUIRETLS", "HOLDFOR", "HOLDUNTIL", "MT-PRIORITY", "NOTIFY", "ORCPT"};
  for (std::string_view n : names) {
    if (ascii::iequals(k, n)) return true;
  }
  return false;
}

inline void put_mail_parameters(wire_sink& s, const mail_parameters& m) noexcept {
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
    if (s.size() - at > 100) s.fail();  // RFC 3461 4.4
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

inline void put_rcpt_parameters(wire_sink& s, const rcpt_parameters& r) noexcept {
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
    if (s.size() - at > 500) s.fail();  // RFC 3461 4.2
  }
}

inline void put_extra_parameters(wire_sink& s, const command& c) noexcept {
  for (std::size_t i = 0; i < c.extra.size(); ++i) {
    const esmtp_parameter& p = c.extra[i];
    // an unknown parameter must be one: not a known keyword, not repeated
    if (!is_esmtp_keyword(p.keyword) || is_known_parameter(p.keyword)) s.fail();
    for (std::size_t k = 0; k < i; ++k) {
      if (ascii::iequals(c.extra[k].keyword, p.keyword)) s.fail();
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

inline void put_command(wire_sink& s, const command& c) noexcept {
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
      if (!c.mail.smtputf8 && (has_8bit(c.address.local_part) || has_8bit(c.address.domain))) s.fail();
      s.put(" FROM:");
      put_path(s, c.address);
      put_mail_parameters(s, c.mail);
      put_extra_parameters(s, c);
      break;
    case verb::rcpt:
      if (c.address.kind == path_kind::null) s.fail();
      s.put(" TO:");
      put_path(s, c.address);
      put_rcpt_parameters(s, c.rcpt);
      put_extra_parameters(s, c);
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
inline void put_reply_line(wire_sink& s, std::uint16_t code, const std::optional<enhanced_status>& st,
                           std::string_view text, bool last) noexcept {
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
  auto none = [](wire_sink&) {};
  if (c.pipelining) line("PIPELINING", none);
  if (c.size) {
    line("SIZE", [&](wire_sink& s) {
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
    line("AUTH", [&](wire_sink& s) {
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
    line("DELIVERBY", [&](wire_sink& s) {
      if (!c.deliverby_min) return;
      if (*c.deliverby_min > 999999999u) s.fail();
      s.put(' ');
      s.number(*c.deliverby_min);
    });
  }
  if (c.mt_priority) {
    line("MT-PRIORITY", [&](wire_sink& s) {
      if (c.mt_priority_profile.empty()) return;
      if (!is_esmtp_keyword(c.mt_priority_profile)) s.fail();
      s.put(' ');
      s.put(c.mt_priority_profile);
    });
  }
  if (c.limits) {
    line("LIMITS", [&](wire_sink& s) {
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
    line(k.keyword, [&](wire_sink& s) {
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
  return detail::emit(out, [&](detail::wire_sink& s) { detail::put_command(s, c); });
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
  return detail::emit(out, [&](detail::wire_sink& s) {
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
  return detail::emit(out, [&](detail::wire_sink& s) {
    if (validate_domain_or_literal(c.domain) != errc::ok || !detail::reply_text_ok(c.greeting)) s.fail();
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
    line(c.domain, [&](detail::wire_sink& w) {
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
