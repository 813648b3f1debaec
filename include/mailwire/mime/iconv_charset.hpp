// mailwire: East-Asian charsets through glibc's iconv, as a charset_hook.
//
// Optional, and not included by mailwire.hpp or mime.hpp: the library itself
// never calls iconv. Include it and pass the hook where charsets are
// converted, to read Japanese, Chinese and Korean mail:
//
//     mime::charset_options cs;
//     cs.hook = &mime::iconv_hook;
//     mime::decode_unstructured(value, &diags, cs);     // Subject, comments
//     mime::parse_address_list(value, &diags, cs);      // display names
//     mime::parser_options po; po.charsets = cs;        // file names
//     tree.text(node, &diags, cs);                      // bodies
//
// The hook opens only the charset families below, each under its IANA
// names, aliases and the spellings real mail uses (matched as find_charset
// matches: ASCII case and punctuation ignored, "x-" prefixes dropped). Each
// label is read as the superset mail clients and the WHATWG Encoding
// Standard read it as, so that a message whose sender's software used the
// vendor extensions (circled numbers, NEC and IBM kanji, HKSCS, the Korean
// syllables outside KS X 1001) is read whole:
//  - ISO-2022-JP (and -1, CP50220-2, csISO2022JP): read by mailwire
//    (escape sequences for ASCII, JIS-Roman, JIS X 0201 katakana, JIS X
//    0208, JIS X 0212, JIS X 0213 plane 1; SO/SI katakana) into EUC-JP,
//    decoded by iconv's EUC-JP, and where that has no character, by
//    EUC-JP-MS (NEC row 13 and the IBM extensions of CP50221) and
//    EUC-JISX0213. ISO-2022-JP-2 and ISO-2022-JP-3 (-2004) go to iconv's
//    decoders of those names;
//  - Shift_JIS, windows-31j, CP932, MS_Kanji: CP932 (0x5C is '\', as in
//    Python and browsers, not iconv SHIFT_JIS's yen sign); Shift_JIS-2004:
//    SHIFT_JISX0213;
//  - EUC-JP: EUC-JP, then EUC-JP-MS where it has no character;
//    EUC-JIS-2004: EUC-JISX0213;
//  - GB2312, EUC-CN, GBK, CP936, GB18030: GB18030 (a superset of each);
//  - Big5, CP950: iconv's BIG5 (CP950), then BIG5-HKSCS where it has no
//    character; Big5-HKSCS: BIG5-HKSCS;
//  - EUC-KR, KS_C_5601-1987, KS_C_5601-1989, CP949, UHC: CP949 (unified
//    Hangul code); ISO-2022-KR; JOHAB;
//  - ISO-2022-CN, EUC-TW.
// Other names give null: the caller's reading of an unknown charset stays
// (errc::charset_unknown). Arbitrary names from a message never reach
// iconv_open.
//
// A byte sequence iconv cannot convert becomes one U+FFFD and is counted;
// decoding resumes at the next byte. ESC, SO and SI never come out as text
// from the 7-bit ISO-2022 charsets (iconv passes an unknown escape through
// as it is): each becomes U+FFFD. Output is UTF-8 (charset_decoder checks
// it once more).
//
// glibc only: the names above and iconv's behaviour on malformed input are
// glibc's (musl and macOS libiconv differ). On another C library this
// header declares nothing. Each converter holds up to three iconv_t
// descriptors for the life of its charset_decoder.
#ifndef MAILWIRE_MIME_ICONV_CHARSET_HPP
#define MAILWIRE_MIME_ICONV_CHARSET_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mailwire/mime/charset.hpp"

#if defined(__GLIBC__)
#include <iconv.h>

namespace mailwire {
inline namespace v0 {
namespace mime {

namespace detail {

// How a family is read: its iconv names (the first is tried first, the
// others for a character the first has none for) and whether mailwire
// reads ISO-2022-JP's shifts itself first, or ESC/SO/SI must be scrubbed
// from iconv's output.
enum class iconv_front : std::uint8_t { none, iso2022jp, scrub_escapes };

struct iconv_family {
  const char* names[3];
  iconv_front front;
};

struct iconv_alias {
  std::string_view key;  // folded as by fold_charset_name()
  std::uint8_t family;
};

inline constexpr iconv_family iconv_families[] = {
    {{"EUC-JP", "EUC-JP-MS", "EUC-JISX0213"}, iconv_front::iso2022jp},  // 0
    {{"ISO-2022-JP-2", nullptr, nullptr}, iconv_front::scrub_escapes},  // 1
    {{"ISO-2022-JP-3", nullptr, nullptr}, iconv_front::scrub_escapes},  // 2
    {{"CP932", nullptr, nullptr}, iconv_front::none},                   // 3
    {{"SHIFT_JISX0213", nullptr, nullptr}, iconv_front::none},          // 4
    {{"EUC-JP", "EUC-JP-MS", nullptr}, iconv_front::none},              // 5
    {{"EUC-JISX0213", nullptr, nullptr}, iconv_front::none},            // 6
    {{"GB18030", nullptr, nullptr}, iconv_front::none},                 // 7
    {{"BIG5", "BIG5-HKSCS", nullptr}, iconv_front::none},               // 8
    {{"CP950", "BIG5-HKSCS", nullptr}, iconv_front::none},              // 9
    {{"BIG5-HKSCS", nullptr, nullptr}, iconv_front::none},              // 10
    {{"CP949", nullptr, nullptr}, iconv_front::none},                   // 11
    {{"ISO-2022-KR", nullptr, nullptr}, iconv_front::scrub_escapes},    // 12
    {{"JOHAB", nullptr, nullptr}, iconv_front::none},                   // 13
    {{"ISO-2022-CN", nullptr, nullptr}, iconv_front::scrub_escapes},    // 14
    {{"EUC-TW", nullptr, nullptr}, iconv_front::none},                  // 15
};

// IANA names and aliases, WHATWG labels and mail's spellings, folded.
inline constexpr iconv_alias iconv_aliases[] = {
    {"iso2022jp", 0},       {"csiso2022jp", 0},      {"iso2022jp1", 0},     {"cp50220", 0},
    {"cp50221", 0},         {"cp50222", 0},          {"jis", 0},            {"iso2022jp2", 1},
    {"csiso2022jp2", 1},    {"iso2022jp3", 2},       {"iso2022jp2004", 2},  {"shiftjis", 3},
    {"sjis", 3},            {"mskanji", 3},          {"csshiftjis", 3},     {"windows31j", 3},
    {"cswindows31j", 3},    {"cp932", 3},            {"ms932", 3},          {"ibm943", 3},
    {"shiftjisx0213", 4},   {"shiftjis2004", 4},     {"eucjp", 5},          {"cseucpkdfmtjapanese", 5},
    {"ujis", 5},            {"eucjpms", 5},          {"eucjpwin", 5},       {"eucjisx0213", 6},
    {"eucjis2004", 6},      {"gb2312", 7},           {"csgb2312", 7},       {"euccn", 7},
    {"gb231280", 7},        {"csiso58gb231280", 7},  {"isoir58", 7},        {"chinese", 7},
    {"gbk", 7},             {"cp936", 7},            {"ms936", 7},          {"windows936", 7},
    {"gb18030", 7},         {"big5", 8},             {"csbig5", 8},         {"cnbig5", 8},
    {"big5tw", 8},          {"cp950", 9},            {"ms950", 9},          {"big5hkscs", 10},
    {"euckr", 11},          {"cseuckr", 11},         {"ksc56011987", 11},   {"ksc56011989", 11},
    {"csksc56011987", 11},  {"isoir149", 11},        {"korean", 11},        {"ksc5601", 11},
    {"cp949", 11},          {"uhc", 11},             {"windows949", 11},    {"ms949", 11},
    {"iso2022kr", 12},      {"csiso2022kr", 12},     {"johab", 13},         {"iso2022cn", 14},
    {"csiso2022cn", 14},    {"euctw", 15},           {"cseuctw", 15},
};

// The family a charset name denotes, or -1; "x-" prefixes ("x-sjis",
// "x-x-big5") are dropped as find_charset drops them.
inline int find_iconv_family(std::string_view name) noexcept {
  char buf[24];
  std::size_t len = 0;
  if (!fold_charset_name(name, buf, len) || len == 0) return -1;
  std::string_view key(buf, len);
  for (int strip = 0; strip < 3; ++strip) {
    for (const iconv_alias& a : iconv_aliases) {
      if (key == a.key) return a.family;
    }
    if (key.size() < 2 || key.front() != 'x') break;
    key.remove_prefix(1);
  }
  return -1;
}

// ISO-2022-JP (RFC 1468, with the JIS X 0201 katakana, JIS X 0212 and
// JIS X 0213 plane 1 designations of CP50221 and ISO-2022-JP-1/-2004) to
// EUC-JP, one byte at a time, holding an incomplete escape sequence or
// double-byte character between calls. Anything that is not valid becomes
// 0xFF, a byte no EUC-JP decoder accepts, so it comes out as one U+FFFD.
class iso2022jp_to_eucjp {
 public:
  // Appends the EUC-JP for `in` to `out`.
  void feed(std::string_view in, std::string& out) {
    for (char ch : in) byte(static_cast<unsigned char>(ch), out);
  }
  // The stream ends: a held escape or half character is invalid.
  void finish(std::string& out) {
    if (held_ != 0) out.push_back('\xFF');
    *this = iso2022jp_to_eucjp();
  }

 private:
  enum class set : std::uint8_t { ascii, kana, jis0208, jis0212 };
  static constexpr char invalid = '\xFF';

  void byte(unsigned char c, std::string& out) {
    if (held_ != 0 && esc_[0] == 0x1B) return escape(c, out);
    if (c == 0x1B) {
      if (held_ != 0) out.push_back(invalid);  // a half character
      esc_[0] = 0x1B;
      held_ = 1;
      return;
    }
    if (c == 0x0E || c == 0x0F) {  // SO/SI: JIS7 katakana shift
      shifted_ = c == 0x0E;
      return;
    }
    if (c >= 0x80) {
      out.push_back(invalid);
      return;
    }
    if (c == '\r' || c == '\n') {  // a line ends in ASCII (RFC 1468)
      if (held_ != 0) out.push_back(invalid);
      held_ = 0;
      set_ = set::ascii;
      shifted_ = false;
      out.push_back(static_cast<char>(c));
      return;
    }
    const set now = shifted_ ? set::kana : set_;
    if (now == set::ascii || c < 0x21 || c > 0x7E) {
      if (held_ != 0) out.push_back(invalid);
      held_ = 0;
      out.push_back(static_cast<char>(c));
      return;
    }
    if (now == set::kana) {
      if (c > 0x5F) {
        out.push_back(invalid);
      } else {
        out.push_back('\x8E');
        out.push_back(static_cast<char>(c | 0x80));
      }
      return;
    }
    if (held_ == 0) {
      esc_[0] = c;
      held_ = 1;
      return;
    }
    if (now == set::jis0212) out.push_back('\x8F');
    out.push_back(static_cast<char>(esc_[0] | 0x80));
    out.push_back(static_cast<char>(c | 0x80));
    held_ = 0;
  }

  // ESC ( B, ESC ( J, ESC ( I, ESC $ @, ESC $ B, ESC $ ( D, ESC $ ( O/Q.
  void escape(unsigned char c, std::string& out) {
    esc_[held_++] = c;
    const std::string_view e(reinterpret_cast<const char*>(esc_ + 1), held_ - 1u);
    if (e == "(" || e == "$" || e == "$(") return;  // more to come
    held_ = 0;
    shifted_ = false;
    if (e == "(B" || e == "(J") {
      set_ = set::ascii;
    } else if (e == "(I") {
      set_ = set::kana;
    } else if (e == "$@" || e == "$B" || e == "$(O" || e == "$(Q") {
      set_ = set::jis0208;
    } else if (e == "$(D") {
      set_ = set::jis0212;
    } else {
      // Not a designation ISO-2022-JP has: the escape is not text, and the
      // bytes after it are read in the set in force.
      out.push_back(invalid);
      if (c == 0x1B) {
        esc_[0] = 0x1B;
        held_ = 1;
      }
    }
  }

  unsigned char esc_[4] = {};
  std::uint8_t held_ = 0;  // bytes in esc_: an escape sequence, or a half character
  set set_ = set::ascii;
  bool shifted_ = false;
};

class iconv_converter final : public charset_converter {
 public:
  explicit iconv_converter(const iconv_family& f) noexcept : front_(f.front) {
    for (std::size_t i = 0; i < 3 && f.names[i] != nullptr; ++i) {
      cd_[i] = iconv_open("UTF-8", f.names[i]);
    }
  }
  ~iconv_converter() override {
    for (iconv_t cd : cd_) {
      if (cd != none()) iconv_close(cd);
    }
  }
  iconv_converter(const iconv_converter&) = delete;
  iconv_converter& operator=(const iconv_converter&) = delete;

  bool valid() const noexcept { return cd_[0] != none(); }

  std::size_t convert(std::string_view in, std::string& out, bool final) override {
    std::size_t bad = 0;
    const std::size_t start = out.size();
    if (front_ == iconv_front::iso2022jp) {
      std::string euc;
      jp_.feed(in, euc);
      if (final) jp_.finish(euc);
      bad += run(euc, out, final);
    } else {
      bad += run(in, out, final);
    }
    if (front_ == iconv_front::scrub_escapes) bad += scrub(out, start);
    return bad;
  }

 private:
  static iconv_t none() noexcept { return reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1)); }

  // Converts held_ + `in` with cd_[0]; an incomplete sequence at the end
  // waits in held_ unless `final`. Returns the malformed sequences met.
  std::size_t run(std::string_view in, std::string& out, bool final) {
    held_.append(in.data(), in.size());
    std::size_t bad = 0;
    std::size_t pos = 0;
    char buf[1024];
    while (pos < held_.size()) {
      char* src = &held_[pos];
      std::size_t src_left = held_.size() - pos;
      char* dst = buf;
      std::size_t dst_left = sizeof buf;
      const std::size_t r = iconv(cd_[0], &src, &src_left, &dst, &dst_left);
      const int err = r == static_cast<std::size_t>(-1) ? errno : 0;
      out.append(buf, static_cast<std::size_t>(dst - buf));
      pos = held_.size() - src_left;
      if (err == 0 || err == E2BIG) continue;
      if (err == EINVAL && !final) break;  // incomplete: wait for more
      if (err == EILSEQ && fallback(pos, out)) continue;
      out.append("\xEF\xBF\xBD");  // U+FFFD for one byte, or the truncated end
      ++bad;
      pos = err == EINVAL ? held_.size() : pos + 1;
    }
    held_.erase(0, pos);
    if (final) {
      held_.clear();
      iconv(cd_[0], nullptr, nullptr, nullptr, nullptr);
    }
    return bad;
  }

  // The character at held_[pos] that cd_[0] has none for, from a superset
  // (stateless ones only): converted with room for one character's UTF-8.
  bool fallback(std::size_t& pos, std::string& out) {
    for (std::size_t i = 1; i < 3; ++i) {
      if (cd_[i] == none()) continue;
      char* src = &held_[pos];
      std::size_t src_left = held_.size() - pos;
      char buf[8];
      char* dst = buf;
      std::size_t dst_left = sizeof buf;
      iconv(cd_[i], &src, &src_left, &dst, &dst_left);
      iconv(cd_[i], nullptr, nullptr, nullptr, nullptr);
      const std::size_t taken = held_.size() - pos - src_left;
      if (taken == 0) continue;
      out.append(buf, static_cast<std::size_t>(dst - buf));
      pos += taken;
      return true;
    }
    return false;
  }

  // ESC, SO and SI left in the output (an escape iconv did not know) are
  // not text.
  static std::size_t scrub(std::string& out, std::size_t from) {
    std::size_t bad = 0;
    for (std::size_t i = from; i < out.size(); ++i) {
      const char c = out[i];
      if (c != '\x1B' && c != '\x0E' && c != '\x0F') continue;
      out.replace(i, 1, "\xEF\xBF\xBD");
      i += 2;
      ++bad;
    }
    return bad;
  }

  iconv_t cd_[3] = {none(), none(), none()};
  iconv_front front_;
  iso2022jp_to_eucjp jp_;
  std::string held_;  // input not yet converted: an incomplete sequence
};

inline std::unique_ptr<charset_converter> open_iconv(std::string_view name, void*) {
  const int family = find_iconv_family(name);
  if (family < 0) return nullptr;
  auto c = std::make_unique<iconv_converter>(iconv_families[family]);
  if (!c->valid()) return nullptr;  // glibc without its gconv modules
  return c;
}

}  // namespace detail

/// The hook: converters for the charsets at the top of this file, through
/// glibc's iconv; null for any other name. Point charset_options::hook at
/// it; it lives for the whole program.
inline constexpr charset_hook iconv_hook{&detail::open_iconv, nullptr};

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // defined(__GLIBC__)
#endif  // MAILWIRE_MIME_ICONV_CHARSET_HPP
