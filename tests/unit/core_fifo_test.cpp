// detail::fifo, the machines' event and command queue: FIFO order through
// growth and wrap-around, size and emptiness, storage kept when drained.
#include <mailwire/core/fifo.hpp>

#include <cstdint>
#include <deque>
#include <random>

#include "catch.hpp"

using mailwire::detail::fifo;

namespace {

struct record {  // an event-like value: trivially copyable, with a view
  std::uint32_t id;
  const char* text;
};

}  // namespace

TEST_CASE("fifo: nothing allocated until the first push, then 1, 2, 4... slots") {
  fifo<std::uint32_t> q;
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK(q.capacity() == 0);
  const std::size_t want[] = {1, 2, 4, 4, 8, 8, 8, 8, 16};
  for (std::uint32_t i = 0; i < 9; ++i) {
    q.push_back(i);
    CHECK(q.size() == i + 1);
    CHECK(q.capacity() == want[i]);
    CHECK(q.front() == 0);
    CHECK(q.back() == i);
  }
  CHECK_FALSE(q.empty());
}

TEST_CASE("fifo: grows while wrapped, keeping the order") {
  // Fill 4 slots, pop 3 and push 3 so the ring wraps (head at slot 3),
  // then push past capacity: growth must unwrap the values in order.
  fifo<std::uint32_t> q;
  for (std::uint32_t i = 0; i < 4; ++i) q.push_back(i);
  for (std::uint32_t i = 0; i < 3; ++i) {
    REQUIRE(q.front() == i);
    q.pop_front();
    q.push_back(4 + i);
  }
  REQUIRE(q.capacity() == 4);  // wrapped, not grown
  q.push_back(7);              // full: grows to 8 while wrapped
  CHECK(q.capacity() == 8);
  for (std::uint32_t want = 3; want < 8; ++want) {
    REQUIRE_FALSE(q.empty());
    CHECK(q.front() == want);
    q.pop_front();
  }
  CHECK(q.empty());
}

TEST_CASE("fifo: a drained queue keeps its capacity and does not grow again") {
  fifo<record> q;
  for (std::uint32_t i = 0; i < 5; ++i) q.push_back({i, "x"});
  REQUIRE(q.capacity() == 8);
  while (!q.empty()) q.pop_front();
  CHECK(q.size() == 0);
  CHECK(q.capacity() == 8);
  // Batches that fit never reallocate, wherever the head has moved to.
  for (int round = 0; round < 10; ++round) {
    for (std::uint32_t i = 0; i < 8; ++i) q.push_back({i, "y"});
    CHECK(q.capacity() == 8);
    for (std::uint32_t i = 0; i < 8; ++i) {
      REQUIRE(q.front().id == i);
      q.pop_front();
    }
  }
  q.push_back({1, "z"});
  q.back().id = 2;  // back() is the slot just pushed, writable
  CHECK(q.front().id == 2);
}

TEST_CASE("fifo: random pushes and pops give what std::deque gives") {
  // Phases that fill up and phases that drain, so the ring wraps at every
  // capacity it passes through.
  std::mt19937 rng(7);
  fifo<std::uint32_t> q;
  std::deque<std::uint32_t> oracle;
  std::uint32_t next = 0;
  for (int step = 0; step < 20000; ++step) {
    const bool filling = (step / 500) % 2 == 0;
    const bool pop = filling ? rng() % 3 == 0 : rng() % 3 != 0;  // 1 in 3, or 2 in 3
    if (!oracle.empty() && pop) {
      REQUIRE(q.front() == oracle.front());
      q.pop_front();
      oracle.pop_front();
    } else {
      q.push_back(next);
      oracle.push_back(next);
      ++next;
      REQUIRE(q.back() == oracle.back());
    }
    REQUIRE(q.size() == oracle.size());
    REQUIRE(q.empty() == oracle.empty());
  }
  while (!oracle.empty()) {
    REQUIRE(q.front() == oracle.front());
    q.pop_front();
    oracle.pop_front();
  }
  CHECK(q.empty());
}
