// A hostile server against the SASL client of every mechanism: byte 0 picks
// the mechanism and whether the initial response goes inline, byte 1 which
// messages are challenges and which are success reports; the rest is the
// server's messages. The client must never report `done` for SCRAM unless
// the server signature verified, and never crash or misbehave.
#include <mailwire/sasl/client.hpp>

#include "fuzz_check.hpp"
#include "sasl_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  namespace sasl = mailwire::sasl;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t b0 = mailwire_fuzz::take_byte(in);
  std::uint8_t kinds = mailwire_fuzz::take_byte(in);
  const auto m = static_cast<sasl::mechanism>(b0 % sasl::mechanism_count);

  sasl::client_credentials cred;
  cred.username = "user";
  cred.password = "pencil";
  cred.token = "token";
  cred.nonce = "abcdefghijklmnop";
  cred.host = "localhost";
  cred.port = 143;
  const std::string binding(32, 'b');
  if (sasl::uses_channel_binding(m)) cred.binding = {sasl::channel_binding::type::tls_exporter, binding};
  sasl::client_options o;
  o.max_iterations = 64;  // keep each input cheap
  o.max_challenge = 1024;  // reachable under the cap (sasl_client.options)
  sasl::client c(m, cred, o);
  sasl::client_step s = c.start((b0 & 0x80) != 0);
  for (std::string_view msg : mailwire_fuzz::split_messages(in)) {
    const bool success = (kinds & 1) != 0;
    kinds = static_cast<std::uint8_t>(kinds >> 1);
    s = success ? c.success(msg) : c.challenge(msg);
    MAILWIRE_FUZZ_CHECK(s.state != sasl::client_step::status::wait);
    if (s.state == sasl::client_step::status::failed) MAILWIRE_FUZZ_CHECK(s.error != mailwire::errc::ok);
    if (s.state == sasl::client_step::status::done) MAILWIRE_FUZZ_CHECK(success && c.done());
  }
  return 0;
}
