// Splits a fuzz input into the messages of one SASL exchange.
#ifndef MAILWIRE_FUZZ_SASL_MESSAGES_HPP
#define MAILWIRE_FUZZ_SASL_MESSAGES_HPP

#include <string_view>
#include <vector>

namespace mailwire_fuzz {
// Messages are separated by "\n--\n" (a sequence no SASL message needs).
inline std::vector<std::string_view> split_messages(std::string_view in) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t at = in.find("\n--\n");
    out.push_back(in.substr(0, at));
    if (at == std::string_view::npos) return out;
    in.remove_prefix(at + 4);
  }
}
}  // namespace mailwire_fuzz

#endif  // MAILWIRE_FUZZ_SASL_MESSAGES_HPP
