// mailwire: msg-id lists (Message-ID, In-Reply-To, References, Content-ID:
// RFC 5322 3.6.4, obsolete forms of RFC 5322 4.5.4).
//
// Ids are returned without angle brackets, CFWS inside them removed
// ("<a @ b (c) . d>" is "a@b.d"), quoted local parts with their quotes.
// When the value has bracketed ids, words outside brackets (the obsolete
// phrases of In-Reply-To) are ignored. When it has none, each
// whitespace-separated word is taken as an id (errc::mime_bad_message_id).
// Empty ids ("<>") are dropped and ids without '@' kept, both reported;
// an unclosed '<' ends at the end of the value (errc::mime_unbalanced).
#ifndef MAILWIRE_MIME_MESSAGE_ID_HPP
#define MAILWIRE_MIME_MESSAGE_ID_HPP

#include <string>
#include <string_view>
#include <vector>

#include "mailwire/mime/address.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/header_lexer.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// Parses a list of msg-ids into the ids, in order, without brackets, as
/// UTF-8; never fails. Diagnostics go to `d`.
inline std::vector<std::string> parse_message_ids(std::string_view value, diagnostics* d = nullptr) {
  detail::check_8bit(value, d);
  std::vector<std::string> out;
  bool bracketed = false;
  {
    header_lexer probe(value, lex_mode::rfc5322, nullptr);
    for (token t = probe.next(); t.kind != token_kind::end; t = probe.next()) {
      if (t.kind == token_kind::special && t.special == '<') bracketed = true;
    }
  }
  header_lexer lx(value, lex_mode::rfc5322, d);
  const auto add = [&](std::string id, std::size_t at) {
    if (id.empty()) {
      detail::report(d, errc::mime_bad_message_id, at);
      return;
    }
    if (id.find('@') == std::string::npos) detail::report(d, errc::mime_bad_message_id, at);
    out.push_back(std::move(id));
  };
  std::string bare;
  std::size_t bare_at = 0;
  for (token t = lx.next_skipping_comments(); t.kind != token_kind::end; t = lx.next_skipping_comments()) {
    if (!bracketed) {
      // obs: ids without brackets, one per whitespace-separated word.
      if (t.space_before && !bare.empty()) add(std::move(bare), bare_at), bare.clear();
      if (bare.empty()) bare_at = t.offset;
      detail::append_addr(bare, t);
      continue;
    }
    if (!(t.kind == token_kind::special && t.special == '<')) continue;
    std::string id;
    detail::read_angle(lx, t, id, nullptr, d);
    add(std::move(id), t.offset);
  }
  if (!bare.empty()) {
    detail::report(d, errc::mime_bad_message_id, bare_at);
    add(std::move(bare), bare_at);
  }
  return out;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_MESSAGE_ID_HPP
