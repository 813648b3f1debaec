// What the POP3 fuzz targets (fuzz/pop3_*.cpp) found, one case each, so a
// regression fails here and not only in the corpus replay.
#include <mailwire/pop3/command.hpp>
#include <mailwire/pop3/server.hpp>

#include <algorithm>
#include <string>

#include "catch.hpp"

namespace pop3 = mailwire::pop3;
using mailwire::errc;
using sk = pop3::server_event_type;

namespace {
// What a server writes for `command` (RETR or TOP of message 1, which is
// `message`, given in pieces of `piece` bytes), after a USER/PASS login.
std::string answer(std::string_view message, std::string_view command, std::size_t piece) {
  pop3::server_options o;
  o.allow_plaintext_auth = true;
  pop3::server s(o);
  std::string input = "USER alice\r\nPASS secret\r\n" + std::string(command) + "\r\n";
  std::string out;
  std::size_t sent = 0;
  bool answering = false;
  for (int round = 0; round < 10000 && !s.closed(); ++round) {
    input.erase(0, s.feed(input));
    const pop3::server_event e = s.next();
    switch (e.type) {
      case sk::login: REQUIRE(s.accept() == errc::ok); break;
      case sk::open_maildrop: REQUIRE(s.open_maildrop({{message.size(), "id-1"}}) == errc::ok); break;
      case sk::retrieve:
        s.consume_output(s.pending_output().size());  // from here on: the answer to `command`
        out.clear();
        answering = true;
        break;
      case sk::paused:
        if (sent < message.size() && s.wants_message()) {
          const std::size_t n = (std::min)(piece, message.size() - sent);
          REQUIRE(s.send_message(message.substr(sent, n)) == errc::ok);
          sent += n;
        } else {
          REQUIRE(s.end_message() == errc::ok);
          out += s.pending_output();
          return out;
        }
        break;
      case sk::write_output:
      case sk::need_more:
        out += s.pending_output();
        s.consume_output(s.pending_output().size());
        if (e.type == sk::need_more && input.empty()) return answering ? out : std::string("no answer");
        break;
      default: FAIL("unexpected event"); break;
    }
  }
  return "no answer";
}
}  // namespace

TEST_CASE("pop3 write_command refuses the arguments a command does not take", "[pop3][syntax][fuzz]") {
  // pop3_syntax: "QUIT x", "RETR" and "USER a b" were written, and the
  // server reads each as a syntax error.
  mailwire::output_queue q;
  CHECK(pop3::write_command(q, pop3::verb::quit, "x") == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::stat, "x") == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::list, "1") == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::retr) == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::dele) == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::top) == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::user, "a", "b") == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::pass, "pw", "x") == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::lang, "fr", "x") == errc::invalid_argument);
  CHECK(q.empty());
  // What each command takes is still written.
  CHECK(pop3::write_command(q, pop3::verb::list) == errc::ok);
  CHECK(pop3::write_command(q, pop3::verb::lang, "fr") == errc::ok);
  CHECK(pop3::write_command(q, pop3::verb::lang) == errc::ok);
  CHECK(pop3::write_command(q, pop3::verb::pass) == errc::ok);
  CHECK(pop3::write_command(q, pop3::verb::auth, "PLAIN") == errc::ok);
  CHECK(pop3::write_command(q, pop3::verb::apop, "mrose", "c4c9334bac560ecc979e58001b3e22fb") == errc::ok);
  CHECK(q.pending() == "LIST\r\nLANG fr\r\nLANG\r\nPASS \r\nAUTH PLAIN\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
}

TEST_CASE("pop3 server: TOP counts a bare CR as the line end the client receives", "[pop3][server][fuzz]") {
  // pop3_server: the server writes a bare CR as CRLF, but TOP's cut
  // counted only LFs, so "Subject: x" CR CR "one" CR "two" passed two body
  // lines for TOP 1 1 and found no header end in "\rA\nB".
  for (std::size_t piece = 1; piece <= 24; ++piece) {
    CAPTURE(piece);
    CHECK(answer("Subject: x\r\rone\rtwo\r", "TOP 1 1", piece) ==
          "+OK Top of message follows\r\nSubject: x\r\n\r\none\r\n.\r\n");
    CHECK(answer("Subject: x\r\rone\rtwo\r", "TOP 1 0", piece) ==
          "+OK Top of message follows\r\nSubject: x\r\n\r\n.\r\n");
    CHECK(answer("\rAT\nTOPA\r\n", "TOP 1 1", piece) == "+OK Top of message follows\r\n\r\nAT\r\n.\r\n");
    // CRLF and bare LF as before.
    CHECK(answer("S: x\r\n\r\none\ntwo\r\n", "TOP 1 1", piece) ==
          "+OK Top of message follows\r\nS: x\r\n\r\none\r\n.\r\n");
  }
}

namespace {
// Feeds `input` to a server offering PLAIN, whole (piece 0) or in pieces,
// answering AUTH with an empty challenge; returns the events and output.
std::string auth_session(std::string_view input, std::size_t piece) {
  pop3::server_options o;
  o.allow_plaintext_auth = true;
  o.auth_mechanisms = {mailwire::sasl::mechanism::plain};
  o.max_auth_line = 20;
  pop3::server s(o);
  std::string log;
  while (!input.empty() && !s.closed()) {
    const std::size_t n = s.feed(input.substr(0, piece == 0 ? input.size() : piece));
    input.remove_prefix(n);
    for (pop3::server_event e = s.next(); e.type != sk::need_more && e.type != sk::write_output && e.type != sk::closed;
         e = s.next()) {
      log += std::to_string(static_cast<int>(e.type)) + ":" + std::string(mailwire::to_name(e.error)) + ",";
      if (e.type == sk::auth_start) REQUIRE(s.auth_begin("") == errc::ok);
    }
  }
  return log + "|" + std::string(s.pending_output());
}
}  // namespace

TEST_CASE("pop3 server: the rest of an over-long AUTH line is dropped, not read as commands", "[pop3][server][fuzz]") {
  // pop3_server: the AUTH exchange's line reader reported the line too
  // long and was dropped with the exchange, so whatever of the line had
  // not arrived yet was read as commands ("QUIT" here), depending on how
  // the input was split.
  const std::string input = "AUTH PLAIN\r\n" + std::string(20, 'A') + "QUIT\r\nCAPA\r\n";
  const std::string whole = auth_session(input, 0);
  for (std::size_t piece = 1; piece <= input.size(); ++piece) {
    CAPTURE(piece);
    CHECK(auth_session(input, piece) == whole);
  }
  CHECK(whole.find("Logging out") == std::string::npos);
  CHECK(whole.find("-ERR Authentication line too long or malformed\r\n+OK Capability list follows\r\n") !=
        std::string::npos);
}
