// What the session benchmarks' "bytes per idle session" figures share: the
// heap counted by bench_heap.hpp (include that first, from one file of the
// executable), and the two buffers every machine has, as the baseline the
// issues' target ("<= 1 KiB beyond buffers") is measured from.
#ifndef MAILWIRE_BENCHMARKS_BENCH_IDLE_HPP
#define MAILWIRE_BENCHMARKS_BENCH_IDLE_HPP

#include <mailwire/core/output_queue.hpp>
#include <mailwire/core/recv_buffer.hpp>

#include <string_view>

#include "bench_heap.hpp"

namespace bench {

// A heap figure: what is live now, less `base`.
inline long long heap_since(long long base) { return heap::live.load() - base; }

// The heap of a receive buffer and an output queue that each held one line
// (byte_buffer's smallest storage): the "buffers" of an idle session.
inline long long two_buffers(std::string_view in_line, std::string_view out_line) {
  const long long base = heap::live.load();
  mailwire::recv_buffer in;
  in.feed(in_line);
  mailwire::output_queue out;
  out.append(out_line);
  return heap_since(base);
}

}  // namespace bench

#endif  // MAILWIRE_BENCHMARKS_BENCH_IDLE_HPP
