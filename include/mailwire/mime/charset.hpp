// mailwire: charsets to UTF-8.
//
// Built in: US-ASCII, UTF-8, UTF-16 (-BE, -LE), UTF-32 (-BE, -LE), UTF-7
// (RFC 2152), ISO-8859-1 to -16 (there is no -12), windows-1250 to -1258,
// KOI8-R and KOI8-U. Any other charset goes to a converter the caller
// supplies (iconv, ICU...) through a `charset_hook`; mailwire itself never
// calls one. mime/iconv_charset.hpp (optional, glibc only) is such a hook
// for the East-Asian charsets.
//
// Output is always well-formed UTF-8. Input that is not valid in its
// charset is never an error that stops decoding: each malformed sequence
// becomes one U+FFFD (for UTF-8, one per "maximal subpart" as Unicode 3.9
// and the WHATWG Encoding Standard recommend, which is what Python's
// "replace" does), is counted, and the offset of the first one is kept, so
// a parser can report errc::charset_malformed.
//
// How mislabelled mail is read (one reading, so that filters and displays
// agree on it):
//  - "us-ascii" text with 8-bit bytes is nearly always windows-1252 (or its
//    ISO-8859-1 subset) sent by a client that did not look: those bytes are
//    decoded as windows-1252 and each one counts as malformed.
//  - ISO-8859-1 and ISO-8859-9 are decoded exactly (0x80-0x9F are the C1
//    controls), as iconv and Python do. With
//    charset_options::whatwg_supersets they are read as windows-1252 and
//    windows-1254, as browsers and most mail clients do (the WHATWG Encoding
//    Standard); the two readings differ only for bytes 0x80-0x9F.
//  - UTF-16 and UTF-32 without a byte order mark are big-endian (RFC 2781
//    4.3); a BOM is honoured and removed only under the unmarked names.
//
// Nothing here allocates except by appending to the caller's string (and a
// hook's converter); nothing throws.
#ifndef MAILWIRE_MIME_CHARSET_HPP
#define MAILWIRE_MIME_CHARSET_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"
#include "mailwire/mime/charset_tables.hpp"
#include "mailwire/mime/diagnostic.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// The charsets mailwire decodes itself.
enum class charset : std::uint8_t {
  us_ascii,
  utf_8,
  utf_16,  ///< byte order from a BOM (removed), big-endian without one
  utf_16be,
  utf_16le,
  utf_32,  ///< byte order from a BOM (removed), big-endian without one
  utf_32be,
  utf_32le,
  utf_7,
  // Single-byte charsets, in the order of detail::sbcs_high.
  iso_8859_1,
  iso_8859_2,
  iso_8859_3,
  iso_8859_4,
  iso_8859_5,
  iso_8859_6,
  iso_8859_7,
  iso_8859_8,
  iso_8859_9,
  iso_8859_10,
  iso_8859_11,
  iso_8859_13,
  iso_8859_14,
  iso_8859_15,
  iso_8859_16,
  windows_1250,
  windows_1251,
  windows_1252,
  windows_1253,
  windows_1254,
  windows_1255,
  windows_1256,
  windows_1257,
  windows_1258,
  koi8_r,
  koi8_u,
};

/// How many charsets are built in (one past the last enumerator).
inline constexpr std::size_t charset_count = static_cast<std::size_t>(charset::koi8_u) + 1;

namespace detail {
static_assert(charset_count - static_cast<std::size_t>(charset::iso_8859_1) == sbcs_table_count,
              "charset_tables.hpp is out of step with the charset enum");

inline constexpr std::string_view charset_names[charset_count] = {
    "US-ASCII",     "UTF-8",        "UTF-16",       "UTF-16BE",     "UTF-16LE",     "UTF-32",
    "UTF-32BE",     "UTF-32LE",     "UTF-7",        "ISO-8859-1",   "ISO-8859-2",   "ISO-8859-3",
    "ISO-8859-4",   "ISO-8859-5",   "ISO-8859-6",   "ISO-8859-7",   "ISO-8859-8",   "ISO-8859-9",
    "ISO-8859-10",  "ISO-8859-11",  "ISO-8859-13",  "ISO-8859-14",  "ISO-8859-15",  "ISO-8859-16",
    "windows-1250", "windows-1251", "windows-1252", "windows-1253", "windows-1254", "windows-1255",
    "windows-1256", "windows-1257", "windows-1258", "KOI8-R",       "KOI8-U",
};

struct charset_alias {
  std::string_view key;  // folded as by fold_charset_name()
  charset id;
};

// IANA names and aliases (https://www.iana.org/assignments/character-sets),
// the WHATWG labels for these encodings, and the spellings Python and real
// mail use, all folded. The canonical names are found by folding them; the
// generic "cp125N", "windows125N", "iso8859N" families are matched in
// find_charset().
inline constexpr charset_alias charset_aliases[] = {
    {"ascii", charset::us_ascii},         {"ansix341968", charset::us_ascii},
    {"ansix341986", charset::us_ascii},   {"iso646us", charset::us_ascii},
    {"iso646irv1991", charset::us_ascii}, {"isoir6", charset::us_ascii},
    {"us", charset::us_ascii},            {"ibm367", charset::us_ascii},
    {"cp367", charset::us_ascii},         {"csascii", charset::us_ascii},
    {"utf8", charset::utf_8},             {"csutf8", charset::utf_8},
    {"unicode11utf8", charset::utf_8},    {"unicode20utf8", charset::utf_8},
    {"xunicode20utf8", charset::utf_8},   {"csutf16", charset::utf_16},
    {"csutf16be", charset::utf_16be},     {"csutf16le", charset::utf_16le},
    {"csutf32", charset::utf_32},         {"csutf32be", charset::utf_32be},
    {"csutf32le", charset::utf_32le},     {"csutf7", charset::utf_7},
    {"unicode11utf7", charset::utf_7},    {"csunicode11utf7", charset::utf_7},
    {"latin1", charset::iso_8859_1},      {"l1", charset::iso_8859_1},
    {"isoir100", charset::iso_8859_1},    {"ibm819", charset::iso_8859_1},
    {"cp819", charset::iso_8859_1},       {"csisolatin1", charset::iso_8859_1},
    {"latin2", charset::iso_8859_2},      {"l2", charset::iso_8859_2},
    {"isoir101", charset::iso_8859_2},    {"csisolatin2", charset::iso_8859_2},
    {"latin3", charset::iso_8859_3},      {"l3", charset::iso_8859_3},
    {"isoir109", charset::iso_8859_3},    {"csisolatin3", charset::iso_8859_3},
    {"latin4", charset::iso_8859_4},      {"l4", charset::iso_8859_4},
    {"isoir110", charset::iso_8859_4},    {"csisolatin4", charset::iso_8859_4},
    {"cyrillic", charset::iso_8859_5},    {"isoir144", charset::iso_8859_5},
    {"csisolatincyrillic", charset::iso_8859_5},
    {"arabic", charset::iso_8859_6},      {"isoir127", charset::iso_8859_6},
    {"ecma114", charset::iso_8859_6},     {"asmo708", charset::iso_8859_6},
    {"csisolatinarabic", charset::iso_8859_6},
    {"iso88596e", charset::iso_8859_6},   {"iso88596i", charset::iso_8859_6},
    {"csiso88596e", charset::iso_8859_6}, {"csiso88596i", charset::iso_8859_6},
    {"greek", charset::iso_8859_7},       {"greek8", charset::iso_8859_7},
    {"isoir126", charset::iso_8859_7},    {"elot928", charset::iso_8859_7},
    {"ecma118", charset::iso_8859_7},     {"csisolatingreek", charset::iso_8859_7},
    {"hebrew", charset::iso_8859_8},      {"isoir138", charset::iso_8859_8},
    {"csisolatinhebrew", charset::iso_8859_8},
    {"iso88598e", charset::iso_8859_8},   {"iso88598i", charset::iso_8859_8},
    {"csiso88598e", charset::iso_8859_8}, {"csiso88598i", charset::iso_8859_8},
    {"latin5", charset::iso_8859_9},      {"l5", charset::iso_8859_9},
    {"isoir148", charset::iso_8859_9},    {"csisolatin5", charset::iso_8859_9},
    {"latin6", charset::iso_8859_10},     {"l6", charset::iso_8859_10},
    {"isoir157", charset::iso_8859_10},   {"csisolatin6", charset::iso_8859_10},
    {"latin7", charset::iso_8859_13},     {"l7", charset::iso_8859_13},
    {"latin8", charset::iso_8859_14},     {"l8", charset::iso_8859_14},
    {"isoir199", charset::iso_8859_14},   {"isoceltic", charset::iso_8859_14},
    {"latin9", charset::iso_8859_15},     {"l9", charset::iso_8859_15},
    {"latin10", charset::iso_8859_16},    {"l10", charset::iso_8859_16},
    {"isoir226", charset::iso_8859_16},   {"koi8", charset::koi8_r},
    {"koi", charset::koi8_r},             {"cskoi8r", charset::koi8_r},
    {"koi8ru", charset::koi8_u},
};

// Folds a charset name for lookup as Unicode TR 22 1.4 "loose matching"
// does (and Python's codec lookup nearly does): ASCII letters lowercased,
// every other byte but digits dropped, so "UTF_8", "utf8" and "Utf-8" are
// one name. An RFC 2231 language suffix ("utf-8*en") is dropped too.
// Returns false for a name too long to be one of ours.
inline bool fold_charset_name(std::string_view name, char (&buf)[24], std::size_t& len) noexcept {
  len = 0;
  for (char c : name) {
    if (c == '*') break;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) continue;
    if (len == sizeof buf) return false;
    buf[len++] = c;
  }
  return true;
}

// `key` is `prefix` and a number of 1 to 4 digits without a leading zero:
// the number; otherwise -1.
inline int numbered(std::string_view key, std::string_view prefix) noexcept {
  if (key.substr(0, prefix.size()) != prefix) return -1;
  key.remove_prefix(prefix.size());
  if (key.empty() || key.size() > 4 || key[0] == '0') return -1;
  int n = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}
}  // namespace detail

/// The charset a name denotes: any IANA name or alias, WHATWG label or
/// common spelling of one mailwire builds in ("UTF-8", "utf8", "latin1",
/// "iso8859-1", "ISO_8859-1:1987", "cp1252", "win-1252", "x-cp1252",
/// "koi8r"...), matched ignoring ASCII case and every character other than
/// letters and digits (Unicode TR 22 loose matching); an RFC 2231 language
/// suffix ("utf-8*en") is ignored. std::nullopt for anything else.
inline std::optional<charset> find_charset(std::string_view name) noexcept {
  char buf[24];
  std::size_t len = 0;
  if (!detail::fold_charset_name(name, buf, len) || len == 0) return std::nullopt;
  std::string_view key(buf, len);
  if (key.substr(0, 1) == "x") {
    const std::optional<charset> plain = find_charset(key.substr(1));  // "x-cp1252", "x-utf-7"...
    if (plain) return plain;
  }
  for (std::size_t i = 0; i < charset_count; ++i) {
    char canon[24];
    std::size_t clen = 0;
    detail::fold_charset_name(detail::charset_names[i], canon, clen);
    if (key == std::string_view(canon, clen)) return static_cast<charset>(i);
  }
  for (const detail::charset_alias& a : detail::charset_aliases) {
    if (key == a.key) return a.id;
  }
  // windows-125N under its other names: cp125N, win125N, cswindows125N.
  for (std::string_view prefix : {"cp", "win", "windows", "cswindows"}) {
    const int n = detail::numbered(key, prefix);
    if (n >= 1250 && n <= 1258) {
      return static_cast<charset>(static_cast<int>(charset::windows_1250) + n - 1250);
    }
  }
  // ISO-8859-N as "iso8859N", "csiso8859N", "8859N", with an optional
  // year: "ISO_8859-1:1987" folds to "iso885911987".
  for (std::string_view prefix : {"iso8859", "csiso8859", "8859"}) {
    if (key.substr(0, prefix.size()) != prefix) continue;
    std::string_view number = key.substr(prefix.size());
    if (number.size() > 4) {
      const int year = detail::numbered(number.substr(number.size() - 4), "");
      if (year < 1980 || year > 2010) continue;
      number.remove_suffix(4);
    }
    const int n = detail::numbered(number, "");
    if (n >= 1 && n <= 16 && n != 12) {
      const int index = n < 12 ? n - 1 : n - 2;
      return static_cast<charset>(static_cast<int>(charset::iso_8859_1) + index);
    }
  }
  return std::nullopt;
}

/// The preferred MIME name of `c` ("UTF-8", "ISO-8859-1", "windows-1252"),
/// in static storage.
constexpr std::string_view charset_name(charset c) noexcept {
  return detail::charset_names[static_cast<std::size_t>(c)];
}

/// A decoder for a charset mailwire does not build in, supplied by the
/// caller (for example over iconv or ICU). One converter decodes one
/// stream; it keeps its own state (an incomplete sequence at the end of one
/// call, a shift state) between calls.
class charset_converter {
 public:
  virtual ~charset_converter() = default;

  /// Appends the UTF-8 for `in`, the next bytes of the stream, to `out`,
  /// keeping an incomplete sequence at the end of `in` for the next call.
  /// When `final` is true, the stream ends with `in`: an incomplete
  /// sequence becomes U+FFFD and the converter returns to its initial
  /// state, ready for a new stream. Returns how many malformed sequences it
  /// met (and replaced). What it appends must be complete UTF-8 characters;
  /// charset_decoder replaces anything else with U+FFFD. Must not throw.
  virtual std::size_t convert(std::string_view in, std::string& out, bool final) = 0;
};

/// The caller's converter factory, asked for each charset name mailwire
/// does not build in. `open` receives the name as written in the message
/// (not folded) and `user`; it returns a new converter, or null when it
/// does not know the name either. `user` and the function must outlive
/// every decoder that uses the hook; each converter lives as long as the
/// charset_decoder that owns it and is destroyed by it.
struct charset_hook {
  /// The factory: a new converter for `name`, or null.
  std::unique_ptr<charset_converter> (*open)(std::string_view name, void* user) = nullptr;
  /// Passed to `open` as it is (the caller's context).
  void* user = nullptr;
};

/// How names are resolved and read.
struct charset_options {
  /// Read ISO-8859-1 as windows-1252 and ISO-8859-9 as windows-1254, as the
  /// WHATWG Encoding Standard (browsers, most mail clients) does: bytes
  /// 0x80-0x9F become the Windows characters (curly quotes, the euro sign)
  /// instead of C1 controls. Off: exact ISO 8859, as iconv and Python.
  bool whatwg_supersets = false;
  /// Consulted for names that are not built in; null: none. Not owned.
  const charset_hook* hook = nullptr;
};

namespace detail {
// Collects UTF-8 output in a small buffer so that each character is not an
// append of its own; long runs of bytes go straight to the string.
class utf8_sink {
 public:
  explicit utf8_sink(std::string& out) noexcept : out_(out) {}
  utf8_sink(const utf8_sink&) = delete;
  utf8_sink& operator=(const utf8_sink&) = delete;
  ~utf8_sink() { flush(); }

  // `cp` is a scalar value (callers turn surrogates into U+FFFD first).
  void put(std::uint32_t cp) {
    if (n_ > sizeof buf_ - 4) flush();
    char* p = buf_ + n_;
    if (cp < 0x80) {
      p[0] = static_cast<char>(cp);
      n_ += 1;
    } else if (cp < 0x800) {
      p[0] = static_cast<char>(0xC0 | (cp >> 6));
      p[1] = static_cast<char>(0x80 | (cp & 0x3F));
      n_ += 2;
    } else if (cp < 0x10000) {
      p[0] = static_cast<char>(0xE0 | (cp >> 12));
      p[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      p[2] = static_cast<char>(0x80 | (cp & 0x3F));
      n_ += 3;
    } else {
      p[0] = static_cast<char>(0xF0 | (cp >> 18));
      p[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      p[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      p[3] = static_cast<char>(0x80 | (cp & 0x3F));
      n_ += 4;
    }
  }
  // Short runs (ASCII between accented letters) are gathered too: an
  // append per run would cost more than the copy.
  void bytes(const unsigned char* p, std::size_t n) {
    if (n <= sizeof buf_ - n_) {
      std::memcpy(buf_ + n_, p, n);
      n_ += n;
      return;
    }
    flush();
    out_.append(reinterpret_cast<const char*>(p), n);
  }
  void flush() {
    out_.append(buf_, n_);
    n_ = 0;
  }
  // At least `k` (<= capacity) free bytes to write at; then advance(end).
  char* room(std::size_t k) {
    if (sizeof buf_ - n_ < k) flush();
    return buf_ + n_;
  }
  void advance(const char* end) noexcept { n_ = static_cast<std::size_t>(end - buf_); }
  static constexpr std::size_t capacity = 512;

 private:
  std::string& out_;
  std::size_t n_ = 0;
  char buf_[capacity];
};

// The UTF-8 form of every upper-half byte of every single-byte table, so
// that decoding a byte is one copy. Four bytes are copied and `length`
// (2 or 3: every entry is in U+0080-U+FFFF) kept.
struct sbcs_utf8_entry {
  char bytes[3];
  std::uint8_t length;
};
static_assert(sizeof(sbcs_utf8_entry) == 4, "copied four bytes at a time");
using sbcs_utf8_table = sbcs_utf8_entry[128];

struct sbcs_utf8_tables {
  sbcs_utf8_table t[sbcs_table_count];
};

constexpr sbcs_utf8_tables make_sbcs_utf8() {
  sbcs_utf8_tables all{};
  for (std::size_t t = 0; t < sbcs_table_count; ++t) {
    for (std::size_t b = 0; b < 128; ++b) {
      const unsigned cp = sbcs_high[t][b];
      sbcs_utf8_entry& e = all.t[t][b];
      if (cp < 0x800) {
        e = {{static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F)), 0}, 2};
      } else {
        e = {{static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
              static_cast<char>(0x80 | (cp & 0x3F))},
             3};
      }
    }
  }
  return all;
}
inline constexpr sbcs_utf8_tables sbcs_utf8 = make_sbcs_utf8();

enum class utf8_status : std::uint8_t { complete, truncated, invalid };
struct utf8_prefix_result {
  std::size_t length;  // complete: the sequence; truncated: all n; invalid: the maximal subpart (>= 1)
  utf8_status status;
};

// How much of p[0, n) (n >= 1) is a prefix of one well-formed sequence
// (RFC 3629 4 / Unicode Table 3-7). An invalid result's length is the
// "maximal subpart" that becomes one U+FFFD; the byte after it starts over.
inline utf8_prefix_result utf8_prefix(const unsigned char* p, std::size_t n) noexcept {
  const unsigned b0 = p[0];
  std::size_t need = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (b0 < 0x80) return {1, utf8_status::complete};
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {1, utf8_status::invalid};
  }
  for (std::size_t k = 1; k < need; ++k) {
    if (k == n) return {n, utf8_status::truncated};
    if (p[k] < lo || p[k] > hi) return {k, utf8_status::invalid};
    lo = 0x80;
    hi = 0xBF;
  }
  return {need, utf8_status::complete};
}

// RFC 2152 base64 alphabet: the value of each character, or -1.
inline constexpr signed char utf7_base64[128] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  //
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  //
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,  //
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,  //
    -1, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,  //
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,  //
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,  //
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,  //
};
inline int utf7_value(unsigned char c) noexcept { return c < 0x80 ? utf7_base64[c] : -1; }
}  // namespace detail

/// A streaming decoder from one charset to UTF-8, for bodies: feed the
/// bytes in any chunking with decode(), then call finish(); the output is
/// the same however the input was split. A multi-byte sequence, a UTF-16
/// surrogate pair or a UTF-7 shift split across calls is held in a few
/// bytes of state (a hook's converter holds its own).
///
/// Malformed input becomes U+FFFD (see the top of this file); malformed()
/// counts it and first_error() says where it started, for a diagnostic.
/// A default-constructed decoder, or one whose open() failed, is not
/// valid(): decode() and finish() append nothing to it.
class charset_decoder {
 public:
  charset_decoder() noexcept = default;

  /// Decodes `c`; `opts.whatwg_supersets` may read it as its Windows
  /// superset (id() then names that). `opts.hook` is not used.
  explicit charset_decoder(charset c, const charset_options& opts = {}) noexcept { set(c, opts); }

  /// Decodes through a caller's converter (null: not valid()).
  explicit charset_decoder(std::unique_ptr<charset_converter> converter) noexcept
      : converter_(std::move(converter)) {}

  /// Starts over with the charset `name` names: a built-in one (see
  /// find_charset), else whatever `opts.hook` opens. Returns false, and
  /// leaves the decoder not valid(), when neither knows the name.
  bool open(std::string_view name, const charset_options& opts = {}) {
    *this = charset_decoder();
    if (const std::optional<charset> c = find_charset(name)) {
      set(*c, opts);
    } else if (opts.hook != nullptr && opts.hook->open != nullptr) {
      converter_ = opts.hook->open(name, opts.hook->user);
    }
    return valid();
  }

  /// True when the decoder has a charset (built in or a converter).
  bool valid() const noexcept { return id_.has_value() || converter_ != nullptr; }

  /// The built-in charset decoded; std::nullopt for a converter or when
  /// not valid().
  std::optional<charset> id() const noexcept { return id_; }

  /// Appends the UTF-8 for `in`, the next bytes of the stream, to `out`.
  /// An incomplete sequence at the end of `in` waits for the next call.
  void decode(std::string_view in, std::string& out) {
    if (converter_) {
      convert(in, out, false);
    } else if (id_) {
      detail::utf8_sink sink(out);
      decode_builtin(in, sink);
    }
    offset_ += in.size();
  }

  /// Ends the stream: an incomplete sequence, UTF-16 surrogate or UTF-7
  /// shift left over becomes U+FFFD (one for all of it). The decoder is
  /// then at the start of a new stream (a BOM is looked for again);
  /// malformed() and first_error() keep counting until reset().
  void finish(std::string& out) {
    if (converter_) {
      convert({}, out, true);
    } else if (id_) {
      detail::utf8_sink sink(out);
      finish_builtin(sink);
    }
  }

  /// Back to the start of a stream, counters cleared (the converter, if
  /// any, is only told by a finish()).
  void reset() noexcept {
    state_ = state();
    offset_ = 0;
    malformed_ = 0;
    first_error_ = no_error;
  }

  /// How many malformed sequences (each one U+FFFD, or for us-ascii one
  /// 8-bit byte) decode() and finish() met since construction or reset().
  std::uint64_t malformed() const noexcept { return malformed_; }

  /// {errc::charset_malformed, offset} for the first malformed sequence
  /// (its first byte's offset in the stream; for UTF-7, the '+' that
  /// opened the shift it is in; for a converter, the end of the chunk in
  /// which it reported it), or {errc::ok, 0} when there was none.
  diagnostic first_error() const noexcept {
    if (first_error_ == no_error) return {};
    return {errc::charset_malformed, first_error_};
  }

 private:
  static constexpr std::uint64_t no_error = ~std::uint64_t{0};

  // Everything a built-in codec carries between calls: at most 4 bytes of
  // an incomplete sequence or code unit, a pending high surrogate, and the
  // UTF-7 shift state.
  struct state {
    unsigned char pending[4] = {};
    std::uint8_t pending_len = 0;
    bool bom_seen = false;       // UTF-16/32: the first unit was looked at
    bool little_endian = false;  // UTF-16/32 byte order in use
    bool plus = false;           // UTF-7: '+' seen, the next byte decides
    bool shift = false;          // UTF-7: inside a base64 shift
    std::uint8_t bits_len = 0;   // UTF-7: bits collected, < 16
    std::uint32_t bits = 0;
    std::uint16_t high = 0;      // a high surrogate waiting for its pair
    std::uint64_t shift_at = 0;  // UTF-7: offset of the '+'
  };

  void set(charset c, const charset_options& opts) noexcept {
    if (opts.whatwg_supersets && c == charset::iso_8859_1) c = charset::windows_1252;
    if (opts.whatwg_supersets && c == charset::iso_8859_9) c = charset::windows_1254;
    id_ = c;
    start_stream();
  }

  void start_stream() noexcept {
    state_ = state();
    state_.little_endian = id_ == charset::utf_16le || id_ == charset::utf_32le;
    state_.bom_seen = id_ != charset::utf_16 && id_ != charset::utf_32;
  }

  void report(std::uint64_t at) noexcept {
    ++malformed_;
    if (first_error_ == no_error) first_error_ = at;
  }
  void replace(detail::utf8_sink& sink, std::uint64_t at) {
    report(at);
    sink.put(0xFFFD);
  }

  static constexpr std::size_t sbcs_index(charset c) noexcept {
    return static_cast<std::size_t>(c) - static_cast<std::size_t>(charset::iso_8859_1);
  }

  void decode_builtin(std::string_view text, detail::utf8_sink& sink) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    switch (*id_) {
      case charset::us_ascii: return decode_single_byte(p, n, sbcs_index(charset::windows_1252), true, sink);
      case charset::utf_8: return decode_utf8(p, n, sink);
      case charset::utf_16:
      case charset::utf_16be:
      case charset::utf_16le: return decode_utf16(p, n, sink);
      case charset::utf_32:
      case charset::utf_32be:
      case charset::utf_32le: return decode_utf32(p, n, sink);
      case charset::utf_7: return decode_utf7(p, n, sink);
      default: return decode_single_byte(p, n, sbcs_index(*id_), false, sink);
    }
  }

  void finish_builtin(detail::utf8_sink& sink) {
    state& s = state_;
    if (*id_ == charset::utf_7) {
      if (s.shift) end_shift(sink);
    } else if (s.high != 0) {
      replace(sink, offset_ - s.pending_len - 2);
    } else if (s.pending_len != 0) {
      replace(sink, offset_ - s.pending_len);
    }
    start_stream();
  }

  // Eight bytes at a time while they are ASCII; each other byte is one copy
  // from its table. `all_high_malformed`: us-ascii, where any 8-bit byte
  // is a mislabel.
  void decode_single_byte(const unsigned char* p, std::size_t n, std::size_t table, bool all_high_malformed,
                          detail::utf8_sink& sink) {
    const detail::sbcs_utf8_table& utf8 = detail::sbcs_utf8.t[table];
    const std::uint16_t* high = detail::sbcs_high[table];
    constexpr std::size_t block = (detail::utf8_sink::capacity - 1) / 3;  // 3 bytes out per byte in, +1 spare
    std::size_t i = 0;
    while (i < n) {
      const std::size_t end = i + (n - i < block ? n - i : block);
      char* w = sink.room(3 * (end - i) + 1);
      while (i < end) {
        if (end - i >= 8) {
          std::uint64_t word = 0;
          std::memcpy(&word, p + i, 8);
          if ((word & 0x8080808080808080ull) == 0) {
            std::memcpy(w, p + i, 8);
            w += 8;
            i += 8;
            continue;
          }
        }
        const unsigned char c = p[i];
        if (c < 0x80) {
          *w++ = static_cast<char>(c);
        } else {
          const detail::sbcs_utf8_entry& e = utf8[c - 0x80];
          std::memcpy(w, &e, 4);
          w += e.length;
          if (all_high_malformed || high[c - 0x80] == 0xFFFD) report(offset_ + i);
        }
        ++i;
      }
      sink.advance(w);
    }
  }

  // Valid stretches are found by utf8::invalid_at and copied whole; at the
  // first byte that does not start a complete character, the maximal
  // subpart becomes one U+FFFD, or a truncated sequence at the end of the
  // chunk waits in state_.pending for the next call.
  void decode_utf8(const unsigned char* p, std::size_t n, detail::utf8_sink& sink) {
    state& s = state_;
    std::size_t i = 0;
    while (s.pending_len != 0 && i < n) {
      s.pending[s.pending_len] = p[i];
      const detail::utf8_prefix_result r = detail::utf8_prefix(s.pending, s.pending_len + 1u);
      if (r.status == detail::utf8_status::invalid) {
        // The held bytes were a valid prefix, so p[i] broke it: it starts over.
        replace(sink, offset_ + i - s.pending_len);
        s.pending_len = 0;
        break;
      }
      ++s.pending_len;
      ++i;
      if (r.status == detail::utf8_status::complete) {
        sink.bytes(s.pending, s.pending_len);
        s.pending_len = 0;
      }
    }
    while (i < n) {
      const std::string_view rest(reinterpret_cast<const char*>(p + i), n - i);
      const std::size_t bad = i + utf8::invalid_at(rest);
      sink.bytes(p + i, bad - i);
      if (bad == n) break;
      const detail::utf8_prefix_result r = detail::utf8_prefix(p + bad, n - bad);
      if (r.status == detail::utf8_status::truncated) {
        std::memcpy(s.pending, p + bad, r.length);
        s.pending_len = static_cast<std::uint8_t>(r.length);
      } else if (r.status == detail::utf8_status::invalid) {
        replace(sink, offset_ + bad);
      } else {
        sink.bytes(p + bad, r.length);  // not reached: invalid_at agrees with utf8_prefix
      }
      i = bad + r.length;
    }
  }

  // One UTF-16 code unit at stream offset `at`; `high_at` is where a
  // pending high surrogate started (UTF-16: the unit before; UTF-7: its
  // shift). WHATWG Encoding Standard 14.3.2: a lone surrogate is one
  // U+FFFD, and the unit after a lone high surrogate is read afresh.
  void utf16_unit(std::uint32_t unit, std::uint64_t at, std::uint64_t high_at, detail::utf8_sink& sink) {
    state& s = state_;
    if (s.high != 0) {
      const std::uint32_t high = s.high;
      s.high = 0;
      if (unit >= 0xDC00 && unit <= 0xDFFF) {
        sink.put(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
        return;
      }
      replace(sink, high_at);
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      s.high = static_cast<std::uint16_t>(unit);
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      replace(sink, at);
    } else {
      sink.put(unit);
    }
  }

  // Gathers `width` bytes of a code unit in state_.pending; returns true
  // with the unit (read big-endian or little-endian) when one is complete.
  bool next_unit(unsigned char byte, std::size_t width, std::uint32_t& unit) noexcept {
    state& s = state_;
    s.pending[s.pending_len++] = byte;
    if (s.pending_len < width) return false;
    s.pending_len = 0;
    unit = 0;
    for (std::size_t k = 0; k < width; ++k) {
      unit = (unit << 8) | s.pending[s.little_endian ? width - 1 - k : k];
    }
    return true;
  }

  // The first unit of an unmarked UTF-16/32 stream: a BOM sets the byte
  // order and is dropped (RFC 2781 4.3; else big-endian). True: dropped.
  bool take_bom(std::uint32_t unit, std::uint32_t swapped_bom) noexcept {
    state& s = state_;
    s.bom_seen = true;
    if (unit == 0xFEFF) return true;
    if (unit == swapped_bom) {
      s.little_endian = true;
      return true;
    }
    return false;
  }

  void decode_utf16(const unsigned char* p, std::size_t n, detail::utf8_sink& sink) {
    std::uint32_t unit = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!next_unit(p[i], 2, unit)) continue;
      if (!state_.bom_seen && take_bom(unit, 0xFFFE)) continue;
      const std::uint64_t at = offset_ + i - 1;
      utf16_unit(unit, at, at - 2, sink);
    }
  }

  void decode_utf32(const unsigned char* p, std::size_t n, detail::utf8_sink& sink) {
    std::uint32_t unit = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!next_unit(p[i], 4, unit)) continue;
      if (!state_.bom_seen && take_bom(unit, 0xFFFE0000)) continue;
      if (unit > 0x10FFFF || (unit >= 0xD800 && unit <= 0xDFFF)) {
        replace(sink, offset_ + i - 3);
      } else {
        sink.put(unit);
      }
    }
  }

  // RFC 2152, read as Python's utf_7 codec reads it: any ASCII byte but '+'
  // stands for itself outside a shift (Rule 3's optional direct characters
  // and the rest), "+-" is '+', a shift ends at any byte outside the base64
  // alphabet and a '-' that ends it is dropped. Malformed: an 8-bit byte;
  // '+' followed by a byte that neither starts base64 nor is '-' (which is
  // then read afresh); a shift that ends with a partial UTF-16 unit, non-zero
  // padding bits, or a lone surrogate (one U+FFFD for the shift's end).
  void decode_utf7(const unsigned char* p, std::size_t n, detail::utf8_sink& sink) {
    state& s = state_;
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned char c = p[i];
      const int value = detail::utf7_value(c);
      if (s.plus) {
        s.plus = false;
        if (c == '-') {
          sink.put('+');
          continue;
        }
        if (value < 0) {
          replace(sink, s.shift_at);
        } else {
          s.shift = true;
        }
      }
      if (s.shift) {
        if (value >= 0) {
          s.bits = (s.bits << 6) | static_cast<std::uint32_t>(value);
          s.bits_len = static_cast<std::uint8_t>(s.bits_len + 6);
          if (s.bits_len >= 16) {
            s.bits_len = static_cast<std::uint8_t>(s.bits_len - 16);
            const std::uint32_t unit = s.bits >> s.bits_len;
            s.bits &= (1u << s.bits_len) - 1;
            utf16_unit(unit, s.shift_at, s.shift_at, sink);
          }
          continue;
        }
        end_shift(sink);
        if (c == '-') continue;
      }
      if (c == '+') {
        s.plus = true;
        s.shift_at = offset_ + i;
      } else if (c < 0x80) {
        sink.put(c);
      } else {
        replace(sink, offset_ + i);
      }
    }
  }

  void end_shift(detail::utf8_sink& sink) {
    state& s = state_;
    if (s.high != 0 || s.bits_len >= 6 || s.bits != 0) replace(sink, s.shift_at);
    s.shift = false;
    s.high = 0;
    s.bits = 0;
    s.bits_len = 0;
  }

  // A converter's output is checked, so that what comes out of a
  // charset_decoder is UTF-8 whoever made it.
  void convert(std::string_view in, std::string& out, bool final) {
    const std::size_t before = out.size();
    const std::size_t bad = converter_->convert(in, out, final);
    for (std::size_t k = 0; k < bad; ++k) report(offset_ + in.size());
    if (utf8::invalid_at(std::string_view(out).substr(before)) == out.size() - before) return;
    std::string produced = out.substr(before);
    out.resize(before);
    charset_decoder check(charset::utf_8);
    check.decode(produced, out);
    check.finish(out);
    for (std::uint64_t k = 0; k < check.malformed(); ++k) report(offset_ + in.size());
  }

  std::optional<charset> id_;
  std::unique_ptr<charset_converter> converter_;
  state state_;
  std::uint64_t offset_ = 0;
  std::uint64_t malformed_ = 0;
  std::uint64_t first_error_ = no_error;
};

/// Converts `in`, encoded in the charset named `charset` (any name
/// find_charset knows, or one `opts.hook` opens), to UTF-8 appended to
/// `out`. Malformed input becomes U+FFFD; when `malformed` is not null it
/// receives how many malformed sequences there were. Returns false,
/// appending nothing, when the charset is unknown: the caller keeps the raw
/// bytes and reports errc::charset_unknown.
inline bool to_utf8(std::string_view charset, std::string_view in, std::string& out,
                    const charset_options& opts = {}, std::uint64_t* malformed = nullptr) {
  charset_decoder d;
  if (!d.open(charset, opts)) return false;
  d.decode(in, out);
  d.finish(out);
  if (malformed != nullptr) *malformed = d.malformed();
  return true;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_CHARSET_HPP
