// Links with second_tu.cpp and one TU per public header: any non-inline
// definition in a header would be a duplicate symbol here.
#include <mailwire/mailwire.hpp>

#include <system_error>

const std::error_category* second_tu_category();

int main() {
  // One error category program-wide: codes made in two TUs compare equal.
  const std::error_code here = mailwire::errc::bare_lf;
  return second_tu_category() == &here.category() ? 0 : 1;
}
