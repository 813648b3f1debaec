// imap/mailbox.hpp: modified UTF-7 both ways (RFC 3501 5.1.3), strict as
// Dovecot's imap-utf7.c; the INBOX rules; the file-mapping name check.
#include <mailwire/imap/mailbox.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "catch.hpp"

using mailwire::errc;
using namespace mailwire::imap;

namespace {

std::string decoded(std::string_view wire, errc expect = errc::ok) {
  std::string out;
  CHECK(decode_mailbox_utf7(wire, out) == expect);
  return out;
}

std::string encoded(std::string_view utf8) {
  std::string out;
  CHECK(encode_mailbox_utf7(utf8, out) == errc::ok);
  return out;
}

// A random code point: printable ASCII (with '&' and '-' often), C0 and
// DEL, Latin-1, the rest of the BMP without surrogates, or beyond.
char32_t random_code_point(std::mt19937& rng) {
  std::uniform_int_distribution<int> pick(0, 10);
  const int k = pick(rng);
  const auto in = [&](std::uint32_t lo, std::uint32_t hi) {
    return static_cast<char32_t>(std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng));
  };
  if (k <= 2) return in(0x20, 0x7E);
  if (k == 3) return U'&';
  if (k == 4) return U'-';
  if (k == 5) return in(1, 0x1F);
  if (k == 6) return in(0x7F, 0xFF);
  if (k <= 8) {
    const char32_t c = in(0x100, 0xFFFF - 0x800);
    return c >= 0xD800 ? c + 0x800 : c;  // skip the surrogates
  }
  return in(0x10000, 0x10FFFF);
}

}  // namespace

TEST_CASE("mailbox utf7: RFC 3501 5.1.3 example", "[imap][mailbox]") {
  const std::string utf8 = "~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";  // 台北, 日本語
  CHECK(decoded("~peter/mail/&U,BTFw-/&ZeVnLIqe-") == utf8);
  CHECK(encoded(utf8) == "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
}

TEST_CASE("mailbox utf7: plain names, & and -", "[imap][mailbox]") {
  CHECK(decoded("") == "");
  CHECK(decoded("INBOX") == "INBOX");
  CHECK(decoded("&-") == "&");
  CHECK(decoded("&-&-") == "&&");
  CHECK(decoded("a&-b") == "a&b");
  CHECK(decoded("-") == "-");
  CHECK(decoded("Tom & Jerry", errc::imap_bad_mailbox).empty());  // "& " starts a shift
  CHECK(encoded("Tom & Jerry") == "Tom &- Jerry");
  CHECK(encoded("") == "");
  CHECK(encoded("a-b ~") == "a-b ~");
  // A '-' right after a shift is a plain '-'.
  CHECK(decoded("&ZeVnLA--") == "\xE6\x97\xA5\xE6\x9C\xAC-");
  CHECK(encoded("\xE6\x97\xA5\xE6\x9C\xAC-") == "&ZeVnLA--");
}

TEST_CASE("mailbox utf7: shortest form, one shift per run", "[imap][mailbox]") {
  CHECK(encoded("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E") == "&ZeVnLIqe-");   // one run of three
  CHECK(encoded("\xE6\x97\xA5 \xE8\xAA\x9E") == "&ZeU- &ip4-");            // broken by a space
  CHECK(encoded("\xE6\x97\xA5\xE6\x9C\xAC&\xE8\xAA\x9E") == "&ZeVnLA-&-&ip4-");  // '&' is printable
  CHECK(decoded("&ZeVnLA-&-&ip4-") == "\xE6\x97\xA5\xE6\x9C\xAC&\xE8\xAA\x9E");
  CHECK(encoded("\x7F") == "&AH8-");  // DEL and C0 are not printable: shifted
  CHECK(encoded("a\x1F") == "a&AB8-");
  CHECK(decoded("&AH8-") == "\x7F");
  CHECK(encoded("\xC3\xA9\xC3\xA9") == "&AOkA6Q-");
}

TEST_CASE("mailbox utf7: emoji are surrogate pairs", "[imap][mailbox]") {
  CHECK(encoded("\xF0\x9F\x98\x80") == "&2D3eAA-");  // U+1F600
  CHECK(decoded("&2D3eAA-") == "\xF0\x9F\x98\x80");
  CHECK(encoded("\xF4\x8F\xBF\xBF") == "&2,,f,w-");  // U+10FFFF
  CHECK(decoded("&2,,f,w-") == "\xF4\x8F\xBF\xBF");
  CHECK(decoded("x&2D3eAA-y") == "x\xF0\x9F\x98\x80y");
}

TEST_CASE("mailbox utf7: every strictness rule", "[imap][mailbox]") {
  const char* bad[] = {
      "&",            // unterminated
      "a&",           //
      "&U,BTFw",      // unterminated shift
      "&AGE-",        // 'a' encoded
      "&ACY-",        // '&' encoded
      "&ACA-",        // space encoded
      "&AH4-",        // '~' encoded
      "&AAA-",        // U+0000
      "&U,BTFx-",     // non-zero padding bits (4 left over)
      "&AOl-",        // non-zero padding bits (2 left over)
      "&A-",          // a superfluous character, no byte
      "&AA-",         // one byte: odd
      "&AAAA-",       // three bytes: odd
      "&AOkA6QA-",    // a superfluous character after two units
      "&2D0-",        // high surrogate alone
      "&3gA-",        // low surrogate alone
      "&3gDYPQ-",     // low then high
      "&2D0A6Q-",     // high then a non-surrogate
      "&2D3YPd4A-",   // high, high, low
      "&2D0-&3gA-",   // a pair split across two shifts
      "&ZeVnLA-&ip4-",  // two adjacent shifts (RFC 3501: one shift per run)
      "&U/BTFw-",     // '/' is not modified base64
      "&U=-",         // no '=' padding
      "&U BTFw-",     // a space inside a shift
      "caf\xC3\xA9",  // raw 8-bit
      "\x01",         // raw control
      "a\tb",         //
      "\x7F",         // raw DEL
      "a\x80",        //
  };
  for (const char* w : bad) {
    INFO(w);
    std::string out = "kept";
    CHECK(decode_mailbox_utf7(w, out) == errc::imap_bad_mailbox);
    CHECK(out == "kept");  // nothing appended on failure
  }
  // NUL inside the name, raw.
  std::string out = "kept";
  CHECK(decode_mailbox_utf7(std::string_view("a\0b", 3), out) == errc::imap_bad_mailbox);
  CHECK(out == "kept");
  // Appends on success.
  CHECK(decode_mailbox_utf7("&U,BTFw-", out) == errc::ok);
  CHECK(out == "kept\xE5\x8F\xB0\xE5\x8C\x97");
}

TEST_CASE("mailbox utf7: encoder refuses what no name can hold", "[imap][mailbox]") {
  for (const char* bad : {"\xFF", "a\xC0\xAF", "\xED\xA0\x80", "\xE6\x97", "\xF4\x90\x80\x80"}) {
    INFO(bad);
    std::string out = "kept";
    CHECK(encode_mailbox_utf7(bad, out) == errc::invalid_utf8);
    CHECK(out == "kept");
  }
  std::string out = "kept";
  CHECK(encode_mailbox_utf7(std::string_view("a\0", 2), out) == errc::imap_bad_mailbox);
  CHECK(out == "kept");
  CHECK(encode_mailbox_utf7("\xC3\xA9", out) == errc::ok);  // appends
  CHECK(out == "kept&AOk-");
}

TEST_CASE("mailbox utf7: encode then decode is the identity (random names)", "[imap][mailbox]") {
  std::mt19937 rng(3501);
  for (int n = 0; n < 20000; ++n) {
    std::string name;
    const int len = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int i = 0; i < len; ++i) mailwire::utf8::append(random_code_point(rng), name);
    std::string wire;
    REQUIRE(encode_mailbox_utf7(name, wire) == errc::ok);
    for (const char c : wire) REQUIRE((c >= 0x20 && c <= 0x7E));
    std::string back;
    INFO(wire);
    REQUIRE(decode_mailbox_utf7(wire, back) == errc::ok);
    REQUIRE(back == name);
  }
}

TEST_CASE("mailbox utf7: every wire form the decoder accepts is the encoder's", "[imap][mailbox]") {
  // Random strings over the bytes that matter: whatever decodes must
  // encode back to the same bytes (one wire form per name).
  static constexpr char alphabet[] = "&-A,+a0Q/ZeVnLIqe2D3x";
  std::mt19937 rng(9051);
  int accepted = 0;
  for (int n = 0; n < 200000; ++n) {
    std::string wire;
    const int len = std::uniform_int_distribution<int>(1, 10)(rng);
    for (int i = 0; i < len; ++i) wire.push_back(alphabet[std::uniform_int_distribution<int>(0, 20)(rng)]);
    std::string name;
    if (decode_mailbox_utf7(wire, name) != errc::ok) continue;
    ++accepted;
    std::string again;
    INFO(wire);
    REQUIRE(encode_mailbox_utf7(name, again) == errc::ok);
    REQUIRE(again == wire);
  }
  CHECK(accepted > 1000);  // the property was exercised, shifts included
}

TEST_CASE("mailbox: INBOX is the one case-insensitive name", "[imap][mailbox]") {
  CHECK(is_inbox("INBOX"));
  CHECK(is_inbox("inbox"));
  CHECK(is_inbox("InBoX"));
  CHECK_FALSE(is_inbox("INBOX/sub"));
  CHECK_FALSE(is_inbox("INBOX "));
  CHECK_FALSE(is_inbox("INBO"));
  CHECK_FALSE(is_inbox(""));
  CHECK(canonical_mailbox("iNbOx") == "INBOX");
  CHECK(canonical_mailbox("Sent") == "Sent");
  CHECK(canonical_mailbox("inbox/Sub") == "inbox/Sub");
  CHECK(mailbox_equal("inbox", "INBOX"));
  CHECK(mailbox_equal("Sent", "Sent"));
  CHECK_FALSE(mailbox_equal("Sent", "sent"));
  CHECK_FALSE(mailbox_equal("inbox/a", "INBOX/a"));
}

TEST_CASE("mailbox: names a file-backed server may map", "[imap][mailbox]") {
  CHECK(check_mailbox_name("INBOX", '/') == errc::ok);
  CHECK(check_mailbox_name("a/b/c", '/') == errc::ok);
  CHECK(check_mailbox_name("a.b.c", '.') == errc::ok);
  CHECK(check_mailbox_name("...x", '/') == errc::ok);  // not "." nor ".."
  CHECK(check_mailbox_name("a..b", '/') == errc::ok);
  CHECK(check_mailbox_name("~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97", '/') == errc::ok);
  CHECK(check_mailbox_name("a.b", '\0') == errc::ok);  // no hierarchy: one component
  CHECK(check_mailbox_name("\xF0\x9F\x98\x80", '/') == errc::ok);
  CHECK(check_mailbox_name("a\xC2\xA0" "b", '/') == errc::ok);  // U+00A0 is not a control
  const struct {
    const char* name;
    char delimiter;
  } bad[] = {
      {"", '/'},       {"/", '/'},        {"/a", '/'},       {"a/", '/'},     {"a//b", '/'},
      {".", '/'},      {"..", '/'},       {"./a", '/'},      {"a/..", '/'},   {"a/./b", '/'},
      {"a/../b", '/'}, {"..", '\0'},      {".", '.'},        {"a..b", '.'},   {".a", '.'},
      {"a/b", '.'},    {"a/b", '\0'},     {"a\x01" "b", '/'}, {"a\x7F", '/'}, {"a\tb", '/'},
      {"a\rb", '/'},   {"\xC2\x85", '/'}, {"\xC2\x9F", '/'}, {"\xFF", '/'},   {"\xE6\x97", '/'},
  };
  for (const auto& b : bad) {
    INFO(b.name);
    CHECK(check_mailbox_name(b.name, b.delimiter) == errc::imap_bad_mailbox);
  }
  CHECK(check_mailbox_name(std::string_view("a\0b", 3), '/') == errc::imap_bad_mailbox);
  CHECK(check_mailbox_name("a", '\x01') == errc::invalid_argument);
  CHECK(check_mailbox_name("a", ' ') == errc::invalid_argument);
  CHECK(check_mailbox_name("a", '\xE6') == errc::invalid_argument);
  // The length limit, just under and just over.
  CHECK(check_mailbox_name(std::string(max_mailbox_name, 'a'), '/') == errc::ok);
  CHECK(check_mailbox_name(std::string(max_mailbox_name + 1, 'a'), '/') == errc::imap_bad_mailbox);
}
