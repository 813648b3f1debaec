// mailwire: streaming base64 (RFC 4648 section 4), for SASL and for MIME.
//
// Both directions are streaming: feed input in any chunking, get the same
// output. Neither allocates; the caller gives the output buffer, sized with
// the *_size helpers, so the IMAP literal and MIME body paths decode straight
// from the receive buffer into the caller's memory.
//
// Decoding modes:
//  - mode::strict (SASL, RFC 4422 / RFC 4954): only the 64 alphabet
//    characters and '=' padding; the length must be a multiple of 4 with
//    correct padding, and the unused bits of the last character must be zero
//    (a non-canonical encoding is an error, so one text has one encoding).
//  - mode::mime (RFC 2045 6.8): CR, LF, SP and HTAB are skipped anywhere;
//    a final quantum without padding is decoded and reported as
//    errc::base64_truncated by finish(); unused bits are ignored.
//
// Errors carry the stream offset of the offending byte. A decoder stops at
// the first error: update() returns how much it consumed before it, and the
// error stays until reset() or, in MIME mode, skip() (RFC 2045 says to ignore
// characters outside the alphabet; skip() does that and lets the caller count
// them). Nothing ever reads outside the input or writes outside the output
// size the caller was asked to provide.
#ifndef MAILWIRE_CORE_BASE64_HPP
#define MAILWIRE_CORE_BASE64_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "mailwire/core/cpu.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace base64 {

enum class mode : std::uint8_t {
  strict,  ///< exact RFC 4648 encoding; for SASL and anything security-relevant
  mime,    ///< RFC 2045 body and encoded-word tolerance: whitespace and line breaks
};

/// Length of the encoding of `n` bytes, with a CRLF after every full line of
/// `line_length` characters (0: no line breaks) but not after the last line.
constexpr std::size_t encoded_size(std::size_t n, std::size_t line_length = 0) noexcept {
  const std::size_t chars = (n + 2) / 3 * 4;
  if (line_length == 0 || chars == 0) return chars;
  return chars + (chars - 1) / line_length * 2;
}

/// Most bytes that decoding `n` input characters can produce in one call,
/// counting up to three characters left over from earlier calls.
constexpr std::size_t decoded_size_max(std::size_t n) noexcept { return (n + 3) / 4 * 3 + 3; }

/// The result of a decoder call.
struct decode_result {
  std::size_t consumed = 0;  ///< input bytes used
  std::size_t written = 0;   ///< output bytes produced
  errc error = errc::ok;     ///< errc::ok, or what stopped the decoder
  std::uint64_t error_offset = 0;  ///< stream offset of the offending byte
  /// True when nothing went wrong.
  explicit operator bool() const noexcept { return error == errc::ok; }
};

namespace detail {
inline constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Two output characters for every 12-bit value: three input bytes encode
// with two lookups instead of four.
constexpr std::array<char, 8192> make_pair_table() {
  std::array<char, 8192> t{};
  for (std::size_t i = 0; i < 4096; ++i) {
    t[2 * i] = alphabet[i >> 6];
    t[2 * i + 1] = alphabet[i & 63];
  }
  return t;
}
inline constexpr std::array<char, 8192> pairs = make_pair_table();

// Marks a byte outside the alphabet. Decoding tables hold each character's
// six bits already shifted into place for its position in a quantum, so four
// lookups OR-ed together give the 24 bits, and one test of this bit finds any
// invalid character among the four.
inline constexpr std::uint32_t bad = 0x80000000u;

constexpr std::array<std::uint32_t, 256> make_decode_table(unsigned shift) {
  std::array<std::uint32_t, 256> t{};
  for (auto& v : t) v = bad;
  for (std::uint32_t i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = i << shift;
  }
  return t;
}
inline constexpr std::array<std::uint32_t, 256> d0 = make_decode_table(18);
inline constexpr std::array<std::uint32_t, 256> d1 = make_decode_table(12);
inline constexpr std::array<std::uint32_t, 256> d2 = make_decode_table(6);
inline constexpr std::array<std::uint32_t, 256> d3 = make_decode_table(0);

inline std::uint32_t quantum(const unsigned char* p) noexcept {
  return d0[p[0]] | d1[p[1]] | d2[p[2]] | d3[p[3]];
}

constexpr bool is_mime_space(unsigned char c) noexcept {
  return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

// ---------------------------------------------------------------------------
// Vector kernels (issue 15). Each is compiled for its instruction set with a
// target attribute and called only after cpu::has(); the scalar code above
// and in the classes below stays the reference. A kernel does only what can
// never fail and never changes the decoder's state: whole quanta of alphabet
// characters, and (MIME mode) the whitespace between or inside them. It
// stops before anything else ('=', a character outside the alphabet, a
// partial quantum, the last bytes of the input) and hands that place to the
// scalar code, which then finds the same errors at the same offsets because
// it is the same code looking at the same bytes in the same state.

/// Which kernel family a call uses; chosen once per update() call.
enum class kernel : std::uint8_t { none, avx2, avx512 };

inline kernel pick_kernel() noexcept {
#if defined(MAILWIRE_SIMD_X86)
  if (cpu::has(cpu::avx512)) return kernel::avx512;
  if (cpu::has(cpu::avx2)) return kernel::avx2;
#endif
  return kernel::none;
}

#if defined(MAILWIRE_SIMD_X86)
// Sextet of each ASCII character, 0x80 for the rest: the AVX-512 decoder
// looks up all 64 bytes of a block at once (vpermi2b takes 7 index bits).
constexpr std::array<unsigned char, 128> make_sextet_table() {
  std::array<unsigned char, 128> t{};
  for (auto& v : t) v = 0x80;
  for (unsigned i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  return t;
}
inline constexpr std::array<unsigned char, 128> sextet_table = make_sextet_table();

// After the two multiply-adds each 32-bit lane holds one quantum's 24 bits
// (little-endian); output byte k is byte 2 - k % 3 of lane k / 3.
constexpr std::array<unsigned char, 64> make_pack_index() {
  std::array<unsigned char, 64> t{};
  for (unsigned k = 0; k < 48; ++k) t[k] = static_cast<unsigned char>(4 * (k / 3) + 2 - k % 3);
  return t;
}
inline constexpr std::array<unsigned char, 64> pack_index = make_pack_index();

// Encoding, AVX-512: lane L of a block gets input bytes 3L+2, 3L+1, 3L (the
// group's 24 bits, little-endian), then vpmultishiftqb picks each sextet by
// its bit offset within the 64-bit word (two lanes per word).
constexpr std::array<unsigned char, 64> make_spread512() {
  std::array<unsigned char, 64> t{};
  for (unsigned l = 0; l < 16; ++l) {
    t[4 * l] = static_cast<unsigned char>(3 * l + 2);
    t[4 * l + 1] = static_cast<unsigned char>(3 * l + 1);
    t[4 * l + 2] = static_cast<unsigned char>(3 * l);
    t[4 * l + 3] = static_cast<unsigned char>(3 * l);
  }
  return t;
}
inline constexpr std::array<unsigned char, 64> spread512 = make_spread512();

constexpr std::array<unsigned char, 64> make_sextet_shifts() {
  std::array<unsigned char, 64> t{};
  for (unsigned k = 0; k < 64; ++k) t[k] = static_cast<unsigned char>(32 * (k % 8 / 4) + 18 - 6 * (k % 4));
  return t;
}
inline constexpr std::array<unsigned char, 64> sextet_shifts = make_sextet_shifts();

inline unsigned low_bit(std::uint64_t m) noexcept { return static_cast<unsigned>(__builtin_ctzll(m)); }

// How many bytes at `p` a MIME-mode kernel may drop between alphabet
// characters: 0, 1 or 2 of CR, LF, SP, HTAB (CRLF being the common case).
inline std::size_t gap_length(const unsigned char* p, bool mime) noexcept {
  if (!mime || !is_mime_space(p[0])) return 0;
  return is_mime_space(p[1]) ? 2 : 1;
}

MAILWIRE_TARGET_AVX512 inline __m512i sextets512(__m512i in, __m512i lut_lo, __m512i lut_hi,
                                                 std::uint64_t& outside) noexcept {
  const __m512i s = _mm512_permutex2var_epi8(lut_lo, in, lut_hi);
  // Bytes >= 0x80 index the table by their low 7 bits: their own high bit
  // marks them outside the alphabet.
  outside = static_cast<std::uint64_t>(_mm512_movepi8_mask(_mm512_or_si512(s, in)));
  return s;
}

MAILWIRE_TARGET_AVX512 inline void put48(unsigned char* o, __m512i s, std::size_t n) noexcept {
  const __m512i pairs16 = _mm512_set1_epi32(0x01400140);  // a * 64 + b
  const __m512i pairs32 = _mm512_set1_epi32(0x00011000);  // ab * 4096 + cd
  __m512i v = _mm512_madd_epi16(_mm512_maddubs_epi16(s, pairs16), pairs32);
  // (maskz: GCC 12 warns about the unmasked form's undefined source)
  v = _mm512_maskz_permutexvar_epi8(~__mmask64{0}, _mm512_loadu_si512(pack_index.data()), v);
  _mm512_mask_storeu_epi8(o, (std::uint64_t{1} << n) - 1, v);
}

/// Lines of `line` characters (a multiple of 4, 64 to 128) each followed by
/// CRLF, from `p` at the start of one: a line is two blocks, at 0 and at
/// line - 64 (overlapping), and the next line is always line + 2 further on,
/// so no load waits for the one before (the block loop below must find each
/// line break before it knows where its next block starts). Stops at the
/// first line that is not exactly that.
MAILWIRE_TARGET_AVX512 inline const unsigned char* decode_lines_avx512(const unsigned char* p, const unsigned char* end,
                                                                       unsigned char*& out, std::size_t line,
                                                                       __m512i lut_lo, __m512i lut_hi) noexcept {
  const std::size_t second = line - 64;
  unsigned char* o = out;
  while (static_cast<std::size_t>(end - p) >= line + 2) {
    std::uint64_t outside1 = 0;
    std::uint64_t outside2 = 0;
    const __m512i s1 = sextets512(_mm512_loadu_si512(p), lut_lo, lut_hi, outside1);
    const __m512i s2 = sextets512(_mm512_loadu_si512(p + second), lut_lo, lut_hi, outside2);
    if ((outside1 | outside2) != 0 || p[line] != '\r' || p[line + 1] != '\n') break;
    put48(o, s1, 48);
    put48(o + second / 4 * 3, s2, 48);
    o += line / 4 * 3;
    p += line + 2;
  }
  out = o;
  return p;
}

/// Decodes whole quanta from `p` (a quantum boundary) while at least 66
/// bytes are left; returns where it stopped and advances `out`.
MAILWIRE_TARGET_AVX512 inline const unsigned char* decode_avx512(const unsigned char* p, const unsigned char* end,
                                                                 unsigned char*& out, bool mime) noexcept {
  const __m512i lut_lo = _mm512_loadu_si512(sextet_table.data());
  const __m512i lut_hi = _mm512_loadu_si512(sextet_table.data() + 64);
  unsigned char* o = out;
  // 64 bytes of block, plus up to 2 of whitespace dropped inside it.
  while (end - p >= 66) {
    std::uint64_t outside = 0;
    __m512i s = sextets512(_mm512_loadu_si512(p), lut_lo, lut_hi, outside);
    std::size_t chars = 64;  // usable characters, after dropping the gap
    std::size_t gap_at = 64;
    std::size_t gap = 0;
    if (outside != 0) {
      // The first byte outside the alphabet: whitespace (a line break) is
      // dropped by taking the rest of the block from 1 or 2 bytes further on;
      // anything else ends the block there.
      gap_at = low_bit(outside);
      gap = gap_length(p + gap_at, mime);
      if (gap == 2 && p[gap_at] == '\r' && p[gap_at + 1] == '\n' && gap_at % 4 == 0 && end - p >= 200) {
        // A CRLF after whole quanta: a line starts after it. If the next
        // line break is 64 to 128 characters on, try whole lines.
        put48(o, s, gap_at / 4 * 3);
        o += gap_at / 4 * 3;
        p += gap_at + 2;
        std::uint64_t outside1 = 0;
        std::uint64_t outside2 = 0;
        sextets512(_mm512_loadu_si512(p), lut_lo, lut_hi, outside1);
        sextets512(_mm512_loadu_si512(p + 64), lut_lo, lut_hi, outside2);
        const std::size_t line = outside2 == 0 ? 128 : 64 + low_bit(outside2);
        if (outside1 == 0 && line % 4 == 0) p = decode_lines_avx512(p, end, o, line, lut_lo, lut_hi);
        continue;
      }
      if (gap == 0) {
        chars = gap_at;
      } else {
        std::uint64_t outside_after = 0;
        const __m512i t = sextets512(_mm512_loadu_si512(p + gap), lut_lo, lut_hi, outside_after);
        const std::uint64_t from_gap = ~std::uint64_t{0} << gap_at;
        s = _mm512_mask_blend_epi8(from_gap, s, t);
        outside_after &= from_gap;
        chars = outside_after == 0 ? 64 : low_bit(outside_after);
      }
    }
    chars &= ~std::size_t{3};
    if (chars == 0) break;
    const std::size_t n = chars / 4 * 3;
    put48(o, s, n);
    o += n;
    p += chars + (chars > gap_at ? gap : 0);
  }
  out = o;
  return p;
}

MAILWIRE_TARGET_AVX2 inline __m256i sextets256(__m256i in, std::uint32_t& outside) noexcept {
  // Validity from the two nibbles: each high nibble has a class bit, and
  // the low-nibble table holds the classes for which that low nibble is not
  // in the alphabet (classes: 0x2_, 0x3_, 0x4_/0x6_, 0x5_/0x7_, the rest).
  const __m256i nib = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(in, nib);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(in, 4), nib);
  const __m256i lo_bad = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a,
                                          0x1b, 0x1b, 0x1b, 0x1a, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
  const __m256i hi_class = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
                                            0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
                                            0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i hits = _mm256_and_si256(_mm256_shuffle_epi8(lo_bad, lo), _mm256_shuffle_epi8(hi_class, hi));
  outside = ~static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hits, _mm256_setzero_si256())));
  // Sextet = character + offset of its range; '/' shares 0x2_ with '+' and
  // takes the slot below it.
  const __m256i roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4, -65,
                                        -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i slot = _mm256_add_epi8(hi, _mm256_cmpeq_epi8(in, _mm256_set1_epi8('/')));
  return _mm256_add_epi8(in, _mm256_shuffle_epi8(roll, slot));
}

MAILWIRE_TARGET_AVX2 inline void put24(unsigned char* o, __m256i s, std::size_t n) noexcept {
  __m256i v = _mm256_madd_epi16(_mm256_maddubs_epi16(s, _mm256_set1_epi32(0x01400140)), _mm256_set1_epi32(0x00011000));
  const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10,
                                        9, 8, 14, 13, 12, -1, -1, -1, -1);
  v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, pack), _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
  if (n == 24) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm256_castsi256_si128(v));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + 16), _mm256_extracti128_si256(v, 1));
  } else {  // no byte past what is counted as written
    unsigned char tmp[32];
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(tmp), v);
    std::memcpy(o, tmp, n);
  }
}

/// As decode_lines_avx512, for lines of 32 to 96 characters: three blocks
/// a line, at 0, 32 (or line - 32) and line - 32.
MAILWIRE_TARGET_AVX2 inline const unsigned char* decode_lines_avx2(const unsigned char* p, const unsigned char* end,
                                                                   unsigned char*& out, std::size_t line) noexcept {
  const std::size_t last = line - 32;
  const std::size_t middle = last < 32 ? last : 32;
  unsigned char* o = out;
  while (static_cast<std::size_t>(end - p) >= line + 2) {
    std::uint32_t outside1 = 0;
    std::uint32_t outside2 = 0;
    std::uint32_t outside3 = 0;
    const __m256i s1 = sextets256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), outside1);
    const __m256i s2 = sextets256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + middle)), outside2);
    const __m256i s3 = sextets256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + last)), outside3);
    if ((outside1 | outside2 | outside3) != 0 || p[line] != '\r' || p[line + 1] != '\n') break;
    put24(o, s1, 24);
    put24(o + middle / 4 * 3, s2, 24);
    put24(o + last / 4 * 3, s3, 24);
    o += line / 4 * 3;
    p += line + 2;
  }
  out = o;
  return p;
}

/// As decode_avx512, 32 bytes at a time while at least 34 are left.
MAILWIRE_TARGET_AVX2 inline const unsigned char* decode_avx2(const unsigned char* p, const unsigned char* end,
                                                             unsigned char*& out, bool mime) noexcept {
  const __m256i iota = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                        22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
  unsigned char* o = out;
  while (end - p >= 34) {
    std::uint32_t outside = 0;
    __m256i s = sextets256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), outside);
    std::size_t chars = 32;
    std::size_t gap_at = 32;
    std::size_t gap = 0;
    if (outside != 0) {
      gap_at = low_bit(outside);
      gap = gap_length(p + gap_at, mime);
      if (gap == 2 && p[gap_at] == '\r' && p[gap_at + 1] == '\n' && gap_at % 4 == 0 && end - p >= 200) {
        // As in decode_avx512: a line starts after this CRLF.
        put24(o, s, gap_at / 4 * 3);
        o += gap_at / 4 * 3;
        p += gap_at + 2;
        std::uint32_t outside1 = 0;
        std::uint32_t outside2 = 0;
        std::uint32_t outside3 = 0;
        sextets256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), outside1);
        sextets256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)), outside2);
        sextets256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64)), outside3);
        const std::size_t line = outside2 != 0 ? 32 + low_bit(outside2) : outside3 != 0 ? 64 + low_bit(outside3) : 96;
        if (outside1 == 0 && line % 4 == 0) p = decode_lines_avx2(p, end, o, line);
        continue;
      }
      if (gap == 0) {
        chars = gap_at;
      } else {
        std::uint32_t outside_after = 0;
        const __m256i t = sextets256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + gap)), outside_after);
        const __m256i from_gap = _mm256_cmpgt_epi8(iota, _mm256_set1_epi8(static_cast<char>(gap_at - 1)));
        s = _mm256_blendv_epi8(s, t, from_gap);
        outside_after &= ~std::uint32_t{0} << gap_at;
        chars = outside_after == 0 ? 32 : low_bit(outside_after);
      }
    }
    chars &= ~std::size_t{3};
    if (chars == 0) break;
    const std::size_t n = chars / 4 * 3;
    put24(o, s, n);
    o += n;
    p += chars + (chars > gap_at ? gap : 0);
  }
  out = o;
  return p;
}

// Encoding: 48 bytes into 64 characters per block (AVX-512), 24 into 32
// (AVX2), while at least a whole block's load (64 or 32 bytes) is left. Line
// breaks: a block is cut where the line ends and CRLF written after it. Every
// block is stored whole; the characters past those counted are overwritten by
// the next block or line break, since at least 64 (32) more input bytes,
// so more characters than one block holds, follow in this same call.

// How many of a block's `most` groups go on the current line; writes the
// line break first when the line is full. (Input is left: a CRLF is due.)
inline std::size_t groups_on_line(std::size_t most, char*& o, std::size_t& column, std::size_t line) noexcept {
  if (line == 0) return most;
  if (column == line) {
    o[0] = '\r';
    o[1] = '\n';
    o += 2;
    column = 0;
  }
  const std::size_t groups = (line - column) / 4 < most ? (line - column) / 4 : most;
  column += groups * 4;
  return groups;
}

MAILWIRE_TARGET_AVX512 inline __m512i encode_block512(const unsigned char* p, __m512i spread, __m512i shifts,
                                                      __m512i letters) noexcept {
  const __m512i in = _mm512_loadu_si512(p);
  // (maskz forms: GCC 12 warns about the unmasked forms' undefined source)
  const __m512i groups = _mm512_maskz_permutexvar_epi8(~__mmask64{0}, spread, in);
  const __m512i sextets = _mm512_maskz_multishift_epi64_epi8(~__mmask64{0}, shifts, groups);
  return _mm512_maskz_permutexvar_epi8(~__mmask64{0}, sextets, letters);  // low 6 bits index
}

/// Encodes whole groups from `p`; `column` and `line` as in the encoder
/// (line 0: no breaks). Returns where it stopped, `out` advanced.
MAILWIRE_TARGET_AVX512 inline const unsigned char* encode_avx512(const unsigned char* p, const unsigned char* end,
                                                                 char*& out, std::size_t& column,
                                                                 std::size_t line) noexcept {
  const __m512i spread = _mm512_loadu_si512(spread512.data());
  const __m512i shifts = _mm512_loadu_si512(sextet_shifts.data());
  const __m512i letters = _mm512_loadu_si512(alphabet);
  char* o = out;
  while (end - p >= 64) {
    const std::size_t groups = groups_on_line(16, o, column, line);
    _mm512_storeu_si512(o, encode_block512(p, spread, shifts, letters));
    o += groups * 4;
    p += groups * 3;
  }
  out = o;
  return p;
}

MAILWIRE_TARGET_AVX2 inline __m256i encode_block256(const unsigned char* p) noexcept {
  // Lanes get bytes 0-11 and 12-23; each 32-bit group holds bytes
  // b1 b0 b2 b1, from which two multiplies move the four sextets into
  // their own bytes.
  const __m256i in = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 12)), 1);
  const __m256i g = _mm256_shuffle_epi8(in, _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10, 1, 0,
                                                             2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10));
  // s0 (bits 10-15 of word 0) >> 10 and s2 (bits 6-11 of word 1) >> 6;
  // s1 (bits 4-9 of word 0) << 4 and s3 (bits 0-5 of word 1) << 8.
  const __m256i hi = _mm256_mulhi_epu16(_mm256_and_si256(g, _mm256_set1_epi32(0x0fc0fc00)),
                                        _mm256_set1_epi32(0x04000040));
  const __m256i lo = _mm256_mullo_epi16(_mm256_and_si256(g, _mm256_set1_epi32(0x003f03f0)),
                                        _mm256_set1_epi32(0x01000010));
  const __m256i s = _mm256_or_si256(hi, lo);
  // Sextet to letter: one offset per range, the range found by a
  // saturating subtract (52-63 -> 1-12) and a compare (0-25 -> 13).
  __m256i range = _mm256_subs_epu8(s, _mm256_set1_epi8(51));
  range = _mm256_or_si256(range, _mm256_and_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(26), s), _mm256_set1_epi8(13)));
  const __m256i offsets = _mm256_setr_epi8(71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0, 71, -4, -4,
                                           -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0);
  return _mm256_add_epi8(s, _mm256_shuffle_epi8(offsets, range));
}

/// As encode_avx512, 24 bytes at a time.
MAILWIRE_TARGET_AVX2 inline const unsigned char* encode_avx2(const unsigned char* p, const unsigned char* end,
                                                             char*& out, std::size_t& column,
                                                             std::size_t line) noexcept {
  char* o = out;
  while (end - p >= 32) {
    const std::size_t groups = groups_on_line(8, o, column, line);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), encode_block256(p));
    o += groups * 4;
    p += groups * 3;
  }
  out = o;
  return p;
}
#endif  // MAILWIRE_SIMD_X86
}  // namespace detail

/// Streaming encoder. Line breaks (CRLF) are written after every
/// `line_length` characters when line_length is non-zero (MIME uses 76;
/// RFC 2045 6.8 forbids more); it is rounded down to a multiple of 4.
class encoder {
 public:
  /// An encoder breaking lines after `line_length` characters (rounded
  /// down to a multiple of 4; 0: one line).
  explicit encoder(std::size_t line_length = 0) noexcept : line_length_(line_length / 4 * 4) {}

  /// Most bytes update() can write for `n` input bytes.
  std::size_t update_size_max(std::size_t n) const noexcept {
    const std::size_t chars = (n + held_) / 3 * 4;
    return chars + (line_length_ != 0 ? (chars / line_length_ + 1) * 2 : 0);
  }
  /// Most bytes finish() can write.
  static constexpr std::size_t finish_size_max = 4 + 2;

  /// Encodes `in`, writing to `out` (room for update_size_max(in.size()));
  /// returns bytes written. Up to two bytes are held back for the next call.
  std::size_t update(std::string_view in, char* out) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const unsigned char* end = p + in.size();
    char* o = out;
    while (held_ != 0 && held_ < 3 && p != end) held_bytes_[held_++] = *p++;
    if (held_ == 3) {
      o = emit(o, held_bytes_);
      held_ = 0;
    }
#if defined(MAILWIRE_SIMD_X86)
    // Whole blocks by the vector kernel (decided once per call), the rest
    // below; the kernel keeps column_ as the scalar loop does.
    const detail::kernel k = detail::pick_kernel();
    if (k == detail::kernel::avx512) p = detail::encode_avx512(p, end, o, column_, line_length_);
    if (k == detail::kernel::avx2) p = detail::encode_avx2(p, end, o, column_, line_length_);
#endif
    if (line_length_ == 0) {
      for (; end - p >= 3; p += 3) o = put4(o, p);
    } else {
      while (end - p >= 3) {
        // Whole groups that fit on the current line, then the line break.
        std::size_t groups = (line_length_ - column_) / 4;
        const auto avail = static_cast<std::size_t>(end - p) / 3;
        if (groups > avail) groups = avail;
        for (std::size_t i = 0; i < groups; ++i, p += 3) o = put4(o, p);
        column_ += groups * 4;
        if (column_ == line_length_ && end - p >= 1) {
          *o++ = '\r';
          *o++ = '\n';
          column_ = 0;
        }
      }
    }
    while (p != end) held_bytes_[held_++] = *p++;
    return static_cast<std::size_t>(o - out);
  }

  /// Writes the last quantum with its padding (no trailing line break);
  /// returns bytes written (at most finish_size_max). The encoder is then
  /// ready for a new stream.
  std::size_t finish(char* out) noexcept {
    char* o = out;
    if (held_ != 0) {
      if (line_length_ != 0 && column_ == line_length_) {
        *o++ = '\r';
        *o++ = '\n';
      }
      const unsigned b0 = held_bytes_[0];
      const unsigned b1 = held_ > 1 ? held_bytes_[1] : 0u;
      o[0] = detail::alphabet[b0 >> 2];
      o[1] = detail::alphabet[((b0 & 3u) << 4) | (b1 >> 4)];
      o[2] = held_ > 1 ? detail::alphabet[(b1 & 15u) << 2] : '=';
      o[3] = '=';
      o += 4;
    }
    held_ = 0;
    column_ = 0;
    return static_cast<std::size_t>(o - out);
  }

 private:
  static char* put4(char* o, const unsigned char* p) noexcept {
    const std::uint32_t v = (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
    std::memcpy(o, &detail::pairs[(v >> 12) * 2], 2);
    std::memcpy(o + 2, &detail::pairs[(v & 4095u) * 2], 2);
    return o + 4;
  }
  // One held-back group completed by the next call: it may need the line
  // break that update() writes between groups.
  char* emit(char* o, const unsigned char* group) noexcept {
    if (line_length_ != 0 && column_ == line_length_) {
      *o++ = '\r';
      *o++ = '\n';
      column_ = 0;
    }
    o = put4(o, group);
    column_ += 4;
    return o;
  }

  std::size_t line_length_;
  std::size_t column_ = 0;
  unsigned char held_bytes_[3] = {};
  std::size_t held_ = 0;
};

/// Streaming decoder; see the top of this file for the two modes.
class decoder {
 public:
  /// A decoder in mode `m` (strict for SASL, mime for bodies).
  explicit decoder(base64::mode m = base64::mode::strict) noexcept : mode_(m) {}

  /// The mode it decodes in.
  base64::mode mode() const noexcept { return mode_; }
  /// Stream offset of the next byte update() will read.
  std::uint64_t offset() const noexcept { return offset_; }
  /// The sticky error, errc::ok when none.
  errc error() const noexcept { return error_; }

  /// Decodes `in` into `out`, which must have room for
  /// decoded_size_max(in.size()) bytes. Stops before the first bad byte.
  decode_result update(std::string_view in, char* out) noexcept {
    decode_result r;
    if (error_ != errc::ok) return fail(r, error_);
    const auto* const begin = reinterpret_cast<const unsigned char*>(in.data());
    const unsigned char* p = begin;
    const unsigned char* const end = begin + in.size();
    auto* o = reinterpret_cast<unsigned char*>(out);
    const bool mime = mode_ == mode::mime;
    const detail::kernel k = detail::pick_kernel();

    for (;;) {
      // Fast path: whole quanta at a quantum boundary, four table lookups
      // and one test per four characters.
      if (held_ == 0 && !padded_) {
        // The vector kernel first: it stops only before something it must
        // not judge, or near the end of the input.
        p = run_kernel(k, p, end, o);
        bool back_to_kernel = false;
        while (end - p >= 4) {
          const std::uint32_t v = detail::quantum(p);
          if (v & detail::bad) {
            // A MIME line break between quanta (76-column bodies) stays on
            // the fast path.
            if (mime && p[0] == '\r' && p[1] == '\n') {
              p += 2;
            } else {
              break;
            }
          } else {
            o[0] = static_cast<unsigned char>(v >> 16);
            o[1] = static_cast<unsigned char>(v >> 8);
            o[2] = static_cast<unsigned char>(v);
            o += 3;
            p += 4;
          }
          // Past what stopped the kernel: give it the rest.
          if (k != detail::kernel::none && end - p >= 66) {
            back_to_kernel = true;
            break;
          }
        }
        if (back_to_kernel) continue;
      }
      if (p == end) break;
      // Slow path: one byte, then back to the fast path when possible.
      const unsigned char c = *p;
      const std::uint32_t v = detail::d3[c];
      errc e = errc::ok;
      if (!(v & detail::bad)) {
        if (padded_) {
          e = errc::base64_bad_padding;  // data after padding
        } else {
          bits_ = (bits_ << 6) | v;
          if (++held_ == 4) {
            o[0] = static_cast<unsigned char>(bits_ >> 16);
            o[1] = static_cast<unsigned char>(bits_ >> 8);
            o[2] = static_cast<unsigned char>(bits_);
            o += 3;
            held_ = 0;
            bits_ = 0;
          }
        }
      } else if (c == '=') {
        if (pad_needed_ != 0) {  // the second '=' of "xx=="
          --pad_needed_;
        } else if (!padded_ && (held_ == 2 || held_ == 3)) {
          // '=' closes a quantum of 2 or 3 characters: xx== or xxx=.
          pad_needed_ = held_ == 2 ? 1 : 0;
          padded_ = true;
          if (!flush_partial(o) && mode_ == mode::strict) e = errc::base64_noncanonical;
        } else {
          e = errc::base64_bad_padding;
        }
      } else if (!(mode_ == mode::mime && detail::is_mime_space(c))) {
        e = errc::base64_invalid_char;  // (mime spaces are skipped: RFC 2045 6.8)
      }
      if (e != errc::ok) {
        r.consumed = static_cast<std::size_t>(p - begin);
        r.written = static_cast<std::size_t>(o - reinterpret_cast<unsigned char*>(out));
        r.error = error_ = e;
        r.error_offset = offset_ + r.consumed;
        offset_ += r.consumed;
        return r;
      }
      ++p;
    }
    r.consumed = in.size();
    r.written = static_cast<std::size_t>(o - reinterpret_cast<unsigned char*>(out));
    offset_ += in.size();
    return r;
  }

  /// Ends the stream: checks that no partial quantum or padding is left.
  /// Writes at most 2 bytes to `out` (MIME mode, unpadded final quantum).
  /// The decoder is then ready for a new stream, unless it returned an error
  /// (which stays until reset()).
  decode_result finish(char* out) noexcept {
    decode_result r;
    if (error_ != errc::ok) return fail(r, error_);
    if (held_ != 0 || pad_needed_ != 0) {
      if (mode_ == mode::mime && held_ >= 2) {
        // Unpadded final quantum: keep its bytes, but say it was truncated.
        unsigned char* o = reinterpret_cast<unsigned char*>(out);
        flush_partial(o);
        r.written = static_cast<std::size_t>(o - reinterpret_cast<unsigned char*>(out));
      }
      r.error = error_ = errc::base64_truncated;
      r.error_offset = offset_;
      return r;
    }
    reset();
    return r;
  }

  /// MIME mode: drops the byte that caused a base64_invalid_char error and
  /// clears it, so decoding can go on (RFC 2045 6.8: "ignored"). The caller
  /// passes the rest of its input after that byte. Returns false, and
  /// changes nothing, for any other error or mode.
  bool skip() noexcept {
    if (mode_ != mode::mime || error_ != errc::base64_invalid_char) return false;
    error_ = errc::ok;
    ++offset_;
    return true;
  }

  /// Forgets everything: a new stream at offset 0.
  void reset() noexcept { *this = decoder(mode_); }

 private:
  // The vector kernel for whole quanta from `p` (at a quantum boundary);
  // returns where it stopped, `o` advanced past what it wrote.
  const unsigned char* run_kernel(detail::kernel k, const unsigned char* p, const unsigned char* end,
                                  unsigned char*& o) const noexcept {
#if defined(MAILWIRE_SIMD_X86)
    if (k == detail::kernel::avx512) return detail::decode_avx512(p, end, o, mode_ == mode::mime);
    if (k == detail::kernel::avx2) return detail::decode_avx2(p, end, o, mode_ == mode::mime);
#else
    (void)k;
    (void)end;
    (void)o;
#endif
    return p;
  }

  // Writes the 1 or 2 bytes of a quantum of held_ (2 or 3) characters;
  // false when the bits left over are not zero (a non-canonical encoding).
  bool flush_partial(unsigned char*& o) noexcept {
    bool canonical;
    if (held_ == 2) {  // 12 bits: 1 byte + 4 unused
      canonical = (bits_ & 0xFu) == 0;
      *o++ = static_cast<unsigned char>(bits_ >> 4);
    } else {  // 18 bits: 2 bytes + 2 unused
      canonical = (bits_ & 0x3u) == 0;
      *o++ = static_cast<unsigned char>(bits_ >> 10);
      *o++ = static_cast<unsigned char>(bits_ >> 2);
    }
    held_ = 0;
    bits_ = 0;
    return canonical;
  }

  decode_result fail(decode_result& r, errc e) const noexcept {
    r.error = e;
    r.error_offset = offset_;
    return r;
  }

  base64::mode mode_;
  errc error_ = errc::ok;
  std::uint32_t bits_ = 0;     // sextets of the current quantum
  std::size_t held_ = 0;       // characters of the current quantum so far
  std::size_t pad_needed_ = 0;  // '=' still expected to close the quantum
  bool padded_ = false;        // a quantum was closed by '=': no data may follow
  std::uint64_t offset_ = 0;
};

/// Encodes all of `in` at once.
inline std::string encode(std::string_view in, std::size_t line_length = 0) {
  std::string out(encoded_size(in.size(), line_length), '\0');
  encoder e(line_length);
  std::size_t n = e.update(in, &out[0]);
  n += e.finish(&out[n]);
  out.resize(n);
  return out;
}

/// Decodes all of `in` at once into `out` (replaced). On error `out` holds
/// what was decoded before the error.
inline decode_result decode(std::string_view in, std::string& out, mode m = mode::strict) {
  out.resize(decoded_size_max(in.size()));
  decoder d(m);
  decode_result r = d.update(in, &out[0]);
  if (r) {
    const decode_result f = d.finish(&out[r.written]);
    r.written += f.written;
    r.error = f.error;
    r.error_offset = f.error_offset;
  }
  out.resize(r.written);
  return r;
}

}  // namespace base64
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_BASE64_HPP
