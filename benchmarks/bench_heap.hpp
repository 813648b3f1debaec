// Counts the heap bytes a benchmark has live, and their peak, by replacing
// the global operator new and delete. Include it from exactly one file of
// an executable (it defines the replacements).
#ifndef MAILWIRE_BENCHMARKS_BENCH_HEAP_HPP
#define MAILWIRE_BENCHMARKS_BENCH_HEAP_HPP

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace bench {
namespace heap {
inline std::atomic<long long> live{0};
inline std::atomic<long long> peak{0};  // since the last reset_peak()
// Off, allocation skips the counters (their atomics), so that timings are
// not charged for them; blocks keep their header, so delete stays valid.
inline bool counting = true;

// Starts a new peak from what is live now.
inline void reset_peak() { peak = live.load(); }

// The counted size is stored in front of each block (0: not counted).
// Never inlined: GCC 12 at -O2, seeing free() of a pointer 16 bytes before
// what operator new returned inside a vector's destructor, takes the pair
// for a mismatch (-Wmismatched-new-delete, -Warray-bounds).
#if defined(__GNUC__)
__attribute__((noinline))
#endif
inline void* allocate(std::size_t n) noexcept {
  void* p = std::malloc(n + 16);
  if (p == nullptr) return nullptr;
  *static_cast<std::size_t*>(p) = counting ? n : 0;
  if (counting) {
    const long long now = live += static_cast<long long>(n);
    long long seen = peak.load(std::memory_order_relaxed);
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
  return static_cast<char*>(p) + 16;
}

#if defined(__GNUC__)
__attribute__((noinline))
#endif
inline void release(void* p) noexcept {
  if (p == nullptr) return;
  char* base = static_cast<char*>(p) - 16;
  const std::size_t n = *reinterpret_cast<std::size_t*>(base);
  if (n != 0) live -= static_cast<long long>(n);
  std::free(base);
}
}  // namespace heap
}  // namespace bench

// Every form a library may pair with the sized or unsized delete (the
// nothrow ones too: std::stable_sort's temporary buffer uses them).
void* operator new(std::size_t n) {
  void* p = bench::heap::allocate(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return bench::heap::allocate(n); }
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return bench::heap::allocate(n); }
void operator delete(void* p) noexcept { bench::heap::release(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { operator delete(p); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { operator delete(p); }

#endif  // MAILWIRE_BENCHMARKS_BENCH_HEAP_HPP
