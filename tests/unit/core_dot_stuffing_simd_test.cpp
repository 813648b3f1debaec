// The vector kernels of core/dot_stuffing.hpp (issue 15): dot_writer's
// bulk copy at each kernel level against a byte-by-byte reading of what it
// must copy, and the writer dispatched (AVX-512, AVX2) against the writer
// forced scalar; find_unpaired's kernels (the line rules of dot_reader and
// line_rules_checker) against the scalar search. On text with every
// unusual byte (".", CR, LF, NUL, CR without LF, LF without CR) at every
// position around the 32- and 64-byte block boundaries, on random text,
// and in every split into two chunks.
#include <mailwire/core/dot_stuffing.hpp>

#include <random>
#include <string>
#include <string_view>

#include "catch.hpp"
#include "scalar_scope.hpp"

using mailwire::line_end_policy;
namespace detail = mailwire::detail;

namespace {

// The bytes the kernels may copy unchanged from the front of `s`: up to a
// bare LF, a CR not followed by LF within `s`, or (when `dots`) a "." that
// starts a line (at 0 when `bol`).
std::size_t plain_reference(std::string_view s, bool bol, bool dots) {
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (s[j] == '\n' && (j == 0 || s[j - 1] != '\r')) return j;
    if (s[j] == '\r' && (j + 1 == s.size() || s[j + 1] != '\n')) return j;
    if (dots && s[j] == '.' && (j == 0 ? bol : s[j - 1] == '\n')) return j;
  }
  return s.size();
}

// find_unpaired at each kernel level against the scalar search, with and
// without a CR before `s`, on `s` and on each of its suffixes from 1 to 3.
void check_unpaired(std::string_view s) {
  for (std::size_t skip = 0; skip < 4 && skip <= s.size(); ++skip) {
    const std::string_view t = s.substr(skip);
    for (const bool cr_before : {false, true}) {
      const std::size_t want = detail::find_unpaired_scalar(t, cr_before);
      INFO("input " << t.size() << " bytes, cr_before " << cr_before);
#if defined(MAILWIRE_SIMD_X86)
      if ((mailwire::cpu::detected() & mailwire::cpu::avx512) != 0) {
        CHECK(detail::find_unpaired_avx512(t.data(), t.size(), cr_before) == want);
      }
      if ((mailwire::cpu::detected() & mailwire::cpu::avx2) != 0) {
        CHECK(detail::find_unpaired_avx2(t, cr_before) == want);
      }
#endif
      CHECK(detail::find_unpaired(t, cr_before) == want);
    }
  }
}

// Every kernel level this CPU has, each against the reference: AVX-512
// answers exactly; AVX2 stops at its last whole 32-byte vector at most
// (before it, when that vector ends with a CR).
void check_kernels(std::string_view s) {
  for (const bool bol : {false, true}) {
    for (const bool dots : {false, true}) {
      const std::size_t want = plain_reference(s, bol, dots);
      INFO("input " << s.size() << " bytes, bol " << bol << ", dots " << dots);
      for (const auto level : {detail::scan_level::avx2, detail::scan_level::avx512}) {
        const std::uint32_t need = level == detail::scan_level::avx2 ? mailwire::cpu::avx2 : mailwire::cpu::avx512;
        if ((mailwire::cpu::detected() & need) != need) continue;
        std::string out(s.size(), '\x7f');
        const std::size_t got = detail::plain_prefix(level, s.data(), s.size(), &out[0], bol, dots);
        std::size_t whole = level == detail::scan_level::avx2 ? s.size() / 32 * 32 : s.size();
        // AVX2 leaves the tail to the scalar step, and the LF of a CRLF
        // split there with its CR.
        if (whole != 0 && whole < want && s[whole - 1] == '\r') --whole;
        CHECK(got == (want < whole ? want : whole));
        CHECK(out.compare(0, got, s, 0, got) == 0);
        if (level == detail::scan_level::avx512) CHECK(out.find_first_not_of('\x7f', got) == std::string::npos);
      }
    }
  }
}

// What the writer makes of `in` in two chunks split at `cut`, with the
// kernel level `disable` leaves (forced scalar when `scalar`).
std::string written(std::string_view in, std::size_t cut, line_end_policy policy, bool stuffing, bool scalar,
                    std::uint32_t disable) {
  const mailwire_test::scalar_scope forced(scalar);
  const std::uint32_t was = mailwire::cpu::disabled();
  mailwire::cpu::disable(disable);
  mailwire::output_queue out;
  mailwire::dot_writer w(policy, stuffing);
  std::string log;
  log += std::to_string(static_cast<int>(w.write(in.substr(0, cut), out))) + ",";
  log += std::to_string(static_cast<int>(w.write(in.substr(cut), out))) + ":";
  if (stuffing) {
    w.finish(out);
  } else {
    w.finish_unstuffed(out);
  }
  mailwire::cpu::disable(was);
  return log + std::string(out.pending());
}

// Dispatched (AVX-512, then AVX2) against forced scalar, every option.
void check_writer(std::string_view in, std::size_t cut) {
  for (const auto policy : {line_end_policy::normalize, line_end_policy::reject}) {
    for (const bool stuffing : {true, false}) {
      const std::string want = written(in, cut, policy, stuffing, true, 0);
      INFO("cut " << cut << ", reject " << (policy == line_end_policy::reject) << ", stuffing " << stuffing);
      CHECK(written(in, cut, policy, stuffing, false, 0) == want);
      CHECK(written(in, cut, policy, stuffing, false, mailwire::cpu::avx512) == want);
    }
  }
}

// CRLF lines of `width` bytes of text, `total` bytes in all.
std::string crlf_text(std::size_t total, std::size_t width) {
  std::string s;
  while (s.size() < total) {
    s += std::string(width, 'a');
    s += "\r\n";
  }
  s.resize(total);
  return s;
}

}  // namespace

TEST_CASE("dot kernels: every unusual byte at every position around the block edges", "[dot][simd]") {
  const std::string_view marks[] = {".", "\r", "\n", std::string_view("\0", 1), "\r\n", "\r\n.", ".\r\n", "\n.",
                                    "\r\r\n", "\n\n", "\r\n\r\n.."};
  for (const std::size_t width : {std::size_t{0}, std::size_t{5}, std::size_t{62}, std::size_t{76}}) {
    const std::string base = crlf_text(200, width);
    for (const std::string_view mark : marks) {
      for (std::size_t at = 0; at + mark.size() <= 140; ++at) {
        std::string s = base;
        s.replace(at, mark.size(), mark);
        check_kernels(s);
        check_unpaired(s);
        check_kernels(std::string_view(s).substr(0, 64));
        check_kernels(std::string_view(s).substr(0, 65));
        check_writer(s, 0);
        check_writer(s, at);
        check_writer(s, at + 1 < s.size() ? at + 1 : at);
      }
    }
  }
}

TEST_CASE("dot kernels: a CR or LF split from its partner at each block's edge", "[dot][simd]") {
  for (std::size_t n = 60; n <= 132; ++n) {
    for (const std::string_view tail : {"\r", "\r\n", "\n", "\r.", "\r\n."}) {
      std::string s(n, 'x');
      s += tail;
      s += "yyyy\r\n";
      check_kernels(s);
      check_unpaired(s);
      for (std::size_t cut = n - 2; cut <= n + 2; ++cut) check_writer(s, cut);
    }
  }
}

TEST_CASE("dot kernels: random text of unusual bytes, every split, against forced scalar", "[dot][simd]") {
  std::mt19937 rng(15);
  const char alphabet[] = {'a', 'b', '.', '\r', '\n', '\0', ' ', '\x80'};
  for (int round = 0; round < 300; ++round) {
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 300)(rng);
    // Mostly CRLF text with a few unusual bytes, or all unusual bytes.
    const bool dense = round % 4 == 0;
    std::string s;
    while (s.size() < n) {
      const unsigned r = std::uniform_int_distribution<unsigned>(0, dense ? 7 : 99)(rng);
      if (!dense && r >= 8) {
        s += r < 90 ? "text" : "\r\n";
      } else {
        s += alphabet[r % 8];
      }
    }
    check_kernels(s);
    check_unpaired(s);
    for (std::size_t cut = 0; cut <= s.size(); cut += round % 2 == 0 ? std::size_t{1} : std::size_t{7}) check_writer(s, cut);
  }
}
