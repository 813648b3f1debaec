// grind: feed one input in every way a transport might deliver it, and
// require the same result each time.
//
// A parser that keeps state across feed() calls must not care where the
// input was split: the events (and their offsets, and the errors) for a
// message fed whole must be exactly those for the same message fed in two
// pieces at any point, byte by byte, and in three pieces at any two points
// (for short inputs). grind() runs a caller's function once per chunking and
// compares the logs it returns.
#ifndef MAILWIRE_TESTS_SUPPORT_GRIND_HPP
#define MAILWIRE_TESTS_SUPPORT_GRIND_HPP

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "quote.hpp"

namespace mailwire_test {

/// The pieces of one way of splitting an input, in feeding order.
using chunks = std::vector<std::string_view>;

/// Every chunking grind() tries: whole; split in two at each point; byte by
/// byte; and, up to `three_way_max` bytes, split in three at every pair of
/// points.
inline std::vector<chunks> chunkings(std::string_view in, std::size_t three_way_max = 64) {
  std::vector<chunks> all;
  all.push_back({in});
  for (std::size_t i = 0; i <= in.size(); ++i) all.push_back({in.substr(0, i), in.substr(i)});
  chunks bytes;
  for (std::size_t i = 0; i < in.size(); ++i) bytes.push_back(in.substr(i, 1));
  all.push_back(bytes);
  if (in.size() <= three_way_max) {
    for (std::size_t i = 1; i < in.size(); ++i) {
      for (std::size_t j = i + 1; j < in.size(); ++j) {
        all.push_back({in.substr(0, i), in.substr(i, j - i), in.substr(j)});
      }
    }
  }
  return all;
}

/// Where a chunking splits, for failure messages: "[3, 7]".
inline std::string describe(const chunks& c) {
  std::string s = "split at [";
  std::size_t at = 0;
  for (std::size_t i = 0; i + 1 < c.size(); ++i) {
    at += c[i].size();
    if (i != 0) s += ", ";
    s += std::to_string(at);
  }
  return s + "]";
}

/// Runs `run(const chunks&) -> std::string` for every chunking of `in` and
/// REQUIREs every log to equal the whole-input log, which it returns.
template <class Run>
std::string grind(std::string_view in, Run&& run, std::size_t three_way_max = 64) {
  const std::vector<chunks> all = chunkings(in, three_way_max);
  const std::string whole = run(all.front());
  for (std::size_t i = 1; i < all.size(); ++i) {
    const std::string log = run(all[i]);
    if (log != whole) {
      INFO(describe(all[i]));
      REQUIRE(log == whole);
    }
  }
  return whole;
}

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_SUPPORT_GRIND_HPP
