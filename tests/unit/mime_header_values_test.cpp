// Header values decoded without allocation on the common path (issue 15):
// decode_unstructured's appending form and append_text's run copy, each
// against the general code it short-cuts, on random values built from the
// bytes that matter (white space, line breaks, "=?", UTF-8 and stray 8-bit
// bytes), with the diagnostics compared too.
#include <mailwire/core/utf8.hpp>
#include <mailwire/mime/encoded_word.hpp>
#include <mailwire/mime/header_lexer.hpp>

#include <random>
#include <string>
#include <string_view>

#include "catch.hpp"

namespace mime = mailwire::mime;

namespace {

// append_text as it was before the run copy: one byte or one UTF-8
// sequence at a time.
std::string append_text_by_bytes(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    const std::size_t n = b < 0x80 ? 1 : mailwire::utf8::decode(in, i).length;
    if (n != 0) {
      out.append(in.substr(i, n));
      i += n;
      continue;
    }
    mailwire::utf8::append(
        b < 0xA0 ? static_cast<char32_t>(mime::detail::cp1252_high[b - 0x80]) : static_cast<char32_t>(b), out);
    ++i;
  }
  return out;
}

// decode_unstructured through the general path only (decode_words), as it
// was before the common case was short-cut.
std::string unstructured_general(std::string_view value, mime::diagnostics* d) {
  mime::detail::check_8bit(value, d);
  std::size_t start = 0;
  while (start < value.size() && mime::detail::is_fws(value[start])) ++start;
  const mime::charset_options charsets;  // text_builder keeps a reference: not a temporary
  mime::detail::text_builder b(d, charsets);
  mime::detail::decode_words(b, value.substr(start), start, true, {}, d);
  return b.finish(true);
}

std::string random_value(std::mt19937& rng, bool common) {
  static const std::string_view pieces[] = {
      "a",  "Subject", " ", "\t", "  ", "=",  "?", "caf\xC3\xA9", "\xC3", "\x80", "\xFF", "\xE2\x82\xAC",
      "=?", "\r\n ",   "\n", "\r", "=?utf-8?q?x?=", "=?iso-8859-1?b?6Q==?=", "?=", "_",
  };
  // The first twelve pieces make values without "=?" or line breaks (a
  // '=' piece followed by a '?' piece is filtered below).
  const std::size_t kinds = common ? 12 : sizeof pieces / sizeof pieces[0];
  std::string v;
  const std::size_t n = rng() % 12;
  for (std::size_t i = 0; i < n; ++i) v += pieces[rng() % kinds];
  if (common) {
    for (std::size_t at = v.find("=?"); at != std::string::npos; at = v.find("=?")) v.erase(at, 1);
  }
  return v;
}

}  // namespace

TEST_CASE("append_text copies well-formed runs whole, the same text as byte by byte", "[mime][headers][simd]") {
  std::mt19937 rng(2047);
  for (int i = 0; i < 20000; ++i) {
    std::string in(rng() % 80, '\0');
    for (char& c : in) {
      const unsigned r = rng() % 8;  // mostly ASCII, some UTF-8 lead and continuation bytes
      c = static_cast<char>(r < 5 ? 0x20 + rng() % 0x5F : 0x80 + rng() % 0x80);
    }
    std::string out = "kept";
    mime::detail::append_text(out, in);
    INFO("input of " << in.size() << " bytes");
    REQUIRE(out == "kept" + append_text_by_bytes(in));
    REQUIRE(mailwire::utf8::valid(out));
  }
}

TEST_CASE("decode_unstructured appends to the caller's string, the same text and diagnostics as the general path",
          "[mime][headers][encoded_word]") {
  std::mt19937 rng(15);
  for (int i = 0; i < 20000; ++i) {
    const std::string v = random_value(rng, i % 2 == 0);
    mime::diagnostics want_d;
    const std::string want = unstructured_general(v, &want_d);
    mime::diagnostics got_d;
    std::string out = "prefix:";
    mime::decode_unstructured(v, out, &got_d);
    INFO("value [" << v << "]");
    REQUIRE(out == "prefix:" + want);
    REQUIRE(got_d == want_d);
    REQUIRE(mime::decode_unstructured(v) == want);
  }
}

TEST_CASE("decode_unstructured's common case: the trimmed value, into the caller's storage",
          "[mime][headers][encoded_word]") {
  std::string out;
  out.reserve(64);
  const char* const storage = out.data();
  mime::diagnostics d;
  mime::decode_unstructured(" \tHello, world =  ? \t ", out, &d);
  CHECK(out == "Hello, world =  ?");
  mime::decode_unstructured("caf\xC3\xA9", out, &d);
  CHECK(out == "Hello, world =  ?caf\xC3\xA9");
  CHECK(out.data() == storage);  // appended in place: no new buffer
  CHECK(d.empty());
  // 8-bit bytes that are not UTF-8: windows-1252, and reported where they are.
  out.clear();
  mime::decode_unstructured("  na\xEFve ", out, &d);
  CHECK(out == "na\xC3\xAFve");
  REQUIRE(d.size() == 1);
  CHECK(d[0].code == mailwire::errc::mime_8bit_header);
  CHECK(d[0].offset == 4);
  // A fold: its line breaks removed, the white space kept, in place too.
  out.clear();
  mime::decode_unstructured("multipart/mixed;\r\n\tboundary=\"b\"\r\n ", out, &d);
  CHECK(out == "multipart/mixed;\tboundary=\"b\"");
  CHECK(out.data() == storage);
  mime::decode_unstructured("\r\n a\nb\rc", out.erase(), &d);
  CHECK(out == "abc");  // a bare LF or CR is a line break too, removed
  CHECK(d.size() == 1);
  // An encoded-word takes the general path; the result is appended.
  out = "x";
  mime::decode_unstructured("=?utf-8?q?caf=C3=A9?=\r\n !", out);
  CHECK(out == "xcaf\xC3\xA9 !");
}
