// SMTP DATA: (1) the reader gives the same messages and verdicts however
// the input is chunked, in bounded memory; (2) any content through the
// writer reads back whole, with no early end (no smuggling through the
// client's own stuffing).
#include <mailwire/smtp/data.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace smtp = mailwire::smtp;

// The message bytes, and the end events, kept apart (content may hold any
// byte, so no in-band marker can separate them).
struct reading {
  std::string content;
  std::string ends;
  bool operator==(const reading& o) const { return content == o.content && ends == o.ends; }
};

reading read(std::string_view in, const smtp::data_options& o, std::size_t chunk) {
  mailwire::recv_buffer buf(16);
  smtp::data_reader r(o);
  reading log;
  while (!in.empty()) {
    in.remove_prefix(buf.feed(in.substr(0, chunk)));
    for (;;) {
      const smtp::data_event e = r.next(buf);
      if (e.type == smtp::data_event_type::need_more) break;
      if (e.type == smtp::data_event_type::chunk) {
        MAILWIRE_FUZZ_CHECK(!e.bytes.empty());
        log.content.append(e.bytes.data(), e.bytes.size());
      } else {
        log.ends += std::to_string(log.content.size()) + ":" + std::to_string(static_cast<int>(e.error)) + "@" +
                    std::to_string(e.error_offset) + ";";
      }
    }
    MAILWIRE_FUZZ_CHECK(buf.size() <= 16);
  }
  return log;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t flags = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 7;
  smtp::data_options o;
  o.bare_line_ends = (flags & 1) != 0 ? smtp::line_end_policy::normalize : smtp::line_end_policy::reject;
  o.allow_nul = (flags & 2) != 0;
  o.max_size = flags >> 2;

  MAILWIRE_FUZZ_CHECK(read(in, o, in.size() + 1) == read(in, o, chunk));

  // Writer then reader: exactly one message, ending only where it should.
  mailwire::output_queue out;
  smtp::data_writer w;
  for (std::string_view rest = in; !rest.empty(); rest.remove_prefix(std::min(chunk, rest.size()))) {
    MAILWIRE_FUZZ_CHECK(w.write(rest.substr(0, chunk), out) == mailwire::errc::ok);
  }
  w.finish(out);
  smtp::data_options plain;
  plain.allow_nul = true;
  const reading back = read(out.pending(), plain, chunk);
  MAILWIRE_FUZZ_CHECK(back.ends == std::to_string(back.content.size()) + ":0@0;");  // one message, accepted
  MAILWIRE_FUZZ_CHECK(back.content.size() >= in.size());  // nothing lost (line ends only grow)
  return 0;
}
