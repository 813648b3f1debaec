// dot_reader, dot_writer and line_rules_checker (core/dot_stuffing.hpp):
// the SMTP DATA vectors (every smuggling sequence), writer -> reader round
// trips at every split, and the line rules checked at every split against
// a byte-by-byte reading of them.
#include <mailwire/core/dot_stuffing.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "transcript.hpp"

using mailwire::errc;
using mailwire::recv_buffer;
using mailwire_test::chunks;
using mailwire::dot_event;
using mailwire::dot_event_type;
using mailwire::dot_options;
using mailwire::dot_reader;
using mailwire::dot_writer;
using mailwire::line_end_policy;
using mailwire::line_rules_checker;

namespace {

// Reads every message in the chunks; logs joined content and end events.
// Whatever is left after the last end is reported too, so nothing is lost.
mailwire_test::session_log read_messages(const dot_options& o, const chunks& ch, std::size_t buffer = 64) {
  recv_buffer in(buffer);
  dot_reader reader(o);
  mailwire_test::session_log log;
  std::string content;
  auto drain = [&] {
    for (;;) {
      const dot_event e = reader.next(in);
      if (e.type == dot_event_type::need_more) return;
      if (e.type == dot_event_type::chunk) {
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

dot_options options_of(const mailwire_test::transcript_case& c) {
  dot_options o;
  o.max_size = c.number("max_size", 0);
  if (c.has("normalize")) o.bare_line_ends = line_end_policy::normalize;
  o.allow_nul = c.has("allow_nul");
  return o;
}

std::string write_all(const chunks& ch, line_end_policy p) {
  mailwire::output_queue out;
  dot_writer w(p);
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
    CHECK(mailwire_test::grind(in, [](const chunks& ch) { return write_all(ch, line_end_policy::normalize); }) ==
          want);
  }
}

TEST_CASE("DATA writer with reject refuses bare CR and LF, writing nothing of the chunk") {
  mailwire::output_queue out;
  dot_writer w(line_end_policy::reject);
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
        mailwire_test::grind(content, [](const chunks& ch) { return write_all(ch, line_end_policy::normalize); }, 20);
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

TEST_CASE("DATA reader finds a NUL wherever it lies, in messages that follow each other") {
  // Short lines in a large buffer, several messages in it: each NUL is
  // reported at its own offset, and a message without one is accepted,
  // whatever was searched before and however the input is split.
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
  dot_reader reader;
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
        if (e.type == dot_event_type::need_more) break;
        if (e.type == dot_event_type::chunk) got += e.bytes.size();
        if (e.type == dot_event_type::end) {
          REQUIRE(e.error == errc::ok);
          ended = true;
        }
      }
    }
  }
  CHECK(got == fed - 3);
}

namespace {

// The line rules read byte by byte, straight from their definition: the
// first bare CR (a CR not followed by LF, also at the very end), bare LF
// (an LF not after a CR) or NUL, as the options make them offences.
std::string rules_reference(std::string_view in, const dot_options& o) {
  const bool reject = o.bare_line_ends == line_end_policy::reject;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const bool last = i + 1 == in.size();
    if (reject && in[i] == '\r' && (last || in[i + 1] != '\n')) return "bare_cr@" + std::to_string(i);
    if (reject && in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) return "bare_lf@" + std::to_string(i);
    if (!o.allow_nul && in[i] == '\0') return "nul_byte@" + std::to_string(i);
  }
  return "ok";
}

// The checker fed the chunks in order, then finish(); each check() returns
// what error() then says, and nothing after the first offence changes it.
std::string rules_check(const dot_options& o, const chunks& ch) {
  line_rules_checker c(o);
  std::uint64_t at = 0;
  std::string first;
  for (std::string_view piece : ch) {
    const errc e = c.check(piece, at);
    REQUIRE(e == c.error());
    if (e != errc::ok && first.empty()) {
      first = std::string(mailwire::to_name(e)) + "@" + std::to_string(c.error_offset());
    }
    at += piece.size();
  }
  const errc e = c.finish();
  if (e == errc::ok) return "ok";
  const std::string verdict = std::string(mailwire::to_name(e)) + "@" + std::to_string(c.error_offset());
  REQUIRE((first.empty() || first == verdict));
  return verdict;
}

std::vector<dot_options> all_rule_options() {
  std::vector<dot_options> all;
  for (const line_end_policy p : {line_end_policy::reject, line_end_policy::normalize}) {
    for (const bool nul : {false, true}) {
      dot_options o;
      o.bare_line_ends = p;
      o.allow_nul = nul;
      all.push_back(o);
    }
  }
  return all;
}

}  // namespace

TEST_CASE("line rules checker: the first offence and its offset at every split") {
  using namespace std::string_view_literals;
  const std::string_view inputs[] = {
      ""sv,          "a\r\nb\r\n"sv,   "a\nb"sv,         "a\rb"sv,        "a\r"sv,           "\r"sv,
      "\n"sv,        "\r\r\n"sv,       "\r\n\n"sv,       "ab\r\r"sv,      "a\0b"sv,          "\0"sv,
      "a\0\nb"sv,    "a\n\0"sv,        "a\r\0"sv,        "\r\n\0\r"sv,    "x\r\n.\n.\r\n"sv, "line\r\nline\rline\n"sv,
      "\r\n\r\n\r"sv, "ok\r\nok\r\n\r\n"sv,
  };
  for (const dot_options& o : all_rule_options()) {
    for (const std::string_view in : inputs) {
      INFO(mailwire_test::quote(in) << (o.bare_line_ends == line_end_policy::reject ? " reject" : " normalize")
                                    << (o.allow_nul ? " allow_nul" : ""));
      const std::string got = mailwire_test::grind(in, [&](const chunks& ch) { return rules_check(o, ch); });
      CHECK(got == rules_reference(in, o));
    }
  }
  CHECK(rules_check({}, {"ab\r", "\r"}) == "bare_cr@2");  // a CR judged by the next chunk
  CHECK(rules_check({}, {"ab\r", "\n"}) == "ok");
  CHECK(rules_check({}, {"ab\r"}) == "bare_cr@2");  // by finish()
}

TEST_CASE("line rules checker: random text, every split, every option") {
  std::mt19937 rng(9422);
  const char alphabet[] = {'a', '.', '\r', '\n', '\0'};
  for (int round = 0; round < 300; ++round) {
    std::string in(rng() % 24, 'a');
    for (char& c : in) c = alphabet[rng() % sizeof alphabet];
    for (const dot_options& o : all_rule_options()) {
      INFO(mailwire_test::quote(in));
      CHECK(mailwire_test::grind(in, [&](const chunks& ch) { return rules_check(o, ch); }, 12) ==
            rules_reference(in, o));
    }
  }
}

TEST_CASE("line rules checker: overlapping windows, gaps, stickiness and reset") {
  line_rules_checker c;
  // A window that overlaps the last one: bytes already checked are skipped,
  // and the CR that ended the first is decided by the byte after it.
  CHECK(c.check("ab\r", 100) == errc::ok);
  CHECK(c.check("ab\r\nc", 100) == errc::ok);
  CHECK(c.check("\nc", 103) == errc::ok);  // entirely checked already
  CHECK(c.check("", 105) == errc::ok);
  // A gap of bytes that are not CR, LF or NUL (a stuffing dot) is allowed.
  CHECK(c.check("d\n", 106) == errc::bare_lf);
  CHECK(c.error_offset() == 107);
  // Sticky: later chunks are not searched, the first offence stays.
  CHECK(c.check(std::string_view("\0\r", 2), 108) == errc::bare_lf);
  CHECK(c.finish() == errc::bare_lf);
  CHECK(c.error_offset() == 107);
  c.reset();
  CHECK(c.error() == errc::ok);
  CHECK(c.check("x\r", 0) == errc::ok);
  CHECK(c.check("y", 5) == errc::bare_cr);  // after a gap, the pending CR is still the one at offset 1
  CHECK(c.error_offset() == 1);

  dot_options lenient;
  lenient.bare_line_ends = line_end_policy::normalize;
  lenient.allow_nul = true;
  line_rules_checker none(lenient);
  CHECK(none.check(std::string_view("\r\0\n\r", 4), 0) == errc::ok);
  CHECK(none.finish() == errc::ok);
}

TEST_CASE("DATA reader repairs a long run of bare CRs, one at a time") {
  // Every CR but the last is bare: each becomes CRLF. The reader stops at
  // each one; its search for the next must not reach across the rest of
  // the buffer each time (that was quadratic in the run's length).
  const std::size_t n = 200000;
  const std::string wire = std::string(n, '\r') + "\r\n.\r\n";
  dot_options o;
  o.bare_line_ends = line_end_policy::normalize;
  recv_buffer in(64 * 1024);
  dot_reader reader(o);
  std::uint64_t got = 0;
  bool ended = false;
  std::string_view rest = wire;
  while (!ended) {
    rest.remove_prefix(in.feed(rest));
    for (dot_event e = reader.next(in); e.type != dot_event_type::need_more; e = reader.next(in)) {
      if (e.type == dot_event_type::chunk) {
        REQUIRE(e.bytes.find_first_not_of("\r\n") == std::string_view::npos);
        got += e.bytes.size();
      } else {
        REQUIRE(e.error == errc::ok);
        REQUIRE(e.size == 2 * (n + 1));
        ended = true;
      }
    }
  }
  CHECK(got == 2 * (n + 1));
}
