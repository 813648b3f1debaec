// MIME body codecs: (1) any bytes through body_decoder in each transfer
// encoding give the same output and diagnostics whole and in random-sized
// chunks; (2) any bytes quoted-printable encoded (any options, any
// chunking) decode back to themselves.
#include <mailwire/mime/transfer_encoding.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace mime = mailwire::mime;

// Output, then each diagnostic; `sizes` drives the chunk lengths (1-16).
std::string decode(mime::transfer_encoding e, std::string_view in, std::string_view sizes) {
  mime::body_decoder d(e, 7);
  std::string out;
  mime::diagnostics diags;
  std::size_t i = 0;
  while (!in.empty()) {
    const std::size_t n = sizes.empty() ? in.size() : 1 + static_cast<unsigned char>(sizes[i++ % sizes.size()]) % 16;
    const std::string_view c = in.substr(0, n);
    d.decode(c, out, &diags);
    in.remove_prefix(c.size());
  }
  d.finish(out, &diags);
  std::uint64_t last = 0;
  for (const mime::diagnostic& x : diags) {
    // Offsets lie in the body, and never go back.
    MAILWIRE_FUZZ_CHECK(x.offset >= 7 && x.offset >= last);
    last = x.offset;
    out += "|" + std::to_string(static_cast<int>(x.code)) + "@" + std::to_string(x.offset);
  }
  return out;
}

std::string encode(const mime::qp_encode_options& o, std::string_view in, std::size_t chunk) {
  mime::qp_encoder e(o);
  std::string out;
  while (!in.empty()) {
    const std::string_view c = in.substr(0, chunk);
    e.encode(c, out);
    in.remove_prefix(c.size());
  }
  e.finish(out);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t opts = mailwire_fuzz::take_byte(in);
  const std::string_view sizes = in.substr(0, opts & 7u);
  in.remove_prefix(sizes.size());

  using te = mime::transfer_encoding;
  for (te e : {te::quoted_printable, te::base64, te::uuencode, te::binary}) {
    MAILWIRE_FUZZ_CHECK(decode(e, in, {}) == decode(e, in, sizes.empty() ? std::string_view("\x01") : sizes));
  }

  mime::qp_encode_options o;
  o.binary = (opts & 8u) != 0;
  o.encode_dot = (opts & 16u) != 0;
  o.encode_from = (opts & 32u) != 0;
  o.line_length = 4 + (opts >> 6) * 24u;  // 4, 28, 52, 76
  const std::string enc = encode(o, in, in.size() + 1);
  MAILWIRE_FUZZ_CHECK(enc == encode(o, in, 1 + (opts & 7u)));
  std::string want;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!o.binary && in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) want += '\r';
    want += in[i];
  }
  // Clean: no diagnostics, no line over the limit.
  MAILWIRE_FUZZ_CHECK(decode(te::quoted_printable, enc, {}) == want);
  return 0;
}
