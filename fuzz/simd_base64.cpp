// base64 vector kernels against the scalar code (issue 15): the same input
// decoded (both modes) and encoded (any line length), whole and in chunks,
// forced scalar, with the AVX2 kernels and with the AVX-512 ones, must give
// the same bytes, the same errors and the same offsets.
//
// Input: options byte, chunk byte, corruption count byte, then the data.
// The data is decoded as it is, and also encoded first and then corrupted
// at a few places, so most inputs reach deep into the kernels' loops (a
// random byte string stops them at once).
#include <mailwire/core/base64.hpp>
#include <mailwire/core/cpu.hpp>

#include <string>

#include "base64_log.hpp"
#include "fuzz_check.hpp"

namespace {
namespace base64 = mailwire::base64;
namespace cpu = mailwire::cpu;

using mailwire_fuzz::base64_decode;
using mailwire_fuzz::base64_encode;

// `run()` forced scalar, with AVX2 (AVX-512 off) and with everything on.
template <class Run>
void same_on_every_kernel(Run&& run) {
  cpu::force_scalar(true);
  const std::string want = run();
  cpu::force_scalar(false);
  for (const std::uint32_t off : {0u | cpu::avx512, 0u}) {
    cpu::disable(off);
    MAILWIRE_FUZZ_CHECK(run() == want);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t opts = mailwire_fuzz::take_byte(in);
  // Chunks from 1 byte to past the whole input: the kernels need 34 or 66.
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) * std::size_t{17};
  const std::size_t corruptions = mailwire_fuzz::take_byte(in) % 8;
  const std::string_view edits = mailwire_fuzz::take_bytes(in, corruptions * 3);
  const std::size_t line_length = 4u * (opts >> 2);  // 0 to 252

  for (const base64::mode m : {base64::mode::strict, base64::mode::mime}) {
    same_on_every_kernel([&] { return base64_decode(in, m, chunk) + base64_decode(in, m, in.size() + 1); });
  }
  same_on_every_kernel(
      [&] { return base64_encode(in, line_length, chunk) + base64_encode(in, line_length, in.size() + 1); });

  // The encoding with line ends of one of four kinds, then each edit (two
  // bytes of position, one of value) replaces a byte.
  std::string enc = base64_encode(in, line_length, in.size() + 1);
  if ((opts & 3) != 0) {
    const char* const ends[] = {"\r\n", "\n", " \r\n"};
    std::string other;
    for (std::size_t i = 0; i < enc.size(); ++i) {
      if (enc[i] == '\r' && i + 1 < enc.size() && enc[i + 1] == '\n') {
        other += ends[(opts & 3) - 1];
        ++i;
      } else {
        other += enc[i];
      }
    }
    enc = other;
  }
  for (std::size_t i = 0; i + 3 <= edits.size() && !enc.empty(); i += 3) {
    const std::size_t at = (static_cast<std::uint8_t>(edits[i]) * std::size_t{256} +
                            static_cast<std::uint8_t>(edits[i + 1])) % enc.size();
    enc[at] = edits[i + 2];
  }
  for (const base64::mode m : {base64::mode::strict, base64::mode::mime}) {
    same_on_every_kernel([&] { return base64_decode(enc, m, chunk) + base64_decode(enc, m, enc.size() + 1); });
  }
  return 0;
}
