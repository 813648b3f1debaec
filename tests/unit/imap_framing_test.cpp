#include <mailwire/imap/framing.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "quote.hpp"

using mailwire::errc;
using mailwire::imap::frame_event;
using mailwire::imap::frame_event_type;
using mailwire::imap::frame_options;
using mailwire::imap::frame_reader;
using mailwire::imap::frame_side;
using mailwire::imap::literal_kind;
using mailwire_test::chunks;
using mailwire_test::quote;
using namespace std::string_literals;

namespace {

const char* kind_name(literal_kind k) {
  switch (k) {
    case literal_kind::synchronizing: return "sync";
    case literal_kind::non_synchronizing: return "nonsync";
    case literal_kind::binary: return "binary";
    case literal_kind::binary_non_synchronizing: return "binary_nonsync";
  }
  return "?";
}

// A text for the log: whole when short, else its ends and its size (a log
// quoting every prefix of a 10^5-literal message would be quadratic).
std::string brief(std::string_view s) {
  if (s.size() <= 160) return quote(s);
  return quote(s.substr(0, 60)) + "..." + std::to_string(s.size()) + "..." + quote(s.substr(s.size() - 60));
}

// The most storage a reader with these options may hold: the receive
// buffer (byte_buffer keeps within about 3x its live bytes), the message
// text (a std::string doubles), the kept tag, the streamed-literal list.
std::size_t memory_bound(const frame_options& o) {
  const std::size_t buffer = o.max_buffered > o.max_line ? o.max_buffered : o.max_line;
  return 4 * buffer + 2 * o.max_message + 2 * o.max_line + 2 * sizeof(std::size_t) * o.max_literals + 4096;
}

// Feeds the chunks the way a session does (feed what fits, drain events,
// feed the rest), finishes, and logs every event. Each literal event is
// answered by the next letter of `answers` (cycling): 'i' read_literal(),
// 's' stream_literal(), 'r' refuse_literal(), 'n' no answer (next()
// decides). A streamed body is logged once, whole, at literal_end, so the
// log does not depend on the chunking.
struct runner {
  frame_options o;
  std::string answers = "i";
  std::size_t max_memory = 0;

  std::string operator()(const chunks& ch) {
    frame_reader r(o);
    std::string log;
    std::size_t literals = 0;
    std::string body;
    std::uint64_t body_next = 0;
    bool streaming = false;
    auto drain = [&]() -> bool {
      for (;;) {
        const frame_event e = r.next();
        max_memory = r.memory_used() > max_memory ? r.memory_used() : max_memory;
        const std::string at = "@" + std::to_string(e.offset) + " ";
        switch (e.type) {
          case frame_event_type::need_more:
            return false;
          case frame_event_type::message: {
            log += "message " + at + quote(e.tag) + " " + brief(e.text);
            if (!r.streamed_literals().empty()) {
              log += " streamed=";
              for (std::size_t s : r.streamed_literals()) log += std::to_string(s) + ",";
            }
            log += "\n";
            break;
          }
          case frame_event_type::literal: {
            log += "literal " + at + quote(e.tag) + " " + std::to_string(e.size) + " " + kind_name(e.kind) + " " +
                   brief(e.text) + "\n";
            const std::size_t text_size = e.text.size();  // e.text is not valid after an answer
            const char a = answers[literals++ % answers.size()];
            errc rc = errc::ok;
            if (a == 'i') rc = r.read_literal();
            if (a == 's') {
              rc = r.stream_literal();
              REQUIRE(rc == errc::ok);
              streaming = true;
              body.clear();
              // The body starts after the announcement (listed in
              // streamed_literals()) and its CRLF.
              body_next = e.offset + (text_size - r.streamed_literals().back()) + 2;
            }
            if (a == 'r') rc = r.refuse_literal();
            if (rc != errc::ok) log += "  answer " + std::string(1, a) + ": " + std::string(mailwire::to_name(rc)) + "\n";
            // A second answer is refused.
            if (a != 'n' && rc == errc::ok) REQUIRE(r.refuse_literal() == errc::invalid_state);
            break;
          }
          case frame_event_type::literal_chunk:
            REQUIRE(streaming);
            REQUIRE(!e.text.empty());
            REQUIRE(e.offset == body_next);
            body.append(e.text.data(), e.text.size());
            body_next += e.text.size();
            break;
          case frame_event_type::literal_end:
            REQUIRE(streaming);
            REQUIRE(e.offset == body_next);
            log += "streamed " + quote(e.tag) + " " + quote(body) + " end " + at + "\n";
            streaming = false;
            body.clear();
            break;
          case frame_event_type::error:
            log += "error " + at + std::string(mailwire::to_name(e.error)) + " " + quote(e.tag) + "\n";
            break;
          case frame_event_type::end:
            log += "end\n";
            return true;
        }
      }
    };
    for (std::string_view c : ch) {
      while (!c.empty()) {
        const std::size_t n = r.feed(c);
        c.remove_prefix(n);
        REQUIRE(!drain());
        if (n == 0) {
          // The reader drained events but took nothing: it must take
          // something now, or it would stall.
          REQUIRE(r.feed(c.substr(0, 1)) == 1);
          c.remove_prefix(1);
          REQUIRE(!drain());
        }
      }
    }
    r.finish();
    REQUIRE(r.feed("x") == 0);
    REQUIRE(drain());
    REQUIRE(r.next().type == frame_event_type::end);
    REQUIRE(r.read_literal() == errc::invalid_state);
    REQUIRE(max_memory <= memory_bound(o));
    return log;
  }
};

// The events for `in`, the same whole, at every split and byte by byte.
std::string frames(std::string_view in, const frame_options& o = {}, std::string answers = "i") {
  runner run{o, std::move(answers)};
  return mailwire_test::grind(in, [&](const chunks& ch) { return run(ch); });
}

frame_options client_options() {
  frame_options o;
  o.side = frame_side::client;
  return o;
}

frame_options plus_options() {
  frame_options o;
  o.literal_plus = true;
  o.binary = true;
  return o;
}

}  // namespace

TEST_CASE("imap framing: plain lines", "[imap][framing]") {
  CHECK(frames("A1 NOOP\r\n* OK hi there\r\n+ go ahead\r\nDONE\r\n\r\n") ==
        "message @0 \"A1\" \"A1 NOOP\"\n"
        "message @9 \"*\" \"* OK hi there\"\n"
        "message @24 \"+\" \"+ go ahead\"\n"
        "message @36 \"DONE\" \"DONE\"\n"
        "message @42 \"\" \"\"\n"
        "end\n");
  // Braces that do not end a line are text, and so are words in braces.
  CHECK(frames("A1 SEARCH {5} X\r\nA2 X {abc}\r\nA3 X {5}Y\r\n") ==
        "message @0 \"A1\" \"A1 SEARCH {5} X\"\n"
        "message @17 \"A2\" \"A2 X {abc}\"\n"
        "message @29 \"A3\" \"A3 X {5}Y\"\n"
        "end\n");
  // 8-bit bytes are the grammar's business.
  CHECK(frames("A1 SELECT \xC3\xA9t\xC3\xA9\r\n") == "message @0 \"A1\" \"A1 SELECT \\xC3\\xA9t\\xC3\\xA9\"\nend\n");
  CHECK(frames("") == "end\n");
}

TEST_CASE("imap framing: every literal kind read inline", "[imap][framing]") {
  CHECK(frames("A1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\nA2 APPEND INBOX ~{3}\r\na\0b\r\nA3 APPEND INBOX ~{2+}\r\n\r\n\r\n"s,
               plus_options()) ==
        "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\n"
        "literal @20 \"A1\" 6 nonsync \"A1 LOGIN {5}\\r\\nalice {6+}\"\n"
        "message @0 \"A1\" \"A1 LOGIN {5}\\r\\nalice {6+}\\r\\nsecret\"\n"
        "literal @50 \"A2\" 3 binary \"A2 APPEND INBOX ~{3}\"\n"
        "message @34 \"A2\" \"A2 APPEND INBOX ~{3}\\r\\na\\x00b\"\n"
        "literal @77 \"A3\" 2 binary_nonsync \"A3 APPEND INBOX ~{2+}\"\n"
        "message @61 \"A3\" \"A3 APPEND INBOX ~{2+}\\r\\n\\r\\n\"\n"
        "end\n");
}

TEST_CASE("imap framing: every literal kind streamed", "[imap][framing]") {
  CHECK(frames("A1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\nA2 APPEND INBOX ~{3}\r\na\0b\r\nA3 APPEND INBOX ~{2+}\r\n\r\n\r\n"s,
               plus_options(), "s") ==
        "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\n"
        "streamed \"A1\" \"alice\" end @19 \n"
        "literal @20 \"A1\" 6 nonsync \"A1 LOGIN {5}\\r\\n {6+}\"\n"
        "streamed \"A1\" \"secret\" end @32 \n"
        "message @0 \"A1\" \"A1 LOGIN {5}\\r\\n {6+}\\r\\n\" streamed=9,15,\n"
        "literal @50 \"A2\" 3 binary \"A2 APPEND INBOX ~{3}\"\n"
        "streamed \"A2\" \"a\\x00b\" end @59 \n"
        "message @34 \"A2\" \"A2 APPEND INBOX ~{3}\\r\\n\" streamed=16,\n"
        "literal @77 \"A3\" 2 binary_nonsync \"A3 APPEND INBOX ~{2+}\"\n"
        "streamed \"A3\" \"\\r\\n\" end @86 \n"
        "message @61 \"A3\" \"A3 APPEND INBOX ~{2+}\\r\\n\" streamed=16,\n"
        "end\n");
  // Client side: FETCH bodies, as a client streams them.
  frame_options c = client_options();
  c.binary = true;
  CHECK(frames("* 1 FETCH (BODY[] {5}\r\nhello BINARY[] ~{2}\r\n\0\x01)\r\n* 2 EXISTS\r\n"s, c, "s") ==
        "literal @18 \"*\" 5 sync \"* 1 FETCH (BODY[] {5}\"\n"
        "streamed \"*\" \"hello\" end @28 \n"
        "literal @38 \"*\" 2 binary \"* 1 FETCH (BODY[] {5}\\r\\n BINARY[] ~{2}\"\n"
        "streamed \"*\" \"\\x00\\x01\" end @46 \n"
        "message @0 \"*\" \"* 1 FETCH (BODY[] {5}\\r\\n BINARY[] ~{2}\\r\\n)\" streamed=18,33,\n"
        "message @49 \"*\" \"* 2 EXISTS\"\n"
        "end\n");
}

TEST_CASE("imap framing: zero-length literals", "[imap][framing]") {
  const std::string in = "A1 LOGIN {0}\r\n {0}\r\n\r\n";
  CHECK(frames(in) ==
        "literal @9 \"A1\" 0 sync \"A1 LOGIN {0}\"\n"
        "literal @15 \"A1\" 0 sync \"A1 LOGIN {0}\\r\\n {0}\"\n"
        "message @0 \"A1\" \"A1 LOGIN {0}\\r\\n {0}\\r\\n\"\n"
        "end\n");
  CHECK(frames(in, {}, "s") ==
        "literal @9 \"A1\" 0 sync \"A1 LOGIN {0}\"\n"
        "streamed \"A1\" \"\" end @14 \n"
        "literal @15 \"A1\" 0 sync \"A1 LOGIN {0}\\r\\n {0}\"\n"
        "streamed \"A1\" \"\" end @20 \n"
        "message @0 \"A1\" \"A1 LOGIN {0}\\r\\n {0}\\r\\n\" streamed=9,15,\n"
        "end\n");
}

TEST_CASE("imap framing: several literals in one command (MULTIAPPEND, CATENATE)", "[imap][framing]") {
  frame_options o = plus_options();
  const std::string in =
      "A1 APPEND saved (\\Seen) {3}\r\nabc (\\Draft) {2+}\r\nde\r\n"
      "A2 APPEND Drafts CATENATE (URL \"/INBOX;UID=1\" TEXT {4+}\r\n\r\nxy)\r\n";
  CHECK(frames(in, o, "si") ==
        "literal @24 \"A1\" 3 sync \"A1 APPEND saved (\\\\Seen) {3}\"\n"
        "streamed \"A1\" \"abc\" end @32 \n"
        "literal @42 \"A1\" 2 nonsync \"A1 APPEND saved (\\\\Seen) {3}\\r\\n (\\\\Draft) {2+}\"\n"
        "message @0 \"A1\" \"A1 APPEND saved (\\\\Seen) {3}\\r\\n (\\\\Draft) {2+}\\r\\nde\" streamed=24,\n"
        "literal @103 \"A2\" 4 nonsync \"A2 APPEND Drafts CATENATE (URL \\\"/INBOX;UID=1\\\" TEXT {4+}\"\n"
        "streamed \"A2\" \"\\r\\nxy\" end @113 \n"
        "message @52 \"A2\" \"A2 APPEND Drafts CATENATE (URL \\\"/INBOX;UID=1\\\" TEXT {4+}\\r\\n)\" streamed=51,\n"
        "end\n");
}

TEST_CASE("imap framing: refused literals", "[imap][framing]") {
  SECTION("synchronizing, server side: the client sends nothing more of it") {
    CHECK(frames("A1 LOGIN {5}\r\nA2 NOOP\r\n", {}, "r") ==
          "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\n"
          "message @14 \"A2\" \"A2 NOOP\"\n"
          "end\n");
  }
  SECTION("non-synchronizing: drained exactly, never parsed, the rest of the message too") {
    frame_options o = plus_options();
    CHECK(frames("A1 LOGIN {12+}\r\nA9 DELETE x\r {3+}\r\n\r\nA {2}\r\nA2 NOOP\r\n", o, "r") ==
          "literal @9 \"A1\" 12 nonsync \"A1 LOGIN {12+}\"\n"
          "message @44 \"A2\" \"A2 NOOP\"\n"
          "end\n");
  }
  SECTION("client side: every body follows at once, so it is drained") {
    CHECK(frames("* 1 FETCH (BODY[] {5}\r\n* 2 X BODY[1] {3}\r\n* 3)\r\n* 2 EXISTS\r\n", client_options(), "r") ==
          "literal @18 \"*\" 5 sync \"* 1 FETCH (BODY[] {5}\"\n"
          "message @48 \"*\" \"* 2 EXISTS\"\n"
          "end\n");
  }
  SECTION("refusing the second literal drops what was read of the message") {
    CHECK(frames("A1 LOGIN {5}\r\nalice {6}\r\nA2 NOOP\r\n", {}, "ir") ==
          "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\n"
          "literal @20 \"A1\" 6 sync \"A1 LOGIN {5}\\r\\nalice {6}\"\n"
          "message @25 \"A2\" \"A2 NOOP\"\n"
          "end\n");
  }
}

TEST_CASE("imap framing: an unanswered literal is read inline when it fits, else refused", "[imap][framing]") {
  frame_options o;
  o.max_inline_literal = 5;
  CHECK(frames("A1 LOGIN {5}\r\nalice {6}\r\nA2 NOOP\r\n", o, "n") ==
        "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\n"
        "literal @20 \"A1\" 6 sync \"A1 LOGIN {5}\\r\\nalice {6}\"\n"
        "error @20 imap_literal_too_big \"A1\"\n"
        "message @25 \"A2\" \"A2 NOOP\"\n"
        "end\n");
}

TEST_CASE("imap framing: max_line just under and just over", "[imap][framing]") {
  frame_options o;
  o.max_line = 10;
  CHECK(frames("A1 ABCDE\r\nA2 NOOP\r\n", o) == "message @0 \"A1\" \"A1 ABCDE\"\nmessage @10 \"A2\" \"A2 NOOP\"\nend\n");
  CHECK(frames("A1 ABCDEF\r\nA2 NOOP\r\n", o) ==
        "error @0 line_too_long \"A1\"\nmessage @11 \"A2\" \"A2 NOOP\"\nend\n");
  // No space in the first max_line bytes: the tag is not known.
  CHECK(frames("ABCDEFGHIJKL\r\nA2 NOOP\r\n", o) == "error @0 line_too_long \"\"\nmessage @14 \"A2\" \"A2 NOOP\"\nend\n");
  // Each stretch between literal bodies is a line of its own.
  o.max_line = 12;
  CHECK(frames("A1 X {12}\r\n0123456789ab 123456789\r\n", o) ==
        "literal @5 \"A1\" 12 sync \"A1 X {12}\"\n"
        "message @0 \"A1\" \"A1 X {12}\\r\\n0123456789ab 123456789\"\n"
        "end\n");
  CHECK(frames("A1 X {12}\r\n0123456789ab 1234567890\r\nA2 NOOP\r\n", o) ==
        "literal @5 \"A1\" 12 sync \"A1 X {12}\"\n"
        "error @23 line_too_long \"A1\"\n"
        "message @36 \"A2\" \"A2 NOOP\"\n"
        "end\n");
  // An announcement may come at the very end of a line at the limit...
  CHECK(frames("A1 X {3+}\r\nabc\r\n", [&] { frame_options p = o; p.literal_plus = true; return p; }()) ==
        "literal @5 \"A1\" 3 nonsync \"A1 X {3+}\"\n"
        "message @0 \"A1\" \"A1 X {3+}\\r\\nabc\"\n"
        "end\n");
  // ...and a line too long that ends in a non-synchronizing one has its
  // body drained (a body is never read as commands)...
  CHECK(frames("A1 XYZW {3+}\r\nA9 \r\nA2 NOOP\r\n", [&] { frame_options p = o; p.literal_plus = true; return p; }()) ==
        "error @0 line_too_long \"A1\"\n"
        "message @19 \"A2\" \"A2 NOOP\"\n"
        "end\n");
  // ...while a synchronizing one ends the message (the client waits for "+").
  CHECK(frames("A1 XYZWV {3}\r\nA2 NOOP\r\n", o) ==
        "error @0 line_too_long \"A1\"\n"
        "message @14 \"A2\" \"A2 NOOP\"\n"
        "end\n");
}

TEST_CASE("imap framing: max_message just under and just over", "[imap][framing]") {
  frame_options o = client_options();
  // 21 + 2 + 5 + 3 = 31 bytes of message.
  const std::string in = "* 1 FETCH (BODY[] {5}\r\nhello)\r\n* 2 EXISTS\r\n";
  o.max_message = 31;
  CHECK(frames(in, o) ==
        "literal @18 \"*\" 5 sync \"* 1 FETCH (BODY[] {5}\"\n"
        "message @0 \"*\" \"* 1 FETCH (BODY[] {5}\\r\\nhello)\"\n"
        "message @31 \"*\" \"* 2 EXISTS\"\n"
        "end\n");
  // One byte less: the literal still fits with a CRLF after it, the line
  // after it does not.
  o.max_message = 30;
  CHECK(frames(in, o) ==
        "literal @18 \"*\" 5 sync \"* 1 FETCH (BODY[] {5}\"\n"
        "error @28 line_too_long \"*\"\n"
        "message @31 \"*\" \"* 2 EXISTS\"\n"
        "end\n");
  // Two less: the literal does not fit; refused, its body is drained.
  o.max_message = 29;
  CHECK(frames(in, o) ==
        "literal @18 \"*\" 5 sync \"* 1 FETCH (BODY[] {5}\"\n"
        "  answer i: imap_literal_too_big\n"
        "error @18 imap_literal_too_big \"*\"\n"
        "message @31 \"*\" \"* 2 EXISTS\"\n"
        "end\n");
  // Streamed bodies do not count.
  o.max_message = 26;
  CHECK(frames(in, o, "s") ==
        "literal @18 \"*\" 5 sync \"* 1 FETCH (BODY[] {5}\"\n"
        "streamed \"*\" \"hello\" end @28 \n"
        "message @0 \"*\" \"* 1 FETCH (BODY[] {5}\\r\\n)\" streamed=18,\n"
        "message @31 \"*\" \"* 2 EXISTS\"\n"
        "end\n");
  // A one-line message against max_message.
  o.max_message = 12;
  CHECK(frames("* 2 EXISTS\r\n", o) == "message @0 \"*\" \"* 2 EXISTS\"\nend\n");
  o.max_message = 11;
  CHECK(frames("* 2 EXISTS\r\n", o) == "error @0 line_too_long \"*\"\nend\n");
}

TEST_CASE("imap framing: max_inline_literal just under and just over", "[imap][framing]") {
  frame_options o;
  o.max_inline_literal = 5;
  CHECK(frames("A1 LOGIN {5}\r\nalice\r\n", o) ==
        "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\n"
        "message @0 \"A1\" \"A1 LOGIN {5}\\r\\nalice\"\n"
        "end\n");
  // Over: read_literal() refuses and changes nothing, so another answer
  // (here none: next() refuses it) still counts.
  CHECK(frames("A1 LOGIN {6}\r\nA2 NOOP\r\n", o) ==
        "literal @9 \"A1\" 6 sync \"A1 LOGIN {6}\"\n"
        "  answer i: imap_literal_too_big\n"
        "error @9 imap_literal_too_big \"A1\"\n"
        "message @14 \"A2\" \"A2 NOOP\"\n"
        "end\n");
  frame_reader r(o);
  r.feed("A1 LOGIN {6}\r\nsecret\r\n");
  REQUIRE(r.next().type == frame_event_type::literal);
  CHECK(r.read_literal() == errc::imap_literal_too_big);
  CHECK(r.stream_literal() == errc::ok);
  const frame_event e = r.next();
  CHECK(e.type == frame_event_type::literal_chunk);
  CHECK(e.text == "secret");
}

TEST_CASE("imap framing: max_literals just under and just over", "[imap][framing]") {
  frame_options o = plus_options();
  o.max_literals = 3;
  CHECK(frames("A1 X {0+}\r\n {0+}\r\n {0+}\r\n\r\n", o) ==
        "literal @5 \"A1\" 0 nonsync \"A1 X {0+}\"\n"
        "literal @12 \"A1\" 0 nonsync \"A1 X {0+}\\r\\n {0+}\"\n"
        "literal @19 \"A1\" 0 nonsync \"A1 X {0+}\\r\\n {0+}\\r\\n {0+}\"\n"
        "message @0 \"A1\" \"A1 X {0+}\\r\\n {0+}\\r\\n {0+}\\r\\n\"\n"
        "end\n");
  CHECK(frames("A1 X {0+}\r\n {0+}\r\n {0+}\r\n {1+}\r\nA {2+}\r\nB2\r\nA2 NOOP\r\n", o) ==
        "literal @5 \"A1\" 0 nonsync \"A1 X {0+}\"\n"
        "literal @12 \"A1\" 0 nonsync \"A1 X {0+}\\r\\n {0+}\"\n"
        "literal @19 \"A1\" 0 nonsync \"A1 X {0+}\\r\\n {0+}\\r\\n {0+}\"\n"
        "error @26 imap_too_many_literals \"A1\"\n"
        "message @44 \"A2\" \"A2 NOOP\"\n"
        "end\n");
  // The count is per message.
  CHECK(frames("A1 X {0+}\r\n {0+}\r\n {0+}\r\n\r\nA2 X {0+}\r\n\r\n", o).find("error") == std::string::npos);
}

TEST_CASE("imap framing: LITERAL+ and LITERAL-", "[imap][framing]") {
  const std::string body4096(4096, 'x');
  const std::string body4097 = body4096 + "\r\nA9 LOGOUT\r\n";  // 4109 bytes: a body, never commands
  frame_options minus;
  minus.literal_minus = true;
  runner run{minus, "i"};
  CHECK(run({"A1 APPEND x {4096+}\r\n" + body4096 + "\r\nA2 NOOP\r\n"}) ==
        "literal @12 \"A1\" 4096 nonsync \"A1 APPEND x {4096+}\"\n"
        "message @0 \"A1\" " + brief("A1 APPEND x {4096+}\r\n" + body4096) + "\n"
        "message @4119 \"A2\" \"A2 NOOP\"\n"
        "end\n");
  // Over 4096 under LITERAL-: refused, and drained exactly (RFC 7888 4).
  const std::string over = "A1 APPEND x {4109+}\r\n" + body4097 + ")\r\nA2 NOOP\r\n";
  const std::string want_over = "error @12 imap_bad_literal \"A1\"\nmessage @4133 \"A2\" \"A2 NOOP\"\nend\n";
  CHECK(run({over}) == want_over);
  for (std::size_t split = 0; split < over.size(); split += 7) {
    INFO(split);
    CHECK(run({over.substr(0, split), over.substr(split)}) == want_over);
  }
  // LITERAL+: any size.
  frame_options plus;
  plus.literal_plus = true;
  CHECK(frames("A1 X {5+}\r\nhello\r\n", plus) ==
        "literal @5 \"A1\" 5 nonsync \"A1 X {5+}\"\nmessage @0 \"A1\" \"A1 X {5+}\\r\\nhello\"\nend\n");
  runner run_plus{plus, "r"};
  CHECK(run_plus({over}) == "literal @12 \"A1\" 4109 nonsync \"A1 APPEND x {4109+}\"\nmessage @4133 \"A2\" \"A2 NOOP\"\nend\n");
  // Neither: "{n+}" is refused and drained.
  CHECK(frames("A1 X {6+}\r\nA9 X\r\n\r\nA2 NOOP\r\n") ==
        "error @5 imap_bad_literal \"A1\"\nmessage @19 \"A2\" \"A2 NOOP\"\nend\n");
  // Binary without BINARY: refused; synchronizing, so the message ends.
  CHECK(frames("A1 APPEND x ~{3}\r\nA2 NOOP\r\n") == "error @12 imap_bad_literal \"A1\"\nmessage @18 \"A2\" \"A2 NOOP\"\nend\n");
  CHECK(frames("A1 APPEND x ~{3+}\r\nabc\r\nA2 NOOP\r\n", plus) ==
        "error @12 imap_bad_literal \"A1\"\nmessage @24 \"A2\" \"A2 NOOP\"\nend\n");
}

TEST_CASE("imap framing: literal lengths", "[imap][framing]") {
  // The largest length is an event (nothing reserved); here refused.
  CHECK(frames("A1 X {18446744073709551615}\r\nA2 NOOP\r\n", {}, "n") ==
        "literal @5 \"A1\" 18446744073709551615 sync \"A1 X {18446744073709551615}\"\n"
        "error @5 imap_literal_too_big \"A1\"\n"
        "message @29 \"A2\" \"A2 NOOP\"\n"
        "end\n");
  CHECK(frames("A1 X {18446744073709551616}\r\nA2 NOOP\r\n") ==
        "error @5 imap_bad_literal \"A1\"\nmessage @29 \"A2\" \"A2 NOOP\"\nend\n");
  CHECK(frames("A1 X {000000000000000000005}\r\nA2 NOOP\r\n") ==
        "error @5 imap_bad_literal \"A1\"\nmessage @30 \"A2\" \"A2 NOOP\"\nend\n");
  CHECK(frames("A1 X {00000000000000000005}\r\nabcde\r\n") ==
        "literal @5 \"A1\" 5 sync \"A1 X {00000000000000000005}\"\n"
        "message @0 \"A1\" \"A1 X {00000000000000000005}\\r\\nabcde\"\n"
        "end\n");
  for (const char* bad : {"{1a}", "{ 1}", "{-1}", "{}", "{+}", "{+5}", "{1 }", "{5++}", "{0x5}", "~{}", "{1}}"}) {
    INFO(bad);
    CHECK(frames(std::string("A1 X ") + bad + "\r\nA2 NOOP\r\n") ==
          "error @5 imap_bad_literal \"A1\"\nmessage @" + std::to_string(7 + std::strlen(bad)) +
              " \"A2\" \"A2 NOOP\"\nend\n");
  }
  // A valid announcement after a stray "{".
  CHECK(frames("A1 X {{2}\r\nab\r\n") ==
        "literal @6 \"A1\" 2 sync \"A1 X {{2}\"\nmessage @0 \"A1\" \"A1 X {{2}\\r\\nab\"\nend\n");
}

TEST_CASE("imap framing: the client side refuses {n+}", "[imap][framing]") {
  frame_options o = client_options();
  o.literal_plus = true;  // a server-side option: no effect here
  CHECK(frames("* 1 FETCH (BODY[] {5+}\r\n* 9 X)\r\n* 2 EXISTS\r\n", o) ==
        "error @18 imap_bad_literal \"*\"\nmessage @32 \"*\" \"* 2 EXISTS\"\nend\n");
  // "~{n}" from a server needs binary; its body follows anyway.
  CHECK(frames("* 1 FETCH (BINARY[] ~{5}\r\n* 9 X)\r\n* 2 EXISTS\r\n", client_options()) ==
        "error @20 imap_bad_literal \"*\"\nmessage @34 \"*\" \"* 2 EXISTS\"\nend\n");
}

TEST_CASE("imap framing: NUL, bare CR and bare LF drop the message, with its tag", "[imap][framing]") {
  CHECK(frames("A1 NO\0OP\r\nA2 NOOP\r\n"s) == "error @5 nul_byte \"A1\"\nmessage @10 \"A2\" \"A2 NOOP\"\nend\n");
  CHECK(frames("A1 X\rY\r\nA2 NOOP\r\n") == "error @4 bare_cr \"A1\"\nmessage @8 \"A2\" \"A2 NOOP\"\nend\n");
  CHECK(frames("A1 X\r\r\nA2 NOOP\r\n") == "error @4 bare_cr \"A1\"\nmessage @7 \"A2\" \"A2 NOOP\"\nend\n");
  CHECK(frames("A1 X\nA2 NOOP\r\n") == "error @4 bare_lf \"A1\"\nmessage @5 \"A2\" \"A2 NOOP\"\nend\n");
  // The first offending byte is reported.
  CHECK(frames("A1 \0X\r\n"s) == "error @3 nul_byte \"A1\"\nend\n");
  CHECK(frames("A1 \rX\0\n"s) == "error @3 bare_cr \"A1\"\nend\n");
  // On a later line of the message: the whole message goes.
  CHECK(frames("A1 LOGIN {5}\r\nalice\0\r\nA2 NOOP\r\n"s) ==
        "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\nerror @19 nul_byte \"A1\"\nmessage @22 \"A2\" \"A2 NOOP\"\nend\n");
  // A NUL in a literal's body is the grammar's business (binary allows it).
  CHECK(frames("A1 LOGIN {1}\r\n\0\r\n"s) ==
        "literal @9 \"A1\" 1 sync \"A1 LOGIN {1}\"\nmessage @0 \"A1\" \"A1 LOGIN {1}\\r\\n\\x00\"\nend\n");
  // The offending line announces a body that will come: drained.
  frame_options plus = plus_options();
  CHECK(frames("A1 X\0 {3+}\r\nA9 \r\nA2 NOOP\r\n"s, plus) ==
        "error @4 nul_byte \"A1\"\nmessage @17 \"A2\" \"A2 NOOP\"\nend\n");
  CHECK(frames("A1 X {3+}\nabc\r\nA2 NOOP\r\n", plus) == "error @9 bare_lf \"A1\"\nmessage @15 \"A2\" \"A2 NOOP\"\nend\n");
  // ...or a synchronizing one on the server side: the message ends there.
  CHECK(frames("A1 X\0 {5}\r\nA2 NOOP\r\n"s) == "error @4 nul_byte \"A1\"\nmessage @11 \"A2\" \"A2 NOOP\"\nend\n");
}

TEST_CASE("imap framing: finish() mid-message gives truncated", "[imap][framing]") {
  CHECK(frames("A1 NOOP") == "error @7 truncated \"A1\"\nend\n");
  CHECK(frames("A1") == "error @2 truncated \"\"\nend\n");
  CHECK(frames("A1 NOOP\r") == "error @8 truncated \"A1\"\nend\n");
  CHECK(frames("A1 NOOP\r\n") == "message @0 \"A1\" \"A1 NOOP\"\nend\n");
  CHECK(frames("A1 LOGIN {5}\r\nal") == "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\nerror @16 truncated \"A1\"\nend\n");
  CHECK(frames("A1 LOGIN {5}\r\nalice") ==
        "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\nerror @19 truncated \"A1\"\nend\n");
  CHECK(frames("A1 LOGIN {5}\r\nal", {}, "s") ==
        "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\nerror @16 truncated \"A1\"\nend\n");
  CHECK(frames("A1 LOGIN {5}\r\n", {}, "s") ==
        "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\nerror @14 truncated \"A1\"\nend\n");
  // While a refused body is drained.
  CHECK(frames("* 1 FETCH (BODY[] {5}\r\nhel", client_options(), "r") ==
        "literal @18 \"*\" 5 sync \"* 1 FETCH (BODY[] {5}\"\nerror @26 truncated \"*\"\nend\n");
  // A refused synchronizing literal on the server side ended its message.
  CHECK(frames("A1 LOGIN {5}\r\n", {}, "r") == "literal @9 \"A1\" 5 sync \"A1 LOGIN {5}\"\nend\n");
}

TEST_CASE("imap framing: answers out of turn are refused", "[imap][framing]") {
  frame_reader r;
  CHECK(r.read_literal() == errc::invalid_state);
  CHECK(r.stream_literal() == errc::invalid_state);
  CHECK(r.refuse_literal() == errc::invalid_state);
  r.feed("A1 NOOP\r\n");
  CHECK(r.next().type == frame_event_type::message);
  CHECK(r.read_literal() == errc::invalid_state);
  CHECK(r.next().type == frame_event_type::need_more);
}

TEST_CASE("imap framing: a 4 GiB announcement reserves nothing", "[imap][framing]") {
  for (const frame_side side : {frame_side::server, frame_side::client}) {
    frame_options o;
    o.side = side;
    frame_reader r(o);
    const std::size_t before = r.memory_used();
    r.feed("A1 APPEND INBOX {4294967296}\r\n");
    frame_event e = r.next();
    REQUIRE(e.type == frame_event_type::literal);
    CHECK(e.size == 4294967296u);
    CHECK(r.memory_used() < before + 4096);
    CHECK(r.read_literal() == errc::imap_literal_too_big);
    CHECK(r.memory_used() < before + 4096);
    REQUIRE(r.refuse_literal() == errc::ok);
    if (side == frame_side::server) {
      r.feed("A2 NOOP\r\n");
      e = r.next();
      CHECK(e.type == frame_event_type::message);
      CHECK(e.text == "A2 NOOP");
    } else {
      // The body comes and is drained in bounded memory: 64 MiB of it here.
      const std::string mib(1 << 20, 'x');
      for (int i = 0; i < 64; ++i) {
        std::string_view c = mib;
        while (!c.empty()) {
          c.remove_prefix(r.feed(c));
          CHECK(r.next().type == frame_event_type::need_more);
        }
      }
    }
    CHECK(r.memory_used() < before + 4 * (64 << 10) + 4096);
  }
}

namespace {
// `in` in pieces of `size` bytes.
chunks pieces(std::string_view in, std::size_t size) {
  chunks c;
  for (std::size_t i = 0; i < in.size(); i += size) c.push_back(in.substr(i, size));
  return c;
}

// For inputs too big to grind at every split: whole and in pieces of a few
// sizes (byte by byte too when `bytewise`), all giving the same log.
std::string frames_big(std::string_view in, const frame_options& o, std::string answers, bool bytewise) {
  runner run{o, std::move(answers)};
  const std::string whole = run({in});
  std::vector<std::size_t> sizes = {4096, 65537, (1u << 20) + 3};
  if (bytewise) sizes.push_back(1);
  for (std::size_t size : sizes) {
    INFO("pieces of " << size);
    REQUIRE(run(pieces(in, size)) == whole);
  }
  CHECK(run.max_memory <= memory_bound(o));
  return whole;
}
}  // namespace

TEST_CASE("imap framing: a 32 MiB line is refused in bounded memory, and the next command parses", "[imap][framing]") {
  const std::string junk(32u << 20, 'x');
  frame_options o = plus_options();
  CHECK(frames_big("A1 " + junk + "\r\nA2 NOOP\r\n", o, "i", false) ==
        "error @0 line_too_long \"A1\"\nmessage @33554437 \"A2\" \"A2 NOOP\"\nend\n");
  // Ending in a non-synchronizing announcement: its body is drained, not
  // read as a command.
  CHECK(frames_big("A1 " + junk + " {6+}\r\nA9 X\r\n\r\nA2 NOOP\r\n", o, "i", false) ==
        "error @0 line_too_long \"A1\"\nmessage @33554450 \"A2\" \"A2 NOOP\"\nend\n");
  // Ending in a synchronizing one: the message ends there.
  CHECK(frames_big("A1 " + junk + " {6}\r\nA2 NOOP\r\n", o, "i", false) ==
        "error @0 line_too_long \"A1\"\nmessage @33554441 \"A2\" \"A2 NOOP\"\nend\n");
}

TEST_CASE("imap framing: 10^5 zero-length literals in one command, linear, stopped at max_literals", "[imap][framing]") {
  std::string in = "A1 X";
  for (int i = 0; i < 100000; ++i) in += " {0+}\r\n";
  in += "\r\nA2 NOOP\r\n";
  frame_options o = plus_options();
  for (const char* answers : {"i", "s", "n"}) {
    INFO(answers);
    const std::string log = frames_big(in, o, answers, true);
    std::size_t literal_events = 0;
    for (std::size_t at = log.find("literal @"); at != std::string::npos; at = log.find("literal @", at + 1)) {
      ++literal_events;
    }
    CHECK(literal_events == mailwire::limits::imap_literals);
    CHECK(log.find("error @" + std::to_string(4 + 1 + 7 * mailwire::limits::imap_literals) +
                   " imap_too_many_literals \"A1\"\nmessage @" + std::to_string(in.size() - 9) +
                   " \"A2\" \"A2 NOOP\"\nend\n") != std::string::npos);
  }
  // A client reading 10^5 "{0}" in one response, with the limit raised
  // past them: all read, linear too.
  std::string resp = "* 1 FETCH (X";
  for (int i = 0; i < 100000; ++i) resp += " {0}\r\n";
  resp += ")\r\n";
  frame_options c = client_options();
  c.max_literals = 100000;
  const std::string log = frames_big(resp, c, "i", true);
  CHECK(log.find("error") == std::string::npos);
  CHECK(log.find("message @0 \"*\" \"* 1 FETCH (X {0}\\r\\n {0}") != std::string::npos);
  c.max_literals = 99999;
  CHECK(frames_big(resp, c, "i", false).find("imap_too_many_literals") != std::string::npos);
}

TEST_CASE("imap framing: random inputs give the same events at every split", "[imap][framing]") {
  // Pieces that make announcements, near-announcements, line ends and
  // errors collide often.
  const std::vector<std::string> alphabet = {"A1 ", "* ", "{", "}", "+", "~", "0", "3", "\r\n", "\r", "\n",
                                             std::string(1, '\0'), "x", " ", "{2}\r\n", "{1+}\r\n", "~{0}\r\n", "12"};
  std::mt19937 rng(13);
  for (int round = 0; round < 300; ++round) {
    std::string in;
    const int n = 1 + static_cast<int>(rng() % 14);
    for (int i = 0; i < n; ++i) in += alphabet[rng() % alphabet.size()];
    frame_options o;
    o.side = (rng() & 1) != 0 ? frame_side::server : frame_side::client;
    o.literal_plus = (rng() & 1) != 0;
    o.literal_minus = (rng() & 1) != 0;
    o.binary = (rng() & 1) != 0;
    o.max_line = 4 + rng() % 12;
    o.max_message = 4 + rng() % 30;
    o.max_inline_literal = rng() % 4;
    o.max_literals = rng() % 4;
    const std::string answers[] = {"i", "s", "r", "n", "isrn"};
    INFO(quote(in));
    frames(in, o, answers[rng() % 5]);
  }
}
