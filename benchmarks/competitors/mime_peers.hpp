// Peer MIME parsers for the MIME benchmark, each in its own TU (built with
// -w, only when its library is installed).
#ifndef MAILWIRE_BENCHMARKS_COMPETITORS_MIME_PEERS_HPP
#define MAILWIRE_BENCHMARKS_COMPETITORS_MIME_PEERS_HPP

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace peers {

// The work one pass over the corpus did, to compare across parsers.
struct mime_work {
  std::uint64_t leaves = 0;       // leaf parts whose content was decoded
  std::uint64_t decoded = 0;      // their transfer-decoded bytes
  std::uint64_t header_text = 0;  // bytes of decoded Subject and From names
};

// A parser ready to run: `run` parses every message of the corpus it was
// made for and decodes every leaf part's content to bytes (and Subject and
// From, where the library decodes headers). Setup (copies of the corpus
// into the library's own buffers) is done before, outside the timing.
struct mime_peer {
  std::string name;
  std::function<mime_work()> run;
};

mime_peer gmime_mime(const std::vector<std::string>& corpus);
mime_peer mimetic_mime(const std::vector<std::string>& corpus);
mime_peer vmime_mime(const std::vector<std::string>& corpus);
mime_peer etpan_mime(const std::vector<std::string>& corpus);

}  // namespace peers

#endif  // MAILWIRE_BENCHMARKS_COMPETITORS_MIME_PEERS_HPP
