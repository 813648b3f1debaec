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
}  // namespace detail

/// Streaming encoder. Line breaks (CRLF) are written after every
/// `line_length` characters when line_length is non-zero (MIME uses 76;
/// RFC 2045 6.8 forbids more); it is rounded down to a multiple of 4.
class encoder {
 public:
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
  explicit decoder(base64::mode m = base64::mode::strict) noexcept : mode_(m) {}

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

    for (;;) {
      // Fast path: whole quanta at a quantum boundary, four table lookups
      // and one test per four characters.
      if (held_ == 0 && !padded_) {
        const bool skip_crlf = mode_ == mode::mime;
        while (end - p >= 4) {
          const std::uint32_t v = detail::quantum(p);
          if (v & detail::bad) {
            // A MIME line break between quanta (76-column bodies) stays on
            // the fast path.
            if (skip_crlf && p[0] == '\r' && p[1] == '\n') {
              p += 2;
              continue;
            }
            break;
          }
          o[0] = static_cast<unsigned char>(v >> 16);
          o[1] = static_cast<unsigned char>(v >> 8);
          o[2] = static_cast<unsigned char>(v);
          o += 3;
          p += 4;
        }
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
