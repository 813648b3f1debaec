// mailwire: RFC 2047 encoded-words, decoding and encoding.
//
// Decoding turns header text (Subject and other unstructured fields, display
// names, comments, and the encoded-words real mail puts in parameter
// values) into UTF-8:
//  - B and Q encodings, with the RFC 2231 6 language suffix
//    (=?charset*lang?...) accepted and ignored;
//  - whitespace between two adjacent encoded-words is dropped (RFC 2047 6.2),
//    and adjacent words in the same charset are joined as bytes before the
//    charset conversion, so a character split across two words is rejoined;
//  - a malformed word (=?charset?X?...?= with an unknown encoding, no
//    closing ?=) is kept literally: errc::mime_bad_encoded_word;
//  - whitespace or folds inside a word (seen in real mail) are tolerated:
//    folds are dropped, a space stays a space in Q
//    (errc::mime_encoded_word_whitespace);
//  - a word glued to other text ("[SPAM]=?utf-8?q?x?=") is decoded, and in
//    text and phrases the word boundary is kept as one space
//    (errc::mime_encoded_word_glued); not in parameter values, where
//    "=?..?=.pdf" is a file name;
//  - the charset is converted with mime::to_utf8, with the caller's
//    charset_options (a hook for charsets not built in, such as the glibc
//    one in iconv_charset.hpp for the East-Asian ones). When the charset is
//    unknown (errc::charset_unknown) the decoded bytes are kept if they
//    are valid UTF-8 without control characters, otherwise the
//    encoded-word text is kept as it was, so no byte of unknown meaning is
//    passed off as text: ISO-2022 escape sequences (ESC) and shift codes
//    are never text (see detail::readable_as_is).
// Bytes outside encoded-words follow header_lexer.hpp: UTF-8 kept,
// anything else read as windows-1252. Every result is valid UTF-8.
//
// Encoding (for the message builder) writes UTF-8 text as encoded-words
// where needed, charset UTF-8, choosing Q or B by length, each word at most
// 75 characters (RFC 2047 2) and never splitting a UTF-8 character.
// Adjacent words are separated by one space, where a writer may fold.
#ifndef MAILWIRE_MIME_ENCODED_WORD_HPP
#define MAILWIRE_MIME_ENCODED_WORD_HPP

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/base64.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/mime/charset.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/header_lexer.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// Longest encoded-word RFC 2047 2 allows; the encoder never exceeds it.
inline constexpr std::size_t max_encoded_word = 75;

/// Longest charset (with its RFC 2231 "*language") the decoder takes in an
/// encoded-word; longer is not an encoded-word. IANA names are at most 40
/// characters (RFC 2978 2.3), language tags rarely over 20.
inline constexpr std::size_t max_charset_name = 64;

namespace detail {

// Q (RFC 2047 4.2): '_' is a space, =XX a byte; a '=' without two hex
// digits stays as it is. Returns false when such a '=' was seen.
inline bool q_decode(std::string_view in, std::string& out) {
  bool ok = true;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < in.size() && ascii::is_hexdig(in[i + 1]) && ascii::is_hexdig(in[i + 2])) {
      out.push_back(static_cast<char>(ascii::hex_value(in[i + 1]) * 16 + ascii::hex_value(in[i + 2])));
      i += 2;
    } else {
      if (c == '=') ok = false;
      out.push_back(c);
    }
  }
  return ok;
}

// B (RFC 2047 4.1), leniently: bytes outside the alphabet are skipped, and
// missing padding is tolerated. Returns false when anything but padding was
// skipped or a lone sextet was left over.
inline bool b_decode(std::string_view in, std::string& out) {
  bool ok = true;
  std::uint32_t acc = 0;
  unsigned bits = 0;
  bool padding = false;
  for (char c : in) {
    if (c == '=') {
      padding = true;
      continue;
    }
    if (!ascii::is(c, ascii::base64) || padding) {
      ok = false;
      if (!ascii::is(c, ascii::base64)) continue;
    }
    acc = (acc << 6) | (base64::detail::d3[static_cast<unsigned char>(c)] & 63u);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return ok && bits < 6;
}

// One encoded-word found in a string.
struct encoded_word {
  std::string_view charset;  // without the RFC 2231 language
  char encoding = 0;         // 'B' or 'Q'
  std::string_view text;
  std::size_t end = 0;  // one past "?="
};

// Finds "?=" at or after `from` in linear total time over increasing
// `from` (a failed search is remembered).
struct close_finder {
  std::size_t next = 0;
  bool searched = false;
  std::size_t find(std::string_view s, std::size_t from) {
    if (!searched || (next != std::string_view::npos && next < from)) {
      next = s.find("?=", from);
      searched = true;
    }
    return next;
  }
};

enum class ew_match : std::uint8_t { none, malformed, ok };

// RFC 2047 2: "=?" charset "?" encoding "?" encoded-text "?=", at s[at].
inline ew_match match_encoded_word(std::string_view s, std::size_t at, close_finder& cf, encoded_word& w) {
  if (s.compare(at, 2, "=?") != 0) return ew_match::none;
  std::size_t p = at + 2;
  const std::size_t cs = p;
  while (p < s.size() && p - cs < max_charset_name && s[p] != '?' && !is_fws(s[p]) && ascii::is(s[p], ascii::vchar)) ++p;
  if (p == cs || p + 2 >= s.size() || s[p] != '?' || s[p + 2] != '?') return ew_match::none;
  w.charset = s.substr(cs, p - cs);
  w.charset = w.charset.substr(0, w.charset.find('*'));
  w.encoding = ascii::to_upper(s[p + 1]);
  const std::size_t text = p + 3;
  const std::size_t close = cf.find(s, text);
  if (w.encoding != 'B' && w.encoding != 'Q') return ew_match::malformed;
  if (close == std::string_view::npos || w.charset.empty()) return ew_match::malformed;
  w.text = s.substr(text, close - text);
  w.end = close + 2;
  return ew_match::ok;
}

// Bytes in a charset that is not known may be shown as they are only when
// they read the same in any charset that could have produced them: valid
// UTF-8 with no C0 control but TAB, no DEL and no C1 control. 7-bit
// ISO-2022 text (ISO-2022-JP, -KR, -CN) is valid UTF-8 byte for byte, but
// its ESC sequences and SO/SI shifts are what gives the letters between
// them their meaning: without them the text is gibberish, and a terminal
// would act on the escapes.
inline bool readable_as_is(std::string_view bytes) noexcept {
  if (!utf8::valid(bytes)) return false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
    if (c == 0xC2 && i + 1 < bytes.size() && static_cast<unsigned char>(bytes[i + 1]) < 0xA0) return false;
  }
  return true;
}

// Builds decoded text: literal pieces, whitespace that is dropped between
// encoded-words, and encoded-word bytes buffered per charset.
class text_builder {
 public:
  explicit text_builder(diagnostics* d, const charset_options& cs) noexcept : d_(d), cs_(cs) {}
  const charset_options& charsets() const noexcept { return cs_; }

  void literal(std::string_view raw) {
    if (raw.empty()) return;
    flush();
    append_text(out_, pending_);
    pending_.clear();
    append_text(out_, raw);
    last_ew_ = false;
  }
  void space(std::string_view ws) { pending_.append(ws); }
  void encoded(std::string_view charset, std::string_view bytes, std::string_view raw, std::size_t offset) {
    if (!last_ew_) {
      append_text(out_, pending_);
    } else if (!ascii::iequals(charset, charset_)) {
      flush();
    }
    pending_.clear();
    if (ew_raw_.empty()) {
      charset_.assign(charset);
      offset_ = offset;
    }
    bytes_.append(bytes);
    ew_raw_.append(raw);
    last_ew_ = true;
  }
  bool last_was_encoded() const noexcept { return last_ew_; }
  bool empty() const noexcept { return out_.empty() && ew_raw_.empty(); }
  // The text; trailing whitespace is dropped when `trim`.
  std::string finish(bool trim) {
    flush();
    if (!trim) append_text(out_, pending_);
    pending_.clear();
    return std::move(out_);
  }

 private:
  void flush() {
    if (ew_raw_.empty()) return;
    std::string converted;
    if (to_utf8(charset_, bytes_, converted, cs_)) {
      append_text(out_, converted);
    } else {
      report(d_, errc::charset_unknown, offset_);
      append_text(out_, readable_as_is(bytes_) ? std::string_view(bytes_) : std::string_view(ew_raw_));
    }
    bytes_.clear();
    ew_raw_.clear();
  }

  diagnostics* d_;
  const charset_options& cs_;
  std::string out_;
  std::string pending_;
  std::string charset_;
  std::string bytes_;
  std::string ew_raw_;
  std::size_t offset_ = 0;
  bool last_ew_ = false;
};

// Whether `s` may hold an encoded-word ("=?"); without one, decoding it as
// text only unfolds and trims it and reads its bytes.
inline bool has_encoded_word(std::string_view s) noexcept {
  for (const char* p = s.data(), *end = p + s.size(); p != end;) {
    p = static_cast<const char*>(std::memchr(p, '=', static_cast<std::size_t>(end - p)));
    if (p == nullptr || ++p == end) return false;
    if (*p == '?') return true;
  }
  return false;
}

// How decode_words treats text around encoded-words.
struct words_options {
  bool glue_space = true;   // keep a glued word's boundary as a space
  bool unfold = true;       // line breaks in a whitespace run removed (RFC 5322 2.2.3)
  errc inside = errc::ok;   // reported once when an encoded-word is found
};

// Decodes `s` (text with whitespace, maybe encoded-words) into `b`.
// Diagnostics at `base + offset in s`, or at `base` when `s` is not the
// input itself (`exact_offsets` false: quoted or comment content).
inline void decode_words(text_builder& b, std::string_view s, std::size_t base, bool exact_offsets,
                         const words_options& o, diagnostics* d) {
  const auto at = [&](std::size_t i) { return exact_offsets ? base + i : base; };
  close_finder cf;
  bool inside_reported = false;
  std::size_t i = 0;
  std::size_t lit = 0;  // start of the pending literal run
  const auto flush_literal = [&](std::size_t end) {
    b.literal(s.substr(lit, end - lit));
  };
  while (i < s.size()) {
    if (is_fws(s[i])) {
      flush_literal(i);
      std::size_t j = i;
      bool fold = false;
      while (j < s.size() && is_fws(s[j])) fold = fold || s[j] == '\r' || s[j] == '\n', ++j;
      if (fold && o.unfold) {
        // RFC 5322 2.2.3: unfolding removes the line breaks, nothing else.
        std::string run;
        for (std::size_t k = i; k < j; ++k) {
          if (s[k] != '\r' && s[k] != '\n') run.push_back(s[k]);
        }
        b.space(run);
      } else {
        b.space(s.substr(i, j - i));
      }
      i = lit = j;
      continue;
    }
    encoded_word w;
    const ew_match m = s[i] == '=' ? match_encoded_word(s, i, cf, w) : ew_match::none;
    if (m == ew_match::malformed) report(d, errc::mime_bad_encoded_word, at(i));
    if (m != ew_match::ok) {
      ++i;
      continue;
    }
    const bool glued_before = i > lit;
    flush_literal(i);
    if (glued_before) {
      report(d, errc::mime_encoded_word_glued, at(i));
      if (o.glue_space) b.space(" ");
    }
    if (o.inside != errc::ok && !inside_reported) {
      report(d, o.inside, at(i));
      inside_reported = true;
    }
    std::string text;
    bool spaced = false;
    for (std::size_t k = 0; k < w.text.size(); ++k) {
      const char c = w.text[k];
      if (c == '\r' || c == '\n') {
        spaced = true;
        while (k + 1 < w.text.size() && is_fws(w.text[k + 1])) ++k;
      } else if (c == ' ' || c == '\t') {
        spaced = true;
        if (w.encoding == 'Q') text.push_back(c);
      } else {
        text.push_back(c);
      }
    }
    if (spaced) report(d, errc::mime_encoded_word_whitespace, at(i));
    std::string bytes;
    if (!(w.encoding == 'B' ? b_decode(text, bytes) : q_decode(text, bytes))) {
      report(d, errc::mime_bad_encoded_word, at(i));
    }
    b.encoded(w.charset, bytes, s.substr(i, w.end - i), at(i));
    i = lit = w.end;
    if (i < s.size() && !is_fws(s[i]) && s.compare(i, 2, "=?") != 0) {
      report(d, errc::mime_encoded_word_glued, at(i));
      if (o.glue_space) b.space(" ");
    }
  }
  flush_literal(s.size());
}

}  // namespace detail

/// Decodes an unstructured field value (Subject, Comments, X-...: RFC 5322
/// 3.2.5) to UTF-8: encoded-words decoded as described at the top of this
/// file, folds unfolded (RFC 5322 2.2.3: the line breaks removed, the
/// white space around them kept, as Python's email and GMime read it),
/// leading and trailing whitespace removed.
///
/// `cs` converts the encoded-words' charsets (its hook is asked for the
/// ones not built in); it must outlive the call.
///
/// This form appends the text to `out` (nothing else in `out` changes) and
/// allocates nothing beyond `out`'s growth when the value has no
/// encoded-word ("=?"): the common case, whose text is the value itself,
/// unfolded and trimmed (and read as windows-1252 where it is not UTF-8).
inline void decode_unstructured(std::string_view value, std::string& out, diagnostics* d = nullptr,
                                const charset_options& cs = {}) {
  const std::size_t bad = utf8::invalid_at(value);
  if (bad != value.size()) detail::report(d, errc::mime_8bit_header, bad);
  std::size_t start = 0;
  while (start < value.size() && detail::is_fws(value[start])) ++start;
  const std::string_view rest = value.substr(start);
  if (!detail::has_encoded_word(rest)) {
    // What decode_words would build: literal runs and the white space
    // between them as they are but for the line breaks of folds (every CR
    // and LF is in a white-space run), the trailing white space dropped.
    // Split at line breaks only, the runs read as text read the same.
    std::size_t end = rest.size();
    while (end > 0 && detail::is_fws(rest[end - 1])) --end;
    std::size_t from = 0;
    for (std::size_t i = 0; i <= end; ++i) {
      if (i != end && rest[i] != '\r' && rest[i] != '\n') continue;
      if (bad == value.size()) {
        out.append(rest.data() + from, i - from);
      } else {
        detail::append_text(out, rest.substr(from, i - from));
      }
      from = i + 1;
    }
    return;
  }
  detail::text_builder b(d, cs);
  detail::decode_words(b, rest, start, true, {}, d);
  out += b.finish(true);
}

/// The same, returning the text.
inline std::string decode_unstructured(std::string_view value, diagnostics* d = nullptr,
                                       const charset_options& cs = {}) {
  std::string out;
  decode_unstructured(value, out, d, cs);
  return out;
}

namespace detail {
// Appends one phrase token (atom, quoted string, special) to a phrase being
// decoded; `first` tokens get no space before them.
inline void phrase_token(text_builder& b, const token& t, bool first, diagnostics* d) {
  if (!first && t.space_before) b.space(" ");
  if (t.kind == token_kind::quoted_string) {
    const std::string content = token_content(t);
    words_options o;
    o.unfold = false;
    o.inside = errc::mime_encoded_word_in_quotes;
    decode_words(b, content, t.offset, false, o, d);
  } else if (t.kind == token_kind::atom) {
    decode_words(b, t.raw, t.offset, true, {}, d);
  } else {
    b.literal(t.raw);
  }
}

// The decoded text of a comment token (nested parentheses kept).
inline std::string comment_text(const token& t, diagnostics* d, const charset_options& cs) {
  text_builder b(d, cs);
  const std::string content = token_content(t);
  std::size_t start = 0;
  while (start < content.size() && is_fws(content[start])) ++start;
  decode_words(b, std::string_view(content).substr(start), t.offset, false, {}, d);
  return b.finish(true);
}
}  // namespace detail

/// Decodes a phrase (RFC 5322 3.2.5: a display name or group name, maybe
/// with obsolete '.' and quoted strings) to UTF-8: words joined by one
/// space where the input had whitespace, quoted strings unquoted,
/// encoded-words decoded (also inside quoted strings, with
/// errc::mime_encoded_word_in_quotes), comments dropped. `cs` as for
/// decode_unstructured.
inline std::string decode_phrase(std::string_view value, diagnostics* d = nullptr, const charset_options& cs = {}) {
  detail::check_8bit(value, d);
  header_lexer lx(value, lex_mode::rfc5322, d);
  detail::text_builder b(d, cs);
  bool first = true;
  for (token t = lx.next_skipping_comments(); t.kind != token_kind::end; t = lx.next_skipping_comments()) {
    detail::phrase_token(b, t, first, d);
    first = false;
  }
  return b.finish(false);
}

namespace detail {
// Q for phrases (RFC 2047 5(3)) allows only these unencoded; in text,
// any printable ASCII but '=', '?', '_'.
constexpr bool q_plain(char c, bool phrase) noexcept {
  if (ascii::is_alpha(c) || ascii::is_digit(c)) return true;
  if (phrase) return c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
  return ascii::is_vchar(c) && c != '=' && c != '?' && c != '_';
}

inline std::size_t q_size(std::string_view s, bool phrase) noexcept {
  std::size_t n = 0;
  for (char c : s) n += (c == ' ' || q_plain(c, phrase)) ? 1u : 3u;
  return n;
}

inline void q_append(std::string& out, char c, bool phrase) {
  if (c == ' ') {
    out.push_back('_');
  } else if (q_plain(c, phrase)) {
    out.push_back(c);
  } else {
    ascii::append_hex_escape(out, '=', static_cast<unsigned char>(c));
  }
}

// Length of the UTF-8 character at s[i] (1 for a byte that starts none).
inline std::size_t char_length(std::string_view s, std::size_t i) noexcept {
  const std::size_t n = utf8::decode(s, i).length;
  return n == 0 ? 1 : n;
}

// The end of the longest word from s[i] that fits an encoded-word, cut
// at a character boundary; with `b_whole` (B), the longest whose bytes
// are a multiple of 3, or i when there is none.
inline std::size_t word_end(std::string_view s, std::size_t i, bool use_b, bool phrase, bool b_whole) {
  const std::size_t room = max_encoded_word - 12;  // "=?UTF-8?B?" and "?="
  std::size_t j = i;
  std::size_t size = 0;
  std::size_t whole = i;
  while (j < s.size()) {
    const std::size_t n = char_length(s, j);
    const std::size_t grown = use_b ? (j + n - i + 2) / 3 * 4 : size + q_size(s.substr(j, n), phrase);
    if (grown > room) break;
    size = grown;
    j += n;
    if ((j - i) % 3 == 0) whole = j;
  }
  return b_whole ? whole : j;
}

// Writes `s` as encoded-words separated by single spaces. A B word that
// another follows holds a multiple of 3 bytes (no '=' padding), or is
// written as Q instead: GMime 3 decodes adjacent B words of one charset
// as one base64 stream and drops everything after a padded one.
inline void encode_run(std::string& out, std::string_view s, bool phrase) {
  const bool run_b = (s.size() + 2) / 3 * 4 < q_size(s, phrase);
  std::size_t i = 0;
  while (i < s.size()) {
    bool use_b = run_b;
    std::size_t j = word_end(s, i, use_b, phrase, false);
    if (use_b && j < s.size()) {
      j = word_end(s, i, true, phrase, true);
      if (j == i) {
        use_b = false;
        j = word_end(s, i, false, phrase, false);
      }
    }
    if (j == i) j = i + char_length(s, i);  // cannot happen with room >= 12
    const std::string_view prefix = use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?";
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
    out.append(prefix);
    if (use_b) {
      out.append(base64::encode(s.substr(i, j - i)));
    } else {
      for (char c : s.substr(i, j - i)) q_append(out, c, phrase);
    }
    out.append("?=");
    i = j;
  }
}

// A word must be encoded when it is not plain printable ASCII, or would
// read as an encoded-word.
inline bool needs_encoding(std::string_view word) noexcept {
  if (word.find("=?") != std::string_view::npos) return true;
  for (char c : word) {
    if (!ascii::is_vchar(c)) return true;
  }
  return false;
}
}  // namespace detail

/// Encodes UTF-8 `text` for an unstructured field: words (split at spaces)
/// that are plain printable ASCII stay as they are; each run of other words
/// (and the spaces inside the run) becomes encoded-words. Decoding the
/// result with decode_unstructured gives `text` back when `text` has no
/// line breaks, no tabs and no leading or trailing spaces. Bytes that are
/// not UTF-8 are encoded as they are.
inline std::string encode_unstructured(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      out.push_back(' ');
      ++i;
      continue;
    }
    std::size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    if (!detail::needs_encoding(text.substr(i, end - i))) {
      out.append(text.substr(i, end - i));
      i = end;
      continue;
    }
    // Extend the run over following words that need encoding too, so the
    // spaces between them are inside the encoded text.
    std::size_t run_end = end;
    for (;;) {
      std::size_t next = run_end;
      while (next < text.size() && text[next] == ' ') ++next;
      if (next == text.size()) break;
      std::size_t next_end = text.find(' ', next);
      if (next_end == std::string_view::npos) next_end = text.size();
      if (!detail::needs_encoding(text.substr(next, next_end - next))) break;
      run_end = next_end;
    }
    detail::encode_run(out, text.substr(i, run_end - i), false);
    i = run_end;
  }
  return out;
}

/// Encodes UTF-8 `name` as a phrase (display name): as it is when it is
/// atoms separated by single spaces, as a quoted string when it is
/// printable ASCII with specials, otherwise wholly as encoded-words (Q with
/// the restricted phrase alphabet of RFC 2047 5(3), or B). decode_phrase
/// gives `name` back.
inline std::string encode_phrase(std::string_view name) {
  bool printable = true;
  bool atoms = !name.empty() && name.front() != ' ' && name.back() != ' ';
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c != ' ' && !ascii::is_vchar(c)) printable = false;
    if (!(ascii::is(c, ascii::atext) || (c == ' ' && i > 0 && name[i - 1] != ' '))) atoms = false;
  }
  if (printable && name.find("=?") != std::string_view::npos) printable = false;
  std::string out;
  if (printable && atoms) {
    out.assign(name);
  } else if (printable) {
    out.push_back('"');
    for (char c : name) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  } else {
    detail::encode_run(out, name, true);
  }
  return out;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_ENCODED_WORD_HPP
