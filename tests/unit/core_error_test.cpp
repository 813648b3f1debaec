#include <mailwire/error.hpp>

#include <fstream>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "catch.hpp"

using mailwire::errc;

namespace {
// Every enumerator, read from error.hpp itself ("  name = 12,"), so a new
// errc without a name or description in the table fails here.
std::vector<std::pair<std::string, int>> enumerators() {
  std::ifstream in(MAILWIRE_VECTORS_DIR "/../../include/mailwire/error.hpp");
  std::vector<std::pair<std::string, int>> all;
  std::string line;
  bool in_enum = false;
  while (std::getline(in, line)) {
    if (line.rfind("enum class errc", 0) == 0) in_enum = true;
    if (!in_enum) continue;
    if (line == "};") break;
    const std::size_t eq = line.find(" = ");
    if (line.rfind("  ", 0) != 0 || line[2] == '/' || eq == std::string::npos || line.back() != ',') continue;
    all.emplace_back(line.substr(2, eq - 2), std::stoi(line.substr(eq + 3)));
  }
  return all;
}
}  // namespace

TEST_CASE("every errc has its own description and name") {
  const auto all = enumerators();
  REQUIRE(all.size() > 80);
  std::set<std::string> descriptions;
  std::set<int> values;
  for (const auto& [name, value] : all) {
    INFO(name);
    const auto e = static_cast<errc>(value);
    CHECK(mailwire::to_name(e) == name);
    CHECK(mailwire::to_string(e) != "unknown mailwire error");
    descriptions.insert(std::string(mailwire::to_string(e)));
    values.insert(value);
  }
  CHECK(std::size(mailwire::detail::errc_texts) == all.size());
  CHECK(descriptions.size() == all.size());
  CHECK(values.size() == all.size());
  CHECK(mailwire::to_name(errc::bare_lf) == "bare_lf");
  CHECK(mailwire::to_string(static_cast<errc>(9999)) == "unknown mailwire error");
}

TEST_CASE("errc converts to std::error_code in the mailwire category") {
  const std::error_code ec = errc::line_too_long;
  CHECK(ec.value() == static_cast<int>(errc::line_too_long));
  CHECK(std::string(ec.category().name()) == "mailwire");
  CHECK(ec.message() == "line too long");
  CHECK(ec == errc::line_too_long);
  CHECK(ec != errc::bare_lf);
  CHECK(static_cast<bool>(ec));
  // errc::ok is the "no error" value std::error_code expects.
  const std::error_code none = errc::ok;
  CHECK_FALSE(static_cast<bool>(none));
  // A std::errc with the same number is a different error.
  CHECK(ec != std::make_error_code(static_cast<std::errc>(ec.value())));
}
