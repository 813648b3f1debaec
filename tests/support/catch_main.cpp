// Catch2's main for mailwire_tests, compiled with the tests' own flags (so
// it also builds with -fno-exceptions, which Debian's prebuilt Catch2WithMain
// was not built with).
//
// MAILWIRE_FORCE_SCALAR set in the environment (to anything) makes every
// vector kernel stand aside for the whole run: ctest runs the unit tests
// twice, dispatched (unit) and forced scalar (unit.scalar), so the scalar
// reference passes everything on its own as well.
#include <cstdio>
#include <cstdlib>

#include <mailwire/core/cpu.hpp>

#if MAILWIRE_CATCH2_MAJOR >= 3
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

int main(int argc, char* argv[]) {
  if (std::getenv("MAILWIRE_FORCE_SCALAR") != nullptr) {
    mailwire::cpu::force_scalar(true);
    std::fprintf(stderr, "MAILWIRE_FORCE_SCALAR: vector kernels off (%s)\n", mailwire::cpu::best_name());
  }
  return Catch::Session().run(argc, argv);
}
