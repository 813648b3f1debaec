// A hostile client against the SASL server of every mechanism: byte 0 picks
// the mechanism and whether the first message is an initial response, byte
// 1 how the application answers checks; the rest is the client's messages.
// The server must never report success when the application said no, and
// must never succeed for SCRAM or CRAM-MD5 without the right proof.
#include <mailwire/sasl/server.hpp>

#include "fuzz_check.hpp"
#include "sasl_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  namespace sasl = mailwire::sasl;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t b0 = mailwire_fuzz::take_byte(in);
  const bool approve = (mailwire_fuzz::take_byte(in) & 1) != 0;
  const auto m = static_cast<sasl::mechanism>(b0 % sasl::mechanism_count);

  sasl::server_options o;
  o.nonce = "SERVERNONCE";
  o.hostname = "localhost";
  const std::string binding(32, 'b');
  o.binding = {sasl::channel_binding::type::tls_exporter, binding};
  o.plus_advertised = (b0 & 0x40) != 0;
  o.max_response = 1024;  // reachable under the cap (sasl_server.options)
  sasl::server s(m, o);
  static const sasl::scram_keys keys[2] = {
      sasl::derive_scram_keys(sasl::mechanism::scram_sha_1, "pencil", "salt", 2),
      sasl::derive_scram_keys(sasl::mechanism::scram_sha_256, "pencil", "salt", 2)};

  const auto messages = mailwire_fuzz::split_messages(in);
  std::size_t next = 0;
  bool said_no = false;
  sasl::server_step st = (b0 & 0x80) != 0 ? s.start(messages[next++]) : s.start(std::nullopt);
  for (int guard = 0; guard < 64; ++guard) {
    if (st.state == sasl::server_step::status::check) {
      using k = sasl::request_type;
      switch (s.request().type) {
        case k::secret: st = s.provide_secret("pencil"); break;
        case k::scram_keys:
          st = s.provide_scram(keys[sasl::is_scram(m) && (m == sasl::mechanism::scram_sha_1 ||
                                                          m == sasl::mechanism::scram_sha_1_plus) ? 0 : 1]);
          break;
        default:
          said_no = !approve;
          st = approve ? s.accept() : s.reject("{\"status\":\"invalid_token\"}");
      }
    } else if (st.state == sasl::server_step::status::challenge) {
      if (next == messages.size()) return 0;
      st = s.respond(messages[next++]);
    } else {
      break;
    }
  }
  if (st.state == sasl::server_step::status::success) MAILWIRE_FUZZ_CHECK(!said_no);
  if (st.state == sasl::server_step::status::failure) MAILWIRE_FUZZ_CHECK(st.error != mailwire::errc::ok);
  return 0;
}
