// pop3::server properties that transcripts cannot show well: TOP's cut
// does not depend on how the application splits the message, and a message
// streams in bounded memory (the machine asks for the next piece only while
// its output is under max_pending_output).
#include <mailwire/pop3/server.hpp>

#include <string>
#include <vector>

#include "catch.hpp"

namespace pop3 = mailwire::pop3;
using mailwire::errc;
using sk = pop3::server_event_type;

namespace {

// A server logged in as "u" with `messages` (sizes as given), the greeting
// and login answers already drained.
pop3::server logged_in(const std::vector<std::string>& messages, pop3::server_options o = {}) {
  o.allow_plaintext_auth = true;
  pop3::server s(o);
  s.consume_output(s.pending_output().size());
  s.feed("USER u\r\nPASS p\r\n");
  REQUIRE(s.next().type == sk::login);  // (the +OK to USER waits in the output)
  REQUIRE(s.accept() == errc::ok);
  REQUIRE(s.next().type == sk::open_maildrop);
  std::vector<pop3::message_info> listing;
  for (std::size_t i = 0; i < messages.size(); ++i) listing.push_back({messages[i].size(), "id" + std::to_string(i)});
  REQUIRE(s.open_maildrop(listing) == errc::ok);
  s.consume_output(s.pending_output().size());
  return s;
}

// Answers the retrieve the server is at, in pieces of `piece`, and returns
// what it wrote (status line, content, terminator).
std::string stream(pop3::server& s, std::string_view message, std::size_t piece) {
  pop3::server_event e = s.next();
  REQUIRE(e.type == sk::retrieve);
  std::string wire;
  std::size_t at = 0;
  for (;;) {
    e = s.next();
    if (e.type == sk::write_output) {
      wire += s.pending_output();
      s.consume_output(s.pending_output().size());
      continue;
    }
    REQUIRE(e.type == sk::paused);
    if (at == message.size() || !s.wants_message()) {
      REQUIRE(s.end_message() == errc::ok);
      break;
    }
    const std::size_t n = std::min(piece, message.size() - at);
    REQUIRE(s.send_message(message.substr(at, n)) == errc::ok);
    at += n;
  }
  wire += s.pending_output();
  s.consume_output(s.pending_output().size());
  return wire;
}

}  // namespace

TEST_CASE("pop3 server: TOP cuts after the header and n lines, whatever the pieces", "[pop3][server]") {
  // Header lines, the blank line (as CRLF, LF, and CR LF split across
  // pieces), then five body lines, one empty and one a lone dot.
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"A: 1\r\nB: 2\r\n\r\none\r\n\r\n.\r\nfour\r\nfive\r\n",
       {"A: 1\r\nB: 2\r\n\r\n", "A: 1\r\nB: 2\r\n\r\none\r\n", "A: 1\r\nB: 2\r\n\r\none\r\n\r\n",
        "A: 1\r\nB: 2\r\n\r\none\r\n\r\n..\r\n"}},
      {"A: 1\nB: 2\n\none\n\n.\nfour\nfive",
       {"A: 1\r\nB: 2\r\n\r\n", "A: 1\r\nB: 2\r\n\r\none\r\n", "A: 1\r\nB: 2\r\n\r\none\r\n\r\n",
        "A: 1\r\nB: 2\r\n\r\none\r\n\r\n..\r\n"}},
      // No blank line: all of it is header.
      {"A: 1\r\nB: 2\r\n", {"A: 1\r\nB: 2\r\n", "A: 1\r\nB: 2\r\n", "A: 1\r\nB: 2\r\n", "A: 1\r\nB: 2\r\n"}},
  };
  for (const auto& c : cases) {
    for (std::size_t lines = 0; lines < 4; ++lines) {
      for (std::size_t piece = 1; piece <= c.first.size(); ++piece) {
        pop3::server s = logged_in({c.first});
        s.feed("TOP 1 " + std::to_string(lines) + "\r\n");
        const std::string wire = stream(s, c.first, piece);
        INFO("lines " << lines << " piece " << piece);
        CHECK(wire == "+OK Top of message follows\r\n" + c.second[lines] + ".\r\n");
      }
    }
  }
  // TOP past the end of the body gives all of it.
  pop3::server s = logged_in({cases[0].first});
  s.feed("TOP 1 100\r\n");
  CHECK(stream(s, cases[0].first, 3) == "+OK Top of message follows\r\n" + std::string("A: 1\r\nB: 2\r\n\r\none\r\n\r\n..\r\nfour\r\nfive\r\n.\r\n"));
}

TEST_CASE("pop3 server: a large message streams within max_pending_output", "[pop3][server]") {
  pop3::server_options o;
  o.max_pending_output = 16 * 1024;
  std::string message;
  for (int i = 0; message.size() < 2 * 1024 * 1024; ++i) message += i % 3 == 0 ? ".dot line\r\n" : "text line\r\n";
  pop3::server s = logged_in({message}, o);
  s.feed("RETR 1\r\n");
  REQUIRE(s.next().type == sk::retrieve);
  const std::size_t piece = 4096;
  std::size_t at = 0;
  std::size_t most = 0;
  std::string wire;
  for (int guard = 0; guard < 1000000; ++guard) {
    const pop3::server_event e = s.next();
    most = std::max(most, s.pending_output().size());
    if (e.type == sk::write_output) {
      // Written in small bites, as a slow socket would.
      const std::size_t n = std::min<std::size_t>(1000, s.pending_output().size());
      wire += s.pending_output().substr(0, n);
      s.consume_output(n);
      continue;
    }
    REQUIRE(e.type == sk::paused);
    CHECK(s.pending_output().size() < o.max_pending_output);
    if (at == message.size()) {
      REQUIRE(s.end_message() == errc::ok);
      break;
    }
    const std::size_t n = std::min(piece, message.size() - at);
    REQUIRE(s.send_message(std::string_view(message).substr(at, n)) == errc::ok);
    at += n;
  }
  wire += s.pending_output();
  // Never more than the limit plus one stuffed piece (at most twice its size).
  CHECK(most < o.max_pending_output + 2 * piece + 2);
  std::string stuffed;
  for (std::size_t i = 0; i < message.size(); i = message.find('\n', i) + 1) {
    if (message[i] == '.') stuffed += '.';
    stuffed += message.substr(i, message.find('\n', i) + 1 - i);
  }
  CHECK(wire == "+OK " + std::to_string(message.size()) + " octets\r\n" + stuffed + ".\r\n");
  // And the session goes on.
  s.consume_output(s.pending_output().size());
  s.feed("NOOP\r\n");
  CHECK(s.next().type == sk::write_output);
  CHECK(s.pending_output() == "+OK\r\n");
}

TEST_CASE("pop3 server: a refused retrieve, and no reject once the message started", "[pop3][server]") {
  pop3::server s = logged_in({"A: 1\r\n\r\nbody\r\n"});
  s.feed("RETR 1\r\nRETR 1\r\n");
  REQUIRE(s.next().type == sk::retrieve);
  CHECK(s.reject(pop3::response_code::sys_temp, "bad\r\ntext") == errc::invalid_argument);
  REQUIRE(s.reject(pop3::response_code::sys_temp, "cannot read it now") == errc::ok);
  CHECK(s.next().type == sk::retrieve);  // the pipelined second RETR
  REQUIRE(s.send_message("A: 1\r\n") == errc::ok);
  CHECK(s.reject(pop3::response_code::sys_temp, "too late") == errc::invalid_state);
  REQUIRE(s.end_message() == errc::ok);
  CHECK(s.pending_output() ==
        "-ERR [SYS/TEMP] cannot read it now\r\n+OK 14 octets\r\nA: 1\r\n.\r\n");
}
