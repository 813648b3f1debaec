// mailwire: the POP3 server session machine (RFC 1939, RFC 2449, RFC 2595,
// RFC 3206, RFC 5034, RFC 6856).
//
// Sans-I/O, in the shape of every mailwire machine (docs/design.md 2): the
// caller feeds what the client sent, pulls events, answers the ones that
// need a decision with actions, and writes pending_output().
//
//     pop3::server s(opts);                      // queues the +OK greeting
//     for (;;) {
//       const pop3::server_event e = s.next();
//       switch (e.type) {
//         case write_output:  write(s.pending_output()); s.consume_output(n); break;
//         case need_more:     n = read(); n ? s.feed(bytes) : s.finish(); break;
//         case login:         check(e.user, e.password) ? s.accept() : s.reject(...); break;
//         case apop:          s.auth_provide_secret(secret_of(e.user)); break;
//         case auth_start:    s.auth_begin(nonce); break;
//         case auth_check:    /* answer e.auth->type, as for SMTP */ break;
//         case open_maildrop: lock(e.user) ? s.open_maildrop(list(e.user))
//                                          : s.reject(response_code::in_use, "locked"); break;
//         case retrieve:      open message e.message; break;     // then, on paused:
//         case paused:        if (sending) s.send_message(next_chunk()) or s.end_message(); break;
//         case update:        delete(s.deleted()); s.accept(); break;
//         case starttls:      s.take_unconsumed(rest); tls.put(rest); ... s.tls_established(); break;
//         case error:         log(e.error, e.offset); break;  // answered already
//         case closed:        write(s.pending_output()); close(); unlock(); return;
//       }
//     }
//
// The machine answers on its own: CAPA, STAT, LIST, UIDL (from the listing
// given to open_maildrop()), DELE and RSET (it keeps the deletion marks),
// NOOP, QUIT in the AUTHORIZATION state, UTF8, LANG, STLS, every bad
// command (-ERR, counted: max_errors consecutive errors close the
// session), and the AUTHORIZATION -> TRANSACTION -> UPDATE states (RFC
// 1939 3): deletions are handed to the application only at QUIT in the
// TRANSACTION state (the update event); a session that ends any other way
// deletes nothing.
//
// Streaming: after a retrieve event (RETR, TOP) the application gives the
// message in chunks with send_message() and ends it with end_message();
// the machine writes "+OK", dot-stuffs, repairs bare line ends and, for
// TOP, passes the header and the first `lines` lines of the body only
// (wants_message() says when it needs no more). Meanwhile next() says
// write_output while pending_output() holds max_pending_output bytes or
// more, and paused otherwise: the time to give the next chunk. Memory
// stays bounded whatever the message size.
//
// Safety: commands are bounded (max_command_line; AUTH lines
// max_auth_line); bytes after STLS are never parsed (take_unconsumed()
// hands them to TLS; after tls_established() the session starts over);
// passwords in clear (USER/PASS, PLAIN, LOGIN) are refused before TLS
// unless allow_plaintext_auth; failed logins count against
// max_auth_failures, then -ERR and close.
//
// Views and pointers in events are valid until the next non-const call.
// Nothing throws but std::bad_alloc; an action in the wrong state returns
// errc::invalid_state and queues nothing; an action whose text cannot be
// sent returns errc::invalid_argument and changes nothing.
#ifndef MAILWIRE_POP3_SERVER_HPP
#define MAILWIRE_POP3_SERVER_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/dot_stuffing.hpp"
#include "mailwire/core/emit.hpp"
#include "mailwire/core/hmac.hpp"
#include "mailwire/core/line_reader.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/core/session.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/pop3/command.hpp"
#include "mailwire/pop3/response.hpp"
#include "mailwire/sasl/exchange.hpp"
#include "mailwire/sasl/framing.hpp"
#include "mailwire/sasl/server.hpp"

namespace mailwire {
inline namespace v0 {
namespace pop3 {

/// One message of a maildrop, as the application lists it.
struct message_info {
  /// Size in octets as it will be sent (CRLF line ends, before stuffing).
  std::uint64_t size = 0;
  /// The unique-id (RFC 1939 7: 1 to 70 bytes 0x21-0x7E, stable across
  /// sessions). May be empty only when UIDL is not offered.
  std::string unique_id;
};

/// A language the server offers (RFC 6856 LANG).
struct language {
  std::string tag;          ///< RFC 5646 tag, "en"
  std::string description;  ///< free text, "English"
};

/// What a POP3 server machine offers and enforces; every field has its default
/// from limits.hpp.
struct server_options {
  /// The server's name, in the CRAM-MD5 challenge ("<nonce@hostname>").
  std::string hostname = "localhost";
  /// The greeting's text, after "+OK ".
  std::string greeting = "POP3 server ready";
  /// The APOP timestamp, "<process-ID.clock@hostname>" (RFC 1939 7): from
  /// the caller (mailwire reads no clock), unique per session. Empty: no
  /// APOP. A value that is not a valid timestamp (see
  /// is_valid_apop_timestamp) disables APOP too.
  std::string apop_timestamp;
  /// The transport is TLS already (implicit TLS, port 995).
  bool tls_active = false;
  /// The caller can do TLS: offer STLS while not in TLS.
  bool offer_stls = false;
  /// USER/PASS is offered.
  bool allow_user_pass = true;
  /// SASL mechanisms to offer (empty: no AUTH).
  sasl::mechanism_set auth_mechanisms;
  /// Lenient: USER/PASS, PLAIN and LOGIN before TLS, which expose the
  /// password to anyone on the path (RFC 2595 2.4 asks servers to refuse).
  bool allow_plaintext_auth = false;
  /// Before TLS only CAPA, STLS and QUIT are served (every login waits for
  /// TLS).
  bool require_tls = false;
  /// Capabilities to offer (each also enables its command).
  bool top = true;
  /// UIDL (unique-ids).
  bool uidl = true;
  /// PIPELINING (RFC 2449): commands of a batch answered in order.
  bool pipelining = true;
  /// RFC 6856 UTF8: the client may switch to UTF-8 (user names, passwords
  /// and LANG texts); `utf8_user` adds "USER": UTF-8 in USER/PASS too.
  bool utf8 = false;
  /// With `utf8`: "UTF8 USER", UTF-8 in USER and PASS too.
  bool utf8_user = false;
  /// RFC 6856 LANG: the languages offered, first the default. Empty: no
  /// LANG. The machine answers LANG itself; language() says which is in
  /// force (response texts are the caller's).
  std::vector<language> languages;
  /// IMPLEMENTATION's text (empty: not sent).
  std::string implementation;
  /// LOGIN-DELAY and EXPIRE to announce (RFC 2449 6.5, 6.7): seconds, and
  /// days or "NEVER". Announced only; enforcing them is the caller's.
  std::optional<std::uint64_t> login_delay;
  /// EXPIRE's argument: days, or "NEVER" (empty: not announced).
  std::string expire;
  /// Consecutive errors (-ERR to bad commands) before the session is
  /// closed; a command that succeeds starts the count again. The last one
  /// comes with an error event errc::too_many_errors.
  std::size_t max_errors = limits::max_errors;
  /// Failed logins (USER/PASS, APOP, AUTH) before -ERR and close, with an
  /// error event errc::too_many_auth_failures.
  std::size_t max_auth_failures = limits::max_auth_failures;
  /// Command line, CRLF included (RFC 2449 4 says 255 octets; two more
  /// by default for clients that count without the CRLF).
  std::size_t max_command_line = limits::pop3_command_line;
  /// AUTH response lines (RFC 5034 4 lifts the 255 limit for them).
  std::size_t max_auth_line = limits::smtp_auth_line;
  /// Bytes buffered from the client before parsing.
  std::size_t max_buffered = limits::max_buffered;
  /// Output past which the machine takes no more input and says
  /// write_output (a client that pipelines and never reads, or a message
  /// being streamed).
  std::size_t max_pending_output = limits::max_pending_output;
};

enum class server_event_type : std::uint8_t {
  need_more,      ///< read more from the client and feed() it (nothing is pending to write)
  write_output,   ///< write pending_output() first: nothing more happens until it shrinks
  paused,         ///< answer the last event first (while streaming: the next send_message())
  login,          ///< USER then PASS: `user`, `password`: accept() or reject()
  apop,           ///< APOP `user` `digest`: auth_provide_secret(secret) or reject()
  auth_start,     ///< AUTH `mechanism`: auth_begin(nonce) or reject()
  auth_check,     ///< the SASL engine needs `auth` answered (accept, reject, auth_provide_*)
  open_maildrop,  ///< `user` logged in (`method`): open_maildrop(listing) or reject() ([IN-USE]...)
  retrieve,       ///< RETR (`top` false) or TOP `lines`: message `message` of `size` octets: send_message()...
  update,         ///< QUIT in TRANSACTION: remove deleted(), then accept() or reject()
  starttls,       ///< "+OK" to STLS queued: write it, hand take_unconsumed() to TLS, then tls_established()
  error,          ///< a bad command or line, answered already; `error`, `offset`
  closed,         ///< after QUIT's answer, a closing -ERR, or finish(): write the output and close
};

/// How the user logged in.
enum class login_method : std::uint8_t { user_pass, apop, sasl };

/// One event from server::next(); views and pointers in it are valid until
/// the next non-const call on the server.
struct server_event {
  /// What happened (see server_event_type).
  server_event_type type = server_event_type::need_more;
  /// error: what went wrong (answered already).
  errc error = errc::ok;
  /// Stream offset of the client's bytes the event is about.
  std::uint64_t offset = 0;
  std::string_view user;      ///< login, apop, open_maildrop
  std::string_view password;  ///< login
  std::string_view digest;    ///< apop: as sent (the machine checks it)
  login_method method = login_method::user_pass;  ///< open_maildrop
  sasl::mechanism mechanism = sasl::mechanism::plain;  ///< auth_start, auth_check, open_maildrop (sasl)
  const sasl::server_request* auth = nullptr;          ///< auth_check
  std::uint32_t message = 0;  ///< retrieve: the message number (1-based)
  std::uint64_t size = 0;     ///< retrieve: its size from the listing
  bool top = false;           ///< retrieve: TOP (header and `lines` lines of body)
  std::uint64_t lines = 0;    ///< retrieve: TOP's line count
};

/// The POP3 server session machine: one per connection (see the file comment).
class server {
 public:
  /// A session that has queued its +OK greeting already.
  explicit server(server_options o = {});

  // -- input and output ---------------------------------------------------

  /// Takes bytes the client sent; returns how many fit under max_buffered
  /// (call next() until need_more, then feed the rest). Takes nothing at
  /// the TLS switch, after finish(), or after close.
  std::size_t feed(std::string_view bytes);
  /// The client closed its side. What was fed is still processed; a line
  /// or AUTH exchange left unfinished gives an error event
  /// (errc::truncated), then closed. Nothing is deleted.
  void finish() noexcept { input_.finish(); }
  /// Bytes to write to the client, oldest first; valid until the next
  /// non-const call.
  std::string_view pending_output() const noexcept { return out_.pending(); }
  /// The caller wrote the first `n` bytes of pending_output().
  void consume_output(std::size_t n) noexcept { out_.consume(n); }
  /// True once the session is over: write what is pending, then close.
  bool closed() const noexcept { return state_ == state::closed; }

  // -- events ---------------------------------------------------------------

  /// The next event (need_more only when no output is pending; see the
  /// file comment for paused while a message streams).
  server_event next();

  // -- actions ------------------------------------------------------------

  /// Yes to login (the password is right), to an auth_check for a
  /// password, token, EXTERNAL or ANONYMOUS, or to update (the deletions
  /// are done: "+OK" and close).
  errc accept();

  /// No, with the "-ERR" response's code and text (one line of printable
  /// text). To login, apop and auth_check it is a failed login (counted,
  /// see max_auth_failures; give response_code::auth or none, or sys_temp
  /// when the check itself failed); to open_maildrop the session stays in
  /// AUTHORIZATION (in_use, login_delay, sys_temp...); to retrieve (before
  /// any chunk) the session goes on; to update (some deletions failed) the
  /// session closes anyway (RFC 1939 6). A text that cannot be sent is
  /// errc::invalid_argument and changes nothing.
  errc reject(response_code code, std::string_view text);

  /// Answers apop with the user's shared secret: the machine compares the
  /// digest in constant time (a wrong one is a failed login). Answers an
  /// auth_check for CRAM-MD5 the same way (the SASL engine checks).
  errc auth_provide_secret(std::string_view secret);
  /// Answers auth_check for SCRAM with the user's stored keys (for an
  /// unknown user, decoy keys).
  errc auth_provide_scram(const sasl::scram_keys& keys);
  /// Answers auth_check for a bearer token with its JSON error (RFC 7628).
  errc auth_reject_token(std::string_view error_json);
  /// Answers auth_start: start the exchange with `nonce` (fresh random
  /// printable ASCII without ',' for SCRAM and CRAM-MD5) and, for
  /// SCRAM-*-PLUS, the channel binding. A nonce or binding the mechanism
  /// needs and did not get: errc::sasl_missing_nonce (or
  /// sasl_invalid_field, sasl_channel_binding_mismatch), nothing changes.
  errc auth_begin(std::string_view nonce, sasl::channel_binding binding = {});

  /// Answers open_maildrop: the maildrop is locked, these are its
  /// messages (message n is listing[n-1]). Over 2^32-1 messages, a
  /// unique-id that is not valid while UIDL is offered, or more than one
  /// message with the same unique-id cannot be listed:
  /// errc::invalid_argument, nothing changes. The session is then in
  /// TRANSACTION.
  errc open_maildrop(std::vector<message_info> listing);

  /// Answers retrieve: a piece of the message (any split; CRLF, or LF
  /// alone, as line ends: bare ones are sent as CRLF). The first call
  /// writes "+OK". Pieces past what TOP wants are dropped.
  errc send_message(std::string_view chunk);
  /// Answers retrieve: the message is complete (the last line is ended
  /// if it was not, then "." CRLF).
  errc end_message();
  /// While a message streams: false once TOP has all the lines it wants
  /// (the rest need not be read; end_message() still ends it).
  bool wants_message() const noexcept { return sending_ && !top_.done; }

  /// After the starttls event (and until tls_established()): sets `out` to
  /// the bytes that arrived after the STLS command (the start of the TLS
  /// handshake, or an injection attempt), never parsed: give them to the
  /// TLS engine. Elsewhere errc::invalid_state, taking nothing.
  errc take_unconsumed(std::string_view& out) noexcept;
  /// The TLS handshake finished: the session starts over in AUTHORIZATION
  /// (a USER given before is forgotten).
  errc tls_established();

  // -- state ------------------------------------------------------------------

  /// The logged-in user (empty before).
  std::string_view user() const noexcept { return user_; }
  /// Message numbers marked deleted (ascending): what update asks to
  /// remove.
  std::vector<std::uint32_t> deleted() const;
  /// The maildrop as listed by open_maildrop().
  const std::vector<message_info>& listing() const noexcept { return listing_; }
  /// The language set by LANG (empty: the default, the first offered).
  std::string_view language() const noexcept { return language_; }
  /// True after a UTF8 command (RFC 6856).
  bool utf8() const noexcept { return utf8_; }
  /// True once the connection is in TLS.
  bool tls() const noexcept { return tls_; }
  /// Failed logins in this session so far (see max_auth_failures).
  std::size_t auth_failures() const noexcept { return auth_failures_.count(); }
  /// Consecutive errors so far (see max_errors).
  std::size_t errors() const noexcept { return errors_.count(); }

 private:
  enum class state : std::uint8_t { authorization, transaction, auth, tls_switch, closed };
  enum class awaiting : std::uint8_t {
    nothing, login, apop, auth_start, auth_check, open_maildrop, retrieve, update,
  };

  // TOP's cut: the header, its blank line, then `lines` lines of body.
  struct top_cut {
    bool active = false;
    bool done = false;
    bool in_body = false;
    bool line_empty = true;  // the current line holds nothing yet
    bool cr = false;         // the last byte was a CR (a line end either way)
    std::uint64_t left = 0;  // body lines still to pass
    // How much of `chunk` to pass.
    std::size_t take(std::string_view chunk) noexcept;
    // A line ended: true when TOP has all it wants.
    bool line_end() noexcept;
  };

  server_event event(server_event_type t) const;
  server_event starved();
  server_event take_queued();
  errc ok(std::string_view text) { return write_ok(out_, text); }
  errc err(response_code c, std::string_view text) { return write_err(out_, c, text); }
  void close_with(errc why, std::uint64_t at, std::string_view text);
  server_event refuse(errc e, std::uint64_t at, std::string_view text, response_code c = response_code::none);
  server_event refused(response_code c, std::string_view text, errc e);
  void count_auth_failure();
  void login_failed(response_code c, std::string_view text);
  void auth_error(errc e, std::string_view text);
  void logged_in(login_method m, std::string user);

  bool cleartext_allowed() const noexcept { return tls_ || options_.allow_plaintext_auth; }
  bool apop_offered() const noexcept;
  sasl::mechanism_set offered_mechanisms() const;
  void write_capabilities();
  bool exists(std::uint32_t n) const noexcept;

  std::optional<server_event> dispatch(std::string_view line, std::uint64_t at);
  std::optional<server_event> authorization_command(const command& c);
  std::optional<server_event> transaction_command(const command& c);
  void write_listing(verb v, const command& c);

  std::optional<server_event> auth_command(const command& c);
  errc sasl_step(const sasl::exchange_step& st);
  void end_auth();

  // Only from AUTH to its end: an idle session carries none of it.
  struct auth_session {
    auth_session(line_options o, sasl::mechanism m, std::optional<std::string_view> initial)
        : lines(o), exchange(m, initial) {}
    line_reader lines;
    sasl::server_exchange exchange;
  };

  server_options options_;
  recv_buffer in_;
  output_queue out_;
  line_reader lines_;
  dot_writer writer_;
  std::unique_ptr<auth_session> auth_;
  std::vector<message_info> listing_;
  std::vector<bool> deleted_;
  std::string user_;      // USER's name until PASS, then the logged-in user
  std::string password_;  // PASS, until the login event is answered
  std::string digest_;    // APOP, until answered
  std::string language_;
  strike_counter errors_;
  strike_counter auth_failures_;
  mailwire::detail::event_slot<server_event> queued_;  // an action's event, first out of next()
  std::uint64_t line_at_ = 0;  // offset of the last line read (what a failed login answers)
  std::uint64_t retrieving_size_ = 0;
  std::uint32_t retrieving_ = 0;
  top_cut top_;
  std::string_view refusal_text_;  // a string literal
  response_code refusal_code_ = response_code::none;
  state state_ = state::authorization;
  awaiting awaiting_ = awaiting::nothing;
  login_method method_ = login_method::user_pass;
  sasl::mechanism auth_mechanism_ = sasl::mechanism::plain;
  bool tls_ = false;
  bool user_given_ = false;  // the last command was a successful USER
  bool sending_ = false;     // a retrieve is being answered
  bool started_ = false;     // its "+OK" is written
  bool utf8_ = false;
  mailwire::detail::input_end input_;
};

// -- server: definitions, in the order declared ------------------------------

inline server::server(server_options o)
    : options_(std::move(o)),
      in_(options_.max_buffered),
      lines_(line_options::with_max_length(options_.max_command_line)),
      errors_(options_.max_errors),
      auth_failures_(options_.max_auth_failures) {
  tls_ = options_.tls_active;
  std::string greeting = options_.greeting;
  if (apop_offered()) greeting += (greeting.empty() ? "" : " ") + options_.apop_timestamp;
  if (ok(greeting) != errc::ok) ok("POP3 server ready");
}

inline std::size_t server::feed(std::string_view bytes) {
  if (state_ == state::tls_switch || state_ == state::closed || input_.ended()) return 0;
  return in_.feed(bytes);
}

inline server_event server::next() {
  for (;;) {
    if (!queued_.empty()) return take_queued();
    if (state_ != state::closed && out_.size() >= options_.max_pending_output) {
      return event(server_event_type::write_output);
    }
    if (awaiting_ != awaiting::nothing) return event(server_event_type::paused);
    switch (state_) {
      case state::closed: return event(server_event_type::closed);
      case state::tls_switch: return starved();
      case state::auth: {
        const line_result l = auth_->lines.next(in_);
        if (l.state == line_result::status::need_more) return starved();
        if (l.state == line_result::status::error) {
          // The rest of an over-long line is dropped as it arrives, never
          // read as commands.
          if (auth_->lines.discarding()) lines_.discard_line();
          end_auth();
          return refuse(l.error, l.offset, "Authentication line too long or malformed");
        }
        line_at_ = l.offset;
        sasl_step(auth_->exchange.line(l.text));
        continue;
      }
      case state::authorization:
      case state::transaction: {
        const line_result l = lines_.next(in_);
        if (l.state == line_result::status::need_more) return starved();
        if (l.state == line_result::status::error) {
          user_given_ = false;
          return refuse(l.error, l.offset, l.error == errc::line_too_long ? "Line too long" : "Bare CR or LF in command");
        }
        line_at_ = l.offset;
        if (const auto e = dispatch(l.text, l.offset)) return *e;
        continue;
      }
    }
  }
}

inline errc server::accept() {
  switch (awaiting_) {
    case awaiting::login:
      awaiting_ = awaiting::nothing;
      password_.clear();
      logged_in(login_method::user_pass, std::move(user_));
      return errc::ok;
    case awaiting::auth_check: return sasl_step(auth_->exchange.accept());
    case awaiting::update:
      awaiting_ = awaiting::nothing;
      ok(std::find(deleted_.begin(), deleted_.end(), true) == deleted_.end() ? "Logging out"
                                                                             : "Logging out, messages deleted");
      state_ = state::closed;
      return errc::ok;
    default: return errc::invalid_state;
  }
}

inline errc server::reject(response_code code, std::string_view text) {
  if (awaiting_ == awaiting::nothing || (awaiting_ == awaiting::retrieve && started_)) return errc::invalid_state;
  if (err(code, text) != errc::ok) return errc::invalid_argument;
  const awaiting was = awaiting_;
  awaiting_ = awaiting::nothing;
  switch (was) {
    case awaiting::login:
    case awaiting::apop:
      user_.clear();
      password_.clear();
      digest_.clear();
      count_auth_failure();
      break;
    case awaiting::auth_check:
      end_auth();
      count_auth_failure();
      break;
    case awaiting::auth_start: end_auth(); break;
    case awaiting::open_maildrop: user_.clear(); break;
    case awaiting::retrieve: sending_ = false; break;
    case awaiting::update: state_ = state::closed; break;
    case awaiting::nothing: break;
  }
  return errc::ok;
}

inline errc server::auth_provide_secret(std::string_view secret) {
  if (awaiting_ == awaiting::auth_check) return sasl_step(auth_->exchange.provide_secret(secret));
  if (awaiting_ != awaiting::apop) return errc::invalid_state;
  awaiting_ = awaiting::nothing;
  const bool right = constant_time_equal(apop_digest(options_.apop_timestamp, secret), digest_);
  digest_.clear();
  if (!right) {
    login_failed(response_code::auth, "Authentication failed");
  } else {
    logged_in(login_method::apop, std::move(user_));
  }
  return errc::ok;
}

inline errc server::auth_provide_scram(const sasl::scram_keys& keys) {
  if (awaiting_ != awaiting::auth_check) return errc::invalid_state;
  return sasl_step(auth_->exchange.provide_scram(keys));
}

inline errc server::auth_reject_token(std::string_view error_json) {
  if (awaiting_ != awaiting::auth_check) return errc::invalid_state;
  return sasl_step(auth_->exchange.reject_token(error_json));
}

inline errc server::auth_begin(std::string_view nonce, sasl::channel_binding binding) {
  if (awaiting_ != awaiting::auth_start) return errc::invalid_state;
  const errc e = auth_->exchange.begin(nonce, binding, options_.hostname, offered_mechanisms(), options_.max_auth_line);
  if (e != errc::ok) return e;
  awaiting_ = awaiting::nothing;
  state_ = state::auth;
  return sasl_step(auth_->exchange.start());
}

inline errc server::open_maildrop(std::vector<message_info> listing) {
  if (awaiting_ != awaiting::open_maildrop) return errc::invalid_state;
  if (listing.size() > UINT32_MAX) return errc::invalid_argument;
  std::uint64_t total = 0;
  if (options_.uidl) {
    std::vector<std::string_view> ids;
    ids.reserve(listing.size());
    for (const message_info& m : listing) {
      if (!is_valid_unique_id(m.unique_id)) return errc::invalid_argument;
      ids.emplace_back(m.unique_id);
    }
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return errc::invalid_argument;
  }
  for (const message_info& m : listing) total += m.size;
  awaiting_ = awaiting::nothing;
  listing_ = std::move(listing);
  deleted_.assign(listing_.size(), false);
  state_ = state::transaction;
  std::string text = "Logged in, ";
  text += std::to_string(listing_.size());
  text += listing_.size() == 1 ? " message (" : " messages (";
  text += std::to_string(total);
  text += " octets)";
  return ok(text);
}

inline errc server::send_message(std::string_view chunk) {
  if (awaiting_ != awaiting::retrieve) return errc::invalid_state;
  if (!started_) {
    started_ = true;
    ok(top_.active ? std::string("Top of message follows") : std::to_string(retrieving_size_) + " octets");
  }
  if (top_.active) {
    if (top_.done) return errc::ok;
    chunk = chunk.substr(0, top_.take(chunk));
  }
  return writer_.write(chunk, out_);
}

inline errc server::end_message() {
  if (awaiting_ != awaiting::retrieve) return errc::invalid_state;
  if (!started_) send_message({});
  writer_.finish(out_);
  awaiting_ = awaiting::nothing;
  sending_ = false;
  started_ = false;
  top_ = top_cut{};
  return errc::ok;
}

inline errc server::take_unconsumed(std::string_view& out) noexcept {
  return take_after_switch(in_, state_ == state::tls_switch, out);
}

inline errc server::tls_established() {
  if (state_ != state::tls_switch) return errc::invalid_state;
  tls_ = true;
  state_ = state::authorization;
  user_.clear();
  user_given_ = false;
  return errc::ok;
}

inline std::vector<std::uint32_t> server::deleted() const {
  std::vector<std::uint32_t> r;
  for (std::size_t i = 0; i < deleted_.size(); ++i) {
    if (deleted_[i]) r.push_back(static_cast<std::uint32_t>(i + 1));
  }
  return r;
}

// Lines as the client receives them: the writer sends CRLF, a bare LF and
// a bare CR each as a line end, so each counts as one here.
inline std::size_t server::top_cut::take(std::string_view chunk) noexcept {
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    const char c = chunk[i];
    if (cr) {
      cr = false;
      if (c == '\n') {  // CRLF
        if (line_end()) return i + 1;
        continue;
      }
      if (line_end()) return i;  // a bare CR ended the last line wanted: the writer completes it
    }
    if (c == '\r') {
      cr = true;
    } else if (c == '\n') {
      if (line_end()) return i + 1;
    } else {
      line_empty = false;
    }
  }
  return chunk.size();
}

inline bool server::top_cut::line_end() noexcept {
  if (in_body) {
    done = --left == 0;
  } else if (line_empty) {
    in_body = true;  // the blank line after the header
    done = left == 0;
  }
  line_empty = true;
  return done;
}

inline server_event server::event(server_event_type t) const {
  server_event e;
  e.type = t;
  return e;
}

// Nothing more without I/O: the two answers, or the end of the input
// (detail::input_end has the rule).
inline server_event server::starved() {
  if (!input_.ended()) return input_.wait<server_event>(out_);
  // finish() and every byte processed: close, saying whether the client
  // left something unfinished (a partial line, an AUTH exchange). Nothing
  // is deleted: only QUIT enters UPDATE.
  const bool unfinished = !in_.empty() || lines_.discarding() || state_ == state::auth;
  auth_.reset();
  state_ = state::closed;
  return input_.at_end<server_event>(in_, unfinished);
}

// The kept event, with what points into the session added.
inline server_event server::take_queued() {
  server_event e = queued_.take();
  switch (e.type) {
    case server_event_type::auth_check:
      e.auth = &auth_->exchange.request();
      e.mechanism = auth_mechanism_;
      break;
    case server_event_type::open_maildrop:
      e.user = user_;
      e.method = method_;
      e.mechanism = auth_mechanism_;
      break;
    default: break;
  }
  return e;
}

// Says why in a last -ERR (the answer to the command that ended it) and
// closes, with an error event.
inline void server::close_with(errc why, std::uint64_t at, std::string_view text) {
  err(response_code::none, text);
  state_ = state::closed;
  auth_.reset();
  queued_.put(server_event_type::error, why, at);
}

// A bad command or line: -ERR, counted; closed after max_errors in a row.
// POP3 has no unsolicited response: at the limit the one -ERR says so, and
// the session closes.
inline server_event server::refuse(errc e, std::uint64_t at, std::string_view text, response_code c) {
  server_event ev = event(server_event_type::error);
  ev.error = e;
  ev.offset = at;
  if (errors_.add()) {
    close_with(errc::too_many_errors, at, "Too many errors, closing connection");
  } else {
    err(c, text);
  }
  return ev;
}

// After the failed login's -ERR: closes at the limit (the -ERR was the
// last word: POP3 has no unsolicited response to add one).
inline void server::count_auth_failure() {
  if (auth_failures_.add()) {
    state_ = state::closed;
    auth_.reset();
    queued_.put(server_event_type::error, errc::too_many_auth_failures, line_at_);
  }
}

// A login the machine refuses itself (wrong APOP digest, SASL failure).
// The application, which never saw the attempt, learns of it from the
// error event (errc::sasl_auth_failed), for its logs and bans.
inline void server::login_failed(response_code c, std::string_view text) {
  user_.clear();
  const bool last = auth_failures_.count() + 1 >= auth_failures_.max();
  err(c, last ? std::string_view("Authentication failed, closing connection") : text);
  count_auth_failure();
  if (queued_.empty()) queued_.put(server_event_type::error, errc::sasl_auth_failed, line_at_);
}

// An AUTH exchange the client broke (bad base64, a message the mechanism
// cannot read, data where none was due): -ERR, an error event, and it
// counts against max_errors like any bad command.
inline void server::auth_error(errc e, std::string_view text) {
  if (errors_.add()) {
    close_with(errc::too_many_errors, line_at_, "Too many errors, closing connection");
    return;
  }
  err(response_code::none, text);
  queued_.put(server_event_type::error, e, line_at_);
}

// The credentials were right: the application opens the maildrop.
inline void server::logged_in(login_method m, std::string user) {
  user_ = std::move(user);
  method_ = m;
  awaiting_ = awaiting::open_maildrop;
  queued_.put(server_event_type::open_maildrop);
}

inline bool server::apop_offered() const noexcept {
  return is_valid_apop_timestamp(options_.apop_timestamp);
}

inline sasl::mechanism_set server::offered_mechanisms() const {
  sasl::mechanism_set m = options_.auth_mechanisms;
  if (!cleartext_allowed()) {
    m.erase(sasl::mechanism::plain);
    m.erase(sasl::mechanism::login);
    m.erase(sasl::mechanism::xoauth2);
    m.erase(sasl::mechanism::oauthbearer);
  }
  return m;
}

inline void server::write_capabilities() {
  ok("Capability list follows");
  const auto line = [&](std::string_view a, std::string_view b = {}) {
    mailwire::detail::emit(out_, [&](mailwire::detail::wire_sink& s) {
      s.put(a);
      if (!b.empty()) {
        s.put(' ');
        s.put_text(b);
      }
      s.end_line();
    });
  };
  // require_tls before TLS: no login is served, so none is offered.
  const bool logins_offered = !(options_.require_tls && !tls_);
  if (options_.top) line("TOP");
  if (options_.allow_user_pass && cleartext_allowed() && logins_offered) line("USER");
  const sasl::mechanism_set m = offered_mechanisms();
  if (!m.empty() && logins_offered) {
    std::string names;
    for (std::size_t i = 0; i < sasl::mechanism_count; ++i) {
      const auto k = static_cast<sasl::mechanism>(i);
      if (!m.contains(k)) continue;
      if (!names.empty()) names += ' ';
      names += sasl::to_string(k);
    }
    line("SASL", names);
  }
  line("RESP-CODES");
  line("AUTH-RESP-CODE");
  if (options_.pipelining) line("PIPELINING");
  if (options_.uidl) line("UIDL");
  if (options_.login_delay) line("LOGIN-DELAY", std::to_string(*options_.login_delay));
  if (!options_.expire.empty()) line("EXPIRE", options_.expire);
  if (options_.offer_stls && !tls_ && state_ == state::authorization) line("STLS");
  if (options_.utf8) line("UTF8", options_.utf8_user ? "USER" : "");
  if (!options_.languages.empty()) line("LANG");
  if (!options_.implementation.empty()) line("IMPLEMENTATION", options_.implementation);
  out_.append(".\r\n");
}

inline bool server::exists(std::uint32_t n) const noexcept {
  return n >= 1 && n <= listing_.size() && !deleted_[n - 1];
}

inline std::optional<server_event> server::dispatch(std::string_view line, std::uint64_t at) {
  command c;
  const command_error ce = parse_command(line, c);
  const bool after_user = user_given_;
  user_given_ = false;
  if (ce == command_error::unknown) return refuse(errc::unknown_command, at, "Unknown command");
  if (ce != command_error::none) {
    return refuse(errc::syntax_error, at,
                  ce == command_error::bad_number ? "Invalid number" : "Syntax error in arguments");
  }
  switch (c.what) {
    case verb::capa:
      write_capabilities();
      errors_.reset();
      return std::nullopt;
    case verb::quit:
      if (state_ == state::transaction) {
        awaiting_ = awaiting::update;
        return event(server_event_type::update);
      }
      ok("Logging out");
      state_ = state::closed;
      return std::nullopt;
    default: break;
  }
  if (c.what == verb::pass && !after_user) return refuse(errc::invalid_state, at, "PASS must follow USER");
  std::optional<server_event> e =
      state_ == state::transaction ? transaction_command(c) : authorization_command(c);
  if (e && e->type == server_event_type::error) return refuse(e->error, at, refusal_text_, refusal_code_);
  errors_.reset();
  return e;
}

// What a command handler says when it refuses: dispatch() writes the
// -ERR and counts it (refuse()).
inline server_event server::refused(response_code c, std::string_view text, errc e) {
  refusal_code_ = c;
  refusal_text_ = text;
  server_event ev = event(server_event_type::error);
  ev.error = e;
  return ev;
}

inline std::optional<server_event> server::authorization_command(const command& c) {
  const bool before_tls_blocked = options_.require_tls && !tls_;
  switch (c.what) {
    case verb::stls:
      if (tls_ || !options_.offer_stls) return refused(response_code::none, "STLS not available", errc::invalid_state);
      ok("Begin TLS negotiation");
      state_ = state::tls_switch;
      return event(server_event_type::starttls);
    case verb::user:
      if (!options_.allow_user_pass) return refused(response_code::none, "USER not available", errc::extension_missing);
      if (before_tls_blocked || !cleartext_allowed()) {
        return refused(response_code::none, "Plaintext login not allowed without TLS", errc::sasl_insecure);
      }
      user_ = std::string(c.name);
      user_given_ = true;
      ok("Send your password");
      return std::nullopt;
    case verb::pass: {
      // user_given_ was checked: USER came right before.
      password_ = std::string(c.name);
      awaiting_ = awaiting::login;
      server_event e = event(server_event_type::login);
      e.user = user_;
      e.password = password_;
      return e;
    }
    case verb::apop: {
      if (before_tls_blocked || !apop_offered()) {
        return refused(response_code::none, "APOP not available", errc::extension_missing);
      }
      user_ = std::string(c.name);
      digest_ = std::string(c.argument);
      for (char& ch : digest_) ch = ascii::to_lower(ch);
      awaiting_ = awaiting::apop;
      server_event e = event(server_event_type::apop);
      e.user = user_;
      e.digest = digest_;
      return e;
    }
    case verb::auth:
      if (before_tls_blocked) return refused(response_code::none, "TLS required first", errc::sasl_insecure);
      return auth_command(c);
    case verb::utf8:
      if (!options_.utf8) return refused(response_code::none, "UTF8 not available", errc::extension_missing);
      utf8_ = true;
      ok("UTF8 enabled");
      return std::nullopt;
    case verb::lang: return transaction_command(c);
    default:
      return refused(response_code::none, "Not allowed before login", errc::invalid_state);
  }
}

inline std::optional<server_event> server::transaction_command(const command& c) {
  switch (c.what) {
    case verb::stat: {
      std::uint64_t count = 0;
      std::uint64_t total = 0;
      for (std::size_t i = 0; i < listing_.size(); ++i) {
        if (deleted_[i]) continue;
        ++count;
        total += listing_[i].size;
      }
      ok(std::to_string(count) + " " + std::to_string(total));
      return std::nullopt;
    }
    case verb::list:
    case verb::uidl:
      if (c.what == verb::uidl && !options_.uidl) {
        return refused(response_code::none, "UIDL not available", errc::extension_missing);
      }
      if (c.has_message && !exists(c.message)) {
        return refused(response_code::none, "No such message", errc::invalid_argument);
      }
      write_listing(c.what, c);
      return std::nullopt;
    case verb::retr:
    case verb::top: {
      if (c.what == verb::top && !options_.top) {
        return refused(response_code::none, "TOP not available", errc::extension_missing);
      }
      if (!exists(c.message)) return refused(response_code::none, "No such message", errc::invalid_argument);
      awaiting_ = awaiting::retrieve;
      sending_ = true;
      started_ = false;
      retrieving_ = c.message;
      retrieving_size_ = listing_[c.message - 1].size;
      top_ = top_cut{};
      top_.active = c.what == verb::top;
      top_.left = c.lines;
      server_event e = event(server_event_type::retrieve);
      e.message = c.message;
      e.size = retrieving_size_;
      e.top = top_.active;
      e.lines = c.lines;
      return e;
    }
    case verb::dele:
      if (!exists(c.message)) return refused(response_code::none, "No such message", errc::invalid_argument);
      deleted_[c.message - 1] = true;
      ok("Message deleted");
      return std::nullopt;
    case verb::noop:
      ok({});
      return std::nullopt;
    case verb::rset:
      deleted_.assign(listing_.size(), false);
      ok("Maildrop reset");
      return std::nullopt;
    case verb::lang: {
      if (options_.languages.empty()) {
        return refused(response_code::none, "LANG not available", errc::extension_missing);
      }
      if (c.name.empty()) {
        ok("Language listing follows");
        for (const pop3::language& l : options_.languages) {
          mailwire::detail::emit(out_, [&](mailwire::detail::wire_sink& s) {
            s.put(l.tag);
            s.put(' ');
            s.put_text(l.description);
            s.end_line();
          });
        }
        out_.append(".\r\n");
        return std::nullopt;
      }
      if (c.name == "*") {
        language_.clear();
        ok("Default language");
        return std::nullopt;
      }
      for (const pop3::language& l : options_.languages) {
        if (ascii::iequals(l.tag, c.name)) {
          language_ = l.tag;
          ok("Language changed");
          return std::nullopt;
        }
      }
      return refused(response_code::none, "Unsupported language", errc::invalid_argument);
    }
    default:
      return refused(response_code::none, "Not allowed in this state", errc::invalid_state);
  }
}

inline void server::write_listing(verb v, const command& c) {
  const auto put = [&](std::uint32_t n, bool with_status) {
    const message_info& m = listing_[n - 1];
    mailwire::detail::emit(out_, [&](mailwire::detail::wire_sink& s) {
      if (with_status) s.put("+OK ");
      s.number(n);
      s.put(' ');
      if (v == verb::list) {
        s.number(m.size);
      } else {
        s.put(m.unique_id);
      }
      s.end_line();
    });
  };
  if (c.has_message) return put(c.message, true);
  ok(v == verb::list ? "Scan listing follows" : "Unique-id listing follows");
  for (std::uint32_t n = 1; n <= listing_.size(); ++n) {
    if (!deleted_[n - 1]) put(n, false);
  }
  out_.append(".\r\n");
}

inline std::optional<server_event> server::auth_command(const command& c) {
  const sasl::mechanism_set offered = offered_mechanisms();
  if (c.name.empty()) {
    // "AUTH" alone: the mechanisms, one per line (what clients before
    // RFC 5034's CAPA SASL ask).
    ok("Mechanisms follow");
    for (std::size_t i = 0; i < sasl::mechanism_count; ++i) {
      const auto k = static_cast<sasl::mechanism>(i);
      if (offered.contains(k)) {
        out_.append(sasl::to_string(k));
        out_.append("\r\n");
      }
    }
    out_.append(".\r\n");
    return std::nullopt;
  }
  const std::optional<sasl::mechanism> m = sasl::parse_mechanism(c.name);
  if (!m || !offered.contains(*m)) {
    return refused(response_code::none, "Unsupported authentication mechanism", errc::sasl_unknown_mechanism);
  }
  auth_mechanism_ = *m;
  auth_ =
      std::make_unique<auth_session>(line_options::with_max_length(options_.max_auth_line), auth_mechanism_,
                                     c.argument.empty() ? std::nullopt : std::optional<std::string_view>(c.argument));
  awaiting_ = awaiting::auth_start;
  server_event e = event(server_event_type::auth_start);
  e.mechanism = auth_mechanism_;
  return e;
}

// One step of the SASL exchange in POP3's words (RFC 5034 4).
inline errc server::sasl_step(const sasl::exchange_step& st) {
  using sasl_status = sasl::exchange_step::status;
  awaiting_ = awaiting::nothing;
  switch (st.state) {
    case sasl_status::challenge: state_ = state::auth; return sasl::write_challenge(out_, "+ ", st.data);
    case sasl_status::check:
      awaiting_ = awaiting::auth_check;
      queued_.put(server_event_type::auth_check);
      return errc::ok;
    case sasl_status::success: {
      std::string name(auth_->exchange.username());
      end_auth();
      logged_in(login_method::sasl, std::move(name));
      return errc::ok;
    }
    default: break;
  }
  end_auth();  // every other step ends the exchange
  switch (st.state) {
    case sasl_status::cancelled: return err(response_code::none, "Authentication cancelled");
    case sasl_status::failed: login_failed(response_code::auth, "Authentication failed"); break;
    case sasl_status::bad_initial:
    case sasl_status::bad_line: auth_error(errc::sasl_malformed, "Invalid base64 in authentication data"); break;
    case sasl_status::unexpected: auth_error(errc::sasl_unexpected_message, "Unexpected authentication data"); break;
    default: auth_error(st.error, "Malformed authentication data"); break;
  }
  return errc::ok;
}

inline void server::end_auth() {
  auth_.reset();
  if (state_ == state::auth) state_ = state::authorization;
}

}  // namespace pop3
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_POP3_SERVER_HPP
