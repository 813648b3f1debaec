// mailwire: Content-Type and Content-Disposition (RFC 2045 5, RFC 2183,
// RFC 2231), read the way real mail needs.
//
// The readings this file takes where readers disagree, each reported:
//  - a missing subtype, a missing type or anything but type "/" subtype:
//    `valid` is false and text/plain is used (RFC 2045 5.2); the
//    parameters are still read, so a caller can look at a charset;
//  - junk after the subtype ("text/plain/format") is skipped to the next
//    ';' (errc::mime_bad_content_type), the type stays valid;
//  - a repeated parameter: the first wins (errc::mime_duplicate_parameter),
//    as most MTAs and GMime read a repeated boundary;
//  - `name` and `name*` (or `name*0`...) both present: the RFC 2231 form
//    wins, errc::mime_conflicting_parameter when the values differ;
//  - RFC 2231 sections out of order are sorted; missing ones are skipped
//    (errc::mime_bad_rfc2231); a continuation that repeats the first
//    section's "charset'" prefix has it removed; an unknown charset keeps
//    the bytes when they are UTF-8 without control characters (as
//    encoded_word.hpp does), else the %-encoded text;
//  - a missing ';' between parameters is tolerated when the next word is
//    followed by '=' (errc::mime_missing_semicolon);
//  - an unquoted value runs over spaces and tspecials up to the next ';',
//    the end, or the next "name=" (errc::mime_unquoted_parameter); comments
//    after it are dropped;
//  - a parameter with no name, no '=' or an empty unquoted value is
//    skipped (errc::mime_bad_parameter); `name=""` is kept, empty;
//  - RFC 2047 encoded-words in values are decoded (errc::
//    mime_encoded_word_in_parameter), except in `boundary`, whose bytes are
//    compared with body lines as they are.
// Values are UTF-8 (see header_lexer.hpp for 8-bit bytes). The RFC 2231
// language tag is not kept.
#ifndef MAILWIRE_MIME_CONTENT_TYPE_HPP
#define MAILWIRE_MIME_CONTENT_TYPE_HPP

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/mime/charset.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/encoded_word.hpp"
#include "mailwire/mime/header_lexer.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// One MIME parameter after RFC 2231 merging.
struct parameter {
  std::string name;   ///< lowercase, without RFC 2231 '*' suffixes
  std::string value;  ///< decoded to UTF-8
};

namespace detail {
inline const std::string* find_parameter(const std::vector<parameter>& ps, std::string_view name) noexcept {
  for (const parameter& p : ps) {
    if (ascii::iequals(p.name, name)) return &p.value;
  }
  return nullptr;
}
}  // namespace detail

/// A parsed Content-Type.
struct content_type {
  std::string type = "text";      ///< lowercase
  std::string subtype = "plain";  ///< lowercase
  std::vector<parameter> parameters;  ///< in order of first appearance
  bool valid = false;  ///< false: unparseable or missing; text/plain used

  /// The value of parameter `name` (case-insensitive), or null. Valid until
  /// `parameters` changes.
  const std::string* find(std::string_view name) const noexcept { return detail::find_parameter(parameters, name); }
  /// True for type "multipart".
  bool is_multipart() const noexcept { return type == "multipart"; }
};

/// A parsed Content-Disposition.
struct content_disposition {
  std::string type;  ///< lowercase "inline" / "attachment" / other; empty when unparseable
  std::vector<parameter> parameters;  ///< in order of first appearance
  /// The value of parameter `name` (case-insensitive), or null.
  const std::string* find(std::string_view name) const noexcept { return detail::find_parameter(parameters, name); }
};

namespace detail {

// A type, subtype or parameter name: ASCII lowercased, as UTF-8.
inline std::string lower(std::string_view s) {
  std::string r;
  append_text(r, s);
  for (char& c : r) c = ascii::to_lower(c);
  return r;
}

// One name=value as written, before RFC 2231 merging.
struct raw_parameter {
  std::string base;  // lowercase name without '*' parts
  long section = -1;
  bool extended = false;
  bool quoted = false;
  std::string value;  // unquoted, unfolded bytes
  std::size_t offset = 0;
};

// RFC 2231 3-4: name [ "*" section ] [ "*" ]. False for any other '*' use.
inline bool split_parameter_name(std::string_view name, raw_parameter& p) {
  const std::size_t star = name.find('*');
  p.base = lower(name.substr(0, star));
  if (star == std::string_view::npos) return !p.base.empty();
  std::string_view rest = name.substr(star + 1);
  if (!rest.empty() && rest.back() == '*') {
    p.extended = true;
    rest.remove_suffix(1);
  }
  if (rest.empty()) {
    p.extended = true;  // name*=
    return !p.base.empty();
  }
  if (rest.size() > 4) return false;
  long n = 0;
  for (char c : rest) {
    if (!ascii::is_digit(c)) return false;
    n = n * 10 + (c - '0');
  }
  p.section = n;
  return !p.base.empty();
}

// True when a "token =" starts at s[p]: the next parameter after a missing ';'.
inline bool parameter_starts(std::string_view s, std::size_t p) noexcept {
  const std::size_t start = p;
  while (p < s.size() && !is_fws(s[p]) && !is_special(s[p], lex_mode::mime) && !ascii::is_ctl(s[p])) ++p;
  if (p == start) return false;
  while (p < s.size() && is_fws(s[p])) ++p;
  return p < s.size() && s[p] == '=';
}

// The offset of the first byte at or after s[p] that is not CFWS.
inline std::size_t skip_cfws(std::string_view s, std::size_t p) {
  header_lexer lx(s, lex_mode::mime, nullptr);
  lx.seek(p);
  for (;;) {
    const token t = lx.next();
    if (t.kind == token_kind::end) return s.size();
    if (t.kind != token_kind::comment) return t.offset;
  }
}

// An unquoted value from s[p] (RFC 2045 5.1 token, leniently: see the top
// of the file). Whitespace inside becomes one space. Returns the offset
// after the value and the CFWS after it.
inline std::size_t unquoted_value(std::string_view s, std::size_t p, std::string& out, diagnostics* d) {
  const std::size_t start = p;
  bool lenient = false;
  for (;;) {
    while (p < s.size() && !is_fws(s[p]) && s[p] != ';' && s[p] != '(') {
      if (is_special(s[p], lex_mode::mime) || ascii::is_ctl(s[p])) lenient = true;
      out.push_back(s[p++]);
    }
    const std::size_t q = skip_cfws(s, p);
    if (q == s.size() || s[q] == ';' || (!out.empty() && parameter_starts(s, q))) {
      if (lenient) report(d, errc::mime_unquoted_parameter, start);
      return q;
    }
    if (!out.empty()) {
      lenient = true;
      out.push_back(' ');
    }
    p = q;
  }
}

// Reads parameters from the lexer's position to the end of the value.
// `t` is the first token after the type; `want_semicolon` is false only
// when a ';' was already read.
inline std::vector<raw_parameter> read_parameters(header_lexer& lx, token t, diagnostics* d) {
  std::vector<raw_parameter> out;
  const std::string_view s = lx.input();
  bool after_semicolon = false;
  const auto skip_to_semicolon = [&] {
    while (t.kind != token_kind::end && !(t.kind == token_kind::special && t.special == ';')) t = lx.next_skipping_comments();
  };
  while (t.kind != token_kind::end) {
    if (t.kind == token_kind::special && t.special == ';') {
      after_semicolon = true;
      t = lx.next_skipping_comments();
      continue;
    }
    const std::size_t at = t.offset;
    if (t.kind != token_kind::atom) {
      report(d, errc::mime_bad_parameter, at);
      skip_to_semicolon();
      continue;
    }
    if (!after_semicolon) report(d, errc::mime_missing_semicolon, at);
    after_semicolon = false;
    raw_parameter p;
    p.offset = at;
    const bool name_ok = split_parameter_name(t.raw, p);
    t = lx.next_skipping_comments();
    if (!(t.kind == token_kind::special && t.special == '=')) {
      report(d, errc::mime_bad_parameter, at);
      skip_to_semicolon();
      continue;
    }
    const std::size_t v = skip_cfws(s, lx.position());
    lx.seek(v);
    if (v < s.size() && s[v] == '"') {
      const token q = lx.next();
      p.value = token_content(q);
      p.quoted = true;
    } else {
      lx.seek(unquoted_value(s, v, p.value, d));
      if (p.value.empty()) {
        report(d, errc::mime_bad_parameter, at);
        t = lx.next_skipping_comments();
        continue;
      }
    }
    if (!name_ok) {
      report(d, errc::mime_bad_rfc2231, at);
    } else {
      out.push_back(std::move(p));
    }
    t = lx.next_skipping_comments();
  }
  return out;
}

// RFC 2231 4: %XX escapes; a bad one is kept as it is.
inline std::string percent_decode(std::string_view s, bool& ok) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && ascii::is_hexdig(s[i + 1]) && ascii::is_hexdig(s[i + 2])) {
      out.push_back(static_cast<char>(ascii::hex_value(s[i + 1]) * 16 + ascii::hex_value(s[i + 2])));
      i += 2;
    } else {
      if (s[i] == '%') ok = false;
      out.push_back(s[i]);
    }
  }
  return out;
}

// Converts RFC 2231 bytes in `charset` (empty: undeclared) to UTF-8.
inline std::string rfc2231_text(std::string_view charset, const std::string& bytes, std::string_view raw,
                                std::size_t at, diagnostics* d, const charset_options& cs) {
  std::string out;
  if (charset.empty()) {
    append_text(out, bytes);
    return out;
  }
  std::string converted;
  if (to_utf8(charset, bytes, converted, cs)) {
    append_text(out, converted);
  } else {
    report(d, errc::charset_unknown, at);
    append_text(out, readable_as_is(bytes) ? std::string_view(bytes) : raw);
  }
  return out;
}

// The value of a plain (non-RFC 2231) parameter.
inline std::string plain_value(const raw_parameter& p, diagnostics* d, const charset_options& cs) {
  if (p.base == "boundary" || p.value.find("=?") == std::string::npos) {
    std::string out;
    append_text(out, p.value);
    return out;
  }
  text_builder b(d, cs);
  words_options o;
  o.glue_space = false;
  o.unfold = false;
  o.inside = errc::mime_encoded_word_in_parameter;
  decode_words(b, p.value, p.offset, false, o, d);
  return b.finish(false);
}

// Merges the RFC 2231 pieces of one parameter (all with the same base).
inline std::string merge_rfc2231(std::vector<const raw_parameter*> parts, diagnostics* d,
                                 const charset_options& cs) {
  std::stable_sort(parts.begin(), parts.end(),
                   [](const raw_parameter* a, const raw_parameter* b) { return a->section < b->section; });
  const std::size_t at = parts.front()->offset;
  std::string charset;
  std::string bytes;
  std::string raw;
  bool ok = true;
  long expect = parts.front()->section < 0 ? -1 : 0;
  long last = -2;
  for (const raw_parameter* p : parts) {
    if (p->section == last) {
      report(d, errc::mime_duplicate_parameter, p->offset);
      continue;
    }
    if (p->section != expect) ok = false;
    expect = p->section + 1;
    last = p->section;
    std::string_view v = p->value;
    raw.append(v);
    if (!p->extended) {
      bytes.append(v);
      continue;
    }
    if (p == parts.front() && p->section <= 0) {
      // charset "'" language "'" value (RFC 2231 4)
      const std::size_t q1 = v.find('\'');
      const std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
      if (q2 == std::string_view::npos) {
        ok = false;
      } else {
        charset.assign(v.substr(0, q1));
        v.remove_prefix(q2 + 1);
      }
    } else if (!charset.empty() && v.size() > charset.size() && v[charset.size()] == '\'' &&
               ascii::iequals(v.substr(0, charset.size()), charset)) {
      ok = false;
      v.remove_prefix(charset.size() + 1);
    }
    bytes.append(percent_decode(v, ok));
  }
  if (!ok) report(d, errc::mime_bad_rfc2231, at);
  return rfc2231_text(charset, bytes, raw, at, d, cs);
}

// RFC 2231 merging, duplicates and conflicts, in the order of each
// parameter's first piece (the plain form, the name*= form or section 0).
inline std::vector<parameter> merge_parameters(const std::vector<raw_parameter>& raw, diagnostics* d,
                                               const charset_options& cs) {
  std::vector<std::pair<std::size_t, parameter>> merged;
  // Pieces grouped by name, in input order, without a quadratic scan.
  std::vector<std::size_t> by_name(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) by_name[i] = i;
  std::stable_sort(by_name.begin(), by_name.end(),
                   [&raw](std::size_t a, std::size_t b) { return raw[a].base < raw[b].base; });
  for (std::size_t g = 0; g < by_name.size();) {
    const std::size_t i = by_name[g];
    const std::string& base = raw[i].base;
    const raw_parameter* plain = nullptr;
    const raw_parameter* single = nullptr;  // name*=
    std::vector<const raw_parameter*> sections;
    for (; g < by_name.size() && raw[by_name[g]].base == base; ++g) {
      const raw_parameter& p = raw[by_name[g]];
      const raw_parameter** slot = p.section >= 0 ? nullptr : (p.extended ? &single : &plain);
      if (slot == nullptr) {
        sections.push_back(&p);
      } else if (*slot != nullptr) {
        report(d, errc::mime_duplicate_parameter, p.offset);
      } else {
        *slot = &p;
      }
    }
    parameter r;
    r.name = base;
    std::size_t order = raw[i].offset;
    if (!sections.empty() || single != nullptr) {
      if (!sections.empty() && single != nullptr) report(d, errc::mime_duplicate_parameter, single->offset);
      if (sections.empty()) sections.push_back(single);
      const raw_parameter* lowest = *std::min_element(sections.begin(), sections.end(),
          [](const raw_parameter* a, const raw_parameter* b) { return a->section < b->section; });
      order = std::min(lowest->offset, plain != nullptr ? plain->offset : lowest->offset);
      r.value = merge_rfc2231(sections, d, cs);
      if (plain != nullptr && plain_value(*plain, nullptr, cs) != r.value) {
        report(d, errc::mime_conflicting_parameter, plain->offset);
      }
    } else {
      r.value = plain_value(*plain, d, cs);
    }
    merged.emplace_back(order, std::move(r));
  }
  std::stable_sort(merged.begin(), merged.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<parameter> out;
  out.reserve(merged.size());
  for (auto& m : merged) out.push_back(std::move(m.second));
  return out;
}

// The first token after a type or type/subtype: junk up to the next ';' (or
// the next "name=") is skipped and reported.
inline token skip_type_junk(header_lexer& lx, token t, diagnostics* d) {
  bool reported = false;
  while (t.kind != token_kind::end && !(t.kind == token_kind::special && t.special == ';')) {
    if (t.kind == token_kind::atom && parameter_starts(lx.input(), t.offset)) break;
    if (!reported) report(d, errc::mime_bad_content_type, t.offset);
    reported = true;
    t = lx.next_skipping_comments();
  }
  return t;
}
}  // namespace detail

/// Parses a Content-Type value (RFC 2045 5.1); never fails, see the top of
/// this file for the readings of malformed values. Diagnostics go to `d`;
/// `cs` converts the charsets of RFC 2231 and RFC 2047 values (its hook is
/// asked for the ones not built in) and must outlive the call.
inline content_type parse_content_type(std::string_view value, diagnostics* d = nullptr,
                                       const charset_options& cs = {}) {
  detail::check_8bit(value, d);
  content_type r;
  header_lexer lx(value, lex_mode::mime, d);
  token t = lx.next_skipping_comments();
  std::string type;
  std::string subtype;
  if (t.kind == token_kind::atom) {
    type = detail::lower(t.raw);
    t = lx.next_skipping_comments();
    if (t.kind == token_kind::special && t.special == '/') {
      t = lx.next_skipping_comments();
      if (t.kind == token_kind::atom) {
        subtype = detail::lower(t.raw);
        t = lx.next_skipping_comments();
      }
    }
  }
  if (!type.empty() && !subtype.empty()) {
    r.type = std::move(type);
    r.subtype = std::move(subtype);
    r.valid = true;
  } else {
    detail::report(d, errc::mime_bad_content_type, 0);
  }
  t = detail::skip_type_junk(lx, t, r.valid ? d : nullptr);
  r.parameters = detail::merge_parameters(detail::read_parameters(lx, t, d), d, cs);
  return r;
}

/// Parses a Content-Disposition value (RFC 2183 2, parameters as in
/// parse_content_type); `type` is empty when the value does not start with
/// a token.
inline content_disposition parse_content_disposition(std::string_view value, diagnostics* d = nullptr,
                                                     const charset_options& cs = {}) {
  detail::check_8bit(value, d);
  content_disposition r;
  header_lexer lx(value, lex_mode::mime, d);
  token t = lx.next_skipping_comments();
  if (t.kind == token_kind::atom && !detail::parameter_starts(value, t.offset)) {
    r.type = detail::lower(t.raw);
    t = lx.next_skipping_comments();
  } else {
    detail::report(d, errc::mime_bad_content_type, t.offset);
  }
  t = detail::skip_type_junk(lx, t, d);
  r.parameters = detail::merge_parameters(detail::read_parameters(lx, t, d), d, cs);
  return r;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_CONTENT_TYPE_HPP
