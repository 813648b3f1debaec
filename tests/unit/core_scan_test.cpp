// The shared byte scan (core/scan.hpp): every kernel level the CPU has,
// against a byte-at-a-time reading of the set, at every length up to a few
// vectors and with the first hit at every position, for the sets the
// library uses; the copying form writes the run and nothing past its room.
// Then UTF-8 (a user of the scan) and the DATA paths (reader, writer, line
// rules) dispatched against forced scalar, with an offence at every
// position: they guard any vector path there.
#include <mailwire/core/dot_stuffing.hpp>
#include <mailwire/core/scan.hpp>
#include <mailwire/core/utf8.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "scalar_scope.hpp"

namespace cpu = mailwire::cpu;
using mailwire::detail::byte_set;
using mailwire::detail::make_byte_set;
using mailwire::detail::scan_level;

using mailwire_test::scalar_scope;

namespace {

// Every level this CPU can run (tested even when dispatch is forced scalar).
std::vector<scan_level> levels() {
  std::vector<scan_level> v{scan_level::scalar};
#if defined(MAILWIRE_SIMD_X86)
  if ((cpu::detected() & cpu::sse42) != 0) v.push_back(scan_level::sse42);
  if ((cpu::detected() & cpu::avx2) != 0) v.push_back(scan_level::avx2);
  if ((cpu::detected() & cpu::avx512) != 0) v.push_back(scan_level::avx512);
#endif
  return v;
}

// Everything the DATA paths say about `in` cut at `cut`: the line rules
// under each policy, the writer's output or refusal under each policy, and
// the reader's chunks and end (when the data ends in it).
std::string data_paths(std::string_view in, std::size_t cut, bool scalar) {
  const scalar_scope scope(scalar);
  const std::string_view a = in.substr(0, cut);
  const std::string_view b = in.substr(cut);
  std::string log;
  for (const bool nul : {false, true}) {
    for (const auto policy : {mailwire::line_end_policy::reject, mailwire::line_end_policy::normalize}) {
      mailwire::dot_options o;
      o.allow_nul = nul;
      o.bare_line_ends = policy;
      mailwire::line_rules_checker c(o);
      (void)c.check(a, 0);
      (void)c.check(b, a.size());
      log += std::to_string(static_cast<int>(c.finish())) + "@" + std::to_string(c.error_offset()) + ";";
      mailwire::recv_buffer rb;
      mailwire::dot_reader r(o);
      for (const std::string_view piece : {a, b}) {
        REQUIRE(rb.feed(piece) == piece.size());
        for (mailwire::dot_event e = r.next(rb); e.type != mailwire::dot_event_type::need_more; e = r.next(rb)) {
          log += e.type == mailwire::dot_event_type::chunk ? "[" + std::string(e.bytes) + "]"
                                                           : "end " + std::to_string(static_cast<int>(e.error)) + "@" +
                                                                 std::to_string(e.error_offset) + ";";
        }
      }
    }
  }
  for (const auto policy : {mailwire::line_end_policy::reject, mailwire::line_end_policy::normalize}) {
    mailwire::output_queue out;
    mailwire::dot_writer w(policy);
    log += std::to_string(static_cast<int>(w.write(a, out))) + std::to_string(static_cast<int>(w.write(b, out)));
    w.finish(out);
    log += std::string(out.pending()) + ";";
  }
  log += std::to_string(mailwire::utf8::invalid_at(in));
  return log;
}

// At each split (chunk boundaries depend on it, the rest does not).
void check_data_paths(std::string_view in, std::size_t step) {
  for (std::size_t i = 0; i <= in.size(); i += step) REQUIRE(data_paths(in, i, false) == data_paths(in, i, true));
}

std::size_t naive(std::string_view s, const byte_set& set) {
  std::size_t i = 0;
  while (i < s.size() && !set.contains(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// Checks scan and scan_copy on `s` (at an offset inside a larger buffer, so
// unaligned starts are covered) at every level.
void check_all(const std::string& s, const byte_set& set) {
  const std::size_t want = naive(s, set);
  for (const scan_level l : levels()) {
    const char* b = s.data();
    REQUIRE(static_cast<std::size_t>(mailwire::detail::scan(l, b, b + s.size(), set) - b) == want);
    std::string out(s.size() + 16, '#');
    char* o = &out[0];
    const char* hit = mailwire::detail::scan_copy(l, b, b + s.size(), set, o);
    REQUIRE(static_cast<std::size_t>(hit - b) == want);
    REQUIRE(static_cast<std::size_t>(o - out.data()) == want);
    REQUIRE(out.compare(0, want, s, 0, want) == 0);
    REQUIRE(out.substr(s.size()) == std::string(16, '#'));  // nothing past the room
  }
}

}  // namespace

TEST_CASE("scan: every level finds the first byte of the set at every position and length", "[scan]") {
  const byte_set sets[] = {make_byte_set("=\r\n"), make_byte_set("\r\n"), make_byte_set("\r\n", true),
                           make_byte_set(std::string_view("\r\n\0", 3)), make_byte_set(""),
                           make_byte_set("\x80\xff"), make_byte_set(".")};
  for (const byte_set& set : sets) {
    for (std::size_t n = 0; n <= 140; ++n) {  // two AVX-512 vectors and a tail
      for (std::size_t off = 0; off < 2; ++off) {
        std::string buf(off, 'x');
        buf.append(n, 'a');
        const std::string s = buf.substr(off);
        check_all(s, set);  // no hit
        for (std::size_t at = 0; at < n; ++at) {
          for (std::size_t k = 0; k < 4; ++k) {
            const unsigned char c = set.b[k];
            if (k != 0 && c == set.b[0]) continue;  // a repeated slot
            std::string t = s;
            t[at] = static_cast<char>(c);
            check_all(t, set);
            if (at + 1 < n) {
              t[at + 1] = '\r';  // a later hit must not win
              check_all(t, set);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("scan: bytes next to the set's values are not hits", "[scan]") {
  // Neighbours of each value (±1, the high bit flipped) through every lane.
  const byte_set set = make_byte_set("=\r\n.");
  for (std::size_t n : {15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 65u, 130u}) {
    for (const int c : {'=' - 1, '=' + 1, '\r' - 1, '\r' + 1, '\n' - 1, '\n' + 1, '.' + 0x80, '=' + 0x80, 0x00, 0xFF}) {
      check_all(std::string(n, static_cast<char>(c)), set);
    }
  }
  check_all(std::string(100, '\x7f'), make_byte_set("", true));
  check_all(std::string(100, '\x80'), make_byte_set("", true));
}

TEST_CASE("scan: random bytes, every level agrees with the reading byte by byte", "[scan]") {
  std::mt19937 rng(15);
  const byte_set sets[] = {make_byte_set("=\r\n"), make_byte_set(std::string_view("\r\n\0", 3)),
                           make_byte_set("", true), make_byte_set("\r\n.", true)};
  for (int round = 0; round < 1000; ++round) {
    std::string s(rng() % 300, '\0');
    const auto spread = 1u + static_cast<unsigned>(rng() % 255u);  // how often a byte may be in the set
    for (char& c : s) c = static_cast<char>(rng() % spread == 0 ? rng() : 'a' + rng() % 26);
    for (const byte_set& set : sets) check_all(s, set);
  }
}

TEST_CASE("scan: the dispatched level follows cpu::force_scalar", "[scan]") {
  const bool was = cpu::scalar_forced();
  cpu::force_scalar(true);
  CHECK(mailwire::detail::scan_level_now() == scan_level::scalar);
  cpu::force_scalar(false);
  CHECK(mailwire::detail::scan_level_now() == levels().back());
  cpu::force_scalar(was);
}

TEST_CASE("scan users: DATA reader, writer and line rules agree dispatched and scalar", "[scan][dot]") {
  // Mail-like lines long enough for several vectors, then one troublesome
  // byte at every position.
  std::string text;
  for (int i = 0; i < 3; ++i) {
    text += ".Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod te\r\n";
    text += "caf\xC3\xA9 d\xC3\xA9j\xC3\xA0 \xE2\x82\xAC at the end of a line that runs past one vector\r\n";
  }
  const std::string body = text + ".\r\n";
  check_data_paths(body, 1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (const char c : {'\r', '\n', '\0', '.', '\x80', '\xC3'}) {
      std::string t = text;
      t[i] = c;
      check_data_paths(t + ".\r\n", 29);
    }
  }
  std::mt19937 rng(5321);
  static const char* const pieces[] = {"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz", "\r\n", "\r\n.",
                                       "\r", "\n", ".", std::string_view("\0", 1).data(), "\xC3\xA9", "\xED\xA0\x80"};
  for (int round = 0; round < 300; ++round) {
    std::string s;
    const std::size_t n = rng() % 300;
    while (s.size() < n) {
      const std::size_t k = rng() % (sizeof pieces / sizeof *pieces);
      const char* p = pieces[k];
      s += k == 0 ? std::string(p, rng() % 64) : k == 6 ? std::string(1, '\0') : std::string(p);
    }
    check_data_paths(s + "\r\n.\r\n", 5);
  }
}

namespace {
// utf8::invalid_at's answer read character by character with decode().
std::size_t invalid_at_reference(std::string_view in) {
  std::size_t i = 0;
  while (i < in.size()) {
    const std::size_t n = mailwire::utf8::decode(in, i).length;
    if (n == 0) return i;
    i += n;
  }
  return in.size();
}

void check_utf8(std::string_view in) {
  const std::size_t want = invalid_at_reference(in);
  REQUIRE(mailwire::utf8::invalid_at(in) == want);
  const scalar_scope scope(true);
  REQUIRE(mailwire::utf8::invalid_at(in) == want);
}
}  // namespace

TEST_CASE("scan users: utf8::invalid_at, dispatched and scalar, against decode() at every position", "[scan][utf8]") {
  // ASCII runs around every kind of character and malformation.
  static const char* const chars[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
                                      "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE0\x9F\xBF",
                                      "\x80",     "\xFF",         "\xC3",             "\xF0\x9F\x98"};
  for (const char* c : chars) {
    for (std::size_t before = 0; before < 140; before += 3) {
      for (std::size_t after : {0u, 1u, 15u, 64u, 70u}) {
        check_utf8(std::string(before, 'a') + c + std::string(after, 'b'));
        check_utf8(std::string(before, 'a') + "\xC3\xA9" + c + "\xE2\x82\xAC" + std::string(after, 'b'));
      }
    }
  }
  std::mt19937 rng(3629);
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const std::size_t n = rng() % 300;
    while (s.size() < n) {
      const auto k = rng() % 16;
      s += k < 12 ? std::string(chars[k % 4]) : std::string(rng() % 80, 'x');  // valid text
    }
    check_utf8(s);
    if (!s.empty()) {
      s[rng() % s.size()] = static_cast<char>(rng());  // one byte anywhere, maybe breaking it
      check_utf8(s);
    }
  }
}
