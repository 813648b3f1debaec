// base64: (1) any bytes encoded with any line length, fed in chunks, decode
// back to themselves; (2) any input decodes the same whole and in chunks, in
// both modes, never writing past the size the API promises.
#include <mailwire/core/base64.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace base64 = mailwire::base64;

std::string encode(std::string_view in, std::size_t line_length, std::size_t chunk) {
  base64::encoder e(line_length);
  std::string out;
  while (!in.empty()) {
    const std::string_view c = in.substr(0, chunk);
    in.remove_prefix(c.size());
    const std::size_t max = e.update_size_max(c.size());
    std::string buf(max, '\0');
    const std::size_t n = e.update(c, &buf[0]);
    MAILWIRE_FUZZ_CHECK(n <= max);
    out.append(buf, 0, n);
  }
  char tail[base64::encoder::finish_size_max];
  out.append(tail, e.finish(tail));
  return out;
}

// Output, then every error with its offset; invalid characters skipped in
// MIME mode as a caller following RFC 2045 would.
std::string decode(std::string_view in, base64::mode m, std::size_t chunk) {
  base64::decoder d(m);
  std::string out;
  std::string errors;
  while (!in.empty()) {
    std::string_view c = in.substr(0, chunk);
    in.remove_prefix(c.size());
    while (!c.empty()) {
      const std::size_t max = base64::decoded_size_max(c.size());
      std::string buf(max, '\0');
      const base64::decode_result r = d.update(c, &buf[0]);
      MAILWIRE_FUZZ_CHECK(r.written <= max && r.consumed <= c.size());
      out.append(buf, 0, r.written);
      if (r) break;
      errors += std::to_string(r.error_offset) + ":" + std::to_string(static_cast<int>(r.error)) + ";";
      if (!d.skip()) return out + "|" + errors;
      c.remove_prefix(r.consumed + 1);
    }
  }
  char tail[2];
  const base64::decode_result f = d.finish(tail);
  out.append(tail, f.written);
  if (!f) errors += "end:" + std::to_string(static_cast<int>(f.error));
  return out + "|" + errors;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t opts = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 13;
  const std::size_t line_length = (opts & 3) == 0 ? 0 : 4u * (opts >> 2);

  const std::string enc = encode(in, line_length, chunk);
  MAILWIRE_FUZZ_CHECK(enc == encode(in, line_length, in.size() + 1));
  MAILWIRE_FUZZ_CHECK(enc.size() == base64::encoded_size(in.size(), line_length / 4 * 4));
  const base64::mode m = line_length == 0 ? base64::mode::strict : base64::mode::mime;
  MAILWIRE_FUZZ_CHECK(decode(enc, m, chunk) == std::string(in) + "|");

  for (base64::mode any : {base64::mode::strict, base64::mode::mime}) {
    MAILWIRE_FUZZ_CHECK(decode(in, any, in.size() + 1) == decode(in, any, chunk));
  }
  return 0;
}
