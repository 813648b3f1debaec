// mailwire: ENVELOPE and BODYSTRUCTURE built from a parsed MIME message
// (mime::tree), the way Dovecot computes them, for an IMAP server.
//
// This is the only imap/ header that includes the MIME layer; imap.hpp does
// not include it. The rules follow Dovecot 2.3's lib-mail and lib-imap
// (message-parser.c, message-part-data.c, message-address.c,
// rfc822-parser.c, rfc2231-parser.c, imap-bodystructure.c, imap-envelope.c,
// imap-quote.c), read for their behaviour:
//
//  - Content-* fields count only in a MIME entity: a part of a multipart, or
//    a message (the top one or one inside message/rfc822) with a
//    MIME-Version or Content-Type field. Elsewhere the part is text/plain.
//    The first Content-Type, -Transfer-Encoding, -ID, -Description, -MD5,
//    -Language and -Location count; later ones are ignored.
//  - Types, subtypes, parameter names and values are as written (not
//    lowercased, not decoded): RFC 2231 continuations are joined, an
//    extended value stays "charset'lang'%XX" under "name*". A text part
//    without a charset parameter gets ("charset" "us-ascii"); a part
//    without Content-Transfer-Encoding gets "7bit".
//  - A Content-Type that does not parse is "" "" (or "type" "" when only
//    the subtype is missing), its parameters dropped. A multipart/* without
//    a usable boundary has one child, an empty text/plain. message/rfc822
//    carries the enclosed message's envelope and body; message/global is a
//    basic part (Dovecot 2.3 does not look into it).
//  - Sizes are in octets of the body as the message has it with CRLF line
//    ends (a bare LF counts two), lines are its line ends.
//  - ENVELOPE: the last Date, Subject, In-Reply-To and Message-ID count,
//    every From/Sender/Reply-To/To/Cc/Bcc adds its addresses; Sender and
//    Reply-To default to From. Subjects and display names are written "for
//    humans" (white space runs become one space, none at the ends);
//    encoded-words stay encoded. Addresses Dovecot cannot read get the
//    placeholders MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR and
//    INVALID_ROUTE as Dovecot fills them in.
//
// The results hold views: into the message text the tree views, and into a
// mime_text_store for the strings built here. Both must outlive the result.
#ifndef MAILWIRE_IMAP_FROM_MIME_HPP
#define MAILWIRE_IMAP_FROM_MIME_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/error.hpp"
#include "mailwire/imap/bodystructure.hpp"
#include "mailwire/imap/envelope.hpp"
#include "mailwire/mime/tree.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// Owns the strings an envelope or body_structure built by from_mime points
/// into (unfolded field values, joined parameters, defaults). Clearing it
/// invalidates those views; reuse it for the next message.
class mime_text_store {
 public:
  /// Keeps `s`; returns a view of it, valid until clear().
  std::string_view keep(std::string s) {
    strings_.push_back(std::move(s));
    return strings_.back();
  }
  /// Drops every string kept (their views become invalid).
  void clear() noexcept { strings_.clear(); }

 private:
  std::deque<std::string> strings_;  // a deque: growing never moves a kept string
};

namespace detail {

// RFC 822 atext as Dovecot's rfc822-parser reads it: 8-bit bytes are atext;
// '/', '=' and '?' are atext but MIME tspecials.
enum : std::uint8_t { atext_plain = 1, atext_tspecial = 2 };
constexpr std::array<std::uint8_t, 256> make_atext_table() {
  std::array<std::uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    if (i >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      t[static_cast<std::size_t>(i)] = atext_plain;
      continue;
    }
    for (const char a : std::string_view("!#$%&'*+-^_`{|}~"))
      if (c == a) t[static_cast<std::size_t>(i)] = atext_plain;
    if (c == '/' || c == '=' || c == '?') t[static_cast<std::size_t>(i)] = atext_tspecial;
  }
  return t;
}
inline constexpr std::array<std::uint8_t, 256> atext_table = make_atext_table();
constexpr bool is_atext(char c) noexcept { return atext_table[static_cast<unsigned char>(c)] != 0; }
constexpr bool is_mime_token_char(char c) noexcept {
  return atext_table[static_cast<unsigned char>(c)] == atext_plain || c == '.';
}

// A cursor over one field value with the token rules of Dovecot's
// rfc822-parser: each reader returns -1 on a syntax error, 0 when it ended
// at the end of the value, 1 when more follows; readers skip the white
// space and comments after their token.
class rfc822_reader {
 public:
  explicit rfc822_reader(std::string_view s, std::string* last_comment = nullptr) noexcept
      : s_(s), comment_(last_comment) {}

  bool at_end() const noexcept { return i_ >= s_.size(); }
  char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip() noexcept { ++i_; }
  std::size_t pos() const noexcept { return i_; }
  void seek(std::size_t p) noexcept { i_ = p; }
  int more() const noexcept { return at_end() ? 0 : 1; }

  int skip_lwsp() {
    while (!at_end()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++i_;
        continue;
      }
      if (c != '(') break;
      if (skip_comment() < 0) return -1;
    }
    return more();
  }

  int atom(std::string& out) {
    if (at_end() || !is_atext(peek())) return -1;
    const std::size_t start = i_;
    while (!at_end() && is_atext(peek())) ++i_;
    out.append(s_.substr(start, i_ - start));
    return at_end() ? 0 : skip_lwsp();
  }

  // dot-atom, with white space allowed around the dots (RFC 822).
  int dot_atom(std::string& out) {
    if (at_end() || !is_atext(peek())) return -1;
    for (;;) {
      const std::size_t start = i_;
      while (!at_end() && is_atext(peek())) ++i_;
      if (start == i_) return -1;
      out.append(s_.substr(start, i_ - start));
      if (at_end()) return 0;
      const int r = skip_lwsp();
      if (r <= 0) return r;
      if (peek() != '.') return 1;
      ++i_;
      out.push_back('.');
      if (skip_lwsp() <= 0) return -1;
    }
  }

  int mime_token(std::string& out) {
    const std::size_t start = i_;
    while (!at_end() && is_mime_token_char(peek())) ++i_;
    out.append(s_.substr(start, i_ - start));
    return at_end() ? 0 : skip_lwsp();
  }

  // quoted-string: content with quoted-pairs undone and folds' line breaks
  // dropped.
  int quoted(std::string& out) {
    ++i_;  // the opening quote
    while (!at_end()) {
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return skip_lwsp();
      }
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) return -1;
        const char n = s_[i_ + 1];
        if (n == '\r' || n == '\n' || n == '\0') {  // obs-qp: the backslash stays
          out.push_back(c);
          ++i_;
          continue;
        }
        out.push_back(n);
        i_ += 2;
        continue;
      }
      if (c == '\n') {
        if (!out.empty() && out.back() == '\r') out.pop_back();
      } else {
        out.push_back(c);
      }
      ++i_;
    }
    return -1;
  }

  // phrase: words (atoms with dots, quoted strings) joined by one space.
  int phrase(std::string& out) {
    if (at_end()) return 0;
    if (peek() == '.') return -1;
    for (;;) {
      int r;
      if (peek() == '"') {
        r = quoted(out);
      } else {
        const std::size_t start = i_;
        while (!at_end() && (is_atext(peek()) || peek() == '.')) ++i_;
        out.append(s_.substr(start, i_ - start));
        r = at_end() ? 0 : skip_lwsp();
      }
      if (r <= 0) return r;
      if (!is_atext(peek()) && peek() != '"' && peek() != '.') break;
      out.push_back(' ');
    }
    return skip_lwsp();
  }

  // "@" domain: a domain literal kept with its brackets, or a dot-atom.
  int domain(std::string& out) {
    ++i_;  // '@'
    if (skip_lwsp() <= 0) return -1;
    if (peek() != '[') return dot_atom(out);
    const std::size_t start = i_;
    ++i_;
    std::size_t from = start;
    while (!at_end()) {
      const char c = s_[i_];
      if (c == '[') return -1;
      if (c == ']') {
        out.append(s_.substr(from, i_ - from + 1));
        ++i_;
        return skip_lwsp();
      }
      if (c == '\n') {
        std::size_t len = i_ - from;
        if (len > 0 && s_[from + len - 1] == '\r') --len;
        out.append(s_.substr(from, len));
        from = i_ + 1;
      } else if (c == '\\') {
        ++i_;  // the backslash is kept in the output
        if (at_end()) return -1;
      }
      ++i_;
    }
    return -1;
  }

 private:
  int skip_comment() {
    if (comment_ != nullptr) comment_->clear();
    int level = 1;
    ++i_;
    while (!at_end()) {
      const char c = s_[i_];
      if (c == '(') {
        ++level;
      } else if (c == ')') {
        if (--level == 0) {
          ++i_;
          return more();
        }
      } else if (c == '\\') {
        if (i_ + 1 >= s_.size()) return -1;
        const char n = s_[i_ + 1];
        if (n != '\r' && n != '\n' && n != '\0') {
          if (comment_ != nullptr) comment_->push_back(n);
          i_ += 2;
          continue;
        }
      } else if (c == '\n') {
        if (comment_ != nullptr && !comment_->empty() && comment_->back() == '\r') comment_->pop_back();
        ++i_;
        continue;
      }
      if (comment_ != nullptr) comment_->push_back(c);
      ++i_;
    }
    return -1;
  }

  std::string_view s_;
  std::string* comment_;
  std::size_t i_ = 0;
};

// A field value as Dovecot's header parser hands it on: the white space
// after the colon skipped (all of it, unless the value is only white
// space), folds kept.
inline std::string_view field_value(std::string_view v) noexcept {
  std::size_t k = 0;
  while (k < v.size() && (v[k] == ' ' || v[k] == '\t')) ++k;
  if (k == v.size()) return v.substr(v.empty() ? 0 : 1);
  return v.substr(k);
}

// Dovecot's message_header_strdup: NUL becomes U+FFFD.
inline std::string header_string(std::string_view v) {
  std::string r;
  r.reserve(v.size());
  for (const char c : v) {
    if (c == '\0')
      r.append("\xEF\xBF\xBD");
    else
      r.push_back(c);
  }
  return r;
}

// imap_append_nstring_nolf: CR and LF before white space (or at the end)
// dropped, before anything else replaced by a space.
inline std::string no_line_breaks(std::string_view v) {
  std::string r;
  r.reserve(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    const char c = v[k];
    if (c != '\r' && c != '\n') {
      r.push_back(c);
      continue;
    }
    const char n = k + 1 < v.size() ? v[k + 1] : '\0';
    if (n != ' ' && n != '\t' && n != '\r' && n != '\n' && n != '\0') r.push_back(' ');
  }
  return r;
}

// imap_append_string_for_humans: runs of SP, TAB, CR, LF become one space,
// none at either end; NUL becomes 0x80.
inline std::string for_humans(std::string_view v) {
  std::string r;
  r.reserve(v.size());
  bool space = true;  // no space at the start
  for (const char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!space) r.push_back(' ');
      space = true;
      continue;
    }
    r.push_back(c == '\0' ? '\x80' : c);
    space = false;
  }
  if (!r.empty() && r.back() == ' ') r.pop_back();
  return r;
}

// -- addresses (message-address.c with MESSAGE_ADDRESS_PARSE_FLAG_FILL_MISSING)

struct raw_address {
  std::optional<std::string> name, route, mailbox, domain;
  bool invalid = false;
};

class address_reader {
 public:
  address_reader(std::string_view value, std::vector<raw_address>& out) : r_(value, &comment_), out_(out) {}

  void read() {
    if (r_.skip_lwsp() <= 0) return;
    for (;;) {
      const int ret = address();
      if (ret == 0) break;
      if (r_.at_end() || r_.peek() != ',') break;
      r_.skip();
      const int l = r_.skip_lwsp();
      if (l <= 0) {
        if (l < 0) add_fixed();  // ends with garbage
        break;
      }
    }
  }

 private:
  void add() {
    out_.push_back(std::move(a_));
    a_ = raw_address{};
  }
  void add_fixed() {
    if (!a_.mailbox) {
      a_.mailbox = "MISSING_MAILBOX";
      a_.invalid = true;
    }
    if (!a_.domain || a_.domain->empty()) {
      a_.domain = "MISSING_DOMAIN";
      a_.invalid = true;
    }
    add();
  }

  // local-part: a quoted string, or atoms and dots (non-strict dots).
  int local_part() {
    std::string s;
    int ret;
    if (r_.peek() == '"') {
      ret = r_.quoted(s);
    } else {
      ret = -1;
      do {
        while (r_.peek() == '.' && !r_.at_end()) {
          s.push_back('.');
          r_.skip();
          if (r_.at_end()) {  // "@domain" missing, the local part read
            a_.mailbox = s;
            return 0;
          }
          ret = 1;
        }
        if (r_.peek() == '@') break;
        ret = r_.atom(s);
      } while (ret > 0 && r_.peek() == '.');
    }
    if (ret < 0) return -1;
    a_.mailbox = std::move(s);
    return ret;
  }

  int domain() {
    std::string s;
    const int ret = r_.domain(s);
    if (ret < 0) return -1;
    a_.domain = std::move(s);
    return ret;
  }

  // obs-domain-list: "@" domain *("," "@" domain)
  int domain_list() {
    std::string s;
    for (;;) {
      if (r_.at_end()) return 0;
      if (r_.peek() != '@') break;
      if (!s.empty()) s.push_back(',');
      s.push_back('@');
      const int ret = r_.domain(s);
      if (ret <= 0) return ret;
      while (r_.skip_lwsp() > 0 && r_.peek() == ',') r_.skip();
    }
    a_.route = std::move(s);
    return 1;
  }

  int angle_addr() {
    r_.skip();  // '<'
    if (r_.skip_lwsp() <= 0) return -1;
    if (r_.peek() == '@') {
      if (domain_list() > 0 && r_.peek() == ':') {
        r_.skip();
      } else {
        a_.route = "INVALID_ROUTE";
        if (r_.at_end()) return -1;
      }
      if (r_.skip_lwsp() <= 0) return -1;
    }
    if (r_.peek() != '>') {
      if (local_part() <= 0) return -1;
      if (r_.peek() == '@' && domain() <= 0) return -1;
    }
    if (r_.peek() != '>') return -1;
    r_.skip();
    return r_.skip_lwsp();
  }

  int name_addr() {
    std::string s;
    if (r_.phrase(s) <= 0 || r_.peek() != '<') return -1;
    if (!s.empty()) a_.name = std::move(s);
    if (angle_addr() < 0) {
      a_.domain = "SYNTAX_ERROR";
      a_.invalid = true;
    }
    return r_.at_end() ? 0 : 1;
  }

  int addr_spec() {
    comment_.clear();
    const bool quoted = r_.peek() == '"';
    int ret = local_part();
    if (ret <= 0) a_.invalid = true;
    int ret2 = -2;
    if (ret != 0 && !r_.at_end() && r_.peek() == '@') {
      ret2 = domain();
      if (ret2 <= 0) ret = ret2;
    }
    if (!comment_.empty()) {
      a_.name = comment_;
    } else if (ret2 == -2) {
      // "user" alone is a mailbox; "user and more words" a display name.
      std::string s = a_.mailbox.value_or(std::string());
      s.push_back(' ');
      const std::size_t before = s.size();
      (void)r_.phrase(s);
      if (s.size() != before) {
        a_.mailbox.reset();
        a_.name = std::move(s);
      } else if (!quoted) {
        a_.domain = std::string();
      }
      a_.invalid = true;
      ret = -1;
    }
    return ret;
  }

  int mailbox() {
    const std::size_t start = r_.pos();
    int ret = name_addr();
    if (ret < 0) {
      r_.seek(start);
      a_ = raw_address{};
      ret = addr_spec();
      if (a_.invalid && !a_.name && a_.mailbox && !a_.domain) {
        a_.name = std::move(a_.mailbox);
        a_.mailbox.reset();
      }
    }
    if (ret < 0) a_.invalid = true;
    add_fixed();
    return ret;
  }

  int group() {
    std::string s;
    if (r_.phrase(s) <= 0 || r_.peek() != ':') return -1;
    r_.skip();
    int ret = r_.skip_lwsp();
    if (ret <= 0) a_.invalid = true;
    a_.mailbox = std::move(s);
    add();
    if (ret > 0 && r_.peek() != ';') {
      for (;;) {
        (void)mailbox();
        if (r_.at_end() || r_.peek() != ',') break;
        r_.skip();
        if (r_.skip_lwsp() <= 0) {
          ret = -1;
          break;
        }
      }
    }
    if (ret >= 0) {
      if (r_.at_end() || r_.peek() != ';') {
        ret = -1;
      } else {
        r_.skip();
        ret = r_.skip_lwsp();
      }
    }
    if (ret < 0) a_.invalid = true;
    add();  // the group end: all NIL
    return ret == 0 ? 0 : 1;
  }

  int address() {
    const std::size_t start = r_.pos();
    const std::size_t before = out_.size();
    int ret = group();
    if (ret < 0) {
      r_.seek(start);
      out_.resize(before);
      a_ = raw_address{};
      ret = mailbox();
    }
    return ret;
  }

  std::string comment_;
  rfc822_reader r_;
  std::vector<raw_address>& out_;
  raw_address a_;
};

// -- Content-* fields (message-part-data.c) -----------------------------------

struct mime_param {
  std::string name, value;
};

// *(";" attribute "=" value) with RFC 2231 continuations joined.
inline void read_params(rfc822_reader& r, std::vector<mime_param>& out) {
  struct split {
    std::string key, value;
    unsigned idx;
    bool extended;
  };
  std::vector<split> pieces;
  unsigned idx = 0;  // kept across parameters, as Dovecot 2.3's parser does for "name*"
  for (;;) {
    if (r.at_end()) break;
    int ret = -1;
    std::string key, value;
    if (r.peek() == ';') {
      r.skip();
      if (r.skip_lwsp() > 0 && r.mime_token(key) > 0 && r.peek() == '=') {
        r.skip();
        const int l = r.skip_lwsp();
        if (l <= 0) {
          ret = l < 0 ? -1 : 1;
        } else if (r.peek() == '"') {
          ret = r.quoted(value) < 0 ? -1 : 1;
        } else if (r.peek() == '=') {  // name==?utf-8?b?...?=
          while (!r.at_end() && r.peek() != ';' && r.peek() != ' ' && r.peek() != '\t' && r.peek() != '\r' &&
                 r.peek() != '\n') {
            value.push_back(r.peek());
            r.skip();
          }
          ret = 1;
        } else {
          ret = r.mime_token(value) < 0 ? -1 : 1;
        }
      }
    }
    if (ret < 0) {
      if (r.at_end()) break;
      r.skip();
      continue;
    }
    const std::size_t star = key.find('*');
    bool plain = true;
    if (star != std::string::npos) {
      std::size_t p = star;
      if (p + 1 < key.size()) {
        ++p;
        idx = 0;
        while (p < key.size() && ascii::is_digit(key[p])) idx = idx * 10 + static_cast<unsigned>(key[p++] - '0');
      }
      bool extended = false;
      if (p < key.size() && key[p] == '*') {
        extended = true;
        ++p;
      }
      if (p == key.size()) {
        pieces.push_back({key.substr(0, star), value, idx, extended});
        plain = false;
      }
    }
    if (plain) out.push_back({key, value});
  }
  if (pieces.empty()) return;
  std::sort(pieces.begin(), pieces.end(), [](const split& a, const split& b) {
    return a.key != b.key ? a.key < b.key : a.idx < b.idx;
  });
  for (std::size_t i = 0; i < pieces.size();) {
    std::size_t j = i;
    bool in_order = true, extended = false;
    unsigned next = 0;
    while (j < pieces.size() && ascii::iequals(pieces[j].key, pieces[i].key)) {
      if (pieces[j].idx != next) in_order = false;
      extended = extended || pieces[j].extended;
      ++next;
      ++j;
    }
    if (!in_order) {
      for (std::size_t k = i; k < j; ++k)
        out.push_back({pieces[k].key + "*" + std::to_string(pieces[k].idx) + (pieces[k].extended ? "*" : ""),
                       pieces[k].value});
    } else {
      std::string v;
      if (!pieces[i].extended && extended) v = "''";
      for (std::size_t k = i; k < j; ++k) {
        if (!pieces[k].extended && extended) {
          for (const char c : pieces[k].value) {
            if (c == '%')
              v += "%25";
            else
              v.push_back(c);
          }
        } else {
          v += pieces[k].value;
        }
      }
      out.push_back({pieces[i].key + (extended ? "*" : ""), v});
    }
    i = j;
  }
}

// What Dovecot keeps of one entity's header.
struct part_fields {
  bool has_content_type = false;
  std::string type, subtype;
  std::vector<mime_param> params;
  std::optional<std::string> encoding, id, description, md5, location, disposition;
  std::vector<mime_param> disposition_params;
  std::vector<std::string> language;
  bool mime = false;
};

inline bool starts_content(std::string_view name) noexcept {
  return name.size() >= 8 && ascii::iequals(name.substr(0, 8), "Content-");
}

inline void read_content_type(std::string_view value, part_fields& f) {
  rfc822_reader r(value);
  std::string type;
  int ret = -1;
  // type "/" subtype, each a MIME token; the subtype followed by ";" or the end.
  if (r.skip_lwsp() > 0) {
    const int t = r.mime_token(type);
    if (t > 0 && !type.empty()) {
      if (r.peek() == '/') {
        r.skip();
        std::string sub;
        if (r.skip_lwsp() > 0) {
          ret = r.mime_token(sub);
          if (ret < 0 || sub.empty() || (!r.at_end() && r.peek() != ';')) {
            ret = -1;
            type.clear();
          } else {
            f.subtype = sub;
          }
        } else {
          type.clear();
        }
      } else {
        type.clear();
      }
    }
  }
  f.type = type;
  f.has_content_type = true;
  if (ret < 0) return;
  read_params(r, f.params);
}

inline void read_content_field(std::string_view name, std::string_view value, part_fields& f) {
  const std::string_view rest = name.substr(8);
  if (ascii::iequals(rest, "Type")) {
    if (!f.has_content_type) read_content_type(value, f);
  } else if (ascii::iequals(rest, "Transfer-Encoding")) {
    if (f.encoding) return;
    rfc822_reader r(value);
    r.skip_lwsp();
    std::string token;
    if (r.mime_token(token) >= 0 && r.skip_lwsp() == 0 && !token.empty()) f.encoding = token;
  } else if (ascii::iequals(rest, "ID")) {
    if (!f.id) f.id = header_string(value);
  } else if (ascii::iequals(rest, "MD5")) {
    if (!f.md5) f.md5 = header_string(value);
  } else if (ascii::iequals(rest, "Description")) {
    if (!f.description) f.description = header_string(value);
  } else if (ascii::iequals(rest, "Location")) {
    if (!f.location) f.location = header_string(value);
  } else if (ascii::iequals(rest, "Disposition")) {
    if (!f.disposition_params.empty()) return;
    rfc822_reader r(value);
    r.skip_lwsp();
    std::string token;
    if (r.mime_token(token) < 0) return;
    f.disposition = token;
    f.disposition_params.clear();
    read_params(r, f.disposition_params);
  } else if (ascii::iequals(rest, "Language")) {
    if (!f.language.empty()) return;
    rfc822_reader r(value);
    r.skip_lwsp();
    for (;;) {
      std::string tag;
      if (r.atom(tag) < 0) break;
      f.language.push_back(tag);
      if (r.at_end() || r.peek() != ',') break;
      r.skip();
      r.skip_lwsp();
    }
  }
}

// Where Dovecot's header block of an entity ends: after its first empty
// line. Dovecot reads a line without a colon as a (nameless) header line,
// where mailwire's MIME parser ends the header block there; so an entity
// whose header has no empty line is all header and has an empty body.
// Returns the offset of the body in `raw`, or npos for none.
inline std::size_t header_end(std::string_view raw) noexcept {
  std::size_t at = 0;
  while (at < raw.size()) {
    if (raw[at] == '\n') return at + 1;
    if (raw[at] == '\r' && at + 1 < raw.size() && raw[at + 1] == '\n') return at + 2;
    const std::size_t lf = raw.find('\n', at);
    if (lf == std::string_view::npos) break;
    at = lf + 1;
  }
  return std::string_view::npos;
}

// Calls f(name, value) for each field of a header block as Dovecot splits
// it: a line starting with SP or TAB continues the field before it (its
// line break kept in the value, as Dovecot's full value keeps it), the name
// ends at the colon (white space before it dropped), lines without a colon
// are no field.
template <class F>
void for_each_field(std::string_view header, F&& f) {
  std::size_t at = 0;
  while (at < header.size()) {
    std::size_t end = at;
    for (;;) {  // the field's lines
      const std::size_t lf = header.find('\n', end);
      end = lf == std::string_view::npos ? header.size() : lf + 1;
      if (end >= header.size() || (header[end] != ' ' && header[end] != '\t')) break;
    }
    std::string_view field = header.substr(at, end - at);
    at = end;
    if (!field.empty() && field.back() == '\n') field.remove_suffix(1);
    if (!field.empty() && field.back() == '\r') field.remove_suffix(1);
    const std::size_t lf = field.find('\n');
    const std::size_t colon = field.find(':');
    if (field.empty() || colon == std::string_view::npos || (lf != std::string_view::npos && colon > lf)) continue;
    std::size_t name_end = colon;
    while (name_end > 0 && (field[name_end - 1] == ' ' || field[name_end - 1] == '\t')) --name_end;
    f(field.substr(0, name_end), field_value(field.substr(colon + 1)));
  }
}

// The Content-* fields Dovecot keeps of the header block `header`.
// `in_multipart`: a part of a multipart is MIME whatever its header says.
inline part_fields read_part_fields(std::string_view header, bool in_multipart) {
  part_fields f;
  f.mime = in_multipart;
  for_each_field(header, [&](std::string_view name, std::string_view) {
    if (ascii::iequals(name, "MIME-Version") || ascii::iequals(name, "Content-Type")) f.mime = true;
  });
  if (!f.mime) return f;
  for_each_field(header, [&](std::string_view name, std::string_view value) {
    if (starts_content(name)) read_content_field(name, value, f);
  });
  return f;
}

class body_builder {
 public:
  body_builder(const mime::tree& t, mime_text_store& store) : t_(t), store_(store) {}

  std::string_view keep(std::string s) { return store_.keep(std::move(s)); }
  nstring keep(const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    return keep(*s);
  }
  nstring keep_nolf(const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    return keep(no_line_breaks(*s));
  }

  void envelope_of(const mime::node& n, envelope& e) {
    e.clear();
    std::optional<std::string> date, subject, in_reply_to, message_id;
    std::vector<raw_address> lists[6];
    static constexpr std::string_view names[6] = {"From", "Sender", "Reply-To", "To", "Cc", "Bcc"};
    for_each_field(header_of(n), [&](std::string_view name, std::string_view v) {
      if (ascii::iequals(name, "Date")) {
        date = header_string(v);
      } else if (ascii::iequals(name, "Subject")) {
        subject = header_string(v);
      } else if (ascii::iequals(name, "In-Reply-To")) {
        in_reply_to = header_string(v);
      } else if (ascii::iequals(name, "Message-ID")) {
        message_id = header_string(v);
      } else {
        for (std::size_t k = 0; k < 6; ++k) {
          if (ascii::iequals(name, names[k])) address_reader(v, lists[k]).read();
        }
      }
    });
    e.date = keep_nolf(date);
    if (subject) e.subject = keep(for_humans(*subject));
    std::vector<address>* out[6] = {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc};
    for (std::size_t k = 0; k < 6; ++k) {
      // Sender and Reply-To default to From.
      const std::vector<raw_address>& src = (k == 1 || k == 2) && lists[k].empty() ? lists[0] : lists[k];
      for (const raw_address& a : src) {
        address x;
        if (a.name) x.name = keep(for_humans(*a.name));
        x.adl = keep(a.route);
        x.mailbox = keep(a.mailbox);
        x.host = keep(a.domain);
        out[k]->push_back(x);
      }
    }
    e.in_reply_to = keep_nolf(in_reply_to);
    e.message_id = keep_nolf(message_id);
  }

  // How many levels of bodies are looked into. Each level is one
  // parenthesis in the written BODYSTRUCTURE, but below a message/rfc822
  // level its ENVELOPE goes three deeper (envelope, address list,
  // address) and the FETCH response adds its own list: half of the
  // parser's default max_depth leaves room for all of it, so a message
  // nested 1,000 deep (as multiparts or as message/rfc822 parts, which
  // are parsed again below the MIME parser's own depth limit) still gives
  // an answer every client reading with the default limit accepts.
  static constexpr std::size_t max_body_depth = limits::imap_depth / 2;

  // The body of entity `n`; `parent_digest`: n is a part of a
  // multipart/digest; `in_multipart`: n is a part of a multipart.
  void body_of(const mime::node& n, body_structure& b, bool extensible, bool in_multipart, bool parent_digest,
               std::size_t depth) {
    b.reset_fields();
    const part_fields f = read_part_fields(header_of(n), in_multipart);
    const std::string ct = f.has_content_type ? f.type + "/" + f.subtype : std::string();
    const bool rfc822 = ascii::iequals(ct, "message/rfc822") || (!f.has_content_type && parent_digest);
    const bool multipart = f.has_content_type && f.type.size() >= 1 && ascii::iequals(f.type, "multipart") &&
                           f.subtype.size() >= 1;
    if (multipart && depth < max_body_depth) {
      b.kind = body_kind::multipart;
      b.subtype = keep(f.subtype);
      std::size_t k = 0;
      // Dovecot reads the boundary from the parameters as it parsed them
      // (so not after a broken parameter such as ";;", which mailwire's
      // MIME parser steps over).
      bool boundary = false;
      for (const mime_param& p : f.params) boundary = boundary || (ascii::iequals(p.name, "boundary") && !p.value.empty());
      if (boundary && n.info.kind == mime::part_kind::multipart) {
        const bool digest = ascii::iequals(f.subtype, "digest");
        for (const std::uint32_t c : n.children) {
          body_of(t_.nodes[c], reuse_slot(b.children, k), extensible, true, digest, depth + 1);
          ++k;
        }
      }
      b.children.erase(b.children.begin() + static_cast<std::ptrdiff_t>(k), b.children.end());
      if (b.children.empty()) {
        // no parts (no boundary, or none found): one empty text/plain
        b.children.emplace_back();
        empty_text(b.children.back(), extensible);
      }
      if (extensible) {
        b.extension_fields = 4;
        for (const mime_param& p : f.params) b.params.push_back({keep(p.name), keep(p.value)});
        common_extension(f, b);
      }
      return;
    }
    b.children.clear();
    if (rfc822) {
      b.type = "message";
      b.subtype = "rfc822";
    } else if (!f.has_content_type) {
      b.type = "text";
      b.subtype = "plain";
    } else if (ascii::iequals(f.type, "multipart") || ascii::iequals(ct, "message/rfc822")) {
      b.type = "application";  // Dovecot's "truncated" part
      b.subtype = "octet-stream";
    } else {
      b.type = keep(f.type);
      b.subtype = keep(f.subtype);
    }
    const bool text = !rfc822 && (!f.has_content_type || ascii::iequals(f.type, "text"));
    bool charset = false;
    for (const mime_param& p : f.params) {
      b.params.push_back({keep(p.name), keep(p.value)});
      charset = charset || ascii::iequals(p.name, "charset");
    }
    if (text && !charset) b.params.push_back({"charset", "us-ascii"});
    b.id = keep_nolf(f.id);
    b.description = keep_nolf(f.description);
    b.encoding = f.encoding ? keep(*f.encoding) : std::string_view("7bit");
    const bool parsed = n.info.kind == mime::part_kind::message && !n.children.empty();
    // A message/rfc822 part's body is the whole enclosed message; a leaf's
    // starts after Dovecot's header block.
    const std::string_view raw = t_.raw(n);
    const std::size_t start = header_end(raw);
    const std::string_view body =
        rfc822 ? t_.raw_body(n) : start == std::string_view::npos ? raw.substr(raw.size()) : raw.substr(start);
    std::uint64_t octets = crlf_size(body), lines = line_ends(body);
    if (rfc822 && followed_by_boundary(n) &&
        (header_end(body) == std::string_view::npos || ends_with_close_delimiter(n))) {
      // The line break before the boundary that ends this part: mailwire's
      // parser gives it to the boundary, Dovecot to this part's body when
      // the enclosed message is all header, or ends with the close
      // delimiter of its own multipart (the break ends that line).
      octets += 2;
      lines += 1;
    }
    b.octets = static_cast<std::uint32_t>(octets);
    if (text) {
      b.kind = body_kind::text;
      b.lines = lines;
    } else if (rfc822) {
      b.kind = body_kind::message;
      b.lines = lines;
      b.children.resize(1);
      if (depth >= max_body_depth) {
        b.message_envelope.clear();
        empty_text(b.children.front(), extensible);
      } else if (parsed) {
        const mime::node& inner = t_.nodes[n.children.front()];
        envelope_of(inner, b.message_envelope);
        body_of(inner, b.children.front(), extensible, false, false, depth + 1);
      } else {
        // mailwire's parser does not look into an encoded message/rfc822;
        // Dovecot parses its bytes as they are (base64 lines make a header
        // block without fields): so do the same here.
        const mime::tree inner = mime::parse_tree(body);
        body_builder sub(inner, store_);
        sub.envelope_of(inner.root(), b.message_envelope);
        sub.body_of(inner.root(), b.children.front(), extensible, false, false, depth + 1);
      }
    }
    if (extensible) {
      b.extension_fields = 4;
      b.md5 = keep_nolf(f.md5);
      common_extension(f, b);
    }
  }

 private:
  std::string_view header_of(const mime::node& n) const noexcept {
    const std::string_view raw = t_.raw(n);
    const std::size_t end = header_end(raw);
    return end == std::string_view::npos ? raw : raw.substr(0, end);
  }
  // n encloses a multipart whose close delimiter line ends n's body.
  bool ends_with_close_delimiter(const mime::node& n) const {
    if (n.info.kind != mime::part_kind::message || n.children.empty()) return false;
    const mime::node& inner = t_.nodes[n.children.front()];
    const std::string* b = inner.info.type.find("boundary");
    if (inner.info.kind != mime::part_kind::multipart || b == nullptr) return false;
    const std::string_view body = t_.raw_body(n);
    const std::string close = "--" + *b + "--";
    return body.size() >= close.size() && body.substr(body.size() - close.size()) == close;
  }
  bool followed_by_boundary(const mime::node& n) const noexcept {
    const std::string_view after = t_.source.substr(std::min<std::size_t>(t_.source.size(), n.info.end));
    return after.substr(0, 4) == "\r\n--" || after.substr(0, 3) == "\n--";
  }

  static std::uint64_t crlf_size(std::string_view s) noexcept {
    std::uint64_t n = s.size();
    for (std::size_t k = 0; k < s.size(); ++k)
      if (s[k] == '\n' && (k == 0 || s[k - 1] != '\r')) ++n;
    return n;
  }
  static std::uint64_t line_ends(std::string_view s) noexcept {
    return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
  }

  void empty_text(body_structure& b, bool extensible) {
    b.reset_fields();
    b.children.clear();
    b.kind = body_kind::text;
    b.type = "text";
    b.subtype = "plain";
    b.params.push_back({"charset", "us-ascii"});
    b.encoding = "7bit";
    if (extensible) b.extension_fields = 4;
  }

  void common_extension(const part_fields& f, body_structure& b) {
    if (f.disposition) {
      b.disposition = keep(*f.disposition);
      for (const mime_param& p : f.disposition_params)
        b.disposition_params.push_back({keep(p.name), keep(p.value)});
    }
    if (!f.language.empty()) {
      b.language_list = true;
      for (const std::string& l : f.language) b.language.push_back(keep(l));
    }
    b.location = keep_nolf(f.location);
  }

  const mime::tree& t_;
  mime_text_store& store_;
};

}  // namespace detail

/// The ENVELOPE of the message `t` views (of its top entity). Strings not
/// in the message go to `store`. Never fails on any message.
inline void envelope_from_mime(const mime::tree& t, envelope& out, mime_text_store& store) {
  detail::body_builder(t, store).envelope_of(t.root(), out);
}

/// BODYSTRUCTURE (`extensible`) or BODY of the message `t` views. `out` is
/// reused (its vectors keep their capacity). Entities nested deeper than
/// half of limits::imap_depth are written as their Content-Type says but
/// not looked into (a multipart gets one empty text/plain), so the result
/// can always be written and read back under the default max_depth, as a
/// whole FETCH response too.
inline void bodystructure_from_mime(const mime::tree& t, body_structure& out, mime_text_store& store,
                                    bool extensible = true) {
  detail::body_builder(t, store).body_of(t.root(), out, extensible, false, false, 1);
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_FROM_MIME_HPP
