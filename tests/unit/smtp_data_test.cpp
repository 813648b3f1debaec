// smtp::data_reader and smtp::data_writer: the vectors (every smuggling
// sequence), and writer -> reader round trips at every split.
#include <mailwire/smtp/data.hpp>

#include <random>
#include <string>

#include "catch.hpp"
#include "grind.hpp"
#include "transcript.hpp"

using mailwire::errc;
using mailwire::recv_buffer;
using mailwire_test::chunks;
namespace smtp = mailwire::smtp;

namespace {

// Reads every message in the chunks; logs joined content and end events.
// Whatever is left after the last end is reported too, so nothing is lost.
mailwire_test::session_log read_messages(const smtp::data_options& o, const chunks& ch, std::size_t buffer = 64) {
  recv_buffer in(buffer);
  smtp::data_reader reader(o);
  mailwire_test::session_log log;
  std::string content;
  auto drain = [&] {
    for (;;) {
      const smtp::data_event e = reader.next(in);
      if (e.type == smtp::data_event_type::need_more) return;
      if (e.type == smtp::data_event_type::chunk) {
        REQUIRE_FALSE(e.bytes.empty());
        content.append(e.bytes.data(), e.bytes.size());
        REQUIRE(e.size == content.size());
        continue;
      }
      log.events.push_back("message " + mailwire_test::quote(e.error == errc::ok ? content : std::string()) +
                           " size=" + std::to_string(e.error == errc::ok ? e.size : 0));
      if (e.error == errc::ok) {
        log.events.push_back("end ok");
      } else {
        log.events.push_back("end " + std::string(mailwire::to_name(e.error)) + " off=" + std::to_string(e.error_offset));
      }
      content.clear();
    }
  };
  for (std::string_view c : ch) {
    while (!c.empty()) {
      c.remove_prefix(in.feed(c));
      drain();
    }
  }
  if (!content.empty() || !in.empty()) log.events.push_back("unfinished " + mailwire_test::quote(content));
  return log;
}

smtp::data_options options_of(const mailwire_test::transcript_case& c) {
  smtp::data_options o;
  o.max_size = c.number("max_size", 0);
  if (c.has("normalize")) o.bare_line_ends = smtp::line_end_policy::normalize;
  o.allow_nul = c.has("allow_nul");
  return o;
}

std::string write_all(const chunks& ch, smtp::line_end_policy p) {
  mailwire::output_queue out;
  smtp::data_writer w(p);
  for (std::string_view c : ch) REQUIRE(w.write(c, out) == errc::ok);
  w.finish(out);
  return std::string(out.pending());
}

}  // namespace

TEST_CASE("DATA reader vectors, every smuggling sequence") {
  for (const auto& c : mailwire_test::load_transcripts(MAILWIRE_VECTORS_DIR "/smtp/data.md")) {
    c.require_known({"max_size", "normalize", "allow_nul"});
    mailwire_test::run_transcript(c, 'C', [](const mailwire_test::transcript_case& tc, const chunks& ch) {
      return read_messages(options_of(tc), ch);
    });
  }
}

TEST_CASE("DATA writer stuffs dots and repairs line ends, and the reader undoes it") {
  const std::pair<const char*, const char*> cases[] = {
      {"", ".\r\n"},
      {"a", "a\r\n.\r\n"},
      {"a\r\n", "a\r\n.\r\n"},
      {".", "..\r\n.\r\n"},
      {".\r\n", "..\r\n.\r\n"},
      {"a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n"},
      {"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},       // bare LF: normalised, and the dot stuffed
      {"a\r.\r\nb", "a\r\n..\r\nb\r\n.\r\n"},     // bare CR: the same
      {"a\r", "a\r\n.\r\n"},
      {"\r\n.\r", "\r\n..\r\n.\r\n"},
      {"..x\r\n", "...x\r\n.\r\n"},
  };
  for (const auto& [in, want] : cases) {
    INFO(mailwire_test::quote(in));
    CHECK(mailwire_test::grind(in, [](const chunks& ch) { return write_all(ch, smtp::line_end_policy::normalize); }) ==
          want);
  }
}

TEST_CASE("DATA writer with reject refuses bare CR and LF, writing nothing of the chunk") {
  mailwire::output_queue out;
  smtp::data_writer w(smtp::line_end_policy::reject);
  CHECK(w.write("ok\r\n", out) == errc::ok);
  CHECK(w.write("bad\nline", out) == errc::bare_lf);
  CHECK(w.write("bad\rline", out) == errc::bare_cr);
  CHECK(w.write("x\r", out) == errc::ok);
  CHECK(w.write("y", out) == errc::bare_cr);  // the CR before was bare after all
  CHECK(out.pending() == "ok\r\nx");
}

TEST_CASE("DATA round trip: any content, written in any chunks, reads back normalised") {
  std::mt19937 rng(2024);
  const char alphabet[] = {'a', '.', '\r', '\n', ' '};
  for (int round = 0; round < 200; ++round) {
    std::string content(rng() % 40, '\0');
    for (char& c : content) c = alphabet[rng() % sizeof alphabet];
    INFO(mailwire_test::quote(content));
    const std::string wire =
        mailwire_test::grind(content, [](const chunks& ch) { return write_all(ch, smtp::line_end_policy::normalize); }, 20);
    // On the wire: no bare CR or LF, and the only CRLF.CRLF is the last.
    for (std::size_t i = 0; i < wire.size(); ++i) {
      if (wire[i] == '\r') REQUIRE(wire[i + 1] == '\n');
      if (wire[i] == '\n') REQUIRE(wire[i - 1] == '\r');
    }
    REQUIRE(("\r\n" + wire).find("\r\n.\r\n") == wire.size() - 3);
    // The reader gives back the content with its line ends repaired.
    std::string expected;
    for (std::size_t i = 0; i < content.size(); ++i) {
      if (content[i] == '\r') {
        expected += "\r\n";
        if (i + 1 < content.size() && content[i + 1] == '\n') ++i;
      } else if (content[i] == '\n') {
        expected += "\r\n";
      } else {
        expected += content[i];
      }
    }
    if (!expected.empty() && (expected.size() < 2 || expected.compare(expected.size() - 2, 2, "\r\n") != 0)) {
      expected += "\r\n";
    }
    const std::string log = mailwire_test::grind(wire, [](const chunks& ch) {
      std::string flat;
      for (const auto& e : read_messages({}, ch).events) flat += e + "\n";
      return flat;
    }, 20);
    REQUIRE(log == "message " + mailwire_test::quote(expected) + " size=" + std::to_string(expected.size()) + "\nend ok\n");
  }
}

TEST_CASE("DATA reader finds a NUL wherever it lies, however far ahead its search went") {
  // Short lines in a large buffer: the reader searches for NUL a window
  // ahead of the line it reads, across line ends and into the next message.
  // Each NUL is reported at its own offset, and a message without one is
  // accepted, whatever was searched before and however the input is split.
  std::string body;
  for (int i = 0; i < 38; ++i) body += "0123456789abcdefghijklmnopqrstu\r\n";  // 38 lines of 33: 1254 octets
  const std::string clean_log = "message " + mailwire_test::quote(body) + " size=1254\nend ok\n";
  for (const std::size_t at : {0u, 1u, 30u, 1007u, 1008u, 1023u, 1024u, 1025u, 1240u, 1251u}) {
    REQUIRE(body[at] != '\r');
    REQUIRE(body[at] != '\n');
    std::string bad = body;
    bad[at] = '\0';
    // clean, NUL at `at`, clean, NUL at `at` again: each message alone
    const std::string wire = body + ".\r\n" + bad + ".\r\n" + body + ".\r\n" + bad + ".\r\n";
    const std::uint64_t second = body.size() + 3;
    const std::uint64_t fourth = 3 * (body.size() + 3);
    const std::string want = clean_log + "message \"\" size=0\nend nul_byte off=" + std::to_string(second + at) +
                             "\n" + clean_log + "message \"\" size=0\nend nul_byte off=" +
                             std::to_string(fourth + at) + "\n";
    INFO("NUL at " << at);
    const std::string log = mailwire_test::grind(wire, [](const chunks& ch) {
      std::string flat;
      for (const auto& e : read_messages({}, ch, 8192).events) flat += e + "\n";
      return flat;
    }, 0);
    CHECK(log == want);
  }
}

TEST_CASE("DATA reader streams a large message in bounded memory") {
  // 1 MiB of lines through a 4 KiB receive buffer.
  recv_buffer in(4096);
  smtp::data_reader reader;
  const std::string line = "0123456789 abcdefghijklmnopqrstuvwxyz .. 0123456789\r\n";
  std::uint64_t fed = 0;
  std::uint64_t got = 0;
  bool ended = false;
  std::string tail = ".\r\n";
  while (!ended) {
    std::string_view piece = fed < (1u << 20) ? std::string_view(line) : std::string_view(tail);
    while (!piece.empty()) {
      const std::size_t n = in.feed(piece);
      piece.remove_prefix(n);
      fed += n;
      for (;;) {
        const auto e = reader.next(in);
        if (e.type == smtp::data_event_type::need_more) break;
        if (e.type == smtp::data_event_type::chunk) got += e.bytes.size();
        if (e.type == smtp::data_event_type::end) {
          REQUIRE(e.error == errc::ok);
          ended = true;
        }
      }
    }
  }
  CHECK(got == fed - 3);
}
