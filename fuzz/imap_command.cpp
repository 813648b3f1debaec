// imap_command: IMAP commands (imap/command.hpp, imap/search.hpp) on
// hostile input, as a server reads them. The first byte chooses the parse
// options (a small max_depth, 8-bit quoted strings) and what the peer that
// would receive the command supports (LITERAL+, LITERAL-, UTF8=ACCEPT,
// BINARY); the rest is one command as the frame reader delivers it. What
// parses must:
//  - write back for that peer (or, for a value the writer cannot carry to
//    that peer — NUL without BINARY, a lenient 8-bit string — fail with
//    invalid_argument, leaving the wire empty);
//  - parse again from what was written (as its frame reader would deliver
//    it: without the final CRLF) to the same command;
//  - write the same bytes again (the writer's forms are canonical);
//  - never put CR, LF or NUL outside a literal.
#include <mailwire/imap/command.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace imap = mailwire::imap;
using mailwire::errc;

// Every CRLF in `bytes` before its end is a literal's announcement, and
// literals are skipped; no NUL outside them.
bool clean_outside_literals(const std::string& bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const char c = bytes[i];
    if (c == '\0') return false;
    if (c == '\r' || c == '\n') {
      if (c == '\n' || i + 1 >= bytes.size() || bytes[i + 1] != '\n') return false;
      if (i + 2 == bytes.size()) return true;
      if (i == 0 || bytes[i - 1] != '}') return false;
      std::size_t open = bytes.rfind('{', i);
      if (open == std::string::npos) return false;
      std::size_t n = 0;
      for (std::size_t k = open + 1; k < i - 1 && bytes[k] != '+'; ++k) n = n * 10 + static_cast<std::size_t>(bytes[k] - '0');
      i += 2 + n;
      continue;
    }
    ++i;
  }
  return false;  // no final CRLF
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t bits = mailwire_fuzz::take_byte(in);
  imap::parse_options o;
  if ((bits & 1) != 0) o.max_depth = 8;
  o.allow_8bit_quoted = (bits & 2) != 0;
  imap::peer_support peer;
  peer.literal_plus = (bits & 4) != 0;
  peer.literal_minus = (bits & 8) != 0;
  peer.utf8 = (bits & 16) != 0;
  peer.binary = (bits & 32) != 0;

  imap::command c;
  std::string scratch;
  if (imap::parse_command(in, c, scratch, o) != errc::ok) return 0;

  imap::wire w;
  const errc we = imap::write(w, c, peer);
  if (we != errc::ok) {
    MAILWIRE_FUZZ_CHECK(we == errc::invalid_argument);
    MAILWIRE_FUZZ_CHECK(w.bytes.empty() && w.breaks.empty());
    return 0;
  }
  MAILWIRE_FUZZ_CHECK(clean_outside_literals(w.bytes));
  const std::string text = w.bytes.substr(0, w.bytes.size() - 2);
  imap::command back;
  std::string scratch2;
  imap::parse_options strict;
  strict.allow_8bit_quoted = o.allow_8bit_quoted;
  MAILWIRE_FUZZ_CHECK(imap::parse_command(text, back, scratch2, strict) == errc::ok);
  MAILWIRE_FUZZ_CHECK(back == c);
  imap::wire again;
  MAILWIRE_FUZZ_CHECK(imap::write(again, back, peer) == errc::ok);
  MAILWIRE_FUZZ_CHECK(again.bytes == w.bytes);
  return 0;
}
