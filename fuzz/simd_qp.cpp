// Quoted-printable decoding through the vector kernels (dispatched: the
// AVX-512 VBMI2 block decoder where the CPU has it, and the line decoder's
// vector scan with the block decoder turned off) against the same decoder
// forced onto the scalar path: identical bytes and diagnostics (codes and
// offsets), whole and in chunks of 1 to 256 bytes (the block decoder needs
// 66 in a chunk), never writing past the size the API promises.
#include <mailwire/core/cpu.hpp>
#include <mailwire/mime/quoted_printable.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace mime = mailwire::mime;
namespace cpu = mailwire::cpu;

enum class path { scalar, lines, blocks };

std::string decode(std::string_view in, std::size_t chunk, path how) {
  cpu::force_scalar(how == path::scalar);
  cpu::disable(how == path::lines ? cpu::avx512vbmi2 : 0u);
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
  cpu::force_scalar(false);
  cpu::disable(0);
  out += '|';
  for (const mime::diagnostic& x : d) out += std::to_string(static_cast<int>(x.code)) + "@" + std::to_string(x.offset) + ";";
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in);
  const std::string want = decode(in, in.size() + 1, path::scalar);
  MAILWIRE_FUZZ_CHECK(decode(in, in.size() + 1, path::blocks) == want);
  MAILWIRE_FUZZ_CHECK(decode(in, in.size() + 1, path::lines) == want);
  MAILWIRE_FUZZ_CHECK(decode(in, chunk, path::blocks) == want);
  MAILWIRE_FUZZ_CHECK(decode(in, chunk, path::scalar) == want);
  return 0;
}
