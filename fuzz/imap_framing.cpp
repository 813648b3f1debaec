// imap_framing: the IMAP frame reader on hostile bytes. Byte 0 picks the
// side, LITERAL+, LITERAL-, BINARY and a small-limits mode (bytes 2-5 then
// set max_line, max_message, max_inline_literal, max_literals, with a 16-byte
// receive buffer); byte 1 the chunk size; bytes 6-9 how the application
// answers the literal events in turn (read inline, stream, refuse, no
// answer). The rest is the stream, fed whole and in chunks: the events
// (streamed bodies joined), offsets, tags and texts must be the same, and
// at every step
//  - memory held stays within the bound the options set;
//  - a message fits max_message, its tag is its first token, and each
//    streamed literal listed points at an announcement in its text;
//  - a literal event's text ends with its announcement, no message has
//    more than max_literals, and a streamed body's chunks are contiguous
//    and add up to the announced size;
//  - events come at increasing offsets within a message, and after finish()
//    the reader ends.
#include <mailwire/imap/framing.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace imap = mailwire::imap;
using mailwire::errc;

std::size_t memory_bound(const imap::frame_options& o) {
  const std::size_t buffer = o.max_buffered > o.max_line ? o.max_buffered : o.max_line;
  return 4 * buffer + 2 * o.max_message + 2 * o.max_line + 2 * sizeof(std::size_t) * o.max_literals + 4096;
}

std::string run(const imap::frame_options& o, std::string_view answers, std::string_view in, std::size_t chunk) {
  imap::frame_reader r(o);
  mailwire_fuzz::decisions choose(answers);
  std::string log;
  std::string body;
  std::uint64_t body_size = 0;
  std::uint64_t body_next = 0;
  std::size_t literals = 0;  // in the current message
  bool streaming = false;
  auto drain = [&]() -> bool {
    for (;;) {
      const imap::frame_event e = r.next();
      MAILWIRE_FUZZ_CHECK(r.memory_used() <= memory_bound(o));
      // need_more and the chunks depend on the chunking: not logged.
      if (e.type == imap::frame_event_type::need_more) return false;
      if (e.type != imap::frame_event_type::literal_chunk) {
        log += std::to_string(static_cast<int>(e.type)) + "@" + std::to_string(e.offset) + " ";
      }
      switch (e.type) {
        case imap::frame_event_type::need_more:
          return false;
        case imap::frame_event_type::message: {
          MAILWIRE_FUZZ_CHECK(!streaming);
          MAILWIRE_FUZZ_CHECK(e.text.size() + 2 <= o.max_message);
          MAILWIRE_FUZZ_CHECK(e.text.substr(0, e.tag.size()) == e.tag);
          MAILWIRE_FUZZ_CHECK(e.tag.find(' ') == std::string_view::npos);
          // The tag ends at a space, or is the whole first line.
          MAILWIRE_FUZZ_CHECK(e.tag.size() == e.text.size() || e.text[e.tag.size()] == ' ' ||
                              e.text.substr(e.tag.size(), 2) == "\r\n");
          for (const std::size_t at : r.streamed_literals()) {
            MAILWIRE_FUZZ_CHECK(at < e.text.size() && (e.text[at] == '{' || e.text[at] == '~'));
          }
          log.append(e.text.data(), e.text.size());
          log += "|" + std::to_string(r.streamed_literals().size());
          literals = 0;
          break;
        }
        case imap::frame_event_type::literal: {
          MAILWIRE_FUZZ_CHECK(!e.text.empty() && e.text.back() == '}');
          MAILWIRE_FUZZ_CHECK(++literals <= o.max_literals);
          log.append(e.text.data(), e.text.size());
          log += "|" + std::to_string(e.size) + "|" + std::to_string(static_cast<int>(e.kind));
          const std::size_t text_size = e.text.size();
          errc rc = errc::ok;
          switch (choose.next() % 4) {
            case 0: rc = r.read_literal(); break;
            case 1:
              rc = r.stream_literal();
              MAILWIRE_FUZZ_CHECK(rc == errc::ok);
              streaming = true;
              body.clear();
              body_size = e.size;
              body_next = e.offset + (text_size - r.streamed_literals().back()) + 2;
              break;
            case 2:
              rc = r.refuse_literal();
              MAILWIRE_FUZZ_CHECK(rc == errc::ok);
              literals = 0;
              break;
            default: break;
          }
          MAILWIRE_FUZZ_CHECK(rc == errc::ok || rc == errc::imap_literal_too_big);
          log += "|" + std::to_string(static_cast<int>(rc));
          break;
        }
        case imap::frame_event_type::literal_chunk:
          MAILWIRE_FUZZ_CHECK(streaming && !e.text.empty() && e.offset == body_next);
          body.append(e.text.data(), e.text.size());
          body_next += e.text.size();
          MAILWIRE_FUZZ_CHECK(body.size() <= body_size);
          continue;
        case imap::frame_event_type::literal_end:
          MAILWIRE_FUZZ_CHECK(streaming && e.offset == body_next && body.size() == body_size);
          log += body;
          streaming = false;
          break;
        case imap::frame_event_type::error:
          MAILWIRE_FUZZ_CHECK(e.error != errc::ok);
          log += std::to_string(static_cast<int>(e.error)) + "|";
          log.append(e.tag.data(), e.tag.size());
          streaming = false;
          literals = 0;
          break;
        case imap::frame_event_type::end:
          return true;
      }
      log += '\n';
    }
  };
  while (!in.empty()) {
    // The events were drained before: the reader always takes more (it
    // never stalls with a full buffer).
    const std::size_t n = r.feed(in.substr(0, chunk));
    MAILWIRE_FUZZ_CHECK(n != 0);
    in.remove_prefix(n);
    MAILWIRE_FUZZ_CHECK(!drain());
  }
  r.finish();
  MAILWIRE_FUZZ_CHECK(drain());
  MAILWIRE_FUZZ_CHECK(r.next().type == imap::frame_event_type::end);
  return log;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t flags = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 17;
  imap::frame_options o;
  o.side = (flags & 1) != 0 ? imap::frame_side::client : imap::frame_side::server;
  o.literal_plus = (flags & 2) != 0;
  o.literal_minus = (flags & 4) != 0;
  o.binary = (flags & 8) != 0;
  const std::uint8_t b2 = mailwire_fuzz::take_byte(in);
  const std::uint8_t b3 = mailwire_fuzz::take_byte(in);
  const std::uint8_t b4 = mailwire_fuzz::take_byte(in);
  const std::uint8_t b5 = mailwire_fuzz::take_byte(in);
  if ((flags & 16) != 0) {
    o.max_line = 2 + b2 % 64u;
    o.max_message = 2 + b3 * 2u;
    o.max_inline_literal = b4 % 64u;
    o.max_literals = b5 % 8u;
    o.max_buffered = 16;
  }
  const std::string_view answers = mailwire_fuzz::take_bytes(in, 4);
  const std::string whole = run(o, answers, in, in.size() + 1);
  MAILWIRE_FUZZ_CHECK(whole == run(o, answers, in, chunk));
  return 0;
}
