#include <mailwire/core/cpu.hpp>

#include <cstdlib>
#include <string>

#include "catch.hpp"

namespace cpu = mailwire::cpu;

namespace {
// Restores the run's setting (MAILWIRE_FORCE_SCALAR may have set it) however
// a test ends.
struct scalar_guard {
  bool was = cpu::scalar_forced();
  ~scalar_guard() { cpu::force_scalar(was); }
};
}  // namespace

TEST_CASE("cpu: force_scalar turns every feature off and back on", "[cpu]") {
  const scalar_guard guard;
  const std::uint32_t all = cpu::sse42 | cpu::avx2 | cpu::avx512 | cpu::sha | cpu::neon;
  cpu::force_scalar(true);
  CHECK(cpu::scalar_forced());
  for (std::uint32_t f = 1; f <= cpu::neon; f <<= 1) CHECK_FALSE(cpu::has(f));
  CHECK_FALSE(cpu::has(all));
  CHECK(std::string(cpu::best_name()) == "scalar");

  cpu::force_scalar(false);
  CHECK_FALSE(cpu::scalar_forced());
  for (std::uint32_t f = 1; f <= cpu::neon; f <<= 1) CHECK(cpu::has(f) == ((cpu::detected() & f) == f));
  // has() of several features: all of them, not any.
  CHECK(cpu::has(cpu::avx2 | cpu::avx512) == ((cpu::detected() & cpu::avx512) != 0 &&
                                               (cpu::detected() & cpu::avx2) != 0));
  CHECK(cpu::has(0));  // nothing asked: always there when not forced
}

TEST_CASE("cpu: detected() is stable and ignores force_scalar", "[cpu]") {
  const scalar_guard guard;
  const std::uint32_t first = cpu::detected();
  cpu::force_scalar(true);
  CHECK(cpu::detected() == first);
  cpu::force_scalar(false);
  CHECK(cpu::detected() == first);
  // Wider x86 families imply the narrower ones (avx512 needs avx2 in probe()).
  if ((first & cpu::avx512) != 0) CHECK((first & cpu::avx2) != 0);
#if !defined(MAILWIRE_SIMD_X86) && !defined(MAILWIRE_SIMD_NEON)
  CHECK(first == 0);  // MAILWIRE_NO_SIMD or another CPU: no kernel anywhere
#endif
}

TEST_CASE("cpu: best_name() names the widest family has() allows", "[cpu]") {
  const scalar_guard guard;
  cpu::force_scalar(false);
  const std::string name = cpu::best_name();
  const std::uint32_t d = cpu::detected();
  if ((d & cpu::avx512) != 0) {
    CHECK(name == "avx512");
  } else if ((d & cpu::avx2) != 0) {
    CHECK(name == "avx2");
  } else if ((d & cpu::sse42) != 0) {
    CHECK(name == "sse4.2");
  } else if ((d & cpu::neon) != 0) {
    CHECK(name == "neon");
  } else {
    CHECK(name == "scalar");
  }
  cpu::force_scalar(true);
  CHECK(std::string(cpu::best_name()) == "scalar");
}

TEST_CASE("cpu: the test run's setting follows MAILWIRE_FORCE_SCALAR", "[cpu]") {
  // catch_main.cpp reads the variable before any test; unit.scalar sets it.
  CHECK(cpu::scalar_forced() == (std::getenv("MAILWIRE_FORCE_SCALAR") != nullptr));
}

TEST_CASE("cpu: disable() turns off only the features named", "[cpu]") {
  const scalar_guard guard;
  const std::uint32_t was = cpu::disabled();
  const std::uint32_t found = cpu::detected();
  cpu::force_scalar(false);
  cpu::disable(cpu::avx512);
  CHECK(cpu::disabled() == cpu::avx512);
  CHECK_FALSE(cpu::has(cpu::avx512));
  CHECK(cpu::has(cpu::avx2) == ((cpu::detected() & cpu::avx2) != 0));
  CHECK(std::string(cpu::best_name()) != "avx512");
  CHECK(cpu::detected() == found);  // detection itself unchanged
  cpu::disable(0);
  for (std::uint32_t f = 1; f <= cpu::neon; f <<= 1) CHECK(cpu::has(f) == ((cpu::detected() & f) == f));
  cpu::disable(was);
}
