// MIME parser: any input, in any chunking, gives the same events (the log
// of tests/support/mime_events.hpp), with small limits so that every limit
// is reached; offsets never run past the input and body sizes add up.
#include <mailwire/mime/parser.hpp>

#include <string>
#include <vector>

#include "../tests/support/mime_events.hpp"
#include "fuzz_check.hpp"

namespace {
namespace mime = mailwire::mime;

// Pieces of 1..n bytes, their sizes drawn from `seed` (a small LCG).
std::vector<std::string_view> split(std::string_view in, std::uint32_t seed) {
  std::vector<std::string_view> out;
  while (!in.empty()) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t n = 1 + (seed >> 16) % 97;
    out.push_back(in.substr(0, n));
    in.remove_prefix(out.back().size());
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t flags = mailwire_fuzz::take_byte(in);
  const std::uint8_t seed = mailwire_fuzz::take_byte(in);
  mime::parser_options o;
  o.decode = (flags & 1) == 0;
  if ((flags & 2) != 0) {
    o.max_depth = 3;
    o.max_field = 64;
    o.max_fields = 4;
    o.max_parts = 6;
    o.max_boundary = 16;
  }
  const std::vector<std::string_view> whole{in};
  const std::string expected = mailwire_test::mime_log(whole, o);
  MAILWIRE_FUZZ_CHECK(mailwire_test::mime_log(split(in, seed), o) == expected);

  // Offsets stay inside the input; a leaf's raw body lies inside its entity.
  mime::parser p(o);
  mailwire_test::drive_parser(p, whole, [&](const mime::event& e) {
    MAILWIRE_FUZZ_CHECK(e.offset <= in.size());
    if (e.type == mime::event_type::part_end) {
      MAILWIRE_FUZZ_CHECK(e.entity->offset <= e.entity->body_offset);
      MAILWIRE_FUZZ_CHECK(e.entity->body_offset <= e.entity->end);
      MAILWIRE_FUZZ_CHECK(e.entity->end <= in.size());
      if (!o.decode && e.entity->kind == mime::part_kind::leaf) {
        MAILWIRE_FUZZ_CHECK(e.entity->size == e.entity->end - e.entity->body_offset);
      }
    }
  });
  return 0;
}
