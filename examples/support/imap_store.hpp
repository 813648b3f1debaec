// The mailbox store behind mailwire-imap-server (example support code, not
// part of the library): one user's Maildir++ tree served read-write to many
// IMAP sessions of one process (a single-threaded event loop).
//
// Layout on disk (Maildir++, as Dovecot's default Maildir layout):
//
//   ROOT/{cur,new,tmp}                INBOX
//   ROOT/.Sent/{cur,new,tmp}          "Sent"; maildirfolder marks it a folder
//   ROOT/.Work.2024/{cur,new,tmp}     "Work.2024", a child of "Work"
//   ROOT/subscriptions                one name per line (as Dovecot's Maildir)
//   ROOT/mailwire-uidvalidity         the last UIDVALIDITY handed out
//   DIR/mailwire-uidlist              "2 UIDVALIDITY NEXTUID HIGHESTMODSEQ FLOOR",
//                                     then "UID MODSEQ FILENAME" per message and
//                                     "-UID MODSEQ" per kept expunge (QRESYNC);
//                                     version 1 ("1 UIDVALIDITY NEXTUID", then
//                                     "UID BASE") still loads
//   DIR/dovecot-keywords              "INDEX KEYWORD": keyword INDEX is the
//                                     letter 'a' + INDEX in file names
//
// Names: the hierarchy delimiter is "." both on disk and to clients (as
// Dovecot's Maildir++), so a component never holds "." and no escaping is
// needed. Directory names hold the modified UTF-7 form of the name (as
// Dovecot writes them); every name this API takes or gives is UTF-8, checked
// with imap::check_mailbox_name(name, '.') (no "/", no empty, "." or ".."
// component, no control character) before it touches the file system. The
// first component "INBOX" is matched in any case ("inbox.x" is "INBOX.x").
//
// Messages: a file cur/BASE:2,LETTERS. LETTERS are the flags, sorted:
// D \Draft, F \Flagged, R \Answered, S \Seen, T \Deleted, a-z keywords (by
// dovecot-keywords); other capitals (P, "passed") are kept as they are and
// not shown. Files in new/ are moved to cur/ when a folder is scanned and
// get the next UIDs, oldest first. INTERNALDATE is the file's mtime.
//
// Line ends: files are stored as they were given (APPEND's bytes, which
// IMAP sends with CRLF) and are served with every bare LF made CRLF, so a
// Maildir written by an MDA with LF line ends is served as IMAP requires
// while an APPENDed message comes back byte for byte. RFC822.SIZE and the
// sizes of sections are those of the served (CRLF) form: the store writes
// it into the names of files it creates (",S=file size,W=served size", as
// Dovecot does) and counts it once, by reading, for other files.
//
// Concurrency: sessions share one in-memory state per folder, so a change
// one session makes is what the others see at their next sync() (IDLE,
// NOOP). Between processes there is no locking: Maildir's atomic renames
// keep every file whole, an MDA delivering into new/ is safe, but two
// servers assigning UIDs in one tree at once are not (one server per tree).
//
// Errors are values (store_result); nothing throws except std::bad_alloc.
#ifndef MAILWIRE_EXAMPLES_IMAP_STORE_HPP
#define MAILWIRE_EXAMPLES_IMAP_STORE_HPP

#include <mailwire/imap/bodystructure.hpp>
#include <mailwire/imap/datetime.hpp>
#include <mailwire/imap/envelope.hpp>
#include <mailwire/imap/flag.hpp>
#include <mailwire/imap/from_mime.hpp>
#include <mailwire/imap/search.hpp>
#include <mailwire/imap/section.hpp>
#include <mailwire/imap/sequence_set.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailwire_example {

/// What went wrong, named after the IMAP response code a server sends for it.
enum class store_code : std::uint8_t {
  ok,
  bad_name,         ///< not a valid mailbox name (traversal, empty component, too long): NO [CANNOT] / BAD
  nonexistent,      ///< no such mailbox: NO [NONEXISTENT]
  trycreate,        ///< APPEND/COPY/MOVE to a missing mailbox: NO [TRYCREATE]
  already_exists,   ///< CREATE/RENAME onto an existing name: NO [ALREADYEXISTS]
  has_children,     ///< DELETE of a \Noselect parent that has children (RFC 3501 6.3.4): NO
  cannot,           ///< not allowed (delete INBOX, rename into itself, 27th keyword): NO [CANNOT]
  noselect,         ///< the name exists only as a parent: NO
  expunged,         ///< another session expunged the message and this view has not synced: NO (RFC 9051 7.5.1)
  too_big,          ///< larger than the configured limit: NO [TOOBIG]
  io_error,         ///< the file system refused: NO [SERVERBUG] (text says what)
  unknown_cte,      ///< BINARY of a part whose transfer encoding is not decoded: NO [UNKNOWN-CTE]
};

struct store_result {
  store_code code = store_code::ok;
  std::string text;  ///< for the log or the response text; empty when ok
  bool ok() const noexcept { return code == store_code::ok; }
};

/// Flags of one message: system flags as bits, keywords as bits of the
/// folder's keyword table (index k is letter 'a' + k, at most 26).
struct message_flags {
  enum : std::uint8_t { answered = 1, flagged = 2, deleted = 4, seen = 8, draft = 16 };
  std::uint8_t system = 0;
  std::uint32_t keywords = 0;
  friend bool operator==(const message_flags& a, const message_flags& b) noexcept {
    return a.system == b.system && a.keywords == b.keywords;
  }
  friend bool operator!=(const message_flags& a, const message_flags& b) noexcept { return !(a == b); }
};

enum class store_op : std::uint8_t { replace, add, remove };  ///< STORE FLAGS / +FLAGS / -FLAGS

/// One entry of LIST or LSUB.
struct list_entry {
  std::string name;  ///< UTF-8; the server encodes it (imap::mailbox_to_wire)
  std::vector<mailwire::imap::mailbox_attribute> attributes;
};

/// STATUS items (RECENT is always 0: \Recent is not kept).
struct mailbox_status {
  std::uint32_t messages = 0, uidnext = 0, uidvalidity = 0, unseen = 0, deleted = 0, recent = 0;
  std::uint64_t size = 0;  ///< sum of RFC822.SIZE
  std::uint64_t highest_modseq = 0;  ///< HIGHESTMODSEQ (RFC 7162)
};

/// COPYUID / APPENDUID data (RFC 4315): the destination's UIDVALIDITY and
/// the UIDs, source and destination in the same order.
struct copy_result {
  std::uint32_t uidvalidity = 0;
  std::vector<std::uint32_t> source_uids, dest_uids;
  std::vector<std::uint32_t> expunged;  ///< MOVE: EXPUNGE numbers in sending order (see expunge())
  std::vector<std::uint32_t> expunged_uids;  ///< MOVE: their UIDs (VANISHED under QRESYNC)
};

/// What changed since a view last synchronised (unsolicited responses).
struct view_changes {
  /// Sequence numbers for "* n EXPUNGE", in the order to send them: each is
  /// valid at the moment its response is sent (RFC 9051 7.5.1: an EXPUNGE
  /// renumbers the messages after it, so these are the old numbers, highest
  /// first, which no earlier EXPUNGE of the list has moved).
  std::vector<std::uint32_t> expunged;
  std::vector<std::uint32_t> expunged_uids;  ///< the same messages' UIDs
  /// "* n EXISTS" to send when the count grew (or after expunges): the new
  /// number of messages; equal to the old one when nothing arrived.
  std::uint32_t exists = 0;
  bool exists_changed = false;
  /// Sequence numbers (after the expunges above) whose flags another
  /// session or process changed: "* n FETCH (FLAGS ...)".
  std::vector<std::uint32_t> flags_changed;
  bool keywords_changed = false;  ///< the FLAGS list grew: send "* FLAGS" again
  bool mailbox_gone = false;      ///< deleted or renamed away by someone else: BYE or unselect
};

/// Bytes of a FETCH body section: either built in memory (HEADER.FIELDS,
/// and any section of a message parsed in memory) or a range of the file
/// (streamed). Read it with message::read().
struct section_bytes {
  std::string memory;             ///< the served bytes when !from_file
  bool from_file = false;
  std::uint64_t file_offset = 0;  ///< the range of the file, raw
  std::uint64_t file_length = 0;
  std::uint64_t skip = 0;         ///< served bytes to drop first (<partial> origin)
  std::uint64_t size = 0;         ///< served bytes it yields: the literal's size
  // Reading position (message::read()).
  std::uint64_t done = 0;
  std::uint64_t file_pos = 0;
  bool pending_cr = false;
  bool lf_pending = false;  // the CR of a converted LF went out, its LF not yet
};

class imap_store;
struct folder_state;

/// An open message (FETCH): the file stays open while this lives, so a flag
/// change (a rename) or an expunge (an unlink) by another session does not
/// take the bytes away mid-response. Move-only.
class message {
 public:
  message() = default;
  ~message();
  message(message&& o) noexcept;
  message& operator=(message&& o) noexcept;
  message(const message&) = delete;
  message& operator=(const message&) = delete;

  /// RFC822.SIZE (the served, CRLF form).
  std::uint64_t size() const noexcept { return size_; }

  /// BODY[section]<partial> (also RFC822 = BODY[], RFC822.HEADER =
  /// BODY[HEADER], RFC822.TEXT = BODY[TEXT]), per RFC 9051 6.4.5: part 1 of
  /// a non-multipart message is its body; part numbers go into
  /// message/rfc822 parts; HEADER/TEXT/HEADER.FIELDS after part numbers
  /// apply to the message in a message/rfc822 part; HEADER.FIELDS gives the
  /// matching fields, folding kept, then a blank line. A part that does not
  /// exist gives an empty string (as Dovecot). `partial` cuts the served
  /// bytes (an origin past the end gives an empty string). The whole
  /// message, its HEADER and TEXT stream from the file whatever its size;
  /// part numbers and HEADER.FIELDS parse the message in memory (too_big
  /// past store_options::max_parse).
  store_result section(const mailwire::imap::section& sec, std::optional<mailwire::imap::partial_range> partial,
                       section_bytes& out);

  /// BINARY[part]<partial> (RFC 3516), as Dovecot answers it: a leaf
  /// part's content with its Content-Transfer-Encoding undone (base64 and
  /// quoted-printable; 7bit, 8bit and binary as they are); for an empty
  /// `part` (BINARY[]), a multipart part or a message/rfc822 part, what
  /// BODY[part] gives with every encoded leaf inside decoded and its
  /// Content-Transfer-Encoding field replaced by "binary" (last in its
  /// header). A part that does not exist: as BODY[part]. An encoding it
  /// does not decode (x-uuencode, x-anything) anywhere in it: unknown_cte.
  /// BINARY.SIZE is the result's `size`. `decoded` (when given) says
  /// whether anything was decoded: then send it as literal8 (as Dovecot;
  /// RFC 3516 requires it when the bytes hold NUL). Parses in memory
  /// (too_big past store_options::max_parse).
  store_result binary(const std::vector<std::uint32_t>& part, std::optional<mailwire::imap::partial_range> partial,
                      section_bytes& out, bool* decoded = nullptr);

  /// Appends to `chunk` up to `max` (at least 1) more served bytes of `s`
  /// (bare LF made CRLF); returns ok with nothing appended once s.done ==
  /// s.size. Memory is bounded by `max` whatever the message size.
  store_result read(section_bytes& s, std::string& chunk, std::size_t max);

  /// ENVELOPE and BODYSTRUCTURE (extensible) or BODY, built by
  /// imap::from_mime as Dovecot builds them. The results view this
  /// message's parsed text and `store`: both must outlive them.
  store_result envelope(mailwire::imap::envelope& out, mailwire::imap::mime_text_store& store);
  store_result body_structure(mailwire::imap::body_structure& out, mailwire::imap::mime_text_store& store,
                              bool extensible);

  /// The whole file as stored (not CRLF-converted), loaded once (too_big
  /// past store_options::max_parse).
  store_result load(std::string_view& out);

 private:
  friend class mailbox_view;
  friend struct search_context;
  store_result header_end(std::uint64_t& he, std::uint64_t& served);
  store_result parsed(const mailwire::mime::tree*& out);
  int fd_ = -1;
  std::uint64_t file_size_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t max_parse_ = 0;
  // The whole file once load()ed, and its MIME tree: behind pointers, so
  // that moving the message keeps the views into them valid.
  std::unique_ptr<std::string> data_;
  std::unique_ptr<mailwire::mime::tree> tree_;
};

/// How the store behaves. The defaults suit the example server.
struct store_options {
  bool fsync = true;                            ///< flush files and directories before a rename counts
  std::uint64_t max_parse = 64u * 1024 * 1024;  ///< largest message parsed in memory (sections, structure, SEARCH)
  /// Zone of INTERNALDATE and of SEARCH's BEFORE/ON/SINCE days, minutes
  /// east of UTC; nullopt: the server's local zone at each date.
  std::optional<int> zone_minutes;
};

/// One session's selected mailbox (SELECT/EXAMINE): its own sequence
/// numbers, which change only when this view is told of expunges (sync()
/// or its own expunge()), whatever other sessions do meanwhile.
class mailbox_view {
 public:
  const std::string& name() const noexcept;
  bool read_only() const noexcept { return read_only_; }
  std::uint32_t exists() const noexcept { return static_cast<std::uint32_t>(uids_.size()); }
  std::uint32_t uidvalidity() const noexcept;
  std::uint32_t uidnext() const noexcept;
  /// Unseen messages, and the sequence number of the first (0: none), for
  /// SELECT's [UNSEEN n].
  std::uint32_t unseen() const;
  std::uint32_t first_unseen() const;
  /// The FLAGS list: the five system flags and every keyword of the folder;
  /// PERMANENTFLAGS adds \* while fewer than 26 keywords exist. Names view
  /// the folder's keyword table (valid while the store lives).
  std::vector<mailwire::imap::flag> flag_list() const;
  bool can_create_keywords() const;

  /// Sequence number -> UID (0 for a number out of range); UID ->
  /// sequence number (0 when not in this view).
  std::uint32_t uid(std::uint32_t seq) const noexcept;
  std::uint32_t seq(std::uint32_t uid) const noexcept;
  /// The messages of `set` (UIDs when `by_uid`), as ascending sequence
  /// numbers; "*" is the last message (or the largest UID). "$" gives none
  /// (the caller substitutes its saved result).
  std::vector<std::uint32_t> resolve(const mailwire::imap::sequence_set& set, bool by_uid) const;

  /// A message's flags as imap::flag (keyword names view the folder's
  /// table), INTERNALDATE, RFC822.SIZE, and its MODSEQ (RFC 7162; 0 for a
  /// number out of range). expunged when another session removed the
  /// message and this view has not synced.
  store_result flags(std::uint32_t seq, std::vector<mailwire::imap::flag>& out) const;
  store_result internal_date(std::uint32_t seq, mailwire::imap::date_time& out) const;
  store_result size(std::uint32_t seq, std::uint64_t& out);
  std::uint64_t modseq(std::uint32_t seq) const noexcept;

  /// CONDSTORE/QRESYNC (RFC 7162). Every change of a message (its flags,
  /// by any session or by another process renaming its file; its arrival
  /// by APPEND, COPY, MOVE or delivery) gives it the folder's next modseq,
  /// and every expunge takes one too; the folder's HIGHESTMODSEQ is the
  /// last handed out. Both are kept in the folder's mailwire-uidlist, so
  /// they survive a restart and never go back (flags changed while no
  /// server ran get new modseqs at the next start).
  ///
  /// The folder's HIGHESTMODSEQ now (SELECT's [HIGHESTMODSEQ n]).
  std::uint64_t highest_modseq() const noexcept;
  /// STORE (UNCHANGEDSINCE n): as store() on the messages whose modseq is
  /// at most `unchanged_since`; the others' numbers go to `modified`
  /// ([MODIFIED set]), unchanged.
  store_result store_unchanged_since(const std::vector<std::uint32_t>& seqs, store_op op,
                                     const std::vector<mailwire::imap::flag>& flags, std::uint64_t unchanged_since,
                                     std::vector<std::uint32_t>& changed, std::vector<std::uint32_t>& modified);
  /// UIDs expunged at a modseq above `since` (VANISHED (EARLIER)), only
  /// those in `within` when given ("*" is the largest UID handed out).
  /// The folder keeps the last 4096 expunges; for a `since` older than
  /// those (or than the first start that kept modseqs) it gives every UID
  /// below UIDNEXT (in `within`) that is not in the folder, as ranges: a
  /// superset RFC 7162 allows, bounded by the folder's size.
  mailwire::imap::sequence_set vanished_since(std::uint64_t since,
                                              const mailwire::imap::sequence_set* within) const;

  /// Opens a message for FETCH.
  store_result open(std::uint32_t seq, message& out);

  /// Rescans the folder (new files in new/ or cur/, vanished files, flags
  /// changed in file names by anyone) and reports what this view has not
  /// seen yet; its sequence numbers are then the folder's. Call it where
  /// IMAP allows unsolicited EXPUNGE (NOOP, IDLE, after a command that is
  /// not FETCH/STORE/SEARCH, RFC 9051 7.5.1).
  store_result sync(view_changes& out);

  /// STORE: sets, adds or removes `flags` (\Recent and unknown "\" flags
  /// are ignored; a 27th keyword is refused: cannot) on the messages
  /// `seqs` (ascending, from resolve()). `changed` gets the sequence
  /// numbers whose flags changed (FETCH FLAGS goes to them; under .SILENT
  /// to none). Read-only views: cannot.
  store_result store(const std::vector<std::uint32_t>& seqs, store_op op,
                     const std::vector<mailwire::imap::flag>& flags, std::vector<std::uint32_t>& changed);

  /// EXPUNGE (uid_filter null) or UID EXPUNGE (only UIDs in it): removes
  /// the files of the \Deleted messages. `expunged` gets the numbers to
  /// send, in order (see view_changes::expunged), `expunged_uids` theirs.
  store_result expunge(const mailwire::imap::sequence_set* uid_filter, std::vector<std::uint32_t>& expunged,
                       std::vector<std::uint32_t>& expunged_uids);

  /// SEARCH: every key of RFC 3501/9051 (search.hpp). `by_uid` gives UIDs,
  /// else sequence numbers, ascending. `saved` stands for "$" (RFC 5182),
  /// UIDs; null: "$" matches nothing. SUBJECT, FROM, TO, CC, BCC, HEADER,
  /// BODY and TEXT match as substrings after RFC 2047 decoding, the
  /// transfer encoding and charset undone, and case folding (ASCII,
  /// Latin-1, Latin Extended-A, Greek, Cyrillic); the search string is
  /// UTF-8 (CHARSET US-ASCII or UTF-8). Dates of BEFORE/ON/SINCE are
  /// INTERNALDATE's day in store_options::zone_minutes; SENT* use the Date
  /// field's day as written (a message without one never matches).
  /// RECENT and NEW match nothing, OLD everything; SAVED*, EMAILID,
  /// THREADID and FILTER match nothing.
  store_result search(const mailwire::imap::search_key& key, bool by_uid, std::vector<std::uint32_t>& out,
                      const std::vector<std::uint32_t>* saved = nullptr);

  /// COPY / MOVE to `dest` (UTF-8 name): flags and INTERNALDATE kept (a
  /// hard link when possible, else a copy). trycreate when `dest` does not
  /// exist. MOVE also expunges the sources from this folder and fills
  /// out.expunged (this view's numbers to send). Copying into the selected
  /// folder itself works.
  store_result copy(const std::vector<std::uint32_t>& seqs, const std::string& dest, copy_result& out);
  store_result move(const std::vector<std::uint32_t>& seqs, const std::string& dest, copy_result& out);

  ~mailbox_view();
  mailbox_view(const mailbox_view&) = delete;
  mailbox_view& operator=(const mailbox_view&) = delete;

 private:
  friend class imap_store;
  friend struct search_context;
  mailbox_view(imap_store& s, std::shared_ptr<folder_state> f, bool read_only);
  std::size_t record(std::uint32_t seq) const noexcept;  // index into the folder's records, or npos
  store_result remove(const std::vector<std::uint32_t>& seqs, std::vector<std::uint32_t>& expunged,
                      std::vector<std::uint32_t>& expunged_uids);
  imap_store& store_;
  std::shared_ptr<folder_state> f_;
  std::vector<std::uint32_t> uids_;  // sequence number - 1 -> UID
  std::uint64_t modseq_ = 0;         // folder modseq last reported to this view
  std::size_t keywords_ = 0;         // keywords in the FLAGS list last sent
  bool read_only_ = false;
};

/// The store of one Maildir++ tree.
class imap_store {
 public:
  /// Opens (creating ROOT/{cur,new,tmp} where missing) the tree at `root`.
  store_result open(const std::string& root, const store_options& options = {});

  /// The hierarchy delimiter shown to clients (LIST "" "").
  static constexpr char delimiter = '.';

  /// Checks a UTF-8 name and gives its canonical form (INBOX first
  /// component upper-cased, a trailing delimiter removed when
  /// `allow_trailing_delimiter`, CREATE's "foo."): bad_name when it is no
  /// valid name here.
  static store_result canonical_name(std::string_view utf8, bool allow_trailing_delimiter, std::string& out);

  /// SELECT (read_only false) / EXAMINE (true): scans the folder first.
  store_result select(const std::string& name, bool read_only, std::unique_ptr<mailbox_view>& out);

  /// LIST (subscribed_only false) / LSUB (true): `reference` and `pattern`
  /// (UTF-8, "*" and "%" wildcards; `reference` + `pattern`, INBOX in any
  /// case as the first component). LIST entries have \HasChildren or
  /// \HasNoChildren, \Noselect for a name that exists only as a parent of
  /// folders, \Subscribed when `mark_subscribed` (LIST-EXTENDED RETURN
  /// (SUBSCRIBED)), and the SPECIAL-USE attribute of a top-level Sent,
  /// Drafts, Trash, Junk or Archive (any case); INBOX first, then by name.
  /// LSUB entries are the subscribed names that match (\Noselect when no
  /// such folder exists) and the unsubscribed parents of subscribed names
  /// that "%" stops at, \Noselect (RFC 3501 6.3.9). LIST "" "" (the
  /// delimiter) is the server's: it answers (\Noselect) "." "".
  store_result list(std::string_view reference, std::string_view pattern, bool subscribed_only,
                    bool mark_subscribed, std::vector<list_entry>& out);

  store_result create(const std::string& name);
  /// DELETE: cannot for INBOX; a folder with children is deleted and its
  /// name stays as a \Noselect parent (RFC 3501 6.3.4); deleting such a
  /// parent (no folder of its own, only children) is has_children. Sessions that selected it learn it at
  /// their next sync() (mailbox_gone).
  store_result remove(const std::string& name);
  /// RENAME with its children. Renaming INBOX moves its messages into a new
  /// folder `to` and leaves INBOX empty (RFC 9051 6.3.6).
  store_result rename(const std::string& from, const std::string& to);
  store_result subscribe(const std::string& name);
  store_result unsubscribe(const std::string& name);
  store_result status(const std::string& name, mailbox_status& out);

  /// APPEND `bytes` to `name` with `flags` (keywords created as needed)
  /// and INTERNALDATE `date` (now when null). trycreate when the folder
  /// does not exist. Gives APPENDUID's UIDVALIDITY and UID.
  store_result append(const std::string& name, std::string_view bytes, const std::vector<mailwire::imap::flag>& flags,
                      const mailwire::imap::date_time* date, std::uint32_t& uidvalidity, std::uint32_t& uid);

  /// APPEND of a message streamed in pieces (a large literal): begin(),
  /// write()s, then commit() (or drop the object: the tmp/ file goes).
  class appender {
   public:
    appender() = default;
    ~appender();
    appender(const appender&) = delete;
    appender& operator=(const appender&) = delete;
    store_result write(std::string_view bytes);
    store_result commit(std::uint32_t& uidvalidity, std::uint32_t& uid);

   private:
    friend class imap_store;
    imap_store* store_ = nullptr;
    std::shared_ptr<folder_state> f_;
    std::string tmp_;
    int fd_ = -1;
    std::uint64_t size_ = 0, served_ = 0;
    bool last_cr_ = false;
    message_flags flags_;
    std::int64_t mtime_ = 0;
    store_result error_;
  };
  store_result begin_append(const std::string& name, const std::vector<mailwire::imap::flag>& flags,
                            const mailwire::imap::date_time* date, appender& out);

  const store_options& options() const noexcept { return options_; }
  const std::string& root() const noexcept { return root_; }

  /// Internals shared with the views (not for the program).
  store_result folder(const std::string& canonical, bool create_missing, std::shared_ptr<folder_state>& out);
  store_result refresh(folder_state& f);
  std::string unique_base();
  int zone_at(std::int64_t unix_seconds) const;

 private:
  store_result new_uidvalidity(std::uint32_t& out);
  store_result read_subscriptions(std::vector<std::string>& out) const;
  store_result write_subscriptions(const std::vector<std::string>& names);
  store_result names(std::vector<std::string>& out) const;  // every folder on disk, INBOX included
  std::string dir_of(const std::string& canonical) const;

  std::string root_;
  store_options options_;
  std::string host_;
  unsigned long counter_ = 0;
  std::map<std::string, std::shared_ptr<folder_state>> folders_;  // by canonical name
};

}  // namespace mailwire_example

#endif  // MAILWIRE_EXAMPLES_IMAP_STORE_HPP
