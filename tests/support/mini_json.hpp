// A small JSON reader for test vectors: null, bools, numbers (as double),
// strings (with \uXXXX and surrogate pairs, to UTF-8), arrays and objects
// (keys kept in order). Malformed input makes parse() return false.
#ifndef MAILWIRE_TESTS_MINI_JSON_HPP
#define MAILWIRE_TESTS_MINI_JSON_HPP

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <mailwire/core/utf8.hpp>

namespace mailwire_test {

struct json {
  enum class kind { null, boolean, number, string, array, object } type = kind::null;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<json> items;                           // array
  std::vector<std::string> keys;                     // object: names,
  std::vector<json> values;                          // and their values

  bool is_null() const { return type == kind::null; }
  /// The member `key` of an object, or null json when absent.
  const json& operator[](std::string_view key) const {
    static const json none;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return values[i];
    }
    return none;
  }
  bool has(std::string_view key) const {
    for (const std::string& k : keys) {
      if (k == key) return true;
    }
    return false;
  }
};

namespace detail {
class json_reader {
 public:
  explicit json_reader(std::string_view in) : in_(in) {}

  bool value(json& out) {
    space();
    if (p_ >= in_.size()) return false;
    const char c = in_[p_];
    if (c == '{') return object(out);
    if (c == '[') return array(out);
    if (c == '"') {
      out.type = json::kind::string;
      return string(out.s);
    }
    if (literal("null")) return true;
    if (literal("true")) {
      out.type = json::kind::boolean;
      out.b = true;
      return true;
    }
    if (literal("false")) {
      out.type = json::kind::boolean;
      return true;
    }
    const std::string num(in_.substr(p_, in_.find_first_of(",]} \t\r\n", p_) - p_));
    char* end = nullptr;
    out.type = json::kind::number;
    out.n = std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size()) return false;
    p_ += num.size();
    return true;
  }
  bool done() {
    space();
    return p_ == in_.size();
  }

 private:
  void space() {
    while (p_ < in_.size() && (in_[p_] == ' ' || in_[p_] == '\t' || in_[p_] == '\r' || in_[p_] == '\n')) ++p_;
  }
  bool literal(std::string_view w) {
    if (in_.substr(p_, w.size()) != w) return false;
    p_ += w.size();
    return true;
  }
  bool eat(char c) {
    space();
    if (p_ < in_.size() && in_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool hex4(unsigned& v) {
    if (in_.size() - p_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[p_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  bool string(std::string& out) {
    ++p_;  // the opening quote
    while (p_ < in_.size()) {
      const char c = in_[p_++];
      if (c == '"') return true;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (p_ >= in_.size()) return false;
      const char e = in_[p_++];
      switch (e) {
        case '"': case '\\': case '/': out.push_back(e); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && in_.substr(p_, 2) == "\\u") {
            p_ += 2;
            unsigned lo = 0;
            if (!hex4(lo)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          mailwire::utf8::append(static_cast<char32_t>(cp), out);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool array(json& out) {
    out.type = json::kind::array;
    ++p_;
    if (eat(']')) return true;
    do {
      out.items.emplace_back();
      if (!value(out.items.back())) return false;
    } while (eat(','));
    return eat(']');
  }
  bool object(json& out) {
    out.type = json::kind::object;
    ++p_;
    if (eat('}')) return true;
    do {
      space();
      if (p_ >= in_.size() || in_[p_] != '"') return false;
      std::string key;
      if (!string(key) || !eat(':')) return false;
      out.keys.push_back(std::move(key));
      out.values.emplace_back();
      if (!value(out.values.back())) return false;
    } while (eat(','));
    return eat('}');
  }

  std::string_view in_;
  std::size_t p_ = 0;
};
}  // namespace detail

/// Parses `in` into `out`; false when `in` is not one JSON value.
inline bool parse_json(std::string_view in, json& out) {
  detail::json_reader r(in);
  return r.value(out) && r.done();
}

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_MINI_JSON_HPP
