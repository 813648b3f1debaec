// line_reader: options from the first byte, then the same input fed whole
// and in chunks of a size from the second byte must give the same events,
// and the receive buffer must never exceed its limit.
#include <mailwire/core/line_reader.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
std::string run(const mailwire::line_options& o, std::size_t max_buffered, std::string_view in, std::size_t chunk) {
  mailwire::recv_buffer buf(max_buffered);
  mailwire::line_reader reader(o);
  std::string log;
  while (!in.empty()) {
    const std::size_t n = buf.feed(in.substr(0, chunk));
    in.remove_prefix(n);
    for (;;) {
      const mailwire::line_result r = reader.next(buf);
      if (r.state == mailwire::line_result::status::need_more) break;
      MAILWIRE_FUZZ_CHECK(r.text.size() + 2 <= o.max_length || (o.allow_bare_lf && r.text.size() + 1 <= o.max_length));
      log += std::to_string(r.offset) + ":" + std::to_string(static_cast<int>(r.error)) + ":";
      log.append(r.text.data(), r.text.size());
      log += '\n';
    }
    MAILWIRE_FUZZ_CHECK(buf.size() <= max_buffered);
  }
  return log;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t flags = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 17;
  mailwire::line_options o;
  o.allow_bare_lf = (flags & 1) != 0;
  o.allow_bare_cr = (flags & 2) != 0;
  o.max_length = 2 + static_cast<std::size_t>(flags >> 2);
  const std::size_t max_buffered = o.max_length + (flags & 3);
  const std::string whole = run(o, max_buffered, in, in.size() + 1);
  MAILWIRE_FUZZ_CHECK(whole == run(o, max_buffered, in, chunk));
  return 0;
}
