// mailwire: MD5 (RFC 1321), SHA-1 and SHA-256 (FIPS 180-4), for SASL.
//
// Internal building blocks, not part of mailwire's API: everything here is
// in mailwire::detail and may change or go away in any release, with no
// stability promise. They exist because CRAM-MD5, SCRAM-SHA-1 and
// SCRAM-SHA-256 need these digests and nothing else from cryptography, so
// mailwire carries them rather than depending on a crypto library; tests,
// benchmarks and examples use them for checksums. Applications that need a
// hash should use a crypto library.
//
// The reference code is plain, portable and scalar: correct whatever the
// host's byte order (words are assembled with shifts, never by copying
// memory into integers), no allocation, no exceptions, no I/O. On x86 CPUs
// with the SHA extensions (SHA-NI), SHA-1 and SHA-256 compress whole blocks
// with them instead, chosen at run time through core/cpu.hpp (no compiler
// flag needed; cpu::force_scalar(true) or MAILWIRE_NO_SIMD keep the scalar
// code); both paths give the same digests, which the tests check. They are not hardened
// against side channels beyond being branch-free on the data, and they do
// not wipe their state; MD5 and SHA-1 are here only because the SASL
// mechanisms that use them still exist.
//
// The three share one Merkle-Damgard engine, detail::md_hasher: it buffers
// partial blocks, counts the length and pads, and calls the algorithm's
// compression function on whole 64-byte blocks. The algorithms differ only in
// that function, their initial state, their digest length and their byte
// order (MD5 little-endian, SHA big-endian, for both words and length).
//
// Every hasher streams: update() any number of times with any split of the
// input, then finish(), which gives the digest and resets the object.
#ifndef MAILWIRE_CORE_HASH_HPP
#define MAILWIRE_CORE_HASH_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "mailwire/core/cpu.hpp"

namespace mailwire {
inline namespace v0 {
namespace detail {

constexpr std::uint32_t rotl32(std::uint32_t x, unsigned n) noexcept { return (x << n) | (x >> (32u - n)); }
constexpr std::uint32_t rotr32(std::uint32_t x, unsigned n) noexcept { return (x >> n) | (x << (32u - n)); }

constexpr std::uint32_t load_le32(const unsigned char* p) noexcept {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
constexpr std::uint32_t load_be32(const unsigned char* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

/// How an algorithm turns words and the length into bytes.
enum class byte_order : std::uint8_t { little, big };

// The Merkle-Damgard construction over 64-byte blocks and 32-bit words,
// shared by MD5, SHA-1 and SHA-256. `Traits` supplies:
//   state_words, digest_size   sizes, in words and in bytes
//   order                      byte order of message words, length and digest
//   initial_state              std::array<std::uint32_t, state_words>
//   compress(state, p, n)      processes the n whole blocks at p
// The length is kept in bytes; its low 6 bits say how much of block_ is in
// use, so there is no separate fill counter to keep in step.
template <class Traits>
class md_hasher {
 public:
  /// Bytes in a digest.
  static constexpr std::size_t digest_size = Traits::digest_size;
  /// Bytes in a block (what HMAC pads keys to).
  static constexpr std::size_t block_size = 64;
  /// A digest: digest_size bytes.
  using digest = std::array<std::uint8_t, digest_size>;
  /// The algorithm: its compression function, initial state and byte order
  /// (PBKDF2 drives the compression function directly).
  using traits_type = Traits;
  /// The chaining state: Traits::state_words words.
  using chaining_state = std::array<std::uint32_t, Traits::state_words>;

  /// Ready for a new message.
  md_hasher() noexcept = default;

  /// Adds `bytes` to the message; any number of calls, any split.
  void update(std::string_view bytes) noexcept {
    if (bytes.empty()) return;  // (and data() may be null)
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    const auto used = static_cast<std::size_t>(length_ % block_size);
    length_ += n;
    if (used != 0) {
      const std::size_t take = n < block_size - used ? n : block_size - used;
      std::memcpy(block_.data() + used, p, take);
      if (used + take < block_size) return;
      Traits::compress(state_.data(), block_.data(), 1);
      p += take;
      n -= take;
    }
    // Whole blocks straight from the caller's memory, in one call so the
    // state stays in registers from block to block.
    const std::size_t whole = n / block_size;
    if (whole != 0) {
      Traits::compress(state_.data(), p, whole);
      p += whole * block_size;
      n -= whole * block_size;
    }
    if (n != 0) std::memcpy(block_.data(), p, n);
  }

  /// Pads, returns the digest of everything given to update() since
  /// construction or the last finish(), and resets the object for a new
  /// message.
  digest finish() noexcept {
    // Padding (RFC 1321 3.1-3.2, FIPS 180-4 5.1.1): 0x80, zeros up to 8
    // bytes before a block end, then the length in bits modulo 2^64.
    const std::uint64_t bits = length_ << 3;
    auto used = static_cast<std::size_t>(length_ % block_size);
    block_[used++] = 0x80;
    if (used > block_size - 8) {
      std::memset(block_.data() + used, 0, block_size - used);
      Traits::compress(state_.data(), block_.data(), 1);
      used = 0;
    }
    std::memset(block_.data() + used, 0, block_size - 8 - used);
    for (unsigned i = 0; i < 8; ++i) {
      const unsigned shift = Traits::order == byte_order::big ? 56 - 8 * i : 8 * i;
      block_[block_size - 8 + i] = static_cast<unsigned char>(bits >> shift);
    }
    Traits::compress(state_.data(), block_.data(), 1);

    digest out{};
    for (std::size_t i = 0; i < digest_size; ++i) {
      const unsigned byte = static_cast<unsigned>(i % 4);
      const unsigned shift = Traits::order == byte_order::big ? 24 - 8 * byte : 8 * byte;
      out[i] = static_cast<std::uint8_t>(state_[i / 4] >> shift);
    }
    *this = md_hasher();
    return out;
  }

  /// The digest of `bytes`, in one call.
  static digest hash(std::string_view bytes) noexcept {
    md_hasher h;
    h.update(bytes);
    return h.finish();
  }

  /// The chaining state after the whole blocks given so far: the HMAC
  /// midstate after a key block. Only meaningful when the bytes given since
  /// the last finish() are a whole number of blocks.
  const chaining_state& state() const noexcept { return state_; }

 private:
  chaining_state state_ = Traits::initial_state;
  std::array<unsigned char, block_size> block_{};
  std::uint64_t length_ = 0;  // message bytes so far, modulo 2^64
};

// ---------------------------------------------------------------- MD5
inline constexpr std::uint32_t md5_t[64] = {  // floor(2^32 * abs(sin(i + 1))), RFC 1321 3.4
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// One MD5 operation per round (RFC 1321 3.4): a = b + ((a + F(b,c,d) + X[k]
// + T[i]) <<< s). F and G are written with one operation fewer than in the
// RFC; they compute the same function.
inline void md5_ff(std::uint32_t& a, std::uint32_t b, std::uint32_t c, std::uint32_t d, std::uint32_t x,
                   std::uint32_t t, unsigned s) noexcept {
  a = b + rotl32(a + (d ^ (b & (c ^ d))) + x + t, s);
}
inline void md5_gg(std::uint32_t& a, std::uint32_t b, std::uint32_t c, std::uint32_t d, std::uint32_t x,
                   std::uint32_t t, unsigned s) noexcept {
  a = b + rotl32(a + (c ^ (d & (b ^ c))) + x + t, s);
}
inline void md5_hh(std::uint32_t& a, std::uint32_t b, std::uint32_t c, std::uint32_t d, std::uint32_t x,
                   std::uint32_t t, unsigned s) noexcept {
  a = b + rotl32(a + (b ^ c ^ d) + x + t, s);
}
inline void md5_ii(std::uint32_t& a, std::uint32_t b, std::uint32_t c, std::uint32_t d, std::uint32_t x,
                   std::uint32_t t, unsigned s) noexcept {
  a = b + rotl32(a + (c ^ (b | ~d)) + x + t, s);
}

struct md5_traits {
  static constexpr std::size_t state_words = 4;
  static constexpr std::size_t digest_size = 16;
  static constexpr byte_order order = byte_order::little;
  static constexpr std::array<std::uint32_t, 4> initial_state = {0x67452301, 0xefcdab89, 0x98badcfe,
                                                                  0x10325476};

  static void compress(std::uint32_t* state, const unsigned char* p, std::size_t blocks) noexcept {
    for (; blocks != 0; --blocks, p += 64) {
      std::uint32_t x[16];
      for (unsigned i = 0; i < 16; ++i) x[i] = load_le32(p + 4 * i);
      std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
      // Four operations per iteration, the variables rotating through the
      // argument positions as in the RFC's listing. Message word index k:
      // round 1 i, round 2 (5i + 1) mod 16, round 3 (3i + 5) mod 16,
      // round 4 7i mod 16, with i counted from 0 over all 64 operations.
      for (unsigned i = 0; i < 16; i += 4) {
        md5_ff(a, b, c, d, x[i], md5_t[i], 7);
        md5_ff(d, a, b, c, x[i + 1], md5_t[i + 1], 12);
        md5_ff(c, d, a, b, x[i + 2], md5_t[i + 2], 17);
        md5_ff(b, c, d, a, x[i + 3], md5_t[i + 3], 22);
      }
      for (unsigned i = 16; i < 32; i += 4) {
        md5_gg(a, b, c, d, x[(5 * i + 1) & 15], md5_t[i], 5);
        md5_gg(d, a, b, c, x[(5 * i + 6) & 15], md5_t[i + 1], 9);
        md5_gg(c, d, a, b, x[(5 * i + 11) & 15], md5_t[i + 2], 14);
        md5_gg(b, c, d, a, x[(5 * i + 16) & 15], md5_t[i + 3], 20);
      }
      for (unsigned i = 32; i < 48; i += 4) {
        md5_hh(a, b, c, d, x[(3 * i + 5) & 15], md5_t[i], 4);
        md5_hh(d, a, b, c, x[(3 * i + 8) & 15], md5_t[i + 1], 11);
        md5_hh(c, d, a, b, x[(3 * i + 11) & 15], md5_t[i + 2], 16);
        md5_hh(b, c, d, a, x[(3 * i + 14) & 15], md5_t[i + 3], 23);
      }
      for (unsigned i = 48; i < 64; i += 4) {
        md5_ii(a, b, c, d, x[(7 * i) & 15], md5_t[i], 6);
        md5_ii(d, a, b, c, x[(7 * i + 7) & 15], md5_t[i + 1], 10);
        md5_ii(c, d, a, b, x[(7 * i + 14) & 15], md5_t[i + 2], 15);
        md5_ii(b, c, d, a, x[(7 * i + 21) & 15], md5_t[i + 3], 21);
      }
      state[0] += a;
      state[1] += b;
      state[2] += c;
      state[3] += d;
    }
  }
};

// -------------------------------------------------------------- SHA-1
// One SHA-1 step (FIPS 180-4 6.1.2) without the variable shuffle: the
// caller rotates the arguments instead, so after five steps every variable
// is back in its place. Round r (0-3) covers steps 20r to 20r + 19.
template <unsigned Round>
inline void sha1_step(std::uint32_t a, std::uint32_t& b, std::uint32_t c, std::uint32_t d, std::uint32_t& e,
                      std::uint32_t w) noexcept {
  std::uint32_t f;
  std::uint32_t k;
  if constexpr (Round == 0) {
    f = d ^ (b & (c ^ d));  // Ch
    k = 0x5a827999;
  } else if constexpr (Round == 1) {
    f = b ^ c ^ d;  // Parity
    k = 0x6ed9eba1;
  } else if constexpr (Round == 2) {
    f = (b & c) | (d & (b | c));  // Maj
    k = 0x8f1bbcdc;
  } else {
    f = b ^ c ^ d;
    k = 0xca62c1d6;
  }
  e += rotl32(a, 5) + f + k + w;
  b = rotl32(b, 30);
}

// The message schedule (FIPS 180-4 6.1.2 step 1), W_t for t >= 16, kept as
// a ring of its last 16 words and extended as the steps consume it. (The
// textbook form, an 80-word array filled first, ran at a third of this
// speed with GCC 12, which vectorises that loop badly.)
inline std::uint32_t sha1_extend(std::uint32_t* w, unsigned t) noexcept {
  w[t & 15] = rotl32(w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15], 1);
  return w[t & 15];
}

#if defined(MAILWIRE_SIMD_X86)
// SHA-1 through the SHA extensions (Intel SHA-NI). The registers hold the
// state A..D with A in the top lane, E alone in the top lane of another; a
// message register holds four schedule words, the first in the top lane, so
// each block's bytes are reversed as a whole on load (which also makes the
// words big-endian). sha1rnds4 does four steps; sha1nexte adds the rotated
// E that four steps leave behind to the next four words; sha1msg1/sha1msg2
// with one xor extend the schedule by four words from the previous sixteen.

// The 64 bytes at p as four registers of words, bytes permuted by `order`
// (shared with SHA-256 below).
MAILWIRE_TARGET_SHA inline void shani_load_block(const unsigned char* p, __m128i order, __m128i& m0, __m128i& m1,
                                                 __m128i& m2, __m128i& m3) noexcept {
  const auto* v = reinterpret_cast<const __m128i*>(p);
  m0 = _mm_shuffle_epi8(_mm_loadu_si128(v), order);
  m1 = _mm_shuffle_epi8(_mm_loadu_si128(v + 1), order);
  m2 = _mm_shuffle_epi8(_mm_loadu_si128(v + 2), order);
  m3 = _mm_shuffle_epi8(_mm_loadu_si128(v + 3), order);
}

// Four steps with the schedule words `m` (W_4g..W_4g+3); Fn is the round
// function's number, g / 5. `e` carries E (group 0: the state's E; later:
// the A..D value from before the previous four steps).
template <int Fn>
MAILWIRE_TARGET_SHA inline void sha1ni_four(__m128i& abcd, __m128i& e, __m128i m, bool first) noexcept {
  const __m128i e_in = first ? _mm_add_epi32(e, m) : _mm_sha1nexte_epu32(e, m);
  e = abcd;
  abcd = _mm_sha1rnds4_epu32(abcd, e_in, Fn);
}

// W_4g+16..W_4g+19 from a = W_4g.., b = W_4g+4.., c = W_4g+8.., d = W_4g+12..
// (FIPS 180-4 6.1.2 step 1, four words at a time).
MAILWIRE_TARGET_SHA inline __m128i sha1ni_next(__m128i a, __m128i b, __m128i c, __m128i d) noexcept {
  return _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(a, b), c), d);
}

MAILWIRE_TARGET_SHA inline void sha1_compress_shani(std::uint32_t* state, const unsigned char* p,
                                                    std::size_t blocks) noexcept {
  const __m128i reverse = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0x1B);
  __m128i e0 = _mm_set_epi32(static_cast<int>(state[4]), 0, 0, 0);
  for (; blocks != 0; --blocks, p += 64) {
    const __m128i abcd_saved = abcd;
    const __m128i e_saved = e0;
    __m128i m0, m1, m2, m3;
    shani_load_block(p, reverse, m0, m1, m2, m3);
    __m128i e = e0;
    // Twenty groups of four steps; m0..m3 are a ring of the last sixteen
    // words, each replaced by the words sixteen later once it is used.
    sha1ni_four<0>(abcd, e, m0, true), m0 = sha1ni_next(m0, m1, m2, m3);
    sha1ni_four<0>(abcd, e, m1, false), m1 = sha1ni_next(m1, m2, m3, m0);
    sha1ni_four<0>(abcd, e, m2, false), m2 = sha1ni_next(m2, m3, m0, m1);
    sha1ni_four<0>(abcd, e, m3, false), m3 = sha1ni_next(m3, m0, m1, m2);
    sha1ni_four<0>(abcd, e, m0, false), m0 = sha1ni_next(m0, m1, m2, m3);
    sha1ni_four<1>(abcd, e, m1, false), m1 = sha1ni_next(m1, m2, m3, m0);
    sha1ni_four<1>(abcd, e, m2, false), m2 = sha1ni_next(m2, m3, m0, m1);
    sha1ni_four<1>(abcd, e, m3, false), m3 = sha1ni_next(m3, m0, m1, m2);
    sha1ni_four<1>(abcd, e, m0, false), m0 = sha1ni_next(m0, m1, m2, m3);
    sha1ni_four<1>(abcd, e, m1, false), m1 = sha1ni_next(m1, m2, m3, m0);
    sha1ni_four<2>(abcd, e, m2, false), m2 = sha1ni_next(m2, m3, m0, m1);
    sha1ni_four<2>(abcd, e, m3, false), m3 = sha1ni_next(m3, m0, m1, m2);
    sha1ni_four<2>(abcd, e, m0, false), m0 = sha1ni_next(m0, m1, m2, m3);
    sha1ni_four<2>(abcd, e, m1, false), m1 = sha1ni_next(m1, m2, m3, m0);
    sha1ni_four<2>(abcd, e, m2, false), m2 = sha1ni_next(m2, m3, m0, m1);
    sha1ni_four<3>(abcd, e, m3, false), m3 = sha1ni_next(m3, m0, m1, m2);
    sha1ni_four<3>(abcd, e, m0, false);
    sha1ni_four<3>(abcd, e, m1, false);
    sha1ni_four<3>(abcd, e, m2, false);
    sha1ni_four<3>(abcd, e, m3, false);
    // E after the 80 steps is the rotated A of step 76: sha1nexte's rotate.
    e0 = _mm_sha1nexte_epu32(e, e_saved);
    abcd = _mm_add_epi32(abcd, abcd_saved);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_shuffle_epi32(abcd, 0x1B));
  state[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e0, 3));
}
#endif

struct sha1_traits {
  static constexpr std::size_t state_words = 5;
  static constexpr std::size_t digest_size = 20;
  static constexpr byte_order order = byte_order::big;
  static constexpr std::array<std::uint32_t, 5> initial_state = {0x67452301, 0xefcdab89, 0x98badcfe,
                                                                  0x10325476, 0xc3d2e1f0};

  // The portable compression function: the reference every kernel is
  // tested against, and what runs where SHA-NI is absent or forced off.
  static void compress_scalar(std::uint32_t* state, const unsigned char* p, std::size_t blocks) noexcept {
    for (; blocks != 0; --blocks, p += 64) {
      std::uint32_t w[16];
      for (unsigned t = 0; t < 16; ++t) w[t] = load_be32(p + 4 * t);
      std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
      // Round 0: steps 0-15 take the block's words as they are, 16-19
      // start extending the schedule.
      for (unsigned t = 0; t < 15; t += 5) {
        sha1_step<0>(a, b, c, d, e, w[t]);
        sha1_step<0>(e, a, b, c, d, w[t + 1]);
        sha1_step<0>(d, e, a, b, c, w[t + 2]);
        sha1_step<0>(c, d, e, a, b, w[t + 3]);
        sha1_step<0>(b, c, d, e, a, w[t + 4]);
      }
      sha1_step<0>(a, b, c, d, e, w[15]);
      sha1_step<0>(e, a, b, c, d, sha1_extend(w, 16));
      sha1_step<0>(d, e, a, b, c, sha1_extend(w, 17));
      sha1_step<0>(c, d, e, a, b, sha1_extend(w, 18));
      sha1_step<0>(b, c, d, e, a, sha1_extend(w, 19));
      // Rounds 1-3 are written out: with a helper function per round,
      // clang 14 ran SHA-1 about a third slower.
      for (unsigned t = 20; t < 40; t += 5) {
        sha1_step<1>(a, b, c, d, e, sha1_extend(w, t));
        sha1_step<1>(e, a, b, c, d, sha1_extend(w, t + 1));
        sha1_step<1>(d, e, a, b, c, sha1_extend(w, t + 2));
        sha1_step<1>(c, d, e, a, b, sha1_extend(w, t + 3));
        sha1_step<1>(b, c, d, e, a, sha1_extend(w, t + 4));
      }
      for (unsigned t = 40; t < 60; t += 5) {
        sha1_step<2>(a, b, c, d, e, sha1_extend(w, t));
        sha1_step<2>(e, a, b, c, d, sha1_extend(w, t + 1));
        sha1_step<2>(d, e, a, b, c, sha1_extend(w, t + 2));
        sha1_step<2>(c, d, e, a, b, sha1_extend(w, t + 3));
        sha1_step<2>(b, c, d, e, a, sha1_extend(w, t + 4));
      }
      for (unsigned t = 60; t < 80; t += 5) {
        sha1_step<3>(a, b, c, d, e, sha1_extend(w, t));
        sha1_step<3>(e, a, b, c, d, sha1_extend(w, t + 1));
        sha1_step<3>(d, e, a, b, c, sha1_extend(w, t + 2));
        sha1_step<3>(c, d, e, a, b, sha1_extend(w, t + 3));
        sha1_step<3>(b, c, d, e, a, sha1_extend(w, t + 4));
      }
      state[0] += a;
      state[1] += b;
      state[2] += c;
      state[3] += d;
      state[4] += e;
    }
  }

  // Whole blocks through SHA-NI when the CPU has it (decided per call, not
  // per block), else the scalar code.
  static void compress(std::uint32_t* state, const unsigned char* p, std::size_t blocks) noexcept {
#if defined(MAILWIRE_SIMD_X86)
    if (cpu::has(cpu::sha)) return sha1_compress_shani(state, p, blocks);
#endif
    compress_scalar(state, p, blocks);
  }
};

// ------------------------------------------------------------ SHA-256
inline constexpr std::uint32_t sha256_k[64] = {  // FIPS 180-4 4.2.2
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// One SHA-256 step (FIPS 180-4 6.2.2 step 3) without the shuffle: only d
// and h change (d += T1, h = T1 + T2), and the caller rotates the arguments
// so that after eight steps every variable is back in its place.
inline void sha256_step(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t& d, std::uint32_t e,
                        std::uint32_t f, std::uint32_t g, std::uint32_t& h, std::uint32_t kw) noexcept {
  const std::uint32_t t1 = h + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) + (g ^ (e & (f ^ g))) + kw;
  const std::uint32_t t2 = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & b) | (c & (a | b)));
  d += t1;
  h = t1 + t2;
}

#if defined(MAILWIRE_SIMD_X86)
// SHA-256 through the SHA extensions. sha256rnds2 does two steps on the
// state split as ABEF and CDGH (A, E in the top lanes) with two K+W words
// from the low lanes of its third operand; sha256msg1/sha256msg2 with one
// add extend the schedule by four words from the previous sixteen.

// Four steps with the schedule words `m` (W_4g..W_4g+3, W_4g in lane 0).
MAILWIRE_TARGET_SHA inline void sha256ni_four(__m128i& abef, __m128i& cdgh, __m128i m, unsigned g) noexcept {
  const __m128i kw = _mm_add_epi32(m, _mm_loadu_si128(reinterpret_cast<const __m128i*>(sha256_k + 4 * g)));
  cdgh = _mm_sha256rnds2_epu32(cdgh, abef, kw);
  abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(kw, 0x0E));
}

// W_4g+16..W_4g+19 from a = W_4g.., b = W_4g+4.., c = W_4g+8.., d = W_4g+12..
// (FIPS 180-4 6.2.2 step 1, four words at a time; c supplies W_t-7 with d).
MAILWIRE_TARGET_SHA inline __m128i sha256ni_next(__m128i a, __m128i b, __m128i c, __m128i d) noexcept {
  return _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a, b), _mm_alignr_epi8(d, c, 4)), d);
}

MAILWIRE_TARGET_SHA inline void sha256_compress_shani(std::uint32_t* state, const unsigned char* p,
                                                      std::size_t blocks) noexcept {
  const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);  // per-word byte swap
  const __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));  // A in lane 0
  const __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));
  const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
  for (; blocks != 0; --blocks, p += 64) {
    const __m128i abef_saved = abef;
    const __m128i cdgh_saved = cdgh;
    __m128i m0, m1, m2, m3;
    shani_load_block(p, swap, m0, m1, m2, m3);
    // Sixteen groups of four steps; m0..m3 are a ring of the last sixteen
    // words, each replaced by the words sixteen later once it is used.
    for (unsigned g = 0; g < 12; g += 4) {
      sha256ni_four(abef, cdgh, m0, g), m0 = sha256ni_next(m0, m1, m2, m3);
      sha256ni_four(abef, cdgh, m1, g + 1), m1 = sha256ni_next(m1, m2, m3, m0);
      sha256ni_four(abef, cdgh, m2, g + 2), m2 = sha256ni_next(m2, m3, m0, m1);
      sha256ni_four(abef, cdgh, m3, g + 3), m3 = sha256ni_next(m3, m0, m1, m2);
    }
    sha256ni_four(abef, cdgh, m0, 12);
    sha256ni_four(abef, cdgh, m1, 13);
    sha256ni_four(abef, cdgh, m2, 14);
    sha256ni_four(abef, cdgh, m3, 15);
    abef = _mm_add_epi32(abef, abef_saved);
    cdgh = _mm_add_epi32(cdgh, cdgh_saved);
  }
  const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}
#endif

struct sha256_traits {
  static constexpr std::size_t state_words = 8;
  static constexpr std::size_t digest_size = 32;
  static constexpr byte_order order = byte_order::big;
  static constexpr std::array<std::uint32_t, 8> initial_state = {
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

  // The portable compression function (see sha1_traits::compress_scalar).
  static void compress_scalar(std::uint32_t* state, const unsigned char* p, std::size_t blocks) noexcept {
    for (; blocks != 0; --blocks, p += 64) {
      std::uint32_t w[64];  // the message schedule, FIPS 180-4 6.2.2 step 1
      for (unsigned t = 0; t < 16; ++t) w[t] = load_be32(p + 4 * t);
      for (unsigned t = 16; t < 64; ++t) {
        const std::uint32_t s0 = rotr32(w[t - 15], 7) ^ rotr32(w[t - 15], 18) ^ (w[t - 15] >> 3);
        const std::uint32_t s1 = rotr32(w[t - 2], 17) ^ rotr32(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = s1 + w[t - 7] + s0 + w[t - 16];
      }
      std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
      std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
      for (unsigned t = 0; t < 64; t += 8) {
        sha256_step(a, b, c, d, e, f, g, h, sha256_k[t] + w[t]);
        sha256_step(h, a, b, c, d, e, f, g, sha256_k[t + 1] + w[t + 1]);
        sha256_step(g, h, a, b, c, d, e, f, sha256_k[t + 2] + w[t + 2]);
        sha256_step(f, g, h, a, b, c, d, e, sha256_k[t + 3] + w[t + 3]);
        sha256_step(e, f, g, h, a, b, c, d, sha256_k[t + 4] + w[t + 4]);
        sha256_step(d, e, f, g, h, a, b, c, sha256_k[t + 5] + w[t + 5]);
        sha256_step(c, d, e, f, g, h, a, b, sha256_k[t + 6] + w[t + 6]);
        sha256_step(b, c, d, e, f, g, h, a, sha256_k[t + 7] + w[t + 7]);
      }
      state[0] += a;
      state[1] += b;
      state[2] += c;
      state[3] += d;
      state[4] += e;
      state[5] += f;
      state[6] += g;
      state[7] += h;
    }
  }

  // Whole blocks through SHA-NI when the CPU has it (decided per call, not
  // per block), else the scalar code.
  static void compress(std::uint32_t* state, const unsigned char* p, std::size_t blocks) noexcept {
#if defined(MAILWIRE_SIMD_X86)
    if (cpu::has(cpu::sha)) return sha256_compress_shani(state, p, blocks);
#endif
    compress_scalar(state, p, blocks);
  }
};

/// MD5 (RFC 1321): 16-byte digests. For CRAM-MD5 and legacy uses only; MD5
/// is broken for collision resistance. Interface: see md_hasher —
/// update(bytes), finish() -> digest (then reusable), static hash(bytes).
class md5 final : public md_hasher<md5_traits> {};

/// SHA-1 (FIPS 180-4): 20-byte digests, for SCRAM-SHA-1. Same interface.
class sha1 final : public md_hasher<sha1_traits> {};

/// SHA-256 (FIPS 180-4): 32-byte digests, for SCRAM-SHA-256. Same interface.
class sha256 final : public md_hasher<sha256_traits> {};

/// The bytes of `bytes` (a digest) as lowercase hexadecimal, two characters
/// per byte.
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(2 * N, '\0');
  for (std::size_t i = 0; i < N; ++i) {
    s[2 * i] = digits[bytes[i] >> 4];
    s[2 * i + 1] = digits[bytes[i] & 15u];
  }
  return s;
}

/// The bytes of `bytes` (a digest) as a string_view, to pass to update(),
/// hmac or constant_time_equal(). It points into the array and is valid
/// while the array lives: `h.update(as_view(sha1::hash(x)))` is fine (the
/// temporary lives to the end of the statement), keeping the view of a
/// temporary in a variable is not.
template <std::size_t N>
std::string_view as_view(const std::array<std::uint8_t, N>& bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

}  // namespace detail
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_HASH_HPP
