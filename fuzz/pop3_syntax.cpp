// pop3_syntax: the POP3 syntax tier on hostile lines. The input is split
// into lines at LF (a CR before it is dropped), and every line goes to:
//  - parse_status_line: the text is a suffix of the line and a code's text
//    lies inside it; written back by write_ok / write_err (which refuse
//    only text with a control character but HTAB, queueing nothing) it
//    parses to the same status, code and text;
//  - parse_command: a command written back by write_command or
//    write_message_command parses to the same fields (a writer may refuse
//    only a field holding CR, LF or NUL, or AUTH without a mechanism);
//  - write_command with the verb the first byte picks and the fields the
//    rest holds ("a|b"): what it accepts parses to that verb and fields;
//  - the scan, unique-id and drop listing parsers: written back as
//    "n size" / "n id" the result parses to the same;
//  - apop_timestamp: empty, or a valid timestamp inside the line;
//  - capabilities::add_line, every line in turn: the capabilities, written
//    back as CAPA lines, read back the same.
#include <mailwire/pop3/command.hpp>
#include <mailwire/pop3/response.hpp>

#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace {
namespace pop3 = mailwire::pop3;
using mailwire::errc;

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
bool has_line_break(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

// The written line without its CRLF; it must hold no other CR, LF or NUL.
std::string_view written_line(const mailwire::output_queue& q) {
  const std::string_view w = q.pending();
  MAILWIRE_FUZZ_CHECK(w.size() >= 2 && w.substr(w.size() - 2) == "\r\n");
  const std::string_view line = w.substr(0, w.size() - 2);
  MAILWIRE_FUZZ_CHECK(!has_line_break(line));
  return line;
}

void same_status(const pop3::status_line& a, std::string_view wire, bool same_code_text) {
  const auto b = pop3::parse_status_line(wire);
  MAILWIRE_FUZZ_CHECK(b && b->ok == a.ok && b->code == a.code && b->text == a.text);
  if (same_code_text) MAILWIRE_FUZZ_CHECK(b->code_text == a.code_text);
}

void check_status(std::string_view line) {
  const auto s = pop3::parse_status_line(line);
  if (!s) return;
  MAILWIRE_FUZZ_CHECK(s->ok == (line[0] == '+'));
  MAILWIRE_FUZZ_CHECK(line.size() >= s->text.size() && line.substr(line.size() - s->text.size()) == s->text);
  MAILWIRE_FUZZ_CHECK(inside(s->code_text, line));
  MAILWIRE_FUZZ_CHECK((s->code == pop3::response_code::none) == s->code_text.empty());
  // As sent: the status then the rest of the line.
  const std::string_view rest = line.substr(s->ok ? 3 : 4).substr(line.size() > (s->ok ? 3u : 4u) ? 1 : 0);
  mailwire::output_queue q;
  const errc r = s->ok ? pop3::write_ok(q, rest) : pop3::write_err(q, pop3::response_code::none, rest);
  if (r != errc::ok) {
    MAILWIRE_FUZZ_CHECK(r == errc::invalid_argument && q.empty() && !mailwire::ascii::is_text(rest));
  } else {
    same_status(*s, written_line(q), true);
  }
  // An error with a code mailwire knows, from its parts.
  if (s->ok || s->code == pop3::response_code::none || s->code == pop3::response_code::other) return;
  mailwire::output_queue e;
  const errc re = pop3::write_err(e, s->code, s->text);
  if (re != errc::ok) {
    MAILWIRE_FUZZ_CHECK(re == errc::invalid_argument && e.empty() && !mailwire::ascii::is_text(s->text));
    return;
  }
  same_status(*s, written_line(e), false);
}

void same_command(const pop3::command& a, const pop3::command& b) {
  MAILWIRE_FUZZ_CHECK(a.what == b.what && mailwire::ascii::iequals(a.keyword, b.keyword));
  MAILWIRE_FUZZ_CHECK(a.name == b.name && a.argument == b.argument);
  MAILWIRE_FUZZ_CHECK(a.message == b.message && a.has_message == b.has_message && a.lines == b.lines);
}

void check_command(std::string_view line) {
  pop3::command a;
  if (pop3::parse_command(line, a) != pop3::command_error::none) return;
  MAILWIRE_FUZZ_CHECK(a.what != pop3::verb::unknown);
  MAILWIRE_FUZZ_CHECK(a.has_message == (a.message != 0));
  MAILWIRE_FUZZ_CHECK(inside(a.name, line) && inside(a.argument, line));
  mailwire::output_queue q;
  const errc r = a.has_message ? pop3::write_message_command(q, a.what, a.message, a.lines)
                               : pop3::write_command(q, a.what, a.name, a.argument);
  if (r != errc::ok) {
    MAILWIRE_FUZZ_CHECK(r == errc::invalid_argument && q.empty());
    MAILWIRE_FUZZ_CHECK(has_line_break(a.name) || has_line_break(a.argument) ||
                        (a.what == pop3::verb::auth && a.name.empty()));
    return;
  }
  pop3::command b;
  MAILWIRE_FUZZ_CHECK(pop3::parse_command(written_line(q), b) == pop3::command_error::none);
  same_command(a, b);
}

// write_command with any verb and fields: whatever it accepts reads back.
void check_writer(std::string_view line) {
  if (line.empty()) return;
  const auto v = static_cast<pop3::verb>(static_cast<unsigned char>(line[0]) % (pop3::verb_count + 1));
  line.remove_prefix(1);
  const std::size_t bar = line.find('|');
  const std::string_view a = line.substr(0, bar);
  const std::string_view b = bar == std::string_view::npos ? std::string_view{} : line.substr(bar + 1);
  mailwire::output_queue q;
  if (pop3::write_command(q, v, a, b) != errc::ok) {
    MAILWIRE_FUZZ_CHECK(q.empty());
    return;
  }
  pop3::command c;
  MAILWIRE_FUZZ_CHECK(pop3::parse_command(written_line(q), c) == pop3::command_error::none);
  MAILWIRE_FUZZ_CHECK(c.what == v && !c.has_message && c.name == a && c.argument == b);
}

void check_listings(std::string_view line) {
  if (const auto l = pop3::parse_scan_listing(line)) {
    MAILWIRE_FUZZ_CHECK(l->message >= 1);
    const std::string w = std::to_string(l->message) + " " + std::to_string(l->size);
    const auto m = pop3::parse_scan_listing(w);
    MAILWIRE_FUZZ_CHECK(m && m->message == l->message && m->size == l->size);
  }
  if (const auto l = pop3::parse_unique_id_listing(line)) {
    MAILWIRE_FUZZ_CHECK(l->message >= 1 && pop3::is_valid_unique_id(l->unique_id) && inside(l->unique_id, line));
    const std::string w = std::to_string(l->message) + " " + std::string(l->unique_id);
    const auto m = pop3::parse_unique_id_listing(w);
    MAILWIRE_FUZZ_CHECK(m && m->message == l->message && m->unique_id == l->unique_id);
  }
  if (const auto l = pop3::parse_drop_listing(line)) {
    const std::string w = std::to_string(l->message) + " " + std::to_string(l->size);
    const auto m = pop3::parse_drop_listing(w);
    MAILWIRE_FUZZ_CHECK(m && m->message == l->message && m->size == l->size);
  }
  const std::string_view ts = pop3::apop_timestamp(line);
  if (!ts.empty()) {
    MAILWIRE_FUZZ_CHECK(inside(ts, line) && pop3::is_valid_apop_timestamp(ts));
    const std::string digest = pop3::apop_digest(ts, "secret");
    MAILWIRE_FUZZ_CHECK(digest.size() == 32 && digest.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
}

// The CAPA lines that say what `c` holds.
std::vector<std::string> capa_lines(const pop3::capabilities& c) {
  std::vector<std::string> l;
  const std::pair<bool, const char*> flags[] = {
      {c.top, "TOP"},   {c.user, "USER"}, {c.resp_codes, "RESP-CODES"}, {c.auth_resp_code, "AUTH-RESP-CODE"},
      {c.pipelining, "PIPELINING"}, {c.uidl, "UIDL"}, {c.stls, "STLS"}, {c.lang, "LANG"}};
  for (const auto& f : flags) {
    if (f.first) l.emplace_back(f.second);
  }
  if (c.utf8) l.emplace_back(c.utf8_user ? "UTF8 USER" : "UTF8");
  if (!c.sasl_names.empty()) l.push_back("SASL " + c.sasl_names);
  if (!c.implementation.empty()) l.push_back("IMPLEMENTATION " + c.implementation);
  if (c.login_delay) l.push_back("LOGIN-DELAY " + std::to_string(*c.login_delay) + (c.login_delay_user ? " USER" : ""));
  if (c.expire) {
    l.push_back("EXPIRE " + (c.expire_days ? std::to_string(*c.expire_days) : std::string("NEVER")) +
                (c.expire_user ? " USER" : ""));
  }
  for (const std::string& o : c.other) l.push_back(o);
  return l;
}

void check_capabilities(const pop3::capabilities& a) {
  MAILWIRE_FUZZ_CHECK(a.other.size() <= pop3::capabilities::max_other);
  MAILWIRE_FUZZ_CHECK(a.sasl == mailwire::sasl::mechanism_set::parse(a.sasl_names));
  pop3::capabilities b;
  for (const std::string& line : capa_lines(a)) b.add_line(line);
  MAILWIRE_FUZZ_CHECK(a.top == b.top && a.user == b.user && a.resp_codes == b.resp_codes &&
                      a.auth_resp_code == b.auth_resp_code && a.pipelining == b.pipelining && a.uidl == b.uidl &&
                      a.stls == b.stls && a.utf8 == b.utf8 && a.utf8_user == b.utf8_user && a.lang == b.lang);
  MAILWIRE_FUZZ_CHECK(a.sasl == b.sasl && a.sasl_names == b.sasl_names && a.implementation == b.implementation);
  MAILWIRE_FUZZ_CHECK(a.login_delay == b.login_delay && a.login_delay_user == b.login_delay_user);
  MAILWIRE_FUZZ_CHECK(a.expire == b.expire && a.expire_days == b.expire_days && a.expire_user == b.expire_user);
  MAILWIRE_FUZZ_CHECK(a.other == b.other);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  pop3::capabilities caps;
  while (!in.empty()) {
    const std::size_t lf = in.find('\n');
    std::string_view line = in.substr(0, lf);
    in = lf == std::string_view::npos ? std::string_view{} : in.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    check_status(line);
    check_command(line);
    check_writer(line);
    check_listings(line);
    caps.add_line(line);
  }
  check_capabilities(caps);
  return 0;
}
