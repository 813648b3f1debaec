// mailwire: IMAP BODY and BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2
// and 9), read and written as a tree.
//
//   body            = "(" (body-type-1part / body-type-mpart) ")"
//   body-type-1part = (body-type-basic / body-type-msg / body-type-text)
//                     [SP body-ext-1part]
//   body-type-basic = media-basic SP body-fields
//   body-type-text  = media-text SP body-fields SP body-fld-lines
//   body-type-msg   = media-message SP body-fields SP envelope SP body SP
//                     body-fld-lines
//   body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
//   body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP
//                     body-fld-enc SP body-fld-octets
//   body-ext-1part  = md5 [SP dsp [SP lang [SP loc *(SP body-extension)]]]
//   body-ext-mpart  = param [SP dsp [SP lang [SP loc *(SP body-extension)]]]
//
// Strings are views into the parsed text (or the scanner's scratch buffer):
// valid while it lives. A body_structure reused for the next parse keeps the
// capacity of its vectors, its children's included, so a client parsing a
// stream of similar FETCH responses stops allocating after the first ones.
// Nesting is bounded by parse_options::max_depth (errc::imap_too_deep):
// every body, envelope and list counts one level.
#ifndef MAILWIRE_IMAP_BODYSTRUCTURE_HPP
#define MAILWIRE_IMAP_BODYSTRUCTURE_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mailwire/imap/envelope.hpp"
#include "mailwire/imap/syntax.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// Which body-type a node is.
enum class body_kind : std::uint8_t {
  basic,      ///< body-type-basic: any type but TEXT and MESSAGE/RFC822|GLOBAL with an envelope
  text,       ///< body-type-text: type TEXT, with a line count
  message,    ///< body-type-msg: MESSAGE/RFC822 or MESSAGE/GLOBAL with envelope, body and lines
  multipart,  ///< body-type-mpart: children and a subtype
};

/// One attribute/value pair of a body-fld-param list.
struct body_param {
  std::string_view name;  ///< the parameter name as sent
  std::string_view value;  ///< its value as sent
  friend bool operator==(const body_param& a, const body_param& b) noexcept {
    return a.name == b.name && a.value == b.value;
  }
  friend bool operator!=(const body_param& a, const body_param& b) noexcept { return !(a == b); }
};

/// A body-extension value (future extension data, kept as sent):
/// nstring / number / "(" body-extension *(SP body-extension) ")".
struct body_extension {
  /// What an extension datum is.
  enum class kind_type : std::uint8_t { nil, string, number, list };
  kind_type kind = kind_type::nil;  ///< which of the members below holds it
  std::string_view string;             ///< kind string
  std::uint64_t number = 0;            ///< kind number (number64)
  std::vector<body_extension> list;    ///< kind list: at least one element

  friend bool operator==(const body_extension& a, const body_extension& b) noexcept {
    return a.kind == b.kind && a.string == b.string && a.number == b.number && a.list == b.list;
  }
  friend bool operator!=(const body_extension& a, const body_extension& b) noexcept { return !(a == b); }
};

/// A node of BODY / BODYSTRUCTURE. Which fields mean something depends on
/// `kind`; the writer checks that the value is one the grammar can carry
/// (see detail::write_body).
struct body_structure {
  body_kind kind = body_kind::basic;  ///< basic, text, message or multipart: which fields apply
  std::string_view type;     ///< media type as sent ("TEXT", "image"); empty for multipart
  std::string_view subtype;  ///< media subtype as sent
  /// body-fld-param of a single part, or the body-ext-mpart parameters of a
  /// multipart (present when extension_fields >= 1); empty is NIL.
  std::vector<body_param> params;
  nstring id;                ///< Content-ID (single part)
  nstring description;       ///< Content-Description (single part)
  std::string_view encoding; ///< Content-Transfer-Encoding as sent (single part)
  std::uint32_t octets = 0;  ///< body size in octets, as encoded (single part)
  std::uint64_t lines = 0;   ///< text and message: size in lines
  envelope message_envelope; ///< message: the envelope of the enclosed message
  /// multipart: the parts, one or more; message: exactly one, the body of
  /// the enclosed message; otherwise empty.
  std::vector<body_structure> children;

  // Extension data (BODYSTRUCTURE only; BODY carries none). The fields come
  // in order and each needs the ones before it: extension_fields counts
  // how many were sent (0 to 4): 1 = md5 (single part) or params
  // (multipart), 2 = + disposition, 3 = + language, 4 = + location.
  std::uint8_t extension_fields = 0;  ///< how many of the extension fields were sent, 0 to 4
  nstring md5;                              ///< Content-MD5 (single part)
  nstring disposition;                      ///< disposition type; NIL: no body-fld-dsp
  std::vector<body_param> disposition_params;  ///< the disposition's parameters
  /// body-fld-lang: NIL (empty, !language_list), one string
  /// (!language_list) or a list of one or more (language_list).
  std::vector<std::string_view> language;
  bool language_list = false;  ///< the languages came as a list
  nstring location;                         ///< Content-Location
  std::vector<body_extension> extensions;   ///< further extension data (extension_fields == 4)

  /// Back to a default basic part; vectors keep their capacity. Children
  /// are left for the parser to reuse (it truncates them itself).
  void reset_fields() noexcept {
    kind = body_kind::basic;
    type = subtype = encoding = {};
    params.clear();
    id.reset();
    description.reset();
    octets = 0;
    lines = 0;
    message_envelope.clear();
    extension_fields = 0;
    md5.reset();
    disposition.reset();
    disposition_params.clear();
    language.clear();
    language_list = false;
    location.reset();
    extensions.clear();
  }

  friend bool operator==(const body_structure& a, const body_structure& b) noexcept {
    return a.kind == b.kind && a.type == b.type && a.subtype == b.subtype && a.params == b.params &&
           a.id == b.id && a.description == b.description && a.encoding == b.encoding &&
           a.octets == b.octets && a.lines == b.lines && a.message_envelope == b.message_envelope &&
           a.children == b.children && a.extension_fields == b.extension_fields && a.md5 == b.md5 &&
           a.disposition == b.disposition && a.disposition_params == b.disposition_params &&
           a.language == b.language && a.language_list == b.language_list && a.location == b.location &&
           a.extensions == b.extensions;
  }
  friend bool operator!=(const body_structure& a, const body_structure& b) noexcept { return !(a == b); }
};

namespace detail {

/// True for MESSAGE/RFC822 and MESSAGE/GLOBAL (RFC 9051 media-message),
/// the types whose body-type-msg carries an envelope.
inline bool is_message_type(std::string_view type, std::string_view subtype) noexcept {
  return ascii::iequals(type, "MESSAGE") && (ascii::iequals(subtype, "RFC822") || ascii::iequals(subtype, "GLOBAL"));
}

class body_reader {
 public:
  explicit body_reader(scanner& s) noexcept : s_(s), o_(s.options()) {}

  /// body at the cursor into `b`.
  bool body(body_structure& b) {
    b.reset_fields();
    if (!list_open(s_)) return false;
    if (s_.peek() == '(') return multipart(b, true);
    const scanner::mark start = s_.save();
    if (head(b, true)) return single_part(b);
    // The alternatives below read only flat fields before committing, so
    // a body is read at most three times, never its nested bodies.
    if (o_.lenient_missing_subtype) {
      s_.restore(start);
      b.reset_fields();
      if (head(b, false)) return single_part(b);
    }
    if (o_.lenient_empty_multipart) {
      s_.restore(start);
      b.reset_fields();
      // Gmail: NIL where the parts belong, or no parts at all.
      if (s_.nil() && !list_sp(s_)) return false;
      return multipart(b, false);
    }
    return false;
  }

 private:
  // string, or NIL read as "" when `lenient`.
  bool string_or_nil(std::string_view& out, bool lenient) {
    if (lenient && s_.nil()) {
      out = {};
      return true;
    }
    return s_.string(out);
  }

  // body-fld-param: "(" string SP string *(SP string SP string) ")" / nil
  bool params(std::vector<body_param>& out) {
    out.clear();
    if (s_.nil()) return true;
    if (!list_open(s_)) return false;
    for (;;) {
      body_param p;
      if (!s_.string(p.name) || !list_sp(s_) || !string_or_nil(p.value, o_.lenient_nil_param_value)) return false;
      out.push_back(p);
      if (list_end(s_)) break;
      if (!list_sp(s_)) return false;
    }
    return s_.close();
  }

  // media type [SP subtype] SP body-fields; `with_subtype` false is the
  // lenient reading of a type sent without its subtype.
  bool head(body_structure& b, bool with_subtype) {
    const bool nil_ok = o_.lenient_missing_subtype;
    if (!string_or_nil(b.type, nil_ok) || !list_sp(s_)) return false;
    if (with_subtype && (!string_or_nil(b.subtype, nil_ok) || !list_sp(s_))) return false;
    return params(b.params) && list_sp(s_) && s_.nstring(b.id) && list_sp(s_) && s_.nstring(b.description) &&
           list_sp(s_) && string_or_nil(b.encoding, o_.lenient_nil_encoding) && list_sp(s_) && s_.number(b.octets);
  }

  bool single_part(body_structure& b) {
    if (ascii::iequals(b.type, "TEXT")) {
      b.kind = body_kind::text;
      if (!list_sp(s_) || !s_.number64(b.lines)) return false;
    } else if (is_message_type(b.type, b.subtype) && next_is_list()) {
      // A MESSAGE/RFC822 sent without envelope (as some servers do for
      // message/global) stays a basic part: md5, the next field of a basic
      // part, is never a list, so the "(" decides without guessing.
      b.kind = body_kind::message;
      if (!list_sp(s_) || !parse_envelope(s_, b.message_envelope) || !list_sp(s_)) return false;
      body_structure& child = reuse_slot(b.children, 0);
      if (!body(child)) return false;
      b.children.erase(b.children.begin() + 1, b.children.end());
      if (!list_sp(s_) || !s_.number64(b.lines)) return false;
    }
    if (b.kind != body_kind::message) b.children.clear();
    return extension_data(b, false);
  }

  bool next_is_list() const noexcept {
    std::size_t k = 0;
    while (s_.peek(k) == ' ') ++k;
    return s_.peek(k) == '(';
  }

  // 1*body SP media-subtype [SP body-ext-mpart], the "(" already read.
  bool multipart(body_structure& b, bool need_children) {
    b.kind = body_kind::multipart;
    std::size_t n = 0;
    while (s_.peek() == '(') {
      if (!body(reuse_slot(b.children, n))) return false;
      ++n;
      if (o_.lenient_spaces && next_is_list()) {
        while (s_.eat(' ')) {
        }
      }
    }
    b.children.erase(b.children.begin() + static_cast<std::ptrdiff_t>(n), b.children.end());
    if (need_children && n == 0) return s_.fail();
    if (n != 0 && !list_sp(s_)) return false;
    if (!string_or_nil(b.subtype, o_.lenient_missing_subtype)) return false;
    return extension_data(b, true);
  }

  // The optional extension fields, then ")".
  bool extension_data(body_structure& b, bool multi) {
    if (list_end(s_)) return s_.close();
    if (!list_sp(s_)) return false;
    if (multi ? !params(b.params) : !s_.nstring(b.md5)) return false;
    b.extension_fields = 1;
    if (list_end(s_)) return s_.close();
    if (!list_sp(s_) || !disposition(b)) return false;
    b.extension_fields = 2;
    if (list_end(s_)) return s_.close();
    if (!list_sp(s_) || !language(b)) return false;
    b.extension_fields = 3;
    if (list_end(s_)) return s_.close();
    if (!list_sp(s_) || !s_.nstring(b.location)) return false;
    b.extension_fields = 4;
    std::size_t n = 0;
    while (!list_end(s_)) {
      if (!list_sp(s_) || !extension(reuse_slot(b.extensions, n))) return false;
      ++n;
    }
    b.extensions.erase(b.extensions.begin() + static_cast<std::ptrdiff_t>(n), b.extensions.end());
    return s_.close();
  }

  // body-fld-dsp: "(" string SP body-fld-param ")" / nil
  bool disposition(body_structure& b) {
    if (s_.nil()) return true;
    if (o_.lenient_disposition_string && s_.peek() != '(') {
      std::string_view type;
      if (!s_.string(type)) return false;
      b.disposition = type;
      return true;
    }
    std::string_view type;
    if (!list_open(s_) || !s_.string(type) || !list_sp(s_) || !params(b.disposition_params) || !list_end(s_))
      return false;
    b.disposition = type;
    return s_.close();
  }

  // body-fld-lang: nstring / "(" string *(SP string) ")"
  bool language(body_structure& b) {
    if (s_.peek() != '(') {
      nstring one;
      if (!s_.nstring(one)) return false;
      if (one) b.language.push_back(*one);
      return true;
    }
    if (!list_open(s_)) return false;
    b.language_list = true;
    for (;;) {
      std::string_view tag;
      if (!s_.string(tag)) return false;
      b.language.push_back(tag);
      if (list_end(s_)) break;
      if (!list_sp(s_)) return false;
    }
    return s_.close();
  }

  // body-extension: nstring / number64 / "(" body-extension *(SP ...) ")"
  bool extension(body_extension& e) {
    e.string = {};
    e.number = 0;
    const char c = s_.peek();
    if (c == '(') {
      e.kind = body_extension::kind_type::list;
      if (!list_open(s_)) return false;
      std::size_t n = 0;
      for (;;) {
        if (!extension(reuse_slot(e.list, n))) return false;
        ++n;
        if (list_end(s_)) break;
        if (!list_sp(s_)) return false;
      }
      e.list.erase(e.list.begin() + static_cast<std::ptrdiff_t>(n), e.list.end());
      return s_.close();
    }
    e.list.clear();
    if (ascii::is_digit(c)) {
      e.kind = body_extension::kind_type::number;
      return s_.number64(e.number);
    }
    if (s_.nil()) {
      e.kind = body_extension::kind_type::nil;
      return true;
    }
    e.kind = body_extension::kind_type::string;
    return s_.string(e.string);
  }

  scanner& s_;
  const parse_options& o_;
};

/// body at the cursor into `out` (reusing its storage).
inline bool parse_body(scanner& s, body_structure& out) { return body_reader(s).body(out); }

inline void write_params(wire_writer& w, const std::vector<body_param>& params) {
  if (params.empty()) return w.nil();
  w.raw('(');
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i != 0) w.sp();
    w.string(params[i].name);
    w.sp();
    w.string(params[i].value);
  }
  w.raw(')');
}

inline void write_extension(wire_writer& w, const body_extension& e) {
  switch (e.kind) {
    case body_extension::kind_type::nil: return w.nil();
    case body_extension::kind_type::string: return w.string(e.string);
    case body_extension::kind_type::number:
      if (e.number > 0x7FFFFFFFFFFFFFFFull) return w.fail(errc::invalid_argument);
      return w.number(e.number);
    case body_extension::kind_type::list:
      if (e.list.empty()) return w.fail(errc::invalid_argument);
      w.raw('(');
      for (std::size_t i = 0; i < e.list.size(); ++i) {
        if (i != 0) w.sp();
        write_extension(w, e.list[i]);
      }
      w.raw(')');
      return;
  }
}

/// True when `b` (this node only) is something the grammar can carry:
/// the kind agrees with the type (a parser would read the same kind back),
/// the children fit the kind, the extension fields are in order.
inline bool body_node_valid(const body_structure& b) noexcept {
  if (b.extension_fields > 4 || (!b.extensions.empty() && b.extension_fields < 4)) return false;
  if (!b.disposition && !b.disposition_params.empty()) return false;
  if (b.language_list && b.language.empty()) return false;
  if (!b.language_list && b.language.size() > 1) return false;
  switch (b.kind) {
    case body_kind::multipart: return !b.children.empty();
    case body_kind::message: return b.children.size() == 1 && is_message_type(b.type, b.subtype);
    case body_kind::text: return b.children.empty() && ascii::iequals(b.type, "TEXT");
    case body_kind::basic: return b.children.empty() && !ascii::iequals(b.type, "TEXT");
  }
  return false;
}

/// body; a node that body_node_valid() refuses makes the writer fail with
/// errc::invalid_argument. BODY is written with extension_fields == 0.
inline void write_body(wire_writer& w, const body_structure& b) {
  if (!body_node_valid(b)) return w.fail(errc::invalid_argument);
  w.raw('(');
  if (b.kind == body_kind::multipart) {
    for (const body_structure& child : b.children) write_body(w, child);
    w.sp();
    w.string(b.subtype);
  } else {
    w.string(b.type);
    w.sp();
    w.string(b.subtype);
    w.sp();
    write_params(w, b.params);
    w.sp();
    w.nstring(b.id);
    w.sp();
    w.nstring(b.description);
    w.sp();
    w.string(b.encoding);
    w.sp();
    w.number(b.octets);
    if (b.kind == body_kind::message) {
      w.sp();
      write_envelope(w, b.message_envelope);
      w.sp();
      write_body(w, b.children.front());
    }
    if (b.kind == body_kind::message || b.kind == body_kind::text) {
      if (b.lines > 0x7FFFFFFFFFFFFFFFull) return w.fail(errc::invalid_argument);
      w.sp();
      w.number(b.lines);
    }
  }
  if (b.extension_fields >= 1) {
    w.sp();
    if (b.kind == body_kind::multipart)
      write_params(w, b.params);
    else
      w.nstring(b.md5);
  }
  if (b.extension_fields >= 2) {
    w.sp();
    if (!b.disposition) {
      w.nil();
    } else {
      w.raw('(');
      w.string(*b.disposition);
      w.sp();
      write_params(w, b.disposition_params);
      w.raw(')');
    }
  }
  if (b.extension_fields >= 3) {
    w.sp();
    if (b.language_list) {
      w.raw('(');
      for (std::size_t i = 0; i < b.language.size(); ++i) {
        if (i != 0) w.sp();
        w.string(b.language[i]);
      }
      w.raw(')');
    } else if (b.language.empty()) {
      w.nil();
    } else {
      w.string(b.language.front());
    }
  }
  if (b.extension_fields >= 4) {
    w.sp();
    w.nstring(b.location);
    for (const body_extension& e : b.extensions) {
      w.sp();
      write_extension(w, e);
    }
  }
  w.raw(')');
}

}  // namespace detail
}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_BODYSTRUCTURE_HPP
