// byte_buffer, recv_buffer and output_queue: contents against a std::string
// model, the amortised compaction bound, the limit, offsets and scan marks.
#include <mailwire/core/byte_buffer.hpp>
#include <mailwire/core/output_queue.hpp>
#include <mailwire/core/recv_buffer.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "catch.hpp"

using mailwire::byte_buffer;
using mailwire::output_queue;
using mailwire::recv_buffer;

TEST_CASE("byte_buffer keeps exactly the bytes appended and not consumed") {
  std::mt19937 rng(12345);
  byte_buffer b;
  std::string model;
  std::uint64_t appended = 0;
  std::size_t high_water = 0;
  for (int step = 0; step < 20000; ++step) {
    const auto op = rng() % 3;
    if (op == 0) {
      std::string s(rng() % 300, '\0');
      for (char& c : s) c = static_cast<char>('a' + rng() % 26);
      b.append(s);
      model += s;
      appended += s.size();
    } else if (op == 1 && !model.empty()) {
      const std::size_t n = rng() % (model.size() + 1);
      b.consume(n);
      model.erase(0, n);
    } else {
      const std::size_t n = rng() % 64;
      char* p = b.prepare(n);
      for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>('A' + i % 26);
      const std::size_t k = n == 0 ? 0 : rng() % (n + 1);
      b.commit(k);
      for (std::size_t i = 0; i < k; ++i) model += static_cast<char>('A' + i % 26);
      appended += k;
    }
    REQUIRE(b.data() == model);
    high_water = std::max(high_water, model.size() + 300);
  }
  // Memory stays within a small factor of the most ever held.
  CHECK(b.capacity() <= 4 * high_water);
  CHECK(b.bytes_moved() <= 4 * appended);
}

TEST_CASE("byte_buffer compaction is amortised O(1) per byte") {
  // The pathological pattern for a naive "compact whenever there is dead
  // space" buffer: a large live region, then one byte in, one byte out.
  byte_buffer b;
  const std::string big(64 * 1024, 'x');
  b.append(big);
  const std::uint64_t before = b.bytes_moved();
  const std::size_t rounds = 200000;
  for (std::size_t i = 0; i < rounds; ++i) {
    b.append("y");
    b.consume(1);
  }
  REQUIRE(b.size() == big.size());
  // Naive compaction would move 64 KiB per round (13 GB in all).
  CHECK(b.bytes_moved() - before <= 4 * (rounds + big.size()));
}

TEST_CASE("byte_buffer empties to the start, so a drained buffer never moves bytes") {
  byte_buffer b;
  for (int i = 0; i < 1000; ++i) {
    b.append("HELO example.org\r\n");
    b.consume(b.size());
  }
  CHECK(b.bytes_moved() == 0);
  CHECK(b.capacity() == 256);
}

TEST_CASE("recv_buffer takes bytes only up to its limit") {
  recv_buffer in(10);
  CHECK(in.max_size() == 10);
  CHECK(in.feed("123456789") == 9);  // just under
  CHECK(in.room() == 1);
  CHECK(in.feed("ab") == 1);  // just over: one byte taken
  CHECK(in.data() == "123456789a");
  CHECK(in.feed("b") == 0);
  in.consume(4);
  CHECK(in.offset() == 4);
  CHECK(in.feed("bcdefg") == 4);
  CHECK(in.data() == "56789abcde");
}

TEST_CASE("recv_buffer offsets, scan mark and take()") {
  recv_buffer in(64);
  in.feed("0123456789");
  in.set_scanned(7);
  in.consume(3);
  CHECK(in.scanned() == 4);  // still marks the same bytes
  CHECK(in.offset() == 3);
  in.consume(5);
  CHECK(in.scanned() == 0);
  CHECK(in.take(1) == "8");
  CHECK(in.take(100) == "9");
  CHECK(in.take(100).empty());
  CHECK(in.offset() == 10);
  // Zero-copy input: read straight into the buffer.
  char* p = in.prepare(5);
  std::memcpy(p, "hello", 5);
  in.commit(5);
  CHECK(in.data() == "hello");
  CHECK(in.offset() == 10);
}

TEST_CASE("output_queue hands out pending bytes until the caller consumes them") {
  output_queue q;
  CHECK(q.empty());
  q.append("250 OK\r\n");
  char* p = q.prepare(6);
  std::memcpy(p, "221 B\r", 6);
  q.commit(6);
  q.append("\n");
  CHECK(q.pending() == "250 OK\r\n221 B\r\n");
  q.consume(3);  // a short write
  CHECK(q.pending() == " OK\r\n221 B\r\n");
  q.consume(q.size());
  CHECK(q.empty());
  CHECK(q.written() == 15);
}
