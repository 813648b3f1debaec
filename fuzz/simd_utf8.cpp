// utf8::invalid_at's vector kernels against the scalar reference: the offset
// of the first byte that does not start a well-formed character must be
// what the forced-scalar call says (the scalar code, which
// unit/simd_utf8_test.cpp checks against a decode() reading) for the
// dispatched call and each kernel the CPU has (AVX2, AVX-512), on the input
// as it is and shifted by 1..3 bytes (other block edges).
// With the first byte odd, the rest is read as code points (two bytes each,
// written as UTF-8) and then one byte is overwritten: long valid text of
// every length with one error somewhere, which raw inputs rarely are.
#include <mailwire/core/cpu.hpp>
#include <mailwire/core/utf8.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace utf8 = mailwire::utf8;

void check(std::string_view in) {
  namespace detail = utf8::detail;
  const auto scalar = mailwire::detail::scan_level::scalar;
  mailwire::cpu::force_scalar(true);
  const std::size_t want = utf8::invalid_at(in);
  mailwire::cpu::force_scalar(false);
  MAILWIRE_FUZZ_CHECK(utf8::invalid_at(in) == want);
#if defined(MAILWIRE_SIMD_X86)
  const std::uint32_t have = mailwire::cpu::detected();
  if ((have & mailwire::cpu::avx2) != 0) {
    MAILWIRE_FUZZ_CHECK(detail::invalid_at_scalar(in, detail::utf8_checked_avx2(in), scalar) == want);
  }
  if ((have & mailwire::cpu::avx512) != 0) {
    MAILWIRE_FUZZ_CHECK(detail::invalid_at_scalar(in, detail::utf8_checked_avx512(in), scalar) == want);
  }
#endif
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t opts = mailwire_fuzz::take_byte(in);
  std::string text;
  if ((opts & 1) != 0) {
    // Code points of 7, 11, 16 or 21 bits (by the top bits of each pair),
    // so every sequence length is common; surrogates and values above
    // U+10FFFF become U+FFFD (utf8::append).
    const std::uint8_t at_hi = mailwire_fuzz::take_byte(in);
    const std::uint8_t at_lo = mailwire_fuzz::take_byte(in);
    const std::uint8_t bad = mailwire_fuzz::take_byte(in);
    for (std::size_t i = 0; i + 1 < in.size(); i += 2) {
      const auto a = static_cast<unsigned char>(in[i]);
      const auto b = static_cast<unsigned char>(in[i + 1]);
      const char32_t v = (static_cast<char32_t>(a & 0x3F) << 8) | b;
      static constexpr char32_t masks[4] = {0x7F, 0x7FF, 0xFFFF, 0x1FFFFF};
      const char32_t cp = (a >> 6) == 3 ? (v << 5) & masks[3] : v & masks[a >> 6];
      utf8::append(cp, text);
    }
    if ((opts & 2) != 0 && !text.empty()) {
      text[((static_cast<std::size_t>(at_hi) << 8) | at_lo) % text.size()] = static_cast<char>(bad);
    }
    in = text;
  }
  for (std::size_t shift = 0; shift < 4 && shift <= in.size(); ++shift) check(in.substr(shift));
  return 0;
}
