// The application's side of a SASL exchange in the server fuzz targets
// (POP3, IMAP): what a server answers at auth_start and auth_check, chosen
// by one decision byte, is the same for every protocol; only the words for
// yes and no differ, so the target passes them in:
//   accept()                  the login succeeds
//   reject(auth_failed, text) a refusal: auth_failed marks a wrong secret
//                             ([AUTH], AUTHENTICATIONFAILED), else a plain no
//   output_so_far()           bytes written plus pending (a refused action
//                             must not change it)
#ifndef MAILWIRE_FUZZ_SASL_ANSWERS_HPP
#define MAILWIRE_FUZZ_SASL_ANSWERS_HPP

#include <mailwire/error.hpp>
#include <mailwire/sasl/mechanism.hpp>
#include <mailwire/sasl/scram.hpp>

#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"

namespace mailwire_fuzz {

/// auth_start: a refusal, or auth_begin() with or without a nonce and a
/// channel binding (without what the mechanism needs it is refused and
/// changes nothing; the server then says no).
template <class Server, class Event, class Reject, class Output>
void answer_auth_start(Server& s, const Event& e, std::uint8_t c, Reject reject, Output output_so_far) {
  namespace sasl = mailwire::sasl;
  if (c % 3 == 2) {
    MAILWIRE_FUZZ_CHECK(reject(false, "Not now") == mailwire::errc::ok);
    return;
  }
  const bool plus =
      e.mechanism == sasl::mechanism::scram_sha_1_plus || e.mechanism == sasl::mechanism::scram_sha_256_plus;
  sasl::channel_binding b;
  if (plus && (c & 4) != 0) b = {sasl::channel_binding::type::tls_exporter, "binding"};
  const std::size_t before = output_so_far();
  const mailwire::errc r = s.auth_begin(c % 3 == 0 ? "3rfcNHYJY1ZVvWVs7j" : "", b);
  if (r != mailwire::errc::ok) {
    // A nonce or binding missing: nothing changed, it still awaits.
    MAILWIRE_FUZZ_CHECK(output_so_far() == before);
    MAILWIRE_FUZZ_CHECK(reject(false, "Cannot") == mailwire::errc::ok);
  }
}

/// auth_check: the answer the request asks for (a secret, SCRAM keys, a
/// verdict on a password or token), right or wrong by the decision byte.
template <class Server, class Event, class Accept, class Reject>
void answer_auth_check(Server& s, const Event& e, std::uint8_t c, Accept accept, Reject reject) {
  namespace sasl = mailwire::sasl;
  MAILWIRE_FUZZ_CHECK(e.auth != nullptr);
  using k = sasl::request_type;
  const bool yes = (c & 1) != 0;
  mailwire::errc r = mailwire::errc::ok;
  switch (e.auth->type) {
    case k::secret: r = s.auth_provide_secret(yes ? "secret" : "wrong"); break;
    case k::scram_keys:
      r = yes ? s.auth_provide_scram(sasl::derive_scram_keys(e.mechanism, "secret", "salt", 2)) : reject(true, "No");
      break;
    case k::password: r = yes && e.auth->password == "secret" ? accept() : reject(true, "No"); break;
    case k::bearer_token: r = yes ? accept() : s.auth_reject_token(R"({"status":"invalid_token"})"); break;
    case k::external:
    case k::anonymous: r = yes ? accept() : reject(false, "No"); break;
    case k::none: MAILWIRE_FUZZ_CHECK(false); break;
  }
  MAILWIRE_FUZZ_CHECK(r == mailwire::errc::ok);
}

}  // namespace mailwire_fuzz

#endif  // MAILWIRE_FUZZ_SASL_ANSWERS_HPP
