// Quoted-printable decoding through the vector scan (dispatched) against the
// same decoder forced onto the scalar path: identical bytes and diagnostics
// (codes and offsets), whole and in chunks, never writing past the size the
// API promises.
#include <mailwire/core/cpu.hpp>
#include <mailwire/mime/quoted_printable.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace mime = mailwire::mime;

std::string decode(std::string_view in, std::size_t chunk, bool scalar) {
  mailwire::cpu::force_scalar(scalar);
  mime::qp_decoder dec(3);
  mime::diagnostics d;
  std::string out;
  while (!in.empty()) {
    const std::string_view c = in.substr(0, chunk);
    in.remove_prefix(c.size());
    const std::size_t max = mime::qp_decoder::decoded_size_max(c.size());
    std::string buf(max, '\0');
    const std::size_t n = dec.decode(c, &buf[0], &d);
    MAILWIRE_FUZZ_CHECK(n <= max);
    out.append(buf, 0, n);
  }
  dec.finish(out, &d);
  mailwire::cpu::force_scalar(false);
  out += '|';
  for (const mime::diagnostic& x : d) out += std::to_string(static_cast<int>(x.code)) + "@" + std::to_string(x.offset) + ";";
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 97;
  const std::string want = decode(in, in.size() + 1, true);
  MAILWIRE_FUZZ_CHECK(decode(in, in.size() + 1, false) == want);
  MAILWIRE_FUZZ_CHECK(decode(in, chunk, false) == want);
  MAILWIRE_FUZZ_CHECK(decode(in, chunk, true) == want);
  return 0;
}
