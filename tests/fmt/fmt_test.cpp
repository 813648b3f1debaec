// Keeps <mailwire/fmt.hpp> compiling with the fmt in use (9 on Debian,
// 11+ from vcpkg) and checks what it prints.
#include <mailwire/fmt.hpp>

#include "catch.hpp"

TEST_CASE("fmt formats errc as its description or, with {:n}, its name") {
  CHECK(fmt::format("{}", mailwire::errc::bare_lf) == "line ends in LF without CR");
  CHECK(fmt::format("{:n}", mailwire::errc::bare_lf) == "bare_lf");
  CHECK(fmt::format("[{}|{:n}]", mailwire::errc::line_too_long, mailwire::errc::ok) == "[line too long|ok]");
}
