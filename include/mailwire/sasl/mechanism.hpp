// mailwire: SASL mechanism names, their properties, and choosing one.
//
// The protocols advertise mechanisms as names (EHLO "AUTH PLAIN SCRAM-SHA-256",
// IMAP "AUTH=PLAIN", POP3 CAPA "SASL ..."). mechanism_set holds such a list;
// choose() picks the strongest one both sides support under a policy that by
// default never sends a password in clear text without TLS.
#ifndef MAILWIRE_SASL_MECHANISM_HPP
#define MAILWIRE_SASL_MECHANISM_HPP

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "mailwire/core/ascii.hpp"

namespace mailwire {
inline namespace v0 {
namespace sasl {

/// The mechanisms mailwire implements, client and server side.
enum class mechanism : std::uint8_t {
  plain,               ///< RFC 4616: authzid, user and password in one message
  login,               ///< draft-murchison-sasl-login: user, then password
  cram_md5,            ///< RFC 2195: HMAC-MD5 of the server's challenge
  xoauth2,             ///< Google/Microsoft OAuth 2.0 bearer token
  oauthbearer,         ///< RFC 7628: OAuth 2.0 bearer token
  scram_sha_1,         ///< RFC 5802
  scram_sha_1_plus,    ///< RFC 5802 with channel binding
  scram_sha_256,       ///< RFC 7677
  scram_sha_256_plus,  ///< RFC 7677 with channel binding
  external,            ///< RFC 4422 appendix A: identity from outside (TLS client cert)
  anonymous,           ///< RFC 4505: a trace string, no identity
};

inline constexpr std::size_t mechanism_count = 11;

/// The registered (IANA) name: "SCRAM-SHA-256-PLUS".
constexpr std::string_view to_string(mechanism m) noexcept {
  constexpr std::string_view names[mechanism_count] = {
      "PLAIN",         "LOGIN",         "CRAM-MD5",           "XOAUTH2",  "OAUTHBEARER", "SCRAM-SHA-1",
      "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "EXTERNAL", "ANONYMOUS"};
  return names[static_cast<std::size_t>(m)];
}

/// The mechanism with this name, compared case-insensitively (RFC 4422
/// 3.1); nullopt when mailwire does not implement it.
constexpr std::optional<mechanism> parse_mechanism(std::string_view name) noexcept {
  for (std::size_t i = 0; i < mechanism_count; ++i) {
    const auto m = static_cast<mechanism>(i);
    if (ascii::iequals(name, to_string(m))) return m;
  }
  return std::nullopt;
}

/// True when the client speaks first (it has an initial response).
constexpr bool client_first(mechanism m) noexcept {
  return m != mechanism::login && m != mechanism::cram_md5;
}

/// True when the password crosses the wire as is (only base64-encoded).
constexpr bool exposes_password(mechanism m) noexcept {
  return m == mechanism::plain || m == mechanism::login;
}

/// True for the SCRAM -PLUS variants, which need channel-binding data.
constexpr bool uses_channel_binding(mechanism m) noexcept {
  return m == mechanism::scram_sha_1_plus || m == mechanism::scram_sha_256_plus;
}

/// True for the SCRAM family.
constexpr bool is_scram(mechanism m) noexcept {
  return m == mechanism::scram_sha_1 || m == mechanism::scram_sha_1_plus || m == mechanism::scram_sha_256 ||
         m == mechanism::scram_sha_256_plus;
}

/// A set of mechanisms, for what a server advertises or a policy allows.
class mechanism_set {
 public:
  constexpr mechanism_set() noexcept = default;
  /// The set of these mechanisms: {mechanism::plain, mechanism::scram_sha_256}.
  constexpr mechanism_set(std::initializer_list<mechanism> ms) noexcept {
    for (mechanism m : ms) insert(m);
  }

  /// Parses a space-separated list of names ("PLAIN LOGIN XFOO"); names
  /// mailwire does not implement are skipped (count them with `unknown`).
  static constexpr mechanism_set parse(std::string_view list, std::size_t* unknown = nullptr) noexcept {
    mechanism_set s;
    std::size_t skipped = 0;
    while (!list.empty()) {
      const std::size_t sp = list.find(' ');
      const std::string_view name = list.substr(0, sp);
      if (!name.empty()) {
        if (auto m = parse_mechanism(name)) {
          s.insert(*m);
        } else {
          ++skipped;
        }
      }
      list = sp == std::string_view::npos ? std::string_view{} : list.substr(sp + 1);
    }
    if (unknown != nullptr) *unknown = skipped;
    return s;
  }

  /// Adds `m`.
  constexpr void insert(mechanism m) noexcept { bits_ = static_cast<std::uint16_t>(bits_ | bit(m)); }
  /// Removes `m`.
  constexpr void erase(mechanism m) noexcept { bits_ = static_cast<std::uint16_t>(bits_ & ~bit(m)); }
  /// True when `m` is in the set.
  constexpr bool contains(mechanism m) const noexcept { return (bits_ & bit(m)) != 0; }
  /// True when the set has no mechanism.
  constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr bool operator==(const mechanism_set& o) const noexcept { return bits_ == o.bits_; }
  constexpr bool operator!=(const mechanism_set& o) const noexcept { return bits_ != o.bits_; }

 private:
  static constexpr std::uint16_t bit(mechanism m) noexcept {
    return static_cast<std::uint16_t>(1u << static_cast<unsigned>(m));
  }
  std::uint16_t bits_ = 0;
};

/// What the client has and allows, for choose(). The have_* flags say
/// which credentials the client will be given; choose() never picks a
/// mechanism they cannot serve (the client would only fail at start()).
struct client_policy {
  /// The connection is protected by TLS now.
  bool tls = false;
  /// Lenient: allow PLAIN, LOGIN, OAUTHBEARER and XOAUTH2 without TLS.
  /// Sends the password or bearer token in clear text to anyone on the
  /// path.
  bool allow_cleartext_password = false;
  /// The client has a password (for PLAIN, LOGIN, CRAM-MD5, SCRAM).
  bool have_password = true;
  /// The client has an OAuth 2.0 bearer token (OAUTHBEARER, XOAUTH2).
  bool have_token = false;
  /// The client can supply channel-binding data (for SCRAM-*-PLUS).
  bool have_channel_binding = false;
  /// The client has a nonce from its random source (client_credentials::
  /// nonce), which every SCRAM mechanism needs. mailwire has no random
  /// source, so without this no SCRAM mechanism is chosen.
  bool have_nonce = false;
  /// Use EXTERNAL (identity from the TLS client certificate) when offered.
  bool use_external = false;
  /// Use ANONYMOUS when offered and nothing better applies.
  bool use_anonymous = false;
  /// CRAM-MD5 makes the server keep a password-equivalent secret and uses
  /// MD5; allowed by default since it never reveals the password itself.
  bool allow_cram_md5 = true;
  /// Only these mechanisms are considered (default: all).
  mechanism_set allowed = all();

  /// Every mechanism mailwire implements (the default of `allowed`).
  static constexpr mechanism_set all() noexcept {
    mechanism_set s;
    for (std::size_t i = 0; i < mechanism_count; ++i) s.insert(static_cast<mechanism>(i));
    return s;
  }
};

/// The strongest mechanism in `offered` the policy allows and the client
/// can serve, or nullopt when there is none.
/// Order: EXTERNAL (when asked for), SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS,
/// SCRAM-SHA-256, SCRAM-SHA-1, OAUTHBEARER, XOAUTH2, CRAM-MD5, PLAIN, LOGIN,
/// ANONYMOUS (when asked for). What each needs: SCRAM a password and a
/// nonce, -PLUS channel binding too; OAUTHBEARER and XOAUTH2 a token;
/// CRAM-MD5, PLAIN and LOGIN a password. PLAIN, LOGIN, OAUTHBEARER and
/// XOAUTH2 also need TLS unless allow_cleartext_password: they send the
/// password or a bearer token itself (RFC 6750 5.3 requires TLS for
/// bearer tokens).
constexpr std::optional<mechanism> choose(mechanism_set offered, const client_policy& p) noexcept {
  using m = mechanism;
  const bool clear_ok = p.tls || p.allow_cleartext_password;
  const bool scram = p.have_password && p.have_nonce;
  const struct {
    mechanism mech;
    bool usable;
  } order[] = {
      {m::external, p.use_external},
      {m::scram_sha_256_plus, scram && p.have_channel_binding},
      {m::scram_sha_1_plus, scram && p.have_channel_binding},
      {m::scram_sha_256, scram},
      {m::scram_sha_1, scram},
      {m::oauthbearer, p.have_token && clear_ok},
      {m::xoauth2, p.have_token && clear_ok},
      {m::cram_md5, p.have_password && p.allow_cram_md5},
      {m::plain, p.have_password && clear_ok},
      {m::login, p.have_password && clear_ok},
      {m::anonymous, p.use_anonymous},
  };
  for (const auto& o : order) {
    if (o.usable && offered.contains(o.mech) && p.allowed.contains(o.mech)) return o.mech;
  }
  return std::nullopt;
}

}  // namespace sasl
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SASL_MECHANISM_HPP
