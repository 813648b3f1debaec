// mailwire: the client side of every SASL mechanism, protocol-independent.
//
// The protocol machines (SMTP AUTH, POP3 AUTH, IMAP AUTHENTICATE) do the
// framing: base64, "334 "/"+ " continuations, "*" to cancel, initial
// responses (RFC 4954, RFC 5034, RFC 4959 SASL-IR). This class sees only the
// decoded bytes:
//
//     sasl::client c(sasl::mechanism::scram_sha_256, creds);
//     auto s = c.start(/*initial_response_allowed=*/true);
//     // s.state == respond: send s.response (maybe inline with AUTH)
//     // then for each server challenge:   s = c.challenge(decoded);
//     // and when the server says success: s = c.success(additional_data);
//     // s.state == done only once the server has proved itself (SCRAM).
//
// Credentials are copied at construction; the caller's strings need not
// outlive the call. Nonces come from the caller (credentials.nonce): the
// library has no random source. Responses are views into the client, valid
// until its next non-const call. Every failure is an errc with no exception;
// after a failure the client stays failed.
#ifndef MAILWIRE_SASL_CLIENT_HPP
#define MAILWIRE_SASL_CLIENT_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "mailwire/core/base64.hpp"
#include "mailwire/core/hmac.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/sasl/mechanism.hpp"
#include "mailwire/sasl/saslprep.hpp"
#include "mailwire/sasl/scram.hpp"

namespace mailwire {
inline namespace v0 {
namespace sasl {

/// What the client authenticates with; fields a mechanism does not use are
/// ignored. All are views, copied by the client's constructor.
struct client_credentials {
  std::string_view authzid;   ///< authorization identity; empty: the same as username
  std::string_view username;  ///< authentication identity
  /// The password (PLAIN, LOGIN, CRAM-MD5, SCRAM).
  std::string_view password;
  std::string_view token;  ///< OAuth 2.0 bearer token (OAUTHBEARER, XOAUTH2)
  std::string_view host;   ///< OAUTHBEARER: the server's host name (optional)
  std::uint16_t port = 0;  ///< OAUTHBEARER: the server's port (0: not sent)
  std::string_view trace;  ///< ANONYMOUS: an email address or token (RFC 4505)
  /// SCRAM: the client nonce, from the caller's random source: printable
  /// ASCII without ',' (for example 24 random bytes in base64). Required by
  /// SCRAM: start() fails with sasl_missing_nonce when it is empty, and
  /// with sasl_invalid_field when it holds another byte. Tell choose() with
  /// client_policy::have_nonce.
  std::string_view nonce;
  /// SCRAM: this connection's channel binding. Required for the -PLUS
  /// mechanisms; with a plain SCRAM mechanism, setting it tells the server
  /// "I could bind, but you did not offer it" (the 'y' flag, RFC 5802 6).
  channel_binding binding;
};

/// Limits on what a server may make the client do.
struct client_options {
  /// Highest SCRAM iteration count accepted from a server: each iteration
  /// is an HMAC the client computes, so a hostile server could stall it.
  /// Over it: errc::sasl_bad_iteration_count.
  std::uint32_t max_iterations = mailwire::limits::max_scram_iterations;
  /// Longest challenge accepted (decoded bytes). Over it: errc::sasl_too_long.
  std::size_t max_challenge = mailwire::limits::max_sasl_message;
};

/// One step of the client.
struct client_step {
  /// What to do next.
  enum class status : std::uint8_t {
    respond,  ///< send `response` (possibly empty)
    wait,     ///< nothing to send: wait for the server's challenge
    done,     ///< authenticated, and the server proved itself where it can
    failed,   ///< `error` says why; abandon the exchange (send "*" if it is open)
  };
  /// What to do next.
  status state = status::wait;
  /// respond: the bytes to send (decoded: the framing base64-encodes them);
  /// valid until the next call on the client.
  std::string_view response;
  /// failed: why.
  errc error = errc::ok;
};

/// The client side of one SASL exchange, any mechanism mailwire implements:
/// start(), then one step per server challenge, until done or failed.
class client {
 public:
  /// An exchange of mechanism `m` with these credentials (the views are copied).
  client(mechanism m, const client_credentials& c, client_options o = {})
      : mech_(m),
        options_(o),
        authzid_(c.authzid),
        username_(c.username),
        password_(c.password),
        token_(c.token),
        host_(c.host),
        port_(c.port),
        trace_(c.trace),
        nonce_(c.nonce),
        binding_kind_(c.binding.kind),
        binding_data_(c.binding.data) {}

  /// The mechanism of this exchange.
  mechanism mech() const noexcept { return mech_; }

  /// Begins the exchange. For a client-first mechanism with
  /// `initial_response_allowed` (SASL-IR, SMTP AUTH with a response, POP3
  /// AUTH with one), returns the initial response; otherwise `wait`, and
  /// the initial response goes out in answer to the server's first (empty)
  /// challenge.
  ///
  /// First it checks that the credentials can serve the mechanism, so that
  /// a protocol never sends "AUTH <mechanism>" for an exchange the client
  /// cannot finish. On failure nothing is to be sent and the client stays
  /// failed:
  /// - sasl_missing_nonce: SCRAM without a nonce;
  /// - invalid_argument: a credential the mechanism needs is empty (PLAIN,
  ///   LOGIN and CRAM-MD5: username and password; SCRAM: username and
  ///   password, after SASLprep; XOAUTH2 and OAUTHBEARER: token);
  /// - sasl_invalid_field: a field holds a byte it may not (NUL, CR or LF
  ///   anywhere it is sent, a space in a CRAM-MD5 username, %x01 in an
  ///   OAuth field, a nonce byte outside printable ASCII or a ',');
  /// - saslprep_prohibited, saslprep_unsupported, invalid_utf8: SCRAM's
  ///   username or password fails SASLprep;
  /// - sasl_channel_binding_mismatch: a -PLUS mechanism without binding data;
  /// - sasl_too_long: an ANONYMOUS trace over mailwire::limits::max_anonymous_trace.
  client_step start(bool initial_response_allowed = true) {
    if (state_ != state::fresh) return fail(errc::invalid_state);
    if (const errc e = prepare(); e != errc::ok) return fail(e);
    state_ = state::started;
    if (!client_first(mech_) || !initial_response_allowed) return {};
    return initial();
  }

  /// A challenge from the server (decoded).
  client_step challenge(std::string_view data) {
    if (state_ == state::failed) return fail(error_);
    if (state_ == state::fresh || state_ == state::done) return fail(errc::sasl_unexpected_message);
    if (data.size() > options_.max_challenge) return fail(errc::sasl_too_long);
    if (state_ == state::started && client_first(mech_)) {
      // The initial response was not sent inline: the server asks for it
      // with an empty challenge.
      if (!data.empty()) return fail(errc::sasl_unexpected_message);
      return initial();
    }
    ++round_;
    switch (mech_) {
      case mechanism::login:
        // The prompts' text is not standard ("Username:", "User Name"...),
        // so the order decides: first the user, then the password.
        if (round_ == 1) return respond_with(username_);
        if (round_ == 2) return respond_with(password_);
        return fail(errc::sasl_unexpected_message);
      case mechanism::cram_md5: return cram_md5(data);
      case mechanism::xoauth2:
      case mechanism::oauthbearer:
        // The only challenge is an error report (JSON). Answer as the
        // mechanism asks (empty, or a single %x01) and expect failure.
        if (round_ != 1) return fail(errc::sasl_unexpected_message);
        server_error_ = std::string(data);
        state_ = state::failing;
        return respond_with(mech_ == mechanism::oauthbearer ? std::string_view("\x01", 1) : std::string_view{});
      case mechanism::scram_sha_1:
      case mechanism::scram_sha_1_plus:
      case mechanism::scram_sha_256:
      case mechanism::scram_sha_256_plus:
        if (round_ == 1) return scram_server_first(data);
        if (round_ == 2) return scram_server_final(data);
        return fail(errc::sasl_unexpected_message);
      case mechanism::plain:
      case mechanism::external:
      case mechanism::anonymous: break;
    }
    return fail(errc::sasl_unexpected_message);  // one-message mechanisms
  }

  /// The server reported success, with `additional_data` when the protocol
  /// carried some (IMAP/SMTP may send SCRAM's server-final this way).
  client_step success(std::string_view additional_data = {}) {
    if (state_ == state::failed) return fail(error_);
    if (state_ == state::failing) return fail(errc::sasl_server_error);
    // Success before the client said anything cannot be genuine.
    if (state_ != state::exchanging) return fail(errc::sasl_unexpected_message);
    if (is_scram(mech_) && round_ == 1 && !additional_data.empty()) {
      ++round_;  // server-final carried with the success (RFC 4422 4)
      const client_step s = scram_server_final(additional_data);
      if (s.state == client_step::status::failed) return s;
    } else if (!additional_data.empty()) {
      return fail(errc::sasl_unexpected_message);
    }
    // A SCRAM server must prove it knows the password before we believe
    // it: success without its signature may come from an impostor.
    if (is_scram(mech_) && !server_verified_) return fail(errc::sasl_unexpected_message);
    state_ = state::done;
    client_step s;
    s.state = client_step::status::done;
    return s;
  }

  /// The error text the server sent inside the mechanism (the OAuth JSON
  /// error, SCRAM's "e=" value), for logs; empty when none.
  std::string_view server_error() const noexcept { return server_error_; }
  /// True once authenticated (and the server proved itself, for SCRAM).
  bool done() const noexcept { return state_ == state::done; }

 private:
  enum class state : std::uint8_t { fresh, started, exchanging, failing, done, failed };

  client_step fail(errc e) {
    state_ = state::failed;
    error_ = e;
    client_step s;
    s.state = client_step::status::failed;
    s.error = e;
    return s;
  }
  client_step respond() {
    if (state_ == state::started) state_ = state::exchanging;
    client_step s;
    s.state = client_step::status::respond;
    s.response = out_;
    return s;
  }
  client_step respond_with(std::string_view s) {
    out_.assign(s.data(), s.size());
    return respond();
  }

  // Whether the credentials can serve the mechanism (see start()); SCRAM's
  // username and password are SASLprep'd here, once.
  errc prepare() {
    using detail::has_forbidden;
    const auto needed = [](std::string_view f) { return f.empty() ? errc::invalid_argument : errc::ok; };
    switch (mech_) {
      case mechanism::plain:
      case mechanism::login:
        if (has_forbidden(authzid_) || has_forbidden(username_) || has_forbidden(password_)) {
          return errc::sasl_invalid_field;
        }
        return username_.empty() ? errc::invalid_argument : needed(password_);
      case mechanism::cram_md5:
        // The password is only hashed, never sent: any bytes will do.
        if (username_.find(' ') != std::string::npos || has_forbidden(username_)) return errc::sasl_invalid_field;
        return username_.empty() ? errc::invalid_argument : needed(password_);
      case mechanism::xoauth2:
        if (!oauth_field_ok(username_) || !oauth_field_ok(token_)) return errc::sasl_invalid_field;
        return needed(token_);
      case mechanism::oauthbearer:
        if (!oauth_field_ok(authzid_) || !oauth_field_ok(token_) || !oauth_field_ok(host_)) {
          return errc::sasl_invalid_field;
        }
        return needed(token_);
      case mechanism::external: return has_forbidden(authzid_) ? errc::sasl_invalid_field : errc::ok;
      case mechanism::anonymous:
        if (trace_.size() > mailwire::limits::max_anonymous_trace) return errc::sasl_too_long;
        return has_forbidden(trace_) ? errc::sasl_invalid_field : errc::ok;
      case mechanism::scram_sha_1:
      case mechanism::scram_sha_1_plus:
      case mechanism::scram_sha_256:
      case mechanism::scram_sha_256_plus: return prepare_scram();
    }
    return errc::sasl_unknown_mechanism;
  }

  errc prepare_scram() {
    if (const errc e = detail::check_nonce_and_binding(mech_, nonce_, binding_kind_, binding_data_); e != errc::ok) {
      return e;
    }
    if (detail::has_forbidden(authzid_)) return errc::sasl_invalid_field;
    if (const saslprep_result r = saslprep(username_, prepared_user_); !r) return r.error;
    if (const saslprep_result r = saslprep(password_, prepared_password_); !r) return r.error;
    return prepared_user_.empty() || prepared_password_.empty() ? errc::invalid_argument : errc::ok;
  }

  client_step initial() {
    switch (mech_) {
      case mechanism::plain: {
        // message = [authzid] NUL authcid NUL passwd (RFC 4616 2)
        out_ = authzid_;
        out_ += '\0';
        out_ += username_;
        out_ += '\0';
        out_ += password_;
        return respond();
      }
      case mechanism::external: return respond_with(authzid_);
      case mechanism::anonymous: return respond_with(trace_);
      case mechanism::xoauth2: {
        out_ = "user=" + username_ + "\x01" "auth=Bearer " + token_ + "\x01\x01";
        return respond();
      }
      case mechanism::oauthbearer: {
        // gs2-header kvsep *kvpair kvsep (RFC 7628 3.1)
        out_ = "n,";
        if (!authzid_.empty()) {
          out_ += "a=";
          if (const errc e = detail::escape_saslname(authzid_, out_); e != errc::ok) return fail(e);
        }
        out_ += ",\x01";
        if (!host_.empty()) out_ += "host=" + host_ + "\x01";
        if (port_ != 0) out_ += "port=" + std::to_string(port_) + "\x01";
        out_ += "auth=Bearer " + token_ + "\x01\x01";
        return respond();
      }
      case mechanism::scram_sha_1:
      case mechanism::scram_sha_1_plus:
      case mechanism::scram_sha_256:
      case mechanism::scram_sha_256_plus: return scram_client_first();
      case mechanism::login:
      case mechanism::cram_md5: break;
    }
    return fail(errc::sasl_unexpected_message);
  }

  static bool oauth_field_ok(std::string_view s) noexcept {
    return s.find_first_of(std::string_view("\x01\r\n\0", 4)) == std::string_view::npos;
  }

  client_step cram_md5(std::string_view challenge) {
    // digest = HMAC-MD5(password, challenge) in lowercase hex (RFC 2195 2)
    if (round_ != 1) return fail(errc::sasl_unexpected_message);
    if (challenge.empty()) return fail(errc::sasl_malformed);
    out_ = username_ + " " + detail::cram_md5_digest(password_, challenge);
    return respond();
  }

  // -- SCRAM (RFC 5802 5) -------------------------------------------------
  client_step scram_client_first() {
    const bool plus = uses_channel_binding(mech_);
    // gs2-header: "p=<cb-name>" when binding, "y" when we could but the
    // server did not offer -PLUS, "n" when we cannot.
    if (plus) {
      gs2_header_ = "p=" + std::string(to_string(binding_kind_));
    } else {
      gs2_header_ = binding_kind_ != channel_binding::type::none ? "y" : "n";
    }
    gs2_header_ += ',';
    if (!authzid_.empty()) {
      gs2_header_ += "a=";
      if (const errc e = detail::escape_saslname(authzid_, gs2_header_); e != errc::ok) return fail(e);
    }
    gs2_header_ += ',';
    client_first_bare_ = "n=";
    if (const errc e = detail::escape_saslname(prepared_user_, client_first_bare_); e != errc::ok) return fail(e);
    client_first_bare_ += ",r=" + nonce_;
    out_ = gs2_header_ + client_first_bare_;
    return respond();
  }

  client_step scram_server_first(std::string_view msg) {
    // server-first-message = [reserved-mext ","] nonce "," salt ","
    //                        iteration-count ["," extensions]
    errc e = errc::ok;
    detail::scram_reader rd(msg);
    const std::string_view nonce = rd.expect('r', e);
    const std::string_view salt64 = rd.expect('s', e);
    const std::string_view iter = rd.expect('i', e);
    if (e == errc::ok) e = rd.finish();
    if (e != errc::ok) return fail(e);
    if (!detail::is_nonce(nonce) || nonce.size() <= nonce_.size() || nonce.substr(0, nonce_.size()) != nonce_) {
      return fail(errc::sasl_bad_nonce);
    }
    std::string salt;
    if (salt64.empty() || !base64::decode(salt64, salt, base64::mode::strict)) return fail(errc::sasl_malformed);
    std::uint32_t iterations = 0;
    // At most as many digits as the largest count, so that n cannot overflow.
    constexpr std::size_t max_digits = std::numeric_limits<std::uint32_t>::digits10 + 1;
    if (iter.empty() || iter.size() > max_digits || iter[0] == '0') return fail(errc::sasl_bad_iteration_count);
    std::uint64_t n = 0;
    for (char c : iter) {
      if (!ascii::is_digit(c)) return fail(errc::sasl_bad_iteration_count);
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n == 0 || n > options_.max_iterations) return fail(errc::sasl_bad_iteration_count);
    iterations = static_cast<std::uint32_t>(n);

    const detail::scram_algorithm& a = detail::scram_algorithm_for(mech_);
    const std::string salted = a.hi(prepared_password_, salt, iterations);
    const std::string client_key = a.hmac(salted, "Client Key");
    const std::string stored_key = a.hash(client_key);

    // channel-binding = "c=" base64(cbind-input), cbind-input = gs2-header
    // [cbind-data] (cbind-data only with "p=")
    std::string cbind_input = gs2_header_;
    if (uses_channel_binding(mech_)) cbind_input += binding_data_;
    std::string final_without_proof = "c=" + base64::encode(cbind_input) + ",r=" + std::string(nonce);
    const std::string auth_message =
        client_first_bare_ + "," + std::string(msg) + "," + final_without_proof;
    const std::string proof = detail::xor_bytes(client_key, a.hmac(stored_key, auth_message));
    server_signature_ = a.hmac(a.hmac(salted, "Server Key"), auth_message);
    out_ = final_without_proof + ",p=" + base64::encode(proof);
    return respond();
  }

  client_step scram_server_final(std::string_view msg) {
    // server-final-message = (server-error / verifier) ["," extensions]
    if (msg.substr(0, 2) == "e=") {
      const std::size_t comma = msg.find(',');
      server_error_ = std::string(msg.substr(2, comma == std::string_view::npos ? msg.npos : comma - 2));
      return fail(errc::sasl_server_error);
    }
    errc e = errc::ok;
    detail::scram_reader rd(msg);
    const std::string_view v64 = rd.expect('v', e);
    if (e == errc::ok) e = rd.finish();
    if (e != errc::ok) return fail(e);
    std::string v;
    if (!base64::decode(v64, v, base64::mode::strict)) return fail(errc::sasl_malformed);
    if (!constant_time_equal(v, server_signature_)) return fail(errc::sasl_bad_server_signature);
    server_verified_ = true;
    // Protocols that send server-final as a challenge expect an empty answer.
    out_.clear();
    return respond();
  }

  mechanism mech_;
  client_options options_;
  std::string authzid_;
  std::string username_;
  std::string password_;
  std::string token_;
  std::string host_;
  std::uint16_t port_;
  std::string trace_;
  std::string nonce_;
  channel_binding::type binding_kind_;
  std::string binding_data_;
  std::string prepared_user_;      // SCRAM: after SASLprep
  std::string prepared_password_;  // SCRAM: after SASLprep

  state state_ = state::fresh;
  errc error_ = errc::ok;
  int round_ = 0;  // challenges answered
  std::string out_;
  std::string server_error_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_signature_;
  bool server_verified_ = false;
};

}  // namespace sasl
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SASL_CLIENT_HPP
