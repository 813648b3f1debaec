// mailwire: the receive buffer every machine parses from.
//
// It holds bytes the peer sent that have not been parsed yet, up to a limit
// the owner sets (options::max_buffered in each machine). It adds to the
// shared byte_buffer three things a parser needs:
//
//  - a hard limit: feed() takes only what fits and reports how much it took,
//    so a peer can never make a session hold more than the limit;
//  - a scan mark: how many bytes at the front a scanner has already searched
//    (for a line end, a boundary...). Scanners resume from the mark, so no
//    byte is searched twice however the input is split (as h11's receive
//    buffer and picohttpparser's last_len do). consume() keeps it in step;
//  - the stream offset of the first live byte, so every event and error can
//    carry the absolute offset of the bytes it describes.
//
// Payloads (an IMAP literal, a DATA chunk, a MIME body) are handed out with
// take(), as views into the buffer: no copy between the peer's bytes and the
// caller, and the machine never holds more than the limit.
//
// Lifetimes: views from data() and take() are valid until the next non-const
// call on the buffer.
#ifndef MAILWIRE_CORE_RECV_BUFFER_HPP
#define MAILWIRE_CORE_RECV_BUFFER_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailwire/core/byte_buffer.hpp"
#include "mailwire/limits.hpp"

namespace mailwire {
inline namespace v0 {

/// The bytes received and not parsed yet, under a hard limit, with a scan mark
/// and the stream offset of its first byte (see the file comment).
class recv_buffer {
 public:
  /// `max_size` bounds the live bytes (default limits::max_buffered, 64 KiB). Memory held is at
  /// most a small multiple of it (see byte_buffer).
  explicit recv_buffer(std::size_t max_size = limits::max_buffered) noexcept : max_size_(max_size) {}

  /// Appends as much of `bytes` as fits under the limit; returns how many
  /// bytes were taken. A short count means: parse (and consume) first, then
  /// feed the rest.
  std::size_t feed(std::string_view bytes) {
    const std::size_t n = bytes.size() < room() ? bytes.size() : room();
    buffer_.append(bytes.substr(0, n));
    return n;
  }

  /// Zero-copy input: a pointer to `n` writable bytes (n <= room()) to read
  /// from the transport into, then commit() what was read.
  char* prepare(std::size_t n) { return buffer_.prepare(n); }
  /// Makes the first `n` bytes written through prepare() live.
  void commit(std::size_t n) noexcept { buffer_.commit(n); }

  /// How many more bytes may be fed before the limit.
  std::size_t room() const noexcept { return max_size_ - buffer_.size(); }
  /// The limit on live bytes.
  std::size_t max_size() const noexcept { return max_size_; }
  /// Bytes of storage held (see byte_buffer::capacity()): for tests and
  /// memory accounting.
  std::size_t capacity() const noexcept { return buffer_.capacity(); }

  /// The live bytes, not yet consumed.
  std::string_view data() const noexcept { return buffer_.data(); }
  /// How many live bytes there are.
  std::size_t size() const noexcept { return buffer_.size(); }
  /// True when there are no live bytes.
  bool empty() const noexcept { return buffer_.empty(); }

  /// Stream offset of data()[0]: how many bytes were consumed before it.
  std::uint64_t offset() const noexcept { return offset_; }

  /// Drops the first `n` live bytes (n <= size()).
  void consume(std::size_t n) noexcept {
    buffer_.consume(n);
    offset_ += n;
    scanned_ = scanned_ > n ? scanned_ - n : 0;
  }

  /// Consumes up to `max` bytes and returns them as a view (valid until the
  /// next non-const call): the streaming path for payloads.
  std::string_view take(std::size_t max) noexcept {
    std::string_view out = data().substr(0, max);
    consume(out.size());
    return out;
  }

  /// The scan mark: bytes at the front already searched by a scanner.
  std::size_t scanned() const noexcept { return scanned_; }
  /// Moves the scan mark (n <= size()).
  void set_scanned(std::size_t n) noexcept { scanned_ = n; }

 private:
  byte_buffer buffer_;
  std::size_t max_size_;
  std::size_t scanned_ = 0;
  std::uint64_t offset_ = 0;
};

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_RECV_BUFFER_HPP
