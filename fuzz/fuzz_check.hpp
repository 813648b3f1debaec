// What every fuzz target needs: a check that aborts (so libFuzzer and the
// replay main both report it) and a way to read options from the input.
#ifndef MAILWIRE_FUZZ_CHECK_HPP
#define MAILWIRE_FUZZ_CHECK_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define MAILWIRE_FUZZ_CHECK(cond)                                                   \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace mailwire_fuzz {
/// Takes one byte off the front of the input (0 when it is empty).
inline std::uint8_t take_byte(std::string_view& in) {
  if (in.empty()) return 0;
  const auto b = static_cast<std::uint8_t>(in.front());
  in.remove_prefix(1);
  return b;
}
}  // namespace mailwire_fuzz

#endif  // MAILWIRE_FUZZ_CHECK_HPP
