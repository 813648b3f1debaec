// Catch2 v2's main, compiled with the tests' own flags. Used instead of the
// prebuilt Catch2WithMain when the tests are built with -fno-exceptions,
// which the prebuilt library was not.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
