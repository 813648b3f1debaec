// quote(): bytes as a C-style string for test logs and failure messages.
#ifndef MAILWIRE_TESTS_SUPPORT_QUOTE_HPP
#define MAILWIRE_TESTS_SUPPORT_QUOTE_HPP

#include <string>
#include <string_view>

namespace mailwire_test {

/// C-style quoting for logs: printable ASCII as is, \r \n \t \\ \" and \xHH.
inline std::string quote(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (c >= 0x20 && c < 0x7F) {
          out += ch;
        } else {
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 15];
        }
    }
  }
  return out + "\"";
}

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_SUPPORT_QUOTE_HPP
