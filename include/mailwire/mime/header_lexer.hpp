// mailwire: the RFC 5322 3.2 lexer shared by every structured header field.
//
// One lexer reads the value of a header field (everything after the colon,
// folding line breaks still inside, final CRLF removed) into tokens: atoms,
// quoted strings, comments, domain literals and single special characters.
// Folding whitespace is skipped between tokens and remembered as
// `token::space_before`; CR and LF alone count as whitespace too (bare line
// ends are common in stored mail). The obsolete syntax of RFC 5322 4 is
// accepted because it is only more whitespace and comments in more places.
//
// 8-bit bytes (RFC 6532) are atom characters. Bytes that are not well-formed
// UTF-8 are reported once per value as errc::mime_8bit_header and, wherever
// text is produced from them, read as windows-1252 (a superset of ISO-8859-1
// for the printable range, the usual charset of undeclared 8-bit headers):
// well-formed UTF-8 sequences are kept, each other byte becomes the
// windows-1252 character. So every string the header functions return is
// valid UTF-8.
#ifndef MAILWIRE_MIME_HEADER_LEXER_HPP
#define MAILWIRE_MIME_HEADER_LEXER_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/core/utf8.hpp"
#include "mailwire/mime/diagnostic.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// Which characters end an atom: RFC 5322 specials (addresses, dates,
/// message ids) or RFC 2045 5.1 tspecials (Content-Type parameters). In
/// `rfc5322` mode '.' is an atom character, so a dot-atom (and the obsolete
/// phrase "Joe Q. Public") is one token, and '[' starts a domain literal.
enum class lex_mode : std::uint8_t { rfc5322, mime };

/// What a token is; `raw` keeps its delimiters.
enum class token_kind : std::uint8_t {
  end,             ///< no more input
  atom,            ///< run of atom characters (8-bit bytes included)
  quoted_string,   ///< "..." (RFC 5322 3.2.4); may be unterminated
  comment,         ///< (...) with nesting (RFC 5322 3.2.2); may be unterminated
  domain_literal,  ///< [...] (RFC 5322 3.4.1, rfc5322 mode only)
  special,         ///< one special character, in `special`
};

/// One token of a header value; `raw` points into the value given to the
/// lexer and lives as long as it.
struct token {
  /// What the token is (see token_kind).
  token_kind kind = token_kind::end;
  char special = 0;          ///< the character, for token_kind::special
  bool space_before = false; ///< whitespace (FWS) directly before the token
  bool unterminated = false; ///< a quoted string, comment or literal ran to the end
  std::size_t offset = 0;    ///< of raw's first byte in the value
  std::string_view raw;      ///< the token's bytes, delimiters included
};

/// Nesting depth of comments beyond which errc::mime_comment_too_deep is
/// reported (the lexer is iterative, so depth costs no stack either way).
inline constexpr std::size_t max_comment_depth = 32;

namespace detail {
enum : std::uint8_t { k_special5322 = 1, k_tspecial = 2, k_space = 4 };

constexpr std::array<std::uint8_t, 256> make_header_table() {
  std::array<std::uint8_t, 256> t{};
  for (char c : std::string_view("()<>[]:;@\\,\"")) t[static_cast<unsigned char>(c)] |= k_special5322;
  for (char c : std::string_view("()<>@,;:\\\"/[]?=")) t[static_cast<unsigned char>(c)] |= k_tspecial;
  for (char c : std::string_view(" \t\r\n")) t[static_cast<unsigned char>(c)] |= k_space;
  return t;
}
inline constexpr std::array<std::uint8_t, 256> header_table = make_header_table();

constexpr bool is_fws(char c) noexcept { return (header_table[static_cast<unsigned char>(c)] & k_space) != 0; }

constexpr bool is_special(char c, lex_mode m) noexcept {
  return (header_table[static_cast<unsigned char>(c)] & (m == lex_mode::mime ? k_tspecial : k_special5322)) != 0;
}

// windows-1252 0x80-0x9F; the five unassigned bytes map to the C1 control of
// the same value, as WHATWG's decoder does.
inline constexpr char16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

/// Appends `in` as UTF-8: well-formed UTF-8 sequences as they are, any other
/// byte read as windows-1252.
inline void append_text(std::string& out, std::string_view in) {
  // Whole well-formed runs at once (utf8::invalid_at finds their end, a
  // vector scan where the CPU has one): the common case, ASCII or UTF-8
  // text, is one append.
  while (!in.empty()) {
    const std::size_t run = utf8::invalid_at(in);
    out.append(in.data(), run);
    if (run == in.size()) return;
    const auto b = static_cast<unsigned char>(in[run]);
    utf8::append(b < 0xA0 ? static_cast<char32_t>(cp1252_high[b - 0x80]) : static_cast<char32_t>(b), out);
    in.remove_prefix(run + 1);
  }
}

/// Reports errc::mime_8bit_header at the first byte of `value` that is not
/// well-formed UTF-8, if any.
inline void check_8bit(std::string_view value, diagnostics* d) {
  const std::size_t at = utf8::invalid_at(value);
  if (at != value.size()) report(d, errc::mime_8bit_header, at);
}

/// The inside of a quoted string or comment token: delimiters removed,
/// quoted-pairs unescaped, line breaks of folds removed (RFC 5322 3.2.2: the
/// WSP after them stays). Bytes as in the input.
inline std::string token_content(const token& t) {
  std::string_view s = t.raw;
  if (t.kind == token_kind::quoted_string || t.kind == token_kind::comment ||
      t.kind == token_kind::domain_literal) {
    s.remove_prefix(1);
    if (!t.unterminated && !s.empty()) s.remove_suffix(1);
  }
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '\\' && i + 1 < s.size() && t.kind != token_kind::atom) {
      c = s[++i];
      if (c == '\r' || c == '\n') continue;  // a backslash before a fold quotes nothing
    }
    out.push_back(c);
  }
  return out;
}
}  // namespace detail

/// Splits one header value into tokens. Never fails: stray closing
/// characters are special tokens, unterminated quoted strings, comments and
/// literals end at the end of the value (errc::mime_unbalanced at their
/// start). Diagnostics go to `d` (may be null), offsets from the value start.
class header_lexer {
 public:
  /// A lexer over a field's `value` (a view, which must outlive the lexer);
  /// diagnostics go to `d` when not null.
  header_lexer(std::string_view value, lex_mode mode, diagnostics* d = nullptr) noexcept
      : in_(value), mode_(mode), diag_(d) {}

  /// The next token, comments included; token_kind::end at the end.
  token next() {
    token t;
    while (pos_ < in_.size() && detail::is_fws(in_[pos_])) {
      ++pos_;
      t.space_before = true;
    }
    t.offset = pos_;
    if (pos_ == in_.size()) return t;
    const char c = in_[pos_];
    if (c == '(') {
      t.kind = token_kind::comment;
      scan_delimited(t, '(', ')', true);
    } else if (c == '"') {
      t.kind = token_kind::quoted_string;
      scan_delimited(t, '"', '"', false);
    } else if (c == '[' && mode_ == lex_mode::rfc5322) {
      t.kind = token_kind::domain_literal;
      scan_delimited(t, '[', ']', false);
    } else if (detail::is_special(c, mode_)) {
      t.kind = token_kind::special;
      t.special = c;
      ++pos_;
    } else {
      t.kind = token_kind::atom;
      const std::size_t start = pos_;
      while (pos_ < in_.size() && !detail::is_fws(in_[pos_]) && !detail::is_special(in_[pos_], mode_) &&
             in_[pos_] != '(' && in_[pos_] != '"' && !(mode_ == lex_mode::rfc5322 && in_[pos_] == '[')) {
        ++pos_;
      }
      t.raw = in_.substr(start, pos_ - start);
      return t;
    }
    t.raw = in_.substr(t.offset, pos_ - t.offset);
    return t;
  }

  /// The next token that is not a comment; `space_before` is set when
  /// whitespace or a comment came before it.
  token next_skipping_comments() {
    bool space = false;
    for (;;) {
      token t = next();
      if (t.kind != token_kind::comment) {
        t.space_before = t.space_before || space;
        return t;
      }
      space = true;
    }
  }

  /// Offset of the next byte to read.
  std::size_t position() const noexcept { return pos_; }
  /// Moves to offset `p` (at most the value's size); for backtracking.
  void seek(std::size_t p) noexcept { pos_ = p < in_.size() ? p : in_.size(); }
  /// The value being read.
  std::string_view input() const noexcept { return in_; }
  /// Where diagnostics go (may be null).
  diagnostics* diag() const noexcept { return diag_; }

 private:
  // RFC 5322 3.2.2 (comment, nesting when `nests`), 3.2.4 (quoted-string)
  // and 3.4.1 (domain-literal): quoted-pairs skip the next byte.
  void scan_delimited(token& t, char open, char close, bool nests) {
    std::size_t depth = 1;
    bool deep_reported = false;
    ++pos_;
    while (pos_ < in_.size()) {
      const char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ < in_.size()) ++pos_;
      } else if (nests && c == open) {
        if (++depth > max_comment_depth && !deep_reported) {
          detail::report(diag_, errc::mime_comment_too_deep, pos_ - 1);
          deep_reported = true;
        }
      } else if (c == close && --depth == 0) {
        return;
      }
    }
    t.unterminated = true;
    detail::report(diag_, errc::mime_unbalanced, t.offset);
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  lex_mode mode_;
  diagnostics* diag_;
};

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_HEADER_LEXER_HPP
