// mailwire: what a protocol client holds to log in through SASL, shared by
// the three client machines (SMTP AUTH, POP3 AUTH, IMAP AUTHENTICATE).
//
// A client machine keeps the credentials from its options until the login
// is over (then drops them: a session idle for hours carries no password),
// chooses a mechanism among those the server offers under the policy, and
// runs the engine (sasl/client.hpp) for it. The protocol framing (the
// command, "+ " or "334 " challenges, "*" to cancel) stays the machine's.
#ifndef MAILWIRE_SASL_LOGIN_HPP
#define MAILWIRE_SASL_LOGIN_HPP

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mailwire/error.hpp"
#include "mailwire/sasl/client.hpp"
#include "mailwire/sasl/mechanism.hpp"

namespace mailwire {
inline namespace v0 {
namespace sasl {

/// The credentials and choices of one client login, and its engine once
/// started.
struct client_login {
  /// The authentication identity.
  std::string username;
  /// The password, for the mechanisms that use one.
  std::string password;
  /// Act as this identity; empty: as `username`.
  std::string authzid;
  std::string token;  ///< OAuth 2.0 bearer token
  std::string nonce;  ///< SCRAM's client nonce, from the caller's random source
  /// This connection's channel binding data (SCRAM-*-PLUS), once TLS is up.
  std::string binding_data;
  /// Which channel binding `binding_data` is.
  channel_binding::type binding_kind = channel_binding::type::none;
  /// Which mechanisms may be used; policy_for() fills in what the login
  /// holds and whether the connection has TLS.
  client_policy policy;
  /// The SASL engine's limits (SCRAM iterations, challenge size).
  client_options limits;
  /// A mechanism the caller named: only it is considered (still under the
  /// policy: naming PLAIN does not send a password in clear).
  std::optional<mechanism> named;
  /// The exchange failed on the client's side (the machine cancelled it).
  errc error = errc::ok;
  /// The engine, between start() and the end of the login.
  std::unique_ptr<client> engine;

  /// This connection's channel binding (SCRAM-*-PLUS), once TLS is up.
  void bind(channel_binding::type kind, std::string_view data) {
    binding_kind = kind;
    binding_data = std::string(data);
  }

  /// The policy for choose(), on a connection with TLS or not.
  client_policy policy_for(bool tls) const noexcept {
    client_policy p = policy;
    p.tls = tls;
    p.have_password = !password.empty();
    p.have_token = !token.empty();
    p.have_nonce = !nonce.empty();
    p.have_channel_binding = !binding_data.empty();
    if (named) {
      p.allowed = mechanism_set{};
      p.allowed.insert(*named);
      p.use_external = p.use_external || *named == mechanism::external;
      p.use_anonymous = p.use_anonymous || *named == mechanism::anonymous;
    }
    return p;
  }

  /// The mechanism start() would use among `offered`, or nullopt.
  std::optional<mechanism> choice(const mechanism_set& offered, bool tls) const noexcept {
    return choose(offered, policy_for(tls));
  }

  /// Chooses the mechanism among `offered` and makes its engine (not yet
  /// started: the machine calls engine->start() with what its protocol
  /// allows). Errors, with no engine: errc::sasl_insecure when a mechanism
  /// would do on a connection in clear text that the policy forbids there
  /// (the password would be shown), else errc::sasl_unknown_mechanism.
  errc start(const mechanism_set& offered, bool tls) {
    const std::optional<mechanism> m = choice(offered, tls);
    if (!m) {
      client_policy clear = policy_for(tls);
      clear.allow_cleartext_password = true;
      return choose(offered, clear) ? errc::sasl_insecure : errc::sasl_unknown_mechanism;
    }
    client_credentials c;
    c.username = username;
    c.password = password;
    c.authzid = authzid;
    c.token = token;
    c.nonce = nonce;
    if (uses_channel_binding(*m) || !binding_data.empty()) c.binding = {binding_kind, binding_data};
    engine = std::make_unique<client>(*m, c, limits);
    return errc::ok;
  }
};

}  // namespace sasl
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SASL_LOGIN_HPP
