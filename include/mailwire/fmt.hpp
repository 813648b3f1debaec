// mailwire: fmt::formatter specialisations for mailwire's types.
//
// The only mailwire header that includes fmt; opt in by including it and
// linking fmt yourself (fmt 9 or newer). Every type formatted here also has
// a plain to_string(), so nothing needs fmt.
//
//   fmt::print("{}\n", mailwire::errc::bare_lf);   // "line ends in LF without CR"
//   fmt::print("{:n}\n", mailwire::errc::bare_lf); // "bare_lf" (the enum name)
#ifndef MAILWIRE_FMT_HPP
#define MAILWIRE_FMT_HPP

#include <fmt/format.h>

#include "mailwire/mailwire.hpp"

template <>
struct fmt::formatter<mailwire::errc> : fmt::formatter<fmt::string_view> {
  bool name_ = false;

  // "{}" writes the description, "{:n}" the enum name; width and fill are
  // not supported (format the result of to_string() for those).
  constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it == 'n') {
      name_ = true;
      ++it;
    }
    return it;
  }

  template <typename FormatContext>
  auto format(mailwire::errc e, FormatContext& ctx) const -> decltype(ctx.out()) {
    const std::string_view s = name_ ? mailwire::to_name(e) : mailwire::to_string(e);
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

#endif  // MAILWIRE_FMT_HPP
