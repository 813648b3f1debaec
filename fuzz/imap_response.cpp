// imap_response: the IMAP response parser on hostile messages, and the
// writer on what it reads. The first byte chooses the parse options (bit 0
// allow_8bit_quoted, bit 1 allow_missing_text_space, bit 2
// allow_trailing_space, bit 3 a small max_depth of 4); the rest is one
// message (a response without its final CRLF, literals inline). Checks:
//  - a failed parse reports an offset inside the message;
//  - a parsed response's views lie in the message or the scratch buffer;
//  - written back (to a client with UTF8=ACCEPT and BINARY) it is refused
//    only with errc::invalid_argument and only for what the 8-bit leniency
//    let in (text that is not UTF-8); otherwise the bytes end in CRLF, have
//    no breaks, read back strictly (no leniency) as an equal response, and
//    write again to the same bytes.
// FETCH responses are imap/fetch.hpp's; this target reaches them only as
// far as response.hpp dispatches.
#include <mailwire/imap/response.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace imap = mailwire::imap;
using mailwire::errc;

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
bool inside2(std::string_view part, std::string_view a, const std::string& b) {
  return inside(part, a) || inside(part, std::string_view(b.data(), b.capacity()));
}

void check_views(const imap::response& r, std::string_view m, const std::string& scratch) {
  MAILWIRE_FUZZ_CHECK(inside2(r.tag, m, scratch) && inside2(r.text, m, scratch));
  MAILWIRE_FUZZ_CHECK(inside2(r.mailbox, m, scratch) && inside2(r.rest, m, scratch));
  for (const std::string_view s : r.names) MAILWIRE_FUZZ_CHECK(inside2(s, m, scratch));
  for (const std::string_view s : r.code.list) MAILWIRE_FUZZ_CHECK(inside2(s, m, scratch));
  for (const imap::flag& f : r.flags) MAILWIRE_FUZZ_CHECK(inside2(f.name, m, scratch));
  for (const imap::flag& f : r.code.flags) MAILWIRE_FUZZ_CHECK(inside2(f.name, m, scratch));
  for (const imap::string_pair& p : r.pairs) {
    MAILWIRE_FUZZ_CHECK(inside2(p.name, m, scratch));
    if (p.value) MAILWIRE_FUZZ_CHECK(inside2(*p.value, m, scratch));
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t flags = mailwire_fuzz::take_byte(in);
  imap::parse_options o;
  o.allow_8bit_quoted = (flags & 1) != 0;
  o.allow_missing_text_space = (flags & 2) != 0;
  o.allow_trailing_space = (flags & 4) != 0;
  if ((flags & 8) != 0) o.max_depth = 4;
  const std::string message(in);

  imap::response r;
  std::string scratch;
  const errc e = imap::parse_response(message, r, scratch, o);
  if (e != errc::ok) {
    MAILWIRE_FUZZ_CHECK(r.error_at <= message.size());
    return 0;
  }
  check_views(r, message, scratch);
  MAILWIRE_FUZZ_CHECK(r.type != imap::response_type::status || r.tag.empty() || imap::is_tag(r.tag));

  imap::peer_support peer;
  peer.to_server = false;
  peer.utf8 = true;
  peer.binary = true;
  imap::wire w;
  const errc we = imap::write(w, r, peer);
  if (we != errc::ok) {
    MAILWIRE_FUZZ_CHECK(we == errc::invalid_argument && w.bytes.empty() && o.allow_8bit_quoted);
    return 0;
  }
  MAILWIRE_FUZZ_CHECK(w.breaks.empty() && w.bytes.size() >= 2);
  MAILWIRE_FUZZ_CHECK(w.bytes.compare(w.bytes.size() - 2, 2, "\r\n") == 0);
  imap::parse_options strict;
  strict.max_depth = o.max_depth;
  imap::response back;
  std::string scratch2;
  const std::string_view written(w.bytes.data(), w.bytes.size() - 2);
  MAILWIRE_FUZZ_CHECK(imap::parse_response(written, back, scratch2, strict) == errc::ok);
  MAILWIRE_FUZZ_CHECK(back == r);
  imap::wire again;
  MAILWIRE_FUZZ_CHECK(imap::write(again, back, peer) == errc::ok && again.bytes == w.bytes);
  return 0;
}
