// charset: any bytes in any built-in charset (chosen by the first input
// byte) decode to well-formed UTF-8, identically whole and in chunks (the
// second byte sets the chunk size), with the same malformed count and first
// error; and the one-shot to_utf8 agrees with the decoder.
#include <mailwire/core/utf8.hpp>
#include <mailwire/mime/charset.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace mime = mailwire::mime;

struct result {
  std::string out;
  std::uint64_t malformed = 0;
  mime::diagnostic first;
};

result decode(mime::charset c, const mime::charset_options& opts, std::string_view in, std::size_t chunk) {
  mime::charset_decoder d(c, opts);
  result r;
  while (!in.empty()) {
    const std::string_view piece = in.substr(0, chunk);
    in.remove_prefix(piece.size());
    d.decode(piece, r.out);
  }
  d.finish(r.out);
  r.malformed = d.malformed();
  r.first = d.first_error();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t opts_byte = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 13;
  const auto c = static_cast<mime::charset>(opts_byte % mime::charset_count);
  mime::charset_options opts;
  opts.whatwg_supersets = (opts_byte & 0x80) != 0;

  const result whole = decode(c, opts, in, in.size() + 1);
  MAILWIRE_FUZZ_CHECK(mailwire::utf8::valid(whole.out));
  // No input byte yields more than 3 output bytes (a U+FFFD), plus one
  // U+FFFD for an unfinished tail.
  MAILWIRE_FUZZ_CHECK(whole.out.size() <= 3 * in.size() + 3);
  MAILWIRE_FUZZ_CHECK((whole.malformed == 0) == (whole.first.code == mailwire::errc::ok));
  MAILWIRE_FUZZ_CHECK(whole.first.offset <= in.size());

  const result split = decode(c, opts, in, chunk);
  MAILWIRE_FUZZ_CHECK(split.out == whole.out);
  MAILWIRE_FUZZ_CHECK(split.malformed == whole.malformed);
  MAILWIRE_FUZZ_CHECK(split.first == whole.first);

  std::string one_shot;
  std::uint64_t malformed = 0;
  MAILWIRE_FUZZ_CHECK(mime::to_utf8(mime::charset_name(c), in, one_shot, opts, &malformed));
  MAILWIRE_FUZZ_CHECK(one_shot == whole.out && malformed == whole.malformed);

  // The input as a charset name: looked up without harm.
  (void)mime::find_charset(in);
  return 0;
}
