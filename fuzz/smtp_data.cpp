// SMTP DATA (core/dot_stuffing.hpp): (1) the reader gives the same
// messages and verdicts however the input is chunked, in bounded memory;
// (2) any content through the writer reads back whole, with no early end
// (no smuggling through the client's own stuffing); (3) the line rules
// checker (BDAT's rules) finds the same first offence however the input
// is chunked, and the one a byte-by-byte reading of the rules finds.
#include <mailwire/core/dot_stuffing.hpp>

#include <algorithm>
#include <string>

#include "fuzz_check.hpp"

namespace {
using mailwire::dot_event;
using mailwire::dot_event_type;
using mailwire::dot_options;
using mailwire::errc;
using mailwire::line_end_policy;

// The message bytes, and the end events, kept apart (content may hold any
// byte, so no in-band marker can separate them).
struct reading {
  std::string content;
  std::string ends;
  bool operator==(const reading& o) const { return content == o.content && ends == o.ends; }
};

reading read(std::string_view in, const dot_options& o, std::size_t chunk) {
  mailwire::recv_buffer buf(16);
  mailwire::dot_reader r(o);
  reading log;
  while (!in.empty()) {
    in.remove_prefix(buf.feed(in.substr(0, chunk)));
    for (;;) {
      const dot_event e = r.next(buf);
      if (e.type == dot_event_type::need_more) break;
      if (e.type == dot_event_type::chunk) {
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

// The line rules read byte by byte, straight from their definition.
std::string rules_reference(std::string_view in, const dot_options& o) {
  const bool reject = o.bare_line_ends == line_end_policy::reject;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (reject && in[i] == '\r' && i + 1 < in.size() && in[i + 1] != '\n') return "bare_cr@" + std::to_string(i);
    if (reject && in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) return "bare_lf@" + std::to_string(i);
    if (!o.allow_nul && in[i] == '\0') return "nul_byte@" + std::to_string(i);
  }
  if (reject && !in.empty() && in.back() == '\r') return "bare_cr@" + std::to_string(in.size() - 1);
  return "ok";
}

std::string rules_check(std::string_view in, const dot_options& o, std::size_t chunk) {
  mailwire::line_rules_checker c(o);
  std::uint64_t at = 0;
  for (std::string_view rest = in; !rest.empty(); rest.remove_prefix(std::min(chunk, rest.size()))) {
    const std::string_view piece = rest.substr(0, chunk);
    const errc e = c.check(piece, at);
    MAILWIRE_FUZZ_CHECK(e == c.error());
    at += piece.size();
  }
  if (c.finish() == errc::ok) return "ok";
  return std::string(mailwire::to_name(c.error())) + "@" + std::to_string(c.error_offset());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t flags = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 7;
  dot_options o;
  o.bare_line_ends = (flags & 1) != 0 ? line_end_policy::normalize : line_end_policy::reject;
  o.allow_nul = (flags & 2) != 0;
  o.max_size = flags >> 2;

  MAILWIRE_FUZZ_CHECK(read(in, o, in.size() + 1) == read(in, o, chunk));
  const std::string verdict = rules_reference(in, o);
  MAILWIRE_FUZZ_CHECK(rules_check(in, o, in.size() + 1) == verdict);
  MAILWIRE_FUZZ_CHECK(rules_check(in, o, chunk) == verdict);

  // Writer then reader: exactly one message, ending only where it should.
  mailwire::output_queue out;
  mailwire::dot_writer w;
  for (std::string_view rest = in; !rest.empty(); rest.remove_prefix(std::min(chunk, rest.size()))) {
    MAILWIRE_FUZZ_CHECK(w.write(rest.substr(0, chunk), out) == errc::ok);
  }
  w.finish(out);
  dot_options plain;
  plain.allow_nul = true;
  const reading back = read(out.pending(), plain, chunk);
  MAILWIRE_FUZZ_CHECK(back.ends == std::to_string(back.content.size()) + ":0@0;");  // one message, accepted
  MAILWIRE_FUZZ_CHECK(back.content.size() >= in.size());  // nothing lost (line ends only grow)
  return 0;
}
