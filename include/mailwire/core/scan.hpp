// mailwire: "find the first byte of a small set", the one byte scan the hot
// paths share (quoted-printable decoding, UTF-8's ASCII runs). A search for
// one byte value is better left to memchr, which every libc vectorises.
//
// A set is up to four byte values, optionally with every byte >= 0x80. The
// scan is compiled four times: a scalar reference (eight bytes at a time,
// SWAR, so a build without vector kernels stays fast), and SSE4.2, AVX2 and
// AVX-512BW kernels with per-function target attributes (core/cpu.hpp). A
// caller picks the level once per call (scan_level_now()) and passes it to
// every scan it makes, so the CPU check is not paid per run.
//
// Every kernel answers exactly what the scalar one answers: it looks at whole
// vectors while they fit and hands the tail to the scalar code (AVX-512 uses
// a masked load instead, which reads nothing past the end). The copying form
// (scan_copy) stores each block to the output before testing it, which is
// why its output must have room for the whole rest of the input: it never
// writes past out + (end - p), but may write there beyond the hit.
#ifndef MAILWIRE_CORE_SCAN_HPP
#define MAILWIRE_CORE_SCAN_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mailwire/core/cpu.hpp"

namespace mailwire {
inline namespace v0 {
namespace detail {

/// Which kernels the scans of one call use: chosen once by
/// scan_level_now(), then passed to each scan.
enum class scan_level : std::uint8_t { scalar, sse42, avx2, avx512 };

/// The widest kernel family cpu::has() allows now: the CPU, less what
/// cpu::force_scalar() and cpu::disable() turned off (so a test can reach
/// the AVX2 kernels on an AVX-512 machine).
inline scan_level scan_level_now() noexcept {
#if defined(MAILWIRE_SIMD_X86)
  if (cpu::has(cpu::avx512)) return scan_level::avx512;
  if (cpu::has(cpu::avx2)) return scan_level::avx2;
  if (cpu::has(cpu::sse42)) return scan_level::sse42;
#endif
  return scan_level::scalar;
}

/// The bytes a scan stops at: up to four values (unused slots repeat the
/// first) and, when `non_ascii`, every byte >= 0x80. Make one with
/// make_byte_set().
struct byte_set {
  unsigned char b[4];
  bool non_ascii;
  /// The values the scalar loop tests: each once, none >= 0x80 when
  /// non_ascii covers them.
  unsigned char distinct[4];
  std::uint8_t n_distinct;

  constexpr bool contains(unsigned char c) const noexcept {
    return c == b[0] || c == b[1] || c == b[2] || c == b[3] || (non_ascii && c >= 0x80);
  }
};

/// The set of the bytes of `s` (at most four; more are ignored) and, when
/// `non_ascii`, of every byte >= 0x80. With `s` empty, the set is the
/// non-ASCII bytes (whatever `non_ascii` says).
constexpr byte_set make_byte_set(std::string_view s, bool non_ascii = false) noexcept {
  byte_set r{{0x80, 0x80, 0x80, 0x80}, non_ascii || s.empty(), {0, 0, 0, 0}, 0};
  for (std::size_t i = 0; i < 4; ++i) {
    if (!s.empty()) r.b[i] = static_cast<unsigned char>(s[i < s.size() ? i : 0]);
    bool seen = r.non_ascii && r.b[i] >= 0x80;
    for (std::size_t k = 0; k < r.n_distinct; ++k) seen = seen || r.distinct[k] == r.b[i];
    if (!seen) r.distinct[r.n_distinct++] = r.b[i];
  }
  return r;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/// The scalar word loop for `N` distinct values `v` (and the non-ASCII bytes
/// when `high` is all 0x80s): first member at or after p, stopping where
/// fewer than eight bytes are left (returns that place). In each word the
/// lowest byte flagged by the has-zero test is exact (borrows run only
/// upwards), so the first flag is the first member of the set.
template <int N>
inline const char* scan_words(const char* p, const char* end, const unsigned char* v, std::uint64_t high,
                              char*& o) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  while (end - p >= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, 8);
    if (o != nullptr) {
      std::memcpy(o, &w, 8);
      o += 8;
    }
    std::uint64_t m = w & high;
    for (int k = 0; k < N; ++k) {
      const std::uint64_t x = w ^ (ones * v[k]);
      m |= (x - ones) & ~x & highs;
    }
    if (m != 0) {
      const int at = __builtin_ctzll(m) / 8;
      if (o != nullptr) o -= 8 - at;
      return p + at;
    }
    p += 8;
  }
  return p;
}
#endif

/// The scalar reference: first byte of [p, end) in `s`, or end. When `o` is
/// not null, [p, hit) is copied to o (and bytes after the hit may be
/// written, never past o + (end - p)). Eight bytes at a time, testing each
/// distinct value once (values >= 0x80 add nothing when the non-ASCII bytes
/// are in the set: UTF-8's ASCII runs cost one AND per word).
inline const char* scan_scalar(const char* p, const char* end, const byte_set& s, char* o) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const unsigned char* v = s.distinct;
  const std::uint64_t high = s.non_ascii ? 0x8080808080808080u : 0;
  switch (s.n_distinct) {
    case 0: p = scan_words<0>(p, end, v, high, o); break;
    case 1: p = scan_words<1>(p, end, v, high, o); break;
    case 2: p = scan_words<2>(p, end, v, high, o); break;
    case 3: p = scan_words<3>(p, end, v, high, o); break;
    default: p = scan_words<4>(p, end, v, high, o); break;
  }
  if (end - p >= 8) return p;  // a hit in the word loop
#endif
  while (p != end && !s.contains(static_cast<unsigned char>(*p))) {
    if (o != nullptr) *o++ = *p;
    ++p;
  }
  return p;
}

#if defined(MAILWIRE_SIMD_X86)
// The kernels: whole vectors while they fit, then the scalar code (or a
// masked load) for the tail. Set bytes are compared four times even when
// they repeat: one compare more costs less than a branch per block.

MAILWIRE_TARGET_SSE42 inline const char* scan_sse42(const char* p, const char* end, const byte_set& s,
                                                    char* o) noexcept {
  const __m128i c0 = _mm_set1_epi8(static_cast<char>(s.b[0]));
  const __m128i c1 = _mm_set1_epi8(static_cast<char>(s.b[1]));
  const __m128i c2 = _mm_set1_epi8(static_cast<char>(s.b[2]));
  const __m128i c3 = _mm_set1_epi8(static_cast<char>(s.b[3]));
  const unsigned high = s.non_ascii ? 0xFFFFu : 0u;
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if (o != nullptr) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), x);
      o += 16;
    }
    const __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, c0), _mm_cmpeq_epi8(x, c1)),
                                   _mm_or_si128(_mm_cmpeq_epi8(x, c2), _mm_cmpeq_epi8(x, c3)));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(e)) | (static_cast<unsigned>(_mm_movemask_epi8(x)) & high);
    if (m != 0) return p + __builtin_ctz(m);
    p += 16;
  }
  return scan_scalar(p, end, s, o);
}

MAILWIRE_TARGET_AVX2 inline const char* scan_avx2(const char* p, const char* end, const byte_set& s,
                                                  char* o) noexcept {
  const __m256i c0 = _mm256_set1_epi8(static_cast<char>(s.b[0]));
  const __m256i c1 = _mm256_set1_epi8(static_cast<char>(s.b[1]));
  const __m256i c2 = _mm256_set1_epi8(static_cast<char>(s.b[2]));
  const __m256i c3 = _mm256_set1_epi8(static_cast<char>(s.b[3]));
  const std::uint32_t high = s.non_ascii ? 0xFFFFFFFFu : 0u;
  while (end - p >= 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    if (o != nullptr) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), x);
      o += 32;
    }
    const __m256i e = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, c0), _mm256_cmpeq_epi8(x, c1)),
                                      _mm256_or_si256(_mm256_cmpeq_epi8(x, c2), _mm256_cmpeq_epi8(x, c3)));
    const std::uint32_t m = static_cast<std::uint32_t>(_mm256_movemask_epi8(e)) |
                            (static_cast<std::uint32_t>(_mm256_movemask_epi8(x)) & high);
    if (m != 0) return p + __builtin_ctz(m);
    p += 32;
  }
  return scan_scalar(p, end, s, o);
}

// Lanes of `x` in the set (c: its four values splatted; high: all ones
// when non-ASCII bytes are in it).
MAILWIRE_TARGET_AVX512 inline std::uint64_t hits_avx512(__m512i x, const __m512i (&c)[4], std::uint64_t high) noexcept {
  return static_cast<std::uint64_t>(_mm512_cmpeq_epi8_mask(x, c[0]) | _mm512_cmpeq_epi8_mask(x, c[1]) |
                                    _mm512_cmpeq_epi8_mask(x, c[2]) | _mm512_cmpeq_epi8_mask(x, c[3])) |
         (static_cast<std::uint64_t>(_mm512_movepi8_mask(x)) & high);
}

MAILWIRE_TARGET_AVX512 inline const char* scan_avx512(const char* p, const char* end, const byte_set& s,
                                                      char* o) noexcept {
  const __m512i c[4] = {_mm512_set1_epi8(static_cast<char>(s.b[0])), _mm512_set1_epi8(static_cast<char>(s.b[1])),
                        _mm512_set1_epi8(static_cast<char>(s.b[2])), _mm512_set1_epi8(static_cast<char>(s.b[3]))};
  const std::uint64_t high = s.non_ascii ? ~std::uint64_t{0} : 0u;
  while (end - p >= 64) {
    const __m512i x = _mm512_loadu_si512(p);
    if (o != nullptr) {
      _mm512_storeu_si512(o, x);
      o += 64;
    }
    const std::uint64_t m = hits_avx512(x, c, high);
    if (m != 0) return p + __builtin_ctzll(m);
    p += 64;
  }
  if (p == end) return end;
  // The tail through a masked load: the lanes past `end` are not read.
  const __mmask64 k = _bzhi_u64(~std::uint64_t{0}, static_cast<unsigned>(end - p));
  const __m512i x = _mm512_maskz_loadu_epi8(k, p);
  if (o != nullptr) _mm512_mask_storeu_epi8(o, k, x);
  const std::uint64_t m = hits_avx512(x, c, high) & k;
  return m != 0 ? p + __builtin_ctzll(m) : end;
}
#endif

inline const char* scan_at(scan_level level, const char* p, const char* end, const byte_set& s, char* o) noexcept {
#if defined(MAILWIRE_SIMD_X86)
  // Shorter than a vector: the scalar code, with no call into a kernel.
  if (end - p >= 16) {
    switch (level) {
      case scan_level::avx512:
        return scan_avx512(p, end, s, o);
      case scan_level::avx2:
        return scan_avx2(p, end, s, o);
      case scan_level::sse42:
        return scan_sse42(p, end, s, o);
      case scan_level::scalar:
        break;
    }
  }
#else
  (void)level;
#endif
  return scan_scalar(p, end, s, o);
}

/// First byte of [p, end) in `s`, or end, with the kernels of `level`.
inline const char* scan(scan_level level, const char* p, const char* end, const byte_set& s) noexcept {
  return scan_at(level, p, end, s, nullptr);
}

/// scan() that also copies [p, hit) to `o` and advances `o` past it. `o`
/// must have room for end - p bytes: bytes past the hit may be written,
/// never more than that.
inline const char* scan_copy(scan_level level, const char* p, const char* end, const byte_set& s,
                             char*& o) noexcept {
  const char* hit = scan_at(level, p, end, s, o);
  o += hit - p;
  return hit;
}

}  // namespace detail
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_SCAN_HPP
