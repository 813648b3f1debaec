#include <mailwire/core/base64.hpp>
#include <mailwire/core/cpu.hpp>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "files.hpp"
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
    std::string buf(base64::decoded_size_max(c.size()), '\0');  // room for any rest of c
    for (;;) {
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

std::string decode_log(base64::mode m, std::string_view in) { return decode_log(m, chunks{in}); }

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

// ---------------------------------------------------------------------------
// Vector kernels (issue 15): every result on every kernel family this CPU
// has must be the scalar code's, byte for byte, with the same errors at the
// same offsets.

namespace {
namespace cpu = mailwire::cpu;

// Restores the run's kernel setting however a test ends.
struct kernel_setting_guard {
  bool forced = cpu::scalar_forced();
  std::uint32_t off = cpu::disabled();
  ~kernel_setting_guard() {
    cpu::force_scalar(forced);
    cpu::disable(off);
  }
};

// Where two long logs first differ, for a readable failure.
std::string first_difference(const std::string& want, const std::string& got) {
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  const std::size_t from = i < 40 ? 0 : i - 40;
  return "at " + std::to_string(i) + ": scalar " + mailwire_test::quote(want.substr(from, 80)) + " vs " +
         mailwire_test::quote(got.substr(from, 80));
}

// Runs `run` forced scalar, then with each kernel family in turn (AVX-512,
// AVX2 with AVX-512 turned off, and whatever is left), and REQUIREs the same
// result each time; returns the scalar one.
template <class Run>
std::string same_on_every_kernel(Run&& run) {
  const kernel_setting_guard guard;
  cpu::disable(0);
  cpu::force_scalar(true);
  const std::string want = run();
  cpu::force_scalar(false);
  for (const std::uint32_t off : {0u, 0u | cpu::avx512, 0u | cpu::avx512 | cpu::avx2}) {
    cpu::disable(off);
    const std::string got = run();
    if (got != want) {
      INFO("kernels: " << cpu::best_name() << "; " << first_difference(want, got));
      REQUIRE(got == want);
    }
  }
  return want;
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// `enc` with every CRLF replaced by `eol`.
std::string with_line_end(const std::string& enc, std::string_view eol) {
  std::string out;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] == '\r' && i + 1 < enc.size() && enc[i + 1] == '\n') {
      out += eol;
      ++i;
    } else {
      out += enc[i];
    }
  }
  return out;
}

// Whether at most one byte in 50 is neither base64 nor whitespace.
bool mostly_base64(std::string_view v) {
  std::size_t other = 0;
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    other += (base64::detail::d3[u] & base64::detail::bad) != 0 && !base64::detail::is_mime_space(u) && c != '=';
  }
  return other * 50 <= v.size();
}

}  // namespace

TEST_CASE("base64 kernels: bodies of any line length and line end decode as the scalar code, at every split",
          "[base64][simd]") {
  std::mt19937 rng(15);
  for (const std::size_t line : {0u, 4u, 8u, 12u, 28u, 32u, 36u, 56u, 60u, 64u, 68u, 72u, 76u, 80u, 124u, 132u, 200u}) {
    for (const std::size_t n : {std::size_t{60}, std::size_t{200}, std::size_t{257}}) {
      const std::string enc = base64::encode(random_bytes(rng, n), line);
      for (const std::string_view eol : {"\r\n", "\n", "\r", " \r\n", "\r\n\r\n", "\t\n", "\r\n "}) {
        const std::string in = with_line_end(enc, eol);
        INFO("line " << line << ", " << n << " bytes, line end " << mailwire_test::quote(eol));
        for (const base64::mode m : {base64::mode::mime, base64::mode::strict}) {
          same_on_every_kernel([&] { return decode_at_every_split(in, m); });
        }
      }
    }
  }
}

TEST_CASE("base64 kernels: any bad byte at any position, same error at the same offset", "[base64][simd]") {
  std::mt19937 rng(16);
  const std::string base = base64::encode(random_bytes(rng, 150), 76) + "\r\n" + base64::encode(random_bytes(rng, 50));
  const char bad_bytes[] = {' ', '\t', '=', '!', '-', '.', ':', '@', '[', '`', '{', '\x7f', '\x80', '\xff', '\0',
                            '\r', '\n'};
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (const char b : bad_bytes) {
      std::string replaced = base;
      replaced[i] = b;
      std::string inserted = base;
      inserted.insert(i, 1, b);
      for (const std::string* in : {&replaced, &inserted}) {
        const std::string_view v = *in;
        INFO("byte " << static_cast<int>(static_cast<unsigned char>(b)) << " at " << i);
        for (const base64::mode m : {base64::mode::mime, base64::mode::strict}) {
          same_on_every_kernel([&] {
            return decode_log(m, v) + decode_log(m, chunks{v.substr(0, i), v.substr(i)}) +
                   decode_log(m, chunks{v.substr(0, i + 1), v.substr(i + 1)});
          });
        }
      }
    }
  }
}

TEST_CASE("base64 kernels: every file of the vectors and corpora decodes as the scalar code", "[base64][simd]") {
  namespace fs = std::filesystem;
  std::size_t files = 0;
  for (const fs::path& root : mailwire_test::message_roots()) {
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      const std::string text = mailwire_test::read_file(e.path());
      const std::string_view v = text;
      ++files;
      INFO(e.path().string());
      for (const base64::mode m : {base64::mode::mime, base64::mode::strict}) {
        same_on_every_kernel([&] {
          // Whole; and for base64-heavy files (where the kernels run for
          // long), split at the first and last 70 bytes (where a kernel
          // starts and stops) and a handful of places between. Text files
          // stop the kernel every few bytes; split, they cost much and add
          // little.
          std::string log = decode_log(m, v);
          if (mostly_base64(v)) {
            const std::size_t step = v.size() / 5 + 1;
            for (std::size_t at = 0; at <= v.size(); at += (at < 70 || v.size() - at < 70) ? 1 : step) {
              log += decode_log(m, chunks{v.substr(0, at), v.substr(at)});
            }
          }
          return log;
        });
      }
    }
  }
  CHECK(files > 100);
  const std::string dir = std::string(MAILWIRE_VECTORS_DIR) + "/mime/codecs/";
  std::string photo;
  CHECK(base64::decode(mailwire_test::read_file(dir + "photo.b64"), photo, base64::mode::mime));
  CHECK(photo == mailwire_test::read_file(dir + "photo.jpg"));
}

TEST_CASE("base64 kernels: a 76-column photo at every split point of its first 2 KiB", "[base64][simd]") {
  std::string photo = mailwire_test::read_file(std::string(MAILWIRE_VECTORS_DIR) + "/mime/codecs/photo.b64");
  photo.resize(2048);
  std::string crlf;  // it has LF line ends: CRLF ones too
  for (const char c : photo) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const std::string* const both[] = {&photo, &crlf};
  for (const std::string* in : both) {
    same_on_every_kernel([&] { return decode_at_every_split(*in, base64::mode::mime); });
  }
}

TEST_CASE("base64 kernels: encoding at any line length and chunking is the scalar encoding", "[base64][simd]") {
  std::mt19937 rng(17);
  for (const std::size_t line : {0u, 4u, 8u, 12u, 60u, 64u, 68u, 72u, 76u, 80u, 84u, 128u, 200u, 1000u}) {
    for (const std::size_t n : {std::size_t{47}, std::size_t{64}, std::size_t{200}, std::size_t{301}}) {
      const std::string data = random_bytes(rng, n);
      INFO("line " << line << ", " << n << " bytes");
      const std::string enc = same_on_every_kernel(
          [&] { return mailwire_test::grind(data, [&](const chunks& ch) { return encode_chunked(ch, line); }, 0); });
      CHECK(enc.size() == base64::encoded_size(n, line));
    }
  }
}

TEST_CASE("base64 kernels: a large body both ways, whole and in 64 KiB chunks", "[base64][simd]") {
  std::mt19937 rng(18);
  const std::string data = random_bytes(rng, (1 << 20) + 7);
  for (const std::size_t line : {0u, 76u}) {
    const std::string enc = same_on_every_kernel([&] { return base64::encode(data, line); });
    std::vector<std::string_view> pieces;
    for (std::size_t at = 0; at < enc.size(); at += 65536) pieces.push_back(std::string_view(enc).substr(at, 65536));
    const auto m = line == 0 ? base64::mode::strict : base64::mode::mime;
    const std::string log = same_on_every_kernel([&] { return decode_log(m, enc) + decode_log(m, pieces); });
    CHECK(log == "out " + mailwire_test::quote(data) + "\n" + "out " + mailwire_test::quote(data) + "\n");
  }
}
