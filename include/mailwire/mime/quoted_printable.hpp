// mailwire: quoted-printable bodies (RFC 2045 6.7), streaming both ways.
//
// The decoder is the per-part hot path of the MIME parser: it takes input in
// any chunking and gives the same bytes and the same diagnostics (absolute
// stream offsets) however the input is split. Where the CPU has AVX-512
// VBMI2, clean text goes 64 bytes at a time through a block decoder
// (decode_blocks_vbmi2, design change (as)), which hands any block with
// something unusual in it to the code below. Literal runs are found and
// copied by the shared vector scan (core/scan.hpp, up to the next "=", CR
// or LF; without vector kernels, lines by memchr and sixteen bytes at a
// time by SWAR), escapes, CRLF and soft breaks are handled in the same loop; only
// unusual line ends (trailing whitespace, a cut escape) and the bytes held
// across a chunk boundary go through a byte-at-a-time state machine, which
// defines the behaviour.
//
// Decoding rules (lenient, as real mail needs; what is wrong is reported):
//  - "=" HEX HEX is the byte; hex digits are accepted in either case
//    silently (RFC 2045 6.7 (1) requires upper case, but lower-case
//    encoders are common and the reading is unambiguous).
//  - "=" followed by optional SP/HTAB and a line break (CRLF or bare LF) is
//    a soft line break: nothing is written.
//  - Any other "=" is kept literally with the bytes after it, and reported
//    as errc::qp_invalid_escape at the "=". A "=" (with optional SP/HTAB or
//    CR) at the very end of the stream is a soft line break, silently: a
//    MIME parser hands over a body without the CRLF that belongs to the
//    next boundary.
//  - SP and HTAB before a line break, or at the end of the stream, are
//    removed (RFC 2045 6.7 (3)). A run of more than
//    qp_decoder::max_held_whitespace of them is kept in part: every time
//    the run grows past that bound, the bytes held so far are written out,
//    so memory stays bounded; the rule depends on the input only, never on
//    the chunking.
//  - Hard line breaks are written as they came (CRLF, or bare LF); a CR
//    not followed by LF is an ordinary byte. Other bytes pass through.
//  - A line longer than 76 characters before its break (RFC 2045 6.7 (5))
//    is decoded and reported as errc::qp_line_too_long at its line break.
#ifndef MAILWIRE_MIME_QUOTED_PRINTABLE_HPP
#define MAILWIRE_MIME_QUOTED_PRINTABLE_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/cpu.hpp"
#include "mailwire/core/scan.hpp"
#include "mailwire/mime/diagnostic.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

namespace detail {
constexpr std::array<std::int8_t, 256> make_hex_values() {
  std::array<std::int8_t, 256> t{};
  for (std::size_t i = 0; i < 256; ++i) {
    t[i] = static_cast<std::int8_t>(ascii::hex_value(static_cast<char>(i)));
  }
  return t;
}
/// Each byte's value as a hex digit (either case), -1 for other bytes: the
/// table behind "=XX" here and in RFC 2047 Q-encoding.
inline constexpr std::array<std::int8_t, 256> hex_values = make_hex_values();
inline constexpr char upper_hex[] = "0123456789ABCDEF";

// Bytes quoted-printable writes as they are: printable ASCII but '='
// (SP and HTAB have their own rule).
constexpr std::array<bool, 256> make_qp_literal() {
  std::array<bool, 256> t{};
  for (int c = 33; c < 127; ++c) t[static_cast<std::size_t>(c)] = c != '=';
  return t;
}
inline constexpr std::array<bool, 256> qp_literal = make_qp_literal();

constexpr bool is_qp_space(unsigned char c) noexcept { return c == ' ' || c == '\t'; }

// The ASCII half of hex_values for the block decoder's byte lookup (vpermi2b
// reads 128 entries): a digit's value, 0x80 for any other byte.
constexpr std::array<unsigned char, 128> make_hex_nibbles() {
  std::array<unsigned char, 128> t{};
  for (std::size_t i = 0; i < 128; ++i) t[i] = hex_values[i] >= 0 ? static_cast<unsigned char>(hex_values[i]) : 0x80;
  return t;
}
inline constexpr std::array<unsigned char, 128> hex_nibbles = make_hex_nibbles();
}  // namespace detail

/// Streaming quoted-printable decoder; see the rules at the top of this
/// file. Holds at most max_held_whitespace + 1 bytes between calls and
/// never allocates except to grow the caller's output.
class qp_decoder {
 public:
  /// Longest encoded line, without its line break (RFC 2045 6.7 (5)).
  static constexpr std::size_t max_line = 76;
  /// Bound on the SP/HTAB (with a "=" before them) held back because they
  /// may turn out to be trailing whitespace.
  static constexpr std::size_t max_held_whitespace = 128;

  /// `base_offset` is the stream offset of the first byte: diagnostics
  /// carry base_offset plus the position in the stream.
  explicit qp_decoder(std::uint64_t base_offset = 0) noexcept
      : offset_(base_offset), line_start_(base_offset) {}

  /// Stream offset of the next byte decode() will read.
  std::uint64_t offset() const noexcept { return offset_; }

  /// Most bytes decode(in, char*) writes for an input of `n` bytes.
  static constexpr std::size_t decoded_size_max(std::size_t n) noexcept {
    return n + max_held_whitespace + 1;
  }
  /// Most bytes finish(char*) writes: an unfinished "=X", or a CR.
  static constexpr std::size_t finish_size_max = 2;

  /// Decodes `in`, appending to `out`; diagnostics are appended to `d`
  /// (may be null).
  void decode(std::string_view in, std::string& out, diagnostics* d) {
    const std::size_t old = out.size();
    out.resize(old + decoded_size_max(in.size()));
    out.resize(old + decode(in, &out[old], d));
  }

  /// Decodes `in` into `out` (room for decoded_size_max(in.size()) bytes,
  /// any of which may be overwritten); returns the bytes decoded.
  std::size_t decode(std::string_view in, char* out, diagnostics* d) {
    const char* p = in.data();
    const char* const end = p + in.size();
    char* o = out;
    const std::uint64_t base = offset_;  // of in[0]
    const auto level = mailwire::detail::scan_level_now();
#if defined(MAILWIRE_SIMD_X86)
    const bool blocks = cpu::has(cpu::avx512 | cpu::avx512vbmi2);
    std::ptrdiff_t hand = 64;  // bytes the line decoder takes after an unusual block
#endif
    while (p != end) {
      if (held_n_ == 0 && !cr_) {
        const char* stop = end;
#if defined(MAILWIRE_SIMD_X86)
        if (blocks && end - p >= block_reach) {
          const char* const from = p;
          p = decode_blocks_vbmi2(p, end, o, in.data(), base, d);
          // A block with something unusual in it: the line decoder (and
          // step()) take that block, as if the input were cut after it,
          // then the blocks go on. When blocks keep failing (trailing
          // whitespace on every line, say), the line decoder takes twice
          // as much each time, up to 4 KiB, so the blocks' failed tries
          // cost little; a block taken brings it back to one block.
          if (p != from) hand = 64;
          if (end - p >= block_reach) {
            stop = end - p > hand ? p + hand : end;
            hand = hand < 4096 ? 2 * hand : hand;
          }
        }
#endif
        p = decode_lines_at(p, stop, o, in.data(), base, d, level);
        if (p == stop) continue;
      }
      o = step(static_cast<unsigned char>(*p), base + static_cast<std::uint64_t>(p - in.data()), o, d);
      ++p;
    }
    offset_ = base + in.size();
    return static_cast<std::size_t>(o - out);
  }

  /// Ends the stream (see the top of this file for what is held at the
  /// end), appending to `out`. The decoder is then ready for a new stream
  /// starting at offset().
  void finish(std::string& out, diagnostics* d) {
    char buf[finish_size_max] = {};
    out.append(buf, finish(buf, d));
  }

  /// finish() into `out` (room for finish_size_max bytes); returns the
  /// bytes written.
  std::size_t finish(char* out, diagnostics* d) {
    char* o = out;
    const bool cr = cr_;
    if (state_ == state::eq_hex) {
      o = release(o, d);
    } else if (state_ == state::text && cr) {
      *o++ = '\r';  // a line break cut before its LF: the SP/HTAB before it go
    }
    const std::uint64_t end = offset_ - (cr ? 1 : 0);
    if (end - line_start_ > max_line) report(d, errc::qp_line_too_long, end);
    clear();
    line_start_ = offset_;
    return static_cast<std::size_t>(o - out);
  }

 private:
  enum class state : std::uint8_t {
    text,    // held_: SP/HTAB that may be trailing whitespace
    eq,      // held_: "=" then SP/HTAB: a soft line break if a line break follows
    eq_hex,  // held_: "=" and one hex digit
  };

  // The fast path, in the clean state: copies literal runs with the shared
  // scan (core/scan.hpp: the first "=", CR or LF, copied as it is found),
  // decodes "=XX" runs, soft breaks ("=" CRLF, "=" LF) and hard breaks
  // (CRLF, LF) itself, and returns where step() must take over: SP/HTAB
  // right before a CR, an LF or the end of the input (trailing whitespace,
  // given back to step() from its first byte, which then sees exactly what
  // it would have seen byte by byte), a CR not followed by LF, an "=" that
  // is neither an escape nor a plain soft break, or one cut by the end.
  const char* decode_lines(const char* p, const char* end, char*& o, const char* origin, std::uint64_t base,
                           diagnostics* d, mailwire::detail::scan_level level) {
    static constexpr mailwire::detail::byte_set specials = mailwire::detail::make_byte_set("=\r\n");
    const char* run = p;  // start of the literal run being copied
    for (;;) {
      const char* q = mailwire::detail::scan_copy(level, p, end, specials, o);
      if (q == end || *q != '=') {
        // Trailing SP/HTAB were copied as literals: take them back.
        const char* ws = q;
        while (ws != run && detail::is_qp_space(static_cast<unsigned char>(ws[-1]))) --ws;
        if (ws != q || q == end) {
          o -= q - ws;
          return ws;
        }
        const char* lf = q;
        if (*q == '\r') {
          if (end - q < 2 || q[1] != '\n') return q;
          *o++ = '\r';
          ++lf;
        }
        *o++ = '\n';
        end_line(base + static_cast<std::uint64_t>(lf - origin), lf != q, d);
        p = run = lf + 1;
        continue;
      }
      if (end - q < 3) return q;
      if (const char* after = escapes(q, end, o)) {
        p = run = after;
        continue;
      }
      const char* lf = q[1] == '\r' ? q + 2 : q + 1;  // a soft line break: "=" [CR] LF
      if (*lf != '\n') return q;                       // (q[2] exists: end - q >= 3)
      end_line(base + static_cast<std::uint64_t>(lf - origin), lf != q + 1, d);
      p = run = lf + 1;
    }
  }

  // The fast path without vector kernels (forced scalar, MAILWIRE_NO_SIMD,
  // other CPUs), in the clean state: decodes line after line, each found
  // with memchr (which every libc vectorises) up to its trailing SP/HTAB/CR
  // (or up to an escape that runs into them), and its line break too when
  // it is a plain CRLF or LF with or without a soft-break "=" before it.
  // Returns where step() must take over. Same contract as decode_lines().
  const char* decode_lines_memchr(const char* p, const char* end, char*& o, const char* origin, std::uint64_t base,
                           diagnostics* d) {
    for (;;) {
      const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* ce = nl != nullptr ? nl : end;  // content end
      if (ce != p && ce[-1] == '\r') --ce;
      const char* we = ce;  // start of the trailing whitespace
      while (we != p && detail::is_qp_space(static_cast<unsigned char>(we[-1]))) --we;
      const char* e;
      for (;;) {
        e = find_eq(p, we, end, o);
        if (e == we || we - e < 3) break;
        if (const char* after = escapes(e, we, o)) {
          p = after;
        } else {
          // Kept literally; what follows the "=" is read again as text, as
          // step() does.
          report(d, errc::qp_invalid_escape, base + static_cast<std::uint64_t>(e - origin));
          *o++ = '=';
          p = e + 1;
        }
      }
      if (nl == nullptr || we != ce || (e != we && we - e != 1)) return e;
      if (e == we) {  // a hard line break, kept as it came
        if (ce != nl) *o++ = '\r';
        *o++ = '\n';
      }
      end_line(base + static_cast<std::uint64_t>(nl - origin), ce != nl, d);
      p = nl + 1;
      if (p == end) return p;
    }
  }

  // Copies [p, stop) to o up to the first '=', advancing o; returns the '='
  // (or stop). Sixteen bytes at a time, reading up to `limit` (the end of
  // the input): each block is stored whole before it is searched (SWAR),
  // which is why decoded_size_max() has slack; escapes are too dense in
  // real text for a memchr and a memcpy per run to pay.
  static const char* find_eq(const char* p, const char* stop, const char* limit, char*& o) noexcept {
    while (limit - p >= 16) {
      std::uint64_t w[2];
      std::memcpy(w, p, 16);
      std::memcpy(o, w, 16);
      const std::uint64_t m0 = eq_bytes(w[0]);
      const std::uint64_t m1 = eq_bytes(w[1]);
      std::size_t k = 16;
      if ((m0 | m1) != 0) k = m0 != 0 ? first_eq(p, m0) : 8 + first_eq(p + 8, m1);
      const auto room = static_cast<std::size_t>(stop - p);
      if (k >= room) {
        o += room;
        return stop;
      }
      p += k;
      o += k;
      if (k != 16) return p;
    }
    while (p != stop && *p != '=') *o++ = *p++;
    return p;
  }

  // 0x80 in the bytes of `w` that are '=' (and maybe in some above the
  // lowest of them, through borrows), 0 when there is none.
  static constexpr std::uint64_t eq_bytes(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101u;
    const std::uint64_t x = w ^ (ones * '=');
    return (x - ones) & ~x & (ones * 0x80u);
  }

  // Index of the first '=' in the block at p, given the marks of its first
  // word. Borrows run towards the higher bytes of a word, so the lowest
  // mark is exact; on a big-endian target that is not the first in memory,
  // and the bytes are scanned instead.
  static std::size_t first_eq(const char* p, std::uint64_t m) noexcept {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    (void)p;
    return static_cast<std::size_t>(__builtin_ctzll(m)) / 8;
#else
    (void)m;
    std::size_t k = 0;
    while (p[k] != '=') ++k;
    return k;
#endif
  }

  // Decodes the "=XX" at q (q + 3 <= stop) and the ones right after it
  // (UTF-8 text has escapes in runs: "=C3=A9") up to `stop`; returns the
  // byte after the last, or null (nothing written) when q is no escape.
  static const char* escapes(const char* q, const char* stop, char*& o) noexcept {
    const char* p = q;
    while (stop - p >= 3 && p[0] == '=') {
      const int h = detail::hex_values[static_cast<unsigned char>(p[1])];
      const int l = detail::hex_values[static_cast<unsigned char>(p[2])];
      if ((h | l) < 0) break;
      *o++ = static_cast<char>((h << 4) | l);
      p += 3;
    }
    return p == q ? nullptr : p;
  }

  // decode_lines() with the scan of `level` compiled into it: a copy of the
  // loop per instruction set (flatten inlines the kernel and hoists its
  // constants), so a literal run costs no call. Without kernels, the
  // memchr-and-SWAR loop, faster than the scan's scalar form here.
  const char* decode_lines_at(const char* p, const char* end, char*& o, const char* origin, std::uint64_t base,
                              diagnostics* d, mailwire::detail::scan_level level) {
#if defined(MAILWIRE_SIMD_X86)
    if (level == mailwire::detail::scan_level::avx512) return decode_lines_avx512(p, end, o, origin, base, d);
    if (level == mailwire::detail::scan_level::avx2) return decode_lines_avx2(p, end, o, origin, base, d);
    if (level != mailwire::detail::scan_level::scalar) return decode_lines(p, end, o, origin, base, d, level);
#endif
    (void)level;
    return decode_lines_memchr(p, end, o, origin, base, d);
  }

#if defined(MAILWIRE_SIMD_X86)
  MAILWIRE_TARGET_AVX512 __attribute__((flatten)) const char* decode_lines_avx512(
      const char* p, const char* end, char*& o, const char* origin, std::uint64_t base, diagnostics* d) {
    return decode_lines(p, end, o, origin, base, d, mailwire::detail::scan_level::avx512);
  }
  MAILWIRE_TARGET_AVX2 __attribute__((flatten)) const char* decode_lines_avx2(
      const char* p, const char* end, char*& o, const char* origin, std::uint64_t base, diagnostics* d) {
    return decode_lines(p, end, o, origin, base, d, mailwire::detail::scan_level::avx2);
  }
#endif

#if defined(MAILWIRE_SIMD_X86)
  // Bytes the block decoder reads for one block: 64 and the two after them,
  // where an escape or a line break begun in the block ends.
  static constexpr std::ptrdiff_t block_reach = 66;

  // The block decoder (AVX-512 VBMI2), in the clean state: 64 bytes a step
  // with no branch per run. Over a block it takes masks of "=", CR, LF and
  // SP/HTAB, and of the next two bytes (loads at p + 1 and p + 2): an "="
  // with two hex digits after it is an escape (its byte replaces the "=",
  // the digits are dropped), "=" CRLF and "=" LF are soft breaks (dropped),
  // every other byte is kept; vpcompressb packs the kept bytes. A block is
  // taken only when it is clean: every "=" an escape or a plain soft break,
  // every CR before an LF, no SP/HTAB before a CR or LF. Since hex digits,
  // CR and LF are never "=", every "=" of a clean block starts a token, so
  // the block reads as the line decoder would read it. Anything else stops
  // here, at the block's start, and the line decoder and step() (the
  // reference) decode that block: errors and offsets are theirs by
  // construction. A token that ends in the two bytes after the block is
  // taken whole (the next block starts after it). Needs end - p >=
  // block_reach for each block; writes up to 65 bytes at o, within
  // decoded_size_max() (o - out never passes the bytes read plus those held
  // at the call's start, 129).
  MAILWIRE_TARGET_AVX512VBMI2 const char* decode_blocks_vbmi2(const char* p, const char* end, char*& o,
                                                              const char* origin, std::uint64_t base,
                                                              diagnostics* d) {
    // Only a block's first line break can end a line that is too long: the
    // ones after it are at most 63 bytes after another.
    static_assert(max_line >= 64, "one long-line check per block");
    const __m512i tab_lo = _mm512_loadu_si512(detail::hex_nibbles.data());
    const __m512i tab_hi = _mm512_loadu_si512(detail::hex_nibbles.data() + 64);
    const __m512i eq_v = _mm512_set1_epi8('=');
    const __m512i cr_v = _mm512_set1_epi8('\r');
    const __m512i lf_v = _mm512_set1_epi8('\n');
    const __m512i sp_v = _mm512_set1_epi8(' ');
    const __m512i tab_v = _mm512_set1_epi8('\t');
    const __m512i high_nibble = _mm512_set1_epi8(static_cast<char>(0xF0));
    char* out = o;  // o and line_start_ in registers, not through memory
    std::uint64_t line_start = line_start_;
    while (end - p >= block_reach) {
      const __m512i x0 = _mm512_loadu_si512(p);
      const __m512i x1 = _mm512_loadu_si512(p + 1);
      const __m512i x2 = _mm512_loadu_si512(p + 2);
      // Where the next block starts, from the last bytes alone, so that the
      // next loads wait for two byte loads rather than for the masks: past
      // an escape or "=" CRLF begun on lane 63 (two bytes over) or lane 62,
      // past "=" LF or a CRLF begun on lane 63 (one). (Right whenever the
      // block is clean; otherwise it is not used.)
      const auto b62 = static_cast<unsigned char>(p[62]), b63 = static_cast<unsigned char>(p[63]);
      const auto b64 = static_cast<unsigned char>(p[64]);
      const std::uint64_t lf64 = b64 == '\n';
      const std::uint64_t eq63 = b63 == '=';  // (arithmetic, not a branch: "=" falls there at random)
      const std::uint64_t one_over =
          (static_cast<std::uint64_t>(b62 == '=') & static_cast<std::uint64_t>(b63 != '\n')) |
          static_cast<std::uint64_t>(b63 == '\r');
      const char* const next_p = p + 64 + ((eq63 << 1) - (eq63 & lf64) + (one_over & (eq63 ^ 1)));
      const std::uint64_t eq = _mm512_cmpeq_epi8_mask(x0, eq_v);
      const std::uint64_t cr = _mm512_cmpeq_epi8_mask(x0, cr_v);
      const std::uint64_t lf = _mm512_cmpeq_epi8_mask(x0, lf_v);
      const std::uint64_t sp = _mm512_cmpeq_epi8_mask(x0, sp_v) | _mm512_cmpeq_epi8_mask(x0, tab_v);
      // The same for the next byte and the one after, from these masks and
      // the two bytes past the block (mask shifts instead of compares: the
      // compares share one port with the permutes and the compress).
      const auto b65 = static_cast<unsigned char>(p[65]);
      const std::uint64_t cr1 = (cr >> 1) | (static_cast<std::uint64_t>(b64 == '\r') << 63);
      const std::uint64_t lf1 = (lf >> 1) | (lf64 << 63);
      const std::uint64_t lf2 = (lf >> 2) | (lf64 << 62) | (static_cast<std::uint64_t>(b65 == '\n') << 63);
      // The next two bytes as hex digits: 0x80 set in either when one is
      // not (the table's mark, or a byte >= 0x80 that vpermi2b folds).
      const __m512i h1 = _mm512_permutex2var_epi8(tab_lo, x1, tab_hi);
      const __m512i h2 = _mm512_permutex2var_epi8(tab_lo, x2, tab_hi);
      const std::uint64_t not_hex =
          _mm512_movepi8_mask(_mm512_ternarylogic_epi32(_mm512_or_si512(h1, x1), h2, x2, 0xFE));
      const std::uint64_t esc = eq & ~not_hex;
      const std::uint64_t soft_lf = eq & lf1;
      const std::uint64_t soft_crlf = eq & cr1 & lf2;
      const std::uint64_t unusual = (eq & ~(esc | soft_lf | soft_crlf)) | (cr & ~lf1) | (sp & (cr1 | lf1));
      // SP/HTAB on the last lane with more of them after the block: they
      // may be trailing whitespace, which the line decoder could not take
      // back from the next block (it takes back only from where it starts).
      const std::uint64_t sp_on = (sp >> 63) & static_cast<std::uint64_t>(detail::is_qp_space(b64));
      if ((unusual | sp_on) != 0) break;
      // (h1 << 4) | h2 per byte: the 16-bit shift's carry into the next
      // byte is masked off by the select (0xF0 from the shift, 0x0F from h2).
      const __m512i value = _mm512_ternarylogic_epi32(_mm512_slli_epi16(h1, 4), h2, high_nibble, 0xE4);
      const __m512i bytes = _mm512_mask_blend_epi8(esc, x0, value);
      const std::uint64_t drop =
          (esc << 1) | (esc << 2) | soft_lf | (soft_lf << 1) | soft_crlf | (soft_crlf << 1) | (soft_crlf << 2);
      _mm512_storeu_si512(out, _mm512_maskz_compress_epi8(~drop, bytes));
      out += __builtin_popcountll(~drop);
      // The LF of a hard CRLF whose CR is on lane 63 (out + 64 at most: in
      // the room, see above). No branch from here on: where tokens and line
      // breaks fall is as random as the text, and mispredictions would cost
      // more than the block's work.
      const std::uint64_t h63 = (cr & ~(soft_crlf << 1)) >> 63;
      *out = '\n';
      out += h63;
      // Line breaks, by where each starts (end_line()'s `brk`): the CR of a
      // CRLF (every CR of a clean block is one, soft or hard) or a bare LF.
      // A soft break from lane 63 starts on lane 64; bit 63 stands for it
      // (lane 63 is its "=", so the bit is free). Only the first break can
      // end a line that is too long (end_line()'s test); the next line
      // starts after the last break's LF.
      const std::uint64_t at = base + static_cast<std::uint64_t>(p - origin);
      const std::uint64_t t = (soft_crlf | soft_lf) >> 63;
      const std::uint64_t brks = cr | (lf & ~(cr << 1)) | (t << 63);
      const std::uint64_t any = brks != 0;
      const auto first = static_cast<std::uint64_t>(__builtin_ctzll(brks | (1ull << 63)));
      const std::uint64_t brk = at + first + (t & static_cast<std::uint64_t>(first == 63));
      if ((any & static_cast<std::uint64_t>(brk - line_start > max_line)) != 0) {
        report(d, errc::qp_line_too_long, brk);
      }
      const auto last = static_cast<unsigned>(63 - __builtin_clzll(brks | 1));
      const std::uint64_t cr_at = cr | ((soft_crlf >> 63) << 63);  // is the break at `last` a CRLF
      line_start += (at + last + 1 + ((cr_at >> last) & 1) + t - line_start) & (0 - any);
      p = next_p;
    }
    o = out;
    line_start_ = line_start;
    return p;
  }
#endif

  // One byte through the state machine; `off` is its stream offset.
  char* step(unsigned char c, std::uint64_t off, char* o, diagnostics* d) {
    if (c == '\n') {
      // A line break settles every held state. eq: a soft line break
      // ("=" [WSP] [CR] LF); text: the held SP/HTAB were trailing.
      if (state_ == state::eq_hex) o = release(o, d);
      const bool cr = cr_;
      if (state_ == state::text) {
        if (cr) *o++ = '\r';
        *o++ = '\n';
      }
      end_line(off, cr, d);
      clear();
      return o;
    }
    if (cr_) {
      o = release(o, d);  // the CR was not a line break
    } else if (held_n_ != 0) {
      switch (state_) {
        case state::eq_hex: {
          const int lo = detail::hex_values[c];
          if (lo >= 0) {
            *o++ = static_cast<char>((detail::hex_values[static_cast<unsigned char>(held_[1])] << 4) | lo);
            clear();
            return o;
          }
          o = release(o, d);
          break;
        }
        case state::eq:
          if (held_n_ == 1 && detail::hex_values[c] >= 0) {
            held_[held_n_++] = static_cast<char>(c);
            state_ = state::eq_hex;
            return o;
          }
          [[fallthrough]];
        case state::text:
          if (detail::is_qp_space(c)) {
            if (held_n_ == max_held_whitespace) o = release(o, d);
            held_[held_n_++] = static_cast<char>(c);
            return o;
          }
          if (c == '\r') {
            cr_ = true;
            return o;
          }
          o = release(o, d);
          break;
      }
    }
    // Clean state: nothing held.
    if (detail::is_qp_space(c)) {
      held_[held_n_++] = static_cast<char>(c);
    } else if (c == '\r') {
      cr_ = true;
    } else if (c == '=') {
      held_[held_n_++] = '=';
      state_ = state::eq;
      eq_offset_ = off;
    } else {
      *o++ = static_cast<char>(c);
    }
    return o;
  }

  // Writes the held bytes as they came (a "=" among them was not an escape).
  char* release(char* o, diagnostics* d) {
    if (state_ != state::text) report(d, errc::qp_invalid_escape, eq_offset_);
    std::memcpy(o, held_, held_n_);
    o += held_n_;
    if (cr_) *o++ = '\r';
    clear();
    return o;
  }

  void clear() noexcept {
    held_n_ = 0;
    cr_ = false;
    state_ = state::text;
  }

  void end_line(std::uint64_t lf, bool cr, diagnostics* d) {
    const std::uint64_t brk = lf - (cr ? 1 : 0);
    if (brk - line_start_ > max_line) report(d, errc::qp_line_too_long, brk);
    line_start_ = lf + 1;
  }

  static void report(diagnostics* d, errc e, std::uint64_t off) { detail::report(d, e, off); }

  std::uint64_t offset_;
  std::uint64_t line_start_;
  std::uint64_t eq_offset_ = 0;
  std::size_t held_n_ = 0;
  state state_ = state::text;
  bool cr_ = false;  // a CR after held_: a line break if LF follows
  char held_[max_held_whitespace];
};

/// Options of the quoted-printable encoder.
struct qp_encode_options {
  /// Binary mode: every byte round-trips, CR and LF are encoded (=0D, =0A).
  /// Text mode (default): CRLF and bare LF are hard line breaks, written as
  /// CRLF; a bare CR is encoded.
  bool binary = false;
  /// Encode a "." at the start of an encoded line (=2E), for transports
  /// that do not dot-stuff.
  bool encode_dot = false;
  /// Encode an "F" at the start of an encoded line (=46), so no line can
  /// read "From " to an mbox writer. (Every "F" there, without looking
  /// ahead: as safe, and the same in any chunking.)
  bool encode_from = false;
  /// Longest encoded line without its CRLF, the "=" of a soft line break
  /// included; clamped to [4, 76] (RFC 2045 6.7 (5)).
  std::size_t line_length = 76;
};

/// Streaming quoted-printable encoder. Printable ASCII but "=" is written
/// as is, everything else as "=XX" (upper case). SP and HTAB are written
/// as is, except before a hard line break or at the end, where they are
/// encoded (RFC 2045 6.7 (3)). Escapes are never split by a soft line
/// break. Output depends on the bytes only, never on the chunking; up to
/// one SP/HTAB and one CR are held between calls.
class qp_encoder {
 public:
  /// An encoder writing lines of at most o.line_length characters (clamped
  /// to 4..76, RFC 2045 6.7 (5)).
  explicit qp_encoder(const qp_encode_options& o = {}) noexcept
      : opts_(o), max_content_((o.line_length < 4 ? 4 : o.line_length > 76 ? 76 : o.line_length) - 1) {}

  /// Encodes `in`, appending to `out`.
  void encode(std::string_view in, std::string& out) {
    // Through a buffer on the stack, a block at a time: at most 3
    // characters per byte and a soft break (3) before each, plus what the
    // held SP/HTAB and CR write. (Growing `out` by the worst case would
    // zero-fill six times the input.)
    constexpr std::size_t block = 2048;
    char buf[6 * block + 16];
    while (!in.empty()) {
      const std::string_view piece = in.substr(0, block);
      in.remove_prefix(piece.size());
      char* o = buf;
      const char* p = piece.data();
      const char* const end = p + piece.size();
      while (p != end) {
        // The common case first: printable ASCII but '=' written as it
        // is, and a SP or HTAB followed by such a byte (then it is not
        // trailing white space), with nothing held, room on the line and
        // not at a line start (where encode_dot and encode_from apply).
        if (held_ws_ == 0 && !held_cr_ && column_ != 0) {
          std::size_t room = max_content_ - column_;
          while (p != end && room != 0) {
            // A run of literal bytes, as far as the line has room.
            const char* const stop = end - p > static_cast<std::ptrdiff_t>(room) ? p + room : end;
            const char* q = p;
            while (q != stop && detail::qp_literal[static_cast<unsigned char>(*q)]) ++q;
            const auto n = static_cast<std::size_t>(q - p);
            std::memcpy(o, p, n);
            o += n;
            p = q;
            room -= n;
            if (p == end || room == 0) break;
            const auto c = static_cast<unsigned char>(*p);
            if (detail::is_qp_space(c)) {
              if (room < 2 || end - p < 2 || !detail::qp_literal[static_cast<unsigned char>(p[1])]) break;
              *o++ = *p++;
              *o++ = *p++;
              room -= 2;
            } else if (room >= 3 && (opts_.binary || (c != '\r' && c != '\n'))) {
              // An escape that fits: what put() writes, without its checks.
              *o++ = '=';
              *o++ = detail::upper_hex[c >> 4];
              *o++ = detail::upper_hex[c & 15];
              ++p;
              room -= 3;
            } else {
              break;
            }
          }
          column_ = max_content_ - room;
          if (p == end) break;
        }
        step(static_cast<unsigned char>(*p++), o);
      }
      out.append(buf, static_cast<std::size_t>(o - buf));
    }
  }

  /// Ends the stream (no line break is added), appending to `out`. The
  /// encoder is then ready for a new stream.
  void finish(std::string& out) {
    char buf[16];
    char* o = buf;
    if (held_cr_) {
      flush_ws(o);
      put('\r', false, o);
    } else if (held_ws_ != 0) {
      put(held_ws_, false, o);
    }
    out.append(buf, static_cast<std::size_t>(o - buf));
    held_ws_ = 0;
    held_cr_ = false;
    column_ = 0;
  }

 private:
  // One byte, with the held SP/HTAB and CR (the rules of RFC 2045 6.7).
  void step(unsigned char c, char*& o) {
    if (held_cr_) {
      held_cr_ = false;
      if (c == '\n') {
        if (held_ws_ != 0) put(held_ws_, false, o);
        held_ws_ = 0;
        hard_break(o);
        return;
      }
      flush_ws(o);
      put('\r', false, o);
    }
    if (held_ws_ != 0) {
      if (!opts_.binary && c == '\r') {
        held_cr_ = true;
        return;
      }
      if (!opts_.binary && c == '\n') {
        put(held_ws_, false, o);
        held_ws_ = 0;
        hard_break(o);
        return;
      }
      flush_ws(o);
    }
    if (detail::is_qp_space(c)) {
      held_ws_ = c;
    } else if (!opts_.binary && c == '\r') {
      held_cr_ = true;
    } else if (!opts_.binary && c == '\n') {
      hard_break(o);
    } else {
      put(c, c > 32 && c < 127 && c != '=', o);
    }
  }

  void flush_ws(char*& o) {
    if (held_ws_ != 0) put(held_ws_, true, o);
    held_ws_ = 0;
  }

  void put(unsigned char c, bool literal, char*& o) {
    if (column_ + (literal ? 1 : 3) > max_content_) {
      *o++ = '=';
      *o++ = '\r';
      *o++ = '\n';
      column_ = 0;
    }
    if (column_ == 0 && ((c == '.' && opts_.encode_dot) || (c == 'F' && opts_.encode_from))) literal = false;
    if (literal) {
      *o++ = static_cast<char>(c);
      ++column_;
    } else {
      *o++ = '=';
      *o++ = detail::upper_hex[c >> 4];
      *o++ = detail::upper_hex[c & 15];
      column_ += 3;
    }
  }

  void hard_break(char*& o) {
    *o++ = '\r';
    *o++ = '\n';
    column_ = 0;
  }

  qp_encode_options opts_;
  std::size_t max_content_;
  std::size_t column_ = 0;
  unsigned char held_ws_ = 0;  // SP or HTAB not yet written, 0 when none
  bool held_cr_ = false;       // text mode: a CR that may start a CRLF
};

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_QUOTED_PRINTABLE_HPP
