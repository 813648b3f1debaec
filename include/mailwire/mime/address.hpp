// mailwire: address lists (From, To, Cc, Reply-To...: RFC 5322 3.4, the
// obsolete forms of RFC 5322 4.4, UTF-8 per RFC 6532).
//
// The result is flat: one `mailbox` per address, each carrying the name of
// the group it is in (empty outside groups). A group without members
// ("Undisclosed recipients:;") yields one entry with an empty address and
// name, so it is not lost. Readings of what real mail does:
//  - comments: with no display name, the comments are the name
//    ("user@host (Name)"); with one, they are appended in parentheses
//    ("John (my dear friend)"), so what a reader would see is kept; a
//    comment alone names nobody and is dropped;
//  - obsolete routes (<@a,@b:user@c>) are dropped (errc::mime_address_route);
//  - CFWS inside an addr-spec is removed ("jdoe@test . example" is
//    "jdoe@test.example"); a quoted local part keeps its quotes;
//  - missing angle brackets ("Name user@host"): the addr-spec is the words
//    around the '@', the rest the name (errc::mime_bad_address);
//  - words after the angle address become (part of) the name; a single
//    word without '@' is taken as the address, several as a name without
//    address (errc::mime_bad_address);
//  - words and another angle address after an angle address are a missing
//    comma ("Bob <bob@x> Bobby <bobby@x>"): two mailboxes, as GMime reads
//    it (errc::mime_bad_address at the second '<');
//  - unbalanced quotes, comments and brackets end at the end of the value
//    (errc::mime_unbalanced); empty items (", ,") are skipped.
// Names are decoded (RFC 2047, also inside quotes) to UTF-8; addresses are
// as written (UTF-8, 8-bit bytes read as windows-1252).
#ifndef MAILWIRE_MIME_ADDRESS_HPP
#define MAILWIRE_MIME_ADDRESS_HPP

#include <cstddef>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/encoded_word.hpp"
#include "mailwire/mime/header_lexer.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// One address of an address list.
struct mailbox {
  mailbox() = default;
  /// An address to write (mime::builder): display name (may be empty) and
  /// addr-spec.
  mailbox(std::string display_name, std::string addr_spec, std::string group_name = {})
      : name(std::move(display_name)), address(std::move(addr_spec)), group(std::move(group_name)) {}

  std::string name;     ///< display name (or comments), UTF-8; may be empty
  std::string address;  ///< addr-spec without angle brackets; empty only for a group marker or a name without address
  std::string group;    ///< the group's display name; empty outside groups
};

namespace detail {

// The raw text of an addr-spec piece, folds removed, as UTF-8.
inline void append_addr(std::string& out, const token& t) {
  std::string bytes;
  for (char c : t.raw) {
    if (c != '\r' && c != '\n') bytes.push_back(c);
  }
  append_text(out, bytes);
}

inline bool ends_dot(const token& t) noexcept { return !t.raw.empty() && t.raw.back() == '.'; }
inline bool starts_dot(const token& t) noexcept { return !t.raw.empty() && t.raw.front() == '.'; }
// Tokens a and b (a before b) belong to one dot-atom or addr-spec.
inline bool joined(const token& a, const token& b) noexcept {
  return !b.space_before || ends_dot(a) || starts_dot(b);
}

// Reads what follows '<' up to '>' (RFC 5322 3.4 angle-addr, 3.6.4
// msg-id) into `addr`, CFWS removed; the comments' text goes to `comments`
// when it is not null. An unclosed '<' ends at the end of the value.
inline void read_angle(header_lexer& lx, const token& open, std::string& addr, std::vector<std::string>* comments,
                       diagnostics* d, const charset_options& cs = {}) {
  for (token t = lx.next(); t.kind != token_kind::end; t = lx.next()) {
    if (t.kind == token_kind::special && t.special == '>') return;
    if (t.kind != token_kind::comment) {
      append_addr(addr, t);
    } else if (comments != nullptr) {
      comments->push_back(comment_text(t, d, cs));
    }
  }
  report(d, errc::mime_unbalanced, open.offset);
}

class address_parser {
 public:
  address_parser(std::string_view value, diagnostics* d, const charset_options& cs)
      : lx_(value, lex_mode::rfc5322, d), d_(d), cs_(cs) {}

  std::vector<mailbox> run() {
    for (token t = lx_.next();; t = lx_.next()) {
      if (t.kind == token_kind::end) break;
      if (t.kind == token_kind::comment) {
        comments_.push_back(comment_text(t, d_, cs_));
        if (words_.empty() && !angle_) start_ = t.offset;
        continue;
      }
      if (t.kind == token_kind::special) {
        if (t.special == ',') {
          finish();
          continue;
        }
        if (t.special == ';') {
          finish();
          if (in_group_) {
            close_group();
          } else {
            report(d_, errc::mime_bad_address, t.offset);
          }
          continue;
        }
        if (t.special == ':' && !in_group_ && !angle_ && !words_.empty()) {
          group_ = item_name(words_);
          in_group_ = true;
          members_ = 0;
          clear();
          continue;
        }
        if (t.special == '<') {
          angle(t);
          continue;
        }
        if (t.special == '>' || t.special == ')' || t.special == ']') {
          report(d_, errc::mime_unbalanced, t.offset);
          continue;
        }
        if (t.special == ':') report(d_, errc::mime_bad_address, t.offset);
      }
      if (words_.empty() && comments_.empty()) start_ = t.offset;
      (angle_ ? after_ : words_).push_back(t);
    }
    finish();
    if (in_group_) {
      report(d_, errc::mime_bad_address, lx_.input().size());
      close_group();
    }
    return std::move(out_);
  }

 private:
  // RFC 5322 3.4 angle-addr (and obs-angle-addr with its route).
  void angle(const token& open) {
    if (angle_ && !after_.empty()) {
      // name-addr, phrase, angle-addr: a comma is missing between two
      // mailboxes; the phrase names the second.
      report(d_, errc::mime_bad_address, open.offset);
      std::vector<token> next = std::move(after_);
      after_.clear();
      finish();
      start_ = next.front().offset;
      words_ = std::move(next);
    } else if (angle_) {
      report(d_, errc::mime_bad_address, open.offset);
    }
    std::string addr;
    read_angle(lx_, open, addr, &comments_, d_, cs_);
    if (!addr.empty() && addr.front() == '@' && addr.find(':') != std::string::npos) {
      report(d_, errc::mime_address_route, open.offset + 1);
      addr.erase(0, addr.find(':') + 1);
    }
    if (!angle_) address_ = std::move(addr);
    angle_ = true;
  }

  // The display name: phrase words, then the comments.
  std::string item_name(const std::vector<token>& words) {
    text_builder b(d_, cs_);
    for (std::size_t i = 0; i < words.size(); ++i) phrase_token(b, words[i], i == 0, d_);
    std::string name = b.finish(false);
    std::string comments;
    for (const std::string& c : comments_) {
      if (c.empty()) continue;
      if (!comments.empty()) comments.push_back(' ');
      comments.append(c);
    }
    if (comments.empty()) return name;
    if (name.empty()) return comments;
    return name + " (" + comments + ")";
  }

  void finish() {
    mailbox m;
    if (angle_) {
      m.address = std::move(address_);
      if (!after_.empty()) {
        report(d_, errc::mime_bad_address, after_.front().offset);
        words_.insert(words_.end(), after_.begin(), after_.end());
      }
      m.name = item_name(words_);
    } else if (!words_.empty()) {
      bare(m);
    }
    if (!m.address.empty() || !m.name.empty()) {
      m.group = group_;
      out_.push_back(std::move(m));
      ++members_;
    }
    clear();
  }

  // An item without angle brackets: addr-spec, maybe with words around it.
  void bare(mailbox& m) {
    std::size_t at = 0;
    while (at < words_.size() && !(words_[at].kind == token_kind::special && words_[at].special == '@')) ++at;
    if (at == words_.size()) {
      report(d_, errc::mime_bad_address, start_);
      if (words_.size() == 1 && words_.front().kind == token_kind::atom) {
        append_addr(m.address, words_.front());
        words_.clear();
      }
      m.name = item_name(words_);
      return;
    }
    std::size_t first = at;
    while (first > 0 && (first == at || joined(words_[first - 1], words_[first]))) --first;
    std::size_t last = at + 1;
    while (last < words_.size() && (last == at + 1 || joined(words_[last - 1], words_[last]))) ++last;
    for (std::size_t i = first; i < last; ++i) append_addr(m.address, words_[i]);
    std::vector<token> rest(words_.begin(), words_.begin() + static_cast<std::ptrdiff_t>(first));
    rest.insert(rest.end(), words_.begin() + static_cast<std::ptrdiff_t>(last), words_.end());
    if (!rest.empty()) report(d_, errc::mime_bad_address, start_);
    m.name = item_name(rest);
  }

  void close_group() {
    if (members_ == 0) {
      mailbox m;
      m.group = group_;
      out_.push_back(std::move(m));
    }
    in_group_ = false;
    group_.clear();
  }

  void clear() {
    words_.clear();
    after_.clear();
    comments_.clear();
    address_.clear();
    angle_ = false;
  }

  header_lexer lx_;
  diagnostics* d_;
  const charset_options& cs_;
  std::vector<mailbox> out_;
  std::vector<token> words_;  // before an angle address
  std::vector<token> after_;  // after it
  std::vector<std::string> comments_;
  std::string address_;
  std::string group_;
  std::size_t members_ = 0;
  std::size_t start_ = 0;
  bool angle_ = false;
  bool in_group_ = false;
};
}  // namespace detail

/// Parses an address-list or mailbox-list value (RFC 5322 3.4) into its
/// addresses, in order; never fails (see the top of this file for the
/// readings of malformed input). Diagnostics go to `d`; `cs` converts the
/// charsets of encoded-words in names (see decode_unstructured).
inline std::vector<mailbox> parse_address_list(std::string_view value, diagnostics* d = nullptr,
                                               const charset_options& cs = {}) {
  detail::check_8bit(value, d);
  return detail::address_parser(value, d, cs).run();
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_ADDRESS_HPP
