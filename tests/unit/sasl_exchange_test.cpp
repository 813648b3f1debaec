// sasl::server_exchange, the line layer the SMTP, POP3 and IMAP servers
// share: "=" as an empty initial response, "*" cancelling (even the
// server-final challenge), strict base64, SCRAM's server-final sent as a
// last challenge answered by an empty line, the -PLUS downgrade check from
// the offered set, and what each ending is called. The machines' transcript
// vectors run it through each protocol; here it is alone.
#include <mailwire/core/base64.hpp>
#include <mailwire/sasl/client.hpp>
#include <mailwire/sasl/exchange.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "catch.hpp"

namespace sasl = mailwire::sasl;
namespace base64 = mailwire::base64;
using mailwire::errc;
using sasl::mechanism;
using status = sasl::exchange_step::status;

namespace {

const sasl::mechanism_set offered_plain{mechanism::plain, mechanism::scram_sha_256, mechanism::external};

sasl::server_exchange begun(mechanism m, std::optional<std::string_view> initial,
                            const sasl::mechanism_set& offered = offered_plain) {
  sasl::server_exchange x(m, initial);
  REQUIRE(x.begin("serverN0nce", {}, "mail.example.org", offered, 1000) == errc::ok);
  return x;
}

// A SCRAM-SHA-256 exchange up to the server-final challenge (the
// client's proof checked): returns that challenge's data.
std::string to_server_final(sasl::server_exchange& x, sasl::client& c) {
  sasl::exchange_step s = x.start();
  REQUIRE(s.state == status::challenge);  // no initial response: an empty challenge
  CHECK(s.data.empty());
  s = x.line(base64::encode(c.start().response));
  REQUIRE(s.state == status::check);
  CHECK(x.request().type == sasl::request_type::scram_keys);
  CHECK(x.request().username == "user");
  sasl::scram_keys keys;
  REQUIRE(sasl::make_scram_keys(mechanism::scram_sha_256, "pencil", "salt", 4096, keys) == errc::ok);
  s = x.provide_scram(keys);
  REQUIRE(s.state == status::challenge);
  s = x.line(base64::encode(c.challenge(s.data).response));
  REQUIRE(s.state == status::challenge);  // success with data: one more challenge
  CHECK(s.data.substr(0, 2) == "v=");
  return std::string(s.data);
}

sasl::client scram_client() {
  sasl::client_credentials cred;
  cred.username = "user";
  cred.password = "pencil";
  cred.nonce = "clientN0nce";
  return sasl::client(mechanism::scram_sha_256, cred);
}

}  // namespace

TEST_CASE("server_exchange: the initial response, \"=\" empty, anything not base64 refused") {
  // EXTERNAL reads an empty message as "no authzid": a check.
  for (std::string_view ir : {"=", ""}) {
    INFO(ir);
    sasl::server_exchange x = begun(mechanism::external, ir);
    const sasl::exchange_step s = x.start();
    CHECK(s.state == status::check);
    CHECK(x.request().type == sasl::request_type::external);
    CHECK(x.request().authzid.empty());
  }
  {
    sasl::server_exchange x = begun(mechanism::external, base64::encode("bob"));
    REQUIRE(x.start().state == status::check);
    CHECK(x.request().authzid == "bob");
  }
  for (std::string_view ir : {"*", "==", "Ym9i=", "Ym9 i", "Ym9"}) {
    INFO(ir);
    sasl::server_exchange x = begun(mechanism::external, ir);
    CHECK(x.start().state == status::bad_initial);
  }
  // None: an empty challenge asks for it.
  sasl::server_exchange x = begun(mechanism::external, std::nullopt);
  const sasl::exchange_step s = x.start();
  CHECK(s.state == status::challenge);
  CHECK(s.data.empty());
  CHECK(x.line("").state == status::check);
}

TEST_CASE("server_exchange: client lines, \"*\" cancels and bad base64 is its own ending") {
  {
    sasl::server_exchange x = begun(mechanism::login, std::nullopt);
    const sasl::exchange_step s = x.start();
    REQUIRE(s.state == status::challenge);
    CHECK(s.data == "Username:");
    CHECK(x.line("*").state == status::cancelled);
  }
  {
    sasl::server_exchange x = begun(mechanism::login, std::nullopt);
    REQUIRE(x.start().state == status::challenge);
    CHECK(x.line("dXNlcg").state == status::bad_line);  // no padding: not canonical
  }
  {
    // PLAIN with no NUL: the engine's refusal, with its code.
    sasl::server_exchange x = begun(mechanism::plain, base64::encode("nonul"));
    const sasl::exchange_step s = x.start();
    CHECK(s.state == status::malformed);
    CHECK(s.error != errc::ok);
    CHECK(s.error != errc::sasl_auth_failed);
  }
  {
    // A password check the application accepts.
    sasl::server_exchange x = begun(mechanism::plain, base64::encode(std::string("\0user\0pw", 8)));
    REQUIRE(x.start().state == status::check);
    CHECK(x.request().password == "pw");
    CHECK(x.accept().state == status::success);
    CHECK(x.username() == "user");
  }
}

TEST_CASE("server_exchange: SCRAM's server-final is a challenge, answered by an empty line only") {
  {
    sasl::client c = scram_client();
    sasl::server_exchange x = begun(mechanism::scram_sha_256, std::nullopt);
    const std::string final_message = to_server_final(x, c);
    CHECK(c.challenge(final_message).state == sasl::client_step::status::respond);
    CHECK(x.line("").state == status::success);
    CHECK(x.username() == "user");
  }
  {
    sasl::client c = scram_client();
    sasl::server_exchange x = begun(mechanism::scram_sha_256, std::nullopt);
    to_server_final(x, c);
    CHECK(x.line("dg==").state == status::unexpected);
  }
  {
    sasl::client c = scram_client();
    sasl::server_exchange x = begun(mechanism::scram_sha_256, std::nullopt);
    to_server_final(x, c);
    CHECK(x.line("!").state == status::unexpected);  // not even base64: still unexpected
  }
  {
    sasl::client c = scram_client();
    sasl::server_exchange x = begun(mechanism::scram_sha_256, std::nullopt);
    to_server_final(x, c);
    CHECK(x.line("*").state == status::cancelled);  // "*" first, even here
  }
}

TEST_CASE("server_exchange: wrong credentials are failed") {
  sasl::server_exchange x = begun(mechanism::cram_md5, std::nullopt);
  const sasl::exchange_step s = x.start();
  REQUIRE(s.state == status::challenge);
  CHECK(s.data == "<serverN0nce@mail.example.org>");
  REQUIRE(x.line(base64::encode("user 0123456789abcdef0123456789abcdef")).state == status::check);
  CHECK(x.request().type == sasl::request_type::secret);
  CHECK(x.provide_secret("not it").state == status::failed);

  // A bearer token refused with its JSON: a challenge, then failed.
  sasl::server_exchange t = begun(mechanism::xoauth2, base64::encode("user=u\x01"
                                                                     "auth=Bearer tok\x01\x01"));
  REQUIRE(t.start().state == status::check);
  const sasl::exchange_step e = t.reject_token(R"({"status":"401"})");
  REQUIRE(e.state == status::challenge);
  CHECK(e.data == R"({"status":"401"})");
  CHECK(t.line("").state == status::failed);
}

TEST_CASE("server_exchange: begin() checks the options, and the offered set arms the downgrade check") {
  sasl::server_exchange x(mechanism::scram_sha_256, std::nullopt);
  CHECK(x.start().error == errc::invalid_state);  // not begun
  CHECK(x.line("").error == errc::invalid_state);
  CHECK(x.accept().error == errc::invalid_state);
  CHECK(x.request().type == sasl::request_type::none);
  CHECK(x.begin("", {}, "h", offered_plain, 1000) == errc::sasl_missing_nonce);
  CHECK(x.begin("bad,nonce", {}, "h", offered_plain, 1000) == errc::sasl_invalid_field);
  REQUIRE(x.begin("good", {}, "h", offered_plain, 1000) == errc::ok);
  CHECK(x.start().state == status::challenge);

  // 'y': the client could bind but saw no -PLUS. A downgrade when either
  // -PLUS was offered, fine when none was.
  const std::string y = base64::encode("y,,n=user,r=abc");
  for (mechanism plus : {mechanism::scram_sha_256_plus, mechanism::scram_sha_1_plus}) {
    INFO(sasl::to_string(plus));
    sasl::server_exchange d = begun(mechanism::scram_sha_256, y, {mechanism::scram_sha_256, plus});
    const sasl::exchange_step s = d.start();
    CHECK(s.state == status::malformed);
    CHECK(s.error == errc::sasl_channel_binding_mismatch);
  }
  sasl::server_exchange ok = begun(mechanism::scram_sha_256, y);
  CHECK(ok.start().state == status::check);

  // max_response: decoded bytes, just under and just over.
  for (std::size_t n : {std::size_t{99}, std::size_t{100}, std::size_t{101}}) {
    INFO(n);
    sasl::server_exchange p(mechanism::plain, std::nullopt);
    REQUIRE(p.begin("n", {}, "h", offered_plain, 100) == errc::ok);
    REQUIRE(p.start().state == status::challenge);
    const std::string msg = std::string("\0u\0", 3) + std::string(n - 3, 'p');
    const sasl::exchange_step s = p.line(base64::encode(msg));
    if (n <= 100) {
      CHECK(s.state == status::check);
    } else {
      CHECK(s.state == status::malformed);
      CHECK(s.error == errc::sasl_too_long);
    }
  }
}
