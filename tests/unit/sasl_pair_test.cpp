// Every SASL client against every SASL server in memory: what one side
// sends the other accepts, with and without initial responses, and a wrong
// secret fails on the server and never succeeds on the client. Then the bad
// input the engine must refuse with a specific code.
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

const std::string exporter(32, '\x5A');  // stands in for TLS exporter bytes

struct outcome {
  bool server_ok = false;
  bool client_ok = false;
  errc server_error = errc::ok;
  errc client_error = errc::ok;
  std::string authzid_seen;
  int round_trips = 0;
};

// Runs one exchange. The application on the server side knows user "alice"
// with password `server_password` (and token "good-token").
outcome exchange(mechanism m, bool initial_response, std::string_view client_password,
                 std::string_view server_password = "correct horse", std::string_view authzid = {},
                 bool carry_final_in_success = false) {
  sasl::client_credentials cred;
  cred.username = m == mechanism::anonymous ? "" : "alice";
  cred.authzid = authzid;
  cred.password = client_password;
  cred.token = client_password == "correct horse" ? "good-token" : "bad-token";
  cred.nonce = "c1ientN0nce+from/caller";
  cred.trace = "alice@example.org";
  cred.host = "mail.example.org";
  cred.port = 587;
  if (sasl::uses_channel_binding(m)) cred.binding = {sasl::channel_binding::type::tls_exporter, exporter};

  sasl::server_options so;
  so.nonce = "serverN0nce-from-caller";
  so.hostname = "mail.example.org";
  so.binding = {sasl::channel_binding::type::tls_exporter, exporter};

  sasl::client c(m, cred);
  sasl::server s(m, so);
  outcome out;

  auto cs = c.start(initial_response);
  REQUIRE(cs.state != client_status::failed);
  auto ss = cs.state == client_status::respond ? s.start(cs.response) : s.start(std::nullopt);
  for (int guard = 0; guard < 10; ++guard) {
    switch (ss.state) {
      case server_status::check: {
        const auto& rq = s.request();
        out.authzid_seen = std::string(rq.authzid);
        using k = sasl::request_type;
        switch (rq.type) {
          case k::password:
            ss = rq.username == "alice" && rq.password == server_password ? s.accept() : s.reject();
            break;
          case k::secret: ss = s.provide_secret(server_password); break;
          case k::scram_keys: {
            sasl::scram_keys keys;
            REQUIRE(sasl::make_scram_keys(m, server_password, "salt-from-provisioning", 4096, keys) == errc::ok);
            ss = s.provide_scram(keys);
            break;
          }
          case k::bearer_token:
            ss = rq.token == "good-token" ? s.accept() : s.reject(R"({"status":"invalid_token"})");
            break;
          case k::external:
          case k::anonymous: ss = s.accept(); break;
          case k::none: FAIL("check without a request"); break;
        }
        break;
      }
      case server_status::challenge:
        ++out.round_trips;
        cs = c.challenge(ss.data);
        if (cs.state == client_status::failed) {
          out.client_error = cs.error;
          ss = s.cancel();
          break;
        }
        REQUIRE(cs.state == client_status::respond);
        ss = s.respond(cs.response);
        break;
      case server_status::success: {
        out.server_ok = true;
        // SMTP sends SCRAM's server-final as a challenge (334) unless told
        // otherwise; IMAP may carry it with the OK.
        if (!ss.data.empty() && !carry_final_in_success) {
          cs = c.challenge(ss.data);
          REQUIRE(cs.state == client_status::respond);
          cs = c.success();
        } else {
          cs = c.success(ss.data);
        }
        out.client_ok = cs.state == client_status::done;
        out.client_error = cs.error;
        return out;
      }
      case server_status::failure: out.server_error = ss.error; return out;
    }
  }
  FAIL("exchange did not end");
  return out;
}

}  // namespace

TEST_CASE("every mechanism: client and server complete an exchange in memory") {
  for (std::size_t i = 0; i < sasl::mechanism_count; ++i) {
    const auto m = static_cast<mechanism>(i);
    for (bool ir : {true, false}) {
      for (bool carry : {false, true}) {
        INFO(sasl::to_string(m) << (ir ? " with" : " without") << " initial response" << (carry ? ", final with success" : ""));
        const outcome o = exchange(m, ir, "correct horse", "correct horse", {}, carry);
        CHECK(o.server_ok);
        CHECK(o.client_ok);
        CHECK(o.server_error == errc::ok);
      }
    }
  }
}

TEST_CASE("every mechanism with a secret: a wrong one fails, and the client never sees success") {
  for (mechanism m : {mechanism::plain, mechanism::login, mechanism::cram_md5, mechanism::scram_sha_1,
                      mechanism::scram_sha_1_plus, mechanism::scram_sha_256, mechanism::scram_sha_256_plus,
                      mechanism::xoauth2, mechanism::oauthbearer}) {
    INFO(sasl::to_string(m));
    const outcome o = exchange(m, true, "battery staple");
    CHECK_FALSE(o.server_ok);
    CHECK_FALSE(o.client_ok);
    CHECK(o.server_error == errc::sasl_auth_failed);
  }
}

TEST_CASE("the authorization identity reaches the application") {
  for (mechanism m : {mechanism::plain, mechanism::scram_sha_256, mechanism::oauthbearer, mechanism::external}) {
    INFO(sasl::to_string(m));
    const outcome o = exchange(m, true, "correct horse", "correct horse", "shared,mailbox=x");
    CHECK(o.server_ok);
    CHECK(o.authzid_seen == "shared,mailbox=x");  // SCRAM escapes ',' and '=' on the wire
  }
}

TEST_CASE("SASLprep makes equivalent passwords equal for SCRAM") {
  // U+00AD SOFT HYPHEN is mapped to nothing; U+00A0 NO-BREAK SPACE to SPACE.
  CHECK(exchange(mechanism::scram_sha_256, true, "correct\xC2\xA0hor\xC2\xADse", "correct horse").server_ok);
  sasl::client_credentials cred;
  cred.username = "alice";
  const std::string bell("bad\x07", 4);  // a control character: prohibited
  cred.password = bell;
  cred.nonce = "abcdefghijklmnop";
  sasl::client c(mechanism::scram_sha_256, cred);
  CHECK(c.start().error == errc::saslprep_prohibited);  // before anything is sent
  CHECK(c.challenge("r=abcdefghijklmnopXYZ,s=c2FsdA==,i=4096").error == errc::saslprep_prohibited);
}

// ---------------------------------------------------------------- bad input

namespace {
sasl::client scram_client_after_first(mechanism m = mechanism::scram_sha_256, sasl::client_options o = {}) {
  sasl::client_credentials cred;
  cred.username = "user";
  cred.password = "pencil";
  cred.nonce = "abcdefghijklmnop";
  sasl::client c(m, cred, o);
  REQUIRE(c.start().state == client_status::respond);
  return c;
}
}  // namespace

TEST_CASE("SCRAM client: each malformed server-first message has its code") {
  const std::pair<const char*, errc> cases[] = {
      {"r=zzzz,s=c2FsdA==,i=4096", errc::sasl_bad_nonce},                      // not our nonce
      {"r=abcdefghijklmnop,s=c2FsdA==,i=4096", errc::sasl_bad_nonce},          // no server part
      {"s=c2FsdA==,i=4096", errc::sasl_duplicate_attribute},                   // r missing, s misplaced
      {"r=abcdefghijklmnopX,i=4096", errc::sasl_duplicate_attribute},          // s missing
      {"r=abcdefghijklmnopX,s=c2FsdA==", errc::sasl_missing_attribute},        // i missing
      {"r=abcdefghijklmnopX,r=abcdefghijklmnopX,s=c2FsdA==,i=1", errc::sasl_duplicate_attribute},
      {"r=abcdefghijklmnopX,s=c2FsdA==,i=4096,s=c2FsdA==", errc::sasl_duplicate_attribute},
      {"r=abcdefghijklmnopX,s=c2FsdA==,i=0", errc::sasl_bad_iteration_count},
      {"r=abcdefghijklmnopX,s=c2FsdA==,i=65537", errc::sasl_bad_iteration_count},  // just over the default
      {"r=abcdefghijklmnopX,s=c2FsdA==,i=99999999999", errc::sasl_bad_iteration_count},
      {"r=abcdefghijklmnopX,s=c2FsdA==,i=12a", errc::sasl_bad_iteration_count},
      {"r=abcdefghijklmnopX,s=c2FsdA==,i=", errc::sasl_bad_iteration_count},
      {"r=abcdefghijklmnopX,s=c2Fsd,i=4096", errc::sasl_malformed},             // bad base64 salt
      {"r=abcdefghijklmnopX,s=,i=4096", errc::sasl_malformed},                  // empty salt
      {"m=ext,r=abcdefghijklmnopX,s=c2FsdA==,i=4096", errc::sasl_malformed},    // unknown mandatory extension
      {"r=abcdefghijklmnopX,s=c2FsdA==,i=4096,", errc::sasl_malformed},
      {"garbage", errc::sasl_malformed},
      {"", errc::sasl_missing_attribute},
  };
  for (const auto& [msg, code] : cases) {
    INFO(msg);
    sasl::client c = scram_client_after_first();
    CHECK(c.challenge(msg).error == code);
  }
  // An extension after the defined attributes is fine.
  sasl::client c = scram_client_after_first();
  CHECK(c.challenge("r=abcdefghijklmnopX,s=c2FsdA==,i=4096,x=ext").state == client_status::respond);
}

TEST_CASE("SCRAM client: iteration limit just under and just over, configurable") {
  sasl::client_options o;
  o.max_iterations = 5000;
  CHECK(scram_client_after_first(mechanism::scram_sha_1, o).challenge("r=abcdefghijklmnopX,s=c2FsdA==,i=5000").state ==
        client_status::respond);
  CHECK(scram_client_after_first(mechanism::scram_sha_1, o).challenge("r=abcdefghijklmnopX,s=c2FsdA==,i=5001").error ==
        errc::sasl_bad_iteration_count);
}

TEST_CASE("SCRAM client: a wrong server signature, or none, is never success") {
  sasl::client c = scram_client_after_first();
  REQUIRE(c.challenge("r=abcdefghijklmnopX,s=c2FsdA==,i=4096").state == client_status::respond);
  CHECK(c.challenge("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").error == errc::sasl_bad_server_signature);
  CHECK(c.success().state == client_status::failed);

  sasl::client d = scram_client_after_first();
  d.challenge("r=abcdefghijklmnopX,s=c2FsdA==,i=4096");
  CHECK(d.success().error == errc::sasl_unexpected_message);  // success without proof

  sasl::client e = scram_client_after_first();
  e.challenge("r=abcdefghijklmnopX,s=c2FsdA==,i=4096");
  CHECK(e.challenge("e=unknown-user").error == errc::sasl_server_error);
  CHECK(e.server_error() == "unknown-user");

  sasl::client f = scram_client_after_first();
  CHECK(f.success().error == errc::sasl_unexpected_message);  // success before any exchange
}

TEST_CASE("SCRAM server: each malformed client message has its code") {
  sasl::server_options o;
  o.nonce = "SERVERNONCE";
  const std::pair<const char*, errc> first[] = {
      {"n,,r=abc", errc::sasl_duplicate_attribute},       // n= missing
      {"n,,n=user", errc::sasl_missing_attribute},        // r= missing
      {"n,,n=user,r=", errc::sasl_bad_nonce},
      {"n,,n=us=er,r=abc", errc::sasl_malformed},         // '=' must be =3D or =2C
      {"x,,n=user,r=abc", errc::sasl_malformed},          // bad cbind flag
      {"p=tls-exporter,,n=user,r=abc", errc::sasl_channel_binding_mismatch},  // binding on a non-PLUS mechanism
      {"n,a,n=user,r=abc", errc::sasl_malformed},
      {"n,,m=x,n=user,r=abc", errc::sasl_malformed},
      {"n,,n=,r=abc", errc::sasl_malformed},
      {"n", errc::sasl_malformed},
      {"", errc::sasl_malformed},
  };
  for (const auto& [msg, code] : first) {
    INFO(msg);
    sasl::server s(mechanism::scram_sha_256, o);
    CHECK(s.start(std::string_view(msg)).error == code);
  }

  auto after_first = [&](mechanism m = mechanism::scram_sha_256) {
    sasl::server s(m, o);
    REQUIRE(s.start("n,,n=user,r=abc").state == server_status::check);
    sasl::scram_keys k;
    REQUIRE(sasl::make_scram_keys(m, "pencil", "salt", 4096, k) == errc::ok);
    REQUIRE(s.provide_scram(k).state == server_status::challenge);
    return s;
  };
  const std::string proof = ",p=" + mailwire::base64::encode(std::string(32, 'x'));
  const std::pair<std::string, errc> finals[] = {
      {"c=biws,r=abcSERVERNONCE" + proof, errc::sasl_auth_failed},          // well-formed, wrong proof
      {"c=biws,r=abcOTHER" + proof, errc::sasl_bad_nonce},
      {"c=eSws,r=abcSERVERNONCE" + proof, errc::sasl_channel_binding_mismatch},  // "y,," instead of "n,,"
      {"r=abcSERVERNONCE,c=biws" + proof, errc::sasl_duplicate_attribute},
      {"c=biws,r=abcSERVERNONCE", errc::sasl_missing_attribute},
      {"c=biws,r=abcSERVERNONCE,p=AAAA", errc::sasl_malformed},               // proof of the wrong size
      {"c=biws,r=abcSERVERNONCE,p=!!", errc::sasl_malformed},
  };
  for (const auto& [msg, code] : finals) {
    INFO(msg);
    sasl::server s = after_first();
    CHECK(s.respond(msg).error == code);
  }
  sasl::server s = after_first();
  CHECK(s.respond("c=biws,r=abcSERVERNONCE" + proof).data == "e=invalid-proof");
}

TEST_CASE("SCRAM channel binding: the downgrade and mismatch cases") {
  sasl::server_options o;
  o.nonce = "SERVERNONCE";
  o.binding = {sasl::channel_binding::type::tls_exporter, exporter};
  o.plus_advertised = true;
  // 'y' (client could bind but saw no -PLUS) while we offered -PLUS: a
  // man in the middle removed it.
  sasl::server s(mechanism::scram_sha_256, o);
  CHECK(s.start("y,,n=user,r=abc").error == errc::sasl_channel_binding_mismatch);
  // -PLUS without binding, or with another binding type.
  sasl::server p(mechanism::scram_sha_256_plus, o);
  CHECK(p.start("n,,n=user,r=abc").error == errc::sasl_channel_binding_mismatch);
  sasl::server q(mechanism::scram_sha_256_plus, o);
  CHECK(q.start("p=tls-unique,,n=user,r=abc").error == errc::sasl_channel_binding_mismatch);
  // Different binding data on each end (two different TLS sessions: MITM).
  sasl::client_credentials cred;
  cred.username = "user";
  cred.password = "pencil";
  cred.nonce = "abc";
  const std::string other_exporter(32, 'Q');
  cred.binding = {sasl::channel_binding::type::tls_exporter, other_exporter};
  sasl::client c(mechanism::scram_sha_256_plus, cred);
  sasl::server r(mechanism::scram_sha_256_plus, o);
  REQUIRE(r.start(c.start().response).state == server_status::check);
  sasl::scram_keys k;
  REQUIRE(sasl::make_scram_keys(mechanism::scram_sha_256_plus, "pencil", "salt", 4096, k) == errc::ok);
  const auto first = r.provide_scram(k);
  CHECK(r.respond(c.challenge(first.data).response).error == errc::sasl_channel_binding_mismatch);
  // A -PLUS client without binding data refuses to start.
  cred.binding = {};
  sasl::client nob(mechanism::scram_sha_256_plus, cred);
  CHECK(nob.start().error == errc::sasl_channel_binding_mismatch);
}

TEST_CASE("PLAIN server: NULs in the wrong places and CR/LF are refused") {
  const std::pair<std::string, errc> cases[] = {
      {std::string("tim\0secret", 10), errc::sasl_malformed},              // one NUL
      {std::string("\0\0secret", 8), errc::sasl_malformed},                // empty authcid
      {std::string("\0tim\0", 5), errc::sasl_malformed},                   // empty password
      {std::string("\0tim\0sec\0ret", 12), errc::sasl_malformed},          // a third NUL
      {std::string("\0tim\0sec\r\nret", 13), errc::sasl_invalid_field},
      {std::string("a\nb\0tim\0secret", 14), errc::sasl_invalid_field},
      {"", errc::sasl_malformed},
  };
  for (const auto& [msg, code] : cases) {
    sasl::server s(mechanism::plain, {});
    CHECK(s.start(msg).error == code);
  }
  sasl::server_options small;
  small.max_response = 16;
  sasl::server s(mechanism::plain, small);
  CHECK(s.start(std::string("\0tim\0", 5) + std::string(11, 'p')).state == server_status::check);  // 16: just under
  sasl::server t(mechanism::plain, small);
  CHECK(t.start(std::string("\0tim\0", 5) + std::string(12, 'p')).error == errc::sasl_too_long);  // 17: just over
}

TEST_CASE("clients refuse credentials that cannot be sent") {
  sasl::client_credentials cred;
  cred.username = "tim";
  const std::string with_nul("pa\0ss", 5);
  cred.password = with_nul;
  CHECK(sasl::client(mechanism::plain, cred).start().error == errc::sasl_invalid_field);
  cred.password = "pass\r\nQUIT";
  CHECK(sasl::client(mechanism::plain, cred).start().error == errc::sasl_invalid_field);
  sasl::client login(mechanism::login, cred);
  CHECK(login.start(false).error == errc::sasl_invalid_field);  // before AUTH LOGIN goes out
  CHECK(login.challenge("Username:").error == errc::sasl_invalid_field);
  cred.token = "tok\x01" "en";
  CHECK(sasl::client(mechanism::xoauth2, cred).start().error == errc::sasl_invalid_field);
  cred.nonce = "has,comma";
  CHECK(sasl::client(mechanism::scram_sha_1, cred).start().error == errc::sasl_invalid_field);
  sasl::client cram(mechanism::cram_md5, cred);
  cram.start();
  CHECK(cram.challenge("").error == errc::sasl_malformed);  // CRAM-MD5 needs a challenge
}

TEST_CASE("client challenge limit, and messages after the end") {
  sasl::client_options o;
  o.max_challenge = 8;
  sasl::client_credentials cred;
  cred.username = "tim";
  cred.password = "x";
  sasl::client c(mechanism::cram_md5, cred, o);
  c.start();
  CHECK(c.challenge("<12@host>").error == errc::sasl_too_long);  // 9 bytes
  sasl::client d(mechanism::cram_md5, cred, o);
  d.start();
  CHECK(d.challenge("<1@host>").state == client_status::respond);  // 8 bytes
  CHECK(d.challenge("<1@host>").error == errc::sasl_unexpected_message);
  sasl::client p(mechanism::plain, cred);
  p.start();
  CHECK(p.challenge("more?").error == errc::sasl_unexpected_message);
}

TEST_CASE("the default limits, just under and just over") {
  static_assert(sasl::client_options{}.max_challenge == mailwire::limits::max_sasl_message);
  static_assert(sasl::client_options{}.max_iterations == mailwire::limits::max_scram_iterations);
  static_assert(sasl::server_options{}.max_response == mailwire::limits::max_sasl_message);
  const std::size_t limit = mailwire::limits::max_sasl_message;
  sasl::client_credentials cred;
  cred.username = "tim";
  cred.password = "x";
  for (std::size_t size : {limit, limit + 1}) {
    INFO(size);
    const errc expected = size > limit ? errc::sasl_too_long : errc::ok;
    sasl::client c(mechanism::cram_md5, cred);
    c.start();
    CHECK(c.challenge("<" + std::string(size - 7, '1') + "@host>").error == expected);
    sasl::server s(mechanism::plain, {});
    CHECK(s.start(std::string("\0tim\0", 5) + std::string(size - 5, 'p')).error == expected);
  }
  // The highest iteration count a client accepts by default (each costs
  // two HMACs), and one more.
  const std::string count = std::to_string(mailwire::limits::max_scram_iterations);
  CHECK(scram_client_after_first().challenge("r=abcdefghijklmnopX,s=c2FsdA==,i=" + count).state ==
        client_status::respond);
  const std::string over = std::to_string(mailwire::limits::max_scram_iterations + 1);
  CHECK(scram_client_after_first().challenge("r=abcdefghijklmnopX,s=c2FsdA==,i=" + over).error ==
        errc::sasl_bad_iteration_count);
}

TEST_CASE("server actions in the wrong state queue nothing and say so") {
  sasl::server s(mechanism::plain, {});
  CHECK(s.accept().error == errc::invalid_state);
  sasl::server t(mechanism::scram_sha_256, {});
  CHECK(t.provide_secret("x").error == errc::invalid_state);
  sasl::server u(mechanism::login, {});
  u.start(std::nullopt);
  CHECK(u.cancel().error == errc::sasl_cancelled);
  CHECK(u.respond("alice").state == server_status::failure);
}

TEST_CASE("choose() picks the strongest mechanism the policy allows") {
  const auto all = sasl::mechanism_set::parse("PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-256-PLUS XOAUTH2");
  sasl::client_policy p;
  p.have_nonce = true;
  CHECK(sasl::choose(all, p) == mechanism::scram_sha_256);
  p.have_channel_binding = true;
  CHECK(sasl::choose(all, p) == mechanism::scram_sha_256_plus);
  // Without TLS, PLAIN and LOGIN are never chosen...
  const auto weak = sasl::mechanism_set::parse("PLAIN LOGIN");
  CHECK_FALSE(sasl::choose(weak, sasl::client_policy{}).has_value());
  // ...unless the connection is encrypted or the caller says so.
  sasl::client_policy tls;
  tls.tls = true;
  CHECK(sasl::choose(weak, tls) == mechanism::plain);
  sasl::client_policy lenient;
  lenient.allow_cleartext_password = true;
  CHECK(sasl::choose(sasl::mechanism_set::parse("login"), lenient) == mechanism::login);
  // Tokens prefer OAUTHBEARER.
  sasl::client_policy token;
  token.have_password = false;
  token.have_token = true;
  token.tls = true;
  CHECK(sasl::choose(sasl::mechanism_set::parse("XOAUTH2 OAUTHBEARER PLAIN"), token) == mechanism::oauthbearer);
  // A bearer token is a password for whoever holds it: never without TLS.
  token.tls = false;
  CHECK_FALSE(sasl::choose(sasl::mechanism_set::parse("XOAUTH2 OAUTHBEARER PLAIN"), token).has_value());
  // allowed narrows the choice.
  p.allowed = {mechanism::cram_md5};
  CHECK(sasl::choose(all, p) == mechanism::cram_md5);
  std::size_t unknown = 0;
  CHECK(sasl::mechanism_set::parse("GSSAPI  NTLM plain", &unknown) == sasl::mechanism_set{mechanism::plain});
  CHECK(unknown == 2);
}

TEST_CASE("mechanism names round-trip, case-insensitively") {
  for (std::size_t i = 0; i < sasl::mechanism_count; ++i) {
    const auto m = static_cast<mechanism>(i);
    CHECK(sasl::parse_mechanism(sasl::to_string(m)) == m);
  }
  CHECK(sasl::parse_mechanism("scram-sha-256-plus") == mechanism::scram_sha_256_plus);
  CHECK_FALSE(sasl::parse_mechanism("SCRAM-SHA-512").has_value());
}
