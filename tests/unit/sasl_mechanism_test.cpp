// SASL: choose() never picks a mechanism the client cannot serve, and a
// client or server started without what its mechanism needs fails at once,
// with its own code and nothing to send (issue 9: a client without a nonce
// chose SCRAM, then failed with "forbidden character in a SASL field").
#include <mailwire/sasl.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"

namespace sasl = mailwire::sasl;
using mailwire::errc;
using sasl::mechanism;
using client_status = sasl::client_step::status;
using server_status = sasl::server_step::status;

namespace {

using policy = sasl::client_policy;
using flag = bool policy::*;

// A policy that has and allows nothing: every flag off, every mechanism
// allowed.
policy nothing() {
  policy p;
  for (flag f : {&policy::tls, &policy::allow_cleartext_password, &policy::have_password, &policy::have_token,
                 &policy::have_channel_binding, &policy::have_nonce, &policy::use_external, &policy::use_anonymous,
                 &policy::allow_cram_md5}) {
    p.*f = false;
  }
  return p;
}

// What each mechanism needs from the policy (for PLAIN and LOGIN, `tls`
// stands for "TLS or allow_cleartext_password").
const std::vector<std::pair<mechanism, std::vector<flag>>>& needs() {
  static const std::vector<std::pair<mechanism, std::vector<flag>>> table = {
      {mechanism::plain, {&policy::have_password, &policy::tls}},
      {mechanism::login, {&policy::have_password, &policy::tls}},
      {mechanism::cram_md5, {&policy::have_password, &policy::allow_cram_md5}},
      {mechanism::xoauth2, {&policy::have_token, &policy::tls}},  // a bearer token needs TLS (RFC 6750 5.3)
      {mechanism::oauthbearer, {&policy::have_token, &policy::tls}},
      {mechanism::scram_sha_1, {&policy::have_password, &policy::have_nonce}},
      {mechanism::scram_sha_1_plus, {&policy::have_password, &policy::have_nonce, &policy::have_channel_binding}},
      {mechanism::scram_sha_256, {&policy::have_password, &policy::have_nonce}},
      {mechanism::scram_sha_256_plus, {&policy::have_password, &policy::have_nonce, &policy::have_channel_binding}},
      {mechanism::external, {&policy::use_external}},
      {mechanism::anonymous, {&policy::use_anonymous}},
  };
  return table;
}

sasl::mechanism_set everything() { return policy::all(); }

}  // namespace

TEST_CASE("choose(): each mechanism is chosen with what it needs, skipped without any one of it") {
  REQUIRE(needs().size() == sasl::mechanism_count);
  for (const auto& [m, flags] : needs()) {
    INFO(sasl::to_string(m));
    policy p = nothing();
    for (flag f : flags) p.*f = true;
    CHECK(sasl::choose({m}, p) == m);  // enough, with every other flag off
    for (flag missing : flags) {
      policy q = p;
      q.*missing = false;
      CHECK_FALSE(sasl::choose({m}, q).has_value());
    }
    policy narrowed = p;
    narrowed.allowed.erase(m);
    CHECK_FALSE(sasl::choose({m}, narrowed).has_value());
  }
  // PLAIN and LOGIN without TLS, when the caller allows clear text.
  policy clear = nothing();
  clear.have_password = true;
  clear.allow_cleartext_password = true;
  CHECK(sasl::choose({mechanism::plain}, clear) == mechanism::plain);
  CHECK(sasl::choose({mechanism::login}, clear) == mechanism::login);
}

TEST_CASE("choose(): nothing servable among everything offered is nullopt") {
  CHECK_FALSE(sasl::choose(everything(), nothing()).has_value());
  // A password and every allowance, but no TLS, no nonce and CRAM-MD5 off:
  // PLAIN and LOGIN need TLS, SCRAM a nonce.
  policy p = nothing();
  p.have_password = true;
  p.have_channel_binding = true;
  CHECK_FALSE(sasl::choose(everything(), p).has_value());
  // A nonce and binding without a password serve nothing either.
  policy q = nothing();
  q.have_nonce = true;
  q.have_channel_binding = true;
  q.tls = true;
  CHECK_FALSE(sasl::choose(everything(), q).has_value());
}

TEST_CASE("choose(): a client without a nonce falls back from SCRAM to what it can serve") {
  const auto offered = sasl::mechanism_set::parse("SCRAM-SHA-256-PLUS SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN");
  policy p;  // the defaults: a password, no nonce
  p.have_channel_binding = true;
  CHECK(sasl::choose(offered, p) == mechanism::cram_md5);
  p.allow_cram_md5 = false;
  CHECK_FALSE(sasl::choose(offered, p).has_value());  // PLAIN needs TLS
  p.tls = true;
  CHECK(sasl::choose(offered, p) == mechanism::plain);
  p.have_nonce = true;
  CHECK(sasl::choose(offered, p) == mechanism::scram_sha_256_plus);
  p.have_channel_binding = false;
  CHECK(sasl::choose(offered, p) == mechanism::scram_sha_256);
  // Only SCRAM offered, no nonce: nothing.
  policy none;
  CHECK_FALSE(sasl::choose(sasl::mechanism_set::parse("SCRAM-SHA-1 SCRAM-SHA-256"), none).has_value());
}

namespace {

// Credentials that serve every mechanism.
sasl::client_credentials complete() {
  static const std::string binding(32, 'B');
  sasl::client_credentials c;
  c.username = "alice";
  c.password = "correct horse";
  c.token = "good-token";
  c.nonce = "c1ientN0nce+from/caller";
  c.trace = "alice@example.org";
  c.binding = {sasl::channel_binding::type::tls_exporter, binding};
  return c;
}

// Starts a client with and without an initial response; both must fail
// with `code` before anything is sent, and stay failed.
void check_refused(mechanism m, const sasl::client_credentials& c, errc code) {
  INFO(sasl::to_string(m));
  for (bool ir : {true, false}) {
    INFO((ir ? "with" : "without") << " initial response");
    sasl::client client(m, c);
    const sasl::client_step s = client.start(ir);
    CHECK(s.state == client_status::failed);
    CHECK(s.error == code);
    CHECK(s.response.empty());
    CHECK(client.challenge("").error == code);  // the failure is sticky
  }
}

constexpr mechanism scram_mechanisms[] = {mechanism::scram_sha_1, mechanism::scram_sha_1_plus,
                                          mechanism::scram_sha_256, mechanism::scram_sha_256_plus};

}  // namespace

TEST_CASE("client: SCRAM without a nonce is sasl_missing_nonce, with a bad one sasl_invalid_field") {
  for (mechanism m : scram_mechanisms) {
    sasl::client_credentials c = complete();
    c.nonce = "";
    check_refused(m, c, errc::sasl_missing_nonce);
    for (const char* bad : {"has,comma", "sp ace", "caf\xC3\xA9", "tab\there", "\x7F"}) {
      INFO(bad);
      c.nonce = bad;
      check_refused(m, c, errc::sasl_invalid_field);
    }
    c.nonce = "!";  // one printable character is enough
    CHECK(sasl::client(m, c).start().state == client_status::respond);
    c.nonce = "~x+-./";
    CHECK(sasl::client(m, c).start().state == client_status::respond);
  }
}

TEST_CASE("client: every mechanism refuses to start without the credentials it needs") {
  for (mechanism m : {mechanism::plain, mechanism::login, mechanism::cram_md5, mechanism::scram_sha_1,
                      mechanism::scram_sha_1_plus, mechanism::scram_sha_256, mechanism::scram_sha_256_plus}) {
    sasl::client_credentials c = complete();
    c.password = "";
    check_refused(m, c, errc::invalid_argument);
    c = complete();
    c.username = "";
    check_refused(m, c, errc::invalid_argument);
  }
  for (mechanism m : {mechanism::xoauth2, mechanism::oauthbearer}) {
    sasl::client_credentials c = complete();
    c.token = "";
    check_refused(m, c, errc::invalid_argument);
    c = complete();
    c.password = "";  // not needed
    c.nonce = "";
    CHECK(sasl::client(m, c).start().state == client_status::respond);
  }
  // SCRAM: a username or password that SASLprep maps to nothing is none;
  // one it prohibits fails here too, not after the server's first message.
  for (mechanism m : scram_mechanisms) {
    sasl::client_credentials c = complete();
    c.password = "\xC2\xAD";  // U+00AD SOFT HYPHEN: mapped to nothing
    check_refused(m, c, errc::invalid_argument);
    c.password = "bell\x07";
    check_refused(m, c, errc::saslprep_prohibited);
    c = complete();
    c.username = "\xC2\xAD";
    check_refused(m, c, errc::invalid_argument);
  }
  // -PLUS without binding data.
  for (mechanism m : {mechanism::scram_sha_1_plus, mechanism::scram_sha_256_plus}) {
    sasl::client_credentials c = complete();
    c.binding = {};
    check_refused(m, c, errc::sasl_channel_binding_mismatch);
    const std::string data(32, 'B');
    c.binding = {sasl::channel_binding::type::none, data};
    check_refused(m, c, errc::sasl_channel_binding_mismatch);
  }
  // Mechanisms that need no secret start without any.
  sasl::client_credentials bare;
  for (mechanism m : {mechanism::external, mechanism::anonymous}) {
    INFO(sasl::to_string(m));
    CHECK(sasl::client(m, bare).start().state == client_status::respond);
  }
}

TEST_CASE("client: forbidden bytes are refused at start, before AUTH goes out") {
  const std::pair<mechanism, void (*)(sasl::client_credentials&)> cases[] = {
      {mechanism::login, [](sasl::client_credentials& c) { c.password = "pass\r\nQUIT"; }},
      {mechanism::login, [](sasl::client_credentials& c) { c.username = std::string_view("al\0ice", 6); }},
      {mechanism::cram_md5, [](sasl::client_credentials& c) { c.username = "al ice"; }},
      {mechanism::cram_md5, [](sasl::client_credentials& c) { c.username = "alice\n"; }},
      {mechanism::plain, [](sasl::client_credentials& c) { c.authzid = "x\ry"; }},
      {mechanism::xoauth2, [](sasl::client_credentials& c) { c.username = "a\x01" "b"; }},
      {mechanism::oauthbearer, [](sasl::client_credentials& c) { c.host = "h\x01" "st"; }},
      {mechanism::oauthbearer, [](sasl::client_credentials& c) { c.authzid = "a\x01" "b"; }},
      {mechanism::external, [](sasl::client_credentials& c) { c.authzid = "a\nb"; }},
      {mechanism::anonymous, [](sasl::client_credentials& c) { c.trace = "a\r\nb"; }},
      {mechanism::scram_sha_256, [](sasl::client_credentials& c) { c.authzid = "a\nb"; }},
  };
  for (const auto& [m, spoil] : cases) {
    sasl::client_credentials c = complete();
    spoil(c);
    check_refused(m, c, errc::sasl_invalid_field);
  }
  // CRAM-MD5 only hashes the password: any bytes will do.
  sasl::client_credentials c = complete();
  c.password = std::string_view("p\0\r\n", 4);
  CHECK(sasl::client(mechanism::cram_md5, c).start(false).state == client_status::wait);
}

TEST_CASE("client: ANONYMOUS trace limit, just under and just over") {
  const std::string at_limit(mailwire::limits::max_anonymous_trace, 't');
  sasl::client_credentials c;
  c.trace = at_limit;
  CHECK(sasl::client(mechanism::anonymous, c).start().response.size() == at_limit.size());
  const std::string over(mailwire::limits::max_anonymous_trace + 1, 't');
  c.trace = over;
  check_refused(mechanism::anonymous, c, errc::sasl_too_long);
}

namespace {

// Starts a server with and without the client's initial response; both
// must fail with `code` and no data.
void check_server_refused(mechanism m, const sasl::server_options& o, errc code) {
  INFO(sasl::to_string(m));
  for (bool ir : {false, true}) {
    INFO((ir ? "with" : "without") << " initial response");
    sasl::server s(m, o);
    const sasl::server_step st = ir ? s.start(std::string_view("n,,n=user,r=abc")) : s.start(std::nullopt);
    CHECK(st.state == server_status::failure);
    CHECK(st.error == code);
    CHECK(st.data.empty());
    CHECK(s.respond("n,,n=user,r=abc").state == server_status::failure);  // and stays failed
  }
}

}  // namespace

TEST_CASE("server: SCRAM and CRAM-MD5 without a nonce are sasl_missing_nonce, not a garbled exchange") {
  static const std::string binding(32, 'B');
  sasl::server_options o;
  o.binding = {sasl::channel_binding::type::tls_exporter, binding};
  for (mechanism m : {mechanism::cram_md5, mechanism::scram_sha_1, mechanism::scram_sha_1_plus,
                      mechanism::scram_sha_256, mechanism::scram_sha_256_plus}) {
    o.nonce = "";
    check_server_refused(m, o, errc::sasl_missing_nonce);
    for (const char* bad : {"has,comma", "sp ace", "caf\xC3\xA9"}) {
      INFO(bad);
      o.nonce = bad;
      check_server_refused(m, o, errc::sasl_invalid_field);
    }
    o.nonce = "SERVERNONCE";
    sasl::server s(m, o);
    CHECK(s.start(std::nullopt).state == server_status::challenge);
  }
  // The mechanisms that use no nonce start without one.
  for (mechanism m : {mechanism::plain, mechanism::login, mechanism::xoauth2, mechanism::oauthbearer,
                      mechanism::external, mechanism::anonymous}) {
    INFO(sasl::to_string(m));
    sasl::server s(m, {});
    CHECK(s.start(std::nullopt).state == server_status::challenge);
  }
}

TEST_CASE("server: SCRAM-*-PLUS without this connection's binding refuses to start") {
  sasl::server_options o;
  o.nonce = "SERVERNONCE";
  for (mechanism m : {mechanism::scram_sha_1_plus, mechanism::scram_sha_256_plus}) {
    check_server_refused(m, o, errc::sasl_channel_binding_mismatch);
  }
  CHECK(sasl::server(mechanism::scram_sha_256, o).start(std::nullopt).state == server_status::challenge);
}
