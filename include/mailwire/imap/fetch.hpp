// mailwire: FETCH, both ways (RFC 3501 6.4.5 and 7.4.2, RFC 9051 6.4.5 and
// 7.5.2, RFC 3516 BINARY, RFC 7162 CONDSTORE, RFC 8474 OBJECTID, RFC 8970
// PREVIEW, RFC 8514 SAVEDATE).
//
// Requests: the attribute list of FETCH / UID FETCH (fetch_attribute):
// "ALL", one attribute, or "(" attributes ")". Responses: the msg-att list
// of "* n FETCH (...)" (fetch_data), every item typed, unknown items kept as
// name and raw value text.
//
// Parsed values are views into the message text (or the scanner's scratch
// buffer): valid while it lives. FLAGS are typed flags (imap/flag.hpp),
// INTERNALDATE and SAVEDATE typed date-times (imap/datetime.hpp), read and
// written through imap/values.hpp like the commands' flags and dates. A BODY[]/BINARY[]/RFC822 value may be a
// literal the frame reader streamed: then only its size is here
// (literal_body::streamed) and the bytes went to the application as chunks.
// fetch_data is meant to be reused: parsing into the same value again keeps
// the capacity of its vectors (items, flags, addresses, body parts), so a
// client reading 10,000 FETCH responses stops allocating after the first.
#ifndef MAILWIRE_IMAP_FETCH_HPP
#define MAILWIRE_IMAP_FETCH_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/imap/bodystructure.hpp"
#include "mailwire/imap/datetime.hpp"
#include "mailwire/imap/envelope.hpp"
#include "mailwire/imap/flag.hpp"
#include "mailwire/imap/section.hpp"
#include "mailwire/imap/syntax.hpp"
#include "mailwire/imap/values.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

// ---------------------------------------------------------------------------
// Requests

/// A FETCH request attribute (RFC 9051 9: fetch-att, plus the macros and
/// the extension attributes).
enum class fetch_attribute_kind : std::uint8_t {
  all,            ///< macro ALL (only alone): FLAGS INTERNALDATE RFC822.SIZE ENVELOPE
  fast,           ///< macro FAST (only alone): FLAGS INTERNALDATE RFC822.SIZE
  full,           ///< macro FULL (only alone): ALL + BODY
  envelope,       ///< ENVELOPE
  flags,          ///< FLAGS
  internaldate,   ///< INTERNALDATE
  rfc822_size,    ///< RFC822.SIZE
  uid,            ///< UID
  body,           ///< BODY: the non-extensible body structure
  bodystructure,  ///< BODYSTRUCTURE
  body_section,   ///< BODY[section]<partial> or BODY.PEEK[...] (peek)
  binary,         ///< BINARY[part]<partial> or BINARY.PEEK[...] (peek), RFC 3516
  binary_size,    ///< BINARY.SIZE[part], RFC 3516
  rfc822,         ///< RFC822 (RFC 3501 only)
  rfc822_header,  ///< RFC822.HEADER (RFC 3501 only)
  rfc822_text,    ///< RFC822.TEXT (RFC 3501 only)
  modseq,         ///< MODSEQ, RFC 7162
  emailid,        ///< EMAILID, RFC 8474
  threadid,       ///< THREADID, RFC 8474
  preview,        ///< PREVIEW [(LAZY)], RFC 8970
  savedate,       ///< SAVEDATE, RFC 8514
  other,          ///< another attribute named by an atom (X-GM-LABELS ...), kept as `name`
};

/// One attribute of a FETCH request.
struct fetch_attribute {
  fetch_attribute_kind kind = fetch_attribute_kind::uid;  ///< which attribute
  bool peek = false;                     ///< BODY.PEEK / BINARY.PEEK
  section sect;                          ///< body_section, binary, binary_size
  std::optional<partial_range> partial;  ///< body_section, binary
  bool lazy = false;                     ///< PREVIEW (LAZY)
  std::string_view name;                 ///< other: the atom
  /// other: a parenthesised argument as sent ("(FUZZY)" of Dovecot's
  /// SNIPPET, the draft name of PREVIEW), or empty.
  std::string_view argument;

  friend bool operator==(const fetch_attribute& a, const fetch_attribute& b) noexcept {
    return a.kind == b.kind && a.peek == b.peek && a.sect == b.sect && a.partial == b.partial &&
           a.lazy == b.lazy && a.name == b.name && a.argument == b.argument;
  }
  friend bool operator!=(const fetch_attribute& a, const fetch_attribute& b) noexcept { return !(a == b); }
};

// ---------------------------------------------------------------------------
// Responses

/// Which msg-att a fetch_item is.
enum class fetch_item_kind : std::uint8_t {
  flags,          ///< FLAGS (flag-fetch list): `flags`
  uid,            ///< UID nz-number: `number`
  internaldate,   ///< INTERNALDATE date-time: `date` (always a value)
  rfc822_size,    ///< RFC822.SIZE number64: `number`
  envelope,       ///< ENVELOPE: `env`
  body,           ///< BODY (non-extensible): `body`
  bodystructure,  ///< BODYSTRUCTURE: `body`
  body_section,   ///< BODY[section]<origin> nstring: `sect`, `origin`, `content`
  binary,         ///< BINARY[part]<origin> nstring / literal8: `sect`, `origin`, `content`
  binary_size,    ///< BINARY.SIZE[part] number: `sect`, `number`
  rfc822,         ///< RFC822 nstring: `content`
  rfc822_header,  ///< RFC822.HEADER nstring: `content`
  rfc822_text,    ///< RFC822.TEXT nstring: `content`
  modseq,         ///< MODSEQ (n): `number`
  emailid,        ///< EMAILID (objectid): `text`
  threadid,       ///< THREADID (objectid) / NIL: `text`
  preview,        ///< PREVIEW nstring: `text`
  savedate,       ///< SAVEDATE date-time / NIL: `date` (no value for NIL)
  other,          ///< an item this parser does not know: `name`, `raw`
};

/// One item of a FETCH response. Only the fields its kind names carry
/// meaning; the others stay at their defaults (a parse resets them).
struct fetch_item {
  fetch_item_kind kind = fetch_item_kind::other;  ///< which item, and so which fields carry meaning
  std::uint64_t number = 0;  ///< UID, RFC822.SIZE, BINARY.SIZE, MODSEQ: the number
  /// FLAGS (flag-fetch): the flags in the order sent, `\Recent` included
  /// (flag_kind::recent, IMAP4rev1); never `\*` (flag_kind::wildcard), which
  /// the writer refuses. A keyword's or extension's name views the text.
  std::vector<flag> flags;
  /// INTERNALDATE: the date-time, which must be a value (the writer refuses
  /// an empty one). SAVEDATE (RFC 8514): the date-time, or no value for NIL.
  std::optional<date_time> date;
  nstring text;  ///< EMAILID, THREADID, PREVIEW: the string, or NIL
  section sect;  ///< BODY[section], BINARY[part], BINARY.SIZE[part]: the section
  std::optional<std::uint32_t> origin;  ///< "<origin>" of BODY[]/BINARY[] when partial
  /// BODY[]/BINARY[]/RFC822*: no value for NIL; a quoted string or a literal
  /// in memory (`data`), or a streamed literal (only `size`).
  std::optional<literal_body> content;
  envelope env;  ///< ENVELOPE
  body_structure body;  ///< BODY, BODYSTRUCTURE
  std::string_view name;  ///< other: the item name
  std::string_view raw;   ///< other: the value exactly as sent (atom, string, literal or list)

  /// Back to defaults, keeping capacity (body's children are reused by the
  /// body parser, and cleared only for other kinds).
  void reset() noexcept {
    kind = fetch_item_kind::other;
    number = 0;
    flags.clear();
    date.reset();
    text.reset();
    sect.clear();
    origin.reset();
    content.reset();
    env.clear();
    body.reset_fields();
    name = raw = {};
  }
};

namespace detail {
inline bool same_content(const std::optional<literal_body>& a, const std::optional<literal_body>& b) noexcept {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->data == b->data && a->size == b->size && a->streamed == b->streamed && a->binary == b->binary;
}
}  // namespace detail

inline bool operator==(const fetch_item& a, const fetch_item& b) noexcept {
  return a.kind == b.kind && a.number == b.number && a.flags == b.flags && a.date == b.date && a.text == b.text &&
         a.sect == b.sect && a.origin == b.origin && detail::same_content(a.content, b.content) && a.env == b.env &&
         a.body == b.body && a.name == b.name && a.raw == b.raw;
}
inline bool operator!=(const fetch_item& a, const fetch_item& b) noexcept { return !(a == b); }

/// The data of one "* seq FETCH (...)" response.
struct fetch_data {
  std::uint32_t seq = 0;          ///< message sequence number (set by the response parser)
  std::vector<fetch_item> items;  ///< in the order sent; at least one

  /// The first item of `kind`, or null.
  const fetch_item* find(fetch_item_kind kind) const noexcept {
    for (const fetch_item& it : items)
      if (it.kind == kind) return &it;
    return nullptr;
  }
  friend bool operator==(const fetch_data& a, const fetch_data& b) noexcept {
    return a.seq == b.seq && a.items == b.items;
  }
  friend bool operator!=(const fetch_data& a, const fetch_data& b) noexcept { return !(a == b); }
};

namespace detail {

// -- requests ---------------------------------------------------------------

/// True when scanner::keyword(w) would match at the start of `text`: a
/// name that does must not be written as an unknown attribute or item,
/// since a reader would take it for the known one.
inline bool starts_with_keyword(std::string_view text, std::string_view w) noexcept {
  if (text.size() < w.size() || !ascii::iequals(text.substr(0, w.size()), w)) return false;
  if (text.size() == w.size()) return true;
  const char after = text[w.size()];
  return !is(after, atom_char) || after == '[' || after == '.' || after == '<';
}

/// The names parse_fetch_attribute() and parse_fetch_item() know.
inline constexpr std::string_view fetch_keywords[] = {
    "ALL",         "FAST",          "FULL",        "ENVELOPE", "FLAGS",   "INTERNALDATE", "RFC822",
    "UID",         "BODY",          "BODYSTRUCTURE", "BINARY",      "MODSEQ",   "EMAILID", "THREADID",     "PREVIEW",
    "SAVEDATE"};

inline bool is_unknown_fetch_name(std::string_view name) noexcept {
  for (const std::string_view w : fetch_keywords)
    if (starts_with_keyword(name, w)) return false;
  return true;
}

inline bool parse_fetch_attribute(scanner& s, fetch_attribute& a, bool alone) {
  a = fetch_attribute{};
  using k = fetch_attribute_kind;
  if (s.keyword("BODY.PEEK")) {
    a.kind = k::body_section;
    a.peek = true;
  } else if (s.keyword("BODYSTRUCTURE")) {
    a.kind = k::bodystructure;
    return true;
  } else if (s.keyword("BODY")) {
    a.kind = s.peek() == '[' ? k::body_section : k::body;
    if (a.kind == k::body) return true;
  } else if (s.keyword("BINARY.SIZE")) {
    a.kind = k::binary_size;
    return parse_binary_section(s, a.sect);
  } else if (s.keyword("BINARY.PEEK")) {
    a.kind = k::binary;
    a.peek = true;
  } else if (s.keyword("BINARY")) {
    a.kind = k::binary;
  } else {
    static constexpr struct {
      std::string_view word;
      fetch_attribute_kind kind;
    } words[] = {{"ENVELOPE", k::envelope},       {"FLAGS", k::flags},         {"INTERNALDATE", k::internaldate},
                 {"RFC822.SIZE", k::rfc822_size}, {"RFC822.HEADER", k::rfc822_header}, {"RFC822.TEXT", k::rfc822_text},
                 {"RFC822", k::rfc822},           {"UID", k::uid},             {"MODSEQ", k::modseq},
                 {"EMAILID", k::emailid},         {"THREADID", k::threadid},   {"SAVEDATE", k::savedate},
                 {"PREVIEW", k::preview},         {"ALL", k::all},             {"FAST", k::fast},
                 {"FULL", k::full}};
    for (const auto& w : words) {
      if (!s.keyword(w.word)) continue;
      a.kind = w.kind;
      if ((a.kind == k::all || a.kind == k::fast || a.kind == k::full) && !alone) return s.fail();
      // PREVIEW [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY"
      if (a.kind == k::preview && s.peek() == ' ' && s.peek(1) == '(') {
        s.sp();
        if (!s.open()) return false;
        for (;;) {
          if (!s.keyword("LAZY")) return s.fail();
          a.lazy = true;
          if (s.peek() == ')') break;
          if (!s.sp()) return false;
        }
        return s.close();
      }
      return true;
    }
    a.kind = k::other;
    if (!s.atom(a.name)) return false;
    // No attribute starts with "(", so one that follows an unknown name is
    // its argument.
    if (s.peek() == ' ' && s.peek(1) == '(') {
      s.sp();
      return s.raw_value(a.argument);
    }
    return true;
  }
  // BODY[.PEEK] section [partial] / BINARY[.PEEK] section-binary [partial]
  if (!(a.kind == k::binary ? parse_binary_section(s, a.sect) : parse_section(s, a.sect))) return false;
  if (s.peek() == '<') {
    partial_range p;
    if (!parse_partial(s, p)) return false;
    a.partial = p;
  }
  return true;
}

/// "ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"
/// at the cursor into `out` (cleared first).
inline bool parse_fetch_attributes(scanner& s, std::vector<fetch_attribute>& out) {
  out.clear();
  if (s.peek() != '(') {
    out.emplace_back();
    return parse_fetch_attribute(s, out.back(), true);
  }
  if (!s.open()) return false;
  for (;;) {
    out.emplace_back();
    if (!parse_fetch_attribute(s, out.back(), false)) return false;
    if (s.peek() == ')') break;
    if (!s.sp()) return false;
  }
  return s.close();
}

inline void write_fetch_attribute(wire_writer& w, const fetch_attribute& a) {
  using k = fetch_attribute_kind;
  switch (a.kind) {
    case k::all: return w.raw("ALL");
    case k::fast: return w.raw("FAST");
    case k::full: return w.raw("FULL");
    case k::envelope: return w.raw("ENVELOPE");
    case k::flags: return w.raw("FLAGS");
    case k::internaldate: return w.raw("INTERNALDATE");
    case k::rfc822_size: return w.raw("RFC822.SIZE");
    case k::uid: return w.raw("UID");
    case k::body: return w.raw("BODY");
    case k::bodystructure: return w.raw("BODYSTRUCTURE");
    case k::rfc822: return w.raw("RFC822");
    case k::rfc822_header: return w.raw("RFC822.HEADER");
    case k::rfc822_text: return w.raw("RFC822.TEXT");
    case k::modseq: return w.raw("MODSEQ");
    case k::emailid: return w.raw("EMAILID");
    case k::threadid: return w.raw("THREADID");
    case k::savedate: return w.raw("SAVEDATE");
    case k::preview: return w.raw(a.lazy ? "PREVIEW (LAZY)" : "PREVIEW");
    case k::binary_size:
      w.raw("BINARY.SIZE");
      return write_binary_section(w, a.sect);
    case k::body_section:
    case k::binary:
      if (a.kind == k::binary) {
        w.raw(a.peek ? "BINARY.PEEK" : "BINARY");
        write_binary_section(w, a.sect);
      } else {
        w.raw(a.peek ? "BODY.PEEK" : "BODY");
        write_section(w, a.sect);
      }
      if (a.partial) write_partial(w, *a.partial);
      return;
    case k::other:
      // An atom a reader takes back as itself (no section, no partial).
      if (!is_atom(a.name) || !is_unknown_fetch_name(a.name)) return w.fail(errc::invalid_argument);
      w.raw(a.name);
      if (a.argument.empty()) return;
      // Raw text from a parser or the caller: one parenthesised value, no
      // line break or literal smuggled in.
      if (a.argument.front() != '(' || a.argument.back() != ')' || !ascii::is_text(a.argument) ||
          a.argument.find('{') != std::string_view::npos)
        return w.fail(errc::invalid_argument);
      w.sp();
      return w.raw(a.argument);
  }
}

/// The attribute list: a macro or a single attribute bare, several in
/// parentheses. An empty list, or a macro with other attributes, is
/// errc::invalid_argument.
inline void write_fetch_attributes(wire_writer& w, const std::vector<fetch_attribute>& attrs) {
  if (attrs.empty()) return w.fail(errc::invalid_argument);
  if (attrs.size() == 1) return write_fetch_attribute(w, attrs.front());
  w.raw('(');
  for (std::size_t i = 0; i < attrs.size(); ++i) {
    const fetch_attribute_kind k = attrs[i].kind;
    if (k == fetch_attribute_kind::all || k == fetch_attribute_kind::fast || k == fetch_attribute_kind::full)
      return w.fail(errc::invalid_argument);
    if (i != 0) w.sp();
    write_fetch_attribute(w, attrs[i]);
  }
  w.raw(')');
}

// -- responses --------------------------------------------------------------

// nstring whose string may be a streamed literal (BODY[] and friends);
// literal8 when `binary`.
inline bool parse_content(scanner& s, std::optional<literal_body>& out, bool binary) {
  if (s.nil()) {
    out.reset();
    return true;
  }
  literal_body b;
  if (s.peek() == '"') {
    if (!s.quoted(b.data)) return false;
    b.size = b.data.size();
  } else {
    const std::size_t at = s.pos();
    if (!s.literal(b, binary)) return false;
    // A literal is CHAR8 (no NUL); only literal8 may carry NUL.
    if (!b.binary && b.data.find('\0') != std::string_view::npos) {
      s.seek(at);
      return s.fail(errc::nul_byte);
    }
  }
  out = b;
  return true;
}

/// "(" objectid ")" (EMAILID, THREADID, the MAILBOXID code).
inline bool read_paren_objectid(scanner& s, std::string_view& out) {
  return s.open() && read_objectid(s, out) && s.close();
}

inline bool read_paren_objectid(scanner& s, nstring& out) {
  std::string_view id;
  if (!read_paren_objectid(s, id)) return false;
  out = id;
  return true;
}

/// ["<" number ">"] after a section in a response.
inline bool parse_origin(scanner& s, std::optional<std::uint32_t>& out) {
  out.reset();
  if (!s.eat('<')) return true;
  std::uint32_t n = 0;
  if (!s.number(n) || !s.expect('>')) return false;
  out = n;
  return true;
}

inline bool parse_fetch_item(scanner& s, fetch_item& it) {
  using k = fetch_item_kind;
  it.reset();
  bool ok = false;
  if (s.keyword("FLAGS")) {
    it.kind = k::flags;
    ok = s.sp() && read_flag_list(s, it.flags);
  } else if (s.keyword("UID")) {
    it.kind = k::uid;
    std::uint32_t n = 0;
    ok = s.sp() && s.nz_number(n);
    it.number = n;
  } else if (s.keyword("INTERNALDATE")) {
    it.kind = k::internaldate;
    ok = s.sp() && read_date_time(s, it.date.emplace());
  } else if (s.keyword("RFC822.SIZE")) {
    it.kind = k::rfc822_size;
    ok = s.sp() && s.number64(it.number);
  } else if (s.keyword("RFC822.HEADER") || s.keyword("RFC822.TEXT") || s.keyword("RFC822")) {
    const char last = s.text()[s.pos() - 1];
    it.kind = last == 'R' || last == 'r' ? k::rfc822_header : last == 'T' || last == 't' ? k::rfc822_text : k::rfc822;
    ok = s.sp() && parse_content(s, it.content, false);
  } else if (s.keyword("ENVELOPE")) {
    it.kind = k::envelope;
    ok = s.sp() && parse_envelope(s, it.env);
  } else if (s.keyword("BODYSTRUCTURE")) {
    it.kind = k::bodystructure;
    ok = s.sp() && parse_body(s, it.body);
  } else if (s.keyword("BODY")) {
    if (s.peek() == '[') {
      it.kind = k::body_section;
      ok = parse_section(s, it.sect) && parse_origin(s, it.origin) && s.sp() && parse_content(s, it.content, false);
    } else {
      it.kind = k::body;
      ok = s.sp() && parse_body(s, it.body);
    }
  } else if (s.keyword("BINARY.SIZE")) {
    it.kind = k::binary_size;
    std::uint32_t n = 0;
    ok = parse_binary_section(s, it.sect) && s.sp() && s.number(n);
    it.number = n;
  } else if (s.keyword("BINARY")) {
    it.kind = k::binary;
    ok = parse_binary_section(s, it.sect) && parse_origin(s, it.origin) && s.sp() &&
         parse_content(s, it.content, true);
  } else if (s.keyword("MODSEQ")) {
    it.kind = k::modseq;
    ok = s.sp() && s.open() && s.number64(it.number) && s.close();
  } else if (s.keyword("EMAILID")) {
    it.kind = k::emailid;
    ok = s.sp() && read_paren_objectid(s, it.text);
  } else if (s.keyword("THREADID")) {
    it.kind = k::threadid;
    ok = s.sp() && (s.nil() || read_paren_objectid(s, it.text));
  } else if (s.keyword("PREVIEW")) {
    it.kind = k::preview;
    ok = s.sp() && s.nstring(it.text);
  } else if (s.keyword("SAVEDATE")) {
    it.kind = k::savedate;
    ok = s.sp() && (s.nil() || read_date_time(s, it.date.emplace()));
  } else {
    it.kind = k::other;
    ok = s.run(astring_char, it.name) && s.sp() && s.raw_value(it.raw);
  }
  if (it.kind != k::body && it.kind != k::bodystructure) it.body.children.clear();
  return ok;
}

/// msg-att: "(" item *(SP item) ")" at the cursor into out.items (reused;
/// out.seq is left to the caller, which read it before "FETCH").
inline bool parse_fetch_data(scanner& s, fetch_data& out) {
  if (!s.open()) return false;
  std::size_t n = 0;
  for (;;) {
    if (!parse_fetch_item(s, reuse_slot(out.items, n))) return false;
    ++n;
    if (s.peek() == ')') break;
    if (!s.sp()) return false;
  }
  out.items.erase(out.items.begin() + static_cast<std::ptrdiff_t>(n), out.items.end());
  return s.close();
}

inline void write_content(wire_writer& w, const std::optional<literal_body>& c, bool binary_allowed) {
  if (!c) return w.nil();
  if (c->binary && !binary_allowed) return w.fail(errc::invalid_argument);
  if (c->streamed) return w.streamed_literal(c->size, c->binary);
  if (c->size != c->data.size()) return w.fail(errc::invalid_argument);
  if (c->binary) return w.literal(c->data, true);
  if (c->data.find('\0') != std::string_view::npos) return w.fail(errc::invalid_argument);
  w.string(c->data);
}

/// "(" objectid ")".
inline void write_paren_objectid(wire_writer& w, std::string_view id) {
  w.raw('(');
  write_objectid(w, id);
  w.raw(')');
}

inline void write_origin(wire_writer& w, const std::optional<std::uint32_t>& o) {
  if (!o) return;
  w.raw('<');
  w.number(*o);
  w.raw('>');
}

/// True when `raw` is exactly one value scanner::raw_value() accepts, with literals
/// only where the peer never waits (a response); `name` is astring chars.
inline bool other_item_valid(const fetch_item& it, const peer_support& p) {
  if (it.name.empty() || span(it.name, 0, astring_char) != it.name.size() || !is_unknown_fetch_name(it.name))
    return false;
  std::string scratch;
  scanner s(it.raw, scratch);
  std::string_view value;
  if (!s.raw_value(value) || !s.at_end()) return false;
  return !p.to_server || it.raw.find('{') == std::string_view::npos;
}

inline void write_fetch_item(wire_writer& w, const fetch_item& it) {
  using k = fetch_item_kind;
  switch (it.kind) {
    case k::flags:
      w.raw("FLAGS ");
      return write_flag_list(w, it.flags);
    case k::uid:
      if (it.number == 0 || it.number > 0xFFFFFFFFu) return w.fail(errc::invalid_argument);
      w.raw("UID ");
      return w.number(it.number);
    case k::internaldate:
      if (!it.date) return w.fail(errc::invalid_argument);
      w.raw("INTERNALDATE ");
      return write_date_time(w, *it.date);
    case k::rfc822_size:
    case k::modseq:
      if (it.number > 0x7FFFFFFFFFFFFFFFull) return w.fail(errc::invalid_argument);
      w.raw(it.kind == k::modseq ? "MODSEQ (" : "RFC822.SIZE ");
      w.number(it.number);
      if (it.kind == k::modseq) w.raw(')');
      return;
    case k::envelope:
      w.raw("ENVELOPE ");
      return write_envelope(w, it.env);
    case k::body:
    case k::bodystructure:
      w.raw(it.kind == k::body ? "BODY " : "BODYSTRUCTURE ");
      return write_body(w, it.body);
    case k::body_section:
      w.raw("BODY");
      write_section(w, it.sect);
      write_origin(w, it.origin);
      w.sp();
      return write_content(w, it.content, false);
    case k::binary:
      w.raw("BINARY");
      write_binary_section(w, it.sect);
      write_origin(w, it.origin);
      w.sp();
      return write_content(w, it.content, true);
    case k::binary_size:
      if (it.number > 0xFFFFFFFFu) return w.fail(errc::invalid_argument);
      w.raw("BINARY.SIZE");
      write_binary_section(w, it.sect);
      w.sp();
      return w.number(it.number);
    case k::rfc822:
    case k::rfc822_header:
    case k::rfc822_text:
      w.raw(it.kind == k::rfc822 ? "RFC822 " : it.kind == k::rfc822_header ? "RFC822.HEADER " : "RFC822.TEXT ");
      return write_content(w, it.content, false);
    case k::emailid:
      if (!it.text) return w.fail(errc::invalid_argument);
      w.raw("EMAILID ");
      return write_paren_objectid(w, *it.text);
    case k::threadid:
      w.raw("THREADID ");
      if (!it.text) return w.nil();
      return write_paren_objectid(w, *it.text);
    case k::preview:
      w.raw("PREVIEW ");
      return w.nstring(it.text);
    case k::savedate:
      w.raw("SAVEDATE ");
      if (!it.date) return w.nil();
      return write_date_time(w, *it.date);
    case k::other:
      if (!other_item_valid(it, w.peer())) return w.fail(errc::invalid_argument);
      w.raw(it.name);
      w.sp();
      return w.raw(it.raw);
  }
}

/// msg-att: "(" items ")"; no items is errc::invalid_argument.
inline void write_fetch_data(wire_writer& w, const fetch_data& d) {
  if (d.items.empty()) return w.fail(errc::invalid_argument);
  w.raw('(');
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    if (i != 0) w.sp();
    write_fetch_item(w, d.items[i]);
  }
  w.raw(')');
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Whole-text entry points

/// Parses `text`, exactly one msg-att list "(" ... ")", into out.items
/// (reused; out.seq untouched). Errors: errc::syntax_error, imap_too_deep,
/// imap_bad_literal, nul_byte, truncated (a literal longer than the text),
/// imap_literal_too_big (a streamed literal where a string must be in
/// memory). `scratch` holds unescaped quoted strings the views may point
/// into; keep it and `text` alive while `out` is used.
inline errc parse_fetch_items(std::string_view text, fetch_data& out, std::string& scratch,
                              const parse_options& options = {},
                              const std::vector<std::size_t>* streamed = nullptr) {
  detail::scanner s(text, scratch, options, streamed);
  if (!detail::parse_fetch_data(s, out)) return s.error() == errc::ok ? errc::syntax_error : s.error();
  return s.at_end() ? errc::ok : errc::syntax_error;
}

/// Appends the msg-att list of `d` ("(" ... ")", no CRLF) to `out`; on an
/// error (a value the grammar cannot carry: errc::invalid_argument) `out`
/// is left as it was.
inline errc write_fetch_items(wire& out, const fetch_data& d, const peer_support& peer) {
  const std::size_t bytes = out.bytes.size();
  const std::size_t breaks = out.breaks.size();
  wire_writer w(out, peer);
  detail::write_fetch_data(w, d);
  if (!w.ok()) {
    out.bytes.resize(bytes);
    out.breaks.resize(breaks);
  }
  return w.error();
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_FETCH_HPP
