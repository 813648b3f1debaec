#include <mailwire/version.hpp>

#include <string>

#include "catch.hpp"

TEST_CASE("the header's version is the CMake project's version") {
  CHECK(std::string(MAILWIRE_VERSION_STRING) == MAILWIRE_PROJECT_VERSION);
  CHECK(std::string(mailwire::version.string) == MAILWIRE_PROJECT_VERSION);
  CHECK(std::to_string(mailwire::version.major) + "." + std::to_string(mailwire::version.minor) + "." +
            std::to_string(mailwire::version.patch) ==
        MAILWIRE_PROJECT_VERSION);
  STATIC_REQUIRE(MAILWIRE_VERSION == MAILWIRE_VERSION_MAJOR * 10000 + MAILWIRE_VERSION_MINOR * 100 + MAILWIRE_VERSION_PATCH);
}
