#include <mailwire/core/ascii.hpp>

#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

#include "catch.hpp"

namespace ascii = mailwire::ascii;

// Each table class against a definition written differently: from the C
// library (in the "C" locale) or straight from the RFC's character list.
TEST_CASE("character classes match their ABNF definitions for all 256 bytes") {
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    INFO("byte " << i);
    const bool ascii7 = i < 128;
    CHECK(ascii::is_digit(c) == (ascii7 && std::isdigit(i) != 0));
    CHECK(ascii::is_alpha(c) == (ascii7 && std::isalpha(i) != 0));
    CHECK(ascii::is_hexdig(c) == (ascii7 && std::isxdigit(i) != 0));
    CHECK(ascii::is_wsp(c) == (i == ' ' || i == '\t'));
    CHECK(ascii::is_ctl(c) == (ascii7 && std::iscntrl(i) != 0));
    CHECK(ascii::is_vchar(c) == (ascii7 && std::isgraph(i) != 0));
    const bool atext = ascii7 && (std::isalnum(i) != 0 || (i != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", i)));
    CHECK(ascii::is(c, ascii::atext) == atext);
    const bool tspecial = i != 0 && ascii7 && std::strchr("()<>@,;:\\\"/[]?=", i) != nullptr;
    CHECK(ascii::is(c, ascii::tspecial) == tspecial);
    const bool b64 = ascii7 && (std::isalnum(i) != 0 || i == '+' || i == '/');
    CHECK(ascii::is(c, ascii::base64) == b64);
    const bool atom_special = ascii7 && (std::iscntrl(i) != 0 || (i != 0 && std::strchr("(){ %*\"\\]", i)));
    CHECK(ascii::is(c, ascii::atom_special) == atom_special);
    CHECK(ascii::to_lower(c) == (ascii7 ? static_cast<char>(std::tolower(i)) : c));
    CHECK(ascii::to_upper(c) == (ascii7 ? static_cast<char>(std::toupper(i)) : c));
    CHECK(ascii::is_8bit(c) == (i >= 0x80));
    CHECK(ascii::has_8bit(std::string_view(&c, 1)) == (i >= 0x80));
    // free text: not CTL (0x00-0x1F, 0x7F) unless HTAB; 8-bit passes
    CHECK(ascii::is_text(std::string_view(&c, 1)) == (i == '\t' || (i >= 0x20 && i != 0x7F)));
    CHECK(ascii::is_text(std::string("ok ") + c + " ok") == ascii::is_text(std::string_view(&c, 1)));
    CHECK(ascii::hex_value(c) == (ascii::is_hexdig(c) ? static_cast<int>(std::strtol(std::string(1, c).c_str(), nullptr, 16)) : -1));
  }
}

TEST_CASE("iequals folds ASCII case only") {
  STATIC_REQUIRE(ascii::iequals("EHLO", "ehlo"));
  CHECK(ascii::iequals("StartTLS", "STARTTLS"));
  CHECK_FALSE(ascii::iequals("EHLO", "EHL"));
  CHECK_FALSE(ascii::iequals("\xC9", "\xE9"));  // Latin-1 É/é are not ASCII
  CHECK(ascii::all_of("abc123", ascii::alpha | ascii::digit));
  CHECK_FALSE(ascii::all_of("abc 123", ascii::alpha | ascii::digit));
}

TEST_CASE("has_8bit and is_text look at every byte of the text") {
  CHECK_FALSE(ascii::has_8bit(""));
  CHECK_FALSE(ascii::has_8bit("plain ASCII ~\x7F"));
  CHECK(ascii::has_8bit("caf\xC3\xA9"));
  CHECK(ascii::has_8bit("last byte \x80"));
  CHECK(ascii::is_text(""));
  CHECK(ascii::is_text("Ok\tthen, \xC3\xA9t\xC3\xA9"));
  CHECK_FALSE(ascii::is_text("250 ok\r\n"));
  CHECK_FALSE(ascii::is_text(std::string_view("a\0b", 3)));
  CHECK_FALSE(ascii::is_text("trailing DEL\x7F"));
  CHECK_FALSE(ascii::is_text("\x1B[2Jescape"));
}
