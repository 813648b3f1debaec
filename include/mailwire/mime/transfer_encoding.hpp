// mailwire: Content-Transfer-Encoding (RFC 2045 6) and the one streaming
// decoder of MIME bodies.
//
// body_decoder is the MIME parser's per-part hot path: one object per part,
// a switch per call on the encoding (no virtual call, nothing per byte but
// the codec's own loop), bulk copies, and no allocation beyond the growth of
// the caller's output string (and, for uuencode, one line buffer).
#ifndef MAILWIRE_MIME_TRANSFER_ENCODING_HPP
#define MAILWIRE_MIME_TRANSFER_ENCODING_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/base64.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/quoted_printable.hpp"
#include "mailwire/mime/uuencode.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// The values of Content-Transfer-Encoding mailwire knows.
enum class transfer_encoding : std::uint8_t {
  seven_bit,         ///< "7bit" (also the default when the field is absent)
  eight_bit,         ///< "8bit"
  binary,            ///< "binary"
  quoted_printable,  ///< "quoted-printable"
  base64,            ///< "base64"
  uuencode,          ///< "x-uuencode", "x-uue", "uuencode" (not in RFC 2045; common)
  unknown,           ///< anything else: read as binary (RFC 2045 6.4); the
                     ///< parser reports errc::unknown_transfer_encoding
};

/// The canonical spelling ("7bit", "quoted-printable", "x-uuencode";
/// "unknown" for unknown).
constexpr std::string_view to_string(transfer_encoding e) noexcept {
  switch (e) {
    case transfer_encoding::seven_bit: return "7bit";
    case transfer_encoding::eight_bit: return "8bit";
    case transfer_encoding::binary: return "binary";
    case transfer_encoding::quoted_printable: return "quoted-printable";
    case transfer_encoding::base64: return "base64";
    case transfer_encoding::uuencode: return "x-uuencode";
    case transfer_encoding::unknown: break;
  }
  return "unknown";
}

/// Reads a Content-Transfer-Encoding field value: one token,
/// case-insensitive, with any whitespace (folding included) and RFC 5322
/// comments around it ("base64 (scanned)"). An empty value, two tokens, an
/// unclosed comment or a name not listed above give `unknown`.
inline transfer_encoding parse_transfer_encoding(std::string_view value) noexcept {
  char token[24];  // longer than any known name
  std::size_t n = 0;
  bool token_done = false;
  std::size_t depth = 0;  // comment nesting
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (depth != 0) {
      if (c == '\\') {
        ++i;  // quoted-pair
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      }
    } else if (c == '(') {
      depth = 1;
      token_done = n != 0;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      token_done = n != 0;
    } else {
      if (token_done || n == sizeof token) return transfer_encoding::unknown;
      token[n++] = c;
    }
  }
  if (depth != 0) return transfer_encoding::unknown;
  const std::string_view t(token, n);
  struct name {
    std::string_view text;
    transfer_encoding value;
  };
  constexpr name names[] = {
      {"7bit", transfer_encoding::seven_bit},
      {"8bit", transfer_encoding::eight_bit},
      {"binary", transfer_encoding::binary},
      {"quoted-printable", transfer_encoding::quoted_printable},
      {"base64", transfer_encoding::base64},
      {"x-uuencode", transfer_encoding::uuencode},
      {"x-uue", transfer_encoding::uuencode},
      {"uuencode", transfer_encoding::uuencode},
  };
  for (const name& nm : names) {
    if (ascii::iequals(t, nm.text)) return nm.value;
  }
  return transfer_encoding::unknown;
}

/// Streaming decoder of one body in one transfer encoding. Decoded bytes
/// are appended to the caller's string; diagnostics (may be null) carry
/// base_offset plus the position in the body, and are the same in any
/// chunking.
///  - 7bit, 8bit, binary, unknown: bytes are passed through unchanged.
///  - quoted-printable: qp_decoder (mime/quoted_printable.hpp).
///  - uuencode: uudecoder (mime/uuencode.hpp).
///  - base64: base64::decoder in MIME mode. Bytes outside the alphabet
///    are skipped (RFC 2045 6.8), one errc::base64_invalid_char per run of
///    consecutive ones, at its first byte. Anything but whitespace after
///    the '=' padding, or a misplaced '=', is errc::base64_bad_padding at
///    that byte, and the rest of the body is ignored (6.8: "=" marks the
///    end of the data). A body ending inside a quantum is
///    errc::base64_truncated at its end; its whole bytes are kept.
class body_decoder {
 public:
  /// A decoder for encoding `e`; `base_offset`: the message offset of the body's
  /// first byte, for the diagnostics' offsets.
  explicit body_decoder(transfer_encoding e, std::uint64_t base_offset = 0) noexcept
      : enc_(e), base_(base_offset), qp_(base_offset), uu_(base_offset) {}

  /// The encoding it undoes.
  transfer_encoding encoding() const noexcept { return enc_; }

  /// Decodes the next bytes of the body, appending to `out`.
  void decode(std::string_view in, std::string& out, diagnostics* d) {
    switch (enc_) {
      case transfer_encoding::quoted_printable:
        qp_.decode(in, out, d);
        return;
      case transfer_encoding::base64:
        decode_base64(in, out, d);
        return;
      case transfer_encoding::uuencode:
        uu_.decode(in, out, d);
        return;
      default:
        out.append(in);
        return;
    }
  }

  /// Whether this encoding has the buffer form of decode() below: every
  /// one but uuencode (whose "begin" and partial lines make its output per
  /// call unbounded by its input: use the appending form).
  bool decodes_into_buffer() const noexcept { return enc_ != transfer_encoding::uuencode; }

  /// Most bytes the buffer form of decode() writes for `n` input bytes.
  std::size_t decoded_size_max(std::size_t n) const noexcept {
    switch (enc_) {
      case transfer_encoding::quoted_printable: return qp_decoder::decoded_size_max(n);
      case transfer_encoding::base64: return base64::decoded_size_max(n);
      default: return n;
    }
  }

  /// The appending form's work into the caller's buffer `out`, which has
  /// room for decoded_size_max(in.size()) bytes (any of which may be
  /// written); returns the bytes decoded. The same bytes and diagnostics
  /// as the appending form, without the zero-filling of a string's growth.
  /// Only where decodes_into_buffer() (not uuencode: there it writes
  /// nothing and returns 0).
  std::size_t decode(std::string_view in, char* out, diagnostics* d) {
    switch (enc_) {
      case transfer_encoding::quoted_printable: return qp_.decode(in, out, d);
      case transfer_encoding::base64: return decode_base64(in, out, d);
      case transfer_encoding::uuencode: return 0;
      default:
        if (!in.empty()) std::memcpy(out, in.data(), in.size());
        return in.size();
    }
  }

  /// Ends the body: writes what was held back, reports what is missing.
  void finish(std::string& out, diagnostics* d) {
    switch (enc_) {
      case transfer_encoding::quoted_printable:
        qp_.finish(out, d);
        return;
      case transfer_encoding::base64:
        if (!b64_stopped_) {
          char tail[2] = {};
          const base64::decode_result f = b64_.finish(tail);
          out.append(tail, f.written);
          if (!f) detail::report(d, f.error, base_ + f.error_offset);
          b64_stopped_ = true;
        }
        return;
      case transfer_encoding::uuencode:
        uu_.finish(out, d);
        return;
      default:
        return;
    }
  }

  /// The uudecoder, for the name and mode of its "begin" line.
  const uudecoder& uu() const noexcept { return uu_; }

 private:
  void decode_base64(std::string_view in, std::string& out, diagnostics* d) {
    const std::size_t old = out.size();
    out.resize(old + base64::decoded_size_max(in.size()));
    out.resize(old + decode_base64(in, &out[old], d));
  }

  std::size_t decode_base64(std::string_view in, char* out, diagnostics* d) {
    if (b64_stopped_) return 0;
    char* o = out;
    for (;;) {
      const base64::decode_result r = b64_.update(in, o);
      o += r.written;
      if (r) break;
      if (r.error != errc::base64_invalid_char) {
        detail::report(d, r.error, base_ + r.error_offset);
        b64_stopped_ = true;
        break;
      }
      if (r.error_offset != garbage_end_) detail::report(d, r.error, base_ + r.error_offset);
      garbage_end_ = r.error_offset + 1;
      b64_.skip();
      in.remove_prefix(r.consumed + 1);
    }
    return static_cast<std::size_t>(o - out);
  }

  transfer_encoding enc_;
  bool b64_stopped_ = false;  // base64: padding ended the data, or finish()
  std::uint64_t base_;
  std::uint64_t garbage_end_ = ~std::uint64_t{0};  // base64: just past the last skipped byte
  base64::decoder b64_{base64::mode::mime};
  qp_decoder qp_;
  uudecoder uu_;
};

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_TRANSFER_ENCODING_HPP
