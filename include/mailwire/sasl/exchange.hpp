// mailwire: one SASL exchange on the server side of a line protocol.
//
// SMTP AUTH (RFC 4954 4), POP3 AUTH (RFC 5034 4) and IMAP AUTHENTICATE
// (RFC 9051 6.2.2, RFC 4959 3) run the same exchange around the engine of
// sasl/server.hpp, in lines framed as sasl/framing.hpp says:
//  - an initial response is base64, or "=" for an empty one;
//  - each client line is base64, or "*" to cancel (also as the answer to
//    the server-final challenge);
//  - a success that carries data (SCRAM's server-final) is sent as one last
//    challenge, which the client must answer with an empty line: none of
//    the three protocols puts SASL data in its success reply.
// server_exchange holds that exchange and says, at each step, what the
// protocol machine has to do; the machine writes the challenge with its
// own prefix ("334 " or "+ ") and answers every ending with its own reply,
// strike counting and events:
//
//     sasl::server_exchange x(mechanism, initial_response);  // from the command
//     if (errc e = x.begin(nonce, binding, host, offered, limit); e != errc::ok) ...;
//     for (auto s = x.start();;) {
//       switch (s.state) {
//         case challenge: write_challenge(out, "+ ", s.data); s = x.line(read()); break;
//         case check:     s = answer(x.request()); break;   // x.accept(), x.provide_scram()...
//         case success:   ok(x.username()); return;
//         default:        fail(s.state, s.error); return;   // cancelled, failed, malformed...
//       }
//     }
//
// Views in a step, request() and username() are valid until the next
// non-const call. Nothing throws.
//
// Separate from sasl/server.hpp on purpose: the engine takes decoded
// bytes and knows no protocol; this is the line layer (base64, "*", "=",
// the server-final challenge) that the three protocols share.
#ifndef MAILWIRE_SASL_EXCHANGE_HPP
#define MAILWIRE_SASL_EXCHANGE_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailwire/error.hpp"
#include "mailwire/sasl/framing.hpp"
#include "mailwire/sasl/mechanism.hpp"
#include "mailwire/sasl/server.hpp"

namespace mailwire {
inline namespace v0 {
namespace sasl {

/// One step of a server_exchange: what the protocol machine does next.
struct exchange_step {
  /// What happened, and what to do next.
  enum class status : std::uint8_t {
    challenge,    ///< send `data` as a challenge line, then pass the client's next line to line()
    check,        ///< the application must answer request() (accept(), reject_token(), provide_*())
    success,      ///< authenticated as username(); the exchange is over
    cancelled,    ///< the client sent "*", or the engine says errc::sasl_cancelled; over
    failed,       ///< wrong credentials (errc::sasl_auth_failed); over
    bad_initial,  ///< the initial response is not canonical base64 (nor "="); over
    bad_line,     ///< a client line is not canonical base64; over
    unexpected,   ///< a non-empty answer to the server-final challenge; over
    malformed,    ///< the engine refused the message, `error` says why (never sasl_auth_failed
                  ///< or sasl_cancelled); over
  };
  /// What happened, and what to do next.
  status state = status::malformed;
  /// challenge: the decoded challenge (may be empty), valid until the next
  /// non-const call.
  std::string_view data;
  /// When the engine ended the exchange (failed, malformed, and cancelled
  /// by it): its reason, errc::invalid_state for a call out of order (for
  /// instance line() before begin()). Otherwise errc::ok.
  errc error = errc::ok;
};

/// The server side of one SASL exchange in a line protocol. Made when the
/// client's AUTH/AUTHENTICATE command names an offered mechanism; dropped
/// by the machine when a step says the exchange is over.
class server_exchange {
 public:
  /// `initial_response`: the command's initial response as sent (base64 or
  /// "="), or none. Copied.
  server_exchange(mechanism m, std::optional<std::string_view> initial_response)
      : mech_(m),
        initial_(initial_response ? std::optional<std::string>(std::string(*initial_response)) : std::nullopt) {}

  /// The mechanism of this exchange.
  mechanism mech() const noexcept { return mech_; }

  /// Makes the engine with `nonce` (fresh random, for CRAM-MD5 and SCRAM),
  /// this connection's `binding` (SCRAM-*-PLUS), the server's `hostname`
  /// (the CRAM-MD5 challenge), the mechanisms this session `offered` (a
  /// SCRAM client that could have bound while a -PLUS was offered is a
  /// downgrade, RFC 5802 6) and the longest decoded client message
  /// `max_response`. When the options cannot serve the mechanism that is
  /// the application's mistake: errc::sasl_missing_nonce (or
  /// sasl_invalid_field, sasl_channel_binding_mismatch) and nothing changes,
  /// so begin() may be called again. Then start().
  errc begin(std::string_view nonce, const channel_binding& binding, std::string_view hostname,
             const mechanism_set& offered, std::size_t max_response) {
    server_options o;
    o.nonce = nonce;
    o.hostname = hostname;
    o.binding = binding;
    o.plus_advertised =
        offered.contains(mechanism::scram_sha_256_plus) || offered.contains(mechanism::scram_sha_1_plus);
    o.max_response = max_response;
    engine_.emplace(mech_, o);
    if (const errc e = engine_->servable(); e != errc::ok) {
      engine_.reset();
      return e;
    }
    return errc::ok;
  }

  /// The first step, after begin(): from the initial response if the
  /// command had one ("=" is an empty one; anything else that is not
  /// canonical base64, "*" included, is bad_initial).
  exchange_step start() {
    if (!engine_) return out_of_order();
    if (!initial_) return step(engine_->start(std::nullopt));
    response_line r;
    if (*initial_ != "=") {
      r = read_response(*initial_);
    } else {
      r.state = response_line::status::message;
    }
    initial_.reset();
    if (r.state != response_line::status::message) return ending(exchange_step::status::bad_initial);
    return step(engine_->start(std::string_view(r.message)));
  }

  /// A line the client sent after a challenge (without its CRLF). "*"
  /// cancels, even after the server-final challenge, whose only other
  /// answer is an empty line (success; anything else is unexpected).
  exchange_step line(std::string_view text) {
    const response_line r = read_response(text);
    if (r.state == response_line::status::cancel) return ending(exchange_step::status::cancelled);
    if (final_pending_) {
      final_pending_ = false;
      return ending(text.empty() ? exchange_step::status::success : exchange_step::status::unexpected);
    }
    if (r.state == response_line::status::malformed) return ending(exchange_step::status::bad_line);
    if (!engine_) return out_of_order();
    return step(engine_->respond(r.message));
  }

  /// The application's answers to a check step (see sasl::server).
  exchange_step accept() { return engine_ ? step(engine_->accept()) : out_of_order(); }
  /// CRAM-MD5: the user's shared secret.
  exchange_step provide_secret(std::string_view secret) {
    return engine_ ? step(engine_->provide_secret(secret)) : out_of_order();
  }
  /// SCRAM: the user's stored keys (decoy keys for an unknown user).
  exchange_step provide_scram(const scram_keys& keys) {
    return engine_ ? step(engine_->provide_scram(keys)) : out_of_order();
  }
  /// A bearer token refused, with its JSON error (RFC 7628 3.2.2).
  exchange_step reject_token(std::string_view error_json) {
    return engine_ ? step(engine_->reject(error_json)) : out_of_order();
  }

  /// What a check step asks (a request of type none before begin()).
  const server_request& request() const noexcept {
    static const server_request none{};
    return engine_ ? engine_->request() : none;
  }
  /// After success: who authenticated (see sasl::server::username()).
  std::string_view username() const noexcept { return engine_ ? engine_->username() : std::string_view(); }

 private:
  static exchange_step ending(exchange_step::status s) {
    exchange_step x;
    x.state = s;
    return x;
  }
  static exchange_step out_of_order() {
    exchange_step x;
    x.error = errc::invalid_state;
    return x;
  }

  // The engine's step in the protocols' terms.
  exchange_step step(const server_step& st) {
    exchange_step x;
    x.data = st.data;
    switch (st.state) {
      case server_step::status::challenge: x.state = exchange_step::status::challenge; break;
      case server_step::status::check: x.state = exchange_step::status::check; break;
      case server_step::status::success:
        if (st.data.empty()) {
          x.state = exchange_step::status::success;
        } else {
          final_pending_ = true;  // SCRAM's server-final goes as a last challenge
          x.state = exchange_step::status::challenge;
        }
        break;
      case server_step::status::failure:
        x.data = {};
        x.error = st.error;
        if (st.error == errc::sasl_cancelled) {
          x.state = exchange_step::status::cancelled;
        } else if (st.error == errc::sasl_auth_failed) {
          x.state = exchange_step::status::failed;
        } else {
          x.state = exchange_step::status::malformed;
        }
        break;
    }
    return x;
  }

  mechanism mech_;
  std::optional<std::string> initial_;  // the command's initial response, until start()
  std::optional<server> engine_;        // from begin()
  bool final_pending_ = false;          // the server-final challenge awaits its empty answer
};

}  // namespace sasl
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SASL_EXCHANGE_HPP
