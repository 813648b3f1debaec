// SASL: every mechanism against its RFC example in both roles, every
// client against every server in memory, and the bad input the issue lists.
#include <mailwire/sasl.hpp>

#include <optional>
#include <string>

#include "catch.hpp"

namespace sasl = mailwire::sasl;
using mailwire::errc;
using sasl::mechanism;
using client_status = sasl::client_step::status;
using server_status = sasl::server_step::status;

namespace {

std::string b64(std::string_view s) { return mailwire::base64::encode(s); }
std::string unb64(std::string_view s) {
  std::string out;
  REQUIRE(mailwire::base64::decode(s, out));
  return out;
}

// RFC 5802 5 and RFC 7677 3: user "user", password "pencil".
constexpr const char* sha1_nonce = "fyko+d2lbbFgONRv9qkxdawL";
constexpr const char* sha1_snonce = "3rfcNHYJY1ZVvWVs7j";
constexpr const char* sha1_server_first = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
constexpr const char* sha1_client_final =
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
constexpr const char* sha1_server_final = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";
constexpr const char* sha256_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr const char* sha256_snonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* sha256_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* sha256_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* sha256_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

sasl::client_credentials pencil(const char* nonce) {
  sasl::client_credentials c;
  c.username = "user";
  c.password = "pencil";
  c.nonce = nonce;
  return c;
}

sasl::scram_keys pencil_keys(mechanism m, std::string_view salt64) {
  sasl::scram_keys k;
  REQUIRE(sasl::make_scram_keys(m, "pencil", unb64(salt64), 4096, k) == errc::ok);
  return k;
}

}  // namespace

TEST_CASE("SCRAM-SHA-1 and SCRAM-SHA-256: the RFC examples, client side") {
  struct example {
    mechanism m;
    const char *nonce, *server_first, *client_final, *server_final;
  };
  for (const example& ex : {example{mechanism::scram_sha_1, sha1_nonce, sha1_server_first, sha1_client_final, sha1_server_final},
                            example{mechanism::scram_sha_256, sha256_nonce, sha256_server_first, sha256_client_final,
                                    sha256_server_final}}) {
    INFO(sasl::to_string(ex.m));
    sasl::client c(ex.m, pencil(ex.nonce));
    auto s = c.start();
    REQUIRE(s.state == client_status::respond);
    CHECK(s.response == "n,,n=user,r=" + std::string(ex.nonce));
    s = c.challenge(ex.server_first);
    REQUIRE(s.state == client_status::respond);
    CHECK(s.response == ex.client_final);
    s = c.challenge(ex.server_final);  // SMTP: server-final as a 334 challenge
    REQUIRE(s.state == client_status::respond);
    CHECK(s.response.empty());
    CHECK(c.success().state == client_status::done);

    // The same with server-final carried in the success reply (RFC 4422 4).
    sasl::client c2(ex.m, pencil(ex.nonce));
    c2.start();
    c2.challenge(ex.server_first);
    CHECK(c2.success(ex.server_final).state == client_status::done);
  }
}

TEST_CASE("SCRAM-SHA-1 and SCRAM-SHA-256: the RFC examples, server side, from stored keys") {
  struct example {
    mechanism m;
    const char *nonce, *snonce, *salt64, *server_first, *client_final, *server_final;
  };
  for (const example& ex :
       {example{mechanism::scram_sha_1, sha1_nonce, sha1_snonce, "QSXCR+Q6sek8bf92", sha1_server_first, sha1_client_final,
                sha1_server_final},
        example{mechanism::scram_sha_256, sha256_nonce, sha256_snonce, "W22ZaJ0SNY7soEsUEjb6gQ==", sha256_server_first,
                sha256_client_final, sha256_server_final}}) {
    INFO(sasl::to_string(ex.m));
    sasl::server_options o;
    o.nonce = ex.snonce;
    sasl::server s(ex.m, o);
    auto st = s.start(std::string("n,,n=user,r=") + ex.nonce);
    REQUIRE(st.state == server_status::check);
    CHECK(s.request().type == sasl::request_type::scram_keys);
    CHECK(s.request().username == "user");
    CHECK(s.request().authzid.empty());
    st = s.provide_scram(pencil_keys(ex.m, ex.salt64));
    REQUIRE(st.state == server_status::challenge);
    CHECK(st.data == ex.server_first);
    st = s.respond(ex.client_final);
    REQUIRE(st.state == server_status::success);
    CHECK(st.data == ex.server_final);
  }
}

TEST_CASE("CRAM-MD5: the RFC 2195 example in both roles") {
  const std::string challenge = "<1896.697170952@postoffice.reston.mci.net>";
  sasl::client_credentials cred;
  cred.username = "tim";
  cred.password = "tanstaaftanstaaf";
  sasl::client c(mechanism::cram_md5, cred);
  CHECK(c.start().state == client_status::wait);
  auto r = c.challenge(challenge);
  REQUIRE(r.state == client_status::respond);
  CHECK(r.response == "tim b913a602c7eda7a495b4e6e7334d3890");
  CHECK(c.success().state == client_status::done);

  sasl::server_options o;
  o.nonce = "1896.697170952";
  o.hostname = "postoffice.reston.mci.net";
  sasl::server s(mechanism::cram_md5, o);
  auto st = s.start(std::nullopt);
  REQUIRE(st.state == server_status::challenge);
  CHECK(st.data == challenge);
  st = s.respond("tim b913a602c7eda7a495b4e6e7334d3890");
  REQUIRE(st.state == server_status::check);
  CHECK(s.request().type == sasl::request_type::secret);
  CHECK(s.request().username == "tim");
  CHECK(s.provide_secret("tanstaaftanstaaf").state == server_status::success);

  sasl::server wrong(mechanism::cram_md5, o);
  wrong.start(std::nullopt);
  wrong.respond("tim b913a602c7eda7a495b4e6e7334d3890");
  CHECK(wrong.provide_secret("tanstaaf").error == errc::sasl_auth_failed);
}

TEST_CASE("PLAIN: the RFC 4616 examples in both roles") {
  sasl::client_credentials cred;
  cred.username = "tim";
  cred.password = "tanstaaftanstaaf";
  sasl::client c(mechanism::plain, cred);
  CHECK(c.start().response == std::string("\0tim\0tanstaaftanstaaf", 21));
  cred.authzid = "Ursel";
  cred.username = "Kurt";
  cred.password = "xipj3plmq";
  sasl::client c2(mechanism::plain, cred);
  CHECK(c2.start().response == std::string("Ursel\0Kurt\0xipj3plmq", 20));

  sasl::server s(mechanism::plain, {});
  auto st = s.start(std::string("Ursel\0Kurt\0xipj3plmq", 20));
  REQUIRE(st.state == server_status::check);
  CHECK(s.request().type == sasl::request_type::password);
  CHECK(s.request().authzid == "Ursel");
  CHECK(s.request().username == "Kurt");
  CHECK(s.request().password == "xipj3plmq");
  CHECK(s.reject().error == errc::sasl_auth_failed);
}

TEST_CASE("OAUTHBEARER: the RFC 7628 examples, success and the error flow") {
  sasl::client_credentials cred;
  cred.authzid = "user@example.com";
  cred.host = "server.example.com";
  cred.port = 143;
  cred.token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
  const std::string initial =
      "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
      "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";
  sasl::client c(mechanism::oauthbearer, cred);
  CHECK(c.start().response == initial);
  CHECK(c.success().state == client_status::done);

  sasl::server s(mechanism::oauthbearer, {});
  REQUIRE(s.start(initial).state == server_status::check);
  CHECK(s.request().type == sasl::request_type::bearer_token);
  CHECK(s.request().token == "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
  CHECK(s.request().authzid == "user@example.com");
  CHECK(s.accept().state == server_status::success);

  // RFC 7628 4.3: the server reports a JSON error, the client answers %x01,
  // the exchange fails.
  const std::string json = unb64(
      "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=");
  sasl::server s2(mechanism::oauthbearer, {});
  s2.start(initial);
  auto st = s2.reject(json);
  REQUIRE(st.state == server_status::challenge);
  sasl::client c2(mechanism::oauthbearer, cred);
  c2.start();
  auto r = c2.challenge(st.data);
  REQUIRE(r.state == client_status::respond);
  CHECK(b64(r.response) == "AQ==");
  CHECK(c2.server_error() == json);
  CHECK(s2.respond(r.response).error == errc::sasl_auth_failed);
  CHECK(c2.success().error == errc::sasl_server_error);  // a server claiming success now is lying
}

TEST_CASE("XOAUTH2: Google's documented format, success and the error challenge") {
  sasl::client_credentials cred;
  cred.username = "someuser@example.com";
  cred.token = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
  sasl::client c(mechanism::xoauth2, cred);
  CHECK(b64(c.start().response) ==
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
  CHECK(c.start().error == errc::invalid_state);  // one exchange per client
  sasl::client c2(mechanism::xoauth2, cred);
  sasl::server s2(mechanism::xoauth2, {});
  REQUIRE(s2.start(c2.start().response).state == server_status::check);
  CHECK(s2.request().username == "someuser@example.com");
  auto st = s2.reject(R"({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})");
  REQUIRE(st.state == server_status::challenge);
  auto r = c2.challenge(st.data);
  CHECK(r.state == client_status::respond);
  CHECK(r.response.empty());
  CHECK(c2.server_error().find("401") != std::string_view::npos);
  CHECK(s2.respond(r.response).error == errc::sasl_auth_failed);
}
