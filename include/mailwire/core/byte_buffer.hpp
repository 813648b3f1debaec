// mailwire: the one contiguous byte buffer behind every receive buffer and
// output queue.
//
// Bytes are appended at the back and consumed from the front. Consuming is
// O(1) (an index moves); the consumed space at the front is reclaimed lazily,
// by moving the live bytes down only when the dead space is at least as large
// as what is moved. Each byte is therefore moved at most a constant number of
// times on average: appending and consuming n bytes costs O(n) in total.
//
// Lifetimes: data() and pointers from prepare() stay valid until the next
// call to a non-const member (prepare, append, consume, clear, reserve).
// Define MAILWIRE_DEBUG_POISON to overwrite consumed bytes with 0xDD at the
// next non-const call, so a view kept too long shows up as garbage in tests.
//
// Memory: capacity grows by doubling only when the buffer is mostly live, so
// it stays within about three times the most bytes held live at once. Limits
// on what may be held live belong to the owner (see recv_buffer).
#ifndef MAILWIRE_CORE_BYTE_BUFFER_HPP
#define MAILWIRE_CORE_BYTE_BUFFER_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace mailwire {
inline namespace v0 {

/// The one growable byte storage of every buffer and queue: bytes are appended at
/// the back and consumed from the front, in one allocation that is reused (see the
/// file comment for how it grows and compacts). Move-only.
class byte_buffer {
 public:
  byte_buffer() noexcept = default;
  /// Takes the other buffer's storage; the other is left empty.
  byte_buffer(byte_buffer&&) noexcept = default;
  /// Takes the other buffer's storage; the other is left empty.
  byte_buffer& operator=(byte_buffer&&) noexcept = default;
  byte_buffer(const byte_buffer&) = delete;
  byte_buffer& operator=(const byte_buffer&) = delete;

  /// The live bytes: appended and not yet consumed.
  std::string_view data() const noexcept {
    return {storage_.get() + begin_, end_ - begin_};
  }
  /// How many live bytes there are.
  std::size_t size() const noexcept { return end_ - begin_; }
  /// True when there are no live bytes.
  bool empty() const noexcept { return begin_ == end_; }
  /// Bytes of storage held (the high-water mark of live bytes, rounded up).
  std::size_t capacity() const noexcept { return capacity_; }

  /// Bytes copied inside the buffer so far, by compaction or growth: the
  /// cost the amortisation bounds (at most a few times the bytes consumed
  /// plus the bytes held).
  std::uint64_t bytes_moved() const noexcept { return moved_; }

  /// Returns a pointer to at least `n` writable bytes after the live ones.
  /// Write into them, then commit() how many were written.
  char* prepare(std::size_t n) {
    poison_stale();
    if (capacity_ - end_ < n) make_room(n);
    return storage_.get() + end_;
  }
  /// Makes `n` bytes written through prepare() live. Precondition: n is at
  /// most what the last prepare() asked for.
  void commit(std::size_t n) noexcept { end_ += n; }

  /// Copies `bytes` to the back (allocates when they do not fit; views from
  /// data() are then invalid).
  void append(std::string_view bytes) {
    if (bytes.empty()) return;
    std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
    commit(bytes.size());
  }

  /// Drops the first `n` live bytes. Precondition: n <= size().
  void consume(std::size_t n) noexcept {
    poison_stale();
#ifdef MAILWIRE_DEBUG_POISON
    stale_begin_ = begin_;
    stale_end_ = begin_ + n;
#endif
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;  // empty: restart at the front
  }

  /// Consumes every live byte; the storage is kept for reuse.
  void clear() noexcept { consume(size()); }

 private:
#ifdef MAILWIRE_DEBUG_POISON
  // Consumed bytes stay readable until the next non-const call (views into
  // them are still valid); that call overwrites them.
  void poison_stale() noexcept {
    if (stale_end_ > stale_begin_) std::memset(storage_.get() + stale_begin_, 0xDD, stale_end_ - stale_begin_);
    stale_begin_ = stale_end_ = 0;
  }
  std::size_t stale_begin_ = 0;
  std::size_t stale_end_ = 0;
#else
  void poison_stale() noexcept {}
#endif

  void make_room(std::size_t n) {
    const std::size_t live = end_ - begin_;
    // Move the live bytes down in place when the dead front is at least half
    // their size: every move is paid for by at least as many consumed bytes
    // (over two), so moving costs O(1) per byte overall.
    if (begin_ * 2 >= live && capacity_ - live >= n) {
      std::memmove(storage_.get(), storage_.get() + begin_, live);
      moved_ += live;
#ifdef MAILWIRE_DEBUG_POISON
      std::memset(storage_.get() + live, 0xDD, capacity_ - live);
#endif
      begin_ = 0;
      end_ = live;
      return;
    }
    // Otherwise the buffer is mostly live: double it, so capacity stays
    // within a small factor of the most bytes ever held live.
    std::size_t cap = capacity_ < 128 ? 256 : capacity_ * 2;
    while (cap - live < n) cap *= 2;
    std::unique_ptr<char[]> grown(new char[cap]);
    if (live != 0) std::memcpy(grown.get(), storage_.get() + begin_, live);
    moved_ += live;
    storage_ = std::move(grown);
    capacity_ = cap;
    begin_ = 0;
    end_ = live;
  }

  std::unique_ptr<char[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::uint64_t moved_ = 0;
};

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_BYTE_BUFFER_HPP
