// smtp::client against smtp::server in memory (h11's ConnectionPair): the
// messages the client sends arrive unchanged, whatever the extensions, the
// authentication or the way the bytes are chunked between them.
#include <mailwire/smtp/client.hpp>
#include <mailwire/smtp/server.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"

namespace smtp = mailwire::smtp;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using ck = smtp::client_event_type;
using sk = smtp::server_event_type;

namespace {

struct message {
  std::string from;
  std::vector<std::string> to;
  std::string body;
};

struct outcome {
  std::vector<std::string> client_log;  // client events, in order
  std::vector<std::string> delivered;   // message bodies the server accepted
  bool server_tls = false;
  std::string auth_user;
};

smtp::path mailbox(const std::string& a) {
  const auto at = a.find('@');
  return smtp::path::mailbox(std::string_view(a).substr(0, at), std::string_view(a).substr(at + 1));
}

// Runs one session: the client sends `messages` then quits. The server
// accepts everything but recipients named unknown@..., and knows
// alice/secret. Bytes cross in pieces of `chunk` (0: all at once).
outcome run(smtp::client_options co, smtp::server_options so, const std::vector<message>& messages,
            std::size_t chunk, std::string inject_after_220 = {}) {
  smtp::client c(std::move(co));
  smtp::server s(std::move(so));
  outcome out;
  std::string content;
  std::size_t next_message = 0;
  bool quitting = false;
  auto start_next = [&] {
    if (next_message == messages.size()) {
      if (!quitting) REQUIRE(c.quit() == errc::ok);
      quitting = true;
      return;
    }
    const message& m = messages[next_message];
    REQUIRE(c.mail(mailbox(m.from)) == errc::ok);
    for (const auto& t : m.to) REQUIRE(c.rcpt(mailbox(t)) == errc::ok);
    REQUIRE(c.data() == errc::ok);
  };
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
  bool server_switching = false;
  std::size_t accepted = 0;
  std::size_t replies = 0;
  for (int round = 0; round < 10000 && !c.closed(); ++round) {
    // server -> client
    std::string to_client(s.pending_output());
    if (!inject_after_220.empty() && server_switching) {
      to_client += inject_after_220;
      inject_after_220.clear();
    }
    const std::size_t sent = move(to_client, [&](std::string_view b) {
      const std::size_t took = c.feed(b);
      for (auto e = c.next(); e.type != ck::need_more && e.type != ck::write_output; e = c.next()) {
        out.client_log.push_back(std::to_string(static_cast<int>(e.type)) + ":" + std::to_string(e.code) +
                                 (e.error != errc::ok ? ":" + std::string(mailwire::to_name(e.error)) : ""));
        if (e.type == ck::ready) start_next();
        if (e.type == ck::mail) accepted = replies = 0;
        if (e.type == ck::rcpt && e.ok()) ++accepted;
        if (e.type == ck::body) {
          const message& m = messages[next_message];
          for (std::size_t i = 0; i < m.body.size(); i += 5) REQUIRE(c.write_body(m.body.substr(i, 5)) == errc::ok);
          REQUIRE(c.end_body() == errc::ok);
        }
        // The transaction is over after its one reply (LMTP: one per
        // accepted recipient).
        if (e.type == ck::message && (!so.lmtp || ++replies >= accepted)) {
          ++next_message;
          start_next();
        }
        if (e.type == ck::starttls) {
          std::string_view rest;
          REQUIRE(s.take_unconsumed(rest) == errc::ok);
          REQUIRE(rest.empty());  // a well-behaved client sent nothing after STARTTLS
          REQUIRE(s.tls_established() == errc::ok);
          REQUIRE(c.tls_established() == errc::ok);
          server_switching = false;
        }
        if (e.type == ck::closed) break;
      }
      return took;
    });
    s.consume_output(std::min(sent, s.pending_output().size()));
    if (c.closed()) break;
    // client -> server
    const std::string to_server(c.pending_output());
    const std::size_t got = move(to_server, [&](std::string_view b) {
      const std::size_t took = s.feed(b);
      for (auto e = s.next(); e.type != sk::need_more && e.type != sk::write_output && e.type != sk::paused && e.type != sk::closed; e = s.next()) {
        switch (e.type) {
          case sk::mail: REQUIRE(s.accept() == errc::ok); break;
          case sk::rcpt:
            REQUIRE((e.cmd->address.local_part == "unknown" ? s.reject(550, std::nullopt, "no such user") : s.accept()) ==
                    errc::ok);
            break;
          case sk::data_chunk: content.append(e.bytes.data(), e.bytes.size()); break;
          case sk::message:
            if (e.error == errc::ok) {
              out.delivered.push_back(content);
              if (so.lmtp) {
                for (std::size_t i = 0; i < e.recipients; ++i) s.reply_recipient(250, std::nullopt, "ok");
              } else {
                s.accept();
              }
            }
            content.clear();
            break;
          case sk::auth_start: REQUIRE(s.auth_begin("SERVERNONCE") == errc::ok); break;
          case sk::auth_check: {
            using k = sasl::request_type;
            if (e.auth->type == k::secret) {
              s.auth_provide_secret("secret");
            } else if (e.auth->type == k::scram_keys) {
              sasl::scram_keys keys;
              REQUIRE(sasl::make_scram_keys(e.mechanism, "secret", "salt", 4096, keys) == errc::ok);
              s.auth_provide_scram(keys);
            } else if (e.auth->password == "secret") {
              s.accept();
            } else {
              s.reject(535, smtp::enhanced_status{5, 7, 8}, "bad");
            }
            break;
          }
          case sk::authenticated: out.auth_user = std::string(e.auth_user); break;
          case sk::starttls: server_switching = true; break;
          default: break;
        }
      }
      return took;
    });
    c.consume_output(got);
    out.server_tls = s.tls();
  }
  return out;
}

const std::vector<message> two_messages = {
    {"alice@example.com", {"bob@example.org", "carol@example.org"},
     "Subject: one\r\n\r\n.leading dot\r\n..two dots\r\nbare LF\nbare CR\rend"},
    {"alice@example.com", {"bob@example.org"}, ".\r\n"},
};
const std::vector<std::string> two_delivered = {
    "Subject: one\r\n\r\n.leading dot\r\n..two dots\r\nbare LF\r\nbare CR\r\nend\r\n", ".\r\n"};

}  // namespace

TEST_CASE("client and server: messages arrive unchanged, with and without PIPELINING and CHUNKING") {
  for (bool pipelining : {true, false}) {
    for (bool chunking : {true, false}) {
      for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        INFO("pipelining " << pipelining << " chunking " << chunking << " chunk " << chunk);
        smtp::server_options so;
        so.pipelining = pipelining;
        so.chunking = chunking;
        const outcome o = run({}, so, two_messages, chunk);
        CHECK(o.delivered == two_delivered);
        REQUIRE_FALSE(o.client_log.empty());
        CHECK(o.client_log.back().rfind("10:221", 0) == 0);  // closed by the 221 to QUIT
      }
    }
  }
}

TEST_CASE("client and server: LMTP gives one reply per accepted recipient") {
  smtp::client_options co;
  co.lmtp = true;
  smtp::server_options so;
  so.lmtp = true;
  const std::vector<message> m = {{"a@example.com", {"b@example.org", "unknown@example.org", "c@example.org"}, "hi\r\n"}};
  const outcome o = run(co, so, m, 3);
  CHECK(o.delivered == std::vector<std::string>{"hi\r\n"});
  std::size_t message_replies = 0;
  for (const auto& l : o.client_log) message_replies += l.rfind("8:250", 0) == 0 ? 1u : 0u;
  CHECK(message_replies == 2);
}

TEST_CASE("client and server: every SMTP AUTH mechanism, over STARTTLS") {
  for (const char* mech : {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"}) {
    INFO(mech);
    smtp::client_options co;
    co.username = "alice";
    co.password = "secret";
    co.nonce = "clientnonce";
    co.mechanism = sasl::parse_mechanism(mech);
    co.tls = smtp::tls_policy::required;
    smtp::server_options so;
    so.offer_starttls = true;
    so.auth_mechanisms = sasl::mechanism_set::parse(mech);
    so.require_auth = true;
    const outcome o = run(co, so, {two_messages[1]}, 4);
    CHECK(o.server_tls);
    CHECK(o.auth_user == "alice");
    CHECK(o.delivered == std::vector<std::string>{".\r\n"});
    co.password = "wrong";
    const outcome bad = run(co, so, {two_messages[1]}, 0);
    CHECK(bad.delivered.empty());
    CHECK(std::find_if(bad.client_log.begin(), bad.client_log.end(), [](const std::string& l) {
            return l.find("sasl_auth_failed") != std::string::npos;
          }) != bad.client_log.end());
  }
}

TEST_CASE("client: STARTTLS required but not offered ends the session with an error") {
  smtp::client_options co;
  co.tls = smtp::tls_policy::required;
  const outcome o = run(co, {}, two_messages, 0);
  CHECK(o.delivered.empty());
  CHECK(std::find(o.client_log.begin(), o.client_log.end(), "11:0:tls_unavailable") != o.client_log.end());
}

TEST_CASE("client: bytes after the 220 to STARTTLS are an injection, never parsed") {
  smtp::server_options so;
  so.offer_starttls = true;
  const outcome o = run({}, so, two_messages, 0, "250 2.1.0 forged\r\n");
  CHECK(o.delivered.empty());
  CHECK(std::find(o.client_log.begin(), o.client_log.end(), "11:0:data_after_starttls") != o.client_log.end());
}

TEST_CASE("client: parameters the server lacks are refused before anything is sent") {
  smtp::server_options so;
  so.smtputf8 = false;
  so.max_message_size = 100;
  smtp::client c;
  smtp::server s(so);
  // Drive the setup to ready.
  for (int i = 0; i < 10; ++i) {
    c.feed(s.pending_output());
    s.consume_output(s.pending_output().size());
    for (auto t = c.next().type; t != ck::need_more && t != ck::write_output; t = c.next().type) {
    }
    s.feed(c.pending_output());
    c.consume_output(c.pending_output().size());
    for (auto t = s.next().type; t != sk::need_more && t != sk::write_output; t = s.next().type) {
    }
  }
  const std::string utf8_local = "j\xC3\xBCrgen";
  CHECK(c.mail(mailbox(utf8_local + "@example.com")) == errc::extension_missing);
  smtp::mail_parameters big;
  big.size = 101;
  CHECK(c.mail(mailbox("a@example.com"), big) == errc::message_too_big);
  CHECK(c.pending_output().empty());
  big.size = 100;
  CHECK(c.mail(mailbox("a@example.com"), big) == errc::ok);
  CHECK(c.pending_output() == "MAIL FROM:<a@example.com> SIZE=100\r\n");
  CHECK(c.mail(mailbox("a@example.com")) == errc::invalid_state);  // one transaction at a time
}
