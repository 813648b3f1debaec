// The one place that knows which Catch2 is in use. Debian ships Catch2 v2
// (one header), vcpkg ships v3 (split headers); tests include this file and
// use only the subset both share, plus the names wrapped below.
#ifndef MAILWIRE_TESTS_SUPPORT_CATCH_HPP
#define MAILWIRE_TESTS_SUPPORT_CATCH_HPP

#if MAILWIRE_CATCH2_MAJOR >= 3
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#define MAILWIRE_CONTAINS_SUBSTRING(s) Catch::Matchers::ContainsSubstring(s)
#else
#include <catch2/catch.hpp>
#define MAILWIRE_CONTAINS_SUBSTRING(s) Catch::Matchers::Contains(s)
#endif

#endif  // MAILWIRE_TESTS_SUPPORT_CATCH_HPP
