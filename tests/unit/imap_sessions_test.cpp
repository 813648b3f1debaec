// Whole IMAP sessions through the syntax tier: the sessions recorded from
// Dovecot (tests/vectors/imap/dovecot) and the RFCs' sample sessions
// (tests/vectors/imap/rfc), each direction cut into messages by
// imap::frame_reader and read by the grammar.
//  - Framing gives the same events whole, split at every point (every
//    61st point past the first 4 KiB of a long stream) and byte by byte.
//  - Every command the client sent reads as a command, except those
//    Dovecot itself answered with BAD (or never answered: it closed); each
//    one read writes back and reads again to the same value.
//  - Every response the server sent reads as a response and writes back
//    to the same value (imap_response cases below).
#include <mailwire/imap/command.hpp>
#include <mailwire/imap/framing.hpp>
#include <mailwire/imap/response.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "catch.hpp"
#include "imap_transcript.hpp"
#include "quote.hpp"

namespace imap = mailwire::imap;
using mailwire::errc;

namespace {

std::vector<std::string> session_files() {
  std::vector<std::string> files;
  for (const char* dir : {"/imap/dovecot", "/imap/rfc"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::string(MAILWIRE_VECTORS_DIR) + dir)) {
      if (e.path().extension() == ".txt") files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct framed {
  std::vector<std::string> log;  // one line per event, for comparing chunkings
  struct message {
    std::string text;
    std::vector<std::size_t> streamed;
  };
  std::vector<message> messages;
};

// Stream offsets of the synchronising literals the server refused: the
// recorder cut the client's chunk after the announcement and waited; what
// came next from the server was not "+".
std::vector<std::uint64_t> refused_literals(const std::vector<mailwire_test::imap_chunk>& chunks) {
  std::vector<std::uint64_t> out;
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (!chunks[i].from_client) continue;
    const std::string& b = chunks[i].bytes;
    at += b.size();
    if (b.size() < 4 || b.compare(b.size() - 3, 3, "}\r\n") != 0 || b[b.size() - 4] == '+') continue;
    std::size_t j = i + 1;
    while (j < chunks.size() && chunks[j].from_client) ++j;
    if (j < chunks.size() && chunks[j].bytes.rfind("+", 0) == 0) continue;
    std::size_t open = b.rfind('{');
    if (open > 0 && b[open - 1] == '~') --open;
    out.push_back(at - (b.size() - open));
  }
  return out;
}

// Runs a frame reader over `stream` fed in `pieces`; literals up to the
// inline limit are read into the message, larger ones streamed, those in
// `refused` refused.
framed frame(const std::vector<std::string_view>& pieces, const imap::frame_options& o,
             const std::vector<std::uint64_t>& refused = {}) {
  framed out;
  imap::frame_reader r(o);
  std::size_t next_piece = 0;
  std::string_view pending;
  for (int guard = 0; guard < 100000000; ++guard) {
    const imap::frame_event e = r.next();
    using T = imap::frame_event_type;
    switch (e.type) {
      case T::need_more:
        while (pending.empty() && next_piece < pieces.size()) pending = pieces[next_piece++];
        if (pending.empty()) {
          r.finish();
        } else {
          const std::size_t n = r.feed(pending);
          pending.remove_prefix(n);
        }
        continue;
      case T::literal:
        out.log.push_back("literal " + std::to_string(e.size) + " at " + std::to_string(e.offset));
        if (std::find(refused.begin(), refused.end(), e.offset) != refused.end())
          r.refuse_literal();
        else if (e.size <= o.max_inline_literal)
          REQUIRE(r.read_literal() == errc::ok);
        else
          r.stream_literal();
        continue;
      case T::literal_chunk:
        // Chunks follow the feeds; only their total is the same.
        if (out.log.empty() || out.log.back().rfind("chunk ", 0) != 0) out.log.push_back("chunk ");
        out.log.back() += std::string(e.text.size(), '.');
        continue;
      case T::literal_end:
        out.log.push_back("literal_end at " + std::to_string(e.offset));
        continue;
      case T::message:
        out.log.push_back("message " + mailwire_test::quote(e.text) + " tag " + std::string(e.tag));
        out.messages.push_back({std::string(e.text), r.streamed_literals()});
        continue;
      case T::error:
        out.log.push_back("error " + std::string(mailwire::to_name(e.error)) + " at " + std::to_string(e.offset) +
                          " tag " + std::string(e.tag));
        continue;
      case T::end:
        return out;
    }
  }
  FAIL("frame reader did not end");
  return out;
}

std::vector<std::vector<std::string_view>> chunkings(std::string_view s) {
  std::vector<std::vector<std::string_view>> all;
  all.push_back({s});
  for (std::size_t i = 1; i < s.size(); i += (i < 4096 ? 1 : 61)) all.push_back({s.substr(0, i), s.substr(i)});
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  all.push_back(bytes);
  return all;
}

// The tagged status Dovecot gave each tag ("OK", "NO", "BAD"), from its
// stream's lines.
std::map<std::string, std::string> tagged_status(const std::string& server) {
  std::map<std::string, std::string> st;
  std::size_t at = 0;
  while (at < server.size()) {
    std::size_t eol = server.find("\r\n", at);
    if (eol == std::string::npos) eol = server.size();
    const std::string line = server.substr(at, eol - at);
    const std::size_t sp = line.find(' ');
    if (sp != std::string::npos && line[0] != '*' && line[0] != '+') {
      const std::string word = line.substr(sp + 1, line.find(' ', sp + 1) - sp - 1);
      if (word == "OK" || word == "NO" || word == "BAD") st.emplace(line.substr(0, sp), word);
    }
    at = eol + 2;
  }
  return st;
}

}  // namespace

TEST_CASE("imap sessions: framing is the same however the stream is split", "[imap][sessions]") {
  for (const std::string& file : session_files()) {
    std::vector<mailwire_test::imap_chunk> chunks;
    std::string why;
    REQUIRE(mailwire_test::load_imap_transcript(file, chunks, &why));
    for (const bool client_side : {false, true}) {
      const std::string stream = mailwire_test::imap_stream(chunks, !client_side);
      INFO(file << (client_side ? " (server's responses)" : " (client's commands)"));
      imap::frame_options o;
      o.side = client_side ? imap::frame_side::client : imap::frame_side::server;
      o.literal_plus = true;  // Dovecot offers LITERAL+ and BINARY
      o.binary = true;
      const auto refused = client_side ? std::vector<std::uint64_t>{} : refused_literals(chunks);
      const framed whole = frame({stream}, o, refused);
      for (const auto& pieces : chunkings(stream)) {
        const framed split = frame(pieces, o, refused);
        REQUIRE(split.log == whole.log);
      }
    }
  }
}

TEST_CASE("imap sessions: every command Dovecot took reads, writes back and reads again", "[imap][sessions]") {
  std::size_t commands = 0;
  std::size_t byte_identical = 0;
  for (const std::string& file : session_files()) {
    std::vector<mailwire_test::imap_chunk> chunks;
    REQUIRE(mailwire_test::load_imap_transcript(file, chunks));
    const std::string client = mailwire_test::imap_stream(chunks, true);
    const auto status = tagged_status(mailwire_test::imap_stream(chunks, false));
    imap::frame_options o;
    o.literal_plus = true;
    o.binary = true;
    const framed f = frame({client}, o, refused_literals(chunks));
    for (const auto& m : f.messages) {
      INFO(file << ": " << mailwire_test::quote(m.text));
      imap::command c;
      std::string scratch;
      const errc e = imap::parse_command(m.text, c, scratch, {}, &m.streamed);
      if (imap::is_idle_done(m.text) || (!m.text.empty() && m.text.find(' ') == std::string::npos)) {
        // DONE and SASL responses are lines, not commands.
        continue;
      }
      const std::string tag = m.text.substr(0, m.text.find(' '));
      const auto st = status.find(tag);
      if (e != errc::ok) {
        // Refused here only where Dovecot refused too (or closed the
        // connection without answering).
        // Known and deliberate, where Dovecot is more lenient than the
        // grammar: an impossible date-time; 8-bit text that is not UTF-8
        // in a quoted string (parse_options::allow_8bit_quoted reads it);
        // NOOP with arguments.
        const bool stricter = m.text.find("\"31-Feb-2025 99:00:00 +0000\"") != std::string::npos ||
                              m.text.find("BODY \"Gr\xfc\xdf") != std::string::npos ||
                              m.text.find("NOOP extra") != std::string::npos;
        CHECK((st == status.end() || st->second == "BAD" || stricter));
        if (m.text.find("\"Gr\xfc\xdf") != std::string::npos) {
          imap::parse_options lenient;
          lenient.allow_8bit_quoted = true;
          CHECK(imap::parse_command(m.text, c, scratch, lenient, &m.streamed) == errc::ok);
        }
        continue;
      }
      ++commands;
      imap::peer_support peer;
      peer.literal_plus = true;
      peer.binary = true;
      imap::wire w;
      REQUIRE(imap::write(w, c, peer) == errc::ok);
      const std::string text = w.bytes.substr(0, w.bytes.size() - 2);
      imap::command back;
      std::string scratch2;
      REQUIRE(imap::parse_command(text, back, scratch2) == errc::ok);
      CHECK(back == c);
      if (text == m.text)
        ++byte_identical;
      else if (std::getenv("MAILWIRE_IMAP_SHOW_DIFF") != nullptr)
        WARN("sent:    " << mailwire_test::quote(m.text) << "\nwritten: " << mailwire_test::quote(text));
    }
  }
  CHECK(commands > 150);
  WARN("imap sessions: " << commands << " commands read; " << byte_identical
                         << " written back byte for byte (the others differ in case or string form)");
}

TEST_CASE("imap sessions: every response Dovecot sent reads, writes back and reads again", "[imap][sessions]") {
  std::size_t responses = 0;
  std::size_t byte_identical = 0;
  for (const std::string& file : session_files()) {
    std::vector<mailwire_test::imap_chunk> chunks;
    REQUIRE(mailwire_test::load_imap_transcript(file, chunks));
    imap::frame_options o;
    o.side = imap::frame_side::client;
    o.binary = true;
    const framed f = frame({mailwire_test::imap_stream(chunks, false)}, o);
    for (const auto& m : f.messages) {
      INFO(file << ": " << mailwire_test::quote(m.text));
      imap::response r;
      std::string scratch;
      // Dovecot writes "+ " with empty text before AUTHENTICATE's responses,
      // which RFC 9051 allows; nothing else needs a leniency.
      REQUIRE(imap::parse_response(m.text, r, scratch, {}, &m.streamed) == errc::ok);
      ++responses;
      imap::peer_support peer;
      peer.to_server = false;
      peer.binary = true;
      imap::wire w;
      REQUIRE(imap::write(w, r, peer) == errc::ok);
      const std::string text = w.bytes.substr(0, w.bytes.size() - 2);
      imap::response back;
      std::string scratch2;
      REQUIRE(imap::parse_response(text, back, scratch2) == errc::ok);
      CHECK(back == r);
      if (text == m.text)
        ++byte_identical;
      else if (std::getenv("MAILWIRE_IMAP_SHOW_DIFF") != nullptr)
        WARN("sent:    " << mailwire_test::quote(m.text) << "\nwritten: " << mailwire_test::quote(text));
    }
  }
  CHECK(responses > 500);
  WARN("imap sessions: " << responses << " responses read; " << byte_identical
                         << " written back byte for byte (the others differ in case or string form)");
}
