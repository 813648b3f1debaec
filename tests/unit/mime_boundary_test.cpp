// Multipart boundaries (mime/boundary.hpp): which lines are delimiter and
// close lines, when more input is needed to tell, the padding limit just
// under and just over, the RFC 2046 grammar a writer checks its boundary
// against, and the looser prefix test a writer runs over its bodies.
#include <mailwire/mime/boundary.hpp>

#include <string>
#include <string_view>

#include "catch.hpp"

namespace {

namespace mime = mailwire::mime;
using mime::boundary_status;

struct line_case {
  std::string_view text;
  bool at_end;
  boundary_status status;
  std::size_t length;
};

TEST_CASE("match_boundary_line: delimiter and close lines", "[mime][boundary]") {
  const line_case cases[] = {
      {"--ab\r\nrest", false, boundary_status::delimiter, 6},
      {"--ab\nrest", false, boundary_status::delimiter, 5},
      {"--ab--\r\nepilogue", false, boundary_status::close, 8},
      {"--ab--\n", false, boundary_status::close, 7},
      // transport-padding after the boundary and after the close "--"
      {"--ab \t \r\nx", false, boundary_status::delimiter, 9},
      {"--ab-- \r\nx", false, boundary_status::close, 9},
      // the end of input ends the line
      {"--ab", true, boundary_status::delimiter, 4},
      {"--ab--", true, boundary_status::close, 6},
      {"--ab--  ", true, boundary_status::close, 8},
      {"--ab\r", true, boundary_status::delimiter, 5},
      // lines that only start with the boundary are text
      {"--abc\r\n", false, boundary_status::no, 0},
      {"--ab-x\r\n", false, boundary_status::no, 0},
      {"--ab---\r\n", false, boundary_status::no, 0},
      {"--ab x\r\n", false, boundary_status::no, 0},
      {"--ab\rx", false, boundary_status::no, 0},  // a bare CR is no line break
      {"-- ab\r\n", false, boundary_status::no, 0},
      {"-ab\r\n", false, boundary_status::no, 0},
      {"x--ab\r\n", false, boundary_status::no, 0},
      {"--aB\r\n", false, boundary_status::no, 0},  // case counts
      {"--a", true, boundary_status::no, 0},
      {"-", true, boundary_status::no, 0},
      {"", true, boundary_status::no, 0},
      // too short to tell, more input may follow
      {"", false, boundary_status::more, 0},
      {"-", false, boundary_status::more, 0},
      {"--", false, boundary_status::more, 0},
      {"--a", false, boundary_status::more, 0},
      {"--ab", false, boundary_status::more, 0},
      {"--ab-", false, boundary_status::more, 0},
      {"--ab--", false, boundary_status::more, 0},
      {"--ab  ", false, boundary_status::more, 0},
      {"--ab\r", false, boundary_status::more, 0},
      // decided early whatever follows
      {"x", false, boundary_status::no, 0},
      {"--x", false, boundary_status::no, 0},
      {"--ab-x", false, boundary_status::no, 0},
  };
  for (const line_case& c : cases) {
    INFO(std::string(c.text) << (c.at_end ? " (at end)" : ""));
    const mime::boundary_match m = mime::match_boundary_line(c.text, "ab", c.at_end);
    CHECK(m.status == c.status);
    CHECK(m.length == c.length);
  }
}

TEST_CASE("match_boundary_line: padding up to max_boundary_padding", "[mime][boundary]") {
  const std::size_t n = mime::max_boundary_padding;
  const std::string under = "--b" + std::string(n, ' ') + "\r\n";
  const std::string over = "--b" + std::string(n + 1, ' ') + "\r\n";
  CHECK(mime::match_boundary_line(under, "b", false).status == boundary_status::delimiter);
  CHECK(mime::match_boundary_line(under, "b", false).length == under.size());
  CHECK(mime::match_boundary_line(over, "b", false).status == boundary_status::no);
  // Past the limit the answer is known without waiting for the line's end.
  CHECK(mime::match_boundary_line("--b" + std::string(n + 1, '\t'), "b", false).status == boundary_status::no);
  CHECK(mime::match_boundary_line("--b" + std::string(n, '\t'), "b", false).status == boundary_status::more);
}

TEST_CASE("is_valid_boundary: the RFC 2046 grammar", "[mime][boundary]") {
  CHECK(mime::is_valid_boundary("b"));
  CHECK(mime::is_valid_boundary("----=_Part_12_3456.789"));
  CHECK(mime::is_valid_boundary("'()+_,-./:=? aZ09"));
  CHECK(mime::is_valid_boundary("a b"));
  CHECK(mime::is_valid_boundary(std::string(70, 'x')));
  CHECK_FALSE(mime::is_valid_boundary(std::string(71, 'x')));
  CHECK_FALSE(mime::is_valid_boundary(""));
  CHECK_FALSE(mime::is_valid_boundary("ab "));  // ends in a space
  CHECK_FALSE(mime::is_valid_boundary(" "));
  for (const char c : std::string_view("\"<>@;[]\\!#$%&*{}|~`^\t\r\n\x7F\x80\xFF")) {
    INFO(static_cast<int>(static_cast<unsigned char>(c)));
    CHECK_FALSE(mime::is_valid_boundary(std::string("a") + c + "b"));
  }
  CHECK_FALSE(mime::is_valid_boundary(std::string("a\0b", 3)));
}

TEST_CASE("find_dash_boundary: any line that starts with --boundary", "[mime][boundary]") {
  constexpr auto npos = std::string_view::npos;
  CHECK(mime::find_dash_boundary("--ab", "ab") == 0);
  CHECK(mime::find_dash_boundary("--abc and more", "ab") == 0);  // a prefix is enough
  CHECK(mime::find_dash_boundary("text\r\n--ab--\r\n", "ab") == 6);
  CHECK(mime::find_dash_boundary("text\n--ab", "ab") == 5);
  CHECK(mime::find_dash_boundary("text\r--ab", "ab") == 5);  // after a bare CR too
  CHECK(mime::find_dash_boundary("x --ab\n-ab\n- -ab\n--a\n---ab", "ab") == npos);
  CHECK(mime::find_dash_boundary("--a", "ab") == npos);  // cut short
  CHECK(mime::find_dash_boundary("", "ab") == npos);
  CHECK(mime::find_dash_boundary("----\n--ab", "ab") == 5);
  // An inner boundary that starts with the outer one is seen in the inner
  // delimiter line: a writer checks its boundaries against each other.
  CHECK(mime::find_dash_boundary("--outer-inner", "outer") == 0);
}

}  // namespace
