// mailwire: the IMAP ENVELOPE (RFC 3501 7.4.2, RFC 9051 7.5.2 and 9).
//
//   envelope = "(" date SP subject SP from SP sender SP reply-to SP to SP
//                  cc SP bcc SP in-reply-to SP message-id ")"
//   address  = "(" name SP adl SP mailbox SP host ")"
//
// Every field is an nstring view into the parsed text (or the scanner's
// scratch buffer for quoted strings with escapes): valid while that text
// lives. Address lists are "(" 1*address ")" or NIL; an empty vector is NIL.
// RFC 822 groups appear inside a list as markers: an address with NIL host
// and the group name as mailbox opens a group, one with NIL host and NIL
// mailbox closes it.
#ifndef MAILWIRE_IMAP_ENVELOPE_HPP
#define MAILWIRE_IMAP_ENVELOPE_HPP

#include <cstddef>
#include <string_view>
#include <vector>

#include "mailwire/imap/syntax.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// One address of an ENVELOPE list (RFC 9051 9: address).
struct address {
  nstring name;     ///< display name (may hold RFC 2047 encoded-words, as sent)
  nstring adl;      ///< source route; servers send NIL
  nstring mailbox;  ///< local part, or the group name of a group start
  nstring host;     ///< domain; NIL for the group markers

  /// Opens an RFC 822 group named `mailbox` (host NIL, mailbox not NIL).
  bool is_group_start() const noexcept { return !host && mailbox.has_value(); }
  /// Closes the current group (host and mailbox NIL).
  bool is_group_end() const noexcept { return !host && !mailbox; }

  friend bool operator==(const address& a, const address& b) noexcept {
    return a.name == b.name && a.adl == b.adl && a.mailbox == b.mailbox && a.host == b.host;
  }
  friend bool operator!=(const address& a, const address& b) noexcept { return !(a == b); }
};

/// The ENVELOPE of a message or of a message/rfc822 part. Empty address
/// vectors are NIL (the grammar has no empty list).
struct envelope {
  nstring date;     ///< the Date header as sent, unparsed
  nstring subject;  ///< the Subject header as sent (encoded-words kept)
  /// From, Sender, Reply-To, To, Cc, Bcc: the addresses (empty for NIL).
  std::vector<address> from, sender, reply_to, to, cc, bcc;
  /// \var sender
  /// Sender (see from).
  /// \var reply_to
  /// Reply-To (see from).
  /// \var to
  /// To (see from).
  /// \var cc
  /// Cc (see from).
  /// \var bcc
  /// Bcc (see from).
  nstring in_reply_to;  ///< the In-Reply-To header as sent
  nstring message_id;  ///< the Message-ID header as sent

  /// Back to NIL everywhere; the vectors keep their capacity.
  void clear() noexcept {
    date.reset();
    subject.reset();
    from.clear();
    sender.clear();
    reply_to.clear();
    to.clear();
    cc.clear();
    bcc.clear();
    in_reply_to.reset();
    message_id.reset();
  }
  friend bool operator==(const envelope& a, const envelope& b) noexcept {
    return a.date == b.date && a.subject == b.subject && a.from == b.from && a.sender == b.sender &&
           a.reply_to == b.reply_to && a.to == b.to && a.cc == b.cc && a.bcc == b.bcc &&
           a.in_reply_to == b.in_reply_to && a.message_id == b.message_id;
  }
  friend bool operator!=(const envelope& a, const envelope& b) noexcept { return !(a == b); }
};

namespace detail {

// -- list punctuation shared with bodystructure.hpp ---------------------------
// Strict: exactly one SP between elements, none after "(" or before ")".
// Under parse_options::lenient_spaces: any run of SP, or none where the
// tokens cannot run together (after ")" or a quote, before "(" or a quote).

inline bool list_sp(scanner& s) {
  if (!s.options().lenient_spaces) return s.sp();
  bool any = false;
  while (s.eat(' ')) any = true;
  if (any) return true;
  const std::size_t p = s.pos();
  const char prev = p > 0 ? s.text()[p - 1] : '\0';
  const char next = s.peek();
  if (prev == ')' || prev == '"' || next == '(' || next == '"') return true;
  return s.fail();
}

/// True when ")" ends the list at the cursor (skipping spaces before it
/// under lenient_spaces); the ")" itself is left for close().
inline bool list_end(scanner& s) {
  if (s.options().lenient_spaces) {
    std::size_t k = 0;
    while (s.peek(k) == ' ') ++k;
    if (s.peek(k) != ')') return false;
    s.seek(s.pos() + k);
    return true;
  }
  return s.peek() == ')' && !s.at_end();
}

/// "(" counted against the depth limit (and spaces after it when lenient).
inline bool list_open(scanner& s) {
  if (!s.open()) return false;
  if (s.options().lenient_spaces) {
    while (s.eat(' ')) {
    }
  }
  return true;
}

/// A reused element of `v` at index n (appended when v is that short);
/// truncate with v.erase(v.begin() + n, v.end()) when done. Keeps nested
/// capacity alive across parses of similar messages.
template <class T>
T& reuse_slot(std::vector<T>& v, std::size_t n) {
  if (n == v.size()) v.emplace_back();
  return v[n];
}

inline bool parse_address(scanner& s, address& a) {
  return list_open(s) && s.nstring(a.name) && list_sp(s) && s.nstring(a.adl) && list_sp(s) &&
         s.nstring(a.mailbox) && list_sp(s) && s.nstring(a.host) && list_end(s) && s.close();
}

/// "(" 1*address ")" / NIL into `out` (cleared first).
inline bool parse_address_list(scanner& s, std::vector<address>& out) {
  out.clear();
  if (s.nil()) return true;
  if (!list_open(s)) return false;
  for (;;) {
    out.emplace_back();
    if (!parse_address(s, out.back())) return false;
    if (list_end(s)) break;
    // 1*address has no separator, but RFC 3501's own FETCH example
    // (6.4.5) puts one SP between two addresses, and so do Exchange and
    // Outlook.com: one SP is read in any mode (it cannot change what the
    // list holds), more under lenient_spaces.
    if (s.eat(' ') && s.options().lenient_spaces) {
      while (s.eat(' ')) {
      }
    }
  }
  return s.close();
}

/// envelope at the cursor into `out` (every field overwritten).
inline bool parse_envelope(scanner& s, envelope& e) {
  return list_open(s) && s.nstring(e.date) && list_sp(s) && s.nstring(e.subject) && list_sp(s) &&
         parse_address_list(s, e.from) && list_sp(s) && parse_address_list(s, e.sender) && list_sp(s) &&
         parse_address_list(s, e.reply_to) && list_sp(s) && parse_address_list(s, e.to) && list_sp(s) &&
         parse_address_list(s, e.cc) && list_sp(s) && parse_address_list(s, e.bcc) && list_sp(s) &&
         s.nstring(e.in_reply_to) && list_sp(s) && s.nstring(e.message_id) && list_end(s) && s.close();
}

inline void write_address_list(wire_writer& w, const std::vector<address>& list) {
  if (list.empty()) return w.nil();
  w.raw('(');
  for (const address& a : list) {
    w.raw('(');
    w.nstring(a.name);
    w.sp();
    w.nstring(a.adl);
    w.sp();
    w.nstring(a.mailbox);
    w.sp();
    w.nstring(a.host);
    w.raw(')');
  }
  w.raw(')');
}

inline void write_envelope(wire_writer& w, const envelope& e) {
  w.raw('(');
  w.nstring(e.date);
  w.sp();
  w.nstring(e.subject);
  for (const std::vector<address>* list : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) {
    w.sp();
    write_address_list(w, *list);
  }
  w.sp();
  w.nstring(e.in_reply_to);
  w.sp();
  w.nstring(e.message_id);
  w.raw(')');
}

}  // namespace detail
}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_ENVELOPE_HPP
