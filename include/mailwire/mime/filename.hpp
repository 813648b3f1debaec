// mailwire: file names from mail made safe to create.
//
// The file name a message gives an attachment (node::filename() in tree.hpp,
// Content-Disposition's filename or Content-Type's name) is whatever the
// sender wrote: "../../.bashrc", "C:\Windows\evil.exe", "CON", a name with
// NUL, line breaks or right-to-left overrides, 10,000 bytes. safe_filename()
// turns it into a name that can be created inside a directory of the
// caller's choosing on Linux, macOS and Windows, without leaving it,
// replacing a device or hiding the real extension, and stays as close to the
// sender's name as that allows:
//
//   1. only the last path component is kept ('/' and '\' both separate);
//   2. invalid UTF-8 bytes are dropped (valid UTF-8 is kept), and so are
//      control characters (C0, DEL, C1), the characters Windows reserves
//      (< > : " | ? *), their fullwidth forms (Windows' best-fit conversion
//      to a code page turns them back into the ASCII ones, and U+FF0F/U+FF3C
//      into separators), and the bidirectional formatting characters that
//      make "evil\u202Efdp.exe" display as "evilexe.pdf";
//   3. leading and trailing dots and spaces are removed (Windows drops the
//      trailing ones itself; a leading dot hides a file), which also refuses
//      "." and "..";
//   4. a name longer than max_filename bytes is cut, at a character
//      boundary, keeping its extension (up to 32 bytes) where there is one;
//   5. a Windows device name (CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9,
//      LPT0-9 and COM/LPT with a superscript digit), alone or before an
//      extension, in any case, gets a '_' in front;
//   6. an empty result is replaced by the fallback (made safe the same way,
//      and "attachment" if that is empty too).
//
// The result is never empty, at most max_filename bytes, valid UTF-8. It is
// a name, not a path: join it to a directory the caller trusts. It does not
// make names unique (two attachments may both be "report.pdf"), and it
// cannot know what a name means to the program that will open the file.
#ifndef MAILWIRE_MIME_FILENAME_HPP
#define MAILWIRE_MIME_FILENAME_HPP

#include <cstddef>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/utf8.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// Longest name safe_filename() returns, in bytes: the name limit of ext4,
/// APFS and NTFS (whose 255 UTF-16 units are never fewer than 255 UTF-8
/// bytes).
inline constexpr std::size_t max_filename = 255;

namespace detail {

// Longest extension (with its dot) kept when a long name is cut.
inline constexpr std::size_t max_kept_extension = 32;

inline bool dropped_from_filename(char32_t cp) noexcept {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;  // C0, DEL, C1
  switch (cp) {
    case '<': case '>': case ':': case '"': case '|': case '?': case '*':
    // fullwidth " * . / : < > ? \ | (best-fit maps them to ASCII)
    case 0xFF02: case 0xFF0A: case 0xFF0E: case 0xFF0F: case 0xFF1A: case 0xFF1C: case 0xFF1E: case 0xFF1F:
    case 0xFF3C: case 0xFF5C:
    // bidirectional formatting: ALM, LRM, RLM, LRE..RLO, LRI..PDI
    case 0x061C: case 0x200E: case 0x200F: case 0x202A: case 0x202B: case 0x202C: case 0x202D: case 0x202E:
    case 0x2066: case 0x2067: case 0x2068: case 0x2069:
      return true;
    default:
      return false;
  }
}

inline void trim_dots_and_spaces(std::string& s, bool front) {
  const auto junk = [](char c) { return c == '.' || c == ' '; };
  std::size_t end = s.size();
  while (end > 0 && junk(s[end - 1])) --end;
  s.erase(end);
  if (!front) return;
  std::size_t begin = 0;
  while (begin < s.size() && junk(s[begin])) ++begin;
  s.erase(0, begin);
}

// Is `name` a Windows device name, alone or before an extension? Windows
// ignores what follows the first dot and trailing spaces before it.
inline bool windows_device_name(std::string_view name) noexcept {
  std::string_view stem = name.substr(0, name.find('.'));
  while (!stem.empty() && stem.back() == ' ') stem.remove_suffix(1);
  for (const std::string_view d : {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}) {
    if (ascii::iequals(stem, d)) return true;
  }
  if (stem.size() < 4 || !(ascii::iequals(stem.substr(0, 3), "COM") || ascii::iequals(stem.substr(0, 3), "LPT"))) {
    return false;
  }
  const std::string_view digit = stem.substr(3);
  return (digit.size() == 1 && digit[0] >= '0' && digit[0] <= '9') || digit == "\xC2\xB9" || digit == "\xC2\xB2" ||
         digit == "\xC2\xB3";
}

// Cuts valid UTF-8 `s` to max_filename bytes at a character boundary,
// keeping a short extension.
inline void cap_filename(std::string& s) {
  if (s.size() <= max_filename) return;
  const std::size_t dot = s.rfind('.');
  const std::size_t ext = dot != std::string::npos && s.size() - dot <= max_kept_extension ? s.size() - dot : 0;
  std::size_t room = max_filename - ext;
  while (room > 0 && (static_cast<unsigned char>(s[room]) & 0xC0) == 0x80) --room;  // inside a character
  s.erase(room, s.size() - room - ext);
  trim_dots_and_spaces(s, false);
}

// Steps 1 to 5 of the list at the top; may return "".
inline std::string clean_filename(std::string_view raw) {
  const std::size_t sep = raw.find_last_of("/\\");
  if (sep != std::string_view::npos) raw.remove_prefix(sep + 1);
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const utf8::decoded c = utf8::decode(raw, i);
    if (c.length == 0) {  // not UTF-8: drop the byte
      ++i;
      continue;
    }
    if (!dropped_from_filename(c.cp)) out.append(raw.substr(i, c.length));
    i += c.length;
  }
  trim_dots_and_spaces(out, true);
  cap_filename(out);
  if (windows_device_name(out)) {
    out.insert(0, 1, '_');
    cap_filename(out);
  }
  return out;
}

}  // namespace detail

/// A name safe to create in a directory on Linux, macOS and Windows, made
/// from `raw` (a file name from a message: node::filename()) as described at
/// the top of this file; `fallback` (made safe too) when nothing of `raw`
/// is left. Never empty; at most max_filename bytes; valid UTF-8. Equal to
/// `raw` when `raw` is already safe.
inline std::string safe_filename(std::string_view raw, std::string_view fallback = "attachment") {
  std::string name = detail::clean_filename(raw);
  if (name.empty()) name = detail::clean_filename(fallback);
  if (name.empty()) name = "attachment";
  return name;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_FILENAME_HPP
