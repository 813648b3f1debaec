// imap::client: the contract of its actions (wrong state, invalid
// arguments, nothing queued on refusal), the switch points (STARTTLS and
// COMPRESS hand-offs), limits just under and just over, and hostile
// servers (literal bombs, a 32 MiB line). The protocol flows themselves
// are in the transcript vectors (imap_client_vectors_test.cpp).
#include <mailwire/imap/client.hpp>

#include <string>
#include <vector>

#include "catch.hpp"

namespace imap = mailwire::imap;
using mailwire::errc;
using kind = imap::client_event_type;

namespace {

const char* const greeting = "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n";
const char* const logged_in =
    "A1 OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ MOVE COMPRESS=DEFLATE UIDPLUS] Logged in\r\n";

imap::client_options plain_options() {
  imap::client_options o;
  o.tls = mailwire::tls_policy::none;
  o.allow_cleartext_login = true;
  o.username = "alice";
  o.password = "secret";
  return o;
}

// Drives the client over `input`: writes all output, records events (not
// need_more/write_output), and stops at the end of the input.
struct driver {
  imap::client c;
  std::string written;
  std::vector<imap::client_event> events;  // views valid only until the next call

  explicit driver(imap::client_options o = plain_options()) : c(std::move(o)) {}

  // Writes what is pending (a drive loop writes before it reads), then
  // feeds `in`.
  std::vector<kind> feed(std::string_view in) {
    std::vector<kind> seen;
    written += std::string(c.pending_output());
    c.consume_output(c.pending_output().size());
    for (;;) {
      const std::size_t n = c.feed(in);
      in.remove_prefix(n);
      for (;;) {
        const imap::client_event e = c.next();
        if (e.type == kind::write_output) {
          written += std::string(c.pending_output());
          c.consume_output(c.pending_output().size());
          continue;
        }
        if (e.type == kind::need_more) break;
        seen.push_back(e.type);
        last = e;
        if (e.type == kind::error) errors.push_back(e.error);
        if (e.type == kind::closed || e.type == kind::starttls || e.type == kind::compress) return seen;
      }
      if (in.empty() || n == 0) return seen;
    }
  }
  // Greeting and login: ready.
  void login() {
    feed(greeting);
    REQUIRE(feed(logged_in) == std::vector<kind>{kind::ready});
    written.clear();
  }

  imap::client_event last;
  std::vector<errc> errors;
};

imap::command noop() {
  imap::command c;
  c.type = imap::command_type::noop;
  return c;
}

}  // namespace

TEST_CASE("imap client: actions in the wrong state queue nothing", "[imap][client]") {
  driver d;
  // Before ready.
  CHECK(d.c.submit(noop()) == errc::invalid_state);
  CHECK(d.c.idle() == errc::invalid_state);
  CHECK(d.c.compress() == errc::invalid_state);
  CHECK(d.c.logout() == errc::invalid_state);
  CHECK(d.c.idle_done() == errc::invalid_state);
  CHECK(d.c.send_body("x") == errc::invalid_state);
  CHECK(d.c.end_body() == errc::invalid_state);
  CHECK(d.c.continue_command("x") == errc::invalid_state);
  CHECK(d.c.tls_established() == errc::invalid_state);
  CHECK(d.c.compress_established() == errc::invalid_state);
  std::string_view rest = "junk";
  CHECK(d.c.take_unconsumed(rest) == errc::invalid_state);
  CHECK(rest.empty());
  CHECK(d.c.pending_output().empty());

  d.login();
  // The machine's own commands cannot be submitted.
  for (const imap::command_type t : {imap::command_type::starttls, imap::command_type::authenticate,
                                     imap::command_type::login, imap::command_type::idle,
                                     imap::command_type::compress}) {
    imap::command c;
    c.type = t;
    CHECK(d.c.submit(c) == errc::invalid_argument);
  }
  // A field that cannot go on the wire: refused, and the tag not used up.
  imap::command bad;
  bad.type = imap::command_type::select;
  bad.args = imap::select_args{std::string_view("a\0b", 3), false, std::nullopt, {}};
  CHECK(d.c.submit(bad) == errc::invalid_argument);
  CHECK(d.c.pending_output().empty());
  CHECK(d.c.in_progress() == 0);
  std::string tag;
  REQUIRE(d.c.submit(noop(), &tag) == errc::ok);
  CHECK(tag == "A2");
  CHECK(d.c.pending_output() == "A2 NOOP\r\n");
  // Extensions the server does not offer.
  imap::command ns;
  ns.type = imap::command_type::namespace_;
  CHECK(d.c.submit(ns) == errc::extension_missing);
  imap::command move;
  move.type = imap::command_type::move;
  move.args = imap::copy_args{imap::sequence_set(1), "Trash"};
  CHECK(d.c.submit(move) == errc::ok);  // MOVE is offered
  imap::command uid_expunge;
  uid_expunge.type = imap::command_type::expunge;
  uid_expunge.uid = true;
  uid_expunge.args = imap::copy_args{imap::sequence_set(1), {}};
  CHECK(d.c.submit(uid_expunge) == errc::ok);  // UIDPLUS is offered
  CHECK(d.c.in_progress() == 3);

  // After LOGOUT nothing more.
  CHECK(d.c.logout() == errc::ok);
  CHECK(d.c.submit(noop()) == errc::invalid_state);
  CHECK(d.c.idle() == errc::invalid_state);
}

TEST_CASE("imap client: extension_missing for IDLE and COMPRESS without them", "[imap][client]") {
  driver d;
  d.feed(greeting);
  REQUIRE(d.feed("A1 OK [CAPABILITY IMAP4rev1] Logged in\r\n") == std::vector<kind>{kind::ready});
  CHECK(d.c.idle() == errc::extension_missing);
  CHECK(d.c.compress() == errc::extension_missing);
  imap::command m;
  m.type = imap::command_type::move;
  m.args = imap::copy_args{imap::sequence_set(1), "Trash"};
  CHECK(d.c.submit(m) == errc::extension_missing);
  // IMAP4rev2 includes MOVE (RFC 9051 appendix E).
  driver d2;
  d2.feed(greeting);
  REQUIRE(d2.feed("A1 OK [CAPABILITY IMAP4rev2] Logged in\r\n") == std::vector<kind>{kind::ready});
  CHECK(d2.c.submit(m) == errc::ok);
}

TEST_CASE("imap client: an invalid tag prefix fails the session at once", "[imap][client]") {
  imap::client_options o = plain_options();
  o.tag_prefix = "A+";  // "+" is not a tag character
  driver d(o);
  CHECK(d.feed(greeting) == std::vector<kind>{kind::error, kind::closed});
  CHECK(d.errors == std::vector<errc>{errc::invalid_argument});
  CHECK(d.written.empty());
  CHECK(d.c.closed());
  CHECK(d.c.feed("more") == 0);
}

TEST_CASE("imap client: idle_reissue_seconds is RFC 2177's 29 minutes", "[imap][client]") {
  STATIC_REQUIRE(imap::idle_reissue_seconds == 29 * 60);
}

TEST_CASE("imap client: streamed APPEND body sizes are exact", "[imap][client]") {
  driver d;
  d.login();
  imap::command c;
  c.type = imap::command_type::append;
  imap::append_args a;
  a.mailbox = "INBOX";
  imap::append_message m;
  m.message.streamed = true;
  m.message.size = 5;
  a.messages.push_back(m);
  c.args = a;
  REQUIRE(d.c.submit(c) == errc::ok);
  // LITERAL+ is offered: the body is wanted at once.
  const imap::client_event e = d.c.next();
  REQUIRE(e.type == kind::body_wanted);
  CHECK(e.size == 5);
  CHECK(e.tag == "A2");
  CHECK(d.c.send_body("123456") == errc::invalid_argument);  // one over
  CHECK(d.c.send_body("123") == errc::ok);
  CHECK(d.c.end_body() == errc::invalid_argument);  // two short
  CHECK(d.c.send_body("45") == errc::ok);           // exactly the size
  CHECK(d.c.send_body("6") == errc::invalid_argument);
  CHECK(d.c.end_body() == errc::ok);
  CHECK(d.c.end_body() == errc::invalid_state);
  CHECK(d.c.pending_output() == "A2 APPEND INBOX {5+}\r\n12345\r\n");
}

TEST_CASE("imap client: continue_command refuses CR, LF and NUL", "[imap][client]") {
  driver d;
  d.login();
  imap::command x;
  x.type = imap::command_type::other;
  x.name = "XTEST";
  x.args = imap::other_args{};
  REQUIRE(d.c.submit(x) == errc::ok);
  d.feed("");
  REQUIRE(d.feed("+ go\r\n") == std::vector<kind>{kind::continuation});
  CHECK(d.c.continue_command("a\rb") == errc::invalid_argument);
  CHECK(d.c.continue_command("a\nb") == errc::invalid_argument);
  CHECK(d.c.continue_command(std::string_view("a\0b", 3)) == errc::invalid_argument);
  CHECK(d.c.pending_output().empty());
  CHECK(d.c.continue_command("fine") == errc::ok);
  CHECK(d.c.continue_command("again") == errc::invalid_state);  // no "+" asks for it
}

TEST_CASE("imap client: STARTTLS hands out nothing; COMPRESS hands out what came after the OK", "[imap][client]") {
  SECTION("STARTTLS") {
    imap::client_options o = plain_options();
    o.tls = mailwire::tls_policy::required;
    driver d(o);
    d.feed("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n");
    REQUIRE(d.feed("A1 OK go\r\n") == std::vector<kind>{kind::starttls});
    CHECK(d.c.feed("\x16\x03\x01") == 0);  // a TLS record is not taken
    std::string_view rest = "x";
    CHECK(d.c.take_unconsumed(rest) == errc::ok);
    CHECK(rest.empty());
    CHECK(d.c.tls_established() == errc::ok);
    CHECK(d.c.tls());
    CHECK_FALSE(d.c.capabilities().known());  // forgotten
    CHECK(d.c.pending_output() == "A2 CAPABILITY\r\n");
    CHECK(d.c.tls_established() == errc::invalid_state);
  }
  SECTION("COMPRESS, with compressed bytes in the same read as the OK") {
    driver d;
    d.login();
    std::string tag;
    REQUIRE(d.c.compress(&tag) == errc::ok);
    CHECK(tag == "A2");
    REQUIRE(d.c.submit(noop()) == errc::ok);  // held until the switch
    CHECK(d.c.pending_output() == "A2 COMPRESS DEFLATE\r\n");
    d.written.clear();
    REQUIRE(d.feed("A2 OK Begin compression.\r\n\x78\x9c\x01\x02") ==
            std::vector<kind>{kind::completed, kind::compress});
    CHECK(d.last.type == kind::compress);
    CHECK(d.c.compressed());
    CHECK(d.c.feed("more") == 0);
    std::string_view rest;
    REQUIRE(d.c.take_unconsumed(rest) == errc::ok);
    CHECK(rest == "\x78\x9c\x01\x02");
    CHECK(d.c.pending_output().empty());  // NOOP waits for the caller's deflate
    // The switch point: the end of the OK, a stream offset.
    const std::uint64_t switch_at = d.last.offset + std::string_view("A2 OK Begin compression.\r\n").size();
    REQUIRE(d.c.compress_established() == errc::ok);
    CHECK(d.c.pending_output() == "A3 NOOP\r\n");
    CHECK(d.c.take_unconsumed(rest) == errc::invalid_state);
    CHECK(d.c.compress() == errc::invalid_state);  // once only
    // Offsets go on from the switch point in the inflated stream: the four
    // compressed bytes handed out are not counted.
    REQUIRE(d.feed("A3 OK done\r\n") == std::vector<kind>{kind::completed});
    CHECK(d.last.offset == switch_at);
  }
}

TEST_CASE("imap client: max_pending_output just under and just over", "[imap][client]") {
  // The greeting without capabilities queues "A1 CAPABILITY\r\n" (15
  // bytes). At 15 the client stops and asks for it to be written before it
  // reads the next response; at 16 it reads on.
  const std::string in = "* OK hi\r\n* OK [ALERT] read this\r\n";
  for (const std::size_t limit : {std::size_t{15}, std::size_t{16}}) {
    imap::client_options o = plain_options();
    o.max_pending_output = limit;
    imap::client c(o);
    REQUIRE(c.feed(in) == in.size());
    REQUIRE(c.next().type == kind::untagged);  // the greeting
    const imap::client_event e = c.next();
    INFO("limit " << limit);
    if (limit == 15) {
      CHECK(e.type == kind::write_output);
    } else {
      REQUIRE(e.type == kind::untagged);
      CHECK(e.resp->code.kind == imap::code_kind::alert);
    }
  }
}

TEST_CASE("imap client: max_inline_literal just under and just over", "[imap][client]") {
  for (const std::size_t size : {std::size_t{8}, std::size_t{9}}) {
    imap::client_options o = plain_options();
    o.frame.max_inline_literal = 8;
    driver d(o);
    d.login();
    REQUIRE(d.c.submit(noop()) == errc::ok);
    const std::string name(size, 'x');
    const std::vector<kind> got =
        d.feed("* LIST () \"/\" {" + std::to_string(size) + "}\r\n" + name + "\r\nA2 OK done\r\n");
    INFO("size " << size);
    if (size == 8) {
      CHECK(got == std::vector<kind>{kind::untagged, kind::completed});
    } else {
      CHECK(got == std::vector<kind>{kind::error, kind::completed});
      CHECK(d.errors == std::vector<errc>{errc::imap_literal_too_big});
    }
  }
}

TEST_CASE("imap client: literal bombs from the server", "[imap][client]") {
  SECTION("a 2^32-1 FETCH body is streamed in bounded memory, never reserved") {
    driver d;
    d.login();
    REQUIRE(d.c.submit(noop()) == errc::ok);
    std::vector<kind> got = d.feed("* 1 FETCH (BODY[] {4294967295}\r\n");
    CHECK(got.empty());
    std::uint64_t delivered = 0;
    const std::string piece(64 * 1024, 'a');
    for (int i = 0; i < 64; ++i) {  // 4 MiB of it
      std::string_view in = piece;
      while (!in.empty()) {
        const std::size_t n = d.c.feed(in);
        in.remove_prefix(n);
        for (imap::client_event e = d.c.next(); e.type != kind::need_more; e = d.c.next()) {
          REQUIRE(e.type == kind::fetch_chunk);
          CHECK(e.size == 4294967295u);
          CHECK(e.message == 1);
          delivered += e.bytes.size();
        }
      }
    }
    CHECK(delivered == 64u * 64 * 1024);
  }
  SECTION("an announcement past 2^64 is a bad literal; the session goes on") {
    driver d;
    d.login();
    REQUIRE(d.c.submit(noop()) == errc::ok);
    const std::vector<kind> got = d.feed("* LIST () \"/\" {18446744073709551616}\r\nA2 OK done\r\n");
    CHECK(got == std::vector<kind>{kind::error, kind::completed});
    CHECK(d.errors == std::vector<errc>{errc::imap_bad_literal});
  }
  SECTION("a non-synchronising literal from a server is refused") {
    driver d;
    d.login();
    REQUIRE(d.c.submit(noop()) == errc::ok);
    const std::vector<kind> got = d.feed("* LIST () \"/\" {3+}\r\nabc\r\nA2 OK done\r\n");
    CHECK(got == std::vector<kind>{kind::error, kind::completed});
    CHECK(d.errors == std::vector<errc>{errc::imap_bad_literal});
  }
  SECTION("a literal in a tagged response too big to hold ends the session") {
    imap::client_options o = plain_options();
    o.frame.max_inline_literal = 4;
    driver d(o);
    d.login();
    REQUIRE(d.c.submit(noop()) == errc::ok);
    CHECK(d.feed("A2 OK {5}\r\nhello\r\n") == std::vector<kind>{kind::error, kind::closed});
    CHECK(d.errors == std::vector<errc>{errc::imap_literal_too_big});
  }
}

TEST_CASE("imap client: a 32 MiB line is dropped in bounded memory and the session goes on", "[imap][client]") {
  driver d;
  d.login();
  REQUIRE(d.c.submit(noop()) == errc::ok);
  std::vector<kind> got = d.feed("* OK ");
  const std::string piece(1024 * 1024, 'x');
  for (int i = 0; i < 32; ++i) {
    const std::vector<kind> more = d.feed(piece);
    got.insert(got.end(), more.begin(), more.end());
  }
  const std::vector<kind> end = d.feed("\r\nA2 OK done\r\n");
  got.insert(got.end(), end.begin(), end.end());
  CHECK(got == std::vector<kind>{kind::error, kind::completed});
  CHECK(d.errors == std::vector<errc>{errc::reply_too_long});
}

TEST_CASE("imap client: EOF before the greeting, and feed after close", "[imap][client]") {
  driver d;
  d.c.finish();
  CHECK(d.feed("") == std::vector<kind>{kind::error, kind::closed});
  CHECK(d.errors == std::vector<errc>{errc::truncated});
  CHECK(d.c.closed());
  CHECK(d.c.feed("* OK hi\r\n") == 0);
  CHECK(d.c.next().type == kind::closed);
}

TEST_CASE("imap client: credentials are dropped once logged in or failed", "[imap][client]") {
  // Nothing to observe directly; what shows it is that a channel binding
  // set after the login has nowhere to go (and does not crash).
  driver d;
  d.login();
  d.c.set_channel_binding(mailwire::sasl::channel_binding::type::tls_exporter, "x");
  CHECK(d.c.authenticated());
  CHECK(d.c.auth_mechanism() == mailwire::sasl::mechanism::plain);
}

TEST_CASE("imap client: max_queued_commands just under and just over", "[imap][client][limits]") {
  imap::client_options o = plain_options();
  o.max_queued_commands = 3;
  driver d(o);
  d.login();
  imap::command select;
  select.type = imap::command_type::select;
  select.args = imap::select_args{"INBOX", false, std::nullopt, {}};
  REQUIRE(d.c.submit(noop()) == errc::ok);  // A2, written at once
  CHECK(d.c.queued() == 0);
  REQUIRE(d.c.submit(select) == errc::ok);  // A3 waits for A2 (SELECT goes alone)
  REQUIRE(d.c.submit(noop()) == errc::ok);  // A4 waits behind it
  REQUIRE(d.c.submit(noop()) == errc::ok);  // A5: 3 queued, the bound
  CHECK(d.c.queued() == 3);
  const std::string before(d.c.pending_output());
  CHECK(before == "A2 NOOP\r\n");
  // Past the bound: refused, nothing queued, no tag used; LOGOUT is taken.
  std::string tag = "unset";
  CHECK(d.c.submit(noop(), &tag) == errc::message_too_big);
  CHECK(tag == "unset");
  CHECK(d.c.idle() == errc::message_too_big);
  CHECK(d.c.compress() == errc::message_too_big);
  CHECK(d.c.queued() == 3);
  CHECK(d.c.in_progress() == 4);
  CHECK(d.c.pending_output() == before);
  REQUIRE(d.c.logout(&tag) == errc::ok);
  CHECK(tag == "A6");
  CHECK(d.c.queued() == 4);
  // A2's answer lets the rest go: the queue empties.
  d.feed("A2 OK done\r\n");
  CHECK(d.written == "A2 NOOP\r\nA3 SELECT INBOX\r\nA4 NOOP\r\nA5 NOOP\r\nA6 LOGOUT\r\n");
  CHECK(d.c.queued() == 0);
}

TEST_CASE("imap client: submit() refuses while pending output is at max_pending_output", "[imap][client][limits]") {
  imap::client_options o = plain_options();
  o.max_pending_output = 18;  // two "An NOOP\r\n" (9 bytes each)
  driver d(o);
  d.login();
  REQUIRE(d.c.submit(noop()) == errc::ok);
  REQUIRE(d.c.submit(noop()) == errc::ok);  // 9 pending: under the bound
  CHECK(d.c.pending_output().size() == 18);
  CHECK(d.c.submit(noop()) == errc::message_too_big);  // at the bound
  CHECK(d.c.pending_output().size() == 18);
  d.c.consume_output(1);  // just under again
  std::string tag;
  REQUIRE(d.c.submit(noop(), &tag) == errc::ok);
  CHECK(tag == "A4");
  CHECK(d.c.in_progress() == 3);
}

TEST_CASE("imap client: what one large response needed is given back once idle", "[imap][client][limits]") {
  driver d;
  d.login();
  std::string search = "* SEARCH";
  for (int i = 1; i <= 10000; ++i) search += " " + std::to_string(i);
  search += "\r\n";
  imap::command c;
  std::string scratch;
  REQUIRE(imap::parse_command("t UID SEARCH ALL", c, scratch) == errc::ok);
  const std::size_t numbers = 10000 * sizeof(std::uint32_t);
  for (const bool other_in_flight : {false, true}) {
    INFO("another command in flight: " << other_in_flight);
    std::string tag;
    REQUIRE(d.c.submit(c, &tag) == errc::ok);
    std::string other;
    if (other_in_flight) REQUIRE(d.c.submit(noop(), &other) == errc::ok);
    // The SEARCH result while its event is out: 10,000 numbers are held.
    REQUIRE(d.c.feed(search) == search.size());
    const imap::client_event e = d.c.next();
    REQUIRE(e.type == kind::untagged);
    CHECK(e.resp->numbers.size() == 10000);
    const std::size_t during = d.c.memory_used();
    // All input handled: the numbers are given back (the receive buffer
    // keeps the size the line needed), and with nothing in flight the
    // response itself.
    CHECK(d.feed(tag + " OK done\r\n") == std::vector<kind>{kind::completed});
    const std::size_t after = d.c.memory_used();
    CHECK(after + numbers <= during);
    if (other_in_flight) {
      CHECK(d.feed(other + " OK done\r\n") == std::vector<kind>{kind::completed});
      CHECK(d.c.memory_used() + sizeof(imap::response) <= after);
    } else {
      CHECK(after + numbers + sizeof(imap::response) <= during);
    }
    CHECK(d.c.in_progress() == 0);
  }
}
