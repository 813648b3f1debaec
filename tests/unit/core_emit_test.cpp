// detail::emit and detail::wire_sink: the one emit point every protocol's
// serialiser goes through. A field with CR, LF or NUL, free text with a
// control character, or a producer's fail() queue nothing; otherwise the
// bytes measured are exactly the bytes written.
#include <mailwire/core/emit.hpp>

#include <string>
#include <string_view>

#include "catch.hpp"

using mailwire::errc;
using mailwire::output_queue;
using mailwire::detail::emit;
using mailwire::detail::wire_sink;

TEST_CASE("emit: fields, numbers, text and line ends in one pass each") {
  output_queue out;
  out.append("before|");
  const errc e = emit(out, [](wire_sink& s) {
    s.put("A1 LOGIN");
    s.put(' ');
    s.number(0);
    s.put(' ');
    s.number(18446744073709551615u);
    s.put(' ');
    s.put_text("caf\xC3\xA9\tdone");
    s.end_line();
  });
  CHECK(e == errc::ok);
  CHECK(out.pending() == "before|A1 LOGIN 0 18446744073709551615 caf\xC3\xA9\tdone\r\n");
}

TEST_CASE("emit: CR, LF or NUL in a field queues nothing") {
  for (const std::string_view field :
       {std::string_view("a\rb"), std::string_view("a\nb"), std::string_view("a\0b", 3), std::string_view("\r\n")}) {
    output_queue out;
    CHECK(emit(out, [&](wire_sink& s) {
            s.put("ok ");
            s.put(field);
            s.end_line();
          }) == errc::invalid_argument);
    CHECK(out.empty());
    for (const char c : field) {
      if (c != '\r' && c != '\n' && c != '\0') continue;
      CHECK(emit(out, [&](wire_sink& s) { s.put(c); }) == errc::invalid_argument);
      CHECK(out.empty());
    }
  }
  // the same bytes in put_text() are refused too; DEL and ESC as well
  for (const std::string_view text : {std::string_view("a\rb"), std::string_view("a\0b", 3),
                                      std::string_view("\x7F"), std::string_view("\x1B[0m")}) {
    output_queue out;
    CHECK(emit(out, [&](wire_sink& s) { s.put_text(text); }) == errc::invalid_argument);
    CHECK(out.empty());
  }
}

TEST_CASE("emit: a producer's fail() queues nothing, wherever it comes") {
  output_queue out;
  out.append("kept");
  CHECK(emit(out, [](wire_sink& s) {
          s.put("first line");
          s.end_line();
          s.put("second");
          s.fail();
          s.end_line();
        }) == errc::invalid_argument);
  CHECK(out.pending() == "kept");
  CHECK(emit(out, [](wire_sink&) {}) == errc::ok);  // nothing to write is fine
  CHECK(out.pending() == "kept");
}

TEST_CASE("wire_sink: both passes count the same bytes") {
  auto produce = [](wire_sink& s) {
    s.put("x");
    s.number(12345);
    s.put_text(" t");
    s.end_line();
  };
  wire_sink measure;
  produce(measure);
  REQUIRE_FALSE(measure.failed());
  CHECK(measure.size() == 1 + 5 + 2 + 2);
  std::string buf(measure.size(), '#');
  wire_sink write(&buf[0]);
  produce(write);
  CHECK(write.size() == measure.size());
  CHECK(buf == "x12345 t\r\n");
}
