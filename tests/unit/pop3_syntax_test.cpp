// POP3 syntax: status lines and response codes (RFC 1939 3, RFC 2449 8,
// RFC 3206), CAPA (RFC 2449 6), listings (RFC 1939 5, 7), APOP (RFC 1939
// 7), commands read and written.
#include <mailwire/pop3/command.hpp>
#include <mailwire/pop3/response.hpp>

#include <string>

#include "catch.hpp"

namespace pop3 = mailwire::pop3;
using mailwire::errc;

TEST_CASE("pop3 status lines", "[pop3][syntax]") {
  auto s = pop3::parse_status_line("+OK");
  REQUIRE(s);
  CHECK(s->ok);
  CHECK(s->text.empty());
  s = pop3::parse_status_line("+OK 2 320");
  REQUIRE(s);
  CHECK(s->text == "2 320");
  CHECK(s->code == pop3::response_code::none);
  s = pop3::parse_status_line("-ERR [IN-USE] maildrop already locked");
  REQUIRE(s);
  CHECK_FALSE(s->ok);
  CHECK(s->code == pop3::response_code::in_use);
  CHECK(s->code_text == "IN-USE");
  CHECK(s->text == "maildrop already locked");
  s = pop3::parse_status_line("-ERR [SYS/TEMP/DISK] full");
  REQUIRE(s);
  CHECK(s->code == pop3::response_code::sys_temp);
  CHECK(s->code_text == "SYS/TEMP/DISK");
  CHECK(pop3::parse_status_line("-ERR [SYS/PERM] x")->code == pop3::response_code::sys_perm);
  CHECK(pop3::parse_status_line("-ERR [SYS] x")->code == pop3::response_code::other);
  CHECK(pop3::parse_status_line("-ERR [AUTH] bad")->code == pop3::response_code::auth);
  CHECK(pop3::parse_status_line("-ERR [LOGIN-DELAY] wait")->code == pop3::response_code::login_delay);
  CHECK(pop3::parse_status_line("-ERR [UTF8] first")->code == pop3::response_code::utf8);
  CHECK(pop3::parse_status_line("-ERR [X-FOO] bar")->code == pop3::response_code::other);
  // Not a code: the bracket is text (servers predating RFC 2449).
  for (const char* t : {"-ERR [no closing", "-ERR [] empty", "-ERR [A//B] x", "-ERR [A/] x", "-ERR [A B] x"}) {
    const auto r = pop3::parse_status_line(t);
    REQUIRE(r);
    CHECK(r->code == pop3::response_code::none);
    CHECK(r->text == std::string_view(t).substr(5));
  }
  // Not status lines.
  for (const char* t : {"", "+", "+ challenge", "+OKAY", "-ERROR", "+ok", "OK", " +OK", "-ERRx"}) {
    CHECK_FALSE(pop3::parse_status_line(t));
  }
}

TEST_CASE("pop3 CAPA lines", "[pop3][syntax]") {
  pop3::capabilities c;
  for (const char* line : {"TOP", "user", "SASL PLAIN SCRAM-SHA-256 X-UNKNOWN", "RESP-CODES", "AUTH-RESP-CODE",
                           "PIPELINING", "UIDL", "STLS", "UTF8 USER", "LANG", "LOGIN-DELAY 900 USER",
                           "EXPIRE NEVER", "IMPLEMENTATION Shlemazle-Plotz-v302", "X-VENDOR thing"}) {
    c.add_line(line);
  }
  CHECK(c.top);
  CHECK(c.user);
  CHECK(c.resp_codes);
  CHECK(c.auth_resp_code);
  CHECK(c.pipelining);
  CHECK(c.uidl);
  CHECK(c.stls);
  CHECK(c.utf8);
  CHECK(c.utf8_user);
  CHECK(c.lang);
  CHECK(c.sasl.contains(mailwire::sasl::mechanism::plain));
  CHECK(c.sasl.contains(mailwire::sasl::mechanism::scram_sha_256));
  CHECK_FALSE(c.sasl.contains(mailwire::sasl::mechanism::login));
  CHECK(c.sasl_names == "PLAIN SCRAM-SHA-256 X-UNKNOWN");
  REQUIRE(c.login_delay);
  CHECK(*c.login_delay == 900);
  CHECK(c.login_delay_user);
  CHECK(c.expire);
  CHECK_FALSE(c.expire_days);
  CHECK(c.implementation == "Shlemazle-Plotz-v302");
  REQUIRE(c.other.size() == 1);
  CHECK(c.other[0] == "X-VENDOR thing");

  pop3::capabilities d;
  d.add_line("EXPIRE 31");
  d.add_line("LOGIN-DELAY x");  // malformed: kept verbatim
  d.add_line("UTF8");
  CHECK(d.expire);
  CHECK(d.expire_days == 31u);
  CHECK_FALSE(d.login_delay);
  CHECK(d.utf8);
  CHECK_FALSE(d.utf8_user);
  CHECK(d.other == std::vector<std::string>{"LOGIN-DELAY x"});

  // A hostile server cannot grow the unknown list without bound.
  pop3::capabilities e;
  for (int i = 0; i < 1000; ++i) e.add_line("X-" + std::to_string(i));
  CHECK(e.other.size() == pop3::capabilities::max_other);
}

TEST_CASE("pop3 listings", "[pop3][syntax]") {
  auto l = pop3::parse_scan_listing("1 120");
  REQUIRE(l);
  CHECK(l->message == 1);
  CHECK(l->size == 120);
  l = pop3::parse_scan_listing("2 200 extra information");
  REQUIRE(l);
  CHECK(l->size == 200);
  CHECK(pop3::parse_scan_listing("4294967295 18446744073709551615"));
  for (const char* bad : {"0 12", "4294967296 1", "1 18446744073709551616", "1", "1 ", " 1 2", "a 2", "1 -2",
                          "-1 2", "1  2", ""}) {
    CHECK_FALSE(pop3::parse_scan_listing(bad));
  }
  auto u = pop3::parse_unique_id_listing("1 whqtswO00WBw418f9t5JxYwZ");
  REQUIRE(u);
  CHECK(u->unique_id == "whqtswO00WBw418f9t5JxYwZ");
  const std::string id70(70, '~');
  CHECK(pop3::parse_unique_id_listing("3 " + id70));
  CHECK_FALSE(pop3::parse_unique_id_listing("3 " + id70 + "!"));  // 71
  CHECK_FALSE(pop3::parse_unique_id_listing("3 with space"));
  CHECK_FALSE(pop3::parse_unique_id_listing("3 "));
  CHECK_FALSE(pop3::parse_unique_id_listing(std::string("3 a\x7F")));
  auto d = pop3::parse_drop_listing("2 320");
  REQUIRE(d);
  CHECK(d->message == 2);
  CHECK(d->size == 320);
  CHECK(pop3::parse_drop_listing("0 0"));
  CHECK_FALSE(pop3::parse_drop_listing("4294967296 0"));
  CHECK_FALSE(pop3::parse_drop_listing("2"));
}

TEST_CASE("pop3 APOP timestamp and digest (RFC 1939 7 example)", "[pop3][syntax]") {
  const std::string_view greeting = "POP3 server ready <1896.697170952@dbc.mtview.ca.us>";
  const std::string_view ts = pop3::apop_timestamp(greeting);
  CHECK(ts == "<1896.697170952@dbc.mtview.ca.us>");
  CHECK(pop3::apop_digest(ts, "tanstaaf") == "c4c9334bac560ecc979e58001b3e22fb");
  CHECK(pop3::apop_timestamp("Dovecot ready.").empty());
  CHECK(pop3::apop_timestamp("ready <>").empty());
  CHECK(pop3::apop_timestamp("a <b c> <d@e>") == "<d@e>");
  CHECK(pop3::apop_timestamp("open < only").empty());
  CHECK(pop3::is_valid_apop_timestamp("<1.2@h>"));
  CHECK_FALSE(pop3::is_valid_apop_timestamp("<1.2@h> "));
  CHECK_FALSE(pop3::is_valid_apop_timestamp("<a<b>"));
}

TEST_CASE("pop3 commands read", "[pop3][syntax]") {
  pop3::command c;
  CHECK(pop3::parse_command("retr 1", c) == pop3::command_error::none);
  CHECK(c.what == pop3::verb::retr);
  CHECK(c.message == 1);
  CHECK(pop3::parse_command("TOP 4294967295 0", c) == pop3::command_error::none);
  CHECK(c.message == 4294967295u);
  CHECK(c.lines == 0);
  CHECK(pop3::parse_command("TOP 1 18446744073709551615", c) == pop3::command_error::none);
  CHECK(pop3::parse_command("TOP 1 18446744073709551616", c) == pop3::command_error::bad_number);
  CHECK(pop3::parse_command("RETR 4294967296", c) == pop3::command_error::bad_number);
  CHECK(pop3::parse_command("RETR 0", c) == pop3::command_error::bad_number);
  CHECK(pop3::parse_command("RETR -1", c) == pop3::command_error::bad_number);
  CHECK(pop3::parse_command("RETR +1", c) == pop3::command_error::bad_number);
  CHECK(pop3::parse_command("RETR", c) == pop3::command_error::syntax);
  CHECK(pop3::parse_command("RETR 1 2", c) == pop3::command_error::syntax);
  CHECK(pop3::parse_command("RETR  1", c) == pop3::command_error::syntax);
  CHECK(pop3::parse_command("STAT ", c) == pop3::command_error::none);  // trailing space tolerated
  CHECK(pop3::parse_command("STAT x", c) == pop3::command_error::syntax);
  CHECK(pop3::parse_command("LIST", c) == pop3::command_error::none);
  CHECK_FALSE(c.has_message);
  CHECK(pop3::parse_command("LIST 7", c) == pop3::command_error::none);
  CHECK(c.has_message);
  CHECK(pop3::parse_command("XTND XMIT", c) == pop3::command_error::unknown);
  CHECK(c.keyword == "XTND");
  CHECK(pop3::parse_command("", c) == pop3::command_error::unknown);
  // PASS keeps the rest of the line, spaces included.
  CHECK(pop3::parse_command("PASS  two  spaces ", c) == pop3::command_error::none);
  CHECK(c.name == " two  spaces ");
  CHECK(pop3::parse_command("PASS", c) == pop3::command_error::syntax);
  CHECK(pop3::parse_command("APOP mrose c4c9334bac560ecc979e58001b3e22fb", c) == pop3::command_error::none);
  CHECK(c.name == "mrose");
  CHECK(c.argument == "c4c9334bac560ecc979e58001b3e22fb");
  CHECK(pop3::parse_command("APOP mrose", c) == pop3::command_error::syntax);
  CHECK(pop3::parse_command("AUTH", c) == pop3::command_error::none);
  CHECK(c.name.empty());
  CHECK(pop3::parse_command("AUTH PLAIN =", c) == pop3::command_error::none);
  CHECK(c.argument == "=");
  CHECK(pop3::parse_command("AUTH PLAIN a b", c) == pop3::command_error::syntax);
  CHECK(pop3::parse_command("USER a b", c) == pop3::command_error::syntax);
}

TEST_CASE("pop3 commands written: one field per argument, no injection", "[pop3][syntax]") {
  mailwire::output_queue q;
  CHECK(pop3::write_command(q, pop3::verb::user, "alice") == errc::ok);
  CHECK(pop3::write_command(q, pop3::verb::pass, "pass word") == errc::ok);
  CHECK(pop3::write_message_command(q, pop3::verb::top, 3, 10) == errc::ok);
  CHECK(pop3::write_command(q, pop3::verb::auth, "PLAIN", "=") == errc::ok);
  CHECK(q.pending() == "USER alice\r\nPASS pass word\r\nTOP 3 10\r\nAUTH PLAIN =\r\n");
  const std::size_t before = q.size();
  CHECK(pop3::write_command(q, pop3::verb::user, "a b") == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::user, "a\r\nDELE 1") == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::pass, std::string_view("x\0y", 3)) == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::user) == errc::invalid_argument);
  CHECK(pop3::write_command(q, pop3::verb::apop, "mrose") == errc::invalid_argument);
  CHECK(pop3::write_message_command(q, pop3::verb::retr, 0) == errc::invalid_argument);
  CHECK(pop3::write_message_command(q, pop3::verb::stat, 1) == errc::invalid_argument);
  CHECK(pop3::write_err(q, pop3::response_code::other, "x") == errc::invalid_argument);
  CHECK(pop3::write_ok(q, "line\nbreak") == errc::invalid_argument);
  CHECK(q.size() == before);
  CHECK(pop3::write_err(q, pop3::response_code::sys_temp, "try later") == errc::ok);
  CHECK(q.pending().substr(before) == "-ERR [SYS/TEMP] try later\r\n");
  // What is written reads back as the same command.
  pop3::command c;
  mailwire::output_queue r;
  REQUIRE(pop3::write_message_command(r, pop3::verb::top, 4294967295u, 18446744073709551615u) == errc::ok);
  std::string_view line = r.pending();
  line.remove_suffix(2);
  REQUIRE(pop3::parse_command(line, c) == pop3::command_error::none);
  CHECK(c.message == 4294967295u);
  CHECK(c.lines == 18446744073709551615u);
}
