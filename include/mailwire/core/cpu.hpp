// mailwire: which vector instructions this CPU has, for kernels chosen at run
// time.
//
// Every vectorised kernel in mailwire is compiled for its instruction set with
// a per-function target attribute (MAILWIRE_TARGET_*), never with a -m flag,
// so a caller builds with the compiler's defaults and still gets the fast path
// on a CPU that has it. A kernel is called only after `cpu::has()` says its
// instructions are there; the scalar code is always compiled, stays the
// reference, and is what every kernel's result is tested against.
//
// Two ways to force the scalar path:
//  - at build time, define MAILWIRE_NO_SIMD: no kernel is compiled at all;
//  - at run time, `cpu::force_scalar(true)`: `has()` then answers false for
//    everything (the tests run once dispatched and once forced).
//
// Detection runs once (a function-local static, thread-safe); reading the
// answer afterwards is one relaxed atomic load and a mask test.
#ifndef MAILWIRE_CORE_CPU_HPP
#define MAILWIRE_CORE_CPU_HPP

#include <atomic>
#include <cstdint>

#if !defined(MAILWIRE_NO_SIMD) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
/// Defined when x86 kernels are compiled (GCC or Clang on x86).
#define MAILWIRE_SIMD_X86 1
#include <cpuid.h>
#include <immintrin.h>
#define MAILWIRE_TARGET_SSE42 __attribute__((target("sse4.2,ssse3,popcnt")))
#define MAILWIRE_TARGET_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))
#define MAILWIRE_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx2,bmi,bmi2,popcnt")))
#define MAILWIRE_TARGET_SHA __attribute__((target("sha,sse4.1,ssse3")))
#define MAILWIRE_TARGET_AVX512VBMI2                                                          \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,avx2,bmi,bmi2," \
                        "popcnt")))
#endif

#if !defined(MAILWIRE_NO_SIMD) && (defined(__GNUC__) || defined(__clang__)) && \
    defined(__aarch64__) && defined(__ARM_NEON)
/// Defined when ARM64 NEON kernels are compiled (NEON is part of ARMv8-A).
#define MAILWIRE_SIMD_NEON 1
#include <arm_neon.h>
#endif

namespace mailwire {
inline namespace v0 {
namespace cpu {

/// Instruction sets a kernel may need; `has()` takes one or an OR of several.
enum feature : std::uint32_t {
  sse42 = 1u << 0,   ///< SSE4.2 with SSSE3 and POPCNT
  avx2 = 1u << 1,    ///< AVX2 with BMI1/BMI2 (OS saves YMM state)
  avx512 = 1u << 2,  ///< AVX-512 F, BW, VL and VBMI (OS saves ZMM state)
  sha = 1u << 3,     ///< SHA-1/SHA-256 extensions (SHA-NI) with SSE4.1
  neon = 1u << 4,    ///< ARM64 Advanced SIMD
  /// AVX-512 VBMI2 (byte compress/expand, vpcompressb); found only together
  /// with `avx512`, so a kernel asks for `avx512 | avx512vbmi2` and
  /// disable(avx512) turns it off too.
  avx512vbmi2 = 1u << 5,
};

namespace detail {

#if defined(MAILWIRE_SIMD_X86)
inline std::uint32_t probe() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0, &a, &b, &c, &d) == 0) return 0;
  const unsigned max_leaf = a;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return 0;
  const unsigned leaf1_ecx = c;
  const bool osxsave = (leaf1_ecx & (1u << 27)) != 0;
  const bool avx = (leaf1_ecx & (1u << 28)) != 0;
  unsigned leaf7_ebx = 0, leaf7_ecx = 0;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    leaf7_ebx = b;
    leaf7_ecx = c;
  }
  // Vector registers are usable only when the OS saves them on a context
  // switch: XCR0 bits 1-2 for XMM/YMM, 5-7 for the AVX-512 state.
  std::uint64_t xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<std::uint64_t>(hi) << 32) | lo;
  }
  const bool ymm = osxsave && (xcr0 & 0x6u) == 0x6u;
  const bool zmm = ymm && (xcr0 & 0xE0u) == 0xE0u;
  const auto bit = [](unsigned reg, unsigned n) { return (reg & (1u << n)) != 0; };
  std::uint32_t f = 0;
  if (bit(leaf1_ecx, 20) && bit(leaf1_ecx, 9) && bit(leaf1_ecx, 23)) f |= sse42;
  if (ymm && avx && bit(leaf7_ebx, 5) && bit(leaf7_ebx, 3) && bit(leaf7_ebx, 8)) f |= avx2;
  if (zmm && (f & avx2) != 0 && bit(leaf7_ebx, 16) && bit(leaf7_ebx, 30) && bit(leaf7_ebx, 31) &&
      bit(leaf7_ecx, 1))
    f |= avx512;
  if ((f & avx512) != 0 && bit(leaf7_ecx, 6)) f |= avx512vbmi2;
  if (bit(leaf7_ebx, 29) && bit(leaf1_ecx, 19) && bit(leaf1_ecx, 9)) f |= sha;
  return f;
}
#elif defined(MAILWIRE_SIMD_NEON)
inline std::uint32_t probe() noexcept { return neon; }
#else
inline std::uint32_t probe() noexcept { return 0; }
#endif

inline std::atomic<bool>& forced_scalar() noexcept {
  static std::atomic<bool> forced{false};
  return forced;
}

inline std::atomic<std::uint32_t>& disabled() noexcept {
  static std::atomic<std::uint32_t> off{0};
  return off;
}

}  // namespace detail

/// What this CPU has (all `feature` bits found), whatever force_scalar says.
inline std::uint32_t detected() noexcept {
  static const std::uint32_t found = detail::probe();
  return found;
}

/// Makes every later `has()` answer false (true) or the CPU's answer again
/// (false). Safe from any thread; meant for tests and for comparing speeds.
inline void force_scalar(bool on) noexcept {
  detail::forced_scalar().store(on, std::memory_order_relaxed);
}

/// Whether force_scalar(true) is in effect.
inline bool scalar_forced() noexcept {
  return detail::forced_scalar().load(std::memory_order_relaxed);
}

/// Makes has() answer false for the `features` given (an OR of `feature`
/// bits; 0 turns none off), so the narrower kernels can be tested on a CPU
/// that has the wider ones: disable(avx512) runs the AVX2 kernels. Safe from
/// any thread; for tests and benchmarks.
inline void disable(std::uint32_t features) noexcept {
  detail::disabled().store(features, std::memory_order_relaxed);
}

/// The features disable() turned off.
inline std::uint32_t disabled() noexcept { return detail::disabled().load(std::memory_order_relaxed); }

/// Whether every feature in `wanted` (an OR of `feature` bits) may be used.
inline bool has(std::uint32_t wanted) noexcept {
  return !scalar_forced() && (detected() & ~disabled() & wanted) == wanted;
}

/// Name of the widest x86/ARM kernel family has() allows, for benchmark and
/// test output: "avx512", "avx2", "sse4.2", "neon" or "scalar". (VBMI2 is
/// an extension within the "avx512" family: has(avx512vbmi2) tells.)
inline const char* best_name() noexcept {
  if (has(avx512)) return "avx512";
  if (has(avx2)) return "avx2";
  if (has(sse42)) return "sse4.2";
  if (has(neon)) return "neon";
  return "scalar";
}

}  // namespace cpu
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_CPU_HPP
