#include <mailwire/mailwire.hpp>

#include <system_error>

const std::error_category* second_tu_category() {
  const std::error_code there = mailwire::errc::bare_lf;
  return &there.category();
}
