// mailwire: the EHLO (and LHLO) response as a typed capability set.
//
//     smtp::capabilities caps;
//     if (smtp::parse_ehlo_reply(assembler.get(), caps) == errc::ok) ...
//     if (caps.pipelining && caps.size_limit) ...
//
// RFC 5321 4.1.1.1: the first line of a 250 reply to EHLO holds the
// server's domain and an optional greeting; every other line is
// ehlo-keyword *(SP ehlo-param). Keywords compare case-insensitively.
// mailwire types the extensions a client acts on and keeps every other line
// verbatim; write_ehlo_reply() (smtp/writer.hpp) turns a set back into
// reply lines for the server side.
//
// Unlike the rest of the syntax tier, `capabilities` owns its strings: a
// session keeps it for as long as the connection lasts (until STARTTLS
// makes it forget it), far beyond the reply it came from. Parsing
// allocates accordingly (a few short strings); it is done once per session.
#ifndef MAILWIRE_SMTP_CAPABILITIES_HPP
#define MAILWIRE_SMTP_CAPABILITIES_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/error.hpp"
#include "mailwire/sasl/mechanism.hpp"
#include "mailwire/smtp/command.hpp"
#include "mailwire/smtp/parameters.hpp"
#include "mailwire/smtp/reply.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {

/// One EHLO line kept as sent (an extension mailwire does not type, or a
/// known one whose parameters do not follow its syntax), or one unknown
/// LIMITS entry (name and value).
struct ehlo_keyword {
  /// The keyword as sent.
  std::string keyword;
  std::string params;  ///< everything after the keyword's SP (or '='), may be empty
  bool operator==(const ehlo_keyword& o) const { return keyword == o.keyword && params == o.params; }
  bool operator!=(const ehlo_keyword& o) const { return !(*this == o); }
};

/// What a server offers. Every flag is false (and every optional empty)
/// unless the EHLO reply carries the keyword.
struct capabilities {
  /// First line: the server's domain (or address literal) and the rest of
  /// the line ("ESMTP ready"), possibly empty.
  std::string domain;
  /// The rest of the first line, after the domain.
  std::string greeting;

  bool pipelining = false;          ///< PIPELINING, RFC 2920
  bool eightbitmime = false;        ///< 8BITMIME, RFC 6152
  bool binarymime = false;          ///< BINARYMIME, RFC 3030
  bool chunking = false;            ///< CHUNKING (BDAT), RFC 3030
  bool smtputf8 = false;            ///< SMTPUTF8, RFC 6531
  bool dsn = false;                 ///< DSN, RFC 3461
  bool starttls = false;            ///< STARTTLS, RFC 3207
  bool enhancedstatuscodes = false; ///< ENHANCEDSTATUSCODES, RFC 2034
  bool requiretls = false;          ///< REQUIRETLS, RFC 8689
  bool vrfy = false;                ///< VRFY (Postfix and others advertise it)
  bool etrn = false;                ///< ETRN, RFC 1985
  bool expn = false;                ///< EXPN

  /// SIZE [n], RFC 1870: `size` when advertised, `size_limit` when a number
  /// came with it (0 means "no fixed maximum", RFC 1870 4). The number is
  /// 1*20DIGIT and must fit a uint64; otherwise the line is kept in
  /// `unknown` and SIZE counts as not advertised.
  bool size = false;
  /// SIZE's number, when one came (0: no fixed maximum).
  std::optional<std::uint64_t> size_limit;

  /// AUTH mech..., RFC 4954 (also the pre-standard "AUTH=mech..." form some
  /// servers send next to it; both add to the same set). Mechanisms
  /// mailwire implements go to `auth_mechanisms`; other names, upper-cased
  /// as RFC 4422 spells them, to `auth_other`, without duplicates.
  bool auth = false;
  /// The offered mechanisms mailwire implements.
  sasl::mechanism_set auth_mechanisms;
  /// The offered mechanisms it does not, upper-cased, once each.
  std::vector<std::string> auth_other;

  /// DELIVERBY [min-by-time], RFC 2852: the minimum by-time in seconds when
  /// given (1*9DIGIT).
  bool deliverby = false;
  /// DELIVERBY's minimum by-time in seconds, when given.
  std::optional<std::uint32_t> deliverby_min;

  /// MT-PRIORITY [profile], RFC 6710: "MIXER", "STANAG4406", "NSEP"... as
  /// sent; empty when none is named.
  bool mt_priority = false;
  /// MT-PRIORITY's profile as sent (empty: none named).
  std::string mt_priority_profile;

  /// LIMITS name=value..., RFC 9422: the three limits RFC 9422 defines as
  /// numbers (each 1*DIGIT fitting a uint64), any other limit kept in
  /// `other_limits` as {name, value}.
  bool limits = false;
  /// LIMITS RCPTMAX: recipients per transaction.
  std::optional<std::uint64_t> rcptmax;
  /// LIMITS MAILMAX: transactions per session.
  std::optional<std::uint64_t> mailmax;
  /// LIMITS RCPTDOMAINMAX: recipient domains per transaction.
  std::optional<std::uint64_t> rcptdomainmax;
  /// The other LIMITS, as {name, value}.
  std::vector<ehlo_keyword> other_limits;

  /// Every other line, in order: keyword as sent, params as sent.
  std::vector<ehlo_keyword> unknown;

  bool operator==(const capabilities& o) const {
    return domain == o.domain && greeting == o.greeting && pipelining == o.pipelining &&
           eightbitmime == o.eightbitmime && binarymime == o.binarymime && chunking == o.chunking &&
           smtputf8 == o.smtputf8 && dsn == o.dsn && starttls == o.starttls &&
           enhancedstatuscodes == o.enhancedstatuscodes && requiretls == o.requiretls && vrfy == o.vrfy &&
           etrn == o.etrn && expn == o.expn && size == o.size && size_limit == o.size_limit && auth == o.auth &&
           auth_mechanisms == o.auth_mechanisms && auth_other == o.auth_other && deliverby == o.deliverby &&
           deliverby_min == o.deliverby_min && mt_priority == o.mt_priority &&
           mt_priority_profile == o.mt_priority_profile && limits == o.limits && rcptmax == o.rcptmax &&
           mailmax == o.mailmax && rcptdomainmax == o.rcptdomainmax && other_limits == o.other_limits &&
           unknown == o.unknown;
  }
  bool operator!=(const capabilities& o) const { return !(*this == o); }
};

namespace detail {

// ehlo-param = 1*(%d33-126) (RFC 5321 4.1.1.1); params are separated by
// single SPs (several are tolerated when reading).
template <class F>
bool for_each_param(std::string_view params, F&& f) {
  while (!params.empty()) {
    const std::size_t sp = params.find(' ');
    const std::string_view p = params.substr(0, sp);
    if (!p.empty() && !f(p)) return false;
    if (sp == std::string_view::npos) break;
    params.remove_prefix(sp + 1);
  }
  return true;
}

inline bool parse_limits(std::string_view params, capabilities& c) {
  capabilities tmp;
  const bool ok = for_each_param(params, [&](std::string_view p) {
    // limit = limit-name "=" limit-value (RFC 9422 4)
    const std::size_t eq = p.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == p.size()) return false;
    const std::string_view name = p.substr(0, eq);
    const std::string_view value = p.substr(eq + 1);
    std::optional<std::uint64_t>* slot = ascii::iequals(name, "RCPTMAX")         ? &tmp.rcptmax
                                         : ascii::iequals(name, "MAILMAX")       ? &tmp.mailmax
                                         : ascii::iequals(name, "RCPTDOMAINMAX") ? &tmp.rcptdomainmax
                                                                                 : nullptr;
    if (slot == nullptr) {
      tmp.other_limits.push_back({std::string(name), std::string(value)});
      return true;
    }
    std::uint64_t n = 0;
    if (!parse_number(value, 20, n)) return false;
    *slot = n;
    return true;
  });
  if (!ok) return false;
  c.limits = true;
  c.rcptmax = tmp.rcptmax;
  c.mailmax = tmp.mailmax;
  c.rcptdomainmax = tmp.rcptdomainmax;
  c.other_limits = std::move(tmp.other_limits);
  return true;
}

inline void add_auth(std::string_view params, capabilities& c) {
  c.auth = true;
  for_each_param(params, [&](std::string_view name) {
    if (const auto m = sasl::parse_mechanism(name)) {
      c.auth_mechanisms.insert(*m);
      return true;
    }
    std::string upper(name);
    for (char& ch : upper) ch = ascii::to_upper(ch);
    for (const std::string& s : c.auth_other) {
      if (s == upper) return true;
    }
    c.auth_other.push_back(std::move(upper));
    return true;
  });
}

// Types one ehlo-line; false when it is not a known keyword with valid
// parameters (the caller keeps it verbatim).
inline bool parse_ehlo_line(std::string_view key, std::string_view params, bool has_params, capabilities& c) {
  struct flag {
    std::string_view name;
    bool capabilities::*member;
  };
  static constexpr flag flags[] = {
      {"PIPELINING", &capabilities::pipelining},
      {"8BITMIME", &capabilities::eightbitmime},
      {"BINARYMIME", &capabilities::binarymime},
      {"CHUNKING", &capabilities::chunking},
      {"SMTPUTF8", &capabilities::smtputf8},
      {"DSN", &capabilities::dsn},
      {"STARTTLS", &capabilities::starttls},
      {"ENHANCEDSTATUSCODES", &capabilities::enhancedstatuscodes},
      {"REQUIRETLS", &capabilities::requiretls},
      {"VRFY", &capabilities::vrfy},
      {"ETRN", &capabilities::etrn},
      {"EXPN", &capabilities::expn},
  };
  for (const flag& f : flags) {
    if (ascii::iequals(key, f.name)) {
      if (has_params) return false;  // these keywords take no parameters
      c.*f.member = true;
      return true;
    }
  }
  if (ascii::iequals(key, "SIZE")) {
    // size-ext = "SIZE" [SP size-value], size-value = 1*20DIGIT (RFC 1870 4)
    std::uint64_t n = 0;
    if (has_params && !parse_number(params, 20, n)) return false;
    c.size = true;
    c.size_limit = has_params ? std::optional<std::uint64_t>(n) : std::nullopt;
    return true;
  }
  if (ascii::iequals(key, "AUTH")) {
    // "AUTH" 1*(SP sasl-mech) (RFC 4954 3)
    if (!has_params) return false;
    bool ok = true;
    for_each_param(params, [&](std::string_view m) { return ok = is_sasl_mech(m); });
    if (!ok) return false;
    add_auth(params, c);
    return true;
  }
  if (ascii::iequals(key, "DELIVERBY")) {
    // "DELIVERBY" [SP min-by-time], min-by-time = 1*9DIGIT (RFC 2852 4)
    std::uint64_t n = 0;
    if (has_params && !parse_number(params, 9, n)) return false;
    c.deliverby = true;
    c.deliverby_min = has_params ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(n)) : std::nullopt;
    return true;
  }
  if (ascii::iequals(key, "MT-PRIORITY")) {
    // "MT-PRIORITY" [SP priority-profile] (RFC 6710 3)
    if (has_params && (params.find(' ') != std::string_view::npos || !is_esmtp_keyword(params))) return false;
    c.mt_priority = true;
    c.mt_priority_profile = std::string(params);
    return true;
  }
  if (ascii::iequals(key, "LIMITS")) return has_params && parse_limits(params, c);
  return false;
}

}  // namespace detail

/// Reads the capabilities from a 250 reply to EHLO or LHLO into `out`
/// (replaced). Keywords are read from each line's raw text (see
/// reply::raw_text). Returns errc::ok, errc::invalid_argument when the
/// reply is not a positive completion (250) or has no lines, or
/// errc::malformed_reply when the first line has no domain. A line
/// that is not a known keyword with valid parameters (including the
/// pre-standard "AUTH=" form, which is typed as AUTH) never fails the
/// parse: it is kept in `unknown` as sent (split at its first SP). A
/// trailing SP after a keyword ("SIZE ") is read as no parameters.
inline errc parse_ehlo_reply(const reply& r, capabilities& out) {
  out = capabilities{};
  if (r.code() != 250 || r.size() == 0) return errc::invalid_argument;
  // ehlo-ok-rsp: "250" SP Domain [ SP ehlo-greet ] / "250-" Domain ... (RFC 5321 4.1.1.1)
  const std::string_view first = r.raw_text(0);
  const std::size_t sp = first.find(' ');
  if (sp == 0 || first.empty()) return errc::malformed_reply;
  out.domain = std::string(first.substr(0, sp));
  if (sp != std::string_view::npos) out.greeting = std::string(first.substr(sp + 1));
  for (std::size_t i = 1; i < r.size(); ++i) {
    const std::string_view line = r.raw_text(i);
    // ehlo-line = ehlo-keyword *( SP ehlo-param )
    std::size_t end = line.find(' ');
    const std::size_t eq = line.find('=');
    bool old_auth = false;
    if (eq == 4 && (end == std::string_view::npos || end > eq) && ascii::iequals(line.substr(0, 4), "AUTH")) {
      // "AUTH=PLAIN LOGIN": the pre-standard form of RFC 2554 drafts
      end = eq;
      old_auth = true;
    }
    const std::string_view key = line.substr(0, end);
    // A trailing SP with nothing after it ("SIZE ") reads as no parameters.
    const std::string_view params = end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
    const bool has_params = !params.empty();
    bool typed = false;
    if (old_auth) {
      // its mechanism names: sasl-mech = 1*20mech-char (RFC 4422 3.1)
      typed = !params.empty() && detail::for_each_param(params, [](std::string_view m) {
        return detail::is_sasl_mech(m);
      });
      if (typed) detail::add_auth(params, out);
    } else if (detail::is_esmtp_keyword(key)) {
      typed = detail::parse_ehlo_line(key, params, has_params, out);
    }
    if (!typed) {
      const std::size_t split = line.find(' ');
      out.unknown.push_back({std::string(line.substr(0, split)),
                             split == std::string_view::npos ? std::string() : std::string(line.substr(split + 1))});
    }
  }
  return errc::ok;
}

}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_CAPABILITIES_HPP
