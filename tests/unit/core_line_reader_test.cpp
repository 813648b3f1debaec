#include <mailwire/core/line_reader.hpp>

#include <random>
#include <string>

#include "catch.hpp"
#include "grind.hpp"
#include "transcript.hpp"

using mailwire::line_options;
using mailwire::line_reader;
using mailwire::line_result;
using mailwire::recv_buffer;
using mailwire_test::chunks;

namespace {

// Feeds chunks through a bounded recv_buffer the way a machine does: feed
// what fits, drain lines, feed the rest.
mailwire_test::session_log read_lines(const line_options& o, std::size_t max_buffered, const chunks& ch) {
  recv_buffer in(max_buffered);
  line_reader reader(o);
  mailwire_test::session_log log;
  auto drain = [&] {
    for (;;) {
      const line_result r = reader.next(in);
      if (r.state == line_result::status::need_more) return;
      if (r.state == line_result::status::line) {
        log.events.push_back("line off=" + std::to_string(r.offset) + " " + mailwire_test::quote(r.text));
      } else {
        log.events.push_back("error off=" + std::to_string(r.offset) + " " + std::string(mailwire::to_name(r.error)));
      }
    }
  };
  for (std::string_view c : ch) {
    while (!c.empty()) {
      const std::size_t n = in.feed(c);
      c.remove_prefix(n);
      drain();
      REQUIRE(in.size() <= max_buffered);
    }
  }
  return log;
}

// The rules, restated over a whole input: the reference the reader must
// agree with on any input, fed in any chunking.
std::vector<std::string> reference(std::string_view s, const line_options& o) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t lf = s.find('\n', pos);
    // Without an LF in sight, max_length bytes already make the line too long.
    const bool too_long = lf == std::string_view::npos ? s.size() - pos >= o.max_length
                                                       : lf + 1 - pos > o.max_length;
    if (too_long) {
      out.push_back("error off=" + std::to_string(pos) + " line_too_long");
      if (lf == std::string_view::npos) break;
      pos = lf + 1;
      continue;
    }
    if (lf == std::string_view::npos) break;  // partial line: held
    std::string_view line = s.substr(pos, lf - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    } else if (!o.allow_bare_lf) {
      out.push_back("error off=" + std::to_string(lf) + " bare_lf");
      pos = lf + 1;
      continue;
    }
    const std::size_t cr = line.find('\r');
    if (!o.allow_bare_cr && cr != std::string_view::npos) {
      out.push_back("error off=" + std::to_string(pos + cr) + " bare_cr");
    } else {
      out.push_back("line off=" + std::to_string(pos) + " " + mailwire_test::quote(line));
    }
    pos = lf + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("line_reader transcript vectors") {
  for (const auto& c : mailwire_test::load_transcripts(MAILWIRE_VECTORS_DIR "/core/line_reader.md")) {
    c.require_known({"max_length", "max_buffered", "allow_bare_lf", "allow_bare_cr"});
    mailwire_test::run_transcript(c, 'C', [](const mailwire_test::transcript_case& tc, const chunks& ch) {
      line_options o;
      o.max_length = tc.number("max_length", o.max_length);
      o.allow_bare_lf = tc.has("allow_bare_lf");
      o.allow_bare_cr = tc.has("allow_bare_cr");
      return read_lines(o, tc.number("max_buffered", 4096), ch);
    });
  }
}

TEST_CASE("line_reader agrees with the reference on random inputs at every split") {
  std::mt19937 rng(7);
  const char alphabet[] = {'a', 'b', '\r', '\n', '.', '\0'};
  for (int round = 0; round < 300; ++round) {
    std::string s(rng() % 48, '\0');
    for (char& c : s) c = alphabet[rng() % sizeof alphabet];
    line_options o;
    o.max_length = 2 + rng() % 10;
    o.allow_bare_lf = rng() % 2 == 0;
    o.allow_bare_cr = rng() % 2 == 0;
    INFO(mailwire_test::quote(s) << " max_length=" << o.max_length << " lf=" << o.allow_bare_lf
                                 << " cr=" << o.allow_bare_cr);
    const std::string log = mailwire_test::grind(s, [&](const chunks& ch) {
      std::string flat;
      for (const auto& e : read_lines(o, o.max_length, ch).events) flat += e + "\n";
      return flat;
    }, 16);
    std::string want;
    for (const auto& e : reference(s, o)) want += e + "\n";
    REQUIRE(log == want);
  }
}

TEST_CASE("line_reader never searches a byte twice") {
  // Feed a long line a byte at a time: the scan mark follows the input, so
  // each call searches only the new byte.
  recv_buffer in(2000);
  line_reader reader({1000});
  for (int i = 0; i < 900; ++i) {
    in.feed("x");
    REQUIRE(reader.next(in).state == line_result::status::need_more);
    REQUIRE(in.scanned() == in.size());
  }
  in.feed("\r\n");
  const line_result r = reader.next(in);
  CHECK(r.state == line_result::status::line);
  CHECK(r.text.size() == 900);
  CHECK(in.scanned() == 0);
}

TEST_CASE("line_reader limit: just under and just over max_length") {
  for (std::size_t max : {2u, 3u, 512u, 1000u}) {
    line_options o;
    o.max_length = max;
    const std::string fits = std::string(max - 2, 'a') + "\r\n";
    const std::string over = std::string(max - 1, 'a') + "\r\n";
    auto at_once = [&](const std::string& s) {
      recv_buffer in(4096);
      line_reader reader(o);
      in.feed(s);
      return reader.next(in);
    };
    INFO("max_length " << max);
    CHECK(at_once(fits).state == line_result::status::line);
    CHECK(at_once(fits).text.size() == max - 2);
    CHECK(at_once(over).error == mailwire::errc::line_too_long);
  }
}

TEST_CASE("line_reader: a line that fills the buffer is too long, even under max_length") {
  // A buffer smaller than the longest line must not wedge the session: the
  // full buffer is reported as an over-long line and the reader resyncs.
  recv_buffer in(8);
  line_reader reader({100});
  CHECK(in.feed("12345678") == 8);
  const line_result r = reader.next(in);
  CHECK(r.error == mailwire::errc::line_too_long);
  CHECK(r.offset == 0);
  CHECK(in.feed("9\r\nok\r\n") == 7);
  const line_result ok = reader.next(in);
  CHECK(ok.state == line_result::status::line);
  CHECK(ok.text == "ok");
  CHECK(ok.offset == 11);
  // Just under: 7 bytes without LF in an 8-byte buffer wait for more.
  recv_buffer in2(8);
  line_reader r2({100});
  in2.feed("1234567");
  CHECK(r2.next(in2).state == line_result::status::need_more);
}
