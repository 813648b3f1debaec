// What every fuzz target needs: a check that aborts (so libFuzzer and the
// replay main both report it), the input cap, and a way to read options
// from the input.
#ifndef MAILWIRE_FUZZ_CHECK_HPP
#define MAILWIRE_FUZZ_CHECK_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// fuzz/CMakeLists.txt sets it from max_len in fuzz/<target>.options, the
// file the run scripts read too, so the guard and -max_len cannot differ.
#ifndef MAILWIRE_FUZZ_MAX_LEN
#error "MAILWIRE_FUZZ_MAX_LEN is not set: build the targets through fuzz/CMakeLists.txt"
#endif

#define MAILWIRE_FUZZ_CHECK(cond)                                                   \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace mailwire_fuzz {
/// The target's input cap in bytes (max_len in fuzz/<target>.options).
constexpr std::size_t max_len = MAILWIRE_FUZZ_MAX_LEN;

/// How many inputs over_cap() turned away (the replay main reports it).
inline std::size_t& skipped_inputs() {
  static std::size_t n = 0;
  return n;
}

/// True (and counted) for an input longer than the cap: the target returns
/// at once. libFuzzer never makes one under -max_len, but a file replayed
/// by name or a corpus from elsewhere may be megabytes, and must not stall
/// a replay or a merge.
inline bool over_cap(std::size_t size) {
  if (size <= max_len) return false;
  ++skipped_inputs();
  return true;
}

/// Takes one byte off the front of the input (0 when it is empty).
inline std::uint8_t take_byte(std::string_view& in) {
  if (in.empty()) return 0;
  const auto b = static_cast<std::uint8_t>(in.front());
  in.remove_prefix(1);
  return b;
}

/// Takes up to `n` bytes off the front of the input.
inline std::string_view take_bytes(std::string_view& in, std::size_t n) {
  const std::string_view r = in.substr(0, n);
  in.remove_prefix(r.size());
  return r;
}

/// Bytes a harness reads in turn, as events come, to choose how its
/// application answers (a session target's events come in the same order
/// however the input is split, so the answers do too). They cycle; with
/// none, every choice is 0.
class decisions {
 public:
  explicit decisions(std::string_view bytes) noexcept : bytes_(bytes) {}
  std::uint8_t next() noexcept {
    if (bytes_.empty()) return 0;
    return static_cast<std::uint8_t>(bytes_[at_++ % bytes_.size()]);
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};
}  // namespace mailwire_fuzz

#endif  // MAILWIRE_FUZZ_CHECK_HPP
