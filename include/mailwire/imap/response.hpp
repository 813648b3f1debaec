// mailwire: IMAP responses, read and written (RFC 3501 7, RFC 9051 7 and
// the extensions of issue 13).
//
// A client reads responses (parse_response), a server writes them
// (write). One type, `response`, holds any of them:
//  - a continuation request: "+" SP resp-text (or base64, see is_base64);
//  - a status response, tagged (OK, NO, BAD) or untagged (OK, NO, BAD,
//    PREAUTH, BYE), with an optional typed response code and its text;
//  - untagged server data: CAPABILITY, ENABLED (RFC 5161), ID (RFC 2971),
//    FLAGS, n EXISTS, n RECENT, n EXPUNGE, VANISHED (RFC 7162), LIST and
//    LSUB with LIST-EXTENDED data (RFC 5258, RFC 9051), STATUS, SEARCH and
//    SORT (with CONDSTORE's MODSEQ), ESEARCH (RFC 4731), THREAD (RFC 5256),
//    NAMESPACE (RFC 2342), QUOTA and QUOTAROOT (RFC 9208), METADATA
//    (RFC 5464), n FETCH (imap/fetch.hpp), and any other untagged response
//    kept as its name and the rest of its line.
//
// Views: every string a parsed response holds points into the message text
// given to parse_response or into the scratch buffer given with it (quoted
// strings with escapes); both must outlive the response and stay unchanged.
// The response object is meant to be reused: parse_response clears it and
// keeps the capacity of its vectors, so a client reading a long stream of
// responses does not allocate per response once they have grown. (A
// std::variant would destroy the vectors of one kind whenever the next
// response is of another kind.)
//
// Mailbox names are kept as on the wire after string decoding (modified
// UTF-7 or UTF-8): imap/mailbox.hpp decodes them. Sequence sets (APPENDUID,
// COPYUID, MODIFIED, VANISHED, ESEARCH ALL) are imap/sequence_set.hpp's
// sequence_set, flags (FLAGS, PERMANENTFLAGS) imap/flag.hpp's flag, read
// and written through imap/values.hpp as the commands' are. A response
// never holds "$" (it names messages, not the client's saved search), and
// the uid-sets of APPENDUID, COPYUID (RFC 4315) and VANISHED (RFC 7162
// known-uids) never "*". LIST attributes stay views of their text.
//
// Strict by default: what RFC 3501 or RFC 9051 (with the extensions above)
// allow is read, anything else is refused with the first error and its
// offset. Two named leniencies in parse_options (allow_missing_text_space,
// allow_trailing_space) accept the deviations of named servers, and
// allow_8bit_quoted reaches human text too (resp-text, a code's text, the
// rest of an unknown response): 8-bit bytes there must otherwise be UTF-8
// (RFC 9051 text). The writer never sends such non-UTF-8 text. Writing
// checks every value first: what write() accepts, parse_response() reads
// back as the same value (operator==).
#ifndef MAILWIRE_IMAP_RESPONSE_HPP
#define MAILWIRE_IMAP_RESPONSE_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/base64.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"
#include "mailwire/imap/fetch.hpp"
#include "mailwire/imap/syntax.hpp"
#include "mailwire/imap/values.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

// ---------------------------------------------------------------------------
// Types

/// What a response is; it says which members of `response` hold its data.
enum class response_type : std::uint8_t {
  continuation,  ///< "+": code, text
  status,        ///< OK/NO/BAD (tagged or not), PREAUTH, BYE: tag, status, code, text
  capability,    ///< CAPABILITY: names (the capabilities)
  enabled,       ///< ENABLED (RFC 5161): names (the capabilities enabled)
  id,            ///< ID (RFC 2971): id_nil, or pairs (field, value)
  flags,         ///< FLAGS: flags
  exists,        ///< n EXISTS: number
  recent,        ///< n RECENT (RFC 3501 only): number
  expunge,       ///< n EXPUNGE: number
  vanished,      ///< VANISHED (RFC 7162): earlier, set (a uid-set)
  list,          ///< LIST: names (attributes), delimiter, mailbox, childinfo, oldname, extended
  lsub,          ///< LSUB (RFC 3501): names (attributes), delimiter, mailbox
  status_data,   ///< STATUS: mailbox, status_items
  search,        ///< SEARCH: numbers, modseq
  esearch,       ///< ESEARCH (RFC 4731, RFC 9051): esearch_tag, uid, esearch
  sort,          ///< SORT (RFC 5256): numbers, modseq
  thread,        ///< THREAD (RFC 5256): thread
  namespace_,    ///< NAMESPACE (RFC 2342): namespaces, namespace_exts, names
  quota,         ///< QUOTA (RFC 9208): mailbox (the quota root), quota
  quotaroot,     ///< QUOTAROOT (RFC 9208): mailbox, names (the quota roots)
  metadata,      ///< METADATA (RFC 5464): mailbox, pairs, entry_list
  fetch,         ///< n FETCH: fetch (imap/fetch.hpp)
  other,         ///< any other untagged response: has_number/number, name, rest
};

/// The condition of a status response.
enum class status_kind : std::uint8_t { ok, no, bad, preauth, bye };

/// "OK", "NO", "BAD", "PREAUTH" or "BYE".
constexpr std::string_view to_string(status_kind k) noexcept {
  switch (k) {
    case status_kind::ok: return "OK";
    case status_kind::no: return "NO";
    case status_kind::bad: return "BAD";
    case status_kind::preauth: return "PREAUTH";
    case status_kind::bye: return "BYE";
  }
  return {};
}

/// The response codes mailwire types (resp-text-code). Which members of
/// resp_code a code uses is said on each; the others are empty.
enum class code_kind : std::uint8_t {
  none,                  ///< no code
  alert,                 ///< ALERT
  badcharset,            ///< BADCHARSET [(charsets)]: list (empty when absent)
  capability,            ///< CAPABILITY caps: list
  parse,                 ///< PARSE
  permanentflags,        ///< PERMANENTFLAGS (flags, "\*"): flags
  read_only,             ///< READ-ONLY
  read_write,            ///< READ-WRITE
  trycreate,             ///< TRYCREATE
  uidnext,               ///< UIDNEXT n: number (non-zero)
  uidvalidity,           ///< UIDVALIDITY n: number (non-zero)
  unseen,                ///< UNSEEN n (RFC 3501): number (non-zero)
  appenduid,             ///< APPENDUID uidvalidity uid-set (RFC 4315): number, set
  copyuid,               ///< COPYUID uidvalidity from to (RFC 4315): number, set, set2
  uidnotsticky,          ///< UIDNOTSTICKY (RFC 4315)
  highestmodseq,         ///< HIGHESTMODSEQ n (RFC 7162): number
  nomodseq,              ///< NOMODSEQ (RFC 7162)
  modified,              ///< MODIFIED set (RFC 7162): set
  closed,                ///< CLOSED (RFC 7162)
  compressionactive,     ///< COMPRESSIONACTIVE (RFC 4978)
  unavailable,           ///< UNAVAILABLE (RFC 5530, as are the codes down to nonexistent)
  authenticationfailed,  ///< AUTHENTICATIONFAILED
  authorizationfailed,   ///< AUTHORIZATIONFAILED
  expired,               ///< EXPIRED
  privacyrequired,       ///< PRIVACYREQUIRED
  contactadmin,          ///< CONTACTADMIN
  noperm,                ///< NOPERM
  inuse,                 ///< INUSE
  expungeissued,         ///< EXPUNGEISSUED
  corruption,            ///< CORRUPTION
  serverbug,             ///< SERVERBUG
  clientbug,             ///< CLIENTBUG
  cannot,                ///< CANNOT
  limit,                 ///< LIMIT
  overquota,             ///< OVERQUOTA
  alreadyexists,         ///< ALREADYEXISTS
  nonexistent,           ///< NONEXISTENT
  toobig,                ///< TOOBIG (RFC 4469)
  badurl,                ///< BADURL url (RFC 4469): text (the URL)
  unknown_cte,           ///< UNKNOWN-CTE (RFC 3516)
  notsaved,              ///< NOTSAVED (RFC 5182)
  haschildren,           ///< HASCHILDREN (RFC 9051)
  mailboxid,             ///< MAILBOXID (objectid) (RFC 8474): text (the id)
  metadata_longentries,  ///< METADATA LONGENTRIES n (RFC 5464): number
  metadata_maxsize,      ///< METADATA MAXSIZE n: number
  metadata_toomany,      ///< METADATA TOOMANY
  metadata_noprivate,    ///< METADATA NOPRIVATE
  other,                 ///< any other code: name (the atom), text (after SP, may be empty)
};

/// A response code ("[UIDNEXT 4392]").
struct resp_code {
  code_kind kind = code_kind::none;  ///< which code (none: no code; other: one mailwire does not type)
  /// The code's atom: for known codes the canonical upper-case name
  /// ("METADATA" for the four METADATA codes), for `other` as sent.
  std::string_view name;
  /// BADCHARSET charsets, CAPABILITY capabilities.
  std::vector<std::string_view> list;
  /// PERMANENTFLAGS: the flags, \* (flag_kind::wildcard) allowed.
  std::vector<flag> flags;
  /// UIDNEXT, UIDVALIDITY, UNSEEN, HIGHESTMODSEQ, the UIDVALIDITY of
  /// APPENDUID and COPYUID, METADATA LONGENTRIES and MAXSIZE.
  std::uint64_t number = 0;
  /// APPENDUID uids and COPYUID source uids (uid-sets: no "*"), MODIFIED
  /// messages (a sequence-set, "*" allowed). Never "$".
  sequence_set set;
  sequence_set set2;      ///< COPYUID destination uids (a uid-set)
  std::string_view text;  ///< other: text after the atom; BADURL url; MAILBOXID id

  /// Empties every member, keeping the vectors' capacity.
  void clear() noexcept {
    kind = code_kind::none;
    name = text = {};
    list.clear();
    flags.clear();
    number = 0;
    set.clear();
    set2.clear();
  }
};

/// One LIST-EXTENDED item mailwire does not type (RFC 5258 mbox-list-
/// extended-item): its tag and its value as on the wire (tagged-ext-val,
/// validated: written back unchanged).
struct extended_item {
  std::string_view tag;  ///< the item's tag
  std::string_view value;  ///< its value as on the wire
};

/// The STATUS items mailwire knows (RFC 9051 7.2.4, RFC 7162, RFC 7889,
/// RFC 8438, RFC 9208).
enum class status_attr : std::uint8_t {
  messages, recent, uidnext, uidvalidity, unseen, deleted, size, highestmodseq, appendlimit,
  deleted_storage, other,
};

/// One STATUS item. MESSAGES, RECENT, UNSEEN, DELETED are 32-bit numbers;
/// UIDNEXT and UIDVALIDITY 32-bit and non-zero; SIZE, HIGHESTMODSEQ,
/// DELETED-STORAGE, APPENDLIMIT and unknown items 63-bit. APPENDLIMIT and
/// unknown items may be NIL (no value); an unknown item may instead have a
/// parenthesised value, kept in `raw` as on the wire (MAILBOXID (id)).
struct status_item {
  status_attr attr = status_attr::other;  ///< which item (other: one mailwire does not know)
  std::string_view name;  ///< canonical upper-case for known items, as sent for other
  std::optional<std::uint64_t> value;  ///< its number; nullopt for NIL or a parenthesised value
  std::string_view raw;   ///< other only: a parenthesised value as on the wire
};

/// ESEARCH return data (RFC 4731 3.1, RFC 9051 7.3.4).
enum class esearch_kind : std::uint8_t { min, max, count, all, modseq, other };

/// One ESEARCH item: MIN/MAX (non-zero) and COUNT (32-bit) and MODSEQ
/// (63-bit) in `number`; ALL's sequence set in `set` ("*" allowed, never
/// "$"); another item's tagged-ext-val as on the wire in `value` (PARTIAL
/// of RFC 9394 is one, read as scanner::raw_value reads a value).
struct esearch_item {
  esearch_kind kind = esearch_kind::other;  ///< which item (other: one mailwire does not type)
  std::string_view name;  ///< canonical for known items, as sent for other
  std::uint64_t number = 0;  ///< min, max, count, modseq: the number
  std::string_view value;  ///< other only
  sequence_set set;        ///< all only
};

/// A THREAD response (RFC 5256) as a forest in preorder: each node is a
/// message (or 0 for a missing parent, "((3)(5))") and the number of its
/// direct children, which follow it. A missing parent has at least two
/// children; so has a message whose only child would be a missing parent.
/// "(3 6 (4 23)(44 7 96))" is {3,1} {6,2} {4,1} {23,0} {44,1} {7,1} {96,0}.
struct thread_node {
  std::uint32_t message = 0;  ///< the message number or UID; 0 for a missing parent
  std::uint32_t children = 0;  ///< how many direct children follow
};

/// One NAMESPACE descriptor (RFC 2342 5, RFC 9051 7.3.5). group: 0
/// personal, 1 other users', 2 shared. Its extensions are namespace_exts
/// [ext_first, ext_first + ext_count).
struct namespace_descr {
  std::uint8_t group = 0;  ///< 0 personal, 1 other users', 2 shared
  std::string_view prefix;  ///< the prefix, as on the wire ("" or "INBOX.")
  nstring delimiter;  ///< the hierarchy delimiter; NIL when there is none
  std::uint32_t ext_first = 0;  ///< its first extension in namespace_exts
  std::uint32_t ext_count = 0;  ///< how many extensions it has
};

/// A namespace extension: its name and its values, response::names
/// [value_first, value_first + value_count) (at least one).
struct namespace_ext {
  std::string_view name;  ///< the extension's name
  std::uint32_t value_first = 0;  ///< its first value in response::names
  std::uint32_t value_count = 0;  ///< how many values it has
};

/// One QUOTA resource (RFC 9208 5.1): name, usage, limit (63-bit).
struct quota_resource {
  std::string_view name;  ///< STORAGE, MESSAGE, MAILBOX...
  std::uint64_t usage = 0;  ///< the usage, in the resource's unit
  std::uint64_t limit = 0;  ///< the limit, in the resource's unit
};

/// A name and an nstring value: ID fields, METADATA entries.
struct string_pair {
  std::string_view name;  ///< the field or entry name
  nstring value;  ///< its value, or NIL
};

/// Any IMAP response. `type` says which members hold data (see
/// response_type); the others are empty. Reuse one object across calls.
struct response {
  response_type type = response_type::status;  ///< which response, and so which members hold data
  /// The tag of a tagged status response (valid per is_tag); empty for an
  /// untagged one.
  std::string_view tag;
  status_kind status = status_kind::ok;  ///< a status response: OK, NO, BAD, PREAUTH or BYE
  resp_code code;  ///< a status response's code ("[UIDNEXT 4392]"), kind none when absent
  /// Human text of a status response or continuation (may be empty; under
  /// RFC 3501 it may not, so a server should give one).
  std::string_view text;
  /// EXISTS, RECENT, EXPUNGE: the number; other: the number before its
  /// name, when has_number.
  std::uint32_t number = 0;
  bool has_number = false;  ///< `number` was given
  /// CAPABILITY/ENABLED capabilities, LIST/LSUB attributes ("\" atom, as
  /// sent; imap::parse_mailbox_attribute types them), QUOTAROOT roots,
  /// NAMESPACE extension values.
  std::vector<std::string_view> names;
  /// FLAGS: the mailbox's flags, `\Recent` included (IMAP4rev1); never `\*`.
  std::vector<flag> flags;
  /// LIST, LSUB, STATUS, QUOTAROOT, METADATA: the mailbox; QUOTA: the root.
  std::string_view mailbox;
  nstring delimiter;                        ///< LIST/LSUB; one character or NIL
  std::vector<std::string_view> childinfo;  ///< LIST CHILDINFO options ("SUBSCRIBED")
  nstring oldname;                          ///< LIST OLDNAME (RFC 9051)
  std::vector<extended_item> extended;      ///< LIST: other extended items, in order
  std::vector<status_item> status_items;    ///< STATUS, in order
  std::vector<std::uint32_t> numbers;       ///< SEARCH, SORT (non-zero)
  std::optional<std::uint64_t> modseq;      ///< SEARCH, SORT: "(MODSEQ n)" (RFC 7162)
  nstring esearch_tag;                      ///< ESEARCH "(TAG x)"
  bool uid = false;                         ///< ESEARCH UID
  std::vector<esearch_item> esearch;        ///< ESEARCH return data, in order
  bool earlier = false;                     ///< VANISHED (EARLIER)
  sequence_set set;                         ///< VANISHED uids (a uid-set: no "*", no "$")
  std::vector<thread_node> thread;          ///< THREAD
  std::vector<namespace_descr> namespaces;  ///< NAMESPACE, by group
  std::vector<namespace_ext> namespace_exts;  ///< NAMESPACE: the descriptors' extensions
  std::vector<quota_resource> quota;        ///< QUOTA
  std::vector<string_pair> pairs;           ///< ID fields, METADATA entries
  bool id_nil = false;                      ///< "ID NIL"
  bool entry_list = false;                  ///< METADATA: entries without values
  fetch_data fetch;                         ///< FETCH (fetch.seq is the message number)
  /// Not data: the FETCH items of an earlier response, kept so that their
  /// vectors (flags, addresses, body parts) are reused by the next FETCH
  /// while `fetch.items` stays empty for other responses.
  std::vector<fetch_item> spare_fetch_items;
  std::string_view name;                    ///< other: its name (an atom)
  /// other: the rest after the name and SP, as on the wire (literals
  /// included, "{5}\r\nhello"; validated).
  std::string_view rest;
  /// After parse_response failed: the offset in the message of the first
  /// error.
  std::size_t error_at = 0;

  /// Empties every member, keeping the vectors' capacity.
  void clear() noexcept {
    type = response_type::status;
    tag = text = mailbox = name = rest = {};
    set.clear();
    status = status_kind::ok;
    code.clear();
    number = 0;
    has_number = uid = earlier = id_nil = entry_list = false;
    names.clear();
    flags.clear();
    delimiter.reset();
    childinfo.clear();
    oldname.reset();
    extended.clear();
    status_items.clear();
    numbers.clear();
    modseq.reset();
    esearch_tag.reset();
    esearch.clear();
    thread.clear();
    namespaces.clear();
    namespace_exts.clear();
    quota.clear();
    pairs.clear();
    fetch.seq = 0;
    if (!fetch.items.empty()) fetch.items.swap(spare_fetch_items);
    fetch.items.clear();
    error_at = 0;
  }
};

// ---------------------------------------------------------------------------
// Helpers

/// True when `caps` (a CAPABILITY response's names or a CAPABILITY code's
/// list) holds `name`, compared case-insensitively ("LITERAL+", "IDLE").
inline bool has_capability(const std::vector<std::string_view>& caps, std::string_view name) noexcept {
  for (const std::string_view c : caps) {
    if (ascii::iequals(c, name)) return true;
  }
  return false;
}

/// True when `caps` holds "AUTH=<mechanism>" (case-insensitive).
inline bool has_auth(const std::vector<std::string_view>& caps, std::string_view mechanism) noexcept {
  for (const std::string_view c : caps) {
    if (c.size() == 5 + mechanism.size() && ascii::iequals(c.substr(0, 5), "AUTH=") &&
        ascii::iequals(c.substr(5), mechanism))
      return true;
  }
  return false;
}

/// True when `text` (a continuation's text) is valid base64 under RFC 4648's
/// strict rules, as an AUTHENTICATE challenge must be; empty is valid (an
/// empty challenge).
inline bool is_base64(std::string_view text) noexcept {
  base64::decoder d(base64::mode::strict);
  char out[base64::decoded_size_max(256)];
  while (!text.empty()) {
    const std::string_view part = text.substr(0, 256);
    if (!d.update(part, out)) return false;
    text.remove_prefix(part.size());
  }
  return static_cast<bool>(d.finish(out));
}

namespace detail {

// resp-text-code argument shapes.
enum class code_args : std::uint8_t {
  none, nz_number, number64, charsets, capabilities, flags, appenduid, copyuid, set, url, objectid, metadata,
};

struct code_info {
  code_kind kind;
  std::string_view name;
  code_args args;
};

inline constexpr code_info code_table[] = {
    {code_kind::alert, "ALERT", code_args::none},
    {code_kind::badcharset, "BADCHARSET", code_args::charsets},
    {code_kind::capability, "CAPABILITY", code_args::capabilities},
    {code_kind::parse, "PARSE", code_args::none},
    {code_kind::permanentflags, "PERMANENTFLAGS", code_args::flags},
    {code_kind::read_only, "READ-ONLY", code_args::none},
    {code_kind::read_write, "READ-WRITE", code_args::none},
    {code_kind::trycreate, "TRYCREATE", code_args::none},
    {code_kind::uidnext, "UIDNEXT", code_args::nz_number},
    {code_kind::uidvalidity, "UIDVALIDITY", code_args::nz_number},
    {code_kind::unseen, "UNSEEN", code_args::nz_number},
    {code_kind::appenduid, "APPENDUID", code_args::appenduid},
    {code_kind::copyuid, "COPYUID", code_args::copyuid},
    {code_kind::uidnotsticky, "UIDNOTSTICKY", code_args::none},
    {code_kind::highestmodseq, "HIGHESTMODSEQ", code_args::number64},
    {code_kind::nomodseq, "NOMODSEQ", code_args::none},
    {code_kind::modified, "MODIFIED", code_args::set},
    {code_kind::closed, "CLOSED", code_args::none},
    {code_kind::compressionactive, "COMPRESSIONACTIVE", code_args::none},
    {code_kind::unavailable, "UNAVAILABLE", code_args::none},
    {code_kind::authenticationfailed, "AUTHENTICATIONFAILED", code_args::none},
    {code_kind::authorizationfailed, "AUTHORIZATIONFAILED", code_args::none},
    {code_kind::expired, "EXPIRED", code_args::none},
    {code_kind::privacyrequired, "PRIVACYREQUIRED", code_args::none},
    {code_kind::contactadmin, "CONTACTADMIN", code_args::none},
    {code_kind::noperm, "NOPERM", code_args::none},
    {code_kind::inuse, "INUSE", code_args::none},
    {code_kind::expungeissued, "EXPUNGEISSUED", code_args::none},
    {code_kind::corruption, "CORRUPTION", code_args::none},
    {code_kind::serverbug, "SERVERBUG", code_args::none},
    {code_kind::clientbug, "CLIENTBUG", code_args::none},
    {code_kind::cannot, "CANNOT", code_args::none},
    {code_kind::limit, "LIMIT", code_args::none},
    {code_kind::overquota, "OVERQUOTA", code_args::none},
    {code_kind::alreadyexists, "ALREADYEXISTS", code_args::none},
    {code_kind::nonexistent, "NONEXISTENT", code_args::none},
    {code_kind::toobig, "TOOBIG", code_args::none},
    {code_kind::badurl, "BADURL", code_args::url},
    {code_kind::unknown_cte, "UNKNOWN-CTE", code_args::none},
    {code_kind::notsaved, "NOTSAVED", code_args::none},
    {code_kind::haschildren, "HASCHILDREN", code_args::none},
    {code_kind::mailboxid, "MAILBOXID", code_args::objectid},
    {code_kind::metadata_longentries, "METADATA", code_args::metadata},
    {code_kind::metadata_maxsize, "METADATA", code_args::metadata},
    {code_kind::metadata_toomany, "METADATA", code_args::metadata},
    {code_kind::metadata_noprivate, "METADATA", code_args::metadata},
};

// The entry of a keyword table (code_table, status_attr_table) by name
// (case-insensitive) or by kind; null when there is none.
template <class T, std::size_t N>
const T* find_name(const T (&table)[N], std::string_view name) noexcept {
  for (const T& e : table) {
    if (ascii::iequals(e.name, name)) return &e;
  }
  return nullptr;
}
template <class T, std::size_t N, class K>
const T* find_kind(const T (&table)[N], K kind) noexcept {
  for (const T& e : table) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

// The word after METADATA in the four METADATA codes, and whether a
// number follows it.
inline std::string_view metadata_word(code_kind k) noexcept {
  switch (k) {
    case code_kind::metadata_longentries: return "LONGENTRIES";
    case code_kind::metadata_maxsize: return "MAXSIZE";
    case code_kind::metadata_toomany: return "TOOMANY";
    case code_kind::metadata_noprivate: return "NOPRIVATE";
    default: return {};
  }
}
constexpr bool metadata_has_number(code_kind k) noexcept {
  return k == code_kind::metadata_longentries || k == code_kind::metadata_maxsize;
}

struct status_attr_info {
  status_attr kind;
  std::string_view name;
  bool bits32;   // a 32-bit number (else 63-bit)
  bool nonzero;  // nz-number
  bool nil;      // NIL allowed
};
inline constexpr status_attr_info status_attr_table[] = {
    {status_attr::messages, "MESSAGES", true, false, false},
    {status_attr::recent, "RECENT", true, false, false},
    {status_attr::uidnext, "UIDNEXT", true, true, false},
    {status_attr::uidvalidity, "UIDVALIDITY", true, true, false},
    {status_attr::unseen, "UNSEEN", true, false, false},
    {status_attr::deleted, "DELETED", true, false, false},
    {status_attr::size, "SIZE", false, false, false},
    {status_attr::highestmodseq, "HIGHESTMODSEQ", false, false, false},
    {status_attr::appendlimit, "APPENDLIMIT", false, false, true},
    {status_attr::deleted_storage, "DELETED-STORAGE", false, false, false},
};
inline constexpr std::string_view esearch_names[] = {"MIN", "MAX", "COUNT", "ALL", "MODSEQ"};

// The untagged responses parse_response types, by their name; those after
// a number are apart ("* 3 EXISTS").
struct untagged_info {
  response_type kind;
  std::string_view name;
};
inline constexpr untagged_info untagged_table[] = {
    {response_type::capability, "CAPABILITY"}, {response_type::enabled, "ENABLED"},
    {response_type::id, "ID"},                 {response_type::flags, "FLAGS"},
    {response_type::vanished, "VANISHED"},     {response_type::list, "LIST"},
    {response_type::lsub, "LSUB"},             {response_type::status_data, "STATUS"},
    {response_type::search, "SEARCH"},         {response_type::esearch, "ESEARCH"},
    {response_type::sort, "SORT"},             {response_type::thread, "THREAD"},
    {response_type::namespace_, "NAMESPACE"},  {response_type::quota, "QUOTA"},
    {response_type::quotaroot, "QUOTAROOT"},   {response_type::metadata, "METADATA"},
};
inline constexpr untagged_info numbered_table[] = {
    {response_type::exists, "EXISTS"},
    {response_type::recent, "RECENT"},
    {response_type::expunge, "EXPUNGE"},
    {response_type::fetch, "FETCH"},
};

// -- pure checks shared by the reader and the writer --------------------

// Human text (TEXT-CHARs; RFC 9051 adds UTF-8) up to `stop` or the end:
// how long it is from `from`, and whether it is acceptable. NUL, CR and
// LF never are; 8-bit bytes must be UTF-8 unless `any_8bit`.
inline bool text_ok(std::string_view s, std::size_t& length, char stop, bool any_8bit) noexcept {
  std::size_t i = 0;
  bool eight = false;
  for (; i < s.size() && s[i] != stop; ++i) {
    const char c = s[i];
    if (c == '\0' || c == '\r' || c == '\n') break;
    eight = eight || ascii::is_8bit(c);
  }
  length = i;
  if (i < s.size() && s[i] != stop) return false;
  return !eight || any_8bit || utf8::valid(s.substr(0, i));
}

// A delimiter: one character, 7-bit or one UTF-8 sequence.
inline bool is_delimiter(std::string_view d) noexcept {
  if (d.size() == 1) return d[0] != '\0' && d[0] != '\r' && d[0] != '\n' && !ascii::is_8bit(d[0]);
  if (d.empty() || d.size() > 4 || !utf8::valid(d)) return false;
  for (std::size_t i = 1; i < d.size(); ++i) {
    if ((static_cast<unsigned char>(d[i]) & 0xC0) != 0x80) return false;
  }
  return true;
}

// The rest of an unknown response: text whose CR LF come only right after
// a literal announcement ("{n}", "{n+}", "~{n}") and are followed by its n
// bytes, which may be anything. NUL outside literals is refused; 8-bit
// text must be UTF-8 unless `any_8bit`.
inline bool rest_ok(std::string_view s, bool any_8bit) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t n = 0;
    const bool text = text_ok(s.substr(i), n, '\0', any_8bit);
    i += n;
    if (i >= s.size()) return text;
    if (!text && s[i] != '\r') return false;
    // A CR here must end "{digits[+]}".
    if (s[i] != '\r' || i + 1 >= s.size() || s[i + 1] != '\n') return false;
    std::size_t j = i;
    if (j == 0 || s[j - 1] != '}') return false;
    --j;
    if (j > 0 && s[j - 1] == '+') --j;
    std::size_t d = j;
    while (d > 0 && ascii::is_digit(s[d - 1])) --d;
    if (d == j || d == 0 || s[d - 1] != '{') return false;
    std::uint64_t size = 0;
    if (!parse_number(s.substr(d, j - d), 20, size)) return false;
    i += 2;
    if (s.size() - i < size) return false;
    i += static_cast<std::size_t>(size);
  }
  return true;
}

// -- reading --------------------------------------------------------------

// " x" where x is not the end: the space is taken. Lists of the form
// *(SP x) read with it stop before a final space, which end() judges.
inline bool more(scanner& sc) noexcept {
  if (sc.peek() != ' ' || sc.pos() + 1 >= sc.text().size()) return false;
  sc.seek(sc.pos() + 1);
  return true;
}

// The end of an untagged data response; one trailing SP under
// allow_trailing_space.
inline bool end(scanner& sc) noexcept {
  if (sc.at_end()) return true;
  if (sc.options().allow_trailing_space && sc.rest() == " ") {
    sc.seek(sc.text().size());
    return true;
  }
  return sc.fail();
}

// A response's sequence set: never "$" (the client's saved search result
// is a command's), and with `star` false a uid-set (RFC 4315 APPENDUID and
// COPYUID, RFC 7162 known-uids): no "*" either.
inline bool set_fits(const sequence_set& s, bool star) noexcept {
  if (s.empty() || s.is_saved_result()) return false;
  if (star) return true;
  for (const seq_range& r : s.ranges()) {
    if (r.first == seq_star || r.last == seq_star) return false;
  }
  return true;
}

inline bool read_set(scanner& sc, sequence_set& out, bool star) {
  const std::size_t at = sc.pos();
  if (!read_sequence_set(sc, out)) return false;
  if (set_fits(out, star)) return true;
  sc.seek(at);
  return sc.fail();
}

// mbx-list-flags: "(" ["\" atom *(SP "\" atom)] ")", each as sent.
inline bool read_attributes(scanner& sc, std::vector<std::string_view>& out) {
  if (!sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      const std::size_t at = sc.pos();
      flag f;
      if (!read_flag(sc, f, false)) return false;
      if (f.kind == flag_kind::keyword) {
        sc.seek(at);
        return sc.fail();
      }
      out.push_back(f.name);
    } while (sc.eat(' '));
  }
  return sc.close();
}

inline bool read_text(scanner& sc, std::string_view& out, char stop) noexcept {
  std::size_t n = 0;
  const std::string_view r = sc.rest();
  if (!text_ok(r, n, stop, sc.options().allow_8bit_quoted)) {
    // At the CR, LF or NUL, else at the first byte that is not UTF-8.
    sc.seek(sc.pos() + (n < r.size() && r[n] != stop ? n : utf8::invalid_at(r.substr(0, n))));
    return sc.fail();
  }
  out = r.substr(0, n);
  sc.seek(sc.pos() + n);
  return true;
}

// A 32-bit number, non-zero when `nz`, into a 64-bit slot.
inline bool read_number(scanner& sc, std::uint64_t& out, bool bits32, bool nz) noexcept {
  const std::size_t at = sc.pos();
  if (bits32) {
    std::uint32_t v = 0;
    if (!(nz ? sc.nz_number(v) : sc.number(v))) return false;
    out = v;
    return true;
  }
  if (!sc.number64(out)) return false;
  if (nz && out == 0) {
    sc.seek(at);
    return sc.fail();
  }
  return true;
}

// The delimiter of LIST and NAMESPACE: a quoted character or NIL.
inline bool read_delimiter(scanner& sc, nstring& out) {
  if (sc.nil()) {
    out.reset();
    return true;
  }
  const std::size_t at = sc.pos();
  std::string_view d;
  if (!sc.quoted(d)) return false;
  if (!is_delimiter(d)) {
    sc.seek(at);
    return sc.fail();
  }
  out = d;
  return true;
}

inline bool read_code_args(scanner& sc, const code_info& c, resp_code& code) {
  switch (c.args) {
    case code_args::none:
      return true;
    case code_args::nz_number:
      return sc.sp() && read_number(sc, code.number, true, true);
    case code_args::number64:
      return sc.sp() && sc.number64(code.number);
    case code_args::charsets:
      if (sc.peek() != ' ') return true;
      if (!sc.sp() || !sc.open()) return false;
      do {
        std::string_view cs;
        if (!(sc.peek() == '"' ? sc.quoted(cs) : sc.atom(cs))) return false;
        code.list.push_back(cs);
      } while (sc.eat(' '));
      return sc.close();
    case code_args::capabilities:
      // capability-data: "CAPABILITY" *(SP capability).
      while (sc.peek() == ' ') {
        std::string_view a;
        if (!sc.sp() || !sc.atom(a)) return false;
        code.list.push_back(a);
      }
      return true;
    case code_args::flags:
      return sc.sp() && read_flag_list(sc, code.flags, true);
    case code_args::appenduid:
      return sc.sp() && read_number(sc, code.number, true, true) && sc.sp() && read_set(sc, code.set, false);
    case code_args::copyuid:
      return sc.sp() && read_number(sc, code.number, true, true) && sc.sp() && read_set(sc, code.set, false) &&
             sc.sp() && read_set(sc, code.set2, false);
    case code_args::set:
      return sc.sp() && read_set(sc, code.set, true);
    case code_args::url:
      // url-resp-text (RFC 4469): text up to "]" (read as resp-text's).
      if (!sc.sp() || !read_text(sc, code.text, ']')) return false;
      return !code.text.empty() || sc.fail();
    case code_args::objectid: return sc.sp() && read_paren_objectid(sc, code.text);
    case code_args::metadata:
      if (!sc.sp()) return false;
      for (const code_kind k : {code_kind::metadata_longentries, code_kind::metadata_maxsize,
                                code_kind::metadata_toomany, code_kind::metadata_noprivate}) {
        if (!sc.keyword(metadata_word(k))) continue;
        code.kind = k;
        return !metadata_has_number(k) || (sc.sp() && read_number(sc, code.number, true, false));
      }
      return sc.fail();
  }
  return sc.fail();
}

// "[" resp-text-code "]", the cursor after "[". A known code whose
// arguments do not fit is read as the generic form (RFC 9051's resp-text-
// code ends in atom [SP 1*<TEXT-CHAR except "]">]) and so is `other`.
inline bool read_code(scanner& sc, resp_code& code) {
  const std::size_t at = sc.pos();
  std::string_view a;
  if (!sc.atom(a)) return false;
  if (const code_info* c = find_name(code_table, a)) {
    code.kind = c->kind;
    code.name = c->name;
    if (read_code_args(sc, *c, code) && sc.eat(']')) return true;
    sc.backtrack(at);
    code.clear();
    sc.atom(a);
  }
  code.kind = code_kind::other;
  code.name = a;
  if (sc.eat(' ')) {
    if (!read_text(sc, code.text, ']')) return false;
    if (code.text.empty()) return sc.fail();
  }
  return sc.expect(']');
}

// SP resp-text after a status or "+": the code, then the text to the end.
inline bool read_resp_text(scanner& sc, response& r) {
  const bool lenient = sc.options().allow_missing_text_space;
  if (sc.at_end()) return lenient || sc.fail();
  if (!sc.sp()) return false;
  if (sc.eat('[')) {
    if (!read_code(sc, r.code)) return false;
    if (sc.at_end()) return lenient || sc.fail();
    if (!sc.sp()) return false;
  }
  return read_text(sc, r.text, '\0');
}

inline bool read_list(scanner& sc, response& r) {
  if (!sc.sp() || !read_attributes(sc, r.names)) return false;
  if (!sc.sp() || !read_delimiter(sc, r.delimiter) || !sc.sp() || !sc.astring(r.mailbox)) return false;
  if (r.type == response_type::lsub || !more(sc)) return end(sc);
  if (!sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      std::string_view tag;
      if (!sc.astring(tag) || !sc.sp()) return false;
      if (ascii::iequals(tag, "CHILDINFO")) {
        if (!sc.open()) return false;
        do {
          std::string_view opt;
          if (!sc.string(opt)) return false;
          r.childinfo.push_back(opt);
        } while (sc.eat(' '));
        if (!sc.close()) return false;
      } else if (ascii::iequals(tag, "OLDNAME")) {
        std::string_view old;
        if (r.oldname || !sc.open() || !sc.astring(old) || !sc.close()) return sc.fail();
        r.oldname = old;
      } else {
        extended_item x;
        x.tag = tag;
        if (!sc.raw_value(x.value)) return false;
        r.extended.push_back(x);
      }
    } while (sc.eat(' '));
  }
  return sc.close() && end(sc);
}

inline bool read_status_data(scanner& sc, response& r) {
  if (!sc.sp() || !sc.astring(r.mailbox) || !sc.sp() || !sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      status_item it;
      if (!sc.atom(it.name) || !sc.sp()) return false;
      const status_attr_info* a = find_name(status_attr_table, it.name);
      if (a != nullptr) {
        it.attr = a->kind;
        it.name = a->name;
      }
      if ((a == nullptr || a->nil) && sc.nil()) {
        it.value.reset();
      } else if (a == nullptr && sc.peek() == '(') {
        if (!sc.raw_value(it.raw)) return false;
      } else {
        std::uint64_t v = 0;
        if (!read_number(sc, v, a != nullptr && a->bits32, a != nullptr && a->nonzero)) return false;
        it.value = v;
      }
      r.status_items.push_back(it);
    } while (sc.eat(' '));
  }
  return sc.close() && end(sc);
}

// SEARCH and SORT: *(SP nz-number) [SP "(" "MODSEQ" SP n ")"].
inline bool read_numbers(scanner& sc, response& r) {
  while (more(sc)) {
    if (sc.peek() == '(') {
      std::uint64_t m = 0;
      if (!sc.open() || !sc.keyword("MODSEQ") || !sc.sp() || !sc.number64(m) || !sc.close()) return sc.fail();
      r.modseq = m;
      break;
    }
    std::uint32_t n = 0;
    if (!sc.nz_number(n)) return false;
    r.numbers.push_back(n);
  }
  return end(sc);
}

inline bool read_esearch(scanner& sc, response& r) {
  bool first = true;
  while (more(sc)) {
    if (first && sc.peek() == '(') {
      std::string_view t;
      if (!sc.open() || !sc.keyword("TAG") || !sc.sp() || !sc.astring(t) || !sc.close()) return sc.fail();
      r.esearch_tag = t;
      first = false;
      continue;
    }
    const std::size_t at = sc.pos();
    if (!r.uid && r.esearch.empty() && sc.keyword("UID") && (sc.at_end() || sc.peek() == ' ')) {
      r.uid = true;
      first = false;
      continue;
    }
    sc.seek(at);
    first = false;
    esearch_item& it = r.esearch.emplace_back();
    if (!sc.atom(it.name) || !sc.sp()) return false;
    it.kind = esearch_kind::other;
    for (std::size_t k = 0; k < 5; ++k) {
      if (ascii::iequals(it.name, esearch_names[k])) {
        it.kind = static_cast<esearch_kind>(k);
        it.name = esearch_names[k];
      }
    }
    bool good = false;
    switch (it.kind) {
      case esearch_kind::min:
      case esearch_kind::max: good = read_number(sc, it.number, true, true); break;
      case esearch_kind::count: good = read_number(sc, it.number, true, false); break;
      case esearch_kind::modseq: good = sc.number64(it.number); break;
      case esearch_kind::all: good = read_set(sc, it.set, true); break;
      case esearch_kind::other: good = sc.raw_value(it.value); break;
    }
    if (!good) return false;
  }
  return end(sc);
}

// thread-list (RFC 5256): "(" (thread-members / thread-nested) ")";
// thread-members = nz-number *(SP nz-number) [SP thread-nested];
// thread-nested = 2*thread-list. Depth is bounded by the scanner.
inline bool read_thread_nested(scanner& sc, response& r, std::size_t parent);
inline bool read_thread_list(scanner& sc, response& r) {
  if (!sc.open()) return false;
  if (sc.peek() == '(') {
    r.thread.push_back(thread_node{});
    if (!read_thread_nested(sc, r, r.thread.size() - 1)) return false;
  } else {
    std::uint32_t n = 0;
    if (!sc.nz_number(n)) return false;
    r.thread.push_back(thread_node{n, 0});
    std::size_t last = r.thread.size() - 1;
    while (sc.eat(' ')) {
      if (sc.peek() == '(') {
        if (!read_thread_nested(sc, r, last)) return false;
        break;
      }
      if (!sc.nz_number(n)) return false;
      r.thread[last].children = 1;
      r.thread.push_back(thread_node{n, 0});
      last = r.thread.size() - 1;
    }
  }
  return sc.close();
}
inline bool read_thread_nested(scanner& sc, response& r, std::size_t parent) {
  std::uint32_t count = 0;
  while (sc.peek() == '(') {
    if (!read_thread_list(sc, r)) return false;
    ++count;
  }
  if (count < 2) return sc.fail();
  r.thread[parent].children = count;
  return true;
}

inline bool read_namespace(scanner& sc, response& r, std::uint8_t group) {
  if (sc.nil()) return true;
  if (!sc.open()) return false;
  do {
    namespace_descr d;
    d.group = group;
    if (!sc.open() || !sc.string(d.prefix) || !sc.sp() || !read_delimiter(sc, d.delimiter)) return false;
    d.ext_first = static_cast<std::uint32_t>(r.namespace_exts.size());
    while (sc.eat(' ')) {
      namespace_ext x;
      if (!sc.string(x.name) || !sc.sp() || !sc.open()) return false;
      x.value_first = static_cast<std::uint32_t>(r.names.size());
      do {
        std::string_view v;
        if (!sc.string(v)) return false;
        r.names.push_back(v);
      } while (sc.eat(' '));
      if (!sc.close()) return false;
      x.value_count = static_cast<std::uint32_t>(r.names.size()) - x.value_first;
      r.namespace_exts.push_back(x);
    }
    d.ext_count = static_cast<std::uint32_t>(r.namespace_exts.size()) - d.ext_first;
    if (!sc.close()) return false;
    r.namespaces.push_back(d);
  } while (sc.peek() == '(');
  return sc.close();
}

inline bool read_quota(scanner& sc, response& r) {
  if (!sc.sp() || !sc.astring(r.mailbox) || !sc.sp() || !sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      quota_resource q;
      if (!sc.atom(q.name) || !sc.sp() || !sc.number64(q.usage) || !sc.sp() || !sc.number64(q.limit)) return false;
      r.quota.push_back(q);
    } while (sc.eat(' '));
  }
  return sc.close() && end(sc);
}

inline bool read_id(scanner& sc, response& r) {
  if (!sc.sp()) return false;
  if (sc.nil()) {
    r.id_nil = true;
    return end(sc);
  }
  if (!sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      string_pair p;
      if (!sc.string(p.name) || !sc.sp() || !sc.nstring(p.value)) return false;
      r.pairs.push_back(p);
    } while (sc.eat(' '));
  }
  return sc.close() && end(sc);
}

// METADATA value: nstring / literal8 (RFC 5464 5).
inline bool read_metadata_value(scanner& sc, nstring& out) {
  if (sc.peek() != '~') return sc.nstring(out);
  const std::size_t at = sc.pos();
  literal_body b;
  if (!sc.literal(b, true)) return false;
  if (b.streamed) {
    sc.seek(at);
    return sc.fail(errc::imap_literal_too_big);
  }
  out = b.data;
  return true;
}

inline bool read_metadata(scanner& sc, response& r) {
  if (!sc.sp() || !sc.astring(r.mailbox) || !sc.sp()) return false;
  if (sc.peek() == '(') {
    if (!sc.open()) return false;
    do {
      string_pair p;
      if (!sc.astring(p.name) || !sc.sp() || !read_metadata_value(sc, p.value)) return false;
      r.pairs.push_back(p);
    } while (sc.eat(' '));
    return sc.close() && end(sc);
  }
  r.entry_list = true;
  do {
    string_pair p;
    if (!sc.astring(p.name)) return false;
    r.pairs.push_back(p);
  } while (more(sc));
  return end(sc);
}

// An untagged response mailwire does not know: its name, then SP and the
// rest (which must be non-empty; literals in it are kept, streamed ones
// refused).
inline bool read_other(scanner& sc, response& r, std::string_view name) {
  r.type = response_type::other;
  r.name = name;
  if (!more(sc)) return end(sc);
  const std::size_t at = sc.pos();
  // A streamed literal has no body in the text: the rest cannot be kept.
  for (std::size_t i = at; i < sc.text().size(); ++i) {
    if (sc.text()[i] != '{' && sc.text()[i] != '~') continue;
    sc.seek(i);
    literal_body b;
    if (sc.literal(b, true) && b.streamed) {
      sc.seek(i);
      return sc.fail(errc::imap_literal_too_big);
    }
    sc.backtrack(at);
  }
  if (!rest_ok(sc.rest(), sc.options().allow_8bit_quoted)) return sc.fail();
  sc.text_to_end(r.rest);
  return true;
}

inline bool read_untagged(scanner& sc, response& r) {
  std::string_view w;
  if (ascii::is_digit(sc.peek())) {
    std::uint32_t n = 0;
    if (!sc.number(n) || !sc.sp() || !sc.atom(w)) return false;
    r.number = n;
    const untagged_info* u = find_name(numbered_table, w);
    if (u == nullptr) {
      r.has_number = true;
      return read_other(sc, r, w);
    }
    r.type = u->kind;
    if (r.type == response_type::expunge && n == 0) return sc.fail();
    if (r.type != response_type::fetch) return end(sc);
    r.number = 0;
    if (n == 0 || !sc.sp()) return sc.fail();
    r.fetch.seq = n;
    r.fetch.items.swap(r.spare_fetch_items);  // reuse the last FETCH's items
    return parse_fetch_data(sc, r.fetch) && end(sc);
  }
  if (!sc.atom(w)) return false;
  static constexpr status_kind kinds[] = {status_kind::ok, status_kind::no, status_kind::bad, status_kind::preauth,
                                          status_kind::bye};
  for (const status_kind k : kinds) {
    if (ascii::iequals(w, to_string(k))) {
      r.type = response_type::status;
      r.status = k;
      return read_resp_text(sc, r);
    }
  }
  const untagged_info* u = find_name(untagged_table, w);
  if (u == nullptr) return read_other(sc, r, w);
  r.type = u->kind;
  switch (r.type) {
    case response_type::capability:
    case response_type::enabled:
      while (more(sc)) {
        std::string_view a;
        if (!sc.atom(a)) return false;
        r.names.push_back(a);
      }
      return end(sc);
    case response_type::flags: return sc.sp() && read_flag_list(sc, r.flags) && end(sc);
    case response_type::list:
    case response_type::lsub: return read_list(sc, r);
    case response_type::status_data: return read_status_data(sc, r);
    case response_type::search:
    case response_type::sort: return read_numbers(sc, r);
    case response_type::esearch: return read_esearch(sc, r);
    case response_type::thread:
      if (more(sc)) {
        if (sc.peek() != '(') return sc.fail();
        while (sc.peek() == '(') {
          if (!read_thread_list(sc, r)) return false;
        }
      }
      return end(sc);
    case response_type::namespace_:
      for (std::uint8_t g = 0; g < 3; ++g) {
        if (!sc.sp() || !read_namespace(sc, r, g)) return false;
      }
      return end(sc);
    case response_type::quota: return read_quota(sc, r);
    case response_type::quotaroot:
      if (!sc.sp() || !sc.astring(r.mailbox)) return false;
      while (more(sc)) {
        std::string_view root;
        if (!sc.astring(root)) return false;
        r.names.push_back(root);
      }
      return end(sc);
    case response_type::metadata: return read_metadata(sc, r);
    case response_type::id: return read_id(sc, r);
    case response_type::vanished:
      if (!sc.sp()) return false;
      if (sc.peek() == '(') {
        if (!sc.open() || !sc.keyword("EARLIER") || !sc.close() || !sc.sp()) return sc.fail();
        r.earlier = true;
      }
      return read_set(sc, r.set, false) && end(sc);
    default: break;
  }
  return read_other(sc, r, w);
}

inline bool read_response(scanner& sc, response& r) {
  if (sc.eat('+')) {
    r.type = response_type::continuation;
    return read_resp_text(sc, r);
  }
  if (sc.eat('*')) return sc.sp() && read_untagged(sc, r);
  std::string_view w;
  if (!sc.tag(r.tag) || !sc.sp() || !sc.atom(w)) return false;
  r.type = response_type::status;
  if (ascii::iequals(w, "OK")) r.status = status_kind::ok;
  else if (ascii::iequals(w, "NO")) r.status = status_kind::no;
  else if (ascii::iequals(w, "BAD")) r.status = status_kind::bad;
  else {
    sc.seek(sc.pos() - w.size());
    return sc.fail();
  }
  return read_resp_text(sc, r);
}

}  // namespace detail

/// Parses one response: `message` is one whole message as frame_reader
/// delivers it, without its final CRLF (literals in it as "{n}" CRLF and
/// the bytes; streamed ones listed in `streamed`). `out` is cleared first
/// (capacity kept) and holds views into `message` and `scratch` (see the
/// file comment). Returns errc::ok, or the first error with out.error_at
/// its offset: errc::syntax_error for anything that is not a response of
/// this grammar, errc::imap_too_deep past options.max_depth nesting,
/// errc::imap_bad_literal for a malformed literal announcement,
/// errc::truncated for a literal shorter than announced,
/// errc::imap_literal_too_big for a streamed literal where a string must
/// be in memory, errc::nul_byte for NUL in a string literal. `out` is
/// unspecified after an error. A FETCH response is read by
/// imap/fetch.hpp's parser.
inline errc parse_response(std::string_view message, response& out, std::string& scratch,
                           const parse_options& options = {},
                           const std::vector<std::size_t>* streamed = nullptr) {
  out.clear();
  detail::scanner sc(message, scratch, options, streamed);
  if (!detail::read_response(sc, out) && sc.ok()) sc.fail();
  if (sc.ok() && !sc.at_end()) sc.fail();
  if (!sc.ok()) {
    out.error_at = sc.error_at();
    return sc.error();
  }
  return errc::ok;
}

// ---------------------------------------------------------------------------
// Writing

namespace detail {

// Human text: no NUL, CR, LF (nor `stop`); 8-bit only as UTF-8 to a peer
// that takes it (UTF8=ACCEPT), since RFC 3501 text is 7-bit.
inline void write_text(wire_writer& w, std::string_view s, char stop = '\0') {
  std::size_t n = 0;
  const bool eight = detail::span(s, 0, detail::text_char) != s.size();
  if (!text_ok(s, n, stop, false) || n != s.size() || (eight && !w.peer().utf8))
    return w.fail(errc::invalid_argument);
  w.raw(s);
}

inline void write_attributes(wire_writer& w, const std::vector<std::string_view>& attrs) {
  w.raw('(');
  for (std::size_t i = 0; i < attrs.size(); ++i) {
    mailbox_attribute a = mailbox_attribute::unknown;
    if (parse_mailbox_attribute(attrs[i], a) != errc::ok) return w.fail(errc::invalid_argument);
    if (i != 0) w.sp();
    w.raw(attrs[i]);
  }
  w.raw(')');
}

inline void write_set(wire_writer& w, const sequence_set& s, bool star) {
  if (!set_fits(s, star)) return w.fail(errc::invalid_argument);
  write_sequence_set(w, s);
}

inline void write_nz(wire_writer& w, std::uint64_t v, bool bits32) {
  if (v == 0 || (bits32 && v > 0xFFFFFFFFu)) return w.fail(errc::invalid_argument);
  w.number(v);
}
inline void write_number(wire_writer& w, std::uint64_t v, bool bits32) {
  if (v > (bits32 ? 0xFFFFFFFFull : 0x7FFFFFFFFFFFFFFFull)) return w.fail(errc::invalid_argument);
  w.number(v);
}

inline void write_delimiter(wire_writer& w, const nstring& d) {
  if (!d) return w.nil();
  if (!is_delimiter(*d)) return w.fail(errc::invalid_argument);
  w.quoted(*d);
}

// A raw tagged-ext-val given by the caller (or kept from a parse): it must
// read back as exactly one value (scanner::raw_value).
inline void write_ext_val(wire_writer& w, std::string_view v) {
  std::string scratch;
  const parse_options o;
  scanner sc(v, scratch, o);
  std::string_view got;
  if (!sc.raw_value(got) || !sc.at_end()) return w.fail(errc::invalid_argument);
  w.raw(v);
}

inline void write_code(wire_writer& w, const resp_code& c) {
  if (c.kind == code_kind::none) return;
  w.raw('[');
  if (c.kind == code_kind::other) {
    const std::size_t at = w.bytes().size();
    w.atom(c.name);
    if (!c.text.empty()) {
      w.sp();
      write_text(w, c.text, ']');
    }
    w.raw(']');
    if (!w.ok()) return;
    // A known name whose text fits that code would read back as it.
    std::string scratch;
    const parse_options o;
    scanner sc(std::string_view(w.bytes()).substr(at), scratch, o);
    resp_code back;
    if (!read_code(sc, back) || back.kind != code_kind::other) w.fail(errc::invalid_argument);
    return;
  }
  const code_info* info = find_kind(code_table, c.kind);
  if (info == nullptr) return w.fail(errc::invalid_argument);
  w.raw(info->name);
  switch (info->args) {
    case code_args::none: break;
    case code_args::nz_number: w.sp(); write_nz(w, c.number, true); break;
    case code_args::number64: w.sp(); write_number(w, c.number, false); break;
    case code_args::charsets:
      if (c.list.empty()) break;
      w.raw(" (");
      for (std::size_t i = 0; i < c.list.size(); ++i) {
        if (i != 0) w.sp();
        if (is_atom(c.list[i])) w.raw(c.list[i]);
        else w.quoted(c.list[i]);
      }
      w.raw(')');
      break;
    case code_args::capabilities:
      for (const std::string_view a : c.list) {
        w.sp();
        w.atom(a);
      }
      break;
    case code_args::flags: w.sp(); write_flag_list(w, c.flags, true); break;
    case code_args::appenduid:
    case code_args::copyuid:
      w.sp();
      write_nz(w, c.number, true);
      w.sp();
      write_set(w, c.set, false);
      if (info->args == code_args::copyuid) {
        w.sp();
        write_set(w, c.set2, false);
      }
      break;
    case code_args::set: w.sp(); write_set(w, c.set, true); break;
    case code_args::url:
      if (c.text.empty()) return w.fail(errc::invalid_argument);
      w.sp();
      write_text(w, c.text, ']');
      break;
    case code_args::objectid: w.sp(); write_paren_objectid(w, c.text); break;
    case code_args::metadata:
      w.sp();
      w.raw(metadata_word(c.kind));
      if (metadata_has_number(c.kind)) {
        w.sp();
        write_number(w, c.number, true);
      }
      break;
  }
  w.raw(']');
}

// SP resp-text: the SP is always written (RFC 9051 erratum 7343).
inline void write_resp_text(wire_writer& w, const response& r) {
  w.sp();
  if (r.code.kind != code_kind::none) {
    write_code(w, r.code);
    w.sp();
  } else if (!r.text.empty() && r.text[0] == '[') {
    // It would read back as a response code.
    return w.fail(errc::invalid_argument);
  }
  write_text(w, r.text);
}

inline void write_thread(wire_writer& w, const std::vector<thread_node>& t) {
  std::vector<std::uint32_t> owed;  // child lists still to write, per open list
  std::size_t i = 0;
  while (i < t.size()) {
    w.raw('(');
    const thread_node* x = &t[i];
    if (x->message != 0) {
      w.number(x->message);
      while (x->children == 1) {
        if (i + 1 >= t.size() || t[i + 1].message == 0) return w.fail(errc::invalid_argument);
        x = &t[++i];
        w.sp();
        w.number(x->message);
      }
      if (x->children >= 2) w.sp();
    } else if (x->children < 2) {
      return w.fail(errc::invalid_argument);
    }
    ++i;
    if (x->children != 0) {
      owed.push_back(x->children);
      continue;
    }
    w.raw(')');
    while (!owed.empty() && --owed.back() == 0) {
      owed.pop_back();
      w.raw(')');
    }
  }
  if (!owed.empty()) w.fail(errc::invalid_argument);
}

inline void write_namespaces(wire_writer& w, const response& r) {
  std::uint8_t last = 0;
  for (const namespace_descr& d : r.namespaces) {
    if (d.group > 2 || d.group < last) return w.fail(errc::invalid_argument);
    last = d.group;
  }
  for (std::uint8_t g = 0; g < 3; ++g) {
    w.sp();
    bool any = false;
    for (const namespace_descr& d : r.namespaces) {
      if (d.group != g) continue;
      if (!any) w.raw('(');
      any = true;
      w.raw('(');
      w.string(d.prefix);
      w.sp();
      write_delimiter(w, d.delimiter);
      if (std::size_t{d.ext_first} + d.ext_count > r.namespace_exts.size()) return w.fail(errc::invalid_argument);
      for (std::uint32_t e = 0; e < d.ext_count; ++e) {
        const namespace_ext& x = r.namespace_exts[d.ext_first + e];
        if (x.value_count == 0 || std::size_t{x.value_first} + x.value_count > r.names.size())
          return w.fail(errc::invalid_argument);
        w.sp();
        w.string(x.name);
        w.raw(" (");
        for (std::uint32_t v = 0; v < x.value_count; ++v) {
          if (v != 0) w.sp();
          w.string(r.names[x.value_first + v]);
        }
        w.raw(')');
      }
      w.raw(')');
    }
    if (any) w.raw(')');
    else w.nil();
  }
}

inline void write_status_data(wire_writer& w, const response& r) {
  w.raw("STATUS ");
  w.astring(r.mailbox);
  w.raw(" (");
  for (std::size_t i = 0; i < r.status_items.size(); ++i) {
    const status_item& it = r.status_items[i];
    if (i != 0) w.sp();
    const status_attr_info* a = it.attr == status_attr::other ? nullptr : find_kind(status_attr_table, it.attr);
    if (a == nullptr && (it.attr != status_attr::other || find_name(status_attr_table, it.name) != nullptr))
      return w.fail(errc::invalid_argument);
    w.atom(a != nullptr ? a->name : it.name);
    w.sp();
    if (a == nullptr && !it.raw.empty()) {
      if (it.value || it.raw[0] != '(') return w.fail(errc::invalid_argument);
      write_ext_val(w, it.raw);
    } else if (!it.value) {
      if (a != nullptr && !a->nil) return w.fail(errc::invalid_argument);
      w.nil();
    } else if (a != nullptr && a->nonzero) {
      write_nz(w, *it.value, a->bits32);
    } else {
      write_number(w, *it.value, a != nullptr && a->bits32);
    }
  }
  w.raw(')');
}

inline void write_esearch(wire_writer& w, const response& r) {
  w.raw("ESEARCH");
  if (r.esearch_tag) {
    w.raw(" (TAG ");
    w.string(*r.esearch_tag);
    w.raw(')');
  }
  if (r.uid) w.raw(" UID");
  for (const esearch_item& it : r.esearch) {
    w.sp();
    if (it.kind == esearch_kind::other) {
      // A known name, or UID where the UID flag may be, would read back as
      // something else.
      for (const std::string_view n : esearch_names) {
        if (ascii::iequals(n, it.name)) return w.fail(errc::invalid_argument);
      }
      if (!r.uid && &it == &r.esearch.front() && ascii::iequals(it.name, "UID")) return w.fail(errc::invalid_argument);
      w.atom(it.name);
      w.sp();
      write_ext_val(w, it.value);
      continue;
    }
    w.raw(esearch_names[static_cast<std::size_t>(it.kind)]);
    w.sp();
    switch (it.kind) {
      case esearch_kind::min:
      case esearch_kind::max: write_nz(w, it.number, true); break;
      case esearch_kind::count: write_number(w, it.number, true); break;
      case esearch_kind::modseq: write_number(w, it.number, false); break;
      case esearch_kind::all: write_set(w, it.set, true); break;
      case esearch_kind::other: break;
    }
  }
}

inline void write_list(wire_writer& w, const response& r) {
  w.raw(r.type == response_type::list ? "LIST " : "LSUB ");
  write_attributes(w, r.names);
  w.sp();
  write_delimiter(w, r.delimiter);
  w.sp();
  w.astring(r.mailbox);
  if (r.type == response_type::lsub) {
    if (!r.childinfo.empty() || r.oldname || !r.extended.empty()) w.fail(errc::invalid_argument);
    return;
  }
  if (r.childinfo.empty() && !r.oldname && r.extended.empty()) return;
  w.raw(" (");
  bool first = true;
  if (!r.childinfo.empty()) {
    w.raw("\"CHILDINFO\" (");
    for (std::size_t i = 0; i < r.childinfo.size(); ++i) {
      if (i != 0) w.sp();
      w.string(r.childinfo[i]);
    }
    w.raw(')');
    first = false;
  }
  if (r.oldname) {
    if (!first) w.sp();
    w.raw("\"OLDNAME\" (");
    w.astring(*r.oldname);
    w.raw(')');
    first = false;
  }
  for (const extended_item& x : r.extended) {
    if (ascii::iequals(x.tag, "CHILDINFO") || ascii::iequals(x.tag, "OLDNAME")) return w.fail(errc::invalid_argument);
    if (!first) w.sp();
    first = false;
    w.astring(x.tag);
    w.sp();
    write_ext_val(w, x.value);
  }
  w.raw(')');
}

// True when parse_response types an untagged response of this name (after
// a number, or not).
inline bool known_untagged(std::string_view name, bool numbered) noexcept {
  if (numbered) return find_name(numbered_table, name) != nullptr;
  for (const char* k : {"OK", "NO", "BAD", "PREAUTH", "BYE"}) {
    if (ascii::iequals(name, k)) return true;
  }
  return find_name(untagged_table, name) != nullptr;
}

inline void write_untagged_data(wire_writer& w, const response& r) {
  switch (r.type) {
    case response_type::capability:
    case response_type::enabled:
      w.raw(r.type == response_type::capability ? "CAPABILITY" : "ENABLED");
      for (const std::string_view a : r.names) {
        w.sp();
        w.atom(a);
      }
      return;
    case response_type::id:
      w.raw("ID ");
      if (r.id_nil) {
        if (!r.pairs.empty()) return w.fail(errc::invalid_argument);
        return w.nil();
      }
      w.raw('(');
      for (std::size_t i = 0; i < r.pairs.size(); ++i) {
        if (i != 0) w.sp();
        w.string(r.pairs[i].name);
        w.sp();
        w.nstring(r.pairs[i].value);
      }
      return w.raw(')');
    case response_type::flags:
      w.raw("FLAGS ");
      return write_flag_list(w, r.flags);
    case response_type::exists:
    case response_type::recent:
    case response_type::expunge:
      if (r.type == response_type::expunge) write_nz(w, r.number, true);
      else w.number(r.number);
      w.raw(r.type == response_type::exists ? " EXISTS" : r.type == response_type::recent ? " RECENT" : " EXPUNGE");
      return;
    case response_type::vanished:
      w.raw(r.earlier ? "VANISHED (EARLIER) " : "VANISHED ");
      return write_set(w, r.set, false);
    case response_type::list:
    case response_type::lsub: return write_list(w, r);
    case response_type::status_data: return write_status_data(w, r);
    case response_type::search:
    case response_type::sort:
      w.raw(r.type == response_type::search ? "SEARCH" : "SORT");
      for (const std::uint32_t n : r.numbers) {
        w.sp();
        write_nz(w, n, true);
      }
      if (r.modseq) {
        w.raw(" (MODSEQ ");
        write_number(w, *r.modseq, false);
        w.raw(')');
      }
      return;
    case response_type::esearch: return write_esearch(w, r);
    case response_type::thread:
      w.raw("THREAD");
      if (!r.thread.empty()) w.sp();
      return write_thread(w, r.thread);
    case response_type::namespace_:
      w.raw("NAMESPACE");
      return write_namespaces(w, r);
    case response_type::quota:
      w.raw("QUOTA ");
      w.astring(r.mailbox);
      w.raw(" (");
      for (std::size_t i = 0; i < r.quota.size(); ++i) {
        if (i != 0) w.sp();
        w.atom(r.quota[i].name);
        w.sp();
        write_number(w, r.quota[i].usage, false);
        w.sp();
        write_number(w, r.quota[i].limit, false);
      }
      return w.raw(')');
    case response_type::quotaroot:
      w.raw("QUOTAROOT ");
      w.astring(r.mailbox);
      for (const std::string_view root : r.names) {
        w.sp();
        w.astring(root);
      }
      return;
    case response_type::metadata:
      w.raw("METADATA ");
      w.astring(r.mailbox);
      w.sp();
      if (r.pairs.empty()) return w.fail(errc::invalid_argument);
      if (!r.entry_list) w.raw('(');
      for (std::size_t i = 0; i < r.pairs.size(); ++i) {
        if (i != 0) w.sp();
        w.astring(r.pairs[i].name);
        if (r.entry_list) {
          if (r.pairs[i].value) return w.fail(errc::invalid_argument);
          continue;
        }
        w.sp();
        w.nstring(r.pairs[i].value);
      }
      if (!r.entry_list) w.raw(')');
      return;
    case response_type::fetch:
      write_nz(w, r.fetch.seq, true);
      w.raw(" FETCH ");
      return write_fetch_data(w, r.fetch);
    case response_type::other:
      if (r.has_number) {
        w.number(r.number);
        w.sp();
      }
      // A name mailwire reads as something else would not read back.
      if (!is_atom(r.name) || (!r.has_number && ascii::is_digit(r.name[0])) || known_untagged(r.name, r.has_number))
        return w.fail(errc::invalid_argument);
      w.raw(r.name);
      if (!r.rest.empty()) {
        if (!rest_ok(r.rest, false)) return w.fail(errc::invalid_argument);
        w.sp();
        w.raw(r.rest);
      }
      return;
    case response_type::continuation:
    case response_type::status: break;
  }
  w.fail(errc::invalid_argument);
}

}  // namespace detail

/// Appends `r` to `out` as a server sends it, CRLF included. `peer` says
/// what the client reading it supports (to_server should be false: a
/// response's literals never wait). Every value is checked first; on
/// errc::invalid_argument (a value that cannot be written so that it reads
/// back the same: a bad tag, atom, flag, set or number, CR/LF/NUL in text,
/// 8-bit text to a peer without UTF8=ACCEPT, text starting with "[" with no
/// code, a malformed thread forest...) `out` is left as it was.
inline errc write(wire& out, const response& r, const peer_support& peer) {
  const std::size_t bytes = out.bytes.size();
  const std::size_t breaks = out.breaks.size();
  wire_writer w(out, peer);
  switch (r.type) {
    case response_type::continuation:
      w.raw('+');
      detail::write_resp_text(w, r);
      break;
    case response_type::status:
      if (r.tag.empty()) {
        w.raw('*');
      } else {
        if (!is_tag(r.tag) || r.status == status_kind::preauth || r.status == status_kind::bye) {
          w.fail(errc::invalid_argument);
          break;
        }
        w.raw(r.tag);
      }
      w.sp();
      w.raw(to_string(r.status));
      detail::write_resp_text(w, r);
      break;
    default:
      w.raw("* ");
      detail::write_untagged_data(w, r);
      break;
  }
  if (!w.ok()) {
    out.bytes.resize(bytes);
    out.breaks.resize(breaks);
    return w.error();
  }
  w.raw("\r\n");
  return errc::ok;
}

/// A status response without a code: `tag` empty for untagged ("*").
inline errc write_status(wire& out, std::string_view tag, status_kind kind, std::string_view text,
                         const peer_support& peer) {
  response r;
  r.tag = tag;
  r.status = kind;
  r.text = text;
  return write(out, r, peer);
}

// ---------------------------------------------------------------------------
// Equality: the same response, whatever the wire form (atom, quoted or
// literal; letter case of keywords) it was read from.

inline bool operator==(const resp_code& a, const resp_code& b) noexcept {
  if (a.kind != b.kind) return false;
  if (a.kind == code_kind::other && !ascii::iequals(a.name, b.name)) return false;
  return a.list == b.list && a.flags == b.flags && a.number == b.number && a.set == b.set && a.set2 == b.set2 &&
         a.text == b.text;
}
inline bool operator!=(const resp_code& a, const resp_code& b) noexcept { return !(a == b); }

inline bool operator==(const thread_node& a, const thread_node& b) noexcept {
  return a.message == b.message && a.children == b.children;
}
inline bool operator==(const extended_item& a, const extended_item& b) noexcept {
  return a.tag == b.tag && a.value == b.value;
}
inline bool operator==(const status_item& a, const status_item& b) noexcept {
  return a.attr == b.attr && ascii::iequals(a.name, b.name) && a.value == b.value && a.raw == b.raw;
}
inline bool operator==(const esearch_item& a, const esearch_item& b) noexcept {
  return a.kind == b.kind && ascii::iequals(a.name, b.name) && a.number == b.number && a.value == b.value &&
         a.set == b.set;
}
inline bool operator==(const quota_resource& a, const quota_resource& b) noexcept {
  return a.name == b.name && a.usage == b.usage && a.limit == b.limit;
}
inline bool operator==(const string_pair& a, const string_pair& b) noexcept {
  return a.name == b.name && a.value == b.value;
}

namespace detail {
// NAMESPACE compared through its index ranges, not the indices.
inline bool same_namespaces(const response& a, const response& b) noexcept {
  if (a.namespaces.size() != b.namespaces.size()) return false;
  for (std::size_t i = 0; i < a.namespaces.size(); ++i) {
    const namespace_descr& x = a.namespaces[i];
    const namespace_descr& y = b.namespaces[i];
    if (x.group != y.group || x.prefix != y.prefix || x.delimiter != y.delimiter || x.ext_count != y.ext_count)
      return false;
    for (std::uint32_t e = 0; e < x.ext_count; ++e) {
      const namespace_ext& p = a.namespace_exts[x.ext_first + e];
      const namespace_ext& q = b.namespace_exts[y.ext_first + e];
      if (p.name != q.name || p.value_count != q.value_count) return false;
      for (std::uint32_t v = 0; v < p.value_count; ++v) {
        if (a.names[p.value_first + v] != b.names[q.value_first + v]) return false;
      }
    }
  }
  return true;
}
}  // namespace detail

/// Two responses are equal when they are of the same type and the members
/// that type uses are equal (strings by content; keyword case ignored).
inline bool operator==(const response& a, const response& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case response_type::continuation: return a.code == b.code && a.text == b.text;
    case response_type::status:
      return a.tag == b.tag && a.status == b.status && a.code == b.code && a.text == b.text;
    case response_type::capability:
    case response_type::enabled: return a.names == b.names;
    case response_type::flags: return a.flags == b.flags;
    case response_type::id: return a.id_nil == b.id_nil && a.pairs == b.pairs;
    case response_type::exists:
    case response_type::recent:
    case response_type::expunge: return a.number == b.number;
    case response_type::vanished: return a.earlier == b.earlier && a.set == b.set;
    case response_type::list:
    case response_type::lsub:
      return a.names == b.names && a.delimiter == b.delimiter && a.mailbox == b.mailbox &&
             a.childinfo == b.childinfo && a.oldname == b.oldname && a.extended == b.extended;
    case response_type::status_data: return a.mailbox == b.mailbox && a.status_items == b.status_items;
    case response_type::search:
    case response_type::sort: return a.numbers == b.numbers && a.modseq == b.modseq;
    case response_type::esearch: return a.esearch_tag == b.esearch_tag && a.uid == b.uid && a.esearch == b.esearch;
    case response_type::thread: return a.thread == b.thread;
    case response_type::namespace_: return detail::same_namespaces(a, b);
    case response_type::quota: return a.mailbox == b.mailbox && a.quota == b.quota;
    case response_type::quotaroot: return a.mailbox == b.mailbox && a.names == b.names;
    case response_type::metadata: return a.mailbox == b.mailbox && a.entry_list == b.entry_list && a.pairs == b.pairs;
    case response_type::fetch: return a.fetch == b.fetch;
    case response_type::other:
      return a.has_number == b.has_number && (!a.has_number || a.number == b.number) &&
             ascii::iequals(a.name, b.name) && a.rest == b.rest;
  }
  return false;
}
inline bool operator!=(const response& a, const response& b) { return !(a == b); }

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_RESPONSE_HPP
