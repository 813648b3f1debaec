// imap::server: the actions' contracts (validate first, change nothing on
// error), the EXPUNGE rule at the API, streaming, and the security tests
// of issue 14 that concern the server (literal bombs before and after
// login, a 32 MiB line, 3,000-deep SEARCH parentheses, pipelining past the
// limit, STARTTLS injection). The transcript vectors
// (imap_server_vectors_test.cpp) cover the protocol paths.
#include <mailwire/imap/server.hpp>

#include <string>
#include <vector>

#include "catch.hpp"

namespace imap = mailwire::imap;
using mailwire::errc;
using kind = imap::server_event_type;

namespace {

imap::server_options plain_options() {
  imap::server_options o;
  o.tls_active = true;
  o.extensions.idle = true;
  o.extensions.uidplus = true;
  return o;
}

// Feeds `in`, answering logins for alice/secret and taking every event
// until the machine needs input or an action; returns the events' types.
// Output is written (consumed) into `out` unless `stall`.
struct driver {
  imap::server s;
  std::string out;
  std::vector<imap::server_event> events;
  bool stall = false;

  explicit driver(imap::server_options o = plain_options()) : s(std::move(o)) { pump(); }

  // Next events until need_more or paused (or closed).
  void pump() {
    for (;;) {
      const imap::server_event e = s.next();
      if (e.type == kind::write_output) {
        if (stall) return;
        take_output();
        continue;
      }
      if (e.type == kind::need_more || e.type == kind::paused) return;
      events.push_back(e);
      if (e.type == kind::login) REQUIRE(s.accept_login() == errc::ok);
      if (e.type == kind::closed) return;
    }
  }
  void take_output() {
    const std::string_view p = s.pending_output();
    out.append(p.data(), p.size());
    s.consume_output(p.size());
  }
  // Feeds everything (draining events between) and returns the new output.
  std::string send(std::string_view in) {
    out.clear();
    while (!in.empty()) {
      const std::size_t n = s.feed(in);
      in.remove_prefix(n);
      pump();
      if (n == 0 && (stall || s.closed())) break;
    }
    pump();
    if (!stall) take_output();
    return out;
  }
  bool saw(kind k) const {
    for (const auto& e : events)
      if (e.type == k) return true;
    return false;
  }
  const imap::server_event* last(kind k) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->type == k) return &*it;
    return nullptr;
  }
  void login_select() {
    send("a LOGIN alice secret\r\nb SELECT INBOX\r\n");
    REQUIRE(s.complete("b", imap::status_kind::ok, "done") == errc::ok);
    pump();
    take_output();
    REQUIRE(s.state() == imap::session_state::selected);
  }
};

}  // namespace

TEST_CASE("imap::server actions validate first and change nothing on error", "[imap][server]") {
  driver d;
  const std::string greeting = d.out;
  std::string_view rest;
  CHECK(d.s.complete("a", imap::status_kind::ok, "x") == errc::invalid_state);
  CHECK(d.s.accept_login() == errc::invalid_state);
  CHECK(d.s.reject_login(imap::code_kind::authenticationfailed, "no") == errc::invalid_state);
  CHECK(d.s.accept_literal() == errc::invalid_state);
  CHECK(d.s.refuse_literal(imap::code_kind::trycreate, "no") == errc::invalid_state);
  CHECK(d.s.send_body("x") == errc::invalid_state);
  CHECK(d.s.take_unconsumed(rest) == errc::invalid_state);
  CHECK(rest.empty());
  CHECK(d.s.tls_established() == errc::invalid_state);
  CHECK(d.s.notify_exists(3) == errc::invalid_state);  // not SELECTED
  CHECK(d.s.auth_begin("nonce") == errc::invalid_state);
  CHECK(d.s.pending_output().empty());

  d.send("a LOGIN alice secret\r\nb FETCH 1 FLAGS\r\n");  // not selected: BAD, no event
  CHECK(d.out == "a OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE UIDPLUS] Logged in\r\nb BAD No mailbox selected\r\n");
  d.send("c SELECT INBOX\r\n");
  REQUIRE(d.last(kind::command) != nullptr);
  CHECK(d.s.in_progress() != nullptr);

  // Refused answers leave the command open and write nothing.
  CHECK(d.s.complete("x", imap::status_kind::ok, "done") == errc::invalid_argument);        // wrong tag
  CHECK(d.s.complete("c", imap::status_kind::bye, "done") == errc::invalid_argument);       // not OK/NO/BAD
  CHECK(d.s.complete("c", imap::status_kind::ok, "two\r\nlines") == errc::invalid_argument);
  CHECK(d.s.complete("c", imap::status_kind::ok, "caf\xc3\xa9") == errc::invalid_argument);  // 8-bit without UTF8=ACCEPT
  CHECK(d.s.complete("c", imap::status_kind::ok, "[ALERT looks like a code") == errc::invalid_argument);
  imap::response r;
  r.type = imap::response_type::status;
  r.tag = "c";
  CHECK(d.s.untagged(r) == errc::invalid_argument);  // tagged
  r.tag = {};
  r.status = imap::status_kind::bye;
  CHECK(d.s.untagged(r) == errc::invalid_argument);  // BYE goes through bye()
  r.type = imap::response_type::continuation;
  CHECK(d.s.untagged(r) == errc::invalid_argument);
  CHECK(d.s.bye("bad\rtext") == errc::invalid_argument);
  CHECK(d.s.pending_output().empty());
  CHECK(d.s.in_progress() != nullptr);
  CHECK(d.s.state() == imap::session_state::authenticated);

  CHECK(d.s.complete("c", imap::status_kind::ok, imap::code_kind::read_only, "done") == errc::ok);
  CHECK(d.s.complete("c", imap::status_kind::ok, "again") == errc::invalid_state);
  d.pump();
  d.take_output();
  CHECK(d.out == "c OK [READ-ONLY] done\r\n");
  CHECK(d.s.state() == imap::session_state::selected);
  CHECK(d.s.read_only());
}

TEST_CASE("imap::server the command's views live until complete()", "[imap][server]") {
  driver d;
  d.send("a LOGIN alice secret\r\nlong-tag-123 STATUS \"Mailbox \\\"quoted\\\"\" (MESSAGES UIDNEXT)\r\n");
  const imap::server_event* e = d.last(kind::command);
  REQUIRE(e != nullptr);
  const imap::command* c = e->cmd;
  for (int i = 0; i < 200; ++i) {
    imap::response r;
    r.type = imap::response_type::exists;
    r.number = static_cast<std::uint32_t>(i);
    REQUIRE(d.s.untagged(r) == errc::ok);
    d.pump();  // paused: nothing is read while the command is open
    d.take_output();
  }
  CHECK(c->tag == "long-tag-123");
  const auto* a = std::get_if<imap::status_args>(&c->args);
  REQUIRE(a != nullptr);
  CHECK(a->mailbox == "Mailbox \"quoted\"");
  CHECK(d.s.complete(c->tag, imap::status_kind::ok, "done") == errc::ok);
}

TEST_CASE("imap::server EXPUNGE is refused in a FETCH/STORE/SEARCH answer, allowed in UID ones", "[imap][server]") {
  driver d;
  d.login_select();
  imap::response ex;
  ex.type = imap::response_type::expunge;
  ex.number = 1;
  for (const char* cmd : {"f FETCH 1 FLAGS\r\n", "f STORE 1 FLAGS (\\Seen)\r\n", "f SEARCH ALL\r\n"}) {
    d.send(cmd);
    CHECK(d.s.untagged(ex) == errc::invalid_state);
    CHECK(d.s.pending_output().empty());
    // notify() holds it instead.
    CHECK(d.s.notify(ex) == errc::ok);
    CHECK(d.s.pending_output().empty());
    CHECK(d.s.complete("f", imap::status_kind::ok, "done") == errc::ok);
    d.pump();
    d.take_output();
    CHECK(d.out.find("EXPUNGE") == std::string::npos);
  }
  CHECK(d.s.held_updates() == 3 * std::string("* 1 EXPUNGE\r\n").size());
  CHECK(d.send("u UID FETCH 1 FLAGS\r\n") == "* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n");
  CHECK(d.s.untagged(ex) == errc::ok);
  CHECK(d.s.notify_expunge(0) == errc::invalid_argument);
  CHECK(d.s.complete("u", imap::status_kind::ok, "done") == errc::ok);
  CHECK(d.s.held_updates() == 0);
}

TEST_CASE("imap::server streams a FETCH body exactly, in bounded memory", "[imap][server]") {
  driver d;
  d.login_select();
  d.send("f FETCH 1 BODY[]\r\n");
  imap::response r;
  r.type = imap::response_type::fetch;
  r.fetch.seq = 1;
  imap::fetch_item it;
  it.kind = imap::fetch_item_kind::body_section;
  imap::literal_body body;
  body.streamed = true;
  body.size = 10u * 1024 * 1024;
  it.content = body;
  r.fetch.items.push_back(it);
  REQUIRE(d.s.untagged(r) == errc::ok);
  CHECK(d.s.body_remaining() == body.size);
  CHECK(d.s.complete("f", imap::status_kind::ok, "done") == errc::invalid_state);  // body first
  CHECK(d.s.untagged(r) == errc::invalid_state);
  const std::string chunk(64 * 1024, 'x');
  std::size_t peak = 0;
  std::uint64_t sent = 0;
  std::size_t written = 0;
  while (d.s.body_remaining() > 0) {
    const imap::server_event e = d.s.next();
    if (e.type == kind::write_output) {
      written += d.s.pending_output().size();
      d.s.consume_output(d.s.pending_output().size());
      continue;
    }
    REQUIRE(e.type == kind::paused);
    CHECK(d.s.send_body(std::string(static_cast<std::size_t>(d.s.body_remaining()) + 1, 'y')) ==
          errc::invalid_argument);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), d.s.body_remaining()));
    REQUIRE(d.s.send_body(std::string_view(chunk).substr(0, n)) == errc::ok);
    sent += n;
    peak = std::max(peak, d.s.memory_used());
  }
  CHECK(sent == body.size);
  CHECK(peak < 2u * 1024 * 1024);  // the body never sits whole in the machine
  written += d.s.pending_output().size();
  const std::string_view tail = d.s.pending_output();
  CHECK(tail.substr(tail.size() - 4) == "x)\r\n");  // the response's end followed the last byte
  CHECK(d.s.complete("f", imap::status_kind::ok, "done") == errc::ok);
  CHECK(written == std::string("* 1 FETCH (BODY[] {10485760}\r\n)\r\n").size() + body.size);
}

TEST_CASE("imap::server literal bombs after login: sizes are only numbers", "[imap][server]") {
  driver d;
  d.login_select();
  for (const char* size : {"4294967295", "18446744073709551615"}) {
    d.events.clear();
    d.send(std::string("p APPEND INBOX {") + size + "}\r\n");
    const imap::server_event* e = d.last(kind::literal);
    REQUIRE(e != nullptr);
    CHECK(std::to_string(e->literal->size) == size);
    CHECK(d.s.memory_used() < 1024 * 1024);
    CHECK(d.s.refuse_literal(imap::code_kind::toobig, "Too big") == errc::ok);
    d.pump();
    d.take_output();
    CHECK(d.out == "p NO [TOOBIG] Too big\r\n");
  }
  // Past 2^64-1, and junk: bad literals, BAD, no event for the application.
  d.events.clear();
  CHECK(d.send("q APPEND INBOX {18446744073709551616}\r\n") == "q BAD Invalid literal\r\n");
  CHECK(d.send("r APPEND INBOX {99x}\r\n") == "r BAD Invalid literal\r\n");
  CHECK(d.send("s APPEND INBOX {-1}\r\n") == "s BAD Invalid literal\r\n");
  CHECK_FALSE(d.saw(kind::literal));
  // A LITERAL+ bomb refused: the body would be drained, never parsed.
  d.events.clear();
  d.send("t APPEND INBOX {4294967295+}\r\n");
  REQUIRE(d.last(kind::literal) != nullptr);
  CHECK(d.s.refuse_literal(imap::code_kind::toobig, "Too big") == errc::ok);
  d.pump();
  CHECK(d.send("u LOGOUT\r\n").find("BYE") == std::string::npos);  // part of the drained body
  CHECK_FALSE(d.s.closed());
}

TEST_CASE("imap::server a 32 MiB line: one BAD, memory bounded, the session goes on", "[imap][server]") {
  driver d;
  const std::string piece(1024 * 1024, 'a');
  std::string out;
  out += d.send("a NOOP ");
  std::size_t peak = 0;
  for (int i = 0; i < 32; ++i) {
    out += d.send(piece);
    peak = std::max(peak, d.s.memory_used());
  }
  out += d.send("\r\nb NOOP\r\n");
  CHECK(out == "a BAD [TOOBIG] Command line too long\r\nb OK NOOP completed\r\n");
  CHECK(peak < 512 * 1024);
  const imap::server_event* e = d.last(kind::error);
  REQUIRE(e != nullptr);
  CHECK(e->error == errc::line_too_long);
  CHECK(e->offset == 0);
}

TEST_CASE("imap::server 3,000-deep SEARCH parentheses are answered BAD", "[imap][server]") {
  driver d;
  d.login_select();
  const std::string deep = "s SEARCH " + std::string(3000, '(') + "ALL" + std::string(3000, ')') + "\r\n";
  CHECK(d.send(deep) == "s BAD Too deeply nested\r\n");
  const imap::server_event* e = d.last(kind::error);
  REQUIRE(e != nullptr);
  CHECK(e->error == errc::imap_too_deep);
  // NOT NOT NOT ... nests without parentheses.
  std::string nots = "t SEARCH";
  for (int i = 0; i < 3000; ++i) nots += " NOT";
  CHECK(d.send(nots + " ALL\r\n") == "t BAD Too deeply nested\r\n");
  CHECK(d.send("u NOOP\r\n") == "u OK NOOP completed\r\n");
}

TEST_CASE("imap::server pipelined commands past the limit: bounded, none lost, in order", "[imap][server]") {
  imap::server_options o = plain_options();
  o.max_pipelined = 16;
  driver d(o);
  d.out.clear();
  d.stall = true;
  std::string in;
  for (int i = 0; i < 10000; ++i) in += "t" + std::to_string(i) + " NOOP\r\n";
  std::size_t taken = 0;
  while (taken < in.size()) {
    const std::size_t n = d.s.feed(std::string_view(in).substr(taken));
    taken += n;
    d.pump();
    if (n == 0) break;
  }
  // The client never reads: at most max_pipelined answers wait.
  CHECK(d.s.pending_output() ==
        [] {
          std::string s;
          for (int i = 0; i < 16; ++i) s += "t" + std::to_string(i) + " OK NOOP completed\r\n";
          return s;
        }());
  CHECK(taken < in.size());
  CHECK(d.s.memory_used() < 256 * 1024);
  // Then it reads: everything is answered, in order.
  d.stall = false;
  std::string out;
  for (;;) {
    const std::size_t n = d.s.feed(std::string_view(in).substr(taken));
    taken += n;
    d.pump();
    out += d.out;
    d.out.clear();
    d.take_output();
    if (taken == in.size() && n == 0) break;
  }
  out += d.out;
  std::string want;
  for (int i = 0; i < 10000; ++i) want += "t" + std::to_string(i) + " OK NOOP completed\r\n";
  CHECK(out == want);
}

TEST_CASE("imap::server STARTTLS: bytes after it go to TLS only, before and after the handshake", "[imap][server]") {
  imap::server_options o;
  o.offer_starttls = true;
  driver d(o);
  d.take_output();
  d.out.clear();
  d.s.feed("a STARTTLS\r\nb NOOP\r\nc LOGOUT\r\n");
  d.pump();
  REQUIRE(d.last(kind::starttls) != nullptr);
  d.take_output();
  CHECK(d.out == "a OK Begin TLS negotiation now\r\n");
  CHECK(d.s.feed("more") == 0);  // nothing is taken at the switch point
  std::string_view rest;
  REQUIRE(d.s.take_unconsumed(rest) == errc::ok);
  CHECK(rest == "b NOOP\r\nc LOGOUT\r\n");
  REQUIRE(d.s.tls_established() == errc::ok);
  d.pump();
  d.take_output();
  CHECK(d.out == "a OK Begin TLS negotiation now\r\n");  // nothing answered "b" or "c"
  CHECK_FALSE(d.s.closed());
  CHECK(d.s.tls());
  CHECK(d.send("d CAPABILITY\r\n") == "* CAPABILITY IMAP4rev1 LITERAL+\r\nd OK CAPABILITY completed\r\n");
}

TEST_CASE("imap::server IDLE: updates go at once, EXPUNGE included; bye() ends it", "[imap][server]") {
  driver d;
  d.login_select();
  d.send("i IDLE\r\n");
  CHECK(d.out == "+ idling\r\n");
  REQUIRE(d.last(kind::idle) != nullptr);
  CHECK(d.s.notify_expunge(4) == errc::ok);
  CHECK(d.s.notify_exists(9) == errc::ok);
  CHECK(d.s.pending_output() == "* 4 EXPUNGE\r\n* 9 EXISTS\r\n");
  CHECK(d.s.bye("Autologout; idle for too long") == errc::ok);
  CHECK(d.s.closed());
  CHECK(d.s.pending_output() == "* 4 EXPUNGE\r\n* 9 EXISTS\r\n* BYE Autologout; idle for too long\r\n");
  CHECK(d.s.next().type == kind::closed);
}

TEST_CASE("imap::server options that cannot go on the wire are not sent", "[imap][server]") {
  imap::server_options o;
  o.tls_active = true;
  o.greeting = "two\r\nlines";
  o.extensions.literal_plus = false;
  o.extensions.literal_minus = true;
  o.extensions.other = {"XGOOD", "NOT AN ATOM", ""};
  o.extensions.thread = {"REFERENCES", "(bad"};
  driver d(o);
  CHECK(d.out == "* OK [CAPABILITY IMAP4rev1 LITERAL- THREAD=REFERENCES XGOOD] IMAP server ready\r\n");
}

TEST_CASE("imap::server UTF-8 text only once UTF8=ACCEPT is enabled (RFC 6855)", "[imap][server]") {
  imap::server_options o = plain_options();
  o.extensions.enable = true;
  o.extensions.utf8_accept = true;
  driver d(o);
  d.send("a LOGIN alice secret\r\nb LIST \"\" *\r\n");
  imap::response r;
  r.type = imap::response_type::list;
  r.delimiter = std::string_view("/");
  r.mailbox = "Entw\xc3\xbcrfe";
  // Before: 8-bit never goes raw in a quoted string (the mailbox name's
  // encoding, modified UTF-7, is the application's: mailbox_to_wire()).
  CHECK(d.s.untagged(r) == errc::ok);
  CHECK(d.s.complete("b", imap::status_kind::ok, "caf\xc3\xa9") == errc::invalid_argument);
  CHECK(d.s.complete("b", imap::status_kind::ok, "done") == errc::ok);
  d.pump();
  d.take_output();
  CHECK(d.out.find("* LIST () \"/\" {9}\r\nEntw\xc3\xbcrfe\r\n") != std::string::npos);
  CHECK(d.send("c ENABLE UTF8=ACCEPT\r\n") == "* ENABLED UTF8=ACCEPT\r\nc OK ENABLE completed\r\n");
  CHECK(d.s.enabled().utf8_accept);
  d.send("d LIST \"\" *\r\n");
  REQUIRE(d.s.untagged(r) == errc::ok);
  CHECK(d.s.complete("d", imap::status_kind::ok, "caf\xc3\xa9") == errc::ok);
  d.pump();
  d.take_output();
  CHECK(d.out == "* LIST () \"/\" \"Entw\xc3\xbcrfe\"\r\nd OK caf\xc3\xa9\r\n");
}

TEST_CASE("imap::server SEARCH MODSEQ and STATUS (HIGHESTMODSEQ) enable CONDSTORE (RFC 7162 3.1)", "[imap][server]") {
  imap::server_options o = plain_options();
  o.extensions.condstore = true;
  {
    driver d(o);
    d.login_select();
    d.send("c SEARCH SEEN\r\n");  // no MODSEQ key: not enabled
    REQUIRE(d.s.complete("c", imap::status_kind::ok, "done") == errc::ok);
    CHECK_FALSE(d.s.enabled().condstore);
    d.send("d SEARCH OR SEEN NOT (DRAFT MODSEQ 5)\r\n");  // nested
    CHECK(d.s.enabled().condstore);
  }
  {
    driver d(o);
    d.send("a LOGIN alice secret\r\nb STATUS INBOX (MESSAGES)\r\n");
    REQUIRE(d.s.complete("b", imap::status_kind::ok, "done") == errc::ok);
    CHECK_FALSE(d.s.enabled().condstore);
    d.send("c STATUS INBOX (MESSAGES highestmodseq)\r\n");
    CHECK(d.s.enabled().condstore);
  }
  {
    o.extensions.condstore = false;  // not offered: nothing enabled
    driver d(o);
    d.send("a LOGIN alice secret\r\nb STATUS INBOX (HIGHESTMODSEQ)\r\n");
    CHECK_FALSE(d.s.enabled().condstore);
  }
}

TEST_CASE("imap::server held updates are bounded: EXISTS coalesced, past the bound refused", "[imap][server][limits]") {
  const std::string line = "* 1 EXPUNGE\r\n";  // 13 bytes, as "* 99 EXISTS\r\n"
  imap::server_options o = plain_options();
  o.max_held_updates = 4 * line.size();  // 52
  driver d(o);
  d.login_select();
  d.send("f FETCH 1 FLAGS\r\n");
  REQUIRE(d.s.notify_expunge(1) == errc::ok);  // held: a FETCH by number is answered
  // Consecutive EXISTS: only the newest is kept.
  for (std::uint32_t n = 5; n < 100; ++n) REQUIRE(d.s.notify_exists(n) == errc::ok);
  CHECK(d.s.held_updates() == 2 * line.size());
  REQUIRE(d.s.notify_expunge(1) == errc::ok);  // 39
  CHECK(d.s.notify_exists(9) == errc::ok);     // 51
  // An EXISTS after the EXPUNGE replaces the last EXISTS only.
  CHECK(d.s.notify_exists(8) == errc::ok);  // 51
  CHECK(d.s.held_updates() == 3 * line.size() + 12);
  // Up to the bound: 52 bytes exactly.
  CHECK(d.s.notify_exists(10) == errc::ok);
  CHECK(d.s.held_updates() == 4 * line.size());
  // Just over: refused, nothing changes, nothing is written.
  CHECK(d.s.notify_exists(100) == errc::message_too_big);  // 53 bytes
  CHECK(d.s.notify_expunge(1) == errc::message_too_big);
  CHECK(d.s.held_updates() == 4 * line.size());
  CHECK(d.s.pending_output().empty());
  REQUIRE(d.s.complete("f", imap::status_kind::ok, "done") == errc::ok);
  d.pump();
  d.take_output();
  CHECK(d.out == "f OK done\r\n");
  // The next command that allows EXPUNGE writes them in order, and the
  // application, told of the refusal, notifies again.
  CHECK(d.send("n UID FETCH 1 FLAGS\r\n") == "* 1 EXPUNGE\r\n* 99 EXISTS\r\n* 1 EXPUNGE\r\n* 10 EXISTS\r\n");
  CHECK(d.s.held_updates() == 0);
  CHECK(d.s.notify_exists(100) == errc::ok);
  REQUIRE(d.s.complete("n", imap::status_kind::ok, "done") == errc::ok);
  d.out.clear();
  d.pump();
  d.take_output();
  CHECK(d.out == "* 100 EXISTS\r\nn OK done\r\n");
}

TEST_CASE("imap::server a burst of held updates is not kept once sent", "[imap][server][limits]") {
  driver d;
  d.login_select();
  d.send("f FETCH 1 FLAGS\r\n");
  const std::size_t before = d.s.memory_used();
  for (int i = 0; i < 3000; ++i) REQUIRE(d.s.notify_expunge(1) == errc::ok);
  CHECK(d.s.held_updates() == 3000 * std::string("* 1 EXPUNGE\r\n").size());
  const std::size_t holding = d.s.memory_used();
  CHECK(holding >= before + d.s.held_updates());
  REQUIRE(d.s.complete("f", imap::status_kind::ok, "done") == errc::ok);
  d.pump();
  d.take_output();
  d.send("n NOOP\r\n");  // sends them
  CHECK(d.s.held_updates() == 0);
  CHECK(d.s.memory_used() + 3000 * std::string("* 1 EXPUNGE\r\n").size() <= holding);
}
