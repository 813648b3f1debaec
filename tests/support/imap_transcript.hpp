// Reader for the recorded IMAP transcripts (tests/vectors/imap/dovecot/*.txt,
// written by tests/interop/imap_record.py; the format is in
// tests/vectors/imap/README.md).
//
// A file is a sequence of chunks. Each chunk is a header line "C <len>\n"
// (client to server) or "S <len>\n" (server to client), then exactly <len>
// raw bytes (CRLF, literals, 8-bit and NUL included), then "\n". Between
// chunks, lines starting with '#' are comments and empty lines are ignored.
// The C chunks concatenated are the client's byte stream, the S chunks the
// server's, in wire order.
//
// Header-only, C++17, no dependency beyond the standard library (no Catch2):
// usable from any test or benchmark.
#ifndef MAILWIRE_TESTS_SUPPORT_IMAP_TRANSCRIPT_HPP
#define MAILWIRE_TESTS_SUPPORT_IMAP_TRANSCRIPT_HPP

#include <cstddef>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace mailwire_test {

/// One chunk of a transcript: bytes one side wrote, in wire order.
struct imap_chunk {
  bool from_client = false;
  std::string bytes;
};

/// Parses a transcript held in `text`. Returns true and fills `out` (replacing
/// its content) when the whole text is well formed; otherwise returns false,
/// leaves `out` with the chunks read so far and, when `error` is not null,
/// writes the reason with its byte offset there.
inline bool parse_imap_transcript(std::string_view text, std::vector<imap_chunk>& out,
                                  std::string* error = nullptr) {
  out.clear();
  auto fail = [&](std::size_t at, const char* why) {
    if (error != nullptr) *error = std::string(why) + " at byte " + std::to_string(at);
    return false;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) return fail(pos, "header line without its LF");
    const std::string_view line = text.substr(pos, eol - pos);
    if (line.empty() || line[0] == '#') {
      pos = eol + 1;
      continue;
    }
    if (line.size() < 3 || (line[0] != 'C' && line[0] != 'S') || line[1] != ' ') {
      return fail(pos, "expected \"C <len>\" or \"S <len>\"");
    }
    // The length: decimal digits only, and no more than what is left (so a
    // corrupt header cannot make the reader allocate or overflow).
    std::size_t len = 0;
    for (std::size_t i = 2; i < line.size(); ++i) {
      const char d = line[i];
      if (d < '0' || d > '9') return fail(pos + i, "length is not a decimal number");
      len = len * 10 + static_cast<std::size_t>(d - '0');
      if (len > text.size()) return fail(pos + i, "length runs past the end of the file");
    }
    const std::size_t body = eol + 1;
    if (len > text.size() - body) return fail(pos, "length runs past the end of the file");
    if (body + len >= text.size() || text[body + len] != '\n') {
      return fail(body + len, "chunk not followed by LF (length wrong?)");
    }
    out.push_back(imap_chunk{line[0] == 'C', std::string(text.substr(body, len))});
    pos = body + len + 1;
  }
  return true;
}

/// Reads the file at `path` and parses it; an unreadable file is an error.
inline bool load_imap_transcript(const std::string& path, std::vector<imap_chunk>& out,
                                 std::string* error = nullptr) {
  out.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error != nullptr) *error = "cannot open " + path;
    return false;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!parse_imap_transcript(text, out, error)) {
    if (error != nullptr) *error = path + ": " + *error;
    return false;
  }
  return true;
}

/// Everything one side sent, concatenated: the byte stream the other side
/// received.
inline std::string imap_stream(const std::vector<imap_chunk>& chunks, bool from_client) {
  std::string s;
  for (const imap_chunk& c : chunks) {
    if (c.from_client == from_client) s += c.bytes;
  }
  return s;
}

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_SUPPORT_IMAP_TRANSCRIPT_HPP
