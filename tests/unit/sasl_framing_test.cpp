// sasl/framing.hpp: the SASL line framing SMTP, POP3 and IMAP share.
#include <mailwire/sasl/framing.hpp>

#include <string>

#include "catch.hpp"

namespace sasl = mailwire::sasl;
using mailwire::errc;
using status = sasl::response_line::status;

TEST_CASE("sasl framing: challenges carry the protocol's prefix, responses and cancel are lines") {
  mailwire::output_queue out;
  CHECK(sasl::write_challenge(out, "334 ", "Username:") == errc::ok);
  CHECK(sasl::write_challenge(out, "+ ", "") == errc::ok);  // an empty challenge: "+ " CRLF
  CHECK(sasl::write_response(out, std::string("\0alice\0secret", 13)) == errc::ok);
  CHECK(sasl::write_response(out, "") == errc::ok);  // an empty response is an empty line
  CHECK(sasl::write_cancel(out) == errc::ok);
  CHECK(out.pending() == "334 VXNlcm5hbWU6\r\n+ \r\nAGFsaWNlAHNlY3JldA==\r\n\r\n*\r\n");
  // A prefix that would end the line early goes nowhere.
  CHECK(sasl::write_challenge(out, "334\r\n250 ", "x") == errc::invalid_argument);
  CHECK(sasl::write_challenge(out, std::string_view("+\0", 2), "x") == errc::invalid_argument);
  CHECK(out.pending() == "334 VXNlcm5hbWU6\r\n+ \r\nAGFsaWNlAHNlY3JldA==\r\n\r\n*\r\n");
}

TEST_CASE("sasl framing: a client line is a message, a cancel, or malformed (strict base64)") {
  CHECK(sasl::read_response("*").state == status::cancel);
  const sasl::response_line ok = sasl::read_response("AGFsaWNlAHNlY3JldA==");
  CHECK(ok.state == status::message);
  CHECK(ok.message == std::string("\0alice\0secret", 13));
  const sasl::response_line empty = sasl::read_response("");
  CHECK(empty.state == status::message);
  CHECK(empty.message.empty());
  for (const char* bad : {"**", "YWxpY2U", "YW xpY2U=", "YWxpY2U=\t", "YWxpY2V=", "YWxp!2U=", "=", "*\r"}) {
    INFO(bad);
    CHECK(sasl::read_response(bad).state == status::malformed);
  }
  std::string text;
  CHECK(sasl::read_challenge("UGFzc3dvcmQ6", text));
  CHECK(text == "Password:");
  CHECK_FALSE(sasl::read_challenge("UGFzc3dvcmQ6 ", text));
}
