// imap/sequence_set.hpp: sequence sets as written ranges (RFC 9051 9),
// "*" and "$" (RFC 5182), never expanded.
#include <mailwire/imap/sequence_set.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"

using mailwire::errc;
using mailwire::imap::parse_sequence_set;
using mailwire::imap::seq_range;
using mailwire::imap::seq_star;
using mailwire::imap::sequence_set;

namespace {

std::vector<seq_range> ranges_of(std::string_view token) {
  sequence_set s;
  CHECK(parse_sequence_set(token, s) == errc::ok);
  CHECK_FALSE(s.is_saved_result());
  return s.ranges();
}

std::string written(const sequence_set& s) {
  std::string out;
  write(out, s);
  return out;
}

}  // namespace

TEST_CASE("sequence set: the grammar's forms", "[imap][sequence_set]") {
  using v = std::vector<seq_range>;
  CHECK(ranges_of("1") == v{{1, 1}});
  CHECK(ranges_of("4294967295") == v{{4294967295u, 4294967295u}});
  CHECK(ranges_of("1:4") == v{{1, 4}});
  CHECK(ranges_of("5:2") == v{{5, 2}});  // either order, kept as written
  CHECK(ranges_of("*") == v{{seq_star, seq_star}});
  CHECK(ranges_of("*:*") == v{{seq_star, seq_star}});
  CHECK(ranges_of("1:*") == v{{1, seq_star}});
  CHECK(ranges_of("*:3") == v{{seq_star, 3}});
  CHECK(ranges_of("2,4:7,9,12:*") == v{{2, 2}, {4, 7}, {9, 9}, {12, seq_star}});
  CHECK(ranges_of("3,3,1:2,2:1") == v{{3, 3}, {3, 3}, {1, 2}, {2, 1}});  // duplicates kept
  CHECK(ranges_of("1:4294967295") == v{{1, 4294967295u}});               // one range, not 4 billion
}

TEST_CASE("sequence set: $ alone", "[imap][sequence_set]") {
  sequence_set s(7);
  REQUIRE(parse_sequence_set("$", s) == errc::ok);
  CHECK(s.is_saved_result());
  CHECK(s.ranges().empty());
  CHECK_FALSE(s.empty());
  CHECK_FALSE(s.contains(1, 10));  // the session substitutes the saved result
  CHECK(written(s) == "$");
  CHECK(s == sequence_set::saved_result());
  CHECK(s.add(seq_range{1, 1}) == errc::invalid_state);
  CHECK(s.ranges().empty());
}

TEST_CASE("sequence set: malformed tokens", "[imap][sequence_set]") {
  for (const char* bad : {"", "0", "0:1", "1:0", "01", "1:02", "00", "4294967296", "99999999999", "1,", ",1",
                          "1,,2", ",", ":", "1:", ":1", "1:2:3", "1::2", "$,1", "1,$", "$:1", "$$", " 1", "1 ",
                          "1, 2", "a", "-1", "+1", "1-3", "**", "*1", "1*", "1.2", "\xEF\xBC\x91" /* fullwidth 1 */}) {
    INFO(bad);
    sequence_set s(42);
    CHECK(parse_sequence_set(bad, s) == errc::syntax_error);
    CHECK(s == sequence_set(42));  // unchanged
  }
}

TEST_CASE("sequence set: clear() and parsing again keep the capacity", "[imap][sequence_set]") {
  sequence_set s;
  REQUIRE(parse_sequence_set("1,2,3,4,5,6,7,8:9", s) == errc::ok);
  const seq_range* ranges = s.ranges().data();
  const std::size_t capacity = s.ranges().capacity();
  s.clear();
  CHECK(s.empty());
  CHECK_FALSE(s.is_saved_result());
  CHECK(s.ranges().capacity() == capacity);
  // Parsed into in place: no new buffer while the ranges fit.
  REQUIRE(parse_sequence_set("4:*,2", s) == errc::ok);
  CHECK(s.ranges() == std::vector<seq_range>{{4, seq_star}, {2, 2}});
  CHECK(s.ranges().data() == ranges);
  // A malformed token leaves the set as it was, also when its start is good.
  CHECK(parse_sequence_set("7,8,9,", s) == errc::syntax_error);
  CHECK(written(s) == "4:*,2");
  CHECK(s.ranges().data() == ranges);
  // clear() also forgets "$".
  s = sequence_set::saved_result();
  s.clear();
  CHECK(s.empty());
  CHECK(s.add(seq_range{1, 1}) == errc::ok);
}

TEST_CASE("sequence set: numbers just under and over 32 bits", "[imap][sequence_set]") {
  sequence_set s;
  CHECK(parse_sequence_set("4294967295:1", s) == errc::ok);
  CHECK(parse_sequence_set("4294967296:1", s) == errc::syntax_error);
  CHECK(parse_sequence_set("1:4294967296", s) == errc::syntax_error);
  CHECK(parse_sequence_set("18446744073709551617", s) == errc::syntax_error);  // past uint64
}

TEST_CASE("sequence set: 1:4294967295 100000 times costs one range each", "[imap][sequence_set]") {
  constexpr int count = 100000;
  std::string token;
  for (int i = 0; i < count; ++i) {
    if (i != 0) token.push_back(',');
    token.append("1:4294967295");
  }
  sequence_set s;
  REQUIRE(parse_sequence_set(token, s) == errc::ok);
  REQUIRE(s.ranges().size() == static_cast<std::size_t>(count));
  CHECK(s.ranges().back() == seq_range{1, 4294967295u});
  CHECK(written(s) == token);
  // The bound the header documents: at most (length + 1) / 2 ranges.
  std::string ones = "1";
  for (int i = 0; i < count; ++i) ones.append(",1");
  REQUIRE(parse_sequence_set(ones, s) == errc::ok);
  CHECK(s.ranges().size() == (ones.size() + 1) / 2);
}

TEST_CASE("sequence set: contains, * as the largest number in use", "[imap][sequence_set]") {
  sequence_set s;
  REQUIRE(parse_sequence_set("2,4:7,9,12:*", s) == errc::ok);
  const bool expected[] = {false, false, true, false, true, true, true, true, false, true, false, false, true, true,
                           true, true, false};
  for (std::uint32_t n = 0; n <= 16; ++n) {
    INFO(n);
    CHECK(s.contains(n, 15) == expected[n]);
  }
  REQUIRE(parse_sequence_set("559:*", s) == errc::ok);  // RFC 9051 6.4.9: * is in the range
  CHECK(s.contains(500, 500));
  CHECK(s.contains(559, 500));
  CHECK(s.contains(530, 500));
  CHECK_FALSE(s.contains(499, 500));
  CHECK_FALSE(s.contains(560, 500));
  REQUIRE(parse_sequence_set("5:2", s) == errc::ok);
  CHECK_FALSE(s.contains(1, 10));
  CHECK(s.contains(2, 10));
  CHECK(s.contains(5, 10));
  CHECK_FALSE(s.contains(6, 10));
  REQUIRE(parse_sequence_set("*", s) == errc::ok);
  CHECK(s.contains(10, 10));
  CHECK_FALSE(s.contains(9, 10));
  REQUIRE(parse_sequence_set("1:4294967295", s) == errc::ok);
  CHECK(s.contains(4294967295u, 3));
  CHECK_FALSE(s.contains(0, 3));
}

TEST_CASE("sequence set: constructors and writing", "[imap][sequence_set]") {
  CHECK(written(sequence_set(5)) == "5");
  CHECK(written(sequence_set(seq_star)) == "*");
  CHECK(written(sequence_set(seq_range{5, 5})) == "5");  // n:n is written n
  CHECK(written(sequence_set(seq_range{9, 3})) == "9:3");
  CHECK(written(sequence_set(seq_range{1, seq_star})) == "1:*");
  sequence_set s;
  CHECK(s.empty());
  CHECK(written(s).empty());
  CHECK(s.add(seq_range{1, 3}) == errc::ok);
  CHECK(s.add(seq_range{seq_star, 7}) == errc::ok);
  CHECK(written(s) == "1:3,*:7");
  CHECK_FALSE(s.empty());
}

TEST_CASE("sequence set: parse(write(x)) == x (random sets)", "[imap][sequence_set]") {
  std::mt19937 rng(5182);
  const auto number = [&]() -> std::uint32_t {
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0: return seq_star;
      case 1: return 4294967295u;
      case 2: return std::uniform_int_distribution<std::uint32_t>(1, 20)(rng);
      default: return std::uniform_int_distribution<std::uint32_t>(1, 4294967295u)(rng);
    }
  };
  for (int n = 0; n < 5000; ++n) {
    sequence_set s;
    const int count = std::uniform_int_distribution<int>(1, 8)(rng);
    for (int i = 0; i < count; ++i) {
      const std::uint32_t a = number();
      REQUIRE(s.add(seq_range{a, std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? a : number()}) == errc::ok);
    }
    const std::string w = written(s);
    INFO(w);
    sequence_set back;
    REQUIRE(parse_sequence_set(w, back) == errc::ok);
    REQUIRE(back == s);
    REQUIRE(written(back) == w);
  }
}
