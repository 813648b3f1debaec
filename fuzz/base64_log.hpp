// The base64 fuzz targets' drivers: encode or decode an input in chunks of
// one size and log the output with every error and its offset.
#ifndef MAILWIRE_FUZZ_BASE64_LOG_HPP
#define MAILWIRE_FUZZ_BASE64_LOG_HPP

#include <mailwire/core/base64.hpp>

#include <string>
#include <string_view>

#include "fuzz_check.hpp"

namespace mailwire_fuzz {

/// `in` encoded `chunk` bytes at a time.
inline std::string base64_encode(std::string_view in, std::size_t line_length, std::size_t chunk) {
  namespace base64 = mailwire::base64;
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

/// Output, then every error with its offset; invalid characters skipped in
/// MIME mode as a caller following RFC 2045 would.
inline std::string base64_decode(std::string_view in, mailwire::base64::mode m, std::size_t chunk) {
  namespace base64 = mailwire::base64;
  base64::decoder d(m);
  std::string out;
  std::string errors;
  while (!in.empty()) {
    std::string_view c = in.substr(0, chunk);
    in.remove_prefix(c.size());
    while (!c.empty()) {
      // Exactly the room the API asks for, so ASan sees any write past it.
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

}  // namespace mailwire_fuzz

#endif  // MAILWIRE_FUZZ_BASE64_LOG_HPP
