// imap_fetch: FETCH response data ("(" msg-att ... ")") on hostile input.
// The first byte chooses the parse options (one bit per leniency,
// allow_8bit_quoted, and a small max_depth); the rest is the text. What
// parses must:
//  - write back (peer with BINARY and UTF8=ACCEPT, as a server writes)
//    unless a leniency read a value the grammar cannot carry (a multipart
//    without parts), and then fail only with invalid_argument;
//  - parse again, strictly, from what was written, to the same value
//    (a lenient reading written back is strict);
//  - parse the same into a reused fetch_data as into a fresh one.
#include <mailwire/imap/fetch.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace imap = mailwire::imap;
using mailwire::errc;

bool lenient(const imap::parse_options& o) {
  return o.lenient_disposition_string || o.lenient_empty_multipart || o.lenient_missing_subtype ||
         o.lenient_nil_param_value || o.lenient_spaces || o.lenient_nil_encoding || o.allow_8bit_quoted;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t bits = mailwire_fuzz::take_byte(in);
  imap::parse_options o;
  o.lenient_disposition_string = (bits & 1) != 0;
  o.lenient_empty_multipart = (bits & 2) != 0;
  o.lenient_missing_subtype = (bits & 4) != 0;
  o.lenient_nil_param_value = (bits & 8) != 0;
  o.lenient_spaces = (bits & 16) != 0;
  o.lenient_nil_encoding = (bits & 32) != 0;
  o.allow_8bit_quoted = (bits & 64) != 0;
  if ((bits & 128) != 0) o.max_depth = 8;

  static imap::fetch_data reused;  // keeps whatever the last input left in it
  std::string scratch;
  const errc e = imap::parse_fetch_items(in, reused, scratch, o);
  imap::fetch_data fresh;
  std::string scratch2;
  MAILWIRE_FUZZ_CHECK(imap::parse_fetch_items(in, fresh, scratch2, o) == e);
  if (e != errc::ok) return 0;
  MAILWIRE_FUZZ_CHECK(fresh.items == reused.items);

  imap::peer_support peer;
  peer.to_server = false;
  peer.binary = true;
  peer.utf8 = true;
  imap::wire w;
  const errc we = imap::write_fetch_items(w, fresh, peer);
  if (we != errc::ok) {
    MAILWIRE_FUZZ_CHECK(we == errc::invalid_argument && lenient(o));
    MAILWIRE_FUZZ_CHECK(w.bytes.empty());
    return 0;
  }
  MAILWIRE_FUZZ_CHECK(w.breaks.empty());
  imap::parse_options strict;
  strict.max_depth = o.max_depth;
  imap::fetch_data again;
  std::string scratch3;
  MAILWIRE_FUZZ_CHECK(imap::parse_fetch_items(w.bytes, again, scratch3, strict) == errc::ok);
  MAILWIRE_FUZZ_CHECK(again.items == fresh.items);
  return 0;
}
