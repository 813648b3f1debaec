// mailwire: the server side of every SASL mechanism, protocol-independent.
//
// The server machine produces challenges and, where only the application
// knows the answer, stops with status `check` and a request saying what it
// needs: check this password, give me this user's SCRAM keys (so passwords
// need not be stored in clear), give me the CRAM-MD5 secret, validate this
// bearer token, may this EXTERNAL/ANONYMOUS identity log in. The
// authorization identity (authzid) is always handed to the application to
// decide; accepting means "this authcid may act as this authzid".
//
//     sasl::server s(sasl::mechanism::scram_sha_256, opts);
//     auto st = s.start(initial_response);          // optional<string_view>
//     for (;;) {
//       switch (st.state) {
//         case challenge: send(st.data); st = s.respond(read()); break;
//         case check:     st = answer(s.request());  break;   // accept(), provide_scram()...
//         case success:   reply_ok(st.data); return;            // data: SCRAM server-final
//         case failure:   reply_fail(st.error); return;
//       }
//     }
//
// Inputs are decoded bytes; the protocol does base64 and "*" (cancel()).
// Views in steps and requests are valid until the next non-const call.
// Nonces come from the caller (options.nonce). Secrets are compared in
// constant time. Nothing throws; each failure is an errc.
#ifndef MAILWIRE_SASL_SERVER_HPP
#define MAILWIRE_SASL_SERVER_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
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

/// What the server side of an exchange needs from the application.
struct server_options {
  /// Fresh random printable ASCII (no ',') from the caller, for the SCRAM
  /// server nonce and the CRAM-MD5 challenge; 18+ characters recommended.
  /// Required by those mechanisms (start() fails with sasl_missing_nonce
  /// without it); the others ignore it.
  std::string_view nonce;
  /// The server's host name, for the CRAM-MD5 challenge "<nonce@host>".
  std::string_view hostname = "localhost";
  /// This connection's channel binding. Required by SCRAM-*-PLUS (start()
  /// fails with sasl_channel_binding_mismatch without it).
  channel_binding binding;
  /// Whether this server advertised any SCRAM -PLUS mechanism. A client
  /// that says "I could bind, but you did not offer it" ('y') while we did
  /// is being downgraded by someone in the middle (RFC 5802 6).
  bool plus_advertised = false;
  /// Longest client message accepted (decoded bytes). Over it:
  /// errc::sasl_too_long.
  std::size_t max_response = mailwire::limits::max_sasl_message;
};

/// What the application must decide (server_step::status::check).
enum class request_type : std::uint8_t {
  none,
  password,     ///< PLAIN, LOGIN: is `password` right for `username`? accept() / reject()
  secret,       ///< CRAM-MD5: provide_secret(password of `username`) / reject()
  scram_keys,   ///< SCRAM: provide_scram(keys of `username`) / reject()
  bearer_token, ///< OAUTHBEARER, XOAUTH2: is `token` valid for `username`? accept() / reject(json)
  external,     ///< EXTERNAL: may the externally authenticated peer act as `authzid`?
  anonymous,    ///< ANONYMOUS: allow a guest (`trace` is its self-description)?
};

/// What the application must decide at a check step (see request_type);
/// views valid until the next call on the server.
struct server_request {
  /// What is asked (see request_type).
  request_type type = request_type::none;
  std::string_view authzid;   ///< requested authorization identity; empty: none
  std::string_view username;  ///< authentication identity (SCRAM: after SASLprep)
  std::string_view password;  ///< PLAIN, LOGIN
  std::string_view token;     ///< OAUTHBEARER, XOAUTH2
  std::string_view trace;     ///< ANONYMOUS
};

/// One step of the server side: what to send, or what the application must
/// decide, or the outcome.
struct server_step {
  /// What to do next.
  enum class status : std::uint8_t {
    challenge,  ///< send `data` to the client and pass its answer to respond()
    check,      ///< the application must answer request()
    success,    ///< authenticated; `data` is additional data for the success reply (may be empty)
    failure,    ///< `error` says why; `data` may hold a mechanism error (SCRAM "e=...")
  };
  /// What to do next.
  status state = status::failure;
  /// challenge: the bytes to send (decoded); success: additional data;
  /// failure: a mechanism error to send, if any.
  std::string_view data;
  /// failure: why (sasl_auth_failed, sasl_malformed...).
  errc error = errc::ok;
};

/// The server side of one SASL exchange, any mechanism mailwire implements:
/// start() with the client's initial response, respond() to each answer, and
/// the application's decisions at check steps.
class server {
 public:
  /// An exchange of mechanism `m` (the options' views are copied).
  server(mechanism m, const server_options& o)
      : mech_(m),
        nonce_(o.nonce),
        hostname_(o.hostname),
        binding_kind_(o.binding.kind),
        binding_data_(o.binding.data),
        plus_advertised_(o.plus_advertised),
        max_response_(o.max_response) {}

  /// The mechanism of this exchange.
  mechanism mech() const noexcept { return mech_; }

  /// Begins with the client's initial response, if the AUTH command had one
  /// (an empty one, "=", is present and empty).
  ///
  /// First it checks that the options can serve the mechanism; if not, the
  /// step is a failure with no data (nothing to send but the protocol's
  /// failure reply) and the server stays failed:
  /// - sasl_missing_nonce: SCRAM or CRAM-MD5 without options.nonce;
  /// - sasl_invalid_field: a nonce holding a byte outside printable ASCII,
  ///   or a ',';
  /// - sasl_channel_binding_mismatch: SCRAM-*-PLUS without options.binding.
  server_step start(std::optional<std::string_view> initial_response) {
    if (state_ != state::fresh) return fail(errc::invalid_state);
    if (const errc e = servable(); e != errc::ok) return fail(e);
    state_ = state::waiting;
    if (!initial_response) {
      switch (mech_) {
        case mechanism::login: return challenge("Username:");
        case mechanism::cram_md5:
          cram_challenge_ = "<" + nonce_ + "@" + hostname_ + ">";
          return challenge(cram_challenge_);
        default: return challenge({});  // "send your initial response"
      }
    }
    if (mech_ == mechanism::cram_md5) return fail(errc::sasl_unexpected_message);
    return respond(*initial_response);
  }

  /// The client's answer to the last challenge (decoded).
  server_step respond(std::string_view data) {
    if (state_ != state::waiting) return fail(state_ == state::failed ? error_ : errc::sasl_unexpected_message);
    if (data.size() > max_response_) return fail(errc::sasl_too_long);
    ++round_;
    switch (mech_) {
      case mechanism::plain: return plain(data);
      case mechanism::login:
        if (detail::has_forbidden(data)) return fail(errc::sasl_invalid_field);
        if (round_ == 1) {
          username_ = std::string(data);
          return challenge("Password:");
        }
        password_ = std::string(data);
        if (username_.empty()) return fail(errc::sasl_invalid_field);
        return check(request_type::password);
      case mechanism::cram_md5: return cram_md5(data);
      case mechanism::xoauth2:
      case mechanism::oauthbearer:
        if (oauth_error_sent_) {
          // The client acknowledged our error report (RFC 7628 3.2.3).
          return fail(errc::sasl_auth_failed);
        }
        return mech_ == mechanism::xoauth2 ? xoauth2(data) : oauthbearer(data);
      case mechanism::scram_sha_1:
      case mechanism::scram_sha_1_plus:
      case mechanism::scram_sha_256:
      case mechanism::scram_sha_256_plus:
        return round_ == 1 ? scram_client_first(data) : scram_client_final(data);
      case mechanism::external:
        if (detail::has_forbidden(data)) return fail(errc::sasl_invalid_field);
        authzid_ = std::string(data);
        return check(request_type::external);
      case mechanism::anonymous:
        if (data.size() > mailwire::limits::max_anonymous_trace) return fail(errc::sasl_too_long);
        if (detail::has_forbidden(data)) return fail(errc::sasl_invalid_field);
        trace_ = std::string(data);
        return check(request_type::anonymous);
    }
    return fail(errc::sasl_unexpected_message);
  }

  /// The client cancelled ("*").
  server_step cancel() { return fail(errc::sasl_cancelled); }

  /// What the application must answer while the last step was `check`.
  const server_request& request() const noexcept { return request_; }

  /// After success: who authenticated (the authentication identity; for
  /// OAUTHBEARER the authzid, for ANONYMOUS empty) and the authorization
  /// identity the application accepted (empty: the same).
  std::string_view username() const noexcept { return username_; }
  /// After success: the authorization identity accepted (empty: the same as
  /// username()).
  std::string_view authzid() const noexcept { return authzid_; }

  /// Yes to a password, token, EXTERNAL or ANONYMOUS request.
  server_step accept() {
    if (state_ != state::checking || request_.type == request_type::secret || request_.type == request_type::scram_keys) {
      return fail(errc::invalid_state);
    }
    return succeed({});
  }

  /// No. For a bearer token, `error_json` (RFC 7628 3.2.2, e.g.
  /// {"status":"invalid_token"}) goes to the client as a challenge first,
  /// and the exchange fails when the client answers it.
  server_step reject(std::string_view error_json = {}) {
    if (state_ != state::checking) return fail(errc::invalid_state);
    if (request_.type == request_type::bearer_token && !error_json.empty()) {
      oauth_error_sent_ = true;
      state_ = state::waiting;
      request_ = {};
      out_ = std::string(error_json);
      return challenge_out();
    }
    return fail(errc::sasl_auth_failed);
  }

  /// CRAM-MD5: the shared secret (password) of request().username.
  server_step provide_secret(std::string_view secret) {
    if (state_ != state::checking || request_.type != request_type::secret) return fail(errc::invalid_state);
    const std::string expected = detail::cram_md5_digest(secret, cram_challenge_);
    return constant_time_equal(expected, cram_digest_) ? succeed({}) : fail(errc::sasl_auth_failed);
  }

  /// SCRAM: the stored keys of request().username (see make_scram_keys).
  /// Providing them also accepts request().authzid. For an unknown user,
  /// provide decoy keys (for example derived from a server secret and the
  /// name) rather than reject(), so that the exchange fails only at the
  /// proof and does not reveal which users exist (RFC 5802 5.1).
  server_step provide_scram(const scram_keys& keys) {
    if (state_ != state::checking || request_.type != request_type::scram_keys) return fail(errc::invalid_state);
    const detail::scram_algorithm& a = detail::scram_algorithm_for(mech_);
    if (keys.iterations == 0 || keys.salt.empty() || keys.stored_key.size() != a.digest_size ||
        keys.server_key.size() != a.digest_size) {
      return fail(errc::invalid_argument);
    }
    keys_ = keys;
    state_ = state::waiting;
    request_ = {};
    // server-first-message = nonce "," salt "," iteration-count
    combined_nonce_ = client_nonce_ + nonce_;
    server_first_ = "r=" + combined_nonce_ + ",s=" + base64::encode(keys.salt) + ",i=" + std::to_string(keys.iterations);
    out_ = server_first_;
    return challenge_out();
  }

  /// Whether the options hold what the mechanism needs from the
  /// application: a nonce for CRAM-MD5 and SCRAM (sasl_missing_nonce, or
  /// sasl_invalid_field for a bad one), channel binding for SCRAM-*-PLUS
  /// (sasl_channel_binding_mismatch). start() fails with the same error.
  errc servable() const noexcept {
    if (mech_ != mechanism::cram_md5 && !is_scram(mech_)) return errc::ok;
    return detail::check_nonce_and_binding(mech_, nonce_, binding_kind_, binding_data_);
  }

 private:
  enum class state : std::uint8_t { fresh, waiting, checking, done, failed };

  server_step fail(errc e, std::string_view data = {}) {
    state_ = state::failed;
    error_ = e;
    request_ = {};
    out_ = std::string(data);
    server_step s = step(server_step::status::failure);
    s.error = e;
    return s;
  }
  server_step succeed(std::string_view data) {
    state_ = state::done;
    request_ = {};
    out_ = std::string(data);
    return step(server_step::status::success);
  }
  // A step carrying out_ (empty when there is nothing to send).
  server_step step(server_step::status st) const {
    server_step s;
    s.state = st;
    s.data = out_;
    return s;
  }
  server_step challenge(std::string_view text) {
    out_ = std::string(text);
    return challenge_out();
  }
  server_step challenge_out() const { return step(server_step::status::challenge); }

  server_step check(request_type type) {
    state_ = state::checking;
    request_ = {};
    request_.type = type;
    request_.authzid = authzid_;
    request_.username = username_;
    request_.password = password_;
    request_.token = token_;
    request_.trace = trace_;
    server_step s;
    s.state = server_step::status::check;
    return s;
  }

  // message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 2)
  server_step plain(std::string_view msg) {
    const std::size_t nul1 = msg.find('\0');
    const std::size_t nul2 = nul1 == std::string_view::npos ? nul1 : msg.find('\0', nul1 + 1);
    if (nul2 == std::string_view::npos) return fail(errc::sasl_malformed);
    const std::string_view authzid = msg.substr(0, nul1);
    const std::string_view authcid = msg.substr(nul1 + 1, nul2 - nul1 - 1);
    const std::string_view passwd = msg.substr(nul2 + 1);
    if (passwd.find('\0') != std::string_view::npos) return fail(errc::sasl_malformed);  // a third NUL
    if (authcid.empty() || passwd.empty()) return fail(errc::sasl_malformed);
    if (detail::has_forbidden(authzid) || detail::has_forbidden(authcid) || detail::has_forbidden(passwd)) {
      return fail(errc::sasl_invalid_field);
    }
    authzid_ = std::string(authzid);
    username_ = std::string(authcid);
    password_ = std::string(passwd);
    return check(request_type::password);
  }

  // response = username SP 32 lowercase hex digits (RFC 2195 2)
  server_step cram_md5(std::string_view msg) {
    const std::size_t sp = msg.rfind(' ');
    if (sp == std::string_view::npos || sp == 0) return fail(errc::sasl_malformed);
    const std::string_view digest = msg.substr(sp + 1);
    if (digest.size() != detail::cram_md5_digest_length) return fail(errc::sasl_malformed);
    for (char c : digest) {
      if (!ascii::is_digit(c) && (c < 'a' || c > 'f')) return fail(errc::sasl_malformed);
    }
    if (detail::has_forbidden(msg.substr(0, sp))) return fail(errc::sasl_invalid_field);
    username_ = std::string(msg.substr(0, sp));
    cram_digest_ = std::string(digest);
    return check(request_type::secret);
  }

  // "user=" user %x01 "auth=Bearer " token %x01 %x01
  server_step xoauth2(std::string_view msg) {
    if (msg.size() < 2 || msg.substr(msg.size() - 2) != "\x01\x01") return fail(errc::sasl_malformed);
    msg.remove_suffix(1);  // each field now ends in one %x01
    std::string_view user;
    std::string_view auth;
    while (!msg.empty()) {
      const std::size_t end = msg.find('\x01');
      const std::string_view kv = msg.substr(0, end);
      msg.remove_prefix(end + 1);
      if (kv.substr(0, 5) == "user=") {
        if (!user.empty()) return fail(errc::sasl_malformed);
        user = kv.substr(5);
      } else if (kv.substr(0, 5) == "auth=") {
        if (!auth.empty()) return fail(errc::sasl_malformed);
        auth = kv.substr(5);
      } else {
        return fail(errc::sasl_malformed);
      }
    }
    return bearer(user, auth, {});
  }

  // gs2-header kvsep *kvpair kvsep, kvpair = key "=" value kvsep (RFC 7628 3.1)
  server_step oauthbearer(std::string_view msg) {
    std::string authzid;
    std::size_t header = 0;
    if (const errc e = parse_gs2_header(msg, header, authzid, true); e != errc::ok) return fail(e);
    msg.remove_prefix(header);
    if (msg.size() < 2 || msg.front() != '\x01' || msg.substr(msg.size() - 2) != "\x01\x01") {
      return fail(errc::sasl_malformed);
    }
    msg = msg.substr(1, msg.size() - 2);  // kvpairs, each ending in %x01
    std::string_view auth;
    while (!msg.empty()) {
      const std::size_t end = msg.find('\x01');
      const std::string_view kv = msg.substr(0, end);
      msg.remove_prefix(end + 1);
      const std::size_t eq = kv.find('=');
      if (eq == 0 || eq == std::string_view::npos) return fail(errc::sasl_malformed);
      for (char c : kv.substr(0, eq)) {
        if (!ascii::is_alpha(c)) return fail(errc::sasl_malformed);  // key = 1*(ALPHA)
      }
      if (kv.substr(0, eq) == "auth") {
        if (!auth.empty()) return fail(errc::sasl_malformed);
        auth = kv.substr(eq + 1);
      }
    }
    return bearer(authzid, auth, authzid);
  }

  // auth-value = "Bearer" 1*SP b64token (RFC 6750 2.1; scheme case-insensitive)
  server_step bearer(std::string_view user, std::string_view auth, std::string_view authzid) {
    if (auth.size() < 7 || !ascii::iequals(auth.substr(0, 6), "Bearer") || auth[6] != ' ') {
      return fail(errc::sasl_malformed);
    }
    std::string_view token = auth.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    if (token.empty() || detail::has_forbidden(token) || detail::has_forbidden(user)) {
      return fail(errc::sasl_malformed);
    }
    username_ = std::string(user);
    authzid_ = std::string(authzid);
    token_ = std::string(token);
    return check(request_type::bearer_token);
  }

  // gs2-header = gs2-cbind-flag "," [authzid] "," (RFC 5802 7, RFC 5801 4)
  errc parse_gs2_header(std::string_view msg, std::size_t& length, std::string& authzid, bool oauth) {
    const std::size_t c1 = msg.find(',');
    if (c1 == std::string_view::npos) return errc::sasl_malformed;
    const std::size_t c2 = msg.find(',', c1 + 1);
    if (c2 == std::string_view::npos) return errc::sasl_malformed;
    const std::string_view flag = msg.substr(0, c1);
    const std::string_view a = msg.substr(c1 + 1, c2 - c1 - 1);
    if (!a.empty()) {
      if (a.substr(0, 2) != "a=" || a.size() == 2) return errc::sasl_malformed;
      if (const errc e = detail::unescape_saslname(a.substr(2), authzid); e != errc::ok) return e;
    }
    length = c2 + 1;
    if (oauth) return flag == "n" || flag == "y" ? errc::ok : errc::sasl_malformed;  // no binding in OAUTHBEARER
    const bool plus = uses_channel_binding(mech_);
    if (flag == "n") return plus ? errc::sasl_channel_binding_mismatch : errc::ok;
    if (flag == "y") {
      // The client can bind but believes we cannot: if we offered -PLUS,
      // someone removed it from our list on the way.
      return plus || plus_advertised_ ? errc::sasl_channel_binding_mismatch : errc::ok;
    }
    if (flag.substr(0, 2) != "p=") return errc::sasl_malformed;
    if (!plus || flag.substr(2) != to_string(binding_kind_) || binding_data_.empty()) {
      return errc::sasl_channel_binding_mismatch;
    }
    return errc::ok;
  }

  // -- SCRAM (RFC 5802 5) -------------------------------------------------
  server_step scram_client_first(std::string_view msg) {
    std::size_t header = 0;
    std::string authzid;
    if (const errc e = parse_gs2_header(msg, header, authzid, false); e != errc::ok) return fail(e);
    gs2_header_ = std::string(msg.substr(0, header));
    client_first_bare_ = std::string(msg.substr(header));
    // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    errc e = errc::ok;
    detail::scram_reader rd(client_first_bare_);
    const std::string_view name = rd.expect('n', e);
    const std::string_view nonce = rd.expect('r', e);
    if (e == errc::ok) e = rd.finish();
    if (e != errc::ok) return fail(e);
    if (!detail::is_nonce(nonce)) return fail(errc::sasl_bad_nonce);
    std::string user;
    if (const errc u = detail::unescape_saslname(name, user); u != errc::ok) return fail(u);
    if (const saslprep_result r = saslprep(user, username_); !r) return fail(r.error);
    if (username_.empty()) return fail(errc::sasl_malformed);
    authzid_ = authzid;
    client_nonce_ = std::string(nonce);
    return check(request_type::scram_keys);
  }

  server_step scram_client_final(std::string_view msg) {
    // client-final-message = channel-binding "," nonce ["," extensions] "," proof
    const std::size_t p = msg.rfind(",p=");
    if (p == std::string_view::npos) return fail(errc::sasl_missing_attribute);
    const std::string_view without_proof = msg.substr(0, p);
    const std::string_view proof64 = msg.substr(p + 3);
    errc e = errc::ok;
    detail::scram_reader rd(without_proof);
    const std::string_view cbind64 = rd.expect('c', e);
    const std::string_view nonce = rd.expect('r', e);
    if (e == errc::ok) e = rd.finish();
    if (e != errc::ok) return fail(e);
    std::string cbind;
    if (!base64::decode(cbind64, cbind, base64::mode::strict)) return fail(errc::sasl_malformed);
    std::string expected_cbind = gs2_header_;
    if (uses_channel_binding(mech_)) expected_cbind += binding_data_;
    if (!constant_time_equal(cbind, expected_cbind)) return fail(errc::sasl_channel_binding_mismatch);
    if (nonce != combined_nonce_) return fail(errc::sasl_bad_nonce);
    std::string proof;
    const detail::scram_algorithm& a = detail::scram_algorithm_for(mech_);
    if (!base64::decode(proof64, proof, base64::mode::strict) || proof.size() != a.digest_size) {
      return fail(errc::sasl_malformed);
    }
    const std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); it is right
    // when H(ClientKey) is the stored key.
    const std::string client_key = detail::xor_bytes(proof, a.hmac(keys_.stored_key, auth_message));
    if (!constant_time_equal(a.hash(client_key), keys_.stored_key)) {
      return fail(errc::sasl_auth_failed, "e=invalid-proof");
    }
    return succeed("v=" + base64::encode(a.hmac(keys_.server_key, auth_message)));
  }

  mechanism mech_;
  std::string nonce_;
  std::string hostname_;
  channel_binding::type binding_kind_;
  std::string binding_data_;
  bool plus_advertised_;
  std::size_t max_response_;

  state state_ = state::fresh;
  errc error_ = errc::ok;
  int round_ = 0;
  std::string out_;
  server_request request_;
  std::string authzid_;
  std::string username_;
  std::string password_;
  std::string token_;
  std::string trace_;
  std::string cram_challenge_;
  std::string cram_digest_;
  bool oauth_error_sent_ = false;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string client_nonce_;
  std::string combined_nonce_;
  std::string server_first_;
  scram_keys keys_;
};

}  // namespace sasl
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SASL_SERVER_HPP
