// mailwire: IMAP body sections and partial ranges (RFC 3501 6.4.5 and 9,
// RFC 9051 6.4.5 and 9, RFC 3516 BINARY).
//
// A section names a part of a message in FETCH requests and responses:
//
//   BODY[]                          the whole message
//   BODY[1.2]                       part 1.2
//   BODY[1.2.HEADER]                the header of the message in part 1.2
//   BODY[HEADER.FIELDS (Subject)]   some header fields
//   BODY[HEADER.FIELDS.NOT (...)]   all header fields but these
//   BODY[TEXT]  BODY[1.MIME]        the text; the MIME header of part 1
//   BINARY[1.2]  BINARY.SIZE[1]     decoded content: part numbers only
//
// and a partial range "<origin.count>" (request) or "<origin>" (response)
// selects bytes of it. The values are views: header field names point into
// the parsed text (or the scanner's scratch buffer), like every IMAP value.
#ifndef MAILWIRE_IMAP_SECTION_HPP
#define MAILWIRE_IMAP_SECTION_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mailwire/imap/syntax.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// What follows the part numbers in a section-spec (RFC 9051 9:
/// section-msgtext / "MIME").
enum class section_text : std::uint8_t {
  none,               ///< only part numbers (or nothing: the whole message)
  header,             ///< HEADER
  header_fields,      ///< HEADER.FIELDS (names)
  header_fields_not,  ///< HEADER.FIELDS.NOT (names)
  text,               ///< TEXT
  mime,               ///< MIME: needs at least one part number
};

/// A section (the text between "[" and "]"). Invariants a writer checks:
/// part numbers are not zero; `fields` is non-empty exactly for the
/// HEADER.FIELDS forms; MIME has part numbers. A BINARY section has part
/// numbers only (text == none).
struct section {
  std::vector<std::uint32_t> part;       ///< "1.2.3": {1, 2, 3}; empty: the message itself
  section_text text = section_text::none;  ///< HEADER, HEADER.FIELDS[.NOT], TEXT, MIME, or none
  std::vector<std::string_view> fields;  ///< header field names (astrings), as sent

  /// Back to the whole message (keeps the vectors' capacity).
  void clear() noexcept {
    part.clear();
    text = section_text::none;
    fields.clear();
  }
  friend bool operator==(const section& a, const section& b) noexcept {
    return a.part == b.part && a.text == b.text && a.fields == b.fields;
  }
  friend bool operator!=(const section& a, const section& b) noexcept { return !(a == b); }
};

/// A partial range of a request: "<origin.count>", count not zero
/// (RFC 9051 9: partial = "<" number64 "." nz-number64 ">").
struct partial_range {
  std::uint64_t origin = 0;  ///< the first octet
  std::uint64_t count = 1;  ///< how many octets, at least 1
  friend bool operator==(const partial_range& a, const partial_range& b) noexcept {
    return a.origin == b.origin && a.count == b.count;
  }
  friend bool operator!=(const partial_range& a, const partial_range& b) noexcept { return !(a == b); }
};

namespace detail {

/// "[" section-spec "]" at the cursor into `out` (cleared first, capacity
/// kept). Part numbers are nz-numbers; the keywords are case-insensitive;
/// header field names are astrings. Fails (scanner error set) on anything
/// else, including "[MIME]" without a part and "HEADER.FIELDS ()".
inline bool parse_section(scanner& s, section& out) {
  out.clear();
  if (!s.expect('[')) return false;
  if (s.eat(']')) return true;
  // section-part: nz-number *("." nz-number), then optionally "." section-text.
  bool dot = false;
  while (ascii::is_digit(s.peek())) {
    std::uint32_t n = 0;
    if (!s.nz_number(n)) return false;
    out.part.push_back(n);
    dot = s.eat('.');
    if (!dot) break;
  }
  if (!out.part.empty()) {
    if (!dot) return s.expect(']');
    if (s.keyword("MIME")) {
      out.text = section_text::mime;
      return s.expect(']');
    }
  }
  if (s.keyword("TEXT")) {
    out.text = section_text::text;
  } else if (s.keyword("HEADER")) {
    out.text = section_text::header;
    if (s.literal_text(".FIELDS")) {
      out.text = section_text::header_fields;
      if (s.literal_text(".NOT")) out.text = section_text::header_fields_not;
      // "HEADER.FIELDS" + "X" must not pass as HEADER.FIELDS: a space follows.
      if (!s.sp() || !s.open()) return false;
      for (;;) {
        std::string_view name;
        if (!s.astring(name)) return false;
        out.fields.push_back(name);
        if (s.peek() == ')') break;
        if (!s.sp()) return false;
      }
      if (!s.close()) return false;
    }
  } else {
    return s.fail();
  }
  return s.expect(']');
}

/// "[" [section-part] "]" of BINARY and BINARY.SIZE (RFC 3516 / 9051:
/// section-binary): part numbers only.
inline bool parse_binary_section(scanner& s, section& out) {
  out.clear();
  if (!s.expect('[')) return false;
  if (s.eat(']')) return true;
  for (;;) {
    std::uint32_t n = 0;
    if (!s.nz_number(n)) return false;
    out.part.push_back(n);
    if (!s.eat('.')) break;
  }
  return s.expect(']');
}

/// "<" number64 "." nz-number64 ">" of a request.
inline bool parse_partial(scanner& s, partial_range& out) {
  if (!s.expect('<') || !s.number64(out.origin) || !s.expect('.') || !s.number64(out.count)) return false;
  if (out.count == 0) return s.fail();
  return s.expect('>');
}

/// The part numbers "1.2.3" (nothing for none); zero is invalid_argument.
inline void write_section_part(wire_writer& w, const std::vector<std::uint32_t>& part) {
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] == 0) return w.fail(errc::invalid_argument);
    if (i != 0) w.raw('.');
    w.number(part[i]);
  }
}

/// "[" section-spec "]"; a section breaking the invariants of `section`
/// is errc::invalid_argument on the writer.
inline void write_section(wire_writer& w, const section& sec) {
  const bool has_fields = sec.text == section_text::header_fields || sec.text == section_text::header_fields_not;
  if (has_fields == sec.fields.empty() || (sec.text == section_text::mime && sec.part.empty()))
    return w.fail(errc::invalid_argument);
  w.raw('[');
  write_section_part(w, sec.part);
  if (sec.text != section_text::none && !sec.part.empty()) w.raw('.');
  switch (sec.text) {
    case section_text::none: break;
    case section_text::header: w.raw("HEADER"); break;
    case section_text::header_fields: w.raw("HEADER.FIELDS ("); break;
    case section_text::header_fields_not: w.raw("HEADER.FIELDS.NOT ("); break;
    case section_text::text: w.raw("TEXT"); break;
    case section_text::mime: w.raw("MIME"); break;
  }
  if (has_fields) {
    for (std::size_t i = 0; i < sec.fields.size(); ++i) {
      if (i != 0) w.sp();
      w.astring(sec.fields[i]);
    }
    w.raw(')');
  }
  w.raw(']');
}

/// "[" part numbers "]" of BINARY; a section with text is invalid_argument.
inline void write_binary_section(wire_writer& w, const section& sec) {
  if (sec.text != section_text::none || !sec.fields.empty()) return w.fail(errc::invalid_argument);
  w.raw('[');
  write_section_part(w, sec.part);
  w.raw(']');
}

/// "<origin.count>"; a zero count is invalid_argument.
inline void write_partial(wire_writer& w, const partial_range& p) {
  if (p.count == 0 || p.origin > 0x7FFFFFFFFFFFFFFFull || p.count > 0x7FFFFFFFFFFFFFFFull)
    return w.fail(errc::invalid_argument);
  w.raw('<');
  w.number(p.origin);
  w.raw('.');
  w.number(p.count);
  w.raw('>');
}

}  // namespace detail
}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_SECTION_HPP
