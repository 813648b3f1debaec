// mailwire: IMAP message flags and mailbox attributes (RFC 3501 2.3.2,
// RFC 9051 2.3.2 and 9; RFC 5258, RFC 6154, RFC 8457).
//
//   flag           = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" /
//                    "\Draft" / flag-keyword / flag-extension
//   flag-fetch     = flag / "\Recent"          ; IMAP4rev1 (obsolete in rev2)
//   flag-perm      = flag / "\*"               ; PERMANENTFLAGS only
//   flag-keyword   = "$MDNSent" / "$Forwarded" / "$Junk" / "$NotJunk" /
//                    "$Phishing" / atom        ; well-known keywords are atoms
//   flag-extension = "\" atom
//   atom           = 1*ATOM-CHAR               ; CHAR except atom-specials:
//                    "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]"
//
// So a keyword never holds "]" (resp-specials are allowed in an astring,
// not in an atom) nor "\" (a flag with "\" is a system flag or an
// extension). Mailbox attributes of LIST (mbx-list-flags, RFC 9051 7.3.1;
// RFC 5258 LIST-EXTENDED; RFC 6154 SPECIAL-USE) have the same "\" atom
// shape and are here too.
//
// Parsed values are views into the caller's token, valid while it lives.
#ifndef MAILWIRE_IMAP_FLAG_HPP
#define MAILWIRE_IMAP_FLAG_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/error.hpp"
#include "mailwire/imap/syntax.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// What a flag is.
enum class flag_kind : std::uint8_t {
  answered,   ///< \Answered
  flagged,    ///< \Flagged
  deleted,    ///< \Deleted
  seen,       ///< \Seen
  draft,      ///< \Draft
  recent,     ///< \Recent: IMAP4rev1 FETCH and FLAGS only (RFC 9051 makes it obsolete); never STOREd
  keyword,    ///< an atom without "\" ($Forwarded, $Junk, NonJunk, ...)
  extension,  ///< "\" atom that is none of the above: kept verbatim (clients must accept them)
  wildcard,   ///< \*: in PERMANENTFLAGS, "new keywords may be created"
};

/// The wire spelling of a system flag ("\Seen") or of \*; empty for
/// keyword and extension, whose spelling is their name.
constexpr std::string_view to_string(flag_kind k) noexcept {
  switch (k) {
    case flag_kind::answered: return "\\Answered";
    case flag_kind::flagged: return "\\Flagged";
    case flag_kind::deleted: return "\\Deleted";
    case flag_kind::seen: return "\\Seen";
    case flag_kind::draft: return "\\Draft";
    case flag_kind::recent: return "\\Recent";
    case flag_kind::wildcard: return "\\*";
    case flag_kind::keyword:
    case flag_kind::extension: break;
  }
  return {};
}

/// One flag. `name` is the flag as written, backslash included (`\sEEN`,
/// `$Forwarded`, `\X-Custom`), a view into the parsed token (or whatever
/// the caller points it at). For keywords and extensions it is the flag;
/// for the system flags and `\*` the kind says it all and `name` is ignored
/// by write() and ==.
struct flag {
  /// Which flag: a system flag, the wildcard `\*`, a keyword or an extension.
  flag_kind kind = flag_kind::keyword;
  /// The flag as written (see above).
  std::string_view name;

  /// A system flag or \* (not keyword or extension: use parse_flag()).
  static constexpr flag system(flag_kind k) noexcept { return flag{k, to_string(k)}; }

  /// Same flag: same kind and, for keywords and extensions, the same name
  /// without regard to ASCII case, as system flags are matched (the RFCs
  /// do not say whether keywords are case-sensitive; taking "$junk" and
  /// "$Junk" as one keyword never keeps two copies of a flag).
  friend constexpr bool operator==(const flag& a, const flag& b) noexcept {
    if (a.kind != b.kind) return false;
    if (a.kind != flag_kind::keyword && a.kind != flag_kind::extension) return true;
    return ascii::iequals(a.name, b.name);
  }
  friend constexpr bool operator!=(const flag& a, const flag& b) noexcept { return !(a == b); }
};

/// True when `s` can be a keyword (flag-keyword: an atom, RFC 9051 9).
inline bool is_keyword(std::string_view s) noexcept { return is_atom(s); }

namespace detail {
// The kind of "\" + `rest` (rest an atom): a system flag by its name in
// any case, else extension.
constexpr flag_kind backslash_flag_kind(std::string_view rest) noexcept {
  constexpr flag_kind system[] = {flag_kind::answered, flag_kind::flagged, flag_kind::deleted,
                                  flag_kind::seen,     flag_kind::draft,   flag_kind::recent};
  for (const flag_kind k : system) {
    if (ascii::iequals(rest, to_string(k).substr(1))) return k;
  }
  return flag_kind::extension;
}
}  // namespace detail

/// Parses one flag (`token`: the whole flag, nothing around it) into
/// `out`, whose name views `token`. System flag names are matched in any
/// case ("\SEEN"); "\Recent" is read as flag_kind::recent (whether it is
/// allowed where it stands, e.g. not in STORE, is the command parser's
/// call). "\*" is accepted only when `allow_wildcard` (PERMANENTFLAGS).
/// errc::syntax_error, `out` unchanged, for an empty token, a "\" alone,
/// "\*" without allow_wildcard, or any byte outside an atom (SP, "(",
/// ")", "{", "%", "*", DQUOTE, "]", controls, 8-bit bytes; "\" anywhere
/// but first).
inline errc parse_flag(std::string_view token, flag& out, bool allow_wildcard) noexcept {
  if (!token.empty() && token.front() == '\\') {
    const std::string_view rest = token.substr(1);
    if (rest == "*") {
      if (!allow_wildcard) return errc::syntax_error;
      out = flag{flag_kind::wildcard, token};
      return errc::ok;
    }
    if (!is_atom(rest)) return errc::syntax_error;
    out = flag{detail::backslash_flag_kind(rest), token};
    return errc::ok;
  }
  if (!is_atom(token)) return errc::syntax_error;
  out = flag{flag_kind::keyword, token};
  return errc::ok;
}

/// Appends `f`: a system flag or \* in its canonical spelling ("\Seen"),
/// a keyword or an extension as its name. errc::invalid_argument, nothing
/// appended, when a keyword's name is not an atom or an extension's is not
/// "\" atom (so a hand-built flag cannot inject bytes into a command).
inline errc write(std::string& out, const flag& f) {
  switch (f.kind) {
    case flag_kind::keyword:
      if (!is_atom(f.name)) return errc::invalid_argument;
      out.append(f.name);
      return errc::ok;
    case flag_kind::extension:
      if (f.name.empty() || f.name.front() != '\\' || !is_atom(f.name.substr(1))) return errc::invalid_argument;
      out.append(f.name);
      return errc::ok;
    default:
      out.append(to_string(f.kind));
      return errc::ok;
  }
}

/// The mailbox attributes of LIST and LSUB responses ("\" atom, matched in
/// any case).
enum class mailbox_attribute : std::uint8_t {
  noinferiors,    ///< \Noinferiors: no child can be created (RFC 9051 7.3.1)
  noselect,       ///< \Noselect: cannot be selected
  marked,         ///< \Marked: probably has new messages
  unmarked,       ///< \Unmarked: no new messages
  nonexistent,    ///< \NonExistent: does not exist (RFC 5258, RFC 9051)
  subscribed,     ///< \Subscribed (RFC 5258, RFC 9051)
  remote,         ///< \Remote: on another server (RFC 5258, RFC 9051)
  haschildren,    ///< \HasChildren (RFC 3348, RFC 9051)
  hasnochildren,  ///< \HasNoChildren (RFC 3348, RFC 9051)
  all,            ///< \All: every message (RFC 6154 special-use)
  archive,        ///< \Archive (RFC 6154)
  drafts,         ///< \Drafts (RFC 6154)
  flagged,        ///< \Flagged: flagged messages (RFC 6154; not the message flag)
  junk,           ///< \Junk (RFC 6154)
  sent,           ///< \Sent (RFC 6154)
  trash,          ///< \Trash (RFC 6154)
  important,      ///< \Important (RFC 8457)
  unknown,        ///< any other "\" atom: an extension, kept by the caller verbatim
};

/// The canonical spelling, "\" included ("\HasNoChildren"); empty for
/// unknown.
constexpr std::string_view to_string(mailbox_attribute a) noexcept {
  switch (a) {
    case mailbox_attribute::noinferiors: return "\\Noinferiors";
    case mailbox_attribute::noselect: return "\\Noselect";
    case mailbox_attribute::marked: return "\\Marked";
    case mailbox_attribute::unmarked: return "\\Unmarked";
    case mailbox_attribute::nonexistent: return "\\NonExistent";
    case mailbox_attribute::subscribed: return "\\Subscribed";
    case mailbox_attribute::remote: return "\\Remote";
    case mailbox_attribute::haschildren: return "\\HasChildren";
    case mailbox_attribute::hasnochildren: return "\\HasNoChildren";
    case mailbox_attribute::all: return "\\All";
    case mailbox_attribute::archive: return "\\Archive";
    case mailbox_attribute::drafts: return "\\Drafts";
    case mailbox_attribute::flagged: return "\\Flagged";
    case mailbox_attribute::junk: return "\\Junk";
    case mailbox_attribute::sent: return "\\Sent";
    case mailbox_attribute::trash: return "\\Trash";
    case mailbox_attribute::important: return "\\Important";
    case mailbox_attribute::unknown: break;
  }
  return {};
}

/// Reads one mailbox attribute token ("\" atom, the whole token) into
/// `out`: the known attribute whatever its case, or unknown for another
/// well-formed "\" atom (the caller keeps that token as written).
/// errc::syntax_error, `out` unchanged, when `token` is not "\" atom.
inline errc parse_mailbox_attribute(std::string_view token, mailbox_attribute& out) noexcept {
  if (token.size() < 2 || token.front() != '\\' || !is_atom(token.substr(1))) return errc::syntax_error;
  for (auto i = static_cast<std::uint8_t>(mailbox_attribute::noinferiors);
       i < static_cast<std::uint8_t>(mailbox_attribute::unknown); ++i) {
    const auto a = static_cast<mailbox_attribute>(i);
    if (ascii::iequals(token, to_string(a))) {
      out = a;
      return errc::ok;
    }
  }
  out = mailbox_attribute::unknown;
  return errc::ok;
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_FLAG_HPP
