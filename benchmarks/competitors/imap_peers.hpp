// Peer IMAP response parsers for the IMAP benchmark, each in its own TU
// (built with -w, only when its library is installed).
#ifndef MAILWIRE_BENCHMARKS_COMPETITORS_IMAP_PEERS_HPP
#define MAILWIRE_BENCHMARKS_COMPETITORS_IMAP_PEERS_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace peers {

// The work one pass over a response stream did, to compare across parsers.
struct imap_work {
  std::uint64_t fetches = 0;  // untagged FETCH responses parsed
  std::uint64_t items = 0;    // their data items (UID, FLAGS, ENVELOPE, BODY[]...)
  bool completed = false;     // the tagged completion was parsed too
};

// libetpan's name and version, for the table.
std::string etpan_imap_name();

// libetpan parsing `stream` (untagged responses, then the tagged
// completion of tag "A1") as its IMAP client does, through a mailstream
// whose transport hands out at most `read_size` bytes per read.
imap_work etpan_imap_parse(std::string_view stream, std::size_t read_size);

}  // namespace peers

#endif  // MAILWIRE_BENCHMARKS_COMPETITORS_IMAP_PEERS_HPP
