// Multipart boundaries (mime/boundary.hpp): which lines are delimiter and
// close lines, when more input is needed to tell, the padding limit just
// under and just over, the RFC 2046 grammar a writer checks its boundary
// against, and the looser prefix test a writer runs over its bodies; the
// parser's candidate scan (detail::find_dash_line) at every kernel level
// against a byte-by-byte reading, on the corpus at every start and on
// random text.
#include <mailwire/core/cpu.hpp>
#include <mailwire/mime/boundary.hpp>

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

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

// The first '-' after a LF at or after `from`, byte by byte.
std::size_t dash_line_by_bytes(std::string_view d, std::size_t from) {
  for (std::size_t i = from == 0 ? 1 : from; i < d.size(); ++i) {
    if (d[i] == '-' && d[i - 1] == '\n') return i;
  }
  return d.size();
}

// Every level this CPU has (and the scalar one) against the byte-by-byte
// answer: from every start in `d` when `every_start`, else from each
// answer on (as the parser walks the candidates) and from the first 130
// starts. The text is copied to a heap block of its exact size, so ASan
// sees a read past it.
void check_dash_lines(std::string_view text, bool every_start = true) {
  using mailwire::detail::scan_level;
  const std::unique_ptr<char[]> copy(new char[text.size() + 1]);
  std::memcpy(copy.get(), text.data(), text.size());
  const std::string_view d(copy.get(), text.size());
  const std::uint32_t have = mailwire::cpu::detected();
  for (const scan_level level : {scan_level::scalar, scan_level::avx2, scan_level::avx512}) {
#if defined(MAILWIRE_SIMD_X86)
    if (level == scan_level::avx2 && (have & mailwire::cpu::avx2) == 0) continue;
    if (level == scan_level::avx512 && (have & mailwire::cpu::avx512) == 0) continue;
#else
    (void)have;
    if (level != scan_level::scalar) continue;
#endif
    std::size_t chain = 0;  // the next start of the walk
    for (std::size_t from = 0; from <= d.size() + 1;) {
      const std::size_t want = dash_line_by_bytes(d, from);
      if (mime::detail::find_dash_line(d, from, level) != want) {
        INFO("level " << static_cast<int>(level) << ", from " << from << " of " << d.size());
        REQUIRE(mime::detail::find_dash_line(d, from, level) == want);
      }
      if (from == chain) chain = want + 1;
      ++from;
      if (!every_start && from > 130 && from < chain) from = chain;
    }
  }
}

TEST_CASE("find_dash_line: every kernel finds the same line starts as byte by byte", "[mime][boundary][simd]") {
  // Around every vector edge: a "\n-" pair at each position of 200 bytes,
  // with '-' and LF alone elsewhere (the halves of a pair in two vectors).
  for (std::size_t at = 0; at + 1 < 200; ++at) {
    std::string t(200, 'A');
    t[at] = '\n';
    t[at + 1] = '-';
    if (at > 3) t[at - 3] = '-';
    if (at + 5 < t.size()) t[at + 5] = '\n';
    check_dash_lines(t);
  }
  std::mt19937 rng(2046);
  for (int i = 0; i < 300; ++i) {
    std::string t(rng() % 300, '\0');
    const char alphabet[] = {'-', '\n', '\r', 'x', '-', '\n'};
    const std::uint32_t dense = static_cast<std::uint32_t>(2 + rng() % 60);  // one special byte in `dense`
    for (char& c : t) c = rng() % dense == 0 ? alphabet[rng() % sizeof alphabet] : 'Q';
    check_dash_lines(t);
  }
  check_dash_lines("");
  check_dash_lines("-");
  check_dash_lines("\n-");
}

TEST_CASE("find_dash_line: the corpus messages, walked as the parser walks them", "[mime][boundary][simd][corpus]") {
  const std::filesystem::path root = std::filesystem::path(MAILWIRE_VECTORS_DIR) / "mime";
  std::vector<std::filesystem::path> all;
  for (const char* dir : {"mime4j/testmsgs", "mime4j/mimetools-testmsgs", "mail-parser/rfc"}) {
    for (const auto& f : std::filesystem::directory_iterator(root / dir)) all.push_back(f.path());
  }
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() > 50);
  for (const auto& p : all) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    INFO(p.string());
    check_dash_lines(s.str(), false);
  }
}

}  // namespace
