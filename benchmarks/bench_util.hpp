// What every benchmark here shares: best-of-N timing and reproducible data.
#ifndef MAILWIRE_BENCHMARKS_BENCH_UTIL_HPP
#define MAILWIRE_BENCHMARKS_BENCH_UTIL_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>

namespace bench {

// Best time of `reps` runs of `fn`, in seconds: the run least disturbed by
// the rest of the machine. A result `fn` returns is kept alive in a
// volatile sink so the work cannot be optimised away.
template <class F>
double best_seconds(int reps, F&& fn) {
  double best = 1e300;
  volatile std::size_t sink = 0;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
    } else {
      sink = sink + static_cast<std::size_t>(fn());
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    best = (std::min)(best, dt.count());
  }
  return best;
}

// `n` pseudo-random bytes, the same in every run.
inline std::string random_bytes(std::size_t n) {
  std::string data(n, '\0');
  std::mt19937_64 rng(42);
  for (std::size_t i = 0; i + 8 <= data.size(); i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  return data;
}

}  // namespace bench

#endif  // MAILWIRE_BENCHMARKS_BENCH_UTIL_HPP
