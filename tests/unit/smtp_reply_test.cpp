// SMTP replies and EHLO capabilities: the transcript vectors (server lines
// through line_reader and reply_assembler at every split), the reply-line
// parser, enhanced status codes, and the assembler's limits.
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

std::string status_text(const smtp::enhanced_status& s) {
  return std::to_string(s.cls) + "." + std::to_string(s.subject) + "." + std::to_string(s.detail);
}

std::string opt_number(const char* name, const std::optional<std::uint64_t>& v) {
  return v ? std::string(" ") + name + "=" + std::to_string(*v) : std::string();
}

void describe_capabilities(const smtp::capabilities& c, std::vector<std::string>& out) {
  out.push_back("ehlo domain=" + mailwire_test::quote(c.domain) + " greeting=" + mailwire_test::quote(c.greeting));
  const std::pair<bool, const char*> flags[] = {
      {c.pipelining, "pipelining"}, {c.eightbitmime, "8bitmime"},       {c.binarymime, "binarymime"},
      {c.chunking, "chunking"},     {c.smtputf8, "smtputf8"},           {c.dsn, "dsn"},
      {c.starttls, "starttls"},     {c.enhancedstatuscodes, "enhancedstatuscodes"},
      {c.requiretls, "requiretls"}, {c.vrfy, "vrfy"},                   {c.etrn, "etrn"},
      {c.expn, "expn"}};
  for (const auto& f : flags) {
    if (f.first) out.push_back(std::string("  ") + f.second);
  }
  if (c.size) out.push_back("  size" + (c.size_limit ? " " + std::to_string(*c.size_limit) : std::string()));
  if (c.auth) {
    std::string s = "  auth";
    for (std::size_t i = 0; i < mailwire::sasl::mechanism_count; ++i) {
      const auto m = static_cast<mailwire::sasl::mechanism>(i);
      if (c.auth_mechanisms.contains(m)) s += " " + std::string(mailwire::sasl::to_string(m));
    }
    for (const std::string& o : c.auth_other) s += " other:" + o;
    out.push_back(s);
  }
  if (c.deliverby) {
    out.push_back("  deliverby" + (c.deliverby_min ? " " + std::to_string(*c.deliverby_min) : std::string()));
  }
  if (c.mt_priority) out.push_back("  mt-priority " + mailwire_test::quote(c.mt_priority_profile));
  if (c.limits) {
    std::string s = "  limits" + opt_number("rcptmax", c.rcptmax) + opt_number("mailmax", c.mailmax) +
                    opt_number("rcptdomainmax", c.rcptdomainmax);
    for (const auto& k : c.other_limits) s += " other:" + k.keyword + "=" + k.params;
    out.push_back(s);
  }
  for (const auto& k : c.unknown) {
    out.push_back("  unknown " + mailwire_test::quote(k.keyword) + " " + mailwire_test::quote(k.params));
  }
}

// Server bytes -> line_reader -> reply_assembler; `ehlo` also types each
// 250 reply as an EHLO response.
mailwire_test::session_log run_replies(const mailwire_test::transcript_case& tc, const chunks& ch, bool ehlo) {
  mailwire::line_options lo;
  lo.max_length = tc.number("max_length", mailwire::limits::smtp_reply_line);
  smtp::reply_options ro;
  ro.max_lines = tc.number("max_lines", ro.max_lines);
  ro.max_bytes = tc.number("max_bytes", ro.max_bytes);
  ro.max_line_length = lo.max_length;
  mailwire::recv_buffer in(4096);
  mailwire::line_reader reader(lo);
  smtp::reply_assembler assembler(ro);
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
          assembler.reset();
          continue;
        }
        const smtp::reply_result res = assembler.feed_line(r.text);
        if (res.state == smtp::reply_result::status::error) {
          log.events.push_back("error " + std::string(mailwire::to_name(res.error)));
          continue;
        }
        if (res.state != smtp::reply_result::status::complete) continue;
        const smtp::reply rep = assembler.get();
        if (ehlo) {
          smtp::capabilities caps;
          const errc e = smtp::parse_ehlo_reply(rep, caps);
          if (e != errc::ok) {
            log.events.push_back("ehlo-error " + std::string(mailwire::to_name(e)));
          } else {
            describe_capabilities(caps, log.events);
          }
          continue;
        }
        std::string head = "reply " + std::to_string(rep.code());
        if (rep.status()) head += " " + status_text(*rep.status());
        log.events.push_back(head);
        for (std::size_t i = 0; i < rep.size(); ++i) log.events.push_back("  " + mailwire_test::quote(rep.text(i)));
      }
    }
  }
  return log;
}

smtp::owned_reply assemble(std::initializer_list<std::string_view> lines, smtp::reply_options o = {}) {
  smtp::reply_assembler a(o);
  smtp::reply_result r;
  for (std::string_view l : lines) r = a.feed_line(l);
  REQUIRE(r.state == smtp::reply_result::status::complete);
  return smtp::owned_reply(a.get());
}

}  // namespace

TEST_CASE("smtp reply transcript vectors") {
  for (const auto& c : mailwire_test::load_transcripts(MAILWIRE_VECTORS_DIR "/smtp/replies.md")) {
    c.require_known({"max_length", "max_lines", "max_bytes"});
    mailwire_test::run_transcript(c, 'S', [](const mailwire_test::transcript_case& tc, const chunks& ch) {
      return run_replies(tc, ch, false);
    });
  }
}

TEST_CASE("smtp EHLO transcript vectors") {
  for (const auto& c : mailwire_test::load_transcripts(MAILWIRE_VECTORS_DIR "/smtp/ehlo.md")) {
    c.require_known({"max_length", "max_lines", "max_bytes"});
    mailwire_test::run_transcript(c, 'S', [](const mailwire_test::transcript_case& tc, const chunks& ch) {
      return run_replies(tc, ch, true);
    });
  }
}

TEST_CASE("smtp parse_reply_line: codes, separators, text") {
  auto ok = [](std::string_view line, std::uint16_t code, bool last, std::string_view text) {
    INFO(line);
    const smtp::reply_line r = smtp::parse_reply_line(line);
    CHECK(r.error == errc::ok);
    CHECK(r.code == code);
    CHECK(r.last == last);
    CHECK(r.text == text);
  };
  ok("250 OK", 250, true, "OK");
  ok("250-first", 250, false, "first");
  ok("250", 250, true, "");
  ok("250-", 250, false, "");
  ok("334 ", 334, true, "");
  ok("200 x", 200, true, "x");
  ok("559 x", 559, true, "x");
  ok("421 a\tb", 421, true, "a\tb");
  ok("550 5.1.1 <j\xC3\xBCrgen@example.org>: unknown", 550, true, "5.1.1 <j\xC3\xBCrgen@example.org>: unknown");
  for (const char* bad : {"", "25", "2x0 OK", "150 OK", "650 OK", "260 OK", "25a OK", "250_OK", "250\tOK",
                          "250OK", " 250 OK", "250 a\x01", "250 a\x7F"}) {
    INFO(bad);
    CHECK(smtp::parse_reply_line(bad).error == errc::malformed_reply);
  }
  CHECK(smtp::parse_reply_line(std::string_view("250 a\0b", 7)).error == errc::malformed_reply);
  // Every three-digit code: Reply-code = %x32-35 %x30-35 %x30-39
  for (int n = 0; n < 1000; ++n) {
    const std::string line = (n < 100 ? "0" : "") + std::string(n < 10 ? "0" : "") + std::to_string(n) + " x";
    const bool valid = n / 100 >= 2 && n / 100 <= 5 && n / 10 % 10 <= 5;
    INFO(line);
    CHECK((smtp::parse_reply_line(line).error == errc::ok) == valid);
  }
}

TEST_CASE("smtp enhanced status codes: RFC 3463 syntax and class") {
  auto m = smtp::parse_enhanced_status("2.1.5 Ok");
  CHECK(m.length == 6);
  CHECK(m.value == (smtp::enhanced_status{2, 1, 5}));
  m = smtp::parse_enhanced_status("5.999.999");
  CHECK(m.length == 9);
  CHECK(m.value == (smtp::enhanced_status{5, 999, 999}));
  m = smtp::parse_enhanced_status("2.1.5");  // the whole text, no SP
  CHECK(m.length == 5);
  CHECK(m.value == (smtp::enhanced_status{2, 1, 5}));
  m = smtp::parse_enhanced_status("4.007.05  two");  // leading zeros are digits; one SP is taken
  CHECK(m.length == 9);
  CHECK(m.value == (smtp::enhanced_status{4, 7, 5}));
  for (const char* no : {"3.0.0 x", "2.0 x", "2..0 x", "2.0.0x", "2.1000.0", "2.0.1000", "2.0.0.0 x", "x", "",
                         "2.0.0\tx", "2.1 5.0", "2.1. x", "2.+1.5", "2.1.-5", "2.0.0.", "5.1234.5 x"}) {
    INFO(no);
    CHECK(smtp::parse_enhanced_status(no).length == 0);
  }
  // a status whose class contradicts the code is text
  const smtp::owned_reply r = assemble({"250 5.0.0 odd"});
  CHECK(!r.status());
  CHECK(r.text(0) == "5.0.0 odd");
  const smtp::owned_reply r2 = assemble({"550-5.1.1 first", "550-second without", "550 5.1.1 third"});
  REQUIRE(r2.status());
  CHECK(*r2.status() == (smtp::enhanced_status{5, 1, 1}));
  CHECK(r2.text(0) == "first");
  CHECK(r2.text(1) == "second without");
  CHECK(r2.text(2) == "third");
  CHECK(r2.raw_text(2) == "5.1.1 third");
}

TEST_CASE("smtp reply limit: lines just under and just over max_lines") {
  smtp::reply_options o;
  o.max_lines = 3;
  smtp::reply_assembler a(o);
  CHECK(a.feed_line("250-a").state == smtp::reply_result::status::need_more);
  CHECK(a.feed_line("250-b").state == smtp::reply_result::status::need_more);
  CHECK(a.feed_line("250 c").state == smtp::reply_result::status::complete);
  CHECK(a.get().size() == 3);
  a.feed_line("250-a");
  a.feed_line("250-b");
  a.feed_line("250-c");
  const smtp::reply_result r = a.feed_line("250 d");
  CHECK(r.state == smtp::reply_result::status::error);
  CHECK(r.error == errc::reply_too_long);
  CHECK(!a.discarding());  // the offending line was the last one
  CHECK(a.feed_line("221 bye").state == smtp::reply_result::status::complete);
  CHECK(a.get().code() == 221);
}

TEST_CASE("smtp reply limit: bytes just under and just over max_bytes") {
  smtp::reply_options o;
  o.max_bytes = 20;  // every line counted with its CRLF
  smtp::reply_assembler a(o);
  CHECK(a.feed_line("250-abcdefgh").state == smtp::reply_result::status::need_more);  // 14
  CHECK(a.feed_line("250 ").state == smtp::reply_result::status::complete);          // 14 + 6 = 20
  a.feed_line("250-abcdefgh");
  smtp::reply_result r = a.feed_line("250 a");  // 14 + 7 = 21
  CHECK(r.error == errc::reply_too_long);
  CHECK(!a.discarding());  // the offending line ended the reply
  a.feed_line("250-abcdefgh");
  r = a.feed_line("250-a");  // 21 again, on a continuation line: the rest of the reply is dropped
  CHECK(r.error == errc::reply_too_long);
  CHECK(a.discarding());
  CHECK(a.feed_line("250-more").state == smtp::reply_result::status::need_more);
  CHECK(a.feed_line("250 end").state == smtp::reply_result::status::need_more);
  CHECK(!a.discarding());
  CHECK(a.feed_line("354 go").state == smtp::reply_result::status::complete);
  CHECK(a.get().code() == 354);
}

TEST_CASE("smtp reply limit: line length just under and just over 512 with CRLF") {
  smtp::reply_assembler a;
  const std::string fits = "250 " + std::string(506, 'x');  // 510 + CRLF = 512
  CHECK(a.feed_line(fits).state == smtp::reply_result::status::complete);
  const std::string over = "250 " + std::string(507, 'x');
  CHECK(a.feed_line(over).error == errc::reply_too_long);
}

TEST_CASE("smtp reply_assembler: inconsistent codes and malformed lines") {
  smtp::reply_assembler a;
  a.feed_line("250-a");
  smtp::reply_result r = a.feed_line("251-b");
  CHECK(r.error == errc::smtp_inconsistent_reply);
  CHECK(a.discarding());
  a.feed_line("250 c");
  CHECK(!a.discarding());
  a.feed_line("250-a");
  r = a.feed_line("garbage");
  CHECK(r.error == errc::malformed_reply);
  CHECK(a.discarding());
  CHECK(a.feed_line("250 end").state == smtp::reply_result::status::need_more);
  r = a.feed_line("garbage");  // outside a reply: nothing to drop
  CHECK(r.error == errc::malformed_reply);
  CHECK(!a.discarding());
  CHECK(a.feed_line("220 ready").state == smtp::reply_result::status::complete);
}

TEST_CASE("smtp owned_reply outlives the assembler") {
  smtp::owned_reply copy;
  {
    smtp::reply_assembler a;
    a.feed_line("250-mail.example");
    a.feed_line("250 2.0.0 PIPELINING");
    copy = smtp::owned_reply(a.get());
    a.feed_line("500 other");
  }
  CHECK(copy.code() == 250);
  CHECK(copy.size() == 2);
  CHECK(copy.text(0) == "mail.example");
  CHECK(copy.text(1) == "PIPELINING");
  CHECK(copy.view().raw_text(1) == "2.0.0 PIPELINING");
}

TEST_CASE("smtp parse_ehlo_reply: errors and the SIZE number limit") {
  smtp::capabilities c;
  CHECK(smtp::parse_ehlo_reply(assemble({"550 no"}).view(), c) == errc::invalid_argument);
  CHECK(smtp::parse_ehlo_reply(assemble({"250 "}).view(), c) == errc::malformed_reply);
  CHECK(smtp::parse_ehlo_reply(assemble({"250-x", "250 SIZE 18446744073709551615"}).view(), c) == errc::ok);
  CHECK(c.size_limit == UINT64_MAX);
  CHECK(smtp::parse_ehlo_reply(assemble({"250-x", "250 SIZE 18446744073709551616"}).view(), c) == errc::ok);
  CHECK(!c.size);
  REQUIRE(c.unknown.size() == 1);
  CHECK(c.unknown[0].keyword == "SIZE");
  CHECK(c.unknown[0].params == "18446744073709551616");
}
