// The machine shape of smtp::client and smtp::server (docs/design.md): the
// two "do I/O" answers of next(), finish(), take_unconsumed() only at the TLS
// switch, actions that validate before they change state, back-pressure, and
// the client's refusal of a reply to a command it has not written.
#include <mailwire/smtp/client.hpp>
#include <mailwire/smtp/server.hpp>

#include <string>

#include "catch.hpp"

namespace smtp = mailwire::smtp;
using mailwire::errc;
using sk = smtp::server_event_type;
using ck = smtp::client_event_type;

namespace {

// Drains the server's events up to the first "do I/O" answer, answering
// MAIL and RCPT with accept(); returns the event that stopped it.
smtp::server_event drain(smtp::server& s) {
  for (;;) {
    const smtp::server_event e = s.next();
    if (e.type == sk::mail || e.type == sk::rcpt) {
      REQUIRE(s.accept() == errc::ok);
      continue;
    }
    if (e.type == sk::need_more || e.type == sk::write_output || e.type == sk::paused || e.type == sk::closed) {
      return e;
    }
  }
}

std::string take_output(smtp::server& s) {
  std::string out(s.pending_output());
  s.consume_output(out.size());
  return out;
}

smtp::client_event drain(smtp::client& c) {
  for (;;) {
    const smtp::client_event e = c.next();
    if (e.type == ck::need_more || e.type == ck::write_output || e.type == ck::closed || e.type == ck::error) return e;
  }
}

}  // namespace

TEST_CASE("server: next() says write_output while output is pending, need_more only when none is") {
  smtp::server s;
  CHECK(s.next().type == sk::write_output);  // the greeting
  take_output(s);
  CHECK(s.next().type == sk::need_more);
  s.feed("NOOP\r\n");
  CHECK(s.next().type == sk::write_output);
  CHECK(take_output(s) == "250 Ok\r\n");
  CHECK(s.next().type == sk::need_more);
}

TEST_CASE("server: a refused reply text changes nothing; the event still awaits its answer") {
  smtp::server s;
  take_output(s);
  s.feed("EHLO c\r\nMAIL FROM:<a@example.com>\r\nNOOP\r\n");
  smtp::server_event e = s.next();
  REQUIRE(e.type == sk::hello);
  e = s.next();
  REQUIRE(e.type == sk::mail);
  take_output(s);
  CHECK(s.reject(550, smtp::enhanced_status{5, 7, 1}, "no\r\nthanks") == errc::invalid_argument);
  CHECK(s.reject(550, std::nullopt, std::string_view("nul\0", 4)) == errc::invalid_argument);
  CHECK(s.reject(250, std::nullopt, "not a refusal") == errc::invalid_argument);
  CHECK(s.pending_output().empty());
  CHECK(s.next().type == sk::paused);  // the NOOP waits behind the MAIL
  CHECK(s.reject(550, smtp::enhanced_status{5, 7, 1}, "no thanks") == errc::ok);
  CHECK(take_output(s) == "550 5.7.1 no thanks\r\n");
  CHECK(s.next().type == sk::write_output);  // the NOOP's reply
  CHECK(take_output(s) == "250 2.0.0 Ok\r\n");
}

TEST_CASE("server: take_unconsumed() outside the TLS switch takes nothing and is invalid_state") {
  smtp::server_options o;
  o.offer_starttls = true;
  smtp::server s(o);
  take_output(s);
  s.feed("EHLO c\r\nNOOP\r\n");
  REQUIRE(s.next().type == sk::hello);
  std::string_view rest = "sentinel";
  CHECK(s.take_unconsumed(rest) == errc::invalid_state);
  CHECK(rest.empty());
  CHECK(drain(s).type == sk::write_output);
  const std::string out = take_output(s);
  CHECK(out.substr(out.size() - 14) == "250 2.0.0 Ok\r\n");  // the pipelined NOOP was not lost

  s.feed("STARTTLS\r\n\x16\x03\x01");
  REQUIRE(s.next().type == sk::starttls);
  CHECK(s.feed("more") == 0);  // nothing is taken at the switch
  CHECK(s.take_unconsumed(rest) == errc::ok);
  CHECK(rest == "\x16\x03\x01");
  CHECK(s.tls_established() == errc::ok);
  CHECK(s.take_unconsumed(rest) == errc::invalid_state);
}

TEST_CASE("server: a client that pipelines and never reads cannot grow the output past the limit") {
  smtp::server_options o;
  o.max_pending_output = 4096;
  smtp::server s(o);
  const std::string noop = "NOOP\r\n";
  std::string flood;
  for (int i = 0; i < 20000; ++i) flood += noop;
  std::string_view rest = flood;
  std::size_t most = 0;
  int write_outputs = 0;
  // The peer never reads: every time the machine asks for output to be
  // written, nobody does; it must stop growing instead of parsing more.
  for (int round = 0; round < 100 && !rest.empty(); ++round) {
    rest.remove_prefix(s.feed(rest));
    const smtp::server_event e = drain(s);
    most = std::max(most, s.pending_output().size());
    if (e.type == sk::write_output) ++write_outputs;
  }
  CHECK(write_outputs > 0);
  CHECK(most < o.max_pending_output + 64);  // one reply past the limit at most
  CHECK(!rest.empty());                     // the flood was not all taken
  // Once the caller writes, the machine goes on.
  std::size_t replies = 0;
  for (int round = 0; round < 100000 && replies < 20000; ++round) {
    rest.remove_prefix(s.feed(rest));
    drain(s);
    const std::string out = take_output(s);
    for (std::size_t i = out.find("250 Ok"); i != std::string::npos; i = out.find("250 Ok", i + 1)) ++replies;
  }
  CHECK(replies == 20000);
}

TEST_CASE("server: failed authentications are counted and exposed; the limit closes the session") {
  smtp::server_options o;
  o.tls_active = true;
  o.auth_mechanisms = mailwire::sasl::mechanism_set::parse("PLAIN");
  o.max_auth_failures = 3;
  smtp::server s(o);
  take_output(s);
  s.feed("EHLO c\r\n");
  drain(s);
  take_output(s);
  for (std::size_t i = 1; i <= 3; ++i) {
    s.feed("AUTH PLAIN AGFsaWNlAHdyb25n\r\n");  // alice / wrong
    REQUIRE(s.next().type == sk::auth_start);
    REQUIRE(s.auth_begin("") == errc::ok);
    REQUIRE(s.next().type == sk::auth_check);
    REQUIRE(s.reject(535, smtp::enhanced_status{5, 7, 8}, "Bad credentials") == errc::ok);
    CHECK(s.auth_failures() == i);
    if (i < 3) {
      CHECK(take_output(s) == "535 5.7.8 Bad credentials\r\n");
      CHECK(!s.closed());
    }
  }
  CHECK(take_output(s) ==
        "535 5.7.8 Bad credentials\r\n421 4.7.0 localhost Too many authentication failures, closing connection\r\n");
  const smtp::server_event e = s.next();
  CHECK(e.type == sk::error);
  CHECK(e.error == errc::too_many_auth_failures);
  CHECK(s.next().type == sk::closed);
  CHECK(s.feed("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n") == 0);
}

TEST_CASE("client: a reply that arrives before its command was written is an injection") {
  smtp::client c;
  // The greeting and an unsolicited 250 in one packet: the 250 cannot be
  // the reply to EHLO, which was not written yet.
  c.feed("220 mx ESMTP\r\n250 mx\r\n");
  smtp::client_event e = drain(c);
  REQUIRE(e.type == ck::error);
  CHECK(e.error == errc::unexpected_reply);
  CHECK(e.offset == 14);
  CHECK(c.next().type == ck::closed);
  CHECK(c.closed());
}

TEST_CASE("client: after the greeting, next() says write_output (EHLO), then need_more") {
  smtp::client c;
  CHECK(c.next().type == ck::need_more);
  c.feed("220 mx ESMTP\r\n");
  CHECK(c.next().type == ck::write_output);
  CHECK(c.pending_output() == "EHLO localhost\r\n");
  c.consume_output(c.pending_output().size());
  CHECK(c.next().type == ck::need_more);
  c.feed("250 mx\r\n");
  CHECK(c.next().type == ck::ready);
}

TEST_CASE("client: finish() while a reply is awaited is truncated; when idle it just closes") {
  {
    smtp::client c;
    c.feed("220 mx ESMTP\r\n");
    drain(c);
    c.consume_output(c.pending_output().size());
    c.feed("250-mx\r\n250-PIPE");  // the server dies in the middle of the EHLO reply
    c.finish();
    CHECK(c.feed("LINING\r\n") == 0);
    const smtp::client_event e = drain(c);
    REQUIRE(e.type == ck::error);
    CHECK(e.error == errc::truncated);
    CHECK(e.offset == 14 + 8 + 8);
    CHECK(c.next().type == ck::closed);
  }
  {
    smtp::client c;
    c.feed("220 mx ESMTP\r\n");
    drain(c);
    c.consume_output(c.pending_output().size());
    c.feed("250 mx\r\n");
    REQUIRE(c.next().type == ck::ready);
    c.finish();
    CHECK(c.next().type == ck::closed);
  }
}

TEST_CASE("client: take_unconsumed() only at the TLS switch") {
  smtp::client_options o;
  o.tls = smtp::tls_policy::required;
  smtp::client c(o);
  std::string_view rest = "sentinel";
  CHECK(c.take_unconsumed(rest) == errc::invalid_state);
  CHECK(rest.empty());
  c.feed("220 mx ESMTP\r\n");
  drain(c);
  c.consume_output(c.pending_output().size());
  c.feed("250-mx\r\n250 STARTTLS\r\n");
  drain(c);
  c.consume_output(c.pending_output().size());
  c.feed("220 go ahead\r\n");
  REQUIRE(c.next().type == ck::starttls);
  CHECK(c.take_unconsumed(rest) == errc::ok);
  CHECK(rest.empty());
  CHECK(c.tls_established() == errc::ok);
  CHECK(c.take_unconsumed(rest) == errc::invalid_state);
}

TEST_CASE("client: a mechanism named by the caller still needs TLS for a cleartext password") {
  for (const bool allow : {false, true}) {
    smtp::client_options o;
    o.tls = smtp::tls_policy::none;
    o.username = "alice";
    o.password = "secret";
    o.mechanism = mailwire::sasl::mechanism::plain;
    o.auth_policy.allow_cleartext_password = allow;
    smtp::client c(o);
    c.feed("220 mx ESMTP\r\n");
    drain(c);
    c.consume_output(c.pending_output().size());
    c.feed("250-mx\r\n250 AUTH PLAIN LOGIN\r\n");  // no STARTTLS: stripped, perhaps
    const smtp::client_event e = drain(c);
    if (allow) {
      CHECK(e.type == ck::write_output);
      CHECK(c.pending_output() == "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    } else {
      REQUIRE(e.type == ck::error);
      CHECK(e.error == errc::sasl_insecure);
      CHECK(c.pending_output() == "QUIT\r\n");  // and never the password
    }
  }
}

TEST_CASE("server: auth_begin() without the nonce CRAM-MD5 needs refuses and changes nothing") {
  smtp::server_options o;
  o.tls_active = true;
  o.auth_mechanisms = mailwire::sasl::mechanism_set::parse("CRAM-MD5");
  smtp::server s(o);
  take_output(s);
  s.feed("EHLO c\r\nAUTH CRAM-MD5\r\n");
  REQUIRE(s.next().type == sk::hello);
  REQUIRE(s.next().type == sk::auth_start);
  take_output(s);
  CHECK(s.auth_begin("") == errc::sasl_missing_nonce);
  CHECK(s.pending_output().empty());  // the client is not blamed with a 501
  CHECK(s.next().type == sk::paused);
  CHECK(s.auth_begin("NONCE") == errc::ok);
  CHECK(take_output(s).rfind("334 ", 0) == 0);
}

TEST_CASE("client: the SCRAM iteration count a server may ask for is the caller's limit") {
  for (const std::uint32_t limit : {4095u, 4096u}) {  // RFC 7677's exchange asks for 4096
    smtp::client_options o;
    o.tls = smtp::tls_policy::implicit;
    o.username = "user";
    o.password = "pencil";
    o.nonce = "rOprNGfwEbeRWgbNEkqO";
    o.mechanism = mailwire::sasl::mechanism::scram_sha_256;
    o.auth_limits.max_iterations = limit;
    smtp::client c(o);
    c.feed("220 mx ESMTP\r\n");
    drain(c);
    c.consume_output(c.pending_output().size());
    c.feed("250-mx\r\n250 AUTH SCRAM-SHA-256\r\n");
    drain(c);
    REQUIRE(c.pending_output() == "AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n");
    c.consume_output(c.pending_output().size());
    c.feed("334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n");
    drain(c);
    if (limit < 4096) {
      CHECK(c.pending_output() == "*\r\n");  // cancelled before computing anything
    } else {
      CHECK(c.pending_output().rfind("Yz1iaXdzLHI9", 0) == 0);  // the client-final message
    }
  }
}

TEST_CASE("smtp server: the rest of an over-long AUTH line is no command, however it arrives", "[smtp][server]") {
  // Found in the POP3 server by fuzzing (split-dependent), the same here:
  // with max_auth_line 20, "A" x 20 then "QUIT" in one line, sent a byte
  // at a time, logged the session out.
  for (const std::size_t piece : {1u, 7u, 1000u}) {
    smtp::server_options o;
    o.tls_active = true;
    o.auth_mechanisms = {mailwire::sasl::mechanism::plain};
    o.max_auth_line = 20;
    smtp::server s(o);
    const std::string input = "EHLO x\r\nAUTH PLAIN\r\n" + std::string(20, 'A') + "QUIT\r\nNOOP\r\n";
    std::string log;
    for (std::size_t at = 0; at < input.size(); at += piece) {
      s.feed(std::string_view(input).substr(at, piece));
      for (smtp::server_event e = s.next(); e.type != sk::need_more; e = s.next()) {
        if (e.type == sk::write_output) {
          s.consume_output(s.pending_output().size());
          continue;
        }
        if (e.type == sk::auth_start) REQUIRE(s.auth_begin("") == errc::ok);
        if (e.type == sk::closed) FAIL("the rest of the AUTH line was read as QUIT");
        log += std::to_string(static_cast<int>(e.type)) + " ";
      }
    }
    CHECK_FALSE(s.closed());
  }
}
