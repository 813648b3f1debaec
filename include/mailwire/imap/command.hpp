// mailwire: IMAP commands, read (a server) and written (a client).
//
// Every command of IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) and of the
// extensions mailwire speaks: SASL-IR (RFC 4959), ENABLE (RFC 5161), IDLE
// (RFC 2177), NAMESPACE (RFC 2342), UNSELECT (RFC 3691), UIDPLUS (RFC
// 4315), MOVE (RFC 6851), CONDSTORE/QRESYNC (RFC 7162), LIST-EXTENDED and
// LIST-STATUS (RFC 5258, RFC 5819), SPECIAL-USE (RFC 6154), MULTIAPPEND
// (RFC 3502), CATENATE (RFC 4469), BINARY (RFC 3516), ESEARCH and SEARCHRES
// (RFC 4731, RFC 5182), SORT and THREAD (RFC 5256), ID (RFC 2971),
// COMPRESS (RFC 4978), QUOTA (RFC 9208), METADATA (RFC 5464), UTF8=ACCEPT
// (RFC 6855). A command mailwire does not know is kept whole
// (command_type::other) for the application to answer.
//
// A command is one message from imap::frame_reader: its text without the
// final CRLF, literals in memory as on the wire, streamed literals (an
// APPEND's message) listed by their offsets. parse_command() reads it into
// a `command` whose strings are views into that text (or into the scratch
// buffer, for quoted strings with escapes). write() serialises a command
// for a peer, choosing every string's form from its content and what the
// server supports, and says where the sender must wait for "+" and where it
// streams a message body.
//
// Mailbox names are kept as they are on the wire: modified UTF-7 (RFC 3501
// 5.1.3), or UTF-8 once UTF8=ACCEPT is enabled. imap/mailbox.hpp converts.
#ifndef MAILWIRE_IMAP_COMMAND_HPP
#define MAILWIRE_IMAP_COMMAND_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mailwire/imap/datetime.hpp"
#include "mailwire/imap/fetch.hpp"
#include "mailwire/imap/flag.hpp"
#include "mailwire/imap/search.hpp"
#include "mailwire/imap/sequence_set.hpp"
#include "mailwire/imap/syntax.hpp"
#include "mailwire/imap/values.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// Which command. UID variants are the base command with command::uid set.
enum class command_type : std::uint8_t {
  capability, noop, logout,                                  // any state
  starttls, authenticate, login,                             // not authenticated
  enable, select, examine, create, delete_, rename, subscribe, unsubscribe, list, lsub, namespace_,
  status, append, idle, id, compress, getquota, getquotaroot, setquota, getmetadata, setmetadata,
  check, close, unselect, expunge, search, fetch, store, copy, move, sort, thread,  // selected
  other,  ///< not known to mailwire: command::name and other_args::arguments hold it
};

/// The command's keyword as written ("DELETE", "UID" is not part of it).
constexpr std::string_view to_string(command_type t) noexcept {
  constexpr std::string_view names[] = {
      "CAPABILITY", "NOOP",        "LOGOUT",       "STARTTLS",    "AUTHENTICATE", "LOGIN",     "ENABLE",
      "SELECT",     "EXAMINE",     "CREATE",       "DELETE",      "RENAME",       "SUBSCRIBE", "UNSUBSCRIBE",
      "LIST",       "LSUB",        "NAMESPACE",    "STATUS",      "APPEND",       "IDLE",      "ID",
      "COMPRESS",   "GETQUOTA",    "GETQUOTAROOT", "SETQUOTA",    "GETMETADATA",  "SETMETADATA", "CHECK",
      "CLOSE",      "UNSELECT",    "EXPUNGE",      "SEARCH",      "FETCH",        "STORE",     "COPY",
      "MOVE",       "SORT",        "THREAD",       ""};
  return names[static_cast<std::size_t>(t)];
}

/// True for the commands that may follow "UID" (RFC 9051 6.4.9, RFC 4315,
/// RFC 6851, RFC 5256).
constexpr bool takes_uid(command_type t) noexcept {
  return t == command_type::copy || t == command_type::move || t == command_type::fetch ||
         t == command_type::search || t == command_type::store || t == command_type::expunge ||
         t == command_type::sort || t == command_type::thread;
}

/// An extension parameter (RFC 4466): a name and an optional value kept as
/// its raw text ("(\\Drafts)" for CREATE's USE, RFC 6154).
struct ext_param {
  std::string_view name;  ///< the parameter name (case-insensitive)
  std::string_view value;  ///< raw tagged-ext-val, empty when absent
  friend bool operator==(const ext_param& a, const ext_param& b) noexcept {
    return ascii::iequals(a.name, b.name) && a.value == b.value;
  }
};

/// AUTHENTICATE mechanism [initial-response] (RFC 9051 6.2.2, RFC 4959).
struct authenticate_args {
  std::string_view mechanism;  ///< an atom ("PLAIN", "SCRAM-SHA-256")
  /// SASL-IR initial response (RFC 4959): base64, or "=" for an empty one.
  std::optional<std::string_view> initial_response;
  friend bool operator==(const authenticate_args& a, const authenticate_args& b) noexcept {
    return ascii::iequals(a.mechanism, b.mechanism) && a.initial_response == b.initial_response;
  }
};

/// LOGIN user password.
struct login_args {
  std::string_view user;  ///< the user name (an astring as parsed)
  std::string_view password;  ///< the password (an astring as parsed)
  friend bool operator==(const login_args& a, const login_args& b) noexcept {
    return a.user == b.user && a.password == b.password;
  }
};

/// ENABLE's capabilities (atoms).
struct enable_args {
  std::vector<std::string_view> capabilities;  ///< the capabilities to enable, in order
  friend bool operator==(const enable_args& a, const enable_args& b) noexcept {
    return a.capabilities == b.capabilities;
  }
};

/// QRESYNC parameters of SELECT/EXAMINE (RFC 7162 3.2.5).
struct qresync_params {
  std::uint32_t uidvalidity = 0;  ///< the UIDVALIDITY the client knows
  std::uint64_t modseq = 0;  ///< the last MODSEQ the client knows
  std::optional<sequence_set> known_uids;  ///< the UIDs the client knows, when given
  /// seq-match-data: known sequence numbers and the UIDs they had.
  std::optional<std::pair<sequence_set, sequence_set>> seq_match;
  friend bool operator==(const qresync_params& a, const qresync_params& b) noexcept {
    return a.uidvalidity == b.uidvalidity && a.modseq == b.modseq && a.known_uids == b.known_uids &&
           a.seq_match == b.seq_match;
  }
};

/// SELECT and EXAMINE.
struct select_args {
  std::string_view mailbox;  ///< the mailbox, as on the wire
  bool condstore = false;                 ///< (CONDSTORE)
  std::optional<qresync_params> qresync;  ///< (QRESYNC (...))
  std::vector<ext_param> other;           ///< parameters mailwire does not know
  friend bool operator==(const select_args& a, const select_args& b) noexcept {
    return a.mailbox == b.mailbox && a.condstore == b.condstore && a.qresync == b.qresync && a.other == b.other;
  }
};

/// Commands that name one mailbox: CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE,
/// GETQUOTAROOT; and RENAME, whose new name is `to`.
struct mailbox_args {
  std::string_view mailbox;  ///< the mailbox, as on the wire
  std::string_view to;            ///< RENAME only
  std::vector<ext_param> params;  ///< CREATE and RENAME parameters (RFC 4466), e.g. USE (RFC 6154)
  friend bool operator==(const mailbox_args& a, const mailbox_args& b) noexcept {
    return a.mailbox == b.mailbox && a.to == b.to && a.params == b.params;
  }
};

/// LIST (with RFC 5258 selection and return options, RFC 5819 STATUS) and
/// LSUB (one pattern, no options).
struct list_args {
  std::vector<std::string_view> selection;  ///< list-select-opts atoms (SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE)
  bool has_selection = false;               ///< a selection list was given (possibly empty: "()")
  std::string_view reference;  ///< the reference name (often empty)
  std::vector<std::string_view> patterns;   ///< one, or a parenthesised list (RFC 5258)
  bool has_return = false;                  ///< RETURN (...) was given (possibly empty)
  std::vector<std::string_view> returns;    ///< return options (SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS, ...)
  std::vector<std::string_view> status_items;  ///< RETURN (STATUS (items)), RFC 5819
  bool pattern_list = false;                ///< the patterns were parenthesised
  friend bool operator==(const list_args& a, const list_args& b) noexcept {
    return a.selection == b.selection && a.has_selection == b.has_selection && a.reference == b.reference && a.patterns == b.patterns &&
           a.has_return == b.has_return && a.returns == b.returns && a.status_items == b.status_items &&
           a.pattern_list == b.pattern_list;
  }
};

/// STATUS mailbox (items).
struct status_args {
  std::string_view mailbox;  ///< the mailbox, as on the wire
  std::vector<std::string_view> items;  ///< MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, DELETED, SIZE, RECENT, HIGHESTMODSEQ, APPENDLIMIT, ...
  friend bool operator==(const status_args& a, const status_args& b) noexcept {
    return a.mailbox == b.mailbox && a.items == b.items;
  }
};

/// One part of a CATENATE (RFC 4469): an IMAP URL, or text given as a
/// literal.
struct catenate_part {
  bool url = false;  ///< an IMAP URL (else text)
  std::string_view url_text;  ///< when url
  literal_body text;          ///< when !url
  friend bool operator==(const catenate_part& a, const catenate_part& b) noexcept {
    return a.url == b.url && a.url_text == b.url_text && a.text.data == b.text.data &&
           a.text.size == b.text.size && a.text.streamed == b.text.streamed && a.text.binary == b.text.binary;
  }
};

/// One message of an APPEND (several with MULTIAPPEND, RFC 3502).
struct append_message {
  std::vector<flag> flags;  ///< the flags to set on the message
  bool has_flags = false;                 ///< a flag list was given (possibly empty)
  std::optional<date_time> internal_date;  ///< the INTERNALDATE to set, when given
  /// The message: a literal (literal8 under BINARY), in memory or
  /// streamed. Unused when `catenate` is set.
  literal_body message;
  bool utf8 = false;                      ///< RFC 6855 "UTF8 (" literal8 ")"
  bool catenate = false;                  ///< RFC 4469: the message is made of `parts`
  std::vector<catenate_part> parts;  ///< CATENATE: the parts, in order
  friend bool operator==(const append_message& a, const append_message& b) noexcept {
    return a.flags == b.flags && a.has_flags == b.has_flags && a.internal_date == b.internal_date &&
           a.message.data == b.message.data && a.message.size == b.message.size &&
           a.message.streamed == b.message.streamed && a.message.binary == b.message.binary &&
           a.utf8 == b.utf8 && a.catenate == b.catenate && a.parts == b.parts;
  }
};

/// APPEND mailbox, one message or more.
struct append_args {
  std::string_view mailbox;  ///< the mailbox, as on the wire (modified UTF-7 unless UTF8=ACCEPT)
  std::vector<append_message> messages;  ///< one, or several with MULTIAPPEND (RFC 3502)
  friend bool operator==(const append_args& a, const append_args& b) noexcept {
    return a.mailbox == b.mailbox && a.messages == b.messages;
  }
};

/// A SORT criterion (RFC 5256, RFC 5957): [REVERSE] key.
struct sort_criterion {
  bool reverse = false;  ///< REVERSE was given
  std::string_view key;  ///< ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO, DISPLAYFROM, DISPLAYTO, ...
  friend bool operator==(const sort_criterion& a, const sort_criterion& b) noexcept {
    return a.reverse == b.reverse && ascii::iequals(a.key, b.key);
  }
};

/// SEARCH, SORT and THREAD (and their UID forms).
struct search_args {
  bool has_return = false;                     ///< RETURN (...) (ESEARCH, RFC 4731)
  std::vector<std::string_view> returns;       ///< MIN MAX ALL COUNT SAVE, ... (raw items)
  std::string_view charset;                    ///< CHARSET (SEARCH) or the charset (SORT, THREAD); empty when absent
  std::vector<sort_criterion> sort;            ///< SORT only
  std::string_view algorithm;                  ///< THREAD only (REFERENCES, ORDEREDSUBJECT)
  std::vector<search_key> keys;                ///< all must match
  friend bool operator==(const search_args& a, const search_args& b) noexcept {
    return a.has_return == b.has_return && a.returns == b.returns && ascii::iequals(a.charset, b.charset) &&
           a.sort == b.sort && ascii::iequals(a.algorithm, b.algorithm) && a.keys == b.keys;
  }
};

/// FETCH and UID FETCH.
struct fetch_args {
  sequence_set set;  ///< the messages
  /// The attributes, or one macro (ALL, FAST, FULL) alone.
  std::vector<fetch_attribute> attributes;
  bool attribute_list = false;                ///< parenthesised (even for one)
  std::optional<std::uint64_t> changedsince;  ///< (CHANGEDSINCE n), RFC 7162
  bool vanished = false;                      ///< (VANISHED), UID FETCH only
  friend bool operator==(const fetch_args& a, const fetch_args& b) noexcept {
    return a.set == b.set && a.attributes == b.attributes &&
           a.attribute_list == b.attribute_list && a.changedsince == b.changedsince && a.vanished == b.vanished;
  }
};

/// How STORE changes flags.
enum class store_mode : std::uint8_t { replace, add, remove };

/// STORE and UID STORE.
struct store_args {
  sequence_set set;  ///< the messages
  std::optional<std::uint64_t> unchangedsince;  ///< (UNCHANGEDSINCE n), RFC 7162
  store_mode mode = store_mode::replace;  ///< FLAGS (replace), +FLAGS (add) or -FLAGS (remove)
  bool silent = false;  ///< .SILENT: no untagged FETCH with the new flags
  std::vector<flag> flags;  ///< the flags
  bool flag_list = true;  ///< flags in parentheses (the other form: flags separated by SP)
  friend bool operator==(const store_args& a, const store_args& b) noexcept {
    return a.set == b.set && a.unchangedsince == b.unchangedsince && a.mode == b.mode && a.silent == b.silent &&
           a.flags == b.flags && a.flag_list == b.flag_list;
  }
};

/// COPY, MOVE and their UID forms; UID EXPUNGE (no mailbox).
struct copy_args {
  sequence_set set;  ///< the messages
  std::string_view mailbox;  ///< the destination (empty for UID EXPUNGE)
  friend bool operator==(const copy_args& a, const copy_args& b) noexcept {
    return a.set == b.set && a.mailbox == b.mailbox;
  }
};

/// ID (RFC 2971): NIL, or field/value pairs.
struct id_args {
  bool nil = true;  ///< ID NIL (no fields)
  std::vector<std::pair<std::string_view, nstring>> fields;  ///< field names and values (RFC 2971 3.3), in order
  friend bool operator==(const id_args& a, const id_args& b) noexcept {
    return a.nil == b.nil && a.fields == b.fields;
  }
};

/// COMPRESS (RFC 4978): the algorithm, an atom (DEFLATE).
struct compress_args {
  std::string_view algorithm;  ///< the algorithm, "DEFLATE"
  friend bool operator==(const compress_args& a, const compress_args& b) noexcept {
    return ascii::iequals(a.algorithm, b.algorithm);
  }
};

/// A resource limit of SETQUOTA (RFC 9208).
struct quota_limit {
  std::string_view resource;  ///< STORAGE, MESSAGE, MAILBOX, ANNOTATION-STORAGE, ...
  std::uint64_t limit = 0;  ///< the limit, in the resource's unit
  friend bool operator==(const quota_limit& a, const quota_limit& b) noexcept {
    return ascii::iequals(a.resource, b.resource) && a.limit == b.limit;
  }
};

/// GETQUOTA (root) and SETQUOTA (root and limits).
struct quota_args {
  std::string_view root;  ///< the quota root
  std::vector<quota_limit> limits;  ///< SETQUOTA: the limits to set (empty: remove them)
  friend bool operator==(const quota_args& a, const quota_args& b) noexcept {
    return a.root == b.root && a.limits == b.limits;
  }
};

/// GETMETADATA DEPTH (RFC 5464 4.2.2).
enum class metadata_depth : std::uint8_t { none, zero, one, infinity };

/// GETMETADATA and SETMETADATA (RFC 5464).
struct metadata_args {
  std::string_view mailbox;                ///< "" for server annotations
  std::optional<std::uint64_t> maxsize;    ///< GETMETADATA (MAXSIZE n)
  metadata_depth depth = metadata_depth::none;  ///< GETMETADATA (DEPTH ...)
  std::vector<std::string_view> entries;   ///< GETMETADATA entries; SETMETADATA entry names
  bool entry_list = false;                 ///< GETMETADATA entries parenthesised
  std::vector<std::optional<literal_body>> values;  ///< SETMETADATA values, NIL to remove
  friend bool operator==(const metadata_args& a, const metadata_args& b) noexcept {
    if (a.values.size() != b.values.size()) return false;
    for (std::size_t i = 0; i < a.values.size(); ++i) {
      if (a.values[i].has_value() != b.values[i].has_value()) return false;
      if (a.values[i] && (a.values[i]->data != b.values[i]->data || a.values[i]->binary != b.values[i]->binary))
        return false;
    }
    return a.mailbox == b.mailbox && a.maxsize == b.maxsize && a.depth == b.depth && a.entries == b.entries &&
           a.entry_list == b.entry_list;
  }
};

/// A command mailwire does not know: its arguments, raw.
struct other_args {
  std::string_view arguments;  ///< everything after the command name and its SP; empty when none
  friend bool operator==(const other_args& a, const other_args& b) noexcept { return a.arguments == b.arguments; }
};

/// No arguments.
struct no_args {
  friend bool operator==(const no_args&, const no_args&) noexcept { return true; }
};

using command_args = std::variant<no_args, authenticate_args, login_args, enable_args, select_args, mailbox_args,
                                  list_args, status_args, append_args, search_args, fetch_args, store_args,
                                  copy_args, id_args, compress_args, quota_args, metadata_args, other_args>;

/// One command: tag, type, and the arguments of that type (the variant
/// alternative named in each *_args comment).
struct command {
  std::string_view tag;  ///< the client's tag
  command_type type = command_type::noop;  ///< the command (other: one mailwire does not know)
  bool uid = false;        ///< "UID" prefix (only where takes_uid(type))
  std::string_view name;   ///< the command word as written (any case); for `other`, the only record of it
  command_args args;  ///< the arguments: the alternative that goes with `type`

  friend bool operator==(const command& a, const command& b) noexcept {
    return a.tag == b.tag && a.type == b.type && a.uid == b.uid && a.args == b.args &&
           (a.type != command_type::other || ascii::iequals(a.name, b.name));
  }
  friend bool operator!=(const command& a, const command& b) noexcept { return !(a == b); }
};

/// The line a client sends to end IDLE (RFC 2177): "DONE", in any case.
inline bool is_idle_done(std::string_view line) noexcept { return ascii::iequals(line, "DONE"); }

namespace detail {

struct command_name {
  std::string_view name;
  command_type type;
};

inline bool read_mailbox(scanner& sc, std::string_view& out) { return sc.astring(out); }

inline bool read_atom_list(scanner& sc, std::vector<std::string_view>& out) {
  out.clear();
  if (!sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      out.emplace_back();
      if (!sc.atom(out.back())) return false;
    } while (sc.eat(' '));
  }
  return sc.close();
}

inline void write_atom_list(wire_writer& w, const std::vector<std::string_view>& atoms) {
  w.raw('(');
  for (std::size_t i = 0; i < atoms.size(); ++i) {
    if (i != 0) w.sp();
    w.atom(atoms[i]);
  }
  w.raw(')');
}

// " (" name [SP value] *(SP name [SP value]) ")" after a mailbox (RFC 4466).
inline bool read_ext_params(scanner& sc, std::vector<ext_param>& out) {
  if (!sc.open()) return false;
  do {
    ext_param p;
    if (!sc.atom(p.name)) return false;
    if (sc.peek() == ' ' && sc.peek(1) != ')') {
      // A value follows unless the next token is another parameter name;
      // RFC 4466 makes that ambiguous, so a value is read when it starts
      // with something an atom name cannot: "(", a digit, a quote or "$".
      const char c = sc.peek(1);
      if (c == '(' || c == '"' || c == '{' || c == '$' || c == '*' || ascii::is_digit(c)) {
        sc.eat(' ');
        if (!sc.raw_value(p.value)) return false;
      }
    }
    out.push_back(p);
  } while (sc.eat(' '));
  return sc.close();
}

inline void write_ext_params(wire_writer& w, const std::vector<ext_param>& params) {
  if (params.empty()) return;
  w.raw(" (");
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i != 0) w.sp();
    w.atom(params[i].name);
    if (!params[i].value.empty()) {
      w.sp();
      // A raw value came from a parser or from the caller; it must not
      // smuggle a line break or a literal.
      if (!ascii::is_text(params[i].value) || params[i].value.find('{') != std::string_view::npos)
        return w.fail(errc::invalid_argument);
      w.raw(params[i].value);
    }
  }
  w.raw(')');
}

inline bool read_select(scanner& sc, select_args& a) {
  if (!read_mailbox(sc, a.mailbox)) return false;
  if (!sc.eat(' ')) return true;
  if (!sc.open()) return false;
  do {
    if (sc.keyword("CONDSTORE")) {
      a.condstore = true;
    } else if (sc.keyword("QRESYNC")) {
      qresync_params q;
      if (!sc.sp() || !sc.open() || !sc.nz_number(q.uidvalidity) || !sc.sp() || !sc.number64(q.modseq))
        return false;
      if (sc.eat(' ') && sc.peek() != '(') {
        q.known_uids.emplace();
        if (!read_sequence_set(sc, *q.known_uids)) return false;
        sc.eat(' ');
      }
      if (sc.peek() == '(') {
        q.seq_match.emplace();
        if (!sc.open() || !read_sequence_set(sc, q.seq_match->first) || !sc.sp() ||
            !read_sequence_set(sc, q.seq_match->second) || !sc.close())
          return false;
      }
      if (!sc.close()) return false;
      a.qresync = std::move(q);
    } else {
      ext_param p;
      if (!sc.atom(p.name)) return false;
      if (sc.peek() == ' ' && (sc.peek(1) == '(' || ascii::is_digit(sc.peek(1)))) {
        sc.eat(' ');
        if (!sc.raw_value(p.value)) return false;
      }
      a.other.push_back(p);
    }
  } while (sc.eat(' '));
  return sc.close();
}

inline void write_select(wire_writer& w, const select_args& a) {
  w.astring(a.mailbox);
  if (!a.condstore && !a.qresync && a.other.empty()) return;
  w.raw(" (");
  bool first = true;
  auto next = [&] {
    if (!first) w.sp();
    first = false;
  };
  if (a.condstore) {
    next();
    w.raw("CONDSTORE");
  }
  if (a.qresync) {
    next();
    const qresync_params& q = *a.qresync;
    if (q.uidvalidity == 0) return w.fail(errc::invalid_argument);
    w.raw("QRESYNC (");
    w.number(q.uidvalidity);
    w.sp();
    w.number(q.modseq);
    if (q.known_uids) {
      w.sp();
      write_sequence_set(w, *q.known_uids);
    }
    if (q.seq_match) {
      w.raw(" (");
      write_sequence_set(w, q.seq_match->first);
      w.sp();
      write_sequence_set(w, q.seq_match->second);
      w.raw(')');
    }
    w.raw(')');
  }
  for (const ext_param& p : a.other) {
    next();
    std::vector<ext_param> one{p};
    // Reuse the parameter writer for the value checks, minus its parentheses.
    wire tmp;
    wire_writer tw(tmp, w.peer());
    write_ext_params(tw, one);
    if (!tw.ok()) return w.fail(tw.error());
    w.raw(std::string_view(tmp.bytes).substr(2, tmp.bytes.size() - 3));
  }
  w.raw(')');
}

// list-mailbox = 1*list-char / string
inline bool read_list_mailbox(scanner& sc, std::string_view& out) {
  const char c = sc.peek();
  if (c == '"' || c == '{') return sc.string(out);
  return sc.run(list_char, out);
}

inline void write_list_mailbox(wire_writer& w, std::string_view s) {
  if (!s.empty() && span(s, 0, list_char) == s.size())
    w.raw(s);
  else
    w.string(s);
}

inline bool read_list(scanner& sc, list_args& a, bool lsub) {
  if (!lsub && sc.peek() == '(') {
    a.has_selection = true;
    if (!read_atom_list(sc, a.selection) || !sc.sp()) return false;
  }
  if (!read_mailbox(sc, a.reference) || !sc.sp()) return false;
  if (!lsub && sc.peek() == '(') {
    a.pattern_list = true;
    if (!sc.open()) return false;
    do {
      a.patterns.emplace_back();
      if (!read_list_mailbox(sc, a.patterns.back())) return false;
    } while (sc.eat(' '));
    if (!sc.close()) return false;
  } else {
    a.patterns.emplace_back();
    if (!read_list_mailbox(sc, a.patterns.back())) return false;
  }
  if (lsub || !sc.eat(' ')) return true;
  if (!sc.keyword("RETURN") || !sc.sp() || !sc.open()) return sc.fail();
  a.has_return = true;
  if (sc.peek() != ')') {
    do {
      a.returns.emplace_back();
      if (!sc.atom(a.returns.back())) return false;
      if (ascii::iequals(a.returns.back(), "STATUS")) {
        if (!sc.sp() || !read_atom_list(sc, a.status_items)) return false;
      }
    } while (sc.eat(' '));
  }
  return sc.close();
}

inline void write_list(wire_writer& w, const list_args& a, bool lsub) {
  if (!lsub && (a.has_selection || !a.selection.empty())) {
    write_atom_list(w, a.selection);
    w.sp();
  }
  w.astring(a.reference);
  w.sp();
  if (a.patterns.empty() || (lsub && a.patterns.size() != 1)) return w.fail(errc::invalid_argument);
  if (!lsub && (a.pattern_list || a.patterns.size() > 1)) {
    w.raw('(');
    for (std::size_t i = 0; i < a.patterns.size(); ++i) {
      if (i != 0) w.sp();
      write_list_mailbox(w, a.patterns[i]);
    }
    w.raw(')');
  } else {
    write_list_mailbox(w, a.patterns.front());
  }
  if (lsub || !a.has_return) return;
  w.raw(" RETURN (");
  for (std::size_t i = 0; i < a.returns.size(); ++i) {
    if (i != 0) w.sp();
    w.atom(a.returns[i]);
    if (ascii::iequals(a.returns[i], "STATUS")) {
      w.sp();
      write_atom_list(w, a.status_items);
    }
  }
  w.raw(')');
}

// A message literal (APPEND, CATENATE TEXT): literal, or literal8 where
// `binary_ok`. Only literal8 may carry NUL (RFC 9051 9: CHAR8 is
// %x01-ff; RFC 3516 4.2); a streamed body is the application's to check.
inline bool read_literal_data(scanner& sc, literal_body& out, bool binary_ok) {
  if (sc.peek() != '{' && sc.peek() != '~') return sc.fail();
  const std::size_t at = sc.pos();
  if (!sc.literal(out, binary_ok)) return false;
  if (!out.binary && out.data.find('\0') != std::string_view::npos) {
    sc.seek(at);
    return sc.fail(errc::nul_byte);
  }
  return true;
}

inline void write_literal_data(wire_writer& w, const literal_body& b) {
  if (b.streamed)
    w.streamed_literal(b.size, b.binary);
  else
    w.literal(b.data, b.binary);
}

inline bool read_append(scanner& sc, append_args& a) {
  if (!read_mailbox(sc, a.mailbox)) return false;
  do {
    if (!sc.sp()) return false;
    append_message m;
    if (sc.peek() == '(') {
      m.has_flags = true;
      if (!read_flag_list(sc, m.flags) || !sc.sp()) return false;
      for (const flag& f : m.flags) {
        // \Recent is the server's to set (RFC 3501 2.3.2); Dovecot answers BAD.
        if (f.kind == flag_kind::recent) return sc.fail();
      }
    }
    if (sc.peek() == '"') {
      m.internal_date.emplace();
      if (!read_date_time(sc, *m.internal_date) || !sc.sp()) return false;
    }
    if (sc.keyword("CATENATE")) {
      m.catenate = true;
      if (!sc.sp() || !sc.open()) return false;
      do {
        catenate_part p;
        if (sc.keyword("URL")) {
          p.url = true;
          if (!sc.sp() || !sc.astring(p.url_text)) return false;
        } else if (sc.keyword("TEXT")) {
          if (!sc.sp() || !read_literal_data(sc, p.text, true)) return false;
        } else {
          return sc.fail();
        }
        m.parts.push_back(p);
      } while (sc.eat(' '));
      if (!sc.close()) return false;
    } else if (sc.keyword("UTF8")) {
      m.utf8 = true;
      if (!sc.sp() || !sc.open() || !read_literal_data(sc, m.message, true) || !sc.close()) return false;
    } else if (!read_literal_data(sc, m.message, true)) {
      return false;
    }
    a.messages.push_back(std::move(m));
  } while (sc.peek() == ' ');
  return true;
}

inline void write_append(wire_writer& w, const append_args& a) {
  w.astring(a.mailbox);
  if (a.messages.empty()) return w.fail(errc::invalid_argument);
  for (const append_message& m : a.messages) {
    w.sp();
    if (m.has_flags || !m.flags.empty()) {
      for (const flag& f : m.flags) {
        if (f.kind == flag_kind::recent || f.kind == flag_kind::wildcard) return w.fail(errc::invalid_argument);
      }
      write_flag_list(w, m.flags);
      w.sp();
    }
    if (m.internal_date) {
      write_date_time(w, *m.internal_date);
      w.sp();
    }
    if (m.catenate) {
      if (m.parts.empty()) return w.fail(errc::invalid_argument);
      w.raw("CATENATE (");
      for (std::size_t i = 0; i < m.parts.size(); ++i) {
        if (i != 0) w.sp();
        if (m.parts[i].url) {
          w.raw("URL ");
          w.astring(m.parts[i].url_text);
        } else {
          w.raw("TEXT ");
          write_literal_data(w, m.parts[i].text);
        }
      }
      w.raw(')');
    } else if (m.utf8) {
      w.raw("UTF8 (");
      literal_body b = m.message;
      b.binary = true;
      write_literal_data(w, b);
      w.raw(')');
    } else {
      write_literal_data(w, m.message);
    }
  }
}

// search-return-opts: "RETURN" SP "(" [opt *(SP opt)] ")"; each option is
// kept raw (an atom, or PARTIAL's range, RFC 9394).
inline bool read_search_returns(scanner& sc, search_args& a) {
  a.has_return = true;
  if (!sc.sp() || !sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      std::string_view opt;
      const std::size_t at = sc.pos();
      if (!sc.atom(opt)) return false;
      if (sc.peek() == ' ' && sc.peek(1) != ')' && !ascii::is_alpha(sc.peek(1))) {
        sc.eat(' ');
        std::string_view v;
        if (!sc.raw_value(v)) return false;
      }
      a.returns.push_back(sc.text().substr(at, sc.pos() - at));
    } while (sc.eat(' '));
  }
  return sc.close();
}

inline bool read_charset(scanner& sc, std::string_view& out) {
  if (sc.peek() == '"') return sc.quoted(out);
  return sc.atom(out);
}

// 1*(SP search-key); `lead_sp`: the SP before the first key is still to read.
inline bool read_search_keys(scanner& sc, search_args& a, bool lead_sp) {
  bool need_sp = lead_sp;
  do {
    if (need_sp && !sc.sp()) return false;
    need_sp = true;
    a.keys.emplace_back();
    if (!read_search_key(sc, a.keys.back())) return false;
  } while (sc.peek() == ' ');
  return true;
}

inline bool read_search(scanner& sc, search_args& a, command_type t) {
  if (t != command_type::thread && sc.keyword("RETURN")) {
    if (!read_search_returns(sc, a) || !sc.sp()) return false;
  }
  if (t == command_type::search) {
    if (!sc.keyword("CHARSET")) return read_search_keys(sc, a, false);
    return sc.sp() && read_charset(sc, a.charset) && read_search_keys(sc, a, true);
  }
  if (t == command_type::sort) {
    if (!sc.open()) return false;
    do {
      sort_criterion c;
      if (sc.keyword("REVERSE")) {
        c.reverse = true;
        if (!sc.sp()) return false;
      }
      if (!sc.atom(c.key)) return false;
      a.sort.push_back(c);
    } while (sc.eat(' '));
    if (!sc.close() || !sc.sp()) return false;
  } else if (!sc.atom(a.algorithm) || !sc.sp()) {
    return false;
  }
  return read_charset(sc, a.charset) && read_search_keys(sc, a, true);
}

inline void write_charset(wire_writer& w, std::string_view c) {
  if (is_atom(c))
    w.raw(c);
  else
    w.quoted(c);
}

inline void write_search(wire_writer& w, const search_args& a, command_type t) {
  if (a.keys.empty()) return w.fail(errc::invalid_argument);
  bool first = true;
  auto sep = [&] {
    if (!first) w.sp();
    first = false;
  };
  if (a.has_return && t != command_type::thread) {
    sep();
    w.raw("RETURN (");
    for (std::size_t i = 0; i < a.returns.size(); ++i) {
      if (i != 0) w.sp();
      if (a.returns[i].empty() || !ascii::is_text(a.returns[i]) || a.returns[i].find('{') != std::string_view::npos)
        return w.fail(errc::invalid_argument);
      w.raw(a.returns[i]);
    }
    w.raw(')');
  }
  if (t == command_type::sort) {
    if (a.sort.empty() || a.charset.empty()) return w.fail(errc::invalid_argument);
    sep();
    w.raw('(');
    for (std::size_t i = 0; i < a.sort.size(); ++i) {
      if (i != 0) w.sp();
      if (a.sort[i].reverse) w.raw("REVERSE ");
      w.atom(a.sort[i].key);
    }
    w.raw(") ");
    write_charset(w, a.charset);
  } else if (t == command_type::thread) {
    if (a.charset.empty()) return w.fail(errc::invalid_argument);
    sep();
    w.atom(a.algorithm);
    w.sp();
    write_charset(w, a.charset);
  } else if (!a.charset.empty()) {
    sep();
    w.raw("CHARSET ");
    write_charset(w, a.charset);
  }
  for (const search_key& k : a.keys) {
    sep();
    write_search_key(w, k);
  }
}

inline bool read_fetch(scanner& sc, fetch_args& a, bool uid) {
  if (!read_sequence_set(sc, a.set) || !sc.sp()) return false;
  a.attribute_list = sc.peek() == '(';
  if (!parse_fetch_attributes(sc, a.attributes)) return false;
  if (!sc.eat(' ')) return true;
  if (!sc.open()) return false;
  do {
    if (sc.keyword("CHANGEDSINCE")) {
      a.changedsince.emplace();
      if (!sc.sp() || !sc.number64(*a.changedsince)) return false;
    } else if (uid && sc.keyword("VANISHED")) {
      a.vanished = true;
    } else {
      return sc.fail();
    }
  } while (sc.eat(' '));
  return sc.close();
}

inline void write_fetch(wire_writer& w, const fetch_args& a, bool uid) {
  write_sequence_set(w, a.set);
  w.sp();
  if (a.attribute_list && a.attributes.size() == 1) {
    w.raw('(');
    write_fetch_attributes(w, a.attributes);
    w.raw(')');
  } else {
    write_fetch_attributes(w, a.attributes);
  }
  if (a.vanished && (!uid || !a.changedsince)) return w.fail(errc::invalid_argument);
  if (!a.changedsince && !a.vanished) return;
  w.raw(" (");
  if (a.changedsince) {
    w.raw("CHANGEDSINCE ");
    w.number(*a.changedsince);
  }
  if (a.vanished) w.raw(" VANISHED");
  w.raw(')');
}

inline bool read_store(scanner& sc, store_args& a) {
  if (!read_sequence_set(sc, a.set) || !sc.sp()) return false;
  if (sc.peek() == '(') {
    if (!sc.open() || !sc.keyword("UNCHANGEDSINCE") || !sc.sp()) return sc.fail();
    a.unchangedsince.emplace();
    if (!sc.number64(*a.unchangedsince) || !sc.close() || !sc.sp()) return false;
  }
  if (sc.eat('+'))
    a.mode = store_mode::add;
  else if (sc.eat('-'))
    a.mode = store_mode::remove;
  if (!sc.literal_text("FLAGS")) return sc.fail();
  if (sc.literal_text(".SILENT")) a.silent = true;
  if (!sc.sp()) return false;
  if (sc.peek() == '(') {
    a.flag_list = true;
    if (!read_flag_list(sc, a.flags)) return false;
  } else {
    a.flag_list = false;
    do {
      a.flags.emplace_back();
      if (!read_flag(sc, a.flags.back(), false)) return false;
    } while (sc.eat(' '));
  }
  for (const flag& f : a.flags) {
    if (f.kind == flag_kind::recent) return sc.fail();  // \Recent cannot be stored (RFC 3501 2.3.2)
  }
  return true;
}

inline void write_store(wire_writer& w, const store_args& a) {
  write_sequence_set(w, a.set);
  w.sp();
  if (a.unchangedsince) {
    w.raw("(UNCHANGEDSINCE ");
    w.number(*a.unchangedsince);
    w.raw(") ");
  }
  if (a.mode == store_mode::add) w.raw('+');
  if (a.mode == store_mode::remove) w.raw('-');
  w.raw(a.silent ? "FLAGS.SILENT " : "FLAGS ");
  for (const flag& f : a.flags) {
    if (f.kind == flag_kind::recent || f.kind == flag_kind::wildcard) return w.fail(errc::invalid_argument);
  }
  if (a.flag_list || a.flags.empty()) {
    write_flag_list(w, a.flags);
  } else {
    for (std::size_t i = 0; i < a.flags.size(); ++i) {
      if (i != 0) w.sp();
      write_flag(w, a.flags[i]);
    }
  }
}

inline bool read_id(scanner& sc, id_args& a) {
  if (sc.nil()) return true;
  a.nil = false;
  if (!sc.open()) return false;
  if (sc.peek() != ')') {
    do {
      std::pair<std::string_view, nstring> f;
      if (!sc.string(f.first) || !sc.sp() || !sc.nstring(f.second)) return false;
      a.fields.push_back(f);
    } while (sc.eat(' '));
  }
  return sc.close();
}

inline void write_id(wire_writer& w, const id_args& a) {
  if (a.nil) return w.nil();
  w.raw('(');
  for (std::size_t i = 0; i < a.fields.size(); ++i) {
    if (i != 0) w.sp();
    w.string(a.fields[i].first);
    w.sp();
    w.nstring(a.fields[i].second);
  }
  w.raw(')');
}

inline bool read_metadata(scanner& sc, metadata_args& a, bool set) {
  if (!set && sc.peek() == '(') {
    if (!sc.open()) return false;
    do {
      if (sc.keyword("MAXSIZE")) {
        a.maxsize.emplace();
        if (!sc.sp() || !sc.number64(*a.maxsize)) return false;
      } else if (sc.keyword("DEPTH")) {
        if (!sc.sp()) return false;
        if (sc.keyword("0"))
          a.depth = metadata_depth::zero;
        else if (sc.keyword("1"))
          a.depth = metadata_depth::one;
        else if (sc.keyword("infinity"))
          a.depth = metadata_depth::infinity;
        else
          return sc.fail();
      } else {
        return sc.fail();
      }
    } while (sc.eat(' '));
    if (!sc.close() || !sc.sp()) return false;
  }
  if (!read_mailbox(sc, a.mailbox) || !sc.sp()) return false;
  if (set) {
    if (!sc.open()) return false;
    do {
      a.entries.emplace_back();
      if (!sc.astring(a.entries.back()) || !sc.sp()) return false;
      if (sc.nil()) {
        a.values.emplace_back();
      } else if (sc.peek() == '~') {
        literal_body b;
        if (!sc.literal(b, true)) return false;
        if (b.streamed) return sc.fail(errc::imap_literal_too_big);
        a.values.emplace_back(b);
      } else {
        literal_body b;
        if (!sc.string(b.data)) return false;
        b.size = b.data.size();
        a.values.emplace_back(b);
      }
    } while (sc.eat(' '));
    return sc.close();
  }
  if (sc.peek() == '(') {
    a.entry_list = true;
    if (!sc.open()) return false;
    do {
      a.entries.emplace_back();
      if (!sc.astring(a.entries.back())) return false;
    } while (sc.eat(' '));
    return sc.close();
  }
  a.entries.emplace_back();
  return sc.astring(a.entries.back());
}

inline void write_metadata(wire_writer& w, const metadata_args& a, bool set) {
  if (a.entries.empty()) return w.fail(errc::invalid_argument);
  if (!set && (a.maxsize || a.depth != metadata_depth::none)) {
    w.raw('(');
    if (a.maxsize) {
      w.raw("MAXSIZE ");
      w.number(*a.maxsize);
    }
    if (a.depth != metadata_depth::none) {
      if (a.maxsize) w.sp();
      w.raw(a.depth == metadata_depth::zero ? "DEPTH 0" : a.depth == metadata_depth::one ? "DEPTH 1" : "DEPTH infinity");
    }
    w.raw(") ");
  }
  w.astring(a.mailbox);
  w.sp();
  if (set) {
    if (a.values.size() != a.entries.size()) return w.fail(errc::invalid_argument);
    w.raw('(');
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
      if (i != 0) w.sp();
      w.astring(a.entries[i]);
      w.sp();
      if (!a.values[i])
        w.nil();
      else if (a.values[i]->binary || a.values[i]->data.find('\0') != std::string_view::npos)
        w.literal(a.values[i]->data, true);
      else
        w.string(a.values[i]->data);
    }
    w.raw(')');
    return;
  }
  if (a.entry_list || a.entries.size() > 1) {
    w.raw('(');
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
      if (i != 0) w.sp();
      w.astring(a.entries[i]);
    }
    w.raw(')');
  } else {
    w.astring(a.entries.front());
  }
}

inline bool read_arguments(scanner& sc, command& c) {
  using T = command_type;
  const T t = c.type;
  switch (t) {
    case T::capability: case T::noop: case T::logout: case T::starttls: case T::namespace_: case T::idle:
    case T::check: case T::close: case T::unselect:
      c.args = no_args{};
      return true;
    case T::expunge:
      if (!c.uid) {
        c.args = no_args{};
        return true;
      }
      break;
    default:
      break;
  }
  if (!sc.sp()) return false;
  switch (t) {
    case T::authenticate: {
      authenticate_args a;
      if (!sc.atom(a.mechanism)) return false;
      if (sc.eat(' ')) {
        std::string_view ir;
        if (sc.eat('='))
          ir = "=";
        else if (!sc.run(atom_char, ir))
          return false;
        a.initial_response = ir;
      }
      c.args = a;
      return true;
    }
    case T::login: {
      login_args a;
      if (!sc.astring(a.user) || !sc.sp() || !sc.astring(a.password)) return false;
      c.args = a;
      return true;
    }
    case T::enable: {
      enable_args a;
      do {
        a.capabilities.emplace_back();
        if (!sc.atom(a.capabilities.back())) return false;
      } while (sc.eat(' '));
      c.args = std::move(a);
      return true;
    }
    case T::select: case T::examine: {
      select_args a;
      if (!read_select(sc, a)) return false;
      c.args = std::move(a);
      return true;
    }
    case T::create: case T::delete_: case T::subscribe: case T::unsubscribe: case T::getquotaroot:
    case T::rename: {
      mailbox_args a;
      if (!read_mailbox(sc, a.mailbox)) return false;
      if (t == T::rename && (!sc.sp() || !read_mailbox(sc, a.to))) return false;
      if ((t == T::create || t == T::rename) && sc.eat(' ') && !read_ext_params(sc, a.params)) return false;
      c.args = std::move(a);
      return true;
    }
    case T::list: case T::lsub: {
      list_args a;
      if (!read_list(sc, a, t == T::lsub)) return false;
      c.args = std::move(a);
      return true;
    }
    case T::status: {
      status_args a;
      if (!read_mailbox(sc, a.mailbox) || !sc.sp() || !read_atom_list(sc, a.items)) return false;
      if (a.items.empty()) return sc.fail();
      c.args = std::move(a);
      return true;
    }
    case T::append: {
      append_args a;
      if (!read_append(sc, a)) return false;
      c.args = std::move(a);
      return true;
    }
    case T::search: case T::sort: case T::thread: {
      search_args a;
      if (!read_search(sc, a, t)) return false;
      c.args = std::move(a);
      return true;
    }
    case T::fetch: {
      fetch_args a;
      if (!read_fetch(sc, a, c.uid)) return false;
      c.args = std::move(a);
      return true;
    }
    case T::store: {
      store_args a;
      if (!read_store(sc, a)) return false;
      c.args = std::move(a);
      return true;
    }
    case T::copy: case T::move: case T::expunge: {
      copy_args a;
      if (!read_sequence_set(sc, a.set)) return false;
      if (t != T::expunge && (!sc.sp() || !read_mailbox(sc, a.mailbox))) return false;
      c.args = std::move(a);
      return true;
    }
    case T::id: {
      id_args a;
      if (!read_id(sc, a)) return false;
      c.args = std::move(a);
      return true;
    }
    case T::compress: {
      compress_args a;
      if (!sc.atom(a.algorithm)) return false;
      c.args = a;
      return true;
    }
    case T::getquota: case T::setquota: {
      quota_args a;
      if (!sc.astring(a.root)) return false;
      if (t == T::setquota) {
        if (!sc.sp() || !sc.open()) return false;
        if (sc.peek() != ')') {
          do {
            quota_limit l;
            if (!sc.atom(l.resource) || !sc.sp() || !sc.number64(l.limit)) return false;
            a.limits.push_back(l);
          } while (sc.eat(' '));
        }
        if (!sc.close()) return false;
      }
      c.args = std::move(a);
      return true;
    }
    case T::getmetadata: case T::setmetadata: {
      metadata_args a;
      if (!read_metadata(sc, a, t == T::setmetadata)) return false;
      c.args = std::move(a);
      return true;
    }
    default:
      return sc.fail();
  }
}

inline constexpr command_name command_names[] = {
    {"CAPABILITY", command_type::capability}, {"NOOP", command_type::noop},
    {"LOGOUT", command_type::logout},         {"STARTTLS", command_type::starttls},
    {"AUTHENTICATE", command_type::authenticate}, {"LOGIN", command_type::login},
    {"ENABLE", command_type::enable},         {"SELECT", command_type::select},
    {"EXAMINE", command_type::examine},       {"CREATE", command_type::create},
    {"DELETE", command_type::delete_},        {"RENAME", command_type::rename},
    {"SUBSCRIBE", command_type::subscribe},   {"UNSUBSCRIBE", command_type::unsubscribe},
    {"LIST", command_type::list},             {"LSUB", command_type::lsub},
    {"NAMESPACE", command_type::namespace_},  {"STATUS", command_type::status},
    {"APPEND", command_type::append},         {"IDLE", command_type::idle},
    {"ID", command_type::id},                 {"COMPRESS", command_type::compress},
    {"GETQUOTA", command_type::getquota},     {"GETQUOTAROOT", command_type::getquotaroot},
    {"SETQUOTA", command_type::setquota},     {"GETMETADATA", command_type::getmetadata},
    {"SETMETADATA", command_type::setmetadata}, {"CHECK", command_type::check},
    {"CLOSE", command_type::close},           {"UNSELECT", command_type::unselect},
    {"EXPUNGE", command_type::expunge},       {"SEARCH", command_type::search},
    {"FETCH", command_type::fetch},           {"STORE", command_type::store},
    {"COPY", command_type::copy},             {"MOVE", command_type::move},
    {"SORT", command_type::sort},             {"THREAD", command_type::thread},
};

inline void write_arguments(wire_writer& w, const command& c) {
  using T = command_type;
  const T t = c.type;
  auto bad = [&] { w.fail(errc::invalid_argument); };
  if (t == T::other) {
    const auto* a = std::get_if<other_args>(&c.args);
    if (a == nullptr) return bad();
    if (!a->arguments.empty()) {
      if (!ascii::is_text(a->arguments)) return bad();
      w.sp();
      w.raw(a->arguments);
    }
    return;
  }
  if (std::holds_alternative<no_args>(c.args)) {
    switch (t) {
      case T::capability: case T::noop: case T::logout: case T::starttls: case T::namespace_: case T::idle:
      case T::check: case T::close: case T::unselect:
        return;
      case T::expunge:
        if (!c.uid) return;
        return bad();
      default:
        return bad();
    }
  }
  w.sp();
  if (const auto* a = std::get_if<authenticate_args>(&c.args)) {
    if (t != T::authenticate) return bad();
    w.atom(a->mechanism);
    if (a->initial_response) {
      w.sp();
      if (*a->initial_response == "=")
        w.raw('=');
      else
        w.atom(*a->initial_response);
    }
  } else if (const auto* l = std::get_if<login_args>(&c.args)) {
    if (t != T::login) return bad();
    w.astring(l->user);
    w.sp();
    w.astring(l->password);
  } else if (const auto* e = std::get_if<enable_args>(&c.args)) {
    if (t != T::enable || e->capabilities.empty()) return bad();
    for (std::size_t i = 0; i < e->capabilities.size(); ++i) {
      if (i != 0) w.sp();
      w.atom(e->capabilities[i]);
    }
  } else if (const auto* s = std::get_if<select_args>(&c.args)) {
    if (t != T::select && t != T::examine) return bad();
    write_select(w, *s);
  } else if (const auto* m = std::get_if<mailbox_args>(&c.args)) {
    if (t != T::create && t != T::delete_ && t != T::subscribe && t != T::unsubscribe && t != T::getquotaroot &&
        t != T::rename)
      return bad();
    w.astring(m->mailbox);
    if (t == T::rename) {
      w.sp();
      w.astring(m->to);
    }
    if (!m->params.empty() && t != T::create && t != T::rename) return bad();
    write_ext_params(w, m->params);
  } else if (const auto* li = std::get_if<list_args>(&c.args)) {
    if (t != T::list && t != T::lsub) return bad();
    write_list(w, *li, t == T::lsub);
  } else if (const auto* st = std::get_if<status_args>(&c.args)) {
    if (t != T::status || st->items.empty()) return bad();
    w.astring(st->mailbox);
    w.sp();
    write_atom_list(w, st->items);
  } else if (const auto* ap = std::get_if<append_args>(&c.args)) {
    if (t != T::append) return bad();
    write_append(w, *ap);
  } else if (const auto* se = std::get_if<search_args>(&c.args)) {
    if (t != T::search && t != T::sort && t != T::thread) return bad();
    write_search(w, *se, t);
  } else if (const auto* f = std::get_if<fetch_args>(&c.args)) {
    if (t != T::fetch) return bad();
    write_fetch(w, *f, c.uid);
  } else if (const auto* so = std::get_if<store_args>(&c.args)) {
    if (t != T::store) return bad();
    write_store(w, *so);
  } else if (const auto* cp = std::get_if<copy_args>(&c.args)) {
    if (t != T::copy && t != T::move && t != T::expunge) return bad();
    if (t == T::expunge && !c.uid) return bad();
    write_sequence_set(w, cp->set);
    if (t != T::expunge) {
      w.sp();
      w.astring(cp->mailbox);
    }
  } else if (const auto* id = std::get_if<id_args>(&c.args)) {
    if (t != T::id) return bad();
    write_id(w, *id);
  } else if (const auto* co = std::get_if<compress_args>(&c.args)) {
    if (t != T::compress) return bad();
    w.atom(co->algorithm);
  } else if (const auto* q = std::get_if<quota_args>(&c.args)) {
    if (t != T::getquota && t != T::setquota) return bad();
    w.astring(q->root);
    if (t == T::setquota) {
      w.raw(" (");
      for (std::size_t i = 0; i < q->limits.size(); ++i) {
        if (i != 0) w.sp();
        w.atom(q->limits[i].resource);
        w.sp();
        w.number(q->limits[i].limit);
      }
      w.raw(')');
    } else if (!q->limits.empty()) {
      return bad();
    }
  } else if (const auto* md = std::get_if<metadata_args>(&c.args)) {
    if (t != T::getmetadata && t != T::setmetadata) return bad();
    write_metadata(w, *md, t == T::setmetadata);
  } else {
    return bad();
  }
}

}  // namespace detail

/// Reads one command (a frame_reader message: no final CRLF) into `out`.
///
/// Returns errc::ok, or: errc::syntax_error for anything the grammar does
/// not allow (out.tag is then set when the tag could be read, so the
/// server can answer "tag BAD"; `error_at`, when given, gets the offset of
/// the offending byte); errc::imap_too_deep past options.max_depth;
/// errc::imap_literal_too_big for a streamed literal where a string must be
/// in memory; errc::nul_byte for NUL in a string. An unknown command word
/// is not an error: out.type is command_type::other with its arguments raw.
///
/// The views in `out` point into `message` and `scratch` (cleared here),
/// which must outlive their use. `streamed`: frame_reader's
/// streamed_literals() for this message.
inline errc parse_command(std::string_view message, command& out, std::string& scratch,
                          const parse_options& options = {}, const std::vector<std::size_t>* streamed = nullptr,
                          std::size_t* error_at = nullptr) {
  out = command{};
  detail::scanner sc(message, scratch, options, streamed);
  auto failed = [&]() {
    if (error_at != nullptr) *error_at = sc.error_at();
    return sc.error() == errc::ok ? errc::syntax_error : sc.error();
  };
  if (!sc.tag(out.tag) || !sc.sp()) {
    if (sc.pos() == 0) out.tag = {};
    return failed();
  }
  std::string_view word;
  const std::size_t word_at = sc.pos();
  if (!sc.atom(word)) return failed();
  if (ascii::iequals(word, "UID")) {
    out.uid = true;
    if (!sc.sp() || !sc.atom(word)) return failed();
  }
  out.name = word;
  out.type = command_type::other;
  for (const auto& n : detail::command_names) {
    if (ascii::iequals(word, n.name)) {
      out.type = n.type;
      break;
    }
  }
  if (out.uid && !takes_uid(out.type)) {
    sc.seek(word_at);
    sc.fail();
    return failed();
  }
  if (out.type == command_type::other) {
    other_args a;
    // The name ends at SP or at the end; "FOO(" is not FOO with nothing
    // after it.
    if (!sc.at_end() && sc.peek() != ' ') {
      sc.fail();
      return failed();
    }
    if (sc.eat(' ')) a.arguments = sc.rest();
    sc.seek(message.size());
    out.args = a;
    return errc::ok;
  }
  if (!detail::read_arguments(sc, out)) return failed();
  if (!sc.at_end()) {
    sc.fail();
    return failed();
  }
  return errc::ok;
}

/// Appends `c`, its final CRLF included, to `out` for a server that
/// supports `peer` (set peer.to_server). Strings take the form their
/// content needs: atom, quoted, or a literal (synchronising unless the
/// server offered LITERAL+ or LITERAL-); `out.breaks` says where to wait
/// for "+" and where to send a streamed APPEND body.
///
/// Returns errc::invalid_argument, with `out` as it was, when a field
/// cannot go on the wire: an invalid tag, an argument variant that does
/// not belong to the type, an atom with a forbidden byte, NUL without
/// BINARY, an empty set, a flag that cannot be stored, ...
inline errc write(wire& out, const command& c, const peer_support& peer) {
  const std::size_t mark = out.bytes.size();
  const std::size_t breaks = out.breaks.size();
  wire_writer w(out, peer);
  if (!is_tag(c.tag)) w.fail(errc::invalid_argument);
  if (c.uid && !takes_uid(c.type)) w.fail(errc::invalid_argument);
  if (w.ok()) {
    w.raw(c.tag);
    w.sp();
    if (c.uid) w.raw("UID ");
    if (c.type == command_type::other)
      w.atom(c.name);
    else
      w.raw(to_string(c.type));
    detail::write_arguments(w, c);
    w.raw("\r\n");
  }
  if (!w.ok()) {
    out.bytes.resize(mark);
    out.breaks.resize(breaks);
    return w.error();
  }
  return errc::ok;
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_COMMAND_HPP
