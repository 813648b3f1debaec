// base64: (1) any bytes encoded with any line length, fed in chunks, decode
// back to themselves; (2) any input decodes the same whole and in chunks, in
// both modes, never writing past the size the API promises.
#include <mailwire/core/base64.hpp>

#include <string>

#include "base64_log.hpp"
#include "fuzz_check.hpp"

namespace {
namespace base64 = mailwire::base64;
using mailwire_fuzz::base64_decode;
using mailwire_fuzz::base64_encode;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t opts = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 13;
  const std::size_t line_length = (opts & 3) == 0 ? 0 : 4u * (opts >> 2);

  const std::string enc = base64_encode(in, line_length, chunk);
  MAILWIRE_FUZZ_CHECK(enc == base64_encode(in, line_length, in.size() + 1));
  MAILWIRE_FUZZ_CHECK(enc.size() == base64::encoded_size(in.size(), line_length / 4 * 4));
  const base64::mode m = line_length == 0 ? base64::mode::strict : base64::mode::mime;
  MAILWIRE_FUZZ_CHECK(base64_decode(enc, m, chunk) == std::string(in) + "|");

  for (base64::mode any : {base64::mode::strict, base64::mode::mime}) {
    MAILWIRE_FUZZ_CHECK(base64_decode(in, any, in.size() + 1) == base64_decode(in, any, chunk));
  }
  return 0;
}
