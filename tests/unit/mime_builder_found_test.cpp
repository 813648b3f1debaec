// mime::builder: what mailwire-compose and the readers that are not ours
// (tests/examples/compose_test.py, tests/interop/compose_readers.py) found.
// Each case failed before its fix in builder.hpp.
#include <mailwire/mime/builder.hpp>
#include <mailwire/mime/tree.hpp>

#include <string>
#include <vector>

#include "catch.hpp"

namespace mime = mailwire::mime;
using mailwire::errc;

namespace {

std::string drain(mime::builder& b) {
  std::string s(b.pending_output());
  b.consume_output(s.size());
  return s;
}

// The header lines of `m` (up to the first empty line).
std::vector<std::string> header_lines(const std::string& m) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < m.size();) {
    const std::size_t end = m.find("\r\n", at);
    if (end == std::string::npos || end == at) break;
    out.push_back(m.substr(at, end - at));
    at = end + 2;
  }
  return out;
}

}  // namespace

// An address field broke only after commas and between encoded-words, so
// "=?...?= <address>" or a display name of many atoms ran past 78 columns
// although the space before '<' (or between atoms) is folding whitespace
// (RFC 5322 3.4: CFWS around the angle-addr and between a phrase's words).
TEST_CASE("mime builder found: address fields fold at 78 before the angle-addr and between atoms",
          "[mime][builder]") {
  const std::vector<mime::mailbox> names = {
      {"\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\x87\xA8\xF0\x9F\x87\xAD a-b_c ?= 2025 x", "to0@example.net"},
      {"Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy", "long@example.org"},
      {"", "plain@example.org"}};
  for (const auto& m : names) {
    mime::builder b;
    REQUIRE(b.address_field("To", {m}) == errc::ok);
    REQUIRE(b.part({}, "x") == errc::ok);
    const std::string out = drain(b);
    INFO(out);
    for (const std::string& line : header_lines(out)) CHECK(line.size() <= 78);
    const mime::tree t = mime::parse_tree(out);
    const auto to = mime::parse_address_list(t.root().find("To")->value);
    REQUIRE(to.size() == 1);
    CHECK(to[0].name == m.name);
    CHECK(to[0].address == m.address);
  }
}

// Streamed text went through quoted-printable without the line-end
// normalisation part() and base64 apply, so a bare CR stayed a bare CR
// (=0D) there and became CRLF everywhere else: the same text decoded
// differently with and without --7bit, given whole or in pieces.
TEST_CASE("mime builder found: streamed quoted-printable text has CRLF line ends", "[mime][builder]") {
  for (const char* piece_end : {"", "\r"}) {
    mime::builder b;
    // In a multipart, so that the line break before the close delimiter
    // is not content (a message's last line always ends).
    REQUIRE(b.begin_multipart("mixed", "0123456789abcdef") == errc::ok);
    mime::part_header h;
    h.type = "text/plain";
    REQUIRE(b.begin_part(h) == errc::ok);
    REQUIRE(b.write("one\ntwo\r\nthree\rfour") == errc::ok);
    REQUIRE(b.write(piece_end) == errc::ok);
    REQUIRE(b.end() == errc::ok);
    REQUIRE(b.end() == errc::ok);
    const std::string out = drain(b);
    INFO(out);
    const mime::tree t = mime::parse_tree(out);
    REQUIRE(t.root().children.size() == 1);
    CHECK(t.decoded_body(t.nodes[t.root().children[0]]) ==
          std::string("one\r\ntwo\r\nthree\r\nfour") + (*piece_end ? "\r\n" : ""));
  }
}

// GMime 3 decodes adjacent B encoded-words of one charset as one base64
// stream, so everything after a word ending in '=' padding was lost
// (Subjects and display names cut short in tests/interop/compose_readers.py).
// RFC 2047 lets each word decode alone, but nothing is lost by writing
// every B word but the last without padding (a multiple of 3 bytes), or as
// Q where no character boundary allows that.
TEST_CASE("mime builder found: no padded B encoded-word is followed by another", "[mime][builder]") {
  const std::vector<std::string> texts = {
      // "a" then 3-byte characters: every character boundary is 1 mod 3.
      "a\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
      "\xE2\x80\xAE" "evil\xE2\x80\xAC \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xF0\x9F\x87\xA8\xF0\x9F\x87\xAD"
      "\xCE\x95\xCE\xBB\xCE\xBB\xCE\xB7\xCE\xBD\xCE\xB9\xCE\xBA\xCE\xAC",
      "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
      "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"};
  for (const std::string& text : texts) {
    for (const bool phrase : {false, true}) {
      mime::builder b;
      if (phrase) {
        REQUIRE(b.address_field("From", {{text, "a@example.org"}}) == errc::ok);
      } else {
        REQUIRE(b.field("Subject", text) == errc::ok);
      }
      REQUIRE(b.part({}, "x") == errc::ok);
      const std::string out = drain(b);
      INFO(out);
      const std::string value = out.substr(0, out.find("\r\n\r\n"));
      std::size_t words = 0;
      for (std::size_t at = value.find("=?UTF-8?"); at != std::string::npos; at = value.find("=?UTF-8?", at + 1)) {
        const std::size_t end = value.find("?=", at + 10);
        const std::size_t next = value.find("=?UTF-8?", end);
        ++words;
        if (value[at + 8] == 'B' && next != std::string::npos && value.compare(next + 8, 1, "B") == 0) {
          CHECK(value[end - 1] != '=');
        }
      }
      CHECK(words > 1);
      const mime::tree t = mime::parse_tree(out);
      if (phrase) {
        CHECK(mime::parse_address_list(t.root().find("From")->value)[0].name == text);
      } else {
        CHECK(mime::decode_unstructured(t.root().find("Subject")->value) == text);
      }
    }
  }
}

// "filename=*.zip" is a valid token, but Python's email package reads an
// unquoted value only up to a '*' ('*' marks RFC 2231 sections in a
// parameter's name): get_filename() gave None for "*.zip" and "a" for
// "a*.zip". Quoting such a value costs nothing.
TEST_CASE("mime builder found: parameter values with '*' are quoted", "[mime][builder]") {
  for (const std::string name : {"*.zip", "a*.zip", "*"}) {
    mime::builder b;
    mime::part_header h;
    h.type = "application/zip";
    h.filename = name;
    REQUIRE(b.part(h, "PK") == errc::ok);
    const std::string out = drain(b);
    INFO(out);
    CHECK(out.find("filename=\"" + name + "\"") != std::string::npos);
    CHECK(out.find("name=\"" + name + "\"") != std::string::npos);
    CHECK(mime::parse_tree(out).root().filename() == name);
  }
}

// parse_address_list() keeps a quoted local part's quotes in
// mailbox::address ("\"john doe\"@example.org", an addr-spec as written),
// and address_field() quoted it again: To: "\"john doe\""@example.org.
// (mailwire-compose --to '"john doe"@example.org'.)
TEST_CASE("mime builder found: a quoted local part from the parser is written once quoted", "[mime][builder]") {
  for (const std::string text : {"\"john doe\"@example.org", "Name <\"a\\\"b\"@example.org>", "\"x\"@example.org"}) {
    const std::vector<mime::mailbox> in = mime::parse_address_list(text);
    REQUIRE(in.size() == 1);
    mime::builder b;
    REQUIRE(b.address_field("To", in) == errc::ok);
    REQUIRE(b.part({}, "x") == errc::ok);
    const std::string out = drain(b);
    INFO(out);
    const auto escapes = [](const std::string& s) {
      std::size_t n = 0;
      for (std::size_t at = s.find("\\\""); at != std::string::npos; at = s.find("\\\"", at + 2)) ++n;
      return n;
    };
    CHECK(escapes(out) == escapes(text));  // no quoted-pair added
    const auto back = mime::parse_address_list(mime::parse_tree(out).root().find("To")->value);
    REQUIRE(back.size() == 1);
    CHECK(back[0].address == in[0].address);
    CHECK(back[0].name == in[0].name);
  }
  // An unquoted local part that needs quotes still gets them.
  mime::builder b;
  REQUIRE(b.address_field("To", {{"", "john doe@example.org"}}) == errc::ok);
  CHECK(drain(b) == "To: \"john doe\"@example.org\r\n");
}
