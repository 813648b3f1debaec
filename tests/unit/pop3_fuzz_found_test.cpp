// What the POP3 fuzz targets (fuzz/pop3_*.cpp) found, one case each, so a
// regression fails here and not only in the corpus replay.
#include <mailwire/pop3/command.hpp>

#include <string>

#include "catch.hpp"

namespace pop3 = mailwire::pop3;
using mailwire::errc;

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
