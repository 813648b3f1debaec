// mailwire: changing a parsed message without rewriting it.
//
// A mime::tree views the message it was parsed from; an editor records
// changes to it (a header field set, added or removed, a body or a whole
// entity replaced) and writes the result by copying every byte it was not
// asked to change from the original, in order, with the replacements in
// their places. Unedited, the output is the input, byte for byte; edited,
// only the pieces named differ (a signature over the rest stays valid, a
// diff shows one field).
//
//     mime::tree t = mime::parse_tree(raw);
//     mime::editor ed(t);
//     ed.set_text_field(t.root(), "Subject", "[External] " + t.root().subject());
//     ed.remove_field(t.root(), "X-Spam-Score");
//     ed.replace_entity(*t.attachments()[0], replacement_built_with_mime_builder);
//     ed.write([&](std::string_view piece) { out.write(piece); });
//
// Values are checked as mime::builder checks them (one validating path:
// builder.hpp's format_field and check_raw_field), and a replaced body or
// entity must not hold a line starting with an enclosing multipart's
// boundary (errc::mime_boundary_collision), so an edit cannot change the
// message's structure around it. Two edits of overlapping bytes (a field
// of an entity that is also replaced) are errc::invalid_state: the second
// is refused and the first stays. Nothing throws but std::bad_alloc.
//
// Lifetimes: the tree (and the message it views) must outlive the editor;
// the editor copies replacement bytes.
#ifndef MAILWIRE_MIME_EDITOR_HPP
#define MAILWIRE_MIME_EDITOR_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/error.hpp"
#include "mailwire/mime/boundary.hpp"
#include "mailwire/mime/builder.hpp"
#include "mailwire/mime/encoded_word.hpp"
#include "mailwire/mime/tree.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// Records changes to a parsed message and writes it with everything else
/// copied byte for byte (see the file comment).
class editor {
 public:
  /// Edits of `t` (which, with its message, must outlive the editor).
  /// `utf8_headers`: new values may hold UTF-8 as it is (RFC 6532),
  /// otherwise text is RFC 2047-encoded and raw values must be ASCII.
  explicit editor(const tree& t, bool utf8_headers = false) : tree_(&t), utf8_(utf8_headers) {}

  /// Sets field `name` of entity `n` to `value`, already formatted (as
  /// builder::raw_field takes it): the first field of that name is
  /// replaced and any later ones removed; absent, it is added after the
  /// entity's last field.
  errc set_field(const node& n, std::string_view name, std::string_view value) {
    if (const errc e = detail::check_raw_field(name, value, utf8_); e != errc::ok) return e;
    std::string line(name);
    line.append(": ");
    line.append(value);
    line.append("\r\n");
    return put_field(n, name, line);
  }

  /// Sets an unstructured field (Subject, Comments...) to UTF-8 `text`,
  /// encoded and folded as builder::field does.
  errc set_text_field(const node& n, std::string_view name, std::string_view text) {
    for (const char c : text) {
      if (ascii::is_ctl(c) && c != '\t') return errc::invalid_argument;
    }
    if (!utf8::valid(text)) return errc::invalid_argument;
    const std::string value =
        utf8_ && text.find("=?") == std::string_view::npos ? std::string(text) : encode_unstructured(text);
    std::string line;
    if (const errc e = detail::format_field(name, value, true, 78, line); e != errc::ok) return e;
    return put_field(n, name, line);
  }

  /// Removes every field `name` of `n` (nothing when there is none).
  errc remove_field(const node& n, std::string_view name) {
    if (!detail::is_field_name(name)) return errc::invalid_argument;
    std::vector<edit> mine;
    for (const field& f : n.fields) {
      if (ascii::iequals(f.name, name)) mine.push_back({f.offset, f.end, {}, {}});
    }
    return add(std::move(mine));
  }

  /// Replaces the body of `n` with `body`, written as it is: it must
  /// already be in the entity's transfer encoding (change
  /// Content-Transfer-Encoding with set_field() when it differs).
  errc replace_body(const node& n, std::string_view body) {
    if (const errc e = check_content(n, body); e != errc::ok) return e;
    return add({{n.info.body_offset, n.info.end, std::string(body), {}}});
  }

  /// Replaces the whole entity `n`, header and body, with `entity` (for
  /// example a part written by a mime::builder). Replacing the root
  /// replaces the message.
  errc replace_entity(const node& n, std::string_view entity) {
    if (const errc e = check_content(n, entity); e != errc::ok) return e;
    return add({{n.info.offset, n.info.end, std::string(entity), {}}});
  }

  /// Calls `sink(std::string_view)` with the edited message, in pieces:
  /// spans of the original and the replacements, in order.
  template <class Sink>
  void write(Sink&& sink) const {
    const std::string_view src = tree_->source;
    std::uint64_t at = 0;
    for (const edit& e : edits_) {
      if (e.from > at) sink(src.substr(static_cast<std::size_t>(at), static_cast<std::size_t>(e.from - at)));
      if (!e.text.empty()) sink(std::string_view(e.text));
      if (e.to > at) at = e.to;
    }
    if (at < src.size()) sink(src.substr(static_cast<std::size_t>(at)));
  }

  /// The edited message in one string.
  std::string to_string() const {
    std::string out;
    write([&out](std::string_view piece) { out.append(piece); });
    return out;
  }

  /// True when nothing has been changed.
  bool empty() const noexcept { return edits_.empty(); }

 private:
  // Replace [from, to) of the original with `text` (from == to: insert).
  struct edit {
    std::uint64_t from = 0;
    std::uint64_t to = 0;
    std::string text;
    std::string key;  // an insertion: the field's name, lowercase (two fields added at one point)
  };

  // The first field `name` of `n` becomes `line`; the others go. Absent,
  // `line` is inserted after the last field.
  errc put_field(const node& n, std::string_view name, std::string line) {
    std::vector<edit> mine;
    for (const field& f : n.fields) {
      if (!ascii::iequals(f.name, name)) continue;
      mine.push_back({f.offset, f.end, mine.empty() ? std::move(line) : std::string(), {}});
    }
    if (mine.empty()) {
      const std::uint64_t at = n.fields.empty() ? n.info.offset : n.fields.back().end;
      std::string key;
      for (const char c : name) key.push_back(ascii::to_lower(c));
      mine.push_back({at, at, std::move(line), std::move(key)});
    }
    return add(std::move(mine));
  }

  // The enclosing multiparts' boundaries must not start a line of `bytes`.
  errc check_content(const node& n, std::string_view bytes) const {
    for (std::uint32_t p = n.info.parent; p != part::none; p = tree_->nodes[p].info.parent) {
      const node& up = tree_->nodes[p];
      if (up.info.kind != part_kind::multipart) continue;
      const std::string* b = up.info.type.find("boundary");
      if (b != nullptr && !b->empty() && find_dash_boundary(bytes, *b) != std::string_view::npos) {
        return errc::mime_boundary_collision;
      }
    }
    return errc::ok;
  }

  // Adds edits that must not overlap the ones recorded. An edit of the
  // same span (or an insertion of the same field at the same point)
  // replaces the earlier one: setting a field twice keeps the last value.
  // An insertion may sit at the end of a replaced span, not at its start
  // or inside it (it would land in bytes that are gone).
  errc add(std::vector<edit> mine) {
    const auto conflict = [](const edit& a, const edit& b) {
      if (a.from == a.to && b.from == b.to) return false;  // two insertions
      if (a.from == a.to) return b.from <= a.from && a.from < b.to;
      if (b.from == b.to) return a.from <= b.from && b.from < a.to;
      return a.from < b.to && b.from < a.to;
    };
    std::vector<edit> kept;
    for (const edit& old : edits_) {
      bool replaced = false;
      for (const edit& e : mine) {
        if (e.from == old.from && e.to == old.to && e.key == old.key) {
          replaced = true;
        } else if (conflict(e, old)) {
          return errc::invalid_state;
        }
      }
      if (!replaced) kept.push_back(old);
    }
    for (edit& e : mine) kept.push_back(std::move(e));
    std::stable_sort(kept.begin(), kept.end(), [](const edit& a, const edit& b) { return a.from < b.from; });
    edits_ = std::move(kept);
    return errc::ok;
  }

  const tree* tree_;
  bool utf8_;
  std::vector<edit> edits_;  // sorted by position, not overlapping
};

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_EDITOR_HPP
