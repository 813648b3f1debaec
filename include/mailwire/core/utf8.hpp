// mailwire: UTF-8, strictly by RFC 3629 (no overlong forms, no surrogates,
// nothing above U+10FFFF). The one decoder the SMTP paths, SASLprep, MIME
// headers and the charset converters share.
#ifndef MAILWIRE_CORE_UTF8_HPP
#define MAILWIRE_CORE_UTF8_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "mailwire/core/scan.hpp"

namespace mailwire {
inline namespace v0 {
namespace utf8 {

/// One decoded code point; `length` 0 means the bytes are not well-formed.
struct decoded {
  char32_t cp = 0;         ///< the code point (0 when not well-formed)
  std::size_t length = 0;  ///< bytes it takes, 1 to 4; 0: not well-formed
};

/// Decodes the character at `in[i]` (i < in.size()). A truncated sequence
/// at the end of `in` is not well-formed.
constexpr decoded decode(std::string_view in, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  const unsigned b0 = byte(i);
  if (b0 < 0x80) return {static_cast<char32_t>(b0), 1};
  std::size_t n = 0;
  unsigned lo = 0x80;  // the range of the second byte
  unsigned hi = 0xBF;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return {};  // a continuation byte, C0, C1 (overlong) or F5-FF
  }
  if (in.size() - i < n) return {};
  for (std::size_t k = 1; k < n; ++k) {
    const unsigned b = byte(i + k);
    if (b < lo || b > hi) return {};
    lo = 0x80;
    hi = 0xBF;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return {cp, n};
}

namespace detail {

/// invalid_at's scalar reference, from `from` (a place where a character
/// starts): ASCII runs through the shared scan at `level` (core/scan.hpp:
/// the next byte >= 0x80), non-ASCII characters decoded one by one, a run of
/// them without going back to the scan. Returns the offset in `in`.
inline std::size_t invalid_at_scalar(std::string_view in, std::size_t from,
                                     mailwire::detail::scan_level level) noexcept {
  static constexpr mailwire::detail::byte_set non_ascii = mailwire::detail::make_byte_set("", true);
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const char* p = begin + from;
  for (;;) {
    p = mailwire::detail::scan(level, p, end, non_ascii);
    while (p != end && static_cast<unsigned char>(*p) >= 0x80) {
      const auto i = static_cast<std::size_t>(p - begin);
      const std::size_t n = decode(in, i).length;
      if (n == 0) return i;
      p += n;
    }
    if (p == end) return in.size();
  }
}

/// Where the scalar code takes over when the block at `at` shows an error:
/// the start of the last character that begins before `at`. The blocks
/// before `at` passed, so [0, at) is well-formed UTF-8 but for its last
/// character, which may run on into the block; that character starts at the
/// nearest byte within three back that is not a continuation byte, or at
/// `at` itself after three continuation bytes (they end a 4-byte character).
inline std::size_t utf8_restart_before(std::string_view in, std::size_t at) noexcept {
  for (std::size_t k = 1; k <= 3 && k <= at; ++k) {
    if ((static_cast<unsigned char>(in[at - k]) & 0xC0u) != 0x80u) return at - k;
  }
  return at;
}

#if defined(MAILWIRE_SIMD_X86)
// The vector validator: the "lookup" algorithm of Keiser and Lemire,
// "Validating UTF-8 in less than one instruction per byte" (2021). Each byte
// is classified together with the byte before it (prev1): three 16-entry
// tables, indexed by prev1's high nibble, prev1's low nibble and the byte's
// own high nibble, each give the set of error kinds the pair might show;
// their AND is the set it shows. Bit 7 of that set is not an error but "a
// continuation byte after a continuation byte", which is right exactly when
// the byte two back starts a 3- or 4-byte character or the byte three back
// a 4-byte one; a mismatch between the two is the last error kind (too few
// or too many continuation bytes). The block before the first is zero
// (ASCII) and the last block is padded with zeros, so a character cut off
// by the end of the input is a lead byte followed by ASCII, an error like
// any other.
//
// The kernels only tell whether a block is clean. At the first block that
// is not, they return the place utf8_restart_before() gives for it, and the
// scalar code finds the offset from there: the answer is the scalar one by
// construction. A clean input leaves the scalar code nothing to do.
namespace utf8_lookup {
// The error kinds of a byte pair (prev1, byte), one bit each.
constexpr unsigned char too_short = 1u << 0;     // lead byte, then no continuation byte
constexpr unsigned char too_long = 1u << 1;      // ASCII, then a continuation byte
constexpr unsigned char overlong_3 = 1u << 2;    // E0 80..9F
constexpr unsigned char too_large = 1u << 3;     // F4 90..BF, F5..FF 90..BF
constexpr unsigned char surrogate = 1u << 4;     // ED A0..BF
constexpr unsigned char overlong_2 = 1u << 5;    // C0..C1 80..BF
constexpr unsigned char too_large_80 = 1u << 6;  // F5..FF 80..8F, and (same bit, also only after F_)
constexpr unsigned char overlong_4 = 1u << 6;    // F0 80..8F
constexpr unsigned char two_conts = 1u << 7;     // 80..BF 80..BF: checked against the lead bytes
// The kinds the high nibbles alone decide: every low nibble lets them through.
constexpr unsigned char by_high = too_short | too_long | two_conts;
constexpr unsigned char above = by_high | too_large | too_large_80;  // low nibble 5..F

// 16 bytes each, in this order: by prev1 >> 4, by prev1 & 0x0F, by byte >> 4.
alignas(16) inline constexpr unsigned char tables[3][16] = {
    {too_long, too_long, too_long, too_long, too_long, too_long, too_long, too_long,  // 0x00-0x7F
     two_conts, two_conts, two_conts, two_conts,                                      // 0x80-0xBF
     too_short | overlong_2,                                                          // 0xC0-0xCF
     too_short,                                                                       // 0xD0-0xDF
     too_short | overlong_3 | surrogate,                                              // 0xE0-0xEF
     too_short | too_large | too_large_80 | overlong_4},                              // 0xF0-0xFF
    {by_high | overlong_3 | overlong_2 | overlong_4,  // _0
     by_high | overlong_2,                            // _1
     by_high, by_high,                                // _2, _3
     by_high | too_large,                             // _4
     above, above, above, above, above, above, above, above,  // _5.._C
     above | surrogate,                                        // _D
     above, above},                                            // _E, _F
    {too_short, too_short, too_short, too_short, too_short, too_short, too_short, too_short,  // 0x00-0x7F
     too_long | overlong_2 | two_conts | overlong_3 | too_large_80 | overlong_4,             // 0x80-0x8F
     too_long | overlong_2 | two_conts | overlong_3 | too_large,                             // 0x90-0x9F
     too_long | overlong_2 | two_conts | surrogate | too_large,                              // 0xA0-0xAF
     too_long | overlong_2 | two_conts | surrogate | too_large,                              // 0xB0-0xBF
     too_short, too_short, too_short, too_short}};                                           // 0xC0-0xFF

// prev1 through a two-register byte permute (VBMI): its byte i is byte
// 63 + i of the pair (block before, block).
alignas(64) inline constexpr unsigned char prev1_index[64] = {
    63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88,
    89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126};
}  // namespace utf8_lookup

// Nonzero lanes where the 32 bytes `x`, after `prev`, are not UTF-8.
MAILWIRE_TARGET_AVX2 inline __m256i utf8_errors_avx2(__m256i x, __m256i prev, const __m256i (&t)[3]) noexcept {
  const __m256i joined = _mm256_permute2x128_si256(prev, x, 0x21);  // prev's high lane, x's low lane
  const __m256i prev1 = _mm256_alignr_epi8(x, joined, 15);
  const __m256i prev2 = _mm256_alignr_epi8(x, joined, 14);
  const __m256i prev3 = _mm256_alignr_epi8(x, joined, 13);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i kinds = _mm256_and_si256(
      _mm256_and_si256(_mm256_shuffle_epi8(t[0], _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low4)),
                       _mm256_shuffle_epi8(t[1], _mm256_and_si256(prev1, low4))),
      _mm256_shuffle_epi8(t[2], _mm256_and_si256(_mm256_srli_epi16(x, 4), low4)));
  // Bit 7 set where prev2 >= 0xE0 or prev3 >= 0xF0 (unsigned saturation).
  const __m256i must_follow = _mm256_and_si256(
      _mm256_or_si256(_mm256_subs_epu8(prev2, _mm256_set1_epi8(static_cast<char>(0xE0 - 0x80))),
                      _mm256_subs_epu8(prev3, _mm256_set1_epi8(static_cast<char>(0xF0 - 0x80)))),
      _mm256_set1_epi8(static_cast<char>(0x80)));
  return _mm256_xor_si256(kinds, must_follow);
}

/// Where invalid_at's scalar code must go on (in.size() when all of `in` is
/// UTF-8), with AVX2: 32 bytes a block.
MAILWIRE_TARGET_AVX2 inline std::size_t utf8_checked_avx2(std::string_view in) noexcept {
  const __m256i t[3] = {
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(utf8_lookup::tables[0]))),
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(utf8_lookup::tables[1]))),
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(utf8_lookup::tables[2])))};
  const char* const p = in.data();
  const std::size_t n = in.size();
  __m256i prev = _mm256_setzero_si256();
  bool prev_ascii = true;
  std::size_t i = 0;
  for (; n - i >= 32; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const bool ascii = _mm256_movemask_epi8(x) == 0;
    // ASCII after ASCII: nothing to check (and ASCII is as good a prev1..3
    // as any other ASCII).
    if (ascii && prev_ascii) continue;
    const __m256i e = utf8_errors_avx2(x, prev, t);
    if (_mm256_testz_si256(e, e) == 0) return utf8_restart_before(in, i);
    prev = x;
    prev_ascii = ascii;
  }
  // The rest (maybe nothing), padded with zeros: a character cut off by the
  // end fails here.
  alignas(32) char last[32] = {};
  if (n != i) std::memcpy(last, p + i, n - i);
  const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(last));
  const __m256i e = utf8_errors_avx2(x, prev, t);
  return _mm256_testz_si256(e, e) != 0 ? n : utf8_restart_before(in, i);
}

// A 16-byte table in each 128-bit lane. The masked broadcast: g++ 12's
// plain one warns (-Wuninitialized) on its own placeholder operand when
// optimising.
MAILWIRE_TARGET_AVX512 inline __m512i utf8_lanes_avx512(const unsigned char (&table)[16]) noexcept {
  return _mm512_maskz_broadcast_i32x4(static_cast<__mmask16>(0xFFFF),
                                      _mm_load_si128(reinterpret_cast<const __m128i*>(table)));
}

// The AVX-512 kernel's state between blocks: the block before (for prev1)
// and where it has 3- and 4-byte lead bytes (bit i: byte i >= 0xE0, >= 0xF0).
struct utf8_avx512_carry {
  __m512i prev;
  std::uint64_t lead3;
  std::uint64_t lead4;
};

// Nonzero bits where the 64 bytes `x`, after the block in `c`, are not
// UTF-8; `c` then describes `x`. prev2 and prev3 are only compared with
// 0xE0 and 0xF0, so those compares run on `x` and their masks are shifted
// (in general registers) rather than the bytes (a byte permute each).
MAILWIRE_TARGET_AVX512 inline std::uint64_t utf8_errors_avx512(__m512i x, utf8_avx512_carry& c, const __m512i (&t)[3],
                                                               __m512i shift1) noexcept {
  const __m512i prev1 = _mm512_permutex2var_epi8(c.prev, shift1, x);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i kinds =
      _mm512_ternarylogic_epi32(_mm512_shuffle_epi8(t[0], _mm512_and_si512(_mm512_srli_epi16(prev1, 4), low4)),
                                _mm512_shuffle_epi8(t[1], _mm512_and_si512(prev1, low4)),
                                _mm512_shuffle_epi8(t[2], _mm512_and_si512(_mm512_srli_epi16(x, 4), low4)),
                                0x80);  // a & b & c
  // Bit 7 of x - 0x60 (saturating) is x >= 0xE0; of x - 0x70, x >= 0xF0.
  const auto lead3 = static_cast<std::uint64_t>(
      _mm512_movepi8_mask(_mm512_subs_epu8(x, _mm512_set1_epi8(static_cast<char>(0xE0 - 0x80)))));
  const auto lead4 = static_cast<std::uint64_t>(
      _mm512_movepi8_mask(_mm512_subs_epu8(x, _mm512_set1_epi8(static_cast<char>(0xF0 - 0x80)))));
  const std::uint64_t must_follow = (lead3 << 2) | (c.lead3 >> 62) | (lead4 << 3) | (c.lead4 >> 61);
  const auto follows = static_cast<std::uint64_t>(_mm512_movepi8_mask(kinds));  // bit 7: two_conts
  const auto errors = static_cast<std::uint64_t>(_mm512_test_epi8_mask(kinds, _mm512_set1_epi8(0x7F)));
  c = {x, lead3, lead4};
  return errors | (must_follow ^ follows);
}

/// Where invalid_at's scalar code must go on (in.size() when all of `in` is
/// UTF-8), with AVX-512 BW and VBMI: 64 bytes a block, the last one through
/// a masked load (nothing past the end is read).
MAILWIRE_TARGET_AVX512 inline std::size_t utf8_checked_avx512(std::string_view in) noexcept {
  const __m512i t[3] = {utf8_lanes_avx512(utf8_lookup::tables[0]), utf8_lanes_avx512(utf8_lookup::tables[1]),
                        utf8_lanes_avx512(utf8_lookup::tables[2])};
  const __m512i shift1 = _mm512_load_si512(utf8_lookup::prev1_index);
  const char* const p = in.data();
  const std::size_t n = in.size();
  utf8_avx512_carry c{_mm512_setzero_si512(), 0, 0};
  bool prev_ascii = true;
  std::size_t i = 0;
  for (; n - i >= 64; i += 64) {
    const __m512i x = _mm512_loadu_si512(p + i);
    const bool ascii = _mm512_movepi8_mask(x) == 0;
    // ASCII after ASCII: nothing to check (and the carry stays ASCII).
    if (ascii && prev_ascii) continue;
    if (utf8_errors_avx512(x, c, t, shift1) != 0) return utf8_restart_before(in, i);
    prev_ascii = ascii;
  }
  const __mmask64 k = _bzhi_u64(~std::uint64_t{0}, static_cast<unsigned>(n - i));
  const __m512i x = _mm512_maskz_loadu_epi8(k, p + i);  // zeros past the end
  return utf8_errors_avx512(x, c, t, shift1) == 0 ? n : utf8_restart_before(in, i);
}
#endif

}  // namespace detail

/// Offset of the first byte of `in` that does not start a well-formed
/// character, or in.size() when all of `in` is UTF-8. Where the CPU has
/// AVX-512 (BW, VBMI) or AVX2, whole blocks are validated by a vector kernel
/// and the scalar code finds the exact offset from just before the first
/// block that is not clean; otherwise (and below 16 bytes) ASCII runs are
/// skipped by the shared scan and the rest decoded character by character.
/// Either way the answer is the same.
inline std::size_t invalid_at(std::string_view in) noexcept {
  const mailwire::detail::scan_level level = mailwire::detail::scan_level_now();
  std::size_t from = 0;
#if defined(MAILWIRE_SIMD_X86)
  if (in.size() >= 16) {
    if (cpu::has(cpu::avx512)) {
      from = detail::utf8_checked_avx512(in);
    } else if (cpu::has(cpu::avx2)) {
      from = detail::utf8_checked_avx2(in);
    }
  }
#endif
  return detail::invalid_at_scalar(in, from, level);
}

/// True when all of `in` is well-formed UTF-8.
inline bool valid(std::string_view in) noexcept { return invalid_at(in) == in.size(); }

/// Appends the UTF-8 form of `cp` (a scalar value: not a surrogate, at most
/// U+10FFFF; anything else appends U+FFFD).
inline void append(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    append(0xFFFD, out);
  }
}

}  // namespace utf8
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_UTF8_HPP
