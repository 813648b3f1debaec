// mailwire: the one event and command queue of every session machine.
//
// A machine keeps a few short queues: events not yet returned by next(),
// replies or responses it awaits for commands it sent (pipelining), commands
// held back until those replies arrive. detail::fifo is that queue, for all
// of them and for every protocol.
#ifndef MAILWIRE_CORE_FIFO_HPP
#define MAILWIRE_CORE_FIFO_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace mailwire {
inline namespace v0 {
namespace detail {

/// A first-in first-out queue of trivially copyable values (events that
/// hold views, small records; a value is copied in and out, never
/// destroyed). Storage is a ring, allocated lazily: nothing until the first
/// push, then 1, 2, 4... slots, doubling only when full. It never shrinks,
/// so an idle session holds a few slots and a busy one stops allocating
/// once its batches fit. References from front() and back() are valid until
/// the next push_back() or pop_front(). Capacity is bounded by uint32 (the
/// queues it serves are bounded by the machines' limits far below that).
template <class T>
class fifo {
  static_assert(std::is_trivially_copyable_v<T>, "slots are copied as values");

 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  /// Slots allocated (0 before the first push); kept when the queue drains.
  std::size_t capacity() const noexcept { return capacity_; }
  /// Precondition for front(), back(), pop_front(): !empty().
  T& front() noexcept { return slots_[head_]; }
  T& back() noexcept { return slots_[(head_ + size_ - 1) & (capacity_ - 1)]; }
  void pop_front() noexcept {
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  /// May allocate (doubling the ring); std::bad_alloc is the only thing
  /// that can escape.
  void push_back(const T& v) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = v;
    ++size_;
  }

 private:
  // Capacity is a power of two, so positions wrap with a mask.
  void grow() {
    const std::uint32_t capacity = capacity_ == 0 ? 1 : capacity_ * 2;
    std::unique_ptr<T[]> slots(new T[capacity]);
    for (std::uint32_t i = 0; i < size_; ++i) slots[i] = slots_[(head_ + i) & (capacity_ - 1)];
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<T[]> slots_;
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
};

}  // namespace detail
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_FIFO_HPP
