// MIME parser: any input, in any chunking, gives the same events (the log
// of tests/support/mime_events.hpp), with small limits so that every limit
// is reached; offsets never run past the input and body sizes add up.
//
// Cost: each parse is linear but heavily instrumented (~0.1-0.2 ms per KiB
// under ASan and coverage), so the input is parsed at most twice: once
// whole, logging and checking offsets in the same pass, and once split, for
// inputs up to split_max only. Chunking bugs live at buffer and line edges
// that small inputs reach (the small-limits mode shrinks the parser's
// buffer to about 1 KiB); larger inputs, up to the cap in
// mime_parser.options, are for nesting and the default limits.
#include <mailwire/mime/parser.hpp>

#include <string>
#include <vector>

#include "../tests/support/mime_events.hpp"
#include "fuzz_check.hpp"

namespace {
namespace mime = mailwire::mime;

constexpr std::size_t split_max = 4096;

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
  if (mailwire_fuzz::over_cap(size)) return 0;
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
  const bool compare = in.size() <= split_max;
  mime::parser p(o);
  mailwire_test::mime_event_log log;
  mailwire_test::drive_parser(p, std::vector<std::string_view>{in}, [&](const mime::event& e) {
    if (compare) log.on(e);
    // Offsets stay inside the input; a leaf's raw body lies inside its entity.
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
  if (compare) MAILWIRE_FUZZ_CHECK(mailwire_test::mime_log(split(in, seed), o) == log.text());
  return 0;
}
