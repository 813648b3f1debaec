// mailwire: IMAP FETCH data (RFC 3501 7.4.2, RFC 9051 7.5.2).
//
// STUB until h-imap-fetch lands: this file only fixes the seam that
// imap/response.hpp uses, and parses nothing. The real header (branch
// h-imap-fetch) replaces it whole at merge; it provides the same names:
//  - struct fetch_data { std::uint32_t seq; std::vector<fetch_item> items; }
//    with operator==;
//  - detail::parse_fetch_data(scanner&, fetch_data&): called after
//    "* n FETCH " with the cursor at "(" and `seq` already set to n;
//  - detail::write_fetch_data(wire_writer&, const fetch_data&): writes the
//    parenthesised list only (response.hpp writes "* n FETCH ").
#ifndef MAILWIRE_IMAP_FETCH_HPP
#define MAILWIRE_IMAP_FETCH_HPP

#include <cstdint>
#include <vector>

#include "mailwire/imap/syntax.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// Stub: one FETCH data item (the real header types them all).
struct fetch_item {};
inline bool operator==(const fetch_item&, const fetch_item&) noexcept { return true; }

/// The data of one FETCH response: the message sequence number and its items.
struct fetch_data {
  std::uint32_t seq = 0;
  std::vector<fetch_item> items;
};
inline bool operator==(const fetch_data& a, const fetch_data& b) noexcept {
  return a.seq == b.seq && a.items == b.items;
}

namespace detail {
/// Stub: refuses every FETCH response (errc::syntax_error at the "(").
inline bool parse_fetch_data(scanner& sc, fetch_data&) { return sc.fail(); }
/// Stub: refuses to write FETCH data (errc::invalid_argument).
inline void write_fetch_data(wire_writer& w, const fetch_data&) { w.fail(errc::invalid_argument); }
}  // namespace detail

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_FETCH_HPP
