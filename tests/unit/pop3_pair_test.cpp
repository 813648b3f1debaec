// pop3::client against pop3::server in memory: every login method, with
// and without PIPELINING and STLS, messages downloaded byte for byte and
// deletions applied only at QUIT, whatever the way the bytes are chunked
// between the two machines.
#include <mailwire/pop3/client.hpp>
#include <mailwire/pop3/server.hpp>
#include <mailwire/sasl/scram.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "catch.hpp"

namespace pop3 = mailwire::pop3;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using ck = pop3::client_event_type;
using sk = pop3::server_event_type;

namespace {

const char* const user = "alice";
const char* const password = "tr0ub4dor&3";

// A maildrop: messages as stored (LF or CRLF line ends) and their ids.
struct maildrop {
  std::vector<std::string> messages;
  std::vector<std::string> ids;
  std::vector<std::uint32_t> removed;  // what update removed
  bool locked = false;
};

// The bytes a message is served as: line ends made CRLF, the last line
// ended (the terminating "." must start a line).
std::string served(const std::string& m) {
  std::string out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) out += '\r';
    if (m[i] == '\r' && (i + 1 == m.size() || m[i + 1] != '\n')) {
      out += "\r\n";
      continue;
    }
    out += m[i];
  }
  if (!out.empty() && out.back() != '\n') out += "\r\n";
  return out;
}

struct outcome {
  std::vector<std::string> fetched;  // RETR payloads, in order
  std::map<std::uint32_t, std::string> ids;
  std::vector<std::string> errors;   // client error events
  bool ready = false;
  bool server_tls = false;
  bool pipelined = false;
  std::size_t max_in_flight = 0;
  std::string logged_in_user;
  pop3::login_method method = pop3::login_method::user_pass;
};

// Runs one session. The client logs in, takes UIDL, RETRs every message,
// DELEs those in `to_delete`, and QUITs. Bytes cross in pieces of `chunk`
// (0: everything at once). `stream` is the server's chunk size when it
// sends a message.
outcome run(pop3::client_options co, pop3::server_options so, maildrop& drop, std::size_t chunk,
            const std::vector<std::uint32_t>& to_delete = {}, std::size_t stream = 5) {
  pop3::client c(co);
  pop3::server s(so);
  outcome out;
  std::string current;
  std::size_t sending = 0;       // message being streamed (1-based), 0: none
  std::size_t sent_offset = 0;
  bool switching = false;
  std::size_t in_flight = 0;
  auto move = [&](std::string_view from, auto&& feed) {
    std::size_t n = 0;
    while (n < from.size()) {
      const std::size_t piece = chunk == 0 ? from.size() - n : std::min(chunk, from.size() - n);
      const std::size_t took = feed(from.substr(n, piece));
      if (took == 0) break;
      n += took;
    }
    return n;
  };
  for (int round = 0; round < 200000 && !(c.closed() && s.closed()); ++round) {
    // client events
    for (;;) {
      const pop3::client_event e = c.next();
      if (e.type == ck::need_more || e.type == ck::write_output || e.type == ck::closed) break;
      if (e.type == ck::starttls) {
        switching = true;
        break;
      }
      if (e.type == ck::error) out.errors.push_back(std::string(mailwire::to_name(e.error)));
      if (e.type == ck::ready) {
        out.ready = true;
        REQUIRE(c.uidl() == errc::ok);
        for (std::size_t i = 1; i <= drop.messages.size(); ++i) {
          REQUIRE(c.retr(static_cast<std::uint32_t>(i)) == errc::ok);
        }
        for (const auto d : to_delete) REQUIRE(c.dele(d) == errc::ok);
        REQUIRE(c.quit() == errc::ok);
        in_flight = 2 + drop.messages.size() + to_delete.size();
      }
      if (e.type == ck::listing && e.command == pop3::verb::uidl) out.ids[e.message] = std::string(e.unique_id);
      if (e.type == ck::chunk) current += e.bytes;
      if (e.type == ck::reply && e.command == pop3::verb::retr) {
        REQUIRE(e.ok);
        CHECK(e.error == errc::ok);
        CHECK(e.size == current.size());
        out.fetched.push_back(current);
        current.clear();
      }
    }
    // server events
    for (;;) {
      const pop3::server_event e = s.next();
      if (e.type == sk::need_more || e.type == sk::write_output || e.type == sk::closed) break;
      switch (e.type) {
        case sk::login:
          if (e.user == user && e.password == password) {
            REQUIRE(s.accept() == errc::ok);
          } else {
            REQUIRE(s.reject(pop3::response_code::auth, "Authentication failed") == errc::ok);
          }
          break;
        case sk::apop: REQUIRE(s.auth_provide_secret(e.user == user ? password : "x") == errc::ok); break;
        case sk::auth_start: REQUIRE(s.auth_begin("3rfcNHYJY1ZVvWVs7j") == errc::ok); break;
        case sk::auth_check: {
          const sasl::server_request& r = *e.auth;
          if (r.type == sasl::request_type::password) {
            REQUIRE((r.username == user && r.password == password ? s.accept()
                                                                    : s.reject(pop3::response_code::auth, "no")) ==
                    errc::ok);
          } else if (r.type == sasl::request_type::secret) {
            REQUIRE(s.auth_provide_secret(password) == errc::ok);
          } else if (r.type == sasl::request_type::scram_keys) {
            sasl::scram_keys keys;
            REQUIRE(sasl::make_scram_keys(e.mechanism, password, "salt1234", 4096, keys) == errc::ok);
            REQUIRE(s.auth_provide_scram(keys) == errc::ok);
          } else {
            FAIL("unexpected auth_check");
          }
          break;
        }
        case sk::open_maildrop: {
          out.logged_in_user = std::string(e.user);
          out.method = e.method;
          REQUIRE_FALSE(drop.locked);
          drop.locked = true;
          std::vector<pop3::message_info> listing;
          for (std::size_t i = 0; i < drop.messages.size(); ++i) {
            listing.push_back({served(drop.messages[i]).size(), drop.ids[i]});
          }
          REQUIRE(s.open_maildrop(std::move(listing)) == errc::ok);
          break;
        }
        case sk::retrieve:
          sending = e.message;
          sent_offset = 0;
          break;
        case sk::paused:
          if (sending != 0) {
            const std::string& m = drop.messages[sending - 1];
            if (sent_offset < m.size()) {
              const std::size_t n = std::min(stream, m.size() - sent_offset);
              REQUIRE(s.send_message(std::string_view(m).substr(sent_offset, n)) == errc::ok);
              sent_offset += n;
            } else {
              REQUIRE(s.end_message() == errc::ok);
              sending = 0;
            }
          }
          break;
        case sk::update:
          drop.removed = s.deleted();
          REQUIRE(s.accept() == errc::ok);
          break;
        case sk::starttls: break;
        default: break;
      }
      if (e.type == sk::starttls) break;
    }
    if (switching && s.pending_output().empty() && c.pending_output().empty()) {
      std::string_view rest;
      REQUIRE(s.take_unconsumed(rest) == errc::ok);
      CHECK(rest.empty());
      REQUIRE(s.tls_established() == errc::ok);
      REQUIRE(c.tls_established() == errc::ok);
      switching = false;
      out.server_tls = true;
    }
    // bytes both ways
    const std::string to_server(c.pending_output());
    c.consume_output(to_server.size());
    const std::size_t took = move(to_server, [&](std::string_view b) { return s.feed(b); });
    REQUIRE(took == to_server.size());
    const std::string to_client(s.pending_output());
    s.consume_output(to_client.size());
    const std::size_t got = move(to_client, [&](std::string_view b) { return c.feed(b); });
    REQUIRE(got == to_client.size());
    if (c.closed() && !s.closed() && to_server.empty() && to_client.empty()) s.finish();
  }
  out.pipelined = c.server_capabilities().pipelining;
  out.max_in_flight = in_flight;
  CHECK(c.closed());
  CHECK(s.closed());
  return out;
}

maildrop sample() {
  maildrop d;
  d.messages = {
      "From: a@example.org\nSubject: one\n\nHello\n.\n..two dots\n.\r\n",
      "Subject: two\r\n\r\nCRLF body\r\n",
      "Subject: three\n\nno final line end",
      std::string(3000, 'x') + "\n." + std::string(100, 'y') + "\n",
  };
  d.ids = {"id-1", "QhdPYR:00WBw1Ph7x7", "id-3", "id-4"};
  return d;
}

pop3::client_options client_opts(pop3::login method, std::optional<sasl::mechanism> mech = std::nullopt) {
  pop3::client_options o;
  o.tls = mailwire::tls_policy::none;
  o.username = user;
  o.password = password;
  o.nonce = "fyko+d2lbbFgONRv9qkxdawL";
  o.auth_policy.have_nonce = true;
  o.method = method;
  o.mechanism = mech;
  return o;
}

pop3::server_options server_opts() {
  pop3::server_options o;
  o.apop_timestamp = "<1896.697170952@dbc.mtview.ca.us>";
  o.auth_mechanisms = {sasl::mechanism::plain, sasl::mechanism::login, sasl::mechanism::cram_md5,
                       sasl::mechanism::scram_sha_1, sasl::mechanism::scram_sha_256};
  return o;
}

}  // namespace

TEST_CASE("pop3 pair: every login method at every chunk size", "[pop3][pair]") {
  struct method_case {
    const char* name;
    pop3::login method;
    std::optional<sasl::mechanism> mech;
    bool cleartext;
  };
  const method_case methods[] = {
      {"USER/PASS", pop3::login::user_pass, std::nullopt, true},
      {"APOP", pop3::login::apop, std::nullopt, false},
      {"automatic (SCRAM-SHA-256)", pop3::login::automatic, std::nullopt, false},
      {"PLAIN", pop3::login::sasl, sasl::mechanism::plain, true},
      {"LOGIN", pop3::login::sasl, sasl::mechanism::login, true},
      {"CRAM-MD5", pop3::login::sasl, sasl::mechanism::cram_md5, false},
      {"SCRAM-SHA-1", pop3::login::sasl, sasl::mechanism::scram_sha_1, false},
      {"SCRAM-SHA-256", pop3::login::sasl, sasl::mechanism::scram_sha_256, false},
  };
  for (const auto& m : methods) {
    for (const bool pipelining : {true, false}) {
      for (const std::size_t chunk : {0u, 1u, 2u, 3u, 7u, 64u}) {
        DYNAMIC_SECTION(m.name << (pipelining ? " pipelined" : "") << " chunk " << chunk) {
          maildrop drop = sample();
          pop3::client_options co = client_opts(m.method, m.mech);
          co.auth_policy.allow_cleartext_password = m.cleartext;
          pop3::server_options so = server_opts();
          so.allow_plaintext_auth = m.cleartext;
          so.pipelining = pipelining;
          const outcome r = run(co, so, drop, chunk, {2, 4});
          CHECK(r.errors.empty());
          REQUIRE(r.ready);
          CHECK(r.logged_in_user == user);
          CHECK(r.pipelined == pipelining);
          REQUIRE(r.fetched.size() == drop.messages.size());
          for (std::size_t i = 0; i < drop.messages.size(); ++i) CHECK(r.fetched[i] == served(drop.messages[i]));
          CHECK(r.ids.size() == 4);
          CHECK(r.ids.at(2) == "QhdPYR:00WBw1Ph7x7");
          CHECK(drop.removed == std::vector<std::uint32_t>{2, 4});
        }
      }
    }
  }
}

TEST_CASE("pop3 pair: STLS first, then the password goes", "[pop3][pair]") {
  maildrop drop = sample();
  pop3::client_options co = client_opts(pop3::login::user_pass);
  co.tls = mailwire::tls_policy::required;
  pop3::server_options so = server_opts();
  so.offer_stls = true;
  for (const std::size_t chunk : {0u, 1u, 5u}) {
    drop = sample();
    const outcome r = run(co, so, drop, chunk);
    CHECK(r.errors.empty());
    CHECK(r.server_tls);
    CHECK(r.fetched.size() == 4);
  }
}

TEST_CASE("pop3 pair: no cleartext password without TLS", "[pop3][pair]") {
  maildrop drop = sample();
  pop3::client_options co = client_opts(pop3::login::user_pass);
  pop3::server_options so = server_opts();
  so.allow_plaintext_auth = true;  // the server would take it; the client refuses
  const outcome r = run(co, so, drop, 0);
  CHECK_FALSE(r.ready);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == mailwire::to_name(errc::sasl_insecure));
  CHECK(drop.removed.empty());
}

TEST_CASE("pop3 pair: the automatic choice", "[pop3][pair]") {
  struct choice {
    bool sasl_offered;
    bool cleartext;
    bool timestamp;
    pop3::login_method expected;
  };
  // SASL first; then USER/PASS where the password may go in clear; APOP
  // only as the one way in without TLS that hides the password.
  for (const choice& c : {choice{true, false, true, pop3::login_method::sasl},
                          choice{false, true, true, pop3::login_method::user_pass},
                          choice{false, false, true, pop3::login_method::apop},
                          choice{false, true, false, pop3::login_method::user_pass}}) {
    maildrop drop = sample();
    pop3::client_options co = client_opts(pop3::login::automatic);
    co.auth_policy.allow_cleartext_password = c.cleartext;
    pop3::server_options so = server_opts();
    so.allow_plaintext_auth = true;
    if (!c.sasl_offered) so.auth_mechanisms = {};
    if (!c.timestamp) so.apop_timestamp.clear();
    const outcome r = run(co, so, drop, 0);
    CHECK(r.errors.empty());
    CHECK(r.ready);
    CHECK(r.method == c.expected);
  }
  // Nothing safe left: no SASL, no timestamp, no cleartext allowed.
  maildrop drop = sample();
  pop3::server_options so = server_opts();
  so.allow_plaintext_auth = true;
  so.auth_mechanisms = {};
  so.apop_timestamp.clear();
  const outcome r = run(client_opts(pop3::login::automatic), so, drop, 0);
  CHECK_FALSE(r.ready);
  CHECK(r.errors == std::vector<std::string>{std::string(mailwire::to_name(errc::sasl_insecure))});
}
