// utf8::invalid_at's vector kernels (AVX2, AVX-512) against the scalar
// reference: the offset of the first byte that does not start a well-formed
// character must be the same on every path. Inputs: every file of the test
// vectors and the shared corpus (whole, and cut around their non-ASCII bytes
// at every block offset and length), valid text of every sequence length,
// every kind of error at every position 0..200, every truncation, every
// pair and quadruple of bytes from a set that covers each class boundary;
// and RFC 3629's edges against offsets written out by hand.
#include <mailwire/core/cpu.hpp>
#include <mailwire/core/utf8.hpp>

#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "files.hpp"
#include "scalar_scope.hpp"

namespace cpu = mailwire::cpu;
namespace utf8 = mailwire::utf8;
using mailwire::detail::scan_level;
using mailwire_test::scalar_scope;

namespace {

// The answer read character by character with decode(), nothing else.
std::size_t reference(std::string_view in) {
  std::size_t i = 0;
  while (i < in.size()) {
    const std::size_t n = utf8::decode(in, i).length;
    if (n == 0) return i;
    i += n;
  }
  return in.size();
}

// Every path's answer for `in` that differs from the reference, as text
// (empty when all agree). Each kernel is run directly when the CPU has it,
// so the comparison also happens in the forced-scalar run of the suite.
std::string mismatches(std::string_view in) {
  const std::size_t want = reference(in);
  std::ostringstream out;
  const auto check = [&](const char* path, std::size_t got) {
    if (got != want) out << path << " says " << got << ", reference " << want << "; ";
  };
  check("dispatched", utf8::invalid_at(in));
  {
    const scalar_scope forced(true);
    check("forced scalar", utf8::invalid_at(in));
  }
  check("scalar from 0", mailwire::utf8::detail::invalid_at_scalar(in, 0, scan_level::scalar));
#if defined(MAILWIRE_SIMD_X86)
  namespace detail = mailwire::utf8::detail;
  if ((cpu::detected() & cpu::avx2) != 0) {
    check("avx2", detail::invalid_at_scalar(in, detail::utf8_checked_avx2(in), scan_level::scalar));
  }
  if ((cpu::detected() & cpu::avx512) != 0) {
    check("avx512", detail::invalid_at_scalar(in, detail::utf8_checked_avx512(in), scan_level::scalar));
  }
#endif
  return out.str();
}

// Counts the inputs checked, and reports the first few that disagree (one
// assertion per input would cost more than the validation).
class checker {
 public:
  void operator()(std::string_view in) {
    ++count_;
    const std::string m = mismatches(in);
    if (!m.empty() && failures_++ < 10) {
      std::string hex;
      for (const char c : in.substr(0, 300)) {
        static const char digits[] = "0123456789ABCDEF";
        const auto b = static_cast<unsigned char>(c);
        hex += digits[b >> 4];
        hex += digits[b & 15];
        hex += ' ';
      }
      FAIL_CHECK(m << "input (" << in.size() << " bytes): " << hex);
    }
  }
  ~checker() { CHECK(failures_ == 0); }
  std::size_t count() const { return count_; }

 private:
  std::size_t count_ = 0;
  std::size_t failures_ = 0;
};

// One character of each length, and text of them.
const char* const one_of_length[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
// The extremes of each length and each lead byte's special range.
const char* const valid_chars[] = {"\x7F",         "\xC2\x80",         "\xDF\xBF",         "\xE0\xA0\x80",
                                   "\xE0\xBF\xBF", "\xED\x9F\xBF",     "\xEE\x80\x80",     "\xEF\xBF\xBF",
                                   "\xF0\x90\x80\x80", "\xF3\xBF\xBF\xBF", "\xF4\x8F\xBF\xBF", "\xE1\x80\x80"};
// Each kind of error the validator tells apart.
const char* const errors[] = {
    "\x80",             // continuation byte with no lead
    "\xBF",             //
    "\xC3\xA9\xA9",     // one continuation byte too many
    "\xE2\x82\xAC\x80", //
    "\xF0\x9F\x98\x80\x80",
    "\xC0\x80",         // overlong 2-byte
    "\xC1\xBF",         //
    "\xE0\x80\x80",     // overlong 3-byte
    "\xE0\x9F\xBF",     //
    "\xF0\x80\x80\x80", // overlong 4-byte
    "\xF0\x8F\xBF\xBF", //
    "\xED\xA0\x80",     // surrogates
    "\xED\xBF\xBF",     //
    "\xF4\x90\x80\x80", // above U+10FFFF
    "\xF5\x80\x80\x80", //
    "\xF7\xBF\xBF\xBF", //
    "\xF8\x88\x80\x80\x80",
    "\xFE",             // never in UTF-8
    "\xFF",             //
    "\xC3" "a",         // too short: lead byte, then ASCII
    "\xE2\x82" "a",     //
    "\xF0\x9F\x98" "a", //
    "\xC3\xC3\xA9",     // lead byte, then a lead byte
    "\xE2\xE2\x82\xAC", //
    "\xF0\x9F\xF0\x9F\x98\x80"};

}  // namespace

TEST_CASE("utf8 kernels: valid text of every sequence length, at every length and cut off at every length",
          "[utf8][simd]") {
  checker check;
  for (const char* c : one_of_length) {
    for (const std::string_view filler : {"", "a", "ab", "abc"}) {
      std::string text;
      while (text.size() < 300) (text += c) += filler;
      // Every length (truncations included: a cut inside a character is an
      // error at its start).
      for (std::size_t n = 0; n <= text.size(); ++n) check(std::string_view(text).substr(0, n));
      // Every start (continuation bytes first are errors at 0).
      for (std::size_t at = 1; at < 70; ++at) check(std::string_view(text).substr(at));
    }
  }
  // All lengths mixed, long enough for many blocks.
  std::mt19937 rng(3629);
  for (int round = 0; round < 500; ++round) {
    std::string text;
    const std::size_t n = rng() % 700;
    while (text.size() < n) text += (rng() % 3 == 0) ? valid_chars[rng() % 12] : one_of_length[rng() % 4];
    check(text);
    for (std::size_t cut = text.size() > 8 ? text.size() - 8 : 0; cut < text.size(); ++cut) {
      check(std::string_view(text).substr(0, cut));
    }
  }
  CHECK(check.count() > 10000);
}

TEST_CASE("utf8 kernels: every kind of error at every position 0..200, in ASCII and in non-ASCII text",
          "[utf8][simd]") {
  checker check;
  for (const char* e : errors) {
    for (const char* around : one_of_length) {
      std::string text;
      while (text.size() < 300) text += around;
      for (std::size_t at = 0; at <= 200; ++at) {
        // Placed at a character boundary of `text` at or after `at`: the
        // error is then the first one; each kernel block offset is hit.
        std::size_t place = at;
        while (place < text.size() && (static_cast<unsigned char>(text[place]) & 0xC0u) == 0x80u) ++place;
        const std::string in = text.substr(0, place) + e + text.substr(place);
        check(in);
        check(std::string_view(in).substr(0, place + std::string_view(e).size()));  // the error at the very end
        // Two errors: the first one counts.
        check(in + "\xFF");
        check(text.substr(0, place) + e + e);
      }
    }
  }
  // One byte anywhere replaced by any value, in mixed text.
  std::mt19937 rng(15);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const std::size_t n = 1 + rng() % 260;
    while (text.size() < n) text += (rng() % 4 == 0) ? valid_chars[rng() % 12] : one_of_length[rng() % 4];
    text[rng() % text.size()] = static_cast<char>(rng());
    check(text);
  }
  CHECK(check.count() > 80000);
}

TEST_CASE("utf8 kernels: every pair and every four bytes of the class boundaries, at each block edge",
          "[utf8][simd]") {
  checker check;
  // Every pair of byte values, straddling the first block edges.
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      const std::string pair{static_cast<char>(a), static_cast<char>(b)};
      for (const std::size_t before : {std::size_t{0}, std::size_t{31}, std::size_t{63}}) {
        check(std::string(before, 'x') + pair + std::string(40, 'y'));
      }
      check(std::string(62, 'x') + pair);
    }
  }
  // Every four bytes drawn from the first and last value of each class, at
  // a block edge (and ending the input).
  const unsigned char edges[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
  for (const unsigned char a : edges) {
    for (const unsigned char b : edges) {
      for (const unsigned char c : edges) {
        for (const unsigned char d : edges) {
          const std::string q{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
          check(std::string(62, 'x') + q + std::string(20, 'y'));
          check(std::string(30, 'x') + q);
        }
      }
    }
  }
  CHECK(check.count() > 900000);
}

TEST_CASE("utf8 kernels: every file of the vectors and corpora, whole and cut around its non-ASCII bytes",
          "[utf8][simd]") {
  namespace fs = std::filesystem;
  checker check;
  std::size_t files = 0;
  std::size_t with_8bit = 0;
  for (const fs::path& root : mailwire_test::message_roots()) {
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      const std::string text = mailwire_test::read_file(e.path());
      const std::string_view v = text;
      ++files;
      check(v);
      // The first and last non-ASCII byte and the first error: windows that
      // start 0..69 bytes before them (each block offset) of every length
      // that ends within a few bytes of them, and of 200 bytes.
      std::size_t first = v.size();
      std::size_t last = v.size();
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (static_cast<unsigned char>(v[i]) >= 0x80) {
          if (first == v.size()) first = i;
          last = i;
        }
      }
      if (first == v.size()) continue;
      ++with_8bit;
      for (const std::size_t q : {first, last, reference(v)}) {
        if (q >= v.size()) continue;
        for (std::size_t k = 0; k < 70 && k <= q; ++k) {
          const std::string_view from = v.substr(q - k);
          for (std::size_t n = k; n <= k + 4 && n <= from.size(); ++n) check(from.substr(0, n));
          check(from.substr(0, 200));
        }
      }
    }
  }
  CHECK(files > 100);
  CHECK(with_8bit > 10);
}

TEST_CASE("utf8 kernels: RFC 3629's edges give the offsets the RFC gives, on every path", "[utf8][simd]") {
  // Expected offsets written out by hand (not from decode()): where each
  // sequence stops being UTF-8, or its length when it is all well-formed.
  struct edge {
    const char* bytes;
    std::size_t bad_at;
  };
  static const edge edges[] = {
      {"\x7F", 1},  {"\xC2\x80", 2}, {"\xDF\xBF", 2}, {"\xE0\xA0\x80", 3}, {"\xED\x9F\xBF", 3}, {"\xEE\x80\x80", 3},
      {"\xEF\xBF\xBF", 3}, {"\xF0\x90\x80\x80", 4}, {"\xF4\x8F\xBF\xBF", 4},  // the last scalar value
      {"\x80", 0}, {"\xBF", 0}, {"\xC3\xA9\xA9", 2}, {"\xE2\x82\xAC\x80", 3}, {"\xF0\x9F\x98\x80\x80", 4},
      {"\xC0\x80", 0}, {"\xC1\xBF", 0},                                      // overlong 2-byte
      {"\xE0\x80\x80", 0}, {"\xE0\x9F\xBF", 0},                              // overlong 3-byte
      {"\xF0\x80\x80\x80", 0}, {"\xF0\x8F\xBF\xBF", 0},                      // overlong 4-byte
      {"\xED\xA0\x80", 0}, {"\xED\xBF\xBF", 0},                              // surrogates
      {"\xF4\x90\x80\x80", 0}, {"\xF5\x80\x80\x80", 0}, {"\xFF", 0},          // above U+10FFFF, never UTF-8
      {"\xC3" "a", 0}, {"\xE2\x82" "a", 0}, {"\xF0\x9F\x98" "a", 0},          // cut short
      {"a\xC3\xC3\xA9", 1}, {"\xE2\x82\xAC\xE2\xE2\x82\xAC", 3}};
  std::vector<std::size_t (*)(std::string_view)> paths = {
      [](std::string_view s) { return utf8::invalid_at(s); },
      [](std::string_view s) {
        const scalar_scope forced(true);
        return utf8::invalid_at(s);
      }};
#if defined(MAILWIRE_SIMD_X86)
  if ((cpu::detected() & cpu::avx2) != 0) {
    paths.push_back([](std::string_view s) {
      namespace detail = mailwire::utf8::detail;
      return detail::invalid_at_scalar(s, detail::utf8_checked_avx2(s), scan_level::scalar);
    });
  }
  if ((cpu::detected() & cpu::avx512) != 0) {
    paths.push_back([](std::string_view s) {
      namespace detail = mailwire::utf8::detail;
      return detail::invalid_at_scalar(s, detail::utf8_checked_avx512(s), scan_level::scalar);
    });
  }
#endif
  for (const edge& e : edges) {
    const std::string_view bytes = e.bytes;
    for (const std::size_t before : {std::size_t{0}, std::size_t{30}, std::size_t{62}, std::size_t{63},
                                     std::size_t{64}, std::size_t{100}}) {
      const std::string in = std::string(before, 'x') + std::string(bytes) + std::string(40, 'y');
      const std::size_t want = e.bad_at == bytes.size() ? in.size() : before + e.bad_at;
      for (std::size_t k = 0; k < paths.size(); ++k) {
        INFO("path " << k << ", " << before << " bytes before sequence " << &e - edges);
        CHECK(paths[k](in) == want);
      }
    }
  }
}
