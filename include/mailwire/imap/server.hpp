// mailwire: the IMAP server session machine (RFC 9051, RFC 3501, and the
// extensions of issue 14: LITERAL+/LITERAL- RFC 7888, SASL-IR RFC 4959,
// ENABLE RFC 5161, IDLE RFC 2177, MULTIAPPEND RFC 3502, CATENATE RFC 4469,
// APPENDLIMIT RFC 7889, CONDSTORE/QRESYNC RFC 7162, UTF8=ACCEPT RFC 6855,
// and the capabilities the application implements).
//
// Sans-I/O, in the shape of every mailwire machine (docs/design.md 2): the
// caller feeds what the client sent, pulls events, answers the ones that
// need a decision with actions, and writes pending_output().
//
//     imap::server s(opts);                       // queues the greeting
//     for (;;) {
//       const imap::server_event e = s.next();
//       switch (e.type) {
//         case write_output: write(s.pending_output()); s.consume_output(n); break;
//         case need_more:    n = read(); n ? s.feed(bytes) : s.finish(); break;
//         case paused:       write what is pending; wait for the store, then act
//                            (send_body() while a body streams); break;
//         case login:        ok(e.user, e.password) ? s.accept_login()
//                                                   : s.reject_login(code_kind::authenticationfailed, "No"); break;
//         case auth_start:   s.auth_begin(fresh_nonce()); break;
//         case auth_check:   /* answer e.auth as pop3/smtp servers do */ break;
//         case authenticated: open_store(e.user); break;
//         case command:      answer(*e.cmd): s.untagged(...)..., s.complete(e.tag, status_kind::ok, "done"); break;
//         case literal:      s.accept_literal() or s.refuse_literal(code_kind::trycreate, "No such mailbox"); break;
//         case append_chunk: store(e.data); break;
//         case append_end:   break;                 // the APPEND command event follows
//         case append_abort: discard(); break;      // the APPEND was dropped
//         case idle:         watch the mailbox; s.notify_exists(n)...; break;
//         case idle_done:    stop watching; break;
//         case starttls:     s.take_unconsumed(rest); tls.put(rest); ...; s.tls_established(); break;
//         case error:        log(e.error, e.offset); break;  // answered already
//         case closed:       write(s.pending_output()); close(); return;
//       }
//     }
//
// Commands are read one at a time: after a `command` event the machine
// reads nothing more until complete() answers it, so the application sees
// commands in order and never two at once. Commands a client pipelines
// wait in the input buffer (bounded), and their answers in
// pending_output() (bounded by back-pressure, in bytes and in commands).
//
// What the machine answers itself: CAPABILITY (exactly the capabilities in
// the options, as the state and TLS allow), NOOP (unless
// options.answer_noop is false in the SELECTED state), LOGOUT, STARTTLS,
// LOGIN's and AUTHENTICATE's protocol (the application only checks
// credentials), ENABLE, IDLE's "+" and DONE, every literal that is not an
// APPEND message (read inline up to frame.max_inline_literal, else BAD
// [TOOBIG]), every syntax error (tagged BAD when the tag is known, "* BAD"
// otherwise), every command in the wrong state (BAD, RFC 9051 3: no event)
// and every command of an extension not offered (BAD). Every BAD counts
// against max_errors consecutive errors; at the limit "* BYE" and close.
// Everything else is a `command` event for the application.
//
// Mailbox state: SELECT/EXAMINE enter SELECTED when complete() answers
// them OK (a failed one leaves AUTHENTICATED: the mailbox selected before
// is closed when the command comes, with "* OK [CLOSED]" under IMAP4rev2 or
// QRESYNC); CLOSE/UNSELECT answered OK return to AUTHENTICATED.
//
// Untagged updates and RFC 9051 7.5.1: an EXPUNGE (or VANISHED) must not be
// sent while no command is in progress, nor while a FETCH, STORE or SEARCH
// (and SORT or THREAD, which also answer with sequence numbers) without
// UID is answered. notify() enforces it: an update that may not go now is
// held, with every update after it in order, until a command that allows
// it is in progress (at its `command` event), or IDLE, or NOOP.
//
// Safety: nothing after STARTTLS is parsed (take_unconsumed() hands it to
// TLS; tls_established() forgets everything learnt before); LOGIN and the
// cleartext SASL mechanisms are refused before TLS (LOGINDISABLED) unless
// allow_plaintext_auth; failed logins count against max_auth_failures,
// then "* BYE"; literals are questions: an APPEND message is announced to
// the application before one byte is read, and a refused body that comes
// anyway (LITERAL+) is drained, never parsed; lines, messages, literals
// and nesting are bounded by the frame and parse limits.
//
// Views and pointers in events are valid until the next non-const call on
// the server, except a `command` event's `cmd` (and the views in it),
// which stays valid until complete() answers it, and a `login` event's
// views, valid until accept_login()/reject_login(). Nothing throws but
// std::bad_alloc. Every action validates first: in the wrong state it
// returns errc::invalid_state, with a value that cannot go on the wire
// errc::invalid_argument, and then nothing changes and nothing is queued.
#ifndef MAILWIRE_IMAP_SERVER_HPP
#define MAILWIRE_IMAP_SERVER_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/fifo.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/session.hpp"
#include "mailwire/error.hpp"
#include "mailwire/imap/command.hpp"
#include "mailwire/imap/flag.hpp"
#include "mailwire/imap/framing.hpp"
#include "mailwire/imap/response.hpp"
#include "mailwire/imap/syntax.hpp"
#include "mailwire/imap/values.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/sasl/exchange.hpp"
#include "mailwire/sasl/framing.hpp"
#include "mailwire/sasl/server.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// The session states of RFC 9051 3.
enum class session_state : std::uint8_t {
  not_authenticated,  ///< after the greeting (OK), and after STARTTLS
  authenticated,      ///< after LOGIN/AUTHENTICATE, a PREAUTH greeting, or CLOSE/UNSELECT
  selected,           ///< after SELECT/EXAMINE answered OK
  logout,             ///< the session is over (closed())
};

/// The capabilities the application implements. The machine advertises
/// exactly these (in CAPABILITY, the greeting and the login OK) and
/// answers BAD to the commands of the ones not offered. With imap4rev2,
/// the extensions RFC 9051 includes (ENABLE, IDLE, NAMESPACE, UNSELECT,
/// MOVE, UIDPLUS's UID EXPUNGE, ESEARCH's RETURN) count as offered for
/// that check, since an IMAP4rev2 client may use them unannounced.
struct server_extensions {
  bool imap4rev1 = true;      ///< "IMAP4rev1" (RFC 3501); if neither version is set, this one is
  bool imap4rev2 = false;     ///< "IMAP4rev2" (RFC 9051); ENABLE IMAP4rev2 is then answered
  bool literal_plus = true;   ///< "LITERAL+": "{n+}" of any size (RFC 7888)
  bool literal_minus = false; ///< "LITERAL-": "{n+}" up to 4096 octets (ignored with literal_plus)
  bool sasl_ir = true;        ///< "SASL-IR" (RFC 4959), when any mechanism is offered
  bool enable = false;        ///< "ENABLE" (RFC 5161): the machine answers it
  bool idle = false;          ///< "IDLE" (RFC 2177): the machine frames it, the application pushes updates
  bool namespace_ = false;    ///< "NAMESPACE" (RFC 2342)
  bool id = false;            ///< "ID" (RFC 2971)
  bool unselect = false;      ///< "UNSELECT" (RFC 3691)
  bool uidplus = false;       ///< "UIDPLUS" (RFC 4315): UID EXPUNGE, APPENDUID, COPYUID
  bool move = false;          ///< "MOVE" (RFC 6851)
  bool children = false;      ///< "CHILDREN" (RFC 3348)
  bool list_extended = false; ///< "LIST-EXTENDED" (RFC 5258)
  bool list_status = false;   ///< "LIST-STATUS" (RFC 5819)
  bool special_use = false;   ///< "SPECIAL-USE" (RFC 6154)
  bool binary = false;        ///< "BINARY" (RFC 3516): literal8 is read ("~{n}") and may be written
  bool esearch = false;       ///< "ESEARCH" (RFC 4731)
  bool searchres = false;     ///< "SEARCHRES" (RFC 5182)
  bool sort = false;          ///< "SORT" (RFC 5256)
  std::vector<std::string> thread;  ///< "THREAD=<each>" (RFC 5256): REFERENCES, ORDEREDSUBJECT; empty: no THREAD
  bool condstore = false;     ///< "CONDSTORE" (RFC 7162)
  bool qresync = false;       ///< "QRESYNC" (RFC 7162): ENABLE QRESYNC is answered
  bool utf8_accept = false;   ///< "UTF8=ACCEPT" (RFC 6855): ENABLE UTF8=ACCEPT is answered
  bool quota = false;         ///< "QUOTA" (RFC 9208)
  bool metadata = false;      ///< "METADATA" (RFC 5464)
  bool multiappend = false;   ///< "MULTIAPPEND" (RFC 3502): several messages in one APPEND
  bool catenate = false;      ///< "CATENATE" (RFC 4469)
  /// Other capability atoms, advertised as given ("XLIST", "X-GM-EXT-1");
  /// their commands come as command_type::other. A string that is not an
  /// atom is not advertised.
  std::vector<std::string> other;
};

/// What an imap::server offers and accepts; copied at construction.
struct server_options {
  /// The server's name, in the CRAM-MD5 challenge ("<nonce@hostname>").
  std::string hostname = "localhost";
  /// The greeting's text, after "* OK [CAPABILITY ...] ". A text that
  /// cannot be sent (CR, LF, NUL, 8-bit, a leading "[") is replaced by
  /// "IMAP server ready".
  std::string greeting = "IMAP server ready";
  /// The connection is authenticated outside IMAP (RFC 9051 7.1.4): the
  /// greeting is "* PREAUTH", the session starts AUTHENTICATED (the
  /// application knows the user), and LOGIN/AUTHENTICATE/STARTTLS are
  /// refused.
  bool preauth = false;
  /// The transport is TLS already (implicit TLS, port 993).
  bool tls_active = false;
  /// The caller can do TLS: STARTTLS is offered while not in TLS.
  bool offer_starttls = false;
  /// Lenient: LOGIN and the SASL mechanisms that expose the password or a
  /// bearer token (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) before TLS, for a
  /// server without TLS (a test setup, a Unix socket). Off (the default),
  /// the machine advertises LOGINDISABLED before TLS and answers those
  /// with NO [PRIVACYREQUIRED] (RFC 9051 6.2.3, 11.1). Reopens: passwords
  /// readable by anyone on the path.
  bool allow_plaintext_auth = false;
  /// Before TLS no login of any kind is served (not even SCRAM): only
  /// CAPABILITY, NOOP, LOGOUT, STARTTLS and what the application answers
  /// in the NOT AUTHENTICATED state.
  bool require_tls = false;
  /// SASL mechanisms to offer (AUTH=...); empty: no AUTHENTICATE.
  sasl::mechanism_set auth_mechanisms;
  /// What the application implements (see server_extensions).
  server_extensions extensions;
  /// APPENDLIMIT (RFC 7889): when set, advertised as "APPENDLIMIT=n", and
  /// an APPEND message announced larger is refused by the machine with
  /// NO [TOOBIG] before the application hears of it.
  std::optional<std::uint64_t> max_append_size;
  /// NOOP is answered by the machine (OK, after any held updates). False:
  /// in the SELECTED state NOOP is a `command` event, so the application
  /// can look for changes first (notify(), then complete()); elsewhere the
  /// machine still answers it.
  bool answer_noop = true;
  /// The frame reader's limits (imap/framing.hpp): max_line, max_message,
  /// max_inline_literal, max_literals, max_buffered. Its side, literal_plus,
  /// literal_minus and binary are set by the machine from the extensions.
  frame_options frame;
  /// Deepest nesting of lists and SEARCH keys in a command (past it: BAD).
  std::size_t max_depth = limits::imap_depth;
  /// Consecutive errors (BAD answers: the machine's and the application's)
  /// before "* BYE" and close, with an error event errc::too_many_errors.
  /// An OK answer starts the count again.
  std::size_t max_errors = limits::max_errors;
  /// Failed logins (LOGIN, AUTHENTICATE) before "* BYE" and close, with an
  /// error event errc::too_many_auth_failures.
  std::size_t max_auth_failures = limits::max_auth_failures;
  /// Longest SASL response accepted (decoded bytes).
  std::size_t max_auth_response = limits::max_sasl_message;
  /// Output past which the machine reads no more input and says
  /// write_output (a client that pipelines and never reads, or a body
  /// being streamed).
  std::size_t max_pending_output = limits::max_pending_output;
  /// Commands answered whose answers the caller has not written yet: at
  /// this many the machine reads no more commands and says write_output
  /// (0 counts as 1).
  std::size_t max_pipelined = limits::imap_pipelined;
  /// Bytes of updates notify() may hold back (see notify()): past it,
  /// after coalescing, notify() refuses with errc::message_too_big.
  std::size_t max_held_updates = limits::imap_held_updates;
};

enum class server_event_type : std::uint8_t {
  need_more,      ///< read more from the client and feed() it (nothing is pending to write)
  write_output,   ///< write pending_output() first: nothing more happens until it shrinks
  paused,         ///< the machine waits for an action (an answer to the last event; send_body() while a body
                  ///< streams); pending_output() may hold bytes: write them meanwhile
  command,        ///< `cmd` (with `tag`, `state`): answer with untagged()... and complete()
  login,          ///< LOGIN `user` `password`: accept_login() or reject_login()
  auth_start,     ///< AUTHENTICATE `mechanism`: auth_begin(nonce) or reject_login()
  auth_check,     ///< the SASL engine needs `auth` answered (accept_login, reject_login, auth_provide_*)
  authenticated,  ///< `user` logged in (`method`, `mechanism`): the "OK" is queued; open the store
  literal,        ///< an APPEND message is announced (`literal`): accept_literal() or refuse_literal()
  append_chunk,   ///< `data`: the next bytes of the accepted APPEND message
  append_end,     ///< the APPEND message is complete (the `command` event for the APPEND follows)
  append_abort,   ///< an APPEND whose messages were (partly) streamed was dropped: discard them
  starttls,       ///< "OK" to STARTTLS queued: write it, hand take_unconsumed() to TLS, then tls_established()
  idle,           ///< IDLE began (`tag`): "+ idling" is queued; push updates with notify() until idle_done
  idle_done,      ///< IDLE ended: by DONE (its OK is queued), or with `error` set (a line that was not DONE: BAD)
  error,          ///< a bad command or line, answered already; `error`, `offset`, `tag` when known
  closed,         ///< after LOGOUT, "* BYE", bye(), or finish(): write the output and close
};

/// How the user logged in.
enum class login_method : std::uint8_t { login, sasl, preauth };

/// An APPEND message announced (a `literal` event): what the application
/// needs to accept or refuse it before one byte of it is read.
struct append_literal {
  std::string_view tag;      ///< the APPEND's tag
  std::string_view mailbox;  ///< as on the wire (modified UTF-7, or UTF-8 under UTF8=ACCEPT)
  /// This message's flag list (has_flags false: none given).
  std::vector<flag> flags;
  bool has_flags = false;  ///< a flag list was given (possibly empty)
  std::optional<date_time> internal_date;  ///< this message's date-time, when given
  std::uint64_t size = 0;    ///< the announced size (nothing is reserved from it)
  bool binary = false;       ///< literal8 ("~{n}", BINARY)
  bool synchronizing = true; ///< "{n}": accepting sends "+"; "{n+}": the body follows anyway
  bool utf8 = false;         ///< "UTF8 (~{n})" (RFC 6855)
  bool catenate = false;     ///< a CATENATE TEXT part (RFC 4469), one of several pieces of the message
  std::size_t index = 0;     ///< which message of a MULTIAPPEND, from 0
};

/// What the client enabled with ENABLE (RFC 5161), or implied: a CONDSTORE
/// enabling command (RFC 7162 3.1: SELECT (CONDSTORE), FETCH (CHANGEDSINCE)
/// or the MODSEQ attribute, STORE (UNCHANGEDSINCE), SEARCH with a MODSEQ
/// key, STATUS (HIGHESTMODSEQ)) sets condstore too, when it is offered.
struct enabled_extensions {
  bool condstore = false;    ///< MODSEQ in FETCH responses, HIGHESTMODSEQ on SELECT
  bool qresync = false;      ///< implies condstore
  bool utf8_accept = false;  ///< UTF-8 in quoted strings and mailbox names both ways
  bool imap4rev2 = false;    ///< RFC 9051's rules (no RECENT, ESEARCH results...)
};

/// One event from server::next(); see server_event_type for which fields
/// each type sets, and the file comment for how long the views live.
struct server_event {
  server_event_type type = server_event_type::need_more;  ///< what happened
  errc error = errc::ok;                                  ///< error: what went wrong
  std::uint64_t offset = 0;  ///< error, command, idle_done: stream offset of the message concerned
  std::string_view tag;      ///< command, login, auth_start, auth_check, literal, idle, idle_done, error (when known)
  const command* cmd = nullptr;  ///< command
  session_state state = session_state::not_authenticated;  ///< command: the state it came in
  std::string_view user;      ///< login, authenticated
  std::string_view password;  ///< login
  login_method method = login_method::login;  ///< authenticated
  sasl::mechanism mechanism = sasl::mechanism::plain;  ///< auth_start, auth_check, authenticated (sasl)
  const sasl::server_request* auth = nullptr;          ///< auth_check
  const append_literal* literal = nullptr;             ///< literal
  std::string_view data;      ///< append_chunk
};

/// The server side of an IMAP session (RFC 3501, RFC 9051): see the top
/// of this file for what it answers by itself and what it asks the
/// application, and docs/design.md §2 for the shape every mailwire machine
/// has. Never throws on any client input.
class server {
 public:
  /// A session with `o`; its greeting is queued at once.
  explicit server(server_options o = {});

  // -- input and output ---------------------------------------------------

  /// Takes bytes the client sent; returns how many fit in the receive
  /// buffer (call next() until need_more, then feed the rest). Takes
  /// nothing at the TLS switch, after finish(), or after close.
  std::size_t feed(std::string_view bytes);
  /// The client closed its side. What was fed is still processed; a
  /// command, literal or AUTHENTICATE exchange left unfinished gives an
  /// error event (errc::truncated) (and append_abort for an APPEND that
  /// was streaming), then closed. A session idling is just closed.
  void finish() noexcept;
  /// Bytes to write to the client, oldest first; valid until the next
  /// non-const call.
  std::string_view pending_output() const noexcept { return out_.pending(); }
  /// The caller wrote the first `n` bytes of pending_output().
  void consume_output(std::size_t n) noexcept { out_.consume(n); }
  /// True once the session is over: write what is pending, then close.
  bool closed() const noexcept { return phase_ == phase::closed; }

  // -- events ---------------------------------------------------------------

  /// The next event (need_more only when no output is pending).
  server_event next();

  // -- answering commands -------------------------------------------------

  /// Ends the command of the last `command` event: "tag OK|NO|BAD [code]
  /// text". `tag` must be that command's tag (else invalid_argument);
  /// `kind` ok, no or bad; `text` one line of printable text (UTF-8 only
  /// once UTF8=ACCEPT is enabled). Held updates that may go now are
  /// written first. An OK to SELECT/EXAMINE enters SELECTED (read-only
  /// for EXAMINE or a [READ-ONLY] code); an OK to CLOSE/UNSELECT returns
  /// to AUTHENTICATED. A BAD counts against max_errors. While a body
  /// streams: invalid_state.
  errc complete(std::string_view tag, status_kind kind, const resp_code& code, std::string_view text);
  /// The same with a code without arguments (code_kind::trycreate), or none.
  errc complete(std::string_view tag, status_kind kind, code_kind code, std::string_view text) {
    return complete(tag, kind, simple_code(code), text);
  }
  /// The same without a code.
  errc complete(std::string_view tag, status_kind kind, std::string_view text) {
    return complete(tag, kind, resp_code{}, text);
  }

  /// Queues an untagged response that answers the command in progress
  /// (during a `command` event, before complete(); or during IDLE):
  /// EXISTS, FLAGS, LIST, STATUS, SEARCH, ESEARCH, FETCH, "* OK [code]
  /// text", ... written with response.hpp's write(). Refused with
  /// invalid_argument: a continuation, a tagged response, BYE or PREAUTH
  /// (bye() says goodbye), a value write() refuses. Refused with
  /// invalid_state: outside a command or IDLE, while a body streams, and
  /// an EXPUNGE or VANISHED while a FETCH, STORE, SEARCH, SORT or THREAD
  /// without UID is answered (RFC 9051 7.5.1).
  ///
  /// Streaming: a FETCH response whose body items (BODY[...], BINARY[...],
  /// RFC822...) have content {streamed = true, size = n} is written up to
  /// the first such literal's "{n}\r\n"; the application then gives
  /// exactly n bytes with send_body() (any pieces), the machine writes
  /// on to the next streamed literal, and so on to the response's end.
  /// Meanwhile next() says write_output above max_pending_output and
  /// paused otherwise. (Only during a `command` event.)
  errc untagged(const response& r);
  /// The next bytes of the body being streamed: at most body_remaining()
  /// (more is invalid_argument); invalid_state when no body streams.
  errc send_body(std::string_view chunk);
  /// Bytes of the streamed body still owed (0 when none streams).
  std::uint64_t body_remaining() const noexcept { return stream_.active ? stream_.remaining : 0; }

  /// An update from outside the command in progress (another session
  /// changed the mailbox): EXISTS, RECENT, EXPUNGE, VANISHED, FETCH (flags),
  /// FLAGS, "* OK [code]"..., only in the SELECTED state (else
  /// invalid_state). Written now when allowed, else held in order (see the
  /// file comment: an EXPUNGE/VANISHED waits for a command that allows it,
  /// and so does every update after it; anything waits while a body
  /// streams). Held updates are dropped when the mailbox is closed.
  /// Refused as untagged() refuses, and streamed bodies (invalid_argument).
  ///
  /// Held updates are bounded (options.max_held_updates bytes). An EXISTS
  /// right after a held EXISTS replaces it (the count is absolute: the
  /// client needs only the newest, as Dovecot sends only the mailbox's
  /// current view). An update that would take the held bytes past the
  /// bound is refused with errc::message_too_big and nothing is queued:
  /// the application keeps it (its store knows the mailbox) and notifies
  /// again once held_updates() is 0 (at the next command that allows
  /// them), or ends the session with bye().
  errc notify(const response& r);
  /// notify() of "* n EXISTS".
  errc notify_exists(std::uint32_t n);
  /// notify() of "* n EXPUNGE" (n not 0, else invalid_argument).
  errc notify_expunge(std::uint32_t n);
  /// Bytes of updates held back by the EXPUNGE rule (at most
  /// options.max_held_updates).
  std::size_t held_updates() const noexcept { return held_.size(); }

  /// Ends the session: "* BYE text" (an idle timeout, a shutdown, the
  /// store failing) and closed. While a body streams or at the TLS switch
  /// nothing more can be written sensibly: the session is closed without
  /// a BYE. invalid_argument when the text cannot be sent.
  errc bye(std::string_view text);

  // -- logins ---------------------------------------------------------------

  /// Yes to `login` (the password is right) or to an `auth_check` for a
  /// password, token, EXTERNAL or ANONYMOUS: "tag OK [CAPABILITY ...]"
  /// (SCRAM's server-final first), then an `authenticated` event.
  errc accept_login();
  /// No to `login`, `auth_start` or `auth_check`: "tag NO [code] text"
  /// (give code_kind::authenticationfailed, or unavailable when the check
  /// itself failed). To login and auth_check it is a failed login, counted
  /// (max_auth_failures, then "* BYE" and close).
  errc reject_login(const resp_code& code, std::string_view text);
  /// The same with a code without arguments.
  errc reject_login(code_kind code, std::string_view text) { return reject_login(simple_code(code), text); }
  /// Answers `auth_start`: start the exchange with `nonce` (fresh random
  /// printable ASCII without ',' for SCRAM and CRAM-MD5) and, for
  /// SCRAM-*-PLUS, the channel binding. A nonce or binding the mechanism
  /// needs and did not get: errc::sasl_missing_nonce (or
  /// sasl_invalid_field, sasl_channel_binding_mismatch), nothing changes.
  errc auth_begin(std::string_view nonce, sasl::channel_binding binding = {});
  /// Answers `auth_check` for CRAM-MD5 with the user's shared secret (the
  /// SASL engine compares in constant time).
  errc auth_provide_secret(std::string_view secret);
  /// Answers `auth_check` for SCRAM with the user's stored keys (for an
  /// unknown user, decoy keys).
  errc auth_provide_scram(const sasl::scram_keys& keys);
  /// Answers `auth_check` for a bearer token with its JSON error (RFC 7628).
  errc auth_reject_token(std::string_view error_json);

  // -- APPEND literals ----------------------------------------------------

  /// Answers `literal`: the message will be read, as append_chunk events
  /// then append_end ("+ Ready" is sent first for a synchronising one).
  errc accept_literal();
  /// Answers `literal`: "tag NO [code] text" ([TRYCREATE], [TOOBIG],
  /// [OVERQUOTA], [LIMIT]...); the APPEND is dropped (append_abort follows
  /// when earlier messages of it were streamed) and a body that follows
  /// anyway ("{n+}") is drained, never parsed.
  errc refuse_literal(const resp_code& code, std::string_view text);
  /// The same with a code without arguments (code_kind::trycreate, toobig).
  errc refuse_literal(code_kind code, std::string_view text) { return refuse_literal(simple_code(code), text); }

  // -- TLS ------------------------------------------------------------------

  /// After the starttls event (and until tls_established()): sets `out` to
  /// the bytes that arrived after the STARTTLS command (the start of the
  /// TLS handshake, or an injection attempt), never parsed: give them to
  /// the TLS engine. Elsewhere errc::invalid_state, taking nothing.
  errc take_unconsumed(std::string_view& out) noexcept;
  /// The TLS handshake finished: the session goes on NOT AUTHENTICATED
  /// with nothing kept from before (no greeting is sent, RFC 9051 6.2.1).
  errc tls_established();

  // -- state ------------------------------------------------------------------

  /// NOT AUTHENTICATED, AUTHENTICATED, SELECTED or LOGOUT.
  session_state state() const noexcept { return state_; }
  /// SELECTED through EXAMINE, or with a [READ-ONLY] OK.
  bool read_only() const noexcept { return state_ == session_state::selected && read_only_; }
  /// TLS is up (tls_active, or after tls_established()).
  bool tls() const noexcept { return tls_; }
  /// The logged-in user (empty before, and under PREAUTH).
  std::string_view user() const noexcept { return user_; }
  /// What the client enabled.
  const enabled_extensions& enabled() const noexcept { return enabled_; }
  /// The command being answered (between its `command` event and
  /// complete()), or null.
  const command* in_progress() const noexcept { return awaiting_ == awaiting::command ? &cmd_ : nullptr; }
  /// Failed logins so far (max_auth_failures ends the session).
  std::size_t auth_failures() const noexcept { return auth_failures_.count(); }
  /// Protocol errors so far (max_errors ends the session).
  std::size_t errors() const noexcept { return errors_.count(); }
  /// Bytes of storage the session holds (input, output, the command's
  /// scratch, held updates, a streaming response): bounded by the options
  /// and the responses the application queues.
  std::size_t memory_used() const noexcept;

 private:
  enum class phase : std::uint8_t { commands, auth, idle, tls_switch, closed };
  enum class awaiting : std::uint8_t { nothing, command, login, auth_start, auth_check, literal };
  // Where the APPEND scan stopped: what the literal announced there is.
  enum class scan_at : std::uint8_t { none, mailbox, message, utf8_message, catenate_text, catenate_url, other };

  // A response with streamed literals: written up to each, the bodies
  // from send_body() in between.
  struct body_stream {
    std::string bytes;
    std::vector<wire_break> breaks;
    std::size_t next = 0;  // the next break to reach
    std::size_t pos = 0;   // bytes of `bytes` written
    std::uint64_t remaining = 0;
    bool active = false;
  };

  static resp_code simple_code(code_kind k) {
    resp_code c;
    c.kind = k;
    return c;
  }
  server_event event(server_event_type t) const;
  server_event error_event(errc e, std::uint64_t at, std::string_view tag = {}) const;
  server_event starved();
  server_event at_end();
  server_event take_queued();

  peer_support peer() const noexcept;
  bool offers_rev2(bool flag) const noexcept { return flag || options_.extensions.imap4rev2; }
  bool cleartext_allowed() const noexcept { return tls_ || options_.allow_plaintext_auth; }
  bool login_blocked() const noexcept { return options_.require_tls && !tls_; }
  sasl::mechanism_set offered_mechanisms() const;
  const std::vector<std::string_view>& capability_list();
  bool expunge_allowed() const noexcept;

  // Output. status_bytes() serialises into wire_ (validating) and
  // commit_tagged() appends it; nothing else writes wire_ in between.
  errc status_bytes(std::string_view tag, status_kind k, const resp_code& c, std::string_view text);
  void commit_tagged();
  void tagged(std::string_view tag, status_kind k, const resp_code& c, std::string_view text);
  void tagged(std::string_view tag, status_kind k, std::string_view text) { tagged(tag, k, resp_code{}, text); }
  void untagged_status(status_kind k, const resp_code& c, std::string_view text);
  void flush_held();
  void drop_held() noexcept;
  void advance_stream();
  void close();

  // Errors and strikes.
  bool strike();
  server_event refuse(errc e, std::string_view tag, std::string_view text, const resp_code& c = resp_code{});
  void count_auth_failure();
  void login_failed();
  void auth_error(errc e, std::string_view text);
  void logged_in(login_method m, std::string user);
  void drop_append();

  // Input.
  std::optional<server_event> on_frame_error(const frame_event& fe);
  std::optional<server_event> on_literal(const frame_event& fe);
  std::optional<server_event> on_message(const frame_event& fe);
  std::optional<server_event> on_idle_line(std::string_view text);
  std::optional<server_event> dispatch();
  const char* refusal(errc& why) const;
  // The command's arguments: parse_command sets the alternative its type
  // names, so the pointer is never null.
  template <class T>
  const T& args() const noexcept {
    return *std::get_if<T>(&cmd_.args);
  }
  std::optional<server_event> authenticate();
  std::optional<server_event> enable();
  bool append_message_literal(const frame_event& fe);
  bool scan_messages(detail::scanner& sc, std::size_t ann, std::size_t index);
  bool scan_parts(detail::scanner& sc, std::size_t ann, std::size_t index, bool first);
  bool found_message(detail::scanner& sc, std::size_t ann, scan_at what, std::size_t index);

  errc sasl_step(const sasl::exchange_step& st);
  void end_auth();

  server_options options_;
  frame_options frame_options_;
  parse_options parse_options_;
  frame_reader frame_;
  output_queue out_;
  wire wire_;              // scratch for one response being serialised
  command cmd_;            // the command in progress (views into frame_'s message and scratch_)
  std::string scratch_;    // parse_command's scratch
  std::string tag_;        // the tag of LOGIN, AUTHENTICATE or IDLE (the frame reader moves on)
  std::string user_;
  std::string held_;       // updates held back (RFC 9051 7.5.1), serialised
  std::size_t held_exists_ = std::string::npos;  // offset of held_'s last line when it is an EXISTS
  bool held_expunge_ = false;  // held_ has an EXPUNGE or VANISHED
  std::string caps_;       // the capability names, space-separated; caps_list_ points into it
  std::vector<std::string_view> caps_list_;
  // The APPEND scan: where it stopped in the current message (so each
  // literal event resumes there, never rescanning), and what it found.
  scan_at scan_ = scan_at::none;
  std::size_t scan_pos_ = 0;
  std::size_t scan_index_ = 0;
  std::string mailbox_;     // the APPEND's mailbox (the message text moves as it grows)
  std::string flag_names_;  // literal_.flags' names
  std::string literal_scratch_;
  append_literal literal_;
  body_stream stream_;
  mailwire::detail::fifo<std::uint64_t> answered_;  // out_ offsets at which tagged answers end, not yet written
  std::unique_ptr<sasl::server_exchange> auth_;     // only from AUTHENTICATE to its end
  strike_counter errors_;
  strike_counter auth_failures_;
  mailwire::detail::event_slot<server_event> queued_;
  mailwire::detail::input_end input_;
  std::uint64_t fed_ = 0;   // bytes fed in all
  std::uint64_t base_ = 0;  // bytes fed before the current frame reader (TLS restarts it)
  std::uint64_t at_ = 0;    // stream offset of the message being handled
  session_state state_ = session_state::not_authenticated;
  phase phase_ = phase::commands;
  awaiting awaiting_ = awaiting::nothing;
  enabled_extensions enabled_;
  login_method method_ = login_method::login;
  sasl::mechanism auth_mechanism_ = sasl::mechanism::plain;
  bool tls_ = false;
  bool read_only_ = false;
  bool appending_ = false;      // an APPEND message was accepted and streams (or streamed)
  bool abort_pending_ = false;  // append_abort is the next event
};

// -- server: definitions ------------------------------------------------------

namespace detail {

// The frame reader's options for a server that offers `x`.
inline frame_options server_frame_options(const server_options& o) noexcept {
  frame_options f = o.frame;
  f.side = frame_side::server;
  f.literal_plus = o.extensions.literal_plus;
  f.literal_minus = !o.extensions.literal_plus && o.extensions.literal_minus;
  f.binary = o.extensions.binary;
  return f;
}

// Commands that answer with message sequence numbers: no EXPUNGE while
// they run without UID (RFC 9051 7.5.1; SORT and THREAD answer the same
// way, RFC 5256).
inline bool numbers_messages(const command& c) noexcept {
  if (c.uid) return false;
  switch (c.type) {
    case command_type::fetch:
    case command_type::store:
    case command_type::search:
    case command_type::sort:
    case command_type::thread: return true;
    default: return false;
  }
}

inline bool is_expunge(const response& r) noexcept {
  return r.type == response_type::expunge || r.type == response_type::vanished;
}

// A MODSEQ search key anywhere in k (recursion bounded by the parser's
// nesting limit).
inline bool has_modseq(const search_key& k) noexcept {
  if (k.type == search_key_type::modseq) return true;
  for (const search_key& c : k.children) {
    if (has_modseq(c)) return true;
  }
  return false;
}

}  // namespace detail

inline server::server(server_options o)
    : options_(std::move(o)),
      frame_options_(detail::server_frame_options(options_)),
      frame_(frame_options_),
      errors_(options_.max_errors),
      auth_failures_(options_.max_auth_failures) {
  server_extensions& x = options_.extensions;
  if (!x.imap4rev1 && !x.imap4rev2) x.imap4rev1 = true;
  parse_options_.max_depth = options_.max_depth;
  tls_ = options_.tls_active;
  status_kind greeting = status_kind::ok;
  if (options_.preauth) {
    state_ = session_state::authenticated;
    method_ = login_method::preauth;
    greeting = status_kind::preauth;
  }
  resp_code caps;
  caps.kind = code_kind::capability;
  caps.list = capability_list();
  if (status_bytes({}, greeting, caps, options_.greeting) != errc::ok) {
    status_bytes({}, greeting, caps, "IMAP server ready");
  }
  out_.append(wire_.bytes);
}

inline std::size_t server::feed(std::string_view bytes) {
  if (phase_ == phase::tls_switch || phase_ == phase::closed || input_.ended()) return 0;
  const std::size_t n = frame_.feed(bytes);
  fed_ += n;
  return n;
}

inline void server::finish() noexcept {
  input_.finish();
  frame_.finish();
}

inline server_event server::next() {
  for (;;) {
    if (abort_pending_) {
      abort_pending_ = false;
      return event(server_event_type::append_abort);
    }
    if (!queued_.empty()) return take_queued();
    if (phase_ == phase::closed) return event(server_event_type::closed);
    while (!answered_.empty() && answered_.front() <= out_.written()) answered_.pop_front();
    if (out_.size() >= options_.max_pending_output) return event(server_event_type::write_output);
    if (awaiting_ != awaiting::nothing) return event(server_event_type::paused);
    if (phase_ == phase::tls_switch) return starved();
    // A client that pipelines and never reads: read no more commands
    // until the answers are written (answered_ holds only unwritten ones,
    // so output is pending).
    if (answered_.size() >= (options_.max_pipelined == 0 ? 1 : options_.max_pipelined)) {
      return event(server_event_type::write_output);
    }
    const frame_event fe = frame_.next();
    std::optional<server_event> e;
    switch (fe.type) {
      case frame_event_type::need_more: return starved();
      case frame_event_type::end: return at_end();
      case frame_event_type::error: e = on_frame_error(fe); break;
      case frame_event_type::literal: e = on_literal(fe); break;
      case frame_event_type::literal_chunk: {
        server_event c = event(server_event_type::append_chunk);
        c.data = fe.text;
        c.offset = base_ + fe.offset;
        return c;
      }
      case frame_event_type::literal_end: {
        server_event c = event(server_event_type::append_end);
        c.offset = base_ + fe.offset;
        return c;
      }
      case frame_event_type::message: e = on_message(fe); break;
    }
    if (e) return *e;
  }
}

inline errc server::complete(std::string_view tag, status_kind kind, const resp_code& code, std::string_view text) {
  if (awaiting_ != awaiting::command || stream_.active) return errc::invalid_state;
  if (tag != cmd_.tag) return errc::invalid_argument;
  if (kind != status_kind::ok && kind != status_kind::no && kind != status_kind::bad) return errc::invalid_argument;
  if (status_bytes(tag, kind, code, text) != errc::ok) return errc::invalid_argument;
  flush_held();  // while the command is still in progress
  awaiting_ = awaiting::nothing;
  commit_tagged();
  const command_type t = cmd_.type;
  if (kind == status_kind::ok) {
    if (t == command_type::select || t == command_type::examine) {
      state_ = session_state::selected;
      read_only_ = t == command_type::examine || code.kind == code_kind::read_only;
    } else if (t == command_type::close || t == command_type::unselect) {
      state_ = session_state::authenticated;
      drop_held();
    }
    errors_.reset();
  } else if (kind == status_kind::bad && strike()) {
    queued_.put(server_event_type::error, errc::too_many_errors, at_);
  }
  return errc::ok;
}

inline errc server::untagged(const response& r) {
  const bool idling = phase_ == phase::idle;
  if ((awaiting_ != awaiting::command && !idling) || stream_.active) return errc::invalid_state;
  if (r.type == response_type::continuation) return errc::invalid_argument;
  if (r.type == response_type::status &&
      (!r.tag.empty() || r.status == status_kind::bye || r.status == status_kind::preauth)) {
    return errc::invalid_argument;
  }
  if (detail::is_expunge(r) && !idling && detail::numbers_messages(cmd_)) return errc::invalid_state;
  wire_.clear();
  if (write(wire_, r, peer()) != errc::ok) return errc::invalid_argument;
  if (wire_.breaks.empty()) {
    out_.append(wire_.bytes);
    return errc::ok;
  }
  if (idling) return errc::invalid_state;
  stream_.bytes.swap(wire_.bytes);
  stream_.breaks.swap(wire_.breaks);
  stream_.next = 0;
  stream_.pos = 0;
  stream_.remaining = 0;
  stream_.active = true;
  advance_stream();
  return errc::ok;
}

inline errc server::send_body(std::string_view chunk) {
  if (!stream_.active) return errc::invalid_state;
  if (chunk.size() > stream_.remaining) return errc::invalid_argument;
  out_.append(chunk);
  stream_.remaining -= chunk.size();
  if (stream_.remaining == 0) advance_stream();
  return errc::ok;
}

inline errc server::notify(const response& r) {
  if (phase_ == phase::closed || phase_ == phase::tls_switch || state_ != session_state::selected) {
    return errc::invalid_state;
  }
  if (r.type == response_type::continuation) return errc::invalid_argument;
  if (r.type == response_type::status &&
      (!r.tag.empty() || r.status == status_kind::bye || r.status == status_kind::preauth)) {
    return errc::invalid_argument;
  }
  wire_.clear();
  if (write(wire_, r, peer()) != errc::ok || !wire_.breaks.empty()) return errc::invalid_argument;
  const bool expunge = detail::is_expunge(r);
  if (held_.empty() && !stream_.active && (!expunge || expunge_allowed())) {
    out_.append(wire_.bytes);
    return errc::ok;
  }
  // Held: an EXISTS supersedes an EXISTS held just before it (nothing in
  // between refers to the messages it announced).
  const bool exists = r.type == response_type::exists;
  const std::size_t keep = exists && held_exists_ != std::string::npos ? held_exists_ : held_.size();
  if (wire_.bytes.size() > options_.max_held_updates || keep > options_.max_held_updates - wire_.bytes.size()) {
    return errc::message_too_big;
  }
  held_.resize(keep);
  held_exists_ = exists ? keep : std::string::npos;
  held_ += wire_.bytes;
  held_expunge_ = held_expunge_ || expunge;
  return errc::ok;
}

inline errc server::notify_exists(std::uint32_t n) {
  response r;
  r.type = response_type::exists;
  r.number = n;
  return notify(r);
}

inline errc server::notify_expunge(std::uint32_t n) {
  if (n == 0) return errc::invalid_argument;
  response r;
  r.type = response_type::expunge;
  r.number = n;
  return notify(r);
}

inline errc server::bye(std::string_view text) {
  if (phase_ == phase::closed) return errc::invalid_state;
  if (stream_.active || phase_ == phase::tls_switch) {
    close();
    return errc::ok;
  }
  if (status_bytes({}, status_kind::bye, resp_code{}, text) != errc::ok) return errc::invalid_argument;
  out_.append(wire_.bytes);
  close();
  return errc::ok;
}

inline errc server::accept_login() {
  switch (awaiting_) {
    case awaiting::login: {
      awaiting_ = awaiting::nothing;
      const auto& a = args<login_args>();
      logged_in(login_method::login, std::string(a.user));
      return errc::ok;
    }
    case awaiting::auth_check: return sasl_step(auth_->accept());
    default: return errc::invalid_state;
  }
}

inline errc server::reject_login(const resp_code& code, std::string_view text) {
  if (awaiting_ != awaiting::login && awaiting_ != awaiting::auth_start && awaiting_ != awaiting::auth_check) {
    return errc::invalid_state;
  }
  if (status_bytes(tag_, status_kind::no, code, text) != errc::ok) return errc::invalid_argument;
  const awaiting was = awaiting_;
  awaiting_ = awaiting::nothing;
  commit_tagged();
  end_auth();
  if (was != awaiting::auth_start) count_auth_failure();
  return errc::ok;
}

inline errc server::auth_begin(std::string_view nonce, sasl::channel_binding binding) {
  if (awaiting_ != awaiting::auth_start) return errc::invalid_state;
  const errc e = auth_->begin(nonce, binding, options_.hostname, offered_mechanisms(), options_.max_auth_response);
  if (e != errc::ok) return e;
  awaiting_ = awaiting::nothing;
  return sasl_step(auth_->start());
}

inline errc server::auth_provide_secret(std::string_view secret) {
  if (awaiting_ != awaiting::auth_check) return errc::invalid_state;
  return sasl_step(auth_->provide_secret(secret));
}

inline errc server::auth_provide_scram(const sasl::scram_keys& keys) {
  if (awaiting_ != awaiting::auth_check) return errc::invalid_state;
  return sasl_step(auth_->provide_scram(keys));
}

inline errc server::auth_reject_token(std::string_view error_json) {
  if (awaiting_ != awaiting::auth_check) return errc::invalid_state;
  return sasl_step(auth_->reject_token(error_json));
}

inline errc server::accept_literal() {
  if (awaiting_ != awaiting::literal) return errc::invalid_state;
  awaiting_ = awaiting::nothing;
  frame_.stream_literal();
  appending_ = true;
  if (literal_.synchronizing) out_.append("+ Ready for literal data\r\n");
  return errc::ok;
}

inline errc server::refuse_literal(const resp_code& code, std::string_view text) {
  if (awaiting_ != awaiting::literal) return errc::invalid_state;
  // Serialised before the frame reader drops the message the tag is in.
  if (status_bytes(literal_.tag, status_kind::no, code, text) != errc::ok) return errc::invalid_argument;
  awaiting_ = awaiting::nothing;
  commit_tagged();
  frame_.refuse_literal();
  scan_ = scan_at::none;
  drop_append();
  return errc::ok;
}

inline errc server::take_unconsumed(std::string_view& out) noexcept {
  out = {};
  if (phase_ != phase::tls_switch) return errc::invalid_state;
  return frame_.take_unread(out);
}

inline errc server::tls_established() {
  if (phase_ != phase::tls_switch) return errc::invalid_state;
  tls_ = true;
  // A new reader: nothing read before the switch can reach the grammar.
  frame_ = frame_reader(frame_options_);
  if (input_.ended()) frame_.finish();
  base_ = fed_;
  phase_ = phase::commands;
  state_ = session_state::not_authenticated;
  enabled_ = enabled_extensions{};
  user_.clear();
  return errc::ok;
}

inline std::size_t server::memory_used() const noexcept {
  return frame_.memory_used() + out_.pending().size() + wire_.bytes.capacity() + scratch_.capacity() +
         held_.capacity() + stream_.bytes.capacity() + caps_.capacity() + mailbox_.capacity() +
         flag_names_.capacity() + literal_scratch_.capacity();
}

// -- private: events ----------------------------------------------------------

inline server_event server::event(server_event_type t) const {
  server_event e;
  e.type = t;
  return e;
}

inline server_event server::error_event(errc e, std::uint64_t at, std::string_view tag) const {
  server_event ev = event(server_event_type::error);
  ev.error = e;
  ev.offset = at;
  ev.tag = tag;
  return ev;
}

// Nothing more without I/O: the two answers, or the end of the input.
inline server_event server::starved() {
  if (!input_.ended()) return mailwire::detail::input_end::wait<server_event>(out_);
  return at_end();
}

// The input is used up after finish(). The frame reader reports a message
// left unfinished itself (an error event, errc::truncated); an
// AUTHENTICATE exchange is the machine's to report. An IDLE left without
// DONE is how clients usually leave: no error.
inline server_event server::at_end() {
  const bool unfinished = phase_ == phase::auth;
  close();
  if (!unfinished) return event(server_event_type::closed);
  return error_event(errc::truncated, fed_);
}

inline server_event server::take_queued() {
  server_event e = queued_.take();
  switch (e.type) {
    case server_event_type::auth_check:
      e.auth = &auth_->request();
      e.mechanism = auth_mechanism_;
      e.tag = tag_;
      break;
    case server_event_type::authenticated:
      e.user = user_;
      e.method = method_;
      e.mechanism = auth_mechanism_;
      break;
    default: break;
  }
  return e;
}

// -- private: output ----------------------------------------------------------

inline peer_support server::peer() const noexcept {
  peer_support p;
  p.to_server = false;
  p.utf8 = enabled_.utf8_accept;
  p.binary = options_.extensions.binary;
  return p;
}

inline sasl::mechanism_set server::offered_mechanisms() const {
  if (login_blocked() || state_ != session_state::not_authenticated) return {};
  sasl::mechanism_set m = options_.auth_mechanisms;
  if (!cleartext_allowed()) {
    m.erase(sasl::mechanism::plain);
    m.erase(sasl::mechanism::login);
    m.erase(sasl::mechanism::xoauth2);
    m.erase(sasl::mechanism::oauthbearer);
  }
  return m;
}

// The capabilities for the current state, in a fixed order: versions,
// what only applies before login, then the extensions.
inline const std::vector<std::string_view>& server::capability_list() {
  const server_extensions& x = options_.extensions;
  caps_.clear();
  const auto add = [&](std::string_view name) {
    caps_.append(name.data(), name.size());
    caps_ += ' ';
  };
  if (x.imap4rev1) add("IMAP4rev1");
  if (x.imap4rev2) add("IMAP4rev2");
  if (state_ == session_state::not_authenticated) {
    if (options_.offer_starttls && !tls_) add("STARTTLS");
    if (login_blocked() || !cleartext_allowed()) add("LOGINDISABLED");
    const sasl::mechanism_set m = offered_mechanisms();
    for (std::size_t i = 0; i < sasl::mechanism_count; ++i) {
      const auto k = static_cast<sasl::mechanism>(i);
      if (!m.contains(k)) continue;
      caps_ += "AUTH=";
      add(sasl::to_string(k));
    }
    if (x.sasl_ir && !m.empty()) add("SASL-IR");
  }
  if (x.literal_plus) {
    add("LITERAL+");
  } else if (x.literal_minus) {
    add("LITERAL-");
  }
  if (x.enable) add("ENABLE");
  if (x.idle) add("IDLE");
  if (x.namespace_) add("NAMESPACE");
  if (x.id) add("ID");
  if (x.unselect) add("UNSELECT");
  if (x.uidplus) add("UIDPLUS");
  if (x.move) add("MOVE");
  if (x.children) add("CHILDREN");
  if (x.list_extended) add("LIST-EXTENDED");
  if (x.list_status) add("LIST-STATUS");
  if (x.special_use) add("SPECIAL-USE");
  if (x.binary) add("BINARY");
  if (x.esearch) add("ESEARCH");
  if (x.searchres) add("SEARCHRES");
  if (x.sort) add("SORT");
  for (const std::string& t : x.thread) {
    if (!is_atom(t)) continue;
    caps_ += "THREAD=";
    add(t);
  }
  if (x.condstore) add("CONDSTORE");
  if (x.qresync) add("QRESYNC");
  if (x.utf8_accept) add("UTF8=ACCEPT");
  if (x.quota) add("QUOTA");
  if (x.metadata) add("METADATA");
  if (x.multiappend) add("MULTIAPPEND");
  if (x.catenate) add("CATENATE");
  if (options_.max_append_size) {
    caps_ += "APPENDLIMIT=";
    add(std::to_string(*options_.max_append_size));
  }
  for (const std::string& o : x.other) {
    if (is_atom(o)) add(o);
  }
  // Views only once the text is complete: it does not move after this.
  caps_list_.clear();
  std::string_view all(caps_);
  while (!all.empty()) {
    const std::size_t sp = all.find(' ');
    caps_list_.push_back(all.substr(0, sp));
    all.remove_prefix(sp + 1);
  }
  return caps_list_;
}

// RFC 9051 7.5.1: an EXPUNGE only while a command is in progress (IDLE
// included) that does not answer with sequence numbers.
inline bool server::expunge_allowed() const noexcept {
  if (phase_ == phase::idle) return true;
  return awaiting_ == awaiting::command && !detail::numbers_messages(cmd_);
}

inline errc server::status_bytes(std::string_view tag, status_kind k, const resp_code& c, std::string_view text) {
  response r;
  r.tag = tag;
  r.status = k;
  r.code = c;
  r.text = text;
  wire_.clear();
  return write(wire_, r, peer());
}

// Appends the tagged answer in wire_ and records where it ends, for the
// pipelining limit.
inline void server::commit_tagged() {
  out_.append(wire_.bytes);
  answered_.push_back(out_.written() + out_.size());
}

// The machine's own answers: their texts and codes are fixed and valid;
// the tag was read by the grammar (is_tag) or is empty for "*".
inline void server::tagged(std::string_view tag, status_kind k, const resp_code& c, std::string_view text) {
  if (status_bytes(tag, k, c, text) != errc::ok) status_bytes({}, k, c, text);
  if (tag.empty() || !is_tag(tag)) {
    out_.append(wire_.bytes);
  } else {
    commit_tagged();
  }
}

inline void server::untagged_status(status_kind k, const resp_code& c, std::string_view text) {
  if (status_bytes({}, k, c, text) == errc::ok) out_.append(wire_.bytes);
}

inline void server::flush_held() {
  if (held_.empty() || stream_.active || (held_expunge_ && !expunge_allowed())) return;
  out_.append(held_);
  drop_held();
}

inline void server::drop_held() noexcept {
  // A burst held while a long FETCH ran is not kept for the rest of the
  // session; a few lines' worth is, so the usual case allocates nothing.
  if (held_.capacity() > 512) {
    std::string().swap(held_);
  } else {
    held_.clear();
  }
  held_exists_ = std::string::npos;
  held_expunge_ = false;
}

// Writes the streaming response on to its next streamed literal's body, or
// to its end.
inline void server::advance_stream() {
  while (stream_.next < stream_.breaks.size()) {
    const wire_break& b = stream_.breaks[stream_.next++];
    out_.append(std::string_view(stream_.bytes).substr(stream_.pos, b.offset - stream_.pos));
    stream_.pos = b.offset;
    if (b.body && b.body_size > 0) {
      stream_.remaining = b.body_size;
      return;
    }
  }
  out_.append(std::string_view(stream_.bytes).substr(stream_.pos));
  stream_.active = false;
  stream_.remaining = 0;
  stream_.bytes.clear();
  stream_.breaks.clear();
  flush_held();
}

inline void server::close() {
  phase_ = phase::closed;
  state_ = session_state::logout;
  awaiting_ = awaiting::nothing;
  auth_.reset();
  drop_held();
  stream_.active = false;
  if (appending_) drop_append();
}

// -- private: errors ------------------------------------------------------------

// Counts a bad command; at the limit "* BYE" and close (the caller queues
// or returns the error event).
inline bool server::strike() {
  if (!errors_.add()) return false;
  untagged_status(status_kind::bye, resp_code{}, "Too many errors, closing connection");
  close();
  return true;
}

// A command or line the machine refuses with BAD: answered, counted, and
// an error event (too_many_errors follows at the limit).
inline server_event server::refuse(errc e, std::string_view tag, std::string_view text, const resp_code& c) {
  const server_event ev = error_event(e, at_, tag);
  tagged(tag, status_kind::bad, c, text);
  if (strike()) queued_.put(server_event_type::error, errc::too_many_errors, at_);
  return ev;
}

// After a failed login's NO: "* BYE" and close at the limit.
inline void server::count_auth_failure() {
  if (!auth_failures_.add()) return;
  untagged_status(status_kind::bye, resp_code{}, "Too many authentication failures");
  close();
  queued_.put(server_event_type::error, errc::too_many_auth_failures, at_);
}

// A login the machine refuses itself (a SASL failure): the application,
// which never saw the verdict, learns of it from an error event
// (errc::sasl_auth_failed), for its logs and bans.
inline void server::login_failed() {
  resp_code c;
  c.kind = code_kind::authenticationfailed;
  tagged(tag_, status_kind::no, c, "Authentication failed");
  count_auth_failure();
  if (queued_.empty()) queued_.put(server_event_type::error, errc::sasl_auth_failed, at_);
}

// An exchange the client broke (bad base64, data the mechanism cannot
// read): BAD, an error event, counted like any bad command.
inline void server::auth_error(errc e, std::string_view text) {
  tagged(tag_, status_kind::bad, text);
  queued_.put(server_event_type::error, strike() ? errc::too_many_errors : e, at_);
}

// The credentials were right: OK with the capabilities as they now are
// (RFC 9051 6.2.2 lets the client skip asking again).
inline void server::logged_in(login_method m, std::string user) {
  user_ = std::move(user);
  method_ = m;
  state_ = session_state::authenticated;
  resp_code c;
  c.kind = code_kind::capability;
  c.list = capability_list();
  tagged(tag_, status_kind::ok, c, "Logged in");
  errors_.reset();
  queued_.put(server_event_type::authenticated);
}

// An APPEND whose messages were streamed is dropped: the application is
// told (append_abort comes next).
inline void server::drop_append() {
  if (!appending_) return;
  appending_ = false;
  abort_pending_ = true;
}

// -- private: input -------------------------------------------------------------

inline std::optional<server_event> server::on_frame_error(const frame_event& fe) {
  const std::uint64_t at = base_ + fe.offset;
  at_ = at;
  scan_ = scan_at::none;
  drop_append();
  if (fe.error == errc::truncated) {
    close();
    return error_event(errc::truncated, at, fe.tag);
  }
  if (phase_ == phase::auth) {
    // The exchange is over; its tag gets the answer.
    end_auth();
    tagged(tag_, status_kind::bad, "Malformed authentication data");
    const server_event e = error_event(fe.error, at, tag_);
    if (strike()) queued_.put(server_event_type::error, errc::too_many_errors, at);
    return e;
  }
  if (phase_ == phase::idle) {
    phase_ = phase::commands;
    tagged(tag_, status_kind::bad, "Expected DONE");
    server_event e = event(server_event_type::idle_done);
    e.error = fe.error;
    e.offset = at;
    e.tag = tag_;
    if (strike()) queued_.put(server_event_type::error, errc::too_many_errors, at);
    return e;
  }
  const std::string_view tag = is_tag(fe.tag) ? fe.tag : std::string_view();
  resp_code c;
  std::string_view text = "Malformed command";
  switch (fe.error) {
    case errc::line_too_long:
      c.kind = code_kind::toobig;
      text = "Command line too long";
      break;
    case errc::imap_literal_too_big:
      c.kind = code_kind::toobig;
      text = "Literal too big";
      break;
    case errc::imap_bad_literal: text = "Invalid literal"; break;
    case errc::imap_too_many_literals:
      c.kind = code_kind::limit;
      text = "Too many literals";
      break;
    case errc::nul_byte: text = "NUL in command"; break;
    case errc::bare_cr:
    case errc::bare_lf: text = "Bare CR or LF in command"; break;
    default: break;
  }
  return refuse(fe.error, tag, text, c);
}

inline std::optional<server_event> server::on_literal(const frame_event& fe) {
  const std::uint64_t at = base_ + fe.offset;
  at_ = at;
  const std::string_view tag = is_tag(fe.tag) ? fe.tag : std::string_view();
  resp_code toobig;
  toobig.kind = code_kind::toobig;
  if (phase_ != phase::commands) {
    // No literal belongs in an AUTHENTICATE response or instead of DONE:
    // as a malformed line.
    frame_event bad = fe;
    bad.type = frame_event_type::error;
    bad.error = errc::imap_bad_literal;
    const std::optional<server_event> e = on_frame_error(bad);
    frame_.refuse_literal();
    return e;
  }
  if (append_message_literal(fe)) {
    literal_.size = fe.size;
    literal_.binary = is_binary(fe.kind);
    literal_.synchronizing = !is_non_synchronizing(fe.kind);
    const server_extensions& x = options_.extensions;
    std::string_view why;
    resp_code c;
    status_kind k = status_kind::bad;
    errc e = errc::extension_missing;
    if (literal_.index > 0 && !x.multiappend) {
      why = "MULTIAPPEND not supported";
    } else if (literal_.catenate && !x.catenate) {
      why = "CATENATE not supported";
    } else if (literal_.utf8 && !enabled_.utf8_accept) {
      why = "UTF8=ACCEPT not enabled";
    } else if (options_.max_append_size && literal_.size > *options_.max_append_size) {
      // RFC 7889 3: over APPENDLIMIT is NO [TOOBIG], not an error.
      why = "Message too big";
      c = toobig;
      k = status_kind::no;
      e = errc::message_too_big;
    }
    if (why.empty()) {
      awaiting_ = awaiting::literal;
      server_event ev = event(server_event_type::literal);
      ev.literal = &literal_;
      ev.tag = literal_.tag;
      ev.offset = at;
      return ev;
    }
    // Answered before the frame reader drops the message its tag is in.
    std::optional<server_event> ev;
    if (k == status_kind::bad) {
      ev = refuse(e, tag, why, c);
    } else {
      tagged(tag, k, c, why);
      ev = error_event(e, at, tag);
    }
    frame_.refuse_literal();
    scan_ = scan_at::none;
    drop_append();
    return ev;
  }
  // A string inside a command (a password, a mailbox name, a search
  // string): read into the message when small enough.
  if (frame_.read_literal() == errc::ok) {
    if (!is_non_synchronizing(fe.kind)) out_.append("+ Ready for literal data\r\n");
    return std::nullopt;
  }
  const server_event ev = refuse(errc::imap_literal_too_big, tag, "Literal too big", toobig);
  frame_.refuse_literal();
  scan_ = scan_at::none;
  drop_append();
  return ev;
}

inline std::optional<server_event> server::on_message(const frame_event& fe) {
  at_ = base_ + fe.offset;
  scan_ = scan_at::none;
  if (phase_ == phase::auth) {
    sasl_step(auth_->line(fe.text));
    return std::nullopt;
  }
  if (phase_ == phase::idle) return on_idle_line(fe.text);
  std::size_t err_at = 0;
  const errc pe = parse_command(fe.text, cmd_, scratch_, parse_options_, &frame_.streamed_literals(), &err_at);
  const bool streamed = appending_;
  appending_ = false;
  if (pe != errc::ok) {
    if (streamed) abort_pending_ = true;
    const std::string_view tag = is_tag(cmd_.tag) ? cmd_.tag : std::string_view();
    const std::uint64_t at = at_;
    // A position in the text is a stream offset only while the text holds
    // every byte of the message (no body was streamed out of it).
    if (frame_.streamed_literals().empty()) at_ = at + err_at;
    std::string_view text = "Syntax error";
    if (pe == errc::imap_too_deep) text = "Too deeply nested";
    if (pe == errc::nul_byte) text = "NUL in a string";
    const server_event e = refuse(pe, tag, text);
    at_ = at;
    return e;
  }
  std::optional<server_event> e = dispatch();
  // An APPEND whose messages were streamed and that is refused here: the
  // application discards them.
  if (streamed && (!e || e->type != server_event_type::command)) abort_pending_ = true;
  return e;
}

inline std::optional<server_event> server::on_idle_line(std::string_view text) {
  phase_ = phase::commands;
  server_event e = event(server_event_type::idle_done);
  e.tag = tag_;
  e.offset = at_;
  if (is_idle_done(text)) {
    tagged(tag_, status_kind::ok, "IDLE terminated");
    errors_.reset();
    return e;
  }
  tagged(tag_, status_kind::bad, "Expected DONE");
  e.error = errc::syntax_error;
  if (strike()) queued_.put(server_event_type::error, errc::too_many_errors, at_);
  return e;
}

// Why the command may not run now (BAD), or null: the state table of RFC
// 9051 3 and 6, and the extensions offered and enabled.
inline const char* server::refusal(errc& why) const {
  const command& c = cmd_;
  const server_extensions& x = options_.extensions;
  why = errc::extension_missing;
  switch (c.type) {
    case command_type::enable: if (!offers_rev2(x.enable)) return "ENABLE not supported"; break;
    case command_type::idle: if (!offers_rev2(x.idle)) return "IDLE not supported"; break;
    case command_type::namespace_: if (!offers_rev2(x.namespace_)) return "NAMESPACE not supported"; break;
    case command_type::unselect: if (!offers_rev2(x.unselect)) return "UNSELECT not supported"; break;
    case command_type::move: if (!offers_rev2(x.move)) return "MOVE not supported"; break;
    case command_type::expunge: if (c.uid && !offers_rev2(x.uidplus)) return "UID EXPUNGE not supported"; break;
    case command_type::id: if (!x.id) return "ID not supported"; break;
    case command_type::getquota:
    case command_type::getquotaroot:
    case command_type::setquota: if (!x.quota) return "QUOTA not supported"; break;
    case command_type::getmetadata:
    case command_type::setmetadata: if (!x.metadata) return "METADATA not supported"; break;
    case command_type::sort: if (!x.sort) return "SORT not supported"; break;
    case command_type::thread: if (x.thread.empty()) return "THREAD not supported"; break;
    case command_type::compress: return "COMPRESS not supported";
    case command_type::starttls:
      if (options_.preauth || tls_ || !options_.offer_starttls) return "STARTTLS not available";
      break;
    case command_type::select:
    case command_type::examine: {
      const auto& a = args<select_args>();
      if (a.condstore && !x.condstore) return "CONDSTORE not supported";
      if (a.qresync && !enabled_.qresync) return "QRESYNC not enabled";
      break;
    }
    case command_type::fetch: {
      const auto& a = args<fetch_args>();
      if (a.changedsince && !x.condstore) return "CONDSTORE not supported";
      if (a.vanished && (!enabled_.qresync || !c.uid || !a.changedsince)) return "VANISHED needs QRESYNC";
      break;
    }
    case command_type::store:
      if (args<store_args>().unchangedsince && !x.condstore) return "CONDSTORE not supported";
      break;
    case command_type::search:
      if (args<search_args>().has_return && !offers_rev2(x.esearch)) return "ESEARCH not supported";
      break;
    case command_type::append: {
      const auto& a = args<append_args>();
      if (a.messages.size() > 1 && !x.multiappend) return "MULTIAPPEND not supported";
      for (const append_message& m : a.messages) {
        if (m.catenate && !x.catenate) return "CATENATE not supported";
        if (m.utf8 && !enabled_.utf8_accept) return "UTF8=ACCEPT not enabled";
      }
      break;
    }
    default: break;
  }
  why = errc::invalid_state;
  switch (c.type) {
    case command_type::capability:
    case command_type::noop:
    case command_type::logout:
    case command_type::id:
    case command_type::other: return nullptr;
    case command_type::starttls:
    case command_type::authenticate:
    case command_type::login:
      return state_ == session_state::not_authenticated ? nullptr : "Already authenticated";
    default: break;
  }
  if (state_ == session_state::not_authenticated) return "Log in first";
  switch (c.type) {
    case command_type::enable:
      return state_ == session_state::authenticated ? nullptr : "ENABLE only before SELECT";
    case command_type::check:
    case command_type::close:
    case command_type::unselect:
    case command_type::expunge:
    case command_type::search:
    case command_type::fetch:
    case command_type::store:
    case command_type::copy:
    case command_type::move:
    case command_type::sort:
    case command_type::thread:
      return state_ == session_state::selected ? nullptr : "No mailbox selected";
    default: return nullptr;
  }
}

inline std::optional<server_event> server::dispatch() {
  const command& c = cmd_;
  errc why = errc::ok;
  if (const char* text = refusal(why)) return refuse(why, c.tag, text);
  switch (c.type) {
    case command_type::capability: {
      response r;
      r.type = response_type::capability;
      r.names = capability_list();
      wire_.clear();
      if (write(wire_, r, peer()) == errc::ok) out_.append(wire_.bytes);
      tagged(c.tag, status_kind::ok, "CAPABILITY completed");
      errors_.reset();
      return std::nullopt;
    }
    case command_type::noop:
      if (!options_.answer_noop && state_ == session_state::selected) break;
      // In progress now: held updates may go (RFC 9051 6.1.2).
      awaiting_ = awaiting::command;
      flush_held();
      awaiting_ = awaiting::nothing;
      tagged(c.tag, status_kind::ok, "NOOP completed");
      errors_.reset();
      return std::nullopt;
    case command_type::logout:
      untagged_status(status_kind::bye, resp_code{}, "Logging out");
      tagged(c.tag, status_kind::ok, "LOGOUT completed");
      close();
      return std::nullopt;
    case command_type::starttls:
      tagged(c.tag, status_kind::ok, "Begin TLS negotiation now");
      phase_ = phase::tls_switch;
      return event(server_event_type::starttls);
    case command_type::login: {
      if (login_blocked() || !cleartext_allowed()) {
        resp_code p;
        p.kind = code_kind::privacyrequired;
        const server_event e = error_event(errc::sasl_insecure, at_, c.tag);
        tagged(c.tag, status_kind::no, p, "Plaintext login not allowed without TLS");
        if (strike()) queued_.put(server_event_type::error, errc::too_many_errors, at_);
        return e;
      }
      tag_.assign(c.tag.data(), c.tag.size());
      awaiting_ = awaiting::login;
      const auto& a = args<login_args>();
      server_event e = event(server_event_type::login);
      e.tag = c.tag;
      e.user = a.user;
      e.password = a.password;
      return e;
    }
    case command_type::authenticate: return authenticate();
    case command_type::enable: return enable();
    case command_type::idle: {
      tag_.assign(c.tag.data(), c.tag.size());
      phase_ = phase::idle;
      out_.append("+ idling\r\n");
      flush_held();
      server_event e = event(server_event_type::idle);
      e.tag = tag_;
      e.offset = at_;
      return e;
    }
    default: break;
  }
  // The application's command. Selecting closes the mailbox selected
  // before at once, whatever the outcome (RFC 9051 6.3.2).
  const session_state was = state_;
  if (c.type == command_type::select || c.type == command_type::examine) {
    drop_held();
    if (state_ == session_state::selected) {
      if (options_.extensions.imap4rev2 || enabled_.qresync) {
        resp_code closed;
        closed.kind = code_kind::closed;
        untagged_status(status_kind::ok, closed, "Previous mailbox closed");
      }
      state_ = session_state::authenticated;
    }
    if (args<select_args>().condstore) enabled_.condstore = true;
  } else if (c.type == command_type::fetch) {
    const auto& a = args<fetch_args>();
    bool modseq = a.changedsince.has_value();
    for (const fetch_attribute& f : a.attributes) modseq = modseq || f.kind == fetch_attribute_kind::modseq;
    if (modseq) enabled_.condstore = true;
  } else if (c.type == command_type::store && args<store_args>().unchangedsince) {
    enabled_.condstore = true;
  } else if (options_.extensions.condstore && (c.type == command_type::search || c.type == command_type::status)) {
    // RFC 7162 3.1: also SEARCH MODSEQ and STATUS (HIGHESTMODSEQ).
    if (c.type == command_type::search) {
      for (const search_key& k : args<search_args>().keys) enabled_.condstore = enabled_.condstore || detail::has_modseq(k);
    } else {
      for (const std::string_view item : args<status_args>().items)
        enabled_.condstore = enabled_.condstore || ascii::iequals(item, "HIGHESTMODSEQ");
    }
  }
  awaiting_ = awaiting::command;
  flush_held();
  server_event e = event(server_event_type::command);
  e.cmd = &cmd_;
  e.tag = c.tag;
  e.state = was;
  e.offset = at_;
  return e;
}

inline std::optional<server_event> server::authenticate() {
  const auto& a = args<authenticate_args>();
  resp_code privacy;
  privacy.kind = code_kind::privacyrequired;
  const std::optional<sasl::mechanism> m = sasl::parse_mechanism(a.mechanism);
  const sasl::mechanism_set offered = offered_mechanisms();
  if (!m || !offered.contains(*m)) {
    // A mechanism configured but withheld before TLS says why.
    const bool withheld = m && options_.auth_mechanisms.contains(*m);
    const server_event e = error_event(withheld ? errc::sasl_insecure : errc::sasl_unknown_mechanism, at_, cmd_.tag);
    tagged(cmd_.tag, status_kind::no, withheld ? privacy : resp_code{},
           withheld ? "Authentication mechanism not allowed without TLS" : "Unsupported authentication mechanism");
    if (strike()) queued_.put(server_event_type::error, errc::too_many_errors, at_);
    return e;
  }
  if (a.initial_response && !options_.extensions.sasl_ir) {
    return refuse(errc::extension_missing, cmd_.tag, "SASL-IR not supported");
  }
  tag_.assign(cmd_.tag.data(), cmd_.tag.size());
  auth_mechanism_ = *m;
  auth_ = std::make_unique<sasl::server_exchange>(auth_mechanism_, a.initial_response);
  awaiting_ = awaiting::auth_start;
  server_event e = event(server_event_type::auth_start);
  e.tag = tag_;
  e.mechanism = auth_mechanism_;
  return e;
}

// ENABLE (RFC 5161): what is offered and can be enabled is; ENABLED lists
// what this command enabled.
inline std::optional<server_event> server::enable() {
  const server_extensions& x = options_.extensions;
  response r;
  r.type = response_type::enabled;
  const auto turn_on = [&](bool offered, bool& flag, std::string_view name) {
    if (!offered || flag) return;
    flag = true;
    r.names.push_back(name);
  };
  for (const std::string_view cap : args<enable_args>().capabilities) {
    if (ascii::iequals(cap, "CONDSTORE")) {
      turn_on(x.condstore, enabled_.condstore, "CONDSTORE");
    } else if (ascii::iequals(cap, "QRESYNC")) {
      turn_on(x.qresync, enabled_.qresync, "QRESYNC");
      if (enabled_.qresync) enabled_.condstore = true;  // RFC 7162 3.2.3
    } else if (ascii::iequals(cap, "UTF8=ACCEPT")) {
      turn_on(x.utf8_accept, enabled_.utf8_accept, "UTF8=ACCEPT");
    } else if (ascii::iequals(cap, "IMAP4rev2")) {
      turn_on(x.imap4rev2, enabled_.imap4rev2, "IMAP4rev2");
    }
  }
  wire_.clear();
  if (write(wire_, r, peer()) == errc::ok) out_.append(wire_.bytes);
  tagged(cmd_.tag, status_kind::ok, "ENABLE completed");
  errors_.reset();
  return std::nullopt;
}

// -- private: the APPEND scan ---------------------------------------------------
//
// A literal event's text is the message so far, ending with the
// announcement. The scan decides whether that literal is an APPEND
// message (or a CATENATE TEXT part), which the application answers, or a
// string, which the machine reads. It resumes where the previous literal
// of the same message left it (scan_, scan_pos_: the position of that
// literal's announcement and what it was), so a message with many literals
// is scanned once in all. Anything that does not read as an APPEND is a
// string: the grammar refuses it whole once the message is complete.

inline bool server::append_message_literal(const frame_event& fe) {
  if (state_ == session_state::not_authenticated || scan_ == scan_at::other) return false;
  const std::string_view text = fe.text;
  std::size_t ann = text.rfind('{');
  if (ann == std::string_view::npos) return false;
  if (ann > 0 && text[ann - 1] == '~') --ann;
  detail::scanner sc(text, literal_scratch_, parse_options_, &frame_.streamed_literals());
  const scan_at was = scan_;
  scan_ = scan_at::other;  // unless a reading below says otherwise
  if (was == scan_at::none) {
    std::string_view tag;
    std::string_view word;
    if (!sc.tag(tag) || !sc.sp() || !sc.atom(word) || !ascii::iequals(word, "APPEND") || !sc.sp()) return false;
    if (sc.pos() == ann) {
      scan_ = scan_at::mailbox;
      scan_pos_ = ann;
      return false;
    }
  } else {
    sc.seek(scan_pos_);
  }
  literal_body body;
  std::string_view s;
  switch (was) {
    case scan_at::none:
    case scan_at::mailbox:
      if (!sc.astring(s)) return false;
      mailbox_.assign(s.data(), s.size());
      return scan_messages(sc, ann, 0);
    case scan_at::message:
      if (!sc.literal(body, true)) return false;
      return scan_messages(sc, ann, scan_index_ + 1);
    case scan_at::utf8_message:
      if (!sc.literal(body, true) || !sc.close()) return false;
      return scan_messages(sc, ann, scan_index_ + 1);
    case scan_at::catenate_text:
      if (!sc.literal(body, true)) return false;
      return scan_parts(sc, ann, scan_index_, false);
    case scan_at::catenate_url:
      if (!sc.astring(s)) return false;
      return scan_parts(sc, ann, scan_index_, false);
    case scan_at::other: break;
  }
  return false;
}

// From the SP before a message: [flags SP] [date-time SP] then the
// message's literal, UTF8 (literal8) or CATENATE (parts).
inline bool server::scan_messages(detail::scanner& sc, std::size_t ann, std::size_t index) {
  for (;; ++index) {
    if (!sc.sp()) return false;
    literal_.flags.clear();
    literal_.has_flags = false;
    literal_.internal_date.reset();
    if (sc.peek() == '(') {
      // The names are copied: the message text moves as it grows.
      std::vector<flag> flags;
      if (!read_flag_list(sc, flags) || !sc.sp()) return false;
      flag_names_.clear();
      for (const flag& f : flags) flag_names_.append(f.name.data(), f.name.size());
      std::size_t at = 0;
      for (flag f : flags) {
        f.name = std::string_view(flag_names_).substr(at, f.name.size());
        at += f.name.size();
        literal_.flags.push_back(f);
      }
      literal_.has_flags = true;
    }
    if (sc.peek() == '"') {
      date_time d;
      if (!read_date_time(sc, d) || !sc.sp()) return false;
      literal_.internal_date = d;
    }
    literal_.catenate = false;
    literal_.utf8 = false;
    literal_body body;
    if (sc.keyword("CATENATE")) {
      literal_.catenate = true;
      if (!sc.sp() || !sc.open()) return false;
      return scan_parts(sc, ann, index, true);
    }
    if (sc.keyword("UTF8")) {
      literal_.utf8 = true;
      if (!sc.sp() || !sc.open()) return false;
      if (sc.pos() == ann) return found_message(sc, ann, scan_at::utf8_message, index);
      if (!sc.literal(body, true) || !sc.close()) return false;
      continue;
    }
    if (sc.pos() == ann) return found_message(sc, ann, scan_at::message, index);
    if (!sc.literal(body, true)) return false;
  }
}

// Inside CATENATE's parentheses, at a part: URL astring, or TEXT literal;
// after the last part, on to the next message.
inline bool server::scan_parts(detail::scanner& sc, std::size_t ann, std::size_t index, bool first) {
  for (;;) {
    if (!first) {
      if (sc.eat(')')) return scan_messages(sc, ann, index + 1);
      if (!sc.sp()) return false;
    }
    first = false;
    literal_body body;
    std::string_view s;
    if (sc.keyword("URL")) {
      if (!sc.sp()) return false;
      if (sc.pos() == ann) {
        scan_ = scan_at::catenate_url;
        scan_pos_ = ann;
        scan_index_ = index;
        return false;  // a string
      }
      if (!sc.astring(s)) return false;
    } else if (sc.keyword("TEXT")) {
      if (!sc.sp()) return false;
      if (sc.pos() == ann) return found_message(sc, ann, scan_at::catenate_text, index);
      if (!sc.literal(body, true)) return false;
    } else {
      return false;
    }
  }
}

inline bool server::found_message(detail::scanner& sc, std::size_t ann, scan_at what, std::size_t index) {
  scan_ = what;
  scan_pos_ = ann;
  scan_index_ = index;
  literal_.tag = sc.text().substr(0, sc.text().find(' '));
  literal_.mailbox = mailbox_;
  literal_.index = index;
  literal_.catenate = what == scan_at::catenate_text;
  literal_.utf8 = what == scan_at::utf8_message;
  return true;
}

// -- private: AUTHENTICATE ------------------------------------------------------

// One step of the SASL exchange in IMAP's words (RFC 9051 6.2.2): the
// answers are tagged, a cancel is BAD.
inline errc server::sasl_step(const sasl::exchange_step& st) {
  using sasl_status = sasl::exchange_step::status;
  awaiting_ = awaiting::nothing;
  switch (st.state) {
    case sasl_status::challenge: phase_ = phase::auth; return sasl::write_challenge(out_, "+ ", st.data);
    case sasl_status::check:
      awaiting_ = awaiting::auth_check;
      queued_.put(server_event_type::auth_check);
      return errc::ok;
    case sasl_status::success: {
      std::string name(auth_->username());
      end_auth();
      logged_in(login_method::sasl, std::move(name));
      return errc::ok;
    }
    default: break;
  }
  end_auth();  // every other step ends the exchange
  switch (st.state) {
    case sasl_status::cancelled: tagged(tag_, status_kind::bad, "Authentication cancelled"); break;
    case sasl_status::failed: login_failed(); break;
    case sasl_status::bad_initial: auth_error(errc::sasl_malformed, "Invalid base64 in the initial response"); break;
    case sasl_status::bad_line: auth_error(errc::sasl_malformed, "Invalid base64 in authentication data"); break;
    case sasl_status::unexpected: auth_error(errc::sasl_unexpected_message, "Unexpected authentication data"); break;
    default: auth_error(st.error, "Malformed authentication data"); break;
  }
  return errc::ok;
}

inline void server::end_auth() {
  auth_.reset();
  if (phase_ == phase::auth) phase_ = phase::commands;
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_SERVER_HPP
