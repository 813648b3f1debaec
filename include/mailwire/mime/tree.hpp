// mailwire: the MIME tree view, for callers who want the whole message.
//
// parse_tree() runs the push parser (parser.hpp) over a message held in
// memory and keeps what its events said: every entity with its header
// fields, its children, and byte offsets into the message. Nothing is
// copied out of the message: header names and values, raw bodies and whole
// entities are views into it, so re-serialising an entity is taking its
// span, byte for byte. Bodies are decoded on demand.
//
//     const std::string raw = read_file(...);
//     mime::tree t = mime::parse_tree(raw);
//     if (const mime::node* text = t.text_body()) std::string s = t.text(*text);
//     for (const mime::node* a : t.attachments())
//       save(directory / a->safe_filename(), t.decoded_body(*a));   // never filename(): see filename.hpp
//
// Lifetimes: a tree views the message it was built from, which must outlive
// it. Memory: the tree's own size is linear in the number of entities and
// header fields (both bounded by parser_options), not in the body sizes.
#ifndef MAILWIRE_MIME_TREE_HPP
#define MAILWIRE_MIME_TREE_HPP

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/mime/address.hpp"
#include "mailwire/mime/charset.hpp"
#include "mailwire/mime/date.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/encoded_word.hpp"
#include "mailwire/mime/filename.hpp"
#include "mailwire/mime/message_id.hpp"
#include "mailwire/mime/parser.hpp"
#include "mailwire/mime/transfer_encoding.hpp"
#include "mailwire/mime/uuencode.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// One header field, as views into the message.
struct field {
  std::string_view name;   ///< as written (obsolete white space before ':' removed)
  std::string_view value;  ///< raw, after the colon, folding kept
  /// First byte of the field (its name).
  std::uint64_t offset = 0;
  std::uint64_t end = 0;   ///< one past its final line break
};

/// A file uuencoded inside a text part ("begin 644 name" ... "end").
struct uuencoded_file {
  /// The file name of the begin line, as written (see mime::safe_filename()).
  std::string name;
  /// The permission bits of the begin line (its octal number: "644" is 0644).
  std::uint32_t mode = 0;
  std::string data;             ///< decoded
  std::uint64_t offset = 0;     ///< of its begin line (of the part's body
                                ///< when the part is transfer-encoded)
};

/// One entity of the tree: the typed view the parser gave at part_end, its
/// fields and its children (indices into tree::nodes).
struct node {
  /// The typed view of the entity (type, disposition, encoding, offsets).
  part info;
  /// Its header fields, in order.
  std::vector<field> fields;
  /// Its child entities, indices into tree::nodes.
  std::vector<std::uint32_t> children;

  /// The first field named `name` (case-insensitive), or null.
  const field* find(std::string_view name) const noexcept {
    for (const field& f : fields) {
      if (ascii::iequals(f.name, name)) return &f;
    }
    return nullptr;
  }
  /// "type/subtype", lowercase.
  std::string content_type() const { return info.type.type + "/" + info.type.subtype; }
  /// The file name as the sender wrote it: Content-Disposition's filename,
  /// else Content-Type's name (both decoded from RFC 2231 or RFC 2047);
  /// empty when there is none. It may be "../../x", hold '/' or NUL, or name
  /// a device: show it, but create files under safe_filename().
  std::string_view filename() const noexcept {
    if (const std::string* f = info.disposition.find("filename")) return *f;
    if (const std::string* n = info.type.find("name")) return *n;
    return {};
  }
  /// filename() made safe to create in a directory (mime::safe_filename()
  /// in filename.hpp); `fallback` when there is no name or nothing of it is
  /// usable. When it differs from a non-empty filename(), parse_tree()
  /// reported errc::mime_unsafe_filename at the part's offset.
  std::string safe_filename(std::string_view fallback = "attachment") const {
    return mime::safe_filename(filename(), fallback);
  }
  /// True when Content-Disposition says attachment.
  bool is_attachment_disposition() const noexcept { return info.disposition.type == "attachment"; }

  // -- decoded header fields, for a message's node (the root, or the entity a
  //    message/rfc822 part holds). Each allocates its result; diagnostics
  //    of the reading go to `d`; `cs` converts the charsets of RFC 2047
  //    words (its hook is asked for those not built in). A missing field
  //    gives an empty result.

  /// Subject, RFC 2047 words decoded, as UTF-8.
  std::string subject(diagnostics* d = nullptr, const charset_options& cs = {}) const {
    return text_field("Subject", d, cs);
  }
  /// From, To, Cc, Bcc, Reply-To, Sender: every field of that name (a
  /// message may repeat To or Cc), display names decoded.
  std::vector<mailbox> from(diagnostics* d = nullptr, const charset_options& cs = {}) const {
    return addresses("From", d, cs);
  }
  /// To (see from()).
  std::vector<mailbox> to(diagnostics* d = nullptr, const charset_options& cs = {}) const {
    return addresses("To", d, cs);
  }
  /// Cc (see from()).
  std::vector<mailbox> cc(diagnostics* d = nullptr, const charset_options& cs = {}) const {
    return addresses("Cc", d, cs);
  }
  /// Bcc (see from()).
  std::vector<mailbox> bcc(diagnostics* d = nullptr, const charset_options& cs = {}) const {
    return addresses("Bcc", d, cs);
  }
  /// Reply-To (see from()).
  std::vector<mailbox> reply_to(diagnostics* d = nullptr, const charset_options& cs = {}) const {
    return addresses("Reply-To", d, cs);
  }
  /// Sender (see from()).
  std::vector<mailbox> sender(diagnostics* d = nullptr, const charset_options& cs = {}) const {
    return addresses("Sender", d, cs);
  }
  /// Date, with its zone offset (`valid` false when absent or unreadable;
  /// to_unix_seconds() and to_iso8601_utc() from date.hpp).
  date_time date(diagnostics* d = nullptr) const {
    const field* f = find("Date");
    return f != nullptr ? parse_date(f->value, d) : date_time{};
  }
  /// Message-ID without angle brackets (empty when absent or unreadable).
  std::string message_id(diagnostics* d = nullptr) const {
    std::vector<std::string> ids = ids_of("Message-ID", d);
    return ids.empty() ? std::string() : std::move(ids.front());
  }
  /// In-Reply-To and References: the message ids, in order.
  std::vector<std::string> in_reply_to(diagnostics* d = nullptr) const { return ids_of("In-Reply-To", d); }
  /// References: the message ids, without angle brackets.
  std::vector<std::string> references(diagnostics* d = nullptr) const { return ids_of("References", d); }
  /// Any unstructured field (Comments, Keywords' text, X-Mailer...) decoded.
  std::string text_field(std::string_view name, diagnostics* d = nullptr, const charset_options& cs = {}) const {
    const field* f = find(name);
    return f != nullptr ? decode_unstructured(f->value, d, cs) : std::string();
  }

 private:
  std::vector<mailbox> addresses(std::string_view name, diagnostics* d, const charset_options& cs) const {
    std::vector<mailbox> out;
    for (const field& f : fields) {
      if (!ascii::iequals(f.name, name)) continue;
      std::vector<mailbox> more = parse_address_list(f.value, d, cs);
      out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    return out;
  }
  std::vector<std::string> ids_of(std::string_view name, diagnostics* d) const {
    const field* f = find(name);
    return f != nullptr ? parse_message_ids(f->value, d) : std::vector<std::string>{};
  }
};

/// A whole message parsed in memory (parse_tree()): every entity with its
/// fields and offsets, views into the message, which must outlive the tree.
class tree {
 public:
  /// The message the tree views.
  std::string_view source;
  /// Every entity, in order of appearance: nodes[0] is the message itself,
  /// and nodes[i].info.index == i.
  std::vector<node> nodes;
  /// Everything the parser reported, in order.
  std::vector<diagnostic> diags;

  /// The message itself (nodes[0]).
  const node& root() const noexcept { return nodes.front(); }

  /// The entity's bytes, header and body: the line break before a
  /// following boundary is not part of it.
  std::string_view raw(const node& n) const noexcept { return span(n.info.offset, n.info.end); }
  /// The header block, its blank line included.
  std::string_view raw_header(const node& n) const noexcept { return span(n.info.offset, n.info.body_offset); }
  /// The body as it is in the message (still transfer-encoded).
  std::string_view raw_body(const node& n) const noexcept { return span(n.info.body_offset, n.info.end); }

  /// The body with its Content-Transfer-Encoding undone; diagnostics of
  /// the decoding (bad base64, bad QP escapes) go to `d`, with offsets into
  /// the message.
  std::string decoded_body(const node& n, diagnostics* d = nullptr) const {
    body_decoder decoder(n.info.encoding, n.info.body_offset);
    std::string out;
    decoder.decode(raw_body(n), out, d);
    decoder.finish(out, d);
    return out;
  }

  /// A text part's decoded body converted to UTF-8 from its charset. With
  /// no charset given, RFC 2045 5.2 says US-ASCII; 8-bit text without a
  /// label is, in today's mail, UTF-8 when it is well-formed UTF-8 (and is
  /// taken as such), else read as US-ASCII (8-bit bytes as windows-1252,
  /// see charset.hpp). An unknown charset gives the decoded bytes unchanged
  /// and charset_unknown in `d`.
  std::string text(const node& n, diagnostics* d = nullptr, const charset_options& o = {}) const {
    std::string body = decoded_body(n, d);
    std::string_view cs = n.info.charset();
    if (cs.empty()) cs = utf8::valid(body) ? "utf-8" : "us-ascii";
    std::string out;
    if (!to_utf8(cs, body, out, o)) {
      detail::report(d, errc::charset_unknown, n.info.offset);
      return body;
    }
    return out;
  }

  /// Files uuencoded inside a text leaf's decoded body (old mailers put
  /// attachments there), in order. Diagnostics of malformed blocks go to `d`.
  std::vector<uuencoded_file> uuencoded(const node& n, diagnostics* d = nullptr) const {
    std::vector<uuencoded_file> files;
    if (n.info.kind != part_kind::leaf || n.info.type.type != "text") return files;
    const std::string body = decoded_body(n, d);
    const bool exact = n.info.encoding == transfer_encoding::seven_bit ||
                       n.info.encoding == transfer_encoding::eight_bit || n.info.encoding == transfer_encoding::binary;
    std::optional<uudecoder> decoder;  // inside a begin ... end block
    uuencoded_file file;
    const auto close = [&] {
      decoder->finish(file.data, d);
      file.name = decoder->name();
      file.mode = decoder->mode();
      files.push_back(std::move(file));
      file = {};
      decoder.reset();
    };
    for (std::size_t at = 0; at < body.size();) {
      const std::size_t nl = body.find('\n', at);
      const std::size_t line_end = nl == std::string::npos ? body.size() : nl + 1;
      const std::string_view line = std::string_view(body).substr(at, line_end - at);
      if (!decoder && parse_uuencode_begin(line)) {
        file.offset = n.info.body_offset + (exact ? at : 0);
        decoder.emplace(file.offset);
      }
      if (decoder) {
        decoder->decode(line, file.data, d);
        if (decoder->ended()) close();
      }
      at = line_end;
    }
    if (decoder) close();
    return files;
  }

  /// The part a reader shows as the message's text: the first text/plain
  /// leaf that is not an attachment, preferring, inside a
  /// multipart/alternative, the plain alternative. Null when there is none.
  const node* text_body() const noexcept { return first_body("plain"); }
  /// Likewise for text/html (the richest alternative).
  const node* html_body() const noexcept { return first_body("html"); }

  /// The leaves that are not the text or HTML body and are meant as files:
  /// an attachment disposition, a file name, or a type that is not text;
  /// and message/rfc822 parts (the whole nested message). In order. A
  /// single-part message is such a leaf too: a lone application/pdf, or
  /// text with an attachment disposition, is its own one attachment (and
  /// not the text or HTML body).
  std::vector<const node*> attachments() const {
    std::vector<const node*> out;
    const node* text = text_body();
    const node* html = html_body();
    for (const node& n : nodes) {
      if (&n == text || &n == html || inside_attached_message(n)) continue;
      if (n.info.index == 0) {
        // The message itself is a file only when it is a leaf; a message/
        // rfc822 top entity is a wrapper, not something attached.
        if (n.info.kind == part_kind::leaf && is_file(n)) out.push_back(&n);
        continue;
      }
      // The entity a message/rfc822 holds is that message, not a file.
      if (nodes[n.info.parent].info.kind == part_kind::message) continue;
      if (n.info.kind == part_kind::message) {
        out.push_back(&n);
        continue;
      }
      if (n.info.kind == part_kind::leaf && is_file(n)) out.push_back(&n);
    }
    return out;
  }

 private:
  std::string_view span(std::uint64_t from, std::uint64_t to) const noexcept {
    if (from > source.size()) from = source.size();
    if (to > source.size()) to = source.size();
    return from < to ? source.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from))
                     : std::string_view();
  }

  // Inside a message/rfc822 part (not the message itself, whatever its
  // type): its parts belong to the nested message.
  bool inside_attached_message(const node& n) const noexcept {
    for (std::uint32_t p = n.info.parent; p != part::none && p != 0; p = nodes[p].info.parent) {
      if (nodes[p].info.kind == part_kind::message) return true;
    }
    return false;
  }

  // A leaf meant as a file rather than read inline (when it is not the
  // text or HTML body).
  static bool is_file(const node& n) noexcept {
    return n.is_attachment_disposition() || !n.filename().empty() || n.info.type.type != "text";
  }

  const node* first_body(std::string_view subtype) const noexcept {
    for (const node& n : nodes) {
      if (n.info.kind != part_kind::leaf || inside_attached_message(n)) continue;
      if (n.info.type.type != "text" || n.info.type.subtype != subtype) continue;
      if (n.is_attachment_disposition()) continue;
      return &n;
    }
    return nullptr;
  }
};

/// Parses `message` (all of it, in memory) into a tree. Never fails: a
/// malformed message gives a tree and diagnostics. Bodies are not decoded
/// here (see tree::decoded_body), so the diagnostics are those of the
/// structure and headers, and errc::mime_unsafe_filename at the offset of
/// each part whose file name is not safe to use as it is (after the
/// parser's diagnostics of its header block).
inline tree parse_tree(std::string_view message, parser_options options = {}) {
  options.decode = false;
  tree t;
  t.source = message;
  parser p(options);
  const auto take = [&](const event& e) {
    switch (e.type) {
      case event_type::header: {
        const part& at = *e.entity;
        if (t.nodes.size() <= at.index) t.nodes.resize(at.index + 1);
        t.nodes[at.index].fields.push_back(
            {message.substr(static_cast<std::size_t>(e.field.offset), e.field.name.size()),
             message.substr(static_cast<std::size_t>(e.field.value_offset), e.field.value.size()), e.field.offset,
             e.field.end});
        break;
      }
      case event_type::part_begin:
      case event_type::part_end: {
        const part& at = *e.entity;
        if (t.nodes.size() <= at.index) t.nodes.resize(at.index + 1);
        node& n = t.nodes[at.index];
        n.info = at;
        if (e.type != event_type::part_begin) break;
        if (at.parent != part::none) t.nodes[at.parent].children.push_back(at.index);
        const std::string_view name = n.filename();
        if (!name.empty() && safe_filename(name) != name) t.diags.push_back({errc::mime_unsafe_filename, at.offset});
        break;
      }
      case event_type::diagnostic:
        t.diags.push_back(e.diag);
        break;
      default:
        break;
    }
  };
  std::string_view rest = message;
  while (!rest.empty()) {
    rest.remove_prefix(p.feed(rest));
    for (event e = p.next(); e.type != event_type::need_more; e = p.next()) take(e);
  }
  p.finish();
  for (event e = p.next(); e.type != event_type::end; e = p.next()) take(e);
  return t;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_TREE_HPP
