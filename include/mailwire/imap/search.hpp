// mailwire: IMAP SEARCH keys as a tree, read and written (RFC 3501 6.4.4,
// RFC 9051 6.4.4, and the keys of CONDSTORE (RFC 7162), WITHIN (RFC 5032),
// OBJECTID (RFC 8474), SAVEDATE (RFC 8514), FUZZY (RFC 6203) and FILTERS
// (RFC 5466)).
//
// SEARCH, UID SEARCH, SORT and THREAD take a list of keys that must all
// match; NOT, OR, FUZZY and parentheses nest. The tree is kept as written
// (no normalisation), so write(parse(x)) gives back x in canonical form.
// Nesting is bounded by parse_options::max_depth (errc::imap_too_deep), so
// a hostile "NOT NOT NOT ..." or "((((..." costs neither stack nor time.
#ifndef MAILWIRE_IMAP_SEARCH_HPP
#define MAILWIRE_IMAP_SEARCH_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mailwire/imap/datetime.hpp"
#include "mailwire/imap/flag.hpp"
#include "mailwire/imap/sequence_set.hpp"
#include "mailwire/imap/values.hpp"
#include "mailwire/imap/syntax.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// What a search key tests. The comment says which field holds its
/// argument.
enum class search_key_type : std::uint8_t {
  // no argument
  all, answered, deleted, draft, flagged, seen, unanswered, undeleted, undraft, unflagged, unseen,
  new_, old, recent,        ///< IMAP4rev1 only (RFC 9051 removed \Recent)
  savedatesupported,        ///< RFC 8514
  // `text`
  bcc, body, cc, from, subject, text, to,
  emailid, threadid,        ///< RFC 8474: an objectid
  filter,                   ///< RFC 5466: a filter name
  // `field` and `text`
  header,                   ///< HEADER field-name string
  // `flag`
  keyword, unkeyword,
  // `date`
  before, on, since, sentbefore, senton, sentsince,
  savedbefore, savedon, savedsince,  ///< RFC 8514
  // `number`
  larger, smaller,          ///< number64
  older, younger,           ///< RFC 5032: seconds, nz-number
  modseq,                   ///< RFC 7162: `number`; optional `field` (entry name) and `entry` type
  // `set`
  sequence_set,             ///< a bare sequence-set (or "$", RFC 5182)
  uid,                      ///< UID sequence-set
  // `children`
  not_,                     ///< one child
  or_,                      ///< two children
  fuzzy,                    ///< RFC 6203: one child
  group,                    ///< "(" keys ")": all children must match
};

/// RFC 7162 MODSEQ entry-type-req.
enum class modseq_entry : std::uint8_t { none, priv, shared, all };

/// One node of a search program. Only the fields its type names are used;
/// the others stay default. Strings are views (into the parsed message or
/// the caller's data).
struct search_key {
  search_key_type type = search_key_type::all;  ///< the key, and so which fields are used
  std::string_view text;   ///< string argument (astring)
  std::string_view field;  ///< HEADER field name; MODSEQ entry name ("/flags/\\draft")
  flag keyword;            ///< KEYWORD, UNKEYWORD
  date day;                ///< BEFORE, ON, SINCE, SENT*, SAVED*
  std::uint64_t number = 0;  ///< LARGER, SMALLER, OLDER, YOUNGER, MODSEQ: the number
  modseq_entry entry = modseq_entry::none;  ///< MODSEQ: the entry type
  imap::sequence_set set;  ///< UID and bare sequence sets
  std::vector<search_key> children;  ///< NOT (one), OR (two), a parenthesised list (any)

  friend bool operator==(const search_key& a, const search_key& b) noexcept {
    return a.type == b.type && a.text == b.text && ascii::iequals(a.field, b.field) && a.keyword == b.keyword &&
           a.day == b.day && a.number == b.number && a.entry == b.entry && a.set == b.set &&
           a.children == b.children;
  }
  friend bool operator!=(const search_key& a, const search_key& b) noexcept { return !(a == b); }
};

namespace detail {

struct search_key_name {
  std::string_view name;
  search_key_type type;
};
// Keyword spellings; order matters only where one is a prefix of another
// and keyword() checks the boundary, so it does not.
inline constexpr search_key_name search_key_names[] = {
    {"ALL", search_key_type::all},
    {"ANSWERED", search_key_type::answered},
    {"DELETED", search_key_type::deleted},
    {"DRAFT", search_key_type::draft},
    {"FLAGGED", search_key_type::flagged},
    {"SEEN", search_key_type::seen},
    {"UNANSWERED", search_key_type::unanswered},
    {"UNDELETED", search_key_type::undeleted},
    {"UNDRAFT", search_key_type::undraft},
    {"UNFLAGGED", search_key_type::unflagged},
    {"UNSEEN", search_key_type::unseen},
    {"NEW", search_key_type::new_},
    {"OLD", search_key_type::old},
    {"RECENT", search_key_type::recent},
    {"SAVEDATESUPPORTED", search_key_type::savedatesupported},
    {"BCC", search_key_type::bcc},
    {"BODY", search_key_type::body},
    {"CC", search_key_type::cc},
    {"FROM", search_key_type::from},
    {"SUBJECT", search_key_type::subject},
    {"TEXT", search_key_type::text},
    {"TO", search_key_type::to},
    {"EMAILID", search_key_type::emailid},
    {"THREADID", search_key_type::threadid},
    {"FILTER", search_key_type::filter},
    {"HEADER", search_key_type::header},
    {"KEYWORD", search_key_type::keyword},
    {"UNKEYWORD", search_key_type::unkeyword},
    {"BEFORE", search_key_type::before},
    {"ON", search_key_type::on},
    {"SINCE", search_key_type::since},
    {"SENTBEFORE", search_key_type::sentbefore},
    {"SENTON", search_key_type::senton},
    {"SENTSINCE", search_key_type::sentsince},
    {"SAVEDBEFORE", search_key_type::savedbefore},
    {"SAVEDON", search_key_type::savedon},
    {"SAVEDSINCE", search_key_type::savedsince},
    {"LARGER", search_key_type::larger},
    {"SMALLER", search_key_type::smaller},
    {"OLDER", search_key_type::older},
    {"YOUNGER", search_key_type::younger},
    {"MODSEQ", search_key_type::modseq},
    {"UID", search_key_type::uid},
    {"NOT", search_key_type::not_},
    {"OR", search_key_type::or_},
    {"FUZZY", search_key_type::fuzzy},
};

constexpr std::string_view search_key_keyword(search_key_type t) noexcept {
  for (const auto& n : search_key_names) {
    if (n.type == t) return n.name;
  }
  return {};
}

constexpr bool is_in(search_key_type t, search_key_type first, search_key_type last) noexcept {
  return static_cast<int>(t) >= static_cast<int>(first) && static_cast<int>(t) <= static_cast<int>(last);
}

inline bool read_search_key(scanner& sc, search_key& k);

// The argument of a key whose keyword has just been read.
inline bool read_search_argument(scanner& sc, search_key& k) {
  using T = search_key_type;
  const T t = k.type;
  if (is_in(t, T::all, T::savedatesupported)) return true;
  if (!sc.sp()) return false;
  if (is_in(t, T::bcc, T::filter)) {
    if (t == T::emailid || t == T::threadid) return read_objectid(sc, k.text);
    return sc.astring(k.text);
  }
  if (t == T::header) return sc.astring(k.field) && sc.sp() && sc.astring(k.text);
  if (t == T::keyword || t == T::unkeyword) return read_flag(sc, k.keyword, false, true);
  if (is_in(t, T::before, T::savedsince)) return read_date(sc, k.day);
  if (t == T::larger || t == T::smaller) return sc.number64(k.number);
  if (t == T::older || t == T::younger) {
    std::uint32_t n = 0;
    if (!sc.nz_number(n)) return false;
    k.number = n;
    return true;
  }
  if (t == T::modseq) {
    // [entry-name SP entry-type-req SP] mod-sequence-valzer
    if (sc.peek() == '"') {
      if (!sc.quoted(k.field) || !sc.sp()) return false;
      if (sc.keyword("priv"))
        k.entry = modseq_entry::priv;
      else if (sc.keyword("shared"))
        k.entry = modseq_entry::shared;
      else if (sc.keyword("all"))
        k.entry = modseq_entry::all;
      else
        return sc.fail();
      if (!sc.sp()) return false;
    }
    return sc.number64(k.number);
  }
  if (t == T::uid) return read_sequence_set(sc, k.set);
  if (t == T::not_ || t == T::fuzzy || t == T::or_) {
    if (!sc.enter()) return false;
    k.children.resize(t == T::or_ ? 2 : 1);
    bool ok = read_search_key(sc, k.children[0]);
    if (ok && t == T::or_) ok = sc.sp() && read_search_key(sc, k.children[1]);
    sc.leave();
    return ok;
  }
  return sc.fail();
}

// One search-key at the cursor.
inline bool read_search_key(scanner& sc, search_key& k) {
  k = search_key{};
  const char c = sc.peek();
  if (c == '(') {
    if (!sc.open()) return false;
    k.type = search_key_type::group;
    do {
      k.children.emplace_back();
      if (!read_search_key(sc, k.children.back())) return false;
    } while (sc.eat(' '));
    return sc.close();
  }
  if (ascii::is_digit(c) || c == '*' || c == '$') {
    k.type = search_key_type::sequence_set;
    return read_sequence_set(sc, k.set);
  }
  for (const auto& n : search_key_names) {
    if (sc.keyword(n.name)) {
      k.type = n.type;
      return read_search_argument(sc, k);
    }
  }
  return sc.fail();
}

inline void write_search_key(wire_writer& w, const search_key& k) {
  using T = search_key_type;
  const T t = k.type;
  if (t == T::sequence_set) return write_sequence_set(w, k.set);
  if (t == T::group) {
    if (k.children.empty()) return w.fail(errc::invalid_argument);
    w.raw('(');
    for (std::size_t i = 0; i < k.children.size(); ++i) {
      if (i != 0) w.sp();
      write_search_key(w, k.children[i]);
    }
    w.raw(')');
    return;
  }
  w.raw(search_key_keyword(t));
  if (is_in(t, T::all, T::savedatesupported)) return;
  w.sp();
  if (is_in(t, T::bcc, T::filter)) {
    if (t == T::emailid || t == T::threadid) return write_objectid(w, k.text);
    return w.astring(k.text);
  }
  if (t == T::header) {
    w.astring(k.field);
    w.sp();
    return w.astring(k.text);
  }
  if (t == T::keyword || t == T::unkeyword) {
    if (k.keyword.kind == flag_kind::wildcard || k.keyword.kind == flag_kind::recent)
      return w.fail(errc::invalid_argument);
    return write_flag(w, k.keyword);
  }
  if (is_in(t, T::before, T::savedsince)) {
    if (write(w.bytes(), k.day) != errc::ok) w.fail(errc::invalid_argument);
    return;
  }
  if (t == T::older || t == T::younger) {
    if (k.number == 0 || k.number > 0xFFFFFFFFu) return w.fail(errc::invalid_argument);
    return w.number(k.number);
  }
  if (t == T::modseq && k.entry != modseq_entry::none) {
    w.quoted(k.field);
    w.sp();
    w.raw(k.entry == modseq_entry::priv ? "priv" : k.entry == modseq_entry::shared ? "shared" : "all");
    w.sp();
  }
  if (t == T::larger || t == T::smaller || t == T::modseq) {
    if (k.number > 0x7FFFFFFFFFFFFFFFull) return w.fail(errc::invalid_argument);
    return w.number(k.number);
  }
  if (t == T::uid) return write_sequence_set(w, k.set);
  const std::size_t n = t == T::or_ ? 2 : 1;
  if (k.children.size() != n) return w.fail(errc::invalid_argument);
  write_search_key(w, k.children[0]);
  if (n == 2) {
    w.sp();
    write_search_key(w, k.children[1]);
  }
}

}  // namespace detail

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_SEARCH_HPP
