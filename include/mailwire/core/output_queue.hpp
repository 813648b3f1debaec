// mailwire: bytes a machine has produced for the peer, waiting to be written.
//
// Every machine exposes it the same way (nghttp2's mem_send, Beast's
// serializer consume):
//
//     while (!m.pending_output().empty()) {
//       auto out = m.pending_output();
//       std::size_t n = write(fd, out.data(), out.size());   // caller's I/O
//       m.consume_output(n);
//     }
//
// Actions serialise straight into the queue (prepare/commit), so a command
// is formatted once, in place. The view from pending() is valid until the
// next non-const call on the queue (or on the machine that owns it).
#ifndef MAILWIRE_CORE_OUTPUT_QUEUE_HPP
#define MAILWIRE_CORE_OUTPUT_QUEUE_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailwire/core/byte_buffer.hpp"

namespace mailwire {
inline namespace v0 {

/// The bytes a machine has queued for the peer, oldest first: what
/// pending_output() shows and consume_output() removes. Unbounded by itself;
/// the machines stop taking input past their max_pending_output.
class output_queue {
 public:
  /// Bytes waiting to be written, oldest first.
  std::string_view pending() const noexcept { return buffer_.data(); }
  /// True when nothing waits to be written.
  bool empty() const noexcept { return buffer_.empty(); }
  /// How many bytes wait to be written.
  std::size_t size() const noexcept { return buffer_.size(); }

  /// The caller wrote the first `n` bytes of pending() (n <= size()).
  void consume(std::size_t n) noexcept {
    buffer_.consume(n);
    written_ += n;
  }

  /// Queues a copy of `bytes` (only through the emit point for protocol lines).
  void append(std::string_view bytes) { buffer_.append(bytes); }
  /// `n` writable bytes at the back, to fill and then commit().
  char* prepare(std::size_t n) { return buffer_.prepare(n); }
  /// Queues the first `n` bytes written through prepare().
  void commit(std::size_t n) noexcept { buffer_.commit(n); }

  /// Total bytes consumed so far: the session's output byte count.
  std::uint64_t written() const noexcept { return written_; }

 private:
  byte_buffer buffer_;
  std::uint64_t written_ = 0;
};

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_OUTPUT_QUEUE_HPP
