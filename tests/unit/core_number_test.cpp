// parse_number: the one reader of decimal numbers from the wire. Digits
// only, at most max_digits of them, the value checked against uint64, and
// overflow told apart from bad syntax.
#include <mailwire/core/number.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "catch.hpp"

using mailwire::parse_number;

TEST_CASE("parse_number: digits only, all of them") {
  std::uint64_t v = 7;
  CHECK(parse_number("0", 1, v));
  CHECK(v == 0);
  CHECK(parse_number("42", 20, v));
  CHECK(v == 42);
  CHECK(parse_number("007", 3, v));  // leading zeros are digits
  CHECK(v == 7);
  v = 99;
  for (const char* bad : {"", "+1", "-1", " 1", "1 ", "1x", "x1", "0x10", "1.0", "\xD9\xA1" /* Arabic-Indic 1 */}) {
    INFO(bad);
    CHECK_FALSE(parse_number(bad, 20, v));
    CHECK(v == 99);  // unchanged on failure
  }
  CHECK_FALSE(parse_number(std::string_view("1\0", 2), 20, v));
}

TEST_CASE("parse_number: max_digits just under and just over") {
  std::uint64_t v = 0;
  CHECK(parse_number("999", 3, v));
  CHECK(v == 999);
  bool overflow = false;
  CHECK_FALSE(parse_number("1000", 3, v, &overflow));
  CHECK_FALSE(overflow);  // too long is syntax, not overflow
  CHECK_FALSE(parse_number("0001", 3, v));  // leading zeros count
  CHECK(parse_number("123456789", 9, v));
  CHECK_FALSE(parse_number("1234567890", 9, v));
}

TEST_CASE("parse_number: uint64 just under and just over, overflow reported") {
  std::uint64_t v = 0;
  bool overflow = false;
  REQUIRE(parse_number("18446744073709551615", 20, v, &overflow));
  CHECK(v == UINT64_MAX);
  CHECK_FALSE(overflow);
  v = 5;
  CHECK_FALSE(parse_number("18446744073709551616", 20, v, &overflow));
  CHECK(overflow);
  CHECK(v == 5);
  overflow = false;
  CHECK_FALSE(parse_number("99999999999999999999", 20, v, &overflow));
  CHECK(overflow);
  // An overflow with a non-digit after it is bad syntax, not overflow.
  overflow = false;
  CHECK_FALSE(parse_number("99999999999999999999x", 30, v, &overflow));
  CHECK_FALSE(overflow);
  // Without the flag pointer an overflow is just false.
  CHECK_FALSE(parse_number("184467440737095516160", 30, v));
  // Leading zeros do not overflow.
  CHECK(parse_number("00000000000000000000018446744073709551615", 50, v));
  CHECK(v == UINT64_MAX);
}

TEST_CASE("parse_number: every value of 1-4 digits reads back") {
  for (std::uint64_t n = 0; n < 10000; ++n) {
    std::uint64_t v = 0;
    const std::string s = std::to_string(n);
    REQUIRE(parse_number(s, 4, v));
    REQUIRE(v == n);
  }
  STATIC_REQUIRE([] {
    std::uint64_t v = 0;
    return parse_number("255", 3, v) && v == 255;
  }());
}
