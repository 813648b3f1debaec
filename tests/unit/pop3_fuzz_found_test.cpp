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
