// SMTP commands, paths and parameters: the transcript vectors (client lines
// through line_reader and parse_command at every split), and every limit
// just under and just over.
#include <mailwire/core/line_reader.hpp>
#include <mailwire/smtp.hpp>

#include <string>

#include "catch.hpp"
#include "grind.hpp"
#include "transcript.hpp"

namespace smtp = mailwire::smtp;
using mailwire::errc;
using mailwire_test::chunks;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = mailwire::ascii::to_lower(c);
  return out;
}

std::string path_text(const smtp::path& p) {
  switch (p.kind) {
    case smtp::path_kind::null: return "<>";
    case smtp::path_kind::postmaster: return "<postmaster>";
    case smtp::path_kind::mailbox: break;
  }
  std::string local(p.local_part);
  if (p.quoted) local = "\"" + local + "\"";
  return "<" + local + "@" + std::string(p.domain) + ">";
}

std::string status_text(const smtp::enhanced_status& s) {
  return std::to_string(s.cls) + "." + std::to_string(s.subject) + "." + std::to_string(s.detail);
}

}  // namespace

// The canonical text of a command, as the vectors spell it.
std::string describe_command(const smtp::command& c) {
  std::string s = lower(smtp::to_string(c.kind));
  switch (c.kind) {
    case smtp::verb::bdat:
      s += " size=" + std::to_string(c.chunk_size);
      if (c.last) s += " last";
      break;
    case smtp::verb::burl:
      s += " url=" + mailwire_test::quote(c.argument);
      if (c.last) s += " last";
      break;
    case smtp::verb::auth:
      s += " mech=" + std::string(c.argument);
      if (!c.mechanism) s += " (unknown)";
      if (c.initial_response) s += " ir=" + mailwire_test::quote(*c.initial_response);
      break;
    case smtp::verb::mail:
    case smtp::verb::rcpt: s += " path=" + path_text(c.address); break;
    default:
      if (!c.argument.empty()) s += " arg=" + mailwire_test::quote(c.argument);
  }
  const smtp::mail_parameters& m = c.mail;
  if (m.size) s += " size=" + std::to_string(*m.size);
  if (m.body) s += " body=" + lower(smtp::to_string(*m.body));
  if (m.smtputf8) s += " smtputf8";
  if (m.ret) s += " ret=" + lower(smtp::to_string(*m.ret));
  if (m.envid) s += " envid=" + mailwire_test::quote(m.envid->decoded());
  if (m.auth) s += " auth=" + mailwire_test::quote(m.auth->decoded());
  if (m.requiretls) s += " requiretls";
  if (m.hold_for) s += " holdfor=" + std::to_string(*m.hold_for);
  if (m.hold_until) s += " holduntil=" + std::string(*m.hold_until);
  if (m.mt_priority) s += " mt-priority=" + std::to_string(*m.mt_priority);
  if (c.rcpt.notify != 0) {
    std::string n;
    if (c.rcpt.notify & smtp::notify_never) n += ",never";
    if (c.rcpt.notify & smtp::notify_success) n += ",success";
    if (c.rcpt.notify & smtp::notify_failure) n += ",failure";
    if (c.rcpt.notify & smtp::notify_delay) n += ",delay";
    s += " notify=" + n.substr(1);
  }
  if (c.rcpt.orcpt) {
    s += " orcpt=" + std::string(c.rcpt.orcpt->addr_type) + ";" + mailwire_test::quote(c.rcpt.orcpt->address.decoded());
  }
  for (const smtp::esmtp_parameter& p : c.extra) {
    s += " param:" + std::string(p.keyword);
    if (!p.value.empty()) s += "=" + std::string(p.value);
  }
  return s;
}

std::string describe_error(const smtp::command_result& r) {
  return "error " + std::string(mailwire::to_name(r.error)) + " " + std::to_string(r.reply_code) + " " +
         status_text(r.status) + " off=" + std::to_string(r.offset);
}

namespace {

mailwire_test::session_log run_commands(const mailwire_test::transcript_case& tc, const chunks& ch) {
  mailwire::line_options lo;
  lo.max_length = tc.number("max_length", mailwire::limits::smtp_command_line);
  smtp::command_options o;
  o.smtputf8 = tc.has("smtputf8");
  o.allow_space_after_colon = tc.has("allow_space_after_colon");
  o.allow_repeated_flag_parameters = tc.has("allow_repeated_flag_parameters");
  mailwire::recv_buffer in(4096);
  mailwire::line_reader reader(lo);
  smtp::command cmd;
  mailwire_test::session_log log;
  for (std::string_view c : ch) {
    while (!c.empty()) {
      c.remove_prefix(in.feed(c));
      for (;;) {
        const mailwire::line_result r = reader.next(in);
        if (r.state == mailwire::line_result::status::need_more) break;
        if (r.state == mailwire::line_result::status::error) {
          log.events.push_back("line-error " + std::string(mailwire::to_name(r.error)) + " off=" +
                               std::to_string(r.offset));
          continue;
        }
        const smtp::command_result res = smtp::parse_command(r.text, cmd, o);
        log.events.push_back(res.ok() ? describe_command(cmd) : describe_error(res));
      }
    }
  }
  return log;
}

smtp::command_result parse(std::string_view line, smtp::command& c, bool utf8 = false) {
  smtp::command_options o;
  o.smtputf8 = utf8;
  return smtp::parse_command(line, c, o);
}

errc parse_error(std::string_view line, bool utf8 = false) {
  smtp::command c;
  return parse(line, c, utf8).error;
}

std::string label(std::size_t n, char ch = 'a') { return std::string(n, ch); }

}  // namespace

TEST_CASE("smtp command transcript vectors") {
  for (const char* file : {"/smtp/commands.md", "/smtp/paths.md", "/smtp/parameters.md"}) {
    for (const auto& c : mailwire_test::load_transcripts(std::string(MAILWIRE_VECTORS_DIR) + file)) {
      c.require_known({"smtputf8", "allow_space_after_colon", "allow_repeated_flag_parameters", "max_length"});
      mailwire_test::run_transcript(c, 'C', run_commands);
    }
  }
}

// The RFC 5321 4.5.3.1 sizes live with the other limits; the tests below
// check the behaviour at each with literal numbers.
static_assert(mailwire::limits::smtp_local_part == 64);
static_assert(mailwire::limits::smtp_domain == 255);
static_assert(mailwire::limits::smtp_path == 256);
static_assert(mailwire::limits::domain_label == 63);

TEST_CASE("smtp limit: local part 64 and 65 octets") {
  CHECK(parse_error("RCPT TO:<" + label(64) + "@example.org>") == errc::ok);
  CHECK(parse_error("RCPT TO:<" + label(65) + "@example.org>") == errc::smtp_bad_path);
  // counted on the wire, quotes included
  CHECK(parse_error("RCPT TO:<\"" + label(62) + "\"@example.org>") == errc::ok);
  CHECK(parse_error("RCPT TO:<\"" + label(63) + "\"@example.org>") == errc::smtp_bad_path);
}

TEST_CASE("smtp limit: label 63 and 64 octets, domain 255 and 256 octets") {
  CHECK(smtp::validate_domain(label(63) + ".example") == errc::ok);
  CHECK(smtp::validate_domain(label(64) + ".example") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain("example." + label(63)) == errc::ok);
  CHECK(smtp::validate_domain("example." + label(64)) == errc::smtp_bad_path);
  // 4 labels of 63 and dots: 255; one more octet: 256
  const std::string d255 = label(63) + "." + label(63) + "." + label(63) + "." + label(63);
  REQUIRE(d255.size() == 255);
  CHECK(smtp::validate_domain(d255) == errc::ok);
  CHECK(smtp::validate_domain(d255 + "b") == errc::smtp_bad_path);
  CHECK(parse_error("EHLO " + d255) == errc::ok);
  CHECK(parse_error("EHLO " + d255 + "b") == errc::syntax_error);
  CHECK(parse_error("EHLO " + label(64)) == errc::syntax_error);
}

TEST_CASE("smtp limit: path 256 and 257 octets") {
  // "<" + 64 + "@" + domain + ">" = 256 with a 189-octet domain
  const std::string local = label(64);
  const std::string domain = label(63) + "." + label(63) + "." + label(61);
  REQUIRE(domain.size() == 189);
  const std::string p256 = "<" + local + "@" + domain + ">";
  REQUIRE(p256.size() == 256);
  CHECK(parse_error("MAIL FROM:" + p256) == errc::ok);
  const std::string p257 = "<" + local + "@" + domain + "b>";
  CHECK(parse_error("MAIL FROM:" + p257) == errc::smtp_bad_path);
  // a source route counts towards the 256 octets too
  const std::string routed = "<@x:" + local + "@" + label(63) + "." + label(63) + "." + label(58) + ">";
  REQUIRE(routed.size() == 256);
  CHECK(parse_error("MAIL FROM:" + routed) == errc::ok);
  CHECK(parse_error("MAIL FROM:<@xy:" + routed.substr(4)) == errc::smtp_bad_path);
}

TEST_CASE("smtp limit: SIZE and BDAT numbers up to 2^64-1") {
  smtp::command c;
  REQUIRE(parse("MAIL FROM:<a@b> SIZE=18446744073709551615", c).ok());
  CHECK(c.mail.size == UINT64_MAX);
  smtp::command_result r = parse("MAIL FROM:<a@b> SIZE=18446744073709551616", c);
  CHECK(r.error == errc::smtp_bad_parameter);
  CHECK(r.reply_code == 552);
  r = parse("MAIL FROM:<a@b> SIZE=123456789012345678901", c);  // 21 digits: not size-value syntax
  CHECK(r.error == errc::smtp_bad_parameter);
  CHECK(r.reply_code == 501);
  REQUIRE(parse("BDAT 18446744073709551615 LAST", c).ok());
  CHECK(c.chunk_size == UINT64_MAX);
  CHECK(parse_error("BDAT 18446744073709551616") == errc::syntax_error);
}

TEST_CASE("smtp limit: ENVID 100 and ORCPT 500 octets") {
  CHECK(parse_error("MAIL FROM:<a@b> ENVID=" + label(100, 'x')) == errc::ok);
  CHECK(parse_error("MAIL FROM:<a@b> ENVID=" + label(101, 'x')) == errc::smtp_bad_parameter);
  CHECK(parse_error("RCPT TO:<a@b> ORCPT=rfc822;" + label(493, 'x')) == errc::ok);
  CHECK(parse_error("RCPT TO:<a@b> ORCPT=rfc822;" + label(494, 'x')) == errc::smtp_bad_parameter);
}

TEST_CASE("smtp address literals: IPv4 and IPv6 text forms") {
  const char* good[] = {"[192.0.2.1]", "[0.0.0.0]", "[255.255.255.255]", "[010.1.1.1]", "[IPv6:::1]",
                        "[IPv6:2001:db8::1]", "[ipv6:2001:DB8:0:0:0:0:0:1]", "[IPv6:::]",
                        "[IPv6:2001:db8::192.0.2.1]", "[IPv6:::ffff:192.0.2.1]", "[IPv6:1:2:3:4:5:6:192.0.2.1]",
                        "[IPv6:1:2:3::6:7]", "[IPv6:1:2:3:4:5:6::]", "[x-tag:anything-goes.here]",
                        "[-tag:x]" /* Ldh-str may start with "-" */};
  const char* bad[] = {"[256.1.1.1]",        "[1.2.3]",           "[1.2.3.4.5]",           "[1.2.3.]",
                       "[1234.1.1.1]",       "[IPv6:1:2:3:4:5:6:7]", "[IPv6:1:2:3:4:5:6:7:8:9]",
                       "[IPv6:1::2::3]",     "[IPv6::::1]",       "[IPv6:12345::]",        "[IPv6:1:2:3:4:5:6:7::]",
                       "[IPv6:1:2:3:4:5:6:7:1.2.3.4]", "[IPv6:1::2:3:4:5:6:7]", "[IPv6:::1.2.3]",
                       "[IPv6:1.2.3.4::]",   "[IPv6:g::1]",              "[tag:]",
                       "[tag:a[b]",          "[]",                "192.0.2.1",             "[tag-:x]"};
  for (const char* s : good) {
    INFO(s);
    CHECK(smtp::validate_address_literal(s) == errc::ok);
  }
  for (const char* s : bad) {
    INFO(s);
    CHECK(smtp::validate_address_literal(s) == errc::smtp_bad_path);
  }
}

TEST_CASE("smtp domains: labels, hyphens, U-labels") {
  CHECK(smtp::validate_domain("a") == errc::ok);
  CHECK(smtp::validate_domain("a-b.c0") == errc::ok);
  CHECK(smtp::validate_domain("1.2") == errc::ok);
  CHECK(smtp::validate_domain("-a.b") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain("a-.b") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain("a.b-") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain("a..b") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain("a.b.") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain(".a") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain("a_b") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain("") == errc::smtp_bad_path);
  CHECK(smtp::validate_domain("m\xC3\xBCnchen.example") == errc::smtp_utf8_not_allowed);
  CHECK(smtp::validate_domain("m\xC3\xBCnchen.example", true) == errc::ok);
  CHECK(smtp::validate_domain("\xC3\xBC", true) == errc::ok);
  CHECK(smtp::validate_domain("m\xC3nchen.example", true) == errc::invalid_utf8);
  CHECK(smtp::validate_domain("\xC0\xAF.example", true) == errc::invalid_utf8);       // overlong
  CHECK(smtp::validate_domain("\xED\xA0\x80.example", true) == errc::invalid_utf8);   // surrogate
  CHECK(smtp::validate_domain("\xF4\x90\x80\x80.example", true) == errc::invalid_utf8);  // > U+10FFFF
  // a U-label's 63 octets are counted in bytes
  CHECK(smtp::validate_domain(label(61) + "\xC3\xBC", true) == errc::ok);
  CHECK(smtp::validate_domain(label(62) + "\xC3\xBC", true) == errc::smtp_bad_path);
}

TEST_CASE("smtp xtext: RFC 3461 4 validation and decoding") {
  std::string out;
  CHECK(smtp::decode_xtext("QQ314159", out) == errc::ok);
  CHECK(out == "QQ314159");
  CHECK(smtp::decode_xtext("a+2Bb+3Dc", out) == errc::ok);
  CHECK(out == "a+b=c");
  CHECK(smtp::decode_xtext("+20", out) == errc::ok);
  CHECK(out == " ");
  CHECK(smtp::decode_xtext("", out) == errc::ok);
  for (const char* bad : {"a+2b", "a+", "a+2", "a=b", "a b", "+0D", "+0A", "+00", "a+G0", "\xC3\xBC"}) {
    INFO(bad);
    CHECK(smtp::decode_xtext(bad, out) == errc::smtp_bad_xtext);
  }
  CHECK((smtp::xtext{"a+2Bb", true} == smtp::xtext{"a+b", false}));
  CHECK((smtp::xtext{"a+2Bb", true} != smtp::xtext{"a+2Bb", false}));
}

TEST_CASE("smtp paths: equality undoes quoting") {
  smtp::command a;
  smtp::command b;
  REQUIRE(parse("RCPT TO:<\"john\"@example.org>", a).ok());
  REQUIRE(parse("RCPT TO:<john@example.org>", b).ok());
  CHECK(a.address == b.address);
  CHECK(a.address.quoted);
  REQUIRE(parse("RCPT TO:<\"jo\\hn\"@example.org>", a).ok());
  CHECK(a.address == b.address);
  CHECK(a.address.unquoted_local_part() == "john");
  REQUIRE(parse("RCPT TO:<John@example.org>", b).ok());
  CHECK(a.address != b.address);  // local parts are case-sensitive
}

TEST_CASE("smtp command results carry the suggested reply") {
  smtp::command c;
  struct expectation {
    const char* line;
    errc error;
    std::uint16_t code;
    smtp::enhanced_status status;
  };
  const expectation table[] = {
      {"XYZZY", errc::unknown_command, 500, {5, 5, 2}},
      {"DATA x", errc::syntax_error, 501, {5, 5, 4}},
      {"MAIL FROM:<a@-b>", errc::smtp_bad_path, 501, {5, 1, 7}},
      {"RCPT TO:<a@-b>", errc::smtp_bad_path, 501, {5, 1, 3}},
      {"MAIL FROM:<a@b> BODY=8BIT", errc::smtp_bad_parameter, 504, {5, 5, 4}},
      {"MAIL FROM:<a@b> NOTIFY=NEVER", errc::smtp_bad_parameter, 555, {5, 5, 4}},
      {"RCPT TO:<a@b> SIZE=1", errc::smtp_bad_parameter, 555, {5, 5, 4}},
      {"MAIL FROM:<a@b> SIZE=99999999999999999999", errc::smtp_bad_parameter, 552, {5, 3, 4}},
      {"RCPT TO:<\xC3\xBC@b>", errc::smtp_utf8_not_allowed, 553, {5, 6, 7}},
      {"MAIL FROM:<a@b> ENVID=a+2b", errc::smtp_bad_xtext, 501, {5, 5, 4}},
  };
  for (const expectation& e : table) {
    INFO(e.line);
    const smtp::command_result r = parse(e.line, c);
    CHECK(r.error == e.error);
    CHECK(r.reply_code == e.code);
    CHECK(r.status == e.status);
  }
}
