// The parser reads the caller's chunk in place (issue 15): fed bytes are
// not copied while nothing is buffered, so the parser must have copied
// whatever it still needs by the time next() returns need_more, when the
// caller may reuse its buffer. Each message of the corpora is fed through
// one scratch buffer that is overwritten after every need_more; the events
// must be those of the message fed from memory that stays put.
#include <mailwire/mime/parser.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "mime_events.hpp"

namespace mime = mailwire::mime;

namespace {

std::string slurp_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::filesystem::path> all_messages() {
  const std::filesystem::path root = std::filesystem::path(MAILWIRE_VECTORS_DIR) / "mime";
  std::vector<std::filesystem::path> all;
  for (const char* dir : {"mime4j/testmsgs", "mime4j/mimetools-testmsgs", "mail-parser/rfc", "mail-parser/thirdparty",
                          "mail-parser/malformed"}) {
    for (const auto& f : std::filesystem::directory_iterator(root / dir)) {
      if (f.path().extension() == ".msg" || f.path().extension() == ".eml") all.push_back(f.path());
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

// The log of `in` fed `chunk` bytes at a time through one scratch buffer,
// scribbled over after every need_more (and after every feed that took
// less than offered, once the events are drained).
std::string log_through_scratch(std::string_view in, std::size_t chunk, const mime::parser_options& o) {
  mime::parser p(o);
  mailwire_test::mime_event_log log;
  std::string scratch;
  for (std::size_t at = 0; at < in.size(); at += chunk) {
    scratch.assign(in.substr(at, chunk));
    std::string_view c = scratch;
    while (!c.empty()) {
      c.remove_prefix(p.feed(c));
      for (auto e = p.next(); e.type != mime::event_type::need_more; e = p.next()) log.on(e);
    }
    std::fill(scratch.begin(), scratch.end(), '\xDD');
  }
  p.finish();
  for (auto e = p.next(); e.type != mime::event_type::end; e = p.next()) log.on(e);
  return log.text();
}

}  // namespace

TEST_CASE("the parser keeps what it needs of a chunk before the caller reuses it", "[mime][parser][corpus]") {
  const auto messages = all_messages();
  REQUIRE(messages.size() == 80 + 53);
  for (const auto& msg : messages) {
    const std::string in = slurp_file(msg);
    for (bool decode : {true, false}) {
      mime::parser_options o;
      o.decode = decode;
      const std::string want = mailwire_test::mime_log(std::vector<std::string_view>{in}, o);
      for (const std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{100},
                                      std::size_t{4096}, in.size() + 1}) {
        INFO(msg.string() << ", decode " << decode << ", chunks of " << chunk);
        REQUIRE(log_through_scratch(in, chunk, o) == want);
      }
    }
  }
}

TEST_CASE("feed takes what fits whether the chunk is read in place or copied", "[mime][parser][limits]") {
  mime::parser_options o;
  o.max_field = 100;
  o.max_boundary = 70;
  const std::size_t max = 100 + 70 + 1024;  // the parser's buffer
  const std::string big(5000, 'x');
  mime::parser p(o);
  CHECK(p.feed(big) == max);  // read in place: as much as the buffer would hold
  CHECK(p.feed(big) == 0);    // nothing more until events are pulled
  mime::parser q(o);
  CHECK(q.feed("Subject") == 7);            // in place
  CHECK(q.feed(big) == max - 7);            // now copied, behind the first bytes
  auto e = q.next();
  CHECK(e.type == mime::event_type::diagnostic);  // the over-long field
}
