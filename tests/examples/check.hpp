// CHECK for the examples' C++ test programs (plain programs, no Catch2:
// example code stays out of the library's test binary): prints the failed
// condition with its place and counts it in mailwire_example_test::failures,
// which main() turns into the exit status.
#ifndef MAILWIRE_TESTS_EXAMPLES_CHECK_HPP
#define MAILWIRE_TESTS_EXAMPLES_CHECK_HPP

#include <cstdio>

namespace mailwire_example_test {
inline int failures = 0;
}  // namespace mailwire_example_test

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
      ++mailwire_example_test::failures;                                      \
    }                                                                         \
  } while (0)

#endif  // MAILWIRE_TESTS_EXAMPLES_CHECK_HPP
