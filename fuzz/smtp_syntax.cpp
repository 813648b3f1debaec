// smtp_syntax: the SMTP syntax tier on hostile lines. Byte 0 picks the
// options (SMTPUTF8, the "MAIL FROM: <" leniency, repeated flag parameters,
// small reply limits); the rest is split into lines at LF (a CR before it
// is dropped). Every line goes to parse_reply_line, a reply_assembler and
// parse_command. Checks:
//  - a parsed command is written back by write_command (which must accept
//    it) and the written line parses to the same command;
//  - a complete reply stays within the assembler's limits, and written back
//    by write_reply it assembles to the same code, status and texts;
//  - an EHLO reply typed by parse_ehlo_reply, when write_ehlo_reply accepts
//    it, reads back as the same capabilities.
#include <mailwire/smtp.hpp>

#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace {
namespace smtp = mailwire::smtp;

void check_command(std::string_view line, const smtp::command_options& o) {
  smtp::command a;
  if (!smtp::parse_command(line, a, o).ok()) return;
  mailwire::output_queue q;
  MAILWIRE_FUZZ_CHECK(smtp::write_command(q, a) == mailwire::errc::ok);
  const std::string wire(q.pending());
  MAILWIRE_FUZZ_CHECK(wire.size() >= 2 && wire.compare(wire.size() - 2, 2, "\r\n") == 0);
  const std::string_view written = std::string_view(wire).substr(0, wire.size() - 2);
  MAILWIRE_FUZZ_CHECK(written.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
  smtp::command b;
  MAILWIRE_FUZZ_CHECK(smtp::parse_command(written, b, o).ok());
  MAILWIRE_FUZZ_CHECK(a == b);
}

void check_reply(const smtp::reply& r, const smtp::reply_options& ro) {
  MAILWIRE_FUZZ_CHECK(r.size() >= 1 && r.size() <= ro.max_lines);
  MAILWIRE_FUZZ_CHECK(r.code() >= 200 && r.code() <= 559);
  std::vector<std::string_view> raw;
  for (std::size_t i = 0; i < r.size(); ++i) raw.push_back(r.raw_text(i));
  mailwire::output_queue q;
  MAILWIRE_FUZZ_CHECK(smtp::write_reply(q, r.code(), std::nullopt, raw.data(), raw.size()) == mailwire::errc::ok);
  smtp::reply_assembler again(ro);
  std::string_view wire = q.pending();
  smtp::reply_result res;
  while (!wire.empty()) {
    const std::size_t crlf = wire.find("\r\n");
    MAILWIRE_FUZZ_CHECK(crlf != std::string_view::npos);
    res = again.feed_line(wire.substr(0, crlf));
    wire.remove_prefix(crlf + 2);
  }
  MAILWIRE_FUZZ_CHECK(res.state == smtp::reply_result::status::complete);
  const smtp::reply b = again.get();
  MAILWIRE_FUZZ_CHECK(b.code() == r.code() && b.status() == r.status() && b.size() == r.size());
  for (std::size_t i = 0; i < r.size(); ++i) {
    MAILWIRE_FUZZ_CHECK(b.raw_text(i) == r.raw_text(i) && b.text(i) == r.text(i));
  }

  smtp::capabilities caps;
  if (smtp::parse_ehlo_reply(r, caps) != mailwire::errc::ok) return;
  mailwire::output_queue eq;
  if (smtp::write_ehlo_reply(eq, caps) != mailwire::errc::ok) {
    MAILWIRE_FUZZ_CHECK(eq.empty());
    return;
  }
  smtp::reply_assembler ea;  // default limits: what was written may be longer than the fuzzed ones
  wire = eq.pending();
  while (!wire.empty()) {
    const std::size_t crlf = wire.find("\r\n");
    res = ea.feed_line(wire.substr(0, crlf));
    wire.remove_prefix(crlf + 2);
  }
  if (res.state != smtp::reply_result::status::complete) return;  // over the default limits
  smtp::capabilities back;
  MAILWIRE_FUZZ_CHECK(smtp::parse_ehlo_reply(ea.get(), back) == mailwire::errc::ok);
  MAILWIRE_FUZZ_CHECK(back == caps);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t flags = mailwire_fuzz::take_byte(in);
  smtp::command_options o;
  o.smtputf8 = (flags & 1) != 0;
  o.allow_space_after_colon = (flags & 2) != 0;
  o.allow_repeated_flag_parameters = (flags & 8) != 0;
  smtp::reply_options ro;
  if ((flags & 4) != 0) {
    ro.max_lines = 1 + (flags >> 4);
    ro.max_bytes = 16 + 8u * (flags >> 3);
  }
  smtp::reply_assembler assembler(ro);
  while (!in.empty()) {
    const std::size_t lf = in.find('\n');
    std::string_view line = in.substr(0, lf);
    in = lf == std::string_view::npos ? std::string_view{} : in.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    const smtp::reply_line rl = smtp::parse_reply_line(line);
    if (rl.error == mailwire::errc::ok) {
      MAILWIRE_FUZZ_CHECK(rl.code >= 200 && rl.code <= 559);
      MAILWIRE_FUZZ_CHECK(rl.text.size() <= line.size() && line.substr(line.size() - rl.text.size()) == rl.text);
    }
    const smtp::reply_result r = assembler.feed_line(line);
    if (r.state == smtp::reply_result::status::complete) check_reply(assembler.get(), ro);
    check_command(line, o);
  }
  return 0;
}
