// mailwire: the IMAP client session machine (RFC 9051 and RFC 3501, with
// STARTTLS and LOGINDISABLED (RFC 9051 6.2.1), SASL-IR (RFC 4959), ENABLE
// (RFC 5161), IDLE (RFC 2177), LITERAL+/LITERAL- (RFC 7888), BINARY (RFC
// 3516), CONDSTORE/QRESYNC (RFC 7162), UTF8=ACCEPT (RFC 6855) and
// COMPRESS=DEFLATE (RFC 4978)).
//
// Sans-I/O, in the shape of every mailwire machine (docs/design.md 2):
// feed() what the server sent, pull events with next(), call actions,
// write pending_output() when next() says write_output, read when it says
// need_more, finish() at end of input. The machine sets the session up by
// itself, in this order:
//
//   greeting      * OK (or * PREAUTH: already authenticated; or * BYE: closed)
//   CAPABILITY    unless the greeting carried [CAPABILITY ...]
//   STARTTLS      by tls_policy (the starttls event: handshake, then
//                 tls_established(); CAPABILITY again: nothing learnt
//                 before TLS is kept)
//   login         AUTHENTICATE through the SASL engine (the initial response
//                 inline when SASL-IR is offered), or LOGIN
//   CAPABILITY    unless the login's OK (or an untagged CAPABILITY during
//                 it) carried the new list
//   ENABLE        what client_options asks for and the server offers
//   ready         commands may start
//
// Then the application submits commands (imap::command, imap/command.hpp);
// the machine gives each a tag and writes it when it may (pipelining,
// below). Every response comes out as an event: untagged data as
// `untagged` (after the machine has updated its own state from it: the
// capabilities, what is enabled, the selected mailbox), the tagged status
// as `completed` (every submitted command ends in exactly one, unless the
// session closes first), bodies of FETCH responses as fetch_chunk events.
//
//     c.submit(select, &tag);   // untagged FLAGS, EXISTS, OK [UIDVALIDITY ...], ..., completed
//     c.submit(fetch);          // untagged FETCH (fetch_chunk ... fetch_chunk_end first for BODY[])
//     c.logout();               // untagged BYE, completed, closed
//
// Pipelining (RFC 9051 5.5). Commands go out without waiting for earlier
// ones' completion (client_options::pipelining), except where the RFC
// forbids it or an answer would be ambiguous:
//  - a command that uses message sequence numbers (FETCH, STORE, COPY,
//    MOVE, SEARCH, SORT, THREAD without UID) waits while a command other
//    than FETCH, STORE or SEARCH is in progress (that one may cause an
//    EXPUNGE that renumbers the messages);
//  - SELECT, EXAMINE, CLOSE, UNSELECT, IDLE and COMPRESS start only when
//    nothing is in progress (the untagged data that follows belongs to the
//    new mailbox, the "+" to the IDLE, the compressed bytes to COMPRESS);
//  - nothing starts after IDLE, COMPRESS, or a command mailwire does not
//    know (command_type::other, which may ask for a continuation) until it
//    completes;
//  - nothing is written after a synchronising literal's announcement until
//    the server's "+" (and the rest of that command), nor while an APPEND
//    body is being streamed.
// Commands that must wait are held by the machine in order, already
// serialised. They are bounded: at client_options::max_queued_commands
// commands not yet queued in full for writing, or with pending_output()
// at max_pending_output, submit() refuses (errc::message_too_big) until
// the application has written output and read answers.
//
// Literals written (imap::write chooses: atom, quoted or literal). A
// synchronising literal stops the command: the machine writes up to it,
// waits for "+", then goes on. When the server answers the command's tag
// with NO or BAD instead of "+", the command is completed with that
// response and the rest of it is never sent. LITERAL+ (any size) and
// LITERAL- (up to 4096 octets) are used when offered. An APPEND whose
// message is a streamed literal (literal_body::streamed) asks for the body
// with a body_wanted event (after the "+" when the literal synchronises):
// send_body() the bytes, exactly literal_body::size of them, then
// end_body().
//
// Literals read. The server's literals come through imap::frame_reader. A
// literal that is the value of a FETCH body item (BODY[...], BINARY[...],
// RFC822, RFC822.HEADER, RFC822.TEXT) is streamed: fetch_chunk events with
// its bytes (and the message number, the UID when the response gave it
// before the body, and the item with its section), then fetch_chunk_end,
// then the untagged FETCH event whose item says literal_body::streamed
// (client_options::inline_body_max keeps small bodies in the FETCH event
// instead). Any other literal is read into memory up to
// frame_options::max_inline_literal; a bigger one drops its response with
// an error event errc::imap_literal_too_big.
//
// Safety:
//  - Tags are matched exactly. A tagged response for a tag not in flight is
//    errc::imap_unknown_tag; one for a command not yet written in full
//    (still in pending_output(), or stopped at a literal for anything but
//    NO/BAD) is errc::unexpected_reply; a "+" that no written command
//    waits for is errc::imap_unexpected_continuation. All three end the
//    session: a response the client cannot place was injected, or the
//    session is out of step.
//  - STARTTLS: any byte after the tagged OK, before TLS, is an injection
//    (errc::data_after_starttls) and ends the session. After
//    tls_established() everything learnt before is forgotten
//    (capabilities, enabled extensions, mailbox state) and CAPABILITY is
//    asked again. With tls_policy::required, a server without STARTTLS
//    (or a MITM that stripped it), a refused STARTTLS, or `* PREAUTH` on a
//    connection without TLS is errc::tls_unavailable: the session ends,
//    nothing but CAPABILITY and STARTTLS having been sent.
//  - Passwords go in clear (LOGIN, PLAIN, LOGIN mechanism, bearer tokens)
//    only over TLS unless allow_cleartext_login; LOGIN is never sent when
//    the server says LOGINDISABLED.
//  - An untagged response that cannot be read, or is too big, is reported
//    (error event) and skipped: the session goes on. A tagged one, or a
//    "+", ends the session (errc::malformed_reply).
//
// No clock inside: IDLE should be re-issued before idle_reissue_seconds
// (RFC 2177: 29 minutes); the caller owns the timer.
//
// Views in events are valid until the next non-const call. Nothing throws
// but std::bad_alloc; actions in the wrong state return errc::invalid_state
// and queue nothing.
#ifndef MAILWIRE_IMAP_CLIENT_HPP
#define MAILWIRE_IMAP_CLIENT_HPP

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/base64.hpp"
#include "mailwire/core/fifo.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/session.hpp"
#include "mailwire/error.hpp"
#include "mailwire/imap/command.hpp"
#include "mailwire/imap/fetch.hpp"
#include "mailwire/imap/flag.hpp"
#include "mailwire/imap/framing.hpp"
#include "mailwire/imap/response.hpp"
#include "mailwire/imap/sequence_set.hpp"
#include "mailwire/imap/syntax.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/sasl/client.hpp"
#include "mailwire/sasl/framing.hpp"
#include "mailwire/sasl/login.hpp"
#include "mailwire/sasl/mechanism.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// RFC 2177 3: a client should end IDLE and issue it again at least every
/// 29 minutes, since servers may log out a client idle for 30. The machine
/// has no clock: the caller arms a timer for this many seconds after the
/// idle_started event, then calls idle_done() and idle() again.
inline constexpr std::uint32_t idle_reissue_seconds = 29 * 60;

/// A list of capabilities (CAPABILITY, or the extensions ENABLED), kept as
/// owned copies. Names compare case-insensitively.
class capability_set {
 public:
  /// False until the server has sent the list (and again after TLS, until
  /// it sends it again).
  bool known() const noexcept { return known_; }
  /// True when `name` is in the list ("IDLE", "LITERAL+", "AUTH=PLAIN").
  bool has(std::string_view name) const noexcept {
    for (const std::string& n : names_) {
      if (ascii::iequals(n, name)) return true;
    }
    return false;
  }
  /// True when a name starts with `prefix` ("THREAD=", "SORT").
  bool has_prefix(std::string_view prefix) const noexcept {
    for (const std::string& n : names_) {
      if (n.size() >= prefix.size() && ascii::iequals(std::string_view(n).substr(0, prefix.size()), prefix)) {
        return true;
      }
    }
    return false;
  }
  /// The SASL mechanisms offered as `AUTH=<name>` that mailwire implements.
  sasl::mechanism_set auth_mechanisms() const noexcept {
    sasl::mechanism_set s;
    for (const std::string& n : names_) {
      if (n.size() > 5 && ascii::iequals(std::string_view(n).substr(0, 5), "AUTH=")) {
        if (const auto m = sasl::parse_mechanism(std::string_view(n).substr(5))) s.insert(*m);
      }
    }
    return s;
  }
  /// The names in the order the server sent them.
  const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  friend class client;
  void assign(const std::vector<std::string_view>& names) {
    names_.assign(names.begin(), names.end());
    known_ = true;
  }
  void add(const std::vector<std::string_view>& names) {
    for (const std::string_view n : names) {
      if (!has(n)) names_.emplace_back(n);
    }
    known_ = true;
  }
  void clear() noexcept {
    names_.clear();
    known_ = false;
  }

  std::vector<std::string> names_;
  bool known_ = false;
};

/// What the client knows of the mailbox SELECT or EXAMINE opened, from the
/// responses to it and the untagged data since (RFC 9051 6.3.2, 7.3, 7.4;
/// RFC 7162 3.1.2, 3.2.10). Numbers the server did not send stay 0.
struct selected_mailbox {
  /// SELECT/EXAMINE completed with OK, and no CLOSE, UNSELECT or failed
  /// SELECT since.
  bool selected = false;
  /// [READ-ONLY] (or EXAMINE without [READ-WRITE]).
  bool read_only = false;
  /// The name as it was sent (modified UTF-7, or UTF-8 under UTF8=ACCEPT).
  std::string name;
  std::uint32_t exists = 0;       ///< n EXISTS, less each EXPUNGE and VANISHED UID since
  std::uint32_t recent = 0;       ///< n RECENT (IMAP4rev1)
  std::uint32_t unseen = 0;       ///< [UNSEEN n] (IMAP4rev1): first unseen message
  std::uint32_t uidvalidity = 0;  ///< [UIDVALIDITY n]
  std::uint32_t uidnext = 0;      ///< [UIDNEXT n]
  std::uint64_t highest_modseq = 0;  ///< [HIGHESTMODSEQ n] (RFC 7162)
  bool nomodseq = false;             ///< [NOMODSEQ]: the mailbox keeps no mod-sequences
  /// FLAGS: the flags defined in the mailbox, each as written on the wire
  /// (system flags in canonical case: "\Seen"; parse_flag() types them).
  std::vector<std::string> flags;
  /// [PERMANENTFLAGS (...)], likewise ("\*": new keywords may be stored);
  /// has_permanent_flags false when the server sent none (RFC 9051 7.1:
  /// then all flags are permanent).
  std::vector<std::string> permanent_flags;
  bool has_permanent_flags = false;  ///< the server sent [PERMANENTFLAGS]
  /// Messages removed since selection: EXPUNGE responses, and UIDs in
  /// VANISHED responses without EARLIER. (VANISHED (EARLIER), the QRESYNC
  /// report of what went while the client was away, changes no count.)
  std::uint64_t expunged = 0;
};

/// How the client logs in.
enum class login_choice : std::uint8_t {
  /// AUTHENTICATE with the strongest mechanism offered that the policy
  /// allows; else LOGIN when allowed (TLS or allow_cleartext_login, and no
  /// LOGINDISABLED).
  automatic,
  login,  ///< the LOGIN command only
  sasl,   ///< AUTHENTICATE only (`mechanism`, or the strongest offered)
};

/// What an imap::client does and what it accepts; copied at construction.
struct client_options {
  /// STARTTLS or implicit TLS, and whether a session without TLS may go on
  /// (core/session.hpp).
  tls_policy tls = tls_policy::opportunistic;
  /// Credentials, copied and dropped once used; the nonce (SCRAM) comes
  /// from the caller's random source.
  std::string username;
  std::string password;  ///< for LOGIN and the password mechanisms
  std::string authzid;   ///< authorisation identity (SASL), usually empty
  std::string token;  ///< OAuth 2.0 bearer token (OAUTHBEARER, XOAUTH2)
  std::string nonce;  ///< SCRAM's client nonce: printable ASCII, no ','
  /// LOGIN, AUTHENTICATE or the machine's choice.
  login_choice method = login_choice::automatic;
  /// AUTHENTICATE with this mechanism instead of choosing (it must be
  /// offered; the policy still applies).
  std::optional<sasl::mechanism> mechanism;
  /// Which mechanisms may be used (sasl::choose()); `tls` and
  /// `allow_cleartext_password` are set by the machine (the latter from
  /// allow_cleartext_login).
  sasl::client_policy auth_policy;
  /// SCRAM iteration bound and challenge size.
  sasl::client_options auth_limits;
  /// Lenient: LOGIN, and the mechanisms that show the password or token
  /// (PLAIN, LOGIN, OAUTHBEARER, XOAUTH2), on a connection without TLS.
  /// Reopens: the password in clear to anyone on the path.
  bool allow_cleartext_login = false;
  /// Extensions to ENABLE (RFC 5161) when the server offers them, once
  /// logged in. QRESYNC implies CONDSTORE on the server's side.
  bool enable_imap4rev2 = false;
  bool enable_condstore = false;    ///< CONDSTORE (RFC 7162)
  bool enable_qresync = false;      ///< QRESYNC (RFC 7162)
  bool enable_utf8_accept = false;  ///< UTF8=ACCEPT (RFC 6855)
  /// Send commands without waiting for earlier ones where RFC 9051 5.5
  /// allows it (see the top of this file); false: one at a time.
  bool pipelining = true;
  /// How the server's bytes are cut into responses: line, message,
  /// inline literal and literal count limits, receive buffer. `side` and
  /// `binary` are set by the machine (a client reads literal8 in answer to
  /// BINARY[] fetches).
  frame_options frame;
  /// FETCH bodies up to this size are read into the FETCH event
  /// (literal_body::data) instead of streamed as fetch_chunk events.
  /// 0: every body is streamed, so the application has one path.
  std::size_t inline_body_max = 0;
  /// How responses are read (nesting limit, named leniencies). The
  /// default accepts "+" without its space (RFC 3501's own AUTHENTICATE
  /// example; reopens nothing).
  parse_options parse = default_parse();
  /// Output waiting to be written past which next() says write_output
  /// before it reads further responses.
  std::size_t max_pending_output = limits::max_pending_output;
  /// Commands submitted and not yet queued in full for writing (held by
  /// the pipelining rules, an IDLE, a synchronising literal's "+", a body
  /// being streamed) past which submit(), idle() and compress() refuse
  /// with errc::message_too_big (0 counts as 1). LOGOUT is always taken.
  std::size_t max_queued_commands = limits::imap_queued_commands;
  /// Tags are this prefix and a counter ("A1", "A2", ...). It must be made
  /// of tag characters (is_tag); otherwise the session fails at once
  /// (errc::invalid_argument).
  std::string tag_prefix = "A";

  /// The default `parse`: strict but for the missing space after "+".
  static parse_options default_parse() noexcept {
    parse_options p;
    p.allow_missing_text_space = true;
    return p;
  }
};

enum class client_event_type : std::uint8_t {
  need_more,        ///< read more from the server and feed() it (nothing is pending to write)
  write_output,     ///< write pending_output() first
  starttls,         ///< the server said OK to STARTTLS: handshake, then tls_established()
  ready,            ///< logged in, capabilities() known: commands may be submitted
  untagged,         ///< `resp`: an untagged response (state already updated from it)
  fetch_chunk,      ///< `bytes` of a FETCH body (`message`, `uid`, `item`, `size`)
  fetch_chunk_end,  ///< that body is complete (same fields, no bytes)
  completed,        ///< `tag`, `command`, `uid_command`, `status`, `resp`: a command's tagged response
  continuation,     ///< `tag`, `resp`: "+" for a command_type::other command; answer with continue_command()
  body_wanted,      ///< `tag`, `size`: send_body() that many bytes of the APPEND message, then end_body()
  idle_started,     ///< `tag`: the server accepted IDLE; idle_done() ends it
  compress,         ///< COMPRESS completed OK: install deflate both ways, take_unconsumed(), compress_established()
  error,            ///< `error`, `offset` (and `resp` when a response caused it); closed follows when fatal
  closed,           ///< the session is over
};

/// One event from client::next(). Views and pointers are valid until the
/// next non-const call on the client.
struct client_event {
  client_event_type type = client_event_type::need_more;  ///< what happened
  /// completed: the tag answered; continuation, body_wanted, idle_started:
  /// the command's tag.
  std::string_view tag;
  /// completed, continuation, body_wanted, idle_started; error during the
  /// login: the command concerned.
  command_type command = command_type::noop;
  bool uid_command = false;  ///< completed: the command had the UID prefix
  /// completed: OK, NO or BAD.
  status_kind status = status_kind::ok;
  /// untagged: the response; completed: the tagged status response (code,
  /// text); continuation: the "+" (its text); error: the server's
  /// response that failed the login or the setup, when there is one.
  const response* resp = nullptr;
  /// fetch_chunk, fetch_chunk_end: the message sequence number, and its
  /// UID when the response gave UID before the body (0 otherwise; the
  /// untagged FETCH event that follows has every item).
  std::uint32_t message = 0;
  std::uint32_t uid = 0;  ///< see `message`
  /// fetch_chunk, fetch_chunk_end: the item being streamed: kind
  /// (body_section, binary, rfc822, rfc822_header, rfc822_text), sect,
  /// origin, and content->size (the announced size).
  const fetch_item* item = nullptr;
  /// fetch_chunk, fetch_chunk_end: the body's announced size; body_wanted:
  /// the bytes to send.
  std::uint64_t size = 0;
  std::string_view bytes;  ///< fetch_chunk: the next bytes of the body
  errc error = errc::ok;   ///< error: what went wrong
  /// Stream offset in the server's bytes: of the response, of the
  /// offending byte, or of the chunk. After COMPRESS: the switch point's
  /// offset plus the position in the inflated stream.
  std::uint64_t offset = 0;
};

/// The client side of an IMAP session (RFC 3501, RFC 9051): see the top of
/// this file for what it does by itself and docs/design.md §2 for the shape
/// every mailwire machine has. Never throws on any server input.
class client {
 public:
  /// A session with `o`, expecting the server's greeting.
  explicit client(client_options o = {});

  // -- input and output ---------------------------------------------------

  /// Takes bytes the server sent; returns how many fit in the receive
  /// buffer (frame_options::max_buffered). Takes nothing at a switch point
  /// (starttls, compress), after finish(), or after close.
  std::size_t feed(std::string_view bytes);
  /// The server closed its side: after what was fed, an error event
  /// errc::truncated when a response was cut off or commands were awaiting
  /// their completion (unless the server had said BYE), then closed.
  void finish() noexcept;
  /// Bytes to write to the server, valid until the next non-const call.
  std::string_view pending_output() const noexcept { return out_.pending(); }
  /// The caller wrote the first `n` bytes of pending_output(). Responses
  /// are accepted only for commands written in full.
  void consume_output(std::size_t n) noexcept { out_.consume(n); }
  /// The session is over (after the closed event): write what is pending,
  /// then close the connection.
  bool closed() const noexcept { return state_ == state::closed; }
  /// At a switch point only (after the starttls or compress event): sets
  /// `out` to the bytes received after the server's OK (valid until the
  /// next non-const call) and forgets them. After STARTTLS there are none
  /// (any byte there is an injection and ended the session). After
  /// COMPRESS they are the start of the server's compressed stream: inflate
  /// them, then feed() the result after compress_established(). Elsewhere
  /// errc::invalid_state and nothing.
  errc take_unconsumed(std::string_view& out) noexcept;

  // -- what the client knows ------------------------------------------------

  /// The server's capabilities (known() false before the first list and
  /// after TLS until the next one).
  const capability_set& capabilities() const noexcept { return caps_; }
  /// The extensions the server said ENABLED (RFC 5161).
  const capability_set& enabled() const noexcept { return enabled_; }
  /// The selected mailbox (selected false when there is none). It changes
  /// when SELECT or EXAMINE completes (until then it is the previous one;
  /// the data the server sends during the command goes to the new one),
  /// and when CLOSE or UNSELECT completes.
  const selected_mailbox& mailbox() const noexcept { return mailbox_; }
  /// TLS is up (implicit, or after tls_established()).
  bool tls() const noexcept { return tls_; }
  /// Logged in (or PREAUTH).
  bool authenticated() const noexcept { return authenticated_; }
  /// The SASL mechanism used, once logged in by AUTHENTICATE.
  std::optional<sasl::mechanism> auth_mechanism() const noexcept { return used_mechanism_; }
  /// Between idle_started and idle_done().
  bool idling() const noexcept { return idling_; }
  /// COMPRESS=DEFLATE is active.
  bool compressed() const noexcept { return compressed_; }
  /// Commands submitted and not completed yet (held ones included).
  std::size_t in_progress() const noexcept { return commands_.size(); }
  /// Bytes of storage the session holds beyond its own size (input,
  /// output, the response being read and what it holds, the parser's
  /// scratch, a streamed body's state). What one large response needed is
  /// given back once all input is handled (next() says need_more or
  /// write_output); the response itself while nothing is in flight.
  std::size_t memory_used() const noexcept;
  /// Commands submitted and not yet queued in full for writing (at most
  /// client_options::max_queued_commands, and one LOGOUT).
  std::size_t queued() const noexcept { return commands_.size() - unsent_; }

  // -- events -----------------------------------------------------------------

  /// The next event (see client_event_type); need_more only when nothing
  /// is pending to write.
  client_event next();

  // -- actions ----------------------------------------------------------------

  /// After the starttls event and the caller's handshake: CAPABILITY again,
  /// and the setup goes on. errc::invalid_state elsewhere.
  errc tls_established();
  /// After the compress event: the caller's deflate transform is on both
  /// directions (pending_output() from now on is to be compressed, feed()
  /// takes inflated bytes). errc::invalid_state elsewhere.
  errc compress_established();
  /// For SCRAM-*-PLUS: this connection's channel binding (after TLS,
  /// before the login).
  void set_channel_binding(sasl::channel_binding::type t, std::string_view data);

  /// Submits a command, after the ready event. The machine sets its tag
  /// (`c.tag` is ignored) and, when `tag` is given, stores it there. The
  /// command is serialised now, for what the server offers now (LITERAL+,
  /// LITERAL-, BINARY, and UTF-8 in quoted strings once UTF8=ACCEPT or
  /// IMAP4rev2 is enabled), and written when the pipelining rules allow.
  /// Errors, with nothing queued:
  ///  - errc::invalid_state: before ready, after LOGOUT, at a switch
  ///    point, or closed;
  ///  - errc::invalid_argument: a field that cannot go on the wire (see
  ///    imap::write), or a command the machine drives itself (STARTTLS,
  ///    AUTHENTICATE, LOGIN, IDLE and COMPRESS: use idle(), compress());
  ///  - errc::extension_missing: a command of an extension the server
  ///    does not offer (MOVE, UNSELECT, NAMESPACE, ID, ENABLE, SORT,
  ///    THREAD, QUOTA, METADATA, UID EXPUNGE without UIDPLUS, MULTIAPPEND,
  ///    CATENATE), IMAP4rev2 counting for what it includes;
  ///  - errc::message_too_big: max_queued_commands are queued() already,
  ///    or pending_output() is at max_pending_output: write output and
  ///    read answers (next()), then submit again. Never for LOGOUT.
  /// A command submitted while idling waits for the IDLE to end.
  errc submit(command c, std::string* tag = nullptr);
  /// body_wanted: the next bytes of the message (at most what is left of
  /// its announced size, else errc::invalid_argument). Under back-pressure
  /// next() says write_output between chunks.
  errc send_body(std::string_view chunk);
  /// body_wanted: the message is complete (all its announced bytes sent,
  /// else errc::invalid_argument); the rest of the command follows.
  errc end_body();
  /// continuation: the line to send (without CRLF; no CR, LF or NUL, else
  /// errc::invalid_argument).
  errc continue_command(std::string_view line);
  /// IDLE (RFC 2177), after ready; errc::extension_missing without IDLE.
  /// idle_started follows the server's "+".
  errc idle(std::string* tag = nullptr);
  /// Ends IDLE (DONE). Called before the "+" came, DONE goes right after
  /// it. errc::invalid_state when no IDLE is in progress or DONE was sent.
  errc idle_done();
  /// COMPRESS DEFLATE (RFC 4978), after ready; errc::extension_missing
  /// without COMPRESS=DEFLATE, errc::invalid_state when already active.
  /// Its OK is a completed event, then a compress event (the switch point).
  errc compress(std::string* tag = nullptr);
  /// LOGOUT; closed follows its completion.
  errc logout(std::string* tag = nullptr);

 private:
  enum class state : std::uint8_t { greeting, setup, ready, tls_switch, compress_switch, closed };
  // What a command is for: the application's, or a setup step.
  enum class step : std::uint8_t { user, capability, starttls, authenticate, login, enable, logout };
  // Where a command is in its sending.
  enum class phase : std::uint8_t {
    held,          // nothing written yet
    sending,       // written up to a break: the machine writes on
    waiting_plus,  // written up to a synchronising literal: waits for "+"
    body,          // the application streams a literal's body
    sent,          // written in full; awaits its completion
  };

  struct record {
    std::string tag;
    step what = step::user;
    command_type type = command_type::noop;
    bool uid = false;
    phase at = phase::held;
    std::string bytes;               // the serialised command, freed once written
    std::vector<wire_break> breaks;  // where it stops
    std::size_t written = 0;         // bytes of `bytes` queued so far
    std::size_t next_break = 0;
    std::uint64_t body_left = 0;
    std::uint64_t written_at = 0;    // out_ position once what was queued for it is written
    std::string mailbox;             // SELECT/EXAMINE: the name
    bool uses_seq = false;           // uses message sequence numbers
    bool expunge_safe = false;       // FETCH, STORE, SEARCH: no EXPUNGE while in progress
    bool exclusive = false;          // starts only when nothing is in progress
    bool blocks = false;             // nothing starts after it until it completes
    bool awaiting_app = false;       // other: a "+" was handed to the application
  };

  // The FETCH body being streamed, from the response read up to its
  // literal (the prefix parsed as if the body were streamed and the list
  // closed there).
  struct body_stream {
    std::string text;
    std::string scratch;
    std::vector<std::size_t> streamed;
    response resp;
    std::uint32_t uid = 0;
  };

  static client_event event(client_event_type t) {
    client_event e;
    e.type = t;
    return e;
  }
  // After COMPRESS, offsets count the inflated stream from the switch
  // point: the compressed bytes handed out at the switch (and fed again
  // inflated) are not counted twice.
  void push(client_event e) {
    if (e.offset >= offset_shift_) e.offset -= offset_shift_;
    events_.push_back(e);
  }
  void push_error(errc e, std::uint64_t at, const response* r = nullptr);
  void fatal(errc e, std::uint64_t at, const response* r = nullptr);
  void setup_failed(errc e, std::uint64_t at, const response* r = nullptr);
  client_event starved();

  peer_support peer() const noexcept;
  bool has_ext(std::string_view name) const noexcept;
  errc check_extension(const command& c) const noexcept;
  std::string make_tag() const;
  errc enqueue(step what, command c, std::string* tag);
  void pump();
  bool may_start(const record& r) const noexcept;
  void start(record& r);
  bool send_part(record& r);
  void mark_written(record& r) noexcept { r.written_at = out_.written() + out_.size(); }
  std::size_t find(std::string_view tag) const noexcept;
  void finish_record(std::size_t i);
  record* waiter() noexcept;

  void on_literal(const frame_event& f);
  bool stream_body(const frame_event& f);
  void on_chunk(const frame_event& f, bool end);
  void on_message(const frame_event& f);
  void on_frame_error(const frame_event& f);
  void on_greeting(const frame_event& f);
  void on_plus(const frame_event& f);
  void on_tagged(const frame_event& f);
  void on_untagged(const frame_event& f);
  void apply_code(const resp_code& code);
  void completed(record& r, std::size_t i, const frame_event& f);

  void setup();
  void start_login();
  void start_sasl();
  void auth_challenge(record& r, std::string_view text);
  void logged_in(const resp_code& code);
  void forget_session_state();

  frame_reader frame_;
  output_queue out_;
  mailwire::detail::fifo<client_event> events_;
  std::deque<record> commands_;  // submitted, not completed, in order
  std::size_t unsent_ = 0;       // commands_[unsent_] is the first not written in full
  std::size_t started_ = 0;      // records written at least in part
  std::size_t risky_ = 0;        // of those, not expunge_safe
  std::size_t blockers_ = 0;     // of those, blocking
  // The response being handled; made at the first, released while the
  // session idles (starved()) so an idle session holds none.
  std::unique_ptr<response> resp_;
  std::string scratch_;
  parse_options parse_;
  std::unique_ptr<body_stream> body_;  // made at the first streamed body
  capability_set caps_;
  capability_set enabled_;
  selected_mailbox mailbox_;
  selected_mailbox opening_;  // what SELECT/EXAMINE in progress has said
  std::unique_ptr<sasl::client_login> auth_;  // until logged in
  login_choice method_ = login_choice::automatic;
  std::optional<sasl::mechanism> used_mechanism_;
  std::string tag_prefix_;
  std::uint64_t serial_ = 0;
  std::uint64_t fed_ = 0;
  // Offset of the response being handled: where an error found in the
  // setup is reported (not fed_, which depends on how the input was split).
  std::uint64_t here_ = 0;
  std::uint64_t offset_shift_ = 0;  // bytes taken at the COMPRESS switch
  std::size_t max_pending_output_;
  std::size_t max_queued_;
  std::size_t inline_body_max_;
  tls_policy tls_policy_;
  state state_ = state::greeting;
  errc init_error_ = errc::ok;
  bool tls_ = false;
  bool authenticated_ = false;
  bool starttls_tried_ = false;
  bool login_in_flight_ = false;
  bool caps_during_login_ = false;  // an untagged CAPABILITY came while LOGIN/AUTHENTICATE ran
  bool caps_after_auth_ = false;
  bool enable_done_ = false;
  bool selecting_ = false;
  bool streaming_ = false;
  bool idle_pending_ = false;  // an IDLE was submitted and has not completed
  bool idling_ = false;
  bool done_requested_ = false;
  bool compress_pending_ = false;
  bool compressed_ = false;
  bool bye_ = false;
  bool logout_sent_ = false;
  bool pipelining_ = true;
  bool allow_cleartext_login_ = false;
  bool want_imap4rev2_ = false;
  bool want_condstore_ = false;
  bool want_qresync_ = false;
  bool want_utf8_ = false;
  mailwire::detail::input_end input_;
};

// -- client: definitions -----------------------------------------------------

namespace detail {

inline frame_options client_frames(frame_options f) noexcept {
  f.side = frame_side::client;
  f.binary = true;  // literal8 comes only in answer to the client's BINARY[] fetches
  return f;
}

// RFC 9051 appendix E: extensions IMAP4rev2 includes.
inline bool in_imap4rev2(std::string_view name) noexcept {
  constexpr std::string_view names[] = {"NAMESPACE", "UNSELECT", "UIDPLUS",     "ESEARCH",   "SEARCHRES",
                                        "ENABLE",    "IDLE",     "SASL-IR",     "LIST-EXTENDED", "LIST-STATUS",
                                        "MOVE",      "LITERAL-", "BINARY",      "SPECIAL-USE", "STATUS=SIZE"};
  for (const std::string_view n : names) {
    if (ascii::iequals(n, name)) return true;
  }
  return false;
}

// The flags' wire forms, owned ("\Seen", "$Label1", "\*").
inline void copy_flags(const std::vector<flag>& flags, std::vector<std::string>& out) {
  out.clear();
  for (const flag& f : flags) {
    out.emplace_back();
    if (write(out.back(), f) != errc::ok) out.pop_back();
  }
}

// UIDs named by a VANISHED set (a uid-set: no "*").
inline std::uint64_t count_uids(const sequence_set& s) noexcept {
  std::uint64_t n = 0;
  for (const seq_range& r : s.ranges()) {
    if (r.first == seq_star || r.last == seq_star) continue;
    const std::uint32_t lo = r.first < r.last ? r.first : r.last;
    const std::uint32_t hi = r.first < r.last ? r.last : r.first;
    n += std::uint64_t{hi} - lo + 1;
  }
  return n;
}

inline bool is_body_item(fetch_item_kind k) noexcept {
  return k == fetch_item_kind::body_section || k == fetch_item_kind::binary || k == fetch_item_kind::rfc822 ||
         k == fetch_item_kind::rfc822_header || k == fetch_item_kind::rfc822_text;
}

// Calls f(container, rare) for the response's top-level containers that
// can grow large: `rare` for those only occasional responses fill
// (capability lists, FLAGS, SEARCH, THREAD, ID/METADATA, NAMESPACE), not
// for those every FETCH, LIST or STATUS of a burst refills.
template <class R, class F>
void response_containers(R& r, F f) {
  f(r.code.list, true);
  f(r.code.flags, true);
  f(r.flags, true);
  f(r.numbers, true);
  f(r.esearch, true);
  f(r.thread, true);
  f(r.pairs, true);
  f(r.namespaces, true);
  f(r.names, false);
  f(r.extended, false);
  f(r.status_items, false);
  f(r.fetch.items, false);
  f(r.spare_fetch_items, false);
}

}  // namespace detail

inline client::client(client_options o)
    : frame_(detail::client_frames(o.frame)),
      parse_(o.parse),
      tag_prefix_(std::move(o.tag_prefix)),
      max_pending_output_(o.max_pending_output),
      max_queued_(o.max_queued_commands == 0 ? 1 : o.max_queued_commands),
      inline_body_max_(o.inline_body_max),
      tls_policy_(o.tls) {
  tls_ = o.tls == tls_policy::implicit;
  pipelining_ = o.pipelining;
  allow_cleartext_login_ = o.allow_cleartext_login;
  want_imap4rev2_ = o.enable_imap4rev2;
  want_condstore_ = o.enable_condstore;
  want_qresync_ = o.enable_qresync;
  want_utf8_ = o.enable_utf8_accept;
  if (!is_tag(tag_prefix_ + "1")) init_error_ = errc::invalid_argument;
  method_ = o.method;
  auth_ = std::make_unique<sasl::client_login>();
  auth_->username = std::move(o.username);
  auth_->password = std::move(o.password);
  auth_->authzid = std::move(o.authzid);
  auth_->token = std::move(o.token);
  auth_->nonce = std::move(o.nonce);
  auth_->policy = o.auth_policy;
  auth_->policy.allow_cleartext_password = o.allow_cleartext_login;
  auth_->limits = o.auth_limits;
  auth_->named = o.mechanism;
}

inline std::size_t client::feed(std::string_view bytes) {
  if (state_ == state::tls_switch || state_ == state::compress_switch || state_ == state::closed ||
      input_.ended()) {
    return 0;
  }
  const std::size_t n = frame_.feed(bytes);
  fed_ += n;
  return n;
}

inline void client::finish() noexcept {
  input_.finish();
  frame_.finish();
}

inline errc client::take_unconsumed(std::string_view& out) noexcept {
  out = {};
  if (state_ != state::tls_switch && state_ != state::compress_switch) return errc::invalid_state;
  // After STARTTLS the reader holds nothing (a byte there ended the
  // session); after COMPRESS, the first compressed bytes.
  // Right after the OK's message event: at a message boundary.
  const errc e = frame_.take_unread(out);
  offset_shift_ += out.size();
  return e;
}

// All input is handled: the views of the last event have expired, so this
// is where an idle session gives back what responses left behind. With
// nothing in flight (or only an IDLE), the response and the parser's
// scratch go: they are
// made again by the next response, once per exchange, not per response of
// a burst. Otherwise what only rare responses fill (capability lists,
// FLAGS, SEARCH and THREAD results, ID and METADATA pairs) is released,
// and the containers every FETCH or LIST refills are kept up to a few
// hundred bytes, so a busy session allocates nothing more.
inline client_event client::starved() {
  if (resp_ && (commands_.empty() || idling_)) {
    resp_.reset();
    std::string().swap(scratch_);  // only parsing uses it
  } else if (resp_) {
    detail::response_containers(*resp_, [](auto& v, bool rare) {
      using vec = std::remove_reference_t<decltype(v)>;
      if (rare ? v.capacity() != 0 : v.capacity() * sizeof(v[0]) > 512) vec().swap(v);
    });
  }
  if (scratch_.capacity() > 512) std::string().swap(scratch_);
  if (body_ && !streaming_) body_.reset();
  return input_.wait<client_event>(out_);
}

inline std::size_t client::memory_used() const noexcept {
  std::size_t n = frame_.memory_used() + out_.pending().size() + scratch_.capacity();
  if (resp_) {
    n += sizeof(response);
    detail::response_containers(*resp_, [&n](const auto& v, bool) { n += v.capacity() * sizeof(v[0]); });
  }
  if (body_) n += sizeof(body_stream) + body_->text.capacity() + body_->scratch.capacity();
  return n;
}

inline client_event client::next() {
  for (;;) {
    if (!events_.empty()) {
      const client_event e = events_.front();
      events_.pop_front();
      if (e.type == client_event_type::closed) state_ = state::closed;
      return e;
    }
    if (state_ == state::closed) return event(client_event_type::closed);
    if (init_error_ != errc::ok) {
      fatal(init_error_, 0);
      continue;
    }
    if (!out_.empty() && out_.size() >= max_pending_output_) return event(client_event_type::write_output);
    if (state_ == state::tls_switch || state_ == state::compress_switch) {
      if (!input_.ended()) return input_.wait<client_event>(out_);
      fatal(errc::truncated, fed_);  // the server left in the middle of the switch
      continue;
    }
    const frame_event f = frame_.next();
    switch (f.type) {
      case frame_event_type::need_more: return starved();
      case frame_event_type::end:
        // Harmless only when nothing was awaited, or the server said BYE.
        if (!bye_ && (state_ == state::greeting || !commands_.empty())) {
          fatal(errc::truncated, fed_);
        } else {
          push(event(client_event_type::closed));
          state_ = state::closed;
          auth_.reset();
        }
        break;
      case frame_event_type::literal: on_literal(f); break;
      case frame_event_type::literal_chunk: on_chunk(f, false); break;
      case frame_event_type::literal_end: on_chunk(f, true); break;
      case frame_event_type::message: on_message(f); break;
      case frame_event_type::error: on_frame_error(f); break;
    }
  }
}

inline errc client::tls_established() {
  if (state_ != state::tls_switch) return errc::invalid_state;
  tls_ = true;
  state_ = state::setup;
  forget_session_state();
  setup();
  return errc::ok;
}

inline errc client::compress_established() {
  if (state_ != state::compress_switch) return errc::invalid_state;
  state_ = state::ready;
  pump();
  return errc::ok;
}

inline void client::set_channel_binding(sasl::channel_binding::type t, std::string_view data) {
  if (auth_) auth_->bind(t, data);
}

inline errc client::submit(command c, std::string* tag) {
  if (state_ != state::ready || logout_sent_) return errc::invalid_state;
  switch (c.type) {
    case command_type::starttls:
    case command_type::authenticate:
    case command_type::login:
    case command_type::idle:
    case command_type::compress: return errc::invalid_argument;
    default: break;
  }
  if (const errc e = check_extension(c); e != errc::ok) return e;
  return enqueue(step::user, std::move(c), tag);
}

inline errc client::send_body(std::string_view chunk) {
  if (unsent_ >= commands_.size() || commands_[unsent_].at != phase::body) return errc::invalid_state;
  record& r = commands_[unsent_];
  if (chunk.size() > r.body_left) return errc::invalid_argument;
  out_.append(chunk);
  r.body_left -= chunk.size();
  mark_written(r);
  return errc::ok;
}

inline errc client::end_body() {
  if (unsent_ >= commands_.size() || commands_[unsent_].at != phase::body) return errc::invalid_state;
  record& r = commands_[unsent_];
  if (r.body_left != 0) return errc::invalid_argument;
  ++r.next_break;
  r.at = phase::sending;
  pump();
  return errc::ok;
}

inline errc client::continue_command(std::string_view line) {
  record* r = waiter();
  if (r == nullptr || r->at != phase::sent || r->type != command_type::other || !r->awaiting_app) {
    return errc::invalid_state;
  }
  if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) return errc::invalid_argument;
  out_.append(line);
  out_.append("\r\n");
  r->awaiting_app = false;
  mark_written(*r);
  return errc::ok;
}

inline errc client::idle(std::string* tag) {
  if (state_ != state::ready || logout_sent_ || idle_pending_) return errc::invalid_state;
  if (!has_ext("IDLE")) return errc::extension_missing;
  command c;
  c.type = command_type::idle;
  const errc e = enqueue(step::user, std::move(c), tag);
  if (e == errc::ok) {
    idle_pending_ = true;
    done_requested_ = false;
  }
  return e;
}

inline errc client::idle_done() {
  if (!idle_pending_ || done_requested_ || state_ == state::closed) return errc::invalid_state;
  done_requested_ = true;
  if (idling_) {
    record* r = waiter();
    out_.append("DONE\r\n");
    idling_ = false;
    if (r != nullptr) mark_written(*r);
  }
  return errc::ok;
}

inline errc client::compress(std::string* tag) {
  if (state_ != state::ready || logout_sent_ || compressed_ || compress_pending_) return errc::invalid_state;
  if (!caps_.has("COMPRESS=DEFLATE")) return errc::extension_missing;
  command c;
  c.type = command_type::compress;
  c.args = compress_args{"DEFLATE"};
  const errc e = enqueue(step::user, std::move(c), tag);
  if (e == errc::ok) compress_pending_ = true;
  return e;
}

inline errc client::logout(std::string* tag) {
  command c;
  c.type = command_type::logout;
  return submit(std::move(c), tag);
}

// -- the error paths ---------------------------------------------------------

inline void client::push_error(errc e, std::uint64_t at, const response* r) {
  client_event ev = event(client_event_type::error);
  ev.error = e;
  ev.offset = at;
  ev.resp = r;
  push(ev);
}

inline void client::fatal(errc e, std::uint64_t at, const response* r) {
  push_error(e, at, r);
  push(event(client_event_type::closed));
  state_ = state::closed;
  init_error_ = errc::ok;
  streaming_ = false;
  auth_.reset();
}

// The setup cannot go on: an error event (with the server's response when
// there is one), then LOGOUT; closed follows its completion.
inline void client::setup_failed(errc e, std::uint64_t at, const response* r) {
  push_error(e, at, r);
  auth_.reset();
  login_in_flight_ = false;
  if (logout_sent_ || state_ == state::closed) return;
  state_ = state::setup;
  command c;
  c.type = command_type::logout;
  if (enqueue(step::logout, std::move(c), nullptr) != errc::ok) fatal(errc::invalid_argument, at);
}

// -- writing commands --------------------------------------------------------

inline bool client::has_ext(std::string_view name) const noexcept {
  return caps_.has(name) || (detail::in_imap4rev2(name) && caps_.has("IMAP4rev2"));
}

inline peer_support client::peer() const noexcept {
  peer_support p;
  p.to_server = true;
  p.literal_plus = caps_.has("LITERAL+");
  p.literal_minus = has_ext("LITERAL-");
  p.binary = has_ext("BINARY");
  p.utf8 = enabled_.has("UTF8=ACCEPT") || enabled_.has("IMAP4rev2");
  return p;
}

inline errc client::check_extension(const command& c) const noexcept {
  const auto need = [&](std::string_view name) { return has_ext(name) ? errc::ok : errc::extension_missing; };
  switch (c.type) {
    case command_type::move: return need("MOVE");
    case command_type::unselect: return need("UNSELECT");
    case command_type::namespace_: return need("NAMESPACE");
    case command_type::id: return need("ID");
    case command_type::enable: return need("ENABLE");
    case command_type::sort: return caps_.has_prefix("SORT") ? errc::ok : errc::extension_missing;
    case command_type::thread: return caps_.has_prefix("THREAD=") ? errc::ok : errc::extension_missing;
    case command_type::getquota:
    case command_type::getquotaroot:
    case command_type::setquota: return caps_.has_prefix("QUOTA") ? errc::ok : errc::extension_missing;
    case command_type::getmetadata:
    case command_type::setmetadata:
      return caps_.has("METADATA") || caps_.has("METADATA-SERVER") ? errc::ok : errc::extension_missing;
    case command_type::expunge: return c.uid ? need("UIDPLUS") : errc::ok;
    case command_type::append:
      if (const auto* a = std::get_if<append_args>(&c.args)) {
        if (a->messages.size() > 1 && !caps_.has("MULTIAPPEND")) return errc::extension_missing;
        for (const append_message& m : a->messages) {
          if (m.catenate && !caps_.has("CATENATE")) return errc::extension_missing;
        }
      }
      return errc::ok;
    default: return errc::ok;
  }
}

inline std::string client::make_tag() const { return tag_prefix_ + std::to_string(serial_ + 1); }

// Serialises a command now (for what the server offers now) and hands it
// to pump(), which writes it when the rules allow.
inline errc client::enqueue(step what, command c, std::string* tag) {
  // The application's commands are bounded; the machine's own (setup,
  // and LOGOUT, which ends the queue) are one at a time.
  if (what == step::user && c.type != command_type::logout &&
      (queued() >= max_queued_ || out_.size() >= max_pending_output_)) {
    return errc::message_too_big;
  }
  record r;
  r.tag = make_tag();
  c.tag = r.tag;
  wire w;
  if (const errc e = write(w, c, peer()); e != errc::ok) return e;
  using t = command_type;
  const t k = c.type;
  r.what = what;
  r.type = k;
  r.uid = c.uid;
  r.uses_seq = !c.uid && (k == t::fetch || k == t::store || k == t::copy || k == t::move || k == t::search ||
                          k == t::sort || k == t::thread);
  // RFC 9051 7.5.1: no EXPUNGE during FETCH, STORE, SEARCH (the UID forms
  // are other commands and may see one).
  r.expunge_safe = !c.uid && (k == t::fetch || k == t::store || k == t::search);
  r.exclusive = k == t::select || k == t::examine || k == t::close || k == t::unselect || k == t::idle ||
                k == t::compress || k == t::starttls || k == t::authenticate || k == t::login;
  r.blocks = k == t::idle || k == t::compress || k == t::starttls || k == t::authenticate || k == t::other;
  if (const auto* s = std::get_if<select_args>(&c.args)) r.mailbox = std::string(s->mailbox);
  r.bytes = std::move(w.bytes);
  r.breaks = std::move(w.breaks);
  ++serial_;
  if (tag != nullptr) *tag = r.tag;
  if (k == t::logout) logout_sent_ = true;
  commands_.push_back(std::move(r));
  pump();
  return errc::ok;
}

// Writes what may be written, in submission order.
inline void client::pump() {
  if (state_ == state::closed || state_ == state::tls_switch || state_ == state::compress_switch) return;
  while (unsent_ < commands_.size()) {
    record& r = commands_[unsent_];
    if (r.at == phase::held) {
      if (!may_start(r)) return;
      start(r);
    }
    if (r.at == phase::waiting_plus || r.at == phase::body) return;
    if (!send_part(r)) return;
    ++unsent_;
  }
}

inline bool client::may_start(const record& r) const noexcept {
  if (blockers_ > 0) return false;
  if (started_ == 0) return true;
  if (!pipelining_ || r.exclusive) return false;
  // RFC 9051 5.5: sequence numbers only when no EXPUNGE can renumber them.
  return !(r.uses_seq && risky_ > 0);
}

inline void client::start(record& r) {
  r.at = phase::sending;
  ++started_;
  if (!r.expunge_safe) ++risky_;
  if (r.blocks) ++blockers_;
  if (r.type == command_type::select || r.type == command_type::examine) {
    // Nothing else is in progress (exclusive): what comes now describes
    // the new mailbox.
    opening_ = selected_mailbox{};
    opening_.name = std::move(r.mailbox);
    opening_.read_only = r.type == command_type::examine;
    selecting_ = true;
  }
  if (r.what == step::authenticate || r.what == step::login) {
    login_in_flight_ = true;
    caps_during_login_ = false;
  }
}

// Queues the record's bytes up to its next break; true when it is written
// in full.
inline bool client::send_part(record& r) {
  for (;;) {
    const std::size_t end = r.next_break < r.breaks.size() ? r.breaks[r.next_break].offset : r.bytes.size();
    if (end > r.written) {
      out_.append(std::string_view(r.bytes).substr(r.written, end - r.written));
      r.written = end;
    }
    mark_written(r);
    if (r.next_break == r.breaks.size()) {
      r.at = phase::sent;
      std::string().swap(r.bytes);
      std::vector<wire_break>().swap(r.breaks);
      return true;
    }
    const wire_break& b = r.breaks[r.next_break];
    if (b.wait_continuation) {
      r.at = phase::waiting_plus;
      return false;
    }
    if (b.body) {
      r.at = phase::body;
      r.body_left = b.body_size;
      client_event e = event(client_event_type::body_wanted);
      e.tag = r.tag;
      e.command = r.type;
      e.size = b.body_size;
      push(e);
      return false;
    }
    ++r.next_break;
  }
}

inline std::size_t client::find(std::string_view tag) const noexcept {
  for (std::size_t i = 0; i < commands_.size(); ++i) {
    if (commands_[i].tag == tag) return i;
  }
  return static_cast<std::size_t>(-1);
}

inline void client::finish_record(std::size_t i) {
  const record& r = commands_[i];
  if (r.at != phase::held) {
    --started_;
    if (!r.expunge_safe) --risky_;
    if (r.blocks) --blockers_;
  }
  commands_.erase(commands_.begin() + static_cast<std::ptrdiff_t>(i));
  if (i < unsent_) --unsent_;
}

// The command a "+" may answer: the one stopped at a synchronising
// literal, or the blocking one in progress (AUTHENTICATE, IDLE, other):
// nothing after either has been written.
inline client::record* client::waiter() noexcept {
  if (unsent_ < commands_.size() && commands_[unsent_].at == phase::waiting_plus) return &commands_[unsent_];
  if (blockers_ > 0 && unsent_ > 0) return &commands_[unsent_ - 1];
  return nullptr;
}

// -- reading responses -------------------------------------------------------

inline void client::on_literal(const frame_event& f) {
  // f's views point into the reader's message, which an answer changes.
  const bool untagged = f.tag == "*";
  if (untagged && stream_body(f)) return;
  if (frame_.read_literal() == errc::ok) return;
  // Too big to hold and not a body: the response is dropped (the reader
  // drains it exactly).
  frame_.refuse_literal();
  if (untagged) return push_error(errc::imap_literal_too_big, f.offset);
  fatal(errc::imap_literal_too_big, f.offset);
}

// A FETCH body item's literal is streamed. Which item it is, and of which
// message, comes from the response so far: read as if this literal were
// streamed and the list closed right after it, it must be a FETCH whose
// last item is a body.
inline bool client::stream_body(const frame_event& f) {
  std::size_t at = f.text.rfind('{');
  if (at == std::string_view::npos) return false;
  if (is_binary(f.kind)) {
    if (at == 0) return false;
    --at;
  }
  if (!body_) body_ = std::make_unique<body_stream>();
  body_stream& b = *body_;
  b.text.assign(f.text.data(), f.text.size());
  b.text += "\r\n)";
  b.streamed = frame_.streamed_literals();
  b.streamed.push_back(at);
  if (parse_response(b.text, b.resp, b.scratch, parse_, &b.streamed) != errc::ok) return false;
  if (b.resp.type != response_type::fetch || b.resp.fetch.items.empty()) return false;
  const fetch_item& it = b.resp.fetch.items.back();
  if (!detail::is_body_item(it.kind) || !it.content || !it.content->streamed) return false;
  if (f.size <= inline_body_max_ && inline_body_max_ != 0 && frame_.read_literal() == errc::ok) return true;
  b.uid = 0;
  for (std::size_t i = 0; i + 1 < b.resp.fetch.items.size(); ++i) {
    if (b.resp.fetch.items[i].kind == fetch_item_kind::uid) {
      b.uid = static_cast<std::uint32_t>(b.resp.fetch.items[i].number);
    }
  }
  frame_.stream_literal();
  streaming_ = true;
  return true;
}

inline void client::on_chunk(const frame_event& f, bool end) {
  if (!streaming_ || !body_) return;
  const fetch_item& it = body_->resp.fetch.items.back();
  client_event e = event(end ? client_event_type::fetch_chunk_end : client_event_type::fetch_chunk);
  e.message = body_->resp.fetch.seq;
  e.uid = body_->uid;
  e.item = &it;
  e.size = it.content->size;
  e.bytes = f.text;
  e.offset = f.offset;
  if (end) streaming_ = false;
  push(e);
}

inline void client::on_frame_error(const frame_event& f) {
  if (f.error == errc::truncated) return fatal(errc::truncated, f.offset);
  const errc code = f.error == errc::line_too_long ? errc::reply_too_long : f.error;
  if (f.tag == "*" && state_ != state::greeting) return push_error(code, f.offset);
  fatal(code, f.offset);
}

inline void client::on_message(const frame_event& f) {
  here_ = f.offset;
  const std::vector<std::size_t>& streamed = frame_.streamed_literals();
  if (!resp_) resp_ = std::make_unique<response>();
  const errc e = parse_response(f.text, *resp_, scratch_, parse_, &streamed);
  if (e != errc::ok) {
    const errc code = e == errc::syntax_error ? errc::malformed_reply : e;
    // Past a streamed body, a position in the text is not one in the stream.
    const std::uint64_t at = streamed.empty() ? f.offset + resp_->error_at : f.offset;
    if (f.tag == "*" && state_ != state::greeting) return push_error(code, at);
    return fatal(code, at);
  }
  if (state_ == state::greeting) return on_greeting(f);
  if (resp_->type == response_type::continuation) return on_plus(f);
  if (resp_->type == response_type::status && !resp_->tag.empty()) return on_tagged(f);
  on_untagged(f);
}

// RFC 9051 7.1.1, 7.1.4, 7.1.5: OK, PREAUTH or BYE, untagged, first.
inline void client::on_greeting(const frame_event& f) {
  if (resp_->type == response_type::continuation) return fatal(errc::imap_unexpected_continuation, f.offset);
  if (resp_->type != response_type::status) return fatal(errc::unexpected_reply, f.offset, resp_.get());
  if (!resp_->tag.empty()) return fatal(errc::imap_unknown_tag, f.offset);
  client_event u = event(client_event_type::untagged);
  u.resp = resp_.get();
  u.offset = f.offset;
  switch (resp_->status) {
    case status_kind::ok:
      push(u);
      apply_code(resp_->code);
      state_ = state::setup;
      return setup();
    case status_kind::preauth:
      push(u);
      // Authenticated in clear: no STARTTLS is possible any more (RFC
      // 9051 6.2.1 is for the not-authenticated state), and a client that
      // requires TLS must not go on (RFC 9051 11.1).
      if (!tls_ && tls_policy_ == tls_policy::required) return fatal(errc::tls_unavailable, f.offset, resp_.get());
      apply_code(resp_->code);
      authenticated_ = true;
      caps_after_auth_ = true;
      auth_.reset();
      state_ = state::setup;
      return setup();
    case status_kind::bye:
      push(u);
      bye_ = true;
      return fatal(errc::unexpected_reply, f.offset, resp_.get());
    default: return fatal(errc::unexpected_reply, f.offset, resp_.get());
  }
}

inline void client::on_plus(const frame_event& f) {
  record* r = waiter();
  // A "+" for bytes the server has not been sent yet was not sent by it.
  if (r == nullptr || out_.written() < r->written_at) return fatal(errc::imap_unexpected_continuation, f.offset);
  if (r->at == phase::waiting_plus) {
    const wire_break& b = r->breaks[r->next_break];
    if (b.body) {
      r->at = phase::body;
      r->body_left = b.body_size;
      client_event e = event(client_event_type::body_wanted);
      e.tag = r->tag;
      e.command = r->type;
      e.size = b.body_size;
      e.offset = f.offset;
      push(e);
      return;
    }
    ++r->next_break;
    r->at = phase::sending;
    return pump();
  }
  if (r->at != phase::sent) return fatal(errc::imap_unexpected_continuation, f.offset);
  if (r->what == step::authenticate) return auth_challenge(*r, resp_->text);
  if (r->what != step::user || r->awaiting_app ||
      (r->type != command_type::idle && r->type != command_type::other)) {
    return fatal(errc::imap_unexpected_continuation, f.offset);
  }
  r->awaiting_app = true;
  client_event e = event(r->type == command_type::idle ? client_event_type::idle_started
                                                       : client_event_type::continuation);
  e.tag = r->tag;
  e.command = r->type;
  e.resp = resp_.get();
  e.offset = f.offset;
  push(e);
  if (r->type == command_type::idle) {
    idling_ = true;
    if (done_requested_) {
      out_.append("DONE\r\n");
      idling_ = false;
      mark_written(*r);
    }
  }
}

inline void client::on_tagged(const frame_event& f) {
  const std::size_t i = find(resp_->tag);
  if (i == static_cast<std::size_t>(-1)) return fatal(errc::imap_unknown_tag, f.offset);
  record& r = commands_[i];
  // An answer to a command the server has not received in full; only a
  // refusal of a synchronising literal (NO or BAD instead of "+") may come
  // before the rest.
  if (r.at == phase::held || out_.written() < r.written_at ||
      (r.at != phase::sent && !(r.at == phase::waiting_plus && resp_->status != status_kind::ok))) {
    return fatal(errc::unexpected_reply, f.offset);
  }
  completed(r, i, f);
}

inline void client::apply_code(const resp_code& code) {
  // During SELECT/EXAMINE the data describes the mailbox being opened;
  // after, the selected one; with neither, nothing.
  const bool active = selecting_ || mailbox_.selected;
  selected_mailbox& box = selecting_ ? opening_ : mailbox_;
  switch (code.kind) {
    case code_kind::capability:
      caps_.assign(code.list);
      if (login_in_flight_) caps_during_login_ = true;
      break;
    case code_kind::uidvalidity:
      if (active) box.uidvalidity = static_cast<std::uint32_t>(code.number);
      break;
    case code_kind::uidnext:
      if (active) box.uidnext = static_cast<std::uint32_t>(code.number);
      break;
    case code_kind::unseen:
      if (active) box.unseen = static_cast<std::uint32_t>(code.number);
      break;
    case code_kind::highestmodseq:
      if (active) {
        box.highest_modseq = code.number;
        box.nomodseq = false;
      }
      break;
    case code_kind::nomodseq:
      if (active) {
        box.highest_modseq = 0;
        box.nomodseq = true;
      }
      break;
    case code_kind::permanentflags:
      if (active) {
        detail::copy_flags(code.flags, box.permanent_flags);
        box.has_permanent_flags = true;
      }
      break;
    case code_kind::read_only:
      if (selecting_) box.read_only = true;
      break;
    case code_kind::read_write:
      if (selecting_) box.read_only = false;
      break;
    default: break;
  }
}

inline void client::on_untagged(const frame_event& f) {
  const bool active = selecting_ || mailbox_.selected;
  selected_mailbox& box = selecting_ ? opening_ : mailbox_;
  switch (resp_->type) {
    case response_type::status:
      // PREAUTH is a greeting only.
      if (resp_->status == status_kind::preauth) return fatal(errc::unexpected_reply, f.offset, resp_.get());
      if (resp_->status == status_kind::bye) bye_ = true;
      apply_code(resp_->code);
      break;
    case response_type::capability:
      caps_.assign(resp_->names);
      if (login_in_flight_) caps_during_login_ = true;
      break;
    case response_type::enabled: enabled_.add(resp_->names); break;
    case response_type::flags:
      if (active) detail::copy_flags(resp_->flags, box.flags);
      break;
    case response_type::exists:
      if (active) box.exists = resp_->number;
      break;
    case response_type::recent:
      if (active) box.recent = resp_->number;
      break;
    case response_type::expunge:
      if (active) {
        if (box.exists > 0) --box.exists;
        ++box.expunged;
      }
      break;
    case response_type::vanished:
      if (active && !resp_->earlier) {
        const std::uint64_t n = detail::count_uids(resp_->set);
        box.exists = n >= box.exists ? 0 : box.exists - static_cast<std::uint32_t>(n);
        box.expunged += n;
      }
      break;
    default: break;
  }
  client_event e = event(client_event_type::untagged);
  e.resp = resp_.get();
  e.offset = f.offset;
  push(e);
}

inline void client::completed(record& r, std::size_t i, const frame_event& f) {
  const step what = r.what;
  const command_type type = r.type;
  const bool uid = r.uid;
  const bool ok = resp_->status == status_kind::ok;
  finish_record(i);
  switch (what) {
    case step::user: {
      client_event e = event(client_event_type::completed);
      e.tag = resp_->tag;
      e.command = type;
      e.uid_command = uid;
      e.status = resp_->status;
      e.resp = resp_.get();
      e.offset = f.offset;
      // RFC 7162 3.1.8, 3.2.10: a tagged OK may carry the new
      // HIGHESTMODSEQ (EXPUNGE, STORE); SELECT's carries READ-ONLY.
      if (ok) apply_code(resp_->code);
      switch (type) {
        case command_type::select:
        case command_type::examine:
          selecting_ = false;
          if (ok) {
            mailbox_ = std::move(opening_);
            mailbox_.selected = true;
          } else {
            mailbox_ = selected_mailbox{};  // RFC 9051 6.3.2: a failed SELECT leaves none selected
          }
          opening_ = selected_mailbox{};
          break;
        case command_type::close:
        case command_type::unselect:
          if (ok) mailbox_ = selected_mailbox{};
          break;
        case command_type::idle:
          idle_pending_ = idling_ = done_requested_ = false;
          break;
        case command_type::logout:
          push(e);
          push(event(client_event_type::closed));
          state_ = state::closed;
          auth_.reset();
          return;
        case command_type::compress:
          compress_pending_ = false;
          push(e);
          if (ok) {
            // RFC 4978 3: both sides compress from the byte after this
            // response's CRLF (and after the command's, already written).
            compressed_ = true;
            state_ = state::compress_switch;
            client_event c = event(client_event_type::compress);
            c.tag = resp_->tag;
            c.command = type;
            c.offset = f.offset;
            push(c);
            return;
          }
          return pump();
        default: break;
      }
      push(e);
      return pump();
    }
    case step::capability:
      if (!ok) return setup_failed(errc::unexpected_reply, f.offset, resp_.get());
      if (!caps_.known()) caps_.assign({});  // OK without a list: the server has none to tell
      return setup();
    case step::starttls:
      if (ok) {
        // RFC 9051 6.2.1 (and RFC 2595 3.1): TLS starts right after this
        // CRLF. A byte already here was sent before the handshake, in
        // clear: an injection.
        if (frame_.buffered() != 0) return fatal(errc::data_after_starttls, fed_ - frame_.buffered());
        state_ = state::tls_switch;
        push(event(client_event_type::starttls));
        return;
      }
      if (tls_policy_ == tls_policy::required) return setup_failed(errc::tls_unavailable, f.offset, resp_.get());
      return setup();
    case step::authenticate:
    case step::login: {
      login_in_flight_ = false;
      errc failure = errc::sasl_auth_failed;
      if (auth_ && auth_->error != errc::ok) failure = auth_->error;
      if (ok && what == step::authenticate && auth_ && auth_->engine && auth_->error == errc::ok) {
        const sasl::client_step s = auth_->engine->success();
        // A SCRAM server that did not prove itself is not believed.
        if (s.state != sasl::client_step::status::done) failure = s.error;
        else used_mechanism_ = auth_->engine->mech();
      }
      if (!ok || (what == step::authenticate && !used_mechanism_)) {
        setup_failed(failure, f.offset, resp_.get());
        if (!events_.empty()) events_.back().command = type;
        return;
      }
      return logged_in(resp_->code);
    }
    case step::enable: return setup();
    case step::logout:
      push(event(client_event_type::closed));
      state_ = state::closed;
      return;
  }
}

// -- the setup -------------------------------------------------------------

inline void client::setup() {
  if (state_ != state::setup || logout_sent_) return;
  const auto send = [&](step what, command c) {
    if (enqueue(what, std::move(c), nullptr) != errc::ok) setup_failed(errc::invalid_argument, here_);
  };
  command c;
  if (!caps_.known()) {
    c.type = command_type::capability;
    return send(step::capability, std::move(c));
  }
  if (!tls_ && !authenticated_ && !starttls_tried_ &&
      (tls_policy_ == tls_policy::opportunistic || tls_policy_ == tls_policy::required) && caps_.has("STARTTLS")) {
    starttls_tried_ = true;
    c.type = command_type::starttls;
    return send(step::starttls, std::move(c));
  }
  // No STARTTLS offered (or a MITM removed it): under `required`, no
  // credential goes out.
  if (!tls_ && tls_policy_ == tls_policy::required) return setup_failed(errc::tls_unavailable, here_);
  if (!authenticated_) return start_login();
  if (!caps_after_auth_) {
    caps_after_auth_ = true;
    c.type = command_type::capability;
    return send(step::capability, std::move(c));
  }
  if (!enable_done_) {
    enable_done_ = true;
    enable_args a;
    const auto wish = [&](bool wanted, std::string_view name) {
      if (wanted && caps_.has(name)) a.capabilities.push_back(name);
    };
    wish(want_imap4rev2_, "IMAP4rev2");
    wish(want_condstore_, "CONDSTORE");
    wish(want_qresync_, "QRESYNC");
    wish(want_utf8_, "UTF8=ACCEPT");
    if (!a.capabilities.empty() && has_ext("ENABLE")) {
      c.type = command_type::enable;
      c.args = std::move(a);
      return send(step::enable, std::move(c));
    }
  }
  state_ = state::ready;
  auth_.reset();
  push(event(client_event_type::ready));
  pump();
}

inline void client::start_login() {
  sasl::client_login& a = *auth_;
  const bool clear_ok = tls_ || allow_cleartext_login_;
  const bool login_ok =
      clear_ok && !caps_.has("LOGINDISABLED") && !a.username.empty() && !a.password.empty();
  const bool sasl_ok = a.named.has_value() || a.choice(caps_.auth_mechanisms(), tls_).has_value();
  if (method_ == login_choice::sasl || (method_ == login_choice::automatic && sasl_ok)) return start_sasl();
  if (login_ok) {
    command c;
    c.type = command_type::login;
    c.args = login_args{a.username, a.password};
    if (enqueue(step::login, std::move(c), nullptr) != errc::ok) setup_failed(errc::invalid_argument, here_);
    return;
  }
  // No way in: say why.
  errc e = errc::sasl_unknown_mechanism;
  if (a.username.empty()) {
    e = errc::invalid_argument;
  } else if (!clear_ok) {
    e = errc::sasl_insecure;
  } else if (method_ == login_choice::login) {
    e = errc::extension_missing;  // LOGINDISABLED
  }
  setup_failed(e, here_);
  if (!events_.empty()) events_.back().command = command_type::login;
}

inline void client::start_sasl() {
  sasl::client_login& a = *auth_;
  sasl::client_step s;
  s.state = sasl::client_step::status::failed;
  s.error = a.start(caps_.auth_mechanisms(), tls_);
  // RFC 4959: the initial response goes with the command when SASL-IR is
  // offered (IMAP4rev2 includes it); else in answer to the first "+".
  if (s.error == errc::ok) s = a.engine->start(has_ext("SASL-IR"));
  if (s.state == sasl::client_step::status::failed) {
    setup_failed(s.error, here_);
    if (!events_.empty()) events_.back().command = command_type::authenticate;
    return;
  }
  std::string ir;
  authenticate_args args;
  args.mechanism = sasl::to_string(a.engine->mech());
  if (s.state == sasl::client_step::status::respond) {
    ir = s.response.empty() ? std::string("=") : base64::encode(s.response);
    args.initial_response = ir;
  }
  command c;
  c.type = command_type::authenticate;
  c.args = std::move(args);
  if (enqueue(step::authenticate, std::move(c), nullptr) != errc::ok) setup_failed(errc::invalid_argument, here_);
}

// A "+" during AUTHENTICATE: the engine answers, or the exchange is
// cancelled with "*" (the server then answers BAD, RFC 9051 6.2.2).
inline void client::auth_challenge(record& r, std::string_view text) {
  if (!auth_ || !auth_->engine) return fatal(errc::imap_unexpected_continuation, 0);
  sasl::client_login& a = *auth_;
  sasl::client_step s;
  std::string challenge;
  if (a.error != errc::ok) {
    s.state = sasl::client_step::status::failed;
    s.error = a.error;
  } else if (!sasl::read_challenge(text, challenge)) {
    s.state = sasl::client_step::status::failed;
    s.error = errc::sasl_malformed;
  } else {
    s = a.engine->challenge(challenge);
  }
  if (s.state == sasl::client_step::status::failed) {
    sasl::write_cancel(out_);
    a.error = s.error;
  } else {
    sasl::write_response(out_, s.response);
  }
  mark_written(r);
}

inline void client::logged_in(const resp_code& code) {
  authenticated_ = true;
  auth_.reset();  // the credentials are not kept past their use
  // RFC 9051 6.2.2: the OK may carry the new capabilities; an untagged
  // CAPABILITY during the exchange (Dovecot sends one) serves too.
  if (code.kind == code_kind::capability) {
    caps_.assign(code.list);
    caps_after_auth_ = true;
  } else {
    caps_after_auth_ = caps_during_login_;
  }
  setup();
}

// After TLS: nothing said before it is believed (RFC 9051 6.2.1,
// RFC 2595 3.1). Any of it may have been injected by a MITM.
inline void client::forget_session_state() {
  caps_.clear();
  enabled_.clear();
  mailbox_ = selected_mailbox{};
  opening_ = selected_mailbox{};
  selecting_ = false;
  caps_during_login_ = false;
  bye_ = false;
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_CLIENT_HPP
