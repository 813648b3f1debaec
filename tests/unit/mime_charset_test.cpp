#include <mailwire/mime/charset.hpp>

#include <mailwire/core/ascii.hpp>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"

// glibc's iconv is part of libc; elsewhere (macOS's libiconv) it needs a
// library the tests do not link, so the iconv example is glibc-only.
#if defined(__GLIBC__)
#define MAILWIRE_TEST_ICONV 1
#include <mailwire/mime/iconv_charset.hpp>
#endif

namespace mime = mailwire::mime;
using mailwire::errc;
using mailwire_test::chunks;
using mime::charset;

namespace {

std::string from_hex(std::string_view h) {
  std::string s;
  if (h == "-") return s;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    s += static_cast<char>(mailwire::ascii::hex_value(h[i]) * 16 + mailwire::ascii::hex_value(h[i + 1]));
  }
  return s;
}

std::string to_hex(std::string_view s) {
  static const char digits[] = "0123456789abcdef";
  std::string h;
  for (char c : s) {
    h += digits[static_cast<unsigned char>(c) >> 4];
    h += digits[static_cast<unsigned char>(c) & 15];
  }
  return h.empty() ? "-" : h;
}

// Feeds the chunks to `d` and logs what a parser would see: the output (in
// hex), the malformed count and the first error (a converter's offsets
// depend on the chunking, so they are left out for one). The output must
// be UTF-8 whatever the input.
std::string decode_log(mime::charset_decoder& d, const chunks& ch) {
  std::string out;
  for (std::string_view c : ch) d.decode(c, out);
  d.finish(out);
  REQUIRE(mailwire::utf8::valid(out));
  const mime::diagnostic e = d.first_error();
  std::string log = to_hex(out) + " " + std::to_string(d.malformed()) + " " + std::string(mailwire::to_name(e.code));
  return d.id() ? log + "@" + std::to_string(e.offset) : log;
}

// The log for `in` in charset `c`, the same at every split point.
std::string grind_decode(charset c, std::string_view in, const mime::charset_options& opts = {}) {
  return mailwire_test::grind(in, [&](const chunks& ch) {
    mime::charset_decoder d(c, opts);
    return decode_log(d, ch);
  });
}

// Output and malformed count, split-checked, for the simple cases.
std::pair<std::string, std::uint64_t> decode(charset c, std::string_view in,
                                             const mime::charset_options& opts = {}) {
  const std::string log = grind_decode(c, in, opts);
  std::istringstream words(log);
  std::string hex;
  std::uint64_t n = 0;
  words >> hex >> n;
  return {from_hex(hex), n};
}

std::string first_error(charset c, std::string_view in) {
  const std::string log = grind_decode(c, in);
  return log.substr(log.rfind(' ') + 1);
}

std::string utf8_of(char32_t cp) {
  std::string s;
  mailwire::utf8::append(cp, s);
  return s;
}

}  // namespace

TEST_CASE("charset: every vector generated from Python's codecs, at every split point") {
  std::ifstream f(MAILWIRE_VECTORS_DIR "/mime/charsets.txt", std::ios::binary);
  REQUIRE(f);
  std::string line;
  std::size_t cases = 0;
  std::size_t single_byte = 0;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string label, in_hex, out_hex;
    std::uint64_t malformed = 0;
    REQUIRE(words >> label >> in_hex >> out_hex >> malformed);
    INFO(line);
    const std::optional<charset> c = mime::find_charset(label);
    REQUIRE(c);
    const std::string in = from_hex(in_hex);
    const std::string log = grind_decode(*c, in);
    CHECK(log.substr(0, log.rfind(' ')) == out_hex + " " + std::to_string(malformed));
    // The first error is reported exactly when there is one.
    CHECK((log.find(" ok@0") != std::string::npos) == (malformed == 0));
    if (in.size() == 256) ++single_byte;
    ++cases;
  }
  CHECK(single_byte == 27);  // 26 tables and us-ascii, all 256 bytes each
  CHECK(cases > 400);
}

TEST_CASE("charset: names, aliases and what is not a name") {
  for (std::size_t i = 0; i < mime::charset_count; ++i) {
    const auto c = static_cast<charset>(i);
    INFO(mime::charset_name(c));
    CHECK(mime::find_charset(mime::charset_name(c)) == c);
  }
  const std::pair<const char*, charset> known[] = {
      {"us-ascii", charset::us_ascii},
      {"US-ASCII", charset::us_ascii},
      {"ascii", charset::us_ascii},
      {"ANSI_X3.4-1968", charset::us_ascii},
      {"utf8", charset::utf_8},
      {"UTF_8", charset::utf_8},
      {"Utf-8", charset::utf_8},
      {"x-unicode20utf8", charset::utf_8},
      {"utf-8*en", charset::utf_8},
      {"\"utf-8\"", charset::utf_8},
      {"unicode-1-1-utf-7", charset::utf_7},
      {"x-utf-7", charset::utf_7},
      {"utf-16", charset::utf_16},
      {"UTF16LE", charset::utf_16le},
      {"utf-32be", charset::utf_32be},
      {"latin1", charset::iso_8859_1},
      {"l1", charset::iso_8859_1},
      {"iso8859-1", charset::iso_8859_1},
      {"iso_8859-1", charset::iso_8859_1},
      {"iso_8859-1:1987", charset::iso_8859_1},
      {"ISO-IR-100", charset::iso_8859_1},
      {"8859-2", charset::iso_8859_2},
      {"iso-8859-10:1992", charset::iso_8859_10},
      {"iso-8859-11", charset::iso_8859_11},
      {"iso-8859-13", charset::iso_8859_13},
      {"iso-8859-16", charset::iso_8859_16},
      {"iso-8859-8-i", charset::iso_8859_8},
      {"csISO88596E", charset::iso_8859_6},
      {"latin9", charset::iso_8859_15},
      {"latin10", charset::iso_8859_16},
      {"cp1252", charset::windows_1252},
      {"win-1252", charset::windows_1252},
      {"x-cp1252", charset::windows_1252},
      {"windows-1250", charset::windows_1250},
      {"cp1258", charset::windows_1258},
      {"cswindows1251", charset::windows_1251},
      {"koi8r", charset::koi8_r},
      {"KOI8-R", charset::koi8_r},
      {"koi8-u", charset::koi8_u},
      {"koi8-ru", charset::koi8_u},
  };
  for (const auto& k : known) {
    INFO(k.first);
    CHECK(mime::find_charset(k.first) == k.second);
  }
  for (const char* unknown :
       {"", "-", "x", "utf-9", "iso-8859-12", "iso-8859-17", "iso-8859-0", "iso-8859-01", "iso-8859-1:1900",
        "iso-8859-1:19870", "windows-1249", "windows-1259", "cp12520", "ks_c_5601-1987", "shift_jis", "gb2312",
        "big5", "koi8-t", "utf-8x", "xx", "ucs-2", "*utf-8", "windows-874"}) {
    INFO(unknown);
    CHECK_FALSE(mime::find_charset(unknown));
  }
  // A folded name holds at most 24 characters: punctuation does not count,
  // 24 letters and digits are looked up, 25 are not.
  CHECK(mime::find_charset("-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-utf-8") == charset::utf_8);
  CHECK_FALSE(mime::find_charset("csisolatincyrillic123456"));
  CHECK_FALSE(mime::find_charset("csisolatincyrillic1234567"));
}

TEST_CASE("charset: to_utf8 keeps its contract") {
  std::string out = "keep";
  CHECK_FALSE(mime::to_utf8("x-unknown", "abc", out));
  CHECK(out == "keep");
  CHECK(mime::to_utf8("iso-8859-1", "caf\xE9", out));
  CHECK(out == "keepcaf\xC3\xA9");
  std::uint64_t malformed = 99;
  out.clear();
  CHECK(mime::to_utf8("utf-8", "a\xFF" "b\xE2\x82", out, {}, &malformed));
  CHECK(out == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  CHECK(malformed == 2);
  out.clear();
  CHECK(mime::to_utf8("UTF-7", "Hi Mom -+Jjo--!", out, {}, &malformed));
  CHECK(out == "Hi Mom -\xE2\x98\xBA-!");
  CHECK(malformed == 0);
}

TEST_CASE("charset: us-ascii with 8-bit bytes is read as windows-1252 and flagged") {
  CHECK(decode(charset::us_ascii, "plain text") == std::make_pair(std::string("plain text"), std::uint64_t{0}));
  CHECK(decode(charset::us_ascii, "caf\xE9 \x93q\x94 \x80") ==
        std::make_pair(std::string("caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D \xE2\x82\xAC"), std::uint64_t{4}));
  // 0x81 is not windows-1252 either: U+FFFD, still one malformed byte.
  CHECK(decode(charset::us_ascii, "\x81") == std::make_pair(std::string("\xEF\xBF\xBD"), std::uint64_t{1}));
  CHECK(first_error(charset::us_ascii, "abcdefghij\xE9") == "charset_malformed@10");
}

TEST_CASE("charset: ISO-8859-1 and -9 exact, or as their Windows supersets") {
  mime::charset_options whatwg;
  whatwg.whatwg_supersets = true;
  CHECK(decode(charset::iso_8859_1, "\x80\x93\xE9").first == "\xC2\x80\xC2\x93\xC3\xA9");
  CHECK(decode(charset::iso_8859_1, "\x80\x93\xE9", whatwg).first == "\xE2\x82\xAC\xE2\x80\x9C\xC3\xA9");
  CHECK(decode(charset::iso_8859_9, "\x80\xFD").first == "\xC2\x80\xC4\xB1");
  CHECK(decode(charset::iso_8859_9, "\x80\xFD", whatwg).first == "\xE2\x82\xAC\xC4\xB1");
  CHECK(mime::charset_decoder(charset::iso_8859_1, whatwg).id() == charset::windows_1252);
  CHECK(mime::charset_decoder(charset::iso_8859_2, whatwg).id() == charset::iso_8859_2);
  // Unmapped windows-1252 bytes are U+FFFD either way.
  CHECK(decode(charset::iso_8859_1, "\x81", whatwg) == std::make_pair(std::string("\xEF\xBF\xBD"), std::uint64_t{1}));
  std::string out;
  CHECK(mime::to_utf8("latin1", "\x80", out, whatwg));
  CHECK(out == "\xE2\x82\xAC");
}

TEST_CASE("charset: first_error() points at the first malformed sequence") {
  CHECK(first_error(charset::utf_8, "abc") == "ok@0");
  CHECK(first_error(charset::utf_8, "ab\xC3") == "charset_malformed@2");
  CHECK(first_error(charset::utf_8, "abc\xE2\x82X\xFF") == "charset_malformed@3");
  CHECK(first_error(charset::utf_8, "\xC3\xA9\xF0\x9F\x98") == "charset_malformed@2");
  CHECK(first_error(charset::utf_16be, std::string("\x00" "A\xD8\x3D\x00" "B", 6)) == "charset_malformed@2");
  CHECK(first_error(charset::utf_16be, std::string("\x00" "A\xD8\x3D", 4)) == "charset_malformed@2");
  CHECK(first_error(charset::utf_16be, std::string("\x00" "A\xD8\x3D\xDE", 5)) == "charset_malformed@2");
  CHECK(first_error(charset::utf_16, std::string("\xFF\xFE\x00\xDC", 4)) == "charset_malformed@2");
  CHECK(first_error(charset::utf_16le, std::string("A\x00" "B", 3)) == "charset_malformed@2");
  CHECK(first_error(charset::utf_32le, std::string("A\x00\x00\x00\x00\x00\x11\x00", 8)) == "charset_malformed@4");
  CHECK(first_error(charset::utf_7, "ab+AB-cd+AB-") == "charset_malformed@2");
  CHECK(first_error(charset::utf_7, "ab\x80") == "charset_malformed@2");
  CHECK(first_error(charset::windows_1252, "abc\x81\x8D") == "charset_malformed@3");
  CHECK(first_error(charset::koi8_r, "\xC1\xC2\xC3") == "ok@0");
}

TEST_CASE("charset: UTF-7 where mailwire deliberately differs from Python") {
  // Python also swallows the byte after a lone '+' or after a shift that
  // ends badly; mailwire reads it afresh, so no text is lost.
  CHECK(decode(charset::utf_7, "+!x") == std::make_pair(std::string("\xEF\xBF\xBD!x"), std::uint64_t{1}));
  CHECK(decode(charset::utf_7, "+AB!x") == std::make_pair(std::string("\xEF\xBF\xBD!x"), std::uint64_t{1}));
  CHECK(decode(charset::utf_7, "+AB\rx") == std::make_pair(std::string("\xEF\xBF\xBD\rx"), std::uint64_t{1}));
  // Python drops a pending high surrogate without a word when an 8-bit
  // byte ends the shift; mailwire reports both.
  CHECK(decode(charset::utf_7, "+2D0\x80") ==
        std::make_pair(std::string("\xEF\xBF\xBD\xEF\xBF\xBD"), std::uint64_t{2}));
  // A '+' whose next byte is not base64 opens no shift: what follows is
  // direct, and a later '+' opens one.
  CHECK(decode(charset::utf_7, "+ +AGE-").first == "\xEF\xBF\xBD a");
  // The end of the input ends a shift; a trailing '+' is an empty shift.
  CHECK(decode(charset::utf_7, "+AGE") == std::make_pair(std::string("a"), std::uint64_t{0}));
  CHECK(decode(charset::utf_7, "+2D0") == std::make_pair(std::string("\xEF\xBF\xBD"), std::uint64_t{1}));
  CHECK(decode(charset::utf_7, "a+") == std::make_pair(std::string("a"), std::uint64_t{0}));
}

TEST_CASE("charset: UTF-16 and UTF-32 byte order marks") {
  // Only the unmarked names look for a BOM and drop it; without one they
  // are big-endian. Under an explicit order a BOM is U+FEFF, kept.
  CHECK(decode(charset::utf_16, std::string("\xFF\xFE" "A\x00", 4)).first == "A");
  CHECK(decode(charset::utf_16, std::string("\xFE\xFF\x00" "A", 4)).first == "A");
  CHECK(decode(charset::utf_16, std::string("A\x00", 2)).first == "\xE4\x84\x80");
  CHECK(decode(charset::utf_16le, std::string("\xFF\xFE" "A\x00", 4)).first == "\xEF\xBB\xBF" "A");
  CHECK(decode(charset::utf_16, std::string("\xFF\xFE\xFF\xFE", 4)).first == "\xEF\xBB\xBF");
  CHECK(decode(charset::utf_32, std::string("\xFF\xFE\x00\x00" "A\x00\x00\x00", 8)).first == "A");
  CHECK(decode(charset::utf_32, std::string("\x00\x00\x00" "A", 4)).first == "A");
  CHECK(decode(charset::utf_32be, std::string("\x00\x00\xFE\xFF", 4)).first == "\xEF\xBB\xBF");

  // finish() ends the stream: the next one looks for its own BOM.
  mime::charset_decoder d(charset::utf_16);
  std::string out;
  d.decode(std::string("\xFF\xFE" "A\x00", 4), out);
  d.finish(out);
  d.decode(std::string("\x00" "B", 2), out);
  d.finish(out);
  CHECK(out == "AB");
  CHECK(d.malformed() == 0);
}

TEST_CASE("charset: long mixed text round-trips at every split point") {
  // Several ASCII runs longer than 8 bytes (the bulk path) between
  // characters of every UTF-8 length and a surrogate pair.
  std::u32string text;
  for (char32_t cp : {U'a', U'\u00E9', U'\u20AC', U'\U0001F600', U'\uFEFF', U'\uFFFD', U'\U0010FFFF'}) {
    for (char c : std::string_view("The quick brown fox ")) text += static_cast<char32_t>(c);
    text += cp;
  }
  std::string utf8;
  std::string be16, le16, be32, le32;
  for (char32_t cp : text) {
    mailwire::utf8::append(cp, utf8);
    std::vector<std::uint32_t> units;
    if (cp >= 0x10000) {
      units = {0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)};
    } else {
      units = {cp};
    }
    for (std::uint32_t u : units) {
      be16 += static_cast<char>(u >> 8);
      be16 += static_cast<char>(u & 0xFF);
      le16 += static_cast<char>(u & 0xFF);
      le16 += static_cast<char>(u >> 8);
    }
    for (int k = 3; k >= 0; --k) be32 += static_cast<char>((cp >> (8 * k)) & 0xFF);
    for (int k = 0; k < 4; ++k) le32 += static_cast<char>((cp >> (8 * k)) & 0xFF);
  }
  const std::pair<std::string, std::uint64_t> clean{utf8, 0};
  CHECK(decode(charset::utf_8, utf8) == clean);
  CHECK(decode(charset::utf_16be, be16) == clean);
  CHECK(decode(charset::utf_16le, le16) == clean);
  CHECK(decode(charset::utf_16, "\xFF\xFE" + le16) == clean);
  CHECK(decode(charset::utf_32be, be32) == clean);
  CHECK(decode(charset::utf_32, std::string("\xFF\xFE\x00\x00", 4) + le32) == clean);

  std::string latin1;
  for (int i = 0; i < 300; ++i) latin1 += static_cast<char>(i % 7 == 0 ? 0xE0 + i % 32 : 'a' + i % 26);
  std::string expected;
  for (char c : latin1) expected += utf8_of(static_cast<unsigned char>(c));
  CHECK(decode(charset::iso_8859_1, latin1).first == expected);
}

namespace {

// A made-up charset "x-hex" for the hook: every two hex digits are one
// Latin-1 character; a digit left over at the end of a call waits for the
// next (the state a real converter keeps between calls); any other byte is
// malformed.
class hex_converter final : public mime::charset_converter {
 public:
  explicit hex_converter(int* alive) : alive_(alive) { ++*alive_; }
  ~hex_converter() override { --*alive_; }
  hex_converter(const hex_converter&) = delete;
  hex_converter& operator=(const hex_converter&) = delete;

  std::size_t convert(std::string_view in, std::string& out, bool final) override {
    std::size_t bad = 0;
    for (char c : in) {
      const int v = mailwire::ascii::hex_value(c);
      if (v < 0) {
        out += "\xEF\xBF\xBD";
        ++bad;
      } else if (half_ < 0) {
        half_ = v;
      } else {
        mailwire::utf8::append(static_cast<char32_t>(half_ * 16 + v), out);
        half_ = -1;
      }
    }
    if (final && half_ >= 0) {
      out += "\xEF\xBF\xBD";
      ++bad;
      half_ = -1;
    }
    return bad;
  }

 private:
  int* alive_;
  int half_ = -1;
};

struct hook_user {
  int opened = 0;
  int alive = 0;
};

std::unique_ptr<mime::charset_converter> open_fake(std::string_view name, void* user) {
  auto* u = static_cast<hook_user*>(user);
  if (name != "X-Hex") return nullptr;  // the name arrives as written
  ++u->opened;
  return std::make_unique<hex_converter>(&u->alive);
}

// A broken converter: what it appends is not UTF-8.
class bad_converter final : public mime::charset_converter {
 public:
  std::size_t convert(std::string_view in, std::string& out, bool) override {
    out += in;
    return 0;
  }
};


}  // namespace

TEST_CASE("charset: a hook decodes the charsets mailwire lacks, streaming") {
  hook_user user;
  const mime::charset_hook hook{open_fake, &user};
  mime::charset_options opts;
  opts.hook = &hook;

  // Built-in names never reach the hook.
  mime::charset_decoder d;
  CHECK(d.open("UTF-8", opts));
  CHECK(user.opened == 0);
  CHECK_FALSE(d.open("x-hex", opts));
  CHECK_FALSE(d.valid());

  const std::string_view in = "636166e9 2141";
  const std::string log = mailwire_test::grind(in, [&](const chunks& ch) {
    mime::charset_decoder h;
    REQUIRE(h.open("X-Hex", opts));
    CHECK_FALSE(h.id());
    return decode_log(h, ch);
  });
  CHECK(log == to_hex("caf\xC3\xA9\xEF\xBF\xBD!A") + " 1 charset_malformed");
  CHECK(user.opened == static_cast<int>(mailwire_test::chunkings(in).size()));
  CHECK(user.alive == 0);  // every converter was destroyed by its decoder

  std::string out;
  std::uint64_t malformed = 0;
  CHECK(mime::to_utf8("X-Hex", "4", out, opts, &malformed));
  CHECK(out == "\xEF\xBF\xBD");
  CHECK(malformed == 1);
  out = "same";
  CHECK_FALSE(mime::to_utf8("X-Other", "4142", out, opts));
  CHECK(out == "same");
}

TEST_CASE("charset: a converter's output is made UTF-8 if it is not") {
  mime::charset_decoder d(std::make_unique<bad_converter>());
  std::string out;
  d.decode("ok \xFF", out);
  d.decode("\xC3", out);
  d.finish(out);
  CHECK(out == "ok \xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(d.malformed() == 2);
  CHECK(d.first_error() == mime::diagnostic{errc::charset_malformed, 4});
  mime::charset_decoder none(std::unique_ptr<mime::charset_converter>{});
  CHECK_FALSE(none.valid());
  none.decode("abc", out);
  CHECK(out == "ok \xEF\xBF\xBD\xEF\xBF\xBD");
}

#if MAILWIRE_TEST_ICONV
TEST_CASE("charset: glibc iconv behind the hook (Shift_JIS)") {
  mime::charset_options opts;
  opts.hook = &mime::iconv_hook;
  mime::charset_decoder probe;
  if (!probe.open("SHIFT_JIS", opts)) {
    WARN("this iconv has no SHIFT_JIS");
    return;
  }
  // "日本語 text" with a truncated lead byte at the end.
  const std::string sjis = "\x93\xFA\x96\x7B\x8C\xEA text\x93";
  const std::string log = mailwire_test::grind(sjis, [&](const chunks& ch) {
    mime::charset_decoder d;
    REQUIRE(d.open("SHIFT_JIS", opts));
    return decode_log(d, ch);
  });
  CHECK(log.substr(0, log.find(' ')) == to_hex("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E text\xEF\xBF\xBD"));
}
#endif

TEST_CASE("charset: error codes") {
  CHECK(mailwire::to_name(errc::charset_unknown) == "charset_unknown");
  CHECK(mailwire::to_name(errc::charset_malformed) == "charset_malformed");
  CHECK(static_cast<int>(errc::charset_unknown) == 200);
  CHECK(static_cast<int>(errc::charset_malformed) == 201);
}
