#include <mailwire/core/base64.hpp>

#include <random>
#include <string>

#include "catch.hpp"
#include "grind.hpp"

namespace base64 = mailwire::base64;
using mailwire::errc;
using mailwire_test::chunks;

namespace {

// Decodes chunk by chunk and logs the output and the outcome, the way a
// protocol machine drives the decoder. In MIME mode, invalid characters are
// skipped and logged, as RFC 2045 asks.
std::string decode_log(base64::mode m, const chunks& ch) {
  base64::decoder d(m);
  std::string out;
  std::string log;
  for (std::string_view c : ch) {
    for (;;) {
      std::string buf(base64::decoded_size_max(c.size()), '\0');
      const base64::decode_result r = d.update(c, &buf[0]);
      out.append(buf, 0, r.written);
      REQUIRE(r.consumed <= c.size());
      if (r) break;
      log += "error off=" + std::to_string(r.error_offset) + " " + std::string(mailwire::to_name(r.error)) + "\n";
      if (!d.skip()) return log + "out " + mailwire_test::quote(out) + "\n";
      c.remove_prefix(r.consumed + 1);
    }
  }
  char tail[2];
  const base64::decode_result f = d.finish(tail);
  out.append(tail, f.written);
  if (!f) log += "finish off=" + std::to_string(f.error_offset) + " " + std::string(mailwire::to_name(f.error)) + "\n";
  return log + "out " + mailwire_test::quote(out) + "\n";
}

std::string decode_at_every_split(std::string_view in, base64::mode m) {
  return mailwire_test::grind(in, [&](const chunks& ch) { return decode_log(m, ch); });
}

std::string encode_chunked(const chunks& ch, std::size_t line_length) {
  base64::encoder e(line_length);
  std::string out;
  for (std::string_view c : ch) {
    std::string buf(e.update_size_max(c.size()), '\0');
    out.append(buf, 0, e.update(c, &buf[0]));
  }
  char tail[base64::encoder::finish_size_max];
  out.append(tail, e.finish(tail));
  return out;
}

}  // namespace

TEST_CASE("RFC 4648 section 10 test vectors, both ways, both modes") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& v : vectors) {
    INFO(v.first);
    CHECK(base64::encode(v.first) == v.second);
    CHECK(mailwire_test::grind(v.first, [](const chunks& ch) { return encode_chunked(ch, 0); }) == v.second);
    const std::string want = "out " + mailwire_test::quote(v.first) + "\n";
    CHECK(decode_at_every_split(v.second, base64::mode::strict) == want);
    CHECK(decode_at_every_split(v.second, base64::mode::mime) == want);
  }
}

TEST_CASE("strict mode: every error has its code and the offset of the bad byte") {
  using m = base64::mode;
  CHECK(decode_at_every_split("Zm9v YmFy", m::strict) == "error off=4 base64_invalid_char\nout \"foo\"\n");
  CHECK(decode_at_every_split("Zm9v\r\nYmFy", m::strict) == "error off=4 base64_invalid_char\nout \"foo\"\n");
  CHECK(decode_at_every_split("Zm9vYm*y", m::strict) == "error off=6 base64_invalid_char\nout \"foo\"\n");
  CHECK(decode_at_every_split("Zg=", m::strict) == "finish off=3 base64_truncated\nout \"f\"\n");
  CHECK(decode_at_every_split("Zg", m::strict) == "finish off=2 base64_truncated\nout \"\"\n");
  CHECK(decode_at_every_split("Z", m::strict) == "finish off=1 base64_truncated\nout \"\"\n");
  CHECK(decode_at_every_split("Z===", m::strict) == "error off=1 base64_bad_padding\nout \"\"\n");
  CHECK(decode_at_every_split("=Zg=", m::strict) == "error off=0 base64_bad_padding\nout \"\"\n");
  CHECK(decode_at_every_split("Zg===", m::strict) == "error off=4 base64_bad_padding\nout \"f\"\n");
  CHECK(decode_at_every_split("Zg==Zg==", m::strict) == "error off=4 base64_bad_padding\nout \"f\"\n");
  CHECK(decode_at_every_split("Zm8=Zm8=", m::strict) == "error off=4 base64_bad_padding\nout \"fo\"\n");
  // "Zh==" and "Zm9=" decode to the same bytes as "Zg==" and "Zm8=": refused.
  CHECK(decode_at_every_split("Zh==", m::strict) == "error off=2 base64_noncanonical\nout \"f\"\n");
  CHECK(decode_at_every_split("Zm9=", m::strict) == "error off=3 base64_noncanonical\nout \"fo\"\n");
  CHECK(decode_at_every_split(std::string("Zm\0v", 4), m::strict) == "error off=2 base64_invalid_char\nout \"\"\n");
  CHECK(decode_at_every_split("Zm9v\xC3\xA9", m::strict) == "error off=4 base64_invalid_char\nout \"foo\"\n");
}

TEST_CASE("MIME mode: line breaks and spaces skipped, junk skipped and reported") {
  using m = base64::mode;
  CHECK(decode_at_every_split("Zm9v\r\nYmFy\r\n", m::mime) == "out \"foobar\"\n");
  CHECK(decode_at_every_split(" Z m 9 v\tYm\r\nFy ", m::mime) == "out \"foobar\"\n");
  CHECK(decode_at_every_split("Zg=\r\n=\r\n", m::mime) == "out \"f\"\n");
  CHECK(decode_at_every_split("Zh==", m::mime) == "out \"f\"\n");  // unused bits ignored
  CHECK(decode_at_every_split("Zm9v*YmFy", m::mime) == "error off=4 base64_invalid_char\nout \"foobar\"\n");
  CHECK(decode_at_every_split("Zm9vYm", m::mime) == "finish off=6 base64_truncated\nout \"foob\"\n");
  CHECK(decode_at_every_split("Zm9vY", m::mime) == "finish off=5 base64_truncated\nout \"foo\"\n");
  CHECK(decode_at_every_split("Zg==\r\nZg==", m::mime) == "error off=6 base64_bad_padding\nout \"f\"\n");
}

TEST_CASE("skip() only resumes MIME-mode invalid characters") {
  base64::decoder strict(base64::mode::strict);
  char out[16];
  CHECK(strict.update("Zm*", out).error == errc::base64_invalid_char);
  CHECK_FALSE(strict.skip());
  CHECK(strict.update("Zm9v", out).error == errc::base64_invalid_char);  // sticky
  strict.reset();
  CHECK(strict.update("Zm9v", out).written == 3);

  base64::decoder mime(base64::mode::mime);
  CHECK(mime.update("Zg===", out).error == errc::base64_bad_padding);
  CHECK_FALSE(mime.skip());
}

TEST_CASE("encode and decode round-trip any bytes, any line length, any chunking") {
  std::mt19937 rng(99);
  for (int round = 0; round < 60; ++round) {
    std::string data(rng() % 40, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const std::size_t line = (rng() % 3) * 8;  // 0 (unwrapped), 8, 16
    INFO(mailwire_test::quote(data) << " line_length " << line);
    const std::string enc = mailwire_test::grind(data, [&](const chunks& ch) { return encode_chunked(ch, line); }, 24);
    REQUIRE(enc.size() == base64::encoded_size(data.size(), line));
    if (line != 0) {
      // Lines of exactly line_length characters, CRLF between, none after.
      std::size_t pos = 0;
      while (enc.size() - pos > line) {
        REQUIRE(enc.substr(pos + line, 2) == "\r\n");
        pos += line + 2;
      }
      REQUIRE(enc.find('\r', pos) == std::string::npos);
    }
    const auto mode = line == 0 ? base64::mode::strict : base64::mode::mime;
    REQUIRE(mailwire_test::grind(enc, [&](const chunks& ch) { return decode_log(mode, ch); }, 24) ==
            "out " + mailwire_test::quote(data) + "\n");
  }
}

TEST_CASE("76-column MIME encoding of a large body") {
  std::string data(100000, '\0');
  std::mt19937 rng(5);
  for (char& c : data) c = static_cast<char>(rng());
  const std::string enc = base64::encode(data, 76);
  CHECK(enc.size() == base64::encoded_size(data.size(), 76));
  CHECK(enc.substr(76, 2) == "\r\n");
  std::string back;
  CHECK(base64::decode(enc, back, base64::mode::mime));
  CHECK(back == data);
  // Strict mode refuses the line break, at its offset.
  const base64::decode_result r = base64::decode(enc, back, base64::mode::strict);
  CHECK(r.error == errc::base64_invalid_char);
  CHECK(r.error_offset == 76);
  CHECK(back == data.substr(0, 57));
}
