// SMTP serialisation: every command written and parsed back is the same
// value; CR, LF and NUL are refused in every field with nothing queued;
// replies and EHLO responses in their exact wire form.
#include <mailwire/smtp.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"

namespace smtp = mailwire::smtp;
using mailwire::errc;
using mailwire::output_queue;

namespace {

std::string written(const smtp::command& c, errc* e = nullptr) {
  output_queue q;
  const errc r = smtp::write_command(q, c);
  if (e != nullptr) *e = r;
  return std::string(q.pending());
}

// Parses `line`, writes it, parses what was written: the same command.
// Returns the written line.
std::string round_trip(std::string_view line, bool utf8 = false) {
  INFO(mailwire_test::quote(line));
  smtp::command_options o;
  o.smtputf8 = utf8;
  smtp::command a;
  REQUIRE(smtp::parse_command(line, a, o).ok());
  errc e = errc::ok;
  const std::string out = written(a, &e);
  REQUIRE(e == errc::ok);
  REQUIRE(out.size() >= 2);
  REQUIRE(out.substr(out.size() - 2) == "\r\n");
  INFO("written " << mailwire_test::quote(out));
  smtp::command b;
  REQUIRE(smtp::parse_command(std::string_view(out).substr(0, out.size() - 2), b, o).ok());
  CHECK(a == b);
  return out;
}

}  // namespace

TEST_CASE("smtp writer: canonical commands are written back byte for byte") {
  const char* lines[] = {
      "HELO client.example",
      "EHLO [192.0.2.1]",
      "LHLO [IPv6:2001:db8::1]",
      "MAIL FROM:<>",
      "MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME",
      ("MAIL FROM:<a@b.example> SIZE=0 BODY=7BIT SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=e+2Bmc2@example.com "
       "REQUIRETLS HOLDFOR=3600 MT-PRIORITY=-9 X-FOO=bar XVERP"),
      "MAIL FROM:<a@b.example> BODY=BINARYMIME RET=FULL AUTH=<> HOLDUNTIL=2025-01-01T00:00:00Z MT-PRIORITY=3",
      "RCPT TO:<postmaster>",
      "RCPT TO:<Postmaster>",
      "RCPT TO:<\"john doe\"@example.org> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;john+20doe@example.org",
      "RCPT TO:<\"a\\\"b\"@example.org> NOTIFY=NEVER",
      "RCPT TO:<first.last@[IPv6:::ffff:192.0.2.1]> RRVS=2014-04-03T23:01:00Z",
      "DATA",
      "BDAT 1000",
      "BDAT 18446744073709551615 LAST",
      "RSET",
      "NOOP",
      "NOOP are you there?",
      "QUIT",
      "VRFY John Smith",
      "EXPN staff",
      "HELP",
      "HELP MAIL",
      "STARTTLS",
      "AUTH PLAIN",
      "AUTH PLAIN =",
      "AUTH PLAIN AHRlc3R1c2VyAHRlc3RwYXNz",
      "AUTH X-UNKNOWN dGVzdA==",
      "ETRN example.org",
      "ETRN @example.org",
      "ETRN #queue1",
      "BURL imap://a.example/x LAST",
      "BURL imap://a.example/x",
  };
  for (const char* l : lines) CHECK(round_trip(l) == std::string(l) + "\r\n");
}

TEST_CASE("smtp writer: non-canonical commands round-trip to the same value") {
  const char* lines[] = {
      "mail from:<a@b.example> body=8bitmime size=010",
      "rcpt to:<PostMaster>",
      "RCPT TO:<@a.example,@b.example:user@c.example>",
      "RCPT TO:<\"john\"@example.org>",
      "RCPT TO:<a@b.example> notify=delay,success ORCPT=rfc822;+41b",
      "MAIL FROM:<a@b.example> MT-PRIORITY=+4 ENVID=+2B",
      "bdat 0010 last",
      "auth scram-sha-256",
      "Help",
  };
  for (const char* l : lines) round_trip(l);
  CHECK(round_trip("mail from:<a@b.example> body=8bitmime size=010") ==
        "MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME\r\n");
  CHECK(round_trip("RCPT TO:<@a.example,@b.example:user@c.example>") == "RCPT TO:<user@c.example>\r\n");
  CHECK(round_trip("RCPT TO:<a@b.example> notify=delay,success") == "RCPT TO:<a@b.example> NOTIFY=SUCCESS,DELAY\r\n");
}

TEST_CASE("smtp writer: UTF-8 addresses round-trip with SMTPUTF8") {
  round_trip("MAIL FROM:<用户@例子.广告> SMTPUTF8", true);
  round_trip("RCPT TO:<θσερ@εχαμπλε.ψομ>", true);
  round_trip("RCPT TO:<\"quoted ü\"@example.org>", true);
  // MAIL with a UTF-8 path but without SMTPUTF8 cannot be written
  smtp::command c;
  c.kind = smtp::verb::mail;
  c.address = smtp::path::mailbox("用户", "example.org");
  errc e = errc::ok;
  CHECK(written(c, &e).empty());
  CHECK(e == errc::invalid_argument);
  c.mail.smtputf8 = true;
  CHECK(written(c) == "MAIL FROM:<用户@example.org> SMTPUTF8\r\n");
}

TEST_CASE("smtp writer: paths are built from their parts") {
  smtp::command c;
  c.kind = smtp::verb::rcpt;
  c.address = smtp::path::mailbox("john doe", "example.org");
  CHECK(written(c) == "RCPT TO:<\"john doe\"@example.org>\r\n");
  c.address = smtp::path::mailbox("a\"b\\c", "example.org");
  CHECK(written(c) == "RCPT TO:<\"a\\\"b\\\\c\"@example.org>\r\n");
  c.address = smtp::path::mailbox("a..b", "example.org");
  CHECK(written(c) == "RCPT TO:<\"a..b\"@example.org>\r\n");
  c.address = smtp::path::mailbox("plain.dot-string", "example.org");
  CHECK(written(c) == "RCPT TO:<plain.dot-string@example.org>\r\n");
  c.address = smtp::path::postmaster();
  CHECK(written(c) == "RCPT TO:<postmaster>\r\n");
  // limits: local part 64 on the wire, path 256, valid domain
  const std::string l64(64, 'a');
  c.address = smtp::path::mailbox(l64, "example.org");
  CHECK(!written(c).empty());
  const std::string l65(65, 'a');
  c.address = smtp::path::mailbox(l65, "example.org");
  CHECK(written(c).empty());
  const std::string quoted63(63, ' ');  // 63 + 2 quotes = 65 on the wire
  c.address = smtp::path::mailbox(quoted63, "example.org");
  CHECK(written(c).empty());
  c.address = smtp::path::mailbox("a", "-bad.example");
  CHECK(written(c).empty());
  c.address = smtp::path::mailbox("a", "[1.2.3.999]");
  CHECK(written(c).empty());
  c.address = smtp::path::null_path();  // RCPT cannot take <>
  CHECK(written(c).empty());
  c.kind = smtp::verb::mail;
  c.address = smtp::path::postmaster();  // MAIL cannot take <postmaster>
  CHECK(written(c).empty());
  c.address = smtp::path::null_path();
  CHECK(written(c) == "MAIL FROM:<>\r\n");
}

TEST_CASE("smtp writer: xtext is encoded") {
  smtp::command c;
  c.kind = smtp::verb::mail;
  c.address = smtp::path::mailbox("a", "b.example");
  c.mail.envid = smtp::xtext{"a+b=c d\xC3\xBC", false};
  CHECK(written(c) == "MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc+20d+C3+BC\r\n");
  c.mail.envid = smtp::xtext{"a+2Bb", true};
  CHECK(written(c) == "MAIL FROM:<a@b.example> ENVID=a+2Bb\r\n");
  c.mail.envid = smtp::xtext{"a+2bb", true};  // not valid xtext
  CHECK(written(c).empty());
  const std::string x100(100, 'x');
  c.mail.envid = smtp::xtext{x100, false};
  CHECK(!written(c).empty());
  const std::string long_envid(34, '=');  // 34 * 3 = 102 encoded
  c.mail.envid = smtp::xtext{long_envid, false};
  CHECK(written(c).empty());
}

TEST_CASE("smtp writer: CR, LF and NUL are refused in every field, nothing queued") {
  const std::string bads[] = {std::string("x\ry"), std::string("x\ny"), std::string("x\0y", 3),
                              std::string("x\r\nRCPT TO:<evil@example>")};
  for (const std::string& bad : bads) {
    INFO(mailwire_test::quote(bad));
    std::vector<smtp::command> cases;
    auto with = [&](smtp::verb v) {
      smtp::command c;
      c.kind = v;
      c.address = smtp::path::mailbox("a", "b.example");
      return c;
    };
    for (smtp::verb v : {smtp::verb::helo, smtp::verb::ehlo, smtp::verb::lhlo, smtp::verb::noop, smtp::verb::help,
                         smtp::verb::vrfy, smtp::verb::expn, smtp::verb::etrn, smtp::verb::burl, smtp::verb::auth}) {
      smtp::command c = with(v);
      c.argument = bad;
      cases.push_back(c);
    }
    for (smtp::verb v : {smtp::verb::mail, smtp::verb::rcpt}) {
      smtp::command c = with(v);
      c.address.local_part = bad;
      cases.push_back(c);
      c.address.quoted = true;
      cases.push_back(c);
      c = with(v);
      c.address.domain = bad;
      cases.push_back(c);
      c = with(v);
      c.extra.push_back({bad, ""});
      cases.push_back(c);
      c = with(v);
      c.extra.push_back({"X-A", bad});
      cases.push_back(c);
    }
    smtp::command m = with(smtp::verb::mail);
    for (bool enc : {false, true}) {
      m.mail.envid = smtp::xtext{bad, enc};
      cases.push_back(m);
      m.mail.envid.reset();
      m.mail.auth = smtp::xtext{bad, enc};
      cases.push_back(m);
      m.mail.auth.reset();
    }
    m.mail.hold_until = bad;
    cases.push_back(m);
    smtp::command r = with(smtp::verb::rcpt);
    for (bool enc : {false, true}) {
      r.rcpt.orcpt = smtp::original_recipient{"rfc822", smtp::xtext{bad, enc}};
      cases.push_back(r);
    }
    r.rcpt.orcpt = smtp::original_recipient{bad, smtp::xtext{"a@b", false}};
    cases.push_back(r);
    smtp::command a = with(smtp::verb::auth);
    a.argument = "PLAIN";
    a.initial_response = bad;
    cases.push_back(a);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      INFO("case " << i << " verb " << smtp::to_string(cases[i].kind));
      output_queue q;
      q.append("");  // an empty queue stays empty
      CHECK(smtp::write_command(q, cases[i]) == errc::invalid_argument);
      CHECK(q.empty());
    }
  }
}

TEST_CASE("smtp writer: invalid values are refused") {
  smtp::command c;
  c.kind = smtp::verb::mail;
  c.address = smtp::path::mailbox("a", "b.example");
  auto refused = [&](const smtp::command& cmd) {
    output_queue q;
    return smtp::write_command(q, cmd) == errc::invalid_argument && q.empty();
  };
  smtp::command x = c;
  x.mail.mt_priority = 10;
  CHECK(refused(x));
  x = c;
  x.mail.hold_for = 1000000000u;
  CHECK(refused(x));
  x = c;
  x.mail.hold_for = 1;
  x.mail.hold_until = "2025-01-01T00:00:00Z";
  CHECK(refused(x));
  x = c;
  x.mail.hold_until = "tomorrow";
  CHECK(refused(x));
  x = c;
  x.extra.push_back({"SIZE", "10"});  // a known keyword is not "extra"
  CHECK(refused(x));
  x = c;
  x.extra.push_back({"X-A", "1"});
  x.extra.push_back({"x-a", "2"});
  CHECK(refused(x));
  x = c;
  x.extra.push_back({"X A", ""});
  CHECK(refused(x));
  x = c;
  x.kind = smtp::verb::rcpt;
  x.rcpt.notify = smtp::notify_never | smtp::notify_success;
  CHECK(refused(x));
  x = c;
  x.kind = smtp::verb::vrfy;
  CHECK(refused(x));  // VRFY needs a string
  x.kind = smtp::verb::ehlo;
  x.argument = "bad_domain";
  CHECK(refused(x));
  x.kind = smtp::verb::auth;
  x.argument = "BAD MECH";
  CHECK(refused(x));
  x.argument = "";
  x.mechanism = mailwire::sasl::mechanism::scram_sha_256;
  output_queue q;
  CHECK(smtp::write_command(q, x) == errc::ok);
  CHECK(q.pending() == "AUTH SCRAM-SHA-256\r\n");
  x.initial_response = "not base64!";
  CHECK(refused(x));
}

TEST_CASE("smtp write_reply: single and multi-line, enhanced status on every line") {
  output_queue q;
  CHECK(smtp::write_reply(q, 354, "End data with <CR><LF>.<CR><LF>") == errc::ok);
  CHECK(smtp::write_reply(q, 250, smtp::enhanced_status{2, 1, 5}, {"Ok"}) == errc::ok);
  CHECK(smtp::write_reply(q, 550, smtp::enhanced_status{5, 7, 1}, {"first", "second", ""}) == errc::ok);
  CHECK(smtp::write_reply(q, 250, std::nullopt, {"a", "", "c"}) == errc::ok);
  CHECK(smtp::write_reply(q, 334, "") == errc::ok);
  CHECK(smtp::write_reply(q, 221, std::nullopt, {}) == errc::ok);
  const std::optional<smtp::enhanced_status> st = smtp::enhanced_status{2, 1, 0};
  const std::string_view text = "Sender ok";
  CHECK(smtp::write_reply(q, 250, st, text) == errc::ok);
  CHECK(smtp::write_reply(q, 250, st, {"a", "b"}) == errc::ok);
  CHECK(q.pending() ==
        "354 End data with <CR><LF>.<CR><LF>\r\n"
        "250 2.1.5 Ok\r\n"
        "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1\r\n"
        "250-a\r\n250-\r\n250 c\r\n"
        "334\r\n"
        "221\r\n"
        "250 2.1.0 Sender ok\r\n"
        "250-2.1.0 a\r\n250 2.1.0 b\r\n");
}

TEST_CASE("smtp write_reply: refused codes, statuses and texts, nothing queued") {
  auto refused = [](std::uint16_t code, std::optional<smtp::enhanced_status> st, std::string_view text) {
    output_queue q;
    return smtp::write_reply(q, code, st, {"fine", text}) == errc::invalid_argument && q.empty();
  };
  CHECK(refused(199, std::nullopt, "x"));
  CHECK(refused(600, std::nullopt, "x"));
  CHECK(refused(260, std::nullopt, "x"));
  CHECK(refused(250, smtp::enhanced_status{5, 0, 0}, "class mismatch"));
  CHECK(refused(354, smtp::enhanced_status{3, 0, 0}, "no class 3"));
  CHECK(refused(250, smtp::enhanced_status{2, 1000, 0}, "subject too big"));
  CHECK(refused(250, std::nullopt, "a\rb"));
  CHECK(refused(250, std::nullopt, "a\nb"));
  CHECK(refused(250, std::nullopt, std::string_view("a\0b", 3)));
  CHECK(refused(250, std::nullopt, "a\r\n250 injected"));
  CHECK(refused(250, std::nullopt, "bell\x07"));
  CHECK(refused(250, std::nullopt, std::string(507, 'x')));  // 4 + 507 + 2 = 513
  output_queue q;
  CHECK(smtp::write_reply(q, 250, std::string(506, 'x')) == errc::ok);  // 512 exactly
}

TEST_CASE("smtp write_reply round-trips through the reply assembler") {
  output_queue q;
  REQUIRE(smtp::write_reply(q, 452, smtp::enhanced_status{4, 5, 3}, {"Too many recipients", "try later"}) ==
          errc::ok);
  std::string_view wire = q.pending();
  smtp::reply_assembler a;
  smtp::reply_result r;
  while (!wire.empty()) {
    const std::size_t crlf = wire.find("\r\n");
    r = a.feed_line(wire.substr(0, crlf));
    wire.remove_prefix(crlf + 2);
  }
  REQUIRE(r.state == smtp::reply_result::status::complete);
  const smtp::reply rep = a.get();
  CHECK(rep.code() == 452);
  CHECK(rep.status() == smtp::enhanced_status{4, 5, 3});
  CHECK(rep.text(0) == "Too many recipients");
  CHECK(rep.text(1) == "try later");
}

namespace {
smtp::capabilities parse_ehlo_text(std::string_view wire) {
  smtp::reply_assembler a;
  smtp::reply_result r;
  while (!wire.empty()) {
    const std::size_t crlf = wire.find("\r\n");
    REQUIRE(crlf != std::string_view::npos);
    r = a.feed_line(wire.substr(0, crlf));
    REQUIRE(r.state != smtp::reply_result::status::error);
    wire.remove_prefix(crlf + 2);
  }
  REQUIRE(r.state == smtp::reply_result::status::complete);
  smtp::capabilities c;
  REQUIRE(smtp::parse_ehlo_reply(a.get(), c) == errc::ok);
  return c;
}
}  // namespace

TEST_CASE("smtp write_ehlo_reply: Postfix's own response, byte for byte") {
  // /work/shared/peers/transcripts/smtp-postfix-curl-auth.txt
  const std::string postfix =
      "250-mail.test.example\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-VRFY\r\n250-ETRN\r\n"
      "250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
      "250-SMTPUTF8\r\n250 CHUNKING\r\n";
  const smtp::capabilities c = parse_ehlo_text(postfix);
  output_queue q;
  REQUIRE(smtp::write_ehlo_reply(q, c) == errc::ok);
  CHECK(q.pending() == postfix);
}

TEST_CASE("smtp write_ehlo_reply: every capability round-trips") {
  smtp::capabilities c;
  c.domain = "mx.example.org";
  c.greeting = "ESMTP ready";
  c.pipelining = c.eightbitmime = c.binarymime = c.chunking = c.smtputf8 = c.dsn = c.starttls = true;
  c.enhancedstatuscodes = c.requiretls = c.vrfy = c.etrn = c.expn = true;
  c.size = true;
  c.size_limit = 0;
  c.auth = true;
  c.auth_mechanisms = {mailwire::sasl::mechanism::plain, mailwire::sasl::mechanism::scram_sha_256};
  c.auth_other = {"GSSAPI"};
  c.deliverby = true;
  c.deliverby_min = 240;
  c.mt_priority = true;
  c.mt_priority_profile = "MIXER";
  c.limits = true;
  c.rcptmax = 100;
  c.rcptdomainmax = 5;
  c.other_limits = {{"FOO", "bar"}};
  c.unknown = {{"XCLIENT", "NAME ADDR"}, {"X-EMPTY", ""}};
  output_queue q;
  REQUIRE(smtp::write_ehlo_reply(q, c) == errc::ok);
  CHECK(q.pending() ==
        "250-mx.example.org ESMTP ready\r\n250-PIPELINING\r\n250-SIZE 0\r\n250-VRFY\r\n250-ETRN\r\n250-EXPN\r\n"
        "250-STARTTLS\r\n250-AUTH PLAIN SCRAM-SHA-256 GSSAPI\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
        "250-BINARYMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250-REQUIRETLS\r\n250-DELIVERBY 240\r\n"
        "250-MT-PRIORITY MIXER\r\n250-LIMITS RCPTMAX=100 RCPTDOMAINMAX=5 FOO=bar\r\n250-XCLIENT NAME ADDR\r\n"
        "250 X-EMPTY\r\n");
  CHECK(parse_ehlo_text(q.pending()) == c);

  smtp::capabilities only;
  only.domain = "[192.0.2.1]";
  output_queue q2;
  REQUIRE(smtp::write_ehlo_reply(q2, only) == errc::ok);
  CHECK(q2.pending() == "250 [192.0.2.1]\r\n");
}

TEST_CASE("smtp write_ehlo_reply: refused capability sets, nothing queued") {
  smtp::capabilities base;
  base.domain = "mx.example.org";
  std::vector<smtp::capabilities> bad(9, base);
  bad[0].domain = "";
  bad[1].greeting = "hi\r\n250 injected";
  bad[2].auth = true;  // AUTH without mechanisms
  bad[3].auth = true;
  bad[3].auth_other = {"BAD\nMECH"};
  bad[4].unknown = {{"X FOO", ""}};
  bad[5].unknown = {{"XFOO", "a\rb"}};
  bad[6].limits = true;  // empty LIMITS
  bad[7].mt_priority = true;
  bad[7].mt_priority_profile = std::string("a\0b", 3);
  bad[8].domain = "mx.example.org\r\n250-PIPELINING";
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("case " << i);
    output_queue q;
    CHECK(smtp::write_ehlo_reply(q, bad[i]) == errc::invalid_argument);
    CHECK(q.empty());
  }
}
