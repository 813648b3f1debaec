// mailwire: the values the MIME push parser hands out.
//
// mime::parser (parser.hpp) reports a message as a sequence of `event`s:
// header fields, the typed view of each entity (`part`) once its header
// block has ended, body chunks, the entity's end, and diagnostics. The order
// of events and what each carries are described in parser.hpp; the tree
// view (tree.hpp) keeps the `part` of every entity. These types are plain
// values with no behaviour of their own, so code that only consumes events
// (a filter, an indexer, a test) can include this header alone.
//
// Lifetimes: an event's views (`field`, `data`) and its `entity` pointer
// point into the parser and are valid until the next non-const call on it;
// copy a `part` to keep it.
#ifndef MAILWIRE_MIME_EVENT_HPP
#define MAILWIRE_MIME_EVENT_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/mime/content_type.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/transfer_encoding.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

enum class event_type : std::uint8_t {
  need_more,   ///< all fed input is parsed: feed() more, or finish()
  header,      ///< one header field: `field`
  part_begin,  ///< the header block ended: `entity` is typed
  body,        ///< a chunk of a leaf's body: `data` (decoded unless raw)
  preamble,    ///< a chunk of a multipart's preamble: `data` (raw)
  epilogue,    ///< a chunk of a multipart's epilogue: `data` (raw)
  part_end,    ///< the entity ended: `entity` has its end offsets
  diagnostic,  ///< something malformed or ambiguous: `diag`
  end,         ///< finish() was called and everything is reported
};

/// How an entity's body is read.
enum class part_kind : std::uint8_t {
  leaf,       ///< a body of bytes
  multipart,  ///< preamble, child entities, epilogue
  message,    ///< one nested entity (message/rfc822, message/global)
};

/// The typed view of one entity. Offsets are into the whole input.
struct part {
  /// No entity: the parent of the message itself.
  static constexpr std::uint32_t none = 0xFFFFFFFFu;
  std::uint32_t index = 0;         ///< order of appearance; 0 is the message
  std::uint32_t parent = none;     ///< the enclosing entity's index
  std::uint32_t depth = 0;         ///< 0 for the message itself
  std::uint32_t fields = 0;        ///< header fields seen
  /// How the body is read: a leaf, a multipart or a nested message.
  part_kind kind = part_kind::leaf;
  /// Content-Transfer-Encoding (seven_bit when absent; unknown, read as binary).
  transfer_encoding encoding = transfer_encoding::seven_bit;
  std::uint64_t offset = 0;        ///< first byte of the header block
  std::uint64_t body_offset = 0;   ///< first byte of the body (part_begin on)
  std::uint64_t end = 0;           ///< (part_end) end of the entity: the line
                                   ///< break before a boundary is not in it
  std::uint64_t size = 0;          ///< (part_end) body bytes delivered
  bool closed = false;             ///< (part_end) a multipart's close
                                   ///< boundary was seen
  content_type type;               ///< text/plain when absent (message/rfc822
                                   ///< inside multipart/digest)
  content_disposition disposition; ///< type empty when absent
  std::string content_id;          ///< without its angle brackets; the bytes
                                   ///< as written (maybe not UTF-8)

  /// The charset parameter, or empty.
  std::string_view charset() const noexcept {
    const std::string* c = type.find("charset");
    return c != nullptr ? std::string_view(*c) : std::string_view();
  }
};

/// One header field as received. `value` is everything after the colon up
/// to the field's final line break (excluded), folding kept: the header
/// syntax functions (content_type.hpp, address.hpp...) take it as is.
struct header_field {
  std::string_view raw;            ///< the whole field, final line break excluded
  /// The field name as written.
  std::string_view name;
  /// Everything after the colon, folding kept (see above).
  std::string_view value;
  std::uint64_t offset = 0;        ///< first byte of the name
  std::uint64_t value_offset = 0;  ///< first byte after the colon
  std::uint64_t end = 0;           ///< one past the final line break
};

/// One thing the parser reports; which members are set depends on `type`.
struct event {
  /// What happened (see event_type).
  event_type type = event_type::need_more;
  /// The entity the event belongs to (all but need_more, end, and
  /// diagnostics raised outside any entity). At `header` it is not typed yet.
  const part* entity = nullptr;
  header_field field;              ///< header
  std::string_view data;           ///< body, preamble, epilogue
  std::uint64_t offset = 0;        ///< input offset of the first raw byte
                                   ///< `data` came from; of a field; of
                                   ///< an entity (part_begin/part_end)
  diagnostic diag;                 ///< diagnostic
};

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_EVENT_HPP
